/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the template parser, and the evaluator behind it.
 *
 * The first input byte picks options (delimiters, shellQuote, missingkey);
 * the rest is the template. A template that parses is linted and executed
 * against a fixed KV v2 secret with awkward data, so the evaluator, fmt,
 * JSON and string functions see every tree the parser can build. Any
 * crash, hang, leak or sanitizer report is a finding; errors are fine.
 * Built and run by tests/template/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

static const char secret_json[] =
    "{\"request_id\":\"r\",\"lease_id\":\"\",\"lease_duration\":60,\"renewable\":true,"
    "\"data\":{\"data\":{\"user\":\"alice\",\"pass\":\"a\\\"b $(id)\\n'q'\",\"n\":1e-7,"
    "\"big\":12345678901234567000,\"list\":[\"a\",1.50,null,true,{\"k\":[]}],"
    "\"nested\":{\"a-b\":{\"\":null},\"\\u00e9\":\"caf\\u00e9\"},\"t\":true,\"z\":0},"
    "\"metadata\":{\"version\":3,\"custom_metadata\":null}},\"warnings\":[\"w\"]}";

static cJSON *secret;

static const cJSON *lookup(void *ctx, const char *path)
{
	(void)ctx;
	return strcmp(path, "missing") == 0 ? NULL : secret;
}

/* `file`: a fixed content for every path but those starting with 'm' (missing); no file read */
static bool file_cb(void *ctx, const char *path, const char **ret_data, size_t *ret_len)
{
	static const char content[] = "fuzz file\ncontent";

	(void)ctx;
	if (path[0] == 'm')
		return false;
	*ret_data = content;
	*ret_len = sizeof(content) - 1;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const delims[][2] = {
		{ NULL, NULL }, { "<<", ">>" }, { "[", "]" }, { "{{{", "}}}" }
	};
	struct tmpl_parse_opts po = { 0 };
	struct render_opts ro = { 0 };
	struct render_result res;
	struct tmpl_error err;
	struct tmpl_pos hits[4];
	struct tmpl *t = NULL;
	struct buf out;
	char *env[] = { "A=1", NULL };
	uint8_t opt;

	if (!secret && vjson_parse(secret_json, strlen(secret_json), &secret, NULL) < 0)
		abort();
	if (size == 0)
		return 0;
	opt = data[0];
	po.left_delim = delims[opt & 3][0];
	po.right_delim = delims[opt & 3][1];
	if (opt & 4)
		po.flags |= TMPL_PARSE_SHELLQUOTE;
	if (tmpl_parse((const char *)data + 1, size - 1, &po, &t, &err) != 0)
		return 0;
	tmpl_find_dquoted_actions(t, hits, 4);
	ro.error_on_missing_key = opt & 8;
	ro.secret = lookup;
	ro.envp = env;
	/* pod_effects stays false: writeToFile and plugin never write a file or start a process */
	ro.file = file_cb;
	ro.max_output = 1 << 16;
	buf_init(&out, 1 << 16);
	render_exec(t, &ro, &out, &res);
	render_result_done(&res);
	buf_done(&out);
	tmpl_free(t);
	return 0;
}
