/* SPDX-License-Identifier: MIT */
/*
 * arena: a bump allocator for data that dies all at once — everything one
 * admission review allocates, a parsed template's tree, the strings one
 * template execution computes.
 *
 * Many small allocations become one free, the hot path stays away from
 * malloc, and the total is capped: past ARENA_MAX every allocation fails
 * (NULL), which callers report as -E2BIG/-ENOMEM. A sensitive arena (for
 * values computed from secrets) wipes its memory before freeing it. Not
 * thread-safe: one owner, one arena.
 */
#ifndef VAULTLET_ARENA_H
#define VAULTLET_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

/* Most bytes one arena hands out (its users' inputs are capped well below). */
#define ARENA_MAX (64u * 1024 * 1024)
/* Size of an ordinary chunk; bigger requests get a chunk of their own. */
#define ARENA_CHUNK (16u * 1024)

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total; /* bytes of all chunks */
	bool sensitive;
};

void arena_init(struct arena *a);
/* An arena whose chunks are wiped (explicit_bzero) before they are freed. */
void arena_init_sensitive(struct arena *a);
/* Frees every chunk; the arena can be reused right away, still sensitive if it was. */
void arena_done(struct arena *a);

/* Zeroed memory aligned for any type; NULL past ARENA_MAX or on OOM. */
void *arena_alloc(struct arena *a, size_t n);
/* The same, not zeroed (for callers that fill every byte, like a JSON parser). */
void *arena_alloc_uninit(struct arena *a, size_t n);
/* NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) VL_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) VL_PRINTF(2, 0);

#endif
