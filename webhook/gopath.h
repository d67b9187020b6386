/* SPDX-License-Identifier: MIT */
/*
 * gopath: Go's path.Clean and path.Join (slash-separated paths; Go's
 * filepath is the same on Linux), because the stock injector builds token
 * and file paths with them and vaultlet must write the same strings.
 *
 * Pure functions; results are allocated in the caller's arena.
 */
#ifndef VAULTLET_WEBHOOK_GOPATH_H
#define VAULTLET_WEBHOOK_GOPATH_H

#include <stdbool.h>

#include "arena.h"

/* path.Clean(p): "" -> ".", "a//b/../c/" -> "a/c", "/../x" -> "/x". NULL on OOM. */
char *gopath_clean(struct arena *a, const char *p);
/* path.Join(a, b): the non-empty elements joined by "/" and cleaned; "" if both are empty. */
char *gopath_join(struct arena *a, const char *x, const char *y);
/* Whether p has a ".." element ("..", "a/../b", "../x", "x/.."). */
bool gopath_has_dotdot(const char *p);

#endif
