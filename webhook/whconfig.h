/* SPDX-License-Identifier: MIT */
/*
 * whconfig: the webhook's settings from command-line flags and AGENT_INJECT_*
 * environment variables, with the stock injector's names, defaults and
 * precedence.
 *
 * Flags are parsed like Go's flag package (-name value, -name=value, one or
 * two dashes, bool flags take no separate value, parsing stops at the first
 * non-flag argument or "--"). Then, as in the stock injector, each
 * AGENT_INJECT_* variable that is set and non-empty overrides its flag: the
 * environment wins. vaultlet's own settings (limits, timeouts)
 * have VAULTLET_WEBHOOK_* variables with the same rule.
 *
 * Every value is validated here, at startup, so that a bad flag stops the
 * webhook with a message instead of denying every pod later. Pure: the
 * environment is read through a callback.
 */
#ifndef VAULTLET_WEBHOOK_WHCONFIG_H
#define VAULTLET_WEBHOOK_WHCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agentspec.h"
#include "buf.h"
#include "log.h"

/* The agent image used when neither -vault-image nor agent-image says otherwise. */
#define WHCONFIG_DEFAULT_IMAGE "vaultlet/vaultlet:" VAULTLET_VERSION
#define WHCONFIG_DEFAULT_AGENT "/usr/local/bin/vaultlet-agent"
/* Most startup notes kept (settings accepted but without effect). */
#define WHCONFIG_MAX_NOTES 16

/* Indexes of the settings (see the table in whconfig.c). */
enum whflag {
	WH_LISTEN,
	WH_LOG_LEVEL,
	WH_LOG_FORMAT,
	WH_TLS_CERT_FILE,
	WH_TLS_KEY_FILE,
	WH_TLS_CA_CERT_FILE,
	WH_TLS_MIN_VERSION,
	WH_TLS_CIPHER_SUITES,
	WH_TLS_AUTO,
	WH_TLS_AUTO_HOSTS,
	WH_TELEMETRY_PATH,
	WH_USE_LEADER_ELECTOR,
	WH_VAULT_ADDRESS,
	WH_VAULT_IMAGE,
	WH_VAULT_CACERT_BYTES,
	WH_PROXY_ADDRESS,
	WH_VAULT_AUTH_TYPE,
	WH_VAULT_AUTH_PATH,
	WH_VAULT_NAMESPACE,
	WH_REVOKE_ON_SHUTDOWN,
	WH_RUN_AS_USER,
	WH_RUN_AS_GROUP,
	WH_RUN_AS_SAME_USER,
	WH_SET_SECURITY_CONTEXT,
	WH_DEFAULT_TEMPLATE,
	WH_CPU_REQUEST,
	WH_MEM_REQUEST,
	WH_EPHEMERAL_REQUEST,
	WH_CPU_LIMIT,
	WH_MEM_LIMIT,
	WH_EPHEMERAL_LIMIT,
	WH_EXIT_ON_RETRY_FAILURE,
	WH_STATIC_SECRET_RENDER_INTERVAL,
	WH_MAX_CONNECTIONS_PER_HOST,
	WH_LEASE_RENEWAL_THRESHOLD,
	WH_AUTH_MIN_BACKOFF,
	WH_AUTH_MAX_BACKOFF,
	WH_DISABLE_IDLE_CONNECTIONS,
	WH_DISABLE_KEEP_ALIVES,
	/* vaultlet's own */
	WH_AGENT_COMMAND,
	WH_NATIVE_SIDECAR,
	WH_MAX_CONNECTIONS,
	WH_CONNECTION_TIMEOUT,
	WH_HEADER_TIMEOUT,
	WH_MAX_BODY_BYTES,
	WH_WEBHOOK_MEMORY_LIMIT,
	WH_READY_FILE,
	WH_SHUTDOWN_DELAY,
	WH_DRAIN_TIMEOUT,
	WH_TLS_RELOAD_INTERVAL,
	WH__COUNT
};

/* The range of -webhook-memory-limit. */
#define WHCONFIG_MIN_MEMORY (UINT64_C(4) << 20)
#define WHCONFIG_MAX_MEMORY (UINT64_C(1) << 46)

struct whconfig {
	char *value[WH__COUNT]; /* every setting as text, after flags and env */
	bool from_env[WH__COUNT];

	/* typed, validated */
	enum log_level log_level;
	enum log_format log_format;
	bool tls13_only;
	unsigned max_connections;
	unsigned connection_timeout_s; /* kept-alive idle */
	unsigned header_timeout_ms;    /* handshake + first request's headers */
	size_t max_body;
	/*
	 * -webhook-memory-limit (the container's memory limit) and what it
	 * leaves for the bodies being received and the reviews being handled:
	 * a quarter each, the other half for the process itself (code,
	 * libraries, TLS sessions, threads, responses being sent).
	 */
	uint64_t memory_limit;
	size_t body_budget, review_budget;
	int64_t shutdown_delay_ns, drain_timeout_ns, tls_reload_interval_ns;

	/* the injection defaults, pointing into value[] */
	struct inject_defaults defaults;
	char *cacert_decoded; /* -vault-cacert-bytes after base64 decoding */

	/* settings that were accepted but do nothing in vaultlet (logged at startup) */
	const char *notes[WHCONFIG_MAX_NOTES];
	size_t nnotes;
};

/* Reads an environment variable; NULL when unset. */
typedef const char *(*whconfig_getenv_fn)(const char *name);

/*
 * Parses argv[0..argc) (the arguments after the subcommand) and the
 * environment. Returns 0 and *ret_argi = the index of the first argument
 * that is not a flag; 1 when -h/-help was asked (usage printed to help);
 * -EINVAL with a one-line message in err. Release with whconfig_done()
 * in every case.
 */
int whconfig_parse(struct whconfig *c, int argc, char **argv, whconfig_getenv_fn getenv_fn,
		   int *ret_argi, struct buf *err, FILE *help);
void whconfig_done(struct whconfig *c);

/* Writes the flag list with defaults and env names. */
void whconfig_usage(FILE *f);

#endif
