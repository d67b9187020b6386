/* SPDX-License-Identifier: MIT */
/*
 * vwrite: keys of the write form of `secret` (see vwrite.h). Pure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "gofmt.h"
#include "gostr.h"
#include "vwrite.h"

struct field {
	char *k, *v;
};

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct field *)a)->k, ((const struct field *)b)->k);
}

static char *trimmed(const char *s, size_t len)
{
	size_t a, b;

	gostr_trim_space(s, len, &a, &b);
	return strndup(s + a, b);
}

int vwrite_key(const char *path, size_t plen, const char *const *args, const size_t *lens, size_t n,
	       struct buf *out, struct buf *err)
{
	struct field *f = calloc(n ? n : 1, sizeof(*f));
	size_t nf = 0, a, b;
	cJSON *obj = NULL;
	char *body = NULL;
	int r = -ENOMEM;

	if (!f)
		return -ENOMEM;
	gostr_trim_space(path, plen, &a, &b);
	while (b && path[a] == '/') {
		a++;
		b--;
	}
	while (b && path[a + b - 1] == '/')
		b--;
	if (b == 0 || memchr(path + a, 0, b) || memchr(path + a, VWRITE_SEP, b)) {
		r = -EINVAL;
		if (buf_appendf(err, "vault.write: invalid format: \"%.*s\"", (int)b, path + a) < 0)
			buf_reset(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq;
		char *k, *v;
		size_t j;

		if (lens[i] == 0)
			continue;
		eq = memchr(args[i], '=', lens[i]);
		if (!eq || memchr(args[i], 0, lens[i])) {
			r = -EINVAL;
			if (buf_append_str(err, "not k=v pair ") < 0 ||
			    gofmt_quote(err, args[i], lens[i], false) < 0)
				buf_reset(err);
			goto out;
		}
		k = trimmed(args[i], (size_t)(eq - args[i]));
		v = trimmed(eq + 1, lens[i] - (size_t)(eq - args[i]) - 1);
		if (!k || !v) {
			free(k);
			free(v);
			goto out;
		}
		for (j = 0; j < nf && strcmp(f[j].k, k) != 0; j++)
			;
		if (j < nf) { /* a later duplicate wins, as in a Go map */
			free(f[j].v);
			free(k);
			f[j].v = v;
		} else {
			f[nf++] = (struct field){ k, v };
		}
	}
	qsort(f, nf, sizeof(*f), cmp_field);
	obj = cJSON_CreateObject();
	if (!obj)
		goto out;
	for (size_t i = 0; i < nf; i++)
		if (!cJSON_AddStringToObject(obj, f[i].k, f[i].v))
			goto out;
	body = cJSON_PrintUnformatted(obj);
	if (!body)
		goto out;
	if (b + 1 + strlen(body) > VWRITE_KEY_MAX) {
		r = -E2BIG;
		goto out;
	}
	r = buf_append(out, path + a, b);
	if (r == 0)
		r = buf_append(out, &(char){ VWRITE_SEP }, 1);
	if (r == 0)
		r = buf_append_str(out, body);
out:
	for (size_t i = 0; i < nf; i++) {
		free(f[i].k);
		free(f[i].v);
	}
	free(f);
	cJSON_free(body);
	cJSON_Delete(obj);
	return r;
}

int vwrite_list_key(const char *path, size_t plen, struct buf *out, struct buf *err)
{
	size_t a, b;
	int r;

	gostr_trim_space(path, plen, &a, &b);
	while (b && path[a] == '/') {
		a++;
		b--;
	}
	while (b && path[a + b - 1] == '/')
		b--;
	if (b == 0 || memchr(path + a, 0, b) || memchr(path + a, VWRITE_SEP, b) ||
	    memchr(path + a, VWRITE_LIST, b)) {
		if (buf_appendf(err, "vault.list: invalid format: \"%.*s\"", (int)b, path + a) < 0)
			buf_reset(err);
		return -EINVAL;
	}
	r = buf_append(out, path + a, b);
	if (r == 0)
		r = buf_append(out, &(char){ VWRITE_LIST }, 1);
	return r;
}

bool vwrite_is_list_key(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && key[n - 1] == VWRITE_LIST;
}

bool vwrite_is_pki_key(const char *key)
{
	return strchr(key, VWRITE_PKI) != NULL;
}

bool vwrite_is_key(const char *key)
{
	return strchr(key, VWRITE_SEP) != NULL;
}

void vwrite_split(const char *key, size_t *ret_path_len, const char **ret_body)
{
	const char *sep = strchr(key, VWRITE_SEP);

	*ret_path_len = sep ? (size_t)(sep - key) : strlen(key);
	*ret_body = sep ? sep + 1 : "{}";
}

int vwrite_label(const char *key, struct buf *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *body;
	size_t plen;

	vwrite_split(key, &plen, &body);
	SHA256((const unsigned char *)body, strlen(body), md);
	return buf_appendf(out, "vault.write(%.*s -> %02x%02x%02x%02x)", (int)plen, key, md[0],
			   md[1], md[2], md[3]);
}
