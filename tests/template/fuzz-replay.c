/* SPDX-License-Identifier: MIT */
/*
 * fuzz-replay: runs the template fuzz target (fuzz-template.c) over every
 * file of a corpus directory without libFuzzer, so the normal suite
 * replays the seeds and past findings under ASan/UBSan in a second. Prints
 * TAP: one point for the whole corpus.
 *
 *   fuzz-replay DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-replay DIR\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		printf("1..1\nnot ok 1 - cannot open %s\n", argv[1]);
		return 1;
	}
	printf("1..1\n");
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		char *data = NULL;
		size_t len = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		if (afile_read(path, 1 << 20, false, &data, &len) < 0) {
			printf("not ok 1 - cannot read %s\n", path);
			closedir(d);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		n++;
	}
	closedir(d);
	if (n == 0) { /* an empty or misplaced corpus checks nothing */
		printf("not ok 1 - no corpus inputs in %s\n", argv[1]);
		return 1;
	}
	printf("ok 1 - %zu corpus inputs replayed through the parser and evaluator\n", n);
	return 0;
}
