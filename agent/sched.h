/* SPDX-License-Identifier: MIT */
/*
 * sched: every waiting time of the agent, as pure functions of the inputs
 * and of a uniform random number u in [0, 1) passed by the caller, so each
 * schedule is unit-tested exactly (reference: vault-api-and-templates.md
 * §1.2, §2.2, §2.3, §2.5). Times are nanoseconds.
 *
 *   auth backoff     Vault's sdk/helper/backoff: jitter(t) = t·(1 − 0.25u);
 *                    reset: cur = jitter(min); next: first call returns
 *                    cur, later calls cur = jitter(min(2·cur, max))
 *   fetch retries    consul-template RetryConfig: sleep before retry r is
 *                    Backoff·2^r, or MaxBackoff once r > floor(log2(Max/Backoff));
 *                    here never longer than the secret's refresh interval D
 *                    (a longer sleep becomes D·[0.85, 0.95), the refresh's own
 *                    stagger) and never shorter than the last Retry-After.
 *                    The retries end when both the count is spent and the time
 *                    the uncapped sleeps add up to has passed (budget)
 *   lifetime watcher grace g = 0.1·L + u·0.1·L; sleep = 2/3·L + g/3;
 *                    done when L <= g or L − sleep <= g
 *   renew errors     10 s doubling to 5 min, ±50 % randomisation
 *   static refresh   D · (threshold + (u − 0.5)·0.1), i.e. D·[0.85, 0.95)
 *   leased refresh   L/3 · (1 + u)/2 (renewable leases, consul-template)
 *   HTTP retries     go-retryablehttp RateLimitLinearJitterBackoff:
 *                    (1 s + u·0.5 s)·(attempt + 1), capped like a fetch retry
 *                    at D·[0.85, 0.95) when longer than D, or Retry-After on
 *                    429/503, at most SCHED_RETRY_AFTER_MAX: a load
 *                    balancer's "Retry-After: 86400" must not stop the agent
 *                    (token renewal included) for a day
 *
 * Why the cap at D: with static_secret_render_interval D the agent reads a
 * healthy Vault every D·[0.85, 0.95) anyway, so retrying a failing one no
 * more often than that adds no load, while a transient error (a burst of
 * 500s, a sealed minute) no longer pushes the next read seconds or minutes
 * past D once Vault answers again. With the default D of 5 min the cap is
 * above consul-template's 1 min MaxBackoff and changes nothing.
 */
#ifndef VAULTLET_AGENT_SCHED_H
#define VAULTLET_AGENT_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_SEC INT64_C(1000000000)
#define SCHED_MS  INT64_C(1000000)

/* The longest wait a server's Retry-After can impose on one request. */
#define SCHED_RETRY_AFTER_MAX (60 * SCHED_SEC)

struct sched_backoff {
	int64_t min_ns;
	int64_t max_ns;
	int64_t cur_ns;
	bool fresh; /* the next call returns cur as is */
};

/*
 * A lease or TTL in seconds, as Vault gives it, in ns: 0 unless positive,
 * at most 100 years, so the arithmetic on it below cannot overflow.
 */
int64_t sched_seconds_ns(int64_t s);

/* floor(t·(1 − 0.25u)) */
int64_t sched_jitter(int64_t t_ns, double u);
void sched_backoff_init(struct sched_backoff *b, int64_t min_ns, int64_t max_ns, double u);
void sched_backoff_reset(struct sched_backoff *b, double u);
int64_t sched_backoff_next(struct sched_backoff *b, double u);

/* Sleep before fetch retry number `retry` (0-based). */
int64_t sched_retry_sleep(unsigned retry, int64_t base_ns, int64_t max_ns);

/*
 * wait_ns, or cap·(0.85 + 0.1u) when that is shorter (cap_ns <= 0: no cap):
 * a wait never exceeds the interval D a healthy read would have waited.
 */
int64_t sched_cap_wait(int64_t wait_ns, int64_t cap_ns, double u);

/*
 * Wait before retrying a failed secret read (retry = failures so far − 1):
 * sched_retry_sleep() capped by sched_cap_wait(cap_ns), then at least
 * retry_after_ns (the last answer's Retry-After, -1 when none).
 */
int64_t sched_fetch_retry_wait(unsigned retry, int64_t base_ns, int64_t max_ns, int64_t cap_ns,
			       int64_t retry_after_ns, double u);

/*
 * The retries' budget in time: sum of sched_retry_sleep(r) for r < attempts
 * (303.75 s for consul-template's defaults), saturated at INT64_MAX. A
 * secret is given up on only after `attempts` retries AND this long since
 * its first failure, so capped (shorter) waits do not spend the budget
 * sooner than consul-template's schedule would.
 */
int64_t sched_retry_budget(unsigned attempts, int64_t base_ns, int64_t max_ns);

/* Lifetime watcher (§2.3), L = lease in ns. */
int64_t sched_grace(int64_t lease_ns, double u);
int64_t sched_renew_sleep(int64_t lease_ns, int64_t grace_ns);
/* Whether the watcher is done (re-authenticate instead of sleeping). */
bool sched_renew_done(int64_t lease_ns, int64_t grace_ns, int64_t sleep_ns);

/* Renewal error backoff: attempt 0 → ~10 s; each later one doubles up to 5 min; ±50 %. */
int64_t sched_renew_error_sleep(unsigned attempt, double u);

/* Next re-read of a non-renewable secret, D = interval (or lease) in ns. */
int64_t sched_static_refresh(int64_t d_ns, double threshold, double u);
/* Next re-read of a renewable leased secret. */
int64_t sched_leased_refresh(int64_t lease_ns, double u);

/*
 * A Retry-After of `seconds` in ns: -1 when not positive (no usable header),
 * else at most SCHED_RETRY_AFTER_MAX (so any value, however large, neither
 * overflows nor stops the agent).
 */
int64_t sched_retry_after_ns(int64_t seconds);

/*
 * Wait before HTTP retry `attempt` (0-based). retry_after_ns >= 0 is the
 * server's Retry-After (used only for 429/503), capped at
 * SCHED_RETRY_AFTER_MAX; otherwise the linear wait, through
 * sched_cap_wait(cap_ns) (cap_ns <= 0: no cap).
 */
int64_t sched_http_retry_wait(unsigned attempt, int status, int64_t retry_after_ns, int64_t cap_ns,
			      double u);

/* CLOCK_MONOTONIC in ns: every deadline above is on this clock. */
int64_t sched_now(void);

/* A uniform random number in [0, 1) from getrandom(2) (falls back to a clock mix). */
double sched_random(void);

#endif
