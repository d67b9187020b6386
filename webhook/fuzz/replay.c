/* SPDX-License-Identifier: MIT */
/*
 * A libFuzzer-free driver for fuzz-review.c, so every build can run the
 * harness: each file named on the command line is fed as is, then, for a
 * bit of breadth, a fixed number of deterministic byte-level mutations of
 * it (flip, insert, delete, duplicate a run). Exits non-zero only if the
 * harness aborts (which kills the process anyway).
 *
 * usage: fuzz-review-replay [-mutations N] FILE|DIR...   (a DIR: its *.json files)
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate(uint8_t *buf, size_t *len, size_t cap)
{
	size_t n = *len, at = n ? next() % n : 0, span = 1 + next() % 8;

	switch (next() % 4) {
	case 0:
		if (n)
			buf[at] ^= (uint8_t)(1u << (next() % 8));
		break;
	case 1:
		if (n < cap) {
			memmove(buf + at + 1, buf + at, n - at);
			buf[at] = (uint8_t)next();
			(*len)++;
		}
		break;
	case 2:
		if (n > at + span) {
			memmove(buf + at, buf + at + span, n - at - span);
			*len -= span;
		}
		break;
	default:
		if (n + span <= cap && at + span <= n) {
			memmove(buf + at + span, buf + at, n - at);
			(*len) += span;
		}
		break;
	}
}

static size_t run_file(const char *path, long mutations);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json file of dir, in name order. */
static size_t run_dir(const char *dir, long mutations)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, runs = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char *path;

		if (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!nn)
				abort();
			names = nn;
		}
		path = malloc(strlen(dir) + l + 2);
		if (!path)
			abort();
		snprintf(path, strlen(dir) + l + 2, "%s/%s", dir, e->d_name);
		names[n++] = path;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		runs += run_file(names[i], mutations);
		free(names[i]);
	}
	free(names);
	return runs;
}

int main(int argc, char **argv)
{
	long mutations = 50;
	size_t runs = 0;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-mutations") == 0) {
		mutations = strtol(argv[2], NULL, 10);
		i = 3;
	}
	for (; i < argc; i++) {
		DIR *d = opendir(argv[i]);

		if (d) {
			closedir(d);
			runs += run_dir(argv[i], mutations);
		} else {
			runs += run_file(argv[i], mutations);
		}
	}
	if (runs == 0) {
		fprintf(stderr, "no input ran\n");
		return 2;
	}
	printf("1..1\nok 1 - %zu fuzz inputs ran clean\n", runs);
	return 0;
}

static size_t run_file(const char *path, long mutations)
{
	char *text = NULL;
	size_t len = 0, cap, runs = 0;
	uint8_t *buf;
	int r = afile_read(path, 8 * 1024 * 1024, false, &text, &len);

	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		exit(2);
	}
	cap = len + 4096;
	buf = malloc(cap + 1);
	if (!buf)
		abort();
	for (int mode = 0; mode < 2; mode++) {
		buf[0] = (uint8_t)mode;
		memcpy(buf + 1, text, len);
		LLVMFuzzerTestOneInput(buf, len + 1);
		runs++;
		for (long m = 0; m < mutations; m++) {
			size_t l = len;

			memcpy(buf + 1, text, len);
			for (int k = 0; k < 1 + (int)(next() % 4); k++)
				mutate(buf + 1, &l, cap - 1);
			LLVMFuzzerTestOneInput(buf, l + 1);
			runs++;
		}
	}
	free(buf);
	free(text);
	return runs;
}
