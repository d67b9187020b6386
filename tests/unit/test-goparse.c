/* SPDX-License-Identifier: MIT */
/*
 * Tests for goparse: each row of the tables in tests/data/goparse/ is a case, with
 * the value Go itself produces for that input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goparse.h"
#include "tdata.h"

static void test_bool_row(void **state)
{
	const struct tdata_row *row = *state;
	bool v = false;
	bool ok = goparse_bool(row->tok[0], &v);

	if (tdata_is(row, 1, "error")) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	assert_int_equal(v, tdata_is(row, 1, "true"));
}

static void test_int64_row(void **state)
{
	const struct tdata_row *row = *state;
	int64_t v = 0;
	bool ok = goparse_int64(row->tok[0], &v);
	char got[32];

	if (tdata_is(row, 1, "error")) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	snprintf(got, sizeof(got), "%" PRId64, v);
	assert_string_equal(got, row->tok[1]);
}

static void test_uint64_row(void **state)
{
	const struct tdata_row *row = *state;
	uint64_t v = 0;
	bool ok = goparse_uint64(row->tok[0], &v);
	char got[32];

	if (tdata_is(row, 1, "error")) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	snprintf(got, sizeof(got), "%" PRIu64, v);
	assert_string_equal(got, row->tok[1]);
}

static void test_duration_row(void **state)
{
	const struct tdata_row *row = *state;
	int64_t ns = 0;
	bool ok = goparse_duration(row->tok[0], &ns);
	char got[32], text[GOPARSE_DURATION_MAX];

	if (tdata_is(row, 1, "error")) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	snprintf(got, sizeof(got), "%" PRId64, ns);
	assert_string_equal(got, row->tok[1]);
	assert_string_equal(goparse_duration_format(ns, text), row->tok[2]);
}

/* Formatting alone, at the edges parsing cannot reach. */
static void test_duration_format_extremes(void **state)
{
	char text[GOPARSE_DURATION_MAX];

	(void)state;
	assert_string_equal(goparse_duration_format(INT64_MIN, text), "-2562047h47m16.854775808s");
	assert_string_equal(goparse_duration_format(INT64_MAX, text), "2562047h47m16.854775807s");
	assert_string_equal(goparse_duration_format(1, text), "1ns");
	assert_string_equal(goparse_duration_format(-1001, text), "-1.001\xc2\xb5s");
}

/* Out-parameters are written only on success. */
static void test_untouched_on_error(void **state)
{
	bool b = true;
	int64_t i = 42, d = 42;
	uint64_t u = 42;

	(void)state;
	assert_false(goparse_bool("tRuE", &b));
	assert_true(b);
	assert_false(goparse_int64("root", &i));
	assert_int_equal(i, 42);
	assert_false(goparse_uint64("-1", &u));
	assert_int_equal(u, 42);
	assert_false(goparse_duration("5", &d));
	assert_int_equal(d, 42);
}

int main(void)
{
	struct tdata b, i, u, d;
	struct tlist l = { 0 };
	int failed;

	tdata_load("goparse/bool.txt", &b);
	tdata_load("goparse/int64.txt", &i);
	tdata_load("goparse/uint64.txt", &u);
	tdata_load("goparse/duration.txt", &d);
	tlist_add_rows(&l, &b, test_bool_row);
	tlist_add_rows(&l, &i, test_int64_row);
	tlist_add_rows(&l, &u, test_uint64_row);
	tlist_add_rows(&l, &d, test_duration_row);
	tlist_add(&l, "duration_format_extremes", test_duration_format_extremes, NULL);
	tlist_add(&l, "untouched_on_error", test_untouched_on_error, NULL);
	failed = tlist_run(&l, "goparse");
	tdata_free(&b);
	tdata_free(&i);
	tdata_free(&u);
	tdata_free(&d);
	return failed ? 1 : 0;
}
