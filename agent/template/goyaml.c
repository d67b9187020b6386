/* SPDX-License-Identifier: MIT */
/*
 * goyaml: gopkg.in/yaml.v2 Marshal for template values (see goyaml.h).
 *
 * DESIGN. yaml.v2 turns a value into events (encode.go) that a port of
 * libyaml's emitter writes (emitterc.go). This file keeps both halves in
 * their original shape, for the events a template value can produce:
 * block mappings (keys in yaml.v2's "natural" order, see key_less), block
 * sequences (indentless inside a mapping), empty collections in flow style
 * ({} and []), and scalars with the emitter's analysis and style choice
 * (plain, single-quoted, double-quoted, literal), including line folding
 * at 80 columns. Scalars yaml.v2 would have to tag (!!binary for invalid
 * UTF-8) and keys that would need the complex "? " form are refused.
 *
 * The emitter state (column, indent stack, whitespace/indention flags, the
 * context booleans) is exactly libyaml's; only the event queue is replaced
 * by recursion, which is possible because the emitter only looks ahead to
 * see whether a collection is empty or a key is simple, and the recursion
 * knows that directly.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "gofmt.h"
#include "goyaml.h"
#include "tmplutf.h"

#define BEST_INDENT 2
#define BEST_WIDTH  80
#define MAX_DEPTH   200

enum style { S_PLAIN, S_SINGLE, S_DOUBLE, S_LITERAL };

struct em {
	struct buf *o;
	int r;
	const char *msg;
	int column, indent;
	int indents[MAX_DEPTH * 2 + 8];
	int nind;
	bool whitespace, indention;
	int flow_level;
	bool root_context, sequence_context, mapping_context, simple_key_context;
	int depth;
	/* analysis of the current scalar */
	bool multiline, flow_plain_allowed, block_plain_allowed, single_quoted_allowed,
	    block_allowed;
};

static void put(struct em *e, char c)
{
	if (!e->r)
		e->r = buf_putc(e->o, c);
	e->column++;
}

static void put_break(struct em *e)
{
	if (!e->r)
		e->r = buf_putc(e->o, '\n');
	e->column = 0;
}

static int width(unsigned char b)
{
	if ((b & 0x80) == 0)
		return 1;
	if ((b & 0xE0) == 0xC0)
		return 2;
	if ((b & 0xF0) == 0xE0)
		return 3;
	if ((b & 0xF8) == 0xF0)
		return 4;
	return 0;
}

/* write(): one character, column + 1 */
static void write_ch(struct em *e, const unsigned char *s, size_t *i)
{
	int w = width(s[*i]);

	if (w == 0)
		w = 1; /* not reached: values are valid UTF-8 */
	if (!e->r)
		e->r = buf_append(e->o, s + *i, (size_t)w);
	e->column++;
	*i += (size_t)w;
}

static void write_all(struct em *e, const char *s)
{
	size_t i = 0, n = strlen(s);

	while (i < n)
		write_ch(e, (const unsigned char *)s, &i);
}

static bool at(const unsigned char *s, size_t n, size_t i, unsigned char c)
{
	return i < n && s[i] == c;
}

static bool is_space(const unsigned char *s, size_t n, size_t i)
{
	return at(s, n, i, ' ');
}

static bool is_break(const unsigned char *s, size_t n, size_t i)
{
	return at(s, n, i, '\r') || at(s, n, i, '\n') ||
	       (at(s, n, i, 0xC2) && at(s, n, i + 1, 0x85)) ||
	       (at(s, n, i, 0xE2) && at(s, n, i + 1, 0x80) &&
		(at(s, n, i + 2, 0xA8) || at(s, n, i + 2, 0xA9)));
}

static bool is_blankz(const unsigned char *s, size_t n, size_t i)
{
	return i >= n || s[i] == ' ' || s[i] == '\t' || is_break(s, n, i) || s[i] == 0;
}

static bool is_printable(const unsigned char *s, size_t n, size_t i)
{
	unsigned char b = s[i], b1 = i + 1 < n ? s[i + 1] : 0, b2 = i + 2 < n ? s[i + 2] : 0;

	return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
	       (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
	       (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) &&
		!(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

static void write_break(struct em *e, const unsigned char *s, size_t *i)
{
	if (s[*i] == '\n') {
		put_break(e);
		(*i)++;
	} else {
		write_ch(e, s, i);
		e->column = 0;
	}
}

static void increase_indent(struct em *e, bool flow, bool indentless)
{
	if (e->nind < (int)ARRAY_SIZE(e->indents))
		e->indents[e->nind++] = e->indent;
	else if (!e->r)
		e->r = -E2BIG;
	if (e->indent < 0)
		e->indent = flow ? BEST_INDENT : 0;
	else if (!indentless)
		e->indent += BEST_INDENT;
}

static void pop_indent(struct em *e)
{
	if (e->nind > 0)
		e->indent = e->indents[--e->nind];
}

static void write_indent(struct em *e)
{
	int indent = e->indent < 0 ? 0 : e->indent;

	if (!e->indention || e->column > indent || (e->column == indent && !e->whitespace))
		put_break(e);
	while (e->column < indent)
		put(e, ' ');
	e->whitespace = true;
	e->indention = true;
}

static void write_indicator(struct em *e, const char *ind, bool need_ws, bool is_ws, bool is_ind)
{
	if (need_ws && !e->whitespace)
		put(e, ' ');
	write_all(e, ind);
	e->whitespace = is_ws;
	e->indention = e->indention && is_ind;
}

/* yaml_emitter_analyze_scalar */
static void analyze_scalar(struct em *e, const unsigned char *v, size_t n)
{
	bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
	bool leading_space = false, leading_break = false, trailing_space = false,
	     trailing_break = false, break_space = false, space_break = false;
	bool preceded_by_ws, followed_by_ws, previous_space = false, previous_break = false;
	size_t i;
	int w;

	if (n == 0) {
		e->multiline = false;
		e->flow_plain_allowed = false;
		e->block_plain_allowed = true;
		e->single_quoted_allowed = true;
		e->block_allowed = false;
		return;
	}
	if (n >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') ||
		       (v[0] == '.' && v[1] == '.' && v[2] == '.'))) {
		block_ind = true;
		flow_ind = true;
	}
	preceded_by_ws = true;
	for (i = 0; i < n; i += (size_t)w) {
		w = width(v[i]);
		if (w == 0)
			w = 1;
		followed_by_ws =
		    i + (size_t)w >= n || v[i + (size_t)w] == ' ' || v[i + (size_t)w] == '\t';
		if (i == 0) {
			switch (v[i]) {
			case '#':
			case ',':
			case '[':
			case ']':
			case '{':
			case '}':
			case '&':
			case '*':
			case '!':
			case '|':
			case '>':
			case '\'':
			case '"':
			case '%':
			case '@':
			case '`':
				flow_ind = true;
				block_ind = true;
				break;
			case '?':
			case ':':
				flow_ind = true;
				if (followed_by_ws)
					block_ind = true;
				break;
			case '-':
				if (followed_by_ws) {
					flow_ind = true;
					block_ind = true;
				}
				break;
			default:
				break;
			}
		} else {
			switch (v[i]) {
			case ',':
			case '?':
			case '[':
			case ']':
			case '{':
			case '}':
				flow_ind = true;
				break;
			case ':':
				flow_ind = true;
				if (followed_by_ws)
					block_ind = true;
				break;
			case '#':
				if (preceded_by_ws) {
					flow_ind = true;
					block_ind = true;
				}
				break;
			default:
				break;
			}
		}
		if (!is_printable(v, n, i))
			special = true;
		if (v[i] == ' ') {
			if (i == 0)
				leading_space = true;
			if (i + (size_t)w == n)
				trailing_space = true;
			if (previous_break)
				break_space = true;
			previous_space = true;
			previous_break = false;
		} else if (is_break(v, n, i)) {
			line_breaks = true;
			if (i == 0)
				leading_break = true;
			if (i + (size_t)w == n)
				trailing_break = true;
			if (previous_space)
				space_break = true;
			previous_space = false;
			previous_break = true;
		} else {
			previous_space = false;
			previous_break = false;
		}
		preceded_by_ws = is_blankz(v, n, i);
	}
	e->multiline = line_breaks;
	e->flow_plain_allowed = true;
	e->block_plain_allowed = true;
	e->single_quoted_allowed = true;
	e->block_allowed = true;
	if (leading_space || leading_break || trailing_space || trailing_break) {
		e->flow_plain_allowed = false;
		e->block_plain_allowed = false;
	}
	if (trailing_space)
		e->block_allowed = false;
	if (break_space) {
		e->flow_plain_allowed = false;
		e->block_plain_allowed = false;
		e->single_quoted_allowed = false;
	}
	if (space_break || special) {
		e->flow_plain_allowed = false;
		e->block_plain_allowed = false;
		e->single_quoted_allowed = false;
		e->block_allowed = false;
	}
	if (line_breaks) {
		e->flow_plain_allowed = false;
		e->block_plain_allowed = false;
	}
	if (flow_ind)
		e->flow_plain_allowed = false;
	if (block_ind)
		e->block_plain_allowed = false;
}

static void write_plain(struct em *e, const unsigned char *v, size_t n, bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0;

	if (!e->whitespace)
		put(e, ' ');
	while (i < n) {
		if (v[i] == ' ') {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH &&
			    !is_space(v, n, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_ch(e, v, &i);
			}
			spaces = true;
		} else if (is_break(v, n, i)) {
			if (!breaks && v[i] == '\n')
				put_break(e);
			write_break(e, v, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			write_ch(e, v, &i);
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	e->whitespace = false;
	e->indention = false;
}

static void write_single(struct em *e, const unsigned char *v, size_t n, bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0;

	write_indicator(e, "'", true, false, false);
	while (i < n) {
		if (v[i] == ' ') {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH && i > 0 &&
			    i < n - 1 && !is_space(v, n, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_ch(e, v, &i);
			}
			spaces = true;
		} else if (is_break(v, n, i)) {
			if (!breaks && v[i] == '\n')
				put_break(e);
			write_break(e, v, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			if (v[i] == '\'')
				put(e, '\'');
			write_ch(e, v, &i);
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	write_indicator(e, "'", false, false, false);
	e->whitespace = false;
	e->indention = false;
}

static void write_double(struct em *e, const unsigned char *v, size_t n, bool allow_breaks)
{
	bool spaces = false;
	size_t i = 0;

	write_indicator(e, "\"", true, false, false);
	while (i < n) {
		/* libyaml's is_bom() looks at the start of the value, wherever i is */
		bool bom = n >= 3 && v[0] == 0xEF && v[1] == 0xBB && v[2] == 0xBF;

		if (!is_printable(v, n, i) || bom || is_break(v, n, i) || v[i] == '"' ||
		    v[i] == '\\') {
			unsigned char octet = v[i];
			int w = 1, k;
			uint32_t c = octet;
			char esc = 0;

			if ((octet & 0x80) == 0) {
				w = 1;
				c = octet & 0x7F;
			} else if ((octet & 0xE0) == 0xC0) {
				w = 2;
				c = octet & 0x1F;
			} else if ((octet & 0xF0) == 0xE0) {
				w = 3;
				c = octet & 0x0F;
			} else if ((octet & 0xF8) == 0xF0) {
				w = 4;
				c = octet & 0x07;
			}
			for (k = 1; k < w && i + (size_t)k < n; k++)
				c = (c << 6) + (v[i + (size_t)k] & 0x3F);
			i += (size_t)w;
			put(e, '\\');
			switch (c) {
			case 0x00:
				esc = '0';
				break;
			case 0x07:
				esc = 'a';
				break;
			case 0x08:
				esc = 'b';
				break;
			case 0x09:
				esc = 't';
				break;
			case 0x0A:
				esc = 'n';
				break;
			case 0x0b:
				esc = 'v';
				break;
			case 0x0c:
				esc = 'f';
				break;
			case 0x0d:
				esc = 'r';
				break;
			case 0x1b:
				esc = 'e';
				break;
			case 0x22:
				esc = '"';
				break;
			case 0x5c:
				esc = '\\';
				break;
			case 0x85:
				esc = 'N';
				break;
			case 0xA0:
				esc = '_';
				break;
			case 0x2028:
				esc = 'L';
				break;
			case 0x2029:
				esc = 'P';
				break;
			default:
				break;
			}
			if (esc) {
				put(e, esc);
			} else {
				int digits;

				if (c <= 0xFF) {
					put(e, 'x');
					digits = 2;
				} else if (c <= 0xFFFF) {
					put(e, 'u');
					digits = 4;
				} else {
					put(e, 'U');
					digits = 8;
				}
				for (k = (digits - 1) * 4; k >= 0; k -= 4) {
					unsigned d = (c >> k) & 0x0F;

					put(e, (char)(d < 10 ? '0' + d : 'A' + d - 10));
				}
			}
			spaces = false;
		} else if (v[i] == ' ') {
			if (allow_breaks && !spaces && e->column > BEST_WIDTH && i > 0 &&
			    i < n - 1) {
				write_indent(e);
				if (is_space(v, n, i + 1))
					put(e, '\\');
				i++;
			} else {
				write_ch(e, v, &i);
			}
			spaces = true;
		} else {
			write_ch(e, v, &i);
			spaces = false;
		}
	}
	write_indicator(e, "\"", false, false, false);
	e->whitespace = false;
	e->indention = false;
}

static void write_literal(struct em *e, const unsigned char *v, size_t n)
{
	bool breaks = true;
	size_t i = 0;
	char hint[2] = { 0, 0 };

	write_indicator(e, "|", true, false, false);
	/* block scalar hints */
	if (n > 0 && (v[0] == ' ' || is_break(v, n, 0))) {
		char ih[2] = { (char)('0' + BEST_INDENT), 0 };

		write_indicator(e, ih, false, false, false);
	}
	if (n == 0) {
		hint[0] = '-';
	} else {
		size_t k = n - 1;

		while (k > 0 && (v[k] & 0xC0) == 0x80)
			k--;
		if (!is_break(v, n, k)) {
			hint[0] = '-';
		} else if (k == 0) {
			hint[0] = '+';
		} else {
			k--;
			while (k > 0 && (v[k] & 0xC0) == 0x80)
				k--;
			if (is_break(v, n, k))
				hint[0] = '+';
		}
	}
	if (hint[0])
		write_indicator(e, hint, false, false, false);
	put_break(e);
	e->indention = true;
	e->whitespace = true;
	while (i < n) {
		if (is_break(v, n, i)) {
			write_break(e, v, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			write_ch(e, v, &i);
			e->indention = false;
			breaks = false;
		}
	}
}

/* ---- yaml.v2 resolve(): what a plain scalar would read back as -------- */

static bool digits_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* getnum(s, fixed=false): one or two digits */
static bool getnum(const char **s, const char *end, int *ret)
{
	const char *p = *s;

	if (p >= end || *p < '0' || *p > '9')
		return false;
	if (p + 1 >= end || p[1] < '0' || p[1] > '9') {
		*ret = *p - '0';
		*s = p + 1;
		return true;
	}
	*ret = (p[0] - '0') * 10 + (p[1] - '0');
	*s = p + 2;
	return true;
}

static int days_in(int month, int year)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return 29;
	return d[month - 1];
}

/* time.Parse with one of yaml.v2's allowed timestamp layouts. */
static bool parse_time_layout(const char *s, size_t n, int layout)
{
	const char *p = s, *end = s + n;
	int year, month, day, v;

	if (n < 5 || !digits_only(s, 4))
		return false;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	p += 4;
	if (*p++ != '-')
		return false;
	if (!getnum(&p, end, &month) || month < 1 || month > 12)
		return false;
	if (p >= end || *p++ != '-')
		return false;
	if (!getnum(&p, end, &day))
		return false;
	if (layout != 3) {
		/* T / t / space, then 15:4:5 */
		if (layout == 0 || layout == 1) {
			if (p >= end || *p++ != (layout == 0 ? 'T' : 't'))
				return false;
		} else {
			if (p >= end || *p != ' ')
				return false;
			while (p < end && *p == ' ')
				p++;
		}
		if (!getnum(&p, end, &v) || v >= 24)
			return false;
		if (p >= end || *p++ != ':')
			return false;
		if (!getnum(&p, end, &v) || v >= 60)
			return false;
		if (p >= end || *p++ != ':')
			return false;
		if (!getnum(&p, end, &v) || v >= 60)
			return false;
		/* optional fraction (.999999999) */
		if (end - p >= 2 && (*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
			p++;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		if (layout == 0 || layout == 1) {
			/* Z07:00 */
			if (p < end && *p == 'Z') {
				p++;
			} else {
				int hr, mm;
				const char *h;

				if (end - p < 6 || p[3] != ':' || (p[0] != '+' && p[0] != '-'))
					return false;
				h = p + 1;
				if (!(h[0] >= '0' && h[0] <= '9' && h[1] >= '0' && h[1] <= '9'))
					return false;
				hr = (h[0] - '0') * 10 + (h[1] - '0');
				h = p + 4;
				if (!(h[0] >= '0' && h[0] <= '9' && h[1] >= '0' && h[1] <= '9'))
					return false;
				mm = (h[0] - '0') * 10 + (h[1] - '0');
				if (hr > 24 || mm > 60)
					return false;
				p += 6;
			}
		}
	}
	if (p != end)
		return false;
	return day >= 1 && day <= days_in(month, year);
}

static bool is_timestamp(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i != 4 || i == n || s[i] != '-')
		return false;
	for (int l = 0; l < 4; l++)
		if (parse_time_layout(s, n, l))
			return true;
	return false;
}

/* strconv.ParseInt/ParseUint(s, base, 64) succeeds (base 0 prefixes; no '_' here) */
static bool parse_int_ok(const char *s, size_t n, int base, bool is_signed)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0, lim;

	if (n == 0)
		return false;
	if (is_signed && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i++;
	}
	if (base == 0) {
		base = 10;
		if (i < n && s[i] == '0') {
			char c = i + 2 < n ? (char)(s[i + 1] | 0x20) : 0;

			if (c == 'b' || c == 'o' || c == 'x') {
				base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
				i += 2;
			} else {
				base = 8;
				i++;
				if (i == n)
					return true; /* "0" */
			}
		}
	}
	if (i >= n)
		return false;
	lim = !is_signed ? UINT64_MAX : neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		char c = s[i], lc = (char)(c | 0x20);
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (lc >= 'a' && lc <= 'z')
			d = (unsigned)(lc - 'a' + 10);
		else
			return false;
		if (d >= (unsigned)base)
			return false;
		if (v > (lim - d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + d;
	}
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and ParseFloat ok */
static bool yaml_float_ok(const char *s, size_t n)
{
	size_t i = 0, d;
	char buf[400], *endp;
	double f;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	} else {
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i != n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	f = strtod(buf, &endp);
	return !isinf(f);
}

/* strconv.ParseFloat(s, 64) succeeds, for s starting with '.' */
static bool parse_float_dot_ok(const char *s, size_t n)
{
	size_t i = 1, d;
	char buf[400];
	double f;

	/* "." then digits (underscores only between digits) then optional exponent */
	d = i;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	if (i == d || s[d] == '_' || s[i - 1] == '_')
		return false;
	for (size_t k = d; k + 1 < i; k++)
		if (s[k] == '_' && s[k + 1] == '_')
			return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i != n || n >= sizeof(buf))
		return false;
	{
		size_t o = 0;

		for (size_t k = 0; k < n; k++)
			if (s[k] != '_')
				buf[o++] = s[k];
		buf[o] = 0;
	}
	f = strtod(buf, NULL);
	return !isinf(f);
}

/* Whether yaml.v2 resolves the plain scalar s to the str tag (and not base 60). */
static bool resolves_to_str(const char *s, size_t n)
{
	static const char *const special[] = {
		"y",	 "Y",	  "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",
		"on",	 "On",	  "ON",	   "n",	    "N",     "no",    "No",    "NO",
		"false", "False", "FALSE", "off",   "Off",   "OFF",   "",      "~",
		"null",	 "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
		".INF",	 "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
	};
	char c = n ? s[0] : 0;
	char plain[400];
	size_t pn = 0;

	if (n == 0)
		return false; /* resolves to null */
	/* the table is consulted only for a first byte with a resolve hint */
	if (c == '+' || c == '-' || (c >= '0' && c <= '9') || c == '.' ||
	    (c && strchr("yYnNtTfFoO~", c)))
		for (size_t i = 0; i < ARRAY_SIZE(special); i++)
			if (strlen(special[i]) == n && memcmp(special[i], s, n) == 0)
				return false;
	if (c == '.')
		return !parse_float_dot_ok(s, n);
	if (!(c == '+' || c == '-' || (c >= '0' && c <= '9')))
		return true; /* 'M' hint and others: only the table */
	if (is_timestamp(s, n))
		return false;
	if (n >= sizeof(plain))
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			plain[pn++] = s[i];
	if (parse_int_ok(plain, pn, 0, true) || parse_int_ok(plain, pn, 0, false))
		return false;
	if (yaml_float_ok(plain, pn))
		return false;
	if (pn > 2 && plain[0] == '0' && plain[1] == 'b' &&
	    parse_int_ok(plain + 2, pn - 2, 2, false))
		return false;
	if (pn > 3 && plain[0] == '-' && plain[1] == '0' && plain[2] == 'b') {
		char t[400];

		t[0] = '-';
		memcpy(t + 1, plain + 3, pn - 3);
		if (parse_int_ok(t, pn - 2, 2, true))
			return false;
	}
	/* base 60 floats (1:20) are not plain either */
	{
		size_t i = 0;
		bool colon = false;

		if (s[0] == '+' || s[0] == '-')
			i++;
		if (i < n && s[i] >= '0' && s[i] <= '9' && memchr(s, ':', n)) {
			/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
			i++;
			while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
				i++;
			while (i < n && s[i] == ':') {
				size_t d;

				i++;
				d = i;
				if (i < n && s[i] >= '0' && s[i] <= '5' && i + 1 < n &&
				    s[i + 1] >= '0' && s[i + 1] <= '9')
					i += 2;
				else if (i < n && s[i] >= '0' && s[i] <= '9')
					i++;
				if (i == d)
					break;
				colon = true;
			}
			if (colon && i < n && s[i] == '.') {
				i++;
				while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
					i++;
			}
			if (colon && i == n)
				return false;
		}
	}
	return true;
}

/* jsonNumber.Float64(): strconv.ParseFloat for decimal literals; false on error */
static bool go_parse_float(const char *s, size_t n, double *ret)
{
	size_t i = 0, d;
	bool digits = false;
	char *end;
	double f;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	d = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	digits = i > d;
	if (i < n && s[i] == '.') {
		i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		digits = digits || i > d;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i != n)
		return false;
	f = strtod(s, &end);
	if (isinf(f))
		return false;
	*ret = f;
	return true;
}

/* ---- values to events ------------------------------------------------ */

static void emit_node(struct em *e, const struct gval *v, bool root, bool seq, bool map,
		      bool simple_key);

/* emit a scalar event with yaml.v2's requested style */
static void emit_scalar(struct em *e, const char *s, size_t n, enum style req)
{
	const unsigned char *v = (const unsigned char *)s;
	enum style style = req;

	analyze_scalar(e, v, n);
	/* select_scalar_style */
	if (e->simple_key_context && e->multiline)
		style = S_DOUBLE;
	if (style == S_PLAIN) {
		if ((e->flow_level > 0 && !e->flow_plain_allowed) ||
		    (e->flow_level == 0 && !e->block_plain_allowed))
			style = S_SINGLE;
		if (n == 0 && (e->flow_level > 0 || e->simple_key_context))
			style = S_SINGLE;
	}
	if (style == S_SINGLE && !e->single_quoted_allowed)
		style = S_DOUBLE;
	if (style == S_LITERAL && (!e->block_allowed || e->flow_level > 0 || e->simple_key_context))
		style = S_DOUBLE;
	increase_indent(e, true, false);
	switch (style) {
	case S_PLAIN:
		write_plain(e, v, n, !e->simple_key_context);
		break;
	case S_SINGLE:
		write_single(e, v, n, !e->simple_key_context);
		break;
	case S_DOUBLE:
		write_double(e, v, n, !e->simple_key_context);
		break;
	case S_LITERAL:
		write_literal(e, v, n);
		break;
	}
	pop_indent(e);
}

/* encoder.stringv */
static void emit_string(struct em *e, const char *s, size_t n)
{
	enum style st;

	if (!tmplutf_valid(s, n)) {
		if (!e->r) {
			e->r = -ENOTSUP;
			e->msg =
			    "toYAML of text that is not valid UTF-8 (yaml.v2 writes !!binary) is "
			    "not supported by vaultlet";
		}
		return;
	}
	if (memchr(s, '\n', n))
		st = S_LITERAL;
	else if (resolves_to_str(s, n))
		st = S_PLAIN;
	else
		st = S_DOUBLE;
	emit_scalar(e, s, n, st);
}

static void emit_text(struct em *e, const char *s)
{
	emit_scalar(e, s, strlen(s), S_PLAIN);
}

/* A key as runes, decoded once per map (keyList.Less compares runes). */
struct rkey {
	const cJSON *member;
	uint32_t *r;
	size_t n;
};

/* yaml.v2's keyList.Less for string keys */
static bool key_less(const struct rkey *a, const struct rkey *b)
{
	const uint32_t *ar = a->r, *br = b->r;
	size_t na = a->n, nb = b->n, k;

	for (k = 0; k < na && k < nb; k++) {
		bool al, bl;
		int64_t an2 = 0, bn2 = 0;
		size_t ai, bi;

		if (ar[k] == br[k])
			continue;
		al = tmplutf_is_letter(ar[k]);
		bl = tmplutf_is_letter(br[k]);
		if (al && bl)
			return ar[k] < br[k];
		if (al || bl)
			return bl;
		if (ar[k] == '0' || br[k] == '0') {
			for (size_t m = k; m-- > 0 && tmplutf_is_digit(ar[m]);) {
				if (ar[m] != '0') {
					an2 = 1;
					bn2 = 1;
					break;
				}
			}
		}
		for (ai = k; ai < na && tmplutf_is_digit(ar[ai]); ai++)
			an2 = an2 * 10 + (int64_t)ar[ai] - '0';
		for (bi = k; bi < nb && tmplutf_is_digit(br[bi]); bi++)
			bn2 = bn2 * 10 + (int64_t)br[bi] - '0';
		if (an2 != bn2)
			return an2 < bn2;
		if (ai != bi)
			return ai < bi;
		return ar[k] < br[k];
	}
	return na < nb;
}

/*
 * Sorts the members m[0..n) in yaml.v2's key order: each key decoded once,
 * then an insertion sort (keys are distinct). 0 or -ENOMEM.
 */
static int sort_keys(const cJSON **m, size_t n)
{
	struct rkey *keys = calloc(n ? n : 1, sizeof(*keys));
	int r = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *s = m[i]->string;
		size_t len = strlen(s), off = 0, w;

		keys[i].member = m[i];
		keys[i].r = malloc((len + 1) * sizeof(*keys[i].r));
		if (!keys[i].r) {
			r = -ENOMEM;
			break;
		}
		while (off < len) {
			keys[i].r[keys[i].n++] = tmplutf_decode(s + off, len - off, &w);
			off += w;
		}
	}
	for (size_t i = 1; i < n && r == 0; i++) {
		struct rkey x = keys[i];
		size_t j = i;

		while (j > 0 && key_less(&x, &keys[j - 1])) {
			keys[j] = keys[j - 1];
			j--;
		}
		keys[j] = x;
	}
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			m[i] = keys[i].member;
		free(keys[i].r);
	}
	free(keys);
	return r;
}

static bool simple_key(struct em *e, const char *k)
{
	size_t n = strlen(k);

	/* check_simple_key: not multiline and at most 128 bytes */
	analyze_scalar(e, (const unsigned char *)k, n);
	return !e->multiline && n <= 128;
}

static void emit_block_mapping(struct em *e, const char *const *keys, const struct gval *vals,
			       size_t n)
{
	increase_indent(e, false, false);
	for (size_t i = 0; i < n && !e->r; i++) {
		struct gval kv = gv_string(keys[i], strlen(keys[i]));

		write_indent(e);
		if (!simple_key(e, keys[i])) {
			e->r = -ENOTSUP;
			e->msg =
			    "toYAML of a map key that is multi-line or longer than 128 bytes is "
			    "not supported by vaultlet";
			return;
		}
		emit_node(e, &kv, false, false, true, true);
		write_indicator(e, ":", false, false, false);
		emit_node(e, &vals[i], false, false, true, false);
	}
	pop_indent(e);
}

static void emit_flow_empty(struct em *e, bool map)
{
	write_indicator(e, map ? "{" : "[", true, true, false);
	increase_indent(e, true, false);
	pop_indent(e);
	write_indicator(e, map ? "}" : "]", false, false, false);
}

static void emit_node(struct em *e, const struct gval *v, bool root, bool seq, bool map,
		      bool simple_key_ctx)
{
	if (e->r)
		return;
	if (++e->depth > MAX_DEPTH) {
		e->r = -EINVAL;
		e->msg = "value nested too deeply";
		return;
	}
	e->root_context = root;
	e->sequence_context = seq;
	e->mapping_context = map;
	e->simple_key_context = simple_key_ctx;
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
	case GV_NILPTR:
		emit_text(e, "null");
		break;
	case GV_BOOL:
		emit_text(e, v->b ? "true" : "false");
		break;
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
	case GV_UINT64: {
		char t[32];

		if (v->kind == GV_UINT64)
			snprintf(t, sizeof(t), "%llu", (unsigned long long)v->i);
		else
			snprintf(t, sizeof(t), "%lld", (long long)v->i);
		emit_text(e, t);
		break;
	}
	case GV_FLOAT:
	case GV_NUMBER: {
		struct buf t;
		double f = v->kind == GV_FLOAT ? v->f : 0;

		if (v->kind == GV_NUMBER) {
			/* jsonNumber: Int64(), else Float64(), else the text */
			char lit[400];
			char *end;

			if (v->str.len == 0 || v->str.len >= sizeof(lit) ||
			    memchr(v->str.s, 0, v->str.len)) {
				emit_string(e, v->str.s, v->str.len);
				break;
			}
			memcpy(lit, v->str.s, v->str.len);
			lit[v->str.len] = 0;
			if (parse_int_ok(lit, v->str.len, 10, true) &&
			    (lit[0] == '-' || lit[0] == '+' || (lit[0] >= '0' && lit[0] <= '9'))) {
				/* FormatInt of the value: drop '+' and leading zeros */
				long long x = strtoll(lit, &end, 10);
				char o[32];

				snprintf(o, sizeof(o), "%lld", x);
				emit_text(e, o);
				break;
			}
			if (!go_parse_float(lit, v->str.len, &f)) {
				emit_string(e, v->str.s, v->str.len);
				break;
			}
		}
		buf_init_sensitive(&t, 64);
		if (gofmt_float(&t, f, 'g', -1)) {
			e->r = -ENOMEM;
			buf_done(&t);
			break;
		}
		if (strcmp(buf_str(&t), "+Inf") == 0)
			emit_text(e, ".inf");
		else if (strcmp(buf_str(&t), "-Inf") == 0)
			emit_text(e, "-.inf");
		else if (strcmp(buf_str(&t), "NaN") == 0)
			emit_text(e, ".nan");
		else
			emit_text(e, buf_str(&t));
		buf_done(&t);
		break;
	}
	case GV_STRING:
		emit_string(e, v->str.s, v->str.len);
		break;
	case GV_MAP: {
		const cJSON **m;
		const char **keys;
		struct gval *vals;
		size_t n = v->map ? (size_t)cJSON_GetArraySize(v->map) : 0, i;

		if (n == 0) {
			emit_flow_empty(e, true);
			break;
		}
		m = malloc(n * sizeof(*m));
		keys = malloc(n * sizeof(*keys));
		vals = malloc(n * sizeof(*vals));
		if (!m || !keys || !vals) {
			e->r = -ENOMEM;
		} else {
			n = gv_sorted_members(v->map, m);
			e->r = sort_keys(m, n);
			for (i = 0; i < n && !e->r; i++) {
				keys[i] = m[i]->string;
				vals[i] = gv_from_json(m[i]);
			}
			if (!e->r)
				emit_block_mapping(e, keys, vals, n);
		}
		free(m);
		free(keys);
		free(vals);
		break;
	}
	case GV_SECRET:
	case GV_SECRETV: {
		static const char *const keys[GV_SECRET_NFIELDS] = {
			"requestid", "leaseid",	 "leaseduration", "renewable",
			"data",	     "warnings", "auth",	  "wrapinfo",
		};
		struct gval vals[GV_SECRET_NFIELDS];

		for (size_t i = 0; i < GV_SECRET_NFIELDS; i++) {
			bool found;

			vals[i] = gv_secret_field(v->secret, gv_secret_fields[i],
						  strlen(gv_secret_fields[i]), &found);
		}
		emit_block_mapping(e, keys, vals, GV_SECRET_NFIELDS);
		break;
	}
	case GV_SLICE:
	case GV_STRSLICE: {
		size_t n = v->kind == GV_SLICE ? v->slice.len : v->strs.len;
		struct gv_iter it;
		struct gval item;

		if (n == 0) {
			emit_flow_empty(e, false);
			break;
		}
		increase_indent(e, false, e->mapping_context && !e->indention);
		gv_iter_init(&it, v);
		while (!e->r && gv_iter_next(&it, &item)) {
			write_indent(e);
			write_indicator(e, "-", true, false, true);
			emit_node(e, &item, false, true, false, false);
		}
		pop_indent(e);
		break;
	}
	}
	e->depth--;
}

int goyaml_marshal(struct buf *o, const struct gval *v, const char **ret_msg)
{
	struct em e = { .o = o, .indent = -1, .whitespace = true, .indention = true };

	emit_node(&e, v, true, false, false, false);
	/* document end: write_indent */
	if (!e.r)
		write_indent(&e);
	if (e.r) {
		*ret_msg = e.msg ? e.msg : "cannot marshal value";
		return e.r;
	}
	return 0;
}
