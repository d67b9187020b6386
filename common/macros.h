/* SPDX-License-Identifier: MIT */
/*
 * Small compiler helpers shared by every component: attribute spellings and
 * array sizes. Nothing here allocates or has state.
 */
#ifndef VAULTLET_MACROS_H
#define VAULTLET_MACROS_H

#include <stddef.h>

#define VL_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#define VL_NODISCARD		     __attribute__((warn_unused_result))
#define VL_UNUSED		     __attribute__((unused))
#define VL_NORETURN		     __attribute__((noreturn))
#define VL_FALLTHROUGH		     __attribute__((fallthrough))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define VL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Length of a string literal, without its NUL. */
#define STRLEN_LIT(s) (sizeof("" s "") - 1)

#endif
