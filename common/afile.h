/* SPDX-License-Identifier: MIT */
/*
 * afile: write a whole file so that a reader sees either the old content or
 * the new content, never a partial or empty file, even across a crash.
 *
 * The content goes to a temporary file in the same directory, created with
 * O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW and its final mode, is written in
 * full, fsync'ed, renamed over the destination, and the directory is
 * fsync'ed so the rename itself is durable. On any failure the temporary
 * file is removed and the destination is untouched.
 *
 * Symlinks: a volume shared with another container (the secrets volume an
 * app container mounts too) may have its directories swapped for symlinks.
 * Every directory below the volume root, the mount point the path lies
 * under (from /proc/self/mountinfo; "/" when none), is opened without
 * following a symlink: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or,
 * on kernels without openat2 (ENOSYS), one component at a time with
 * openat(O_NOFOLLOW | O_DIRECTORY) and mkdirat. A symlink on the way is
 * -ELOOP, a ".." component -EXDEV; the file itself is replaced by rename,
 * never written through a link. Setting VAULTLET_TEST_NO_OPENAT2=1 forces
 * the component-wise walk (for tests of that path only).
 *
 * Functions return 0 or -errno, and never log (the caller names the file in
 * its own message). Safe from any thread on distinct paths.
 */
#ifndef VAULTLET_AFILE_H
#define VAULTLET_AFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macros.h"

/*
 * Atomically replaces path with data[0..len), mode `mode` (not subject to
 * the umask). The parent directory must exist.
 */
VL_NODISCARD int afile_write(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Whether path holds exactly data[0..len) and has the given mode.
 * Returns 1 (same), 0 (differs or missing), or -errno on a read error.
 * Reads at most len + 1 bytes.
 */
int afile_same(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Creates the parent directories of path below its volume root (like
 * mkdir -p of dirname), mode `mode`; -ELOOP when one of them is a symlink.
 */
VL_NODISCARD int afile_mkparents(const char *path, mode_t mode);

/*
 * Reads a whole file of at most max bytes into a NUL-terminated malloc'ed
 * string. -E2BIG when the file is larger. If `sensitive`, intermediate
 * copies are wiped (use for tokens and keys).
 */
VL_NODISCARD int afile_read(const char *path, size_t max, bool sensitive, char **ret,
			    size_t *ret_len);

#endif
