/* SPDX-License-Identifier: MIT */
/*
 * auth: Kubernetes login, token renewal and revocation (reference §1.3,
 * §1.5, §2.2). The pure parts (login body, auth-response parsing, JWT
 * trimming) are separate from the calls so they can be unit-tested.
 *
 * The token lives only in a sensitive buffer (wiped when dropped) and is
 * registered with log_secret_add() while held, so it can never reach a log
 * line. The JWT is read fresh from token_path for every login (projected
 * tokens rotate), held in a sensitive buffer, registered the same way, and
 * wiped as soon as the login request is sent.
 */
#ifndef VAULTLET_AGENT_AUTH_H
#define VAULTLET_AGENT_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "vault.h"

#define AUTH_JWT_MAX   (64 * 1024)
#define AUTH_TOKEN_MAX 8192

struct auth_token {
	struct buf value; /* sensitive, NUL-terminated */
	int64_t lease_ns; /* auth.lease_duration */
	bool renewable;
	bool held; /* value registered with the log scrubber */
};

void auth_token_init(struct auth_token *t);
/* Forgets the token: unregistered from the scrubber and wiped. */
void auth_token_drop(struct auth_token *t);
bool auth_token_valid(const struct auth_token *t);

/* {"jwt":"…","role":"…"} with JSON escaping, into a sensitive buffer. */
int auth_login_body(const char *role, const char *jwt, struct buf *out);

/*
 * Parses the "auth" object of a login or renew-self answer: client_token
 * into t->value (only when want_token), lease_duration, renewable.
 * -EBADMSG when the answer has no auth / no client_token.
 */
int auth_parse(const char *body, size_t len, bool want_token, struct auth_token *t);

/* Reads token_path: trimmed (Go strings.TrimSpace), non-empty, at most AUTH_JWT_MAX. */
int auth_read_jwt(const char *path, struct buf *jwt, struct buf *err);

/*
 * POST <mount_path>/login. Returns 0 with *t filled and held, or the
 * vault_request error, or -EACCES (non-2xx: resp->status/err say why),
 * -EBADMSG (2xx without a token), or the JWT read error (err says why).
 */
int auth_login(struct vault *v, const char *mount_path, const char *role, const char *token_path,
	       struct auth_token *t, struct vault_resp *resp, struct buf *err);

/* POST auth/token/renew-self {"increment":0}; updates t->lease_ns/renewable. */
int auth_renew(struct vault *v, struct auth_token *t, struct vault_resp *resp);

/* POST auth/token/revoke-self. */
int auth_revoke(struct vault *v, const struct auth_token *t, struct vault_resp *resp);

#endif
