/* SPDX-License-Identifier: MIT */
/*
 * errbuf: best-effort error messages into a capped buffer (see errbuf.h).
 */
#include <stdarg.h>

#include "errbuf.h"

void errbuf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	buf_reset(b);
	va_start(ap, fmt);
	r = buf_vappendf(b, fmt, ap);
	va_end(ap);
	if (r < 0)
		buf_reset(b); /* too long or no memory: the caller's code still says what failed */
}
