/* SPDX-License-Identifier: MIT */
/*
 * agentspec: from a pod's vault.hashicorp.com/... annotations (plus the
 * injector's flag defaults) to the complete description of what to inject,
 * with the stock injector's parsing rules, defaults and error messages, and
 * its bugs fixed.
 *
 * This is the stock Init() + New() + Validate() in one pure function:
 * defaults are applied in memory only (nothing but the status annotation
 * is ever written back), "" means false for booleans and "unset" for most
 * strings, and every value the stock injector would refuse makes
 * agentspec_build() fail with the stock message prefix ("error creating
 * new agent sidecar: ...") followed by a sentence that names the
 * annotation. Differences from the stock injector, on purpose:
 *
 *   - secrets are ordered by name (the stock order is Go map order);
 *   - agent-inject-containers is split on commas and trimmed;
 *   - agent-inject-file with a ".." element, and mount paths that are not
 *     absolute, are refused;
 *   - share-process-namespace applies without pre-populate too;
 *   - known stock annotations vaultlet does not implement produce a
 *     warning each (and are otherwise ignored), agent-configmap and
 *     auth types other than kubernetes are refused;
 *   - the agent runs as `vaultlet-agent`, with seccompProfile RuntimeDefault;
 *   - native sidecar mode (vaultlet/native-sidecar, or the upstream
 *     proposal's agent-native-sidecar, or the -native-sidecar default):
 *     one vault-agent init container with restartPolicy Always instead of
 *     vault-agent-init + vault-agent (see inject.h).
 *
 * Strings in the result point into the pod's JSON tree or the arena.
 */
#ifndef VAULTLET_WEBHOOK_AGENTSPEC_H
#define VAULTLET_WEBHOOK_AGENTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "pod.h"
#include "quantity.h"

#define ANNOTATION_PREFIX "vault.hashicorp.com/"
/* vaultlet's own annotations (DESIGN.md: "Extensions of our own"). */
#define VAULTLET_ANNOTATION_PREFIX "vaultlet/"
#define NATIVE_SIDECAR_ANNOTATION  VAULTLET_ANNOTATION_PREFIX "native-sidecar"

/* The agent container names and fixed paths (stock names). */
#define AGENT_INIT_NAME	       "vault-agent-init"
#define AGENT_SIDECAR_NAME     "vault-agent"
#define AGENT_SECRETS_VOLUME   "vault-secrets"
#define AGENT_SECRETS_PATH     "/vault/secrets"
#define AGENT_HOME_INIT	       "home-init"
#define AGENT_HOME_SIDECAR     "home-sidecar"
#define AGENT_HOME_PATH	       "/home/vault"
#define AGENT_TLS_VOLUME       "vault-tls-secrets"
#define AGENT_TLS_PATH	       "/vault/tls"
#define AGENT_EXTRA_VOLUME     "extra-secrets"
#define AGENT_EXTRA_PATH       "/vault/custom"
#define AGENT_SA_DEFAULT_MOUNT "/var/run/secrets/vault.hashicorp.com/serviceaccount"

/*
 * The native sidecar's startupProbe: `vaultlet-agent status -ready` every
 * second, for at most five minutes (then the kubelet restarts the agent).
 */
#define AGENT_PROBE_PERIOD_S 1
#define AGENT_PROBE_FAILURES 300

/* vaultlet-agent renders at most this many templates (agent/config.h ACFG_TEMPLATES_MAX). */
#define AGENTSPEC_MAX_SECRETS 64
/* Most items an agent-inject-containers list may have (a pod has at most POD_MAX_CONTAINERS). */
#define AGENTSPEC_MAX_TARGET_ITEMS 1024
/* Most auth config parameters (auth-config-* annotations, role, token_path). */
#define AGENTSPEC_MAX_AUTH_CONFIG 64
/* Longest auth-min-backoff / auth-max-backoff accepted (24h). */
#define AGENTSPEC_MAX_BACKOFF_NS (INT64_C(24) * 3600 * 1000000000)
/* Warnings kept per review; more are counted in one last warning. */
#define AGENTSPEC_MAX_WARNINGS 16

struct tmplcheck_cache;

/* The injector-wide defaults: flags and AGENT_INJECT_* env. Strings are never NULL. */
struct inject_defaults {
	const char *vault_address;
	const char *vault_image;
	const char *vault_cacert_bytes; /* already base64-decoded when it was base64 */
	const char *proxy_address;
	const char *auth_type;
	const char *auth_path;
	const char *vault_namespace;
	bool revoke_on_shutdown;
	const char *run_as_user;
	const char *run_as_group;
	bool run_as_same_user;
	bool set_security_context;
	const char *default_template;
	/* canonical Kubernetes quantities or "" (whconfig_parse normalizes them) */
	const char *cpu_request, *mem_request, *ephemeral_request;
	const char *cpu_limit, *mem_limit, *ephemeral_limit;
	bool exit_on_retry_failure;
	const char *static_secret_render_interval;
	const char *lease_renewal_threshold; /* "" = unset (the stock env bug, fixed) */
	const char *auth_min_backoff, *auth_max_backoff;
	const char *agent_command; /* the agent binary in the agent image */
	bool native_sidecar;	   /* -native-sidecar: the default of vaultlet/native-sidecar */
	/* optional memo of template checks shared by the workers (NULL: none) */
	struct tmplcheck_cache *tmpl_cache;
};

struct agentspec_secret {
	const char *raw_name; /* the annotation suffix as written */
	const char *name;     /* lower-cased unless preserve-secret-case */
	const char *path;     /* Vault path, "" when only a template defines it */
	const char *mount_path;
	const char *destination;
	const char *contents; /* inline or default template; "" when source is used */
	const char *source;   /* agent-inject-template-file, "" when contents is used */
	const char *left_delim, *right_delim; /* "{{" "}}" unless set */
	const char *command, *perms;
	bool error_on_missing_key;
	bool default_template; /* contents is the generated map/json template */
};

struct agentspec_kv {
	const char *key;
	const char *value;
};

struct agentspec {
	const struct pod *pod;
	const char *namespace_; /* the request namespace */

	/* what to add */
	bool pre_populate;	/* init container */
	bool pre_populate_only; /* no sidecar */
	bool init_first;
	/*
	 * one vault-agent in initContainers[0] with restartPolicy Always and a
	 * startupProbe, in place of both agents; never with pre_populate_only
	 */
	bool native_sidecar;
	int share_process_namespace; /* -1: leave the pod alone */

	/* app containers (indexes into pod->containers) that get the secrets mounts */
	size_t *targets;
	size_t ntargets;

	/* containers */
	const char *image;
	const char *log_level, *log_format, *proxy_address;
	char limits_cpu[QUANTITY_MAX], limits_mem[QUANTITY_MAX], limits_eph[QUANTITY_MAX];
	char requests_cpu[QUANTITY_MAX], requests_mem[QUANTITY_MAX], requests_eph[QUANTITY_MAX];
	bool set_security_context;
	int64_t run_as_user, run_as_group;
	bool revoke_on_shutdown;
	uint64_t revoke_grace;
	const char *tls_secret, *extra_secret, *copy_volume_mounts;

	/* service-account token */
	const char *sa_volume, *sa_mount_path;

	/* secrets, sorted by name */
	const char *secret_volume_path;
	struct agentspec_secret *secrets;
	size_t nsecrets;
	/* distinct per-secret mount paths other than secret_volume_path: vault-secrets-custom-<i> */
	const char **custom_paths;
	size_t ncustom;

	/* the agent config (VAULT_CONFIG) */
	const char *auth_type, *auth_path, *vault_namespace;
	const char *min_backoff, *max_backoff;
	struct agentspec_kv *auth_config; /* sorted by key */
	size_t nauth_config;
	bool auto_auth_exit_on_err;
	bool inject_token;
	const char *token_sink; /* path.Join(secret_volume_path, "token") */
	const char *address, *ca_cert, *ca_key, *client_cert, *client_key, *tls_server_name;
	bool tls_skip_verify;
	bool exit_on_retry_failure;
	const char *static_secret_render_interval;
	bool has_lease_renewal_threshold;
	double lease_renewal_threshold;
	const char *cacert_bytes;

	/* AdmissionReview warnings */
	const char *warnings[AGENTSPEC_MAX_WARNINGS];
	size_t nwarnings;
	size_t warnings_dropped;
};

/* Whether the annotation tables searched with bsearch are sorted (for the tests). */
bool agentspec_tables_sorted(void);

/* An interval vaultlet-agent accepts: whole seconds, or a positive Go duration. */
bool agentspec_interval_ok(const char *v);
/*
 * A lease renewal threshold as strconv.ParseFloat takes it (no blanks, not
 * NaN or Inf): 0 and *ret, -EINVAL (not a number), -ERANGE (outside [0, 1]).
 */
int agentspec_fraction(const char *v, double *ret);

/*
 * Builds *ret for pod (which should be injected: the caller has checked
 * agent-inject, the status and the phase) in request namespace ns.
 * Returns 0; -EINVAL with *ret_msg (an arena string, the denial message);
 * -ENOMEM or -E2BIG.
 */
int agentspec_build(const struct inject_defaults *d, const struct pod *pod, const char *ns,
		    struct arena *a, struct agentspec *ret, const char **ret_msg);

/* Adds an AdmissionReview warning (kept in the arena); -ENOMEM. */
int agentspec_warn(struct agentspec *s, struct arena *a, const char *fmt, ...) VL_PRINTF(3, 4);

#endif
