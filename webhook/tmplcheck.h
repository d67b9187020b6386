/* SPDX-License-Identifier: MIT */
/*
 * tmplcheck: admission-time checks of the inline templates, with the shared
 * template parser (common/tmpl.h), so a template that can never render is
 * refused by `kubectl apply` instead of crash-looping the init container.
 *
 *   - a syntax error denies the pod: "template <name>: <line>:<col>: <what>";
 *   - a `.sh` template that prints a value inside double quotes gets a
 *     warning suggesting shellQuote or single quotes (a secret containing
 *     `"`, `$` or a backquote would break or inject into the script).
 *
 * Templates given as agent-inject-template-file are not checked (the file
 * is only in the agent container).
 */
#ifndef VAULTLET_WEBHOOK_TMPLCHECK_H
#define VAULTLET_WEBHOOK_TMPLCHECK_H

#include <stdbool.h>

#include "agentspec.h"
#include "arena.h"

struct tmplcheck_cache;

/*
 * A memo of check outcomes that worker threads share (a Deployment's pods
 * all carry the same templates). NULL only on out-of-memory.
 */
struct tmplcheck_cache *tmplcheck_cache_new(void);
void tmplcheck_cache_free(struct tmplcheck_cache *c);

/*
 * Checks the inline templates of s; cache may be NULL. 0; -EINVAL with
 * *ret_msg (the denial) for a template that does not parse; -ENOMEM.
 */
int tmplcheck_secrets(struct agentspec *s, struct arena *a, struct tmplcheck_cache *cache,
		      const char **ret_msg);

#endif
