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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"

/* Splits path into a directory fd and basename. */
static int open_parent(const char *path, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash) {
		*ret_base = path;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		size_t n = (size_t)(slash - path);

		if (n == 0)
			n = 1; /* "/file" -> "/" */
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*ret_base = slash + 1;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (**ret_base == '\0') {
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
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, path, n + 1);
	/* Walk every '/' after the first character and create that prefix. */
	for (size_t i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		p[i] = '/';
	}
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
