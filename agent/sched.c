/* SPDX-License-Identifier: MIT */
/*
 * sched: the agent's waiting times (see sched.h for the formulas and where
 * they come from). Everything but sched_random() is pure arithmetic on
 * int64 nanoseconds; doubles appear only to apply a random factor.
 */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "sched.h"

#define RENEW_ERR_INITIAL (10 * SCHED_SEC)
#define RENEW_ERR_MAX	  (300 * SCHED_SEC)
#define HTTP_RETRY_MIN	  (1000 * SCHED_MS)
#define HTTP_RETRY_MAX	  (1500 * SCHED_MS)

static double clamp_u(double u)
{
	if (!(u >= 0))
		return 0;
	if (u >= 1)
		return 0.999999999;
	return u;
}

int64_t sched_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SCHED_SEC + ts.tv_nsec;
}

int64_t sched_seconds_ns(int64_t s)
{
	const int64_t max_s = INT64_C(100) * 365 * 24 * 3600;

	return s <= 0 ? 0 : (s < max_s ? s : max_s) * SCHED_SEC;
}

int64_t sched_jitter(int64_t t_ns, double u)
{
	/* t >= 0, so truncation is floor */
	return (int64_t)((double)t_ns * (1.0 - 0.25 * clamp_u(u)));
}

void sched_backoff_init(struct sched_backoff *b, int64_t min_ns, int64_t max_ns, double u)
{
	b->min_ns = min_ns;
	b->max_ns = max_ns < min_ns ? min_ns : max_ns;
	sched_backoff_reset(b, u);
}

void sched_backoff_reset(struct sched_backoff *b, double u)
{
	b->cur_ns = sched_jitter(b->min_ns, u);
	b->fresh = true;
}

int64_t sched_backoff_next(struct sched_backoff *b, double u)
{
	int64_t next;

	if (b->fresh) {
		b->fresh = false;
		return b->cur_ns;
	}
	next = b->cur_ns > INT64_MAX / 2 ? b->max_ns : 2 * b->cur_ns;
	if (next > b->max_ns)
		next = b->max_ns;
	b->cur_ns = sched_jitter(next, u);
	return b->cur_ns;
}

int64_t sched_retry_sleep(unsigned retry, int64_t base_ns, int64_t max_ns)
{
	uint64_t base, max;
	unsigned limit;

	/* unsigned, with every doubling checked: no shift can overflow */
	if (base_ns <= 0)
		return max_ns;
	base = (uint64_t)base_ns;
	if (max_ns <= 0) /* no cap: base·2^retry, saturated */
		return retry >= 63 || base > ((uint64_t)INT64_MAX >> retry)
			   ? INT64_MAX
			   : (int64_t)(base << retry);
	if (max_ns < base_ns)
		return max_ns; /* a cap below the base: the cap wins */
	max = (uint64_t)max_ns;
	/* int(math.Log2(max/base)), as consul-template computes it: the largest
	 * k with base·2^k <= max, i.e. base <= floor(max / 2^k) */
	limit = 0;
	while (limit < 62 && base <= (max >> (limit + 1)))
		limit++;
	if (retry > limit)
		return max_ns;
	return (int64_t)(base << retry); /* <= max */
}

int64_t sched_cap_wait(int64_t wait_ns, int64_t cap_ns, double u)
{
	int64_t c;

	if (cap_ns <= 0)
		return wait_ns;
	c = (int64_t)((double)cap_ns * (0.85 + 0.1 * clamp_u(u)));
	return wait_ns < c ? wait_ns : c;
}

int64_t sched_fetch_retry_wait(unsigned retry, int64_t base_ns, int64_t max_ns, int64_t cap_ns,
			       int64_t retry_after_ns, double u)
{
	int64_t w = sched_cap_wait(sched_retry_sleep(retry, base_ns, max_ns), cap_ns, u);

	return retry_after_ns > w ? retry_after_ns : w;
}

int64_t sched_retry_budget(unsigned attempts, int64_t base_ns, int64_t max_ns)
{
	int64_t sum = 0;

	for (unsigned r = 0; r < attempts; r++) {
		int64_t s = sched_retry_sleep(r, base_ns, max_ns);

		if (s >= INT64_MAX - sum)
			return INT64_MAX;
		sum += s;
	}
	return sum;
}

int64_t sched_grace(int64_t lease_ns, double u)
{
	int64_t tenth = lease_ns / 10;

	if (lease_ns <= 0)
		return 0;
	return tenth + (int64_t)((double)tenth * clamp_u(u));
}

int64_t sched_renew_sleep(int64_t lease_ns, int64_t grace_ns)
{
	return (lease_ns / 3) * 2 + grace_ns / 3;
}

bool sched_renew_done(int64_t lease_ns, int64_t grace_ns, int64_t sleep_ns)
{
	return lease_ns <= grace_ns || lease_ns - sleep_ns <= grace_ns;
}

int64_t sched_renew_error_sleep(unsigned attempt, double u)
{
	int64_t iv = RENEW_ERR_INITIAL;

	for (unsigned i = 0; i < attempt && iv < RENEW_ERR_MAX; i++)
		iv *= 2;
	if (iv > RENEW_ERR_MAX)
		iv = RENEW_ERR_MAX;
	/* cenkalti/backoff: iv·(1 ± 0.5), uniformly */
	return (int64_t)((double)iv * (0.5 + clamp_u(u)));
}

int64_t sched_static_refresh(int64_t d_ns, double threshold, double u)
{
	return (int64_t)((double)d_ns * (threshold + (clamp_u(u) - 0.5) * 0.1));
}

int64_t sched_leased_refresh(int64_t lease_ns, double u)
{
	return (int64_t)((double)(lease_ns / 3) * (clamp_u(u) + 1.0) / 2.0);
}

int64_t sched_retry_after_ns(int64_t seconds)
{
	if (seconds <= 0)
		return -1;
	if (seconds >= SCHED_RETRY_AFTER_MAX / SCHED_SEC)
		return SCHED_RETRY_AFTER_MAX;
	return seconds * SCHED_SEC;
}

int64_t sched_http_retry_wait(unsigned attempt, int status, int64_t retry_after_ns, int64_t cap_ns,
			      double u)
{
	int64_t one;

	if ((status == 429 || status == 503) && retry_after_ns >= 0)
		return retry_after_ns < SCHED_RETRY_AFTER_MAX ? retry_after_ns
							      : SCHED_RETRY_AFTER_MAX;
	one = HTTP_RETRY_MIN + (int64_t)((double)(HTTP_RETRY_MAX - HTTP_RETRY_MIN) * clamp_u(u));
	/* attempt is at most VAULT_MAX_RETRIES' 100: no overflow */
	return sched_cap_wait(one * (int64_t)(attempt + 1), cap_ns, u);
}

double sched_random(void)
{
	uint64_t x = 0;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)ts.tv_sec;
	}
	return (double)(x >> 11) / (double)(UINT64_C(1) << 53);
}
