/* SPDX-License-Identifier: MIT */
/*
 * The 50 template vectors of the reference (tests/data/template/vectors.json,
 * outputs produced by Go's text/template), one TAP point each: parse the
 * template, serve each secret as a Vault read response whose `data` member
 * is the vector's JSON (parsed with vjson so numbers keep their text), set
 * the vector's environment and missingkey option, and require exactly the
 * expected bytes, or an error with nothing rendered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "tdata.h"
#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

static cJSON *vectors;

struct secrets {
	cJSON *envelopes;
};

static const cJSON *lookup(void *ctx, const char *path)
{
	return cJSON_GetObjectItemCaseSensitive(((struct secrets *)ctx)->envelopes, path);
}

static void test_vector(void **state)
{
	const cJSON *v = *state;
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(v, "template");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(v, "vault_data_json_by_path");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(v, "env");
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(v, "expected_output");
	const cJSON *c;
	struct secrets sec = { cJSON_CreateObject() };
	struct render_opts ro = { 0 };
	struct render_result res;
	struct tmpl_error perr;
	struct tmpl *t = NULL;
	struct buf out;
	char *envp[16] = { 0 }, msg[TMPL_ERROR_MAX] = "";
	const char *phase;
	size_t nenv = 0;
	int r;

	assert_non_null(sec.envelopes);
	cJSON_ArrayForEach(c, data)
	{
		cJSON *d = NULL, *envl = cJSON_CreateObject();

		assert_int_equal(vjson_parse(c->valuestring, strlen(c->valuestring), &d, NULL), 0);
		cJSON_AddStringToObject(envl, "request_id", "");
		cJSON_AddItemToObject(envl, "data", d);
		cJSON_AddItemToObject(sec.envelopes, c->string, envl);
	}
	cJSON_ArrayForEach(c, env)
	{
		size_t n = strlen(c->string) + strlen(c->valuestring) + 2;

		assert_true(nenv + 1 < 16);
		envp[nenv] = malloc(n);
		snprintf(envp[nenv], n, "%s=%s", c->string, c->valuestring);
		nenv++;
	}
	ro.envp = envp;
	ro.error_on_missing_key =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "error_on_missing_key"));
	ro.secret = lookup;
	ro.secret_ctx = &sec;
	buf_init(&out, RENDER_MAX_OUTPUT);

	r = tmpl_parse(tmpl->valuestring, strlen(tmpl->valuestring), NULL, &t, &perr);
	phase = "parse";
	if (r == 0) {
		phase = "execute";
		r = render_exec(t, &ro, &out, &res);
		if (r < 0) {
			print_message("# execution error %d:%d: %s\n", res.err.line, res.err.col,
				      res.err.msg);
			snprintf(msg, sizeof(msg), "%s", res.err.msg);
		}
		render_result_done(&res);
	} else {
		print_message("# parse error %d:%d: %s\n", perr.line, perr.col, perr.msg);
		snprintf(msg, sizeof(msg), "%s", perr.msg);
	}
	if (cJSON_IsString(want)) {
		assert_int_equal(r, 0);
		assert_int_equal(out.len, strlen(want->valuestring));
		assert_memory_equal(buf_str(&out), want->valuestring, out.len);
	} else {
		/* Go's "<phase>: template: …: <message>": the same phase, the same last words */
		const char *gerr =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "expected_error_go"));
		const char *tail = gerr ? strstr(gerr, ": ") : NULL;

		assert_true(r == -EINVAL);
		assert_int_equal(out.len, 0);
		assert_non_null(gerr);
		assert_int_equal(strncmp(gerr, phase, strlen(phase)), 0);
		while (tail && strstr(tail + 2, ": "))
			tail = strstr(tail + 2, ": ");
		assert_non_null(tail);
		if (!strstr(msg, tail + 2))
			fail_msg("error \"%s\" lacks Go's \"%s\"", msg, tail + 2);
	}
	buf_done(&out);
	tmpl_free(t);
	cJSON_Delete(sec.envelopes);
	for (size_t i = 0; i < nenv; i++)
		free(envp[i]);
}

int main(void)
{
	struct tlist l = { 0 };
	char *path = tdata_path("template/vectors.json"), *text = NULL;
	size_t len = 0;
	const cJSON *v;
	int failed;

	if (afile_read(path, 1 << 24, false, &text, &len) < 0 ||
	    vjson_parse(text, len, &vectors, NULL) < 0) {
		fprintf(stderr, "cannot load %s\n", path);
		return 1;
	}
	cJSON_ArrayForEach(v, vectors)
	{
		char name[160];

		snprintf(name, sizeof(name), "%s %s",
			 cJSON_GetObjectItemCaseSensitive(v, "id")->valuestring,
			 cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring);
		tlist_add(&l, name, test_vector, (void *)v);
	}
	failed = tlist_run(&l, "template-vectors");
	cJSON_Delete(vectors);
	free(text);
	free(path);
	return failed ? 1 : 0;
}
