/* SPDX-License-Identifier: MIT */
/*
 * gostr: the Go strings-package functions templates reach through
 * consul-template's helpers, with Go's exact treatment of Unicode and of
 * invalid UTF-8: ToUpper, ToLower, TrimSpace, Trim, TrimPrefix/Suffix,
 * ReplaceAll, Split, Contains, plus html/js/urlquery escaping and POSIX
 * shell single-quoting (the vaultlet extension shellQuote).
 *
 * Functions that produce a new string append to a struct buf (0, -E2BIG,
 * -ENOMEM); functions that cut return a sub-range of their input. Pure.
 */
#ifndef VAULTLET_GOSTR_H
#define VAULTLET_GOSTR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

int gostr_to_upper(struct buf *o, const char *s, size_t n);
int gostr_to_lower(struct buf *o, const char *s, size_t n);
/* strings.TrimSpace: the kept range is s[*start .. *start + *len) */
void gostr_trim_space(const char *s, size_t n, size_t *start, size_t *len);
/* strings.Trim(s, cutset) */
void gostr_trim(const char *s, size_t n, const char *cut, size_t cn, size_t *start, size_t *len);
/* strings.ReplaceAll(s, old, new) */
int gostr_replace_all(struct buf *o, const char *s, size_t n, const char *old, size_t on,
		      const char *nw, size_t nn);
/* strings.Index(s, sub), -1 if absent */
long gostr_index(const char *s, size_t n, const char *sub, size_t sn);
/* utf8.RuneCountInString */
size_t gostr_rune_count(const char *s, size_t n);
/* template.HTMLEscapeString, JSEscapeString, url.QueryEscape */
int gostr_html_escape(struct buf *o, const char *s, size_t n);
int gostr_js_escape(struct buf *o, const char *s, size_t n);
int gostr_query_escape(struct buf *o, const char *s, size_t n);
/*
 * toTitle: golang.org/x/text/cases Title(language.Und, NoLower). Only
 * ASCII text is supported; other text is refused with -ENOTSUP (*ret_msg).
 */
int gostr_to_title(struct buf *o, const char *s, size_t n, const char **ret_msg);
/* '...' with every ' written as '\'' */
int gostr_shell_quote(struct buf *o, const char *s, size_t n);

#endif
