/* SPDX-License-Identifier: MIT */
/*
 * metrics: the webhook's counters, served as Prometheus text at /metrics.
 *
 * The stock injector's names, so existing dashboards keep working:
 *   vault_agent_injector_request_queue_length                 gauge
 *   vault_agent_injector_request_processing_duration_ms       histogram
 *     (buckets 5 10 25 50 75 100 250 500 1000 2500 5000 7500 10000,
 *      observed in whole milliseconds like the stock injector)
 *   vault_agent_injector_injections_by_namespace_total        {namespace, injection_type}
 *   vault_agent_injector_failed_injections_by_namespace_total {namespace}
 * plus vaultlet's own:
 *   vaultlet_webhook_reviews_total{decision}          skipped, injected, denied, bad-request
 *   vaultlet_webhook_http_responses_total{code}       every HTTP answer by status
 *   vaultlet_webhook_tls_reloads_total{result}        success, failure
 *   vaultlet_webhook_tls_certificate_not_after_seconds  expiry of the served certificate
 *   vaultlet_webhook_ready                             1, or 0 while shutting down
 *
 * All updates are lock-free atomics except the per-namespace counters,
 * which take a mutex on a small table capped at METRICS_MAX_NAMESPACES
 * (further namespaces, and names longer than METRICS_NAMESPACE_MAX, are
 * counted under namespace="_other"). Safe from any
 * thread. No hidden globals: the caller owns the struct.
 */
#ifndef VAULTLET_WEBHOOK_METRICS_H
#define VAULTLET_WEBHOOK_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "review.h"

#define METRICS_MAX_NAMESPACES 1000
#define METRICS_NBUCKETS       13
#define METRICS_NCODES	       10

enum metrics_injection { METRICS_INIT_AND_SIDECAR, METRICS_INIT_ONLY, METRICS_SIDECAR_ONLY };

/* Longest namespace label value kept (a Kubernetes namespace has at most 63 bytes). */
#define METRICS_NAMESPACE_MAX 63

struct metrics_ns {
	char name[METRICS_NAMESPACE_MAX + 1];
	uint64_t injections[3];
	uint64_t failures;
};

struct metrics {
	atomic_long queue;
	atomic_ullong buckets[METRICS_NBUCKETS + 1]; /* last: +Inf */
	atomic_ullong duration_sum_ms;
	atomic_ullong duration_count;
	atomic_ullong reviews[REVIEW_NDECISIONS];
	atomic_ullong http[METRICS_NCODES];
	atomic_ullong tls_reload_ok, tls_reload_failed;
	atomic_llong tls_not_after;
	atomic_bool ready;

	pthread_mutex_t lock; /* guards ns, nns */
	struct metrics_ns *ns;
	size_t nns;
	struct metrics_ns other;
};

int metrics_init(struct metrics *m);
void metrics_done(struct metrics *m);

void metrics_request_start(struct metrics *m);
void metrics_request_end(struct metrics *m, uint64_t duration_ms);
/* decision: enum review_decision as int */
void metrics_review(struct metrics *m, enum review_decision decision, const char *ns, bool init,
		    bool sidecar);
void metrics_http(struct metrics *m, unsigned code);
void metrics_tls_reload(struct metrics *m, bool ok, int64_t not_after);

/* Appends the Prometheus text exposition to out: 0, -E2BIG, -ENOMEM. */
int metrics_render(struct metrics *m, struct buf *out);

#endif
