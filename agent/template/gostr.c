/* SPDX-License-Identifier: MIT */
/*
 * gostr: Go strings functions, byte-exact (see gostr.h).
 *
 * Invalid UTF-8 is decoded as Go does (one byte -> U+FFFD); functions that
 * map runes (ToUpper/ToLower) therefore write U+FFFD for such bytes, as
 * strings.Map does, while functions that only cut keep the bytes.
 */
#include <errno.h>
#include <string.h>

#include "gostr.h"
#include "gotab.h"
#include "tmplutf.h"

static int map_case(struct buf *o, const char *s, size_t n, int which)
{
	size_t i = 0, w;
	int r = 0;

	while (!r && i < n) {
		uint32_t c = (unsigned char)s[i];
		char e[4];

		if (c < 0x80) {
			r = buf_putc(o, (char)gotab_to(which, c));
			i++;
			continue;
		}
		c = tmplutf_decode(s + i, n - i, &w);
		i += w;
		c = gotab_to(which, c);
		r = buf_append(o, e, tmplutf_encode(c, e));
	}
	return r;
}

int gostr_to_upper(struct buf *o, const char *s, size_t n)
{
	return map_case(o, s, n, GOTAB_UPPER);
}

int gostr_to_lower(struct buf *o, const char *s, size_t n)
{
	return map_case(o, s, n, GOTAB_LOWER);
}

void gostr_trim_space(const char *s, size_t n, size_t *start, size_t *len)
{
	size_t a = 0, b = n, w;

	while (a < b) {
		uint32_t c = tmplutf_decode(s + a, b - a, &w);

		if (!tmplutf_is_space(c))
			break;
		a += w;
	}
	while (b > a) {
		uint32_t c = tmplutf_decode_last(s + a, b - a, &w);

		if (!tmplutf_is_space(c))
			break;
		b -= w;
	}
	*start = a;
	*len = b - a;
}

static bool cut_has(const char *cut, size_t cn, uint32_t r)
{
	size_t i = 0, w;

	while (i < cn) {
		uint32_t c = tmplutf_decode(cut + i, cn - i, &w);

		if (c == r)
			return true;
		i += w;
	}
	return false;
}

void gostr_trim(const char *s, size_t n, const char *cut, size_t cn, size_t *start, size_t *len)
{
	size_t a = 0, b = n, w;

	*start = 0;
	*len = n;
	if (n == 0 || cn == 0)
		return;
	while (a < b) {
		uint32_t c = tmplutf_decode(s + a, b - a, &w);

		if (!cut_has(cut, cn, c))
			break;
		a += w;
	}
	while (b > a) {
		uint32_t c = tmplutf_decode_last(s + a, b - a, &w);

		if (!cut_has(cut, cn, c))
			break;
		b -= w;
	}
	*start = a;
	*len = b - a;
}

long gostr_index(const char *s, size_t n, const char *sub, size_t sn)
{
	const char *p;

	if (sn == 0)
		return 0;
	if (sn > n)
		return -1;
	p = memmem(s, n, sub, sn);
	return p ? (long)(p - s) : -1;
}

size_t gostr_rune_count(const char *s, size_t n)
{
	size_t i = 0, c = 0, w;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80)
			i++;
		else {
			tmplutf_decode(s + i, n - i, &w);
			i += w;
		}
		c++;
	}
	return c;
}

int gostr_replace_all(struct buf *o, const char *s, size_t n, const char *old, size_t on,
		      const char *nw, size_t nn)
{
	size_t start = 0, count, i, w;
	int r = 0;

	if ((on == nn && memcmp(old, nw, on) == 0))
		return buf_append(o, s, n);
	if (on == 0) {
		count = gostr_rune_count(s, n) + 1;
	} else {
		long k;
		size_t at = 0;

		count = 0;
		while ((k = gostr_index(s + at, n - at, old, on)) >= 0) {
			count++;
			at += (size_t)k + on;
		}
	}
	if (count == 0)
		return buf_append(o, s, n);
	for (i = 0; !r && i < count; i++) {
		size_t j = start;

		if (on == 0) {
			if (i > 0) {
				tmplutf_decode(s + start, n - start, &w);
				j += w;
			}
		} else {
			j += (size_t)gostr_index(s + start, n - start, old, on);
		}
		r = buf_append(o, s + start, j - start);
		if (!r)
			r = buf_append(o, nw, nn);
		start = j + on;
	}
	if (!r)
		r = buf_append(o, s + start, n - start);
	return r;
}

int gostr_html_escape(struct buf *o, const char *s, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; !r && i < n; i++) {
		switch (s[i]) {
		case '\0':
			r = buf_append_str(o, "\xEF\xBF\xBD");
			break;
		case '"':
			r = buf_append_str(o, "&#34;");
			break;
		case '\'':
			r = buf_append_str(o, "&#39;");
			break;
		case '&':
			r = buf_append_str(o, "&amp;");
			break;
		case '<':
			r = buf_append_str(o, "&lt;");
			break;
		case '>':
			r = buf_append_str(o, "&gt;");
			break;
		default:
			r = buf_putc(o, s[i]);
			break;
		}
	}
	return r;
}

int gostr_js_escape(struct buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, w;
	int r = 0;

	for (i = 0; !r && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			switch (c) {
			case '\\':
				r = buf_append_str(o, "\\\\");
				break;
			case '\'':
				r = buf_append_str(o, "\\'");
				break;
			case '"':
				r = buf_append_str(o, "\\\"");
				break;
			case '<':
				r = buf_append_str(o, "\\u003C");
				break;
			case '>':
				r = buf_append_str(o, "\\u003E");
				break;
			case '&':
				r = buf_append_str(o, "\\u0026");
				break;
			case '=':
				r = buf_append_str(o, "\\u003D");
				break;
			default:
				if (c < ' ') {
					char e[6] = {
						'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]
					};

					r = buf_append(o, e, 6);
				} else {
					r = buf_putc(o, (char)c);
				}
				break;
			}
			continue;
		}
		{
			uint32_t rr = tmplutf_decode(s + i, n - i, &w);

			if (gotab_is_print(rr)) {
				r = buf_append(o, s + i, w);
			} else {
				r = buf_appendf(o, "\\u%04X", (unsigned)rr);
			}
			i += w - 1;
		}
	}
	return r;
}

int gostr_query_escape(struct buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int r = 0;

	for (i = 0; !r && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			r = buf_putc(o, (char)c);
		} else if (c == ' ') {
			r = buf_putc(o, '+');
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = buf_append(o, e, 3);
		}
	}
	return r;
}

int gostr_shell_quote(struct buf *o, const char *s, size_t n)
{
	size_t i;
	int r = buf_putc(o, '\'');

	for (i = 0; !r && i < n; i++) {
		if (s[i] == '\'')
			r = buf_append(o, "'\\''", 4);
		else
			r = buf_putc(o, s[i]);
	}
	if (!r)
		r = buf_putc(o, '\'');
	return r;
}

/*
 * golang.org/x/text/cases Title(language.Und, NoLower) restricted to ASCII:
 * the first cased letter after a word break is upper-cased, the rest is
 * copied. In x/text's tables the ASCII letters are "cased", ' . : are
 * "mid-word" (two in a row end the word), and every other character except
 * digits and '_' is a word break (verified against x/text by the
 * differential tests).
 */
static bool title_break(unsigned char c)
{
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		 c == '_' || c == '\'' || c == '.' || c == ':');
}

static bool title_mid(unsigned char c)
{
	return c == '\'' || c == '.' || c == ':';
}

int gostr_to_title(struct buf *o, const char *s, size_t n, const char **ret_msg)
{
	bool mid_word = false;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80) {
			*ret_msg = "toTitle of non-ASCII text is not supported by vaultlet";
			return -ENOTSUP;
		}
	}
	for (i = 0; !r && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool was_mid = title_mid(c);

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (!mid_word) {
				c = (unsigned char)(c >= 'a' ? c - 32 : c);
				mid_word = true;
			}
			r = buf_putc(o, (char)c);
		} else {
			r = buf_putc(o, (char)c);
			if (title_break(c))
				mid_word = false;
		}
		if (i + 1 < n && was_mid && title_mid((unsigned char)s[i + 1]))
			mid_word = false;
	}
	return r;
}
