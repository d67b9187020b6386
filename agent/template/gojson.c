/* SPDX-License-Identifier: MIT */
/*
 * gojson: Go's json.Marshal / MarshalIndent / Encoder for template values
 * (see gojson.h). Indentation is produced directly in MarshalIndent's
 * shape (empty objects and arrays stay "{}" and "[]").
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gofmt.h"
#include "gojson.h"
#include "tmplutf.h"

struct enc {
	struct buf *o;
	bool html, indent;
	int depth;
	const char **msg;
};

static int newline(struct enc *e)
{
	int r = buf_putc(e->o, '\n');

	for (int i = 0; !r && i < e->depth; i++)
		r = buf_append(e->o, "  ", 2);
	return r;
}

static int enc_string(struct enc *e, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, start = 0, w;
	int r = buf_putc(e->o, '"');

	while (!r && i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			bool safe = c >= 0x20 && c != '"' && c != '\\' &&
				    !(e->html && (c == '<' || c == '>' || c == '&'));

			if (safe) {
				i++;
				continue;
			}
			if (c == '\b' || c == '\f') {
				/* Go < 1.22 writes \u0008, Go >= 1.22 writes \b: depends on the agent */
				*e->msg =
				    "text containing U+0008 or U+000C is not supported by vaultlet "
				    "(Vault Agent writes \\u0008 or \\b depending on its Go "
				    "version)";
				return -EINVAL;
			}
			r = buf_append(e->o, s + start, i - start);
			if (r)
				break;
			switch (c) {
			case '\\':
			case '"':
				r = buf_putc(e->o, '\\');
				if (!r)
					r = buf_putc(e->o, (char)c);
				break;
			case '\n':
				r = buf_append(e->o, "\\n", 2);
				break;
			case '\r':
				r = buf_append(e->o, "\\r", 2);
				break;
			case '\t':
				r = buf_append(e->o, "\\t", 2);
				break;
			default: {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF] };

				r = buf_append(e->o, u, 6);
				break;
			}
			}
			i++;
			start = i;
			continue;
		}
		{
			uint32_t rr = tmplutf_decode(s + i, n - i, &w);

			if (rr == TMPLUTF_ERROR && w == 1) {
				r = buf_append(e->o, s + start, i - start);
				if (!r)
					r = buf_append(e->o, "\\ufffd", 6);
				i += w;
				start = i;
				continue;
			}
			if (rr == 0x2028 || rr == 0x2029) {
				r = buf_append(e->o, s + start, i - start);
				if (!r)
					r = buf_append(e->o, rr == 0x2028 ? "\\u2028" : "\\u2029",
						       6);
				i += w;
				start = i;
				continue;
			}
			i += w;
		}
	}
	if (!r)
		r = buf_append(e->o, s + start, n - start);
	if (!r)
		r = buf_putc(e->o, '"');
	return r;
}

/* encoding/json isValidNumber */
static bool valid_number(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	if (s[0] == '-') {
		i++;
		if (i == n)
			return false;
	}
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		i += 2;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (s[i] == '+' || s[i] == '-') {
			i++;
			if (i == n)
				return false;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

static int enc_float(struct enc *e, double f)
{
	struct buf t;
	double a = fabs(f);
	char fmt = 'f';
	int r;

	if (isnan(f) || isinf(f)) {
		/* Go's UnsupportedValueError quotes strconv.FormatFloat(f, 'g', -1, 64) */
		*e->msg = isnan(f) ? "json: unsupported value: NaN"
			  : f > 0  ? "json: unsupported value: +Inf"
				   : "json: unsupported value: -Inf";
		return -EINVAL;
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21))
		fmt = 'e';
	buf_init_sensitive(&t, 64);
	r = gofmt_float(&t, f, fmt, -1);
	if (!r && fmt == 'e') {
		size_t n = t.len;

		if (n >= 4 && t.data[n - 4] == 'e' && t.data[n - 3] == '-' &&
		    t.data[n - 2] == '0') {
			t.data[n - 2] = t.data[n - 1];
			t.len--;
		}
	}
	if (!r)
		r = buf_append(e->o, t.data, t.len);
	buf_done(&t);
	return r;
}

static int enc_value(struct enc *e, const struct gval *v);

static int enc_secret(struct enc *e, const cJSON *secret)
{
	int r = buf_putc(e->o, '{');

	e->depth++;
	for (size_t i = 0; !r && i < GV_SECRET_NFIELDS; i++) {
		bool found;
		const char *name = gv_secret_fields[i];
		struct gval f = gv_secret_field(secret, name, strlen(name), &found);

		if (i > 0)
			r = buf_putc(e->o, ',');
		if (!r && e->indent)
			r = newline(e);
		if (!r)
			r = enc_string(e, name, strlen(name));
		if (!r)
			r = buf_append(e->o, e->indent ? ": " : ":", e->indent ? 2 : 1);
		if (!r)
			r = enc_value(e, &f);
	}
	e->depth--;
	if (!r && e->indent)
		r = newline(e);
	if (!r)
		r = buf_putc(e->o, '}');
	return r;
}

static int enc_value(struct enc *e, const struct gval *v)
{
	int r = 0;

	if (e->depth > 1000) {
		*e->msg = "json: nesting too deep";
		return -EINVAL;
	}
	switch (v->kind) {
	case GV_INVALID:
	case GV_NIL:
	case GV_NILPTR:
		return buf_append_str(e->o, "null");
	case GV_STRING:
		return enc_string(e, v->str.s, v->str.len);
	case GV_NUMBER:
		if (v->str.len == 0)
			return buf_putc(e->o, '0');
		if (!valid_number(v->str.s, v->str.len)) {
			*e->msg = "json: invalid number literal";
			return -EINVAL;
		}
		return buf_append(e->o, v->str.s, v->str.len);
	case GV_BOOL:
		return buf_append_str(e->o, v->b ? "true" : "false");
	case GV_INT:
	case GV_INT64:
	case GV_UINT8:
		return buf_appendf(e->o, "%lld", (long long)v->i);
	case GV_UINT64:
		return buf_appendf(e->o, "%llu", (unsigned long long)v->i);
	case GV_FLOAT:
		return enc_float(e, v->f);
	case GV_SECRET:
	case GV_SECRETV:
		return enc_secret(e, v->secret);
	case GV_MAP: {
		const cJSON **m;
		size_t n, i;

		if (!v->map)
			return buf_append_str(e->o, "null");
		m = malloc(sizeof(*m) * ((size_t)cJSON_GetArraySize(v->map) + 1));
		if (!m)
			return -ENOMEM;
		n = gv_sorted_members(v->map, m);
		r = buf_putc(e->o, '{');
		e->depth++;
		for (i = 0; !r && i < n; i++) {
			struct gval x = gv_from_json(m[i]);

			if (i > 0)
				r = buf_putc(e->o, ',');
			if (!r && e->indent)
				r = newline(e);
			if (!r)
				r = enc_string(e, m[i]->string, strlen(m[i]->string));
			if (!r)
				r = buf_append(e->o, e->indent ? ": " : ":", e->indent ? 2 : 1);
			if (!r)
				r = enc_value(e, &x);
		}
		e->depth--;
		if (!r && e->indent && n > 0)
			r = newline(e);
		if (!r)
			r = buf_putc(e->o, '}');
		free(m);
		return r;
	}
	case GV_SLICE:
	case GV_STRSLICE: {
		size_t n = v->kind == GV_SLICE ? v->slice.len : v->strs.len;
		bool nil = v->kind == GV_SLICE ? !v->slice.arr : !v->strs.arr && !v->strs.items;
		struct gv_iter it;
		struct gval x;

		if (nil)
			return buf_append_str(e->o, "null");
		r = buf_putc(e->o, '[');
		e->depth++;
		gv_iter_init(&it, v);
		while (!r && gv_iter_next(&it, &x)) {
			if (it.i > 1)
				r = buf_putc(e->o, ',');
			if (!r && e->indent)
				r = newline(e);
			if (!r)
				r = enc_value(e, &x);
		}
		e->depth--;
		if (!r && e->indent && n > 0)
			r = newline(e);
		if (!r)
			r = buf_putc(e->o, ']');
		return r;
	}
	}
	return r;
}

int gojson_marshal(struct buf *o, const struct gval *v, bool escape_html, bool indent,
		   const char **ret_msg)
{
	struct enc e = { .o = o, .html = escape_html, .indent = indent, .msg = ret_msg };

	return enc_value(&e, v);
}
