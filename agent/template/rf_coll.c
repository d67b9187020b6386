/* SPDX-License-Identifier: MIT */
/*
 * rf_coll: consul-template's membership functions: `contains v l` and
 * `in l v` (a substring of a string, or an element of a list), and
 * containsAll / containsAny / containsNone / containsNotAll (each element
 * of a list looked up with `in`).
 *
 * consul-template's `in` compares list elements by reflect kind: a float
 * with a float, an integer with an integer, a string with a string of the
 * very same type (a json.Number never equals a string, "5" never equals
 * 5), anything else never matches. A nil needle against a string element
 * is a reflect panic in Go, which text/template reports as the call's
 * error: so it is here. Pure; called by render.c only.
 */
#include <errno.h>
#include <string.h>

#include "gostr.h"
#include "rfunc.h"

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
