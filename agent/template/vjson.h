/* SPDX-License-Identifier: MIT */
/*
 * vjson: strict JSON text -> cJSON tree that keeps every number's literal
 * text, as Go's decoder with UseNumber (json.Number) does. Vault responses
 * and the `render -secrets` file go through it, so a secret number like
 * 1e-7, 12345678901234567000, 1.50 or -0 reaches a template exactly as
 * Vault sent it.
 *
 * The tree is an ordinary cJSON tree (free it with cJSON_Delete); number
 * nodes have valuedouble/valueint as cJSON computes them AND valuestring
 * set to the literal (cJSON_Delete frees it). Strings are decoded as Go
 * does: invalid UTF-8 and unpaired surrogate escapes become U+FFFD.
 * A string may contain NUL bytes ("\u0000"): its byte length is then in
 * valueint (vjson_string_len() reads it for any string node).
 * Objects keep one member per key: a repeated key replaces the earlier
 * value (Go's map semantics), in the earlier position.
 *
 * Strict: one value, surrounded only by JSON white space; no comments, no
 * trailing commas, no NaN; nesting deeper than VJSON_MAX_DEPTH or text
 * longer than VJSON_MAX_TEXT is refused.
 *
 * Usage:
 *
 *	cJSON *v = NULL;
 *	struct vjson_error e;
 *	if (vjson_parse(body, body_len, &v, &e) < 0)
 *		log_error("vault response: offset %zu: %s", e.offset, e.msg);
 *	const char *lit = vjson_number_text(cJSON_GetObjectItem(v, "lease_duration"));
 *	cJSON_Delete(v);
 *
 * Pure; thread-safe (no global state; cJSON's allocator hooks must not be
 * changed while parsing).
 */
#ifndef VAULTLET_VJSON_H
#define VAULTLET_VJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define VJSON_MAX_TEXT	(16 * 1024 * 1024)
#define VJSON_MAX_DEPTH 128
/* Members of one object (duplicate detection is quadratic). */
#define VJSON_MAX_MEMBERS 10000

struct vjson_error {
	size_t offset; /* byte offset of the problem */
	char msg[96];  /* never contains the input's content */
};

/*
 * Parses text[0..len). 0 and *ret; -EINVAL (malformed, *err filled),
 * -E2BIG (over a cap, *err filled), -ENOMEM. err may be NULL.
 */
int vjson_parse(const char *text, size_t len, cJSON **ret, struct vjson_error *err);

/*
 * The literal text of a number node ("1e-7"); for a number node that did
 * not come from vjson_parse, NULL. NULL for anything that is not a number.
 */
const char *vjson_number_text(const cJSON *n);

/*
 * A number node's value as an int64, the way Go decodes a JSON number into
 * an int: a whole number in range, or false (1.5, 1e300, not a number).
 * From the literal text when the node has it, else from its double.
 */
bool vjson_int64(const cJSON *n, int64_t *ret);

/* Byte length of a string node's valuestring (NULs included for vjson strings). */
size_t vjson_string_len(const cJSON *n);

#endif
