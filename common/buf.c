/* SPDX-License-Identifier: MIT */
/*
 * buf: capped growable byte buffer (see buf.h).
 *
 * Growth doubles the allocation, never past max + 1. Sensitive buffers grow
 * by malloc + copy + wipe instead of realloc, because realloc may leave the
 * old bytes in freed memory. Not thread-safe: one owner at a time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_init(struct buf *b, size_t max)
{
	*b = (struct buf){ .max = max };
}

void buf_init_sensitive(struct buf *b, size_t max)
{
	*b = (struct buf){ .max = max, .sensitive = true };
}

void buf_done(struct buf *b)
{
	if (!b)
		return;
	if (b->data && b->sensitive)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	if (!b->data)
		return;
	if (b->sensitive)
		explicit_bzero(b->data, b->cap);
	b->len = 0;
	b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL. */
int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return -E2BIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;

	/* doubling for a trickle of appends; a big reservation gets just what it asks */
	cap = b->cap == 0 ? 64 : b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	if (cap < need)
		cap = need;
	if (cap > b->max + 1)
		cap = b->max + 1;

	if (b->sensitive) {
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (b->data) {
			memcpy(p, b->data, b->len + 1);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
	} else {
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
	}
	if (!b->data)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append_grow(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_extend_grow(struct buf *b, size_t n, char **ret)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	*ret = b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

void buf_vsetf(struct buf *b, const char *fmt, va_list ap)
{
	buf_reset(b);
	if (buf_vappendf(b, fmt, ap) < 0)
		buf_reset(b);
}

void buf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vsetf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t n)
{
	if (!b->data || n >= b->len)
		return;
	if (b->sensitive)
		explicit_bzero(b->data + n, b->len - n);
	b->len = n;
	b->data[n] = '\0';
}

char *buf_take(struct buf *b, size_t *ret_len)
{
	char *p;

	if (!b->data) {
		p = calloc(1, 1);
		if (!p)
			return NULL;
	} else {
		p = b->data;
	}
	if (ret_len)
		*ret_len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
