/* SPDX-License-Identifier: MIT */
/* lobby: connections waiting for a complete ClientHello (see lobby.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lobby.h"
#include "log.h"
#include "macros.h"

#define LOBBY_EVENTS	   256
#define LOBBY_ACCEPT_BATCH 64
#define LOBBY_TICK_MS	   100
/* a TLS record: type, version (2), length (2) */
#define TLS_HEADER     5
#define TLS_HANDSHAKE  0x16
#define TLS_RECORD_MAX (16384 + 2048)

struct waiter {
	struct waiter *prev, *next;
	uint64_t since_ms;
	int fd;
};

struct lobby {
	struct lobby_opts o;
	int ep, wake;
	pthread_t thread;
	atomic_bool stop, stop_accepting;
	/* the thread's own */
	bool listening;
	uint64_t paused_until; /* out of descriptors: accepting again then */
	struct waiter *head, *tail;
	unsigned n;
	atomic_ulong closed_deadline, closed_full, handed;
	atomic_uint waiting;
};

/* epoll markers for the two descriptors that are not waiters */
static char listen_marker, wake_marker;

uint64_t lobby_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void unlink_waiter(struct lobby *l, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		l->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		l->tail = w->prev;
	l->n--;
	atomic_store(&l->waiting, l->n);
}

static void close_waiter(struct lobby *l, struct waiter *w)
{
	unlink_waiter(l, w);
	close(w->fd); /* also leaves the epoll set */
	free(w);
}

static void hand_over(struct lobby *l, struct waiter *w)
{
	int fd = w->fd;
	uint64_t since = w->since_ms;

	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	unlink_waiter(l, w);
	free(w);
	atomic_fetch_add(&l->handed, 1);
	l->o.handoff(l->o.cls, fd, since);
}

/*
 * New bytes (or end-of-file) on w: hands it over once its first record is
 * all there, closes it if it can no longer get there.
 */
static void look_at(struct lobby *l, struct waiter *w, uint32_t events)
{
	unsigned char h[TLS_HEADER];
	ssize_t n = recv(w->fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	bool hup = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
	size_t len;
	int avail = 0;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		if (hup)
			close_waiter(l, w);
		return;
	}
	if (n <= 0) {
		close_waiter(l, w); /* end-of-file before a byte, or an error */
		return;
	}
	if (h[0] != TLS_HANDSHAKE) {
		hand_over(l, w); /* not TLS: libmicrohttpd answers it */
		return;
	}
	if (n < TLS_HEADER) {
		if (hup)
			close_waiter(l, w);
		return;
	}
	len = (size_t)h[3] << 8 | h[4];
	if (len > TLS_RECORD_MAX ||
	    (ioctl(w->fd, FIONREAD, &avail) == 0 && (size_t)avail >= TLS_HEADER + len)) {
		hand_over(l, w); /* complete, or GnuTLS refuses it anyway */
		return;
	}
	if (hup)
		close_waiter(l, w);
}

static void accept_some(struct lobby *l, uint64_t now)
{
	int i;

	for (i = 0; i < LOBBY_ACCEPT_BATCH; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
		struct waiter *w;
		int fd = accept4(l->o.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* make room; with none to close, wait a tick */
				if (l->head) {
					close_waiter(l, l->head);
					atomic_fetch_add(&l->closed_full, 1);
					continue;
				}
				log_warn("accept: %s: not accepting for %d ms (raise the "
					 "open-files limit, or lower -max-connections)",
					 strerror(errno), LOBBY_TICK_MS);
				(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->o.listen_fd, NULL);
				l->paused_until = now + LOBBY_TICK_MS;
				return;
			}
			/* shut down (quiesce) or broken: stop listening */
			(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->o.listen_fd, NULL);
			l->listening = false;
			return;
		}
		if (l->n >= l->o.max_waiting && l->head) {
			close_waiter(l, l->head);
			atomic_fetch_add(&l->closed_full, 1);
		}
		w = calloc(1, sizeof(*w));
		if (!w) {
			close(fd);
			continue;
		}
		w->fd = fd;
		w->since_ms = now;
		w->prev = l->tail;
		if (l->tail)
			l->tail->next = w;
		else
			l->head = w;
		l->tail = w;
		l->n++;
		atomic_store(&l->waiting, l->n);
		ev.data.ptr = w;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close_waiter(l, w);
			continue;
		}
		/* a real client's ClientHello is usually there already */
		look_at(l, w, 0);
	}
}

static void *lobby_main(void *arg)
{
	struct lobby *l = arg;
	struct epoll_event ev[LOBBY_EVENTS];

	while (!atomic_load(&l->stop)) {
		uint64_t now = lobby_now_ms();
		int timeout = LOBBY_TICK_MS, n, i;
		bool accept_now = false;

		if (l->head) {
			uint64_t due = l->head->since_ms + l->o.deadline_ms;

			timeout = due <= now ? 0 : (int)VL_MIN(due - now, (uint64_t)LOBBY_TICK_MS);
		}
		n = epoll_wait(l->ep, ev, LOBBY_EVENTS, timeout);
		now = lobby_now_ms();
		for (i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;

			if (p == &listen_marker) {
				accept_now = true;
			} else if (p == &wake_marker) {
				uint64_t v;

				(void)read(l->wake, &v, sizeof(v));
			} else {
				look_at(l, p, ev[i].events);
			}
		}
		/* after the events: a waiter closed here may be in ev[] */
		if (l->listening && atomic_load(&l->stop_accepting)) {
			(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->o.listen_fd, NULL);
			l->listening = false;
			accept_now = false;
		}
		if (l->listening && l->paused_until && now >= l->paused_until) {
			struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &listen_marker };

			l->paused_until = 0;
			if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->o.listen_fd, &lev) < 0)
				l->listening = false;
		}
		if (accept_now)
			accept_some(l, now);
		while (l->head && now - l->head->since_ms >= l->o.deadline_ms) {
			close_waiter(l, l->head);
			atomic_fetch_add(&l->closed_deadline, 1);
		}
	}
	while (l->head)
		close_waiter(l, l->head);
	return NULL;
}

int lobby_start(struct lobby **out, const struct lobby_opts *o, struct buf *err)
{
	struct lobby *l = calloc(1, sizeof(*l));
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &listen_marker };
	struct epoll_event wev = { .events = EPOLLIN, .data.ptr = &wake_marker };
	int r;

	*out = NULL;
	if (!l) {
		buf_setf(err, "out of memory");
		return -ENOMEM;
	}
	l->o = *o;
	if (l->o.max_waiting == 0)
		l->o.max_waiting = 1;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->ep < 0 || l->wake < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, o->listen_fd, &lev) < 0 ||
	    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &wev) < 0) {
		r = -errno;
		buf_setf(err, "cannot set up the connection lobby: %s", strerror(errno));
		goto fail;
	}
	l->listening = true;
	atomic_init(&l->stop, false);
	atomic_init(&l->stop_accepting, false);
	r = pthread_create(&l->thread, NULL, lobby_main, l);
	if (r != 0) {
		buf_setf(err, "pthread_create: %s", strerror(r));
		r = -r;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->ep >= 0)
		close(l->ep);
	if (l->wake >= 0)
		close(l->wake);
	free(l);
	return r;
}

static void poke(struct lobby *l)
{
	uint64_t one = 1;

	(void)write(l->wake, &one, sizeof(one));
}

void lobby_stop_accepting(struct lobby *l)
{
	if (!l)
		return;
	atomic_store(&l->stop_accepting, true);
	poke(l);
}

void lobby_counts(struct lobby *l, struct lobby_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (!l)
		return;
	c->closed_deadline = atomic_load(&l->closed_deadline);
	c->closed_full = atomic_load(&l->closed_full);
	c->handed = atomic_load(&l->handed);
	c->waiting = atomic_load(&l->waiting);
}

void lobby_stop(struct lobby *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, true);
	poke(l);
	pthread_join(l->thread, NULL);
	close(l->ep);
	close(l->wake);
	free(l);
}
