/* SPDX-License-Identifier: MIT */
/*
 * rf_hash: consul-template's md5sum (hex MD5, `fmt.Sprintf("%x",
 * md5.Sum(...))`) and hmacSHA256Hex MESSAGE KEY (hex HMAC-SHA256 of the
 * message under the key, in that argument order, RFC 2104).
 *
 * SHA-256 is OpenSSL's one-shot SHA256(). MD5 is computed here (RFC 1321):
 * OpenSSL 3 deprecates its MD5 functions and a no-deprecated build (the
 * static agent) drops them, and the EVP headers cannot be included from
 * agent/ while its sched.h shadows the system one. MD5 here is a checksum
 * of a value, as in consul-template, never a security boundary. Key pads
 * and intermediate buffers are wiped. Pure.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "rfunc.h"

static int hex(struct buf *o, const unsigned char *md, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		r = buf_putc(o, digits[md[i] >> 4]);
		if (r == 0)
			r = buf_putc(o, digits[md[i] & 15]);
	}
	return r;
}

/* ---- MD5 (RFC 1321) -------------------------------------------------- */

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};

static const uint8_t md5_s[64] = {
	7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,	14, 20, 5,  9,
	14, 20, 5,  9,	14, 20, 5,  9,	14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
	4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21,
};

static void md5_block(uint32_t h[static 4], const unsigned char blk[static 64])
{
	uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		m[i] = (uint32_t)blk[i * 4] | (uint32_t)blk[i * 4 + 1] << 8 |
		       (uint32_t)blk[i * 4 + 2] << 16 | (uint32_t)blk[i * 4 + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g;

		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		f += a + md5_k[i] + m[g];
		b += (f << md5_s[i]) | (f >> (32 - md5_s[i]));
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	explicit_bzero(m, sizeof(m));
}

static void md5(const unsigned char *p, size_t n, unsigned char out[static 16])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	unsigned char tail[128] = { 0 };
	uint64_t bits = (uint64_t)n * 8;
	size_t full = n / 64 * 64, rest = n - full, tlen;

	for (size_t off = 0; off < full; off += 64)
		md5_block(h, p + off);
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tlen = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tlen - 8 + (size_t)i] = (unsigned char)(bits >> (8 * i));
	md5_block(h, tail);
	if (tlen == 128)
		md5_block(h, tail + 64);
	for (int i = 0; i < 16; i++)
		out[i] = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
	explicit_bzero(tail, sizeof(tail));
}

int rf_md5sum(struct rf_call *c, struct gval *ret)
{
	unsigned char md[16];

	(void)ret;
	md5((const unsigned char *)c->argv[0].str.s, c->argv[0].str.len, md);
	return hex(c->o, md, sizeof(md));
}

/* ---- HMAC-SHA256 (RFC 2104) ------------------------------------------ */

int rf_hmac_sha256_hex(struct rf_call *c, struct gval *ret)
{
	const struct gv_str *msg = &c->argv[0].str, *key = &c->argv[1].str;
	unsigned char k[64] = { 0 }, inner[SHA256_DIGEST_LENGTH], md[SHA256_DIGEST_LENGTH];
	unsigned char outer[64 + SHA256_DIGEST_LENGTH];
	unsigned char *in;
	int r;

	(void)ret;
	if (key->len > sizeof(k))
		SHA256((const unsigned char *)key->s, key->len, k);
	else if (key->len)
		memcpy(k, key->s, key->len);
	in = malloc(64 + msg->len);
	if (!in) {
		explicit_bzero(k, sizeof(k));
		return rf_nomem(c);
	}
	for (size_t i = 0; i < 64; i++) {
		in[i] = k[i] ^ 0x36;
		outer[i] = k[i] ^ 0x5c;
	}
	if (msg->len)
		memcpy(in + 64, msg->s, msg->len);
	SHA256(in, 64 + msg->len, inner);
	memcpy(outer + 64, inner, sizeof(inner));
	SHA256(outer, sizeof(outer), md);
	r = hex(c->o, md, sizeof(md));
	explicit_bzero(in, 64 + msg->len);
	free(in);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(outer, sizeof(outer));
	explicit_bzero(inner, sizeof(inner));
	return r;
}
