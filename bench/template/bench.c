/* SPDX-License-Identifier: MIT */
/*
 * Template rendering benchmark: the seed's app-credentials.sh template
 * (vector TV01) against its KV v2 secret, as the agent renders it.
 *
 *   render only        render_exec() on a parsed template (the sidecar's
 *                      steady state: templates are parsed once)
 *   parse + render     tmpl_parse() + render_exec() + tmpl_free()
 *
 * Each measurement is RUNS runs of ITERS iterations; prints the median and
 * the spread of the per-iteration time in nanoseconds. Not a test: the
 * machine is shared and noisy; run bench/template/run.sh by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

#define RUNS  15
#define ITERS 20000

static const char tv01[] =
    "#!/bin/sh\n{{- with secret \"secret/data/litellm/secrets\" }}\n"
    "export PROXY_MASTER_KEY=\"{{ .Data.data.master_key }}\"\n"
    "export OPENROUTER_API_KEY=\"{{ .Data.data.openrouter_api_key }}\"\n"
    "export DATABASE_URL=\"postgresql://llmproxy:{{ .Data.data.db_password }}"
    "@host.docker.internal:5432/litellm\"\n{{- end }}\n";

static const char response[] =
    "{\"request_id\":\"8a3c6c5e-0f3f-2f1a-9b8e-1d6c2a1f0b9e\",\"lease_id\":\"\",\"renewable\":"
    "false,"
    "\"lease_duration\":0,\"data\":{\"data\":{\"db_password\":\"pw\",\"master_key\":\"sk-master\","
    "\"openrouter_api_key\":\"sk-or-v1-abc\"},\"metadata\":{\"created_time\":"
    "\"2024-05-01T10:00:00.123456789Z\",\"custom_metadata\":null,\"deletion_time\":\"\","
    "\"destroyed\":false,\"version\":3}},\"wrap_info\":null,\"warnings\":null,\"auth\":null}";

static const char expected[] =
    "#!/bin/sh\nexport PROXY_MASTER_KEY=\"sk-master\"\n"
    "export OPENROUTER_API_KEY=\"sk-or-v1-abc\"\n"
    "export DATABASE_URL=\"postgresql://llmproxy:pw@host.docker.internal:5432/litellm\"\n";

static cJSON *secret;

static const cJSON *lookup(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return secret;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp);
	printf("%-16s median %7.0f ns   min %7.0f   max %7.0f   (%d runs x %d)\n", what,
	       v[RUNS / 2], v[0], v[RUNS - 1], RUNS, ITERS);
}

int main(void)
{
	struct render_opts ro = { .secret = lookup };
	struct render_result res;
	struct tmpl *t = NULL;
	struct buf out;
	double render[RUNS], both[RUNS];
	int run, i;

	if (vjson_parse(response, strlen(response), &secret, NULL) < 0 ||
	    tmpl_parse(tv01, strlen(tv01), NULL, &t, NULL) < 0)
		return 1;
	buf_init_sensitive(&out, RENDER_MAX_OUTPUT);
	if (render_exec(t, &ro, &out, &res) != 0 || strcmp(buf_str(&out), expected) != 0) {
		fprintf(stderr, "bench: wrong output\n");
		return 1;
	}
	render_result_done(&res);
	for (run = 0; run < RUNS; run++) {
		double t0 = now_ns();

		for (i = 0; i < ITERS; i++) {
			if (render_exec(t, &ro, &out, &res) != 0)
				return 1;
			render_result_done(&res);
		}
		render[run] = (now_ns() - t0) / ITERS;
		t0 = now_ns();
		for (i = 0; i < ITERS; i++) {
			struct tmpl *t2 = NULL;

			if (tmpl_parse(tv01, strlen(tv01), NULL, &t2, NULL) != 0 ||
			    render_exec(t2, &ro, &out, &res) != 0)
				return 1;
			render_result_done(&res);
			tmpl_free(t2);
		}
		both[run] = (now_ns() - t0) / ITERS;
	}
	report("render only", render);
	report("parse + render", both);
	buf_done(&out);
	tmpl_free(t);
	cJSON_Delete(secret);
	return 0;
}
