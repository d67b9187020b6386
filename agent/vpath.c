/* SPDX-License-Identifier: MIT */
/*
 * vpath: consul-template's handling of a `secret` path (see vpath.h).
 *
 * The argument goes through strings.TrimSpace, strings.Trim(s, "/") and
 * url.Parse; the path part is percent-decoded, the query is parsed by
 * url.ParseQuery (which rejects ';' since Go 1.17) and re-encoded by
 * url.Values.Encode: keys sorted, each pair QueryEscape'd ('+' for space).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "vpath.h"

#define QUERY_PAIRS_MAX 64

/* Percent-decodes s[0..n) into out; plus_space for query components. */
static int unescape(const char *s, size_t n, bool plus_space, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int r;

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = ascii_hexval(s[i + 1]);
			lo = ascii_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		r = buf_putc(out, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static int escape(const char *s, size_t n, bool query, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;

		if (unreserved(c) || (!query && strchr("$&+,/:;=@", c) && c != '\0')) {
			r = buf_putc(out, (char)c);
		} else if (query && c == ' ') {
			r = buf_putc(out, '+');
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = buf_append(out, e, 3);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

struct qpair {
	char *key;
	char *value;
	size_t order;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int parse_query(const char *q, size_t n, struct buf *out, struct buf *err)
{
	struct qpair pairs[QUERY_PAIRS_MAX];
	size_t npairs = 0, start = 0;
	int r = 0;

	while (start <= n) {
		const char *seg = q + start;
		const char *amp = memchr(seg, '&', n - start);
		size_t len = amp ? (size_t)(amp - seg) : n - start;
		const char *eq;
		struct buf k, v;

		if (len == 0)
			goto next;
		if (memchr(seg, ';', len)) {
			buf_reset(err);
			buf_setf(err, "invalid semicolon separator in query");
			r = -EINVAL;
			goto out;
		}
		if (npairs == QUERY_PAIRS_MAX) {
			r = -E2BIG;
			goto out;
		}
		eq = memchr(seg, '=', len);
		buf_init(&k, VPATH_MAX);
		buf_init(&v, VPATH_MAX);
		r = unescape(seg, eq ? (size_t)(eq - seg) : len, true, &k);
		if (r >= 0 && eq)
			r = unescape(eq + 1, len - (size_t)(eq - seg) - 1, true, &v);
		if (r >= 0) {
			pairs[npairs].key = buf_take(&k, NULL);
			pairs[npairs].value = buf_take(&v, NULL);
			pairs[npairs].order = npairs;
			if (!pairs[npairs].key || !pairs[npairs].value) {
				free(pairs[npairs].key);
				free(pairs[npairs].value);
				r = -ENOMEM;
			} else {
				npairs++;
			}
		}
		buf_done(&k);
		buf_done(&v);
		if (r == -EINVAL) {
			/* Go's ParseQuery skips a bad pair but reports the error. */
			buf_reset(err);
			buf_setf(err, "invalid URL escape in query");
			goto out;
		}
		if (r < 0)
			goto out;
	next:
		if (!amp)
			break;
		start += len + 1;
	}
	qsort(pairs, npairs, sizeof(pairs[0]), qpair_cmp);
	for (size_t i = 0; i < npairs && r >= 0; i++) {
		if (i > 0)
			r = buf_putc(out, '&');
		if (r >= 0)
			r = escape(pairs[i].key, strlen(pairs[i].key), true, out);
		if (r >= 0)
			r = buf_putc(out, '=');
		if (r >= 0)
			r = escape(pairs[i].value, strlen(pairs[i].value), true, out);
	}
out:
	for (size_t i = 0; i < npairs; i++) {
		free(pairs[i].key);
		free(pairs[i].value);
	}
	return r;
}

int vpath_parse(const char *as_written, struct vpath *ret, struct buf *err)
{
	const char *s = as_written, *e = as_written + strlen(as_written);
	const char *q, *hash;
	struct buf path, query;
	int r;

	buf_init(&path, VPATH_MAX);
	buf_init(&query, VPATH_MAX);
	while (s < e && ascii_isspace(*s))
		s++;
	while (e > s && ascii_isspace(e[-1]))
		e--;
	while (s < e && *s == '/')
		s++;
	while (e > s && e[-1] == '/')
		e--;
	if ((size_t)(e - s) > VPATH_MAX) {
		r = -E2BIG;
		goto fail;
	}
	hash = memchr(s, '#', (size_t)(e - s));
	if (hash)
		e = hash;
	q = memchr(s, '?', (size_t)(e - s));
	r = unescape(s, q ? (size_t)(q - s) : (size_t)(e - s), false, &path);
	if (r == -EINVAL) {
		buf_reset(err);
		buf_setf(err, "invalid URL escape in path");
		goto fail;
	}
	if (r < 0)
		goto fail;
	if (path.len == 0 || memchr(buf_str(&path), '\0', path.len)) {
		buf_reset(err);
		buf_setf(err, "empty secret path");
		r = -EINVAL;
		goto fail;
	}
	if (q) {
		r = parse_query(q + 1, (size_t)(e - q - 1), &query, err);
		if (r < 0)
			goto fail;
	}
	ret->path = buf_take(&path, NULL);
	ret->query = buf_take(&query, NULL);
	if (!ret->path || !ret->query) {
		free(ret->path);
		free(ret->query);
		r = -ENOMEM;
		goto fail;
	}
	buf_done(&path);
	buf_done(&query);
	return 0;
fail:
	buf_done(&path);
	buf_done(&query);
	return r;
}

void vpath_done(struct vpath *p)
{
	free(p->path);
	free(p->query);
	p->path = p->query = NULL;
}

int vpath_key(const struct vpath *p, struct buf *out)
{
	if (p->query[0])
		return buf_appendf(out, "%s?%s", p->path, p->query);
	return buf_append_str(out, p->path);
}

int vpath_kv2(const char *path, const char *mount, struct buf *out)
{
	size_t ml = strlen(mount);
	const char *rest;

	/* The mount itself, with or without its trailing '/'. */
	if (strcmp(path, mount) == 0 || (ml > 0 && mount[ml - 1] == '/' && strlen(path) == ml - 1 &&
					 strncmp(path, mount, ml - 1) == 0)) {
		if (ml > 0 && mount[ml - 1] == '/')
			return buf_appendf(out, "%sdata", mount);
		return buf_appendf(out, "%s/data", mount);
	}
	if (strncmp(path, mount, ml) != 0)
		return -EINVAL;
	rest = path + ml;
	if (ml > 0 && mount[ml - 1] != '/') {
		if (*rest != '/')
			return -EINVAL;
		rest++;
	}
	if (strncmp(rest, "data/", 5) == 0 || strncmp(rest, "metadata/", 9) == 0 ||
	    strncmp(rest, "subkeys/", 8) == 0)
		return buf_append_str(out, path);
	return buf_appendf(out, "%.*sdata/%s", (int)(rest - path), path, rest);
}

bool vpath_is_explicit_kv2(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash && slash != path && strncmp(slash + 1, "data/", 5) == 0 && slash[6] != '\0';
}

int vpath_escape(const char *path, struct buf *out)
{
	return escape(path, strlen(path), false, out);
}
