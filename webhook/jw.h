/* SPDX-License-Identifier: MIT */
/*
 * jw: a streaming JSON writer that produces the bytes Go's encoding/json
 * produces, so a document vaultlet builds (the agent config in VAULT_CONFIG,
 * the JSON Patch, the AdmissionReview response) is byte-for-byte what the
 * stock injector would marshal for the same values.
 *
 * Strings are escaped like Go >= 1.22 with HTML escaping on (json.Marshal):
 * `"` `\` and \b \f \n \r \t get short escapes, other bytes below 0x20 and
 * `<` `>` `&` become \u00XX (lower-case hex), U+2028 and U+2029 become
 * \u2028 and \u2029, and each byte of invalid UTF-8 becomes \ufffd.
 * Numbers: integers in decimal; floats as Go's float64 encoder writes them
 * (shortest round-trip digits, exponent form only below 1e-6 or from 1e21).
 *
 * Errors are sticky: the first failure (-E2BIG from the buffer cap,
 * -ENOMEM, -EINVAL for misuse such as a value without a key inside an
 * object) is kept and every later call does nothing; jw_finish() returns
 * it. So a builder can write a whole document and check once.
 */
#ifndef VAULTLET_WEBHOOK_JW_H
#define VAULTLET_WEBHOOK_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

/* Deepest nesting jw accepts; vaultlet's documents need about 8. */
#define JW_MAX_DEPTH 32

struct jw {
	struct buf *out;
	int err;
	unsigned depth;
	bool after_key;
	bool is_object[JW_MAX_DEPTH + 1];
	uint32_t count[JW_MAX_DEPTH + 1]; /* members written at each level */
};

void jw_init(struct jw *w, struct buf *out);
/* 0 when the document is complete and nothing failed, else the first error. */
int jw_finish(struct jw *w);

void jw_object_open(struct jw *w);
void jw_object_close(struct jw *w);
void jw_array_open(struct jw *w);
void jw_array_close(struct jw *w);
/* An object member name; the value comes with the next call. */
void jw_keyn(struct jw *w, const char *key, size_t n);
void jw_stringn(struct jw *w, const char *s, size_t n);

/* Inline so that the length of a literal key or value is a constant. */
static inline void jw_key(struct jw *w, const char *key)
{
	jw_keyn(w, key, strlen(key));
}

static inline void jw_string(struct jw *w, const char *s)
{
	jw_stringn(w, s, strlen(s));
}

void jw_bool(struct jw *w, bool v);
void jw_int(struct jw *w, int64_t v);
void jw_float(struct jw *w, double v);
void jw_null(struct jw *w);
/* A string holding the standard base64 of data[0..n), encoded in place. */
void jw_base64_string(struct jw *w, const void *data, size_t n);

/*
 * Pre-encoded JSON, for the constant parts of vaultlet's documents: a value,
 * or one or more "key":value members of the open object. Only through the
 * macros, which accept nothing but a string literal, so input never gets
 * here unescaped; the literal must be what Go's encoding/json writes (the
 * admission tests compare whole patches byte for byte).
 */
void jw_encoded(struct jw *w, const char *json, size_t n);
void jw_encoded_members(struct jw *w, const char *members, size_t n);
#define JW_ENCODED(w, literal)	       jw_encoded((w), "" literal "", sizeof(literal) - 1)
#define JW_ENCODED_MEMBERS(w, literal) jw_encoded_members((w), "" literal "", sizeof(literal) - 1)

/* Shorthands for "key": value. */
static inline void jw_kv_string(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void jw_kv_bool(struct jw *w, const char *key, bool v);
void jw_kv_int(struct jw *w, const char *key, int64_t v);

/*
 * Appends s[0..n) to out escaped as the inside of a Go JSON string (no
 * quotes). 0, -E2BIG, -ENOMEM.
 */
int jw_escape(struct buf *out, const char *s, size_t n);

/*
 * Writes the Go encoding/json form of a finite double (strconv 'f' or 'e'
 * with the shortest digits that round-trip). out must hold 32 bytes.
 * Returns false for NaN and infinities, which Go refuses to marshal.
 */
bool jw_format_float(double v, char out[static 32]);

#endif
