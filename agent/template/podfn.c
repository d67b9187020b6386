/* SPDX-License-Identifier: MIT */
/*
 * podfn: the file side of consul-template's `file` (see podfn.h). Used by
 * the agent's main thread and by `vaultlet-agent render`; no state.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podfn.h"

int podfn_clean(const char *s, size_t n, struct buf *out)
{
	bool rooted = n > 0 && s[0] == '/';
	char *w = malloc(n + 2);
	size_t r = 0, o = 0, dotdot = 0;
	int rc;

	if (!w)
		return -ENOMEM;
	if (rooted) {
		w[o++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (s[r] == '/') {
			r++;
		} else if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/')) {
			r++;
		} else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
			r += 2;
			if (o > dotdot) {
				o--;
				while (o > dotdot && w[o] != '/')
					o--;
			} else if (!rooted) {
				if (o > 0)
					w[o++] = '/';
				w[o++] = '.';
				w[o++] = '.';
				dotdot = o;
			}
		} else {
			if ((rooted && o != 1) || (!rooted && o != 0))
				w[o++] = '/';
			for (; r < n && s[r] != '/'; r++)
				w[o++] = s[r];
		}
	}
	rc = o == 0 ? buf_append(out, ".", 1) : buf_append(out, w, o);
	free(w);
	return rc;
}

void podfn_errstr(int e, char *dst, size_t n)
{
	const char *m = strerror(e);
	size_t len = strlen(m);

	if (!n)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(dst, m, len);
	dst[len] = '\0';
	if (len && isupper((unsigned char)dst[0]) && !(len > 1 && isupper((unsigned char)dst[1])))
		dst[0] = (char)tolower((unsigned char)dst[0]);
}

static int fail(struct buf *err, int r, const char *path, const char *op, int e)
{
	char es[128];

	podfn_errstr(e, es, sizeof(es));
	buf_reset(err);
	if (buf_appendf(err, "file(%s): %s %s: %s", path, op, path, es) < 0)
		buf_reset(err);
	return r;
}

static void fill(const struct stat *st, struct podfn_stat *ret)
{
	ret->size = (int64_t)st->st_size;
	ret->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	ret->dev = (uint64_t)st->st_dev;
	ret->ino = (uint64_t)st->st_ino;
}

int podfn_stat(const char *path, struct podfn_stat *ret, struct buf *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail(err, -errno, path, "stat", errno);
	fill(&st, ret);
	return 0;
}

bool podfn_stat_same(const struct podfn_stat *a, const struct podfn_stat *b)
{
	return a->size == b->size && a->mtime_ns == b->mtime_ns && a->dev == b->dev &&
	       a->ino == b->ino;
}

int podfn_read(const char *path, struct podfn_stat *ret_st, char **ret, size_t *ret_len,
	       struct buf *err)
{
	struct buf b;
	struct stat st;
	char chunk[4096];
	int fd, r;

	if (stat(path, &st) < 0)
		return fail(err, -errno, path, "stat", errno);
	/* O_NONBLOCK: a FIFO swapped in after the stat must not block the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fail(err, -errno, path, "open", errno);
	buf_init_sensitive(&b, PODFN_FILE_MAX);
	if (fstat(fd, &st) < 0) {
		r = fail(err, -errno, path, "stat", errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = fail(err, -EISDIR, path, "read", EISDIR);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_reset(err);
		r = buf_appendf(err,
				"file(%s): not a regular file; vaultlet reads only regular files "
				"(a FIFO or a device could block the agent)",
				path) < 0
			? -ENOMEM
			: -EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fail(err, -errno, path, "read", errno);
			goto out;
		}
		if (n == 0)
			break;
		r = buf_append(&b, chunk, (size_t)n);
		if (r == -E2BIG) {
			buf_reset(err);
			if (buf_appendf(err,
					"file(%s): larger than %d bytes, the most vaultlet reads "
					"with file",
					path, PODFN_FILE_MAX) < 0)
				buf_reset(err);
			goto out;
		}
		if (r < 0)
			goto out;
	}
	{
		size_t len = 0;
		char *data = buf_take(&b, &len);

		if (!data) {
			data = calloc(1, 1);
			if (!data) {
				r = -ENOMEM;
				goto out;
			}
		}
		fill(&st, ret_st);
		*ret = data;
		*ret_len = len;
	}
	r = 0;
out:
	explicit_bzero(chunk, sizeof(chunk));
	buf_done(&b);
	close(fd);
	return r;
}
