/* SPDX-License-Identifier: MIT */
/*
 * rf_coll: consul-template's membership functions: `contains v l` and
 * `in l v` (a substring of a string, or an element of a list), and
 * containsAll / containsAny / containsNone / containsNotAll (each element
 * of a list looked up with `in`), splitToMap and explodeMap.
 *
 * consul-template's `in` compares list elements by reflect kind: a float
 * with a float, an integer with an integer, a string with a string of the
 * very same type (a json.Number never equals a string, "5" never equals
 * 5), anything else never matches. A nil needle against a string element
 * is a reflect panic in Go, which text/template reports as the call's
 * error: so it is here. Pure; called by render.c only.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gofmt.h"
#include "gostr.h"
#include "rfunc.h"
#include "tmplutf.h"

static int zero_value_panic(struct rf_call *c)
{
	return rf_fail(c, "reflect: call of reflect.Value.Type on zero Value");
}

static bool same_string(const struct gval *a, const struct gval *b)
{
	return a->kind == b->kind && a->str.len == b->str.len &&
	       (a->str.len == 0 || memcmp(a->str.s, b->str.s, a->str.len) == 0);
}

/* consul-template's in(l, v); 0 and *ret, or an error (Go's panic). */
static int in_list(struct rf_call *c, struct gval l, struct gval v, bool *ret)
{
	*ret = false;
	if (l.kind == GV_SLICE || l.kind == GV_STRSLICE) {
		struct gv_iter it;
		struct gval e;

		gv_iter_init(&it, &l);
		while (gv_iter_next(&it, &e)) {
			switch (e.kind) {
			case GV_FLOAT:
				if (v.kind == GV_FLOAT && v.f == e.f) {
					*ret = true;
					return 0;
				}
				break;
			case GV_STRING:
			case GV_NUMBER:
				if (v.kind == GV_NIL || v.kind == GV_INVALID)
					return zero_value_panic(c);
				if (same_string(&v, &e)) {
					*ret = true;
					return 0;
				}
				break;
			default:
				break;
			}
		}
		return 0;
	}
	if (l.kind == GV_STRING || l.kind == GV_NUMBER) {
		if (v.kind == GV_NIL || v.kind == GV_INVALID)
			return zero_value_panic(c);
		if (v.kind == l.kind && gostr_index(l.str.s, l.str.len, v.str.s, v.str.len) >= 0)
			*ret = true;
	}
	return 0;
}

int rf_contains(struct rf_call *c, struct gval *ret)
{
	bool t;
	int r = in_list(c, c->argv[1], c->argv[0], &t);

	if (!r)
		*ret = gv_bool(t);
	return r;
}

int rf_in(struct rf_call *c, struct gval *ret)
{
	bool t;
	int r = in_list(c, c->argv[0], c->argv[1], &t);

	if (!r)
		*ret = gv_bool(t);
	return r;
}

/*
 * containsSomeFunc(retTrue, invert): stops at the first element whose
 * membership differs from `invert` and answers !retTrue, else retTrue.
 */
int rf_contains_some(struct rf_call *c, struct gval *ret)
{
	bool ret_true = c->fn == TMPL_FN_CONTAINSALL || c->fn == TMPL_FN_CONTAINSNONE;
	bool invert = c->fn == TMPL_FN_CONTAINSALL || c->fn == TMPL_FN_CONTAINSNOTALL;
	struct gv_iter it;
	struct gval e;

	gv_iter_init(&it, &c->argv[0]);
	while (gv_iter_next(&it, &e)) {
		bool found;
		int r = in_list(c, c->argv[1], e, &found);

		if (r)
			return r;
		if (found != invert) {
			*ret = gv_bool(!ret_true);
			return 0;
		}
	}
	*ret = gv_bool(ret_true);
	return 0;
}

/* ---- splitToMap -------------------------------------------------------- */

struct pair {
	struct gv_str k, v;
	size_t at; /* order of appearance: the last one of a key wins */
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->k.len < y->k.len ? x->k.len : y->k.len;
	int c = n ? memcmp(x->k.s, y->k.s, n) : 0;

	if (c)
		return c;
	if (x->k.len != y->k.len)
		return x->k.len < y->k.len ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

cJSON *rf_string_node(const char *s, size_t n)
{
	cJSON *node = cJSON_CreateString("");
	char *copy = malloc(n + 1);

	if (!node || !copy) {
		cJSON_Delete(node);
		free(copy);
		return NULL;
	}
	if (n)
		memcpy(copy, s, n);
	copy[n] = 0;
	free(node->valuestring);
	node->valuestring = copy;
	node->valueint = n > INT_MAX ? INT_MAX : (int)n;
	return node;
}

/* strings.Index for sep, or strings.Split's rune split when sep is "". */
static size_t next_piece(const char *s, size_t n, struct gv_str sep, size_t *skip)
{
	long k;

	if (sep.len == 0) {
		size_t w = 1;

		if ((unsigned char)s[0] >= 0x80)
			tmplutf_decode(s, n, &w);
		*skip = 0;
		return w;
	}
	k = gostr_index(s, n, sep.s, sep.len);
	*skip = k < 0 ? 0 : sep.len;
	return k < 0 ? n : (size_t)k;
}

/*
 * consul-template's splitToMap SEP1 SEP2 S: strings.Split(TrimSpace(S), SEP1),
 * each piece cut at its first SEP2 into key and value (pieces without it
 * are skipped), later keys overriding earlier ones: a map[string]string.
 */
int rf_split_to_map(struct rf_call *c, struct gval *ret)
{
	struct gv_str sep1 = c->argv[0].str, sep2 = c->argv[1].str;
	struct pair *pairs = NULL;
	size_t a, len, npairs = 0, cap = 0, at = 0;
	const char *s;
	cJSON *obj = cJSON_CreateObject();
	int r = 0;

	if (!obj)
		return rf_nomem(c);
	gostr_trim_space(c->argv[2].str.s, c->argv[2].str.len, &a, &len);
	s = c->argv[2].str.s + a;
	while (len && at <= len && r == 0) {
		size_t skip, plen = next_piece(s + at, len - at, sep1, &skip);
		struct gv_str piece = { s + at, plen };
		size_t sk2, klen;

		if (at + plen >= len && sep1.len == 0 && plen == 0)
			break;
		klen = sep2.len ? next_piece(piece.s, piece.len, sep2, &sk2) : 0;
		if (sep2.len == 0 || sk2) {
			if (npairs == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct pair *g = realloc(pairs, nc * sizeof(*g));

				if (!g) {
					r = rf_nomem(c);
					break;
				}
				pairs = g;
				cap = nc;
			}
			pairs[npairs] = (struct pair){ { piece.s, klen },
						       { piece.s + klen + sep2.len,
							 piece.len - klen - sep2.len },
						       npairs };
			npairs++;
		}
		at += plen + skip;
		if (skip == 0 && sep1.len != 0)
			break; /* the last piece */
		if (sep1.len == 0 && at >= len)
			break;
	}
	if (r == 0 && npairs)
		qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
	for (size_t i = 0; i < npairs && r == 0; i++) {
		struct pair *p = &pairs[i];
		char *key;
		cJSON *v;

		if (i + 1 < npairs && pair_cmp(p, &pairs[i + 1]) < 0 &&
		    p->k.len == pairs[i + 1].k.len &&
		    memcmp(p->k.s, pairs[i + 1].k.s, p->k.len) == 0)
			continue; /* a later piece has the same key */
		if (memchr(p->k.s, 0, p->k.len)) {
			r = rf_fail(c, "a key containing a NUL byte is not supported by vaultlet");
			break;
		}
		key = strndup(p->k.s, p->k.len);
		v = rf_string_node(p->v.s, p->v.len);
		if (!key || !v) {
			free(key);
			cJSON_Delete(v);
			r = rf_nomem(c);
			break;
		}
		if (!cJSON_AddItemToObject(obj, key, v)) {
			cJSON_Delete(v);
			r = rf_nomem(c);
		}
		free(key);
	}
	free(pairs);
	if (r) {
		cJSON_Delete(obj);
		return r;
	}
	r = rf_own(c, obj);
	if (r)
		return r;
	*ret = (struct gval){ .kind = GV_MAP, .map = obj, .strmap = true };
	return 0;
}

/* ---- explodeMap ---------------------------------------------------------- */

static int member_key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

/* The %q form of a value for explodeMap's error. */
static int quoted(struct rf_call *c, struct gval v, struct buf *q)
{
	if (v.kind == GV_STRING)
		return gofmt_quote(q, v.str.s, v.str.len, false);
	return gofmt_sprintf(q, "%q", 2, &v, 1);
}

/*
 * consul-template's explodeHelper: key "a/b/c" becomes m["a"]["b"]["c"].
 * made: the objects this call created (a nested key may only go into
 * those: Go would otherwise write into the secret's own map).
 */
static int explode_one(struct rf_call *c, cJSON *m, const char *k, size_t kn, const cJSON *v,
		       const char *p, size_t pn, int depth)
{
	const char *slash = memchr(k, '/', kn);
	char *top;
	cJSON *nest;
	int r = 0;

	if (depth > 256)
		return rf_capfail(c, "explodeMap: keys nested deeper than 256 levels");
	if (!slash) {
		cJSON *ref;

		if (kn == 0)
			return 0;
		top = strndup(k, kn);
		ref = cJSON_CreateObjectReference(NULL);
		if (!top || !ref) {
			free(top);
			cJSON_Delete(ref);
			return rf_nomem(c);
		}
		/* a reference node: the value is shared with the secret, never copied */
		memcpy(ref, v, sizeof(*ref));
		ref->next = ref->prev = NULL;
		ref->string = NULL;
		ref->type |= cJSON_IsReference;
		cJSON_DeleteItemFromObjectCaseSensitive(m, top);
		if (!cJSON_AddItemToObject(m, top, ref)) {
			cJSON_Delete(ref);
			r = rf_nomem(c);
		}
		free(top);
		return r;
	}
	top = strndup(k, (size_t)(slash - k));
	if (!top)
		return rf_nomem(c);
	nest = cJSON_GetObjectItemCaseSensitive(m, top);
	if (!nest) {
		nest = cJSON_CreateObject();
		if (!nest || !cJSON_AddItemToObject(m, top, nest)) {
			cJSON_Delete(nest);
			free(top);
			return rf_nomem(c);
		}
	} else if (!cJSON_IsObject(nest) || (nest->type & cJSON_IsReference)) {
		struct buf q1, q2, q3;

		if (cJSON_IsObject(nest)) {
			free(top);
			return rf_fail(
			    c, "explodeMap: a key under a key whose value is a map is not "
			       "supported by vaultlet (Vault Agent would modify the secret)");
		}
		buf_init_sensitive(&q1, 64 * 1024);
		buf_init_sensitive(&q2, 64 * 1024);
		buf_init_sensitive(&q3, 64 * 1024);
		r = gofmt_quote(&q1, p, pn, false);
		if (!r)
			r = gofmt_quote(&q2, top, strlen(top), false);
		if (!r)
			r = quoted(c, gv_from_json(nest), &q3);
		if (!r)
			r = rf_fail(c, "explodeMap: not a map: %s: %s already has value %s",
				    buf_str(&q1), buf_str(&q2), buf_str(&q3));
		else if (r == -ENOMEM)
			r = rf_nomem(c);
		else
			r = rf_fail(c, "explodeMap: not a map");
		buf_done(&q1);
		buf_done(&q2);
		buf_done(&q3);
		free(top);
		return r;
	}
	free(top);
	return explode_one(c, nest, slash + 1, kn - (size_t)(slash + 1 - k), v, k, kn, depth + 1);
}

/* consul-template's explodeMap: keys with '/' become nested maps, in sorted key order. */
int rf_explode_map(struct rf_call *c, struct gval *ret)
{
	const cJSON *in = c->argv[0].map;
	const cJSON **members = NULL;
	cJSON *out = cJSON_CreateObject();
	size_t n = 0;
	int r = 0;

	if (!out)
		return rf_nomem(c);
	if (in) {
		members = malloc(((size_t)cJSON_GetArraySize(in) + 1) * sizeof(*members));
		if (!members) {
			cJSON_Delete(out);
			return rf_nomem(c);
		}
		for (const cJSON *m = in->child; m; m = m->next)
			if (m->string)
				members[n++] = m;
		qsort(members, n, sizeof(*members), member_key_cmp);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *k = members[i]->string;

		r = explode_one(c, out, k, strlen(k), members[i], k, strlen(k), 0);
	}
	free(members);
	if (r) {
		cJSON_Delete(out);
		return r;
	}
	r = rf_own(c, out);
	if (r)
		return r;
	rf_mark_mutable(out); /* its own maps are fresh Go maps; its values are the secret's */
	*ret = (struct gval){ .kind = GV_MAP, .map = out };
	return 0;
}
