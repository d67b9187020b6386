/* SPDX-License-Identifier: MIT */
/*
 * review: the functional core of the webhook. AdmissionReview bytes in,
 * HTTP status + response bytes out, plus what the log line and the metrics
 * need. No sockets, no files, no clock: `serve` (POST /mutate), `mutate`
 * and the fuzzer all call review_handle() and nothing else.
 *
 * Accepted: admission.k8s.io/v1 and v1beta1 AdmissionReviews (answered in
 * the same version), parsed strictly (duplicate keys refused). A body that
 * is not JSON, not an object, or has no `request` object is HTTP 400 with a
 * one-line reason. Otherwise the answer is HTTP 200 with an AdmissionReview
 * response echoing request.uid:
 *   - allowed, no patch, when there is nothing to do (no or false
 *     agent-inject, status "injected", phase past Pending, not a pod
 *     CREATE);
 *   - allowed + JSONPatch (+ warnings) when the agent is injected;
 *   - allowed:false with a message when the pod asks for injection in a way
 *     that cannot work (bad annotation values, system namespace, ...).
 * The namespace is request.namespace (a Deployment's pods have none in
 * metadata). dryRun changes nothing: the webhook has no side effects.
 */
#ifndef VAULTLET_WEBHOOK_REVIEW_H
#define VAULTLET_WEBHOOK_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "agentspec.h"
#include "arena.h"

/* Largest response body (a patch holds two configs of at most 128 KiB each). */
#define REVIEW_RESPONSE_MAX (4 * 1024 * 1024)
/*
 * The cap for the arena of one review served over HTTP (its parsed tree and
 * everything built from it). The seed's 3 KiB review takes 48 KiB; a
 * review of nested empty objects can take 70 times its size.
 */
#define REVIEW_ARENA_MAX (16u * 1024 * 1024)

enum review_decision {
	REVIEW_BAD_REQUEST, /* HTTP 400 (503 when the server is out of room) */
	REVIEW_SKIPPED,	    /* allowed, nothing injected */
	REVIEW_INJECTED,    /* allowed with a patch */
	REVIEW_DENIED,	    /* allowed:false */
};
#define REVIEW_NDECISIONS (REVIEW_DENIED + 1)

struct review_result {
	int http_status;
	char *body; /* malloc'ed (free()); JSON for 200, one text line for 400 */
	size_t body_len;
	enum review_decision decision;
	/* for the log line; arena strings, never NULL */
	const char *reason;
	const char *namespace_;
	const char *pod; /* metadata.name, else generateName */
	const char *uid;
	bool dry_run;
	bool injected_init, injected_sidecar;
	size_t nwarnings;
	/* the reason of a plain (non-200) answer, copied: the arena may be full */
	char reason_buf[192];
};

/*
 * Handles one review. Returns 0 with *ret filled (release ret->body with
 * free()), or -ENOMEM. Strings in *ret live in the arena.
 */
/* Whether ns is a Kubernetes namespace name: a DNS-1123 label of at most 63 bytes. */
bool review_namespace_ok(const char *ns);

int review_handle(const struct inject_defaults *d, const char *body, size_t len, struct arena *a,
		  struct review_result *ret);

const char *review_decision_name(enum review_decision d);

#endif
