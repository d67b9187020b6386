/* SPDX-License-Identifier: MIT */
/*
 * metrics: atomic counters and their Prometheus text form (see metrics.h).
 *
 * The namespace table is a plain array searched linearly: it is touched
 * once per decided review, holds at most METRICS_MAX_NAMESPACES entries,
 * and most clusters label a handful of namespaces. Label values are
 * escaped as the text format requires (\\, \", \n).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const unsigned bucket_le[METRICS_NBUCKETS] = { 5,   10,	 25,   50,   75,   100,	 250,
						      500, 1000, 2500, 5000, 7500, 10000 };
static const unsigned http_codes[METRICS_NCODES - 1] = {
	200, 204, 400, 404, 405, 413, 415, 500, 503
};
static const char *const injection_label[3] = { "init_and_sidecar", "init_only", "sidecar_only" };

int metrics_init(struct metrics *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = pthread_mutex_init(&m->lock, NULL);
	if (r != 0)
		return -r;
	m->ns = calloc(METRICS_MAX_NAMESPACES, sizeof(*m->ns));
	if (!m->ns) {
		pthread_mutex_destroy(&m->lock);
		return -ENOMEM;
	}
	memcpy(m->other.name, "_other", sizeof("_other"));
	atomic_store(&m->ready, true);
	return 0;
}

void metrics_done(struct metrics *m)
{
	if (!m || !m->ns)
		return;
	free(m->ns);
	m->ns = NULL;
	pthread_mutex_destroy(&m->lock);
}

void metrics_request_start(struct metrics *m)
{
	atomic_fetch_add(&m->queue, 1);
}

void metrics_request_end(struct metrics *m, uint64_t duration_ms)
{
	size_t i;

	atomic_fetch_sub(&m->queue, 1);
	for (i = 0; i < METRICS_NBUCKETS && duration_ms > bucket_le[i]; i++)
		;
	atomic_fetch_add(&m->buckets[i], 1);
	atomic_fetch_add(&m->duration_sum_ms, duration_ms);
	atomic_fetch_add(&m->duration_count, 1);
}

/* Called with the lock held. */
static struct metrics_ns *ns_entry(struct metrics *m, const char *ns)
{
	size_t len = strnlen(ns, METRICS_NAMESPACE_MAX + 1);

	/* the review checked the name; a label value stays bounded whatever the caller passes */
	if (len > METRICS_NAMESPACE_MAX)
		return &m->other;
	for (size_t i = 0; i < m->nns; i++) {
		if (strcmp(m->ns[i].name, ns) == 0)
			return &m->ns[i];
	}
	if (m->nns == METRICS_MAX_NAMESPACES)
		return &m->other;
	m->ns[m->nns] = (struct metrics_ns){ 0 };
	memcpy(m->ns[m->nns].name, ns, len + 1);
	return &m->ns[m->nns++];
}

void metrics_review(struct metrics *m, enum review_decision decision, const char *ns, bool init,
		    bool sidecar)
{
	struct metrics_ns *e;

	if ((unsigned)decision < REVIEW_NDECISIONS)
		atomic_fetch_add(&m->reviews[decision], 1);
	/* the stock counters: injections by type, and every allowed:false */
	if (decision == REVIEW_INJECTED && (init || sidecar)) {
		int t = init && sidecar ? METRICS_INIT_AND_SIDECAR
			: init		? METRICS_INIT_ONLY
					: METRICS_SIDECAR_ONLY;

		pthread_mutex_lock(&m->lock);
		e = ns_entry(m, ns);
		e->injections[t]++;
		pthread_mutex_unlock(&m->lock);
	} else if (decision == REVIEW_DENIED) {
		pthread_mutex_lock(&m->lock);
		e = ns_entry(m, ns);
		e->failures++;
		pthread_mutex_unlock(&m->lock);
	}
}

void metrics_http(struct metrics *m, unsigned code)
{
	size_t i;

	for (i = 0; i < METRICS_NCODES - 1 && http_codes[i] != code; i++)
		;
	atomic_fetch_add(&m->http[i], 1);
}

void metrics_tls_reload(struct metrics *m, bool ok, int64_t not_after)
{
	if (ok) {
		atomic_fetch_add(&m->tls_reload_ok, 1);
		atomic_store(&m->tls_not_after, not_after);
	} else {
		atomic_fetch_add(&m->tls_reload_failed, 1);
	}
}

static int label_value(struct buf *out, const char *s)
{
	int r = 0;

	for (; *s && r == 0; s++) {
		if (*s == '\\')
			r = buf_append_str(out, "\\\\");
		else if (*s == '"')
			r = buf_append_str(out, "\\\"");
		else if (*s == '\n')
			r = buf_append_str(out, "\\n");
		else
			r = buf_putc(out, *s);
	}
	return r;
}

static int ns_counters(struct buf *out, const struct metrics_ns *e)
{
	int r = 0;

	for (int t = 0; t < 3 && r == 0; t++) {
		if (!e->injections[t])
			continue;
		r = buf_append_str(out, "vault_agent_injector_injections_by_namespace_total{"
					"namespace=\"");
		if (r == 0)
			r = label_value(out, e->name);
		if (r == 0)
			r = buf_appendf(out, "\",injection_type=\"%s\"} %" PRIu64 "\n",
					injection_label[t], e->injections[t]);
	}
	return r;
}

static int ns_failures(struct buf *out, const struct metrics_ns *e)
{
	int r;

	if (!e->failures)
		return 0;
	r = buf_append_str(
	    out, "vault_agent_injector_failed_injections_by_namespace_total{namespace=\"");
	if (r == 0)
		r = label_value(out, e->name);
	if (r == 0)
		r = buf_appendf(out, "\"} %" PRIu64 "\n", e->failures);
	return r;
}

int metrics_render(struct metrics *m, struct buf *out)
{
	unsigned long long cum = 0;
	int r;

	r = buf_appendf(out,
			"# HELP vault_agent_injector_request_queue_length Count of webhook "
			"requests in the injector's queue\n"
			"# TYPE vault_agent_injector_request_queue_length gauge\n"
			"vault_agent_injector_request_queue_length %ld\n"
			"# HELP vault_agent_injector_request_processing_duration_ms Webhook "
			"request processing times in milliseconds\n"
			"# TYPE vault_agent_injector_request_processing_duration_ms histogram\n",
			atomic_load(&m->queue));
	for (size_t i = 0; i <= METRICS_NBUCKETS && r == 0; i++) {
		cum += atomic_load(&m->buckets[i]);
		if (i < METRICS_NBUCKETS)
			r = buf_appendf(
			    out,
			    "vault_agent_injector_request_processing_duration_ms_bucket{"
			    "le=\"%u\"} %llu\n",
			    bucket_le[i], cum);
		else
			r = buf_appendf(
			    out,
			    "vault_agent_injector_request_processing_duration_ms_bucket{"
			    "le=\"+Inf\"} %llu\n",
			    cum);
	}
	if (r == 0)
		r = buf_appendf(out,
				"vault_agent_injector_request_processing_duration_ms_sum %llu\n"
				"vault_agent_injector_request_processing_duration_ms_count %llu\n",
				atomic_load(&m->duration_sum_ms), atomic_load(&m->duration_count));
	if (r == 0)
		r = buf_append_str(out, "# HELP vault_agent_injector_injections_by_namespace_total "
					"Total count of Agent Sidecar injections by namespace\n"
					"# TYPE vault_agent_injector_injections_by_namespace_total "
					"counter\n");
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nns && r == 0; i++)
		r = ns_counters(out, &m->ns[i]);
	if (r == 0)
		r = ns_counters(out, &m->other);
	if (r == 0)
		r = buf_append_str(
		    out, "# HELP vault_agent_injector_failed_injections_by_namespace_total "
			 "Total count of failed Agent Sidecar injections by namespace\n"
			 "# TYPE vault_agent_injector_failed_injections_by_namespace_total "
			 "counter\n");
	for (size_t i = 0; i < m->nns && r == 0; i++)
		r = ns_failures(out, &m->ns[i]);
	if (r == 0)
		r = ns_failures(out, &m->other);
	pthread_mutex_unlock(&m->lock);

	if (r == 0)
		r = buf_append_str(out, "# HELP vaultlet_webhook_reviews_total AdmissionReviews "
					"answered, by decision\n"
					"# TYPE vaultlet_webhook_reviews_total counter\n");
	for (int d = 0; d < REVIEW_NDECISIONS && r == 0; d++)
		r = buf_appendf(out, "vaultlet_webhook_reviews_total{decision=\"%s\"} %llu\n",
				review_decision_name((enum review_decision)d),
				atomic_load(&m->reviews[d]));
	if (r == 0)
		r = buf_append_str(out, "# HELP vaultlet_webhook_http_responses_total HTTP "
					"responses, by status code\n"
					"# TYPE vaultlet_webhook_http_responses_total counter\n");
	for (size_t i = 0; i < METRICS_NCODES && r == 0; i++) {
		unsigned long long v = atomic_load(&m->http[i]);

		if (!v)
			continue;
		if (i < METRICS_NCODES - 1)
			r = buf_appendf(out,
					"vaultlet_webhook_http_responses_total{code=\"%u\"} %llu\n",
					http_codes[i], v);
		else
			r = buf_appendf(out,
					"vaultlet_webhook_http_responses_total{code=\"other\"} "
					"%llu\n",
					v);
	}
	if (r == 0)
		r = buf_appendf(
		    out,
		    "# HELP vaultlet_webhook_tls_reloads_total Certificate reloads from "
		    "disk, by result\n"
		    "# TYPE vaultlet_webhook_tls_reloads_total counter\n"
		    "vaultlet_webhook_tls_reloads_total{result=\"success\"} %llu\n"
		    "vaultlet_webhook_tls_reloads_total{result=\"failure\"} %llu\n"
		    "# HELP vaultlet_webhook_tls_certificate_not_after_seconds Expiry "
		    "of the served certificate (Unix time)\n"
		    "# TYPE vaultlet_webhook_tls_certificate_not_after_seconds gauge\n"
		    "vaultlet_webhook_tls_certificate_not_after_seconds %lld\n"
		    "# HELP vaultlet_webhook_ready 1 while serving, 0 while shutting "
		    "down\n"
		    "# TYPE vaultlet_webhook_ready gauge\n"
		    "vaultlet_webhook_ready %d\n",
		    atomic_load(&m->tls_reload_ok), atomic_load(&m->tls_reload_failed),
		    (long long)atomic_load(&m->tls_not_after), atomic_load(&m->ready) ? 1 : 0);
	return r;
}
