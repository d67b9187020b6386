/* SPDX-License-Identifier: MIT */
/*
 * buf: a growable byte buffer that is born with a maximum size.
 *
 * Every buffer that holds input from the network, a file or a template has
 * a cap; appending past it fails with -E2BIG and leaves the buffer as it
 * was, so callers can turn it into a 413 or a clear refusal. The data is
 * always NUL-terminated (the NUL is not counted in len and not in max), so
 * a buffer of text can be handed to string functions directly.
 *
 * A buffer made with buf_init_sensitive() never leaves a copy of its bytes
 * behind: growing copies into a fresh allocation and wipes the old one, and
 * buf_done() wipes before freeing. Use it for tokens, JWTs and rendered
 * secrets.
 */
#ifndef VAULTLET_BUF_H
#define VAULTLET_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "macros.h"

struct buf {
	char *data; /* NULL until the first append; then NUL-terminated */
	size_t len;
	size_t cap; /* allocated bytes, including room for the NUL */
	size_t max; /* largest len allowed */
	bool sensitive;
};

void buf_init(struct buf *b, size_t max);
void buf_init_sensitive(struct buf *b, size_t max);
/* Frees the storage (wiping it first if sensitive); b can be reused after buf_init. */
void buf_done(struct buf *b);
/* Drops the content, keeps the storage (wiped if sensitive). */
void buf_reset(struct buf *b);

/* The growing path of buf_append; call buf_append. */
VL_NODISCARD int buf_append_grow(struct buf *b, const void *p, size_t n);

/*
 * 0, -E2BIG when the result would exceed max, -ENOMEM. On error b is unchanged.
 * Inline because JSON writers append a few bytes at a time on hot paths:
 * when the bytes fit in the storage already there, it is a copy.
 */
VL_NODISCARD static inline int buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->data && n < b->cap - b->len && b->len + n <= b->max) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_grow(b, p, n);
}

VL_NODISCARD static inline int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

VL_NODISCARD int buf_append_str(struct buf *b, const char *s);
VL_NODISCARD int buf_appendf(struct buf *b, const char *fmt, ...) VL_PRINTF(2, 3);
VL_NODISCARD int buf_vappendf(struct buf *b, const char *fmt, va_list ap) VL_PRINTF(2, 0);
/*
 * Makes room for `extra` more bytes so that appends up to that size do not
 * reallocate. 0, -E2BIG (len + extra > max), -ENOMEM.
 */
VL_NODISCARD int buf_reserve(struct buf *b, size_t extra);
/* The growing path of buf_extend; call buf_extend. */
VL_NODISCARD int buf_extend_grow(struct buf *b, size_t n, char **ret);
/*
 * Grows the content by n bytes and points *ret at them (uninitialised; the
 * caller fills them in). For writers that know their output size, so they
 * fill it in place instead of appending piecewise. 0, -E2BIG, -ENOMEM; on
 * error b is unchanged. Inline for the same reason as buf_append.
 */
VL_NODISCARD static inline int buf_extend(struct buf *b, size_t n, char **ret)
{
	if (b->data && n < b->cap - b->len && b->len + n <= b->max) {
		*ret = b->data + b->len;
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_extend_grow(b, n, ret);
}
/*
 * Replaces the content with a formatted message, best effort: for error
 * reports, where the caller's return code still says what failed when the
 * message does not fit (b is then left empty rather than cut).
 */
void buf_setf(struct buf *b, const char *fmt, ...) VL_PRINTF(2, 3);
void buf_vsetf(struct buf *b, const char *fmt, va_list ap) VL_PRINTF(2, 0);
/* Shortens the content to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

/*
 * Hands the storage to the caller (free() it, or wipe it first if the buffer
 * was sensitive) and leaves b empty with the same max. Returns an empty
 * allocated string for an empty buffer; NULL only on out-of-memory.
 */
char *buf_take(struct buf *b, size_t *ret_len);

/* The content as a string; "" for a buffer that never grew. */
const char *buf_str(const struct buf *b);

#endif
