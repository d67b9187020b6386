/* SPDX-License-Identifier: MIT */
/*
 * tdata: test cases as data files, and a cmocka runner that turns each row
 * into its own TAP test point.
 *
 * A data file has one case per line; blank lines and lines starting with '#'
 * are ignored. A line is a list of tokens separated by blanks: either bare
 * words (error, true, 42) or double-quoted strings with Go-style escapes
 * (\n \t \r \\ \" \xNN), so any byte string can be written down, the empty
 * string included. The meaning of the tokens is up to each test.
 *
 * Files are looked up under $VAULTLET_TEST_DATA (meson sets it to
 * tests/data). A malformed file aborts the test program: it is a bug in the
 * test, not a test failure to count.
 */
#ifndef VAULTLET_TDATA_H
#define VAULTLET_TDATA_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define TDATA_MAX_TOKENS 8

struct tdata_row {
	const char *file;
	int line;
	int ntok;
	char *tok[TDATA_MAX_TOKENS];
	size_t len[TDATA_MAX_TOKENS];
};

struct tdata {
	struct tdata_row *rows;
	size_t n;
};

/* Loads $VAULTLET_TEST_DATA/<relpath>; aborts on any problem. */
void tdata_load(const char *relpath, struct tdata *ret);
void tdata_free(struct tdata *t);

/* Whether token i of row is the bare word w. */
int tdata_is(const struct tdata_row *row, int i, const char *w);

/* A growing list of cmocka tests run as one group (one TAP plan). */
struct tlist {
	struct CMUnitTest *tests;
	size_t n, cap;
};

void tlist_add(struct tlist *l, const char *name, CMUnitTestFunction fn, void *state);
/* One test per row of t, named "<file>:<line> <first token>". */
void tlist_add_rows(struct tlist *l, struct tdata *t, CMUnitTestFunction fn);
/* Runs everything and frees the list; returns the number of failures. */
int tlist_run(struct tlist *l, const char *group);

/* The full path of a data file, for tests that read files themselves. */
char *tdata_path(const char *relpath);

#endif
