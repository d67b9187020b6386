/* SPDX-License-Identifier: MIT */
/*
 * rf_mut: consul-template's functions that change a value in place:
 * mergeMap and mergeMapWithOverride (mergo.Map into the first map).
 *
 * DESIGN. Go's maps are references: mergo writes the merged keys into the
 * destination map itself, and every other holder of that map (a variable,
 * a secret's cached .Data, the map it came from) sees the change, within
 * the execution and, for a secret, in Vault Agent's later renders. vaultlet
 * reproduces exactly the part that stays inside one execution and refuses
 * the rest:
 *
 *  - A map may be changed only when it is "mutable": made during this
 *    execution (parseJSON, explodeMap's own maps, a mergeMap of a nil map)
 *    and never shared. Such a map is a cJSON object in a tree the executor
 *    owns, marked RF_JSON_MUTABLE; every holder of the Go map holds the same
 *    node here, so changing the node in place is seen exactly as in Go.
 *    A secret's maps (the agent's cache) are never marked: merging into one
 *    is refused by name.
 *  - Where mergo stores a src value into dst, Go shares it (dst and src then
 *    hold the same map). vaultlet stores a copy, and unmarks every map in
 *    both (they are shared from then on): reading them gives Go's values;
 *    changing one later is refused, since Go would change both.
 *  - A replaced value stays alive until the end of the execution, so a
 *    variable that held it keeps it, as in Go.
 *  - A range over a map takes its keys and values when it starts, in Go
 *    (fmtsort) as here: a change inside the range is seen alike.
 *
 * mergo's rules for map[string]interface{} (deepMerge, the same in Debian's
 * v0.3.12 and consul-template's dario.cat/mergo v1.0.2 except where noted),
 * per key k of src with value s, dst's value d (absent, nil or a value),
 * "empty" as mergo's isEmptyValue (nil, "", 0, false, an empty map or list):
 *  - s nil: with override dst[k] = nil, else nothing;
 *  - s a map: if d is a map, s is merged into d in place (recursively);
 *    then d stays if it is a non-empty map; a non-empty d of another kind
 *    stays without override (with override v0.3 keeps it and v1.0 replaces
 *    it by s: refused); otherwise dst[k] = s;
 *  - s a list: d stays if it is non-empty and there is no override, else
 *    dst[k] = s;
 *  - s a scalar: dst[k] = s with override or when d is absent or empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "rfunc.h"
#include "vjson.h"

/* Nodes mergeMap may copy in one execution, and its nesting. */
#define MUT_MAX_NODES 1000000
#define MUT_MAX_DEPTH 256

struct rf_mut {
	size_t nodes;
};

void rf_mut_free(struct rf_mut *m)
{
	free(m);
}

static struct rf_mut *mut_state(struct rf_call *c)
{
	struct rf_mut **pm = rf_mut_state(c);

	if (!*pm)
		*pm = calloc(1, sizeof(**pm));
	return *pm;
}

void rf_mark_mutable(cJSON *n)
{
	/* a reference node's content is someone else's (explodeMap: the secret's) */
	if (!n || (n->type & cJSON_IsReference))
		return;
	if (cJSON_IsObject(n))
		n->type |= RF_JSON_MUTABLE;
	if (cJSON_IsObject(n) || cJSON_IsArray(n))
		for (cJSON *c = n->child; c; c = c->next)
			rf_mark_mutable(c);
}

/* Unmarks every map in a tree (it is shared from now on); writes only marked nodes. */
static void unmark(const cJSON *n)
{
	if (!n)
		return;
	if (n->type & RF_JSON_MUTABLE)
		((cJSON *)n)->type &= ~RF_JSON_MUTABLE;
	if (cJSON_IsObject(n) || cJSON_IsArray(n))
		for (const cJSON *c = n->child; c; c = c->next)
			unmark(c);
}

struct merge {
	struct rf_call *c;
	struct rf_mut *m;
	bool override;
};

static int refuse(struct merge *g, const char *what, const char *why)
{
	return rf_fail(g->c, "%s %s is not supported by vaultlet: %s", tmpl_func_name(g->c->fn),
		       what, why);
}

/* A copy of a JSON value, no map in it marked (NUL-containing strings kept whole). */
static cJSON *copy(struct merge *g, const cJSON *n, int depth)
{
	cJSON *r;

	if (++g->m->nodes > MUT_MAX_NODES || depth > MUT_MAX_DEPTH)
		return NULL;
	if (cJSON_IsObject(n) || cJSON_IsArray(n)) {
		r = cJSON_IsObject(n) ? cJSON_CreateObject() : cJSON_CreateArray();
		if (!r)
			return NULL;
		for (const cJSON *c = n->child; c; c = c->next) {
			cJSON *k = copy(g, c, depth + 1);

			if (!k) {
				cJSON_Delete(r);
				return NULL;
			}
			if (cJSON_IsObject(n)) {
				k->string = strdup(c->string);
				if (!k->string) {
					cJSON_Delete(k);
					cJSON_Delete(r);
					return NULL;
				}
			}
			cJSON_AddItemToArray(r, k); /* keeps the key set above */
		}
		return r;
	}
	r = cJSON_CreateNull();
	if (!r)
		return NULL;
	r->type = n->type & 0xFF;
	r->valueint = n->valueint;
	r->valuedouble = n->valuedouble;
	if (n->valuestring) {
		size_t len = cJSON_IsString(n) ? vjson_string_len(n) : strlen(n->valuestring);

		r->valuestring = malloc(len + 1);
		if (!r->valuestring) {
			cJSON_Delete(r);
			return NULL;
		}
		memcpy(r->valuestring, n->valuestring, len);
		r->valuestring[len] = 0;
	}
	return r;
}

/* mergo's isEmptyValue of an interface{} holding the JSON value n (NULL: absent). */
static bool empty(const cJSON *n)
{
	if (!n || cJSON_IsNull(n) || cJSON_IsFalse(n))
		return true;
	if (cJSON_IsString(n))
		return vjson_string_len(n) == 0;
	if (cJSON_IsNumber(n))
		return n->valuestring ? n->valuestring[0] == 0 : n->valuedouble == 0;
	if (cJSON_IsObject(n) || cJSON_IsArray(n))
		return n->child == NULL;
	return false;
}

/* dst[key] = a copy of v (NULL: nil); the replaced value lives on until the end. */
static int set(struct merge *g, cJSON *dst, const char *key, const cJSON *v)
{
	cJSON *nv = v ? copy(g, v, 0) : cJSON_CreateNull();
	cJSON *old = cJSON_GetObjectItemCaseSensitive(dst, key);
	int r;

	if (!nv) {
		if (g->m->nodes > MUT_MAX_NODES)
			return rf_capfail(g->c, "error calling %s: more than %d values copied",
					  tmpl_func_name(g->c->fn), MUT_MAX_NODES);
		return rf_nomem(g->c);
	}
	if (v)
		unmark(v); /* src's value and its copy are one Go value, now shared */
	nv->string = strdup(key);
	if (!nv->string) {
		cJSON_Delete(nv);
		return rf_nomem(g->c);
	}
	if (old) {
		cJSON_DetachItemViaPointer(dst, old);
		r = rf_own(g->c, old);
		if (r) {
			cJSON_Delete(nv);
			return r;
		}
	}
	cJSON_AddItemToArray(dst, nv);
	return 0;
}

static bool can_change(const cJSON *m)
{
	return m->type & RF_JSON_MUTABLE;
}

static int refuse_change(struct merge *g, const cJSON *m)
{
	(void)m;
	return refuse(g, "into a secret's map or a shared one",
		      "Go changes it in place for every holder, also later renders");
}

/* deepMerge of src into the map dst (both objects). */
static int merge(struct merge *g, cJSON *dst, const cJSON *src, int depth)
{
	size_t n = (size_t)cJSON_GetArraySize(src), i;
	const cJSON **keys;
	int r = 0;

	if (depth > MUT_MAX_DEPTH)
		return rf_capfail(g->c, "error calling %s: maps nested deeper than %d",
				  tmpl_func_name(g->c->fn), MUT_MAX_DEPTH);
	if (n == 0)
		return 0;
	if (!can_change(dst))
		return refuse_change(g, dst);
	/* src may be dst itself or inside it: take its members before changing anything */
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return rf_nomem(g->c);
	i = 0;
	for (const cJSON *c = src->child; c && i < n; c = c->next)
		keys[i++] = c;
	for (i = 0; i < n && !r; i++) {
		const cJSON *s = keys[i];
		const char *k = s->string;
		cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, k);

		if (cJSON_IsNull(s)) {
			if (g->override)
				r = set(g, dst, k, NULL);
			continue;
		}
		if (cJSON_IsObject(s)) {
			if (d && cJSON_IsObject(d)) {
				r = merge(g, d, s, depth + 1);
				if (r)
					break;
				if (!empty(d))
					continue;
			} else if (!empty(d)) {
				if (g->override)
					r = refuse(
					    g, "of a map over a value that is not a map",
					    "mergo v0.3 keeps the value, v1.0 stores the map");
				continue;
			}
			r = set(g, dst, k, s);
			continue;
		}
		if (cJSON_IsArray(s)) {
			if (!empty(d) && !g->override)
				continue;
			r = set(g, dst, k, s);
			continue;
		}
		if (g->override || empty(d))
			r = set(g, dst, k, s);
	}
	free(keys);
	return r;
}

/* Whether n is strictly inside the tree at root. */
static bool inside(const cJSON *root, const cJSON *n)
{
	if (!root || (root->type & cJSON_IsReference) ||
	    !(cJSON_IsObject(root) || cJSON_IsArray(root)))
		return false;
	for (const cJSON *c = root->child; c; c = c->next)
		if (c == n || inside(c, n))
			return true;
	return false;
}

/* mergeMap DST SRC, mergeMapWithOverride DST SRC: DST, merged in place. */
int rf_merge_map(struct rf_call *c, struct gval *ret)
{
	struct merge g = { .c = c, .override = c->fn == TMPL_FN_MERGEMAPWITHOVERRIDE };
	const cJSON *dst = c->argv[0].map, *src = c->argv[1].map;
	cJSON *fresh = NULL;
	int r;

	g.m = mut_state(c);
	if (!g.m)
		return rf_nomem(c);
	if (c->argv[0].pki || c->argv[1].pki)
		return refuse(&g, "of pkiCert's value", "it is a struct");
	if (!dst) {
		/* a nil destination: mergo makes a new map (when src is not nil) */
		if (!src) {
			*ret = c->argv[0];
			return 0;
		}
		fresh = cJSON_CreateObject();
		if (!fresh)
			return rf_nomem(c);
		r = rf_own(c, fresh);
		if (r)
			return r;
		fresh->type |= RF_JSON_MUTABLE;
		dst = fresh;
	}
	if (src && inside(src, dst))
		return refuse(&g, "into a map inside the source map",
			      "Go would make a map that contains itself");
	if (src) {
		r = merge(&g, (cJSON *)dst, src, 0);
		if (r)
			return r;
	}
	*ret = (struct gval){ .kind = GV_MAP, .map = dst };
	return 0;
}
