/* SPDX-License-Identifier: MIT */
/*
 * gofmt: Go's fmt printing for template values (see gofmt.h).
 *
 * DESIGN. This follows the structure of Go's fmt (print.go, format.go) and
 * strconv (quote.go, ftoa.go) function for function, because the output
 * has to match byte for byte, error forms included: a printer state `pp`
 * with the current flags, printArg for a top-level argument (which knows
 * Go's type switch: string, bool, int, uint8, float64 and "other" that goes
 * through methods and reflection), printValue for reflection-style
 * printing of maps, slices and structs, handleMethods for json.Number's
 * String method, and badVerb for the %!v(type=value) forms. Floating point
 * text comes from the C library where it is exact (%e/%f with a precision;
 * glibc rounds exactly like Go), and from a shortest-round-trip search for
 * Go's precision -1.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gofmt.h"
#include "gotab.h"
#include "tmplutf.h"

#define FMT_TOO_LARGE 1000000

struct pp {
	struct buf *b;
	int r;
	/* fmtFlags */
	bool wid_present, prec_present, minus, plus, sharp, space, zero, plus_v, sharp_v;
	int wid, prec;
	/* the argument being printed (arg) or the reflected value (value) */
	const struct gval *arg;
	const struct gval *value;
	bool erroring;
	bool reordered, good_arg_num;
};

static void w(struct pp *p, const void *s, size_t n)
{
	if (p->r || n == 0)
		return;
	p->r = buf_append(p->b, s, n);
}

static void ws(struct pp *p, const char *s)
{
	w(p, s, strlen(s));
}

static void wc(struct pp *p, char c)
{
	w(p, &c, 1);
}

static void clear_flags(struct pp *p)
{
	p->wid_present = p->prec_present = p->minus = p->plus = p->sharp = p->space = p->zero =
	    p->plus_v = p->sharp_v = false;
	p->wid = p->prec = 0;
}

static size_t rune_count(const char *s, size_t n)
{
	size_t i = 0, c = 0, wd;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80)
			i++;
		else {
			tmplutf_decode(s + i, n - i, &wd);
			i += wd;
		}
		c++;
	}
	return c;
}

static void write_padding(struct pp *p, long n)
{
	char pad = p->zero ? '0' : ' ';

	while (n-- > 0)
		wc(p, pad);
}

static void pad(struct pp *p, const char *s, size_t n)
{
	long width;

	if (!p->wid_present || p->wid == 0) {
		w(p, s, n);
		return;
	}
	width = (long)p->wid - (long)rune_count(s, n);
	if (!p->minus) {
		write_padding(p, width);
		w(p, s, n);
	} else {
		w(p, s, n);
		write_padding(p, width);
	}
}

static void pad_str(struct pp *p, const char *s)
{
	pad(p, s, strlen(s));
}

static void fmt_boolean(struct pp *p, bool v)
{
	pad_str(p, v ? "true" : "false");
}

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

static void fmt_integer(struct pp *p, uint64_t u, int base, bool is_signed, char verb,
			const char *digits)
{
	bool negative = is_signed && (int64_t)u < 0;
	size_t cap = 68, i;
	char stackbuf[68], *buf = stackbuf, *heap = NULL;
	int prec = 0;

	if (negative)
		u = 0 - u;
	if (p->wid_present || p->prec_present) {
		size_t width = 3 + (size_t)p->wid + (size_t)p->prec;

		if (width > cap) {
			heap = malloc(width);
			if (!heap) {
				p->r = -ENOMEM;
				return;
			}
			buf = heap;
			cap = width;
		}
	}
	if (p->prec_present) {
		prec = p->prec;
		if (prec == 0 && u == 0) {
			bool oz = p->zero;

			p->zero = false;
			write_padding(p, p->wid);
			p->zero = oz;
			free(heap);
			return;
		}
	} else if (p->zero && p->wid_present) {
		prec = p->wid;
		if (negative || p->plus || p->space)
			prec--;
	}
	i = cap;
	switch (base) {
	case 10:
		while (u >= 10) {
			buf[--i] = (char)('0' + u % 10);
			u /= 10;
		}
		break;
	case 16:
		while (u >= 16) {
			buf[--i] = digits[u & 0xF];
			u >>= 4;
		}
		break;
	case 8:
		while (u >= 8) {
			buf[--i] = (char)('0' + (u & 7));
			u >>= 3;
		}
		break;
	default:
		while (u >= 2) {
			buf[--i] = (char)('0' + (u & 1));
			u >>= 1;
		}
		break;
	}
	buf[--i] = digits[u];
	while (i > 0 && prec > (int)(cap - i))
		buf[--i] = '0';
	if (p->sharp) {
		switch (base) {
		case 2:
			buf[--i] = 'b';
			buf[--i] = '0';
			break;
		case 8:
			if (buf[i] != '0')
				buf[--i] = '0';
			break;
		case 16:
			buf[--i] = digits[16];
			buf[--i] = '0';
			break;
		default:
			break;
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (negative)
		buf[--i] = '-';
	else if (p->plus)
		buf[--i] = '+';
	else if (p->space)
		buf[--i] = ' ';
	{
		bool oz = p->zero;

		p->zero = false;
		pad(p, buf + i, cap - i);
		p->zero = oz;
	}
	free(heap);
}

static void fmt_unicode(struct pp *p, uint64_t u)
{
	char buf[64 + 16];
	size_t i = sizeof(buf);
	int prec = 4;
	bool oz;

	if (p->prec_present && p->prec > 4) {
		prec = p->prec;
		if (prec > 60)
			prec = 60; /* fmt allocates; nobody writes %.1000U */
	}
	if (p->sharp && u <= TMPLUTF_MAX_RUNE && gotab_is_print((uint32_t)u)) {
		char e[4];
		size_t n = tmplutf_encode((uint32_t)u, e);

		buf[--i] = '\'';
		i -= n;
		memcpy(buf + i, e, n);
		buf[--i] = '\'';
		buf[--i] = ' ';
	}
	while (u >= 16) {
		buf[--i] = udigits[u & 0xF];
		prec--;
		u >>= 4;
	}
	buf[--i] = udigits[u];
	prec--;
	while (prec > 0) {
		buf[--i] = '0';
		prec--;
	}
	buf[--i] = '+';
	buf[--i] = 'U';
	oz = p->zero;
	p->zero = false;
	pad(p, buf + i, sizeof(buf) - i);
	p->zero = oz;
}

/* strconv.appendEscapedRune / appendQuotedWith into a buf */
static int quote_with(struct buf *o, const char *s, size_t n, char q, bool ascii)
{
	static const char lowerhex[] = "0123456789abcdef";
	size_t i = 0, wd;
	int r = buf_putc(o, q);

	while (!r && i < n) {
		uint32_t c = (unsigned char)s[i];
		char tmp[12];

		wd = 1;
		if (c >= 0x80)
			c = tmplutf_decode(s + i, n - i, &wd);
		if (wd == 1 && c == TMPLUTF_ERROR) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = lowerhex[(unsigned char)s[i] >> 4];
			tmp[3] = lowerhex[(unsigned char)s[i] & 0xF];
			r = buf_append(o, tmp, 4);
			i++;
			continue;
		}
		i += wd;
		if (c == (uint32_t)(unsigned char)q || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			r = buf_append(o, tmp, 2);
			continue;
		}
		if (ascii) {
			if (c < 0x80 && gotab_is_print(c)) {
				r = buf_putc(o, (char)c);
				continue;
			}
		} else if (gotab_is_print(c)) {
			size_t k = tmplutf_encode(c, tmp);

			r = buf_append(o, tmp, k);
			continue;
		}
		switch (c) {
		case '\a':
			r = buf_append(o, "\\a", 2);
			break;
		case '\b':
			r = buf_append(o, "\\b", 2);
			break;
		case '\f':
			r = buf_append(o, "\\f", 2);
			break;
		case '\n':
			r = buf_append(o, "\\n", 2);
			break;
		case '\r':
			r = buf_append(o, "\\r", 2);
			break;
		case '\t':
			r = buf_append(o, "\\t", 2);
			break;
		case '\v':
			r = buf_append(o, "\\v", 2);
			break;
		default:
			if (c < ' ' || c == 0x7f) {
				tmp[0] = '\\';
				tmp[1] = 'x';
				tmp[2] = lowerhex[(c >> 4) & 0xF];
				tmp[3] = lowerhex[c & 0xF];
				r = buf_append(o, tmp, 4);
			} else if (c < 0x10000) {
				tmp[0] = '\\';
				tmp[1] = 'u';
				for (int k = 0; k < 4; k++)
					tmp[2 + k] = lowerhex[(c >> (12 - 4 * k)) & 0xF];
				r = buf_append(o, tmp, 6);
			} else {
				tmp[0] = '\\';
				tmp[1] = 'U';
				for (int k = 0; k < 8; k++)
					tmp[2 + k] = lowerhex[(c >> (28 - 4 * k)) & 0xF];
				r = buf_append(o, tmp, 10);
			}
			break;
		}
	}
	if (!r)
		r = buf_putc(o, q);
	return r;
}

int gofmt_quote(struct buf *out, const char *s, size_t n, bool ascii)
{
	return quote_with(out, s, n, '"', ascii);
}

/* Runs fn into a scratch buffer, then pads the result as fmt.pad does. */
static void pad_scratch(struct pp *p, struct buf *tmp)
{
	if (!p->r && tmp->len)
		pad(p, tmp->data, tmp->len);
	buf_done(tmp);
}

static bool can_backquote(const char *s, size_t n)
{
	size_t i = 0, wd;

	while (i < n) {
		uint32_t r = (unsigned char)s[i];

		wd = 1;
		if (r >= 0x80)
			r = tmplutf_decode(s + i, n - i, &wd);
		i += wd;
		if (wd > 1) {
			if (r == 0xFEFF)
				return false;
			continue;
		}
		if (r == TMPLUTF_ERROR)
			return false;
		if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F)
			return false;
	}
	return true;
}

/* fmt.truncateString: the first prec runes */
static size_t truncate_len(struct pp *p, const char *s, size_t n)
{
	size_t i = 0, wd;
	long k;

	if (!p->prec_present)
		return n;
	k = p->prec;
	while (i < n) {
		if (--k < 0)
			return i;
		if ((unsigned char)s[i] < 0x80)
			i++;
		else {
			tmplutf_decode(s + i, n - i, &wd);
			i += wd;
		}
	}
	return n;
}

static void fmt_q(struct pp *p, const char *s, size_t n)
{
	struct buf tmp;

	n = truncate_len(p, s, n);
	if (p->sharp && can_backquote(s, n)) {
		buf_init_sensitive(&tmp, p->b->max);
		if (buf_putc(&tmp, '`') || buf_append(&tmp, s, n) || buf_putc(&tmp, '`'))
			p->r = p->r ? p->r : -E2BIG;
		pad_scratch(p, &tmp);
		return;
	}
	buf_init_sensitive(&tmp, p->b->max);
	if (quote_with(&tmp, s, n, '"', p->plus))
		p->r = p->r ? p->r : -E2BIG;
	pad_scratch(p, &tmp);
}

static void fmt_s(struct pp *p, const char *s, size_t n)
{
	pad(p, s, truncate_len(p, s, n));
}

static void fmt_sx(struct pp *p, const char *s, size_t n, const char *digits)
{
	size_t length = n, width, i;

	if (p->prec_present && (size_t)p->prec < length)
		length = (size_t)p->prec;
	width = 2 * length;
	if (width > 0) {
		if (p->space) {
			if (p->sharp)
				width *= 2;
			width += length - 1;
		} else if (p->sharp) {
			width += 2;
		}
	} else {
		if (p->wid_present)
			write_padding(p, p->wid);
		return;
	}
	if (p->wid_present && (size_t)p->wid > width && !p->minus)
		write_padding(p, (long)((size_t)p->wid - width));
	if (p->sharp) {
		wc(p, '0');
		wc(p, digits[16]);
	}
	for (i = 0; i < length; i++) {
		unsigned char c = (unsigned char)s[i];

		if (p->space && i > 0) {
			wc(p, ' ');
			if (p->sharp) {
				wc(p, '0');
				wc(p, digits[16]);
			}
		}
		wc(p, digits[c >> 4]);
		wc(p, digits[c & 0xF]);
	}
	if (p->wid_present && (size_t)p->wid > width && p->minus)
		write_padding(p, (long)((size_t)p->wid - width));
}

static void fmt_c(struct pp *p, uint64_t c)
{
	char e[4];
	uint32_t r = c > TMPLUTF_MAX_RUNE ? TMPLUTF_ERROR : (uint32_t)c;
	size_t n = tmplutf_encode(r, e);

	pad(p, e, n);
}

static void fmt_qc(struct pp *p, uint64_t c)
{
	uint32_t r = c > TMPLUTF_MAX_RUNE ? TMPLUTF_ERROR : (uint32_t)c;
	char e[4];
	size_t n;
	struct buf tmp;

	if (r >= 0xD800 && r <= 0xDFFF)
		r = TMPLUTF_ERROR;
	n = tmplutf_encode(r, e);
	buf_init_sensitive(&tmp, 64);
	/* appendQuotedRuneWith: the rune itself is quoted as a one-rune string */
	if (r == '\'') {
		if (buf_append(&tmp, "'\\''", 4))
			p->r = -ENOMEM;
	} else if (quote_with(&tmp, e, n, '\'', p->plus)) {
		p->r = -ENOMEM;
	}
	pad_scratch(p, &tmp);
}

/* ---- floating point ----------------------------------------------- */

static int parse_exp(const char *s)
{
	int sign = 1, v = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return sign * v;
}

/* Shortest decimal digits that round-trip: digits (no dot) and decimal point position. */
static void shortest_digits(double v, char *digits, int *nd, int *dp)
{
	char tmp[40];
	int prec;

	v = fabs(v);
	if (v == 0) {
		*nd = 0;
		*dp = 0;
		digits[0] = 0;
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	{
		char *e = strchr(tmp, 'e');
		int k = 0;
		char *c;

		for (c = tmp; c < e; c++)
			if (*c >= '0' && *c <= '9')
				digits[k++] = *c;
		while (k > 1 && digits[k - 1] == '0')
			k--;
		digits[k] = 0;
		*nd = k;
		*dp = parse_exp(e + 1) + 1;
	}
}

/* strconv's fmtE over a digit string */
static int fmt_e_digits(struct buf *o, bool neg, const char *d, int nd, int dp, int prec, char fmt)
{
	int r = 0, i, exp;
	char eb[16];

	if (neg)
		r = buf_putc(o, '-');
	if (!r)
		r = buf_putc(o, nd ? d[0] : '0');
	if (!r && prec > 0) {
		r = buf_putc(o, '.');
		for (i = 1; !r && i <= prec; i++)
			r = buf_putc(o, i < nd ? d[i] : '0');
	}
	if (r)
		return r;
	exp = dp - 1;
	if (nd == 0)
		exp = 0;
	snprintf(eb, sizeof(eb), "%c%c%02d", fmt, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	return buf_append_str(o, eb);
}

/* strconv's fmtF over a digit string */
static int fmt_f_digits(struct buf *o, bool neg, const char *d, int nd, int dp, int prec)
{
	int r = 0, i;

	if (neg)
		r = buf_putc(o, '-');
	if (dp > 0) {
		int m = nd < dp ? nd : dp;

		for (i = 0; !r && i < m; i++)
			r = buf_putc(o, d[i]);
		for (; !r && i < dp; i++)
			r = buf_putc(o, '0');
	} else if (!r) {
		r = buf_putc(o, '0');
	}
	if (!r && prec > 0) {
		r = buf_putc(o, '.');
		for (i = 1; !r && i <= prec; i++) {
			int j = dp + i - 1;

			r = buf_putc(o, (j < 0 || j >= nd) ? '0' : d[j]);
		}
	}
	return r;
}

static int fmt_x_float(struct buf *o, double v, int prec, char fmt)
{
	static const char lowerhex[] = "0123456789abcdef", upperhex[] = "0123456789ABCDEF";
	const char *hex = fmt == 'X' ? upperhex : lowerhex;
	uint64_t bits, mant;
	int exp, r = 0;
	bool neg;
	char eb[16];

	memcpy(&bits, &v, sizeof(bits));
	neg = bits >> 63;
	exp = (int)((bits >> 52) & 0x7FF);
	mant = bits & ((UINT64_C(1) << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= UINT64_C(1) << 52;
	exp += -1023;
	if (mant == 0)
		exp = 0;
	mant <<= 60 - 52;
	while (mant != 0 && (mant & (UINT64_C(1) << 60)) == 0) {
		mant <<= 1;
		exp--;
	}
	if (prec >= 0 && prec < 15) {
		unsigned shift = (unsigned)prec * 4;
		uint64_t extra = (mant << shift) & ((UINT64_C(1) << 60) - 1);

		mant >>= 60 - shift;
		if ((extra | (mant & 1)) > (UINT64_C(1) << 59))
			mant++;
		mant <<= 60 - shift;
		if (mant & (UINT64_C(1) << 61)) {
			mant >>= 1;
			exp++;
		}
	}
	if (neg)
		r = buf_putc(o, '-');
	if (!r)
		r = buf_putc(o, '0');
	if (!r)
		r = buf_putc(o, fmt);
	if (!r)
		r = buf_putc(o, (char)('0' + ((mant >> 60) & 1)));
	mant <<= 4;
	if (prec < 0 && mant != 0) {
		if (!r)
			r = buf_putc(o, '.');
		while (!r && mant != 0) {
			r = buf_putc(o, hex[(mant >> 60) & 15]);
			mant <<= 4;
		}
	} else if (prec > 0) {
		if (!r)
			r = buf_putc(o, '.');
		for (int i = 0; !r && i < prec; i++) {
			r = buf_putc(o, hex[(mant >> 60) & 15]);
			mant <<= 4;
		}
	}
	if (r)
		return r;
	snprintf(eb, sizeof(eb), "%c%c%02d", fmt == 'X' ? 'P' : 'p', exp < 0 ? '-' : '+',
		 exp < 0 ? -exp : exp);
	return buf_append_str(o, eb);
}

int gofmt_float(struct buf *o, double v, char fmt, int prec)
{
	char digits[32];
	int nd, dp, r;
	bool neg = signbit(v);

	if (isnan(v))
		return buf_append_str(o, "NaN");
	if (isinf(v))
		return buf_append_str(o, neg ? "-Inf" : "+Inf");
	if (fmt == 'x' || fmt == 'X')
		return fmt_x_float(o, v, prec, fmt);
	if (fmt == 'b') {
		uint64_t bits, mant;
		int exp;
		char tmp[48];

		memcpy(&bits, &v, sizeof(bits));
		exp = (int)((bits >> 52) & 0x7FF);
		mant = bits & ((UINT64_C(1) << 52) - 1);
		if (exp == 0)
			exp++;
		else
			mant |= UINT64_C(1) << 52;
		exp += -1023 - 52;
		snprintf(tmp, sizeof(tmp), "%s%llup%s%d", neg ? "-" : "", (unsigned long long)mant,
			 exp >= 0 ? "+" : "", exp);
		return buf_append_str(o, tmp);
	}
	if (prec < 0) {
		shortest_digits(v, digits, &nd, &dp);
		switch (fmt) {
		case 'e':
		case 'E':
			return fmt_e_digits(o, neg, digits, nd, dp, nd - 1, fmt);
		case 'f':
			return fmt_f_digits(o, neg, digits, nd, dp, nd - dp > 0 ? nd - dp : 0);
		default: { /* g, G */
			int eprec = 6, exp = dp - 1, p = nd;

			if (exp < -4 || exp >= eprec)
				return fmt_e_digits(o, neg, digits, nd, dp, p - 1,
						    (char)(fmt + 'e' - 'g'));
			if (p > dp)
				p = nd;
			return fmt_f_digits(o, neg, digits, nd, dp, p - dp > 0 ? p - dp : 0);
		}
		}
	}
	{
		char *tmp;
		size_t cap = (size_t)prec + 400;

		tmp = malloc(cap);
		if (!tmp)
			return -ENOMEM;
		switch (fmt) {
		case 'e':
			snprintf(tmp, cap, "%.*e", prec, v);
			break;
		case 'E':
			snprintf(tmp, cap, "%.*E", prec, v);
			break;
		case 'f':
			snprintf(tmp, cap, "%.*f", prec, v);
			break;
		case 'G':
			snprintf(tmp, cap, "%.*G", prec, v);
			break;
		default:
			snprintf(tmp, cap, "%.*g", prec, v);
			break;
		}
		r = buf_append_str(o, tmp);
		free(tmp);
		return r;
	}
}

/* fmt.fmtFloat */
static void fmt_float(struct pp *p, double v, char verb, int prec)
{
	struct buf num;
	char *n;
	size_t len;
	int r;

	if (p->prec_present)
		prec = p->prec;
	buf_init_sensitive(&num, (size_t)FMT_TOO_LARGE * 2 + 1024);
	r = buf_putc(&num, '+');
	if (r == 0)
		r = gofmt_float(&num, v, verb, prec);
	if (r < 0) {
		p->r = p->r ? p->r : r; /* -E2BIG (the size cap) is not out of memory */
		buf_done(&num);
		return;
	}
	n = num.data;
	len = num.len;
	if (n[1] == '-' || n[1] == '+') {
		n++;
		len--;
	} else {
		n[0] = '+';
	}
	if (p->space && n[0] == '+' && !p->plus)
		n[0] = ' ';
	if (n[1] == 'I' || n[1] == 'N') {
		bool oz = p->zero;

		p->zero = false;
		if (n[1] == 'N' && !p->space && !p->plus) {
			n++;
			len--;
		}
		pad(p, n, len);
		p->zero = oz;
		buf_done(&num);
		return;
	}
	if (p->sharp && verb != 'b') {
		int digits = 0;
		char tail[16] = { 0 };
		size_t taillen = 0, i;
		bool has_dot = false, saw_nonzero = false;
		struct buf nb;

		switch (verb) {
		case 'v':
		case 'g':
		case 'G':
		case 'x':
			digits = prec;
			if (digits == -1)
				digits = 6;
			break;
		default:
			break;
		}
		for (i = 1; i < len; i++) {
			char c = n[i];

			if (c == '.') {
				has_dot = true;
				continue;
			}
			if (c == 'p' || c == 'P' ||
			    ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
				taillen = VL_MIN(len - i, sizeof(tail) - 1);
				memcpy(tail, n + i, taillen);
				len = i;
				break;
			}
			if (c != '0')
				saw_nonzero = true;
			if (saw_nonzero)
				digits--;
		}
		buf_init_sensitive(&nb, num.max);
		if (buf_append(&nb, n, len)) {
			p->r = -ENOMEM;
			buf_done(&nb);
			buf_done(&num);
			return;
		}
		if (!has_dot) {
			if (len == 2 && n[1] == '0')
				digits--;
			if (buf_putc(&nb, '.'))
				p->r = -ENOMEM;
		}
		while (digits > 0 && !p->r) {
			if (buf_putc(&nb, '0'))
				p->r = -ENOMEM;
			digits--;
		}
		if (!p->r && buf_append(&nb, tail, taillen))
			p->r = -ENOMEM;
		buf_done(&num);
		num = nb;
		n = num.data;
		len = num.len;
	}
	if (p->plus || n[0] != '+') {
		if (p->zero && p->wid_present && (size_t)p->wid > len) {
			wc(p, n[0]);
			write_padding(p, (long)((size_t)p->wid - len));
			w(p, n + 1, len - 1);
			buf_done(&num);
			return;
		}
		pad(p, n, len);
		buf_done(&num);
		return;
	}
	pad(p, n + 1, len - 1);
	buf_done(&num);
}

/* ---- pp ----------------------------------------------------------- */

static void print_arg(struct pp *p, const struct gval *arg, uint32_t verb);
static void print_value(struct pp *p, const struct gval *v, uint32_t verb, int depth);

static void write_rune(struct pp *p, uint32_t r)
{
	char e[4];
	size_t n = tmplutf_encode((uint32_t)r, e);

	w(p, e, n);
}

static bool is_nil_arg(const struct gval *v)
{
	return v->kind == GV_NIL || v->kind == GV_INVALID;
}

static void bad_verb(struct pp *p, uint32_t verb)
{
	p->erroring = true;
	ws(p, "%!");
	write_rune(p, verb);
	wc(p, '(');
	if (p->arg && !is_nil_arg(p->arg)) {
		const struct gval *a = p->arg;

		ws(p, gv_type_name(a));
		wc(p, '=');
		print_arg(p, a, 'v');
	} else if (p->value && p->value->kind != GV_INVALID) {
		const struct gval *v = p->value;

		ws(p, gv_type_name(v));
		wc(p, '=');
		print_value(p, v, 'v', 0);
	} else {
		ws(p, "<nil>");
	}
	wc(p, ')');
	p->erroring = false;
}

static void fmt_bool(struct pp *p, bool v, uint32_t verb)
{
	if (verb == 't' || verb == 'v')
		fmt_boolean(p, v);
	else
		bad_verb(p, verb);
}

static void fmt_0x64(struct pp *p, uint64_t v, bool leading0x)
{
	bool sharp = p->sharp;

	p->sharp = leading0x;
	fmt_integer(p, v, 16, false, 'v', ldigits);
	p->sharp = sharp;
}

static void fmt_int(struct pp *p, uint64_t v, bool is_signed, uint32_t verb)
{
	switch (verb) {
	case 'v':
		if (p->sharp_v && !is_signed)
			fmt_0x64(p, v, true);
		else
			fmt_integer(p, v, 10, is_signed, 'v', ldigits);
		break;
	case 'd':
		fmt_integer(p, v, 10, is_signed, 'd', ldigits);
		break;
	case 'b':
		fmt_integer(p, v, 2, is_signed, 'b', ldigits);
		break;
	case 'o':
	case 'O':
		fmt_integer(p, v, 8, is_signed, (char)verb, ldigits);
		break;
	case 'x':
		fmt_integer(p, v, 16, is_signed, 'x', ldigits);
		break;
	case 'X':
		fmt_integer(p, v, 16, is_signed, 'X', udigits);
		break;
	case 'c':
		fmt_c(p, v);
		break;
	case 'q':
		fmt_qc(p, v);
		break;
	case 'U':
		fmt_unicode(p, v);
		break;
	default:
		bad_verb(p, verb);
		break;
	}
}

static void pp_fmt_float(struct pp *p, double v, uint32_t verb)
{
	switch (verb) {
	case 'v':
		fmt_float(p, v, 'g', -1);
		break;
	case 'b':
	case 'g':
	case 'G':
	case 'x':
	case 'X':
		fmt_float(p, v, (char)verb, -1);
		break;
	case 'f':
	case 'e':
	case 'E':
		fmt_float(p, v, (char)verb, 6);
		break;
	case 'F':
		fmt_float(p, v, 'f', 6);
		break;
	default:
		bad_verb(p, verb);
		break;
	}
}

static void fmt_string(struct pp *p, const char *s, size_t n, uint32_t verb)
{
	switch (verb) {
	case 'v':
		if (p->sharp_v)
			fmt_q(p, s, n);
		else
			fmt_s(p, s, n);
		break;
	case 's':
		fmt_s(p, s, n);
		break;
	case 'x':
		fmt_sx(p, s, n, ldigits);
		break;
	case 'X':
		fmt_sx(p, s, n, udigits);
		break;
	case 'q':
		fmt_q(p, s, n);
		break;
	default:
		bad_verb(p, verb);
		break;
	}
}

/* Only json.Number has a method fmt cares about (String). */
static bool handle_methods(struct pp *p, uint32_t verb)
{
	const struct gval *a = p->arg;

	if (p->erroring || !a)
		return false;
	if (verb == 'w') {
		bad_verb(p, verb);
		return true;
	}
	if (p->sharp_v)
		return false;
	if (a->kind == GV_NUMBER &&
	    (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')) {
		fmt_string(p, a->str.s, a->str.len, verb);
		return true;
	}
	return false;
}

/*
 * fmtPointer. Maps, slices and pointers print their address for %p (and
 * nested pointers for %v): a non-nil one would be a memory address that
 * differs from run to run, so it is refused (-ENOTSUP) rather than faked.
 */
static void fmt_pointer(struct pp *p, const struct gval *v, uint32_t verb)
{
	bool nil;

	switch (v->kind) {
	case GV_MAP:
		nil = !v->map;
		break;
	case GV_SLICE:
		nil = !v->slice.arr;
		break;
	case GV_STRSLICE:
		nil = !v->strs.arr && !v->strs.items;
		break;
	case GV_SECRET:
		nil = false;
		break;
	case GV_NILPTR:
		nil = true;
		break;
	default:
		bad_verb(p, verb);
		return;
	}
	if (!nil) {
		switch (verb) {
		case 'v':
		case 'p':
		case 'b':
		case 'o':
		case 'd':
		case 'x':
		case 'X':
			if (!p->r)
				p->r = -ENOTSUP;
			return;
		default:
			bad_verb(p, verb);
			return;
		}
	}
	switch (verb) {
	case 'v':
		if (p->sharp_v) {
			wc(p, '(');
			ws(p, gv_type_name(v));
			ws(p, ")(nil)");
		} else {
			pad_str(p, "<nil>");
		}
		break;
	case 'p':
		fmt_0x64(p, 0, !p->sharp);
		break;
	case 'b':
	case 'o':
	case 'd':
	case 'x':
	case 'X':
		fmt_int(p, 0, false, verb);
		break;
	default:
		bad_verb(p, verb);
		break;
	}
}

static void print_secret_struct(struct pp *p, const struct gval *v, uint32_t verb, int depth)
{
	size_t i;

	if (p->sharp_v)
		ws(p, "dependency.Secret");
	wc(p, '{');
	for (i = 0; i < GV_SECRET_NFIELDS; i++) {
		bool found;
		const char *name = gv_secret_fields[i];
		struct gval f = gv_secret_field(v->secret, name, strlen(name), &found);

		if (i > 0) {
			if (p->sharp_v)
				ws(p, ", ");
			else
				wc(p, ' ');
		}
		if (p->plus_v || p->sharp_v) {
			ws(p, name);
			wc(p, ':');
		}
		print_value(p, &f, verb, depth + 1);
	}
	wc(p, '}');
}

static void print_value(struct pp *p, const struct gval *value, uint32_t verb, int depth)
{
	const struct gval *saved_value = p->value;

	if (depth > 0 && value->kind != GV_INVALID && value->kind != GV_NIL) {
		p->arg = value;
		if (handle_methods(p, verb))
			return;
	}
	p->arg = NULL;
	p->value = value;
	switch (value->kind) {
	case GV_INVALID:
		if (depth == 0)
			ws(p, "<invalid reflect.Value>");
		else if (verb == 'v')
			ws(p, "<nil>");
		else
			bad_verb(p, verb);
		break;
	case GV_NIL:
		/* an interface element with nothing in it */
		if (p->sharp_v)
			ws(p, "interface {}(nil)");
		else
			ws(p, "<nil>");
		break;
	case GV_BOOL:
		fmt_bool(p, value->b, verb);
		break;
	case GV_INT:
	case GV_INT64:
		fmt_int(p, (uint64_t)value->i, true, verb);
		break;
	case GV_UINT8:
	case GV_UINT64:
		fmt_int(p, (uint64_t)value->i, false, verb);
		break;
	case GV_FLOAT:
		pp_fmt_float(p, value->f, verb);
		break;
	case GV_STRING:
	case GV_NUMBER:
		fmt_string(p, value->str.s, value->str.len, verb);
		break;
	case GV_MAP: {
		const cJSON **members = NULL;
		size_t n = 0, i;

		if (p->sharp_v) {
			ws(p, gv_type_name(value));
			if (!value->map) {
				ws(p, "(nil)");
				break;
			}
			wc(p, '{');
		} else {
			ws(p, "map[");
		}
		if (value->map) {
			members =
			    malloc(sizeof(*members) * ((size_t)cJSON_GetArraySize(value->map) + 1));
			if (!members) {
				p->r = -ENOMEM;
				break;
			}
			n = gv_sorted_members(value->map, members);
		}
		for (i = 0; i < n && !p->r; i++) {
			struct gval k = gv_string(members[i]->string, strlen(members[i]->string));
			struct gval e = gv_from_json(members[i]);

			if (i > 0) {
				if (p->sharp_v)
					ws(p, ", ");
				else
					wc(p, ' ');
			}
			print_value(p, &k, verb, depth + 1);
			wc(p, ':');
			print_value(p, &e, verb, depth + 1);
		}
		free(members);
		wc(p, p->sharp_v ? '}' : ']');
		break;
	}
	case GV_SLICE:
	case GV_STRSLICE: {
		bool nil = value->kind == GV_SLICE ? !value->slice.arr
						   : !value->strs.arr && !value->strs.items;
		struct gv_iter it;
		struct gval e;

		if (p->sharp_v) {
			ws(p, gv_type_name(value));
			if (nil) {
				ws(p, "(nil)");
				break;
			}
			wc(p, '{');
		} else {
			wc(p, '[');
		}
		gv_iter_init(&it, value);
		while (!p->r && gv_iter_next(&it, &e)) {
			if (it.i > 1) {
				if (p->sharp_v)
					ws(p, ", ");
				else
					wc(p, ' ');
			}
			print_value(p, &e, verb, depth + 1);
		}
		wc(p, p->sharp_v ? '}' : ']');
		break;
	}
	case GV_SECRETV:
		print_secret_struct(p, value, verb, depth);
		break;
	case GV_SECRET:
		if (depth == 0) {
			struct gval sv = { .kind = GV_SECRETV, .secret = value->secret };

			/* %v and %#v of a pointer to struct: &{…}, &dependency.Secret{…} */
			wc(p, '&');
			print_value(p, &sv, verb, depth + 1);
			break;
		}
		fmt_pointer(p, value, verb);
		break;
	case GV_NILPTR:
		fmt_pointer(p, value, verb);
		break;
	}
	p->value = saved_value;
}

static void print_arg(struct pp *p, const struct gval *arg, uint32_t verb)
{
	p->arg = arg;
	p->value = NULL;
	if (is_nil_arg(arg)) {
		if (verb == 'T' || verb == 'v')
			pad_str(p, "<nil>");
		else
			bad_verb(p, verb);
		return;
	}
	if (verb == 'T') {
		fmt_s(p, gv_type_name(arg), strlen(gv_type_name(arg)));
		return;
	}
	if (verb == 'p') {
		fmt_pointer(p, arg, 'p');
		return;
	}
	switch (arg->kind) {
	case GV_BOOL:
		fmt_bool(p, arg->b, verb);
		return;
	case GV_FLOAT:
		pp_fmt_float(p, arg->f, verb);
		return;
	case GV_INT:
	case GV_INT64:
		fmt_int(p, (uint64_t)arg->i, true, verb);
		return;
	case GV_UINT8:
	case GV_UINT64:
		fmt_int(p, (uint64_t)arg->i, false, verb);
		return;
	case GV_STRING:
		fmt_string(p, arg->str.s, arg->str.len, verb);
		return;
	default:
		if (!handle_methods(p, verb))
			print_value(p, arg, verb, 0);
		return;
	}
}

static void parsenum(const char *s, size_t start, size_t end, int *num, bool *isnum, size_t *newi)
{
	size_t i;

	*num = 0;
	*isnum = false;
	if (start >= end) {
		*newi = end;
		return;
	}
	for (i = start; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
		if (*num > FMT_TOO_LARGE || *num < -FMT_TOO_LARGE) {
			*num = 0;
			*isnum = false;
			*newi = end;
			return;
		}
		*num = *num * 10 + (s[i] - '0');
		*isnum = true;
	}
	*newi = i;
}

static void int_from_arg(const struct gval *a, size_t n, size_t *argnum, int *num, bool *isint)
{
	*num = 0;
	*isint = false;
	if (*argnum < n) {
		const struct gval *v = &a[*argnum];

		if (v->kind == GV_INT || v->kind == GV_INT64 ||
		    (v->kind == GV_UINT64 && v->i >= 0)) {
			/* fmt's tooLarge: beyond ±1e6 a width or precision is not a number */
			if (v->i <= FMT_TOO_LARGE && v->i >= -FMT_TOO_LARGE) {
				*num = (int)v->i;
				*isint = true;
			}
		} else if (v->kind == GV_UINT8) {
			*num = (int)v->i;
			*isint = true;
		}
		(*argnum)++;
	}
}

/* fmt's parseArgNumber on s[i..end): "[n]" */
static void arg_number(struct pp *p, size_t *argnum, const char *s, size_t *i, size_t end,
		       size_t nargs, bool *found)
{
	size_t k, len = end - *i;

	*found = false;
	if (*i >= end || s[*i] != '[')
		return;
	p->reordered = true;
	if (len < 3) {
		p->good_arg_num = false;
		*i += 1;
		return;
	}
	for (k = 1; k < len; k++) {
		if (s[*i + k] == ']') {
			int width;
			bool ok;
			size_t newi;

			parsenum(s + *i, 1, k, &width, &ok, &newi);
			if (!ok || newi != k) {
				p->good_arg_num = false;
				*i += k + 1;
				return;
			}
			width--;
			if (width >= 0 && (size_t)width < nargs) {
				*argnum = (size_t)width;
				*i += k + 1;
				*found = true;
				return;
			}
			p->good_arg_num = false;
			*i += k + 1;
			*found = true;
			return;
		}
	}
	p->good_arg_num = false;
	*i += 1;
}

static void do_printf(struct pp *p, const char *f, size_t end, const struct gval *a, size_t n)
{
	size_t argnum = 0, i = 0;
	bool after_index = false;

	p->reordered = false;
	while (i < end && !p->r) {
		size_t lasti = i;
		uint32_t verb;
		size_t size = 1;

		p->good_arg_num = true;
		while (i < end && f[i] != '%')
			i++;
		if (i > lasti)
			w(p, f + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		clear_flags(p);
		for (; i < end; i++) {
			char c = f[i];

			if (c == '#') {
				p->sharp = true;
			} else if (c == '0') {
				p->zero = !p->minus;
			} else if (c == '+') {
				p->plus = true;
			} else if (c == '-') {
				p->minus = true;
				p->zero = false;
			} else if (c == ' ') {
				p->space = true;
			} else {
				if (c >= 'a' && c <= 'z' && argnum < n) {
					if (c == 'v') {
						p->sharp_v = p->sharp;
						p->sharp = false;
						p->plus_v = p->plus;
						p->plus = false;
					}
					print_arg(p, &a[argnum], (uint32_t)c);
					argnum++;
					i++;
					goto next;
				}
				break;
			}
		}
		arg_number(p, &argnum, f, &i, end, n, &after_index);
		if (i < end && f[i] == '*') {
			i++;
			int_from_arg(a, n, &argnum, &p->wid, &p->wid_present);
			if (!p->wid_present)
				ws(p, "%!(BADWIDTH)");
			if (p->wid < 0) {
				p->wid = -p->wid;
				p->minus = true;
				p->zero = false;
			}
			after_index = false;
		} else {
			parsenum(f, i, end, &p->wid, &p->wid_present, &i);
			if (after_index && p->wid_present)
				p->good_arg_num = false;
		}
		if (i + 1 < end && f[i] == '.') {
			i++;
			if (after_index)
				p->good_arg_num = false;
			arg_number(p, &argnum, f, &i, end, n, &after_index);
			if (i < end && f[i] == '*') {
				i++;
				int_from_arg(a, n, &argnum, &p->prec, &p->prec_present);
				if (p->prec < 0) {
					p->prec = 0;
					p->prec_present = false;
				}
				if (!p->prec_present)
					ws(p, "%!(BADPREC)");
				after_index = false;
			} else {
				parsenum(f, i, end, &p->prec, &p->prec_present, &i);
				if (!p->prec_present) {
					p->prec = 0;
					p->prec_present = true;
				}
			}
		}
		if (!after_index)
			arg_number(p, &argnum, f, &i, end, n, &after_index);
		if (i >= end) {
			ws(p, "%!(NOVERB)");
			break;
		}
		verb = (unsigned char)f[i];
		if (verb >= 0x80)
			verb = tmplutf_decode(f + i, end - i, &size);
		i += size;
		if (verb == '%') {
			wc(p, '%');
		} else if (!p->good_arg_num) {
			ws(p, "%!");
			write_rune(p, verb);
			ws(p, "(BADINDEX)");
		} else if (argnum >= n) {
			ws(p, "%!");
			write_rune(p, verb);
			ws(p, "(MISSING)");
		} else {
			if (verb == 'v') {
				p->sharp_v = p->sharp;
				p->sharp = false;
				p->plus_v = p->plus;
				p->plus = false;
			}
			print_arg(p, &a[argnum], verb);
			argnum++;
		}
	next:;
	}
	if (!p->reordered && argnum < n && !p->r) {
		size_t k;

		clear_flags(p);
		ws(p, "%!(EXTRA ");
		for (k = argnum; k < n; k++) {
			if (k > argnum)
				ws(p, ", ");
			if (is_nil_arg(&a[k])) {
				ws(p, "<nil>");
			} else {
				ws(p, gv_type_name(&a[k]));
				wc(p, '=');
				print_arg(p, &a[k], 'v');
			}
		}
		wc(p, ')');
	}
}

static void pp_init(struct pp *p, struct buf *out)
{
	memset(p, 0, sizeof(*p));
	p->b = out;
}

int gofmt_sprintf(struct buf *out, const char *format, size_t flen, const struct gval *args,
		  size_t n)
{
	struct pp p;

	pp_init(&p, out);
	do_printf(&p, format, flen, args, n);
	return p.r;
}

static bool is_string_kind(const struct gval *v)
{
	return v->kind == GV_STRING || v->kind == GV_NUMBER;
}

int gofmt_sprint(struct buf *out, const struct gval *args, size_t n)
{
	struct pp p;
	bool prev_string = false;
	size_t i;

	pp_init(&p, out);
	for (i = 0; i < n && !p.r; i++) {
		bool is_string = is_string_kind(&args[i]);

		if (i > 0 && !is_string && !prev_string)
			wc(&p, ' ');
		clear_flags(&p);
		print_arg(&p, &args[i], 'v');
		prev_string = is_string;
	}
	return p.r;
}

int gofmt_sprintln(struct buf *out, const struct gval *args, size_t n)
{
	struct pp p;
	size_t i;

	pp_init(&p, out);
	for (i = 0; i < n && !p.r; i++) {
		if (i > 0)
			wc(&p, ' ');
		clear_flags(&p);
		print_arg(&p, &args[i], 'v');
	}
	wc(&p, '\n');
	return p.r;
}

int gofmt_print_action(struct buf *out, const struct gval *v)
{
	struct gval x = *v;

	/* printableValue: pointers are dereferenced; nothing is <no value> */
	if (x.kind == GV_SECRET)
		x.kind = GV_SECRETV;
	if (x.kind == GV_INVALID || x.kind == GV_NIL)
		return buf_append_str(out, "<no value>");
	return gofmt_sprint(out, &x, 1);
}
