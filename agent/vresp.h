/* SPDX-License-Identifier: MIT */
/*
 * vresp: what a Vault answer means for the agent, as pure functions
 * (reference §1.2): the error text of {"errors":[…]}, which statuses the
 * HTTP client retries, the invalid-token fast path (§2.4), and the one-line
 * hint an init container prints when it gives up ("check the role
 * binding", "KV path needs data/", "Vault is sealed" …).
 *
 * Vault error strings never carry secret values, but they can be long or
 * multi-line (Go multierror): vresp_errors() flattens them to one line.
 */
#ifndef VAULTLET_AGENT_VRESP_H
#define VAULTLET_AGENT_VRESP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Longest error text kept for logs and the status file. */
#define VRESP_ERROR_MAX 512

enum vresp_op {
	VRESP_OP_LOGIN,
	VRESP_OP_RENEW,
	VRESP_OP_MOUNTS,
	VRESP_OP_READ,
	VRESP_OP_REVOKE,
};

/*
 * Appends the error strings of a Vault error body, joined by "; ", with
 * the multierror decoration ("2 errors occurred:\n\t* …") removed and any
 * control character replaced by a space, capped at VRESP_ERROR_MAX. An
 * empty or non-JSON body appends nothing. Returns 0 or -ENOMEM.
 */
int vresp_errors(const char *body, size_t len, struct buf *out);

/* 403 whose text mentions "invalid token": drop the token, log in again now. */
bool vresp_invalid_token(int status, const char *errtext);

/* Whether the HTTP client retries this status itself (412, 429, 5xx but 501). */
bool vresp_http_retryable(int status);

/* "Vault is sealed" (503 with that text). */
bool vresp_sealed(int status, const char *errtext);

/*
 * A short human hint for a failed operation: what the user should check.
 * status 0 means no HTTP answer (network/TLS). Never NULL.
 */
const char *vresp_hint(enum vresp_op op, int status, const char *errtext);

#endif
