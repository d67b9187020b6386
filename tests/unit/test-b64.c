/* SPDX-License-Identifier: MIT */
/*
 * Tests for b64: round trips in both alphabets, strict decoding, and Go
 * compatibility rows from tests/data/b64/decode-go.txt (bytes and error
 * offsets exactly as Go's encoding/base64 gives them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "tdata.h"

static void test_go_row(void **state)
{
	const struct tdata_row *row = *state;
	enum b64_alphabet a = tdata_is(row, 1, "url") ? B64_URL : B64_STD;
	struct buf out;
	size_t off = 9999;
	int r;

	buf_init(&out, 1024);
	r = b64_decode(row->tok[0], row->len[0], a, B64_GO, &out, &off);
	if (tdata_is(row, 2, "error")) {
		assert_int_equal(r, -EINVAL);
		assert_int_equal(off, strtoul(row->tok[3], NULL, 10));
		assert_int_equal(out.len, 0);
	} else {
		assert_int_equal(r, 0);
		assert_int_equal(out.len, row->len[2]);
		assert_memory_equal(buf_str(&out), row->tok[2], row->len[2]);
	}
	buf_done(&out);
}

static void check_encode(const char *in, size_t n, enum b64_alphabet a, const char *want)
{
	struct buf out, back;

	buf_init(&out, 1024);
	buf_init(&back, 1024);
	assert_int_equal(b64_encode(in, n, a, &out), 0);
	assert_string_equal(buf_str(&out), want);
	assert_int_equal(out.len, b64_encoded_len(n));
	assert_int_equal(b64_decode(out.data ? out.data : "", out.len, a, B64_STRICT, &back, NULL),
			 0);
	assert_int_equal(back.len, n);
	assert_memory_equal(buf_str(&back), in, n);
	buf_done(&out);
	buf_done(&back);
}

static void test_encode_vectors(void **state)
{
	(void)state;
	/* RFC 4648 section 10 */
	check_encode("", 0, B64_STD, "");
	check_encode("f", 1, B64_STD, "Zg==");
	check_encode("fo", 2, B64_STD, "Zm8=");
	check_encode("foo", 3, B64_STD, "Zm9v");
	check_encode("foob", 4, B64_STD, "Zm9vYg==");
	check_encode("fooba", 5, B64_STD, "Zm9vYmE=");
	check_encode("foobar", 6, B64_STD, "Zm9vYmFy");
	check_encode("\xfb\xff\xbf", 3, B64_STD, "+/+/");
	check_encode("\xfb\xff\xbf", 3, B64_URL, "-_-_");
	check_encode("\0\0\0", 3, B64_STD, "AAAA");
}

/*
 * Every length around the encoder's strides (24 bytes with AVX2, 12 with SSSE3, then 6,
 * then 3) round-trips, with every byte value in every position of a triple.
 */
static void test_roundtrip_lengths(void **state)
{
	unsigned char in[800];
	struct buf enc, dec;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	buf_init(&enc, 4096);
	buf_init(&dec, 4096);
	for (size_t n = 0; n <= sizeof(in); n++) {
		for (int a = B64_STD; a <= B64_URL; a++) {
			buf_reset(&enc);
			buf_reset(&dec);
			assert_int_equal(b64_encode(in, n, (enum b64_alphabet)a, &enc), 0);
			assert_int_equal(enc.len, b64_encoded_len(n));
			assert_int_equal(b64_decode(buf_str(&enc), enc.len, (enum b64_alphabet)a,
						    B64_STRICT, &dec, NULL),
					 0);
			assert_int_equal(dec.len, n);
			assert_memory_equal(buf_str(&dec), in, n);
		}
	}
	buf_done(&enc);
	buf_done(&dec);
}

static void expect_strict_error(const char *in, int flags)
{
	struct buf out;

	buf_init(&out, 64);
	assert_int_equal(b64_decode(in, strlen(in), B64_STD, flags, &out, NULL), -EINVAL);
	assert_int_equal(out.len, 0);
	buf_done(&out);
}

static void test_strict_rejects(void **state)
{
	(void)state;
	expect_strict_error("Zg", B64_STRICT);	   /* missing padding */
	expect_strict_error("Zh==", B64_STRICT);   /* non-zero trailing bits */
	expect_strict_error("Zm9=", B64_STRICT);   /* non-zero trailing bits */
	expect_strict_error("Zm9v\n", B64_STRICT); /* line break */
	expect_strict_error("Zm9v=", B64_STRICT);
	expect_strict_error("Zg==Zg==", B64_STRICT);
	expect_strict_error("Zg==", B64_NOPAD); /* padding where none is allowed */
	expect_strict_error("Z", B64_NOPAD);
}

static void test_nopad_accepts(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(b64_decode("Zm9vYg", 6, B64_URL, B64_NOPAD, &out, NULL), 0);
	assert_string_equal(buf_str(&out), "foob");
	buf_done(&out);
}

static void test_caps(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 5);
	assert_int_equal(b64_encode("foobar", 6, B64_STD, &out), -E2BIG);
	assert_int_equal(out.len, 0);
	assert_int_equal(b64_encode("foo", 3, B64_STD, &out), 0);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, B64_STD, B64_STRICT, &out, NULL), -E2BIG);
	assert_string_equal(buf_str(&out), "Zm9v");
	buf_done(&out);
}

int main(void)
{
	struct tdata t;
	struct tlist l = { 0 };
	int failed;

	tdata_load("b64/decode-go.txt", &t);
	tlist_add_rows(&l, &t, test_go_row);
	tlist_add(&l, "encode_vectors", test_encode_vectors, NULL);
	tlist_add(&l, "roundtrip_lengths", test_roundtrip_lengths, NULL);
	tlist_add(&l, "strict_rejects", test_strict_rejects, NULL);
	tlist_add(&l, "nopad_accepts", test_nopad_accepts, NULL);
	tlist_add(&l, "caps", test_caps, NULL);
	failed = tlist_run(&l, "b64");
	tdata_free(&t);
	return failed ? 1 : 0;
}
