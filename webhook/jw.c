/* SPDX-License-Identifier: MIT */
/*
 * jw: Go-compatible JSON writer (see jw.h).
 *
 * The writer keeps, per nesting level, whether it is an object and how
 * many members it has, which is all that is needed to place commas and to
 * catch misuse (a value in an object without a key). Escaping works on
 * runs: bytes that need no escape are copied in one append.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ascii.h"
#include "b64.h"
#include "jw.h"
#include "tmplutf.h"

/* Bytes copied as they are: printable ASCII except " \\ < > & */
static const bool plain[256] = {
	[' '] = 1, ['!'] = 1, ['#'] = 1,  ['$'] = 1, ['%'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
	['*'] = 1, ['+'] = 1, [','] = 1,  ['-'] = 1, ['.'] = 1, ['/'] = 1,  ['0'] = 1, ['1'] = 1,
	['2'] = 1, ['3'] = 1, ['4'] = 1,  ['5'] = 1, ['6'] = 1, ['7'] = 1,  ['8'] = 1, ['9'] = 1,
	[':'] = 1, [';'] = 1, ['='] = 1,  ['?'] = 1, ['@'] = 1, ['A'] = 1,  ['B'] = 1, ['C'] = 1,
	['D'] = 1, ['E'] = 1, ['F'] = 1,  ['G'] = 1, ['H'] = 1, ['I'] = 1,  ['J'] = 1, ['K'] = 1,
	['L'] = 1, ['M'] = 1, ['N'] = 1,  ['O'] = 1, ['P'] = 1, ['Q'] = 1,  ['R'] = 1, ['S'] = 1,
	['T'] = 1, ['U'] = 1, ['V'] = 1,  ['W'] = 1, ['X'] = 1, ['Y'] = 1,  ['Z'] = 1, ['['] = 1,
	[']'] = 1, ['^'] = 1, ['_'] = 1,  ['`'] = 1, ['a'] = 1, ['b'] = 1,  ['c'] = 1, ['d'] = 1,
	['e'] = 1, ['f'] = 1, ['g'] = 1,  ['h'] = 1, ['i'] = 1, ['j'] = 1,  ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1,  ['p'] = 1, ['q'] = 1, ['r'] = 1,  ['s'] = 1, ['t'] = 1,
	['u'] = 1, ['v'] = 1, ['w'] = 1,  ['x'] = 1, ['y'] = 1, ['z'] = 1,  ['{'] = 1, ['|'] = 1,
	['}'] = 1, ['~'] = 1, [0x7f] = 1,
};

#if defined(__SSE2__)
/* Bit k set when byte k of v needs an escape. */
static inline unsigned escape_mask(__m128i v)
{
	const __m128i space = _mm_set1_epi8(' ');
	/* signed compare: below ' ' catches controls and every byte >= 0x80 */
	__m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));

	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
	return (unsigned)_mm_movemask_epi8(bad);
}

static uint64_t load64(const char *s)
{
	uint64_t v;

	memcpy(&v, s, sizeof(v));
	return v;
}

static uint32_t load32(const char *s)
{
	uint32_t v;

	memcpy(&v, s, sizeof(v));
	return v;
}
#endif

/*
 * How many bytes from the start of s[0..n) are plain. Every key, path and
 * image name of a patch goes through here, so x86-64 checks 16 bytes a step
 * (SSE2 is part of its base ISA). Short strings and tails are read as two
 * overlapping halves that stay inside s: the first byte needing an escape
 * is in the first half, or else in the second.
 */
static size_t plain_span(const char *s, size_t n)
{
	size_t i = 0;

#if defined(__SSE2__)
	unsigned m;

	if (n >= 16) {
		for (; i + 16 <= n; i += 16) {
			m = escape_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
		if (i == n)
			return n;
		i = n - 16; /* the bytes before are plain */
		m = escape_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
		return m ? i + (size_t)__builtin_ctz(m) : n;
	}
	if (n >= 8) {
		m = escape_mask(_mm_set_epi64x((long long)load64(s + n - 8), (long long)load64(s)));
		if (m & 0xffu)
			return (size_t)__builtin_ctz(m);
		return m ? n - 8 + (size_t)__builtin_ctz(m >> 8) : n;
	}
	if (n >= 4) {
		m = escape_mask(_mm_set_epi32(0, 0, (int)load32(s + n - 4), (int)load32(s))) &
		    0xffu;
		if (m & 0xfu)
			return (size_t)__builtin_ctz(m);
		return m ? n - 4 + (size_t)__builtin_ctz(m >> 4) : n;
	}
#endif
	while (i < n && plain[(unsigned char)s[i]])
		i++;
	return i;
}

void jw_init(struct jw *w, struct buf *out)
{
	*w = (struct jw){ .out = out };
}

int jw_finish(struct jw *w)
{
	if (w->err)
		return w->err;
	if (w->depth != 0 || w->after_key)
		return -EINVAL;
	return 0;
}

static inline void put(struct jw *w, const char *s, size_t n)
{
	int r;

	if (w->err)
		return;
	r = buf_append(w->out, s, n);
	if (r < 0)
		w->err = r;
}

static inline void putc_(struct jw *w, char c)
{
	put(w, &c, 1);
}

/* Everything a value needs before it: a comma, or the check that a key came first. */
static void before_value(struct jw *w)
{
	if (w->err)
		return;
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->is_object[w->depth]) {
		w->err = -EINVAL;
		return;
	}
	if (w->depth == 0 && w->count[0] > 0) {
		w->err = -EINVAL; /* a second top-level value */
		return;
	}
	if (w->count[w->depth]++ > 0)
		putc_(w, ',');
}

static void open_(struct jw *w, char c, bool is_object)
{
	before_value(w);
	if (w->err)
		return;
	if (w->depth == JW_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	putc_(w, c);
	w->depth++;
	w->is_object[w->depth] = is_object;
	w->count[w->depth] = 0;
}

static void close_(struct jw *w, char c, bool is_object)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->is_object[w->depth] != is_object || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	putc_(w, c);
}

void jw_object_open(struct jw *w)
{
	open_(w, '{', true);
}

void jw_object_close(struct jw *w)
{
	close_(w, '}', true);
}

void jw_array_open(struct jw *w)
{
	open_(w, '[', false);
}

void jw_array_close(struct jw *w)
{
	close_(w, ']', false);
}

void jw_keyn(struct jw *w, const char *key, size_t n)
{
	bool comma;
	char *p;
	int r;

	if (w->err)
		return;
	if (!w->is_object[w->depth] || w->depth == 0 || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	comma = w->count[w->depth]++ > 0;
	w->after_key = true;
	/* Keys are almost always literals with nothing to escape: then
	 * `,"key":` goes out in one piece (this runs ~160 times per review). */
	if (plain_span(key, n) == n) {
		r = buf_extend(w->out, n + 3 + comma, &p);
		if (r < 0) {
			w->err = r;
			return;
		}
		if (comma)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, key, n);
		p[n] = '"';
		p[n + 1] = ':';
		return;
	}
	if (comma)
		putc_(w, ',');
	putc_(w, '"');
	if (!w->err) {
		r = jw_escape(w->out, key, n);
		if (r < 0)
			w->err = r;
	}
	put(w, "\":", 2);
}

void jw_stringn(struct jw *w, const char *s, size_t n)
{
	char *p;
	int r;

	before_value(w);
	if (w->err)
		return;
	/* Nothing to escape (the usual case): the quoted string in one write. */
	if (plain_span(s, n) == n) {
		r = buf_extend(w->out, n + 2, &p);
		if (r < 0) {
			w->err = r;
			return;
		}
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		return;
	}
	putc_(w, '"');
	if (!w->err) {
		r = jw_escape(w->out, s, n);
		if (r < 0)
			w->err = r;
	}
	putc_(w, '"');
}

void jw_base64_string(struct jw *w, const void *data, size_t n)
{
	int r;

	before_value(w);
	putc_(w, '"');
	if (!w->err) {
		r = b64_encode(data, n, B64_STD, w->out);
		if (r < 0)
			w->err = r;
	}
	putc_(w, '"');
}

void jw_encoded(struct jw *w, const char *json, size_t n)
{
	before_value(w);
	put(w, json, n);
}

void jw_encoded_members(struct jw *w, const char *members, size_t n)
{
	if (w->err)
		return;
	if (!w->is_object[w->depth] || w->depth == 0 || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	if (w->count[w->depth]++ > 0)
		putc_(w, ',');
	put(w, members, n);
}

void jw_bool(struct jw *w, bool v)
{
	before_value(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_int(struct jw *w, int64_t v)
{
	char tmp[24];
	/* the magnitude as unsigned, so INT64_MIN negates without overflow */
	char *p = ascii_udec_before(tmp + sizeof(tmp), v < 0 ? 0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	before_value(w);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_float(struct jw *w, double v)
{
	char tmp[32];

	before_value(w);
	if (w->err)
		return;
	if (!jw_format_float(v, tmp)) {
		w->err = -EINVAL;
		return;
	}
	put(w, tmp, strlen(tmp));
}

void jw_null(struct jw *w)
{
	before_value(w);
	put(w, "null", 4);
}

void jw_kv_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_kv_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

int jw_escape(struct buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, i = 0;
	int r;

	while (i < n) {
		unsigned char c = s[i];
		char esc[8];
		size_t esclen = 0, skip = 1;

		if (plain[c]) {
			i += plain_span(str + i, n - i);
			continue;
		}
		if (c < 0x80) {
			esc[0] = '\\';
			esclen = 2;
			switch (c) {
			case '"':
				esc[1] = '"';
				break;
			case '\\':
				esc[1] = '\\';
				break;
			case '\b':
				esc[1] = 'b';
				break;
			case '\f':
				esc[1] = 'f';
				break;
			case '\n':
				esc[1] = 'n';
				break;
			case '\r':
				esc[1] = 'r';
				break;
			case '\t':
				esc[1] = 't';
				break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				esclen = 6;
				break;
			}
		} else {
			size_t len;
			uint32_t cp = tmplutf_decode(str + i, n - i, &len);

			/* invalid as Go's utf8.DecodeRune sees it (a real U+FFFD is 3 bytes) */
			if (cp == TMPLUTF_ERROR && len == 1) {
				memcpy(esc, "\\ufffd", 6);
				esclen = 6;
			} else if (cp == 0x2028 || cp == 0x2029) {
				memcpy(esc, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
				esclen = 6;
				skip = len;
			} else {
				i += len;
				continue;
			}
		}
		r = buf_append(out, str + start, i - start);
		if (r < 0)
			return r;
		r = buf_append(out, esc, esclen);
		if (r < 0)
			return r;
		i += skip;
		start = i;
	}
	return buf_append(out, str + start, n - start);
}

bool jw_format_float(double v, char out[static 32])
{
	char e[40], digits[24];
	int prec, exp10, nd = 0, pos = 0;
	double a = fabs(v);
	const char *p;
	bool neg;

	if (!isfinite(v))
		return false;
	neg = signbit(v);
	if (a == 0) {
		snprintf(out, 32, "%s0", neg ? "-" : "");
		return true;
	}
	/* the shortest %e form that reads back as v: Go's shortest digits */
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, a);
		if (strtod(e, NULL) == a)
			break;
	}
	for (p = e; *p && *p != 'e'; p++) {
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	}
	exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (neg)
		out[pos++] = '-';
	if (a < 1e-6 || a >= 1e21) {
		out[pos++] = digits[0];
		if (nd > 1) {
			out[pos++] = '.';
			memcpy(out + pos, digits + 1, (size_t)nd - 1);
			pos += nd - 1;
		}
		/* strconv writes at least two exponent digits; encoding/json trims e-09 to e-9 */
		pos += snprintf(out + pos, 32 - (size_t)pos, "e%c%0*d", exp10 < 0 ? '-' : '+',
				exp10 < 0 ? 1 : 2, abs(exp10));
		out[pos] = '\0';
		return true;
	}
	if (exp10 < 0) {
		out[pos++] = '0';
		out[pos++] = '.';
		for (int z = 0; z < -exp10 - 1; z++)
			out[pos++] = '0';
		memcpy(out + pos, digits, (size_t)nd);
		pos += nd;
	} else {
		for (int d = 0; d <= exp10; d++)
			out[pos++] = d < nd ? digits[d] : '0';
		if (nd > exp10 + 1) {
			out[pos++] = '.';
			memcpy(out + pos, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
			pos += nd - exp10 - 1;
		}
	}
	out[pos] = '\0';
	return true;
}
