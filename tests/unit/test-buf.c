/* SPDX-License-Identifier: MIT */
/* Tests for buf: the cap is exact, errors leave the buffer unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tdata.h"

static void test_cap_is_exact(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "de", 2), 0);
	assert_int_equal(buf_putc(&b, 'x'), -E2BIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "abcde");
	buf_done(&b);
}

static void test_error_leaves_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "hello"), 0);
	assert_int_equal(buf_appendf(&b, "%s", "world"), -E2BIG);
	assert_string_equal(buf_str(&b), "hello");
	assert_int_equal(buf_appendf(&b, "%d", 42), 0);
	assert_string_equal(buf_str(&b), "hello42");
	buf_done(&b);
}

static void test_zero_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_putc(&b, 'a'), -E2BIG);
	buf_done(&b);
}

static void test_overflowing_lengths(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, SIZE_MAX - 1);
	assert_int_equal(buf_append_str(&b, "ab"), 0);
	/* len + n would wrap: must be refused, not wrap around (volatile: the
	 * compiler must not see the absurd size and warn about the memcpy) */
	volatile size_t huge = SIZE_MAX - 1;
	assert_int_equal(buf_append(&b, "x", huge), -E2BIG);
	assert_int_equal(b.len, 2);
	buf_done(&b);
}

static void test_growth_and_take(void **state)
{
	struct buf b;
	char *p;
	size_t n;

	(void)state;
	buf_init_sensitive(&b, 100000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(strlen(buf_str(&b)), 10000);
	buf_truncate(&b, 3);
	assert_string_equal(buf_str(&b), "abc");
	p = buf_take(&b, &n);
	assert_int_equal(n, 3);
	assert_string_equal(p, "abc");
	assert_null(b.data);
	assert_int_equal(b.max, 100000);
	free(p);
	p = buf_take(&b, &n);
	assert_string_equal(p, "");
	assert_int_equal(n, 0);
	free(p);
	buf_done(&b);
	buf_done(NULL);
}

static void test_reset_keeps_storage(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_append_str(&b, "secret"), 0);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_non_null(b.data);
	buf_done(&b);
}

static void test_setf_replaces_or_empties(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append_str(&b, "old"), 0);
	buf_setf(&b, "e=%d", 7);
	assert_string_equal(buf_str(&b), "e=7");
	buf_setf(&b, "%s", "far too long for ten bytes");
	assert_int_equal(b.len, 0); /* not cut: a half message would mislead */
	buf_done(&b);
}

int main(void)
{
	struct tlist l = { 0 };

	tlist_add(&l, "cap_is_exact", test_cap_is_exact, NULL);
	tlist_add(&l, "error_leaves_content", test_error_leaves_content, NULL);
	tlist_add(&l, "zero_cap", test_zero_cap, NULL);
	tlist_add(&l, "overflowing_lengths", test_overflowing_lengths, NULL);
	tlist_add(&l, "growth_and_take", test_growth_and_take, NULL);
	tlist_add(&l, "reset_keeps_storage", test_reset_keeps_storage, NULL);
	tlist_add(&l, "setf_replaces_or_empties", test_setf_replaces_or_empties, NULL);
	return tlist_run(&l, "buf") ? 1 : 0;
}
