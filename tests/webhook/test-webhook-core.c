/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the webhook's pure modules: the Go-compatible JSON writer
 * (jw) and path functions (gopath) against rows produced by Go
 * (tests/data/webhook/gojson.txt, re-checked by tables_check.go), the
 * writer's misuse and cap errors, flag/env parsing (whconfig: the stock
 * precedence, validation), the metrics text, the arena, and the review
 * core's HTTP-level answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gopath.h"
#include "jw.h"
#include "metrics.h"
#include "pod.h"
#include "agentspec.h"
#include "review.h"
#include "tdata.h"
#include "whconfig.h"

/* ---- rows from Go ---- */

static void test_gojson_row(void **state)
{
	const struct tdata_row *row = *state;
	struct arena a;
	struct buf out;

	arena_init(&a);
	buf_init(&out, 4096);
	if (tdata_is(row, 0, "clean")) {
		assert_string_equal(gopath_clean(&a, row->tok[1]), row->tok[2]);
	} else if (tdata_is(row, 0, "join")) {
		assert_string_equal(gopath_join(&a, row->tok[1], row->tok[2]), row->tok[3]);
	} else if (tdata_is(row, 0, "float")) {
		char f[32];

		assert_true(jw_format_float(strtod(row->tok[1], NULL), f));
		assert_string_equal(f, row->tok[2]);
	} else if (tdata_is(row, 0, "escape")) {
		assert_int_equal(jw_escape(&out, row->tok[1], row->len[1]), 0);
		assert_int_equal(out.len, row->len[2]);
		assert_memory_equal(buf_str(&out), row->tok[2], row->len[2]);
	} else {
		fail_msg("unknown row kind %s", row->tok[0]);
	}
	buf_done(&out);
	arena_done(&a);
}

static void test_tables_sorted(void **state)
{
	(void)state;
	assert_true(agentspec_tables_sorted());
}

static void test_dotdot(void **state)
{
	(void)state;
	assert_true(gopath_has_dotdot(".."));
	assert_true(gopath_has_dotdot("a/../b"));
	assert_true(gopath_has_dotdot("/../x"));
	assert_true(gopath_has_dotdot("x/.."));
	assert_false(gopath_has_dotdot("..."));
	assert_false(gopath_has_dotdot("a..b/c"));
	assert_false(gopath_has_dotdot("/special/volume/foofile"));
	assert_false(gopath_has_dotdot(""));
}

/* ---- the writer ---- */

static void test_jw_document(void **state)
{
	struct buf out;
	struct jw w;

	(void)state;
	buf_init(&out, 1024);
	jw_init(&w, &out);
	jw_object_open(&w);
	jw_kv_string(&w, "a", "x<y");
	jw_key(&w, "b");
	jw_array_open(&w);
	jw_int(&w, -3);
	jw_bool(&w, false);
	jw_null(&w);
	jw_float(&w, 0.75);
	jw_object_open(&w);
	jw_object_close(&w);
	jw_array_close(&w);
	jw_kv_bool(&w, "c", true);
	JW_ENCODED_MEMBERS(&w, "\"d\":[1],\"e\":{}");
	jw_key(&w, "f");
	jw_array_open(&w);
	JW_ENCODED(&w, "{\"g\":2}");
	JW_ENCODED(&w, "3");
	jw_array_close(&w);
	jw_object_close(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(buf_str(&out), "{\"a\":\"x\\u003cy\",\"b\":[-3,false,null,0.75,{}],"
					   "\"c\":true,\"d\":[1],\"e\":{},\"f\":[{\"g\":2},3]}");
	buf_done(&out);
}

/*
 * Every byte class that changes the output, at every position of strings
 * of every length up to 40, as a value and as a key: the writer scans 16,
 * 8 or 4 bytes at a time with overlapping reads, and a slip at one length
 * or position would let a byte through unescaped. The expected text comes
 * from a byte-at-a-time reference written from Go's rules.
 */
static const char *jw_ref_escape(unsigned char c, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '<':
	case '>':
	case '&':
	case 0x01:
		snprintf(tmp, 8, "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
		return tmp;
	case 0xff:
		return "\\ufffd"; /* a lone invalid byte */
	default:
		tmp[0] = (char)c;
		tmp[1] = '\0';
		return tmp;
	}
}

static void test_jw_escape_positions(void **state)
{
	static const unsigned char special[] = { '"', '\\', '\n', '<', '>', '&', 0x01, 0x7f, 0xff };
	struct buf out, ref, want;
	char in[48], tmp[8];
	struct jw w;

	(void)state;
	buf_init(&out, 1024);
	buf_init(&ref, 1024);
	buf_init(&want, 1024);
	for (size_t n = 1; n <= 40; n++) {
		for (size_t p = 0; p < n; p++) {
			for (size_t k = 0; k < sizeof(special); k++) {
				memset(in, 'a', n);
				in[p] = (char)special[k];
				buf_reset(&ref);
				for (size_t i = 0; i < n; i++) {
					const char *e = jw_ref_escape((unsigned char)in[i], tmp);

					assert_int_equal(buf_append_str(&ref, e), 0);
				}
				buf_setf(&want, "{\"%s\":\"%s\"}", buf_str(&ref), buf_str(&ref));

				buf_reset(&out);
				jw_init(&w, &out);
				jw_object_open(&w);
				jw_keyn(&w, in, n);
				jw_stringn(&w, in, n);
				jw_object_close(&w);
				assert_int_equal(jw_finish(&w), 0);
				assert_string_equal(buf_str(&out), buf_str(&want));
			}
		}
	}
	buf_done(&out);
	buf_done(&ref);
	buf_done(&want);
}

static void test_jw_misuse(void **state)
{
	struct buf out;
	struct jw w;

	(void)state;
	buf_init(&out, 1024);
	jw_init(&w, &out);
	jw_object_open(&w);
	jw_string(&w, "value without a key");
	jw_object_close(&w);
	assert_int_equal(jw_finish(&w), -EINVAL);

	buf_reset(&out);
	jw_init(&w, &out);
	jw_array_open(&w);
	assert_int_equal(jw_finish(&w), -EINVAL); /* unclosed */

	buf_reset(&out);
	jw_init(&w, &out);
	jw_array_open(&w);
	jw_object_close(&w); /* wrong closer */
	assert_int_equal(jw_finish(&w), -EINVAL);

	buf_reset(&out);
	jw_init(&w, &out);
	jw_int(&w, 1);
	jw_int(&w, 2); /* two top-level values */
	assert_int_equal(jw_finish(&w), -EINVAL);

	buf_reset(&out);
	jw_init(&w, &out);
	jw_array_open(&w);
	JW_ENCODED_MEMBERS(&w, "\"a\":1"); /* members outside an object */
	assert_int_equal(jw_finish(&w), -EINVAL);

	buf_reset(&out);
	jw_init(&w, &out);
	for (int i = 0; i <= JW_MAX_DEPTH; i++)
		jw_array_open(&w);
	assert_int_equal(jw_finish(&w), -E2BIG);
	buf_done(&out);

	buf_init(&out, 8);
	jw_init(&w, &out);
	jw_string(&w, "longer than eight bytes");
	assert_int_equal(jw_finish(&w), -E2BIG);
	buf_done(&out);

	buf_init(&out, 64);
	jw_init(&w, &out);
	jw_float(&w, 1.0 / 0.0);
	assert_int_equal(jw_finish(&w), -EINVAL);
	buf_done(&out);
}

/* ---- flags and environment ---- */

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2) {
		if (strcmp(e[0], name) == 0)
			return e[1];
	}
	return NULL;
}

static int parse(struct whconfig *c, const char *const *env, int argc, const char **argv,
		 struct buf *err, int *argi)
{
	fake_env = env;
	return whconfig_parse(c, argc, (char **)argv, fake_getenv, argi, err, NULL);
}

static void test_whconfig_defaults(void **state)
{
	static const char *argv[] = { "-vault-address", "https://v:8200", "file.json" };
	struct whconfig c;
	struct buf err;
	int argi = -1;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, NULL, 3, argv, &err, &argi), 0);
	assert_int_equal(argi, 2);
	assert_string_equal(c.value[WH_LISTEN], ":8080");
	assert_string_equal(c.defaults.vault_address, "https://v:8200");
	assert_string_equal(c.defaults.auth_path, "auth/kubernetes");
	assert_string_equal(c.defaults.cpu_request, "250m");
	assert_string_equal(c.defaults.mem_limit, "128Mi");
	assert_string_equal(c.defaults.run_as_user, "100");
	assert_true(c.defaults.set_security_context);
	assert_true(c.defaults.exit_on_retry_failure);
	assert_false(c.defaults.revoke_on_shutdown);
	assert_int_equal(c.connection_timeout_s, 120);
	assert_int_equal(c.max_body, 4194304);
	assert_false(c.tls13_only);
	whconfig_done(&c);
	buf_done(&err);
}

static void test_whconfig_flag_forms(void **state)
{
	static const char *argv[] = { "--vault-address=https://a",
				      "-revoke-on-shutdown",
				      "-set-security-context=false",
				      "--cpu-limit",
				      "",
				      "-listen",
				      "127.0.0.1:0",
				      "--",
				      "-notaflag" };
	struct whconfig c;
	struct buf err;
	int argi = -1;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, NULL, 9, argv, &err, &argi), 0);
	assert_int_equal(argi, 8);
	assert_string_equal(c.defaults.vault_address, "https://a");
	assert_true(c.defaults.revoke_on_shutdown);
	assert_false(c.defaults.set_security_context);
	assert_string_equal(c.defaults.cpu_limit, "");
	assert_string_equal(c.value[WH_LISTEN], "127.0.0.1:0");
	whconfig_done(&c);
	buf_done(&err);
}

/* Agent resource defaults are kept canonical: agentspec copies them as they are. */
static void test_whconfig_quantities_canonical(void **state)
{
	static const char *argv[] = { "-vault-address", "https://v", "-cpu-request", "0.25" };
	static const char *const env[] = { "AGENT_INJECT_MEM_LIMIT", "0.5Gi", NULL };
	struct whconfig c;
	struct buf err;
	int argi = -1;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, env, 4, argv, &err, &argi), 0);
	assert_string_equal(c.defaults.cpu_request, "250m");
	assert_string_equal(c.defaults.mem_limit, "512Mi");
	whconfig_done(&c);
	buf_done(&err);
}

static void test_whconfig_env_wins(void **state)
{
	static const char *argv[] = { "-vault-address", "https://flag",	 "-vault-image",
				      "flag",		"-memory-limit", "1Gi" };
	static const char *const env[] = { "AGENT_INJECT_VAULT_ADDR",
					   "https://env",
					   "AGENT_INJECT_VAULT_IMAGE",
					   "",
					   "AGENT_INJECT_REVOKE_ON_SHUTDOWN",
					   "T",
					   "AGENT_INJECT_MEM_LIMIT",
					   "256Mi",
					   "VAULTLET_WEBHOOK_MAX_CONNECTIONS",
					   "3",
					   "AGENT_INJECT_TLS_MIN_VERSION",
					   "tls13",
					   NULL };
	struct whconfig c;
	struct buf err;
	int argi;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, env, 6, argv, &err, &argi), 0);
	/* set and non-empty: the environment wins over the flag (stock parseEnvs) */
	assert_string_equal(c.defaults.vault_address, "https://env");
	/* set but empty: the flag stays */
	assert_string_equal(c.defaults.vault_image, "flag");
	assert_true(c.defaults.revoke_on_shutdown);
	assert_string_equal(c.defaults.mem_limit, "256Mi");
	assert_int_equal(c.max_connections, 3);
	assert_true(c.tls13_only);
	whconfig_done(&c);
	buf_done(&err);
}

static void expect_error(const char *const *env, int argc, const char **argv, const char *needle)
{
	struct whconfig c;
	struct buf err;
	int argi;

	buf_init(&err, 512);
	assert_int_equal(parse(&c, env, argc, argv, &err, &argi), -EINVAL);
	if (!strstr(buf_str(&err), needle))
		fail_msg("error \"%s\" lacks \"%s\"", buf_str(&err), needle);
	whconfig_done(&c);
	buf_done(&err);
}

/* The memory budgets come from one limit: a quarter each for bodies and reviews. */
static void test_whconfig_memory_limit(void **state)
{
	static const char *dflt[] = { "-vault-address", "x" };
	static const char *mi[] = { "-vault-address", "x", "-webhook-memory-limit", "256Mi" };
	static const char *env[] = { "VAULTLET_WEBHOOK_MEMORY_LIMIT", "67108864", NULL };
	static const char *small[] = { "-vault-address", "x", "-webhook-memory-limit", "8Mi" };
	static const char *bad[] = { "-vault-address", "x", "-webhook-memory-limit", "64MB" };
	struct whconfig c;
	struct buf err;
	int argi;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, NULL, 2, dflt, &err, &argi), 0);
	assert_int_equal(c.memory_limit, 64u << 20);
	assert_int_equal(c.body_budget, 16u << 20);
	assert_int_equal(c.review_budget, 16u << 20);
	whconfig_done(&c);
	assert_int_equal(parse(&c, NULL, 4, mi, &err, &argi), 0);
	assert_int_equal(c.body_budget, 64u << 20);
	whconfig_done(&c);
	assert_int_equal(parse(&c, env, 2, dflt, &err, &argi), 0);
	assert_int_equal(c.review_budget, 16u << 20);
	whconfig_done(&c);
	buf_done(&err);
	/* 8Mi leaves 2 MiB for bodies: the default 4 MiB cap does not fit */
	expect_error(NULL, 4, small,
		     "-max-body-bytes 4194304 does not fit in the memory limit 8Mi");
	expect_error(NULL, 4, bad, "\"64MB\" is not a memory size");
}

static void test_whconfig_errors(void **state)
{
	static const char *none[] = { "-listen", ":1" };
	static const char *unknown[] = { "-vault-address", "x", "-nope" };
	static const char *missing_arg[] = { "-vault-address" };
	static const char *bad_bool[] = { "-vault-address", "x", "-revoke-on-shutdown=yes" };
	static const char *bad_q[] = { "-vault-address", "x", "-memory-limit", "128mb" };
	static const char *bad_tmpl[] = { "-vault-address", "x", "-default-template", "MAP" };
	static const char *bad_tls[] = { "-vault-address", "x", "-tls-min-version", "tls11" };
	static const char *bad_level[] = { "-vault-address", "x", "-log-level", "loud" };
	static const char *bad_backoff[] = { "-vault-address", "x", "-auth-min-backoff", "1" };
	static const char *aws[] = { "-vault-address", "x", "-vault-auth-type", "aws" };
	static const char *ok[] = { "-vault-address", "x" };
	static const char *const bad_env_bool[] = { "AGENT_INJECT_SET_SECURITY_CONTEXT", "tRuE",
						    NULL };
	static const char *const bad_env_lease[] = {
		"AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD", "one-third", NULL
	};
	/* what an annotation would be denied for stops the webhook at start instead */
	static const char *const tab_lease[] = { "AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD",
						 "\t0.5", NULL };
	static const char *const tiny_lease[] = { "AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD",
						  "1e-400", NULL };
	static const char *huge_interval[] = { "-vault-address", "x",
					       "-template-static-secret-render-interval",
					       "9999999999999" };

	(void)state;
	expect_error(NULL, 2, none, "No Vault service configured");
	expect_error(NULL, 3, unknown, "flag provided but not defined: -nope");
	expect_error(NULL, 1, missing_arg, "flag needs an argument");
	expect_error(NULL, 3, bad_bool, "invalid boolean");
	expect_error(NULL, 4, bad_q, "not a Kubernetes quantity");
	expect_error(NULL, 4, bad_tmpl, "Invalid default flag type");
	expect_error(NULL, 4, bad_tls, "unsupported TLS version");
	expect_error(NULL, 4, bad_level, "unknown log level");
	expect_error(NULL, 4, bad_backoff, "invalid duration");
	expect_error(NULL, 4, aws, "only kubernetes");
	expect_error(bad_env_bool, 2, ok, "AGENT_INJECT_SET_SECURITY_CONTEXT");
	expect_error(bad_env_lease, 2, ok, "between 0 and 1");
	expect_error(tab_lease, 2, ok, "between 0 and 1");
	expect_error(tiny_lease, 2, ok, "between 0 and 1");
	expect_error(NULL, 4, huge_interval, "not a positive duration");
}

static void test_whconfig_help_and_cacert(void **state)
{
	static const char *help[] = { "-h" };
	static const char *pem64[] = {
		"-vault-address", "x", "-vault-cacert-bytes",
		"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFCQwotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="
	};
	static const char *pem[] = { "-vault-address", "x", "-vault-cacert-bytes",
				     "-----BEGIN CERTIFICATE-----\nABC\n" };
	struct whconfig c;
	struct buf err;
	int argi;

	(void)state;
	buf_init(&err, 512);
	assert_int_equal(parse(&c, NULL, 1, help, &err, &argi), 1);
	whconfig_done(&c);
	assert_int_equal(parse(&c, NULL, 4, pem64, &err, &argi), 0);
	assert_string_equal(c.defaults.vault_cacert_bytes,
			    "-----BEGIN CERTIFICATE-----\nABC\n-----END CERTIFICATE-----\n");
	whconfig_done(&c);
	assert_int_equal(parse(&c, NULL, 4, pem, &err, &argi), 0);
	assert_string_equal(c.defaults.vault_cacert_bytes, "-----BEGIN CERTIFICATE-----\nABC\n");
	whconfig_done(&c);
	buf_done(&err);
}

/* ---- metrics ---- */

static void test_metrics(void **state)
{
	struct metrics m;
	struct buf out;
	char name[32];

	(void)state;
	assert_int_equal(metrics_init(&m), 0);
	metrics_request_start(&m);
	metrics_request_end(&m, 3);
	metrics_request_start(&m);
	metrics_request_end(&m, 30);
	metrics_request_start(&m);
	metrics_review(&m, REVIEW_INJECTED, "both", true, true);
	metrics_review(&m, REVIEW_INJECTED, "init", true, false);
	metrics_review(&m, REVIEW_INJECTED, "side", false, true);
	metrics_review(&m, REVIEW_SKIPPED, "both", false, false);
	metrics_review(&m, REVIEW_DENIED, "we\"ird\\ns", false, false);
	metrics_http(&m, 200);
	metrics_http(&m, 418);
	metrics_tls_reload(&m, true, 1900000000);
	metrics_tls_reload(&m, false, 0);
	/* 4 namespaces so far: 996 more fit, the last 9 are counted as _other */
	for (int i = 0; i < METRICS_MAX_NAMESPACES + 5; i++) {
		snprintf(name, sizeof(name), "ns%d", i);
		metrics_review(&m, REVIEW_DENIED, name, false, false);
	}
	buf_init(&out, 1024 * 1024);
	assert_int_equal(metrics_render(&m, &out), 0);
#define HAS(s)                                                                                     \
	do {                                                                                       \
		if (!strstr(buf_str(&out), s))                                                     \
			fail_msg("metrics lack: %s", s);                                           \
	} while (0)
	HAS("vault_agent_injector_request_queue_length 1\n");
	HAS("vault_agent_injector_request_processing_duration_ms_bucket{le=\"5\"} 1\n");
	HAS("vault_agent_injector_request_processing_duration_ms_bucket{le=\"25\"} 1\n");
	HAS("vault_agent_injector_request_processing_duration_ms_bucket{le=\"50\"} 2\n");
	HAS("vault_agent_injector_request_processing_duration_ms_bucket{le=\"+Inf\"} 2\n");
	HAS("vault_agent_injector_request_processing_duration_ms_sum 33\n");
	HAS("vault_agent_injector_request_processing_duration_ms_count 2\n");
	HAS("vault_agent_injector_injections_by_namespace_total{namespace=\"both\","
	    "injection_type=\"init_and_sidecar\"} 1\n");
	HAS("{namespace=\"init\",injection_type=\"init_only\"} 1\n");
	HAS("{namespace=\"side\",injection_type=\"sidecar_only\"} 1\n");
	HAS("vault_agent_injector_failed_injections_by_namespace_total{namespace="
	    "\"we\\\"ird\\\\ns\"} "
	    "1\n");
	HAS("vault_agent_injector_failed_injections_by_namespace_total{namespace=\"_other\"} 9\n");
	HAS("vaultlet_webhook_reviews_total{decision=\"injected\"} 3\n");
	HAS("vaultlet_webhook_http_responses_total{code=\"200\"} 1\n");
	HAS("vaultlet_webhook_http_responses_total{code=\"other\"} 1\n");
	HAS("vaultlet_webhook_tls_reloads_total{result=\"success\"} 1\n");
	HAS("vaultlet_webhook_tls_reloads_total{result=\"failure\"} 1\n");
	HAS("vaultlet_webhook_tls_certificate_not_after_seconds 1900000000\n");
	HAS("vaultlet_webhook_ready 1\n");
	assert_null(strstr(buf_str(&out), "namespace=\"both\",injection_type=\"init_only\""));
#undef HAS
	buf_done(&out);
	metrics_done(&m);
}

/* ---- arena ---- */

static void test_arena(void **state)
{
	struct arena a;
	char *big, *s;

	(void)state;
	arena_init(&a);
	s = arena_printf(&a, "%s-%d", "x", 42);
	assert_string_equal(s, "x-42");
	big = arena_alloc(&a, ARENA_CHUNK * 3);
	assert_non_null(big);
	memset(big, 'b', ARENA_CHUNK * 3);
	/* the small chunk keeps serving after a big private one */
	s = arena_strdup(&a, "after");
	assert_string_equal(s, "after");
	assert_null(arena_alloc(&a, ARENA_MAX + 1));
	arena_done(&a);
}

/* ---- the review core, HTTP level ---- */

/* The injector's own defaults, as `serve -vault-address https://vault:8200` has them. */
static const struct inject_defaults *review_defaults(void)
{
	static const char *argv[] = { "-vault-address", "https://vault:8200" };
	static struct whconfig c;
	static bool parsed;
	struct buf err;
	int argi;

	if (!parsed) {
		buf_init(&err, 512);
		assert_int_equal(parse(&c, NULL, 2, argv, &err, &argi), 0);
		buf_done(&err);
		parsed = true;
	}
	return &c.defaults;
}

static void expect_review(const char *body, int status, enum review_decision d, const char *in)
{
	struct review_result res;
	struct arena a;

	arena_init(&a);
	assert_int_equal(review_handle(review_defaults(), body, strlen(body), &a, &res), 0);
	assert_int_equal(res.http_status, status);
	assert_int_equal(res.decision, d);
	assert_non_null(res.body);
	if (!strstr(res.body, in))
		fail_msg("body \"%s\" lacks \"%s\"", res.body, in);
	if (status == 400) {
		/* one line, ending in a newline */
		assert_int_equal(strchr(res.body, '\n') - res.body, (long)res.body_len - 1);
	}
	free(res.body);
	arena_done(&a);
}

static void test_review_http(void **state)
{
	(void)state;
	expect_review("", 400, REVIEW_BAD_REQUEST, "empty request body");
	expect_review("[1]", 400, REVIEW_BAD_REQUEST, "not a JSON object");
	expect_review("{\"kind\":\"AdmissionReview\"}", 400, REVIEW_BAD_REQUEST,
		      "no request object");
	expect_review("{\"request\":{\"uid\":7}}", 400, REVIEW_BAD_REQUEST, "uid");
	expect_review("{\"request\":{}}\n\"x", 400, REVIEW_BAD_REQUEST, "malformed JSON");
	expect_review("{\"request\":{\"uid\":\"u1\",\"object\":{}}}", 200, REVIEW_SKIPPED,
		      "\"uid\":\"u1\",\"allowed\":true}");
	expect_review("{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"request\":{\"uid\":\"u2\"}}",
		      200, REVIEW_SKIPPED, "\"apiVersion\":\"admission.k8s.io/v1beta1\"");
	expect_review(
	    "{\"request\":{\"uid\":\"u3\",\"namespace\":\"kube-system\",\"object\":{"
	    "\"metadata\":{\"annotations\":{\"vault.hashicorp.com/agent-inject\":\"1\"}}}}}",
	    200, REVIEW_DENIED, "cannot inject into system namespaces: kube-system");
}

/*
 * jansson builds the tree in the review's arena, capped at ARENA_MAX: 4 MiB
 * of empty arrays would need about 150 MiB of nodes. That is a clear 400,
 * and a normal review right after it (same thread) parses as before.
 */
static void test_review_parse_cap(void **state)
{
	static const char head[] = "{\"request\":{\"uid\":\"big\",\"object\":[";
	size_t n = 4 * 1024 * 1024, len = 0;
	char *body = malloc(n + 16);

	(void)state;
	assert_non_null(body);
	memcpy(body, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (len + 3 < n) {
		memcpy(body + len, "[],", 3);
		len += 3;
	}
	memcpy(body + len, "[]]}}", 6);
	expect_review(body, 400, REVIEW_BAD_REQUEST, "more than 64 MiB");
	free(body);
	expect_review("{\"request\":{\"uid\":\"u1\",\"object\":{}}}", 200, REVIEW_SKIPPED,
		      "\"uid\":\"u1\",\"allowed\":true}");
}

/* ---- the namespace, and memory that runs out after the parse ---- */

/* A namespace must be a DNS-1123 label: anything else is a 400, before it is used. */
static void test_review_namespace(void **state)
{
	static const char head[] = "{\"request\":{\"uid\":\"n\",\"namespace\":\"";
	static const char tail[] = "\",\"object\":{\"metadata\":{\"annotations\":{"
				   "\"vault.hashicorp.com/agent-inject\":\"true\"}}}}}";
	size_t n = 3500 * 1000;
	char *body = malloc(sizeof(head) + n + sizeof(tail));

	(void)state;
	assert_non_null(body);
	memcpy(body, head, sizeof(head) - 1);
	memset(body + sizeof(head) - 1, 'a', n);
	memcpy(body + sizeof(head) - 1 + n, tail, sizeof(tail));
	expect_review(body, 400, REVIEW_BAD_REQUEST, "is not a namespace name");
	free(body);
	expect_review("{\"request\":{\"namespace\":\"Apps\",\"object\":{}}}", 400,
		      REVIEW_BAD_REQUEST, "request.namespace \"Apps\" is not a namespace name");
	expect_review("{\"request\":{\"namespace\":\"a-\",\"object\":{}}}", 400, REVIEW_BAD_REQUEST,
		      "not a namespace name");
	expect_review("{\"request\":{\"namespace\":\"app-1\",\"object\":{}}}", 200, REVIEW_SKIPPED,
		      "\"allowed\":true");
	assert_true(review_namespace_ok("a"));
	assert_true(
	    review_namespace_ok("a23456789012345678901234567890123456789012345678901234567890123"));
	assert_false(review_namespace_ok(
	    "a234567890123456789012345678901234567890123456789012345678901234"));
	assert_false(review_namespace_ok("-a"));
	assert_false(review_namespace_ok("a.b"));
}

/* Label values stay bounded whatever the metrics are given. */
static void test_metrics_long_namespace(void **state)
{
	struct metrics m;
	struct buf out;
	char *big = malloc(100001);

	(void)state;
	assert_non_null(big);
	memset(big, 'n', 100000);
	big[100000] = '\0';
	assert_int_equal(metrics_init(&m), 0);
	for (int i = 0; i < 50; i++) {
		big[0] = (char)('a' + i % 26);
		big[1] = (char)('a' + i / 26);
		metrics_review(&m, REVIEW_DENIED, big, false, false);
	}
	big[64] = '\0'; /* 64 bytes: one too many */
	metrics_review(&m, REVIEW_DENIED, big, false, false);
	big[63] = '\0';
	metrics_review(&m, REVIEW_DENIED, big, false, false);
	buf_init(&out, 1024 * 1024);
	assert_int_equal(metrics_render(&m, &out), 0);
	assert_true(out.len < 16 * 1024);
	assert_non_null(strstr(buf_str(&out), "failed_injections_by_namespace_total{namespace="
					      "\"_other\"} 51\n"));
	assert_non_null(strstr(buf_str(&out), big));
	buf_done(&out);
	metrics_done(&m);
	free(big);
}

/* ---- big pods: caps, and work that grows n log n at most ---- */

/*
 * A review of a pod asking for injection (role r), with `ann` appended to
 * its annotations (JSON members, starting with a comma, or ""), ncont
 * containers c0, c1, ... of which the first mounts the service-account
 * token and `nmounts` more volumes at /m/<i> (`first` names the first
 * container instead of c0).
 */
static char *big_review(const char *ann, size_t ncont, size_t nmounts, const char *first)
{
	struct buf b;
	char *out;
	size_t len;

	buf_init(&b, 64u * 1024 * 1024);
	assert_int_equal(
	    buf_appendf(
		&b,
		"{\"request\":{\"uid\":\"big\",\"namespace\":\"app\",\"object\":{"
		"\"metadata\":{\"annotations\":{\"vault.hashicorp.com/agent-inject\":"
		"\"true\",\"vault.hashicorp.com/role\":\"r\"%s}},\"spec\":{\"containers\":[",
		ann),
	    0);
	for (size_t i = 0; i < ncont; i++) {
		if (i == 0) {
			assert_int_equal(buf_appendf(&b,
						     "{\"name\":\"%s\",\"volumeMounts\":[{\"name\":"
						     "\"sa\",\"mountPath\":\"/var/run/secrets/"
						     "kubernetes.io/serviceaccount\"}",
						     first ? first : "c0"),
					 0);
			for (size_t j = 0; j < nmounts; j++)
				assert_int_equal(buf_appendf(&b,
							     ",{\"name\":\"v%zu\",\"mountPath\":"
							     "\"/m/%zu\"}",
							     j, j),
						 0);
			assert_int_equal(buf_append_str(&b, "]}"), 0);
		} else {
			assert_int_equal(buf_appendf(&b, ",{\"name\":\"c%zu\"}", i), 0);
		}
	}
	assert_int_equal(buf_append_str(&b, "]}}}}"), 0);
	out = buf_take(&b, &len);
	buf_done(&b);
	assert_non_null(out);
	return out;
}

/* A comma-led annotation whose value is `n` comma-separated items c<i % mod>. */
static char *list_annotation(const char *key, size_t n, size_t mod)
{
	struct buf b;
	char *out;
	size_t len;

	buf_init(&b, 64u * 1024 * 1024);
	assert_int_equal(buf_appendf(&b, ",\"%s\":\"", key), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_appendf(&b, "%sc%zu", i ? "," : "", i % mod), 0);
	assert_int_equal(buf_append_str(&b, "\""), 0);
	out = buf_take(&b, &len);
	buf_done(&b);
	assert_non_null(out);
	return out;
}

static void expect_big(const char *ann, size_t ncont, size_t nmounts, const char *first,
		       enum review_decision d, const char *in)
{
	char *body = big_review(ann, ncont, nmounts, first);

	expect_review(body, 200, d, in);
	free(body);
}

#define TARGETS "vault.hashicorp.com/agent-inject-containers"

/*
 * The reviewer's pods: 20,000 containers against a 130,000-item
 * agent-inject-containers list took ~7 s with the pairwise match; over the
 * caps it is now a denial that names the cap, and at the caps it is
 * decided with sorted lookups.
 */
static void test_review_big_pods(void **state)
{
	char *ann;

	(void)state;
	ann = list_annotation(TARGETS, 130000, 20000);
	expect_big(ann, 20000, 0, NULL, REVIEW_DENIED,
		   "the pod has 20000 containers, more than the 256 vaultlet injects into");
	free(ann);
	expect_big("", POD_MAX_CONTAINERS + 1, 0, NULL, REVIEW_DENIED,
		   "257 containers, more than the 256");
	expect_big("", 2, POD_MAX_MOUNTS, NULL, REVIEW_DENIED,
		   "1025 volumeMounts in spec.containers[0], more than the 1024");
	ann = list_annotation(TARGETS, AGENTSPEC_MAX_TARGET_ITEMS + 1, 7);
	expect_big(ann, 8, 0, NULL, REVIEW_DENIED,
		   TARGETS " lists more than 1024 items; name each container once");
	free(ann);

	/* at the caps: every listed container (and only those) gets the secrets mount */
	ann = list_annotation(TARGETS, AGENTSPEC_MAX_TARGET_ITEMS, POD_MAX_CONTAINERS - 1);
	{
		char *body = big_review(ann, POD_MAX_CONTAINERS, POD_MAX_MOUNTS - 1, NULL);
		struct review_result res;
		struct arena a;

		arena_init(&a);
		assert_int_equal(review_handle(review_defaults(), body, strlen(body), &a, &res), 0);
		assert_int_equal(res.decision, REVIEW_INJECTED);
		assert_int_equal(res.nwarnings, 0);
		free(res.body);
		arena_done(&a);
		free(body);
	}
	free(ann);
	/* a listed name that is no container is a warning, found by the sorted lookup */
	expect_big(",\"" TARGETS "\":\"c1, nope ,c0\"", 3, 0, NULL, REVIEW_INJECTED,
		   "names \\\"nope\\\", which is not a container of the pod");
}

/*
 * agent-copy-volume-mounts with the most mounts a container may have: the
 * duplicate check sorts once; a clash still names the first pair.
 */
static void test_review_copied_mounts(void **state)
{
	(void)state;
	expect_big(",\"vault.hashicorp.com/agent-copy-volume-mounts\":\"c0\"", 2,
		   POD_MAX_MOUNTS - 1, NULL, REVIEW_INJECTED, "\"allowed\":true");
	expect_big(",\"vault.hashicorp.com/agent-copy-volume-mounts\":\"c0\","
		   "\"vault.hashicorp.com/secret-volume-path\":\"/m/5\","
		   "\"" TARGETS "\":\"c1\"",
		   2, 10, NULL, REVIEW_DENIED,
		   "the agent container would mount both vault-secrets and v5 at /m/5");
}

/* Many auth-config-* annotations: a clear cap; within it, the last value of a key wins. */
static void test_review_auth_config(void **state)
{
	struct buf b;
	char *ann;
	size_t len;

	(void)state;
	buf_init(&b, 64u * 1024 * 1024);
	for (int i = 0; i < 35000; i++)
		assert_int_equal(
		    buf_appendf(&b, ",\"vault.hashicorp.com/auth-config-k%d\":\"v\"", i), 0);
	ann = buf_take(&b, &len);
	buf_done(&b);
	expect_big(ann, 1, 0, NULL, REVIEW_DENIED,
		   "the auth config would have more than 64 parameters");
	free(ann);
}

/*
 * Whatever the review's memory cap, or the memory left in the budget the
 * reviews share, a review gets an answer with a reason: 200, 400 (the parse
 * ran out), 413 (deciding ran out) or 503 (the budget did), never a failure
 * the server could only turn into 500 "internal error".
 */
static void test_review_memory_answers(void **state)
{
	/* big enough that deciding needs arena chunks of its own after the parse */
	char *body =
	    big_review(",\"vault.hashicorp.com/agent-inject-secret-a\":\"secret/data/a\","
		       "\"vault.hashicorp.com/agent-inject-secret-b\":\"secret/data/b\","
		       "\"vault.hashicorp.com/agent-inject-template-b\":"
		       "\"{{ with secret \\\"secret/data/b\\\" }}{{ .Data.data.x }}{{ end }}\"",
		       40, 100, NULL);
	bool saw[4] = { false };

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t cap = ARENA_CHUNK / 4; cap <= 64 * ARENA_CHUNK;
		     cap += ARENA_CHUNK / 4) {
			struct arena_budget budget = { .max = cap };
			struct review_result res;
			struct arena a;

			atomic_init(&budget.used, 0);
			/* pass 0: the review's own cap; pass 1: a budget shared with others */
			if (pass == 0)
				arena_init_capped(&a, cap, NULL);
			else
				arena_init_capped(&a, ARENA_MAX, &budget);
			assert_int_equal(
			    review_handle(review_defaults(), body, strlen(body), &a, &res), 0);
			assert_non_null(res.body);
			if (res.http_status == 200) {
				assert_int_equal(res.decision, REVIEW_INJECTED);
				saw[0] = true;
			} else if (res.http_status == 400) {
				assert_non_null(strstr(res.body, "too large to parse"));
				saw[1] = true;
			} else if (res.http_status == 413) {
				assert_int_equal(pass, 0);
				assert_non_null(strstr(res.body, "of memory to decide"));
				saw[2] = true;
			} else {
				assert_int_equal(res.http_status, 503);
				assert_int_equal(pass, 1);
				assert_non_null(strstr(res.body, "server busy"));
				saw[3] = true;
			}
			free(res.body);
			arena_done(&a);
		}
	}
	free(body);
	if (!(saw[0] && saw[2] && saw[3]))
		fail_msg("answers seen: 200 %d, 400 %d, 413 %d, 503 %d", saw[0], saw[1], saw[2],
			 saw[3]);
}

/*
 * auth-min-backoff: 1000000h reached a signed shift overflow in the agent
 * (sched_retry_sleep); an absurd backoff is denied at admission, and a flag
 * with one refuses to start.
 */
static void test_review_absurd_backoff(void **state)
{
	static const char *flag[] = { "-vault-address", "x", "-auth-max-backoff", "2000000h" };

	(void)state;
	expect_big(",\"vault.hashicorp.com/auth-min-backoff\":\"1000000h\","
		   "\"vault.hashicorp.com/auth-max-backoff\":\"2000000h\"",
		   1, 0, NULL, REVIEW_DENIED,
		   "vault.hashicorp.com/auth-min-backoff: \\\"1000000h\\\" is not a backoff "
		   "between 0 and 24h");
	expect_big(",\"vault.hashicorp.com/auth-max-backoff\":\"-1s\"", 1, 0, NULL, REVIEW_DENIED,
		   "is not a backoff between 0 and 24h");
	expect_big(",\"vault.hashicorp.com/auth-min-backoff\":\"24h\","
		   "\"vault.hashicorp.com/auth-max-backoff\":\"24h\"",
		   1, 0, NULL, REVIEW_INJECTED, "\"allowed\":true");
	expect_error(NULL, 4, flag, "auth-max-backoff: \"2000000h\" is not a backoff");
}

int main(void)
{
	struct tlist l = { 0 };
	struct tdata rows;
	int failed;

	tdata_load("webhook/gojson.txt", &rows);
	tlist_add_rows(&l, &rows, test_gojson_row);
	tlist_add(&l, "gopath_has_dotdot", test_dotdot, NULL);
	tlist_add(&l, "agentspec: the bsearch tables are sorted", test_tables_sorted, NULL);
	tlist_add(&l, "jw document", test_jw_document, NULL);
	tlist_add(&l, "jw escapes every special byte at every position", test_jw_escape_positions,
		  NULL);
	tlist_add(&l, "jw misuse and caps", test_jw_misuse, NULL);
	tlist_add(&l, "whconfig defaults", test_whconfig_defaults, NULL);
	tlist_add(&l, "whconfig flag forms", test_whconfig_flag_forms, NULL);
	tlist_add(&l, "whconfig keeps quantities canonical", test_whconfig_quantities_canonical,
		  NULL);
	tlist_add(&l, "whconfig env wins when non-empty", test_whconfig_env_wins, NULL);
	tlist_add(&l, "whconfig errors", test_whconfig_errors, NULL);
	tlist_add(&l, "whconfig: the memory budgets follow -webhook-memory-limit",
		  test_whconfig_memory_limit, NULL);
	tlist_add(&l, "whconfig help and cacert", test_whconfig_help_and_cacert, NULL);
	tlist_add(&l, "metrics text", test_metrics, NULL);
	tlist_add(&l, "arena", test_arena, NULL);
	tlist_add(&l, "review HTTP-level answers", test_review_http, NULL);
	tlist_add(&l, "review: parsing memory is capped", test_review_parse_cap, NULL);
	tlist_add(&l, "review: request.namespace must be a namespace name", test_review_namespace,
		  NULL);
	tlist_add(&l, "metrics: namespace label values are bounded", test_metrics_long_namespace,
		  NULL);
	tlist_add(&l, "review: memory running out is 400/413/503 with a reason, never a failure",
		  test_review_memory_answers, NULL);
	tlist_add(&l, "review: pods over the caps are denied, at the caps decided",
		  test_review_big_pods, NULL);
	tlist_add(&l, "review: copied mounts are checked for clashes in n log n",
		  test_review_copied_mounts, NULL);
	tlist_add(&l, "review: auth-config-* annotations are capped", test_review_auth_config,
		  NULL);
	tlist_add(&l, "review: absurd auth backoffs are denied at admission",
		  test_review_absurd_backoff, NULL);
	failed = tlist_run(&l, "webhook-core");
	tdata_free(&rows);
	return failed ? 1 : 0;
}
