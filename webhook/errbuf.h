/* SPDX-License-Identifier: MIT */
/*
 * errbuf: fill a struct buf with a one-line error message. The message is
 * best effort: when it does not fit or memory runs out, the buffer keeps
 * what fitted, and the caller still returns its error code.
 */
#ifndef VAULTLET_WEBHOOK_ERRBUF_H
#define VAULTLET_WEBHOOK_ERRBUF_H

#include "buf.h"
#include "macros.h"

/* Replaces the content of b with the formatted message. */
void errbuf_setf(struct buf *b, const char *fmt, ...) VL_PRINTF(2, 3);

#endif
