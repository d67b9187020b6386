/* SPDX-License-Identifier: MIT */
/*
 * log: one line per event on stderr, as text or JSON, with key/value fields,
 * and a redaction rule that keeps secrets out of every line.
 *
 * Formats:
 *   text  2026-11-27T07:29:42.123Z [INFO]  rendered template: dest=/vault/secrets/x version=3
 *   json  {"time":"2026-11-27T07:29:42.123Z","level":"info","msg":"rendered template",
 *          "dest":"/vault/secrets/x","version":3}
 *
 * Redaction, two ways, both always on:
 *   - a field made with LOG_SECRET() prints as [redacted], whatever it holds;
 *   - values registered with log_secret_add() (tokens, JWTs, secret values,
 *     at least LOG_SECRET_MIN bytes long) are replaced by [redacted] wherever
 *     they appear in a message or field, however they got there.
 *
 * Only programs log; the rest of common/ returns errors instead. The
 * configuration is set once by log_setup() before threads start; emitting
 * and the secret registry are thread-safe, and each line is one write(2).
 */
#ifndef VAULTLET_LOG_H
#define VAULTLET_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

enum log_level { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

enum log_field_kind { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_SECRET };

struct log_field {
	const char *key;
	enum log_field_kind kind;
	const char *str; /* LOG_FIELD_STR; NULL prints as empty */
	long long num;	 /* LOG_FIELD_INT */
};

#define LOG_STR(k, v) ((struct log_field){ .key = (k), .kind = LOG_FIELD_STR, .str = (v) })
#define LOG_INT(k, v)                                                                              \
	((struct log_field){ .key = (k), .kind = LOG_FIELD_INT, .num = (long long)(v) })
/* The value is deliberately not taken: a secret field always prints [redacted]. */
#define LOG_SECRET(k) ((struct log_field){ .key = (k), .kind = LOG_FIELD_SECRET })

/* Expands to the (fields, count) pair that log_emit() takes. */
#define LOG_FIELDS(...)                                                                            \
	(const struct log_field[]){ __VA_ARGS__ },                                                 \
	    (sizeof((const struct log_field[]){ __VA_ARGS__ }) / sizeof(struct log_field))

/* Secrets shorter than this cannot be scrubbed by substring without mangling logs. */
#define LOG_SECRET_MIN 4
/* Longest line written; longer messages are cut and marked. */
#define LOG_LINE_MAX 16384

struct log_config {
	enum log_level level;
	enum log_format format;
	int fd; /* where lines go; 2 for stderr */
	/* Fields appended to every line (e.g. the pod's namespace and name); may be NULL. */
	const struct log_field *context;
	size_t ncontext;
};

/* Default: info, text, stderr, no context. The context array must outlive logging. */
void log_setup(const struct log_config *cfg);
bool log_enabled(enum log_level level);

/* trace debug info notice warn warning err error, trimmed, any case; "" is info. */
bool log_level_parse(const char *s, enum log_level *ret);
/* "standard", "text" or "" (text), "json". */
bool log_format_parse(const char *s, enum log_format *ret);
const char *log_level_name(enum log_level level);

void log_emit(enum log_level level, const struct log_field *fields, size_t nfields, const char *fmt,
	      ...) VL_PRINTF(4, 5);
void log_vemit(enum log_level level, const struct log_field *fields, size_t nfields,
	       const char *fmt, va_list ap) VL_PRINTF(4, 0);

#define log_trace(...) log_emit(LOG_TRACE, NULL, 0, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_emit(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_emit(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERROR, NULL, 0, __VA_ARGS__)

/*
 * Registers a value that must never appear in a log line. The registry keeps
 * its own copy (wiped when forgotten). 0, -EINVAL (shorter than
 * LOG_SECRET_MIN: not registered, the caller must never log it), -ENOMEM,
 * -E2BIG (registry full). Registering the same value twice counts twice.
 */
int log_secret_add(const void *value, size_t len);
/* Forgets one registration of value; no-op when unknown. */
void log_secret_forget(const void *value, size_t len);
/* Forgets every registered secret. */
void log_secret_clear(void);
/*
 * Rewrites the NUL-terminated text in dst[0..cap) with every registered
 * secret replaced by [redacted] (cut to fit): for text that leaves the
 * process another way than a log line, such as a status file.
 */
void log_scrub_in_place(char *dst, size_t cap);
/*
 * Writes src[0..n) into dst[0..cap) scrubbed, and only then cut to fit, so
 * that no part of a secret survives the cut. `truncated` says src was
 * itself cut from a longer text (say, by a fixed-size buffer upstream): a
 * registered secret's first bytes at its very end are hidden too. src may
 * be dst.
 */
void log_scrub_copy(char *dst, size_t cap, const char *src, size_t n, bool truncated);
/* Formats the whole text, scrubs it, then cuts it into dst[0..cap). */
void log_scrub_format(char *dst, size_t cap, const char *fmt, ...) VL_PRINTF(3, 4);
void log_scrub_vformat(char *dst, size_t cap, const char *fmt, va_list ap) VL_PRINTF(3, 0);
/* A malloc'ed scrubbed copy of s (free() it); NULL when out of memory. */
char *log_scrub_dup(const char *s);

#endif
