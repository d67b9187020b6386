/* SPDX-License-Identifier: MIT */
/*
 * acfg: the agent's configuration, the Vault Agent JSON schema subset that
 * the webhook writes (DESIGN.md "Contract between webhook and agent"):
 * auto_auth, vault, template, template_config, exit_after_auth, pid_file,
 * plus the vaultlet-only stanza "vaultlet" (revoke_on_shutdown,
 * status_file, command_timeout).
 *
 * acfg_parse() is a pure function from JSON text to struct acfg: no files,
 * no environment, no logging. Unknown keys are collected (their dotted
 * names) so the caller can warn once; a value of the wrong type is an
 * error whose message names the field ("template[1].perms: expected …").
 */
#ifndef VAULTLET_AGENT_CONFIG_H
#define VAULTLET_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Caps: a config holding more than this is refused (-E2BIG). */
#define ACFG_TEXT_MAX	   (1024 * 1024)
#define ACFG_TEMPLATES_MAX 64
#define ACFG_SINKS_MAX	   8
#define ACFG_UNKNOWN_MAX   32
#define ACFG_STRING_MAX	   (256 * 1024)

#define ACFG_DEFAULT_MOUNT_PATH	     "auth/kubernetes"
#define ACFG_DEFAULT_TOKEN_PATH	     "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define ACFG_DEFAULT_MIN_BACKOFF_NS  (INT64_C(1) * 1000000000)
#define ACFG_DEFAULT_MAX_BACKOFF_NS  (INT64_C(300) * 1000000000)
#define ACFG_DEFAULT_RENDER_INTERVAL (INT64_C(300) * 1000000000)
#define ACFG_DEFAULT_COMMAND_TIMEOUT (INT64_C(30) * 1000000000)
#define ACFG_DEFAULT_STATUS_NAME     ".vaultlet-status.json"
#define ACFG_DEFAULT_HOME	     "/home/vault"

struct acfg_template {
	char *destination;
	char *contents; /* inline template, or NULL when source is used */
	char *source;	/* template file, read at startup */
	char *left_delim;
	char *right_delim;
	char *command; /* run after the file changed; NULL for none */
	mode_t perms;
	bool perms_set;
	bool error_on_missing_key;
};

struct acfg {
	/* auto_auth.method */
	char *method_type;
	char *mount_path;
	char *namespace; /* X-Vault-Namespace, or NULL */
	char *role;
	char *token_path;
	int64_t min_backoff_ns;
	int64_t max_backoff_ns;
	bool min_backoff_set; /* given in the config (also sets the fetch retry base) */
	bool max_backoff_set;
	bool exit_on_err;
	/* auto_auth.sink[].config.path, type "file" only */
	char *sinks[ACFG_SINKS_MAX];
	size_t nsinks;

	bool exit_after_auth;
	char *pid_file;

	/* vault */
	char *address;
	char *ca_cert;
	char *ca_path;
	/* PEM from VAULT_CACERT_BYTES (the injector's -vault-cacert-bytes) */
	char *ca_cert_bytes;
	char *client_cert;
	char *client_key;
	char *tls_server_name;
	bool tls_skip_verify;
	int num_retries; /* vault.retry.num_retries */
	bool num_retries_set;

	struct acfg_template templates[ACFG_TEMPLATES_MAX];
	size_t ntemplates;

	/* template_config */
	bool exit_on_retry_failure;
	int64_t static_secret_render_interval_ns;
	double lease_renewal_threshold;

	/* vaultlet extensions */
	bool revoke_on_shutdown;
	char *status_file;
	int64_t command_timeout_ns;

	/* dotted names of keys that were ignored */
	char *unknown[ACFG_UNKNOWN_MAX];
	size_t nunknown;
	bool unknown_truncated;
};

/*
 * Parses the JSON config text[0..len) into *cfg (which is initialised here;
 * release with acfg_done even on error). Returns 0, -EINVAL with a message
 * naming the field in err, -E2BIG over a cap, -ENOMEM.
 */
int acfg_parse(const char *text, size_t len, struct acfg *cfg, struct buf *err);
/*
 * The config's text: the file when given, else VAULT_CONFIG base64-decoded
 * (a trailing newline tolerated). 0, or -errno with a one-line reason in err.
 */
int acfg_read_text(const char *file, struct buf *text, struct buf *err);

void acfg_done(struct acfg *cfg);

/* The status file path: vaultlet.status_file, else next to the first sink, else the default. */
int acfg_status_path(const struct acfg *cfg, struct buf *out);

#endif
