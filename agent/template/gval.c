/* SPDX-License-Identifier: MIT */
/*
 * gval: Go value model over cJSON (see gval.h). Pure functions; no state.
 */
#include <stdlib.h>
#include <string.h>

#include "gval.h"
#include "vjson.h"

const char *const gv_secret_fields[GV_SECRET_NFIELDS] = {
	"RequestID", "LeaseID",	 "LeaseDuration", "Renewable",
	"Data",	     "Warnings", "Auth",	  "WrapInfo",
};

struct gv_str gv_json_str(const cJSON *n)
{
	return (struct gv_str){ n->valuestring ? n->valuestring : "", vjson_string_len(n) };
}

struct gval gv_from_json(const cJSON *n)
{
	if (!n || cJSON_IsNull(n))
		return GV_NIL_VALUE;
	if (cJSON_IsString(n)) {
		struct gv_str s = gv_json_str(n);

		return gv_string(s.s, s.len);
	}
	if (cJSON_IsNumber(n)) {
		if (n->valuestring && (n->type & GV_JSON_KIND_MASK)) {
			enum gv_kind k =
			    (enum gv_kind)((n->type & GV_JSON_KIND_MASK) >> GV_JSON_KIND_SHIFT);

			if (k == GV_UINT64)
				return (struct gval){
					.kind = k, .i = (int64_t)strtoull(n->valuestring, NULL, 10)
				};
			return (struct gval){ .kind = k, .i = strtoll(n->valuestring, NULL, 10) };
		}
		if (n->valuestring)
			return (struct gval){ .kind = GV_NUMBER,
					      .str = { n->valuestring, strlen(n->valuestring) } };
		return (struct gval){ .kind = GV_FLOAT, .f = n->valuedouble };
	}
	if (cJSON_IsTrue(n))
		return gv_bool(true);
	if (cJSON_IsFalse(n))
		return gv_bool(false);
	if (cJSON_IsObject(n))
		return (struct gval){ .kind = GV_MAP, .map = n };
	if (cJSON_IsArray(n))
		return (struct gval){ .kind = GV_SLICE,
				      .slice = { n, 0, (size_t)cJSON_GetArraySize(n) } };
	return GV_NIL_VALUE;
}

const char *gv_type_name(const struct gval *v)
{
	switch (v->kind) {
	case GV_INVALID:
		return "<invalid reflect.Value>";
	case GV_NIL:
		return "interface {}";
	case GV_STRING:
		return "string";
	case GV_NUMBER:
		return "json.Number";
	case GV_BOOL:
		return "bool";
	case GV_INT:
		return "int";
	case GV_UINT8:
		return "uint8";
	case GV_INT64:
		return "int64";
	case GV_UINT64:
		return "uint64";
	case GV_FLOAT:
		return "float64";
	case GV_MAP:
		return v->strmap ? "map[string]string" : "map[string]interface {}";
	case GV_SLICE:
		return "[]interface {}";
	case GV_STRSLICE:
		return "[]string";
	case GV_SECRET:
		return "*dependency.Secret";
	case GV_SECRETV:
		return "dependency.Secret";
	case GV_NILPTR:
		return v->ptr_type;
	}
	return "?";
}

bool gv_is_stringish(const struct gval *v)
{
	return v->kind == GV_STRING || v->kind == GV_NUMBER;
}

bool gv_truth(const struct gval *v, bool *ok)
{
	*ok = true;
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
		return false;
	case GV_STRING:
	case GV_NUMBER:
		return v->str.len > 0;
	case GV_BOOL:
		return v->b;
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
	case GV_UINT64:
		return v->i != 0;
	case GV_FLOAT:
		return v->f != 0;
	case GV_MAP:
		/* a struct, or a non-nil pointer (the scratch), is always true */
		return v->pki || v->scratch || gv_len(v) > 0;
	case GV_SLICE:
	case GV_STRSLICE:
		return gv_len(v) > 0;
	case GV_SECRET:
		return true;
	case GV_SECRETV:
		return true;
	case GV_NILPTR:
		return false;
	}
	*ok = false;
	return false;
}

long gv_len(const struct gval *v)
{
	switch (v->kind) {
	case GV_STRING:
	case GV_NUMBER:
		return (long)v->str.len;
	case GV_MAP:
		return v->map ? cJSON_GetArraySize(v->map) : 0;
	case GV_SLICE:
		return (long)v->slice.len;
	case GV_STRSLICE:
		return (long)v->strs.len;
	default:
		return -1;
	}
}

/* The k-th element of a JSON array, or NULL. */
static const cJSON *nth_child(const cJSON *arr, size_t k)
{
	const cJSON *c;

	for (c = arr ? arr->child : NULL; c && k > 0; c = c->next)
		k--;
	return c;
}

/* A string element of a string slice read from JSON; anything else is "". */
static struct gv_str json_str_or_empty(const cJSON *c)
{
	if (!c || !cJSON_IsString(c))
		return (struct gv_str){ "", 0 };
	return gv_json_str(c);
}

struct gval gv_slice_at(const struct gval *v, size_t i)
{
	return gv_from_json(nth_child(v->slice.arr, v->slice.off + i));
}

void gv_iter_init(struct gv_iter *it, const struct gval *v)
{
	*it = (struct gv_iter){ .v = v, .n = v->kind == GV_SLICE ? v->slice.len : v->strs.len };
	if (v->kind == GV_SLICE)
		it->c = nth_child(v->slice.arr, v->slice.off);
	else if (!v->strs.items)
		it->c = nth_child(v->strs.arr, v->strs.off);
}

bool gv_iter_next(struct gv_iter *it, struct gval *ret)
{
	const struct gval *v = it->v;
	const cJSON *c = it->c;
	struct gv_str s;

	if (it->i >= it->n)
		return false;
	it->c = c ? c->next : NULL;
	if (v->kind == GV_SLICE) {
		*ret = gv_from_json(c);
	} else {
		s = v->strs.items ? v->strs.items[v->strs.off + it->i] : json_str_or_empty(c);
		*ret = gv_string(s.s, s.len);
	}
	it->i++;
	return true;
}

struct gv_str gv_strs_at(const struct gval *v, size_t i)
{
	if (v->strs.items)
		return v->strs.items[v->strs.off + i];
	return json_str_or_empty(nth_child(v->strs.arr, v->strs.off + i));
}

struct gval gv_map_get(const struct gval *m, const char *key, size_t klen, bool *found)
{
	const cJSON *c;

	*found = false;
	if (!m->map || memchr(key, 0, klen))
		return m->strmap ? gv_string("", 0) : GV_NIL_VALUE;
	for (c = m->map->child; c; c = c->next) {
		if (c->string && strlen(c->string) == klen && memcmp(c->string, key, klen) == 0) {
			*found = true;
			return gv_from_json(c);
		}
	}
	return m->strmap ? gv_string("", 0) : GV_NIL_VALUE;
}

static int member_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

size_t gv_sorted_members(const cJSON *obj, const cJSON **ret)
{
	size_t n = 0;
	bool sorted = true;
	const cJSON *c;

	for (c = obj ? obj->child : NULL; c; c = c->next) {
		if (n > 0 && member_cmp(&ret[n - 1], &c) > 0)
			sorted = false;
		ret[n++] = c;
	}
	if (!sorted)
		qsort(ret, n, sizeof(*ret), member_cmp);
	return n;
}

struct gval gv_secret_field(const cJSON *secret, const char *name, size_t len, bool *found)
{
	const cJSON *f;

	*found = true;
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	if (IS("RequestID") || IS("LeaseID")) {
		f = cJSON_GetObjectItemCaseSensitive(secret,
						     IS("RequestID") ? "request_id" : "lease_id");
		if (cJSON_IsString(f)) {
			struct gv_str s = gv_json_str(f);

			return gv_string(s.s, s.len);
		}
		return gv_string("", 0);
	}
	if (IS("LeaseDuration")) {
		f = cJSON_GetObjectItemCaseSensitive(secret, "lease_duration");
		int64_t secs;

		return gv_int(vjson_int64(f, &secs) ? secs : 0);
	}
	if (IS("Renewable")) {
		f = cJSON_GetObjectItemCaseSensitive(secret, "renewable");
		return gv_bool(cJSON_IsTrue(f));
	}
	if (IS("Data")) {
		f = cJSON_GetObjectItemCaseSensitive(secret, "data");
		/* consul-template keeps Data nil when the response's data is empty */
		if (!cJSON_IsObject(f) || !f->child)
			return (struct gval){ .kind = GV_MAP, .map = NULL };
		return (struct gval){ .kind = GV_MAP, .map = f };
	}
	if (IS("Warnings")) {
		struct gval w = { .kind = GV_STRSLICE };
		const cJSON *c;
		size_t n = 0;

		f = cJSON_GetObjectItemCaseSensitive(secret, "warnings");
		for (c = cJSON_IsArray(f) ? f->child : NULL; c; c = c->next)
			n++;
		if (n) {
			w.strs.arr = f;
			w.strs.len = n;
		}
		return w;
	}
	if (IS("Auth"))
		return (struct gval){ .kind = GV_NILPTR, .ptr_type = "*dependency.SecretAuth" };
	if (IS("WrapInfo"))
		return (struct gval){ .kind = GV_NILPTR, .ptr_type = "*dependency.SecretWrapInfo" };
#undef IS
	*found = false;
	return GV_INVALID_VALUE;
}
