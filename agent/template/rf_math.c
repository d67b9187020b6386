/* SPDX-License-Identifier: MIT */
/*
 * rf_math: consul-template's add, subtract, multiply, divide, modulo,
 * minimum and maximum. Each takes (b, a) — `{{ 5 | add 2 }}` is 5 + 2,
 * `{{ subtract 2 5 }}` is 5 - 2 — and switches on the reflect kinds of a
 * then b: integers (int, int64 and the uint kinds), floats, nothing else.
 *
 * Go's rules, exactly: int op int and int op uint give an int64 (the uint
 * converted with wrap-around), uint op int gives an int64, uint op uint a
 * uint64, anything with a float a float64; integer overflow wraps; integer
 * division or modulo by zero is Go's runtime panic, which text/template
 * reports as the call's error; the most negative int64 divided by -1 is
 * itself; modulo has no float case. minimum/maximum return the chosen
 * operand converted to its own 64-bit kind (int64, uint64 or float64),
 * comparing after the conversions of the table above. A json.Number (the
 * numbers of a secret) or a string is "unknown type", as in Vault Agent:
 * convert it with parseInt/parseFloat first. Pure.
 */
#include <errno.h>
#include <stdint.h>

#include "gofmt.h"
#include "rfunc.h"

enum cls { C_OTHER, C_INT, C_UINT, C_FLOAT };

static enum cls classify(const struct gval *v)
{
	if (gv_is_int_kind(v))
		return C_INT;
	if (gv_is_uint_kind(v))
		return C_UINT;
	if (v->kind == GV_FLOAT)
		return C_FLOAT;
	return C_OTHER;
}

static double as_float(const struct gval *v, enum cls k)
{
	if (k == C_FLOAT)
		return v->f;
	if (k == C_UINT)
		return (double)(uint64_t)v->i;
	return (double)v->i;
}

static struct gval int64_val(uint64_t bits)
{
	return (struct gval){ .kind = GV_INT64, .i = (int64_t)bits };
}

static struct gval uint64_val(uint64_t u)
{
	return (struct gval){ .kind = GV_UINT64, .i = (int64_t)u };
}

static struct gval float_val(double f)
{
	return (struct gval){ .kind = GV_FLOAT, .f = f };
}

/* fmt.Errorf("NAME: unknown type for %q (%T)", reflect.ValueOf(v), v) */
static int unknown_type(struct rf_call *c, const struct gval *v)
{
	struct gval args[2] = { *v, *v };
	struct buf m;
	int r;

	if (v->kind == GV_NIL || v->kind == GV_INVALID) /* the zero reflect.Value */
		return rf_fail(c, "%s: unknown type for <invalid reflect.Value> (<nil>)",
			       tmpl_func_name(c->fn));
	buf_init_sensitive(&m, 4096);
	r = gofmt_sprintf(&m, "%q (%T)", 7, args, 2);
	if (r == -ENOMEM) {
		buf_done(&m);
		return rf_nomem(c);
	}
	r = rf_fail(c, "%s: unknown type for %s", tmpl_func_name(c->fn),
		    r == 0 ? buf_str(&m) : "a value too long to show");
	buf_done(&m);
	return r;
}

static int div_zero(struct rf_call *c)
{
	return rf_fail(c, "runtime error: integer divide by zero");
}

/* Integer a op b on the bits of two int64 (or uint64 when `u`). */
static int int_op(struct rf_call *c, uint64_t a, uint64_t b, bool u, struct gval *ret)
{
	uint64_t r;

	switch (c->fn) {
	case TMPL_FN_ADD:
		r = a + b;
		break;
	case TMPL_FN_SUBTRACT:
		r = a - b;
		break;
	case TMPL_FN_MULTIPLY:
		r = a * b;
		break;
	case TMPL_FN_DIVIDE:
	case TMPL_FN_MODULO: {
		bool div = c->fn == TMPL_FN_DIVIDE;

		if (b == 0)
			return div_zero(c);
		if (u) {
			r = div ? a / b : a % b;
		} else if ((int64_t)a == INT64_MIN && (int64_t)b == -1) {
			r = div ? a : 0; /* Go: x / -1 == x (wrapped), x % -1 == 0 */
		} else {
			int64_t sa = (int64_t)a, sb = (int64_t)b;

			r = (uint64_t)(div ? sa / sb : sa % sb);
		}
		break;
	}
	default:
		return rf_fail(c, "internal error: bad operator");
	}
	*ret = u ? uint64_val(r) : int64_val(r);
	return 0;
}

static int float_op(struct rf_call *c, double a, double b, struct gval *ret)
{
	switch (c->fn) {
	case TMPL_FN_ADD:
		*ret = float_val(a + b);
		return 0;
	case TMPL_FN_SUBTRACT:
		*ret = float_val(a - b);
		return 0;
	case TMPL_FN_MULTIPLY:
		*ret = float_val(a * b);
		return 0;
	case TMPL_FN_DIVIDE:
		*ret = float_val(a / b);
		return 0;
	default:
		return rf_fail(c, "internal error: bad operator");
	}
}

/* add, subtract, multiply, divide, modulo */
int rf_arith(struct rf_call *c, struct gval *ret)
{
	const struct gval *b = &c->argv[0], *a = &c->argv[1];
	enum cls ka = classify(a), kb = classify(b);
	bool modulo = c->fn == TMPL_FN_MODULO;

	if (ka == C_OTHER || (modulo && ka == C_FLOAT))
		return unknown_type(c, a);
	if (kb == C_OTHER || (modulo && kb == C_FLOAT))
		return unknown_type(c, b);
	if (ka == C_FLOAT || kb == C_FLOAT)
		return float_op(c, as_float(a, ka), as_float(b, kb), ret);
	/* uint op uint stays unsigned; every other integer mix is int64 */
	return int_op(c, (uint64_t)a->i, (uint64_t)b->i, ka == C_UINT && kb == C_UINT, ret);
}

/* The operand as its own 64-bit kind (int64, uint64, float64). */
static struct gval widen(const struct gval *v, enum cls k)
{
	if (k == C_FLOAT)
		return float_val(v->f);
	if (k == C_UINT)
		return uint64_val((uint64_t)v->i);
	return int64_val((uint64_t)v->i);
}

/* minimum, maximum */
int rf_minmax(struct rf_call *c, struct gval *ret)
{
	const struct gval *b = &c->argv[0], *a = &c->argv[1];
	enum cls ka = classify(a), kb = classify(b);
	bool less, max = c->fn == TMPL_FN_MAXIMUM;

	if (ka == C_OTHER)
		return unknown_type(c, a);
	if (kb == C_OTHER)
		return unknown_type(c, b);
	if (ka == C_FLOAT || kb == C_FLOAT) {
		double fa = as_float(a, ka), fb = as_float(b, kb);

		less = max ? fa > fb : fa < fb;
	} else if (ka == C_UINT && kb == C_UINT) {
		uint64_t ua = (uint64_t)a->i, ub = (uint64_t)b->i;

		less = max ? ua > ub : ua < ub;
	} else {
		/* Go converts the uint side with int64(): a wrap-around, not a range check */
		int64_t ia = a->i, ib = b->i;

		less = max ? ia > ib : ia < ib;
	}
	*ret = less ? widen(a, ka) : widen(b, kb);
	return 0;
}
