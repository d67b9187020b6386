/* SPDX-License-Identifier: MIT */
/*
 * arena: a bump allocator for data that dies all at once — everything one
 * admission review allocates, a parsed template's tree, the strings one
 * template execution computes.
 *
 * Many small allocations become one free, the hot path stays away from
 * malloc, and the total is capped: past ARENA_MAX (or a lower cap, or a
 * budget several arenas share) every allocation fails (NULL), which callers
 * report as -E2BIG/-ENOMEM. A sensitive arena (for values computed from
 * secrets) wipes its memory before freeing it. Not thread-safe: one owner,
 * one arena (a shared budget is an atomic counter).
 */
#ifndef VAULTLET_ARENA_H
#define VAULTLET_ARENA_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

/* Most bytes one arena hands out (its users' inputs are capped well below). */
#define ARENA_MAX (64u * 1024 * 1024)
/* Size of an ordinary chunk; bigger requests get a chunk of their own. */
#define ARENA_CHUNK (16u * 1024)

struct arena_chunk;

/*
 * Memory that several arenas draw on together (say, every review being
 * parsed at once): their chunks' bytes stay under max in total.
 */
struct arena_budget {
	atomic_size_t used;
	size_t max;
};

struct arena {
	struct arena_chunk *head;
	size_t total;		     /* bytes of all chunks */
	size_t max;		     /* the cap on total; 0 means ARENA_MAX */
	struct arena_budget *budget; /* shared with other arenas, or NULL */
	bool over_budget;	     /* an allocation failed because budget was spent */
	bool over_cap;		     /* an allocation failed because of max */
	bool sensitive;
};

void arena_init(struct arena *a);
/* An arena capped at max bytes (at most ARENA_MAX) that also draws on budget (or NULL). */
void arena_init_capped(struct arena *a, size_t max, struct arena_budget *budget);
/* An arena whose chunks are wiped (explicit_bzero) before they are freed. */
void arena_init_sensitive(struct arena *a);
/*
 * Frees every chunk and gives its bytes back to the budget; the arena can be
 * reused right away, with the same cap, budget and sensitivity.
 */
void arena_done(struct arena *a);

/* Zeroed memory aligned for any type; NULL past the cap or the budget, or on OOM. */
void *arena_alloc(struct arena *a, size_t n);
/* The same, not zeroed (for callers that fill every byte, like a JSON parser). */
void *arena_alloc_uninit(struct arena *a, size_t n);
/* NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* "x<sep>y" (the hot path's "%s/%s" without printf). */
char *arena_join(struct arena *a, const char *x, char sep, const char *y);
char *arena_printf(struct arena *a, const char *fmt, ...) VL_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) VL_PRINTF(2, 0);

#endif
