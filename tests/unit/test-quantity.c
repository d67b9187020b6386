/* SPDX-License-Identifier: MIT */
/*
 * Tests for quantity: tests/data/quantity/normalize.txt holds what the
 * Kubernetes API machinery itself serializes for each input.
 */
#include <errno.h>
#include <string.h>

#include "quantity.h"
#include "tdata.h"

static void test_row(void **state)
{
	const struct tdata_row *row = *state;
	char out[QUANTITY_MAX] = "untouched";
	int r = quantity_normalize(row->tok[0], out);

	if (tdata_is(row, 1, "error")) {
		assert_int_equal(r, -EINVAL);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, row->tok[1]);
}

static void test_too_long(void **state)
{
	char in[QUANTITY_INPUT_MAX + 2], out[QUANTITY_MAX];

	(void)state;
	memset(in, '1', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(quantity_normalize(in, out), -ERANGE);
	in[QUANTITY_INPUT_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(quantity_normalize(in, out), 0);
	assert_string_equal(out, in);
}

/* The longest binary value: 64 digits times 2^60 still fits the digit array. */
static void test_large_binary_is_capped(void **state)
{
	char in[QUANTITY_INPUT_MAX + 1], out[QUANTITY_MAX];

	(void)state;
	memset(in, '9', QUANTITY_INPUT_MAX - 2);
	memcpy(in + QUANTITY_INPUT_MAX - 2, "Ei", 3);
	assert_int_equal(quantity_normalize(in, out), 0);
	assert_string_equal(out, "9223372036854775807");
}

static void test_exponent_out_of_range(void **state)
{
	char out[QUANTITY_MAX];

	(void)state;
	assert_int_equal(quantity_normalize("1e2000000000", out), -ERANGE);
	assert_int_equal(quantity_normalize("1e-2000000000", out), -ERANGE);
	assert_int_equal(quantity_normalize("1e999999999", out), 0);
}

int main(void)
{
	struct tdata t;
	struct tlist l = { 0 };
	int failed;

	tdata_load("quantity/normalize.txt", &t);
	tlist_add_rows(&l, &t, test_row);
	tlist_add(&l, "too_long", test_too_long, NULL);
	tlist_add(&l, "large_binary_is_capped", test_large_binary_is_capped, NULL);
	tlist_add(&l, "exponent_out_of_range", test_exponent_out_of_range, NULL);
	failed = tlist_run(&l, "quantity");
	tdata_free(&t);
	return failed ? 1 : 0;
}
