/* SPDX-License-Identifier: MIT */
/*
 * lease: the renewal and re-read schedule of leased secrets (see lease.h
 * for the rules and where they come from). Pure: no clock, no I/O; the
 * caller passes the wall-clock time and the random numbers.
 */
#include <errno.h>
#include <string.h>

#include "lease.h"
#include "sched.h"
#include "template/vjson.h"

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

const char *lease_id(const cJSON *resp)
{
	const cJSON *id = get(resp, "lease_id");

	return cJSON_IsString(id) && id->valuestring ? id->valuestring : "";
}

bool lease_renewable(const cJSON *resp)
{
	return cJSON_IsTrue(get(resp, "renewable")) && lease_id(resp)[0] != '\0';
}

int64_t lease_duration_ns(const cJSON *resp)
{
	int64_t s;

	return vjson_int64(get(resp, "lease_duration"), &s) ? sched_seconds_ns(s) : 0;
}

void lease_watch_start(struct lease_watch *w, int64_t lease_ns, double u)
{
	w->prior = lease_ns;
	w->grace = sched_grace(lease_ns, u);
}

bool lease_watch_renewed(struct lease_watch *w, int64_t lease_ns, double u, int64_t *ret_sleep)
{
	int64_t sleep;

	/* a new grace only while renewals extend the lease */
	if (lease_ns > w->prior)
		w->grace = sched_grace(lease_ns, u);
	sleep = sched_renew_sleep(lease_ns, w->grace);
	w->prior = lease_ns;
	if (lease_ns <= 0 || sched_renew_done(lease_ns, w->grace, sleep))
		return false;
	*ret_sleep = sleep;
	return true;
}

int lease_check_wait(const cJSON *resp, int64_t now_wall_s, int64_t dflt_ns, double threshold,
		     double u, int64_t *ret_ns)
{
	const cJSON *data = get(resp, "data");
	bool no_lease = lease_id(resp)[0] == '\0';
	bool rotating = false;
	int64_t base = 0, v;
	double frac;

	if (vjson_int64(get(resp, "lease_duration"), &v))
		base = v;
	if (no_lease && get(data, "certificate") && vjson_int64(get(data, "expiration"), &v))
		base = v - now_wall_s;
	if (no_lease && get(data, "secret_id") && vjson_int64(get(data, "secret_id_ttl"), &v) &&
	    v > 0)
		base = v + 1;
	if (no_lease && get(data, "rotation_period") && vjson_int64(get(data, "ttl"), &v)) {
		if (v == 0)
			return -EAGAIN;
		if (v > 0) {
			base = v + 1;
			rotating = true;
		}
	}
	*ret_ns = base > 0 ? sched_seconds_ns(base) : dflt_ns;
	if (cJSON_IsTrue(get(resp, "renewable"))) {
		/* renewable but without a lease id: the 1/3 branch */
		*ret_ns = (int64_t)((double)(*ret_ns / 3) * (u + 1.0) / 2.0);
		return 0;
	}
	if (rotating)
		return 0;
	frac = threshold + (u - 0.5) * 0.1;
	if (frac >= 1.0 || frac <= 0.0)
		frac = threshold;
	*ret_ns = (int64_t)((double)*ret_ns * frac);
	return 0;
}
