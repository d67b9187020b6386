/* SPDX-License-Identifier: MIT */
/*
 * server: libmicrohttpd glue (see server.h).
 *
 * DESIGN
 * ------
 * libmicrohttpd calls the handler several times per request: once when
 * the headers are in (*con_cls is NULL), once per chunk of body, and once
 * more with *upload_data_size == 0. Every answer that does not need the
 * body (404, 405, 415, a Content-Length over the cap) is queued on the
 * first call. A response queued while a body is still arriving is never
 * sent by 0.9.75, so a body that grows over the cap without announcing it
 * (chunked) is swallowed and the 413 is queued on the final call.
 * Returning MHD_NO would drop the connection without an answer: it is
 * only returned when queuing itself failed.
 *
 * A /mutate request's state (the capped body buffer, the start time) is
 * allocated on the first call and freed in the completion callback, which
 * also closes the request's metrics. The review is handled on the event
 * loop's thread, synchronously: it is pure CPU work of a few tens of
 * microseconds.
 *
 * Connections. libmicrohttpd runs 2 to 4 epoll event loops (one per CPU);
 * an idle connection costs its socket, a GnuTLS session and a small memory
 * pool, and no thread. Its own timeout is an idle timeout, reset by every
 * byte, so by itself it neither stops a client that trickles a byte a
 * second nor frees a slot at the connection limit (a new connection over
 * the limit is accepted and reset, which is what made 700 idle sockets a
 * denial of service). So every connection is tracked from the
 * notify-connection callback, in one of three states (the first two are
 * lists, oldest first):
 *   fresh  accepted, its first request's headers not complete yet (TLS
 *          handshake included);
 *   idle   kept alive between two requests;
 *   busy   on no list: a request is being handled (or it was evicted).
 * The reaper thread closes fresh connections older than header_timeout_ms
 * (Go's ReadHeaderTimeout). A new connection that takes the count over
 * max_connections closes one of the oldest fresh ones (the quietest: see
 * evict_candidate), or if there is none the oldest idle one, so a flood of
 * silent sockets costs the attacker connections, not the API server its
 * reviews. libmicrohttpd's own limit sits above max_connections
 * (SERVER_LIMIT_SLACK) and is only reached if every connection is busy. "Closing" is shutdown(2) on the socket, under
 * the tracker's lock: libmicrohttpd notifies the close before it closes the
 * descriptor, so a descriptor on a list is never one reused by another
 * connection; the event loop then sees end-of-file and frees the
 * connection as usual. After a flood the reaper gives freed heap back to
 * the system (malloc_trim), so RSS returns to where it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "lobby.h"
#include "log.h"
#include "review.h"
#include "server.h"
#include "tlsstore.h"

/*
 * libmicrohttpd's memory per connection, for the request's headers and its
 * read buffer (bodies are handed over in pieces). It zeroes the whole of it
 * after every request, so the 32 KiB default cost a 32 KiB memset per
 * review and ~0.6 MiB of RSS at 32 connections more than this does; the API
 * server's headers are well under 1 KiB.
 */
#define SERVER_CONNECTION_MEMORY (16 * 1024)

/*
 * Event loops. Reviews are short CPU work: more loops than CPUs only adds
 * switching, and two keep a slow handshake from delaying everything else.
 */
#define SERVER_THREADS_MIN 2
#define SERVER_THREADS_MAX 4
/* libmicrohttpd's hard limit, over max_connections, for evictions in flight */
#define SERVER_LIMIT_SLACK(max) ((max) / 4 + 16)
/* the reaper's tick, and how often its closings are logged */
#define REAPER_TICK_MS 100
#define REAPER_LOG_MS  10000
/*
 * Give freed heap back to the system once this many connections closed
 * since the last time (at most once a second), or any number after 5 s.
 */
#define TRIM_AFTER_CLOSED 128
#define TRIM_MIN_MS	  1000
#define TRIM_TAIL_MS	  5000

#define PRIO_TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PRIO_TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct server_conn {
	struct server_conn *prev, *next;
	struct server_conn_list *on; /* fresh, idle or NULL (busy or evicted) */
	int fd;
	bool evicted;
	uint64_t since_ms;	  /* accepted (fresh), or last request done (idle) */
	struct tlsstore_hold tls; /* the certificate pair its handshake was served */
};

struct request {
	struct buf body;
	bool too_big;
	bool busy;	/* the server-wide body budget was exhausted */
	size_t counted; /* bytes of this body's storage charged to the budget */
	struct timespec start;
};

static uint64_t elapsed_us(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - start->tv_sec) * 1000000u +
	       (uint64_t)((now.tv_nsec - start->tv_nsec) / 1000);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The tracker's lists; all under s->lock. */
static void conn_link(struct server_conn_list *l, struct server_conn *c, uint64_t now)
{
	c->since_ms = now;
	c->on = l;
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

static void conn_unlink(struct server_conn *c)
{
	struct server_conn_list *l = c->on;

	if (!l)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->on = NULL;
}

/* Closes c: its event loop sees end-of-file and frees it. Under s->lock. */
static void conn_evict(struct server_conn *c)
{
	conn_unlink(c);
	c->evicted = true;
	(void)shutdown(c->fd, SHUT_RDWR);
}

/*
 * The new connection to close at the limit: of the EVICT_SCAN oldest, the
 * one silent the longest (the kernel's time since its last received byte).
 * A silent socket or a stalled half ClientHello has been quiet since it came;
 * a real client in the middle of its handshake, or whose bytes an event loop
 * has not read yet, spoke milliseconds ago. So a client is closed only if it
 * is among the oldest and quieter than the flood. Under s->lock.
 */
#define EVICT_SCAN 16

static uint32_t silent_ms(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || len < sizeof(ti))
		return UINT32_MAX;
	return ti.tcpi_last_data_recv;
}

static struct server_conn *evict_candidate(struct server *s, struct server_conn *except)
{
	struct server_conn *c = s->fresh.head, *best = NULL;
	uint32_t best_ms = 0;
	unsigned i;

	for (i = 0; c && i < EVICT_SCAN; c = c->next, i++) {
		uint32_t ms;

		if (c == except)
			continue;
		ms = silent_ms(c->fd);
		if (!best || ms > best_ms) {
			best = c;
			best_ms = ms;
		}
	}
	return best ? best : s->idle.head;
}

/*
 * The lobby hands a connection over: its accept time is kept until
 * libmicrohttpd notifies the connection on an event loop, so the header
 * deadline counts from the accept. A slot whose connection libmicrohttpd
 * dropped unannounced is overwritten when the ring comes round, or when
 * its descriptor is accepted again.
 */
static void handoff_put(struct server *s, int fd, uint64_t ms)
{
	unsigned i;

	for (i = 0; i < SERVER_HANDOFFS; i++)
		if (s->handoff[i].fd == fd)
			s->handoff[i].fd = -1;
	s->handoff[s->handoff_next].fd = fd;
	s->handoff[s->handoff_next].accepted_ms = ms;
	s->handoff_next = (s->handoff_next + 1) % SERVER_HANDOFFS;
}

static bool handoff_take(struct server *s, int fd, uint64_t *ms)
{
	unsigned i;

	for (i = 0; i < SERVER_HANDOFFS; i++)
		if (s->handoff[i].fd == fd) {
			s->handoff[i].fd = -1;
			*ms = s->handoff[i].accepted_ms;
			return true;
		}
	return false;
}

static void lobby_handoff(void *cls, int fd, uint64_t accepted_ms)
{
	struct server *s = cls;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint64_t unused;
	int one = 1;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		close(fd);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&s->lock);
	handoff_put(s, fd, accepted_ms);
	pthread_mutex_unlock(&s->lock);
	/* on failure libmicrohttpd has closed fd */
	if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&ss, sl) != MHD_YES) {
		pthread_mutex_lock(&s->lock);
		(void)handoff_take(s, fd, &unused);
		s->refused++;
		pthread_mutex_unlock(&s->lock);
	}
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	struct server_conn *c = *socket_context;
	uint64_t accepted;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ti;

		if (!ci)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			/* untracked, it could never be evicted: refuse it */
			(void)shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		c->fd = ci->connect_fd;
		ti = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ti && ti->tls_session)
			tlsstore_hold(ti->tls_session, &c->tls);
		pthread_mutex_lock(&s->lock);
		s->open++;
		if (!handoff_take(s, c->fd, &accepted))
			accepted = now_ms();
		conn_link(&s->fresh, c, accepted);
		if (s->open > s->o.max_connections) {
			struct server_conn *victim = evict_candidate(s, c);

			if (victim) {
				conn_evict(victim);
				s->evicted_limit++;
			}
		}
		pthread_mutex_unlock(&s->lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	conn_unlink(c);
	s->open--;
	s->closed_since_trim++;
	pthread_mutex_unlock(&s->lock);
	/* libmicrohttpd has freed the session by now */
	tlsstore_hold_release(&c->tls);
	free(c);
	*socket_context = NULL;
}

static struct server_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A request's headers are in: the connection is busy, off the lists. */
static void conn_busy(struct server *s, struct MHD_Connection *conn)
{
	struct server_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	conn_unlink(c);
	pthread_mutex_unlock(&s->lock);
}

/* A request is done: the connection waits for the next one, kept alive. */
static void conn_idle(struct server *s, struct MHD_Connection *conn)
{
	struct server_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	if (!c->on && !c->evicted)
		conn_link(&s->idle, c, now_ms());
	pthread_mutex_unlock(&s->lock);
}

static void *reaper_main(void *arg)
{
	struct server *s = arg;
	uint64_t last_log = now_ms(), last_trim = last_log;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		uint64_t now = now_ms();
		struct timespec until;
		unsigned long lim = 0, dl = 0, ldl = 0, lfull = 0;
		bool trim = false;
		struct lobby_counts lc;

		while (s->fresh.head && now - s->fresh.head->since_ms >= s->o.header_timeout_ms) {
			conn_evict(s->fresh.head);
			s->evicted_deadline++;
		}
		if (now - last_log >= REAPER_LOG_MS) {
			lobby_counts(s->lobby, &lc);
			lim = s->evicted_limit - s->logged_limit;
			dl = s->evicted_deadline - s->logged_deadline;
			ldl = lc.closed_deadline - s->logged_lobby_deadline;
			lfull = lc.closed_full - s->logged_lobby_full;
			s->logged_limit = s->evicted_limit;
			s->logged_deadline = s->evicted_deadline;
			s->logged_lobby_deadline = lc.closed_deadline;
			s->logged_lobby_full = lc.closed_full;
			s->closed_since_trim += ldl + lfull;
			last_log = now;
		}
		if ((s->closed_since_trim >= TRIM_AFTER_CLOSED && now - last_trim >= TRIM_MIN_MS) ||
		    (s->closed_since_trim > 0 && now - last_trim >= TRIM_TAIL_MS)) {
			s->closed_since_trim = 0;
			last_trim = now;
			trim = true;
		}
		pthread_mutex_unlock(&s->lock);
		if (lim || dl || ldl || lfull)
			log_warn("in the last %d s, closed %lu connections that sent no complete "
				 "TLS ClientHello and %lu that sent no request headers within "
				 "-header-timeout (%u ms), %lu of the oldest without a ClientHello "
				 "to keep at most %u waiting, and %lu to stay within "
				 "-max-connections (%u): a flood of connections, or clients too "
				 "slow (see docs/webhook.md, \"Connections\")",
				 REAPER_LOG_MS / 1000, ldl, dl, s->o.header_timeout_ms, lfull,
				 s->max_waiting, lim, s->o.max_connections);
		if (trim)
			(void)malloc_trim(0);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += REAPER_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->lock);
		if (!s->stopping)
			(void)pthread_cond_timedwait(&s->wake, &s->lock, &until);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static enum MHD_Result respond(struct server *s, struct MHD_Connection *conn, unsigned code,
			       const char *content_type, void *body, size_t len, bool must_free,
			       const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(
	    len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (must_free)
			free(body);
		log_error("MHD_create_response_from_buffer failed");
		return MHD_NO;
	}
	if (content_type)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (allow)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (atomic_load(&s->draining))
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	metrics_http(s->o.metrics, code);
	return ret;
}

static enum MHD_Result respond_text(struct server *s, struct MHD_Connection *conn, unsigned code,
				    const char *text, const char *allow)
{
	return respond(s, conn, code, "text/plain; charset=utf-8", (void *)text, strlen(text),
		       false, allow);
}

/* application/json, any case, optionally followed by blanks and ";parameters" */
static bool is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static bool is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	       strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static enum MHD_Result serve_metrics(struct server *s, struct MHD_Connection *conn)
{
	struct buf out;
	char *body;
	size_t len = 0;

	buf_init(&out, 4 * 1024 * 1024);
	if (metrics_render(s->o.metrics, &out) < 0) {
		buf_done(&out);
		return respond_text(s, conn, 500, "cannot render the metrics\n", NULL);
	}
	body = buf_take(&out, &len);
	buf_done(&out);
	if (!body)
		return respond_text(s, conn, 500, "out of memory\n", NULL);
	return respond(s, conn, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, true,
		       NULL);
}

/*
 * Charges the storage rq->body needs for n more bytes to the body budget and
 * makes it, growing the way buf_reserve does (so what is charged is what is
 * allocated). false, with nothing held, when the budget or memory is short.
 */
static bool body_room(struct server *s, struct request *rq, size_t n)
{
	struct buf *b = &rq->body;
	size_t need, cap;

	if (n > b->max || b->len > b->max - n)
		return true; /* over the cap: buf_append says so, and the 413 follows */
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap == 0 ? 64 : b->cap * 2;
	if (cap < need)
		cap = need;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if (atomic_fetch_add(&s->buffered, cap - rq->counted) + (cap - rq->counted) >
	    s->o.body_budget) {
		atomic_fetch_sub(&s->buffered, cap - rq->counted);
		return false;
	}
	if (buf_reserve(b, cap - 1 - b->len) < 0) {
		atomic_fetch_sub(&s->buffered, cap - rq->counted);
		return false;
	}
	rq->counted = cap;
	return true;
}

static enum MHD_Result first_call(struct server *s, struct MHD_Connection *conn, const char *url,
				  const char *method, void **con_cls)
{
	const char *ct, *cl;
	struct request *rq;
	bool too_big = false;

	if (strcmp(url, "/mutate") != 0) {
		bool metrics = strcmp(url, "/metrics") == 0 ||
			       (s->o.telemetry_path[0] && strcmp(url, s->o.telemetry_path) == 0);

		if (strcmp(url, "/health/ready") != 0 && strcmp(url, "/healthz") != 0 && !metrics)
			return respond_text(s, conn, 404, "not found\n", NULL);
		if (!is_get(method))
			return respond_text(s, conn, 405, "method not allowed (use GET)\n",
					    "GET, HEAD");
		if (metrics)
			return serve_metrics(s, conn);
		if (strcmp(url, "/healthz") == 0)
			return respond_text(s, conn, 200, "ok\n", NULL);
		if (atomic_load(&s->draining))
			return respond_text(s, conn, 503, "shutting down\n", NULL);
		return respond(s, conn, 204, NULL, (void *)"", 0, false, NULL);
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		log_warn("POST /mutate expected, got %.16s", method);
		return respond_text(s, conn, 405, "method not allowed (use POST)\n", "POST");
	}
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!is_json(ct)) {
		log_warn("unsupported content type on /mutate: %.64s", ct ? ct : "(none)");
		return respond_text(s, conn, 415,
				    "unsupported content-type (use application/json)\n", NULL);
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end = NULL;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		/*
		 * Answering now closes the connection with the body unread, and
		 * the client's TCP stack may then drop the answer on the reset
		 * that follows. A body up to SERVER_DRAIN_FACTOR x the cap is read
		 * and dropped instead, so its 413 arrives whole; a bigger one is
		 * cut short.
		 */
		if (errno == ERANGE || n > s->o.max_body * SERVER_DRAIN_FACTOR) {
			log_warn("request body of %.24s bytes refused (cap %zu)", cl,
				 s->o.max_body);
			return respond_text(s, conn, 413, "request body too large\n", NULL);
		}
		too_big = n > s->o.max_body;
	}
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return respond_text(s, conn, 500, "out of memory\n", NULL);
	rq->too_big = too_big;
	buf_init(&rq->body, s->o.max_body);
	/* an announced body is charged, and its storage made, before it is read */
	if (cl && !too_big && !body_room(s, rq, (size_t)strtoull(cl, NULL, 10)))
		rq->busy = true;
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	metrics_request_start(s->o.metrics);
	*con_cls = rq;
	return MHD_YES;
}

static enum MHD_Result final_call(struct server *s, struct MHD_Connection *conn, struct request *rq)
{
	struct review_result res;
	struct arena a;
	enum MHD_Result ret;
	enum log_level level;
	int r;

	if (rq->too_big) {
		log_warn("request body over %zu bytes refused", s->o.max_body);
		return respond_text(s, conn, 413, "request body too large\n", NULL);
	}
	if (rq->busy) {
		log_warn("request refused: the bodies being received already hold the %zu bytes "
			 "set aside for them (a quarter of -webhook-memory-limit)",
			 s->o.body_budget);
		return respond_text(s, conn, 503, "server busy: retry\n", NULL);
	}
	arena_init_capped(&a, VL_MIN((size_t)REVIEW_ARENA_MAX, s->o.review_budget),
			  &s->review_memory);
	r = review_handle(s->o.defaults, buf_str(&rq->body), rq->body.len, &a, &res);
	buf_done(&rq->body);
	if (r < 0) {
		arena_done(&a);
		log_error("review failed: %s", strerror(-r));
		return respond_text(s, conn, 500, "internal error\n", NULL);
	}
	metrics_review(s->o.metrics, res.decision, res.namespace_, res.injected_init,
		       res.injected_sidecar);
	level = res.decision == REVIEW_DENIED || res.decision == REVIEW_BAD_REQUEST ? LOG_WARN
										    : LOG_INFO;
	log_emit(level,
		 LOG_FIELDS(LOG_STR("namespace", res.namespace_), LOG_STR("pod", res.pod),
			    LOG_STR("uid", res.uid),
			    LOG_STR("decision", review_decision_name(res.decision)),
			    LOG_STR("reason", res.reason), LOG_INT("warnings", res.nwarnings),
			    LOG_STR("dry_run", res.dry_run ? "true" : "false"),
			    LOG_INT("duration_us", elapsed_us(&rq->start))),
		 "admission review");
	ret = respond(s, conn, (unsigned)res.http_status,
		      res.http_status == 200 ? "application/json" : "text/plain; charset=utf-8",
		      res.body, res.body_len, true, NULL);
	arena_done(&a);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	(void)version;
	if (!rq) {
		conn_busy(s, conn);
		return first_call(s, conn, url, method, con_cls);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (rq->too_big || rq->busy)
			return MHD_YES; /* swallowed; answered on the final call */
		/* many slow, large bodies at once must not exhaust memory */
		if (!body_room(s, rq, n))
			rq->busy = true;
		else if (buf_append(&rq->body, upload_data, n) < 0)
			rq->too_big = true;
		if (rq->too_big || rq->busy) {
			atomic_fetch_sub(&s->buffered, rq->counted);
			rq->counted = 0;
			buf_done(&rq->body);
		}
		return MHD_YES;
	}
	return final_call(s, conn, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conn_idle(s, conn);
	if (!rq)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug("request ended early (libmicrohttpd code %d)", (int)toe);
	metrics_request_end(s->o.metrics, elapsed_us(&rq->start) / 1000);
	atomic_fetch_sub(&s->buffered, rq->counted);
	buf_done(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) VL_PRINTF(2, 0);

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

/* Splits host:port, [v6]:port, :port. */
static int split_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	size_t hl;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - listen - 1);
		if (hl >= hostlen)
			return -EINVAL;
		memcpy(host, listen + 1, hl);
		host[hl] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - listen);
		if (hl >= hostlen)
			return -EINVAL;
		memcpy(host, listen, hl);
		host[hl] = '\0';
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen)
		return -EINVAL;
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

static int open_listener(const char *addr, int *ret_fd, unsigned *ret_port, struct buf *err)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, r, one = 1, zero = 0, gr;

	if (split_listen(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		buf_setf(err, "-listen \"%s\": expected host:port or :port", addr);
		return -EINVAL;
	}
	if (!host[0])
		hints.ai_family = AF_INET6; /* dual stack, like Go's ":8080" */
	gr = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (gr != 0 && !host[0]) {
		hints.ai_family = AF_INET;
		gr = getaddrinfo(NULL, port, &hints, &res);
	}
	if (gr != 0) {
		buf_setf(err, "-listen \"%s\": %s", addr, gai_strerror(gr));
		return -EINVAL;
	}
	r = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 511) == 0)
			break;
		r = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0 && !host[0] && hints.ai_family == AF_INET6) {
		/* no IPv6 in this network namespace: fall back to IPv4 */
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char *end = NULL;
		unsigned long p = strtoul(port, &end, 10);

		if (*end == '\0' && p <= 65535) {
			sin.sin_port = htons((uint16_t)p);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd >= 0) {
				(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
				if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
				    listen(fd, 511) != 0) {
					r = -errno;
					close(fd);
					fd = -1;
				}
			}
		}
	}
	if (fd < 0) {
		buf_setf(err, "cannot listen on %s: %s", addr, strerror(-r));
		return r;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = -errno;
		close(fd);
		buf_setf(err, "getsockname: %s", strerror(-r));
		return r;
	}
	*ret_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*ret_fd = fd;
	return 0;
}

static unsigned server_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < SERVER_THREADS_MIN)
		return SERVER_THREADS_MIN;
	return n > SERVER_THREADS_MAX ? SERVER_THREADS_MAX : (unsigned)n;
}

/*
 * How many connections may wait for their ClientHello: LOBBY_PER_CONNECTION
 * per -max-connections, within the open-files limit (raised to its hard
 * limit first, as Go's runtime does) less what the daemon may hold.
 */
#define LOBBY_PER_CONNECTION 16
#define FDS_RESERVED	     64

static unsigned lobby_capacity(const struct server_opts *o)
{
	struct rlimit rl;
	unsigned long want = (unsigned long)o->max_connections * LOBBY_PER_CONNECTION;
	unsigned long held = (unsigned long)o->max_connections +
			     SERVER_LIMIT_SLACK(o->max_connections) + FDS_RESERVED;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + held)
			want = rl.rlim_cur > held + 16 ? rl.rlim_cur - held : 16;
	}
	if (want > 1u << 20)
		want = 1u << 20;
	return (unsigned)want;
}

static struct MHD_Daemon *start_daemon(struct server *s)
{
	const struct server_opts *o = &s->o;

	/*
	 * A pool of epoll loops with no listening socket: the lobby accepts
	 * and hands each connection over once its ClientHello is in, and
	 * libmicrohttpd gives it to a loop by its descriptor's number. Its
	 * own timeout is the kept-alive idle timeout; the header deadline and
	 * the eviction at the limit are the tracker's (see DESIGN).
	 */
	return MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_USE_ITC |
		MHD_USE_NO_LISTEN_SOCKET,
	    0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, server_threads(), MHD_OPTION_CONNECTION_LIMIT,
	    o->max_connections + SERVER_LIMIT_SLACK(o->max_connections),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u, MHD_OPTION_CONNECTION_TIMEOUT,
	    o->connection_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s, MHD_OPTION_HTTPS_PRIORITIES,
	    o->tls13_only ? PRIO_TLS13 : PRIO_TLS12, MHD_OPTION_HTTPS_CERT_CALLBACK2,
	    tlsstore_retrieve, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONNECTION_MEMORY,
	    MHD_OPTION_END);
}

int server_start(struct server *s, const struct server_opts *o, struct buf *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->fd = -1;
	for (unsigned i = 0; i < SERVER_HANDOFFS; i++)
		s->handoff[i].fd = -1;
	atomic_init(&s->draining, false);
	atomic_init(&s->buffered, 0);
	atomic_init(&s->review_memory.used, 0);
	s->review_memory.max = o->review_budget;
	if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) != MHD_YES) {
		buf_setf(err, "this libmicrohttpd lacks MHD_OPTION_HTTPS_CERT_CALLBACK2");
		return -ENOTSUP;
	}
	r = pthread_mutex_init(&s->lock, NULL);
	if (r != 0) {
		buf_setf(err, "pthread_mutex_init: %s", strerror(r));
		return -r;
	}
	s->lock_ok = true;
	r = pthread_cond_init(&s->wake, NULL);
	if (r != 0) {
		buf_setf(err, "pthread_cond_init: %s", strerror(r));
		server_stop(s);
		return -r;
	}
	s->wake_ok = true;
	r = open_listener(o->listen, &s->fd, &s->port, err);
	if (r < 0) {
		server_stop(s);
		return r;
	}
	s->daemon = start_daemon(s);
	if (!s->daemon) {
		buf_setf(err, "MHD_start_daemon failed (see the libmicrohttpd messages at "
			      "-log-level debug)");
		close(s->fd);
		s->fd = -1;
		server_stop(s);
		return -EIO;
	}
	s->max_waiting = lobby_capacity(o);
	{
		struct lobby_opts lo = { .listen_fd = s->fd,
					 .max_waiting = s->max_waiting,
					 .deadline_ms = o->header_timeout_ms,
					 .handoff = lobby_handoff,
					 .cls = s };

		r = lobby_start(&s->lobby, &lo, err);
		if (r < 0) {
			server_stop(s);
			return r;
		}
	}
	r = pthread_create(&s->reaper, NULL, reaper_main, s);
	if (r != 0) {
		buf_setf(err, "pthread_create: %s", strerror(r));
		server_stop(s);
		return -r;
	}
	s->reaper_started = true;
	log_info("listening on %s (port %u, %u event loops, at most %u connections, "
		 "and %u waiting for a ClientHello, %u ms for a new connection's handshake and "
		 "request headers, %u s idle; %zu bytes for request bodies and %zu for reviews)",
		 o->listen, s->port, server_threads(), o->max_connections, s->max_waiting,
		 o->header_timeout_ms, o->connection_timeout_s, o->body_budget, o->review_budget);
	return 0;
}

void server_begin_drain(struct server *s)
{
	atomic_store(&s->draining, true);
	atomic_store(&s->o.metrics->ready, false);
}

void server_quiesce(struct server *s)
{
	if (!s->lobby || s->fd < 0)
		return;
	lobby_stop_accepting(s->lobby);
	/*
	 * A socket nobody accepts from still listens: the kernel would keep
	 * queuing connections. Shutting it down makes new connections fail at
	 * once (the fd itself is closed in server_stop). The connections the
	 * lobby holds still get their answers.
	 */
	if (shutdown(s->fd, SHUT_RDWR) < 0)
		log_warn("shutdown(listening socket): %s", strerror(errno));
}

long server_inflight(struct server *s)
{
	return atomic_load(&s->o.metrics->queue); /* the stock queue-length gauge */
}

void server_stop(struct server *s)
{
	/* first: it hands connections to the daemon */
	lobby_stop(s->lobby);
	s->lobby = NULL;
	if (s->reaper_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->reaper, NULL);
		s->reaper_started = false;
	}
	if (s->daemon) {
		/* every connection's close is notified: the tracker ends empty */
		MHD_stop_daemon(s->daemon);
		s->daemon = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->wake_ok)
		pthread_cond_destroy(&s->wake);
	s->wake_ok = false;
	if (s->lock_ok)
		pthread_mutex_destroy(&s->lock);
	s->lock_ok = false;
}
