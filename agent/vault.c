/* SPDX-License-Identifier: MIT */
/*
 * vault: HTTP client to Vault over libcurl + OpenSSL (see vault.h).
 *
 * DESIGN
 * ------
 * One easy handle, configured once (TLS, timeouts, protocols, callbacks),
 * is added to a private multi handle for each request and removed after;
 * the multi handle's connection cache keeps the TLS connection open between
 * requests (keep-alive), so a sidecar that re-reads a secret every few
 * minutes pays one handshake, not one per request. Driving the transfer
 * through curl_multi_poll() lets us watch one more fd, the caller's
 * signalfd, so a SIGTERM interrupts a transfer at once.
 *
 * Per-request state (method, headers, body) is set before each transfer.
 * The header list carries the token: its strings are wiped before the list
 * is freed. Response bodies land in a sensitive buffer, wiped when done.
 *
 * tls_server_name is implemented with CURLOPT_CONNECT_TO: the URL names
 * the server name (so SNI and certificate verification use it) while the
 * TCP connection goes to the configured address.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "sched.h"
#include "vault.h"
#include "vaultlet-config.h"
#include "vresp.h"

#define URL_MAX 8192

struct vault {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *connect_to;
	char *base; /* scheme://host[:port] as the URL names it, no trailing '/' */
	char *namespace;
	int64_t retry_wait_max;
	int wake_fd;
	bool (*wake)(void *ctx);
	void *wake_ctx;
	char errbuf[CURL_ERROR_SIZE];
	struct buf *sink; /* response body of the transfer in progress */
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct vault *v = ctx;
	size_t len = size * n;

	if (buf_append(v->sink, p, len) < 0) {
		v->too_big = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return len;
}

void vault_resp_init(struct vault_resp *r)
{
	r->status = 0;
	buf_init_sensitive(&r->body, VAULT_RESP_MAX);
	r->retry_after_ns = -1;
	r->err[0] = '\0';
}

void vault_resp_done(struct vault_resp *r)
{
	buf_done(&r->body);
}

/*
 * Splits "scheme://host[:port][/...]" into its parts. host keeps IPv6
 * brackets. Returns false on anything else.
 */
static bool split_address(const char *a, char *scheme, size_t sn, char *host, size_t hn, char *port,
			  size_t pn)
{
	const char *sep = strstr(a, "://");
	const char *h, *end, *colon = NULL;

	if (!sep || (size_t)(sep - a) >= sn)
		return false;
	memcpy(scheme, a, (size_t)(sep - a));
	scheme[sep - a] = '\0';
	h = sep + 3;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end)
			return false;
		end++;
		if (*end == ':')
			colon = end;
	} else {
		end = h + strcspn(h, ":/?#");
		if (*end == ':')
			colon = end;
	}
	if (end == h || (size_t)(end - h) >= hn)
		return false;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	port[0] = '\0';
	if (colon) {
		size_t plen = strcspn(colon + 1, "/?#");

		if (plen == 0 || plen >= pn)
			return false;
		memcpy(port, colon + 1, plen);
		port[plen] = '\0';
		for (size_t i = 0; i < plen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return false;
		}
	}
	return true;
}

#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		CURLcode c_ = curl_easy_setopt(v->easy, opt, val);                                 \
		if (c_ != CURLE_OK) {                                                              \
			buf_setf(err, "curl_easy_setopt(%s): %s", #opt, curl_easy_strerror(c_));   \
			r = -EINVAL;                                                               \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

int vault_new(const struct vault_opts *o, struct vault **ret, struct buf *err)
{
	char scheme[16], host[512], port[16];
	struct buf base;
	struct vault *v;
	const char *proto;
	int r = -ENOMEM;

	buf_init(&base, URL_MAX);
	if (!o->address || !o->address[0]) {
		buf_setf(err,
			 "vault.address is not set (the vault.hashicorp.com/service annotation, or "
			 "VAULT_ADDR)");
		return -EINVAL;
	}
	if (!split_address(o->address, scheme, sizeof(scheme), host, sizeof(host), port,
			   sizeof(port)) ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
		buf_setf(err,
			 "vault.address \"%s\": expected https://host[:port] (or http:// to "
			 "disable TLS)",
			 o->address);
		return -EINVAL;
	}
	proto = strcmp(scheme, "https") == 0 ? "https" : "http";
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		buf_setf(err, "curl_global_init failed");
		return -ENOMEM;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	v->wake_fd = o->wake_fd;
	v->retry_wait_max = o->retry_wait_max_ns;
	v->wake = o->wake;
	v->wake_ctx = o->wake_ctx;
	v->multi = curl_multi_init();
	v->easy = curl_easy_init();
	if (!v->multi || !v->easy) {
		buf_setf(err, "curl_easy_init/curl_multi_init failed");
		goto fail;
	}
	if (o->namespace && o->namespace[0]) {
		v->namespace = strdup(o->namespace);
		if (!v->namespace)
			goto fail;
	}
	if (o->tls_server_name && o->tls_server_name[0] && strcmp(proto, "https") == 0) {
		const char *p = port[0] ? port : "443";
		struct buf ct;
		struct curl_slist *l;

		buf_init(&ct, URL_MAX);
		r = buf_appendf(&ct, "%s:%s:%s:%s", o->tls_server_name, p, host, p);
		if (r == 0)
			r = buf_appendf(&base, "https://%s:%s", o->tls_server_name, p);
		if (r < 0) {
			buf_done(&ct);
			goto fail;
		}
		l = curl_slist_append(NULL, buf_str(&ct));
		buf_done(&ct);
		if (!l) {
			r = -ENOMEM;
			goto fail;
		}
		v->connect_to = l;
	} else {
		r = buf_appendf(&base, "%s://%s%s%s", proto, host, port[0] ? ":" : "", port);
		if (r < 0)
			goto fail;
	}
	v->base = buf_take(&base, NULL);
	if (!v->base) {
		r = -ENOMEM;
		goto fail;
	}

	SETOPT(CURLOPT_ERRORBUFFER, v->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, proto);
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, proto);
	/* A standby answers 307 to the active node; follow a few. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(CURLOPT_MAXREDIRS, 3L);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, v);
	SETOPT(CURLOPT_USERAGENT, "vaultlet-agent/" VAULTLET_VERSION);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	SETOPT(CURLOPT_TIMEOUT_MS,
	       (long)((o->timeout_ns > 0 ? o->timeout_ns : VAULT_TIMEOUT_DFLT) / SCHED_MS));
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	if (v->connect_to)
		SETOPT(CURLOPT_CONNECT_TO, v->connect_to);
	if (strcmp(proto, "https") == 0) {
		if (o->ca_cert_bytes && o->ca_cert_bytes[0]) {
			struct curl_blob pem = { .data = (void *)o->ca_cert_bytes,
						 .len = strlen(o->ca_cert_bytes),
						 .flags = CURL_BLOB_COPY };

			SETOPT(CURLOPT_CAINFO_BLOB, &pem);
		} else {
			if (o->ca_cert && o->ca_cert[0])
				SETOPT(CURLOPT_CAINFO, o->ca_cert);
			if (o->ca_path && o->ca_path[0])
				SETOPT(CURLOPT_CAPATH, o->ca_path);
		}
		if (o->client_cert && o->client_cert[0])
			SETOPT(CURLOPT_SSLCERT, o->client_cert);
		if (o->client_key && o->client_key[0])
			SETOPT(CURLOPT_SSLKEY, o->client_key);
		if (o->tls_skip_verify) {
			SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
			SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
		}
		SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	}
	*ret = v;
	return 0;
fail:
	buf_done(&base);
	vault_free(v);
	return r;
}

void vault_free(struct vault *v)
{
	if (!v)
		return;
	if (v->easy)
		curl_easy_cleanup(v->easy);
	if (v->multi)
		curl_multi_cleanup(v->multi);
	curl_slist_free_all(v->connect_to);
	free(v->base);
	free(v->namespace);
	free(v);
	curl_global_cleanup();
}

static void slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static int map_curl_error(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
		return -EPROTO;
	case CURLE_WRITE_ERROR:
		return -E2BIG;
	default:
		return -EIO;
	}
}

/* One transfer, no retries. */
static int perform_once(struct vault *v, const char *method, const char *url,
			struct curl_slist *headers, const char *body, struct vault_resp *resp)
{
	CURLMcode mc;
	CURLcode res = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left, r = 0;
	long status = 0;
	curl_off_t ra = -1;

	buf_reset(&resp->body);
	resp->status = 0;
	resp->retry_after_ns = -1;
	resp->err[0] = '\0';
	v->errbuf[0] = '\0';
	v->sink = &resp->body;
	v->too_big = false;

	if (curl_easy_setopt(v->easy, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(v->easy, CURLOPT_HTTPHEADER, headers) != CURLE_OK)
		return -ENOMEM;
	if (strcmp(method, "GET") == 0) {
		if (curl_easy_setopt(v->easy, CURLOPT_HTTPGET, 1L) != CURLE_OK)
			return -ENOMEM;
	} else {
		if (curl_easy_setopt(v->easy, CURLOPT_POSTFIELDS, body ? body : "") != CURLE_OK ||
		    curl_easy_setopt(v->easy, CURLOPT_POSTFIELDSIZE,
				     (long)(body ? strlen(body) : 0)) != CURLE_OK)
			return -ENOMEM;
	}
	if (curl_easy_setopt(v->easy, CURLOPT_CUSTOMREQUEST,
			     strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0
				 ? NULL
				 : method) != CURLE_OK)
		return -ENOMEM;

	mc = curl_multi_add_handle(v->multi, v->easy);
	if (mc != CURLM_OK) {
		snprintf(resp->err, sizeof(resp->err), "curl_multi_add_handle: %s",
			 curl_multi_strerror(mc));
		return -EIO;
	}
	while (running) {
		struct curl_waitfd wfd = { .fd = v->wake_fd, .events = CURL_WAIT_POLLIN };
		int n = 0;

		mc = curl_multi_perform(v->multi, &running);
		if (mc != CURLM_OK) {
			snprintf(resp->err, sizeof(resp->err), "curl_multi_perform: %s",
				 curl_multi_strerror(mc));
			r = -EIO;
			goto out;
		}
		if (!running)
			break;
		mc = curl_multi_poll(v->multi, v->wake_fd >= 0 ? &wfd : NULL,
				     v->wake_fd >= 0 ? 1 : 0, 1000, &n);
		if (mc != CURLM_OK) {
			snprintf(resp->err, sizeof(resp->err), "curl_multi_poll: %s",
				 curl_multi_strerror(mc));
			r = -EIO;
			goto out;
		}
		if (v->wake_fd >= 0 && (wfd.revents & CURL_WAIT_POLLIN) && v->wake &&
		    v->wake(v->wake_ctx)) {
			snprintf(resp->err, sizeof(resp->err), "interrupted by a signal");
			r = -ECANCELED;
			goto out;
		}
	}
	while ((msg = curl_multi_info_read(v->multi, &left))) {
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == v->easy)
			res = msg->data.result;
	}
	if (res != CURLE_OK) {
		if (v->too_big)
			snprintf(resp->err, sizeof(resp->err), "response larger than %d bytes",
				 VAULT_RESP_MAX);
		else
			log_scrub_format(resp->err, sizeof(resp->err), "%s",
					 v->errbuf[0] ? v->errbuf : curl_easy_strerror(res));
		r = map_curl_error(res);
		goto out;
	}
	curl_easy_getinfo(v->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(v->easy, CURLINFO_RETRY_AFTER, &ra);
	resp->status = (int)status;
	/* libcurl reports 0 when there was no (valid) Retry-After header */
	resp->retry_after_ns = sched_retry_after_ns((int64_t)ra); /* capped, saturated */
	if (status >= 400) {
		struct buf e;

		buf_init(&e, VRESP_ERROR_MAX + 64);
		/*
		 * Vault's text may quote a path built from secret data: scrubbed,
		 * then cut. vresp_errors cut it at VRESP_ERROR_MAX when it was
		 * longer, so a secret's first bytes at its end are hidden too.
		 */
		if (vresp_errors(resp->body.data, resp->body.len, &e) == 0)
			log_scrub_copy(resp->err, sizeof(resp->err), buf_str(&e), e.len,
				       e.len >= VRESP_ERROR_MAX);
		buf_done(&e);
	}
out:
	curl_multi_remove_handle(v->multi, v->easy);
	v->sink = NULL;
	return r;
}

/*
 * Appends "name: value" (value NULL: "name:", which removes a header curl
 * would add) to *list, formatted in h (sensitive: it may hold the token)
 * and wiped at once. 0 or -ENOMEM.
 */
static int add_header(struct curl_slist **list, struct buf *h, const char *name, const char *value)
{
	struct curl_slist *l;

	buf_reset(h);
	if (buf_appendf(h, "%s:", name) < 0 || (value && buf_appendf(h, " %s", value) < 0))
		return -ENOMEM;
	l = curl_slist_append(*list, buf_str(h));
	buf_reset(h);
	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

int vault_request(struct vault *v, const char *method, const char *path, const char *token,
		  const char *body, unsigned retries, struct vault_resp *resp)
{
	struct curl_slist *headers = NULL;
	struct buf url, h;
	int r = -ENOMEM;

	buf_init(&url, URL_MAX);
	buf_init_sensitive(&h, 8192);
	if (buf_appendf(&url, "%s/v1/%s", v->base, path) < 0)
		goto out;
	/* curl adds "Expect: 100-continue" for large bodies; Vault does not need it. */
	if (add_header(&headers, &h, "X-Vault-Request", "true") < 0 ||
	    (token && add_header(&headers, &h, "X-Vault-Token", token) < 0) ||
	    (v->namespace && strncmp(path, "sys/health", 10) != 0 &&
	     add_header(&headers, &h, "X-Vault-Namespace", v->namespace) < 0) ||
	    (body && add_header(&headers, &h, "Content-Type", "application/json") < 0) ||
	    add_header(&headers, &h, "Expect", NULL) < 0)
		goto out;

	for (unsigned attempt = 0;; attempt++) {
		r = perform_once(v, method, buf_str(&url), headers, body, resp);
		/* a certificate that does not verify will not verify in a second either */
		if (r == -ECANCELED || r == -E2BIG || r == -ENOMEM || r == -EPROTO)
			break;
		if (r == 0 && !vresp_http_retryable(resp->status))
			break;
		if (attempt >= retries)
			break;
		{
			int64_t wait =
			    sched_http_retry_wait(attempt, resp->status, resp->retry_after_ns,
						  v->retry_wait_max, sched_random());
			int s = vault_sleep(v, wait);

			if (s < 0) {
				r = s;
				break;
			}
		}
	}
out:
	slist_wipe_free(headers);
	buf_done(&h);
	buf_done(&url);
	return r;
}

int vault_sleep(struct vault *v, int64_t ns)
{
	int64_t deadline = sched_now() + (ns > 0 ? ns : 0);

	for (;;) {
		int64_t left = deadline - sched_now();
		struct pollfd pfd = { .fd = v->wake_fd, .events = POLLIN };
		int timeout, n;

		if (left <= 0)
			return 0;
		timeout =
		    left / SCHED_MS > 3600000 ? 3600000 : (int)((left + SCHED_MS - 1) / SCHED_MS);
		n = poll(v->wake_fd >= 0 ? &pfd : NULL, v->wake_fd >= 0 ? 1 : 0, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (pfd.revents & POLLIN) && v->wake && v->wake(v->wake_ctx))
			return -ECANCELED;
	}
}
