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

#include "gofmt.h"
#include "render.h"
#include "rfunc.h"
#include "vjson.h"

/* Nodes mergeMap may copy in one execution, and its nesting. */
#define MUT_MAX_NODES 1000000
#define MUT_MAX_DEPTH 256
/* Keys of the scratch of one execution. */
#define SCRATCH_MAX_KEYS 10000

struct sentry {
	const char *key; /* in the executor's arena (it may be a secret): NULL for a free slot */
	size_t klen;
	struct gval v;
};

struct rf_mut {
	size_t nodes;
	/* the scratch: an open-addressing table of its keys */
	struct sentry *tab;
	size_t cap, n;
};

void rf_mut_free(struct rf_mut *m)
{
	if (m)
		free(m->tab);
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

/* ---- scratch ------------------------------------------------------------ */
/*
 * consul-template's Scratch, one per execution (template.go makes it in
 * funcMap, per Execute): a map from string keys to any value.
 *  - Set k v, SetX k v (only when k is absent): store v (Go's value itself:
 *    a map stored is the same map); "" as the result, so they print nothing.
 *  - Key k: whether k is set; Get k: its value, or nil.
 *  - MapSet k mk v, MapSetX k mk v (only when mk is absent): v into the
 *    map[string]interface{} at k, made empty when k is absent; a value of
 *    another type at k is Go's error ("k" is not a map). The map is a JSON
 *    tree the executor owns, so v must be a value such a tree holds as Go
 *    does: a string, json.Number, float64, bool, nil, a map or a whole list
 *    (shared, as in Go: they are unmarked, see mergeMap). An int or other
 *    Go type is refused, and so is a map not made in this execution.
 *  - MapValues k: the map's values sorted by key, a new list (nil when k
 *    holds no map[string]interface{}).
 */

static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	return h;
}

static struct sentry *scratch_find(struct rf_mut *m, const char *k, size_t n)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = key_hash(k, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct sentry *e = &m->tab[i];

		if (!e->key)
			return NULL;
		if (e->klen == n && memcmp(e->key, k, n) == 0)
			return e;
	}
}

/* The entry for k, added (value nil) when absent; NULL after reporting an error. */
static struct sentry *scratch_add(struct rf_call *c, struct rf_mut *m, const char *k, size_t n)
{
	struct sentry *e = scratch_find(m, k, n);
	char *kc;
	size_t i;

	if (e)
		return e;
	if (m->n >= SCRATCH_MAX_KEYS) {
		rf_capfail(c, "error calling %s: more than %d scratch keys",
			   tmpl_func_name(c->fn) + 1, SCRATCH_MAX_KEYS);
		return NULL;
	}
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct sentry *t = calloc(cap, sizeof(*t));

		if (!t) {
			rf_nomem(c);
			return NULL;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->tab[j].key)
				continue;
			for (i = key_hash(m->tab[j].key, m->tab[j].klen) & (cap - 1); t[i].key;
			     i = (i + 1) & (cap - 1))
				;
			t[i] = m->tab[j];
		}
		free(m->tab);
		m->tab = t;
		m->cap = cap;
	}
	kc = rf_alloc(c, n + 1);
	if (!kc) {
		rf_nomem(c);
		return NULL;
	}
	memcpy(kc, k, n);
	kc[n] = 0;
	for (i = key_hash(k, n) & (m->cap - 1); m->tab[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->tab[i] = (struct sentry){ .key = kc, .klen = n, .v = GV_NIL_VALUE };
	m->n++;
	return &m->tab[i];
}

int rf_scratch(struct rf_call *c, struct gval *ret)
{
	*ret = (struct gval){ .kind = GV_MAP, .scratch = true };
	return 0;
}

static int scratch_refuse(struct rf_call *c, const char *what)
{
	return rf_fail(c, "%s is not supported by vaultlet (docs/templates.md)", what);
}

/* A node holding v as a JSON tree holds it in Go terms; NULL with *why set, or for OOM. */
static cJSON *scratch_node(struct merge *g, const struct gval *v, const char **why)
{
	cJSON *n = NULL;

	*why = NULL;
	switch (v->kind) {
	case GV_NIL:
		return cJSON_CreateNull();
	case GV_BOOL:
		return cJSON_CreateBool(v->b);
	case GV_FLOAT:
		return cJSON_CreateNumber(v->f);
	case GV_STRING:
	case GV_NUMBER:
		if (v->str.len > (size_t)INT32_MAX) {
			*why = "a value this long in a scratch map";
			return NULL;
		}
		n = cJSON_CreateNull();
		if (!n)
			return NULL;
		n->type = v->kind == GV_STRING ? cJSON_String : cJSON_Number;
		n->valuestring = malloc(v->str.len + 1);
		if (!n->valuestring) {
			cJSON_Delete(n);
			return NULL;
		}
		memcpy(n->valuestring, v->str.s, v->str.len);
		n->valuestring[v->str.len] = 0;
		if (v->kind == GV_STRING) {
			n->valueint = (int)v->str.len;
		} else {
			n->valuedouble = strtod(n->valuestring, NULL);
		}
		return n;
	case GV_MAP:
		if (v->strmap || v->pki || v->scratch || !v->map) {
			*why = "a map of this type in a scratch map";
			return NULL;
		}
		break;
	case GV_SLICE:
		if (!v->slice.arr || v->slice.off != 0 ||
		    v->slice.len != (size_t)cJSON_GetArraySize(v->slice.arr)) {
			*why = "a part of a list in a scratch map";
			return NULL;
		}
		break;
	default:
		*why = "a value of this Go type (an int, []string, a secret ...) in a scratch map";
		return NULL;
	}
	/* a map or list: the same Go value, shared (a reference node) */
	{
		const cJSON *src = v->kind == GV_MAP ? v->map : v->slice.arr;

		n = cJSON_CreateNull();
		if (!n)
			return NULL;
		n->type = (src->type & 0xFF) | cJSON_IsReference;
		n->child = src->child;
		unmark(src);
	}
	(void)g;
	return n;
}

static int scratch_map_set(struct rf_call *c, struct rf_mut *m, bool over)
{
	struct gv_str k = c->argv[0].str, mk = c->argv[1].str;
	struct merge g = { .c = c, .m = m };
	struct sentry *e = scratch_find(m, k.s, k.len);
	const char *why;
	cJSON *obj, *n, *old;
	char *key;
	int r;

	if (!e) {
		cJSON *fresh = cJSON_CreateObject();

		if (!fresh)
			return rf_nomem(c);
		r = rf_own(c, fresh);
		if (r)
			return r;
		fresh->type |= RF_JSON_MUTABLE;
		e = scratch_add(c, m, k.s, k.len);
		if (!e)
			return -EINVAL;
		e->v = (struct gval){ .kind = GV_MAP, .map = fresh };
	}
	if (e->v.kind != GV_MAP || e->v.strmap || e->v.pki || e->v.scratch) {
		struct buf q;

		buf_init_sensitive(&q, 1 << 20);
		r = gofmt_quote(&q, k.s, k.len, false);
		r = r ? rf_nomem(c) : rf_fail(c, "%s is not a map", buf_str(&q));
		buf_done(&q);
		return r;
	}
	if (!e->v.map)
		return rf_fail(c, "assignment to entry in nil map");
	obj = (cJSON *)e->v.map;
	if (memchr(mk.s, 0, mk.len))
		return scratch_refuse(c, "a map key with a NUL byte in a scratch map");
	old = NULL;
	for (cJSON *i = obj->child; i; i = i->next)
		if (strlen(i->string) == mk.len && memcmp(i->string, mk.s, mk.len) == 0)
			old = i;
	if (old && !over)
		return 0;
	if (!(obj->type & RF_JSON_MUTABLE))
		return scratch_refuse(c, "MapSet into a secret's map or a shared one");
	n = scratch_node(&g, &c->argv[2], &why);
	if (!n)
		return why ? scratch_refuse(c, why) : rf_nomem(c);
	key = strndup(mk.s, mk.len);
	if (!key) {
		cJSON_Delete(n);
		return rf_nomem(c);
	}
	n->string = key;
	if (old) {
		cJSON_DetachItemViaPointer(obj, old);
		r = rf_own(c, old);
		if (r) {
			cJSON_Delete(n);
			return r;
		}
	}
	cJSON_AddItemToArray(obj, n);
	return 0;
}

static int scratch_map_values(struct rf_call *c, struct rf_mut *m, struct gval *ret)
{
	struct gv_str k = c->argv[0].str;
	struct sentry *e = scratch_find(m, k.s, k.len);
	struct merge g = { .c = c, .m = m };
	const cJSON **mem;
	cJSON *arr;
	size_t n, i;
	int r;

	*ret = (struct gval){ .kind = GV_SLICE };
	if (!e || e->v.kind != GV_MAP || e->v.strmap || e->v.pki || e->v.scratch)
		return 0; /* Go: nil, nil */
	arr = cJSON_CreateArray();
	if (!arr)
		return rf_nomem(c);
	r = rf_own(c, arr);
	if (r)
		return r;
	n = e->v.map ? (size_t)cJSON_GetArraySize(e->v.map) : 0;
	mem = malloc((n ? n : 1) * sizeof(*mem));
	if (!mem)
		return rf_nomem(c);
	n = e->v.map ? gv_sorted_members(e->v.map, mem) : 0;
	for (i = 0; i < n; i++) {
		cJSON *v;

		if (cJSON_IsObject(mem[i]) || cJSON_IsArray(mem[i])) {
			v = cJSON_CreateNull();
			if (v) {
				v->type = (mem[i]->type & 0xFF) | cJSON_IsReference;
				v->child = mem[i]->child;
				unmark(mem[i]);
			}
		} else {
			v = copy(&g, mem[i], 0);
		}
		if (!v) {
			free(mem);
			return rf_nomem(c);
		}
		cJSON_AddItemToArray(arr, v);
	}
	free(mem);
	*ret = (struct gval){ .kind = GV_SLICE, .slice = { arr, 0, n } };
	return 0;
}

int rf_scratch_method(struct rf_call *c, struct gval *ret)
{
	struct rf_mut *m = mut_state(c);
	struct sentry *e;
	struct gv_str k;

	if (!m)
		return rf_nomem(c);
	k = c->argv[0].str;
	switch (c->fn) {
	case TMPL_FN_SCRATCH_KEY:
		*ret = gv_bool(scratch_find(m, k.s, k.len) != NULL);
		return 0;
	case TMPL_FN_SCRATCH_GET:
		e = scratch_find(m, k.s, k.len);
		*ret = e ? e->v : GV_NIL_VALUE;
		return 0;
	case TMPL_FN_SCRATCH_SET:
	case TMPL_FN_SCRATCH_SETX:
		e = scratch_find(m, k.s, k.len);
		if (!e || c->fn == TMPL_FN_SCRATCH_SET) {
			e = scratch_add(c, m, k.s, k.len);
			if (!e)
				return -EINVAL;
			e->v = c->argv[1];
		}
		*ret = gv_string("", 0);
		return 0;
	case TMPL_FN_SCRATCH_MAPSET:
	case TMPL_FN_SCRATCH_MAPSETX:
		*ret = gv_string("", 0);
		return scratch_map_set(c, m, c->fn == TMPL_FN_SCRATCH_MAPSET);
	default:
		return scratch_map_values(c, m, ret);
	}
}

/* ---- spew_dump, spew_printf ---------------------------------------------- */

/*
 * go-spew's Dump and Printf write the values to the process's standard
 * output; the template gets "". vaultlet renders the same "" and writes
 * nothing: the values are usually secrets, which never go to a log here.
 */
int rf_spew_to_stdout(struct rf_call *c, struct gval *ret)
{
	(void)c;
	*ret = gv_string("", 0);
	return 0;
}
