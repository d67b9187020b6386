/* SPDX-License-Identifier: MIT */
/*
 * gofmt: Go's fmt package for the values a template can hold (gval.h):
 * Sprint, Sprintln, Sprintf with every verb, flag, width, precision and
 * argument index fmt supports, including its error forms (%!d(string=x),
 * %!(EXTRA ...), %!s(MISSING), %!(BADWIDTH) ...), plus the pieces other
 * functions reuse: strconv.Quote, strconv.FormatFloat.
 *
 * Output is appended to a struct buf; functions return 0, -E2BIG (the
 * buffer's cap), -ENOMEM, or -ENOTSUP when Go would print a memory address
 * (%p of a map or list): that differs between runs and is refused. Pure.
 */
#ifndef VAULTLET_GOFMT_H
#define VAULTLET_GOFMT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "gval.h"

/* fmt.Sprint(args...) */
int gofmt_sprint(struct buf *out, const struct gval *args, size_t n);
/* fmt.Sprintln(args...) */
int gofmt_sprintln(struct buf *out, const struct gval *args, size_t n);
/* fmt.Sprintf(format, args...) */
int gofmt_sprintf(struct buf *out, const char *format, size_t flen, const struct gval *args,
		  size_t n);
/* What text/template prints for an action's value (printableValue + fmt.Fprint). */
int gofmt_print_action(struct buf *out, const struct gval *v);
/* strconv.Quote (ascii: QuoteToASCII) */
int gofmt_quote(struct buf *out, const char *s, size_t n, bool ascii);
/* strconv.FormatFloat(f, fmt, prec, 64) */
int gofmt_float(struct buf *out, double f, char fmt, int prec);

#endif
