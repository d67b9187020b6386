/* SPDX-License-Identifier: MIT */
/*
 * quantity: Kubernetes resource quantities, parsed and serialized like
 * k8s.io/apimachinery's resource.Quantity (see quantity.h).
 *
 * DESIGN
 * ------
 * The API machinery parses in two steps: a syntactic split of the string
 * into sign, integer digits, fraction digits and suffix, then either a fast
 * path on int64 (which may keep the user's string verbatim when it already
 * looks canonical) or an arbitrary-precision path that rounds up to 1n and
 * caps binary values at 2^63-1. Serialization removes factors of ten (or of
 * 1024 for binary suffixes) so the exponent is as large as possible without
 * losing precision.
 *
 * We follow the same steps on a small decimal type: an array of digits and
 * a base-ten exponent. Inputs are capped at QUANTITY_INPUT_MAX bytes, which
 * bounds every digit array, so no step allocates. The behaviour (including
 * oddities such as "1.G" being kept and "1000E" serializing as "1") is pinned
 * by tests/data/quantity/normalize.txt, generated from the real Go code.
 *
 * Pure functions, no allocation, safe from any thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ascii.h"
#include "goparse.h"
#include "quantity.h"

enum qformat { QF_DECIMAL_SI, QF_BINARY_SI, QF_DECIMAL_EXPONENT };

struct span {
	const char *p;
	size_t n;
};

/* The syntactic split of parseQuantityString. */
struct qparts {
	bool positive;
	struct span value; /* sign, digits and point: the number without its suffix */
	struct span num;   /* integer digits without leading zeros ("0" if none) */
	struct span denom; /* fraction digits */
	struct span suffix;
};

/* Enough digits for a 64-byte input times 2^60, plus rounding and padding. */
#define DEC_DIGITS 128

/* value = digits * 10^exp; no leading zeros; n == 0 is zero. */
struct dec {
	bool neg;
	int n;
	int64_t exp;
	char d[DEC_DIGITS];
};

static struct span span_of(const char *p, size_t a, size_t b)
{
	return (struct span){ p + a, b - a };
}

static bool split(const char *s, size_t end, struct qparts *q)
{
	size_t pos = 0, i, suffix_start;

	/* Empty spans still point into s, so they can be copied without a NULL check. */
	*q = (struct qparts){ .positive = true, .denom = { s, 0 }, .suffix = { s, 0 } };
	if (pos < end && (s[0] == '-' || s[0] == '+')) {
		q->positive = s[0] != '-';
		pos++;
	}
	/* leading zeros; all zeros is simply zero */
	for (i = pos;; i++) {
		if (i >= end) {
			q->num = (struct span){ "0", 1 };
			q->value = q->num;
			return true;
		}
		if (s[i] != '0')
			break;
		pos++;
	}
	for (i = pos;; i++) {
		if (i >= end) {
			q->num = span_of(s, pos, end);
			q->value = span_of(s, 0, end);
			return true;
		}
		if (!ascii_isdigit(s[i]))
			break;
	}
	q->num = span_of(s, pos, i);
	pos = i;
	if (q->num.n == 0)
		q->num = (struct span){ "0", 1 };

	if (pos < end && s[pos] == '.') {
		pos++;
		for (i = pos;; i++) {
			if (i >= end) {
				q->denom = span_of(s, pos, end);
				q->value = span_of(s, 0, end);
				return true;
			}
			if (!ascii_isdigit(s[i]))
				break;
		}
		q->denom = span_of(s, pos, i);
		pos = i;
	}
	q->value = span_of(s, 0, pos);

	suffix_start = pos;
	for (i = pos;; i++) {
		if (i >= end) {
			q->suffix = span_of(s, suffix_start, end);
			return true;
		}
		if (!strchr("eEinumkKMGTP", s[i]))
			break;
	}
	pos = i;
	if (pos < end && (s[pos] == '-' || s[pos] == '+'))
		pos++;
	for (i = pos;; i++) {
		if (i >= end) {
			q->suffix = span_of(s, suffix_start, end);
			return true;
		}
		if (!ascii_isdigit(s[i]))
			break;
	}
	return false;
}

static const struct {
	const char *name;
	int base, exp;
} suffixes[] = {
	{ "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 }, { "", 10, 0 },
	{ "k", 10, 3 },	 { "M", 10, 6 },  { "G", 10, 9 },  { "T", 10, 12 },
	{ "P", 10, 15 }, { "E", 10, 18 }, { "Ki", 2, 10 }, { "Mi", 2, 20 },
	{ "Gi", 2, 30 }, { "Ti", 2, 40 }, { "Pi", 2, 50 }, { "Ei", 2, 60 },
};

static bool interpret_suffix(struct span sfx, int *ret_base, int32_t *ret_exp,
			     enum qformat *ret_fmt)
{
	char text[QUANTITY_INPUT_MAX + 1];
	int64_t e;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strlen(suffixes[i].name) == sfx.n &&
		    memcmp(suffixes[i].name, sfx.p, sfx.n) == 0) {
			*ret_base = suffixes[i].base;
			*ret_exp = suffixes[i].exp;
			*ret_fmt = suffixes[i].base == 2 ? QF_BINARY_SI : QF_DECIMAL_SI;
			return true;
		}
	}
	if (sfx.n < 2 || (sfx.p[0] != 'e' && sfx.p[0] != 'E'))
		return false;
	memcpy(text, sfx.p + 1, sfx.n - 1);
	text[sfx.n - 1] = '\0';
	if (!goparse_int64(text, &e))
		return false;
	*ret_base = 10;
	/* Go converts with int32(parsed), which wraps. */
	*ret_exp = (int32_t)(uint32_t)(uint64_t)e;
	*ret_fmt = QF_DECIMAL_EXPONENT;
	return true;
}

/* Drops leading zeros; an all-zero number becomes n == 0. */
static void dec_trim_leading(struct dec *d)
{
	int z = 0;

	while (z < d->n && d->d[z] == '0')
		z++;
	if (z) {
		memmove(d->d, d->d + z, (size_t)(d->n - z));
		d->n -= z;
	}
}

static bool dec_append_digits(struct dec *d, struct span s)
{
	if (s.n > (size_t)(DEC_DIGITS - d->n))
		return false;
	memcpy(d->d + d->n, s.p, s.n);
	d->n += (int)s.n;
	return true;
}

/* d *= m for a small m; false when the digits would not fit. */
static bool dec_mul_small(struct dec *d, unsigned m)
{
	char out[DEC_DIGITS];
	unsigned carry = 0;
	int i, o = DEC_DIGITS;

	for (i = d->n - 1; i >= 0; i--) {
		unsigned v = (unsigned)(d->d[i] - '0') * m + carry;

		out[--o] = (char)('0' + v % 10);
		carry = v / 10;
	}
	while (carry) {
		if (o == 0)
			return false;
		out[--o] = (char)('0' + carry % 10);
		carry /= 10;
	}
	d->n = DEC_DIGITS - o;
	memcpy(d->d, out + o, (size_t)d->n);
	dec_trim_leading(d);
	return true;
}

/* Rounds |d| up (away from zero) to a multiple of 10^-9, like inf.RoundUp. */
static bool dec_round_up_nano(struct dec *d)
{
	int64_t drop;
	bool nonzero = false;

	if (d->n == 0 || d->exp >= -9)
		return true;
	drop = -9 - d->exp;
	if (drop >= d->n) {
		d->n = 1;
		d->d[0] = '1';
		d->exp = -9;
		return true;
	}
	for (int i = d->n - (int)drop; i < d->n; i++)
		nonzero = nonzero || d->d[i] != '0';
	d->n -= (int)drop;
	d->exp = -9;
	if (nonzero) {
		int i = d->n - 1;

		while (i >= 0 && d->d[i] == '9')
			d->d[i--] = '0';
		if (i >= 0) {
			d->d[i]++;
		} else {
			if (d->n >= DEC_DIGITS)
				return false;
			memmove(d->d + 1, d->d, (size_t)d->n);
			d->d[0] = '1';
			d->n++;
		}
	}
	return true;
}

/* Number of digits before the decimal point (may be <= 0). */
static int64_t dec_int_digits(const struct dec *d)
{
	return d->n + d->exp;
}

/* Compares |d| with the integer given as a digit string. */
static int dec_cmp_abs_int(const struct dec *d, const char *v)
{
	int64_t vn = (int64_t)strlen(v), dn = dec_int_digits(d);
	int64_t i;

	if (d->n == 0)
		return v[0] == '0' ? 0 : -1;
	if (dn != vn)
		return dn < vn ? -1 : 1;
	for (i = 0; i < vn; i++) {
		char c = i < d->n ? d->d[i] : '0';

		if (c != v[i])
			return c < v[i] ? -1 : 1;
	}
	/* equal integer part: any remaining (fraction) digit makes d larger */
	for (; i < d->n; i++)
		if (d->d[i] != '0')
			return 1;
	return 0;
}

static void dec_strip_trailing_zeros(struct dec *d)
{
	while (d->n > 0 && d->d[d->n - 1] == '0') {
		d->n--;
		d->exp++;
	}
}

static bool emit(char out[static QUANTITY_MAX], bool neg, const char *digits, int n,
		 const char *suffix)
{
	int w = snprintf(out, QUANTITY_MAX, "%s%.*s%s", neg ? "-" : "", n, digits, suffix);

	return w > 0 && w < QUANTITY_MAX;
}

static int format_decimal(struct dec *d, enum qformat fmt, char out[static QUANTITY_MAX])
{
	char sfx[24] = "";

	dec_strip_trailing_zeros(d);
	/* make the exponent a multiple of three (Go's % truncates like C's) */
	while (d->exp % 3 != 0) {
		if (d->n >= DEC_DIGITS)
			return -ERANGE;
		d->d[d->n++] = '0';
		d->exp--;
	}
	if (fmt == QF_DECIMAL_EXPONENT) {
		if (d->exp != 0)
			snprintf(sfx, sizeof(sfx), "e%lld", (long long)d->exp);
	} else {
		/* An exponent beyond the table has no suffix at all: "1000E" -> "1", as in Go. */
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (suffixes[i].base == 10 && suffixes[i].exp == d->exp)
				snprintf(sfx, sizeof(sfx), "%s", suffixes[i].name);
	}
	return emit(out, d->neg, d->d, d->n, sfx) ? 0 : -ERANGE;
}

static int format_canonical(struct dec *d, enum qformat fmt, char out[static QUANTITY_MAX])
{
	uint64_t v = 0;
	int k = 0;
	char digits[24];
	int n;

	if (d->n == 0) {
		memcpy(out, "0", 2);
		return 0;
	}
	if (fmt != QF_BINARY_SI)
		return format_decimal(d, fmt, out);

	dec_strip_trailing_zeros(d);
	/* below 1024 in magnitude, or with a fraction: shown as DecimalSI */
	if (dec_cmp_abs_int(d, "1024") < 0 || d->exp < 0)
		return format_decimal(d, QF_DECIMAL_SI, out);
	for (int i = 0; i < d->n; i++)
		v = v * 10 + (uint64_t)(d->d[i] - '0');
	for (int64_t i = 0; i < d->exp; i++)
		v *= 10;
	while (v % 1024 == 0) {
		v /= 1024;
		k++;
	}
	n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	return emit(out, d->neg, digits, n, k == 0 ? "" : suffixes[9 + k].name) ? 0 : -ERANGE;
}

/* The arbitrary-precision path of ParseQuantity. */
static int parse_slow(const struct qparts *q, int base, int32_t exponent, enum qformat fmt,
		      char out[static QUANTITY_MAX])
{
	struct dec d = { .neg = false };
	struct span v = q->value;
	size_t i = 0;
	bool point = false, any_digit = false;
	int64_t frac = 0;

	/* inf.Dec's scanner: an optional sign, digits with at most one point */
	if (i < v.n && (v.p[i] == '+' || v.p[i] == '-')) {
		d.neg = v.p[i] == '-';
		i++;
	}
	for (; i < v.n; i++) {
		if (v.p[i] == '.') {
			point = true;
			continue;
		}
		any_digit = true;
		if (d.n >= DEC_DIGITS)
			return -ERANGE;
		d.d[d.n++] = v.p[i];
		if (point)
			frac++;
	}
	if (!any_digit)
		return -EINVAL;
	dec_trim_leading(&d);
	d.exp = -frac;

	if (base == 10) {
		d.exp += exponent;
	} else {
		for (int32_t k = 0; k < exponent; k += 10)
			if (!dec_mul_small(&d, 1024))
				return -ERANGE;
	}
	if (!dec_round_up_nano(&d))
		return -ERANGE;
	if (fmt == QF_BINARY_SI) {
		static const char max_allowed[] = "9223372036854775807";

		if (dec_cmp_abs_int(&d, max_allowed) > 0) {
			d.n = (int)strlen(max_allowed);
			memcpy(d.d, max_allowed, (size_t)d.n);
			d.exp = 0;
		}
		if (d.n > 0 && dec_int_digits(&d) <= 0)
			fmt = QF_DECIMAL_SI; /* 0 < |v| < 1 */
	}
	if (d.n == 0)
		d.neg = false;
	return format_canonical(&d, fmt, out);
}

int quantity_normalize(const char *s, char out[static QUANTITY_MAX])
{
	size_t len = strlen(s);
	struct qparts q;
	int base;
	int32_t exponent, precision, scale = 0;
	enum qformat fmt;
	int64_t mant_shift = 0;

	if (len == 0)
		return -EINVAL;
	if (len > QUANTITY_INPUT_MAX)
		return -ERANGE;
	if (strcmp(s, "0") == 0) {
		memcpy(out, "0", 2);
		return 0;
	}
	if (!split(s, len, &q))
		return -EINVAL;
	if (!interpret_suffix(q.suffix, &base, &exponent, &fmt))
		return -EINVAL;
	if (exponent > 1000000000 || exponent < -1000000000)
		return -ERANGE;

	if (fmt == QF_BINARY_SI) {
		if (exponent >= 0 && q.denom.n == 0) {
			mant_shift = exponent;
			precision = 15 - (int32_t)q.num.n - exponent * 3 / 10 - 1;
		} else {
			precision = -1;
		}
	} else {
		scale = exponent;
		precision = 18 - (int32_t)(q.num.n + q.denom.n);
	}

	if (precision >= 0) {
		scale -= (int32_t)q.denom.n;
		if (scale >= -9) {
			/* The int64 fast path: num+denom has at most 18 digits here. */
			char shifted[QUANTITY_INPUT_MAX + 2];
			uint64_t value = 0;
			struct dec d = { .neg = !q.positive, .exp = scale };

			memcpy(shifted, q.num.p, q.num.n);
			memcpy(shifted + q.num.n, q.denom.p, q.denom.n);
			shifted[q.num.n + q.denom.n] = '\0';
			for (size_t i = 0; shifted[i]; i++)
				value = value * 10 + (uint64_t)(shifted[i] - '0');

			if (mant_shift == 0 || value <= (UINT64_C(1) << (63 - mant_shift)) - 1 ||
			    value == 0) {
				bool keep;
				size_t sl = q.num.n + q.denom.n;

				if (fmt == QF_BINARY_SI)
					keep = (value & 7) != 0;
				else
					keep =
					    scale % 3 == 0 &&
					    !(sl >= 3 && memcmp(shifted + sl - 3, "000", 3) == 0) &&
					    shifted[0] != '0';
				if (keep) {
					memcpy(out, s, len + 1);
					return 0;
				}
				if (!dec_append_digits(&d, (struct span){ shifted, sl }))
					return -ERANGE;
				dec_trim_leading(&d);
				for (int64_t k = 0; k < mant_shift; k += 10)
					if (!dec_mul_small(&d, 1024))
						return -ERANGE;
				if (d.n == 0)
					d.neg = false;
				return format_canonical(&d, fmt, out);
			}
		}
	}
	return parse_slow(&q, base, exponent, fmt, out);
}
