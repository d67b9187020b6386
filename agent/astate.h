/* SPDX-License-Identifier: MIT */
/*
 * astate: the status file the running agent keeps next to its token
 * (default /home/vault/.vaultlet-status.json, never in /vault/secrets),
 * and its human-readable form for `vaultlet-agent status`.
 *
 * It holds, per destination: last render time, last check time, the KV v2
 * version of each secret it uses, the last error; plus the agent's mode,
 * pid, whether it holds a token and when that token expires. Never a
 * secret value or a token. Written atomically (afile), mode 0644 (it is
 * not secret, and `kubectl exec … status` may run as another uid).
 */
#ifndef VAULTLET_AGENT_ASTATE_H
#define VAULTLET_AGENT_ASTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define ASTATE_MAX	   (256 * 1024)
#define ASTATE_SECRETS_MAX 16

struct astate_secret {
	const char *path;
	int64_t version; /* KV v2 metadata.version; -1 when not KV v2 or unknown */
	/* its lease, if any: never the whole lease id, never a credential */
	const char *lease;	  /* the lease id's last ASTATE_LEASE_SUFFIX bytes; NULL = none */
	int64_t lease_expires_at; /* unix s; 0 = unknown */
	int64_t renewed_at;	  /* last renewal; 0 = never */
	uint64_t renewals;
	int64_t next_at; /* next renewal (renewing) or read; 0 = unknown */
	bool renewing;
};

#define ASTATE_LEASE_SUFFIX 6

struct astate_template {
	const char *destination;
	int64_t rendered_at; /* unix seconds of the last write; 0 = never */
	int64_t checked_at;  /* last evaluation that succeeded (written or unchanged) */
	uint64_t writes;
	const char *last_error; /* NULL or "" for none */
	int64_t error_at;
	struct astate_secret secrets[ASTATE_SECRETS_MAX];
	size_t nsecrets;
};

struct astate {
	const char *mode; /* "init" or "sidecar" */
	long pid;
	int64_t started_at;
	int64_t updated_at;
	bool authenticated;
	int64_t token_expires_at; /* unix seconds; 0 = unknown */
	const char *last_error;
	const struct astate_template *templates;
	size_t ntemplates;
};

/* The JSON text of s (pure). */
int astate_format(const struct astate *s, struct buf *out);

/* Prints a status file's JSON as text (or re-emits it as JSON); -EINVAL if malformed. */
int astate_print(const char *json, size_t len, bool as_json, int64_t now, FILE *out);

#endif
