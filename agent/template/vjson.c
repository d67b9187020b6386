/* SPDX-License-Identifier: MIT */
/*
 * vjson: a strict JSON parser that builds cJSON trees and keeps number
 * literals (see vjson.h).
 *
 * Written by hand rather than on top of cJSON_Parse because cJSON throws
 * the number text away and accepts things Go's decoder refuses. Grammar is
 * RFC 8259; string decoding follows Go's encoding/json (invalid UTF-8 and
 * lone surrogates become U+FFFD). Nodes are made with cJSON's own
 * constructors so cJSON_Delete frees them. Recursion is bounded by
 * VJSON_MAX_DEPTH. No global state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "goparse.h"
#include "tmplutf.h"
#include "vjson.h"

struct vp {
	const char *s;
	size_t n, i;
	int depth;
	int r;
	struct vjson_error *err;
};

static void vp_fail(struct vp *p, int r, const char *msg)
{
	if (p->r)
		return;
	p->r = r;
	if (p->err) {
		p->err->offset = p->i;
		snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	}
}

static void vp_ws(struct vp *p)
{
	while (p->i < p->n) {
		char c = p->s[p->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->i++;
	}
}

static bool read_hex4(struct vp *p, size_t at, uint32_t *ret)
{
	uint32_t v = 0;
	int k;

	if (at + 4 > p->n)
		return false;
	for (k = 0; k < 4; k++) {
		int h = ascii_hexval(p->s[at + (size_t)k]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*ret = v;
	return true;
}

/* Parses a string at p->i (on the opening quote); returns a malloc'ed NUL-terminated copy. */
static char *vp_string(struct vp *p, size_t *ret_len)
{
	size_t start, i, o = 0, cap;
	char *d;

	start = ++p->i;
	/* first pass: find the end, validate control characters */
	for (i = start;; i++) {
		if (i >= p->n) {
			p->i = i;
			vp_fail(p, -EINVAL, "unterminated string");
			return NULL;
		}
		if (p->s[i] == '"')
			break;
		if ((unsigned char)p->s[i] < 0x20) {
			p->i = i;
			vp_fail(p, -EINVAL, "control character in string");
			return NULL;
		}
		if (p->s[i] == '\\')
			i++;
	}
	cap = (i - start) * 3 + 1;
	d = malloc(cap);
	if (!d) {
		vp_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	for (i = start; p->s[i] != '"';) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == '\\') {
			char e = p->s[i + 1];
			uint32_t r;

			switch (e) {
			case '"':
			case '\\':
			case '/':
				d[o++] = e;
				i += 2;
				continue;
			case 'b':
				d[o++] = '\b';
				i += 2;
				continue;
			case 'f':
				d[o++] = '\f';
				i += 2;
				continue;
			case 'n':
				d[o++] = '\n';
				i += 2;
				continue;
			case 'r':
				d[o++] = '\r';
				i += 2;
				continue;
			case 't':
				d[o++] = '\t';
				i += 2;
				continue;
			case 'u':
				if (!read_hex4(p, i + 2, &r)) {
					p->i = i;
					free(d);
					vp_fail(p, -EINVAL, "invalid \\u escape in string");
					return NULL;
				}
				i += 6;
				if (r >= 0xD800 && r < 0xDC00) {
					uint32_t r2;

					if (i + 1 < p->n && p->s[i] == '\\' && p->s[i + 1] == 'u' &&
					    read_hex4(p, i + 2, &r2) && r2 >= 0xDC00 &&
					    r2 < 0xE000) {
						r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
						i += 6;
					} else {
						r = TMPLUTF_ERROR;
					}
				} else if (r >= 0xDC00 && r < 0xE000) {
					r = TMPLUTF_ERROR;
				}
				o += tmplutf_encode(r, d + o);
				continue;
			default:
				p->i = i;
				free(d);
				vp_fail(p, -EINVAL, "invalid escape in string");
				return NULL;
			}
		}
		if (c < 0x80) {
			d[o++] = (char)c;
			i++;
		} else {
			size_t w;
			uint32_t r = tmplutf_decode(p->s + i, p->n - i, &w);

			if (r == TMPLUTF_ERROR && w == 1)
				o += tmplutf_encode(TMPLUTF_ERROR, d + o);
			else {
				memcpy(d + o, p->s + i, w);
				o += w;
			}
			i += w;
		}
	}
	d[o] = 0;
	p->i = i + 1;
	*ret_len = o;
	return d;
}

static cJSON *vp_number(struct vp *p)
{
	size_t start = p->i, i = p->i;
	char *lit;
	cJSON *node;
	double d;

	if (i < p->n && p->s[i] == '-')
		i++;
	if (i >= p->n || !ascii_isdigit(p->s[i])) {
		p->i = i;
		vp_fail(p, -EINVAL, "invalid number");
		return NULL;
	}
	if (p->s[i] == '0') {
		i++;
	} else {
		while (i < p->n && ascii_isdigit(p->s[i]))
			i++;
	}
	if (i < p->n && p->s[i] == '.') {
		i++;
		if (i >= p->n || !ascii_isdigit(p->s[i])) {
			p->i = i;
			vp_fail(p, -EINVAL, "invalid number");
			return NULL;
		}
		while (i < p->n && ascii_isdigit(p->s[i]))
			i++;
	}
	if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->n && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->n || !ascii_isdigit(p->s[i])) {
			p->i = i;
			vp_fail(p, -EINVAL, "invalid number");
			return NULL;
		}
		while (i < p->n && ascii_isdigit(p->s[i]))
			i++;
	}
	lit = malloc(i - start + 1);
	if (!lit) {
		vp_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(lit, p->s + start, i - start);
	lit[i - start] = 0;
	d = strtod(lit, NULL);
	node = cJSON_CreateNumber(d);
	if (!node) {
		free(lit);
		vp_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	node->valuestring = lit;
	p->i = i;
	return node;
}

static bool match_word(struct vp *p, const char *w)
{
	size_t k = strlen(w);

	if (p->n - p->i >= k && memcmp(p->s + p->i, w, k) == 0) {
		p->i += k;
		return true;
	}
	return false;
}

static cJSON *vp_value(struct vp *p);

/* Adds item under key, replacing an earlier member with the same key. */
static void obj_put(cJSON *obj, char *key, cJSON *item)
{
	cJSON *c;

	for (c = obj->child; c; c = c->next) {
		if (strcmp(c->string, key) == 0) {
			item->string = key;
			cJSON_ReplaceItemViaPointer(obj, c, item);
			return;
		}
	}
	item->string = key;
	cJSON_AddItemToArray(obj, item); /* appends; keeps the key we set */
}

static cJSON *vp_object(struct vp *p)
{
	cJSON *obj = cJSON_CreateObject();
	size_t members = 0;

	if (!obj) {
		vp_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	p->i++;
	vp_ws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		return obj;
	}
	for (;;) {
		char *key;
		size_t klen;
		cJSON *v;

		vp_ws(p);
		if (p->i >= p->n || p->s[p->i] != '"') {
			vp_fail(p, -EINVAL, "expected a string key");
			goto fail;
		}
		key = vp_string(p, &klen);
		if (!key)
			goto fail;
		if (strlen(key) != klen) {
			free(key);
			vp_fail(p, -EINVAL, "NUL in object key");
			goto fail;
		}
		vp_ws(p);
		if (p->i >= p->n || p->s[p->i] != ':') {
			free(key);
			vp_fail(p, -EINVAL, "expected ':'");
			goto fail;
		}
		p->i++;
		v = vp_value(p);
		if (!v) {
			free(key);
			goto fail;
		}
		if (++members > VJSON_MAX_MEMBERS) {
			free(key);
			cJSON_Delete(v);
			vp_fail(p, -E2BIG, "too many object members");
			goto fail;
		}
		obj_put(obj, key, v);
		vp_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			return obj;
		}
		vp_fail(p, -EINVAL, "expected ',' or '}'");
		goto fail;
	}
fail:
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *vp_array(struct vp *p)
{
	cJSON *arr = cJSON_CreateArray();

	if (!arr) {
		vp_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	p->i++;
	vp_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return arr;
	}
	for (;;) {
		cJSON *v = vp_value(p);

		if (!v)
			goto fail;
		cJSON_AddItemToArray(arr, v);
		vp_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']') {
			p->i++;
			return arr;
		}
		vp_fail(p, -EINVAL, "expected ',' or ']'");
		goto fail;
	}
fail:
	cJSON_Delete(arr);
	return NULL;
}

static cJSON *vp_value(struct vp *p)
{
	cJSON *v = NULL;

	vp_ws(p);
	if (p->i >= p->n) {
		vp_fail(p, -EINVAL, "unexpected end of input");
		return NULL;
	}
	switch (p->s[p->i]) {
	case '{':
	case '[':
		if (++p->depth > VJSON_MAX_DEPTH) {
			vp_fail(p, -E2BIG, "nesting too deep");
			return NULL;
		}
		v = p->s[p->i] == '{' ? vp_object(p) : vp_array(p);
		p->depth--;
		return v;
	case '"': {
		size_t len;
		char *s = vp_string(p, &len);

		if (!s)
			return NULL;
		/* cJSON strings are NUL-terminated; keep embedded NULs out of reach */
		v = cJSON_CreateString("");
		if (!v) {
			free(s);
			vp_fail(p, -ENOMEM, "out of memory");
			return NULL;
		}
		cJSON_free(v->valuestring);
		v->valuestring = s;
		/* the length with embedded NULs is recoverable: store it in valueint */
		v->valueint = (int)(len > (size_t)INT32_MAX ? INT32_MAX : len);
		return v;
	}
	case 't':
		if (match_word(p, "true"))
			v = cJSON_CreateTrue();
		break;
	case 'f':
		if (match_word(p, "false"))
			v = cJSON_CreateFalse();
		break;
	case 'n':
		if (match_word(p, "null"))
			v = cJSON_CreateNull();
		break;
	default:
		if (p->s[p->i] == '-' || ascii_isdigit(p->s[p->i]))
			return vp_number(p);
		vp_fail(p, -EINVAL, "invalid character");
		return NULL;
	}
	if (!v && !p->r)
		vp_fail(p, -EINVAL, "invalid literal");
	return v;
}

int vjson_parse(const char *text, size_t len, cJSON **ret, struct vjson_error *err)
{
	struct vp p = { .s = text, .n = len, .err = err };
	cJSON *v;

	if (err)
		*err = (struct vjson_error){ 0 };
	if (len > VJSON_MAX_TEXT) {
		vp_fail(&p, -E2BIG, "JSON text too large");
		return p.r;
	}
	v = vp_value(&p);
	if (!v)
		return p.r ? p.r : -EINVAL;
	vp_ws(&p);
	if (p.i != p.n) {
		cJSON_Delete(v);
		vp_fail(&p, -EINVAL, "trailing data after JSON value");
		return p.r;
	}
	*ret = v;
	return 0;
}

const char *vjson_number_text(const cJSON *n)
{
	if (!n || !cJSON_IsNumber(n))
		return NULL;
	return n->valuestring;
}

bool vjson_int64(const cJSON *n, int64_t *ret)
{
	const char *text = vjson_number_text(n);
	double d;

	if (!n || !cJSON_IsNumber(n))
		return false;
	if (text)
		return goparse_int64(text, ret);
	d = n->valuedouble;
	/* 2^63 is exact as a double; anything at or past it does not fit */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
		return false;
	*ret = (int64_t)d;
	return true;
}

size_t vjson_string_len(const cJSON *n)
{
	size_t len;

	if (!n || !n->valuestring)
		return 0;
	len = strlen(n->valuestring);
	if (n->valueint > 0 && (size_t)n->valueint > len)
		len = (size_t)n->valueint;
	return len;
}
