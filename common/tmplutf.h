/* SPDX-License-Identifier: MIT */
/*
 * tmplutf: the UTF-8 and Unicode rules of Go that the template code must
 * follow to the byte: rune decoding (an invalid byte decodes as U+FFFD of
 * width 1, like utf8.DecodeRuneInString), encoding, and the letter/digit
 * classes that decide what an identifier is (unicode.IsLetter/IsDigit).
 * The tables are generated from Go by tests/template/gen-unicode.go.
 * Pure functions, no state.
 */
#ifndef VAULTLET_TMPLUTF_H
#define VAULTLET_TMPLUTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TMPLUTF_ERROR	 0xFFFD
#define TMPLUTF_MAX_RUNE 0x10FFFF

struct tmplutf_range {
	uint32_t lo, hi;
};

extern const struct tmplutf_range tmplutf_letter[];
extern const size_t tmplutf_letter_len;
extern const struct tmplutf_range tmplutf_digit[];
extern const size_t tmplutf_digit_len;

/* Decodes one rune of s[0..n) (n > 0); *width gets 1..4. Invalid: U+FFFD, width 1. */
uint32_t tmplutf_decode(const char *s, size_t n, size_t *width);
/* Decodes the last rune of s[0..n) (n > 0), like utf8.DecodeLastRuneInString. */
uint32_t tmplutf_decode_last(const char *s, size_t n, size_t *width);
/* Encodes r (invalid runes and surrogates as U+FFFD) into out; returns the length 1..4. */
size_t tmplutf_encode(uint32_t r, char out[static 4]);
/* Whether s[0..n) is valid UTF-8 (utf8.ValidString). */
bool tmplutf_valid(const char *s, size_t n);
/* Whether r is in the sorted table. */
bool tmplutf_in(uint32_t r, const struct tmplutf_range *t, size_t n);

bool tmplutf_is_letter(uint32_t r);
bool tmplutf_is_digit(uint32_t r);
/* unicode.IsSpace */
bool tmplutf_is_space(uint32_t r);

#endif
