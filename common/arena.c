/* SPDX-License-Identifier: MIT */
/*
 * arena: bump allocation in chunks, freed all at once (see arena.h).
 *
 * Chunks form a singly linked list, newest first. An allocation is served
 * from the newest chunk when it fits, otherwise a new chunk of ARENA_CHUNK
 * bytes (or exactly the request, when larger) is pushed. Chunks are
 * malloc'ed; arena_alloc zeroes each allocation as it is handed out, so only the
 * bytes used are touched.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
	*a = (struct arena){ 0 };
}

void arena_init_sensitive(struct arena *a)
{
	*a = (struct arena){ .sensitive = true };
}

void arena_init_capped(struct arena *a, size_t max, struct arena_budget *budget)
{
	*a = (struct arena){ .max = max < ARENA_MAX ? max : ARENA_MAX, .budget = budget };
}

void arena_done(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		if (a->sensitive)
			explicit_bzero(c->data, c->used);
		free(c);
	}
	if (a->budget)
		atomic_fetch_sub(&a->budget->used, a->total);
	*a = (struct arena){ .max = a->max, .budget = a->budget, .sensitive = a->sensitive };
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_uninit(a, n);

	/* rounded-up tails stay unzeroed: nobody was promised them */
	return p ? memset(p, 0, n ? n : 1) : NULL;
}

void *arena_alloc_uninit(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	const size_t max = a->max ? a->max : ARENA_MAX;
	struct arena_chunk *c = a->head;
	size_t size;
	void *p;

	if (n == 0)
		n = 1;
	if (n > max) {
		a->over_cap = true;
		return NULL;
	}
	n = (n + align - 1) & ~(align - 1);
	if (c && c->size - c->used >= n) {
		p = c->data + c->used;
		c->used += n;
		return p;
	}
	size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
	if (a->total + size > max) {
		a->over_cap = true;
		return NULL;
	}
	if (a->budget && atomic_fetch_add(&a->budget->used, size) + size > a->budget->max) {
		atomic_fetch_sub(&a->budget->used, size);
		a->over_budget = true;
		return NULL;
	}
	c = malloc(sizeof(*c) + size);
	if (!c) {
		if (a->budget)
			atomic_fetch_sub(&a->budget->used, size);
		return NULL;
	}
	c->size = size;
	c->used = n;
	/* a big private chunk goes behind the current one so its free space stays usable */
	if (size > ARENA_CHUNK && a->head) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	a->total += size;
	return c->data;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc_uninit(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_join(struct arena *a, const char *x, char sep, const char *y)
{
	size_t xl = strlen(x), yl = strlen(y);
	char *p = arena_alloc_uninit(a, xl + yl + 2);

	if (!p)
		return NULL;
	memcpy(p, x, xl);
	p[xl] = sep;
	memcpy(p + xl + 1, y, yl + 1);
	return p;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	char tmp[512];
	va_list ap2;
	char *p;
	int n;

	/* one formatting pass for the usual short message, a second only past tmp */
	va_copy(ap2, ap);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	p = arena_alloc_uninit(a, (size_t)n + 1);
	if (!p)
		return NULL;
	if ((size_t)n < sizeof(tmp))
		memcpy(p, tmp, (size_t)n + 1);
	else
		(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	if (a->sensitive)
		explicit_bzero(tmp, sizeof(tmp));
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
