/* SPDX-License-Identifier: MIT */
/*
 * goparse: scalar parsing that behaves exactly like the Go functions the
 * stock injector applies to annotation values, so a value the stock injector
 * accepts is accepted here and one it denies is denied here.
 *
 *   goparse_bool      parseutil.ParseBool: "" is false; 1 t T TRUE true True,
 *                     0 f F FALSE false False; anything else (tRuE) is an error
 *   goparse_int64     parseutil.ParseInt: "" is 0, else strconv.ParseInt(s, 10, 64)
 *   goparse_uint64    strconv.ParseUint(s, 10, 64) ("" is an error)
 *   goparse_duration  time.ParseDuration ("5m", "1h30m", "250ms", "-1.5h", "0")
 *   goparse_duration_format  time.Duration.String ("1h30m0s", "250ms", "0s")
 *
 * All are pure functions; out-parameters are written only on success.
 */
#ifndef VAULTLET_GOPARSE_H
#define VAULTLET_GOPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOPARSE_NS_PER_SEC INT64_C(1000000000)

bool goparse_bool(const char *s, bool *ret);
bool goparse_int64(const char *s, int64_t *ret);
bool goparse_uint64(const char *s, uint64_t *ret);
/* Nanoseconds, like Go's time.Duration. */
bool goparse_duration(const char *s, int64_t *ret_ns);
/*
 * strconv's underscoreOK: in a number literal, '_' only between digits or
 * after a base prefix (0b, 0o, 0x); an optional sign first.
 */
bool goparse_underscore_ok(const char *s, size_t n);

/* Longest output of goparse_duration_format, with the NUL. */
#define GOPARSE_DURATION_MAX 33
/* Writes Go's Duration.String() of ns into out; returns out. */
char *goparse_duration_format(int64_t ns, char out[static GOPARSE_DURATION_MAX]);

#endif
