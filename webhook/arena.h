/* SPDX-License-Identifier: MIT */
/*
 * arena: a bump allocator for everything one admission review allocates.
 *
 * A review builds many small strings (secret names, destinations, messages)
 * that all die together when the response has been written. An arena makes
 * that one free, keeps the hot path away from malloc, and caps the total a
 * single review may allocate: past ARENA_MAX every allocation fails (NULL),
 * which callers report as -E2BIG/-ENOMEM. Not thread-safe: one review, one
 * thread, one arena.
 */
#ifndef VAULTLET_WEBHOOK_ARENA_H
#define VAULTLET_WEBHOOK_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "macros.h"

/* Most bytes one arena hands out (a review is capped by its body size anyway). */
#define ARENA_MAX (64u * 1024 * 1024)
/* Size of an ordinary chunk; bigger requests get a chunk of their own. */
#define ARENA_CHUNK (16u * 1024)

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total; /* bytes of all chunks */
};

void arena_init(struct arena *a);
/* Frees every chunk; the arena can be reused after arena_init (or right away). */
void arena_done(struct arena *a);

/* Zeroed memory aligned for any type; NULL past ARENA_MAX or on OOM. */
void *arena_alloc(struct arena *a, size_t n);
/* NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) VL_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) VL_PRINTF(2, 0);

#endif
