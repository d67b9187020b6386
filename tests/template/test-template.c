/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the template engine beyond the reference vectors:
 *  - the parser table tests/data/template/parse.txt (accepted templates,
 *    errors with line:column and message; re-checked against Go by
 *    tests/template/parse_check.go),
 *  - the shell double-quote lint,
 *  - vjson (literal numbers, Go's string decoding, strictness, caps),
 *  - the multi-pass secret model (missing paths as written, no output),
 *  - caps (output, range iterations, distinct secrets, nesting, size),
 *  - redaction of secret values in error messages, shellQuote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tdata.h"
#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

/* ---- parser table ---------------------------------------------------- */

static void test_parse_row(void **state)
{
	const struct tdata_row *row = *state;
	bool ok = tdata_is(row, 0, "ok");
	int delim_at = ok ? 2 : 4;
	struct tmpl_parse_opts o = { .name = "t" };
	struct tmpl_error e;
	struct tmpl *t = NULL;
	int r;

	if (row->ntok > delim_at + 1) {
		o.left_delim = row->tok[delim_at];
		o.right_delim = row->tok[delim_at + 1];
	}
	r = tmpl_parse(row->tok[1], row->len[1], &o, &t, &e);
	if (ok) {
		if (r != 0)
			print_message("# unexpected error %d:%d: %s\n", e.line, e.col, e.msg);
		assert_int_equal(r, 0);
		assert_non_null(t);
	} else {
		char where[32];

		assert_int_equal(r, -EINVAL);
		snprintf(where, sizeof(where), "%d:%d", e.line, e.col);
		if (strcmp(where, row->tok[2]) != 0 || !strstr(e.msg, row->tok[3]))
			print_message("# got %s: %s\n", where, e.msg);
		assert_string_equal(where, row->tok[2]);
		assert_non_null(strstr(e.msg, row->tok[3]));
	}
	tmpl_free(t);
}

/* ---- lint ------------------------------------------------------------ */

static size_t lint(const char *text, struct tmpl_pos *hits, size_t max)
{
	struct tmpl *t = NULL;
	size_t n;

	assert_int_equal(tmpl_parse(text, strlen(text), NULL, &t, NULL), 0);
	n = tmpl_find_dquoted_actions(t, hits, max);
	tmpl_free(t);
	return n;
}

static void test_lint(void **state)
{
	struct tmpl_pos h[4];

	(void)state;
	assert_int_equal(lint("export X=\"{{ .Data.data.x }}\"\n", h, 4), 1);
	assert_int_equal(h[0].line, 1);
	assert_int_equal(h[0].col, 11);
	/* the seed's app-credentials.sh: three quoted inserts */
	assert_int_equal(
	    lint("#!/bin/sh\n{{- with secret \"s\" }}\nexport A=\"{{ .Data.data.a }}\"\n"
		 "export B=\"{{ .Data.data.b }}\"\n"
		 "export C=\"postgresql://u:{{ .Data.data.c }}@h:5432/db\"\n{{- end }}\n",
		 h, 4),
	    3);
	assert_int_equal(h[2].line, 5);
	/* single quotes, unquoted, comments, escaped quotes, declarations: no hit */
	assert_int_equal(lint("export X='{{ .x }}'\n", h, 4), 0);
	assert_int_equal(lint("X={{ .x }}\n", h, 4), 0);
	assert_int_equal(lint("# say \"{{ .x }}\n", h, 4), 0);
	assert_int_equal(lint("echo \\\"{{ .x }}\n", h, 4), 0);
	assert_int_equal(lint("X=\"{{ $v := .x }}\"\n", h, 4), 0);
	/* quote state runs across branches in source order */
	assert_int_equal(lint("X=\"{{ if .a }}{{ .b }}{{ else }}{{ .c }}{{ end }}\"", h, 4), 2);
	/* more hits than room: the count is still exact */
	assert_int_equal(lint("\"{{.}}{{.}}{{.}}{{.}}{{.}}\"", h, 2), 5);
}

/* ---- vjson ----------------------------------------------------------- */

static void test_vjson(void **state)
{
	static const char text[] =
	    " {\"a\":1e-7,\"b\":12345678901234567000,\"c\":1.50,\"d\":-0,\"e\":[0,-0.0,1E+21],"
	    "\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\ud800x "
	    "\\udc00\",\"a\":\"last\",\"z\":\"\\u0000x\"} ";
	struct vjson_error e;
	cJSON *v = NULL, *x;

	(void)state;
	assert_int_equal(vjson_parse(text, strlen(text), &v, &e), 0);
	/* a repeated key replaces the earlier value */
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "a")->valuestring, "last");
	assert_int_equal(cJSON_GetArraySize(v), 7);
	assert_string_equal(vjson_number_text(cJSON_GetObjectItemCaseSensitive(v, "b")),
			    "12345678901234567000");
	assert_string_equal(vjson_number_text(cJSON_GetObjectItemCaseSensitive(v, "c")), "1.50");
	assert_string_equal(vjson_number_text(cJSON_GetObjectItemCaseSensitive(v, "d")), "-0");
	x = cJSON_GetObjectItemCaseSensitive(v, "e");
	assert_string_equal(vjson_number_text(cJSON_GetArrayItem(x, 1)), "-0.0");
	assert_string_equal(vjson_number_text(cJSON_GetArrayItem(x, 2)), "1E+21");
	/* surrogate pairs decode; lone surrogates become U+FFFD like Go */
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "s")->valuestring,
			    "caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbdx \xef\xbf\xbd");
	/* NUL inside a string: length kept */
	x = cJSON_GetObjectItemCaseSensitive(v, "z");
	assert_int_equal(vjson_string_len(x), 2);
	assert_int_equal(x->valuestring[1], 'x');
	cJSON_Delete(v);

	/* invalid UTF-8 bytes become U+FFFD, one per byte */
	assert_int_equal(vjson_parse("\"a\xff\xfe\"", 5, &v, NULL), 0);
	assert_string_equal(v->valuestring, "a\xef\xbf\xbd\xef\xbf\xbd");
	cJSON_Delete(v);

	/* strictness */
	assert_int_equal(vjson_parse("{} x", 4, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("[1,]", 4, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("01", 2, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("1.", 2, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("NaN", 3, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("\"\t\"", 3, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("{\"a\" 1}", 7, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("", 0, &v, &e), -EINVAL);
	assert_int_equal(vjson_parse("\"\\x\"", 4, &v, &e), -EINVAL);
	/* nesting cap */
	{
		char deep[VJSON_MAX_DEPTH * 2 + 4];
		size_t n = 0;

		for (int i = 0; i < VJSON_MAX_DEPTH + 1; i++)
			deep[n++] = '[';
		for (int i = 0; i < VJSON_MAX_DEPTH + 1; i++)
			deep[n++] = ']';
		assert_int_equal(vjson_parse(deep, n, &v, &e), -E2BIG);
		assert_int_equal(vjson_parse(deep + 1, n - 2, &v, &e), 0);
		cJSON_Delete(v);
	}
}

/* ---- evaluation helpers --------------------------------------------- */

struct store {
	const char *paths[8];
	cJSON *trees[8];
	size_t n;
	int calls;
};

static const cJSON *store_get(void *ctx, const char *path)
{
	struct store *s = ctx;

	s->calls++;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->paths[i], path) == 0)
			return s->trees[i];
	return NULL;
}

static void store_add(struct store *s, const char *path, const char *data_json)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"request_id\":\"rid\",\"lease_id\":\"\",\"data\":%s}",
		 data_json);
	assert_true(s->n < ARRAY_SIZE(s->trees));
	assert_int_equal(vjson_parse(text, strlen(text), &s->trees[s->n], NULL), 0);
	s->paths[s->n++] = path;
}

static void store_done(struct store *s)
{
	for (size_t i = 0; i < s->n; i++)
		cJSON_Delete(s->trees[i]);
}

static int run(const char *text, unsigned flags, struct store *s, bool missingkey_error,
	       struct buf *out, struct render_result *res)
{
	struct tmpl_parse_opts po = { .flags = flags };
	struct render_opts ro = { .error_on_missing_key = missingkey_error,
				  .secret = store_get,
				  .secret_ctx = s };
	struct tmpl *t = NULL;
	struct tmpl_error e;
	int r;

	r = tmpl_parse(text, strlen(text), &po, &t, &e);
	if (r) {
		memset(res, 0, sizeof(*res));
		res->err = e;
		return r;
	}
	r = render_exec(t, &ro, out, res);
	tmpl_free(t);
	return r;
}

/* ---- multi-pass ------------------------------------------------------ */

static void test_multipass(void **state)
{
	struct store s = { 0 };
	struct render_result res;
	struct buf out;
	const char *text = "A{{ with secret \"kv/app?version=2\" }}{{ .Data.user }}{{ end }}"
			   "{{ $b := secret \"kv/b\" }}B={{ $b.Data.x }}"
			   "{{ with secret \"kv/app?version=2\" }}{{ end }}"
			   "{{ with secret (printf \"kv/%s\" \"c\") }}{{ .Data.y }}{{ end }}";

	(void)state;
	buf_init(&out, 1 << 16);
	/* pass 1: nothing fetched; paths as written, once each, nothing rendered */
	assert_int_equal(run(text, 0, &s, false, &out, &res), RENDER_INCOMPLETE);
	assert_int_equal(out.len, 0);
	assert_int_equal(res.nmissing, 3);
	assert_string_equal(res.missing[0], "kv/app?version=2");
	assert_string_equal(res.missing[1], "kv/b");
	assert_string_equal(res.missing[2], "kv/c");
	render_result_done(&res);
	/* pass 2: two of three fetched */
	store_add(&s, "kv/app?version=2", "{\"user\":\"bob\"}");
	store_add(&s, "kv/b", "{\"x\":5}");
	assert_int_equal(run(text, 0, &s, false, &out, &res), RENDER_INCOMPLETE);
	assert_int_equal(out.len, 0);
	assert_int_equal(res.nmissing, 1);
	assert_string_equal(res.missing[0], "kv/c");
	assert_int_equal(res.nused, 3);
	render_result_done(&res);
	/* pass 3: complete */
	store_add(&s, "kv/c", "{\"y\":\"why\"}");
	assert_int_equal(run(text, 0, &s, false, &out, &res), 0);
	assert_string_equal(buf_str(&out), "AbobB=5why");
	assert_int_equal(res.nmissing, 0);
	render_result_done(&res);
	/* a missing secret with missingkey=error: Vault Agent fails, so do we */
	s.n = 0;
	assert_int_equal(run("{{ $s := secret \"kv/b\" }}{{ $s.Data.x }}", 0, &s, true, &out, &res),
			 -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(res.nmissing, 1);
	assert_non_null(strstr(res.err.msg, "nil data; no entry for key \"Data\""));
	render_result_done(&res);
	s.n = 3;
	/* the write form: one key per path + fields (sorted, trimmed, later wins, empty skipped) */
	assert_int_equal(run("{{ with secret \"/pki/issue/x\" \" ttl = 1h\" \"common_name=a\" \"\" "
			     "\"ttl=2h\" }}{{ .Data.certificate }}{{ end }}",
			     0, &s, false, &out, &res),
			 RENDER_INCOMPLETE);
	assert_int_equal(res.nmissing, 1);
	assert_string_equal(res.missing[0],
			    "pki/issue/x\x1f{\"common_name\":\"a\",\"ttl\":\"2h\"}");
	render_result_done(&res);
	store_add(&s, "pki/issue/x\x1f{\"common_name\":\"a\",\"ttl\":\"2h\"}",
		  "{\"certificate\":\"PEM\"}");
	assert_int_equal(run("{{ with secret \"pki/issue/x\" \"ttl=2h\" \"common_name=a\" }}"
			     "{{ .Data.certificate }}{{ end }}",
			     0, &s, false, &out, &res),
			 0);
	assert_string_equal(buf_str(&out), "PEM");
	render_result_done(&res);
	cJSON_Delete(s.trees[--s.n]);
	assert_int_equal(
	    run("{{ secret \"pki/issue/x\" \"common_name\" }}", 0, &s, false, &out, &res), -EINVAL);
	assert_non_null(strstr(res.err.msg, "error calling secret: not k=v pair \"common_name\""));
	render_result_done(&res);
	assert_int_equal(run("{{ secret \"/\" \"a=b\" }}", 0, &s, false, &out, &res), -EINVAL);
	assert_non_null(strstr(res.err.msg, "vault.write: invalid format"));
	render_result_done(&res);
	/* pkiCert PATH "k=v"...: the write key, then the template's destination */
	assert_int_equal(
	    run("{{ with pkiCert \"pki/issue/x\" \"common_name=a\" }}{{ .Cert }}{{ end }}", 0, &s,
		false, &out, &res),
	    RENDER_INCOMPLETE);
	assert_int_equal(res.nmissing, 1);
	assert_string_equal(res.missing[0], "pki/issue/x\x1f{\"common_name\":\"a\"}\x1d");
	render_result_done(&res);
	/* secrets PATH: a list key, nil until listed; "" is a nil list without a LIST */
	assert_int_equal(
	    run("{{ range secrets \" /kv/dir/ \" }}{{ . }}{{ end }}[{{ secrets \"\" }}]", 0, &s,
		false, &out, &res),
	    RENDER_INCOMPLETE);
	assert_int_equal(res.nmissing, 1);
	assert_string_equal(res.missing[0], "kv/dir\x1e");
	render_result_done(&res);
	assert_int_equal(run("{{ secrets \" / \" }}", 0, &s, false, &out, &res), -EINVAL);
	assert_non_null(strstr(res.err.msg, "error calling secrets: vault.list: invalid format"));
	render_result_done(&res);
	assert_int_equal(run("{{ secret \" / \" }}", 0, &s, false, &out, &res), -EINVAL);
	render_result_done(&res);
	store_done(&s);
	buf_done(&out);
}

/* ---- caps ------------------------------------------------------------ */

static void test_caps(void **state)
{
	struct store s = { 0 };
	struct render_result res;
	struct buf out;
	struct tmpl *t = NULL;
	struct tmpl_error e;
	char *big;
	size_t i, n;

	(void)state;
	buf_init(&out, RENDER_MAX_OUTPUT);
	/* output cap: a 10-byte buffer cap */
	{
		struct tmpl_parse_opts po = { 0 };
		struct render_opts ro = { .max_output = 10 };

		assert_int_equal(tmpl_parse("0123456789ABC", 13, &po, &t, &e), 0);
		assert_int_equal(render_exec(t, &ro, &out, &res), -E2BIG);
		assert_int_equal(out.len, 0);
		assert_non_null(strstr(res.err.msg, "rendered output larger than 10 bytes"));
		render_result_done(&res);
		ro.max_output = 13;
		assert_int_equal(render_exec(t, &ro, &out, &res), 0);
		render_result_done(&res);
		tmpl_free(t);
	}
	/* range iterations: 1001 * 1001 > RENDER_MAX_RANGE_ITERATIONS */
	store_add(&s, "big", "{\"l\":[]}");
	{
		cJSON *l = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(s.trees[0], "data"), "l");

		for (i = 0; i < 1001; i++)
			cJSON_AddItemToArray(l, cJSON_CreateTrue());
	}
	assert_int_equal(
	    run("{{ with secret \"big\" }}{{ range .Data.l }}{{ range $.x }}{{ end }}"
		"{{ end }}{{ range $a := .Data.l }}{{ range $b := $.y }}{{ end }}{{ end }}"
		"{{ $l := .Data.l }}{{ range $l }}{{ range $l }}{{ end }}{{ end }}{{ end }}",
		0, &s, false, &out, &res),
	    -E2BIG);
	assert_non_null(strstr(res.err.msg, "range iterations"));
	render_result_done(&res);
	/* distinct secrets */
	{
		struct buf tb;

		buf_init(&tb, 1 << 20);
		for (i = 0; i <= RENDER_MAX_SECRETS; i++)
			assert_int_equal(buf_appendf(&tb, "{{ secret \"p%zu\" }}", i), 0);
		assert_int_equal(run(buf_str(&tb), 0, &s, false, &out, &res), -E2BIG);
		assert_non_null(strstr(res.err.msg, "distinct secrets"));
		render_result_done(&res);
		buf_done(&tb);
	}
	/* nesting depth */
	{
		struct buf tb;

		buf_init(&tb, 1 << 20);
		for (i = 0; i <= TMPL_MAX_DEPTH; i++)
			assert_int_equal(buf_append_str(&tb, "{{ if true }}"), 0);
		for (i = 0; i <= TMPL_MAX_DEPTH; i++)
			assert_int_equal(buf_append_str(&tb, "{{ end }}"), 0);
		assert_int_equal(tmpl_parse(buf_str(&tb), tb.len, NULL, &t, &e), -E2BIG);
		assert_non_null(strstr(e.msg, "nesting deeper than"));
		buf_reset(&tb);
		for (i = 0; i <= TMPL_MAX_DEPTH; i++)
			assert_int_equal(buf_append_str(&tb, "("), 0);
		assert_int_equal(buf_append_str(&tb, "1"), 0);
		for (i = 0; i <= TMPL_MAX_DEPTH; i++)
			assert_int_equal(buf_append_str(&tb, ")"), 0);
		buf_reset(&tb);
		buf_done(&tb);
	}
	/* a float wider than the output cap is the cap's error, not "out of memory" */
	assert_true(run("{{ printf \"%.3000000f\" 1.5 }}", 0, &s, false, &out, &res) < 0);
	assert_non_null(strstr(res.err.msg, "larger than"));
	render_result_done(&res);
	/* template size */
	n = TMPL_MAX_TEXT + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	assert_int_equal(tmpl_parse(big, n, NULL, &t, &e), -E2BIG);
	assert_int_equal(tmpl_parse(big, n - 1, NULL, &t, &e), 0);
	tmpl_free(t);
	free(big);
	store_done(&s);
	buf_done(&out);
}

/* ---- redaction, extension -------------------------------------------- */

static void test_redaction(void **state)
{
	struct store s = { 0 };
	struct render_result res;
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 16);
	store_add(&s, "a", "{\"name\":\"hunter2-secret\",\"n\":123456}");
	/* mustEnv names the variable in its error; here the name is a secret */
	assert_int_equal(run("{{ with secret \"a\" }}{{ mustEnv .Data.name }}{{ end }}", 0, &s,
			     false, &out, &res),
			 -EINVAL);
	assert_null(strstr(res.err.msg, "hunter2-secret"));
	assert_non_null(strstr(res.err.msg, "[redacted]"));
	render_result_done(&res);
	/* type errors name the type, never the value */
	assert_int_equal(run("{{ with secret \"a\" }}{{ .Data.n | trimSpace }}{{ end }}", 0, &s,
			     false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "expected string; got json.Number"));
	assert_null(strstr(res.err.msg, "123456"));
	render_result_done(&res);
	assert_int_equal(run("{{ with secret \"a\" }}{{ range .Data.name }}{{ end }}{{ end }}", 0,
			     &s, false, &out, &res),
			 -EINVAL);
	assert_null(strstr(res.err.msg, "hunter2"));
	render_result_done(&res);
	/* a value that is part of "[redacted]" itself is replaced once, not forever */
	store_add(&s, "r", "{\"color\":\"red\"}");
	assert_int_equal(
	    run("{{ with secret \"r\" }}{{ .Data.red.foo }}{{ end }}", 0, &s, false, &out, &res),
	    -EINVAL);
	{
		char *p, *m = res.err.msg;

		assert_non_null(strstr(m, "[redacted]"));
		while ((p = strstr(m, "[redacted]")) != NULL)
			memset(p, '#', 10);
		assert_null(strstr(m, "red"));
	}
	render_result_done(&res);
	/* overlapping values: no piece of either is left (the old pass left "gh") */
	store_add(&s, "o", "{\"x\":\"abcdef\",\"y\":\"cdefgh\"}");
	assert_int_equal(run("{{ with secret \"o\" }}{{ mustEnv \"_abcdefgh_\" }}{{ end }}", 0, &s,
			     false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "_[redacted]_"));
	render_result_done(&res);
	/* strconv's errors quote the value (%q): its quoted form is redacted too */
	store_add(&s, "g", "{\"v\":\"a\\\"b\\\\c\\n-hunter3\",\"u\":\"\\u00e9t\\u00e9-\\u0001x\"}");
	assert_int_equal(
	    run("{{ with secret \"g\" }}{{ parseInt .Data.v }}{{ end }}", 0, &s, false, &out, &res),
	    -EINVAL);
	assert_non_null(strstr(res.err.msg, "strconv.ParseInt: parsing \"[redacted]\""));
	assert_null(strstr(res.err.msg, "hunter3"));
	render_result_done(&res);
	assert_int_equal(run("{{ with secret \"g\" }}{{ parseFloat .Data.u }}{{ end }}", 0, &s,
			     false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "parsing \"[redacted]\": invalid syntax"));
	render_result_done(&res);
	/* shellQuote, when enabled */
	store_add(&s, "q", "{\"v\":\"it's $(x) \\\"y\\\"\"}");
	assert_int_equal(run("{{ with secret \"q\" }}X={{ .Data.v | shellQuote }}{{ end }}",
			     TMPL_PARSE_SHELLQUOTE, &s, false, &out, &res),
			 0);
	assert_string_equal(buf_str(&out), "X='it'\\''s $(x) \"y\"'");
	render_result_done(&res);
	store_done(&s);
	buf_done(&out);
}

/* ---- regular expressions: bounded time ------------------------------ */

static void test_regex_bounds(void **state)
{
	struct store s = { 0 };
	struct render_result res;
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 20);
	/* exponential for a backtracking engine: linear here, and no match */
	assert_int_equal(
	    run("{{ printf \"%0200000d\" 0 | regexReplaceAll \"(0|00)*b\" \"x\" | len }}", 0, &s,
		false, &out, &res),
	    0);
	assert_string_equal(buf_str(&out), "200000");
	render_result_done(&res);
	/* one search per match, each to the end of the input: quadratic, refused */
	assert_int_equal(run("{{ printf \"%0200000d\" 0 | regexReplaceAll \".*b|0\" \"x\" }}", 0,
			     &s, false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "not supported by vaultlet"));
	assert_int_equal(out.len, 0);
	render_result_done(&res);
	/* Go's syntax errors; constructs vaultlet does not reproduce are refused by name */
	assert_int_equal(run("{{ regexMatch \"a**\" \"\" }}", 0, &s, false, &out, &res), -EINVAL);
	assert_non_null(strstr(res.err.msg, "invalid nested repetition operator: `**`"));
	render_result_done(&res);
	assert_int_equal(run("{{ regexMatch \"\\\\pL\" \"\" }}", 0, &s, false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "not supported by vaultlet"));
	render_result_done(&res);
	store_done(&s);
	buf_done(&out);
}

/* ---- Go-version-dependent constructs -------------------------------- */

static void test_go_versions(void **state)
{
	struct store s = { 0 };
	struct render_result res;
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 16);
	store_add(&s, "p", "{\"x\":\"xv\",\"bf\":\"a\\bb\\fc\"}");
	/* {{else with}} (Go >= 1.23): same as {{else}}{{with}}...{{end}} */
	assert_int_equal(
	    run("{{ with secret \"p\" }}{{ with .Data.nope }}A{{ else with .Data.x }}"
		"B={{ . }}{{ else }}C{{ end }}|{{ with .Data.no }}A{{ else with .Data.no2 }}"
		"B{{ else }}C{{ end }}|{{ with .Data.no }}{{ else with .Data.no2 }}B{{ end }}"
		"{{ end }}",
		0, &s, false, &out, &res),
	    0);
	assert_string_equal(buf_str(&out), "B=xv|C|");
	render_result_done(&res);
	/* ... but not after if or range, in any Go version */
	assert_int_equal(run("{{ if 1 }}{{ else with 2 }}{{ end }}", 0, &s, false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "unexpected <with> in input"));
	render_result_done(&res);
	/* toJSON of \b or \f: Go 1.22 changed the escape; refused */
	assert_int_equal(run("{{ with secret \"p\" }}{{ .Data.bf | toJSON }}{{ end }}", 0, &s,
			     false, &out, &res),
			 -EINVAL);
	assert_non_null(strstr(res.err.msg, "not supported by vaultlet"));
	assert_int_equal(out.len, 0);
	render_result_done(&res);
	store_done(&s);
	buf_done(&out);
}

/* ---- the functions that touch the pod ---------------------------------- */

static bool pod_file(void *ctx, const char *path, const char **ret_data, size_t *ret_len)
{
	const char *const *f = ctx;

	for (; f[0]; f += 2) {
		if (strcmp(f[0], path) == 0) {
			*ret_data = f[1];
			*ret_len = strlen(f[1]);
			return true;
		}
	}
	return false;
}

static int pod_run(const char *text, const char *const *files, struct buf *out,
		   struct render_result *res)
{
	struct tmpl_parse_opts po = { 0 };
	struct render_opts ro = { .file = pod_file, .file_ctx = (void *)files };
	struct tmpl *t = NULL;
	struct tmpl_error e;
	int r = tmpl_parse(text, strlen(text), &po, &t, &e);

	if (r) {
		memset(res, 0, sizeof(*res));
		res->err = e;
		return r;
	}
	r = render_exec(t, &ro, out, res);
	tmpl_free(t);
	return r;
}

static void test_pod_functions(void **state)
{
	const char *none[] = { NULL };
	const char *some[] = { "/etc/app/a.conf", "file-secret-1", "b", "B", NULL };
	struct render_result res;
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 16);
	/* first pass: both files recorded (cleaned, once), "" meanwhile, nothing rendered */
	assert_int_equal(pod_run("{{ file \" /etc/app/../app//a.conf\\n\" }}{{ file \"b\" }}"
				 "{{ file \"/etc/app/a.conf\" }}{{ file \"\" }}",
				 none, &out, &res),
			 RENDER_INCOMPLETE);
	assert_int_equal(out.len, 0);
	assert_int_equal(res.nmissing, 2);
	assert_int_equal(res.missing[0][0], RENDER_FILE_KEY);
	assert_string_equal(res.missing[0] + 1, "/etc/app/a.conf");
	assert_string_equal(res.missing[1] + 1, "b");
	render_result_done(&res);
	/* once read: the content, byte for byte */
	assert_int_equal(
	    pod_run("[{{ file \"/etc/app/a.conf\" }}|{{ file \"./b\" }}]", some, &out, &res), 0);
	assert_string_equal(buf_str(&out), "[file-secret-1|B]");
	render_result_done(&res);
	/* a file's content is hidden in error messages like a secret's */
	assert_int_equal(pod_run("{{ parseInt (file \"/etc/app/a.conf\") }}", some, &out, &res),
			 -EINVAL);
	assert_null(strstr(res.err.msg, "file-secret-1"));
	assert_non_null(strstr(res.err.msg, "[redacted]"));
	render_result_done(&res);
	/* without render_opts.pod_effects (fuzzers): no file written, no process started */
	assert_int_equal(
	    pod_run("{{ \"x\" | writeToFile \"/tmp/vaultlet-never\" \"\" \"\" \"0644\" }}", none,
		    &out, &res),
	    -EINVAL);
	assert_non_null(strstr(res.err.msg, "does not write files here"));
	render_result_done(&res);
	assert_int_equal(access("/tmp/vaultlet-never", F_OK), -1);
	assert_int_equal(pod_run("{{ plugin \"/bin/true\" }}", none, &out, &res), -EINVAL);
	assert_non_null(strstr(res.err.msg, "does not run programs here"));
	render_result_done(&res);
	/* Go's argument checks come first */
	assert_int_equal(pod_run("{{ writeToFile \"p\" \"\" \"\" }}", none, &out, &res), -EINVAL);
	assert_non_null(
	    strstr(res.err.msg, "wrong number of args for writeToFile: want at least 4 got 3"));
	render_result_done(&res);
	assert_int_equal(pod_run("{{ plugin }}", none, &out, &res), -EINVAL);
	assert_non_null(
	    strstr(res.err.msg, "wrong number of args for plugin: want at least 1 got 0"));
	render_result_done(&res);
	buf_done(&out);
}

int main(void)
{
	struct tlist l = { 0 };
	struct tdata parse;
	int failed;

	tdata_load("template/parse.txt", &parse);
	tlist_add_rows(&l, &parse, test_parse_row);
	tlist_add(&l, "shell double-quote lint", test_lint, NULL);
	tlist_add(&l, "vjson literal numbers and strictness", test_vjson, NULL);
	tlist_add(&l, "multi-pass secret model", test_multipass, NULL);
	tlist_add(&l, "caps", test_caps, NULL);
	tlist_add(&l, "redaction and shellQuote", test_redaction, NULL);
	tlist_add(&l, "else with; toJSON of \\b", test_go_versions, NULL);
	tlist_add(&l, "regular expressions: linear time, caps, refusals", test_regex_bounds, NULL);
	tlist_add(&l, "file, writeToFile, plugin: multi-pass, redaction, no effects by default",
		  test_pod_functions, NULL);
	failed = tlist_run(&l, "template");
	tdata_free(&parse);
	return failed ? 1 : 0;
}
