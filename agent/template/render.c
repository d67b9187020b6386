/* SPDX-License-Identifier: MIT */
/*
 * render: executes a parsed template like Go's text/template executor with
 * consul-template's function map (see render.h).
 *
 * DESIGN. The executor mirrors text/template/exec.go: walk over the tree
 * with a dot value and a stack of variables; evalPipeline, evalCommand,
 * evalField(Chain), evalCall, evalArg and validateType keep Go's names and
 * order of checks, because Go's observable behaviour (which value is
 * "no value" and which is a nil interface, when a missing key is an
 * error, which argument is type-checked first) lives in those details.
 * Go panics to abort; here every step returns 0 or a negative errno and
 * the first error message is kept in the result. break/continue travel
 * up as positive codes to the enclosing range.
 *
 * Values are struct gval (gval.h). Strings computed during execution live
 * in an arena that is wiped and freed when render_exec() returns (they may
 * be secrets); trees made by parseJSON are owned and deleted likewise.
 * Functions are dispatched on enum tmpl_func with a table of Go parameter
 * types, so argument checking follows evalCall for every function.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "arena.h"
#include "b64.h"
#include "gofmt.h"
#include "gojson.h"
#include "gostr.h"
#include "goyaml.h"
#include "gval.h"
#include "render.h"
#include "rfunc.h"
#include "tmplutf.h"
#include "vjson.h"
#include "vwrite.h"

extern char **environ;

enum { EX_BREAK = 1, EX_CONTINUE = 2 };

/* ---- state --------------------------------------------------------- */

struct var {
	const char *name;
	size_t len;
	struct gval v;
};

struct ex {
	const struct tmpl *t;
	const struct render_opts *o;
	struct buf *out;
	struct render_result *res;
	struct arena ar; /* computed strings: sensitive, wiped when done */
	struct var *vars;
	size_t nvars, capvars;
	size_t iters;
	int depth;
	cJSON **owned;
	size_t nowned, capowned;
	const struct tmpl_node *at;
	bool missing;
	bool err_set;
	/* loop: the call a range is over (the only place loop is accepted), its bounds */
	const struct tmpl_node *loop_ident;
	bool loop_hit;
	int64_t loop_start, loop_stop;
	/* mergeMap/scratch state (rf_mut.c) */
	struct rf_mut *mut;
};

/* Longest error text formatted before it is redacted and cut to TMPL_ERROR_MAX. */
#define RENDER_ERROR_TEXT_MAX (64 * 1024)

/* The "missing" final argument of evalCall (Go's missingVal). */
struct final {
	bool present;
	struct gval v;
};

static const struct final NO_FINAL = { 0 };

static int ex_verrorf(struct ex *x, int r, const struct tmpl_node *n, const char *fmt, va_list ap)
    VL_PRINTF(4, 0);
/* A value error messages must not show: a string or number of a secret used so far. */
struct hidden {
	const char *p;
	size_t n;
	char *own; /* p, when it is a Go-quoted form made here */
};

struct hidden_list {
	struct hidden *v;
	size_t n, cap;
};

static int hidden_add(struct hidden_list *l, const char *p, size_t n, char *own)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct hidden *grown = realloc(l->v, cap * sizeof(*grown));

		if (!grown) {
			free(own);
			return -ENOMEM;
		}
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n++] = (struct hidden){ p, n, own };
	return 0;
}

/*
 * Also hide the Go-quoted forms (strconv.Quote and QuoteToASCII, as %q
 * and %+q print them, and as strconv's errors quote their input) of a
 * value whose quoted form differs from its bytes: "a\"b" does not contain
 * a"b. The surrounding quotes are left out so the form matches inside
 * any quoted context.
 */
static int collect_quoted(struct hidden_list *l, const char *v, size_t n)
{
	int r = 0;

	for (int ascii = 0; ascii < 2 && r == 0; ascii++) {
		struct buf q;
		char *own;
		size_t len;

		buf_init_sensitive(&q, RENDER_ERROR_TEXT_MAX * 4);
		r = gofmt_quote(&q, v, n, ascii);
		if (r == -E2BIG) { /* longer than any error text: cannot appear whole */
			buf_done(&q);
			return 0;
		}
		if (r == 0 && q.len >= 2 && (q.len - 2 != n || memcmp(q.data + 1, v, n) != 0)) {
			own = buf_take(&q, &len);
			if (!own) {
				r = -ENOMEM;
			} else {
				memmove(own, own + 1, len - 2);
				r = hidden_add(l, own, len - 2, own);
			}
		}
		buf_done(&q);
	}
	return r;
}

static int collect_hidden(struct hidden_list *l, const cJSON *n, int depth)
{
	const cJSON *c;

	if (!n || depth > 64)
		return 0;
	if ((cJSON_IsString(n) || cJSON_IsNumber(n)) && n->valuestring &&
	    strlen(n->valuestring) >= 3) {
		size_t len = strlen(n->valuestring);

		if (hidden_add(l, n->valuestring, len, NULL) < 0 ||
		    collect_quoted(l, n->valuestring, len) < 0)
			return -ENOMEM;
	}
	for (c = n->child; c; c = c->next) {
		if (collect_hidden(l, c, depth + 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Every string and number of the secrets used so far, for redact(). */
static int used_values(struct ex *x, struct hidden_list *l)
{
	int r = 0;

	for (size_t i = 0; i < x->res->nused && r == 0; i++) {
		const char *key = x->res->used[i];
		const cJSON *sec;

		if (key[0] == RENDER_FILE_KEY) {
			/* a file read with `file` may be a secret too: its whole content */
			const char *d = NULL;
			size_t n = 0;

			if (x->o->file && x->o->file(x->o->file_ctx, key + 1, &d, &n) && n >= 3)
				r = hidden_add(l, d, n, NULL);
			continue;
		}
		sec = x->o->secret ? x->o->secret(x->o->secret_ctx, key) : NULL;
		if (sec)
			r = collect_hidden(l, cJSON_GetObjectItemCaseSensitive(sec, "data"), 0);
	}
	return r;
}

/*
 * in[0..n) with every byte that belongs to one of the values hidden: each
 * run of such bytes becomes one [redacted]. Matches are all found in the
 * original text first, so overlapping values leave no piece behind and a
 * value inside "[redacted]" itself ("red", "act") is never matched again.
 */
static int redact(const struct hidden_list *l, const char *in, size_t n, struct buf *out)
{
	bool *hide = NULL;
	int r = 0;

	if (l->n && n) {
		hide = calloc(n, sizeof(*hide));
		if (!hide)
			return -ENOMEM;
	}
	for (size_t k = 0; k < l->n && hide; k++) {
		const char *p = in, *end = in + n;

		while ((p = memmem(p, (size_t)(end - p), l->v[k].p, l->v[k].n)) != NULL) {
			memset(hide + (p - in), true, l->v[k].n);
			p++;
		}
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!hide || !hide[i])
			r = buf_putc(out, in[i]);
		else if (i == 0 || !hide[i - 1])
			r = buf_append(out, "[redacted]", 10);
	}
	free(hide);
	return r;
}

static int ex_verrorf(struct ex *x, int r, const struct tmpl_node *n, const char *fmt, va_list ap)
{
	static const char nomem[] = "(the error message could not be made: out of memory)";
	struct tmpl_error *e = &x->res->err;
	struct hidden_list hidden = { 0 };
	struct buf raw, msg, at;
	const char *m = nomem;
	bool ok;

	if (x->err_set)
		return r;
	x->err_set = true;
	if (!n)
		n = x->at;
	/* whole, and redacted before it is cut: a cut value would no longer match */
	buf_init_sensitive(&raw, RENDER_ERROR_TEXT_MAX);
	buf_init_sensitive(&msg, RENDER_ERROR_TEXT_MAX);
	buf_init_sensitive(&at, RENDER_ERROR_TEXT_MAX);
	ok = used_values(x, &hidden) == 0;
	if (ok && buf_vappendf(&raw, fmt, ap) == 0 && redact(&hidden, raw.data, raw.len, &msg) == 0)
		m = buf_str(&msg);
	if (n) {
		const char *src = x->t->text + n->pos.offset;
		size_t len = VL_MIN(n->src_len, 48u);
		const char *nl = memchr(src, '\n', len);

		if (nl)
			len = (size_t)(nl - src);
		e->line = n->pos.line;
		e->col = n->pos.col;
		/* the template's own text too, as it may quote a value */
		if (!ok || redact(&hidden, src, len, &at) < 0)
			m = nomem;
		snprintf(e->msg, sizeof(e->msg), "executing at <%s%s>: %.180s", buf_str(&at),
			 len < n->src_len ? "..." : "", m);
	} else {
		e->line = 1;
		e->col = 1;
		snprintf(e->msg, sizeof(e->msg), "%s", m);
	}
	buf_done(&raw);
	buf_done(&msg);
	buf_done(&at);
	for (size_t i = 0; i < hidden.n; i++) {
		if (hidden.v[i].own) {
			explicit_bzero(hidden.v[i].own, hidden.v[i].n);
			free(hidden.v[i].own);
		}
	}
	free(hidden.v);
	return r;
}

static int ex_errorf(struct ex *x, const struct tmpl_node *n, const char *fmt, ...) VL_PRINTF(3, 4);
static int ex_errorf(struct ex *x, const struct tmpl_node *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ex_verrorf(x, -EINVAL, n, fmt, ap);
	va_end(ap);
	return r;
}

static int ex_caperr(struct ex *x, const struct tmpl_node *n, const char *fmt, ...) VL_PRINTF(3, 4);
static int ex_caperr(struct ex *x, const struct tmpl_node *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ex_verrorf(x, -E2BIG, n, fmt, ap);
	va_end(ap);
	return r;
}

static int ex_nomem(struct ex *x)
{
	if (!x->err_set) {
		x->err_set = true;
		x->res->err.line = 1;
		x->res->err.col = 1;
		snprintf(x->res->err.msg, sizeof(x->res->err.msg), "out of memory");
	}
	return -ENOMEM;
}

/* A copy of b's content as a string value in the arena. */
static int ex_str_from_buf(struct ex *x, struct buf *b, struct gval *ret)
{
	char *s = arena_alloc(&x->ar, b->len + 1);

	if (!s)
		return ex_nomem(x);
	if (b->len)
		memcpy(s, b->data, b->len);
	s[b->len] = 0;
	*ret = gv_string(s, b->len);
	return 0;
}

/* ---- variables ----------------------------------------------------- */

static int push_var(struct ex *x, const char *name, size_t len, struct gval v)
{
	if (x->nvars == x->capvars) {
		size_t cap = x->capvars ? x->capvars * 2 : 16;
		struct var *nv;

		if (cap > 1u << 20)
			return ex_caperr(x, NULL, "too many variables");
		nv = realloc(x->vars, cap * sizeof(*nv));
		if (!nv)
			return ex_nomem(x);
		x->vars = nv;
		x->capvars = cap;
	}
	x->vars[x->nvars++] = (struct var){ .name = name, .len = len, .v = v };
	return 0;
}

static struct var *find_var(struct ex *x, const char *name, size_t len)
{
	size_t i = x->nvars;

	while (i-- > 0)
		if (x->vars[i].len == len && memcmp(x->vars[i].name, name, len) == 0)
			return &x->vars[i];
	return NULL;
}

/* ---- function parameter types ------------------------------------- */

/* Go's parameter types of a function, as evalCall checks them. */
enum ptype { P_NONE, P_VALUE, P_ANY, P_STRING, P_INT, P_STRSLICE, P_IFSLICE, P_MAP };

static const char *ptype_name(enum ptype t)
{
	switch (t) {
	case P_VALUE:
		return "reflect.Value";
	case P_ANY:
		return "interface {}";
	case P_STRING:
		return "string";
	case P_INT:
		return "int";
	case P_STRSLICE:
		return "[]string";
	case P_IFSLICE:
		return "[]interface {}";
	case P_MAP:
		return "map[string]interface {}";
	default:
		return "?";
	}
}

/* ---- forward declarations ------------------------------------------ */

static int eval_pipeline(struct ex *x, struct gval dot, const struct tmpl_node *pipe,
			 struct gval *ret);
static int eval_arg(struct ex *x, struct gval dot, enum ptype t, const struct tmpl_node *n,
		    struct gval *ret);
static int eval_function(struct ex *x, struct gval dot, const struct tmpl_node *ident,
			 const struct tmpl_node *cmd, struct tmpl_node *const *args, size_t nargs,
			 struct final final, struct gval *ret);
static int walk_list(struct ex *x, struct gval dot, const struct tmpl_list *l);

/* ---- constants ----------------------------------------------------- */

static bool text_has_any(const struct tmpl_str *t, const char *chars)
{
	for (size_t i = 0; i < t->len; i++)
		if (strchr(chars, t->s[i]))
			return true;
	return false;
}

static int ideal_constant(struct ex *x, const struct tmpl_node *n, struct gval *ret)
{
	const struct tmpl_number *v = &n->number.v;
	const struct tmpl_str *t = &n->number.text;
	bool hex_int = t->len > 2 && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X') &&
		       !text_has_any(t, "pP");
	bool rune_int = t->len > 0 && t->s[0] == '\'';

	x->at = n;
	if (v->is_float && !hex_int && !rune_int && text_has_any(t, ".eEpP")) {
		*ret = (struct gval){ .kind = GV_FLOAT, .f = v->f };
		return 0;
	}
	if (v->is_int) {
		*ret = gv_int(v->i);
		return 0;
	}
	if (v->is_uint)
		return ex_errorf(x, n, "%.*s overflows int", (int)t->len, t->s);
	*ret = GV_INVALID_VALUE;
	return 0;
}

static void node_text(struct ex *x, const struct tmpl_node *n, const char **s, int *len)
{
	*s = x->t->text + n->pos.offset;
	*len = (int)VL_MIN(n->src_len, 40u);
}

/* ---- fields -------------------------------------------------------- */

static bool missingkey_error(struct ex *x)
{
	return x->o->error_on_missing_key;
}

static bool has_args(size_t nargs, struct final final)
{
	return nargs > 1 || final.present;
}

/*
 * pkiCert's value is consul-template's dependency.PemEncoded struct
 * {Cert, Key, CA string; CAChain []string}, kept as the answer's JSON
 * object. Its fields read as Go's (a field the answer lacks is its zero
 * value); any other field is Go's error. Every other use of the whole
 * value (printing it, passing it to a function, ranging over it) would
 * treat it as a map where Go has a struct: refused by pki_refuse().
 */
static int pki_field(struct ex *x, const struct tmpl_node *node, struct gval recv,
		     const struct tmpl_str *name, size_t nargs, struct final final,
		     struct gval *ret)
{
	static const char *const fields[] = { "Cert", "Key", "CA", "CAChain" };
	const cJSON *c;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i]) == name->len && memcmp(fields[i], name->s, name->len) == 0)
			break;
	if (i == ARRAY_SIZE(fields)) {
		if (name->len == 6 && memcmp(name->s, "Equals", 6) == 0)
			return ex_errorf(x, node,
					 "the method Equals of pkiCert's value is not "
					 "supported by vaultlet: compare its fields");
		return ex_errorf(x, node, "can't evaluate field %.*s in type dependency.PemEncoded",
				 (int)name->len, name->s);
	}
	if (has_args(nargs, final))
		return ex_errorf(x, node, "%.*s has arguments but cannot be invoked as function",
				 (int)name->len, name->s);
	c = recv.map ? cJSON_GetObjectItemCaseSensitive(recv.map, fields[i]) : NULL;
	if (i < 3) {
		if (c && !cJSON_IsString(c))
			return ex_errorf(x, node, "pkiCert's %s is not a string", fields[i]);
		*ret = c ? gv_from_json(c) : gv_string("", 0);
		return 0;
	}
	*ret = (struct gval){ .kind = GV_STRSLICE };
	if (c && !cJSON_IsArray(c))
		return ex_errorf(x, node, "pkiCert's CAChain is not a list");
	for (const cJSON *e = c ? c->child : NULL; e; e = e->next, n++)
		if (!cJSON_IsString(e))
			return ex_errorf(x, node,
					 "pkiCert's CAChain holds a value that is not a string");
	if (n) {
		ret->strs.arr = c;
		ret->strs.len = n;
	}
	return 0;
}

/* An error for a use of pkiCert's whole value (see pki_field); 0 for any other value. */
static int pki_refuse(struct ex *x, const struct tmpl_node *node, const struct gval *v)
{
	if (v->kind == GV_MAP && v->scratch)
		return ex_errorf(
		    x, node,
		    "using the value of scratch itself (Go's *template.Scratch) is not "
		    "supported by vaultlet: call its methods (.Set, .Get, .Key, ...)");
	if (v->kind != GV_MAP || !v->pki)
		return 0;
	return ex_errorf(x, node,
			 "using the whole value of pkiCert (Go's dependency.PemEncoded "
			 "struct) is not supported by vaultlet: use its fields .Cert, .Key, "
			 ".CA, .CAChain");
}

static bool number_method(const char *name, size_t len)
{
	return (len == 6 && memcmp(name, "String", 6) == 0) ||
	       (len == 5 && memcmp(name, "Int64", 5) == 0) ||
	       (len == 7 && memcmp(name, "Float64", 7) == 0);
}

static int call_number_method(struct ex *x, const struct tmpl_node *node, struct gval recv,
			      const struct tmpl_str *name, size_t nargs, struct final final,
			      struct gval *ret)
{
	size_t numin = (nargs > 0 ? nargs - 1 : 0) + (final.present ? 1 : 0);

	if (name->len != 6)
		return ex_errorf(x, node,
				 "the json.Number method %.*s is not supported by vaultlet",
				 (int)name->len, name->s);
	if (numin != 0)
		return ex_errorf(x, node, "wrong number of args for String: want 0 got %zu", numin);
	*ret = gv_string(recv.str.s, recv.str.len);
	return 0;
}

static int eval_call(struct ex *x, struct gval dot, enum tmpl_func fn, const struct tmpl_node *node,
		     struct tmpl_node *const *args, size_t nargs, struct final final,
		     struct gval *ret);

/*
 * A field of consul-template's *Scratch: its methods are called as Go's
 * evalField does (args[1..nargs) and final are the arguments); the fields
 * and methods it has from sync.RWMutex are refused.
 */
static int scratch_field(struct ex *x, struct gval dot, const struct tmpl_str *name,
			 const struct tmpl_node *node, struct tmpl_node *const *args, size_t nargs,
			 struct final final, struct gval *ret)
{
	static const struct {
		const char *name;
		enum tmpl_func fn;
	} methods[] = {
		{ "Key", TMPL_FN_SCRATCH_KEY },
		{ "Get", TMPL_FN_SCRATCH_GET },
		{ "Set", TMPL_FN_SCRATCH_SET },
		{ "SetX", TMPL_FN_SCRATCH_SETX },
		{ "MapSet", TMPL_FN_SCRATCH_MAPSET },
		{ "MapSetX", TMPL_FN_SCRATCH_MAPSETX },
		{ "MapValues", TMPL_FN_SCRATCH_MAPVALUES },
	};
	static const char *const refused[] = { "RWMutex",   "Lock",	   "Unlock",	"RLock",
					       "RUnlock",   "RLocker",	   "TryLock",	"TryRLock",
					       "once",	    "values",	   "w",		"writerSem",
					       "readerSem", "readerCount", "readerWait" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(methods); i++)
		if (strlen(methods[i].name) == name->len &&
		    memcmp(methods[i].name, name->s, name->len) == 0) {
			if (!args)
				nargs = 0; /* an operand or inside a chain: no arguments */
			return eval_call(x, dot, methods[i].fn, node, args, nargs, final, ret);
		}
	for (i = 0; i < ARRAY_SIZE(refused); i++)
		if (strlen(refused[i]) == name->len && memcmp(refused[i], name->s, name->len) == 0)
			return ex_errorf(x, node,
					 "%.*s of the scratch (its sync.RWMutex or an unexported "
					 "field) is not supported by vaultlet",
					 (int)name->len, name->s);
	return ex_errorf(x, node, "can't evaluate field %.*s in type *template.Scratch",
			 (int)name->len, name->s);
}

static int eval_field(struct ex *x, struct gval dot, const struct tmpl_str *name,
		      const struct tmpl_node *node, struct tmpl_node *const *args, size_t nargs,
		      struct final final, struct gval recv, struct gval *ret)
{
	const char *typ;

	if (recv.kind == GV_MAP && recv.scratch)
		return scratch_field(x, dot, name, node, args, nargs, final, ret);
	if (recv.kind == GV_INVALID) {
		if (missingkey_error(x))
			return ex_errorf(x, node, "nil data; no entry for key \"%.*s\"",
					 (int)name->len, name->s);
		*ret = GV_INVALID_VALUE;
		return 0;
	}
	typ = gv_type_name(&recv);
	if (recv.kind == GV_NIL)
		return ex_errorf(x, node, "nil pointer evaluating interface {}.%.*s",
				 (int)name->len, name->s);
	if (recv.kind == GV_SECRET)
		recv.kind = GV_SECRETV;
	if (recv.kind == GV_NUMBER && number_method(name->s, name->len))
		return call_number_method(x, node, recv, name, nargs, final, ret);
	switch (recv.kind) {
	case GV_SECRETV: {
		bool found;
		struct gval f = gv_secret_field(recv.secret, name->s, name->len, &found);

		if (!found)
			break;
		if (has_args(nargs, final))
			return ex_errorf(x, node,
					 "%.*s has arguments but cannot be invoked as function",
					 (int)name->len, name->s);
		*ret = f;
		return 0;
	}
	case GV_MAP: {
		bool found;
		struct gval v;

		if (recv.pki)
			return pki_field(x, node, recv, name, nargs, final, ret);
		if (has_args(nargs, final))
			return ex_errorf(x, node, "%.*s is not a method but has arguments",
					 (int)name->len, name->s);
		v = gv_map_get(&recv, name->s, name->len, &found);
		if (!found) {
			if (missingkey_error(x))
				return ex_errorf(x, node, "map has no entry for key \"%.*s\"",
						 (int)name->len, name->s);
			v = recv.strmap ? gv_string("", 0) : GV_NIL_VALUE;
		}
		*ret = v;
		return 0;
	}
	case GV_NILPTR: {
		static const char *const auth_fields[] = { "ClientToken",   "Accessor",
							   "Policies",	    "Metadata",
							   "LeaseDuration", "Renewable" };
		static const char *const wrap_fields[] = { "Token", "TTL", "CreationTime",
							   "WrappedAccessor" };
		bool auth = strcmp(recv.ptr_type, "*dependency.SecretAuth") == 0;
		const char *const *f = auth ? auth_fields : wrap_fields;
		size_t nf = auth ? ARRAY_SIZE(auth_fields) : ARRAY_SIZE(wrap_fields);

		for (size_t i = 0; i < nf; i++)
			if (strlen(f[i]) == name->len && memcmp(f[i], name->s, name->len) == 0)
				return ex_errorf(x, node, "nil pointer evaluating %s.%.*s",
						 recv.ptr_type, (int)name->len, name->s);
		break;
	}
	default:
		break;
	}
	if (recv.kind == GV_SECRETV)
		typ = "*dependency.Secret";
	return ex_errorf(x, node, "can't evaluate field %.*s in type %s", (int)name->len, name->s,
			 typ);
}

/* args[1..nargs): the command's arguments for the last field (NULL: none given) */
static int eval_field_chain(struct ex *x, struct gval dot, struct gval recv,
			    const struct tmpl_node *node, const struct tmpl_str *ident, size_t n,
			    struct tmpl_node *const *args, size_t nargs, struct final final,
			    struct gval *ret)
{
	size_t i;
	int r;

	for (i = 0; i + 1 < n; i++) {
		r = eval_field(x, dot, &ident[i], node, NULL, 0, NO_FINAL, recv, &recv);
		if (r)
			return r;
	}
	return eval_field(x, dot, &ident[n - 1], node, args, nargs, final, recv, ret);
}

static int not_a_function(struct ex *x, const struct tmpl_node *first, size_t nargs,
			  struct final final)
{
	if (nargs > 1 || final.present) {
		const char *s;
		int len;

		node_text(x, first, &s, &len);
		return ex_errorf(x, first, "can't give argument to non-function %.*s", len, s);
	}
	return 0;
}

static int eval_variable_node(struct ex *x, struct gval dot, const struct tmpl_node *v,
			      struct tmpl_node *const *args, size_t nargs, struct final final,
			      struct gval *ret)
{
	struct var *var;

	x->at = v;
	var = find_var(x, v->field.ident[0].s, v->field.ident[0].len);
	if (!var)
		return ex_errorf(x, v, "undefined variable: %.*s", (int)v->field.ident[0].len,
				 v->field.ident[0].s);
	if (v->field.nident == 1) {
		int r = not_a_function(x, v, nargs, final);

		if (r)
			return r;
		*ret = var->v;
		return 0;
	}
	return eval_field_chain(x, dot, var->v, v, v->field.ident + 1, v->field.nident - 1, args,
				nargs, final, ret);
}

static int eval_chain_node(struct ex *x, struct gval dot, const struct tmpl_node *chain,
			   struct tmpl_node *const *args, size_t nargs, struct final final,
			   struct gval *ret)
{
	struct gval pipe;
	int r;

	x->at = chain;
	if (chain->chain.node->type == TMPL_NODE_NIL)
		return ex_errorf(x, chain, "indirection through explicit nil");
	r = eval_arg(x, dot, P_NONE, chain->chain.node, &pipe);
	if (r)
		return r;
	return eval_field_chain(x, dot, pipe, chain, chain->chain.field, chain->chain.nfield, args,
				nargs, final, ret);
}

/* ---- argument checking --------------------------------------------- */

static int validate_type(struct ex *x, const struct tmpl_node *n, struct gval v, enum ptype t,
			 struct gval *ret)
{
	if (v.kind == GV_INVALID) {
		switch (t) {
		case P_NONE:
		case P_VALUE:
			*ret = v;
			return 0;
		case P_ANY:
			*ret = GV_NIL_VALUE;
			return 0;
		case P_STRSLICE:
			*ret = (struct gval){ .kind = GV_STRSLICE };
			return 0;
		case P_IFSLICE:
			*ret = (struct gval){ .kind = GV_SLICE };
			return 0;
		case P_MAP:
			*ret = (struct gval){ .kind = GV_MAP };
			return 0;
		default:
			return ex_errorf(x, n, "invalid value; expected %s", ptype_name(t));
		}
	}
	switch (t) {
	case P_NONE:
	case P_VALUE:
	case P_ANY:
		*ret = v;
		return 0;
	case P_STRING:
		if (v.kind == GV_STRING) {
			*ret = v;
			return 0;
		}
		break;
	case P_INT:
		if (v.kind == GV_INT) {
			*ret = v;
			return 0;
		}
		break;
	case P_STRSLICE:
		if (v.kind == GV_STRSLICE) {
			*ret = v;
			return 0;
		}
		break;
	case P_IFSLICE:
		if (v.kind == GV_SLICE) {
			*ret = v;
			return 0;
		}
		break;
	case P_MAP:
		if (v.kind == GV_MAP && !v.strmap) {
			*ret = v;
			return 0;
		}
		break;
	}
	return ex_errorf(x, n, "wrong type for value; expected %s; got %s", ptype_name(t),
			 gv_type_name(&v));
}

/* evalEmptyInterface for a literal node */
static int eval_literal_any(struct ex *x, struct gval dot, const struct tmpl_node *n,
			    struct gval *ret)
{
	switch (n->type) {
	case TMPL_NODE_BOOL:
		*ret = gv_bool(n->boolean);
		return 0;
	case TMPL_NODE_DOT:
		*ret = dot;
		return 0;
	case TMPL_NODE_NUMBER:
		return ideal_constant(x, n, ret);
	case TMPL_NODE_STRING:
		*ret = gv_string(n->str.s, n->str.len);
		return 0;
	default:
		return ex_errorf(x, n, "can't handle assignment to empty interface argument");
	}
}

static int eval_arg(struct ex *x, struct gval dot, enum ptype t, const struct tmpl_node *n,
		    struct gval *ret)
{
	struct gval v;
	int r;

	x->at = n;
	switch (n->type) {
	case TMPL_NODE_DOT:
		return validate_type(x, n, dot, t, ret);
	case TMPL_NODE_NIL:
		switch (t) {
		case P_VALUE:
			*ret = GV_INVALID_VALUE;
			return 0;
		case P_ANY:
			*ret = GV_NIL_VALUE;
			return 0;
		case P_STRSLICE:
			*ret = (struct gval){ .kind = GV_STRSLICE };
			return 0;
		case P_IFSLICE:
			*ret = (struct gval){ .kind = GV_SLICE };
			return 0;
		case P_MAP:
			*ret = (struct gval){ .kind = GV_MAP };
			return 0;
		default:
			return ex_errorf(x, n, "cannot assign nil to %s", ptype_name(t));
		}
	case TMPL_NODE_FIELD:
		r = eval_field_chain(x, dot, dot, n, n->field.ident, n->field.nident, NULL, 1,
				     NO_FINAL, &v);
		return r ? r : validate_type(x, n, v, t, ret);
	case TMPL_NODE_VARIABLE:
		r = eval_variable_node(x, dot, n, NULL, 0, NO_FINAL, &v);
		return r ? r : validate_type(x, n, v, t, ret);
	case TMPL_NODE_PIPE:
		r = eval_pipeline(x, dot, n, &v);
		return r ? r : validate_type(x, n, v, t, ret);
	case TMPL_NODE_IDENT:
		r = eval_function(x, dot, n, n, NULL, 0, NO_FINAL, &v);
		return r ? r : validate_type(x, n, v, t, ret);
	case TMPL_NODE_CHAIN:
		r = eval_chain_node(x, dot, n, NULL, 0, NO_FINAL, &v);
		return r ? r : validate_type(x, n, v, t, ret);
	default:
		break;
	}
	switch (t) {
	case P_VALUE:
	case P_ANY:
		return eval_literal_any(x, dot, n, ret);
	case P_STRING:
		if (n->type == TMPL_NODE_STRING) {
			*ret = gv_string(n->str.s, n->str.len);
			return 0;
		}
		{
			const char *s;
			int len;

			node_text(x, n, &s, &len);
			return ex_errorf(x, n, "expected string; found %.*s", len, s);
		}
	case P_INT:
		if (n->type == TMPL_NODE_NUMBER && n->number.v.is_int) {
			*ret = gv_int(n->number.v.i);
			return 0;
		}
		{
			const char *s;
			int len;

			node_text(x, n, &s, &len);
			return ex_errorf(x, n, "expected integer; found %.*s", len, s);
		}
	default: {
		const char *s;
		int len;

		node_text(x, n, &s, &len);
		return ex_errorf(x, n, "can't handle %.*s for arg of type %s", len, s,
				 ptype_name(t));
	}
	}
}

/* ---- builtins ------------------------------------------------------ */

/* indirectInterface: a nil interface is no value */
static struct gval ind_iface(struct gval v)
{
	return v.kind == GV_NIL ? GV_INVALID_VALUE : v;
}

static bool truth(struct gval v)
{
	bool ok;

	v = ind_iface(v);
	return gv_truth(&v, &ok);
}

enum bkind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_UINT };

static enum bkind basic_kind(const struct gval *v)
{
	switch (v->kind) {
	case GV_BOOL:
		return K_BOOL;
	case GV_INT:
	case GV_INT64:
		return K_INT;
	case GV_UINT8:
	case GV_UINT64:
		return K_UINT;
	case GV_FLOAT:
		return K_FLOAT;
	case GV_STRING:
	case GV_NUMBER:
		return K_STRING;
	default:
		return K_INVALID;
	}
}

static int str_cmp(const struct gval *a, const struct gval *b)
{
	size_t n = VL_MIN(a->str.len, b->str.len);
	int c = n ? memcmp(a->str.s, b->str.s, n) : 0;

	if (c)
		return c;
	return a->str.len < b->str.len ? -1 : a->str.len > b->str.len;
}

/* reflect Kind families for canCompare */
static int refl_kind(const struct gval *v)
{
	switch (v->kind) {
	case GV_INVALID:
		return 0;
	case GV_SECRET:
	case GV_NILPTR:
		return 100; /* Pointer */
	case GV_SLICE:
	case GV_STRSLICE:
		return 101; /* Slice */
	case GV_MAP:
		return 102;
	case GV_SECRETV:
		return 103;
	default:
		return (int)v->kind;
	}
}

static bool is_nil_value(const struct gval *v)
{
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
	case GV_NILPTR:
		return true;
	case GV_MAP:
		return !v->map;
	case GV_SLICE:
		return !v->slice.arr;
	case GV_STRSLICE:
		return !v->strs.arr && !v->strs.items;
	default:
		return false;
	}
}

static int fn_eq(struct ex *x, const struct tmpl_node *node, const struct gval *argv, size_t n,
		 bool *ret)
{
	struct gval a1 = ind_iface(argv[0]);
	enum bkind k1 = basic_kind(&a1);
	size_t i;

	if (n < 2)
		return ex_errorf(x, node, "error calling eq: missing argument for comparison");
	for (i = 1; i < n; i++) {
		struct gval a = ind_iface(argv[i]);
		enum bkind k2 = basic_kind(&a);
		bool t = false;

		if (k1 != k2) {
			if (k1 == K_INT && k2 == K_UINT)
				t = a1.i >= 0 && a1.i == a.i;
			else if (k1 == K_UINT && k2 == K_INT)
				t = a.i >= 0 && a1.i == a.i;
			else if (a1.kind != GV_INVALID && a.kind != GV_INVALID)
				return ex_errorf(
				    x, node, "error calling eq: incompatible types for comparison");
		} else {
			switch (k1) {
			case K_BOOL:
				t = a1.b == a.b;
				break;
			case K_FLOAT:
				t = a1.f == a.f;
				break;
			case K_INT:
			case K_UINT:
				t = a1.i == a.i;
				break;
			case K_STRING:
				t = str_cmp(&a1, &a) == 0;
				break;
			case K_INVALID:
				if (refl_kind(&a1) != refl_kind(&a) && a1.kind != GV_INVALID &&
				    a.kind != GV_INVALID)
					return ex_errorf(
					    x, node,
					    "error calling eq: non-comparable types %s "
					    "and %s",
					    gv_type_name(&a1), gv_type_name(&a));
				if (is_nil_value(&a1) || is_nil_value(&a)) {
					t = is_nil_value(&a) == is_nil_value(&a1);
				} else {
					if (a.kind != GV_SECRET)
						return ex_errorf(x, node,
								 "error calling eq: non-comparable "
								 "type %s",
								 gv_type_name(&a));
					t = a1.secret == a.secret;
				}
				break;
			}
		}
		if (t) {
			*ret = true;
			return 0;
		}
	}
	*ret = false;
	return 0;
}

/* lt: 0 ok, <0 error; *ret result */
static int fn_lt(struct ex *x, const struct tmpl_node *node, const char *name, struct gval a1,
		 struct gval a2, bool *ret)
{
	enum bkind k1, k2;

	a1 = ind_iface(a1);
	a2 = ind_iface(a2);
	k1 = basic_kind(&a1);
	k2 = basic_kind(&a2);
	if (k1 == K_INVALID || k2 == K_INVALID)
		return ex_errorf(x, node, "error calling %s: invalid type for comparison", name);
	if (k1 != k2) {
		if (k1 == K_INT && k2 == K_UINT)
			*ret = a1.i < 0 || (uint64_t)a1.i < (uint64_t)a2.i;
		else if (k1 == K_UINT && k2 == K_INT)
			*ret = a2.i >= 0 && (uint64_t)a1.i < (uint64_t)a2.i;
		else
			return ex_errorf(
			    x, node, "error calling %s: incompatible types for comparison", name);
		return 0;
	}
	switch (k1) {
	case K_BOOL:
		return ex_errorf(x, node, "error calling %s: invalid type for comparison", name);
	case K_FLOAT:
		*ret = a1.f < a2.f;
		break;
	case K_INT:
		*ret = a1.i < a2.i;
		break;
	case K_UINT:
		*ret = (uint64_t)a1.i < (uint64_t)a2.i;
		break;
	default:
		*ret = str_cmp(&a1, &a2) < 0;
		break;
	}
	return 0;
}

static int index_arg(struct ex *x, const struct tmpl_node *node, const char *fname, struct gval idx,
		     size_t cap, size_t *ret)
{
	int64_t v;

	idx = ind_iface(idx);
	switch (idx.kind) {
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
	case GV_UINT64:
		v = idx.i;
		break;
	case GV_INVALID:
		return ex_errorf(x, node, "error calling %s: cannot index slice/array with nil",
				 fname);
	default:
		return ex_errorf(x, node, "error calling %s: cannot index slice/array with type %s",
				 fname, gv_type_name(&idx));
	}
	if (v < 0 || (uint64_t)v > cap)
		return ex_errorf(x, node, "error calling %s: index out of range: %lld", fname,
				 (long long)v);
	*ret = (size_t)v;
	return 0;
}

static int fn_index(struct ex *x, const struct tmpl_node *node, const struct gval *argv, size_t n,
		    struct gval *ret)
{
	struct gval item = ind_iface(argv[0]);
	size_t i;

	if (item.kind == GV_INVALID)
		return ex_errorf(x, node, "error calling index: index of untyped nil");
	for (i = 1; i < n; i++) {
		struct gval idx = ind_iface(argv[i]);
		size_t k = 0;
		int r;

		if (item.kind == GV_NIL || item.kind == GV_NILPTR)
			return ex_errorf(x, node, "error calling index: index of nil pointer");
		if (item.kind == GV_SECRET)
			item.kind = GV_SECRETV;
		switch (item.kind) {
		case GV_SLICE:
		case GV_STRSLICE:
		case GV_STRING:
		case GV_NUMBER: {
			size_t len = (size_t)gv_len(&item);

			r = index_arg(x, node, "index", idx, len, &k);
			if (r)
				return r;
			if (k >= len)
				return ex_errorf(x, node,
						 "error calling index: reflect: slice index "
						 "out of range");
			if (item.kind == GV_SLICE) {
				item = gv_slice_at(&item, k);
			} else if (item.kind == GV_STRSLICE) {
				struct gv_str s = gv_strs_at(&item, k);

				item = gv_string(s.s, s.len);
			} else {
				item = (struct gval){ .kind = GV_UINT8,
						      .i = (unsigned char)item.str.s[k] };
			}
			break;
		}
		case GV_MAP: {
			bool found;

			if (idx.kind == GV_INVALID)
				return ex_errorf(x, node,
						 "error calling index: value is nil; should "
						 "be of type string");
			if (idx.kind != GV_STRING)
				return ex_errorf(
				    x, node,
				    "error calling index: value has type %s; should be "
				    "string",
				    gv_type_name(&idx));
			item = gv_map_get(&item, idx.str.s, idx.str.len, &found);
			break;
		}
		default:
			return ex_errorf(x, node,
					 "error calling index: can't index item of type %s",
					 gv_type_name(&item));
		}
	}
	*ret = item;
	return 0;
}

static int fn_slice(struct ex *x, const struct tmpl_node *node, const struct gval *argv, size_t n,
		    struct gval *ret)
{
	struct gval item = ind_iface(argv[0]);
	size_t cap, idx[3], nidx = n - 1, i, len;
	int r;

	if (item.kind == GV_INVALID)
		return ex_errorf(x, node, "error calling slice: slice of untyped nil");
	if (nidx > 3)
		return ex_errorf(x, node, "error calling slice: too many slice indexes: %zu", nidx);
	switch (item.kind) {
	case GV_STRING:
	case GV_NUMBER:
		if (nidx == 3)
			return ex_errorf(x, node,
					 "error calling slice: cannot 3-index slice a string");
		break;
	case GV_SLICE:
	case GV_STRSLICE:
		break;
	default:
		return ex_errorf(x, node, "error calling slice: can't slice item of type %s",
				 gv_type_name(&item));
	}
	len = (size_t)gv_len(&item);
	cap = len;
	idx[0] = 0;
	idx[1] = len;
	idx[2] = len;
	for (i = 0; i < nidx; i++) {
		/* past len a Go slice shows its capacity, which depends on Go's allocator */
		r = index_arg(x, node, "slice", argv[i + 1],
			      item.kind == GV_STRING || item.kind == GV_NUMBER ? cap
									       : (size_t)-1 / 2,
			      &idx[i]);
		if (r)
			return r;
		if ((item.kind == GV_SLICE || item.kind == GV_STRSLICE) && idx[i] > len)
			return ex_errorf(x, node,
					 "error calling slice: slicing past the length of a list "
					 "(%zu > %zu) is not supported by vaultlet: Go's result "
					 "depends on its allocator",
					 idx[i], len);
	}
	if (idx[0] > idx[1])
		return ex_errorf(x, node, "error calling slice: invalid slice index: %zu > %zu",
				 idx[0], idx[1]);
	if (nidx == 3 && idx[1] > idx[2])
		return ex_errorf(x, node, "error calling slice: invalid slice index: %zu > %zu",
				 idx[1], idx[2]);
	switch (item.kind) {
	case GV_STRING:
	case GV_NUMBER:
		item.str.s += idx[0];
		item.str.len = idx[1] - idx[0];
		break;
	case GV_SLICE:
		item.slice.off += idx[0];
		item.slice.len = idx[1] - idx[0];
		break;
	default:
		item.strs.off += idx[0];
		item.strs.len = idx[1] - idx[0];
		break;
	}
	*ret = item;
	return 0;
}

static int fn_len(struct ex *x, const struct tmpl_node *node, struct gval v, struct gval *ret)
{
	long n;

	if (v.kind == GV_NIL || v.kind == GV_NILPTR)
		return ex_errorf(x, node, "error calling len: len of nil pointer");
	if (v.kind == GV_INVALID)
		return ex_errorf(x, node, "error calling len: len of nil value");
	if (v.kind == GV_SECRET)
		v.kind = GV_SECRETV;
	n = gv_len(&v);
	if (n < 0)
		return ex_errorf(x, node, "error calling len: len of type %s", gv_type_name(&v));
	*ret = gv_int(n);
	return 0;
}

/* evalArgs of html/js/urlquery */
static int eval_args_string(struct ex *x, const struct gval *argv, size_t n, struct buf *tmp,
			    struct gv_str *ret)
{
	struct gval *pa;
	size_t i;
	int r;

	if (n == 1 && argv[0].kind == GV_STRING) {
		*ret = argv[0].str;
		return 0;
	}
	pa = calloc(n ? n : 1, sizeof(*pa));
	if (!pa)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pa[i] = argv[i];
		if (pa[i].kind == GV_NIL || pa[i].kind == GV_INVALID)
			pa[i] = gv_string("<no value>", 10);
		else if (pa[i].kind == GV_SECRET)
			pa[i].kind = GV_SECRETV;
	}
	r = gofmt_sprint(tmp, pa, n);
	free(pa);
	(void)x;
	if (r)
		return r;
	*ret = (struct gv_str){ buf_str(tmp), tmp->len };
	return 0;
}

/* ---- consul-template helpers --------------------------------------- */

static int record_path(struct ex *x, char ***list, size_t *n, const char *s, size_t len,
		       bool *added)
{
	char **nl, *d;
	size_t i;

	*added = false;
	for (i = 0; i < *n; i++)
		if (strlen((*list)[i]) == len && memcmp((*list)[i], s, len) == 0)
			return 0;
	if (*n >= RENDER_MAX_SECRETS)
		return ex_caperr(x, NULL, "template uses more than %d distinct secrets",
				 RENDER_MAX_SECRETS);
	nl = realloc(*list, (*n + 1) * sizeof(*nl));
	if (!nl)
		return ex_nomem(x);
	*list = nl;
	d = strndup(s, len);
	if (!d)
		return ex_nomem(x);
	nl[(*n)++] = d;
	*added = true;
	return 0;
}

/* Asks the caller for the secret under key (a read path or a write key). */
static int secret_lookup(struct ex *x, const char *key, size_t len, struct gval *ret)
{
	const cJSON *s = NULL;
	bool added;
	char *k;
	int r;

	r = record_path(x, &x->res->used, &x->res->nused, key, len, &added);
	if (r)
		return r;
	k = strndup(key, len);
	if (!k)
		return ex_nomem(x);
	if (x->o->secret)
		s = x->o->secret(x->o->secret_ctx, k);
	free(k);
	if (!s) {
		x->missing = true;
		r = record_path(x, &x->res->missing, &x->res->nmissing, key, len, &added);
		if (r)
			return r;
		*ret = GV_NIL_VALUE;
		return 0;
	}
	*ret = (struct gval){ .kind = GV_SECRET, .secret = s };
	return 0;
}

/*
 * The write form, secret PATH "k=v"...: consul-template's VaultWriteQuery,
 * keyed by path + fields (vwrite.h); the caller PUTs the fields.
 */
static int fn_secret_write(struct ex *x, const struct tmpl_node *node, const struct gval *argv,
			   size_t n, struct gval *ret)
{
	const char **args = calloc(n, sizeof(*args));
	size_t *lens = calloc(n, sizeof(*lens));
	struct buf key, err;
	int r;

	buf_init(&key, VWRITE_KEY_MAX + 1);
	buf_init(&err, 512);
	if (!args || !lens) {
		r = ex_nomem(x);
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		args[i - 1] = argv[i].str.s;
		lens[i - 1] = argv[i].str.len;
	}
	r = vwrite_key(argv[0].str.s, argv[0].str.len, args, lens, n - 1, &key, &err);
	if (r == -ENOMEM)
		r = ex_nomem(x);
	else if (r < 0)
		r = ex_errorf(x, node, "error calling secret: %s",
			      err.len ? buf_str(&err) : "the fields are too long");
	else
		r = secret_lookup(x, buf_str(&key), key.len, ret);
out:
	buf_done(&key);
	buf_done(&err);
	free(args);
	free(lens);
	return r;
}

/*
 * secrets PATH: consul-template's VaultListQuery, the sorted keys of a LIST
 * as a []string. The caller's answer for the key PATH + VWRITE_LIST is a
 * JSON array of strings (already sorted). "" is a nil list, as in Go.
 */
static int fn_secrets(struct ex *x, const struct tmpl_node *node, struct gval p, struct gval *ret)
{
	struct buf key, err;
	struct gval s = GV_NIL_VALUE;
	int r;

	if (p.str.len == 0) {
		*ret = (struct gval){ .kind = GV_STRSLICE };
		return 0;
	}
	buf_init(&key, VWRITE_KEY_MAX + 1);
	buf_init(&err, 512);
	r = vwrite_list_key(p.str.s, p.str.len, &key, &err);
	if (r == -ENOMEM)
		r = ex_nomem(x);
	else if (r < 0)
		r = ex_errorf(x, node, "error calling secrets: %s", buf_str(&err));
	else
		r = secret_lookup(x, buf_str(&key), key.len, &s);
	if (!r && s.kind == GV_SECRET && cJSON_IsArray(s.secret))
		*ret = (struct gval){ .kind = GV_STRSLICE,
				      .strs = { .arr = s.secret,
						.len = (size_t)cJSON_GetArraySize(s.secret) } };
	else if (!r)
		*ret = (struct gval){ .kind = GV_STRSLICE }; /* not listed yet: nil */
	buf_done(&key);
	buf_done(&err);
	return r;
}

/*
 * pkiCert PATH "k=v"...: consul-template's VaultPKIQuery. The caller's
 * answer is the PemEncoded value as a JSON object {Cert, Key, CA, CAChain}
 * (agent/pkicert.h), seen as a map: .Cert, .Key, .CA, .CAChain.
 */
static int fn_pkicert(struct ex *x, const struct tmpl_node *node, const struct gval *argv, size_t n,
		      struct gval *ret)
{
	const char **args = NULL;
	size_t *lens = NULL;
	struct buf key, err;
	struct gval s = GV_NIL_VALUE;
	int r;

	if (n == 0) {
		*ret = GV_NIL_VALUE;
		return 0;
	}
	buf_init(&key, VWRITE_KEY_MAX + 4096);
	buf_init(&err, 512);
	args = calloc(n, sizeof(*args));
	lens = calloc(n, sizeof(*lens));
	if (!args || !lens) {
		r = ex_nomem(x);
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		args[i - 1] = argv[i].str.s;
		lens[i - 1] = argv[i].str.len;
	}
	r = vwrite_key(argv[0].str.s, argv[0].str.len, args, lens, n - 1, &key, &err);
	if (r == 0)
		r = buf_append(&key, &(char){ VWRITE_PKI }, 1);
	if (r == 0)
		r = buf_append_str(&key, x->o->destination ? x->o->destination : "");
	if (r == -ENOMEM)
		r = ex_nomem(x);
	else if (r < 0)
		r = ex_errorf(x, node, "error calling pkiCert: %s",
			      err.len ? buf_str(&err) : "the fields are too long");
	else
		r = secret_lookup(x, buf_str(&key), key.len, &s);
	if (!r)
		*ret = s.kind == GV_SECRET
			   ? (struct gval){ .kind = GV_MAP, .map = s.secret, .pki = true }
			   : GV_NIL_VALUE;
out:
	buf_done(&key);
	buf_done(&err);
	free(args);
	free(lens);
	return r;
}

static int fn_secret(struct ex *x, const struct tmpl_node *node, const struct gval *argv, size_t n,
		     struct gval *ret)
{
	const struct gval *p = &argv[0];
	const cJSON *s = NULL;
	size_t a, b;
	bool added;
	char *path;
	int r;

	if (n == 0) {
		*ret = GV_NIL_VALUE;
		return 0;
	}
	if (n > 1)
		return fn_secret_write(x, node, argv, n, ret);
	gostr_trim_space(p->str.s, p->str.len, &a, &b);
	{
		size_t k = a, e = a + b;

		while (k < e && p->str.s[k] == '/')
			k++;
		while (e > k && p->str.s[e - 1] == '/')
			e--;
		if (e == k)
			return ex_errorf(x, node,
					 "error calling secret: vault.read: invalid format");
	}
	if (memchr(p->str.s, 0, p->str.len) || memchr(p->str.s, VWRITE_SEP, p->str.len) ||
	    memchr(p->str.s, VWRITE_LIST, p->str.len) || memchr(p->str.s, VWRITE_PKI, p->str.len))
		return ex_errorf(x, node, "error calling secret: invalid path");
	r = record_path(x, &x->res->used, &x->res->nused, p->str.s, p->str.len, &added);
	if (r)
		return r;
	path = strndup(p->str.s, p->str.len);
	if (!path)
		return ex_nomem(x);
	if (x->o->secret)
		s = x->o->secret(x->o->secret_ctx, path);
	free(path);
	if (!s) {
		x->missing = true;
		r = record_path(x, &x->res->missing, &x->res->nmissing, p->str.s, p->str.len,
				&added);
		if (r)
			return r;
		*ret = GV_NIL_VALUE;
		return 0;
	}
	*ret = (struct gval){ .kind = GV_SECRET, .secret = s };
	return 0;
}

static const char *env_lookup(struct ex *x, const char *name, size_t len, bool *set)
{
	char *const *e = x->o->envp ? x->o->envp : environ;

	*set = false;
	if (memchr(name, 0, len) || !e)
		return "";
	for (; *e; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') {
			*set = true;
			return *e + len + 1;
		}
	}
	return "";
}

/* A new owned tree from parseJSON, numbers turned into float64 as Go's Unmarshal does. */
static bool numbers_to_float(cJSON *n)
{
	cJSON *c;

	if (cJSON_IsNumber(n) && n->valuestring) {
		double d = strtod(n->valuestring, NULL);

		if (d == HUGE_VAL || d == -HUGE_VAL)
			return false;
		free(n->valuestring);
		n->valuestring = NULL;
		n->valuedouble = d;
	}
	for (c = n->child; c; c = c->next)
		if (!numbers_to_float(c))
			return false;
	return true;
}

/*
 * Whether valid JSON text has a number beyond float64 anywhere, also under a
 * key repeated later (vjson keeps the last value; Go's decoder still fails).
 * -1: out of memory.
 */
static int json_text_overflows(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			continue;
		}
		if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			size_t j = i;
			char *tok;
			double d;

			while (j < n && s[j] && strchr("+-0123456789.eE", s[j]))
				j++;
			tok = strndup(s + i, j - i);
			if (!tok)
				return -1;
			d = strtod(tok, NULL);
			free(tok);
			if (d == HUGE_VAL || d == -HUGE_VAL)
				return 1;
			i = j - 1;
		}
	}
	return 0;
}

static int fn_parse_json(struct ex *x, const struct tmpl_node *node, struct gval s,
			 struct gval *ret)
{
	cJSON *v = NULL;
	struct vjson_error e;
	int r;

	if (s.str.len == 0) {
		v = cJSON_CreateObject();
		if (!v)
			return ex_nomem(x);
	} else {
		r = vjson_parse(s.str.s, s.str.len, &v, &e);
		if (r == -ENOMEM)
			return ex_nomem(x);
		if (r < 0)
			return ex_errorf(x, node,
					 "error calling parseJSON: invalid JSON at offset %zu: %s",
					 e.offset, e.msg);
		r = json_text_overflows(s.str.s, s.str.len);
		if (r < 0) {
			cJSON_Delete(v);
			return ex_nomem(x);
		}
		if (!numbers_to_float(v) || r) {
			cJSON_Delete(v);
			return ex_errorf(x, node,
					 "error calling parseJSON: json: cannot unmarshal number "
					 "into Go value of type float64");
		}
	}
	if (x->nowned == x->capowned) {
		size_t cap = x->capowned ? x->capowned * 2 : 4;
		cJSON **no = realloc(x->owned, cap * sizeof(*no));

		if (!no) {
			cJSON_Delete(v);
			return ex_nomem(x);
		}
		x->owned = no;
		x->capowned = cap;
	}
	x->owned[x->nowned++] = v;
	rf_mark_mutable(v); /* a fresh Go value: mergeMap may change it in place */
	*ret = gv_from_json(v);
	return 0;
}

static int fn_indent(struct ex *x, const struct tmpl_node *node, int64_t spaces, struct gval s,
		     struct buf *o)
{
	bool sp = true;
	size_t i;
	int r = 0;

	if (spaces < 0)
		return ex_errorf(x, node,
				 "error calling indent: indent value must be a positive "
				 "integer");
	if (spaces > RENDER_MAX_VALUE)
		return ex_caperr(x, node, "indent of %lld spaces is over the value cap",
				 (long long)spaces);
	for (i = 0; !r && i < s.str.len; i++) {
		char c = s.str.s[i];

		if (sp && c != '\n')
			for (int64_t k = 0; !r && k < spaces; k++)
				r = buf_putc(o, ' ');
		if (!r)
			r = buf_putc(o, c);
		sp = c == '\n';
	}
	return r;
}

static int fn_split(struct ex *x, struct gval sep, struct gval s, struct gval *ret)
{
	size_t a, len, count, i, start;
	struct gv_str *items;
	const char *str;

	gostr_trim_space(s.str.s, s.str.len, &a, &len);
	str = s.str.s + a;
	if (len == 0) {
		/* []string{}: empty but not nil */
		items = arena_alloc(&x->ar, sizeof(*items));
		if (!items)
			return ex_nomem(x);
		*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { .items = items, .len = 0 } };
		return 0;
	}
	if (sep.str.len == 0) {
		size_t w;

		count = gostr_rune_count(str, len);
		items = arena_alloc(&x->ar, count * sizeof(*items));
		if (!items)
			return ex_nomem(x);
		for (i = 0, start = 0; i < count; i++) {
			if (i + 1 == count) {
				w = len - start;
			} else if ((unsigned char)str[start] < 0x80) {
				w = 1;
			} else {
				tmplutf_decode(str + start, len - start, &w);
			}
			items[i] = (struct gv_str){ str + start, w };
			start += w;
		}
	} else {
		long k;
		size_t at = 0;

		count = 1;
		while ((k = gostr_index(str + at, len - at, sep.str.s, sep.str.len)) >= 0) {
			count++;
			at += (size_t)k + sep.str.len;
		}
		items = arena_alloc(&x->ar, count * sizeof(*items));
		if (!items)
			return ex_nomem(x);
		for (i = 0, start = 0; i + 1 < count; i++) {
			k = gostr_index(str + start, len - start, sep.str.s, sep.str.len);
			items[i] = (struct gv_str){ str + start, (size_t)k };
			start += (size_t)k + sep.str.len;
		}
		items[count - 1] = (struct gv_str){ str + start, len - start };
	}
	*ret = (struct gval){ .kind = GV_STRSLICE, .strs = { .items = items, .len = count } };
	return 0;
}

/* ---- the builtins table -------------------------------------------- */

/* The name Go's errors give a function, or a method of a value (kept as ".Name"). */
static const char *go_func_name(enum tmpl_func fn)
{
	const char *name = tmpl_func_name(fn);

	return name[0] == '.' ? name + 1 : name;
}

int rf_fail(struct rf_call *c, const char *fmt, ...)
{
	struct buf m;
	va_list ap;
	int r;

	buf_init_sensitive(&m, RENDER_ERROR_TEXT_MAX);
	va_start(ap, fmt);
	r = buf_vappendf(&m, fmt, ap);
	va_end(ap);
	if (r == -ENOMEM) {
		buf_done(&m);
		return ex_nomem(c->x);
	}
	r = ex_errorf(c->x, c->node, "error calling %s: %s", go_func_name(c->fn), buf_str(&m));
	buf_done(&m);
	return r;
}

void rf_now(struct rf_call *c, int64_t *sec, long *nsec)
{
	struct timespec ts = { 0 };

	if (c->x->o->now_set) {
		*sec = c->x->o->now_sec;
		*nsec = c->x->o->now_nsec;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (int64_t)ts.tv_sec;
	*nsec = ts.tv_nsec;
}

int rf_capfail(struct rf_call *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ex_verrorf(c->x, -E2BIG, c->node, fmt, ap);
	va_end(ap);
	return r;
}

int rf_nomem(struct rf_call *c)
{
	return ex_nomem(c->x);
}

void *rf_alloc(struct rf_call *c, size_t n)
{
	return arena_alloc(&c->x->ar, n ? n : 1);
}

int rf_string(struct rf_call *c, const char *s, size_t len, struct gval *ret)
{
	char *d = arena_alloc(&c->x->ar, len + 1);

	if (!d)
		return ex_nomem(c->x);
	if (len)
		memcpy(d, s, len);
	d[len] = 0;
	*ret = gv_string(d, len);
	return 0;
}

struct rf_mut **rf_mut_state(struct rf_call *c)
{
	return &c->x->mut;
}

int rf_own(struct rf_call *c, cJSON *tree)
{
	struct ex *x = c->x;

	if (x->nowned == x->capowned) {
		size_t cap = x->capowned ? x->capowned * 2 : 4;
		cJSON **no = realloc(x->owned, cap * sizeof(*no));

		if (!no) {
			cJSON_Delete(tree);
			return ex_nomem(x);
		}
		x->owned = no;
		x->capowned = cap;
	}
	x->owned[x->nowned++] = tree;
	return 0;
}

/* ---- the functions that touch the pod (rf_pod.c) ------------------- */

int rf_file_dep(struct rf_call *c, const char *path, size_t len, const char **ret_data,
		size_t *ret_len)
{
	struct ex *x = c->x;
	bool added, found = false;
	char *key = malloc(len + 2);
	int r;

	if (!key)
		return ex_nomem(x);
	key[0] = RENDER_FILE_KEY;
	memcpy(key + 1, path, len);
	key[len + 1] = '\0';
	r = record_path(x, &x->res->used, &x->res->nused, key, len + 1, &added);
	if (!r && x->o->file)
		found = x->o->file(x->o->file_ctx, key + 1, ret_data, ret_len);
	if (!r && !found) {
		x->missing = true;
		r = record_path(x, &x->res->missing, &x->res->nmissing, key, len + 1, &added);
		*ret_data = "";
		*ret_len = 0;
	}
	free(key);
	return r;
}

bool rf_pod_effects(const struct rf_call *c)
{
	return c->x->o->pod_effects;
}

int64_t rf_plugin_timeout_ms(const struct rf_call *c)
{
	return c->x->o->plugin_timeout_ms > 0 ? c->x->o->plugin_timeout_ms
					      : RENDER_PLUGIN_TIMEOUT_MS;
}

char *const *rf_envp(const struct rf_call *c)
{
	return c->x->o->envp ? c->x->o->envp : environ;
}

/*
 * Executes a named template's body with dot as its $ (Go's walkTemplate;
 * ExecuteTemplate too): the caller's variables are out of scope (the
 * parser saw to it), and the nesting of calls is capped.
 */
static int exec_named(struct ex *x, struct gval dot, const struct tmpl_list *body,
		      const struct tmpl_node *at)
{
	size_t mark = x->nvars;
	int r;

	if (++x->depth > RENDER_MAX_EVAL_DEPTH) {
		r = ex_caperr(x, at, "templates nested deeper than %d", RENDER_MAX_EVAL_DEPTH);
		goto out;
	}
	r = push_var(x, "$", 1, dot);
	if (!r)
		r = walk_list(x, dot, body);
	if (r > 0) /* break/continue cannot leave a template body: the parser checks */
		r = 0;
out:
	x->nvars = mark;
	x->depth--;
	return r;
}

/* consul-template's executeTemplate NAME [DOT]: the named template's output as a string. */
static int bi_execute_template(struct rf_call *c, struct gval *ret)
{
	struct ex *x = c->x;
	struct gv_str name = c->argv[0].str;
	const struct tmpl_list *body;
	struct buf *saved = x->out;
	struct gval dot = GV_INVALID_VALUE;
	int r;

	(void)ret;
	if (c->n > 2)
		return rf_fail(c,
			       "executeTemplate: wrong number of arguments, expected 1 or 2, but "
			       "got %zu",
			       c->n);
	if (c->n == 2 && c->argv[1].kind != GV_NIL)
		dot = c->argv[1];
	body = tmpl_lookup(x->t, name.s, name.len);
	if (!body)
		return rf_fail(c, "template: no template \"%.*s\" associated with template \"\"",
			       (int)VL_MIN(name.len, 128u), name.s);
	x->out = c->o;
	r = exec_named(x, dot, body, c->node);
	x->out = saved;
	return r;
}

static int bi_not(struct rf_call *c, struct gval *ret)
{
	*ret = gv_bool(!truth(c->argv[0]));
	return 0;
}

static int bi_len(struct rf_call *c, struct gval *ret)
{
	return fn_len(c->x, c->node, c->argv[0], ret);
}

static int bi_index(struct rf_call *c, struct gval *ret)
{
	return fn_index(c->x, c->node, c->argv, c->n, ret);
}

static int bi_slice(struct rf_call *c, struct gval *ret)
{
	return fn_slice(c->x, c->node, c->argv, c->n, ret);
}

static int bi_print(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gofmt_sprint(c->o, c->argv, c->n);
}

static int bi_printf(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gofmt_sprintf(c->o, c->argv[0].str.s, c->argv[0].str.len, c->argv + 1, c->n - 1);
}

static int bi_println(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gofmt_sprintln(c->o, c->argv, c->n);
}

static int bi_eq(struct rf_call *c, struct gval *ret)
{
	bool t;
	int r = fn_eq(c->x, c->node, c->argv, c->n, &t);

	if (!r)
		*ret = gv_bool(c->fn == TMPL_FN_EQ ? t : !t);
	return r;
}

/* lt and ge */
static int bi_lt(struct rf_call *c, struct gval *ret)
{
	bool t = false;
	int r = fn_lt(c->x, c->node, c->fn == TMPL_FN_LT ? "lt" : "ge", c->argv[0], c->argv[1], &t);

	if (!r)
		*ret = gv_bool(c->fn == TMPL_FN_LT ? t : !t);
	return r;
}

/* le and gt */
static int bi_le(struct rf_call *c, struct gval *ret)
{
	bool t = false;
	const char *name = c->fn == TMPL_FN_LE ? "le" : "gt";
	int r = fn_lt(c->x, c->node, name, c->argv[0], c->argv[1], &t);

	if (!r && !t) {
		struct gval pair[2] = { c->argv[0], c->argv[1] };

		r = fn_eq(c->x, c->node, pair, 2, &t); /* its error text is eq's, for le and gt */
	}
	if (!r)
		*ret = gv_bool(c->fn == TMPL_FN_LE ? t : !t);
	return r;
}

/* html, js, urlquery */
static int bi_escape(struct rf_call *c, struct gval *ret)
{
	struct buf tmp;
	struct gv_str s;
	int r;

	(void)ret;
	buf_init_sensitive(&tmp, RENDER_MAX_VALUE);
	r = eval_args_string(c->x, c->argv, c->n, &tmp, &s);
	if (!r) {
		if (c->fn == TMPL_FN_HTML)
			r = gostr_html_escape(c->o, s.s, s.len);
		else if (c->fn == TMPL_FN_JS)
			r = gostr_js_escape(c->o, s.s, s.len);
		else
			r = gostr_query_escape(c->o, s.s, s.len);
	}
	buf_done(&tmp);
	return r;
}

static int bi_secret(struct rf_call *c, struct gval *ret)
{
	return fn_secret(c->x, c->node, c->argv, c->n, ret);
}

static int bi_secrets(struct rf_call *c, struct gval *ret)
{
	return fn_secrets(c->x, c->node, c->argv[0], ret);
}

static int bi_pkicert(struct rf_call *c, struct gval *ret)
{
	return fn_pkicert(c->x, c->node, c->argv, c->n, ret);
}

/* consul-template's loop's to64: an integer, or a string through parseInt. */
static int loop_to64(struct rf_call *c, const struct gval *v, int64_t *out)
{
	struct rf_call sub = *c;
	struct gval n;
	int r;

	if (gv_is_int_kind(v) || gv_is_uint_kind(v)) {
		*out = v->i;
		return 0;
	}
	if (v->kind == GV_STRING || v->kind == GV_NUMBER) {
		sub.argv = v;
		sub.n = 1;
		r = rf_parse_int(&sub, &n);
		if (!r)
			*out = n.i;
		return r;
	}
	return rf_fail(c, "loop: bad argument type: %s",
		       v->kind == GV_NIL || v->kind == GV_INVALID ? "<nil>" : gv_type_name(v));
}

/*
 * loop [START] STOP: consul-template gives a channel of the int64s from
 * START (0) up to STOP. A range over it is the only use vaultlet accepts
 * (walk_range marks that call): anywhere else Go's value is a channel,
 * which prints as a memory address.
 */
static int bi_loop(struct rf_call *c, struct gval *ret)
{
	int64_t start = 0, stop = 0;
	int r;

	if (c->n != 1 && c->n != 2)
		return rf_fail(c, "loop: wrong number of arguments, expected 1 or 2, but got %zu",
			       c->n);
	if (c->n == 2) {
		r = loop_to64(c, &c->argv[0], &start);
		if (r)
			return r;
	}
	r = loop_to64(c, &c->argv[c->n - 1], &stop);
	if (r)
		return r;
	if (c->node != c->x->loop_ident)
		return rf_fail(c, "loop outside range is not supported by vaultlet (Go's "
				  "channel prints as a memory address): use {{ range loop 5 }} or "
				  "{{ range $i := loop 1 5 }}");
	c->x->loop_hit = true;
	c->x->loop_start = start;
	c->x->loop_stop = stop;
	*ret = GV_INVALID_VALUE;
	return 0;
}

/* toJSON, toJSONPretty, toUnescapedJSON, toUnescapedJSONPretty */
static int bi_json(struct rf_call *c, struct gval *ret)
{
	bool html = c->fn == TMPL_FN_TOJSON || c->fn == TMPL_FN_TOJSONPRETTY;
	bool ind = c->fn == TMPL_FN_TOJSONPRETTY || c->fn == TMPL_FN_TOUNESCAPEDJSONPRETTY;
	const char *jmsg = NULL;
	int r = gojson_marshal(c->o, &c->argv[0], html, ind, &jmsg);

	(void)ret;
	if (r == -EINVAL)
		r = ex_errorf(c->x, c->node, "error calling %s: %s", tmpl_func_name(c->fn), jmsg);
	return r;
}

static int bi_toyaml(struct rf_call *c, struct gval *ret)
{
	const char *msg = NULL;
	struct buf *o = c->o;
	int r = goyaml_marshal(o, &c->argv[0], &msg);

	(void)ret;
	if (r == -EINVAL || r == -ENOTSUP)
		r = ex_errorf(c->x, c->node, "error calling toYAML: %s", msg);
	if (!r) {
		size_t a, len;

		/* bytes.TrimSpace */
		gostr_trim_space(o->data ? o->data : "", o->len, &a, &len);
		if (a)
			memmove(o->data, o->data + a, len);
		buf_truncate(o, len);
	}
	return r;
}

/* base64Decode, base64URLDecode */
static int bi_b64decode(struct rf_call *c, struct gval *ret)
{
	size_t off = 0;
	enum b64_alphabet al = c->fn == TMPL_FN_BASE64DECODE ? B64_STD : B64_URL;
	int r = b64_decode(c->argv[0].str.s, c->argv[0].str.len, al, B64_GO, c->o, &off);

	(void)ret;
	if (r == -EINVAL)
		r = ex_errorf(c->x, c->node,
			      "error calling %s: %s: illegal base64 data at input byte %zu",
			      tmpl_func_name(c->fn), tmpl_func_name(c->fn), off);
	return r;
}

/* base64Encode, base64URLEncode */
static int bi_b64encode(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return b64_encode(c->argv[0].str.s, c->argv[0].str.len,
			  c->fn == TMPL_FN_BASE64ENCODE || c->fn == TMPL_FN_SPRIG_B64ENC ? B64_STD
											 : B64_URL,
			  c->o);
}

static int bi_trimspace(struct rf_call *c, struct gval *ret)
{
	size_t a, len;

	gostr_trim_space(c->argv[0].str.s, c->argv[0].str.len, &a, &len);
	*ret = gv_string(c->argv[0].str.s + a, len);
	return 0;
}

static int bi_trim(struct rf_call *c, struct gval *ret)
{
	const struct gval *argv = c->argv;
	size_t a, len;

	gostr_trim(argv[1].str.s, argv[1].str.len, argv[0].str.s, argv[0].str.len, &a, &len);
	*ret = gv_string(argv[1].str.s + a, len);
	return 0;
}

static int bi_trimprefix(struct rf_call *c, struct gval *ret)
{
	struct gv_str p = c->argv[0].str, s = c->argv[1].str;

	if (s.len >= p.len && memcmp(s.s, p.s, p.len) == 0)
		*ret = gv_string(s.s + p.len, s.len - p.len);
	else
		*ret = gv_string(s.s, s.len);
	return 0;
}

static int bi_trimsuffix(struct rf_call *c, struct gval *ret)
{
	struct gv_str p = c->argv[0].str, s = c->argv[1].str;

	if (s.len >= p.len && memcmp(s.s + s.len - p.len, p.s, p.len) == 0)
		*ret = gv_string(s.s, s.len - p.len);
	else
		*ret = gv_string(s.s, s.len);
	return 0;
}

static int bi_replaceall(struct rf_call *c, struct gval *ret)
{
	const struct gval *argv = c->argv;

	(void)ret;
	return gostr_replace_all(c->o, argv[2].str.s, argv[2].str.len, argv[0].str.s,
				 argv[0].str.len, argv[1].str.s, argv[1].str.len);
}

static int bi_tolower(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gostr_to_lower(c->o, c->argv[0].str.s, c->argv[0].str.len);
}

static int bi_toupper(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gostr_to_upper(c->o, c->argv[0].str.s, c->argv[0].str.len);
}

static int bi_totitle(struct rf_call *c, struct gval *ret)
{
	const char *msg = NULL;
	int r = gostr_to_title(c->o, c->argv[0].str.s, c->argv[0].str.len, &msg);

	(void)ret;
	if (r == -ENOTSUP)
		r = ex_errorf(c->x, c->node, "error calling toTitle: %s", msg);
	return r;
}

static int bi_split(struct rf_call *c, struct gval *ret)
{
	return fn_split(c->x, c->argv[0], c->argv[1], ret);
}

static int bi_join(struct rf_call *c, struct gval *ret)
{
	struct gv_iter it;
	struct gval e;
	int r = 0;

	(void)ret;
	gv_iter_init(&it, &c->argv[1]);
	while (!r && gv_iter_next(&it, &e)) {
		if (it.i > 1)
			r = buf_append(c->o, c->argv[0].str.s, c->argv[0].str.len);
		if (!r)
			r = buf_append(c->o, e.str.s, e.str.len);
	}
	return r;
}

static int bi_indent(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return fn_indent(c->x, c->node, c->argv[0].i, c->argv[1], c->o);
}

/* env, envOrDefault, mustEnv */
static int bi_env(struct rf_call *c, struct gval *ret)
{
	const struct gval *argv = c->argv;
	bool set;
	const char *v = env_lookup(c->x, argv[0].str.s, argv[0].str.len, &set);

	if (c->fn == TMPL_FN_ENVORDEFAULT && !set)
		*ret = argv[1];
	else if (c->fn == TMPL_FN_MUSTENV && !*v)
		return ex_errorf(c->x, c->node,
				 "error calling mustEnv: required environment variable %.*s is "
				 "empty",
				 (int)VL_MIN(argv[0].str.len, 64u), argv[0].str.s);
	else
		*ret = gv_string(v, strlen(v));
	return 0;
}

static int bi_parsejson(struct rf_call *c, struct gval *ret)
{
	return fn_parse_json(c->x, c->node, c->argv[0], ret);
}

/* sprig_contains SUBSTR S, sprig_hasPrefix PREFIX S, sprig_hasSuffix SUFFIX S */
static int bi_sprig_has(struct rf_call *c, struct gval *ret)
{
	struct gv_str sub = c->argv[0].str, s = c->argv[1].str;
	bool t;

	if (c->fn == TMPL_FN_SPRIG_CONTAINS)
		t = gostr_index(s.s, s.len, sub.s, sub.len) >= 0;
	else if (sub.len > s.len)
		t = false;
	else if (c->fn == TMPL_FN_SPRIG_HASPREFIX)
		t = sub.len == 0 || memcmp(s.s, sub.s, sub.len) == 0;
	else
		t = sub.len == 0 || memcmp(s.s + s.len - sub.len, sub.s, sub.len) == 0;
	*ret = gv_bool(t);
	return 0;
}

/* sprig's empty: reflect's zero-ish values (its adaptation of isTrue, negated) */
static bool sprig_empty(const struct gval *v)
{
	bool ok;

	return !gv_truth(v, &ok);
}

/*
 * sprig_default D [GIVEN]: GIVEN unless missing or empty, else D;
 * sprig_empty V; sprig_coalesce V...: the first non-empty value, or nil;
 * sprig_all V...: none is empty; sprig_any V...: one is not empty.
 */
static int bi_sprig_default(struct rf_call *c, struct gval *ret)
{
	size_t i;

	switch (c->fn) {
	case TMPL_FN_SPRIG_DEFAULT:
		*ret = c->n < 2 || sprig_empty(&c->argv[1]) ? c->argv[0] : c->argv[1];
		return 0;
	case TMPL_FN_SPRIG_EMPTY:
		*ret = gv_bool(sprig_empty(&c->argv[0]));
		return 0;
	case TMPL_FN_SPRIG_COALESCE:
		*ret = GV_NIL_VALUE;
		for (i = 0; i < c->n; i++)
			if (!sprig_empty(&c->argv[i])) {
				*ret = c->argv[i];
				break;
			}
		return 0;
	default: /* all, any */
		for (i = 0; i < c->n; i++)
			if (sprig_empty(&c->argv[i]) == (c->fn == TMPL_FN_SPRIG_ALL))
				break;
		*ret = gv_bool((i == c->n) == (c->fn == TMPL_FN_SPRIG_ALL));
		return 0;
	}
}

/*
 * sprig_quote V...: each non-nil value as strconv.Quote of its text (a
 * string or json.Number itself, anything else fmt's %v), joined by spaces;
 * sprig_squote V...: each as '%v'.
 */
static int bi_sprig_quote(struct rf_call *c, struct gval *ret)
{
	bool first = true;
	int r = 0;

	(void)ret;
	for (size_t i = 0; i < c->n && r == 0; i++) {
		const struct gval *v = &c->argv[i];

		if (v->kind == GV_NIL || v->kind == GV_INVALID)
			continue;
		if (!first)
			r = buf_append(c->o, " ", 1);
		first = false;
		if (r)
			break;
		if (c->fn == TMPL_FN_SPRIG_SQUOTE) {
			r = gofmt_sprintf(c->o, "'%v'", 4, v, 1);
		} else if (v->kind == GV_STRING || v->kind == GV_NUMBER) {
			r = gofmt_quote(c->o, v->str.s, v->str.len, false);
		} else {
			struct buf t;

			buf_init_sensitive(&t, RENDER_MAX_VALUE);
			r = gofmt_sprintf(&t, "%v", 2, v, 1);
			if (!r)
				r = gofmt_quote(c->o, t.len ? t.data : "", t.len, false);
			buf_done(&t);
		}
	}
	return r;
}

static int bi_sha256hex(struct rf_call *c, struct gval *ret)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int r = 0;

	(void)ret;
	SHA256((const unsigned char *)c->argv[0].str.s, c->argv[0].str.len, md);
	for (size_t i = 0; !r && i < sizeof(md); i++)
		r = buf_appendf(c->o, "%02x", md[i]);
	return r;
}

static int bi_shellquote(struct rf_call *c, struct gval *ret)
{
	(void)ret;
	return gostr_shell_quote(c->o, c->argv[0].str.s, c->argv[0].str.len);
}

struct builtin {
	int nparams;
	bool variadic;
	enum ptype p[5]; /* writeToFile has 4 fixed parameters and a variadic one */
	/* the result is the string the implementation appends to c->o */
	bool out;
	/* NULL for and/or, which eval_call evaluates lazily */
	int (*impl)(struct rf_call *c, struct gval *ret);
};

static const struct builtin builtins[TMPL_FN__COUNT] = {
	[TMPL_FN_AND] = { 2, true, { P_VALUE, P_VALUE }, false, NULL },
	[TMPL_FN_OR] = { 2, true, { P_VALUE, P_VALUE }, false, NULL },
	[TMPL_FN_NOT] = { 1, false, { P_VALUE }, false, bi_not },
	[TMPL_FN_LEN] = { 1, false, { P_VALUE }, false, bi_len },
	[TMPL_FN_INDEX] = { 2, true, { P_VALUE, P_VALUE }, false, bi_index },
	[TMPL_FN_SLICE] = { 2, true, { P_VALUE, P_VALUE }, false, bi_slice },
	[TMPL_FN_PRINT] = { 1, true, { P_ANY }, true, bi_print },
	[TMPL_FN_PRINTF] = { 2, true, { P_STRING, P_ANY }, true, bi_printf },
	[TMPL_FN_PRINTLN] = { 1, true, { P_ANY }, true, bi_println },
	[TMPL_FN_EQ] = { 2, true, { P_VALUE, P_VALUE }, false, bi_eq },
	[TMPL_FN_NE] = { 2, false, { P_VALUE, P_VALUE }, false, bi_eq },
	[TMPL_FN_LT] = { 2, false, { P_VALUE, P_VALUE }, false, bi_lt },
	[TMPL_FN_LE] = { 2, false, { P_VALUE, P_VALUE }, false, bi_le },
	[TMPL_FN_GT] = { 2, false, { P_VALUE, P_VALUE }, false, bi_le },
	[TMPL_FN_GE] = { 2, false, { P_VALUE, P_VALUE }, false, bi_lt },
	[TMPL_FN_HTML] = { 1, true, { P_ANY }, true, bi_escape },
	[TMPL_FN_JS] = { 1, true, { P_ANY }, true, bi_escape },
	[TMPL_FN_URLQUERY] = { 1, true, { P_ANY }, true, bi_escape },
	[TMPL_FN_SECRET] = { 1, true, { P_STRING }, false, bi_secret },
	[TMPL_FN_TOJSON] = { 1, false, { P_ANY }, true, bi_json },
	[TMPL_FN_TOJSONPRETTY] = { 1, false, { P_ANY }, true, bi_json },
	[TMPL_FN_TOUNESCAPEDJSON] = { 1, false, { P_ANY }, true, bi_json },
	[TMPL_FN_TOUNESCAPEDJSONPRETTY] = { 1, false, { P_ANY }, true, bi_json },
	[TMPL_FN_TOYAML] = { 1, false, { P_ANY }, true, bi_toyaml },
	[TMPL_FN_BASE64DECODE] = { 1, false, { P_STRING }, true, bi_b64decode },
	[TMPL_FN_BASE64ENCODE] = { 1, false, { P_STRING }, true, bi_b64encode },
	[TMPL_FN_BASE64URLDECODE] = { 1, false, { P_STRING }, true, bi_b64decode },
	[TMPL_FN_BASE64URLENCODE] = { 1, false, { P_STRING }, true, bi_b64encode },
	[TMPL_FN_TRIMSPACE] = { 1, false, { P_STRING }, false, bi_trimspace },
	[TMPL_FN_TRIM] = { 2, false, { P_STRING, P_STRING }, false, bi_trim },
	[TMPL_FN_TRIMPREFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_trimprefix },
	[TMPL_FN_TRIMSUFFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_trimsuffix },
	[TMPL_FN_REPLACEALL] = { 3, false, { P_STRING, P_STRING, P_STRING }, true, bi_replaceall },
	[TMPL_FN_TOLOWER] = { 1, false, { P_STRING }, true, bi_tolower },
	[TMPL_FN_TOUPPER] = { 1, false, { P_STRING }, true, bi_toupper },
	[TMPL_FN_TOTITLE] = { 1, false, { P_STRING }, true, bi_totitle },
	[TMPL_FN_SPLIT] = { 2, false, { P_STRING, P_STRING }, false, bi_split },
	[TMPL_FN_JOIN] = { 2, false, { P_STRING, P_STRSLICE }, true, bi_join },
	[TMPL_FN_INDENT] = { 2, false, { P_INT, P_STRING }, true, bi_indent },
	[TMPL_FN_CONTAINS] = { 2, false, { P_ANY, P_ANY }, false, rf_contains },
	[TMPL_FN_ENV] = { 1, false, { P_STRING }, false, bi_env },
	[TMPL_FN_ENVORDEFAULT] = { 2, false, { P_STRING, P_STRING }, false, bi_env },
	[TMPL_FN_MUSTENV] = { 1, false, { P_STRING }, false, bi_env },
	[TMPL_FN_PARSEJSON] = { 1, false, { P_STRING }, false, bi_parsejson },
	[TMPL_FN_SHA256HEX] = { 1, false, { P_STRING }, true, bi_sha256hex },
	[TMPL_FN_SECRETS] = { 1, false, { P_STRING }, false, bi_secrets },
	[TMPL_FN_PKICERT] = { 1, true, { P_STRING }, false, bi_pkicert },
	[TMPL_FN_PARSEBOOL] = { 1, false, { P_STRING }, false, rf_parse_bool },
	[TMPL_FN_PARSEINT] = { 1, false, { P_STRING }, false, rf_parse_int },
	[TMPL_FN_PARSEUINT] = { 1, false, { P_STRING }, false, rf_parse_uint },
	[TMPL_FN_PARSEFLOAT] = { 1, false, { P_STRING }, false, rf_parse_float },
	[TMPL_FN_CONTAINSALL] = { 2, false, { P_IFSLICE, P_ANY }, false, rf_contains_some },
	[TMPL_FN_CONTAINSANY] = { 2, false, { P_IFSLICE, P_ANY }, false, rf_contains_some },
	[TMPL_FN_CONTAINSNONE] = { 2, false, { P_IFSLICE, P_ANY }, false, rf_contains_some },
	[TMPL_FN_CONTAINSNOTALL] = { 2, false, { P_IFSLICE, P_ANY }, false, rf_contains_some },
	[TMPL_FN_IN] = { 2, false, { P_ANY, P_ANY }, false, rf_in },
	[TMPL_FN_ADD] = { 2, false, { P_ANY, P_ANY }, false, rf_arith },
	[TMPL_FN_SUBTRACT] = { 2, false, { P_ANY, P_ANY }, false, rf_arith },
	[TMPL_FN_MULTIPLY] = { 2, false, { P_ANY, P_ANY }, false, rf_arith },
	[TMPL_FN_DIVIDE] = { 2, false, { P_ANY, P_ANY }, false, rf_arith },
	[TMPL_FN_MODULO] = { 2, false, { P_ANY, P_ANY }, false, rf_arith },
	[TMPL_FN_MINIMUM] = { 2, false, { P_ANY, P_ANY }, false, rf_minmax },
	[TMPL_FN_MAXIMUM] = { 2, false, { P_ANY, P_ANY }, false, rf_minmax },
	[TMPL_FN_MD5SUM] = { 1, false, { P_STRING }, true, rf_md5sum },
	[TMPL_FN_HMACSHA256HEX] = { 2, false, { P_STRING, P_STRING }, true, rf_hmac_sha256_hex },
	[TMPL_FN_EXECUTETEMPLATE] = { 2, true, { P_STRING, P_ANY }, true, bi_execute_template },
	[TMPL_FN_REGEXMATCH] = { 2, false, { P_STRING, P_STRING }, false, rf_regex_match },
	[TMPL_FN_REGEXREPLACEALL] = { 3,
				      false,
				      { P_STRING, P_STRING, P_STRING },
				      true,
				      rf_regex_replace_all },
	[TMPL_FN_SPLITTOMAP] = { 3,
				 false,
				 { P_STRING, P_STRING, P_STRING },
				 false,
				 rf_split_to_map },
	[TMPL_FN_EXPLODEMAP] = { 1, false, { P_MAP }, false, rf_explode_map },
	[TMPL_FN_LOOP] = { 1, true, { P_ANY }, false, bi_loop },
	[TMPL_FN_TIMESTAMP] = { 1, true, { P_STRING }, true, rf_timestamp },
	/* sprig's string helpers: the same Go functions as their consul-template twins */
	[TMPL_FN_SPRIG_UPPER] = { 1, false, { P_STRING }, true, bi_toupper },
	[TMPL_FN_SPRIG_LOWER] = { 1, false, { P_STRING }, true, bi_tolower },
	[TMPL_FN_SPRIG_TRIM] = { 1, false, { P_STRING }, false, bi_trimspace },
	[TMPL_FN_SPRIG_TRIMALL] = { 2, false, { P_STRING, P_STRING }, false, bi_trim },
	[TMPL_FN_SPRIG_TRIMPREFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_trimprefix },
	[TMPL_FN_SPRIG_TRIMSUFFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_trimsuffix },
	[TMPL_FN_SPRIG_REPLACE] = { 3,
				    false,
				    { P_STRING, P_STRING, P_STRING },
				    true,
				    bi_replaceall },
	[TMPL_FN_SPRIG_B64ENC] = { 1, false, { P_STRING }, true, bi_b64encode },
	[TMPL_FN_SPRIG_SHA256SUM] = { 1, false, { P_STRING }, true, bi_sha256hex },
	[TMPL_FN_SPRIG_CONTAINS] = { 2, false, { P_STRING, P_STRING }, false, bi_sprig_has },
	[TMPL_FN_SPRIG_HASPREFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_sprig_has },
	[TMPL_FN_SPRIG_HASSUFFIX] = { 2, false, { P_STRING, P_STRING }, false, bi_sprig_has },
	[TMPL_FN_SPRIG_DEFAULT] = { 2, true, { P_ANY, P_ANY }, false, bi_sprig_default },
	[TMPL_FN_SPRIG_EMPTY] = { 1, false, { P_ANY }, false, bi_sprig_default },
	[TMPL_FN_SPRIG_COALESCE] = { 1, true, { P_ANY }, false, bi_sprig_default },
	[TMPL_FN_SPRIG_ALL] = { 1, true, { P_ANY }, false, bi_sprig_default },
	[TMPL_FN_SPRIG_ANY] = { 1, true, { P_ANY }, false, bi_sprig_default },
	[TMPL_FN_SPRIG_QUOTE] = { 1, true, { P_ANY }, true, bi_sprig_quote },
	[TMPL_FN_SPRIG_SQUOTE] = { 1, true, { P_ANY }, true, bi_sprig_quote },
	/* the functions that touch the pod (rf_pod.c) */
	[TMPL_FN_FILE] = { 1, false, { P_STRING }, true, rf_file },
	[TMPL_FN_WRITETOFILE] = { 5,
				  true,
				  { P_STRING, P_STRING, P_STRING, P_STRING, P_STRING },
				  false,
				  rf_write_to_file },
	[TMPL_FN_PLUGIN] = { 2, true, { P_STRING, P_STRING }, true, rf_plugin },
	/* sprig v3 lists, dicts and encodings (rf_sprig.c) */
	[TMPL_FN_SPRIG_LIST] = { 1, true, { P_ANY }, false, rf_sprig_list },
	[TMPL_FN_SPRIG_TUPLE] = { 1, true, { P_ANY }, false, rf_sprig_list },
	[TMPL_FN_SPRIG_FIRST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_LAST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_REST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_INITIAL] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_APPEND] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_PUSH] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_PREPEND] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_CONCAT] = { 1, true, { P_ANY }, false, rf_sprig_concat },
	[TMPL_FN_SPRIG_REVERSE] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_UNIQ] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_WITHOUT] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_HAS] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_has },
	[TMPL_FN_SPRIG_COMPACT] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_SLICE] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_slice },
	[TMPL_FN_SPRIG_SORTALPHA] = { 1, false, { P_ANY }, false, rf_sprig_strings },
	[TMPL_FN_SPRIG_JOIN] = { 2, false, { P_STRING, P_ANY }, true, rf_sprig_join },
	[TMPL_FN_SPRIG_SPLITLIST] = { 2, false, { P_STRING, P_STRING }, false, rf_sprig_split },
	[TMPL_FN_SPRIG_SPLIT] = { 2, false, { P_STRING, P_STRING }, false, rf_sprig_split },
	[TMPL_FN_SPRIG_TOSTRINGS] = { 1, false, { P_ANY }, false, rf_sprig_strings },
	[TMPL_FN_SPRIG_DICT] = { 1, true, { P_ANY }, false, rf_sprig_dict },
	[TMPL_FN_SPRIG_GET] = { 2, false, { P_MAP, P_STRING }, false, rf_sprig_get },
	[TMPL_FN_SPRIG_HASKEY] = { 2, false, { P_MAP, P_STRING }, false, rf_sprig_get },
	[TMPL_FN_SPRIG_PLUCK] = { 2, true, { P_STRING, P_MAP }, false, rf_sprig_pluck },
	[TMPL_FN_SPRIG_PICK] = { 2, true, { P_MAP, P_STRING }, false, rf_sprig_pick },
	[TMPL_FN_SPRIG_OMIT] = { 2, true, { P_MAP, P_STRING }, false, rf_sprig_pick },
	[TMPL_FN_SPRIG_DIG] = { 1, true, { P_ANY }, false, rf_sprig_dig },
	[TMPL_FN_SPRIG_B64DEC] = { 1, false, { P_STRING }, true, rf_sprig_b64dec },
	[TMPL_FN_SPRIG_B32ENC] = { 1, false, { P_STRING }, true, rf_sprig_b32enc },
	[TMPL_FN_SPRIG_B32DEC] = { 1, false, { P_STRING }, true, rf_sprig_b32dec },
	[TMPL_FN_SPRIG_TOJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	[TMPL_FN_SPRIG_TOPRETTYJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	[TMPL_FN_SPRIG_TORAWJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	[TMPL_FN_SPRIG_MUSTAPPEND] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTPUSH] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTPREPEND] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTFIRST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTLAST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTREST] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTINITIAL] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTREVERSE] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTUNIQ] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTWITHOUT] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTHAS] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_has },
	[TMPL_FN_SPRIG_MUSTCOMPACT] = { 1, false, { P_ANY }, false, rf_sprig_listop },
	[TMPL_FN_SPRIG_MUSTSLICE] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_slice },
	[TMPL_FN_SPRIG_MUSTTOJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	[TMPL_FN_SPRIG_MUSTTOPRETTYJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	[TMPL_FN_SPRIG_MUSTTORAWJSON] = { 1, false, { P_ANY }, true, rf_sprig_tojson },
	/* sprig v3 math, conversions, strings, types (rf_sprig_num.c) */
	[TMPL_FN_SPRIG_ADD] = { 1, true, { P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_ADD1] = { 1, false, { P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_SUB] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_MUL] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_DIV] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_MOD] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_MAX] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_BIGGEST] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_MIN] = { 2, true, { P_ANY, P_ANY }, false, rf_sprig_math },
	[TMPL_FN_SPRIG_FLOOR] = { 1, false, { P_ANY }, false, rf_sprig_floor },
	[TMPL_FN_SPRIG_CEIL] = { 1, false, { P_ANY }, false, rf_sprig_floor },
	[TMPL_FN_SPRIG_ROUND] = { 3, true, { P_ANY, P_INT, P_ANY }, false, rf_sprig_floor },
	[TMPL_FN_SPRIG_INT] = { 1, false, { P_ANY }, false, rf_sprig_conv },
	[TMPL_FN_SPRIG_INT64] = { 1, false, { P_ANY }, false, rf_sprig_conv },
	[TMPL_FN_SPRIG_FLOAT64] = { 1, false, { P_ANY }, false, rf_sprig_conv },
	[TMPL_FN_SPRIG_ATOI] = { 1, false, { P_STRING }, false, rf_sprig_atoi },
	[TMPL_FN_SPRIG_TOSTRING] = { 1, false, { P_ANY }, false, rf_sprig_to_string },
	[TMPL_FN_SPRIG_TODECIMAL] = { 1, false, { P_ANY }, false, rf_sprig_to_decimal },
	[TMPL_FN_SPRIG_REPEAT] = { 2, false, { P_INT, P_STRING }, true, rf_sprig_repeat },
	[TMPL_FN_SPRIG_SUBSTR] = { 3, false, { P_INT, P_INT, P_STRING }, false, rf_sprig_substr },
	[TMPL_FN_SPRIG_NOSPACE] = { 1, false, { P_STRING }, false, rf_sprig_nospace },
	[TMPL_FN_SPRIG_TRUNC] = { 2, false, { P_INT, P_STRING }, false, rf_sprig_trunc },
	[TMPL_FN_SPRIG_ABBREV] = { 2, false, { P_INT, P_STRING }, true, rf_sprig_abbrev },
	[TMPL_FN_SPRIG_TITLE] = { 1, false, { P_STRING }, false, rf_sprig_title },
	[TMPL_FN_SPRIG_UNTITLE] = { 1, false, { P_STRING }, false, rf_sprig_title },
	[TMPL_FN_SPRIG_CAT] = { 1, true, { P_ANY }, true, rf_sprig_cat },
	[TMPL_FN_SPRIG_INDENT] = { 2, false, { P_INT, P_STRING }, true, rf_sprig_indent },
	[TMPL_FN_SPRIG_NINDENT] = { 2, false, { P_INT, P_STRING }, true, rf_sprig_indent },
	[TMPL_FN_SPRIG_PLURAL] = { 3,
				   false,
				   { P_STRING, P_STRING, P_INT },
				   false,
				   rf_sprig_plural },
	[TMPL_FN_SPRIG_TERNARY] = { 3, false, { P_ANY, P_ANY, P_ANY }, false, rf_sprig_ternary },
	[TMPL_FN_SPRIG_TRIMALL_LC] = { 2, false, { P_STRING, P_STRING }, false, bi_trim },
	[TMPL_FN_SPRIG_HELLO] = { 0, false, { P_NONE }, false, rf_sprig_hello },
	[TMPL_FN_SPRIG_FAIL] = { 1, false, { P_STRING }, false, rf_sprig_hello },
	[TMPL_FN_SPRIG_SHA1SUM] = { 1, false, { P_STRING }, true, rf_sprig_sum },
	[TMPL_FN_SPRIG_ADLER32SUM] = { 1, false, { P_STRING }, true, rf_sprig_sum },
	[TMPL_FN_SPRIG_TYPEOF] = { 1, false, { P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_TYPEIS] = { 2, false, { P_STRING, P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_TYPEISLIKE] = { 2, false, { P_STRING, P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_KINDOF] = { 1, false, { P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_KINDIS] = { 2, false, { P_STRING, P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_DEEPEQUAL] = { 2, false, { P_ANY, P_ANY }, false, rf_sprig_type },
	[TMPL_FN_SPRIG_REGEXMATCH] = { 2,
				       false,
				       { P_STRING, P_STRING },
				       false,
				       rf_sprig_regex_match },
	[TMPL_FN_SPRIG_MUSTREGEXMATCH] = { 2,
					   false,
					   { P_STRING, P_STRING },
					   false,
					   rf_sprig_regex_match },
	[TMPL_FN_SPRIG_REGEXREPLACEALL] = { 3,
					    false,
					    { P_STRING, P_STRING, P_STRING },
					    true,
					    rf_sprig_regex_replace },
	[TMPL_FN_SPRIG_MUSTREGEXREPLACEALL] = { 3,
						false,
						{ P_STRING, P_STRING, P_STRING },
						true,
						rf_sprig_regex_replace },
	[TMPL_FN_SPRIG_REGEXREPLACEALLLITERAL] = { 3,
						   false,
						   { P_STRING, P_STRING, P_STRING },
						   true,
						   rf_sprig_regex_replace },
	[TMPL_FN_SPRIG_MUSTREGEXREPLACEALLLITERAL] = { 3,
						       false,
						       { P_STRING, P_STRING, P_STRING },
						       true,
						       rf_sprig_regex_replace },
	[TMPL_FN_SPRIG_REGEXQUOTEMETA] = { 1,
					   false,
					   { P_STRING },
					   true,
					   rf_sprig_regex_quote_meta },
	[TMPL_FN_SPRIG_FROMJSON] = { 1, false, { P_STRING }, false, rf_sprig_from_json },
	[TMPL_FN_SPRIG_SEQ] = { 1, true, { P_INT }, true, rf_sprig_seq },
	[TMPL_FN_SPRIG_SPLITN] = { 3, false, { P_STRING, P_INT, P_STRING }, false, rf_sprig_split },
	[TMPL_FN_SPRIG_BASE] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_DIR] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_CLEAN] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_EXT] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_ISABS] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_OSBASE] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_OSDIR] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_OSCLEAN] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_OSEXT] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_OSISABS] = { 1, false, { P_STRING }, false, rf_sprig_path },
	[TMPL_FN_SPRIG_DEEPCOPY] = { 1, false, { P_ANY }, false, rf_sprig_deep_copy },
	[TMPL_FN_SPRIG_MUSTDEEPCOPY] = { 1, false, { P_ANY }, false, rf_sprig_deep_copy },
	[TMPL_FN_SPRIG_SHA512SUM] = { 1, false, { P_STRING }, true, rf_sprig_sum },
	[TMPL_FN_SHELLQUOTE] = { 1, false, { P_STRING }, true, bi_shellquote },
	/* consul-template: mutable values and formats (rf_toml.c, ...) */
	[TMPL_FN_TOTOML] = { 1, false, { P_ANY }, true, rf_to_toml },
	[TMPL_FN_MERGEMAP] = { 2, false, { P_MAP, P_MAP }, false, rf_merge_map },
	[TMPL_FN_MERGEMAPWITHOVERRIDE] = { 2, false, { P_MAP, P_MAP }, false, rf_merge_map },
	[TMPL_FN_SCRATCH] = { 0, false, { P_NONE }, false, rf_scratch },
	[TMPL_FN_SCRATCH_KEY] = { 1, false, { P_STRING }, false, rf_scratch_method },
	[TMPL_FN_SCRATCH_GET] = { 1, false, { P_STRING }, false, rf_scratch_method },
	[TMPL_FN_SCRATCH_SET] = { 2, false, { P_STRING, P_ANY }, false, rf_scratch_method },
	[TMPL_FN_SCRATCH_SETX] = { 2, false, { P_STRING, P_ANY }, false, rf_scratch_method },
	[TMPL_FN_SCRATCH_MAPSET] = { 3,
				     false,
				     { P_STRING, P_STRING, P_ANY },
				     false,
				     rf_scratch_method },
	[TMPL_FN_SCRATCH_MAPSETX] = { 3,
				      false,
				      { P_STRING, P_STRING, P_ANY },
				      false,
				      rf_scratch_method },
	[TMPL_FN_SCRATCH_MAPVALUES] = { 1, false, { P_STRING }, false, rf_scratch_method },
	[TMPL_FN_SPEW_DUMP] = { 1, true, { P_ANY }, false, rf_spew_to_stdout },
	[TMPL_FN_SPEW_PRINTF] = { 2, true, { P_STRING, P_ANY }, false, rf_spew_to_stdout },
};

/* Number of fixed (non-variadic) parameters as Go counts them. */
static int sig_fixed(const struct builtin *s)
{
	return s->variadic ? s->nparams - 1 : s->nparams;
}

/* Calls fn's implementation; a string result goes through a scratch buffer into the arena. */
static int call_impl(struct ex *x, const struct tmpl_node *node, enum tmpl_func fn,
		     const struct gval *argv, size_t n, struct gval *ret)
{
	const struct builtin *b = &builtins[fn];
	struct buf o;
	struct rf_call c = { .x = x, .node = node, .fn = fn, .argv = argv, .n = n, .o = &o };
	int r;

	buf_init_sensitive(&o, RENDER_MAX_VALUE);
	if (b->impl)
		r = b->impl(&c, ret);
	else
		r = ex_errorf(x, node, "internal error: bad function");
	if (!r && b->out)
		r = ex_str_from_buf(x, &o, ret);
	buf_done(&o);
	if (r == -ENOTSUP && !x->err_set)
		r = ex_errorf(
		    x, node,
		    "error calling %s: printing a memory address (%%p) is not supported by "
		    "vaultlet",
		    go_func_name(fn));
	if (r == -E2BIG && !x->err_set)
		r = ex_caperr(x, node, "%s: result larger than %d bytes", go_func_name(fn),
			      RENDER_MAX_VALUE);
	if (r == -ENOMEM && !x->err_set)
		r = ex_nomem(x);
	return r;
}

/* ---- calls --------------------------------------------------------- */

static int eval_call(struct ex *x, struct gval dot, enum tmpl_func fn, const struct tmpl_node *node,
		     struct tmpl_node *const *args, size_t nargs, struct final final,
		     struct gval *ret)
{
	const struct builtin *s = &builtins[fn];
	const char *name = go_func_name(fn);
	struct tmpl_node *const *a = nargs ? args + 1 : NULL;
	size_t na = nargs ? nargs - 1 : 0;
	size_t numin = na + (final.present ? 1 : 0);
	int numfixed = sig_fixed(s);
	struct gval *argv = NULL;
	size_t i = 0;
	int r = 0;

	if (s->variadic) {
		if ((int)numin < numfixed)
			return ex_errorf(x, node,
					 "wrong number of args for %s: want at least %d got %zu",
					 name, s->nparams - 1, na);
	} else if ((int)numin != s->nparams) {
		return ex_errorf(x, node, "wrong number of args for %s: want %d got %zu", name,
				 s->nparams, numin);
	}
	if (fn == TMPL_FN_AND || fn == TMPL_FN_OR) {
		struct gval v = GV_INVALID_VALUE;

		for (i = 0; i < na; i++) {
			r = eval_arg(x, dot, P_VALUE, a[i], &v);
			if (r)
				return r;
			if (truth(v) == (fn == TMPL_FN_OR)) {
				*ret = v;
				return 0;
			}
		}
		if (final.present)
			v = final.v;
		*ret = v;
		return 0;
	}
	argv = calloc(numin ? numin : 1, sizeof(*argv));
	if (!argv)
		return ex_nomem(x);
	for (i = 0; i < (size_t)numfixed && i < na; i++) {
		r = eval_arg(x, dot, s->p[i], a[i], &argv[i]);
		if (r)
			goto out;
	}
	if (s->variadic) {
		enum ptype vt = s->p[s->nparams - 1];

		for (; i < na; i++) {
			r = eval_arg(x, dot, vt, a[i], &argv[i]);
			if (r)
				goto out;
		}
	}
	if (final.present) {
		enum ptype t = s->p[s->nparams - 1];

		if (s->variadic && (int)numin - 1 < numfixed)
			t = s->p[numin - 1];
		r = validate_type(x, node, final.v, t, &argv[i]);
		if (r)
			goto out;
	}
	for (i = 0; i < numin; i++) {
		r = pki_refuse(x, node, &argv[i]);
		if (r)
			goto out;
	}
	x->at = node;
	r = call_impl(x, node, fn, argv, numin, ret);
out:
	free(argv);
	return r;
}

static int eval_function(struct ex *x, struct gval dot, const struct tmpl_node *ident,
			 const struct tmpl_node *cmd, struct tmpl_node *const *args, size_t nargs,
			 struct final final, struct gval *ret)
{
	(void)cmd;
	x->at = ident;
	return eval_call(x, dot, ident->ident.fn, ident, args, nargs, final, ret);
}

static int eval_command(struct ex *x, struct gval dot, const struct tmpl_node *cmd,
			struct final final, struct gval *ret)
{
	const struct tmpl_node *first = cmd->cmd.args[0];
	size_t nargs = cmd->cmd.nargs;
	int r;

	switch (first->type) {
	case TMPL_NODE_FIELD:
		x->at = first;
		return eval_field_chain(x, dot, dot, first, first->field.ident, first->field.nident,
					cmd->cmd.args, nargs, final, ret);
	case TMPL_NODE_CHAIN:
		return eval_chain_node(x, dot, first, cmd->cmd.args, nargs, final, ret);
	case TMPL_NODE_IDENT:
		return eval_function(x, dot, first, cmd, cmd->cmd.args, nargs, final, ret);
	case TMPL_NODE_PIPE:
		r = not_a_function(x, first, nargs, final);
		return r ? r : eval_pipeline(x, dot, first, ret);
	case TMPL_NODE_VARIABLE:
		return eval_variable_node(x, dot, first, cmd->cmd.args, nargs, final, ret);
	default:
		break;
	}
	x->at = first;
	r = not_a_function(x, first, nargs, final);
	if (r)
		return r;
	switch (first->type) {
	case TMPL_NODE_BOOL:
		*ret = gv_bool(first->boolean);
		return 0;
	case TMPL_NODE_DOT:
		*ret = dot;
		return 0;
	case TMPL_NODE_NIL:
		return ex_errorf(x, first, "nil is not a command");
	case TMPL_NODE_NUMBER:
		return ideal_constant(x, first, ret);
	case TMPL_NODE_STRING:
		*ret = gv_string(first->str.s, first->str.len);
		return 0;
	default:
		return ex_errorf(x, first, "can't evaluate command");
	}
}

static int eval_pipeline(struct ex *x, struct gval dot, const struct tmpl_node *pipe,
			 struct gval *ret)
{
	struct final final = NO_FINAL;
	struct gval value = GV_INVALID_VALUE;
	size_t i;
	int r = 0;

	if (++x->depth > RENDER_MAX_EVAL_DEPTH) {
		r = ex_caperr(x, pipe, "evaluation nested deeper than %d", RENDER_MAX_EVAL_DEPTH);
		goto out;
	}
	x->at = pipe;
	for (i = 0; i < pipe->pipe.ncmds; i++) {
		r = eval_command(x, dot, pipe->pipe.cmds[i], final, &value);
		if (r)
			goto out;
		if (value.kind == GV_NIL)
			value = GV_INVALID_VALUE;
		final.present = true;
		final.v = value;
	}
	for (i = 0; i < pipe->pipe.ndecl; i++) {
		const struct tmpl_str *name = &pipe->pipe.decl[i];

		if (pipe->pipe.is_assign) {
			struct var *v = find_var(x, name->s, name->len);

			if (!v) {
				r = ex_errorf(x, pipe, "undefined variable: %.*s", (int)name->len,
					      name->s);
				goto out;
			}
			v->v = value;
		} else {
			r = push_var(x, name->s, name->len, value);
			if (r)
				goto out;
		}
	}
	*ret = value;
out:
	x->depth--;
	return r;
}

/* ---- statements ---------------------------------------------------- */

static int emit(struct ex *x, const void *p, size_t n)
{
	int r = buf_append(x->out, p, n);

	if (r == -E2BIG)
		return ex_caperr(x, NULL, "rendered output larger than %zu bytes", x->out->max);
	if (r)
		return ex_nomem(x);
	return 0;
}

static int walk(struct ex *x, struct gval dot, const struct tmpl_node *n);

/* The IDENT node of a range pipeline's last command when that is a call of loop. */
static const struct tmpl_node *range_loop_ident(const struct tmpl_node *pipe)
{
	const struct tmpl_node *cmd, *first;

	if (!pipe || pipe->pipe.ncmds == 0)
		return NULL;
	cmd = pipe->pipe.cmds[pipe->pipe.ncmds - 1];
	if (cmd->cmd.nargs == 0)
		return NULL;
	first = cmd->cmd.args[0];
	return first->type == TMPL_NODE_IDENT && first->ident.fn == TMPL_FN_LOOP ? first : NULL;
}

/*
 * A range over loop's channel: the int64s from start up to stop, each the
 * dot and the range variable. The range's variables hold the channel
 * itself when there is no iteration: an else branch or an assignment
 * (`range $i = loop …`) could print it, a memory address in Go: refused.
 * Two variables are refused too (Go's index form over a channel changed
 * across Go versions).
 */
static int walk_range_loop(struct ex *x, struct gval dot, const struct tmpl_node *n, size_t mark2)
{
	const struct tmpl_node *pipe = n->branch.pipe;
	int64_t start = x->loop_start, stop = x->loop_stop;
	int r = 0;

	if (pipe->pipe.ndecl > 1)
		return ex_errorf(x, n,
				 "range over loop with two variables is not supported by "
				 "vaultlet: use one ({{ range $i := loop 5 }})");
	if (start >= stop) {
		if (pipe->pipe.ndecl > 0 && (n->branch.has_else || pipe->pipe.is_assign))
			return ex_errorf(x, n,
					 "a range variable of loop with no iteration "
					 "is not supported by vaultlet (it holds Go's channel, "
					 "printed as a memory address, in else or after an "
					 "assignment): drop the variable or the else");
		return n->branch.has_else ? walk_list(x, dot, &n->branch.else_list) : 0;
	}
	for (int64_t i = start; i < stop; i++) {
		struct gval elem = { .kind = GV_INT64, .i = i };

		if (++x->iters > RENDER_MAX_RANGE_ITERATIONS)
			return ex_caperr(x, n, "more than %d range iterations",
					 RENDER_MAX_RANGE_ITERATIONS);
		if (pipe->pipe.ndecl > 0)
			x->vars[x->nvars - 1].v = elem;
		r = walk_list(x, elem, &n->branch.list);
		x->nvars = mark2;
		if (r == EX_CONTINUE)
			r = 0;
		if (r)
			break;
	}
	return r == EX_BREAK ? 0 : r;
}

static int walk_range(struct ex *x, struct gval dot, const struct tmpl_node *n)
{
	size_t mark = x->nvars, mark2, i, count = 0;
	const struct tmpl_node *saved_loop = x->loop_ident;
	struct gval val;
	bool is_loop;
	int r;

	x->at = n;
	x->loop_ident = range_loop_ident(n->branch.pipe);
	x->loop_hit = false;
	r = eval_pipeline(x, dot, n->branch.pipe, &val);
	x->loop_ident = saved_loop;
	is_loop = x->loop_hit;
	x->loop_hit = false;
	if (r)
		goto out;
	if (val.kind == GV_SECRET)
		val.kind = GV_SECRETV;
	r = pki_refuse(x, n, &val);
	if (r)
		goto out;
	mark2 = x->nvars;
	if (is_loop) {
		r = walk_range_loop(x, dot, n, mark2);
		goto out;
	}
	switch (val.kind) {
	case GV_SLICE:
	case GV_STRSLICE:
	case GV_MAP:
	case GV_INVALID:
		break;
	default:
		r = ex_errorf(x, n, "range can't iterate over a value of type %s",
			      gv_type_name(&val));
		goto out;
	}
	if (val.kind == GV_MAP) {
		const cJSON **m = NULL;
		size_t nm = 0;

		if (val.map) {
			m = malloc(sizeof(*m) * ((size_t)cJSON_GetArraySize(val.map) + 1));
			if (!m) {
				r = ex_nomem(x);
				goto out;
			}
			nm = gv_sorted_members(val.map, m);
		}
		for (i = 0; i < nm; i++) {
			struct gval elem = gv_from_json(m[i]);
			struct gval key = gv_string(m[i]->string, strlen(m[i]->string));

			if (++x->iters > RENDER_MAX_RANGE_ITERATIONS) {
				r = ex_caperr(x, n, "more than %d range iterations",
					      RENDER_MAX_RANGE_ITERATIONS);
				break;
			}
			count++;
			if (n->branch.pipe->pipe.ndecl > 0)
				x->vars[x->nvars - 1].v = elem;
			if (n->branch.pipe->pipe.ndecl > 1)
				x->vars[x->nvars - 2].v = key;
			r = walk_list(x, elem, &n->branch.list);
			x->nvars = mark2;
			if (r == EX_CONTINUE)
				r = 0;
			if (r)
				break;
		}
		free(m);
	} else if (val.kind != GV_INVALID) {
		struct gv_iter it;
		struct gval elem;

		gv_iter_init(&it, &val);
		for (i = 0; gv_iter_next(&it, &elem); i++) {
			if (++x->iters > RENDER_MAX_RANGE_ITERATIONS) {
				r = ex_caperr(x, n, "more than %d range iterations",
					      RENDER_MAX_RANGE_ITERATIONS);
				break;
			}
			count++;
			if (n->branch.pipe->pipe.ndecl > 0)
				x->vars[x->nvars - 1].v = elem;
			if (n->branch.pipe->pipe.ndecl > 1)
				x->vars[x->nvars - 2].v = gv_int((int64_t)i);
			r = walk_list(x, elem, &n->branch.list);
			x->nvars = mark2;
			if (r == EX_CONTINUE)
				r = 0;
			if (r)
				break;
		}
	}
	if (r == EX_BREAK)
		r = 0;
	if (r)
		goto out;
	if (count == 0 && n->branch.has_else)
		r = walk_list(x, dot, &n->branch.else_list);
out:
	x->nvars = mark;
	return r;
}

static int walk(struct ex *x, struct gval dot, const struct tmpl_node *n)
{
	struct gval val;
	size_t mark;
	int r;

	x->at = n;
	switch (n->type) {
	case TMPL_NODE_TEXT:
		return emit(x, n->text.s, n->text.len);
	case TMPL_NODE_ACTION: {
		r = eval_pipeline(x, dot, n->action.pipe, &val);
		if (r)
			return r;
		if (n->action.pipe->pipe.ndecl == 0) {
			size_t before = x->out->len;

			r = pki_refuse(x, n, &val);
			if (r)
				return r;
			r = gofmt_print_action(x->out, &val);
			if (r) {
				buf_truncate(x->out, before);
				if (r == -E2BIG)
					return ex_caperr(x, n,
							 "rendered output larger than %zu bytes",
							 x->out->max);
				return ex_nomem(x);
			}
		}
		return 0;
	}
	case TMPL_NODE_IF:
	case TMPL_NODE_WITH: {
		bool t;

		mark = x->nvars;
		r = eval_pipeline(x, dot, n->branch.pipe, &val);
		if (!r) {
			t = truth(val);
			if (t)
				r = walk_list(x, n->type == TMPL_NODE_WITH ? val : dot,
					      &n->branch.list);
			else if (n->branch.has_else)
				r = walk_list(x, dot, &n->branch.else_list);
		}
		x->nvars = mark;
		return r;
	}
	case TMPL_NODE_RANGE:
		return walk_range(x, dot, n);
	case TMPL_NODE_DEFINE:
		return 0;
	case TMPL_NODE_TEMPLATE: {
		const struct tmpl_list *body =
		    tmpl_lookup(x->t, n->named.name.s, n->named.name.len);

		if (!body)
			return ex_errorf(x, n, "template \"%.*s\" not defined",
					 (int)VL_MIN(n->named.name.len, 128u), n->named.name.s);
		val = GV_INVALID_VALUE;
		if (n->named.pipe) {
			r = eval_pipeline(x, dot, n->named.pipe, &val);
			if (r)
				return r;
		}
		return exec_named(x, val, body, n);
	}
	case TMPL_NODE_BREAK:
		return EX_BREAK;
	case TMPL_NODE_CONTINUE:
		return EX_CONTINUE;
	default:
		return ex_errorf(x, n, "unknown node");
	}
}

static int walk_list(struct ex *x, struct gval dot, const struct tmpl_list *l)
{
	size_t i;
	int r;

	for (i = 0; i < l->n; i++) {
		r = walk(x, dot, l->items[i]);
		if (r)
			return r;
	}
	return 0;
}

/* ---- entry points -------------------------------------------------- */

int render_exec(const struct tmpl *t, const struct render_opts *opts, struct buf *out,
		struct render_result *res)
{
	struct render_opts defaults = { 0 };
	struct ex x = { 0 };
	size_t saved_max = out->max;
	int r;

	memset(res, 0, sizeof(*res));
	if (!opts)
		opts = &defaults;
	buf_reset(out);
	if (opts->max_output && opts->max_output < out->max)
		out->max = opts->max_output;
	else if (!opts->max_output && out->max > RENDER_MAX_OUTPUT)
		out->max = RENDER_MAX_OUTPUT;
	arena_init_sensitive(&x.ar);
	x.t = t;
	x.o = opts;
	x.out = out;
	x.res = res;
	r = push_var(&x, "$", 1, GV_INVALID_VALUE);
	if (!r)
		r = walk_list(&x, GV_INVALID_VALUE, &t->root);
	if (r > 0) /* break/continue cannot escape a range: the parser checks */
		r = 0;
	if (r >= 0 && x.missing)
		r = RENDER_INCOMPLETE;
	if (r != 0)
		buf_reset(out);
	out->max = saved_max;
	rf_mut_free(x.mut);
	for (size_t i = 0; i < x.nowned; i++)
		cJSON_Delete(x.owned[i]);
	free(x.owned);
	free(x.vars);
	arena_done(&x.ar);
	return r;
}

void render_result_done(struct render_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->nmissing; i++)
		free(res->missing[i]);
	for (i = 0; i < res->nused; i++)
		free(res->used[i]);
	free(res->missing);
	free(res->used);
	res->missing = res->used = NULL;
	res->nmissing = res->nused = 0;
}
