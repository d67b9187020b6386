/* SPDX-License-Identifier: MIT */
/*
 * diffdrv: renders the cases of a differential run with vaultlet and
 * compares each with what Go's text/template produced for it (the output
 * of tests/template/oracle.go), byte for byte.
 *
 *   diffdrv CASES.jsonl RESULTS.jsonl [CASES_PER_TAP_POINT]
 *
 * A case passes when Go and vaultlet produce identical bytes, or when both
 * fail in the same phase (parse/execute), or when vaultlet refuses the
 * template with a message saying the construct is not supported by
 * vaultlet (counted and reported separately: a refusal is allowed by
 * design, a different output never is). The first failing case of a TAP
 * point is printed as a minimal reproducer (template, options, secrets,
 * both results and the first differing byte). Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

struct secrets {
	cJSON *env;
};

static const cJSON *lookup(void *ctx, const char *path)
{
	return cJSON_GetObjectItemCaseSensitive(((struct secrets *)ctx)->env, path);
}

static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n < 0) {
		free(line);
		return NULL;
	}
	return line;
}

static void print_escaped(const char *label, const char *s, size_t n)
{
	size_t i;

	printf("#   %s (%zu bytes): \"", label, n);
	for (i = 0; i < n && i < 2000; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("%s\"\n", i < n ? "..." : "");
}

struct stats {
	size_t same_output, both_error, refused, same_line;
};

/* Returns 1 when the case agrees with Go, 0 otherwise (reproducer printed). */
static int run_case(const cJSON *c, const cJSON *want, struct stats *st, bool verbose)
{
	const char *tmpl_text = cJSON_GetObjectItemCaseSensitive(c, "template")->valuestring;
	const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(c, "secrets");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
	const cJSON *it;
	struct secrets sec = { cJSON_CreateObject() };
	struct tmpl_parse_opts po = { 0 };
	struct render_opts ro = { 0 };
	struct render_result res = { 0 };
	struct tmpl_error perr = { 0 };
	struct tmpl *t = NULL;
	struct buf out, gout;
	char *envp[8] = { 0 };
	size_t nenv = 0;
	const char *phase = "ok", *msg = "";
	bool go_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(want, "ok"));
	const char *go_phase = "ok", *go_err = "";
	int r, pass = 0;

	cJSON_ArrayForEach(it, secrets)
	{
		cJSON *tree = NULL;

		if (vjson_parse(it->valuestring, strlen(it->valuestring), &tree, NULL) < 0) {
			printf("# bad secret JSON in case\n");
			abort();
		}
		cJSON_AddItemToObject(sec.env, it->string, tree);
	}
	cJSON_ArrayForEach(it, env)
	{
		size_t n = strlen(it->string) + strlen(it->valuestring) + 2;

		envp[nenv] = malloc(n);
		snprintf(envp[nenv], n, "%s=%s", it->string, it->valuestring);
		nenv++;
	}
	po.left_delim = cJSON_GetObjectItemCaseSensitive(c, "left")->valuestring;
	po.right_delim = cJSON_GetObjectItemCaseSensitive(c, "right")->valuestring;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "shellquote")))
		po.flags |= TMPL_PARSE_SHELLQUOTE;
	ro.error_on_missing_key =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "error_on_missing_key"));
	ro.secret = lookup;
	ro.secret_ctx = &sec;
	ro.envp = envp;
	it = cJSON_GetObjectItemCaseSensitive(c, "now_sec");
	if (cJSON_IsNumber(it)) {
		/* whole seconds below 2^53: exact in a double */
		ro.now_set = true;
		ro.now_sec = (int64_t)it->valuedouble;
		it = cJSON_GetObjectItemCaseSensitive(c, "now_nsec");
		ro.now_nsec = cJSON_IsNumber(it) ? (long)it->valuedouble : 0;
	}
	buf_init(&out, RENDER_MAX_OUTPUT);
	buf_init(&gout, RENDER_MAX_OUTPUT);

	r = tmpl_parse(tmpl_text, strlen(tmpl_text), &po, &t, &perr);
	if (r < 0) {
		phase = "parse";
		msg = perr.msg;
	} else {
		r = render_exec(t, &ro, &out, &res);
		if (r == RENDER_INCOMPLETE) {
			phase = "incomplete";
		} else if (r < 0) {
			phase = "exec";
			msg = res.err.msg;
		}
	}
	if (go_ok) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(want, "out");
		const char *b = cJSON_IsString(o) ? o->valuestring : "";

		if (b64_decode(b, strlen(b), B64_STD, B64_STRICT, &gout, NULL) < 0)
			abort();
	} else {
		go_phase = cJSON_GetObjectItemCaseSensitive(want, "phase")->valuestring;
		go_err = cJSON_GetObjectItemCaseSensitive(want, "err")->valuestring;
	}

	if (go_ok && strcmp(phase, "ok") == 0 && out.len == gout.len &&
	    memcmp(buf_str(&out), buf_str(&gout), out.len) == 0) {
		st->same_output++;
		pass = 1;
	} else if (strstr(msg, "not supported by vaultlet")) {
		st->refused++;
		pass = 1;
		if (verbose)
			printf("# refused: %s\n", msg);
	} else if (!go_ok && strcmp(phase, go_phase) == 0 && out.len == 0) {
		const char *gl = go_err + (strncmp(go_err, "template: :", 11) == 0 ? 11 : 0);
		int line = strcmp(phase, "parse") == 0 ? perr.line : res.err.line;

		st->both_error++;
		if (strtol(gl, NULL, 10) == line)
			st->same_line++;
		pass = 1;
		if (verbose)
			printf("# both-error line vaultlet=%d go=%s | %s | %s\n",
			       strcmp(phase, "parse") == 0 ? perr.line : res.err.line,
			       go_err + (strncmp(go_err, "template: :", 11) == 0 ? 11 : 0), msg,
			       go_err);
	}
	if (!pass) {
		size_t k = 0;

		while (k < out.len && k < gout.len && out.data[k] == gout.data[k])
			k++;
		printf("# MISMATCH in case %s\n",
		       cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring);
		print_escaped("template", tmpl_text, strlen(tmpl_text));
		printf("#   error_on_missing_key=%d left=%s right=%s shellquote=%d\n",
		       ro.error_on_missing_key, po.left_delim, po.right_delim,
		       !!(po.flags & TMPL_PARSE_SHELLQUOTE));
		cJSON_ArrayForEach(it, secrets)
		{
			printf("#   secret %s = %s\n", it->string, it->valuestring);
		}
		printf("#   go: %s %s\n", go_ok ? "ok" : go_phase, go_err);
		if (go_ok)
			print_escaped("go output", buf_str(&gout), gout.len);
		printf("#   vaultlet: %s %s (line %d col %d)\n", phase, msg,
		       strcmp(phase, "parse") == 0 ? perr.line : res.err.line,
		       strcmp(phase, "parse") == 0 ? perr.col : res.err.col);
		if (strcmp(phase, "ok") == 0)
			print_escaped("vaultlet output", buf_str(&out), out.len);
		if (go_ok && strcmp(phase, "ok") == 0)
			printf("#   first difference at byte %zu\n", k);
	}
	render_result_done(&res);
	tmpl_free(t);
	buf_done(&out);
	buf_done(&gout);
	cJSON_Delete(sec.env);
	for (size_t i = 0; i < nenv; i++)
		free(envp[i]);
	return pass;
}

int main(int argc, char **argv)
{
	FILE *cf, *rf;
	size_t per = 100, n = 0, point = 0, failed_points = 0, total_failed = 0;
	struct stats st = { 0 };
	bool verbose = getenv("VAULTLET_DIFF_VERBOSE") != NULL;
	char *cl, *rl;
	size_t batch_fail = 0, batch_n = 0;
	size_t expected;
	const char *max_refused;
	bool too_many_refused;

	if (argc < 3) {
		fprintf(stderr, "usage: diffdrv CASES.jsonl RESULTS.jsonl [PER_POINT]\n");
		return 2;
	}
	if (argc > 3)
		per = strtoul(argv[3], NULL, 10);
	cf = fopen(argv[1], "re");
	rf = fopen(argv[2], "re");
	if (!cf || !rf) {
		fprintf(stderr, "diffdrv: cannot open inputs\n");
		return 2;
	}
	/* count the cases for the TAP plan */
	for (expected = 0; (cl = read_line(cf)); expected++)
		free(cl);
	rewind(cf);
	printf("1..%zu\n", (expected + per - 1) / per + 1);
	while ((cl = read_line(cf)) != NULL) {
		cJSON *c = cJSON_Parse(cl), *w;

		rl = read_line(rf);
		w = rl ? cJSON_Parse(rl) : NULL;
		if (!c || !w) {
			printf("Bail out! unreadable case or result at %zu\n", n);
			return 1;
		}
		if (!run_case(c, w, &st, verbose)) {
			batch_fail++;
			total_failed++;
		}
		batch_n++;
		n++;
		cJSON_Delete(c);
		cJSON_Delete(w);
		free(cl);
		free(rl);
		if (batch_n == per || n == expected) {
			point++;
			printf("%s %zu - cases %zu..%zu agree with Go (%zu differ)\n",
			       batch_fail ? "not ok" : "ok", point, n - batch_n + 1, n, batch_fail);
			if (batch_fail)
				failed_points++;
			batch_fail = batch_n = 0;
		}
	}
	point++;
	/*
	 * VAULTLET_DIFF_MAX_REFUSED_PCT: a mode whose functions vaultlet
	 * implements fails when more than that share of its cases is refused
	 * (so refusing a whole function cannot pass as agreement).
	 */
	max_refused = getenv("VAULTLET_DIFF_MAX_REFUSED_PCT");
	too_many_refused = max_refused && st.refused * 100 > strtoul(max_refused, NULL, 10) * n;
	printf("%s %zu - %zu cases: %zu identical output, %zu both errors (%zu on the same line), "
	       "%zu refused by vaultlet, %zu differ%s\n",
	       n == expected && n > 0 && !too_many_refused ? "ok" : "not ok", point, n,
	       st.same_output, st.both_error, st.same_line, st.refused, total_failed,
	       too_many_refused ? " (too many refused)" : "");
	fclose(cf);
	fclose(rf);
	return failed_points || too_many_refused ? 1 : 0;
}
