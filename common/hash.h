/* SPDX-License-Identifier: MIT */
/*
 * hash: a fast non-cryptographic hash for in-process lookup tables that
 * compare keys in full on a hit (the template memo, a pod's annotations).
 * Not for anything an attacker's collisions could do more than slow down.
 */
#ifndef VAULTLET_HASH_H
#define VAULTLET_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Continues hash h over p[0..n), eight bytes a step (start with h = 0). */
static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
	const bool whole_words = n >= 8;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (whole_words) {
		/* the last word again, overlapping: one step instead of a byte loop */
		memcpy(&w, s + n - 8, 8);
		w ^= n;
	} else {
		w = n;
		for (size_t i = 0; i < n; i++)
			w = w << 8 | s[i];
	}
	h = (h ^ w) * k;
	return h ^ h >> 32;
}

#endif
