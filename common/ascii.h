/* SPDX-License-Identifier: MIT */
/*
 * ascii: character classes of the protocols we parse (JSON, URLs, Go
 * literals, Kubernetes quantities), which are ASCII and must not depend on
 * the C locale the way <ctype.h> does.
 */
#ifndef VAULTLET_ASCII_H
#define VAULTLET_ASCII_H

#include <stdbool.h>
#include <stdint.h>

static inline bool ascii_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* C's isspace in the C locale: space, \t \n \v \f \r (never NUL). */
static inline bool ascii_isspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The value of a hexadecimal digit, or -1. */
static inline int ascii_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Writes v in decimal so that it ends just before end (at most 20 digits);
 * returns where it starts. For writers that build a number from the right.
 */
static inline char *ascii_udec_before(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

#endif
