/* SPDX-License-Identifier: MIT */
/*
 * agent: the run loop of vaultlet-agent, init or sidecar (exit_after_auth).
 *
 * One thread. The loop logs in (Kubernetes auth with backoff), keeps the
 * token alive (lifetime watcher schedule), fetches each secret a template
 * needs once per pass, renders every template and writes a file only when
 * its bytes change, then sleeps on the signalfd until the next timer: the
 * token renewal, a secret's refresh or retry, or the next login attempt.
 * It never polls.
 *
 * Exit codes (agent_run's return value, also documented in docs/agent.md):
 *   0  init: every template rendered; sidecar: stopped by SIGTERM/SIGINT
 *   1  gave up: a secret could not be fetched after the retries, a template
 *      failed (exit_on_retry_failure), or login failed with exit_on_err; or
 *      init was stopped by a signal before every template rendered
 *   2  bad configuration or a template that does not parse
 */
#ifndef VAULTLET_AGENT_AGENT_H
#define VAULTLET_AGENT_AGENT_H

#include "config.h"

#define AGENT_EXIT_OK	  0
#define AGENT_EXIT_FAILED 1
#define AGENT_EXIT_CONFIG 2

struct agent_opts {
	struct acfg *cfg;
	int signal_fd; /* signalfd for SIGTERM, SIGINT, SIGHUP (blocked by the caller) */
	int64_t http_timeout_ns;
	int http_retries; /* HTTP-client retries for reads (VAULT_MAX_RETRIES; default 2) */
};

int agent_run(const struct agent_opts *o);

#endif
