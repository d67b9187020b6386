/* SPDX-License-Identifier: MIT */
/*
 * goregex: Go's regexp package (RE2 syntax, leftmost-first matching,
 * regexp.MatchString and ReplaceAllString with $1 / ${name} expansion)
 * for consul-template's regexMatch and regexReplaceAll, in linear time:
 * a Pike VM over a program compiled as Go's regexp/syntax compiles it, so
 * the submatches (which alternative, which iteration of a loop) are Go's.
 *
 * Syntax: everything Go's parser accepts in its default (Perl) mode,
 * except \p{...} / \pX Unicode classes (not reproduced: refused), the
 * Go >= 1.22 spelling (?<name>...) (refused: Go 1.19 rejects it, newer
 * Go accepts it) and expressions whose program would exceed
 * GOREGEX_MAX_PROG instructions (refused). Errors are Go's texts
 * ("error parsing regexp: missing closing ): `(a`").
 *
 * Time: each search is O(input x program). A whole match or replacement
 * is capped at GOREGEX_STEP_FACTOR passes over the input (thread steps
 * <= factor x (input + 1) x program, and never more than
 * GOREGEX_MAX_STEPS): ReplaceAll restarts a search after each match, and
 * a pattern like `.*b|a` makes each search run to the end of the input,
 * which is quadratic (in Go too). Past the cap the call fails with -ETIME
 * instead of spinning on a hostile secret. Memory: the two thread
 * lists and their submatch slots, O(program x tracked groups), capped.
 * Pure; a compiled expression is read-only and may be shared.
 */
#ifndef VAULTLET_GOREGEX_H
#define VAULTLET_GOREGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Most instructions in one compiled expression. */
#define GOREGEX_MAX_PROG 20000
/* Thread steps of one match or replacement: passes over the input, and an absolute cap. */
#define GOREGEX_STEP_FACTOR 8
#define GOREGEX_MAX_STEPS   (1u << 28)
/* Deepest nesting of groups. */
#define GOREGEX_MAX_DEPTH 200

struct goregex;

/* unicode.SimpleFold for the runes it moves (sorted by r): the next rune of r's orbit. */
struct goregex_fold {
	uint32_t r, next;
};
extern const struct goregex_fold goregex_fold[];
extern const size_t goregex_fold_len;

/*
 * Compiles pattern[0..n). 0 and *ret; -EINVAL (Go's syntax error in *msg),
 * -ENOTSUP (a construct vaultlet does not reproduce, *msg says which),
 * -ENOMEM. *msg is a static string or points into msgbuf.
 */
int goregex_compile(const char *pattern, size_t n, struct goregex **ret, struct buf *msg);
void goregex_free(struct goregex *re);

/* regexp.MatchString: 0 and *ret; -ETIME past the step cap; -ENOMEM. */
int goregex_match(const struct goregex *re, const char *s, size_t n, bool *ret);

/*
 * regexp.ReplaceAllString(s, repl) appended to out: 0, -ETIME, -E2BIG
 * (out's cap), -ENOMEM, -ENOTSUP (the replacement needs more submatch
 * slots than the memory cap allows).
 */
int goregex_replace_all(const struct goregex *re, const char *s, size_t n, const char *repl,
			size_t rn, struct buf *out);

#endif
