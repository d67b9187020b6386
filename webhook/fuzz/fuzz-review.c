/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the webhook's review-to-patch path (libFuzzer, or the
 * replay driver in replay.c for plain builds).
 *
 * The first byte picks the mode:
 *   even  the rest is an AdmissionReview body, as POST /mutate receives it;
 *   odd   the rest is NUL-separated annotation key/value pairs, placed on a
 *         fixed, valid pod with agent-inject true (so the mutations land in
 *         the annotation parser and the patch builder, not in JSON syntax).
 * Whatever the input, review_handle() must not crash, leak or hang, and a
 * 200 answer must be a JSON AdmissionReview whose patch (if any) is
 * standard base64 of a JSON array of add ops: anything else aborts.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "review.h"
#include "tmplcheck.h"
#include "whconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

/* The injector's own defaults (whconfig), with the memo of template checks. */
static const struct inject_defaults *fuzz_defaults(void)
{
	static char *argv[] = { "-vault-address", "https://vault.vault.svc:8200" };
	static struct whconfig c;
	static bool ready;
	struct buf err;
	int argi;

	if (!ready) {
		buf_init(&err, 512);
		if (whconfig_parse(&c, 2, argv, no_env, &argi, &err, NULL) < 0)
			abort();
		buf_done(&err);
		/* the memo lives for the whole run, so it is exercised too */
		c.defaults.tmpl_cache = tmplcheck_cache_new();
		if (!c.defaults.tmpl_cache)
			abort();
		ready = true;
	}
	return &c.defaults;
}

static const char pod_template[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"fuzz\",\"namespace\":\"fuzz\",\"operation\":\"CREATE\",\"object\":{"
    "\"metadata\":{\"generateName\":\"app-\"},\"spec\":{"
    "\"initContainers\":[{\"name\":\"init\",\"volumeMounts\":[{\"name\":\"cfg\","
    "\"mountPath\":\"/cfg\"}]}],"
    "\"containers\":[{\"name\":\"app\",\"securityContext\":{\"runAsUser\":1000},"
    "\"volumeMounts\":[{\"name\":\"kube-api-access-1\",\"readOnly\":true,\"mountPath\":"
    "\"/var/run/secrets/kubernetes.io/serviceaccount\"},{\"name\":\"cfg\",\"mountPath\":"
    "\"/etc/app\"}]},{\"name\":\"web\"}],"
    "\"volumes\":[{\"name\":\"cfg\",\"emptyDir\":{}},{\"name\":\"kube-api-access-1\","
    "\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}}]}},"
    "{\"name\":\"tok\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":"
    "\"vault-token\"}}]}}]}}}}";

/* A review whose pod carries the fuzzer's annotations; NULL when they are not strings. */
static char *annotated_review(const uint8_t *data, size_t size, size_t *ret_len)
{
	json_t *root = json_loads(pod_template, 0, NULL), *ann = json_object();
	const char *p = (const char *)data, *end = p + size;
	char *out = NULL;

	if (!root || !ann)
		abort();
	json_object_set_new(ann, "vault.hashicorp.com/agent-inject", json_string("true"));
	json_object_set_new(ann, "vault.hashicorp.com/role", json_string("app"));
	while (p < end) {
		const char *k = p, *kend = memchr(p, '\0', (size_t)(end - p)), *v, *vend;

		if (!kend)
			break;
		v = kend + 1;
		vend = v < end ? memchr(v, '\0', (size_t)(end - v)) : NULL;
		if (!vend)
			vend = end;
		/* invalid UTF-8 is refused by jansson; the API server only sends UTF-8 */
		json_object_setn_new(ann, k, (size_t)(kend - k),
				     json_stringn(v, (size_t)(vend - v)));
		p = vend + 1;
	}
	json_object_set_new(
	    json_object_get(json_object_get(json_object_get(root, "request"), "object"),
			    "metadata"),
	    "annotations", ann);
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (out)
		*ret_len = strlen(out);
	return out;
}

static void check_response(const struct review_result *res)
{
	json_t *root, *resp, *patch, *ops, *op;
	json_error_t e;
	struct buf raw;
	size_t i;

	if (res->http_status == 400) {
		if (res->decision != REVIEW_BAD_REQUEST || !res->body_len ||
		    res->body[res->body_len - 1] != '\n' ||
		    memchr(res->body, '\n', res->body_len) != res->body + res->body_len - 1)
			abort();
		return;
	}
	if (res->http_status != 200)
		abort();
	root = json_loadb(res->body, res->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!root)
		abort();
	resp = json_object_get(root, "response");
	if (!json_is_object(resp) || !json_is_boolean(json_object_get(resp, "allowed")))
		abort();
	patch = json_object_get(resp, "patch");
	if ((res->decision == REVIEW_INJECTED) != (patch != NULL))
		abort();
	if (patch) {
		buf_init(&raw, REVIEW_RESPONSE_MAX);
		if (!json_is_string(patch) ||
		    b64_decode(json_string_value(patch), json_string_length(patch), B64_STD,
			       B64_STRICT, &raw, NULL) < 0)
			abort();
		ops = json_loadb(buf_str(&raw), raw.len, JSON_REJECT_DUPLICATES, &e);
		if (!json_is_array(ops) || json_array_size(ops) == 0)
			abort();
		json_array_foreach(ops, i, op)
		{
			const char *o = json_string_value(json_object_get(op, "op"));
			const char *path = json_string_value(json_object_get(op, "path"));

			if (!o || strcmp(o, "add") != 0 || !path || path[0] != '/' ||
			    !json_object_get(op, "value"))
				abort();
		}
		json_decref(ops);
		buf_done(&raw);
	}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct review_result res;
	struct arena a;
	char *body = NULL;
	size_t len = 0;
	int r;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		body = annotated_review(data + 1, size - 1, &len);
		if (!body)
			return 0;
	}
	arena_init(&a);
	r = review_handle(fuzz_defaults(), body ? body : (const char *)data + 1,
			  body ? len : size - 1, &a, &res);
	if (r == 0) {
		check_response(&res);
		free(res.body);
	} else if (r != -ENOMEM) {
		abort();
	}
	arena_done(&a);
	free(body);
	return 0;
}
