/* SPDX-License-Identifier: MIT */
/*
 * render: executes a parsed template (common/tmpl.h) over secrets held as
 * cJSON trees, byte for byte as Vault Agent (consul-template on Go's
 * text/template) would. Numbers must carry their literal text: build the
 * trees with vjson_parse() (vjson.h).
 *
 * The multi-pass model of Vault Agent: `secret "PATH"` asks the caller's
 * callback for the secret. A callback returning NULL means "not fetched
 * yet": `secret` then yields nil (a `with secret` block is skipped), the
 * path is recorded exactly as written (query included, duplicates once),
 * and render_exec() returns RENDER_INCOMPLETE with an empty output. The
 * caller fetches every path in res->missing and calls render_exec() again,
 * until it returns 0 (complete output: write it) or an error. A path that
 * depends on another secret just takes one more pass. Nothing may be written
 * while a pass is incomplete.
 *
 * The secret callback returns the WHOLE read response as Vault sends it
 * (the envelope: request_id, lease_id, lease_duration, renewable, data,
 * warnings, ...). The template sees consul-template's *Secret: .RequestID,
 * .LeaseID, .LeaseDuration, .Renewable, .Data (the response's `data`; for
 * KV v2 that is {"data":..., "metadata":...}), .Warnings, .Auth, .WrapInfo.
 * The tree must stay valid until render_exec() returns; it is not modified.
 *
 * An execution error is reported as such even when secrets were missing in
 * the same pass (Vault Agent fails the template too); res->missing then
 * holds what was recorded before the error. Error messages carry line:col
 * and never contain a secret value (values are not quoted, and any string
 * found in a secret is replaced by [redacted] should one slip in).
 *
 * Usage (one template, fetch loop):
 *
 *	struct render_opts o = { .secret = lookup, .secret_ctx = cache };
 *	struct render_result res;
 *	struct buf out;
 *	buf_init_sensitive(&out, RENDER_MAX_OUTPUT);
 *	for (int pass = 0; pass < 8; pass++) {
 *		r = render_exec(t, &o, &out, &res);
 *		if (r != RENDER_INCOMPLETE)
 *			break;
 *		for (size_t i = 0; i < res.nmissing; i++)
 *			fetch_into_cache(cache, res.missing[i]);
 *		render_result_done(&res);
 *	}
 *	if (r < 0) log_error("%d:%d: %s", res.err.line, res.err.col, res.err.msg);
 *	render_result_done(&res);
 *	buf_done(&out);
 *
 * Thread-safe for distinct outputs/results; the template may be shared.
 */
#ifndef VAULTLET_RENDER_H
#define VAULTLET_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "tmpl.h"

/* Caps (each exceeded cap is -E2BIG with a message naming it). */
#define RENDER_MAX_OUTPUT	    (4 * 1024 * 1024) /* bytes of rendered output */
#define RENDER_MAX_RANGE_ITERATIONS 1000000	      /* range iterations, whole execution */
#define RENDER_MAX_SECRETS	    64		      /* distinct secret paths in one template */
#define RENDER_MAX_EVAL_DEPTH	    256		      /* evaluation recursion (nesting) */
#define RENDER_MAX_VALUE	    (1024 * 1024)     /* one computed string value */

/* render_exec() result when secrets are missing (not an error). */
#define RENDER_INCOMPLETE 1

/* Returns the secret read response for path (as written), or NULL if not fetched yet. */
typedef const cJSON *(*render_secret_fn)(void *ctx, const char *path);

/*
 * `file PATH` is a dependency like `secret`: the path (trimmed, then
 * cleaned as Go's filepath.Clean) is recorded in res->used and, while the
 * callback has no content for it, in res->missing, each time as the byte
 * RENDER_FILE_KEY followed by the path; the pass is then incomplete and
 * `file` yields "" (consul-template's first pass). The callback returns
 * true with the file's bytes (valid until render_exec() returns), or false
 * when the file is not read yet. NULL: every file is missing.
 */
#define RENDER_FILE_KEY '\x1c'
typedef bool (*render_file_fn)(void *ctx, const char *path, const char **ret_data, size_t *ret_len);

/* consul-template's plugin timeout */
#define RENDER_PLUGIN_TIMEOUT_MS 30000

struct render_opts {
	/* missingkey=error: a missing map key is an error instead of <no value>. */
	bool error_on_missing_key;
	render_secret_fn secret; /* NULL: every secret is missing */
	void *secret_ctx;
	/*
	 * The environment seen by env/envOrDefault/mustEnv: "NAME=value"
	 * strings, NULL-terminated. NULL means the process environment.
	 */
	char *const *envp;
	size_t max_output; /* 0 means RENDER_MAX_OUTPUT */
	/* the template's destination file: pkiCert reads its certificate there */
	const char *destination;
	/* `file`: see render_file_fn */
	render_file_fn file;
	void *file_ctx;
	/*
	 * writeToFile and plugin act on the pod (write a file, run a process)
	 * only when this is set (the agent, `vaultlet-agent render`); otherwise
	 * they are an error that says so (fuzzers, the differential driver).
	 */
	bool pod_effects;
	int64_t plugin_timeout_ms; /* 0 means RENDER_PLUGIN_TIMEOUT_MS */
	/* timestamp's clock: false means the real time (CLOCK_REALTIME) */
	bool now_set;
	int64_t now_sec;
	long now_nsec;
};

struct render_result {
	char **missing; /* paths as written, in first-use order */
	size_t nmissing;
	char **used; /* every path `secret` was called with, in first-use order */
	size_t nused;
	struct tmpl_error err; /* on error */
};

/*
 * Executes t. Returns 0 (out holds the whole rendering), RENDER_INCOMPLETE
 * (out is empty; res->missing lists the paths to fetch), -EINVAL (template
 * execution error, res->err), -E2BIG (a cap, res->err), -ENOMEM. out is
 * reset first; on anything but 0 it is left empty. res is always
 * initialised and must be released with render_result_done().
 */
int render_exec(const struct tmpl *t, const struct render_opts *opts, struct buf *out,
		struct render_result *res);

void render_result_done(struct render_result *res);

#endif
