/* SPDX-License-Identifier: MIT */
/*
 * tmplutf: Go-compatible UTF-8 decoding and Unicode classes (see tmplutf.h).
 *
 * Decoding follows utf8.DecodeRuneInString: overlong forms, surrogates and
 * values past U+10FFFF are invalid, and an invalid sequence consumes exactly
 * one byte. The class tables live in tmplutf_tables.c (generated).
 */
#include "tmplutf.h"

uint32_t tmplutf_decode(const char *s, size_t n, size_t *width)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c = p[0], r;
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xBF;

	*width = 1;
	if (c < 0x80)
		return c;
	if (c < 0xC2 || c > 0xF4)
		return TMPLUTF_ERROR;
	if (c < 0xE0) {
		need = 1;
		r = c & 0x1F;
	} else if (c < 0xF0) {
		need = 2;
		r = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else {
		need = 3;
		r = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	if (n < need + 1)
		return TMPLUTF_ERROR;
	for (i = 1; i <= need; i++) {
		unsigned char b = p[i];

		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
			return TMPLUTF_ERROR;
		r = (r << 6) | (b & 0x3F);
	}
	*width = need + 1;
	return r;
}

uint32_t tmplutf_decode_last(const char *s, size_t n, size_t *width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = n - 1, lim, w;
	uint32_t r;

	*width = 1;
	if (p[start] < 0x80)
		return p[start];
	lim = n >= 4 ? n - 4 : 0;
	while (start > lim) {
		start--;
		if ((p[start] & 0xC0) != 0x80)
			break;
	}
	r = tmplutf_decode(s + start, n - start, &w);
	if (start + w != n) {
		*width = 1;
		return TMPLUTF_ERROR;
	}
	*width = w;
	return r;
}

size_t tmplutf_encode(uint32_t r, char out[static 4])
{
	unsigned char *o = (unsigned char *)out;

	if (r < 0x80) {
		o[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (unsigned char)(0xC0 | (r >> 6));
		o[1] = (unsigned char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r > TMPLUTF_MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF))
		r = TMPLUTF_ERROR;
	if (r < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (r >> 12));
		o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (r >> 18));
	o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (r & 0x3F));
	return 4;
}

bool tmplutf_valid(const char *s, size_t n)
{
	size_t i = 0, w;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if (tmplutf_decode(s + i, n - i, &w) == TMPLUTF_ERROR && w == 1)
			return false;
		i += w;
	}
	return true;
}

bool tmplutf_in(uint32_t r, const struct tmplutf_range *t, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < t[mid].lo)
			hi = mid;
		else if (r > t[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool tmplutf_is_letter(uint32_t r)
{
	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	return tmplutf_in(r, tmplutf_letter, tmplutf_letter_len);
}

bool tmplutf_is_digit(uint32_t r)
{
	if (r < 0x80)
		return r >= '0' && r <= '9';
	return tmplutf_in(r, tmplutf_digit, tmplutf_digit_len);
}

bool tmplutf_is_space(uint32_t r)
{
	switch (r) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}
