/* SPDX-License-Identifier: MIT */
/*
 * vpath: the secret path of `secret "<path>"` as consul-template handles it
 * (reference §3.6), and the KV v2 path shim (§1.4.4). Pure functions.
 *
 *   vpath_parse   trim white space and leading/trailing '/', split off the
 *                 query (re-encoded sorted by key, like Go's url.Values)
 *                 and drop a #fragment; %XX in the path is decoded
 *   vpath_key     the canonical "path[?query]" used to fetch a path once
 *   vpath_kv2     the path to read on a KV v2 mount: "data/" inserted after
 *                 the mount unless the rest starts with data/, metadata/
 *                 or subkeys/
 *   vpath_escape  the path as it goes on the request line (Go EscapedPath)
 */
#ifndef VAULTLET_AGENT_VPATH_H
#define VAULTLET_AGENT_VPATH_H

#include <stdbool.h>

#include "buf.h"

#define VPATH_MAX 4096

struct vpath {
	char *path;  /* decoded, trimmed; never empty */
	char *query; /* re-encoded query without '?', "" when none */
};

/* 0, -EINVAL (message in err: empty path, bad escape, ';' in query), -E2BIG, -ENOMEM. */
int vpath_parse(const char *as_written, struct vpath *ret, struct buf *err);
void vpath_done(struct vpath *p);

/* Appends "path" or "path?query". */
int vpath_key(const struct vpath *p, struct buf *out);

/*
 * Appends the KV v2 read path for p->path on the mount `mount` (as the
 * mounts endpoint reports it, e.g. "secret/"). -EINVAL when the path is
 * not under the mount.
 */
int vpath_kv2(const char *path, const char *mount, struct buf *out);

/*
 * Whether the mounts lookup can be skipped: the second segment is already
 * "data" ("secret/data/x"), so the read path is the same on KV v1 and on a
 * KV v2 mount named by the first segment.
 */
bool vpath_is_explicit_kv2(const char *path);

/* Appends path with the bytes outside Go's path-safe set percent-encoded. */
int vpath_escape(const char *path, struct buf *out);

#endif
