/* SPDX-License-Identifier: MIT */
/*
 * afile: atomic whole-file writes and bounded whole-file reads (afile.h).
 *
 * The temporary name is ".<basename>.<16 hex>.tmp" next to the destination,
 * random so that two writers never collide and a stale temp file left by a
 * killed process is never reused (O_EXCL). Rendered secrets live in these
 * files, so everything is O_CLOEXEC and the mode is right from creation:
 * the file is never readable by more people than the final file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"

/*
 * The mount point path lies under: the longest mount point in
 * /proc/self/mountinfo that is path or a directory above it, into root
 * ("/" when none is known). Mount points come from the kernel: a container
 * sharing a volume can plant symlinks inside it, but cannot move the volume.
 */
static void volume_root(const char *path, char *root, size_t cap)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mp[PATH_MAX];
	size_t lcap = 0, best = 1;

	snprintf(root, cap, "/");
	if (!f)
		return;
	while (getline(&line, &lcap, f) > 0) {
		const char *p = line;
		size_t n = 0;

		/* the fifth field, with \ooo escapes for blanks and backslashes */
		for (int field = 0; field < 4 && p; field++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p)
			continue;
		for (; *p && *p != ' ' && n + 1 < sizeof(mp); p++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
			    p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
				mp[n++] =
				    (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
				p += 3;
			} else {
				mp[n++] = *p;
			}
		}
		mp[n] = '\0';
		if (n > best && n < cap && strncmp(path, mp, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0')) {
			memcpy(root, mp, n + 1);
			best = n;
		}
	}
	free(line);
	fclose(f);
}

/* Whether tests asked for the component-wise walk (as on kernels without openat2). */
static bool no_openat2(void)
{
	const char *v = getenv("VAULTLET_TEST_NO_OPENAT2");

	return v && v[0] == '1';
}

/* -ELOOP when name in dfd is a symlink (what a failed O_NOFOLLOW open meant), else err. */
static int symlink_or(int dfd, const char *name, int err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

/*
 * Opens the directory dir (creating what is missing when create) with no
 * symlink followed below its volume root (volume_root) and no ".." leaving
 * it: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the root, or,
 * where the kernel lacks openat2, one component at a time with
 * openat(O_NOFOLLOW | O_DIRECTORY) and mkdirat. -ELOOP for a symlink on
 * the way, -EXDEV for a ".." that would leave the root.
 */
static int open_dir_beneath(const char *dir, bool create, mode_t mode)
{
	char root[PATH_MAX], rel[PATH_MAX];
	const char *rest;
	int fd, r;

	if (dir[0] == '/') {
		volume_root(dir, root, sizeof(root));
		rest = dir + strlen(root);
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		rest = dir;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	while (*rest == '/')
		rest++;
	if (strlen(rest) >= sizeof(rel)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(rel, rest, strlen(rest) + 1);
	if (!rel[0])
		return fd;
	for (const char *c = rel; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0')) {
			close(fd);
			return -EXDEV; /* a path from the configuration is clean: never ".." */
		}
	}
	if (!create && !no_openat2()) {
		struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
						   RESOLVE_NO_MAGICLINKS };
		long nfd = syscall(SYS_openat2, fd, rel, &how, sizeof(how));

		if (nfd >= 0 || errno != ENOSYS) {
			r = nfd >= 0 ? (int)nfd : -errno;
			close(fd);
			return r;
		}
	}
	for (char *comp = rel, *next; comp && *comp; comp = next) {
		int nfd;

		next = strchr(comp, '/');
		if (next) {
			*next++ = '\0';
			while (*next == '/')
				next++;
		}
		if (!comp[0] || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			close(fd);
			return -EXDEV;
		}
		if (create && mkdirat(fd, comp, mode) < 0 && errno != EEXIST) {
			r = -errno;
			close(fd);
			return r;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			r = symlink_or(fd, comp, -errno);
			close(fd);
			return r;
		}
		close(fd);
		fd = nfd;
	}
	return fd;
}

/* Splits path into a directory fd (opened by open_dir_beneath) and basename. */
static int open_parent(const char *path, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash) {
		*ret_base = path;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	} else {
		size_t n = (size_t)(slash - path);

		if (n == 0)
			n = 1; /* "/file" -> "/" */
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*ret_base = slash + 1;
		fd = open_dir_beneath(dir, false, 0);
		if (fd < 0)
			return fd;
	}
	if (**ret_base == '\0' || strcmp(*ret_base, "..") == 0 || strcmp(*ret_base, ".") == 0) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int afile_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *base;
	char tmp[NAME_MAX + 1];
	uint64_t rnd;
	int dfd, fd = -1, r;
	bool created = false;

	dfd = open_parent(path, &base);
	if (dfd < 0)
		return dfd;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		r = -errno;
		goto out;
	}
	r = snprintf(tmp, sizeof(tmp), ".%s.%016" PRIx64 ".tmp", base, rnd);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	created = true;
	/* The umask may have narrowed the creation mode; set it exactly. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, data, len);
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = -errno;
		goto out;
	}
	created = false;
	/* Make the rename durable; a directory fsync failure is still a failure. */
	if (fsync(dfd) < 0 && errno != EINVAL) {
		r = -errno;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return r;
}

int afile_same(const char *path, const void *data, size_t len, mode_t mode)
{
	char chunk[4096];
	struct stat st;
	size_t off = 0;
	const char *base;
	int dfd, fd, r;

	dfd = open_parent(path, &base);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(dfd);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != (mode & 07777) ||
	    (size_t)st.st_size != len) {
		r = 0;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > len - off || memcmp(chunk, (const char *)data + off, (size_t)n)) {
			r = 0;
			goto out;
		}
		off += (size_t)n;
	}
	r = off == len;
out:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return r;
}

int afile_mkparents(const char *path, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t n;
	int fd;

	if (!slash || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	fd = open_dir_beneath(dir, true, mode);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int afile_read(const char *path, size_t max, bool sensitive, char **ret, size_t *ret_len)
{
	struct buf b;
	char chunk[4096];
	int fd, r;

	if (sensitive)
		buf_init_sensitive(&b, max);
	else
		buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		r = buf_append(&b, chunk, (size_t)n);
		if (r < 0)
			goto out;
	}
	{
		size_t len;
		char *data = buf_take(&b, &len);

		if (!data) {
			r = -ENOMEM;
			goto out;
		}
		*ret = data;
		if (ret_len)
			*ret_len = len;
	}
	r = 0;
out:
	if (sensitive)
		explicit_bzero(chunk, sizeof(chunk));
	buf_done(&b);
	close(fd);
	return r;
}
