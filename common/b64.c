/* SPDX-License-Identifier: MIT */
/*
 * b64: base64 encoding and decoding (see b64.h for the two decoding modes).
 *
 * The decoder works one quantum (four symbols) at a time, the way Go's
 * encoding/base64 does, so that in B64_GO mode it accepts the same inputs
 * and reports an error at the same byte offset; tests compare both.
 * Pure functions; the only state is the caller's buffer.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "b64.h"
#include "macros.h"

static const char alphabet_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alphabet_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Every 12-bit group as its two output characters, built at compile time:
 * encoding then takes two table reads per three input bytes, about twice
 * as fast as one read per character (base64 is on the webhook's hot path:
 * each injected pod's patch and its two agent configurations).
 */
#define SYM(v, c62, c63)                                                                           \
	((char)((v) < 26    ? 'A' + (v)                                                            \
		: (v) < 52  ? 'a' + (v)-26                                                         \
		: (v) < 62  ? '0' + (v)-52                                                         \
		: (v) == 62 ? (c62)                                                                \
			    : (c63)))
#define PAIR(i, a, b)                                                                              \
	{                                                                                          \
		SYM((i) >> 6, a, b), SYM((i)&63, a, b)                                             \
	}
#define P4(i, a, b)    PAIR(i, a, b), PAIR(i + 1, a, b), PAIR(i + 2, a, b), PAIR(i + 3, a, b)
#define P16(i, a, b)   P4(i, a, b), P4(i + 4, a, b), P4(i + 8, a, b), P4(i + 12, a, b)
#define P64(i, a, b)   P16(i, a, b), P16(i + 16, a, b), P16(i + 32, a, b), P16(i + 48, a, b)
#define P256(i, a, b)  P64(i, a, b), P64(i + 64, a, b), P64(i + 128, a, b), P64(i + 192, a, b)
#define P1024(i, a, b) P256(i, a, b), P256(i + 256, a, b), P256(i + 512, a, b), P256(i + 768, a, b)
#define PAIRS(a, b)                                                                                \
	{                                                                                          \
		P1024(0, a, b), P1024(1024, a, b), P1024(2048, a, b), P1024(3072, a, b)            \
	}

static const char pairs_std[4096][2] = PAIRS('+', '/');
static const char pairs_url[4096][2] = PAIRS('-', '_');

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define B64_SSSE3 1

/*
 * Twelve input bytes become sixteen characters per step with SSSE3 (the
 * technique Wojciech Muła describes for SSE base64): a byte shuffle puts
 * each triple a,b,c into a 32-bit lane as b,a,c,b, so that the lane's low
 * 16 bits hold a:b and its high 16 bits b:c. Two masked 16-bit multiplies
 * then move each of the four 6-bit groups into its own byte, in output
 * order, and a 16-entry table, indexed by which range a group falls in,
 * gives the offset that turns it into its character. The scalar loops
 * below finish the last up to 15 bytes. Encoding dominated the webhook's
 * per-injection work before this (about 10 KB per pod).
 */
__attribute__((target("ssse3"))) static size_t encode_ssse3(const unsigned char *s, size_t n,
							    size_t i, char *w, bool url)
{
	const __m128i triples = _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	const __m128i mask_ac = _mm_set1_epi32(0x0fc0fc00);
	const __m128i shift_ac = _mm_set1_epi32(0x04000040); /* >> 10 (low half), >> 6 (high) */
	const __m128i mask_bd = _mm_set1_epi32(0x003f03f0);
	const __m128i shift_bd = _mm_set1_epi32(0x01000010); /* << 4 (low half), << 8 (high) */
	/* range 0: 26..51, 1..10: 52..61, 11: 62, 12: 63, 13: 0..25 */
	const __m128i offsets =
	    _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
			  '0' - 52, '0' - 52, '0' - 52, '0' - 52, (char)((url ? '-' : '+') - 62),
			  (char)((url ? '_' : '/') - 63), 'A', 0, 0);

	for (; i + 16 <= n; i += 12) {
		__m128i in = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + i)), triples);
		__m128i ac = _mm_mulhi_epu16(_mm_and_si128(in, mask_ac), shift_ac);
		__m128i bd = _mm_mullo_epi16(_mm_and_si128(in, mask_bd), shift_bd);
		__m128i idx = _mm_or_si128(ac, bd);
		__m128i range = _mm_subs_epu8(idx, _mm_set1_epi8(51));
		__m128i low = _mm_cmpgt_epi8(_mm_set1_epi8(26), idx);

		range = _mm_or_si128(range, _mm_and_si128(low, _mm_set1_epi8(13)));
		_mm_storeu_si128((__m128i *)(w + i / 3 * 4),
				 _mm_add_epi8(idx, _mm_shuffle_epi8(offsets, range)));
	}
	return i;
}

/*
 * The same with AVX2, two steps at once: each 128-bit lane gets its own
 * twelve bytes (two overlapping loads) and does what a step above does.
 * Returns how far it got; encode_ssse3 carries on from there.
 */
__attribute__((target("avx2"))) static size_t encode_avx2(const unsigned char *s, size_t n, char *w,
							  bool url)
{
	const __m256i triples = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
						 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	const __m256i mask_ac = _mm256_set1_epi32(0x0fc0fc00);
	const __m256i shift_ac = _mm256_set1_epi32(0x04000040);
	const __m256i mask_bd = _mm256_set1_epi32(0x003f03f0);
	const __m256i shift_bd = _mm256_set1_epi32(0x01000010);
	const char c62 = (char)((url ? '-' : '+') - 62), c63 = (char)((url ? '_' : '/') - 63);
	const __m256i offsets =
	    _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
			     '0' - 52, '0' - 52, '0' - 52, '0' - 52, c62, c63, 'A', 0, 0, 'a' - 26,
			     '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
			     '0' - 52, '0' - 52, '0' - 52, c62, c63, 'A', 0, 0);
	size_t i;

	for (i = 0; i + 28 <= n; i += 24) {
		__m256i in = _mm256_inserti128_si256(
		    _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(s + i))),
		    _mm_loadu_si128((const __m128i *)(s + i + 12)), 1);
		__m256i ac, bd, idx, range, low;

		in = _mm256_shuffle_epi8(in, triples);
		ac = _mm256_mulhi_epu16(_mm256_and_si256(in, mask_ac), shift_ac);
		bd = _mm256_mullo_epi16(_mm256_and_si256(in, mask_bd), shift_bd);
		idx = _mm256_or_si256(ac, bd);
		range = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
		low = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);
		range = _mm256_or_si256(range, _mm256_and_si256(low, _mm256_set1_epi8(13)));
		_mm256_storeu_si256((__m256i *)(w + i / 3 * 4),
				    _mm256_add_epi8(idx, _mm256_shuffle_epi8(offsets, range)));
	}
	return i;
}
#endif

size_t b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int b64_encode(const void *p, size_t n, enum b64_alphabet alpha, struct buf *out)
{
	const unsigned char *s = p;
	const char *a = alpha == B64_URL ? alphabet_url : alphabet_std;
	const char(*pairs)[2] = alpha == B64_URL ? pairs_url : pairs_std;
	char *w;
	size_t i;
	int r;

	if (n > SIZE_MAX / 2)
		return -E2BIG;
	/* The size is known: reserve once and write in place. */
	r = buf_extend(out, b64_encoded_len(n), &w);
	if (r < 0)
		return r;
	i = 0;
#ifdef B64_SSSE3
	if (n >= 16 && __builtin_cpu_supports("ssse3")) {
		if (n >= 28 && __builtin_cpu_supports("avx2"))
			i = encode_avx2(s, n, w, alpha == B64_URL);
		i = encode_ssse3(s, n, i, w, alpha == B64_URL);
		w += i / 3 * 4;
	}
#endif
	/* Six bytes (four pairs) per step, read as one big-endian word. */
	for (; i + 8 <= n; i += 6) {
		uint64_t v;

		memcpy(&v, s + i, 8);
		v = be64toh(v) >> 16;
		memcpy(w, pairs[v >> 36 & 4095], 2);
		memcpy(w + 2, pairs[v >> 24 & 4095], 2);
		memcpy(w + 4, pairs[v >> 12 & 4095], 2);
		memcpy(w + 6, pairs[v & 4095], 2);
		w += 8;
	}
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		memcpy(w, pairs[v >> 12], 2);
		memcpy(w + 2, pairs[v & 4095], 2);
		w += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);

		*w++ = a[v >> 18 & 63];
		*w++ = a[v >> 12 & 63];
		*w++ = i + 1 < n ? a[v >> 6 & 63] : '=';
		*w++ = '=';
	}
	return 0;
}

/* Symbol value, or -1 for a byte outside the alphabet. */
static int sym(unsigned char c, enum b64_alphabet alpha)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (alpha == B64_URL ? '-' : '+'))
		return 62;
	if (c == (alpha == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

struct decoder {
	const unsigned char *src;
	size_t n;
	enum b64_alphabet alpha;
	bool skip_newlines, strict_bits, padded;
};

static bool is_newline(const struct decoder *d, unsigned char c)
{
	return d->skip_newlines && (c == '\n' || c == '\r');
}

/*
 * Decodes one quantum starting at *si into dst. Returns the number of bytes
 * produced (0..3), or -1 with *err_off set.
 */
static int decode_quantum(const struct decoder *d, size_t *si, unsigned char dst[3],
			  size_t *err_off)
{
	int dbuf[4] = { 0, 0, 0, 0 };
	int dlen = 4, j;
	bool trailing_garbage = false;
	size_t garbage_at = 0;

	for (j = 0; j < 4; j++) {
		unsigned char in;
		int v;

		if (*si == d->n) {
			if (j == 0)
				return 0;
			if (j == 1 || d->padded) {
				*err_off = *si - (size_t)j;
				return -1;
			}
			dlen = j;
			break;
		}
		in = d->src[(*si)++];
		v = sym(in, d->alpha);
		if (v >= 0) {
			dbuf[j] = v;
			continue;
		}
		if (is_newline(d, in)) {
			j--;
			continue;
		}
		if (!d->padded || in != '=') {
			*err_off = *si - 1;
			return -1;
		}
		/* padding: only valid after two or three symbols */
		if (j < 2) {
			*err_off = *si - 1;
			return -1;
		}
		if (j == 2) {
			while (*si < d->n && is_newline(d, d->src[*si]))
				(*si)++;
			if (*si == d->n) {
				*err_off = d->n;
				return -1;
			}
			if (d->src[*si] != '=') {
				*err_off = *si - 1;
				return -1;
			}
			(*si)++;
		}
		while (*si < d->n && is_newline(d, d->src[*si]))
			(*si)++;
		if (*si < d->n) {
			trailing_garbage = true;
			garbage_at = *si;
		}
		dlen = j;
		break;
	}

	{
		uint32_t val = (uint32_t)dbuf[0] << 18 | (uint32_t)dbuf[1] << 12 |
			       (uint32_t)dbuf[2] << 6 | (uint32_t)dbuf[3];
		unsigned char b0 = (unsigned char)(val >> 16), b1 = (unsigned char)(val >> 8),
			      b2 = (unsigned char)val;

		switch (dlen) {
		case 4:
			dst[2] = b2;
			b2 = 0;
			VL_FALLTHROUGH;
		case 3:
			dst[1] = b1;
			if (d->strict_bits && b2 != 0) {
				*err_off = *si - 1;
				return -1;
			}
			b1 = 0;
			VL_FALLTHROUGH;
		case 2:
			dst[0] = b0;
			if (d->strict_bits && (b1 != 0 || b2 != 0)) {
				*err_off = *si - 2;
				return -1;
			}
			break;
		default:
			break;
		}
	}
	if (trailing_garbage) {
		*err_off = garbage_at;
		return -1;
	}
	return dlen - 1;
}

int b64_decode(const char *s, size_t n, enum b64_alphabet alpha, int flags, struct buf *out,
	       size_t *ret_err_offset)
{
	struct decoder d = {
		.src = (const unsigned char *)s,
		.n = n,
		.alpha = alpha,
		.skip_newlines = flags & B64_GO,
		.strict_bits = !(flags & B64_GO),
		.padded = !(flags & B64_NOPAD),
	};
	size_t si = 0, start = out->len, err_off = 0;
	int r = 0;

	while (si < n) {
		unsigned char q[3];
		int got = decode_quantum(&d, &si, q, &err_off);

		if (got < 0) {
			if (ret_err_offset)
				*ret_err_offset = err_off;
			r = -EINVAL;
			goto fail;
		}
		if (got == 0)
			break;
		r = buf_append(out, q, (size_t)got);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	buf_truncate(out, start);
	return r;
}
