/* SPDX-License-Identifier: MIT */
/*
 * rf_parse: consul-template's parseBool, parseInt, parseUint and
 * parseFloat: Go's strconv.ParseBool, ParseInt(s, 10, 64),
 * ParseUint(s, 10, 64) and ParseFloat(s, 64), except that "" gives the
 * zero value. Results are Go's types (bool, int64, uint64, float64), so
 * `indent (parseInt "2") s` is Go's type error, and errors are strconv's
 * NumError texts behind consul-template's "parseInt: " prefix, e.g.
 * `parseInt: strconv.ParseInt: parsing "x": invalid syntax`.
 *
 * ParseFloat's grammar (sign, digits with '_' separators, decimal or hex
 * mantissa, mandatory 'p' exponent for hex, "inf", "infinity", "nan" in
 * any case) is checked here, exactly; the value itself comes from strtod,
 * which rounds correctly like Go. Pure; called by render.c only.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gofmt.h"
#include "goparse.h"
#include "rfunc.h"

/* Longest input quoted in an error (strconv quotes it whole; longer ones are described). */
#define RF_PARSE_QUOTE_MAX 4096

static const char *const fn_prefix[] = { "parseBool", "parseInt", "parseUint", "parseFloat" };
static const char *const go_func[] = { "ParseBool", "ParseInt", "ParseUint", "ParseFloat" };

enum which { W_BOOL, W_INT, W_UINT, W_FLOAT };

/* consul-template's errors.Wrap(NumError, "parseX") */
static int num_error(struct rf_call *c, enum which w, struct gv_str s, bool range)
{
	struct buf q;
	int r;

	if (s.len > RF_PARSE_QUOTE_MAX)
		return rf_fail(c, "%s: strconv.%s: parsing a value of %zu bytes: %s", fn_prefix[w],
			       go_func[w], s.len, range ? "value out of range" : "invalid syntax");
	buf_init_sensitive(&q, RF_PARSE_QUOTE_MAX * 10 + 2);
	r = gofmt_quote(&q, s.s, s.len, false);
	if (r < 0) {
		buf_done(&q);
		return r == -ENOMEM ? rf_nomem(c) : r;
	}
	r = rf_fail(c, "%s: strconv.%s: parsing %s: %s", fn_prefix[w], go_func[w], buf_str(&q),
		    range ? "value out of range" : "invalid syntax");
	buf_done(&q);
	return r;
}

int rf_parse_bool(struct rf_call *c, struct gval *ret)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	struct gv_str s = c->argv[0].str;

	if (s.len == 0) {
		*ret = gv_bool(false);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strlen(yes[i]) == s.len && memcmp(yes[i], s.s, s.len) == 0) {
			*ret = gv_bool(true);
			return 0;
		}
		if (strlen(no[i]) == s.len && memcmp(no[i], s.s, s.len) == 0) {
			*ret = gv_bool(false);
			return 0;
		}
	}
	return num_error(c, W_BOOL, s, false);
}

/* strconv.ParseUint(s, 10, 64): 0, or 1 for a syntax error, 2 for a range error. */
static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return 1;
		d = (unsigned)(s[i] - '0');
		/* the first overflow ends the scan, whatever follows (as Go) */
		if (v > (UINT64_MAX - d) / 10)
			return 2;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int rf_parse_uint(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	uint64_t v = 0;
	int e;

	if (s.len == 0) {
		*ret = (struct gval){ .kind = GV_UINT64, .i = 0 };
		return 0;
	}
	e = parse_u64(s.s, s.len, &v);
	if (e)
		return num_error(c, W_UINT, s, e == 2);
	*ret = (struct gval){ .kind = GV_UINT64, .i = (int64_t)v };
	return 0;
}

int rf_parse_int(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	const char *p = s.s;
	size_t n = s.len;
	bool neg = false;
	uint64_t u = 0;
	int e;

	if (s.len == 0) {
		*ret = (struct gval){ .kind = GV_INT64, .i = 0 };
		return 0;
	}
	if (p[0] == '+' || p[0] == '-') {
		neg = p[0] == '-';
		p++;
		n--;
	}
	e = parse_u64(p, n, &u);
	if (e == 1)
		return num_error(c, W_INT, s, false);
	if (e == 2 || (!neg && u > (uint64_t)INT64_MAX) || (neg && u > (uint64_t)INT64_MAX + 1))
		return num_error(c, W_INT, s, true);
	*ret = (struct gval){ .kind = GV_INT64, .i = neg ? (int64_t)(0 - u) : (int64_t)u };
	return 0;
}

static char lower(char ch)
{
	return (char)(ch | ('x' - 'X'));
}

static size_t prefix_ci(const char *s, size_t n, const char *word)
{
	size_t i = 0;

	while (i < n && word[i] && lower(s[i]) == word[i])
		i++;
	return i;
}

/* strconv's special(): ±inf, ±infinity, nan; the bytes used, 0 if none. */
static size_t float_special(const char *s, size_t n, double *ret)
{
	size_t sign = 0, k;
	bool neg = false;

	if (n == 0)
		return 0;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		sign = 1;
	} else if (lower(s[0]) == 'n') {
		if (prefix_ci(s, n, "nan") == 3) {
			*ret = NAN;
			return 3;
		}
		return 0;
	}
	k = prefix_ci(s + sign, n - sign, "infinity");
	if (k > 3 && k < 8)
		k = 3;
	if (k == 3 || k == 8) {
		*ret = neg ? -INFINITY : INFINITY;
		return sign + k;
	}
	return 0;
}

/* strconv's readFloat: the length of a well-formed number at s, 0 if none. */
static size_t float_syntax(const char *s, size_t n, bool *underscores)
{
	size_t i = 0;
	bool hex = false, sawdot = false, sawdigits = false;

	*underscores = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
		hex = true;
		i += 2;
	}
	for (; i < n; i++) {
		char ch = s[i];

		if (ch == '_') {
			*underscores = true;
		} else if (ch == '.') {
			if (sawdot)
				break;
			sawdot = true;
		} else if ((ch >= '0' && ch <= '9') ||
			   (hex && lower(ch) >= 'a' && lower(ch) <= 'f')) {
			sawdigits = true;
		} else {
			break;
		}
	}
	if (!sawdigits)
		return 0;
	if (i < n && lower(s[i]) == (hex ? 'p' : 'e')) {
		i++;
		if (i >= n)
			return 0;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
			if (s[i] == '_')
				*underscores = true;
	} else if (hex) {
		return 0;
	}
	if (*underscores && !goparse_underscore_ok(s, i))
		return 0;
	return i;
}

int rf_go_parse_float(struct rf_call *c, struct gv_str s, double *ret)
{
	bool underscores;
	double v = 0;
	char *tmp, *end;
	size_t k = 0;

	*ret = 0;
	if (s.len == 0)
		return 1;
	if (float_special(s.s, s.len, &v) == s.len) {
		*ret = v;
		return 0;
	}
	if (float_syntax(s.s, s.len, &underscores) != s.len)
		return 1;
	tmp = rf_alloc(c, s.len + 1);
	if (!tmp)
		return rf_nomem(c);
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] != '_')
			tmp[k++] = s.s[i];
	tmp[k] = 0;
	errno = 0;
	v = strtod(tmp, &end);
	explicit_bzero(tmp, k);
	if (isinf(v))
		return 2;
	*ret = v;
	return 0;
}

int rf_parse_float(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	double v = 0;
	int r;

	if (s.len == 0) {
		*ret = (struct gval){ .kind = GV_FLOAT, .f = 0 };
		return 0;
	}
	r = rf_go_parse_float(c, s, &v);
	if (r < 0)
		return r;
	if (r)
		return num_error(c, W_FLOAT, s, r == 2);
	*ret = (struct gval){ .kind = GV_FLOAT, .f = v };
	return 0;
}
