/* SPDX-License-Identifier: MIT */
/*
 * rf_time: consul-template's `timestamp [LAYOUT]`: the current time in
 * Go's time.Format layout language (RFC 3339 without a layout; "unix" is
 * the seconds since the epoch), in UTC, the zone of the stock Vault Agent
 * image (which has no time zone data). The clock comes from the executor
 * (rf_now: render_opts can pin it for tests).
 *
 * Layouts follow Go 1.19's time package: Jan January 1 01 Mon Monday 2 _2
 * 02 15 3 03 4 04 5 05 2006 06 PM pm MST, the numeric and ISO 8601 zone
 * forms (-07, -0700, -07:00, -070000, -07:00:00, Z07 …), fractional
 * seconds .000 / .999 (or with a comma); anything else is copied. Go 1.20
 * added the day of the year (002, __2), which changes the output of a
 * layout containing them: refused.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "rfunc.h"

enum std {
	S_NONE,
	S_LONGMONTH,
	S_MONTH,
	S_NUMMONTH,
	S_ZEROMONTH,
	S_LONGWEEKDAY,
	S_WEEKDAY,
	S_DAY,
	S_UNDERDAY,
	S_ZERODAY,
	S_HOUR,
	S_HOUR12,
	S_ZEROHOUR12,
	S_MINUTE,
	S_ZEROMINUTE,
	S_SECOND,
	S_ZEROSECOND,
	S_LONGYEAR,
	S_YEAR,
	S_PM_UPPER,
	S_PM_LOWER,
	S_TZ,
	S_ISO_SECONDS,	  /* Z070000 */
	S_ISO_SHORT,	  /* Z07 */
	S_ISO,		  /* Z0700 */
	S_ISO_COLON_SECS, /* Z07:00:00 */
	S_ISO_COLON,	  /* Z07:00 */
	S_NUM_SECONDS,	  /* -070000 */
	S_NUM_SHORT,	  /* -07 */
	S_NUM,		  /* -0700 */
	S_NUM_COLON_SECS, /* -07:00:00 */
	S_NUM_COLON,	  /* -07:00 */
	S_FRAC0,	  /* .000 */
	S_FRAC9,	  /* .999 */
	S_YEARDAY,	  /* 002, __2: Go 1.20 */
};

static const char *const long_month[] = { "January",   "February", "March",    "April",
					  "May",       "June",	   "July",     "August",
					  "September", "October",  "November", "December" };
static const char *const long_day[] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					"Thursday", "Friday", "Saturday" };

static bool starts(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && memcmp(s, w, k) == 0;
}

static bool is_digit_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

/* Go's startsWithLowerCase: "Janu" is not "Jan" followed by "u". */
static bool lower_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= 'a' && s[i] <= 'z';
}

/*
 * Go's nextStdChunk: the first layout element at or after s[0]; *pre is
 * the length of the literal text before it, *len its own length, *digits
 * a fraction's digit count. S_NONE: no element left.
 */
static enum std next_std(const char *s, size_t n, size_t *pre, size_t *len, size_t *digits)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = s + i;
		size_t m = n - i;

		*pre = i;
		switch (p[0]) {
		case 'J':
			if (starts(p, m, "January"))
				return *len = 7, S_LONGMONTH;
			if (starts(p, m, "Jan") && !lower_at(p, m, 3))
				return *len = 3, S_MONTH;
			break;
		case 'M':
			if (starts(p, m, "Monday"))
				return *len = 6, S_LONGWEEKDAY;
			if (starts(p, m, "Mon") && !lower_at(p, m, 3))
				return *len = 3, S_WEEKDAY;
			if (starts(p, m, "MST"))
				return *len = 3, S_TZ;
			break;
		case '0':
			if (m >= 2 && p[1] >= '1' && p[1] <= '6') {
				static const enum std z[] = { S_ZEROMONTH,  S_ZERODAY,
							      S_ZEROHOUR12, S_ZEROMINUTE,
							      S_ZEROSECOND, S_YEAR };
				return *len = 2, z[p[1] - '1'];
			}
			if (starts(p, m, "002"))
				return *len = 3, S_YEARDAY;
			break;
		case '1':
			if (starts(p, m, "15"))
				return *len = 2, S_HOUR;
			return *len = 1, S_NUMMONTH;
		case '2':
			if (starts(p, m, "2006"))
				return *len = 4, S_LONGYEAR;
			return *len = 1, S_DAY;
		case '_':
			if (starts(p, m, "_2")) {
				if (starts(p + 1, m - 1, "2006")) {
					*pre = i + 1;
					return *len = 4, S_LONGYEAR;
				}
				return *len = 2, S_UNDERDAY;
			}
			if (starts(p, m, "__2"))
				return *len = 3, S_YEARDAY;
			break;
		case '3':
			return *len = 1, S_HOUR12;
		case '4':
			return *len = 1, S_MINUTE;
		case '5':
			return *len = 1, S_SECOND;
		case 'P':
			if (starts(p, m, "PM"))
				return *len = 2, S_PM_UPPER;
			break;
		case 'p':
			if (starts(p, m, "pm"))
				return *len = 2, S_PM_LOWER;
			break;
		case '-':
			if (starts(p, m, "-070000"))
				return *len = 7, S_NUM_SECONDS;
			if (starts(p, m, "-07:00:00"))
				return *len = 9, S_NUM_COLON_SECS;
			if (starts(p, m, "-0700"))
				return *len = 5, S_NUM;
			if (starts(p, m, "-07:00"))
				return *len = 6, S_NUM_COLON;
			if (starts(p, m, "-07"))
				return *len = 3, S_NUM_SHORT;
			break;
		case 'Z':
			if (starts(p, m, "Z070000"))
				return *len = 7, S_ISO_SECONDS;
			if (starts(p, m, "Z07:00:00"))
				return *len = 9, S_ISO_COLON_SECS;
			if (starts(p, m, "Z0700"))
				return *len = 5, S_ISO;
			if (starts(p, m, "Z07:00"))
				return *len = 6, S_ISO_COLON;
			if (starts(p, m, "Z07"))
				return *len = 3, S_ISO_SHORT;
			break;
		case '.':
		case ',':
			if (m >= 2 && (p[1] == '0' || p[1] == '9')) {
				char ch = p[1];
				size_t j = 1;

				while (j < m && p[j] == ch)
					j++;
				if (!is_digit_at(p, m, j)) {
					*digits = j - 1;
					return *len = j, ch == '0' ? S_FRAC0 : S_FRAC9;
				}
			}
			break;
		default:
			break;
		}
	}
	*pre = n;
	*len = 0;
	return S_NONE;
}

/* Go's appendInt(b, x, width): x zero-padded to width digits, '-' first. */
static int put_int(struct buf *o, long long x, int width)
{
	char tmp[32];
	unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
	int n = 0, r;

	if (x < 0 && (r = buf_append(o, "-", 1)))
		return r;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n < width && n < (int)sizeof(tmp))
		tmp[sizeof(tmp) - 1 - n++] = '0';
	return buf_append(o, tmp + sizeof(tmp) - n, (size_t)n);
}

static int put_str(struct buf *o, const char *s, size_t n)
{
	return buf_append(o, s, n);
}

/* time.Format of (sec, nsec) in UTC with layout l. */
static int format_utc(struct buf *o, int64_t sec, long nsec, const char *l, size_t n)
{
	time_t t = (time_t)sec;
	struct tm tm;
	int r = 0;

	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	while (n && r == 0) {
		size_t pre, len = 0, digits = 0;
		enum std s = next_std(l, n, &pre, &len, &digits);
		long long year = (long long)tm.tm_year + 1900;
		int hr12 = tm.tm_hour % 12;

		r = put_str(o, l, pre);
		if (r || s == S_NONE)
			break;
		switch (s) {
		case S_YEAR:
			r = put_int(o, year % 100 < 0 ? -(year % 100) : year % 100, 2);
			break;
		case S_LONGYEAR:
			r = put_int(o, year, 4);
			break;
		case S_MONTH:
			r = put_str(o, long_month[tm.tm_mon], 3);
			break;
		case S_LONGMONTH:
			r = put_str(o, long_month[tm.tm_mon], strlen(long_month[tm.tm_mon]));
			break;
		case S_NUMMONTH:
			r = put_int(o, tm.tm_mon + 1, 0);
			break;
		case S_ZEROMONTH:
			r = put_int(o, tm.tm_mon + 1, 2);
			break;
		case S_WEEKDAY:
			r = put_str(o, long_day[tm.tm_wday], 3);
			break;
		case S_LONGWEEKDAY:
			r = put_str(o, long_day[tm.tm_wday], strlen(long_day[tm.tm_wday]));
			break;
		case S_DAY:
			r = put_int(o, tm.tm_mday, 0);
			break;
		case S_UNDERDAY:
			if (tm.tm_mday < 10)
				r = put_str(o, " ", 1);
			if (!r)
				r = put_int(o, tm.tm_mday, 0);
			break;
		case S_ZERODAY:
			r = put_int(o, tm.tm_mday, 2);
			break;
		case S_HOUR:
			r = put_int(o, tm.tm_hour, 2);
			break;
		case S_HOUR12:
			r = put_int(o, hr12 ? hr12 : 12, 0);
			break;
		case S_ZEROHOUR12:
			r = put_int(o, hr12 ? hr12 : 12, 2);
			break;
		case S_MINUTE:
			r = put_int(o, tm.tm_min, 0);
			break;
		case S_ZEROMINUTE:
			r = put_int(o, tm.tm_min, 2);
			break;
		case S_SECOND:
			r = put_int(o, tm.tm_sec, 0);
			break;
		case S_ZEROSECOND:
			r = put_int(o, tm.tm_sec, 2);
			break;
		case S_PM_UPPER:
			r = put_str(o, tm.tm_hour >= 12 ? "PM" : "AM", 2);
			break;
		case S_PM_LOWER:
			r = put_str(o, tm.tm_hour >= 12 ? "pm" : "am", 2);
			break;
		case S_ISO_SECONDS:
		case S_ISO_SHORT:
		case S_ISO:
		case S_ISO_COLON_SECS:
		case S_ISO_COLON:
			r = put_str(o, "Z", 1); /* the offset is 0 */
			break;
		case S_NUM_SECONDS:
			r = put_str(o, "+000000", 7);
			break;
		case S_NUM_SHORT:
			r = put_str(o, "+00", 3);
			break;
		case S_NUM:
			r = put_str(o, "+0000", 5);
			break;
		case S_NUM_COLON_SECS:
			r = put_str(o, "+00:00:00", 9);
			break;
		case S_NUM_COLON:
			r = put_str(o, "+00:00", 6);
			break;
		case S_TZ:
			r = put_str(o, "UTC", 3);
			break;
		case S_FRAC0:
		case S_FRAC9: {
			char d[9];
			long u = nsec;
			size_t k = digits > 9 ? 9 : digits;

			for (int i = 8; i >= 0; i--) {
				d[i] = (char)('0' + u % 10);
				u /= 10;
			}
			if (s == S_FRAC9)
				while (k > 0 && d[k - 1] == '0')
					k--;
			if (s == S_FRAC0 || k > 0) {
				r = put_str(o, l + pre, 1);
				if (!r)
					r = put_str(o, d, k);
			}
			break;
		}
		default:
			break;
		}
		l += pre + len;
		n -= pre + len;
	}
	return r;
}

static bool has_yearday(const char *l, size_t n)
{
	size_t at = 0;

	while (at < n) {
		size_t pre, len = 0, digits;
		enum std s = next_std(l + at, n - at, &pre, &len, &digits);

		if (s == S_NONE)
			return false;
		if (s == S_YEARDAY)
			return true;
		at += pre + len;
	}
	return false;
}

int rf_timestamp(struct rf_call *c, struct gval *ret)
{
	static const char rfc3339[] = "2006-01-02T15:04:05Z07:00";
	const char *l = rfc3339;
	size_t n = sizeof(rfc3339) - 1;
	int64_t sec;
	long nsec;
	int r;

	(void)ret;
	if (c->n > 1)
		return rf_fail(
		    c, "timestamp: wrong number of arguments, expected 0 or 1, but got %zu", c->n);
	if (c->n == 1) {
		l = c->argv[0].str.s;
		n = c->argv[0].str.len;
		if (has_yearday(l, n))
			return rf_fail(c,
				       "the layout elements 002 and __2 (day of the year) are not "
				       "supported by vaultlet: Go 1.20 changed their meaning");
	}
	rf_now(c, &sec, &nsec);
	if (c->n == 1 && n == 4 && memcmp(l, "unix", 4) == 0)
		r = put_int(c->o, (long long)sec, 0);
	else
		r = format_utc(c->o, sec, nsec, l, n);
	if (r == -E2BIG)
		return rf_capfail(c, "timestamp: a result larger than the value cap");
	if (r == -EINVAL)
		return rf_fail(c, "timestamp: the clock is out of range");
	return r ? rf_nomem(c) : 0;
}
