/* SPDX-License-Identifier: MIT */
/*
 * vault: the agent's HTTP client to Vault. One libcurl easy handle driven
 * through a multi handle, reused for every request so the TLS connection is
 * kept alive; TLS options from the config (ca_cert, ca_path, client cert,
 * tls_server_name, tls_skip_verify); https only unless the address says
 * http.
 *
 * Every request sends X-Vault-Request: true, X-Vault-Token when a token is
 * given, and X-Vault-Namespace when one is configured (never to
 * sys/health). Responses are capped at VAULT_RESP_MAX and held in a
 * sensitive buffer (they carry tokens and secrets).
 *
 * Waiting is interruptible: while a request is in flight, or while the
 * client sleeps between its own retries, the caller's wake fd (the
 * signalfd) is polled too; when it becomes readable the caller's wake
 * callback runs and, if it says so, the request is abandoned with
 * -ECANCELED. So SIGTERM never waits for a slow Vault.
 *
 * Single-threaded: one struct vault belongs to the main loop.
 */
#ifndef VAULTLET_AGENT_VAULT_H
#define VAULTLET_AGENT_VAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define VAULT_RESP_MAX	   (8 * 1024 * 1024)
#define VAULT_ERRTEXT_MAX  512
#define VAULT_TIMEOUT_DFLT (INT64_C(60) * 1000000000)

struct vault_opts {
	const char *address; /* https://vault:8200 */
	const char *ca_cert;
	const char *ca_path;
	const char *ca_cert_bytes; /* PEM; when set, used instead of ca_cert and ca_path */
	const char *client_cert;
	const char *client_key;
	const char *tls_server_name;
	bool tls_skip_verify;
	const char *namespace;
	int64_t timeout_ns; /* whole request; 0 = VAULT_TIMEOUT_DFLT */
	/* longest wait between two attempts of one request, except a
	 * Retry-After (sched_http_retry_wait's cap); 0 = none */
	int64_t retry_wait_max_ns;
	/* the wake fd and what to do when it is readable: true = abandon */
	int wake_fd;
	bool (*wake)(void *ctx);
	void *wake_ctx;
};

struct vault_resp {
	int status;		     /* HTTP status; 0 when no answer came */
	struct buf body;	     /* sensitive */
	int64_t retry_after_ns;	     /* Retry-After, -1 when absent */
	char err[VAULT_ERRTEXT_MAX]; /* transport error text or Vault's errors, one line */
};

struct vault;

/* -EINVAL with a message in err for a bad address or TLS option; -ENOMEM. */
int vault_new(const struct vault_opts *o, struct vault **ret, struct buf *err);
void vault_free(struct vault *v);

void vault_resp_init(struct vault_resp *r);
void vault_resp_done(struct vault_resp *r);

/*
 * One request to /v1/<path> (path already escaped, query included).
 * token and body may be NULL. The HTTP client itself retries network
 * errors and retryable statuses (412, 429, 5xx but 501) up to `retries`
 * more times, waiting (1–1.5 s)·attempt (at most about retry_wait_max_ns)
 * or the server's Retry-After.
 * Returns 0 when an answer came (any status: look at resp->status),
 * -EIO / -ETIMEDOUT / -ECONNREFUSED … when none did (resp->err says why),
 * -ECANCELED when the wake callback asked to stop.
 */
int vault_request(struct vault *v, const char *method, const char *path, const char *token,
		  const char *body, unsigned retries, struct vault_resp *resp);

/*
 * Sleeps until ns have passed or the wake callback asks to stop
 * (-ECANCELED). Uses the same wake fd.
 */
int vault_sleep(struct vault *v, int64_t ns);

#endif
