/* SPDX-License-Identifier: MIT */
/*
 * gopath: path.Clean / path.Join with Go's exact results (see gopath.h).
 *
 * Clean follows Go's lexical algorithm: collapse repeated slashes, drop
 * "." elements, let ".." remove the previous element (or vanish at the
 * root of an absolute path, or stay at the start of a relative one), then
 * drop a trailing slash; an empty result is ".".
 */
#include <stdbool.h>
#include <string.h>

#include "gopath.h"

char *gopath_clean(struct arena *a, const char *p)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	bool rooted;
	char *out;

	if (n == 0)
		return arena_strdup(a, ".");
	out = arena_alloc(a, n + 2);
	if (!out)
		return NULL;
	rooted = p[0] == '/';
	if (rooted) {
		out[w++] = '/';
		r = 1;
		dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* back up to the previous slash */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *gopath_join(struct arena *a, const char *x, const char *y)
{
	char *joined;

	if (!*x && !*y)
		return arena_strdup(a, "");
	if (!*x)
		return gopath_clean(a, y);
	if (!*y)
		return gopath_clean(a, x);
	joined = arena_join(a, x, '/', y);
	if (!joined)
		return NULL;
	return gopath_clean(a, joined);
}

bool gopath_has_dotdot(const char *p)
{
	const char *s = p;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len == 2 && s[0] == '.' && s[1] == '.')
			return true;
		if (!e)
			break;
		s = e + 1;
	}
	return false;
}
