/* SPDX-License-Identifier: MIT */
/*
 * server: the HTTPS front of the webhook, a thin layer of libmicrohttpd
 * glue around review_handle().
 *
 * Routes:
 *   POST /mutate        AdmissionReview in, AdmissionReview out (200), or a
 *                       one-line reason: 400 (malformed review), 405 (other
 *                       method), 413 (body over the cap), 415 (content type
 *                       not application/json; parameters such as
 *                       "; charset=utf-8" are fine), 503 when the bodies
 *                       being received already hold body_budget bytes, or
 *                       the reviews being handled review_budget
 *   GET  /health/ready  204 while serving, 503 once shutdown has begun
 *   GET  /healthz       200 "ok" while the process runs
 *   GET  /metrics       Prometheus text (also at -telemetry-path)
 *   anything else       404; other methods on the GET routes 405
 *
 * libmicrohttpd runs a small pool of epoll event loops (an idle connection
 * costs no thread), with keep-alive, an idle timeout and TLS 1.2+ through
 * GnuTLS, with the certificate from tlsstore at every handshake. Connections
 * that have not yet sent a complete request's headers are tracked here: they
 * are closed when their header deadline passes, and the oldest of them is
 * closed when a new connection would go over max_connections (see server.c). The listening socket
 * is made here (so port 0 works and the bound port is known). Per-request
 * state lives in the connection's con_cls and is freed in the completion
 * callback; counters are atomics. server_* functions are called from the
 * main thread only.
 */
#ifndef VAULTLET_WEBHOOK_SERVER_H
#define VAULTLET_WEBHOOK_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentspec.h"
#include "buf.h"
#include "metrics.h"

/*
 * A body announced over the cap but within this many times it is read and
 * dropped before the 413, so the answer is not lost to a connection reset.
 */
#define SERVER_DRAIN_FACTOR 4

struct MHD_Daemon;
struct lobby;

/* accept times of connections handed to libmicrohttpd, until it notifies them */
#define SERVER_HANDOFFS 256

struct server_opts {
	const char *listen; /* host:port, :port, [v6]:port */
	unsigned max_connections;
	unsigned connection_timeout_s; /* a kept-alive connection's idle time */
	unsigned header_timeout_ms;    /* TLS handshake + first request's headers */
	size_t max_body;
	/*
	 * Memory budgets, from -webhook-memory-limit (whconfig.h): the storage
	 * of the bodies being received (charged as it is allocated, a body with
	 * a Content-Length all at once before it is read), and the arenas of
	 * the reviews being handled (each also capped at REVIEW_ARENA_MAX).
	 * A request that would go beyond either gets 503, so a flood of large
	 * reviews stays inside the container's memory limit instead of getting
	 * the webhook OOM-killed.
	 */
	size_t body_budget;
	size_t review_budget;
	bool tls13_only;
	const char *telemetry_path; /* extra metrics path, or "" */
	const struct inject_defaults *defaults;
	struct metrics *metrics;
};

/* One open connection (server.c); on a list while it can be evicted. */
struct server_conn;

struct server_conn_list {
	struct server_conn *head, *tail; /* oldest first */
};

struct server {
	struct MHD_Daemon *daemon;
	int fd; /* the listening socket */
	unsigned port;
	struct lobby *lobby; /* accepts, holds until the ClientHello is complete */
	unsigned max_waiting;
	struct server_opts o;
	atomic_bool draining;
	atomic_size_t buffered;		   /* body storage held by requests being received */
	struct arena_budget review_memory; /* the arenas of reviews being handled */

	/* the connection tracker, all under lock */
	pthread_mutex_t lock;
	bool lock_ok;
	struct server_conn_list fresh;	 /* no complete request headers yet */
	struct server_conn_list idle;	 /* between requests */
	unsigned open;			 /* connections */
	unsigned long closed_since_trim; /* connections closed since malloc_trim */
	unsigned long evicted_limit, evicted_deadline, logged_limit, logged_deadline;
	unsigned long logged_lobby_deadline, logged_lobby_full;
	unsigned long refused; /* libmicrohttpd could not take a connection */
	struct {
		int fd;
		uint64_t accepted_ms;
	} handoff[SERVER_HANDOFFS];
	unsigned handoff_next;

	/* the reaper thread: header deadlines, memory given back after a flood */
	pthread_t reaper;
	bool reaper_started, stopping;
	pthread_cond_t wake;
	bool wake_ok;
};

/* Binds, listens and starts serving. 0, or -errno with a reason in err. */
int server_start(struct server *s, const struct server_opts *o, struct buf *err);
/* Readiness turns 503 and responses carry Connection: close. */
void server_begin_drain(struct server *s);
/* Stops accepting connections (open ones keep being served). */
void server_quiesce(struct server *s);
long server_inflight(struct server *s);
/* Closes everything and joins the connection threads. */
void server_stop(struct server *s);

#endif
