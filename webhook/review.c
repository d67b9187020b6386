/* SPDX-License-Identifier: MIT */
/*
 * review: AdmissionReview in, AdmissionReview out (see review.h).
 *
 * The decision follows the stock Handler.Mutate and ShouldInject, in this
 * order: the pod must parse; agent-inject must be present and true (an
 * invalid value denies); the phase must be empty or Pending; the status
 * must not be "injected"; the namespace must not be kube-system or
 * kube-public (deny); then agentspec_build (deny on a bad annotation),
 * the template check, and the patch. Anything the stock handler would
 * have crashed on or answered with HTTP 500 (no request, undecodable
 * review) is a 400 here, so the API server sees a definite answer.
 *
 * jansson allocates the review's tree from the review's arena: a pod is a
 * few hundred small objects and strings, and malloc/free for each was a
 * sixth of the work of an allowed review. jansson's allocator hooks are
 * process-wide, so they consult a thread-local arena, set only while
 * review_handle runs; everywhere else jansson gets malloc and free. Nothing
 * jansson allocates inside review_handle outlives the arena (the tree is
 * never decref'd: it goes with the arena), and the arena's cap, and the
 * budget the server's arenas share, bound what a hostile review can make
 * the parser allocate.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "goparse.h"
#include "inject.h"
#include "jw.h"
#include "pod.h"
#include "review.h"
#include "tmplcheck.h"

#define API_V1	    "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

const char *review_decision_name(enum review_decision d)
{
	switch (d) {
	case REVIEW_BAD_REQUEST:
		return "bad-request";
	case REVIEW_SKIPPED:
		return "skipped";
	case REVIEW_INJECTED:
		return "injected";
	case REVIEW_DENIED:
		return "denied";
	}
	return "?";
}

static _Thread_local struct arena *json_arena;
static _Thread_local bool json_arena_full;

static void *json_alloc(size_t n)
{
	void *p;

	if (!json_arena)
		return malloc(n);
	p = arena_alloc_uninit(json_arena, n);
	if (!p)
		json_arena_full = true;
	return p;
}

static void json_free(void *p)
{
	if (!json_arena)
		free(p);
	/* else: it goes with the arena */
}

static void install_json_alloc(void)
{
	json_set_alloc_funcs(json_alloc, json_free);
}

struct rctx {
	const struct inject_defaults *d;
	struct arena *a;
	struct review_result *res;
	const char *api_version;
	const char *uid;
};

/* A one-line text/plain answer: 400, or 503 when the server is out of room. */
static int plain_answer(struct rctx *c, int status, const char *reason)
{
	struct buf b;
	int r;

	c->res->http_status = status;
	c->res->decision = REVIEW_BAD_REQUEST;
	snprintf(c->res->reason_buf, sizeof(c->res->reason_buf), "%s",
		 reason ? reason : "bad request");
	c->res->reason = c->res->reason_buf;
	buf_init(&b, 4096);
	r = buf_appendf(&b, "%.4000s\n", reason ? reason : "bad request");
	/* one line: whatever the reason quotes from the body, no control bytes */
	for (size_t i = 0; r == 0 && i + 1 < b.len; i++) {
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = ' ';
	}
	if (r == 0) {
		c->res->body = buf_take(&b, &c->res->body_len);
		r = c->res->body ? 0 : -ENOMEM;
	}
	buf_done(&b);
	return r;
}

static int bad_request(struct rctx *c, const char *reason)
{
	return plain_answer(c, 400, reason);
}

/* The AdmissionReview response; patch may be NULL, message is set for a denial. */
static int respond(struct rctx *c, bool allowed, const struct buf *patch, const char *message,
		   const struct agentspec *spec)
{
	struct buf out;
	struct jw w;
	int r;

	buf_init(&out, REVIEW_RESPONSE_MAX);
	jw_init(&w, &out);
	jw_object_open(&w);
	jw_kv_string(&w, "kind", "AdmissionReview");
	jw_kv_string(&w, "apiVersion", c->api_version);
	jw_key(&w, "response");
	jw_object_open(&w);
	jw_kv_string(&w, "uid", c->uid);
	jw_kv_bool(&w, "allowed", allowed);
	if (message) {
		jw_key(&w, "status");
		jw_object_open(&w);
		jw_kv_string(&w, "message", message);
		jw_object_close(&w);
	}
	if (patch) {
		r = buf_reserve(&out, b64_encoded_len(patch->len) + 1024);
		if (r < 0)
			goto out;
		jw_key(&w, "patch");
		jw_base64_string(&w, patch->data, patch->len);
		jw_kv_string(&w, "patchType", "JSONPatch");
	}
	if (spec && (spec->nwarnings || spec->warnings_dropped)) {
		jw_key(&w, "warnings");
		jw_array_open(&w);
		for (size_t i = 0; i < spec->nwarnings; i++)
			jw_string(&w, spec->warnings[i]);
		if (spec->warnings_dropped) {
			char more[64];

			snprintf(more, sizeof(more), "%zu more warnings were left out",
				 spec->warnings_dropped);
			jw_string(&w, more);
		}
		jw_array_close(&w);
		c->res->nwarnings = spec->nwarnings + (spec->warnings_dropped ? 1 : 0);
	}
	jw_object_close(&w);
	jw_object_close(&w);
	r = jw_finish(&w);
	if (r < 0)
		goto out;
	c->res->http_status = 200;
	c->res->body = buf_take(&out, &c->res->body_len);
	r = c->res->body ? 0 : -ENOMEM;
out:
	buf_done(&out);
	return r;
}

static int skip(struct rctx *c, const char *reason)
{
	c->res->decision = REVIEW_SKIPPED;
	c->res->reason = reason ? reason : "skipped";
	return respond(c, true, NULL, NULL, NULL);
}

static int deny(struct rctx *c, const char *message)
{
	c->res->decision = REVIEW_DENIED;
	c->res->reason = message ? message : "denied";
	return respond(c, false, NULL, c->res->reason, NULL);
}

/* Optional string member: "" when absent or null; -EINVAL when another type. */
static int opt_string(json_t *obj, const char *key, const char **ret)
{
	json_t *v = json_object_get(obj, key);

	*ret = "";
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*ret = json_string_value(v);
	return 0;
}

bool review_namespace_ok(const char *ns)
{
	size_t n = strlen(ns);

	if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') ||
		      ns[i] == '-'))
			return false;
	}
	return true;
}

static int decide(struct rctx *c, json_t *req)
{
	struct review_result *res = c->res;
	const char *ns, *op, *kind = "", *msg = NULL, *inject, *status;
	json_t *kobj, *obj;
	struct pod pod;
	struct agentspec spec;
	struct buf patch;
	bool yes;
	int r;

	if (opt_string(req, "namespace", &ns) < 0)
		return bad_request(c, "request.namespace is not a string");
	if (opt_string(req, "operation", &op) < 0)
		return bad_request(c, "request.operation is not a string");
	if (ns[0] && !review_namespace_ok(ns))
		return bad_request(c,
				   arena_printf(c->a,
						"request.namespace \"%.63s%s\" is not a namespace "
						"name (a DNS-1123 label: at most 63 lowercase "
						"letters, digits and '-')",
						ns, strlen(ns) > 63 ? "..." : ""));
	res->namespace_ = ns;
	res->dry_run = json_is_true(json_object_get(req, "dryRun"));
	kobj = json_object_get(req, "kind");
	if (json_is_object(kobj) && opt_string(kobj, "kind", &kind) < 0)
		return bad_request(c, "request.kind.kind is not a string");

	obj = json_object_get(req, "object");
	if (!obj || json_is_null(obj))
		return skip(c, "the request has no object");
	if (kind[0] && strcmp(kind, "Pod") != 0)
		return skip(c, arena_printf(c->a, "not a pod (kind %s)", kind));
	if (op[0] && strcmp(op, "CREATE") != 0)
		return skip(c, arena_printf(c->a, "operation %s (only CREATE is mutated)", op));

	r = pod_view(obj, c->a, &pod, &msg);
	if (r == -EINVAL)
		return deny(c, msg);
	if (r < 0)
		return r;
	res->pod = pod.name[0] ? pod.name : pod.generate_name;

	/* ShouldInject */
	inject = pod_annotation(&pod, ANNOTATION_PREFIX "agent-inject");
	if (!inject)
		return skip(c, "no " ANNOTATION_PREFIX "agent-inject annotation");
	if (!goparse_bool(inject, &yes))
		return deny(c,
			    arena_printf(c->a,
					 "error checking if should inject agent: " ANNOTATION_PREFIX
					 "agent-inject: invalid boolean \"%s\" (use true or false)",
					 inject));
	if (!yes)
		return skip(c, "agent-inject is false");
	if (pod.phase[0] && strcmp(pod.phase, "Pending") != 0)
		return skip(c, arena_printf(c->a, "the pod is past Pending (phase %s)", pod.phase));
	status = pod_annotation(&pod, ANNOTATION_PREFIX "agent-inject-status");
	if (status && strcmp(status, "injected") == 0)
		return skip(c, "already injected (agent-inject-status: injected)");
	if (strcmp(ns, "kube-system") == 0 || strcmp(ns, "kube-public") == 0)
		return deny(c,
			    arena_printf(c->a,
					 "error with request namespace: cannot inject into system "
					 "namespaces: %s",
					 ns));

	r = pod_check_limits(&pod, c->a, &msg);
	if (r == -EINVAL)
		return deny(c, msg);
	if (r < 0)
		return r;
	r = agentspec_build(c->d, &pod, ns, c->a, &spec, &msg);
	if (r == -EINVAL)
		return deny(c, msg);
	if (r == -E2BIG)
		return deny(c, "error creating new agent sidecar: the pod's annotations are too "
			       "large");
	if (r < 0)
		return r;
	r = tmplcheck_secrets(&spec, c->a, c->d->tmpl_cache, &msg);
	if (r == -EINVAL)
		return deny(c, msg);
	if (r < 0)
		return r;

	buf_init(&patch, INJECT_PATCH_MAX);
	r = inject_patch(c->d, &spec, c->a, &patch, &msg);
	if (r == -EINVAL) {
		r = deny(c, msg);
		goto out;
	}
	if (r == -E2BIG) {
		r = deny(c, "error creating patch for agent: the patch is larger than 1 MiB");
		goto out;
	}
	if (r < 0)
		goto out;
	res->decision = REVIEW_INJECTED;
	res->injected_init = spec.pre_populate && !spec.native_sidecar;
	res->injected_sidecar = !spec.pre_populate_only;
	res->reason = arena_printf(c->a, "injected %s, %zu secret%s",
				   spec.native_sidecar	    ? "native sidecar"
				   : !spec.pre_populate	    ? "sidecar only"
				   : spec.pre_populate_only ? "init only"
							    : "init and sidecar",
				   spec.nsecrets, spec.nsecrets == 1 ? "" : "s");
	if (!res->reason)
		res->reason = "injected";
	r = respond(c, true, &patch, NULL, &spec);
out:
	buf_done(&patch);
	return r;
}

int review_handle(const struct inject_defaults *d, const char *body, size_t len, struct arena *a,
		  struct review_result *ret)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct rctx c = { .d = d, .a = a, .res = ret, .api_version = API_V1, .uid = "" };
	json_error_t jerr;
	json_t *root = NULL, *req, *v;
	const char *s;
	int r;

	*ret = (struct review_result){ .reason = "", .namespace_ = "", .pod = "", .uid = "" };
	if (len == 0)
		return bad_request(&c, "empty request body");
	pthread_once(&once, install_json_alloc);
	json_arena = a;
	json_arena_full = false;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root && json_arena_full && a->over_budget) {
		r = plain_answer(&c, 503,
				 "server busy: reviews being parsed hold all the memory set aside "
				 "for them; retry");
		goto out;
	}
	if (!root && json_arena_full) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "the review is too large to parse: its JSON tree would need more than "
			 "%zu MiB (a pod is usually a few KiB)",
			 (a->max ? a->max : ARENA_MAX) >> 20);
		r = bad_request(&c, msg);
		goto out;
	}
	if (!root) {
		r = bad_request(&c, arena_printf(a, "malformed JSON at line %d, column %d: %s",
						 jerr.line, jerr.column, jerr.text));
		goto out;
	}
	if (!json_is_object(root)) {
		r = bad_request(&c, "the body is not a JSON object (expected an AdmissionReview)");
		goto out;
	}
	if (opt_string(root, "apiVersion", &s) < 0) {
		r = bad_request(&c, "apiVersion is not a string");
		goto out;
	}
	if (strcmp(s, API_V1BETA1) == 0) {
		c.api_version = API_V1BETA1;
	} else if (s[0] && strcmp(s, API_V1) != 0) {
		r = bad_request(&c,
				arena_printf(a,
					     "unsupported apiVersion \"%.100s\" (expected " API_V1
					     " or " API_V1BETA1 ")",
					     s));
		goto out;
	}
	if (opt_string(root, "kind", &s) < 0 || (s[0] && strcmp(s, "AdmissionReview") != 0)) {
		r = bad_request(&c, "kind is not AdmissionReview");
		goto out;
	}
	req = json_object_get(root, "request");
	if (!json_is_object(req)) {
		r = bad_request(&c, "the AdmissionReview has no request object");
		goto out;
	}
	v = json_object_get(req, "uid");
	if (v && !json_is_null(v) && !json_is_string(v)) {
		r = bad_request(&c, "request.uid is not a string");
		goto out;
	}
	if (json_is_string(v)) {
		c.uid = json_string_value(v);
		ret->uid = c.uid;
	}
	/* uid, namespace and pod point into the tree, which lives as long as the arena */
	r = decide(&c, req);
out:
	/*
	 * No json_decref(root): every byte of the tree is in the arena and goes
	 * with it, so the walk would free nothing (it was ~7k instructions and
	 * a second pass over the whole tree for every review).
	 */
	json_arena = NULL;
	/*
	 * Memory that ran out after the parse: the same answers as during it
	 * (503 when the reviews share no more, the review's own cap otherwise),
	 * never a bare failure the server could only answer with 500.
	 */
	if ((r == -ENOMEM || r == -E2BIG) && a->over_budget) {
		free(ret->body);
		ret->body = NULL;
		r = plain_answer(&c, 503,
				 "server busy: reviews being handled hold all the memory set aside "
				 "for them; retry");
	} else if ((r == -ENOMEM || r == -E2BIG) && a->over_cap) {
		char msg[160];

		free(ret->body);
		ret->body = NULL;
		snprintf(msg, sizeof(msg),
			 "the review needs more than %zu KiB of memory to decide (a pod is usually "
			 "a few KiB): make the pod smaller",
			 (a->max ? a->max : ARENA_MAX) >> 10);
		r = plain_answer(&c, 413, msg);
	}
	if (r < 0) {
		free(ret->body);
		ret->body = NULL;
	}
	return r;
}
