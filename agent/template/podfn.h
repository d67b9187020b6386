/* SPDX-License-Identifier: MIT */
/*
 * podfn: what consul-template's `file` dependency does on the pod's file
 * system, shared by the agent (which polls the files a template reads) and
 * `vaultlet-agent render` (which reads them once): Go's filepath.Clean,
 * and reading a file the way dependency.FileQuery does, with its error
 * texts ("file(/p): stat /p: no such file or directory").
 *
 * The path is followed through symbolic links, as Go's os.Stat and
 * os.ReadFile do: Kubernetes mounts ConfigMaps and Secrets as a farm of
 * links (..data -> ..2026_12_08...), which is what `file` is mostly used
 * on. vaultlet refuses what would hang or exhaust the agent instead: a
 * file that is not a regular file (a FIFO, a device: Go would block or read
 * forever) and one larger than PODFN_FILE_MAX.
 *
 * Functions return 0 or -errno with the message in err; they never log.
 */
#ifndef VAULTLET_PODFN_H
#define VAULTLET_PODFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Largest file `file` reads: one template value (RENDER_MAX_VALUE). */
#define PODFN_FILE_MAX (1024 * 1024)
/* How often the agent checks a file for changes: consul-template's FileQuerySleepTime. */
#define PODFN_POLL_MS 2000

/* What a change is: size, modification time (consul-template's test), or another inode. */
struct podfn_stat {
	int64_t size;
	int64_t mtime_ns;
	uint64_t dev, ino;
};

/* Go's filepath.Clean of s[0..n) (lexical: "", "." and ".." as Go). */
int podfn_clean(const char *s, size_t n, struct buf *out);

/* Go's syscall error text for e: strerror with a lower-case first letter. */
void podfn_errstr(int e, char *dst, size_t n);

/* os.Stat(path); on error err holds "file(P): stat P: <reason>". */
int podfn_stat(const char *path, struct podfn_stat *ret, struct buf *err);

bool podfn_stat_same(const struct podfn_stat *a, const struct podfn_stat *b);

/*
 * Reads the whole regular file path (at most PODFN_FILE_MAX bytes) into a
 * NUL-terminated malloc'ed string (wipe it: it may be a secret), with the
 * stat of what was read. -EISDIR "file(P): read P: is a directory" as Go;
 * -EINVAL for another kind of file, -E2BIG when too large (vaultlet's
 * refusals, saying so).
 */
int podfn_read(const char *path, struct podfn_stat *ret_st, char **ret, size_t *ret_len,
	       struct buf *err);

#endif
