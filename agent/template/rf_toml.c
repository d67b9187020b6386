/* SPDX-License-Identifier: MIT */
/*
 * rf_toml: consul-template's toTOML, BurntSushi toml's Encoder over a
 * template value, then bytes.TrimSpace.
 *
 * DESIGN. The encoder (encode.go) is kept in its original shape, for the
 * values a map can hold here (every map is a JSON tree): a table writes
 * its non-table members first ("k = v", keys sorted bytewise), then its
 * tables ("[a.b]", two spaces of indent per level past the first) and
 * arrays of tables ("[[a.b]]"); everything inside an array or an inline
 * table is written inline ("[1, 2]", "{k = v}"). The quirks are kept: a
 * nil member is skipped, but in an inline table the ", " written before it
 * stays ("{a = 1, }"); a nil element anywhere in an array fails the whole
 * call (checked when the table holding the array sorts its members, as
 * tomlTypeOfGo does, so the first error is Go's); a json.Number is written
 * as an int64 when strconv.ParseInt takes it, else as a float64, else it
 * is an error.
 *
 * Version differences. Vault Agent links whatever BurntSushi toml its
 * build resolves (consul-template pins v1.5.0; Debian, hence the oracle,
 * has v1.2.0; v1.6.0 exists). Output that differs between v1.2 and v1.6
 * is refused, never rendered one way: a value that is not a map (v1.2
 * fails, v1.3+ writes it bare), a float whose shortest decimal exponent is
 * below -4 or at least 6 (v1.6 writes it with an exponent), a struct (the
 * secret itself, pkiCert's value). Infinite and NaN floats (written
 * differently too) cannot occur inside a JSON tree. Error texts are those
 * of v1.5+.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goparse.h"
#include "gofmt.h"
#include "gostr.h"
#include "render.h"
#include "rfunc.h"
#include "vjson.h"

/* cJSON nests at most CJSON_NESTING_LIMIT deep; this bounds our recursion too. */
#define TOML_MAX_DEPTH 1100

enum ttype { T_NIL, T_BOOL, T_INTEGER, T_FLOAT, T_STRING, T_ARRAY, T_HASH, T_ARRAYHASH };

struct tenc {
	struct rf_call *c;
	struct buf *o;
	bool written; /* Encoder.hasWritten */
	int r;	      /* first error; the output is dropped then */
	int depth;
	/* the current key path (Key), for headers and indent */
	const char *key[TOML_MAX_DEPTH + 1];
	int nkey;
};

static bool failed(struct tenc *e)
{
	return e->r != 0;
}

static void fail(struct tenc *e, const char *msg)
{
	if (!e->r)
		e->r = rf_fail(e->c, "toTOML: %s", msg);
}

/* A value whose TOML differs between BurntSushi toml versions: refused. */
static void refuse(struct tenc *e, const char *what, const char *why)
{
	if (!e->r)
		e->r = rf_fail(e->c, "toTOML of %s is not supported by vaultlet: %s", what, why);
}

#define WHY_VERSIONS "BurntSushi toml's versions encode it differently (docs/templates.md)"

static void put(struct tenc *e, const char *s, size_t n)
{
	if (e->r)
		return;
	e->r = buf_append(e->o, s, n);
	e->written = true;
}

static void puts_(struct tenc *e, const char *s)
{
	put(e, s, strlen(s));
}

static void newline(struct tenc *e)
{
	if (e->written)
		put(e, "\n", 1);
}

static bool depth_enter(struct tenc *e)
{
	if (++e->depth > TOML_MAX_DEPTH) {
		if (!e->r)
			e->r = rf_capfail(e->c, "error calling toTOML: value nested too deep");
		return false;
	}
	return true;
}

/* tomlTypeOfGo without the array check (see array_type). */
static enum ttype node_type(const cJSON *n)
{
	if (!n || cJSON_IsNull(n))
		return T_NIL;
	if (cJSON_IsBool(n))
		return T_BOOL;
	if (cJSON_IsNumber(n))
		return n->valuestring ? T_STRING : T_FLOAT; /* json.Number is a string kind */
	if (cJSON_IsString(n))
		return T_STRING;
	if (cJSON_IsObject(n))
		return T_HASH;
	return T_ARRAY;
}

/*
 * tomlTypeOfGo of an array: isTableArray looks at every element (nested
 * arrays too, not into tables) and fails on a nil one.
 */
static enum ttype array_type(struct tenc *e, const cJSON *arr)
{
	bool all_hash = true;
	const cJSON *c;

	if (!arr->child)
		return T_ARRAY;
	if (!depth_enter(e))
		return T_ARRAY;
	for (c = arr->child; c && !failed(e); c = c->next) {
		enum ttype t = node_type(c);

		if (t == T_ARRAY)
			t = array_type(e, c);
		if (t == T_NIL) {
			fail(e, "toml: cannot encode array with nil element");
			break;
		}
		if (t != T_HASH)
			all_hash = false;
	}
	e->depth--;
	return all_hash ? T_ARRAYHASH : T_ARRAY;
}

static enum ttype type_of(struct tenc *e, const cJSON *n)
{
	enum ttype t = node_type(n);

	return t == T_ARRAY ? array_type(e, n) : t;
}

/* dblQuotedReplacer: " \ and the C0 controls and DEL, byte by byte. */
static void quoted(struct tenc *e, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	put(e, "\"", 1);
	for (i = 0; i < n && !e->r; i++) {
		unsigned char b = (unsigned char)s[i];
		char esc[7];
		const char *rep = NULL;

		if (b == '"')
			rep = "\\\"";
		else if (b == '\\')
			rep = "\\\\";
		else if (b == '\b')
			rep = "\\b";
		else if (b == '\t')
			rep = "\\t";
		else if (b == '\n')
			rep = "\\n";
		else if (b == '\f')
			rep = "\\f";
		else if (b == '\r')
			rep = "\\r";
		else if (b < 0x20 || b == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[b >> 4];
			esc[5] = hex[b & 15];
			esc[6] = 0;
			rep = esc;
		}
		if (!rep) {
			run++;
			continue;
		}
		put(e, s + i - run, run);
		run = 0;
		puts_(e, rep);
	}
	put(e, s + n - run, run);
	put(e, "\"", 1);
}

/* Key.maybeQuoted: bare when every rune is A-Za-z0-9_- and it is not empty. */
static void key_piece(struct tenc *e, const char *k)
{
	size_t n = strlen(k);

	for (size_t i = 0; i < n; i++) {
		char ch = k[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
			quoted(e, k, n);
			return;
		}
	}
	if (n == 0)
		put(e, "\"\"", 2);
	else
		put(e, k, n);
}

static void indent(struct tenc *e)
{
	for (int i = 1; i < e->nkey; i++)
		put(e, "  ", 2);
}

/* Key.String(): the pieces joined by dots. */
static void key_path(struct tenc *e)
{
	for (int i = 0; i < e->nkey; i++) {
		if (i)
			put(e, ".", 1);
		key_piece(e, e->key[i]);
	}
}

static void element(struct tenc *e, const cJSON *n);
static void emap(struct tenc *e, const cJSON *obj, bool inline_);

static void float64(struct tenc *e, double f)
{
	struct buf t;
	const char *p;

	if (!isfinite(f)) {
		refuse(e, "an infinite or NaN float", WHY_VERSIONS);
		return;
	}
	buf_init_sensitive(&t, 64);
	if (gofmt_float(&t, f, 'e', -1) == 0) {
		long exp;

		p = strchr(buf_str(&t), 'e');
		exp = p ? strtol(p + 1, NULL, 10) : 0;
		if (f != 0 && (exp < -4 || exp >= 6)) {
			buf_done(&t);
			refuse(e, "a float of magnitude below 1e-4 or from 1e6 on", WHY_VERSIONS);
			return;
		}
		buf_truncate(&t, 0);
		if (gofmt_float(&t, f, 'f', -1) == 0) {
			put(e, buf_str(&t), t.len);
			if (!memchr(buf_str(&t), '.', t.len))
				put(e, ".0", 2);
		} else if (!e->r) {
			e->r = -ENOMEM;
		}
	} else if (!e->r) {
		e->r = -ENOMEM;
	}
	buf_done(&t);
}

/* json.Number: Int64(), else Float64(), else an error. */
static void number(struct tenc *e, const char *lit)
{
	int64_t i;
	char tmp[32];

	if (goparse_int64(lit, &i) && *lit) {
		int len = snprintf(tmp, sizeof(tmp), "%lld", (long long)i);

		put(e, tmp, (size_t)len);
		return;
	}
	{
		char *end;
		double f;

		errno = 0;
		f = strtod(lit, &end);
		/* a JSON literal: only overflow fails (Go returns ±Inf, ErrRange) */
		if (*end || (errno == ERANGE && isinf(f))) {
			if (!e->r)
				e->r = rf_fail(
				    e->c, "toTOML: unable to convert \"%s\" to int64 or float64",
				    lit);
			return;
		}
		float64(e, f);
	}
}

/* eElement */
static void element(struct tenc *e, const cJSON *n)
{
	if (failed(e))
		return;
	if (!n || cJSON_IsNull(n)) {
		/* eElement of a nil interface reaches reflect.Value.Interface on a zero Value */
		if (!e->r)
			e->r =
			    rf_fail(e->c, "reflect: call of reflect.Value.Interface on zero Value");
		return;
	}
	if (cJSON_IsNumber(n)) {
		if (n->valuestring)
			number(e, n->valuestring);
		else
			float64(e, n->valuedouble);
	} else if (cJSON_IsString(n)) {
		struct gv_str s = gv_json_str(n);

		quoted(e, s.s, s.len);
	} else if (cJSON_IsBool(n)) {
		puts_(e, cJSON_IsTrue(n) ? "true" : "false");
	} else if (cJSON_IsArray(n)) {
		const cJSON *c;

		if (!depth_enter(e))
			return;
		put(e, "[", 1);
		for (c = n->child; c && !failed(e); c = c->next) {
			element(e, c);
			if (c->next)
				put(e, ", ", 2);
		}
		put(e, "]", 1);
		e->depth--;
	} else {
		emap(e, n, true);
	}
}

/* writeKeyValue for a key path (inline: the one-piece key of an inline table). */
static void key_value(struct tenc *e, const char *k, const cJSON *v, bool inline_)
{
	if (inline_) {
		key_piece(e, k);
	} else {
		indent(e);
		key_piece(e, e->key[e->nkey - 1]);
	}
	put(e, " = ", 3);
	element(e, v);
	if (!inline_)
		newline(e);
}

static void encode(struct tenc *e, const cJSON *v, enum ttype t);

/* eMap: non-tables first, then tables, each group sorted by key. */
static void emap(struct tenc *e, const cJSON *obj, bool inline_)
{
	size_t n = (size_t)cJSON_GetArraySize(obj), i, nd = 0, ns = 0;
	const cJSON **all, **direct, **sub;
	enum ttype *types;

	if (failed(e) || !depth_enter(e))
		return;
	all = calloc(n ? n * 3 : 1, sizeof(*all));
	types = calloc(n ? n : 1, sizeof(*types));
	if (!all || !types) {
		free(all);
		free(types);
		e->r = rf_nomem(e->c);
		return;
	}
	direct = all + n;
	sub = all + 2 * n;
	gv_sorted_members(obj, all);
	/* Go partitions in map order: an error here is the same whichever member */
	for (i = 0; i < n && !failed(e); i++) {
		types[i] = type_of(e, all[i]);
		if (types[i] == T_HASH || types[i] == T_ARRAYHASH)
			sub[ns++] = all[i];
		else
			direct[nd++] = all[i];
	}
	if (inline_)
		put(e, "{", 1);
	for (int grp = 0; grp < 2 && !failed(e); grp++) {
		const cJSON **keys = grp ? sub : direct;
		size_t cnt = grp ? ns : nd;
		bool trail = grp == 0 && ns > 0;

		for (i = 0; i < cnt && !failed(e); i++) {
			const cJSON *v = keys[i];

			if (cJSON_IsNull(v))
				continue;
			if (inline_) {
				key_value(e, v->string, v, true);
				if (trail || i != cnt - 1)
					put(e, ", ", 2);
			} else {
				e->key[e->nkey++] = v->string;
				encode(e, v, type_of(e, v));
				e->nkey--;
			}
		}
	}
	if (inline_)
		put(e, "}", 1);
	free(all);
	free(types);
	e->depth--;
}

/* encode for a member at the current key (nkey >= 1). */
static void encode(struct tenc *e, const cJSON *v, enum ttype t)
{
	if (failed(e))
		return;
	switch (t) {
	case T_NIL:
		return;
	case T_HASH:
		/* eTable */
		if (e->nkey == 1)
			newline(e);
		indent(e);
		put(e, "[", 1);
		key_path(e);
		put(e, "]", 1);
		newline(e);
		emap(e, v, false);
		return;
	case T_ARRAYHASH:
		/* eArrayOfTables */
		for (const cJSON *c = v->child; c && !failed(e); c = c->next) {
			newline(e);
			indent(e);
			put(e, "[[", 2);
			key_path(e);
			put(e, "]]", 2);
			newline(e);
			emap(e, c, false);
		}
		return;
	default:
		key_value(e, NULL, v, false);
		return;
	}
}

int rf_to_toml(struct rf_call *c, struct gval *ret)
{
	const struct gval *v = &c->argv[0];
	struct tenc e = { .c = c, .o = c->o };

	(void)ret;
	switch (v->kind) {
	case GV_NIL:
	case GV_INVALID:
		/* Encode(nil): eindirect asks a zero reflect.Value for its type */
		return rf_fail(c, "reflect: call of reflect.Value.Type on zero Value");
	case GV_MAP:
		if (v->pki) {
			refuse(&e, "pkiCert's value", "it is a struct; pass a map");
			return e.r;
		}
		if (!v->map)
			return 0; /* a nil map: nothing */
		break;
	case GV_SECRET:
	case GV_SECRETV:
		refuse(&e, "a secret", "it is a struct; pass its .Data");
		return e.r;
	default:
		refuse(&e, "a value that is not a map", WHY_VERSIONS);
		return e.r;
	}
	emap(&e, v->map, false);
	if (e.r)
		return e.r;
	{
		size_t a, len;
		struct buf *o = c->o;

		gostr_trim_space(o->data ? o->data : "", o->len, &a, &len);
		if (a)
			memmove(o->data, o->data + a, len);
		buf_truncate(o, len);
	}
	return 0;
}
