/* SPDX-License-Identifier: MIT */
/* Tests for arena: zeroed and aligned memory, the total cap, big requests, shared budgets. */
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "tdata.h"

static void test_zeroed_and_aligned(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	for (size_t n = 1; n < 200; n += 7) {
		unsigned char *p = arena_alloc(&a, n);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xff, n); /* the next allocation must still come back zeroed */
	}
	arena_done(&a);
}

static void test_strings(void **state)
{
	struct arena a;

	(void)state;
	arena_init_sensitive(&a);
	assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
	assert_string_equal(arena_strdup(&a, ""), "");
	assert_string_equal(arena_printf(&a, "%s-%d", "x", 42), "x-42");
	assert_string_equal(arena_join(&a, "/vault/secrets", '/', "app.sh"),
			    "/vault/secrets/app.sh");
	assert_string_equal(arena_join(&a, "", '/', ""), "/");
	arena_done(&a);
	assert_true(a.sensitive); /* reusable, still wiping */
	assert_string_equal(arena_strdup(&a, "again"), "again");
	arena_done(&a);
}

static void test_big_and_cap(void **state)
{
	struct arena a;
	char *small, *big;

	(void)state;
	arena_init(&a);
	small = arena_alloc(&a, 16);
	big = arena_alloc(&a, ARENA_CHUNK * 4); /* its own chunk */
	assert_non_null(small);
	assert_non_null(big);
	/* the first chunk's free space is still used after a big request */
	assert_true(arena_alloc(&a, 16) == small + 16);
	assert_null(arena_alloc(&a, ARENA_MAX + 1));
	assert_null(arena_alloc(&a, SIZE_MAX));
	arena_done(&a);
	arena_done(NULL);
}

/* A lower cap, and a budget two arenas draw on: spent, refused, given back. */
static void test_cap_and_budget(void **state)
{
	struct arena_budget b = { .max = 3 * ARENA_CHUNK };
	struct arena x, y;

	(void)state;
	arena_init_capped(&x, 2 * ARENA_CHUNK, &b);
	arena_init_capped(&y, ARENA_MAX, &b);
	assert_null(arena_alloc(&x, 2 * ARENA_CHUNK + 1)); /* over x's own cap */
	assert_false(x.over_budget);
	assert_non_null(arena_alloc(&x, 2 * ARENA_CHUNK)); /* x holds two chunks' worth */
	assert_non_null(arena_alloc(&y, ARENA_CHUNK));	   /* y the third */
	assert_int_equal(atomic_load(&b.used), 3 * ARENA_CHUNK);
	assert_null(arena_alloc(&y, ARENA_CHUNK + 16)); /* y may, the budget may not */
	assert_true(y.over_budget);
	assert_int_equal(atomic_load(&b.used), 3 * ARENA_CHUNK);
	arena_done(&x); /* gives its bytes back, keeps its cap and budget */
	assert_int_equal(atomic_load(&b.used), ARENA_CHUNK);
	assert_non_null(arena_alloc(&y, ARENA_CHUNK + 16));
	assert_null(arena_alloc(&x, 2 * ARENA_CHUNK + 1));
	arena_done(&y);
	arena_done(&x);
	assert_int_equal(atomic_load(&b.used), 0);
}

int main(void)
{
	struct tlist l = { 0 };

	tlist_add(&l, "zeroed_and_aligned", test_zeroed_and_aligned, NULL);
	tlist_add(&l, "strings", test_strings, NULL);
	tlist_add(&l, "big_and_cap", test_big_and_cap, NULL);
	tlist_add(&l, "cap_and_budget", test_cap_and_budget, NULL);
	return tlist_run(&l, "arena") ? 1 : 0;
}
