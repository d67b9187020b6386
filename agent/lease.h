/* SPDX-License-Identifier: MIT */
/*
 * lease: when a secret is renewed or read again, as pure functions of a
 * Vault answer, the clock and a uniform random number u in [0, 1) passed
 * by the caller (so each case is unit-tested exactly). Times are ns.
 *
 * Two regimes, as consul-template's VaultReadQuery/VaultWriteQuery run
 * them (dependency/vault_read.go, vault_write.go, vault_common.go):
 *
 *   renewable lease  a Vault API lifetime watcher (api/lifetime_watcher.go,
 *                    RenewBehaviorErrorOnErrors, increment 0) renews the
 *                    lease through sys/leases/renew, the first time right
 *                    after the read, then after 2/3·L + g/3, where the
 *                    grace g = 0.1·L + u·0.1·L is drawn again whenever a
 *                    renewal extends the lease; it is done when L <= g or
 *                    L − sleep <= g (max TTL near), when a renewal answers
 *                    renewable=false, or on the first error. Then the path
 *                    is read again (new credentials).
 *   otherwise        leaseCheckWait: base = lease_duration; a certificate
 *                    without a lease uses data.expiration − now; an AppRole
 *                    secret_id without a lease data.secret_id_ttl + 1; a
 *                    rotating secret (data.rotation_period, no lease)
 *                    data.ttl + 1 and sleeps exactly that (ttl 0: an error,
 *                    retried); base <= 0 is the default (Vault Agent:
 *                    static_secret_render_interval, 5 min). Non-rotating:
 *                    base·(threshold + (u − 0.5)·0.1), threshold =
 *                    lease_renewal_threshold (0.90), clamped into (0, 1).
 */
#ifndef VAULTLET_AGENT_LEASE_H
#define VAULTLET_AGENT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The lifetime watcher of one lease. */
struct lease_watch {
	int64_t grace; /* ns */
	int64_t prior; /* the lease duration seen last, ns */
};

/* Whether the answer carries a lease the watcher renews (renewable, with an id). */
bool lease_renewable(const cJSON *resp);

/* The lease_id of an answer, or "" (never NULL). */
const char *lease_id(const cJSON *resp);

/* The answer's lease_duration in ns (0 when absent or not positive). */
int64_t lease_duration_ns(const cJSON *resp);

/* A watcher starting on a lease of lease_ns (grace from that lease). */
void lease_watch_start(struct lease_watch *w, int64_t lease_ns, double u);

/*
 * After a renewal that answered lease_ns (and renewable): true with the
 * sleep before the next renewal in *ret_sleep, or false when the watcher is
 * done (read the path again now).
 */
bool lease_watch_renewed(struct lease_watch *w, int64_t lease_ns, double u, int64_t *ret_sleep);

/*
 * leaseCheckWait for an answer that is not renewed: the wait before the
 * next read. dflt_ns is the base without a lease (static_secret_render_
 * interval). Returns 0, or -EAGAIN for a rotating secret whose ttl is 0
 * (consul-template retries it as an error).
 */
int lease_check_wait(const cJSON *resp, int64_t now_wall_s, int64_t dflt_ns, double threshold,
		     double u, int64_t *ret_ns);

#endif
