/* SPDX-License-Identifier: MIT */
/*
 * goparse: Go-compatible parsing of booleans, integers and durations (see
 * goparse.h for the exact Go function each one mirrors).
 *
 * The rules were taken from the Go standard library's documented behaviour
 * and are pinned by the tables in tests/data/goparse/, whose expectations a test
 * re-checks against the real Go toolchain when one is installed. Pure
 * functions, no allocation, safe from any thread.
 */
#include <string.h>

#include "ascii.h"
#include "goparse.h"

bool goparse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "", "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = true;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (strcmp(s, no[i]) == 0) {
			*ret = false;
			return true;
		}
	}
	return false;
}

/* Decimal digits only, no sign; false on overflow past `limit`. */
static bool parse_digits(const char *s, uint64_t limit, uint64_t *ret)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

bool goparse_int64(const char *s, int64_t *ret)
{
	bool neg = false;
	uint64_t v;

	if (*s == '\0') {
		*ret = 0;
		return true;
	}
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	if (!parse_digits(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v))
		return false;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

bool goparse_uint64(const char *s, uint64_t *ret)
{
	return parse_digits(s, UINT64_MAX, ret);
}

struct duration_unit {
	const char *name;
	uint64_t ns;
};

static const struct duration_unit duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

#define U63 (UINT64_C(1) << 63)

bool goparse_duration(const char *s, int64_t *ret_ns)
{
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*ret_ns = 0;
		return true;
	}
	if (*s == '\0')
		return false;

	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool pre = false, post = false, f_overflow = false;
		size_t ulen;

		if (!(*s == '.' || ascii_isdigit(*s)))
			return false;
		/* [0-9]* : overflow is an error */
		for (; ascii_isdigit(*s); s++) {
			pre = true;
			if (v > U63 / 10)
				return false;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > U63)
				return false;
		}
		/* (\.[0-9]*)? : overflow only stops gathering precision */
		if (*s == '.') {
			s++;
			for (; ascii_isdigit(*s); s++) {
				uint64_t y;

				post = true;
				if (f_overflow)
					continue;
				if (f > (U63 - 1) / 10) {
					f_overflow = true;
					continue;
				}
				y = f * 10 + (uint64_t)(*s - '0');
				if (y > U63) {
					f_overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post)
			return false;

		/* The unit runs up to the next digit or '.', whatever bytes it holds. */
		for (ulen = 0; s[ulen] && s[ulen] != '.' && !ascii_isdigit(s[ulen]); ulen++)
			;
		if (ulen == 0)
			return false; /* missing unit */
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			if (strlen(duration_units[i].name) == ulen &&
			    memcmp(duration_units[i].name, s, ulen) == 0) {
				unit = duration_units[i].ns;
				break;
			}
		}
		if (unit == 0)
			return false; /* unknown unit */
		s += ulen;

		if (v > U63 / unit)
			return false;
		v *= unit;
		if (f > 0) {
			/* Go uses float64 here too; it is nanosecond-exact up to hours. */
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > U63)
				return false;
		}
		d += v;
		if (d > U63)
			return false;
	}
	if (neg) {
		*ret_ns = d == U63 ? INT64_MIN : -(int64_t)d;
		return true;
	}
	if (d > U63 - 1)
		return false;
	*ret_ns = (int64_t)d;
	return true;
}

/* Writes the fraction v/10^prec as ".ddd" (no trailing zeros) before w. */
static char *fmt_frac(char *w, uint64_t *v, int prec)
{
	bool print = false;

	for (int i = 0; i < prec; i++) {
		unsigned digit = (unsigned)(*v % 10);

		print = print || digit != 0;
		if (print)
			*--w = (char)('0' + digit);
		*v /= 10;
	}
	if (print)
		*--w = '.';
	return w;
}

char *goparse_duration_format(int64_t ns, char out[static GOPARSE_DURATION_MAX])
{
	char tmp[GOPARSE_DURATION_MAX];
	char *end = tmp + sizeof(tmp) - 1, *w = end;
	bool neg = ns < 0;
	uint64_t u = neg ? 0 - (uint64_t)ns : (uint64_t)ns;

	*end = '\0';
	if (u < 1000000000) {
		int prec;

		*--w = 's';
		if (u == 0) {
			memcpy(out, "0s", 3);
			return out;
		} else if (u < 1000) {
			prec = 0;
			*--w = 'n';
		} else if (u < 1000000) {
			prec = 3;
			*--w = '\xb5';
			*--w = '\xc2';
		} else {
			prec = 6;
			*--w = 'm';
		}
		w = fmt_frac(w, &u, prec);
		w = ascii_udec_before(w, u);
	} else {
		*--w = 's';
		w = fmt_frac(w, &u, 9);
		w = ascii_udec_before(w, u % 60);
		u /= 60;
		if (u > 0) {
			*--w = 'm';
			w = ascii_udec_before(w, u % 60);
			u /= 60;
			if (u > 0) {
				*--w = 'h';
				w = ascii_udec_before(w, u);
			}
		}
	}
	if (neg)
		*--w = '-';
	memcpy(out, w, (size_t)(end - w) + 1);
	return out;
}

bool goparse_underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;

	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' &&
	    (s[1] == 'b' || s[1] == 'B' || s[1] == 'o' || s[1] == 'O' || s[1] == 'x' ||
	     s[1] == 'X')) {
		i = 2;
		saw = '0';
		hex = s[1] == 'x' || s[1] == 'X';
	}
	for (; i < n; i++) {
		char c = s[i], lc = (char)(c | 0x20);

		if ((c >= '0' && c <= '9') || (hex && lc >= 'a' && lc <= 'f')) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}
