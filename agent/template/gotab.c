/* SPDX-License-Identifier: MIT */
/*
 * gotab: lookups in the generated Go Unicode tables (see gotab.h).
 */
#include "gotab.h"

#define MAX_RUNE 0x10FFFF

uint32_t gotab_to(int which, uint32_t r)
{
	size_t lo = 0, hi = gotab_case_len;

	if (r < 0x80) {
		if (which == GOTAB_LOWER)
			return r >= 'A' && r <= 'Z' ? r + 32 : r;
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	}
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		const struct gotab_case *c = &gotab_case[m];

		if (c->lo <= r && r <= c->hi) {
			int32_t delta = c->delta[which];

			if (delta > MAX_RUNE)
				return c->lo + (((r - c->lo) & ~1u) | (uint32_t)(which & 1));
			return (uint32_t)((int32_t)r + delta);
		}
		if (r < c->lo)
			hi = m;
		else
			lo = m + 1;
	}
	return r;
}

bool gotab_is_print(uint32_t r)
{
	return tmplutf_in(r, gotab_print, gotab_print_len);
}
