/* SPDX-License-Identifier: MIT */
/*
 * rf_sprig: sprig v3's list, dict and encoding helpers, as consul-template
 * exposes them (sprig.HermeticTxtFuncMap() with a "sprig_" prefix).
 *
 * DESIGN. sprig works on Go values by reflection; vaultlet's values are
 * gvals over cJSON trees (gval.h). A list or dict made here is a new cJSON
 * tree handed to the executor (rf_own): its elements are copies of the
 * arguments, which is exact because sprig's list functions copy into new
 * slices and vaultlet's values are never mutated afterwards (sprig's `set`
 * and `unset`, which mutate a dict in place, are refused by name). A Go
 * integer element is a number node tagged with its kind (gval.h,
 * GV_JSON_KIND_SHIFT), so it reads back as int/int64/uint64/uint8. Values
 * a tree cannot hold with their Go type (a secret, a []string, a
 * map[string]string, a nil map or slice, pkiCert's struct) are refused
 * with an error saying "not supported by vaultlet" rather than converted.
 *
 * sprig's non-must functions panic on a bad argument; text/template turns
 * the panic into "error calling NAME: <panic text>": reflect.TypeOf(nil)
 * .Kind() is Go's nil-pointer runtime error, a failed type assertion is
 * "interface conversion: …". Those texts are reproduced.
 *
 * Caps: a list or dict made by one call holds at most SP_MAX_NODES nodes,
 * counted deep (copies of nested maps and lists included).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "gofmt.h"
#include "gojson.h"
#include "gostr.h"
#include "render.h"
#include "rf_sprig.h"
#include "rfunc.h"
#include "tmplutf.h"
#include "vjson.h"

#define SP_MAX_NODES 100000

#define NIL_PANIC "runtime error: invalid memory address or nil pointer dereference"

/*
 * The function a call runs: sprig's must* variants of the list and JSON
 * helpers return the error their twin panics with, which text/template
 * reports the same way ("error calling NAME: TEXT"), so they share code.
 */
static enum tmpl_func sp_fn(const struct rf_call *c)
{
	switch (c->fn) {
	case TMPL_FN_SPRIG_MUSTAPPEND:
		return TMPL_FN_SPRIG_APPEND;
	case TMPL_FN_SPRIG_MUSTPUSH:
		return TMPL_FN_SPRIG_PUSH;
	case TMPL_FN_SPRIG_MUSTPREPEND:
		return TMPL_FN_SPRIG_PREPEND;
	case TMPL_FN_SPRIG_MUSTFIRST:
		return TMPL_FN_SPRIG_FIRST;
	case TMPL_FN_SPRIG_MUSTLAST:
		return TMPL_FN_SPRIG_LAST;
	case TMPL_FN_SPRIG_MUSTREST:
		return TMPL_FN_SPRIG_REST;
	case TMPL_FN_SPRIG_MUSTINITIAL:
		return TMPL_FN_SPRIG_INITIAL;
	case TMPL_FN_SPRIG_MUSTREVERSE:
		return TMPL_FN_SPRIG_REVERSE;
	case TMPL_FN_SPRIG_MUSTUNIQ:
		return TMPL_FN_SPRIG_UNIQ;
	case TMPL_FN_SPRIG_MUSTWITHOUT:
		return TMPL_FN_SPRIG_WITHOUT;
	case TMPL_FN_SPRIG_MUSTHAS:
		return TMPL_FN_SPRIG_HAS;
	case TMPL_FN_SPRIG_MUSTCOMPACT:
		return TMPL_FN_SPRIG_COMPACT;
	case TMPL_FN_SPRIG_MUSTSLICE:
		return TMPL_FN_SPRIG_SLICE;
	case TMPL_FN_SPRIG_MUSTTOJSON:
		return TMPL_FN_SPRIG_TOJSON;
	case TMPL_FN_SPRIG_MUSTTOPRETTYJSON:
		return TMPL_FN_SPRIG_TOPRETTYJSON;
	case TMPL_FN_SPRIG_MUSTTORAWJSON:
		return TMPL_FN_SPRIG_TORAWJSON;
	default:
		return c->fn;
	}
}

/* ---- values -------------------------------------------------------- */

/* reflect.Kind's name of v's dynamic type; NULL for nil (Go panics). */
static const char *sp_kind(const struct gval *v)
{
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
		return NULL;
	case GV_STRING:
	case GV_NUMBER:
		return "string";
	case GV_BOOL:
		return "bool";
	case GV_INT:
		return "int";
	case GV_INT64:
		return "int64";
	case GV_UINT8:
		return "uint8";
	case GV_UINT64:
		return "uint64";
	case GV_FLOAT:
		return "float64";
	case GV_MAP:
		return v->pki ? "struct" : "map";
	case GV_SLICE:
	case GV_STRSLICE:
		return "slice";
	case GV_SECRET:
	case GV_NILPTR:
		return "ptr";
	case GV_SECRETV:
		return "struct";
	}
	return "invalid";
}

static bool sp_is_list(const struct gval *v)
{
	return v->kind == GV_SLICE || v->kind == GV_STRSLICE;
}

static bool sp_is_nil_list(const struct gval *v)
{
	return (v->kind == GV_SLICE && !v->slice.arr) ||
	       (v->kind == GV_STRSLICE && !v->strs.items && !v->strs.arr);
}

static size_t sp_count_nodes(const cJSON *n)
{
	size_t k = 1;

	for (const cJSON *c = n->child; c; c = c->next)
		k += sp_count_nodes(c);
	return k;
}

/* A number node with a literal: a json.Number, or a Go integer of kind k (0: json.Number). */
static cJSON *sp_number_node(const char *lit, size_t n, enum gv_kind k)
{
	cJSON *node = cJSON_CreateNumber(0);
	char *copy = malloc(n + 1);

	if (!node || !copy) {
		cJSON_Delete(node);
		free(copy);
		return NULL;
	}
	memcpy(copy, lit, n);
	copy[n] = 0;
	node->valuestring = copy;
	node->valuedouble = strtod(copy, NULL);
	if (k)
		node->type |= (int)k << GV_JSON_KIND_SHIFT;
	return node;
}

struct sp_build {
	struct rf_call *c;
	size_t nodes;
};

/*
 * A new node holding v with its Go type, or NULL with *r set: -ENOMEM,
 * -E2BIG, or -EINVAL after rf_fail for a value a tree cannot hold.
 */
static cJSON *sp_node(struct sp_build *b, const struct gval *v, int *r)
{
	struct rf_call *c = b->c;
	cJSON *n = NULL;
	char tmp[32];

	*r = 0;
	if (++b->nodes > SP_MAX_NODES) {
		*r = rf_capfail(c, "a list or dict of more than %d values", SP_MAX_NODES);
		return NULL;
	}
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
		n = cJSON_CreateNull();
		break;
	case GV_STRING:
		n = rf_string_node(v->str.s, v->str.len);
		break;
	case GV_NUMBER:
		n = sp_number_node(v->str.s, v->str.len, 0);
		break;
	case GV_BOOL:
		n = cJSON_CreateBool(v->b);
		break;
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		n = sp_number_node(tmp, strlen(tmp), v->kind);
		break;
	case GV_UINT64:
		snprintf(tmp, sizeof(tmp), "%" PRIu64, (uint64_t)v->i);
		n = sp_number_node(tmp, strlen(tmp), v->kind);
		break;
	case GV_FLOAT:
		n = cJSON_CreateNumber(v->f);
		break;
	case GV_MAP:
		if (!v->map || v->strmap || v->pki)
			goto unsupported;
		b->nodes += sp_count_nodes(v->map);
		if (b->nodes > SP_MAX_NODES) {
			*r = rf_capfail(c, "a list or dict of more than %d values", SP_MAX_NODES);
			return NULL;
		}
		n = cJSON_Duplicate(v->map, 1);
		break;
	case GV_SLICE: {
		struct gv_iter it;
		struct gval e;

		if (!v->slice.arr)
			goto unsupported;
		n = cJSON_CreateArray();
		if (!n)
			break;
		gv_iter_init(&it, v);
		while (gv_iter_next(&it, &e)) {
			cJSON *en = sp_node(b, &e, r);

			if (!en) {
				cJSON_Delete(n);
				return NULL;
			}
			cJSON_AddItemToArray(n, en);
		}
		break;
	}
	default:
	unsupported:
		*r = rf_fail(
		    c,
		    "a value of type %s%s inside a list or dict is not supported by vaultlet "
		    "(see docs/templates.md)",
		    v->kind == GV_MAP && !v->map	   ? "nil "
		    : v->kind == GV_SLICE && !v->slice.arr ? "nil "
							   : "",
		    v->pki ? "dependency.PemEncoded" : gv_type_name(v));
		return NULL;
	}
	if (!n)
		*r = rf_nomem(c);
	return n;
}

/* A new []interface{} of argv-like values in *ret (owned by the executor). */
static int sp_make_list(struct rf_call *c, const struct gval *items, size_t n, struct gval *ret)
{
	struct sp_build b = { .c = c };
	cJSON *arr = cJSON_CreateArray();
	int r = 0;

	if (!arr)
		return rf_nomem(c);
	for (size_t i = 0; i < n; i++) {
		cJSON *e = sp_node(&b, &items[i], &r);

		if (!e) {
			cJSON_Delete(arr);
			return r;
		}
		cJSON_AddItemToArray(arr, e);
	}
	r = rf_own(c, arr);
	if (r)
		return r;
	*ret = (struct gval){ .kind = GV_SLICE, .slice = { arr, 0, n } };
	return 0;
}

/* The elements of a list argument, in rf_alloc memory (*n of them). */
static int sp_elems(struct rf_call *c, const struct gval *list, struct gval **ret, size_t *n)
{
	size_t len = (size_t)gv_len(list);
	struct gv_iter it;
	struct gval *e;

	*n = len;
	e = rf_alloc(c, (len ? len : 1) * sizeof(*e));
	if (!e)
		return rf_nomem(c);
	gv_iter_init(&it, list);
	for (size_t i = 0; i < len && gv_iter_next(&it, &e[i]); i++)
		;
	*ret = e;
	return 0;
}

/* sprig's empty: the negation of text/template's truth. */
static bool sp_empty(const struct gval *v)
{
	bool ok;

	return !gv_truth(v, &ok);
}

/*
 * Work left for reflect.DeepEqual in one call of a function: values
 * visited and map entries scanned (uniq is quadratic, as in Go; a secret
 * must not make the agent spin). over: the budget ran out (or the values
 * nest too deep), so the answer is not known and the call fails.
 */
struct sp_eq {
	size_t left;
	bool over;
};

#define SP_MAX_COMPARE (1u << 24)
#define SP_EQ_INIT     ((struct sp_eq){ .left = SP_MAX_COMPARE })

static int sp_eq_fail(struct rf_call *c)
{
	return rf_capfail(c,
			  "comparing more than %u values, or values nested deeper than %d "
			  "levels",
			  SP_MAX_COMPARE, 1000);
}

/* reflect.DeepEqual of two interface values. */
static bool sp_deep_equal(const struct gval *a, const struct gval *b, int depth, struct sp_eq *eq)
{
	bool an, bn;

	if (eq->over || eq->left == 0 || depth > 1000) {
		eq->over = true;
		return false;
	}
	eq->left--;
	if ((a->kind == GV_NIL || a->kind == GV_INVALID) ||
	    (b->kind == GV_NIL || b->kind == GV_INVALID))
		return (a->kind == GV_NIL || a->kind == GV_INVALID) &&
		       (b->kind == GV_NIL || b->kind == GV_INVALID);
	if (a->pki != b->pki || strcmp(gv_type_name(a), gv_type_name(b)) != 0)
		return false;
	switch (a->kind) {
	case GV_STRING:
	case GV_NUMBER:
		return a->str.len == b->str.len &&
		       (a->str.len == 0 || memcmp(a->str.s, b->str.s, a->str.len) == 0);
	case GV_BOOL:
		return a->b == b->b;
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
	case GV_UINT64:
		return a->i == b->i;
	case GV_FLOAT:
		return a->f == b->f;
	case GV_MAP: {
		const cJSON *m;

		an = !a->map;
		bn = !b->map;
		if (an || bn)
			return an == bn;
		if (a->map == b->map)
			return true;
		if (gv_len(a) != gv_len(b))
			return false;
		for (m = a->map->child; m; m = m->next) {
			bool found;
			struct gval ea = gv_from_json(m);
			struct gval eb;
			size_t cost = (size_t)gv_len(b);

			if (eq->left < cost) {
				eq->over = true;
				return false;
			}
			eq->left -= cost;
			eb = gv_map_get(b, m->string, strlen(m->string), &found);
			if (!found || !sp_deep_equal(&ea, &eb, depth + 1, eq))
				return false;
		}
		return true;
	}
	case GV_SLICE:
	case GV_STRSLICE: {
		struct gv_iter ia, ib;
		struct gval ea, eb;

		an = sp_is_nil_list(a);
		bn = sp_is_nil_list(b);
		if (an || bn)
			return an == bn;
		if (gv_len(a) != gv_len(b))
			return false;
		gv_iter_init(&ia, a);
		gv_iter_init(&ib, b);
		while (gv_iter_next(&ia, &ea) && gv_iter_next(&ib, &eb))
			if (!sp_deep_equal(&ea, &eb, depth + 1, eq))
				return false;
		return true;
	}
	case GV_SECRET:
	case GV_SECRETV:
		return a->secret == b->secret;
	case GV_NILPTR:
		return true;
	default:
		return false;
	}
}

/* sprig's strval: a string itself, a json.Number's text (a Stringer), else fmt's %v. */
static int sp_strval(struct rf_call *c, const struct gval *v, struct gv_str *ret)
{
	struct buf t;
	int r;

	if (v->kind == GV_STRING || v->kind == GV_NUMBER) {
		*ret = v->str;
		return 0;
	}
	if (v->kind == GV_INVALID) {
		*ret = (struct gv_str){ "<nil>", 5 };
		return 0;
	}
	buf_init_sensitive(&t, RENDER_MAX_VALUE);
	r = gofmt_sprintf(&t, "%v", 2, v, 1);
	if (!r) {
		char *s = rf_alloc(c, t.len + 1);

		if (!s) {
			r = rf_nomem(c);
		} else {
			if (t.len)
				memcpy(s, t.data, t.len);
			s[t.len] = 0;
			*ret = (struct gv_str){ s, t.len };
		}
	}
	buf_done(&t);
	return r;
}

/* sprig's strslice: a list's non-nil elements as strings, nil as [], else [strval]. */
static int sp_strslice(struct rf_call *c, const struct gval *v, struct gval *ret)
{
	struct gv_str *items;
	size_t n = 0;
	int r;

	if (v->kind == GV_STRSLICE) {
		*ret = *v;
		return 0;
	}
	if (v->kind == GV_SLICE) {
		struct gv_iter it;
		struct gval e;
		size_t len = (size_t)gv_len(v);

		items = rf_alloc(c, (len ? len : 1) * sizeof(*items));
		if (!items)
			return rf_nomem(c);
		gv_iter_init(&it, v);
		while (gv_iter_next(&it, &e)) {
			if (e.kind == GV_NIL)
				continue;
			r = sp_strval(c, &e, &items[n]);
			if (r)
				return r;
			n++;
		}
	} else {
		items = rf_alloc(c, sizeof(*items));
		if (!items)
			return rf_nomem(c);
		if (v->kind != GV_NIL && v->kind != GV_INVALID) {
			r = sp_strval(c, v, &items[0]);
			if (r)
				return r;
			n = 1;
		}
	}
	*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { items, NULL, 0, n } };
	return 0;
}

static int sp_cmp_str(const void *pa, const void *pb)
{
	const struct gv_str *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int k = n ? memcmp(a->s, b->s, n) : 0;

	if (k)
		return k;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- lists --------------------------------------------------------- */

/* sprig_list V...: a []interface{} of the arguments */
int rf_sprig_list(struct rf_call *c, struct gval *ret)
{
	return sp_make_list(c, c->argv, c->n, ret);
}

/*
 * sprig_first, _last, _rest, _initial, _reverse, _compact, _uniq LIST;
 * sprig_append/_push LIST V; sprig_prepend LIST V; sprig_without LIST V...
 */
int rf_sprig_listop(struct rf_call *c, struct gval *ret)
{
	const struct gval *l = &c->argv[0];
	const char *k = sp_kind(l), *what;
	struct sp_eq eq = SP_EQ_INIT;
	struct gval *e = NULL, *out;
	size_t n = 0, m = 0;
	int r;

	switch (sp_fn(c)) {
	case TMPL_FN_SPRIG_FIRST:
		what = "Cannot find first on type ";
		break;
	case TMPL_FN_SPRIG_LAST:
		what = "Cannot find last on type ";
		break;
	case TMPL_FN_SPRIG_REST:
		what = "Cannot find rest on type ";
		break;
	case TMPL_FN_SPRIG_INITIAL:
		what = "Cannot find initial on type ";
		break;
	case TMPL_FN_SPRIG_REVERSE:
		what = "Cannot find reverse on type ";
		break;
	case TMPL_FN_SPRIG_COMPACT:
		what = "Cannot compact on type ";
		break;
	case TMPL_FN_SPRIG_UNIQ:
		what = "Cannot find uniq on type ";
		break;
	case TMPL_FN_SPRIG_APPEND:
	case TMPL_FN_SPRIG_PUSH:
		what = "Cannot push on type ";
		break;
	case TMPL_FN_SPRIG_PREPEND:
		what = "Cannot prepend on type ";
		break;
	default:
		what = "Cannot find without on type ";
		break;
	}
	if (!k)
		return rf_fail(c, NIL_PANIC);
	if (!sp_is_list(l))
		return rf_fail(c, "%s%s", what, k);
	r = sp_elems(c, l, &e, &n);
	if (r)
		return r;
	out = rf_alloc(c, (n + 1) * sizeof(*out));
	if (!out)
		return rf_nomem(c);
	switch (sp_fn(c)) {
	case TMPL_FN_SPRIG_FIRST:
	case TMPL_FN_SPRIG_LAST:
		*ret = n == 0 ? GV_NIL_VALUE : e[sp_fn(c) == TMPL_FN_SPRIG_FIRST ? 0 : n - 1];
		return 0;
	case TMPL_FN_SPRIG_REST:
	case TMPL_FN_SPRIG_INITIAL:
		if (n == 0) {
			*ret = (struct gval){ .kind = GV_SLICE }; /* a nil slice */
			return 0;
		}
		return sp_make_list(c, sp_fn(c) == TMPL_FN_SPRIG_REST ? e + 1 : e, n - 1, ret);
	case TMPL_FN_SPRIG_REVERSE:
		for (size_t i = 0; i < n; i++)
			out[n - 1 - i] = e[i];
		m = n;
		break;
	case TMPL_FN_SPRIG_COMPACT:
		for (size_t i = 0; i < n; i++)
			if (!sp_empty(&e[i]))
				out[m++] = e[i];
		break;
	case TMPL_FN_SPRIG_UNIQ:
		for (size_t i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < m; j++)
				if (sp_deep_equal(&e[i], &out[j], 0, &eq))
					break;
			if (eq.over)
				return sp_eq_fail(c);
			if (j == m)
				out[m++] = e[i];
		}
		break;
	case TMPL_FN_SPRIG_APPEND:
	case TMPL_FN_SPRIG_PUSH:
		memcpy(out, e, n * sizeof(*e));
		out[n] = c->argv[1];
		m = n + 1;
		break;
	case TMPL_FN_SPRIG_PREPEND:
		out[0] = c->argv[1];
		memcpy(out + 1, e, n * sizeof(*e));
		m = n + 1;
		break;
	default: /* without */
		for (size_t i = 0; i < n; i++) {
			size_t j;

			for (j = 1; j < c->n; j++)
				if (sp_deep_equal(&e[i], &c->argv[j], 0, &eq))
					break;
			if (eq.over)
				return sp_eq_fail(c);
			if (j == c->n)
				out[m++] = e[i];
		}
		break;
	}
	return sp_make_list(c, out, m, ret);
}

/* sprig_has NEEDLE HAYSTACK: reflect.DeepEqual against each element */
int rf_sprig_has(struct rf_call *c, struct gval *ret)
{
	const struct gval *h = &c->argv[1];
	const char *k = sp_kind(h);
	struct gv_iter it;
	struct gval e;
	struct sp_eq eq = SP_EQ_INIT;

	if (!k) {
		*ret = gv_bool(false);
		return 0;
	}
	if (!sp_is_list(h))
		return rf_fail(c, "Cannot find has on type %s", k);
	*ret = gv_bool(false);
	gv_iter_init(&it, h);
	while (gv_iter_next(&it, &e)) {
		if (sp_deep_equal(&c->argv[0], &e, 0, &eq)) {
			*ret = gv_bool(true);
			break;
		}
		if (eq.over)
			return sp_eq_fail(c);
	}
	return 0;
}

/* sprig_concat LIST...: one []interface{} (nil when all are empty) */
int rf_sprig_concat(struct rf_call *c, struct gval *ret)
{
	size_t total = 0, m = 0;
	struct gval *out;

	for (size_t i = 0; i < c->n; i++) {
		const char *k = sp_kind(&c->argv[i]);

		if (!k)
			return rf_fail(c, NIL_PANIC);
		if (!sp_is_list(&c->argv[i]))
			return rf_fail(c, "Cannot concat type %s as list", k);
		total += (size_t)gv_len(&c->argv[i]);
	}
	if (total == 0) {
		*ret = (struct gval){ .kind = GV_SLICE };
		return 0;
	}
	if (total > SP_MAX_NODES)
		return rf_capfail(c, "a list or dict of more than %d values", SP_MAX_NODES);
	out = rf_alloc(c, total * sizeof(*out));
	if (!out)
		return rf_nomem(c);
	for (size_t i = 0; i < c->n; i++) {
		struct gv_iter it;

		gv_iter_init(&it, &c->argv[i]);
		while (m < total && gv_iter_next(&it, &out[m]))
			m++;
	}
	return sp_make_list(c, out, m, ret);
}

/* sprig_slice LIST [START [END]]: LIST[START:END] of LIST's own type; nil for an empty list */
int rf_sprig_slice(struct rf_call *c, struct gval *ret)
{
	const struct gval *l = &c->argv[0];
	const char *k = sp_kind(l);
	int64_t idx[2] = { 0, 0 };
	size_t len;

	if (!k)
		return rf_fail(c, NIL_PANIC);
	if (!sp_is_list(l))
		return rf_fail(c, "list should be type of slice or array but %s", k);
	len = (size_t)gv_len(l);
	if (len == 0) {
		*ret = GV_NIL_VALUE;
		return 0;
	}
	idx[1] = (int64_t)len;
	for (size_t i = 1; i < c->n && i < 3; i++) {
		const struct gval *a = &c->argv[i];

		if (a->kind != GV_INT && a->kind != GV_INT64 && a->kind != GV_UINT8)
			return rf_fail(c,
				       "an index of type %s is not supported by vaultlet (give an "
				       "integer; see docs/templates.md)",
				       gv_type_name(a));
		idx[i - 1] = a->i;
	}
	if (idx[0] < 0 || idx[1] < idx[0])
		return rf_fail(c, "reflect.Value.Slice: slice index out of bounds");
	if (idx[1] > (int64_t)len)
		return rf_fail(c, "slicing past the length of a list is not supported by vaultlet "
				  "(Go's result depends on the list's capacity; see "
				  "docs/templates.md)");
	*ret = *l;
	if (l->kind == GV_SLICE) {
		ret->slice.off += (size_t)idx[0];
		ret->slice.len = (size_t)(idx[1] - idx[0]);
	} else {
		ret->strs.off += (size_t)idx[0];
		ret->strs.len = (size_t)(idx[1] - idx[0]);
	}
	return 0;
}

/* sprig_toStrings V: strslice; sprig_sortAlpha V: strslice sorted (a non-list: [strval V]) */
int rf_sprig_strings(struct rf_call *c, struct gval *ret)
{
	const struct gval *v = &c->argv[0];
	struct gv_str *items;
	size_t n;
	int r;

	if (sp_fn(c) == TMPL_FN_SPRIG_SORTALPHA && !sp_is_list(v)) {
		items = rf_alloc(c, sizeof(*items));
		if (!items)
			return rf_nomem(c);
		r = sp_strval(c, v, &items[0]);
		if (r)
			return r;
		*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { items, NULL, 0, 1 } };
		return 0;
	}
	r = sp_strslice(c, v, ret);
	if (r || sp_fn(c) != TMPL_FN_SPRIG_SORTALPHA)
		return r;
	n = ret->strs.len;
	items = rf_alloc(c, (n ? n : 1) * sizeof(*items));
	if (!items)
		return rf_nomem(c);
	for (size_t i = 0; i < n; i++)
		items[i] = gv_strs_at(ret, i);
	for (size_t i = 1; v->kind == GV_STRSLICE && i < n; i++)
		if (sp_cmp_str(&items[i - 1], &items[i]) > 0)
			/* Go sorts a []string argument in place: later uses would see it sorted */
			return rf_fail(c,
				       "sorting a []string in place is not supported by vaultlet "
				       "(Go changes the list it was given; sort a list of "
				       "interface values, e.g. sprig_list or a secret's list; see "
				       "docs/templates.md)");
	if (v->kind == GV_STRSLICE)
		return 0; /* already sorted: Go's in-place sort leaves it as it is (nil stays nil) */
	qsort(items, n, sizeof(*items), sp_cmp_str);
	*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { items, NULL, 0, n } };
	return 0;
}

/* sprig_join SEP V: strings.Join(strslice(V), SEP) */
int rf_sprig_join(struct rf_call *c, struct gval *ret)
{
	struct gval l;
	int r = sp_strslice(c, &c->argv[1], &l);

	(void)ret;
	for (size_t i = 0; !r && i < l.strs.len; i++) {
		struct gv_str s = gv_strs_at(&l, i);

		if (i)
			r = buf_append(c->o, c->argv[0].str.s, c->argv[0].str.len);
		if (!r)
			r = buf_append(c->o, s.s, s.len);
	}
	return r;
}

/*
 * sprig_splitList SEP S: strings.Split(S, SEP), a []string;
 * sprig_split SEP S: the same pieces as a map[string]string {"_0": …, "_1": …};
 * sprig_splitn SEP N S: strings.SplitN(S, SEP, N) as that map (N = 0: empty).
 */
int rf_sprig_split(struct rf_call *c, struct gval *ret)
{
	bool splitn = c->fn == TMPL_FN_SPRIG_SPLITN;
	struct gv_str sep = c->argv[0].str, s = c->argv[splitn ? 2 : 1].str;
	int64_t limit = splitn ? c->argv[1].i : -1; /* strings.SplitN's n */
	struct gv_str *items;
	size_t at = 0, n = 0, cap = 16;
	cJSON *obj;
	int r = 0;

	items = rf_alloc(c, cap * sizeof(*items));
	if (!items)
		return rf_nomem(c);
	while (limit != 0) {
		size_t w, skip;
		bool bad = false;

		if (sep.len == 0) {
			if (at >= s.len)
				break;
			w = 1;
			if ((unsigned char)s.s[at] >= 0x80)
				bad = tmplutf_decode(s.s + at, s.len - at, &w) == 0xFFFD && w == 1;
			skip = 0;
		} else {
			long k = gostr_index(s.s + at, s.len - at, sep.s, sep.len);

			w = k < 0 ? s.len - at : (size_t)k;
			skip = k < 0 ? 0 : sep.len;
		}
		if (n == cap) {
			struct gv_str *more;

			if (cap >= SP_MAX_NODES)
				return rf_capfail(c, "a list or dict of more than %d values",
						  SP_MAX_NODES);
			more = rf_alloc(c, cap * 2 * sizeof(*more));
			if (!more)
				return rf_nomem(c);
			memcpy(more, items, n * sizeof(*items));
			items = more;
			cap *= 2;
		}
		if (limit > 0 && n == (uint64_t)limit - 1) {
			/* the n-th piece is the rest */
			if (sep.len == 0 && at >= s.len)
				break;
			items[n++] = (struct gv_str){ s.s + at, s.len - at };
			break;
		}
		items[n++] = (struct gv_str){ s.s + at, w };
		/* strings.explode: an invalid byte is "\uFFFD", except in the last piece */
		if (bad && at + w < s.len)
			items[n - 1] = (struct gv_str){ "\xef\xbf\xbd", 3 };
		at += w + skip;
		if (sep.len && !skip)
			break;
	}
	if (sp_fn(c) == TMPL_FN_SPRIG_SPLITLIST) {
		*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { items, NULL, 0, n } };
		return 0;
	}
	obj = cJSON_CreateObject();
	if (!obj)
		return rf_nomem(c);
	for (size_t i = 0; i < n; i++) {
		char key[32];
		cJSON *v = rf_string_node(items[i].s, items[i].len);

		snprintf(key, sizeof(key), "_%zu", i);
		if (!v || !cJSON_AddItemToObject(obj, key, v)) {
			cJSON_Delete(v);
			cJSON_Delete(obj);
			return rf_nomem(c);
		}
	}
	r = rf_own(c, obj);
	if (r)
		return r;
	*ret = (struct gval){ .kind = GV_MAP, .map = obj, .strmap = true };
	return 0;
}

/* ---- dicts --------------------------------------------------------- */

/* A key for a new object: Go map keys may hold NUL bytes, cJSON's may not. */
static int sp_key(struct rf_call *c, struct gv_str k, char **ret)
{
	char *s;

	if (k.len && memchr(k.s, 0, k.len))
		return rf_fail(c, "a dict key containing a NUL byte is not supported by vaultlet "
				  "(see docs/templates.md)");
	s = rf_alloc(c, k.len + 1);
	if (!s)
		return rf_nomem(c);
	if (k.len)
		memcpy(s, k.s, k.len);
	s[k.len] = 0;
	*ret = s;
	return 0;
}

/* Sets obj[key] = node, replacing an earlier member (Go's map assignment). */
static void sp_obj_set(cJSON *obj, const char *key, cJSON *node)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, node);
	else
		cJSON_AddItemToObject(obj, key, node);
}

static int sp_own_map(struct rf_call *c, cJSON *obj, struct gval *ret)
{
	int r = rf_own(c, obj);

	if (r)
		return r;
	*ret = (struct gval){ .kind = GV_MAP, .map = obj };
	return 0;
}

/* sprig_dict K V K V ...: keys by strval, a missing last value is "" */
int rf_sprig_dict(struct rf_call *c, struct gval *ret)
{
	struct sp_build b = { .c = c };
	cJSON *obj = cJSON_CreateObject();
	int r = 0;

	if (!obj)
		return rf_nomem(c);
	for (size_t i = 0; i < c->n && !r; i += 2) {
		struct gv_str ks;
		char *key = NULL;
		struct gval empty = gv_string("", 0);
		cJSON *v;

		r = sp_strval(c, &c->argv[i], &ks);
		if (!r)
			r = sp_key(c, ks, &key);
		if (r)
			break;
		v = sp_node(&b, i + 1 < c->n ? &c->argv[i + 1] : &empty, &r);
		if (!v)
			break;
		sp_obj_set(obj, key, v);
	}
	if (r) {
		cJSON_Delete(obj);
		return r;
	}
	return sp_own_map(c, obj, ret);
}

/* sprig_get MAP KEY: the value, or "" when absent; sprig_hasKey MAP KEY */
int rf_sprig_get(struct rf_call *c, struct gval *ret)
{
	bool found;
	struct gval v = gv_map_get(&c->argv[0], c->argv[1].str.s, c->argv[1].str.len, &found);

	if (sp_fn(c) == TMPL_FN_SPRIG_HASKEY)
		*ret = gv_bool(found);
	else
		*ret = found ? v : gv_string("", 0);
	return 0;
}

/* sprig_pluck KEY MAP...: the values present under KEY, in argument order */
int rf_sprig_pluck(struct rf_call *c, struct gval *ret)
{
	struct gval *out = rf_alloc(c, c->n * sizeof(*out));
	size_t m = 0;

	if (!out)
		return rf_nomem(c);
	for (size_t i = 1; i < c->n; i++) {
		bool found;
		struct gval v =
		    gv_map_get(&c->argv[i], c->argv[0].str.s, c->argv[0].str.len, &found);

		if (found)
			out[m++] = v;
	}
	return sp_make_list(c, out, m, ret);
}

/* sprig_pick MAP KEY...: a new map of the keys present; sprig_omit MAP KEY...: the others */
int rf_sprig_pick(struct rf_call *c, struct gval *ret)
{
	const struct gval *m = &c->argv[0];
	struct sp_build b = { .c = c };
	cJSON *obj = cJSON_CreateObject();
	int r = 0;

	if (!obj)
		return rf_nomem(c);
	if (sp_fn(c) == TMPL_FN_SPRIG_PICK) {
		for (size_t i = 1; i < c->n && !r; i++) {
			bool found;
			struct gval v = gv_map_get(m, c->argv[i].str.s, c->argv[i].str.len, &found);
			char *key = NULL;
			cJSON *node;

			if (!found)
				continue;
			r = sp_key(c, c->argv[i].str, &key);
			if (r)
				break;
			node = sp_node(&b, &v, &r);
			if (!node)
				break;
			sp_obj_set(obj, key, node);
		}
	} else if (m->map) {
		for (const cJSON *e = m->map->child; e && !r; e = e->next) {
			size_t klen = strlen(e->string), i;
			struct gval v;
			cJSON *node;

			for (i = 1; i < c->n; i++)
				if (c->argv[i].str.len == klen &&
				    (klen == 0 || memcmp(c->argv[i].str.s, e->string, klen) == 0))
					break;
			if (i < c->n)
				continue;
			v = gv_from_json(e);
			node = sp_node(&b, &v, &r);
			if (!node)
				break;
			sp_obj_set(obj, e->string, node);
		}
	}
	if (r) {
		cJSON_Delete(obj);
		return r;
	}
	return sp_own_map(c, obj, ret);
}

/*
 * sprig_dig KEY... DEFAULT MAP: walks nested maps by the keys; DEFAULT when
 * one is absent. Go type-asserts each key to string and each step to
 * map[string]interface{}: a failure is Go's "interface conversion" panic.
 */
int rf_sprig_dig(struct rf_call *c, struct gval *ret)
{
	struct gval cur;
	size_t nk;

	if (c->n < 3)
		return rf_fail(c, "dig needs at least three arguments");
	cur = c->argv[c->n - 1];
	nk = c->n - 2;
	if (cur.kind != GV_MAP || cur.strmap || cur.pki)
		goto bad_map;
	for (size_t i = 0; i < nk; i++)
		if (c->argv[i].kind != GV_STRING)
			return rf_fail(c, "interface conversion: interface {} is %s, not string",
				       c->argv[i].kind == GV_NIL || c->argv[i].kind == GV_INVALID
					   ? "nil"
					   : gv_type_name(&c->argv[i]));
	for (size_t i = 0;; i++) {
		bool found;
		struct gval step = gv_map_get(&cur, c->argv[i].str.s, c->argv[i].str.len, &found);

		if (!found) {
			*ret = c->argv[c->n - 2];
			return 0;
		}
		if (i + 1 == nk) {
			*ret = step;
			return 0;
		}
		cur = step;
		if (cur.kind != GV_MAP)
			goto bad_map;
	}
bad_map:
	return rf_fail(c, "interface conversion: interface {} is %s, not map[string]interface {}",
		       cur.kind == GV_NIL || cur.kind == GV_INVALID ? "nil"
		       : cur.pki				    ? "dependency.PemEncoded"
								    : gv_type_name(&cur));
}

/* ---- encoding ------------------------------------------------------ */

/* sprig_b64dec S: the decoded bytes, or the decoding error's text as the result */
int rf_sprig_b64dec(struct rf_call *c, struct gval *ret)
{
	size_t off = 0;
	int r = b64_decode(c->argv[0].str.s, c->argv[0].str.len, B64_STD, B64_GO, c->o, &off);

	(void)ret;
	if (r == -EINVAL) {
		buf_truncate(c->o, 0);
		r = buf_appendf(c->o, "illegal base64 data at input byte %zu", off);
	}
	return r;
}

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* sprig_b32enc S: base32.StdEncoding (padded) */
int rf_sprig_b32enc(struct rf_call *c, struct gval *ret)
{
	const unsigned char *s = (const unsigned char *)c->argv[0].str.s;
	size_t n = c->argv[0].str.len;
	int r = 0;

	(void)ret;
	for (size_t i = 0; i < n && !r; i += 5) {
		unsigned char blk[5] = { 0 };
		size_t k = n - i < 5 ? n - i : 5, chars = (k * 8 + 4) / 5;
		char out[8];
		uint64_t bits = 0;

		memcpy(blk, s + i, k);
		for (int j = 0; j < 5; j++)
			bits = bits << 8 | blk[j];
		for (int j = 0; j < 8; j++)
			out[j] = (size_t)j < chars ? b32_alpha[(bits >> (35 - 5 * j)) & 31] : '=';
		r = buf_append(c->o, out, 8);
	}
	return r;
}

/* The value of a base32 StdEncoding character, or -1. */
static int b32_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= '2' && ch <= '7')
		return ch - '2' + 26;
	return -1;
}

/*
 * sprig_b32dec S: base32.StdEncoding.DecodeString (Go 1.19's decoder), or
 * the error's text ("illegal base32 data at input byte N") as the result.
 * CR and LF are dropped first (offsets count the rest); input is read in
 * 8-character quanta; '=' after at least two characters of a quantum, with
 * fewer than 8 characters left, ends the input: the rest of the quantum
 * must be '=' (anything after it is ignored, as Go does) and the quantum
 * must hold 2, 4, 5 or 7 characters.
 */
int rf_sprig_b32dec(struct rf_call *c, struct gval *ret)
{
	const char *in = c->argv[0].str.s;
	size_t n = 0, pos = 0;
	char *src;
	long bad = -1;
	bool end = false;
	int r = 0;

	(void)ret;
	src = rf_alloc(c, c->argv[0].str.len + 1);
	if (!src)
		return rf_nomem(c);
	for (size_t i = 0; i < c->argv[0].str.len; i++)
		if (in[i] != '\r' && in[i] != '\n')
			src[n++] = in[i];
	while (pos < n && !end && bad < 0) {
		unsigned char d[8] = { 0 };
		size_t dlen = 8, j = 0;
		unsigned char out[5];
		static const size_t nout[9] = { 0, 0, 1, 0, 2, 3, 0, 4, 5 };

		while (j < 8) {
			char ch;
			size_t left;
			int v;

			if (pos == n) {
				bad = (long)(n - j);
				break;
			}
			ch = src[pos++];
			left = n - pos;
			if (ch == '=' && j >= 2 && left < 8) {
				if (left + j < 7) {
					bad = (long)n;
					break;
				}
				for (size_t k = 0; k < 7 - j; k++)
					if (k < left && src[pos + k] != '=') {
						bad = (long)(pos + k) - 1;
						break;
					}
				if (bad >= 0)
					break;
				dlen = j;
				end = true;
				if (dlen == 1 || dlen == 3 || dlen == 6)
					bad = (long)(pos - 1);
				break;
			}
			v = b32_val(ch);
			if (v < 0) {
				bad = (long)(pos - 1);
				break;
			}
			d[j++] = (unsigned char)v;
		}
		if (bad >= 0)
			break;
		out[4] = (unsigned char)(d[6] << 5 | d[7]);
		out[3] = (unsigned char)(d[4] << 7 | d[5] << 2 | d[6] >> 3);
		out[2] = (unsigned char)(d[3] << 4 | d[4] >> 1);
		out[1] = (unsigned char)(d[1] << 6 | d[2] << 1 | d[3] >> 4);
		out[0] = (unsigned char)(d[0] << 3 | d[1] >> 2);
		r = buf_append(c->o, out, nout[dlen]);
		if (r)
			return r;
	}
	if (bad >= 0) {
		buf_truncate(c->o, 0);
		return buf_appendf(c->o, "illegal base32 data at input byte %ld", bad);
	}
	return 0;
}

/*
 * sprig_toJson V (json.Marshal), sprig_toPrettyJson V (MarshalIndent with
 * two spaces), sprig_toRawJson V (an Encoder without HTML escaping, its
 * newline trimmed): a value json refuses gives "" (sprig drops the error).
 */
int rf_sprig_tojson(struct rf_call *c, struct gval *ret)
{
	const char *msg = NULL;
	int r = gojson_marshal(c->o, &c->argv[0], sp_fn(c) != TMPL_FN_SPRIG_TORAWJSON,
			       sp_fn(c) == TMPL_FN_SPRIG_TOPRETTYJSON, &msg);

	(void)ret;
	if (r == -EINVAL && msg && strstr(msg, "not supported by vaultlet"))
		return rf_fail(c, "%s", msg);
	if (r == -EINVAL) {
		/* toJson and toPrettyJson drop the error; toRawJson panics with it */
		buf_truncate(c->o, 0);
		r = sp_fn(c) == TMPL_FN_SPRIG_TORAWJSON || c->fn != sp_fn(c) ? rf_fail(c, "%s", msg)
									     : 0;
	}
	return r;
}

/* ---- shared with rf_sprig_num.c ------------------------------------ */

const char *rf_sprig_kind(const struct gval *v)
{
	return sp_kind(v);
}

int rf_sprig_deep_equal(struct rf_call *c, const struct gval *a, const struct gval *b, bool *ret)
{
	struct sp_eq eq = SP_EQ_INIT;

	*ret = sp_deep_equal(a, b, 0, &eq);
	return eq.over ? sp_eq_fail(c) : 0;
}

int rf_sprig_strval(struct rf_call *c, const struct gval *v, struct gv_str *ret)
{
	return sp_strval(c, v, ret);
}

/*
 * Go's json.Unmarshal into interface{}: numbers become float64; one that
 * overflows is an error Go saves while it goes on, leaving nil in its
 * place. Replaces such numbers with null; *overflow says one was seen.
 */
static void sp_numbers_to_float(cJSON *n, bool *overflow)
{
	for (cJSON *c = n->child; c; c = c->next) {
		if (cJSON_IsNumber(c) && c->valuestring) {
			double d = strtod(c->valuestring, NULL);

			free(c->valuestring);
			c->valuestring = NULL;
			c->valuedouble = d;
			if (d == HUGE_VAL || d == -HUGE_VAL) {
				*overflow = true;
				c->type = cJSON_NULL;
			}
		}
		sp_numbers_to_float(c, overflow);
	}
}

/* sprig_fromJson S: json.Unmarshal into interface{}, nil on a syntax error */
int rf_sprig_from_json(struct rf_call *c, struct gval *ret)
{
	struct gv_str s = c->argv[0].str;
	cJSON *v = NULL, *holder;
	bool overflow = false;
	int r = vjson_parse(s.s, s.len, &v, NULL);

	if (r == -ENOMEM)
		return rf_nomem(c);
	if (r == -E2BIG)
		return rf_fail(c,
			       "JSON nested deeper than %d levels or longer than %d bytes is not "
			       "supported by vaultlet",
			       VJSON_MAX_DEPTH, VJSON_MAX_TEXT);
	if (r < 0) {
		*ret = GV_NIL_VALUE;
		return 0;
	}
	/* a holder array so that the root is converted like any element */
	holder = cJSON_CreateArray();
	if (!holder) {
		cJSON_Delete(v);
		return rf_nomem(c);
	}
	cJSON_AddItemToArray(holder, v);
	sp_numbers_to_float(holder, &overflow);
	r = rf_own(c, holder);
	if (r)
		return r;
	*ret = gv_from_json(holder->child);
	return 0;
}
