/* SPDX-License-Identifier: MIT */
/*
 * b64: base64 (RFC 4648) in the standard and URL-safe alphabets, always
 * with '=' padding on output.
 *
 * Decoding has two modes:
 *   B64_STRICT  exactly the canonical encoding: padding required, no line
 *               breaks, unused trailing bits zero. Use for data we define
 *               (VAULT_CONFIG, JWT parts are decoded with B64_NOPAD).
 *   B64_GO      what Go's base64.StdEncoding/URLEncoding.DecodeString
 *               accepts: '\r' and '\n' anywhere are skipped and non-zero
 *               trailing bits are tolerated. The templates' base64Decode
 *               uses this, and reports the same "illegal base64 data at
 *               input byte N" offset Go reports.
 * B64_NOPAD may be or-ed in: padding must then be absent (JWT segments).
 */
#ifndef VAULTLET_B64_H
#define VAULTLET_B64_H

#include <stddef.h>

#include "buf.h"

enum b64_alphabet { B64_STD, B64_URL };

enum {
	B64_STRICT = 0,
	B64_GO = 1 << 0,
	B64_NOPAD = 1 << 1,
};

/* Length of the encoding of n bytes (with padding), without a NUL. */
size_t b64_encoded_len(size_t n);

/* Appends the encoding of p[0..n) to out: 0, -E2BIG, -ENOMEM. */
int b64_encode(const void *p, size_t n, enum b64_alphabet alpha, struct buf *out);

/*
 * Appends the decoding of s[0..n) to out. Returns 0, -EINVAL on malformed
 * input (*ret_err_offset, if given, is set to the byte offset Go would
 * report), -E2BIG, -ENOMEM. On error out holds nothing new.
 */
int b64_decode(const char *s, size_t n, enum b64_alphabet alpha, int flags, struct buf *out,
	       size_t *ret_err_offset);

#endif
