/* SPDX-License-Identifier: MIT */
/*
 * lobby: accepts the webhook's connections and holds each one until its
 * first TLS record (the ClientHello) is complete, then hands it to
 * libmicrohttpd (MHD_add_connection through the handoff callback).
 *
 * Why. libmicrohttpd 0.9.75 in epoll mode keeps a connection whose TLS
 * handshake is waiting for more bytes on its ready list (it never sees the
 * EAGAIN, which GnuTLS gets), so its event loop spins on it until the
 * connection goes: one half-sent ClientHello kept a CPU busy for the whole
 * header deadline, and a flood of them both CPUs. And every connection in
 * libmicrohttpd holds a GnuTLS session and a memory pool (about 13 KiB of
 * RSS for a silent socket), so a flood of silent sockets had to be closed
 * at -max-connections, and the flood reopened them as fast as it could,
 * each reopening work for the event loops.
 *
 * Here a waiting connection costs its socket and a 32-byte list entry, and
 * nothing while it is silent: one thread with its own edge-triggered epoll
 * set looks at a connection only when bytes arrive (MSG_PEEK of the record
 * header, FIONREAD for the rest; nothing is consumed). Oldest first on one
 * list, closed at the deadline (accept + -header-timeout) or, when
 * max_waiting are waiting, the oldest to make room for a new one. A first
 * byte that is not a TLS handshake record is handed over at once, so
 * libmicrohttpd answers or rejects it as before.
 *
 * Threads: the lobby's list belongs to its thread; the counters are atomics
 * read by the server's reaper for its log line.
 */
#ifndef VAULTLET_WEBHOOK_LOBBY_H
#define VAULTLET_WEBHOOK_LOBBY_H

#include <stdint.h>

#include "buf.h"

/* Takes fd over (accepted at accepted_ms, lobby_now_ms's clock). */
typedef void lobby_handoff_fn(void *cls, int fd, uint64_t accepted_ms);

struct lobby_opts {
	int listen_fd; /* non-blocking; stays the caller's */
	unsigned max_waiting;
	unsigned deadline_ms;
	lobby_handoff_fn *handoff;
	void *cls;
};

struct lobby;

struct lobby_counts {
	unsigned long closed_deadline; /* no complete ClientHello in time */
	unsigned long closed_full;     /* the oldest, to make room */
	unsigned long handed;
	unsigned waiting;
};

uint64_t lobby_now_ms(void);
int lobby_start(struct lobby **out, const struct lobby_opts *o, struct buf *err);
/* Accepts no more connections; those waiting still get their chance. */
void lobby_stop_accepting(struct lobby *l);
void lobby_counts(struct lobby *l, struct lobby_counts *c);
/* Joins the thread and closes every waiting connection; l is freed. */
void lobby_stop(struct lobby *l);

#endif
