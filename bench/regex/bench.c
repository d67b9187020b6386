/* SPDX-License-Identifier: MIT */
/*
 * Regular expression benchmark: regexReplaceAll's engine (goregex) on
 * values of 64 KiB .. 1 MiB with patterns that make backtracking engines
 * exponential, to show the time grows linearly with the input. Prints, per
 * pattern and size, the median of RUNS runs in milliseconds and ns/byte.
 * Not a test: run bench/regex/run.sh by hand (the machine is noisy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/goregex.h"

#define RUNS 5

struct kase {
	const char *name, *pattern, *repl;
	char fill, last;
};

static const struct kase cases[] = {
	{ "(a|aa)*b, no b", "(a|aa)*b", "x", 'a', 'a' },
	{ "(a+)+$ then !", "(a+)+$", "x", 'a', '!' },
	{ "(x+x+)+y", "(x+x+)+y", "z", 'x', 'x' },
	{ "(a*)*b with $1", "(a*)*b", "<$1>", 'a', 'c' },
	{ "a{0,30}a{30} (wide program)", "a{0,30}a{30}", "-", 'a', 'b' },
	{ "every byte matches: .", ".", "[$0]", 'a', 'a' },
	/* one long search per match: quadratic in Go too; here capped (-ETIME) */
	{ ".*b|a (quadratic)", ".*b|a", "x", 'a', 'a' },
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static const size_t sizes[] = { 64 << 10, 256 << 10, 1 << 20 };

	printf("%-30s %9s %10s %8s\n", "pattern", "bytes", "median ms", "ns/byte");
	/* RUNS runs each; a refused case prints its first run only */
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct goregex *re = NULL;
		struct buf msg;

		buf_init(&msg, 1024);
		if (goregex_compile(cases[c].pattern, strlen(cases[c].pattern), &re, &msg) != 0) {
			fprintf(stderr, "compile %s: %s\n", cases[c].pattern, buf_str(&msg));
			return 1;
		}
		buf_done(&msg);
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			size_t n = sizes[k];
			char *s = malloc(n);
			double t[RUNS];

			memset(s, cases[c].fill, n);
			s[n - 1] = cases[c].last;
			for (int run = 0; run < RUNS; run++) {
				struct buf out;
				double t0;
				int r;

				buf_init(&out, 64u << 20);
				t0 = now_ms();
				r = goregex_replace_all(re, s, n, cases[c].repl,
							strlen(cases[c].repl), &out);
				t[run] = now_ms() - t0;
				if (r == -ETIME && run == 0)
					printf("%-30s %9zu refused after %.0f ms "
					       "(GOREGEX_MAX_STEPS)\n",
					       cases[c].name, n, t[run]);
				else if (r && r != -ETIME) {
					fprintf(stderr, "%s: error %d\n", cases[c].name, r);
					return 1;
				}
				buf_done(&out);
			}
			qsort(t, RUNS, sizeof(t[0]), cmp);
			printf("%-30s %9zu %10.1f %8.1f\n", cases[c].name, n, t[RUNS / 2],
			       t[RUNS / 2] * 1e6 / (double)n);
			free(s);
		}
		goregex_free(re);
	}
	return 0;
}
