/* SPDX-License-Identifier: MIT */
/*
 * gotab: Unicode tables of the Go standard library the template functions
 * need to match Go byte for byte: unicode.CaseRanges (strings.ToUpper/
 * ToLower) and strconv.IsPrint (fmt's %q). Generated from Go into
 * gotab_tables.c by tests/template/gen-unicode.go; lookups here.
 */
#ifndef VAULTLET_GOTAB_H
#define VAULTLET_GOTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tmplutf.h"

struct gotab_case {
	uint32_t lo, hi;
	int32_t delta[3]; /* upper, lower, title; 0x110000 = alternating Upper/Lower */
};

extern const struct gotab_case gotab_case[];
extern const size_t gotab_case_len;
extern const struct tmplutf_range gotab_print[];
extern const size_t gotab_print_len;

enum { GOTAB_UPPER = 0, GOTAB_LOWER = 1, GOTAB_TITLE = 2 };

/* unicode.ToUpper / ToLower / ToTitle */
uint32_t gotab_to(int which, uint32_t r);
/* strconv.IsPrint */
bool gotab_is_print(uint32_t r);

#endif
