/* SPDX-License-Identifier: MIT */
/*
 * rf_sprig_num: sprig v3's math, conversion, string and type helpers, as
 * consul-template exposes them (sprig_ prefix).
 *
 * DESIGN. sprig's integer math runs on int64 through spf13/cast's ToInt64,
 * which never fails inside sprig (an error gives 0): strings and
 * json.Numbers are strconv.ParseInt(trimZeroDecimal(s), 0, 0) (so "0x1f",
 * "0o17", "1_000" and "5.00" read, "5.5" is 0), floats are truncated, bools
 * 1 or 0, nil and everything else 0. Go's integer arithmetic wraps; a
 * division by zero is Go's runtime panic text. A float64 outside the int64
 * range converts differently on amd64 and arm64 in Go, so vaultlet refuses
 * it rather than pick one. Strings are Go bytes (trunc, substr and abbrev
 * cut bytes, as Go slices do); title and untitle need Unicode case tables
 * and word rules for non-ASCII text, which are refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "gofmt.h"
#include "goparse.h"
#include "goregex.h"
#include "render.h"
#include "rf_sprig.h"
#include "podfn.h"
#include "rfunc.h"
#include "tmplutf.h"

#define DIV_PANIC "runtime error: integer divide by zero"

/* ---- spf13/cast ---------------------------------------------------- */

/* cast's trimZeroDecimal: "5.00" is "5"; "5.", "5.5" stay. */
static size_t trim_zero_decimal(const char *s, size_t n)
{
	bool zero = false;

	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '.') {
			if (zero)
				return i - 1;
		} else if (s[i - 1] == '0') {
			zero = true;
		} else {
			return n;
		}
	}
	return n;
}

static int digit_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	return 99;
}

/*
 * strconv.ParseInt(s, base, 64) for base 0 (prefixes, underscores), 8 or
 * 10: 0 and *ret, 1 (syntax error), 2 (out of range; *ret is clamped as
 * Go's).
 */
static int go_parse_int(const char *s, size_t n, int base, int64_t *ret)
{
	bool neg = false, base0 = base == 0, under = false;
	const char *u0;
	size_t un;
	uint64_t v = 0, cutoff, lim = (uint64_t)INT64_MAX;

	*ret = 0;
	if (n == 0)
		return 1;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	u0 = s;
	un = n;
	if (n == 0)
		return 1;
	if (base0) {
		base = 10;
		if (s[0] == '0') {
			char l = (char)(n >= 3 ? s[1] | 0x20 : 0);

			base = l == 'b' ? 2 : l == 'o' ? 8 : l == 'x' ? 16 : 8;
			s += base == 8 && l != 'o' ? 1 : 2;
			n -= base == 8 && l != 'o' ? 1 : 2;
		}
	}
	cutoff = UINT64_MAX / (uint64_t)base + 1;
	for (size_t i = 0; i < n; i++) {
		int d;
		uint64_t v1;

		if (s[i] == '_' && base0) {
			under = true;
			continue;
		}
		d = digit_val(s[i]);
		if (d >= base)
			return 1;
		if (v >= cutoff)
			goto range;
		v *= (uint64_t)base;
		v1 = v + (uint64_t)d;
		if (v1 < v)
			goto range;
		v = v1;
	}
	if (under && !goparse_underscore_ok(u0, un))
		return 1;
	if (neg ? v > lim + 1 : v > lim)
		goto range;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
range:
	*ret = neg ? INT64_MIN : INT64_MAX;
	return 2;
}

/* float64 -> int64 as Go converts it; false when Go's result depends on the CPU. */
static bool f2i(double f, int64_t *ret)
{
	if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
		return false;
	*ret = (int64_t)f;
	return true;
}

static int f2i_fail(struct rf_call *c)
{
	return rf_fail(c, "converting a float64 outside the int64 range (or NaN) is not "
			  "supported by vaultlet (Go's result depends on the CPU; see "
			  "docs/templates.md)");
}

/* cast.ToInt64 with the error dropped (sprig's toInt64; cast.ToInt is the same on 64 bits). */
static int to_int64(struct rf_call *c, const struct gval *v, int64_t *ret)
{
	*ret = 0;
	switch (v->kind) {
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
	case GV_UINT64:
		*ret = v->i;
		return 0;
	case GV_FLOAT:
		return f2i(v->f, ret) ? 0 : f2i_fail(c);
	case GV_STRING:
	case GV_NUMBER: {
		int64_t x;

		if (go_parse_int(v->str.s, trim_zero_decimal(v->str.s, v->str.len), 0, &x) == 0)
			*ret = x;
		return 0;
	}
	case GV_BOOL:
		*ret = v->b;
		return 0;
	default:
		return 0;
	}
}

/* cast.ToFloat64 with the error dropped (sprig's toFloat64). */
static int to_float64(struct rf_call *c, const struct gval *v, double *ret)
{
	*ret = 0;
	switch (v->kind) {
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
		*ret = (double)v->i;
		return 0;
	case GV_UINT64:
		*ret = (double)(uint64_t)v->i;
		return 0;
	case GV_FLOAT:
		*ret = v->f;
		return 0;
	case GV_STRING:
	case GV_NUMBER: {
		double d;
		int r = rf_go_parse_float(c, v->str, &d);

		if (r < 0)
			return r;
		if (r == 0)
			*ret = d;
		return 0;
	}
	case GV_BOOL:
		*ret = v->b;
		return 0;
	default:
		return 0;
	}
}

/* ---- math ---------------------------------------------------------- */

/*
 * sprig_add V..., sprig_add1 V, sprig_sub A B, sprig_mul A V..., sprig_div
 * A B, sprig_mod A B, sprig_max/biggest A V..., sprig_min A V...: int64.
 */
int rf_sprig_math(struct rf_call *c, struct gval *ret)
{
	int64_t acc = 0, b;
	int r;

	if (c->n > 0) {
		r = to_int64(c, &c->argv[0], &acc);
		if (r)
			return r;
	}
	switch (c->fn) {
	case TMPL_FN_SPRIG_ADD1:
		acc = (int64_t)((uint64_t)acc + 1);
		break;
	case TMPL_FN_SPRIG_ADD:
	case TMPL_FN_SPRIG_MUL:
	case TMPL_FN_SPRIG_MAX:
	case TMPL_FN_SPRIG_BIGGEST:
	case TMPL_FN_SPRIG_MIN:
		for (size_t i = 1; i < c->n; i++) {
			r = to_int64(c, &c->argv[i], &b);
			if (r)
				return r;
			if (c->fn == TMPL_FN_SPRIG_ADD)
				acc = (int64_t)((uint64_t)acc + (uint64_t)b);
			else if (c->fn == TMPL_FN_SPRIG_MUL)
				acc = (int64_t)((uint64_t)acc * (uint64_t)b);
			else if (c->fn == TMPL_FN_SPRIG_MIN ? b < acc : b > acc)
				acc = b;
		}
		break;
	default: /* sub, div, mod */
		r = to_int64(c, &c->argv[1], &b);
		if (r)
			return r;
		if (c->fn == TMPL_FN_SPRIG_SUB) {
			acc = (int64_t)((uint64_t)acc - (uint64_t)b);
		} else if (b == 0) {
			return rf_fail(c, DIV_PANIC);
		} else if (b == -1) {
			/* Go: MinInt64 / -1 is MinInt64, MinInt64 % -1 is 0 */
			acc = c->fn == TMPL_FN_SPRIG_DIV ? (int64_t)(0 - (uint64_t)acc) : 0;
		} else {
			acc = c->fn == TMPL_FN_SPRIG_DIV ? acc / b : acc % b;
		}
		break;
	}
	*ret = (struct gval){ .kind = GV_INT64, .i = acc };
	return 0;
}

/* sprig_floor V, sprig_ceil V: float64; sprig_round V PLACES: sprig's half-up rounding */
int rf_sprig_floor(struct rf_call *c, struct gval *ret)
{
	double f;
	int r = to_float64(c, &c->argv[0], &f);

	if (r)
		return r;
	if (c->fn == TMPL_FN_SPRIG_FLOOR) {
		f = floor(f);
	} else if (c->fn == TMPL_FN_SPRIG_CEIL) {
		f = ceil(f);
	} else {
		int64_t p = c->argv[1].i;
		double pw = 1, digit, ip, frac;

		if (c->n > 2)
			return rf_fail(c,
				       "a rounding threshold (third argument) is not supported by "
				       "vaultlet (see docs/templates.md)");
		if (p < 0 || p > 22)
			return rf_fail(c,
				       "rounding to %" PRId64
				       " places is not supported by vaultlet "
				       "(Go's math.Pow is not reproduced there; 0 to 22 places "
				       "are)",
				       p);
		for (int64_t i = 0; i < p; i++)
			pw *= 10; /* exact up to 1e22, as Go's Pow */
		digit = pw * f;
		frac = modf(digit, &ip);
		f = (frac >= 0.5 ? ceil(digit) : floor(digit)) / pw;
	}
	*ret = (struct gval){ .kind = GV_FLOAT, .f = f };
	return 0;
}

/* sprig_int V (int), sprig_int64 V (int64), sprig_float64 V (float64): cast's conversions */
int rf_sprig_conv(struct rf_call *c, struct gval *ret)
{
	int r;

	if (c->fn == TMPL_FN_SPRIG_FLOAT64) {
		double f;

		r = to_float64(c, &c->argv[0], &f);
		if (!r)
			*ret = (struct gval){ .kind = GV_FLOAT, .f = f };
		return r;
	}
	ret->kind = c->fn == TMPL_FN_SPRIG_INT ? GV_INT : GV_INT64;
	return to_int64(c, &c->argv[0], &ret->i);
}

/* sprig_atoi S: strconv.Atoi with the error dropped (0; a too large value clamped) */
int rf_sprig_atoi(struct rf_call *c, struct gval *ret)
{
	int64_t v;

	go_parse_int(c->argv[0].str.s, c->argv[0].str.len, 10, &v);
	*ret = gv_int(v);
	return 0;
}

/* sprig_toDecimal V: strconv.ParseInt(fmt.Sprint(V), 8, 64), 0 on error */
int rf_sprig_to_decimal(struct rf_call *c, struct gval *ret)
{
	struct buf t;
	int64_t v = 0;
	int r;

	buf_init_sensitive(&t, RENDER_MAX_VALUE);
	r = gofmt_sprint(&t, &c->argv[0], 1);
	if (!r && go_parse_int(t.len ? t.data : "", t.len, 8, &v) != 0)
		v = 0;
	buf_done(&t);
	if (r)
		return r;
	*ret = (struct gval){ .kind = GV_INT64, .i = v };
	return 0;
}

/* sprig_toString V: strval */
int rf_sprig_to_string(struct rf_call *c, struct gval *ret)
{
	struct gv_str s;
	int r = rf_sprig_strval(c, &c->argv[0], &s);

	if (!r)
		*ret = gv_string(s.s, s.len);
	return r;
}

/* ---- strings ------------------------------------------------------- */

/* strings.Repeat's panics, then the repeated text */
static int repeat(struct rf_call *c, struct buf *o, const char *s, size_t n, int64_t count)
{
	int r = 0;

	if (count < 0)
		return rf_fail(c, "strings: negative Repeat count");
	if (n && (uint64_t)count > (uint64_t)INT64_MAX / n)
		return rf_fail(c, "strings: Repeat count causes overflow");
	if (n && (uint64_t)count * n > RENDER_MAX_VALUE)
		return rf_capfail(c, "a value longer than %d bytes", RENDER_MAX_VALUE);
	for (int64_t i = 0; i < count && !r && n; i++)
		r = buf_append(o, s, n);
	return r;
}

/* sprig_repeat COUNT S */
int rf_sprig_repeat(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return repeat(c, c->o, c->argv[1].str.s, c->argv[1].str.len, c->argv[0].i);
}

/* sprig_indent N S: N spaces before S and after each newline; sprig_nindent: "\n" first */
int rf_sprig_indent(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[1].str;
	int64_t n = c->argv[0].i;
	size_t i, start = 0;
	int r = 0;

	(void)ret;
	if (n < 0)
		return rf_fail(c, "strings: negative Repeat count");
	if ((uint64_t)n > RENDER_MAX_VALUE)
		return rf_capfail(c, "a value longer than %d bytes", RENDER_MAX_VALUE);
	if (c->fn == TMPL_FN_SPRIG_NINDENT)
		r = buf_append(c->o, "\n", 1);
	if (!r)
		r = repeat(c, c->o, " ", 1, n);
	for (i = 0; i < s.len && !r; i++) {
		if (s.s[i] != '\n')
			continue;
		r = buf_append(c->o, s.s + start, i + 1 - start);
		if (!r)
			r = repeat(c, c->o, " ", 1, n);
		start = i + 1;
	}
	if (!r)
		r = buf_append(c->o, s.s + start, s.len - start);
	return r;
}

/* Go's runtime error for a failed string slice s[lo:hi] of length n (lo < 0: s[:hi]). */
static int slice_panic(struct rf_call *c, int64_t lo, int64_t hi, size_t n, bool has_lo,
		       bool has_hi)
{
	if (has_hi && (hi < 0 || (uint64_t)hi > n)) {
		if (hi < 0)
			return rf_fail(c, "runtime error: slice bounds out of range [:%" PRId64 "]",
				       hi);
		return rf_fail(
		    c, "runtime error: slice bounds out of range [:%" PRId64 "] with length %zu",
		    hi, n);
	}
	if (!has_hi)
		hi = (int64_t)n;
	if (has_lo && lo < 0)
		return rf_fail(c, "runtime error: slice bounds out of range [%" PRId64 ":]", lo);
	return rf_fail(c, "runtime error: slice bounds out of range [%" PRId64 ":%" PRId64 "]", lo,
		       hi);
}

/* sprig_substr START END S: S[START:END] (START < 0: S[:END]; END < 0 or past the end: S[START:]) */
int rf_sprig_substr(struct rf_call *c, struct gval *ret)
{
	int64_t a = c->argv[0].i, b = c->argv[1].i;
	struct gv_str s = c->argv[2].str;
	int64_t n = (int64_t)s.len;

	if (a < 0) {
		if (b < 0 || b > n)
			return slice_panic(c, 0, b, s.len, false, true);
		*ret = gv_string(s.s, (size_t)b);
		return 0;
	}
	if (b < 0 || b > n) {
		if (a > n)
			return slice_panic(c, a, n, s.len, true, false);
		*ret = gv_string(s.s + a, (size_t)(n - a));
		return 0;
	}
	if (a > b)
		return slice_panic(c, a, b, s.len, true, true);
	*ret = gv_string(s.s + a, (size_t)(b - a));
	return 0;
}

/* sprig_trunc N S: the first N bytes (N < 0: the last -N) */
int rf_sprig_trunc(struct rf_call *c, struct gval *ret)
{
	int64_t k = c->argv[0].i;
	struct gv_str s = c->argv[1].str;
	int64_t n = (int64_t)s.len;

	*ret = c->argv[1];
	if (k < 0 && n + k > 0)
		*ret = gv_string(s.s + (n + k), (size_t)-k);
	else if (k >= 0 && n > k)
		*ret = gv_string(s.s, (size_t)k);
	return 0;
}

/* sprig_abbrev WIDTH S: goutils.Abbreviate: S, or its first WIDTH-3 bytes and "..." */
int rf_sprig_abbrev(struct rf_call *c, struct gval *ret)
{
	int64_t w = c->argv[0].i;
	struct gv_str s = c->argv[1].str;
	int r;

	(void)ret;
	if (w < 4 || s.len <= (uint64_t)w)
		return buf_append(c->o, s.s, s.len);
	r = buf_append(c->o, s.s, (size_t)(w - 3));
	return r ? r : buf_append(c->o, "...", 3);
}

/*
 * sprig_nospace S: goutils.DeleteWhiteSpace, which walks bytes: each byte
 * that is not unicode.IsSpace as a rune (\t \n \v \f \r space 0x85 0xA0)
 * is written back as the rune U+00xx (so a byte >= 0x80 becomes two bytes);
 * S unchanged when nothing was removed.
 */
int rf_sprig_nospace(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < s.len && !any; i++) {
		unsigned char b = (unsigned char)s.s[i];

		any = (b >= '\t' && b <= '\r') || b == ' ' || b == 0x85 || b == 0xA0;
	}
	if (!any) {
		*ret = c->argv[0];
		return 0;
	}
	for (size_t i = 0; i < s.len && !r; i++) {
		unsigned char b = (unsigned char)s.s[i];
		char two[2];

		if ((b >= '\t' && b <= '\r') || b == ' ' || b == 0x85 || b == 0xA0)
			continue;
		if (b < 0x80) {
			r = buf_append(c->o, s.s + i, 1);
			continue;
		}
		two[0] = (char)(0xC0 | b >> 6);
		two[1] = (char)(0x80 | (b & 0x3F));
		r = buf_append(c->o, two, 2);
	}
	if (!r)
		r = rf_string(c, c->o->len ? c->o->data : "", c->o->len, ret);
	return r;
}

static bool ascii_only(struct gv_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.s[i] >= 0x80)
			return false;
	return true;
}

/*
 * sprig_title S: strings.Title (the first letter of each word upper-cased;
 * a word starts after anything but a letter, digit or '_');
 * sprig_untitle S: goutils.Uncapitalize (the first character after white
 * space lower-cased). ASCII text only.
 */
int rf_sprig_title(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	bool title = c->fn == TMPL_FN_SPRIG_TITLE, next = true;
	char *o;

	if (!ascii_only(s))
		return rf_fail(
		    c,
		    "%s of non-ASCII text is not supported by vaultlet (Go's Unicode word "
		    "and case rules are not reproduced there; see docs/templates.md)",
		    title ? "title" : "untitle");
	o = rf_alloc(c, s.len + 1);
	if (!o)
		return rf_nomem(c);
	for (size_t i = 0; i < s.len; i++) {
		char ch = s.s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '_';
		bool space = (ch >= '\t' && ch <= '\r') || ch == ' ';

		if (title) {
			if (next && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			next = !alnum;
		} else if (space) {
			next = true;
		} else if (next) {
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			next = false;
		}
		o[i] = ch;
	}
	o[s.len] = 0;
	*ret = gv_string(o, s.len);
	return 0;
}

/* sprig_cat V...: the non-nil values as %v, separated by spaces */
int rf_sprig_cat(struct rf_call *c, struct gval *ret)
{
	int r = 0;
	bool first = true;

	(void)ret;
	for (size_t i = 0; i < c->n && !r; i++) {
		if (c->argv[i].kind == GV_NIL || c->argv[i].kind == GV_INVALID)
			continue;
		if (!first)
			r = buf_append(c->o, " ", 1);
		first = false;
		if (!r)
			r = gofmt_sprintf(c->o, "%v", 2, &c->argv[i], 1);
	}
	return r;
}

/* sprig_plural ONE MANY COUNT */
int rf_sprig_plural(struct rf_call *c, struct gval *ret)
{
	*ret = c->argv[2].i == 1 ? c->argv[0] : c->argv[1];
	return 0;
}

/* sprig_ternary T F COND: T when COND (a bool) is true, else F */
int rf_sprig_ternary(struct rf_call *c, struct gval *ret)
{
	const struct gval *b = &c->argv[2];

	if (b->kind != GV_BOOL)
		return rf_fail(c, "wrong type for value; expected bool; got %s",
			       b->kind == GV_NIL || b->kind == GV_INVALID ? "interface {}"
									  : gv_type_name(b));
	*ret = b->b ? c->argv[0] : c->argv[1];
	return 0;
}

/* sprig_hello: "Hello!"; sprig_fail MSG: an error with MSG */
int rf_sprig_hello(struct rf_call *c, struct gval *ret)
{
	if (c->fn == TMPL_FN_SPRIG_FAIL)
		return rf_fail(c, "%.*s", (int)VL_MIN(c->argv[0].str.len, 4096u), c->argv[0].str.s);
	*ret = gv_string("Hello!", 6);
	return 0;
}

/* sprig_sha1sum S, sprig_sha512sum S (sprig 3.3.0), sprig_adler32sum S: hex SHA-1/512; adler32 in decimal */
int rf_sprig_sum(struct rf_call *c, struct gval *ret)
{
	const unsigned char *s = (const unsigned char *)c->argv[0].str.s;
	size_t n = c->argv[0].str.len;
	int r = 0;

	(void)ret;
	if (c->fn == TMPL_FN_SPRIG_SHA1SUM || c->fn == TMPL_FN_SPRIG_SHA512SUM) {
		unsigned char md[SHA512_DIGEST_LENGTH];
		size_t len =
		    c->fn == TMPL_FN_SPRIG_SHA1SUM ? SHA_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;

		if (c->fn == TMPL_FN_SPRIG_SHA1SUM)
			SHA1(s, n, md);
		else
			SHA512(s, n, md);
		for (size_t i = 0; !r && i < len; i++)
			r = buf_appendf(c->o, "%02x", md[i]);
		return r;
	} else {
		uint32_t a = 1, b = 0;

		for (size_t i = 0; i < n; i++) {
			a = (a + s[i]) % 65521;
			b = (b + a) % 65521;
		}
		return buf_appendf(c->o, "%" PRIu32, b << 16 | a);
	}
}

/* ---- types --------------------------------------------------------- */

/*
 * sprig_typeOf V (%T), sprig_kindOf V (reflect.Kind), sprig_typeIs T V,
 * sprig_typeIsLike T V (T or *T), sprig_kindIs K V, sprig_deepEqual A B.
 */
int rf_sprig_type(struct rf_call *c, struct gval *ret)
{
	const struct gval *v = &c->argv[c->n - 1];
	struct buf t;
	int r = 0;

	switch (c->fn) {
	case TMPL_FN_SPRIG_DEEPEQUAL: {
		bool eq;

		r = rf_sprig_deep_equal(c, &c->argv[0], &c->argv[1], &eq);
		if (!r)
			*ret = gv_bool(eq);
		return r;
	}
	case TMPL_FN_SPRIG_KINDOF:
	case TMPL_FN_SPRIG_KINDIS: {
		const char *k = rf_sprig_kind(v);

		if (!k)
			k = "invalid";
		if (c->fn == TMPL_FN_SPRIG_KINDOF)
			*ret = gv_string(k, strlen(k));
		else
			*ret = gv_bool(c->argv[0].str.len == strlen(k) &&
				       memcmp(c->argv[0].str.s, k, strlen(k)) == 0);
		return 0;
	}
	default:
		break;
	}
	buf_init(&t, 256);
	r = gofmt_sprintf(&t, "%T", 2, v, 1);
	if (!r && c->fn == TMPL_FN_SPRIG_TYPEOF) {
		r = rf_string(c, t.len ? t.data : "", t.len, ret);
	} else if (!r) {
		struct gv_str want = c->argv[0].str;
		bool eq = want.len == t.len && memcmp(want.s, t.data, t.len) == 0;

		if (c->fn == TMPL_FN_SPRIG_TYPEISLIKE && !eq)
			eq = t.len == want.len + 1 && t.data[0] == '*' &&
			     memcmp(want.s, t.data + 1, want.len) == 0;
		*ret = gv_bool(eq);
	}
	buf_done(&t);
	return r;
}

/* ---- regular expressions ------------------------------------------- */

/* strconv.CanBackquote */
static bool can_backquote(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t w = 1;
		uint32_t r = (unsigned char)s[i];

		if (r >= 0x80) {
			r = tmplutf_decode(s + i, n - i, &w);
			if (w == 1 || r == 0xFEFF)
				return false;
		} else if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F) {
			return false;
		}
		i += w;
	}
	return true;
}

/*
 * Compiles the call's first argument. A syntax error: *bad set and 0 for
 * the forms that swallow it (sprig_regexMatch is then false), else Go's
 * error text (the must forms) or MustCompile's panic text (regexReplaceAll).
 */
static int re_compile(struct rf_call *c, struct goregex **re, bool *bad)
{
	struct buf msg;
	struct gv_str p = c->argv[0].str;
	int r;

	*bad = false;
	buf_init(&msg, 1024);
	r = goregex_compile(p.s, p.len, re, &msg);
	if (r == -EINVAL && c->fn == TMPL_FN_SPRIG_REGEXMATCH) {
		*bad = true;
		r = 0;
	} else if (r == -EINVAL && (c->fn == TMPL_FN_SPRIG_REGEXREPLACEALL ||
				    c->fn == TMPL_FN_SPRIG_REGEXREPLACEALLLITERAL)) {
		struct buf q;

		buf_init_sensitive(&q, RENDER_MAX_VALUE);
		if (can_backquote(p.s, p.len))
			r = buf_appendf(&q, "`%.*s`", (int)p.len, p.s);
		else
			r = gofmt_quote(&q, p.s, p.len, false);
		r = r ? r : rf_fail(c, "regexp: Compile(%s): %s", buf_str(&q), buf_str(&msg));
		buf_done(&q);
	} else if (r == -EINVAL || r == -ENOTSUP) {
		r = rf_fail(c, "%s", buf_str(&msg));
	} else if (r == -ENOMEM) {
		r = rf_nomem(c);
	}
	buf_done(&msg);
	return r;
}

/* sprig_regexMatch RE S (false for a bad RE), sprig_mustRegexMatch RE S */
int rf_sprig_regex_match(struct rf_call *c, struct gval *ret)
{
	struct goregex *re = NULL;
	bool hit = false, bad;
	int r = re_compile(c, &re, &bad);

	if (r)
		return r;
	if (!bad)
		r = goregex_match(re, c->argv[1].str.s, c->argv[1].str.len, &hit);
	goregex_free(re);
	if (r)
		return rf_regex_run_error(c, r);
	*ret = gv_bool(hit);
	return 0;
}

/*
 * sprig_regexReplaceAll RE S REPL ($1 expanded), sprig_regexReplaceAllLiteral
 * RE S REPL (REPL as it is), and their must forms. Note sprig's order: the
 * input before the replacement (consul-template's regexReplaceAll: after).
 */
int rf_sprig_regex_replace(struct rf_call *c, struct gval *ret)
{
	struct goregex *re = NULL;
	struct gv_str repl = c->argv[2].str;
	bool bad;
	int r = re_compile(c, &re, &bad);

	(void)ret;
	if (r)
		return r;
	if (c->fn == TMPL_FN_SPRIG_REGEXREPLACEALLLITERAL ||
	    c->fn == TMPL_FN_SPRIG_MUSTREGEXREPLACEALLLITERAL) {
		/* a literal replacement is the template with every $ doubled */
		size_t k = 0;
		char *t = rf_alloc(c, repl.len * 2 + 1);

		if (!t) {
			goregex_free(re);
			return rf_nomem(c);
		}
		for (size_t i = 0; i < repl.len; i++) {
			t[k++] = repl.s[i];
			if (repl.s[i] == '$')
				t[k++] = '$';
		}
		repl = (struct gv_str){ t, k };
	}
	r = goregex_replace_all(re, c->argv[1].str.s, c->argv[1].str.len, repl.s, repl.len, c->o);
	goregex_free(re);
	return r ? rf_regex_run_error(c, r) : 0;
}

/* sprig_regexQuoteMeta S: regexp.QuoteMeta */
int rf_sprig_regex_quote_meta(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	int r = 0;

	(void)ret;
	for (size_t i = 0; i < s.len && !r; i++) {
		if (strchr("\\.+*?()|[]{}^$", s.s[i]) && s.s[i])
			r = buf_append(c->o, "\\", 1);
		if (!r)
			r = buf_append(c->o, s.s + i, 1);
	}
	return r;
}

/* ---- seq, paths ---------------------------------------------------- */

/*
 * sprig_seq [START [STEP]] END: the integers from START (1) to END
 * inclusive by STEP (1 or -1), as text separated by spaces; "" for 0 or
 * more than 3 arguments, or a step away from END. Go's int arithmetic
 * wraps (END+1 past MaxInt64 gives nothing).
 */
int rf_sprig_seq(struct rf_call *c, struct gval *ret)
{
	int64_t start = 1, end, step = 1, stop, inc = 1;
	int r = 0;
	bool first = true;

	(void)ret;
	switch (c->n) {
	case 1:
		end = c->argv[0].i;
		if (end < start)
			inc = step = -1;
		break;
	case 2:
		start = c->argv[0].i;
		end = c->argv[1].i;
		if (end < start)
			inc = step = -1;
		break;
	case 3:
		start = c->argv[0].i;
		step = c->argv[1].i;
		end = c->argv[2].i;
		if (end < start) {
			inc = -1;
			if (step > 0)
				return 0;
		}
		break;
	default:
		return 0;
	}
	stop = (int64_t)((uint64_t)end + (uint64_t)inc);
	/* untilStep(start, stop, step) */
	if (stop < start ? step >= 0 : step <= 0)
		return 0;
	for (int64_t i = start; stop < start ? i > stop : i < stop;) {
		int64_t next = (int64_t)((uint64_t)i + (uint64_t)step);

		r = buf_appendf(c->o, first ? "%" PRId64 : " %" PRId64, i);
		if (r)
			return r;
		first = false;
		if ((step > 0 && next < i) || (step < 0 && next > i))
			return rf_capfail(c, "a value longer than %d bytes", RENDER_MAX_VALUE);
		i = next;
	}
	return 0;
}

/*
 * sprig_base, _dir, _clean, _ext, _isAbs P (path) and sprig_osBase, _osDir,
 * _osClean, _osExt, _osIsAbs P (path/filepath, the same on Linux, where
 * Vault Agent runs).
 */
int rf_sprig_path(struct rf_call *c, struct gval *ret)
{
	const char *p = c->argv[0].str.s;
	size_t n = c->argv[0].str.len;
	struct buf *o = c->o;
	int r = 0;

	switch (c->fn) {
	case TMPL_FN_SPRIG_ISABS:
	case TMPL_FN_SPRIG_OSISABS:
		*ret = gv_bool(n > 0 && p[0] == '/');
		return 0;
	case TMPL_FN_SPRIG_CLEAN:
	case TMPL_FN_SPRIG_OSCLEAN:
		r = podfn_clean(p, n, o);
		break;
	case TMPL_FN_SPRIG_DIR:
	case TMPL_FN_SPRIG_OSDIR: {
		size_t i = n;

		while (i > 0 && p[i - 1] != '/')
			i--;
		r = podfn_clean(p, i, o);
		break;
	}
	case TMPL_FN_SPRIG_EXT:
	case TMPL_FN_SPRIG_OSEXT:
		for (size_t i = n; i > 0 && p[i - 1] != '/'; i--)
			if (p[i - 1] == '.') {
				*ret = gv_string(p + i - 1, n - i + 1);
				return 0;
			}
		*ret = gv_string("", 0);
		return 0;
	default: { /* base */
		size_t i;

		if (n == 0) {
			*ret = gv_string(".", 1);
			return 0;
		}
		while (n > 0 && p[n - 1] == '/')
			n--;
		for (i = n; i > 0 && p[i - 1] != '/'; i--)
			;
		*ret = n == i ? gv_string("/", 1) : gv_string(p + i, n - i);
		return 0;
	}
	}
	if (!r)
		r = rf_string(c, o->len ? o->data : "", o->len, ret);
	return r;
}

/*
 * sprig_deepCopy V, sprig_mustDeepCopy V: copystructure.Copy, a copy of
 * the same type and content: vaultlet's values are never mutated, so V
 * itself. nil is Go's reflect panic inside copystructure.
 */
int rf_sprig_deep_copy(struct rf_call *c, struct gval *ret)
{
	if (c->argv[0].kind == GV_NIL || c->argv[0].kind == GV_INVALID)
		return rf_fail(c, "reflect: call of reflect.Value.Type on zero Value");
	*ret = c->argv[0];
	return 0;
}
