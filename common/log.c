/* SPDX-License-Identifier: MIT */
/*
 * log: structured, redacting, line-at-a-time logging (see log.h).
 *
 * DESIGN
 * ------
 * A line is built in three steps: the printf-style message is formatted
 * into a wiped scratch buffer; the message and every string field are
 * passed through the scrubber, which replaces each registered secret with
 * [redacted]; the scrubbed pieces are encoded as text or JSON into the line
 * buffer, which is written with a single write(2). Scrubbing happens before
 * encoding, so a secret cannot slip through by being escaped differently.
 *
 * The configuration is a process-wide value set by log_setup() before
 * threads start and only read afterwards. The secret registry and the
 * emission path share one mutex, so a line never interleaves with another
 * and never races with a secret being added or forgotten.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/*
 * Most registered secrets. The agent registers every string of every secret
 * it reads (up to 256 each, 256 secrets) plus its token and JWT; a full
 * registry would let the next token go unredacted, so it is generous and
 * grows as needed.
 */
#define LOG_SECRETS_MAX (256 * 1024)
#define REDACTED	"[redacted]"
/* Scratch space for one message or field before it is scrubbed and cut. */
#define LOG_SCRATCH_MAX (1024 * 1024)
/* A single field value is cut to this length, after scrubbing. */
#define LOG_FIELD_MAX (LOG_LINE_MAX / 4)

struct secret_entry {
	char *value;
	size_t len;
};

static struct log_config log_cfg = { .level = LOG_INFO, .format = LOG_FORMAT_TEXT, .fd = 2 };
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_entry *secrets;
static size_t nsecrets, secrets_cap;

void log_setup(const struct log_config *cfg)
{
	log_cfg = *cfg;
}

bool log_enabled(enum log_level level)
{
	return level >= log_cfg.level;
}

bool log_level_parse(const char *s, enum log_level *ret)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "", LOG_INFO },	 { "trace", LOG_TRACE }, { "debug", LOG_DEBUG },
		{ "info", LOG_INFO },	 { "notice", LOG_INFO }, { "warn", LOG_WARN },
		{ "warning", LOG_WARN }, { "err", LOG_ERROR },	 { "error", LOG_ERROR },
	};
	size_t start = 0, end = strlen(s);

	while (start < end && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n'))
		start++;
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\n'))
		end--;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == end - start &&
		    strncasecmp(names[i].name, s + start, end - start) == 0) {
			*ret = names[i].level;
			return true;
		}
	}
	return false;
}

bool log_format_parse(const char *s, enum log_format *ret)
{
	if (strcmp(s, "") == 0 || strcmp(s, "standard") == 0 || strcmp(s, "text") == 0) {
		*ret = LOG_FORMAT_TEXT;
		return true;
	}
	if (strcmp(s, "json") == 0) {
		*ret = LOG_FORMAT_JSON;
		return true;
	}
	return false;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_TRACE:
		return "trace";
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warn";
	case LOG_ERROR:
		return "error";
	}
	return "info";
}

int log_secret_add(const void *value, size_t len)
{
	char *copy;
	int r = 0;

	if (len < LOG_SECRET_MIN)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, len);
	pthread_mutex_lock(&log_lock);
	if (nsecrets == secrets_cap) {
		size_t cap = VL_MIN(secrets_cap ? secrets_cap * 2 : 64, LOG_SECRETS_MAX);
		struct secret_entry *grown;

		grown = cap > secrets_cap ? realloc(secrets, cap * sizeof(*secrets)) : NULL;
		if (grown) {
			secrets = grown;
			secrets_cap = cap;
		} else {
			r = cap > secrets_cap ? -ENOMEM : -E2BIG;
		}
	}
	if (r == 0) {
		secrets[nsecrets++] = (struct secret_entry){ copy, len };
		copy = NULL;
	}
	pthread_mutex_unlock(&log_lock);
	if (copy) {
		explicit_bzero(copy, len);
		free(copy);
	}
	return r;
}

static void secret_drop(size_t i)
{
	explicit_bzero(secrets[i].value, secrets[i].len);
	free(secrets[i].value);
	secrets[i] = secrets[--nsecrets];
	secrets[nsecrets] = (struct secret_entry){ NULL, 0 };
}

void log_secret_forget(const void *value, size_t len)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < nsecrets; i++) {
		if (secrets[i].len == len && memcmp(secrets[i].value, value, len) == 0) {
			secret_drop(i);
			break;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void log_secret_clear(void)
{
	pthread_mutex_lock(&log_lock);
	while (nsecrets > 0)
		secret_drop(nsecrets - 1);
	pthread_mutex_unlock(&log_lock);
}

/*
 * Appends p[0..n) to out with every registered secret replaced by
 * [redacted]. Every match is found in the original text first; a match and
 * every match overlapping it become one [redacted], so overlapping secrets
 * leave no piece behind ("abcdef" and "cdefgh" in "abcdefgh"), while two
 * secrets side by side still show as two. With cut_tail, p was cut from a
 * longer text: a secret's first bytes at its very end are hidden too.
 * Called with log_lock held.
 */
static int scrub_ex(const char *p, size_t n, bool cut_tail, struct buf *out)
{
	uint32_t *ext; /* the longest match starting at each byte */
	size_t lit = 0, i = 0;
	int r = 0;

	if (nsecrets == 0 || n == 0)
		return buf_append(out, p, n);
	if (n >= UINT32_MAX)
		return -E2BIG;
	ext = calloc(n, sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		for (size_t k = 0; k < nsecrets; k++) {
			const struct secret_entry *s = &secrets[k];

			if (s->len > ext[j] && s->len <= n - j && s->value[0] == p[j] &&
			    memcmp(s->value, p + j, s->len) == 0)
				ext[j] = (uint32_t)s->len;
		}
	}
	for (size_t k = 0; cut_tail && k < nsecrets; k++) {
		const struct secret_entry *s = &secrets[k];

		/* the longest tail of p that is a proper prefix of the secret */
		for (size_t j = n >= s->len ? n - s->len + 1 : 0; j < n; j++) {
			if (p[j] == s->value[0] && memcmp(p + j, s->value, n - j) == 0) {
				ext[j] = VL_MAX(ext[j], (uint32_t)(n - j));
				break;
			}
		}
	}
	while (i < n && r == 0) {
		size_t end;

		if (!ext[i]) {
			i++;
			continue;
		}
		end = i + ext[i];
		for (size_t j = i + 1; j < end; j++)
			end = VL_MAX(end, j + ext[j]);
		r = buf_append(out, p + lit, i - lit);
		if (r == 0)
			r = buf_append_str(out, REDACTED);
		i = lit = end;
	}
	if (r == 0)
		r = buf_append(out, p + lit, n - lit);
	free(ext);
	return r;
}

static int scrub(const char *p, size_t n, struct buf *out)
{
	return scrub_ex(p, n, false, out);
}

void log_scrub_copy(char *dst, size_t cap, const char *src, size_t n, bool truncated)
{
	struct buf out;
	int r;

	if (cap == 0)
		return;
	buf_init_sensitive(&out, LOG_SCRATCH_MAX);
	pthread_mutex_lock(&log_lock);
	r = scrub_ex(src, n, truncated, &out);
	pthread_mutex_unlock(&log_lock);
	if (r == 0) {
		/* cut only now, after scrubbing, so no part of a secret survives */
		size_t len = VL_MIN(out.len, cap - 1);

		memmove(dst, buf_str(&out), len);
		dst[len] = '\0';
	} else {
		snprintf(dst, cap, "%s", REDACTED); /* could not check it: say nothing */
	}
	buf_done(&out);
}

void log_scrub_in_place(char *dst, size_t cap)
{
	if (cap)
		log_scrub_copy(dst, cap, dst, strnlen(dst, cap), false);
}

void log_scrub_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
	char *whole;
	int n;

	if (cap == 0)
		return;
	/* formatted whole (up to the scratch size), scrubbed, and only then cut */
	whole = malloc(LOG_SCRATCH_MAX);
	if (!whole) {
		snprintf(dst, cap, "%s", REDACTED);
		return;
	}
	n = vsnprintf(whole, LOG_SCRATCH_MAX, fmt, ap);
	if (n < 0) {
		snprintf(dst, cap, "%s", REDACTED);
	} else {
		size_t len = VL_MIN((size_t)n, (size_t)LOG_SCRATCH_MAX - 1);

		log_scrub_copy(dst, cap, whole, len, (size_t)n >= LOG_SCRATCH_MAX);
		explicit_bzero(whole, len);
	}
	free(whole);
}

void log_scrub_format(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_scrub_vformat(dst, cap, fmt, ap);
	va_end(ap);
}

char *log_scrub_dup(const char *s)
{
	struct buf out;
	char *copy;
	int r;

	buf_init_sensitive(&out, LOG_SCRATCH_MAX);
	pthread_mutex_lock(&log_lock);
	r = scrub(s, strlen(s), &out);
	pthread_mutex_unlock(&log_lock);
	copy = strdup(r == 0 ? buf_str(&out) : REDACTED);
	buf_done(&out);
	return copy;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* JSON string body: control characters escaped, invalid UTF-8 as U+FFFD. */
static int put_json_string(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	int r = buf_putc(out, '"');

	for (size_t i = 0; r == 0 && i < n;) {
		size_t len = utf8_seq(p + i, n - i);

		if (len == 0) {
			r = buf_append_str(out, "\\ufffd");
			i++;
			continue;
		}
		if (len > 1) {
			r = buf_append(out, p + i, len);
		} else if (p[i] == '"' || p[i] == '\\') {
			char esc[2] = { '\\', (char)p[i] };

			r = buf_append(out, esc, 2);
		} else if (p[i] == '\n') {
			r = buf_append_str(out, "\\n");
		} else if (p[i] == '\t') {
			r = buf_append_str(out, "\\t");
		} else if (p[i] == '\r') {
			r = buf_append_str(out, "\\r");
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			r = buf_appendf(out, "\\u%04x", p[i]);
		} else {
			r = buf_putc(out, (char)p[i]);
		}
		i += len;
	}
	return r ? r : buf_putc(out, '"');
}

/* Text: printable bytes as is, the rest escaped, so a line stays one line. */
static int put_text(struct buf *out, const char *s, size_t n, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	int r = quote ? buf_putc(out, '"') : 0;

	for (size_t i = 0; r == 0 && i < n;) {
		size_t len = utf8_seq(p + i, n - i);

		if (len > 1) {
			r = buf_append(out, p + i, len);
		} else if (len == 0) {
			r = buf_appendf(out, "\\x%02x", p[i]);
			len = 1;
		} else if (p[i] == '\n') {
			r = buf_append_str(out, "\\n");
		} else if (p[i] == '\t') {
			r = buf_append_str(out, "\\t");
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			r = buf_appendf(out, "\\x%02x", p[i]);
		} else if (quote && (p[i] == '"' || p[i] == '\\')) {
			char esc[2] = { '\\', (char)p[i] };

			r = buf_append(out, esc, 2);
		} else {
			r = buf_putc(out, (char)p[i]);
		}
		i += len;
	}
	return r ? r : (quote ? buf_putc(out, '"') : 0);
}

static bool text_needs_quotes(const char *s, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			return true;
	}
	return false;
}

static int put_field(struct buf *line, const struct log_field *f, struct buf *tmp)
{
	bool json = log_cfg.format == LOG_FORMAT_JSON;
	const char *key = f->key ? f->key : "";
	int r;

	/* Keys are scrubbed too: a caller might build one from data. */
	buf_reset(tmp);
	r = scrub(key, strlen(key), tmp);
	if (r < 0)
		return r;
	buf_truncate(tmp, LOG_FIELD_MAX);
	if (json) {
		r = buf_putc(line, ',');
		if (r == 0)
			r = put_json_string(line, buf_str(tmp), tmp->len);
		if (r == 0)
			r = buf_putc(line, ':');
	} else {
		r = buf_putc(line, ' ');
		if (r == 0)
			r = put_text(line, buf_str(tmp), tmp->len, false);
		if (r == 0)
			r = buf_putc(line, '=');
	}
	if (r < 0)
		return r;

	switch (f->kind) {
	case LOG_FIELD_INT:
		return buf_appendf(line, "%lld", f->num);
	case LOG_FIELD_SECRET:
		return json ? buf_append_str(line, "\"" REDACTED "\"")
			    : buf_append_str(line, REDACTED);
	case LOG_FIELD_STR:
		break;
	}
	buf_reset(tmp);
	r = scrub(f->str ? f->str : "", f->str ? strlen(f->str) : 0, tmp);
	if (r < 0)
		return r;
	/* Cut only after scrubbing, so no half of a secret survives. */
	buf_truncate(tmp, LOG_FIELD_MAX);
	if (json)
		return put_json_string(line, buf_str(tmp), tmp->len);
	return put_text(line, buf_str(tmp), tmp->len, text_needs_quotes(buf_str(tmp), tmp->len));
}

/* RFC 3339 UTC with milliseconds: 2026-11-27T07:29:42.123Z */
static void format_time(char out[static 32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

static void write_line(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(log_cfg.fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a logging failure */
		}
		p += w;
		n -= (size_t)w;
	}
}

void log_vemit(enum log_level level, const struct log_field *fields, size_t nfields,
	       const char *fmt, va_list ap)
{
	static const char *const text_level[] = { "[TRACE]", "[DEBUG]", "[INFO] ", "[WARN] ",
						  "[ERROR]" };
	struct buf raw, msg, tmp, line;
	char when[32];
	bool truncated = false;
	int r;

	if (!log_enabled(level))
		return;

	buf_init_sensitive(&raw, LOG_SCRATCH_MAX);
	buf_init_sensitive(&msg, LOG_SCRATCH_MAX);
	buf_init_sensitive(&tmp, LOG_SCRATCH_MAX);
	buf_init(&line, 4 * LOG_LINE_MAX);
	format_time(when);

	r = buf_vappendf(&raw, fmt, ap);
	if (r < 0)
		truncated = true; /* a message beyond the scratch space: say so */

	pthread_mutex_lock(&log_lock);
	r = scrub(buf_str(&raw), raw.len, &msg);
	if (r == 0 && msg.len > LOG_LINE_MAX) {
		buf_truncate(&msg, LOG_LINE_MAX);
		truncated = true;
	}
	if (r == 0 && truncated)
		r = buf_append_str(&msg, " [truncated]");
	if (log_cfg.format == LOG_FORMAT_JSON) {
		if (r == 0)
			r = buf_appendf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", when,
					log_level_name(level));
		if (r == 0)
			r = put_json_string(&line, buf_str(&msg), msg.len);
	} else {
		if (r == 0)
			r = buf_appendf(&line, "%s %s ", when, text_level[level]);
		if (r == 0)
			r = put_text(&line, buf_str(&msg), msg.len, false);
		if (r == 0 && nfields + log_cfg.ncontext > 0)
			r = buf_putc(&line, ':');
	}
	for (size_t i = 0; r == 0 && i < nfields; i++)
		r = put_field(&line, &fields[i], &tmp);
	for (size_t i = 0; r == 0 && i < log_cfg.ncontext; i++)
		r = put_field(&line, &log_cfg.context[i], &tmp);
	if (r == 0 && log_cfg.format == LOG_FORMAT_JSON)
		r = buf_putc(&line, '}');
	if (r == 0)
		r = buf_putc(&line, '\n');
	if (r == 0)
		write_line(line.data, line.len);
	else
		write_line("log: line dropped (too long or out of memory)\n", 46);
	pthread_mutex_unlock(&log_lock);

	buf_done(&raw);
	buf_done(&msg);
	buf_done(&tmp);
	buf_done(&line);
}

void log_emit(enum log_level level, const struct log_field *fields, size_t nfields, const char *fmt,
	      ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, fields, nfields, fmt, ap);
	va_end(ap);
}
