/* SPDX-License-Identifier: MIT */
/*
 * inject: the JSON Patch (RFC 6902) that adds the agent to a pod.
 *
 * Same operations, order, names and shapes as the stock injector's
 * Agent.Patch(), with its array bug fixed: each target array (volumes,
 * every container's volumeMounts, initContainers, containers) has its
 * running length tracked, so the first op on an absent or empty array
 * creates it and every later op appends with "/-". (The stock injector
 * decided per helper call against the original pod, so a pod without
 * spec.volumes lost home-init and home-sidecar.) With agent-init-first the
 * init agent is inserted at /spec/initContainers/0 instead of removing and
 * re-adding the whole array, so the other init containers are not
 * round-tripped.
 *
 * Native sidecar mode (s->native_sidecar) injects one container instead of
 * two: vault-agent, the sidecar's configuration, at /spec/initContainers/0
 * (ahead of the app's init containers, which get the secrets mounts) with
 * restartPolicy Always and a startupProbe that execs `vaultlet-agent status
 * -ready`, so the kubelet starts the next container only once every
 * template has been rendered. No home-init volume, no preStop sleep (the
 * kubelet stops sidecars after the app containers).
 *
 * The agent containers run vaultlet-agent directly (no /bin/sh, no
 * base64), read their configuration from VAULT_CONFIG, and carry
 * seccompProfile RuntimeDefault.
 */
#ifndef VAULTLET_WEBHOOK_INJECT_H
#define VAULTLET_WEBHOOK_INJECT_H

#include "agentspec.h"
#include "buf.h"

/* Largest patch (two configs of at most 128 KiB of base64, plus the rest). */
#define INJECT_PATCH_MAX (1024 * 1024)

/*
 * Appends the patch (a JSON array) for s to out. Returns 0; -EINVAL with
 * *ret_msg (the denial) when the pod cannot take the agent (a name or a
 * mount path already in use, a config over the env size limit); -E2BIG;
 * -ENOMEM. The agent command comes from d.
 */
int inject_patch(const struct inject_defaults *d, struct agentspec *s, struct arena *a,
		 struct buf *out, const char **ret_msg);

#endif
