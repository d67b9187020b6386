/* SPDX-License-Identifier: MIT */
/*
 * vconfig: the agent configuration that goes, base64-encoded, into the
 * VAULT_CONFIG env var of each agent container.
 *
 * The JSON is the Vault Agent config schema subset of DESIGN.md, written
 * exactly as the stock injector's json.Marshal(Config) writes it: keys in
 * Go struct order, omitempty where the stock structs have it, map keys
 * (method.config, sink.config) sorted, Go's string escaping. For a pod
 * that uses only what vaultlet implements, the bytes equal the stock
 * injector's. The one addition is the vaultlet-only stanza
 * {"vaultlet":{"revoke_on_shutdown":true}} in the sidecar's config when
 * agent-revoke-on-shutdown is on (the stock injector used a preStop hook
 * running /bin/sh and the vault CLI, neither of which the agent image has).
 */
#ifndef VAULTLET_WEBHOOK_VCONFIG_H
#define VAULTLET_WEBHOOK_VCONFIG_H

#include <stdbool.h>

#include "agentspec.h"
#include "buf.h"

/*
 * Longest JSON config. Linux caps one environment string ("VAULT_CONFIG=" +
 * base64 + NUL) at MAX_ARG_STRLEN = 131072 bytes: the base64 may have at
 * most 131056 characters, which encode 98292 bytes (stock issue #197).
 */
#define VCONFIG_MAX 98292

/*
 * Appends the configs of the init and the sidecar agent, rendering the
 * shared part once: 0, -E2BIG, -ENOMEM. sidecar must be empty.
 */
int vconfig_render_both(const struct agentspec *s, struct buf *init, struct buf *sidecar);

#endif
