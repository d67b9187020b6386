/* SPDX-License-Identifier: MIT */
/*
 * goregex: Go's regexp in linear time (see goregex.h).
 *
 * DESIGN. Three stages, each following its Go counterpart closely because
 * the observable details live there:
 *  - the parser (regexp/syntax/parse.go in Perl mode): a recursive
 *    descent with Go's rules and error texts (repetition stacking, '{'
 *    that is not a repeat being a literal, octal and \x{...} escapes,
 *    flags scoped to their group, POSIX and Perl classes, case folding
 *    closing classes under unicode.SimpleFold orbits), into a small tree;
 *  - the compiler (regexp/syntax/compile.go after Simplify): the same
 *    fragments and patch lists, so alternation priorities are Go's: x{n,m}
 *    as xx(x(x)?)?, x* of a nullable x as (x+)?, capture slots 2i/2i+1;
 *  - a Pike VM (regexp/exec.go's NFA, first-match mode): threads kept in
 *    priority order, one visit per instruction and position, a new thread
 *    started at each position while no match is known, lower-priority
 *    threads cut at a match. Only the submatch slots a replacement names
 *    are tracked. O(input x program) per search, capped in total.
 * The input is decoded as Go decodes it: an invalid UTF-8 byte is U+FFFD
 * of width 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "goregex.h"
#include "macros.h"
#include "tmplutf.h"

/* ---- the tree -------------------------------------------------------- */

enum nop {
	N_EMPTY,
	N_LIT,
	N_CLASS,
	N_ANY,
	N_ANYNL,
	N_ASSERT,
	N_CAT,
	N_ALT,
	N_STAR,
	N_PLUS,
	N_QUEST,
	N_REPEAT,
	N_CAP,
};

enum { A_BEGIN_LINE, A_END_LINE, A_BEGIN_TEXT, A_END_TEXT, A_WORD, A_NOT_WORD };

struct range {
	uint32_t lo, hi;
};

struct node {
	enum nop op;
	bool nongreedy, fold, neg;
	uint32_t rune;
	int min, max, cap, assert;
	struct range *rng;
	size_t nrng;
	struct node **kids;
	size_t nkids;
};

enum { F_FOLD = 1, F_MULTI = 2, F_DOTNL = 4, F_UNGREEDY = 8 };

struct gname {
	const char *s;
	size_t n;
};

struct parser {
	const char *s;
	size_t n, i;
	unsigned flags;
	int ncap, depth;
	struct gname *names; /* names[k]: group k's name */
	size_t capnames;
	struct arena *ar;
	struct buf *msg;
	int r;
};

/* ---- case folding ------------------------------------------------------ */

/* unicode.SimpleFold */
static uint32_t simple_fold(uint32_t r)
{
	size_t lo = 0, hi = goregex_fold_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (goregex_fold[mid].r == r)
			return goregex_fold[mid].next;
		if (goregex_fold[mid].r < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return r;
}

static bool in_ranges(const struct range *rg, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < rg[mid].lo)
			hi = mid;
		else if (r > rg[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* ---- errors ------------------------------------------------------------ */

static int p_err(struct parser *p, const char *code, size_t from, size_t to)
{
	if (p->r)
		return p->r;
	buf_setf(p->msg, "error parsing regexp: %s: `%.*s`", code,
		 (int)VL_MIN(to - from, (size_t)200), p->s + from);
	p->r = -EINVAL;
	return p->r;
}

static int p_unsupported(struct parser *p, const char *what)
{
	if (p->r)
		return p->r;
	buf_setf(p->msg, "%s is not supported by vaultlet", what);
	p->r = -ENOTSUP;
	return p->r;
}

static struct node *p_new(struct parser *p, enum nop op)
{
	struct node *n = arena_alloc(p->ar, sizeof(*n));

	if (!n) {
		p->r = -ENOMEM;
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->op = op;
	return n;
}

/* ---- runes and escapes -------------------------------------------------- */

static bool next_rune(struct parser *p, uint32_t *r)
{
	size_t w;

	if (p->i >= p->n)
		return false;
	*r = tmplutf_decode(p->s + p->i, p->n - p->i, &w);
	if (*r == TMPLUTF_ERROR && w == 1) {
		p_err(p, "invalid UTF-8", p->i, p->n);
		return false;
	}
	p->i += w;
	return true;
}

static int unhex(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

static bool is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* parseEscape: p->s[p->i] is the backslash. */
static bool p_escape(struct parser *p, uint32_t *ret)
{
	size_t start = p->i;
	uint32_t c, r;

	p->i++;
	if (p->i >= p->n) {
		p_err(p, "trailing backslash at end of expression", p->n, p->n);
		return false;
	}
	if (!next_rune(p, &c))
		return false;
	switch (c) {
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
			break;
		VL_FALLTHROUGH;
	case '0':
		r = c - '0';
		for (int k = 1; k < 3; k++) {
			if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
				break;
			r = r * 8 + (uint32_t)(p->s[p->i++] - '0');
		}
		*ret = r;
		return true;
	case 'x': {
		int x, y;

		if (p->i >= p->n)
			break;
		if (!next_rune(p, &c))
			return false;
		if (c == '{') {
			int nhex = 0;

			r = 0;
			for (;;) {
				if (p->i >= p->n)
					goto bad;
				if (!next_rune(p, &c))
					return false;
				if (c == '}')
					break;
				x = unhex(c);
				if (x < 0)
					goto bad;
				r = r * 16 + (uint32_t)x;
				if (r > TMPLUTF_MAX_RUNE)
					goto bad;
				nhex++;
			}
			if (nhex == 0)
				goto bad;
			*ret = r;
			return true;
		}
		x = unhex(c);
		if (p->i >= p->n) {
			c = TMPLUTF_ERROR;
		} else if (!next_rune(p, &c)) {
			return false;
		}
		y = unhex(c);
		if (x < 0 || y < 0)
			break;
		*ret = (uint32_t)(x * 16 + y);
		return true;
	}
	case 'a':
		*ret = '\a';
		return true;
	case 'f':
		*ret = '\f';
		return true;
	case 'n':
		*ret = '\n';
		return true;
	case 'r':
		*ret = '\r';
		return true;
	case 't':
		*ret = '\t';
		return true;
	case 'v':
		*ret = '\v';
		return true;
	default:
		if (c < 0x80 && !is_alnum(c)) {
			*ret = c;
			return true;
		}
		break;
	}
bad:
	p_err(p, "invalid escape sequence", start, p->i);
	return false;
}

/* ---- classes ------------------------------------------------------------ */

struct cls {
	struct range *v;
	size_t n, cap;
};

static bool cls_add(struct parser *p, struct cls *c, uint32_t lo, uint32_t hi)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct range *g = arena_alloc(p->ar, cap * sizeof(*g));

		if (!g) {
			p->r = -ENOMEM;
			return false;
		}
		if (c->n)
			memcpy(g, c->v, c->n * sizeof(*g));
		c->v = g;
		c->cap = cap;
	}
	c->v[c->n++] = (struct range){ lo, hi };
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Go's cleanClass: sorted, merged. */
static void cls_clean(struct cls *c)
{
	size_t k = 0;

	if (c->n < 2)
		return;
	qsort(c->v, c->n, sizeof(*c->v), range_cmp);
	for (size_t i = 1; i < c->n; i++) {
		if (c->v[i].lo <= c->v[k].hi + 1) {
			if (c->v[i].hi > c->v[k].hi)
				c->v[k].hi = c->v[i].hi;
		} else {
			c->v[++k] = c->v[i];
		}
	}
	c->n = k + 1;
}

/* The ranges plus every rune of their SimpleFold orbits (small ASCII sets only). */
static bool cls_fold_closure(struct parser *p, struct cls *c)
{
	size_t n = c->n;

	for (size_t i = 0; i < n; i++)
		for (uint32_t r = c->v[i].lo; r <= c->v[i].hi; r++)
			for (uint32_t f = simple_fold(r); f != r; f = simple_fold(f))
				if (!cls_add(p, c, f, f))
					return false;
	cls_clean(c);
	return true;
}

/* appendNegatedClass of a clean class */
static bool cls_add_negated(struct parser *p, struct cls *dst, const struct cls *src)
{
	uint32_t next = 0;

	for (size_t i = 0; i < src->n; i++) {
		if (src->v[i].lo > next && !cls_add(p, dst, next, src->v[i].lo - 1))
			return false;
		next = src->v[i].hi + 1;
	}
	if (next <= TMPLUTF_MAX_RUNE && !cls_add(p, dst, next, TMPLUTF_MAX_RUNE))
		return false;
	return true;
}

struct group {
	const char *name;
	const char *ranges; /* pairs of bytes */
	bool neg;
};

static const struct group perl_groups[] = {
	{ "\\d", "09", false },	       { "\\D", "09", true },	     { "\\s", "\t\n\f\r  ", false },
	{ "\\S", "\t\n\f\r  ", true }, { "\\w", "09AZ__az", false }, { "\\W", "09AZ__az", true },
};

static const struct group posix_groups[] = {
	{ "alnum", "09AZaz", false },	{ "alpha", "AZaz", false },
	{ "ascii", "\x01\x7f", false }, /* \x00 added below */
	{ "blank", "\t\t  ", false },	{ "cntrl", "\x01\x1f\x7f\x7f", false },
	{ "digit", "09", false },	{ "graph", "!~", false },
	{ "lower", "az", false },	{ "print", " ~", false },
	{ "punct", "!/:@[`{~", false }, { "space", "\t\r  ", false },
	{ "upper", "AZ", false },	{ "word", "09AZ__az", false },
	{ "xdigit", "09AFaf", false },
};

/* appendGroup: the group's ranges (case folded under (?i)), negated for \D, [:^x:]... */
static bool cls_add_group(struct parser *p, struct cls *dst, const char *ranges, bool zero,
			  bool neg)
{
	struct cls g = { 0 };

	if (zero && !cls_add(p, &g, 0, 0))
		return false;
	for (size_t k = 0; ranges[k]; k += 2)
		if (!cls_add(p, &g, (unsigned char)ranges[k], (unsigned char)ranges[k + 1]))
			return false;
	cls_clean(&g);
	if ((p->flags & F_FOLD) && !cls_fold_closure(p, &g))
		return false;
	if (neg)
		return cls_add_negated(p, dst, &g);
	for (size_t i = 0; i < g.n; i++)
		if (!cls_add(p, dst, g.v[i].lo, g.v[i].hi))
			return false;
	return true;
}

/* \d \s \w and their negations at p->i; false with p->r == 0 when not one. */
static bool p_perl_class(struct parser *p, struct cls *c)
{
	if (p->i + 1 >= p->n || p->s[p->i] != '\\')
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(perl_groups); k++) {
		if (p->s[p->i + 1] == perl_groups[k].name[1]) {
			p->i += 2;
			return cls_add_group(p, c, perl_groups[k].ranges, false,
					     perl_groups[k].neg);
		}
	}
	return false;
}

static bool p_unicode_class(struct parser *p)
{
	if (p->i + 1 < p->n && p->s[p->i] == '\\' &&
	    (p->s[p->i + 1] == 'p' || p->s[p->i + 1] == 'P')) {
		p_unsupported(p, "a Unicode class (\\p{...}, \\pX) in a regular expression");
		return true;
	}
	return false;
}

static struct node *class_node(struct parser *p, struct cls *c, bool neg)
{
	struct node *n = p_new(p, N_CLASS);

	if (!n)
		return NULL;
	cls_clean(c);
	n->rng = c->v;
	n->nrng = c->n;
	n->neg = neg;
	n->fold = (p->flags & F_FOLD) != 0;
	return n;
}

/* parseClass: p->s[p->i] is '['. */
static struct node *p_class(struct parser *p)
{
	size_t start = p->i;
	struct cls c = { 0 };
	bool neg = false, first = true;

	p->i++;
	if (p->i < p->n && p->s[p->i] == '^') {
		neg = true;
		p->i++;
	}
	while (p->i >= p->n || p->s[p->i] != ']' || first) {
		uint32_t lo, hi;
		size_t rng_start = p->i;

		first = false;
		if (p->n - p->i > 2 && p->s[p->i] == '[' && p->s[p->i + 1] == ':') {
			const char *e = memmem(p->s + p->i + 2, p->n - p->i - 2, ":]", 2);

			if (e) {
				size_t nlen = (size_t)(e - (p->s + p->i + 2));
				const char *name = p->s + p->i + 2;
				bool gneg = nlen > 0 && name[0] == '^';
				size_t k;

				if (gneg) {
					name++;
					nlen--;
				}
				for (k = 0; k < ARRAY_SIZE(posix_groups); k++)
					if (strlen(posix_groups[k].name) == nlen &&
					    memcmp(posix_groups[k].name, name, nlen) == 0)
						break;
				if (k == ARRAY_SIZE(posix_groups)) {
					p_err(p, "invalid character class range", p->i,
					      (size_t)(e + 2 - p->s));
					return NULL;
				}
				p->i = (size_t)(e + 2 - p->s);
				if (!cls_add_group(p, &c, posix_groups[k].ranges, k == 2, gneg))
					return NULL;
				continue;
			}
		}
		if (p_unicode_class(p))
			return NULL;
		if (p_perl_class(p, &c))
			continue;
		if (p->r)
			return NULL;
		if (p->i >= p->n) {
			p_err(p, "missing closing ]", start, p->n);
			return NULL;
		}
		if (p->s[p->i] == '\\' ? !p_escape(p, &lo) : !next_rune(p, &lo))
			return NULL;
		hi = lo;
		if (p->n - p->i >= 2 && p->s[p->i] == '-' && p->s[p->i + 1] != ']') {
			p->i++;
			if (p->i >= p->n) {
				p_err(p, "missing closing ]", start, p->n);
				return NULL;
			}
			if (p->s[p->i] == '\\' ? !p_escape(p, &hi) : !next_rune(p, &hi))
				return NULL;
			if (hi < lo) {
				p_err(p, "invalid character class range", rng_start, p->i);
				return NULL;
			}
		}
		if (!cls_add(p, &c, lo, hi))
			return NULL;
	}
	p->i++;
	return class_node(p, &c, neg);
}

/* ---- the grammar ------------------------------------------------------- */

static struct node *p_alt(struct parser *p);

static bool repeat_valid(const struct node *n, int k)
{
	if (n->op == N_REPEAT) {
		int m = n->max;

		if (m == 0)
			return true;
		if (m < 0)
			m = n->min;
		if (m > k)
			return false;
		if (m > 0)
			k /= m;
	}
	for (size_t i = 0; i < n->nkids; i++)
		if (!repeat_valid(n->kids[i], k))
			return false;
	return true;
}

/* parseRepeat's number: digits, no leading zero; -1 when too big; false if none. */
static bool p_int(struct parser *p, int *ret)
{
	size_t start = p->i;
	long v = 0;

	if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
		return false;
	if (p->n - p->i >= 2 && p->s[p->i] == '0' && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')
		return false;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		if (v < 100000000)
			v = v * 10 + (p->s[p->i] - '0');
		p->i++;
	}
	*ret = p->i - start > 8 || v >= 100000000 ? -1 : (int)v;
	return true;
}

/* {n}, {n,}, {n,m} at p->i; false (p->i unchanged) when it is not one. */
static bool p_repeat_braces(struct parser *p, int *min, int *max)
{
	size_t save = p->i;

	p->i++;
	if (!p_int(p, min))
		goto no;
	if (p->i >= p->n)
		goto no;
	if (p->s[p->i] == ',') {
		p->i++;
		if (p->i >= p->n)
			goto no;
		if (p->s[p->i] == '}')
			*max = -1;
		else if (!p_int(p, max))
			goto no;
	} else {
		*max = *min;
	}
	if (p->i >= p->n || p->s[p->i] != '}')
		goto no;
	p->i++;
	return true;
no:
	p->i = save;
	return false;
}

static bool valid_capture_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static bool p_add_name(struct parser *p, int cap, const char *s, size_t n)
{
	if ((size_t)cap >= p->capnames) {
		size_t nc = p->capnames ? p->capnames * 2 : 8;
		struct gname *g;

		while (nc <= (size_t)cap)
			nc *= 2;
		g = arena_alloc(p->ar, nc * sizeof(*g));
		if (!g) {
			p->r = -ENOMEM;
			return false;
		}
		memset(g, 0, nc * sizeof(*g));
		if (p->capnames)
			memcpy(g, p->names, p->capnames * sizeof(*g));
		p->names = g;
		p->capnames = nc;
	}
	p->names[cap] = (struct gname){ s, n };
	return true;
}

/* A group at '(' ; *ret NULL for a flags-only group "(?i)". */
static bool p_group(struct parser *p, struct node **ret)
{
	size_t start = p->i;
	unsigned saved = p->flags;
	struct node *inner, *n;
	int cap = 0;

	*ret = NULL;
	if (++p->depth > GOREGEX_MAX_DEPTH) {
		p_unsupported(p, "a regular expression nested this deep");
		return false;
	}
	if (p->n - p->i >= 2 && p->s[p->i + 1] == '?') {
		size_t t = p->i + 2;
		unsigned flags = p->flags;
		bool negated = false, saw = false;

		if (p->n - p->i > 4 && p->s[t] == 'P' && p->s[t + 1] == '<') {
			const char *e = memchr(p->s + t, '>', p->n - t);
			const char *name = p->s + t + 2;
			size_t nlen;

			if (!e) {
				p_err(p, "invalid named capture", start, p->n);
				return false;
			}
			nlen = (size_t)(e - name);
			if (!tmplutf_valid(name, nlen)) {
				p_err(p, "invalid UTF-8", (size_t)(name - p->s), p->n);
				return false;
			}
			if (!valid_capture_name(name, nlen)) {
				p_err(p, "invalid named capture", start, (size_t)(e + 1 - p->s));
				return false;
			}
			cap = ++p->ncap;
			if (!p_add_name(p, cap, name, nlen))
				return false;
			p->i = (size_t)(e + 1 - p->s);
			goto body;
		}
		if (t < p->n && p->s[t] == '<') {
			p_unsupported(p, "the (?<name>...) group syntax (Go >= 1.22 only; use "
					 "(?P<name>...))");
			return false;
		}
		while (t < p->n) {
			char c = p->s[t++];

			switch (c) {
			case 'i':
				flags = negated ? flags & ~F_FOLD : flags | F_FOLD;
				saw = true;
				continue;
			case 'm':
				flags = negated ? flags & ~F_MULTI : flags | F_MULTI;
				saw = true;
				continue;
			case 's':
				flags = negated ? flags & ~F_DOTNL : flags | F_DOTNL;
				saw = true;
				continue;
			case 'U':
				flags = negated ? flags & ~F_UNGREEDY : flags | F_UNGREEDY;
				saw = true;
				continue;
			case '-':
				if (negated)
					break;
				negated = true;
				saw = false;
				continue;
			case ':':
			case ')':
				if (negated && !saw)
					break;
				p->i = t;
				if (c == ')') {
					p->flags = flags; /* for the rest of the enclosing group */
					p->depth--;
					return true;
				}
				p->flags = flags;
				goto body;
			default:
				break;
			}
			break;
		}
		if (t <= p->n && t > 0 && (unsigned char)p->s[t - 1] >= 0x80) {
			size_t w;

			/* Go reports the whole rune */
			tmplutf_decode(p->s + t - 1, p->n - t + 1, &w);
			t += w - 1;
		}
		p_err(p, "invalid or unsupported Perl syntax", start, VL_MIN(t, p->n));
		return false;
	}
	cap = ++p->ncap;
	p->i++;
body:
	inner = p_alt(p);
	if (!inner)
		return false;
	if (p->i >= p->n || p->s[p->i] != ')') {
		p_err(p, "missing closing )", 0, p->n);
		return false;
	}
	p->i++;
	p->flags = saved;
	p->depth--;
	if (cap) {
		n = p_new(p, N_CAP);
		if (!n)
			return false;
		n->cap = cap;
		n->kids = arena_alloc(p->ar, sizeof(*n->kids));
		if (!n->kids) {
			p->r = -ENOMEM;
			return false;
		}
		n->kids[0] = inner;
		n->nkids = 1;
		inner = n;
	}
	*ret = inner;
	return true;
}

struct vec {
	struct node **v;
	size_t n, cap;
};

static bool vec_add(struct parser *p, struct vec *v, struct node *n)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct node **g = arena_alloc(p->ar, cap * sizeof(*g));

		if (!g) {
			p->r = -ENOMEM;
			return false;
		}
		if (v->n)
			memcpy(g, v->v, v->n * sizeof(*g));
		v->v = g;
		v->cap = cap;
	}
	v->v[v->n++] = n;
	return true;
}

static struct node *lit_node(struct parser *p, uint32_t r)
{
	struct node *n = p_new(p, N_LIT);

	if (n) {
		n->rune = r;
		n->fold = (p->flags & F_FOLD) != 0;
	}
	return n;
}

static struct node *assert_node(struct parser *p, int kind)
{
	struct node *n = p_new(p, N_ASSERT);

	if (n)
		n->assert = kind;
	return n;
}

/* A concatenation, up to '|', ')' or the end. */
static struct node *p_concat(struct parser *p)
{
	struct vec items = { 0 };
	struct node *n;
	bool last_repeat = false;
	size_t last_repeat_at = 0;

	while (p->i < p->n && p->s[p->i] != '|' && p->s[p->i] != ')') {
		char c = p->s[p->i];
		size_t before = p->i;
		bool repeat = false;
		uint32_t r;

		n = NULL;
		switch (c) {
		case '(':
			if (!p_group(p, &n))
				return NULL;
			break;
		case '^':
			p->i++;
			n = assert_node(p, p->flags & F_MULTI ? A_BEGIN_LINE : A_BEGIN_TEXT);
			break;
		case '$':
			p->i++;
			n = assert_node(p, p->flags & F_MULTI ? A_END_LINE : A_END_TEXT);
			break;
		case '.':
			p->i++;
			n = p_new(p, p->flags & F_DOTNL ? N_ANY : N_ANYNL);
			break;
		case '[':
			n = p_class(p);
			if (!n)
				return NULL;
			break;
		case '*':
		case '+':
		case '?':
		case '{': {
			int min = 0, max = -1;
			struct node *sub, *rep;
			bool ng;

			if (c == '{') {
				if (!p_repeat_braces(p, &min, &max)) {
					p->i++;
					n = lit_node(p, '{');
					break;
				}
				if (min < 0 || min > 1000 || max > 1000 ||
				    (max >= 0 && min > max)) {
					p_err(p, "invalid repeat count", before, p->i);
					return NULL;
				}
			} else {
				p->i++;
				min = c == '+' ? 1 : 0;
				max = c == '?' ? 1 : -1;
			}
			ng = (p->flags & F_UNGREEDY) != 0;
			if (p->i < p->n && p->s[p->i] == '?') {
				p->i++;
				ng = !ng;
			}
			if (last_repeat) {
				p_err(p, "invalid nested repetition operator", last_repeat_at,
				      p->i);
				return NULL;
			}
			if (items.n == 0) {
				p_err(p, "missing argument to repetition operator", before, p->i);
				return NULL;
			}
			sub = items.v[items.n - 1];
			rep = p_new(p, c == '*'	  ? N_STAR
				       : c == '+' ? N_PLUS
				       : c == '?' ? N_QUEST
						  : N_REPEAT);
			if (!rep)
				return NULL;
			rep->min = min;
			rep->max = max;
			rep->nongreedy = ng;
			rep->kids = arena_alloc(p->ar, sizeof(*rep->kids));
			if (!rep->kids) {
				p->r = -ENOMEM;
				return NULL;
			}
			rep->kids[0] = sub;
			rep->nkids = 1;
			if (c == '{' && (min >= 2 || max >= 2) && !repeat_valid(rep, 1000)) {
				p_err(p, "invalid repeat count", before, p->i);
				return NULL;
			}
			items.v[items.n - 1] = rep;
			repeat = true;
			last_repeat_at = before;
			break;
		}
		case '\\':
			if (p->i + 1 < p->n) {
				char e = p->s[p->i + 1];

				if (e == 'A' || e == 'z' || e == 'b' || e == 'B') {
					p->i += 2;
					n = assert_node(p, e == 'A'   ? A_BEGIN_TEXT
							   : e == 'z' ? A_END_TEXT
							   : e == 'b' ? A_WORD
								      : A_NOT_WORD);
					break;
				}
				if (e == 'C') {
					p_err(p, "invalid escape sequence", p->i, p->i + 2);
					return NULL;
				}
				if (e == 'Q') {
					const char *q = p->s + p->i + 2;
					size_t qn = p->n - p->i - 2;
					const char *end = memmem(q, qn, "\\E", 2);
					size_t len = end ? (size_t)(end - q) : qn;
					size_t stop = p->i + 2 + len;

					p->i += 2;
					while (p->i < stop) {
						if (!next_rune(p, &r))
							return NULL;
						n = lit_node(p, r);
						if (!n || !vec_add(p, &items, n))
							return NULL;
					}
					p->i = end ? stop + 2 : p->n;
					n = NULL;
					break;
				}
			}
			if (p_unicode_class(p))
				return NULL;
			{
				struct cls cl = { 0 };

				if (p_perl_class(p, &cl)) {
					n = class_node(p, &cl, false);
					break;
				}
				if (p->r)
					return NULL;
			}
			if (!p_escape(p, &r))
				return NULL;
			n = lit_node(p, r);
			break;
		default:
			if (!next_rune(p, &r))
				return NULL;
			n = lit_node(p, r);
			break;
		}
		if (p->r)
			return NULL;
		if (n && !vec_add(p, &items, n))
			return NULL;
		last_repeat = repeat;
	}
	if (items.n == 1)
		return items.v[0];
	n = p_new(p, items.n ? N_CAT : N_EMPTY);
	if (n) {
		n->kids = items.v;
		n->nkids = items.n;
	}
	return n;
}

static struct node *p_alt(struct parser *p)
{
	struct vec alts = { 0 };
	struct node *n;

	for (;;) {
		n = p_concat(p);
		if (!n || !vec_add(p, &alts, n))
			return NULL;
		if (p->i >= p->n || p->s[p->i] != '|')
			break;
		p->i++;
	}
	if (alts.n == 1)
		return alts.v[0];
	n = p_new(p, N_ALT);
	if (n) {
		n->kids = alts.v;
		n->nkids = alts.n;
	}
	return n;
}

/* ---- the program ------------------------------------------------------- */

enum iop { I_FAIL, I_RUNE, I_CLASS, I_ANY, I_ANYNL, I_ALT, I_NOP, I_SAVE, I_ASSERT, I_MATCH };

struct inst {
	uint8_t op;
	bool fold, neg;
	uint32_t x, y; /* next; I_ALT: preferred x, then y */
	uint32_t arg;  /* rune, class index, slot, assertion */
};

struct rclass {
	const struct range *rng;
	size_t n;
};

struct goregex {
	struct arena ar;
	struct inst *prog;
	size_t nprog, capprog;
	uint32_t start;
	struct rclass *classes;
	size_t nclasses, capclasses;
	int ncap;	     /* groups, without the whole match */
	struct gname *names; /* names[k], k in 1..ncap */
	size_t capnames;
};

/* A fragment and its holes: inst<<1 | (0: x, 1: y), chained through the holes. */
struct frag {
	uint32_t i;
	uint32_t head, tail;
	bool nullable;
};

struct compiler {
	struct goregex *re;
	int r;
};

static uint32_t *hole(struct goregex *re, uint32_t h)
{
	struct inst *in = &re->prog[h >> 1];

	return h & 1 ? &in->y : &in->x;
}

static struct frag c_inst(struct compiler *c, enum iop op)
{
	struct goregex *re = c->re;
	struct frag f = { 0, 0, 0, true };

	if (c->r)
		return f;
	if (re->nprog == re->capprog) {
		size_t cap = re->capprog ? re->capprog * 2 : 64;
		struct inst *g;

		if (re->nprog >= GOREGEX_MAX_PROG) {
			c->r = -E2BIG;
			return f;
		}
		g = realloc(re->prog, cap * sizeof(*g));
		if (!g) {
			c->r = -ENOMEM;
			return f;
		}
		re->prog = g;
		re->capprog = cap;
	}
	f.i = (uint32_t)re->nprog;
	re->prog[re->nprog++] = (struct inst){ .op = (uint8_t)op };
	return f;
}

static void patch(struct compiler *c, uint32_t head, uint32_t to)
{
	while (head && !c->r) {
		uint32_t *h = hole(c->re, head);

		head = *h;
		*h = to;
	}
}

static uint32_t append_list(struct compiler *c, uint32_t h1, uint32_t t1, uint32_t h2, uint32_t t2,
			    uint32_t *tail)
{
	if (!h1) {
		*tail = t2;
		return h2;
	}
	if (!h2) {
		*tail = t1;
		return h1;
	}
	*hole(c->re, t1) = h2;
	*tail = t2;
	return h1;
}

static struct frag c_single(struct compiler *c, enum iop op, bool nullable)
{
	struct frag f = c_inst(c, op);

	if (c->r)
		return f;
	f.head = f.tail = f.i << 1;
	f.nullable = nullable;
	return f;
}

static struct frag c_cat(struct compiler *c, struct frag f1, struct frag f2)
{
	struct frag f = { 0 };

	if (c->r || !f1.i || !f2.i)
		return f;
	patch(c, f1.head, f2.i);
	return (struct frag){ f1.i, f2.head, f2.tail, f1.nullable && f2.nullable };
}

static struct frag c_alt(struct compiler *c, struct frag f1, struct frag f2)
{
	struct frag f;

	if (!f1.i)
		return f2;
	if (!f2.i)
		return f1;
	f = c_inst(c, I_ALT);
	if (c->r)
		return f;
	c->re->prog[f.i].x = f1.i;
	c->re->prog[f.i].y = f2.i;
	f.head = append_list(c, f1.head, f1.tail, f2.head, f2.tail, &f.tail);
	f.nullable = f1.nullable || f2.nullable;
	return f;
}

static struct frag c_quest(struct compiler *c, struct frag f1, bool ng)
{
	struct frag f = c_inst(c, I_ALT);
	uint32_t own;

	if (c->r)
		return f;
	if (ng) {
		c->re->prog[f.i].y = f1.i;
		own = f.i << 1;
	} else {
		c->re->prog[f.i].x = f1.i;
		own = f.i << 1 | 1;
	}
	f.head = append_list(c, own, own, f1.head, f1.tail, &f.tail);
	f.nullable = true;
	return f;
}

static struct frag c_loop(struct compiler *c, struct frag f1, bool ng)
{
	struct frag f = c_inst(c, I_ALT);

	if (c->r)
		return f;
	if (ng) {
		c->re->prog[f.i].y = f1.i;
		f.head = f.tail = f.i << 1;
	} else {
		c->re->prog[f.i].x = f1.i;
		f.head = f.tail = f.i << 1 | 1;
	}
	patch(c, f1.head, f.i);
	return f;
}

static struct frag c_plus(struct compiler *c, struct frag f1, bool ng)
{
	struct frag l = c_loop(c, f1, ng);

	return (struct frag){ f1.i, l.head, l.tail, f1.nullable };
}

static struct frag c_star(struct compiler *c, struct frag f1, bool ng)
{
	if (f1.nullable) /* (x+)?, for Go's priorities (golang.org/issue/46123) */
		return c_quest(c, c_plus(c, f1, ng), ng);
	return c_loop(c, f1, ng);
}

static struct frag compile(struct compiler *c, const struct node *n, int depth);

/* Simplify's x{n,m}: n copies, then (x(x(x)?)?)? for the optional ones. */
static struct frag c_repeat(struct compiler *c, const struct node *n, int depth)
{
	const struct node *sub = n->kids[0];
	struct frag f = { 0 }, suffix = { 0 };
	bool have = false;

	if (n->min == 0 && n->max == 0)
		return c_single(c, I_NOP, true);
	if (sub->op == N_EMPTY)
		return compile(c, sub, depth);
	if (n->max == -1) {
		if (n->min == 0)
			return c_star(c, compile(c, sub, depth), n->nongreedy);
		for (int k = 0; k < n->min - 1 && !c->r; k++) {
			struct frag x = compile(c, sub, depth);

			f = have ? c_cat(c, f, x) : x;
			have = true;
		}
		suffix = c_plus(c, compile(c, sub, depth), n->nongreedy);
		return have ? c_cat(c, f, suffix) : suffix;
	}
	if (n->min == 1 && n->max == 1)
		return compile(c, sub, depth);
	for (int k = 0; k < n->min && !c->r; k++) {
		struct frag x = compile(c, sub, depth);

		f = have ? c_cat(c, f, x) : x;
		have = true;
	}
	if (n->max > n->min) {
		/* built inside out, as Go's Simplify nests them */
		suffix = c_quest(c, compile(c, sub, depth), n->nongreedy);
		for (int k = n->min + 1; k < n->max && !c->r; k++)
			suffix = c_quest(c, c_cat(c, compile(c, sub, depth), suffix), n->nongreedy);
		f = have ? c_cat(c, f, suffix) : suffix;
	}
	return f;
}

/* Simplify's simplify1: x* of an empty x is empty; x** is x*. */
static const struct node *simplified_sub(const struct node *n)
{
	const struct node *sub = n->kids[0];

	while ((sub->op == N_CAT || sub->op == N_ALT) && sub->nkids == 1)
		sub = sub->kids[0];
	return sub;
}

static struct frag compile(struct compiler *c, const struct node *n, int depth)
{
	struct frag f = { 0 };

	if (c->r)
		return f;
	if (depth > 4 * GOREGEX_MAX_DEPTH + 64) {
		c->r = -E2BIG;
		return f;
	}
	switch (n->op) {
	case N_EMPTY:
		return c_single(c, I_NOP, true);
	case N_LIT:
		f = c_single(c, I_RUNE, false);
		if (!c->r) {
			c->re->prog[f.i].arg = n->rune;
			c->re->prog[f.i].fold = n->fold && simple_fold(n->rune) != n->rune;
		}
		return f;
	case N_CLASS: {
		struct goregex *re = c->re;

		if (re->nclasses == re->capclasses) {
			size_t cap = re->capclasses ? re->capclasses * 2 : 8;
			struct rclass *g = realloc(re->classes, cap * sizeof(*g));

			if (!g) {
				c->r = -ENOMEM;
				return f;
			}
			re->classes = g;
			re->capclasses = cap;
		}
		f = c_single(c, I_CLASS, false);
		if (c->r)
			return f;
		re->classes[re->nclasses] = (struct rclass){ n->rng, n->nrng };
		re->prog[f.i].arg = (uint32_t)re->nclasses++;
		re->prog[f.i].fold = n->fold;
		re->prog[f.i].neg = n->neg;
		return f;
	}
	case N_ANY:
		return c_single(c, I_ANY, false);
	case N_ANYNL:
		return c_single(c, I_ANYNL, false);
	case N_ASSERT:
		f = c_single(c, I_ASSERT, true);
		if (!c->r)
			c->re->prog[f.i].arg = (uint32_t)n->assert;
		return f;
	case N_CAP: {
		struct frag bra = c_single(c, I_SAVE, true), sub, ket;

		if (!c->r)
			c->re->prog[bra.i].arg = (uint32_t)n->cap * 2;
		sub = compile(c, n->kids[0], depth + 1);
		ket = c_single(c, I_SAVE, true);
		if (!c->r)
			c->re->prog[ket.i].arg = (uint32_t)n->cap * 2 + 1;
		return c_cat(c, c_cat(c, bra, sub), ket);
	}
	case N_STAR:
	case N_PLUS:
	case N_QUEST: {
		const struct node *sub = simplified_sub(n);

		if (sub->op == N_EMPTY)
			return compile(c, sub, depth + 1);
		if (sub->op == n->op && sub->nongreedy == n->nongreedy)
			return compile(c, sub, depth + 1);
		f = compile(c, sub, depth + 1);
		if (n->op == N_STAR)
			return c_star(c, f, n->nongreedy);
		if (n->op == N_PLUS)
			return c_plus(c, f, n->nongreedy);
		return c_quest(c, f, n->nongreedy);
	}
	case N_REPEAT:
		return c_repeat(c, n, depth + 1);
	case N_CAT:
		if (n->nkids == 0)
			return c_single(c, I_NOP, true);
		f = compile(c, n->kids[0], depth + 1);
		for (size_t i = 1; i < n->nkids && !c->r; i++)
			f = c_cat(c, f, compile(c, n->kids[i], depth + 1));
		return f;
	case N_ALT:
		for (size_t i = 0; i < n->nkids && !c->r; i++)
			f = c_alt(c, f, compile(c, n->kids[i], depth + 1));
		return f;
	}
	return f;
}

int goregex_compile(const char *pattern, size_t n, struct goregex **ret, struct buf *msg)
{
	struct goregex *re = calloc(1, sizeof(*re));
	struct parser p = { 0 };
	struct compiler c = { 0 };
	struct node *tree;
	struct frag f, m;
	int r;

	if (!re)
		return -ENOMEM;
	arena_init(&re->ar);
	p.s = pattern;
	p.n = n;
	p.ar = &re->ar;
	p.msg = msg;
	tree = p_alt(&p);
	if (tree && p.i < p.n) { /* only a ')' stops the top level early */
		p_err(&p, "unexpected )", 0, p.n);
		tree = NULL;
	}
	if (!tree) {
		r = p.r ? p.r : -ENOMEM;
		goto fail;
	}
	re->ncap = p.ncap;
	re->names = p.names;
	re->capnames = p.capnames;
	c.re = re;
	c_inst(&c, I_FAIL); /* instruction 0: "no instruction" in fragments */
	f = compile(&c, tree, 0);
	m = c_single(&c, I_MATCH, false);
	if (!c.r && f.i)
		patch(&c, f.head, m.i);
	re->start = f.i ? f.i : 0;
	if (c.r == -E2BIG) {
		buf_setf(msg,
			 "a regular expression compiling to more than %d instructions is "
			 "not supported by vaultlet",
			 GOREGEX_MAX_PROG);
		r = -ENOTSUP;
		goto fail;
	}
	if (c.r) {
		r = c.r;
		goto fail;
	}
	*ret = re;
	return 0;
fail:
	goregex_free(re);
	return r;
}

void goregex_free(struct goregex *re)
{
	if (!re)
		return;
	free(re->prog);
	free(re->classes);
	arena_done(&re->ar);
	free(re);
}

/* ---- the machine ------------------------------------------------------- */

static bool word_char(int32_t r)
{
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	       r == '_';
}

/* The runes around position pos: before (-1 at the start), after (-1 at the end). */
struct ctx {
	int32_t before, after;
};

static struct ctx context(const char *s, size_t n, size_t pos)
{
	struct ctx c = { -1, -1 };
	size_t w;

	if (pos > 0)
		c.before = (int32_t)tmplutf_decode_last(s, pos, &w);
	if (pos < n)
		c.after = (int32_t)tmplutf_decode(s + pos, n - pos, &w);
	return c;
}

static bool assertion(uint32_t kind, struct ctx c)
{
	switch (kind) {
	case A_BEGIN_LINE:
		return c.before == -1 || c.before == '\n';
	case A_END_LINE:
		return c.after == -1 || c.after == '\n';
	case A_BEGIN_TEXT:
		return c.before == -1;
	case A_END_TEXT:
		return c.after == -1;
	case A_WORD:
		return word_char(c.before) != word_char(c.after);
	default:
		return word_char(c.before) == word_char(c.after);
	}
}

static bool rune_match(const struct goregex *re, const struct inst *in, uint32_t r)
{
	switch (in->op) {
	case I_ANY:
		return true;
	case I_ANYNL:
		return r != '\n';
	case I_RUNE:
		if (r == in->arg)
			return true;
		if (in->fold)
			for (uint32_t f = simple_fold(in->arg); f != in->arg; f = simple_fold(f))
				if (f == r)
					return true;
		return false;
	case I_CLASS: {
		const struct rclass *k = &re->classes[in->arg];
		bool hit = in_ranges(k->rng, k->n, r);

		if (!hit && in->fold)
			for (uint32_t f = simple_fold(r); f != r && !hit; f = simple_fold(f))
				hit = in_ranges(k->rng, k->n, f);
		return hit != in->neg;
	}
	default:
		return false;
	}
}

struct queue {
	uint32_t *sparse, *dense;
	int32_t *caps; /* ncap per dense entry */
	size_t n;
};

struct vm {
	const struct goregex *re;
	struct queue q[2];
	int32_t *slotmap; /* submatch slot -> tracked index, or -1 */
	size_t ncap;	  /* tracked slots */
	struct {
		uint32_t pc;
		int32_t slot, val; /* slot >= 0: restore caps[slot] = val */
	} * stack;
	int32_t *tmp;
	uint64_t steps, max_steps;
	bool matched;
	int32_t *match;
};

static bool q_has(const struct queue *q, uint32_t pc)
{
	uint32_t i = q->sparse[pc];

	return i < q->n && q->dense[i] == pc;
}

/* Go's m.add: follows empty instructions in priority order from pc. */
static int add(struct vm *m, struct queue *q, uint32_t pc0, size_t pos, int32_t *caps,
	       struct ctx cx)
{
	const struct inst *prog = m->re->prog;
	size_t sp = 0;

	m->stack[sp].pc = pc0;
	m->stack[sp++].slot = -1;
	while (sp) {
		uint32_t pc;

		sp--;
		if (m->stack[sp].slot >= 0) {
			caps[m->stack[sp].slot] = m->stack[sp].val;
			continue;
		}
		pc = m->stack[sp].pc;
		for (;;) {
			const struct inst *in = &prog[pc];
			uint32_t i;

			if (q_has(q, pc))
				break;
			if (++m->steps > m->max_steps)
				return -ETIME;
			i = (uint32_t)q->n++;
			q->sparse[pc] = i;
			q->dense[i] = pc;
			switch (in->op) {
			case I_FAIL:
				break;
			case I_ALT:
				m->stack[sp].pc = in->y;
				m->stack[sp++].slot = -1;
				pc = in->x;
				continue;
			case I_NOP:
				pc = in->x;
				continue;
			case I_ASSERT:
				if (!assertion(in->arg, cx))
					break;
				pc = in->x;
				continue;
			case I_SAVE: {
				int32_t k = in->arg < 2 * (uint32_t)(m->re->ncap + 1)
						? m->slotmap[in->arg]
						: -1;

				if (k >= 0) {
					m->stack[sp].slot = k;
					m->stack[sp++].val = caps[k];
					caps[k] = (int32_t)pos;
				}
				pc = in->x;
				continue;
			}
			default: /* a thread: rune, class, any, match */
				if (m->ncap)
					memcpy(q->caps + (size_t)i * m->ncap, caps,
					       m->ncap * sizeof(*caps));
				break;
			}
			break;
		}
	}
	return 0;
}

/*
 * One leftmost-first search from start (Go's m.match in first-match mode).
 * *found, and m->match[0..ncap) when tracking. 0 or -ETIME.
 */
static int search(struct vm *m, const char *s, size_t n, size_t start, bool *found)
{
	struct queue *run = &m->q[0], *next = &m->q[1];
	size_t pos = start;
	int r;

	m->matched = false;
	run->n = next->n = 0;
	for (;;) {
		size_t w = 0;
		uint32_t c = 0;
		bool end = pos >= n;

		if (run->n == 0 && m->matched)
			break;
		if (!end)
			c = tmplutf_decode(s + pos, n - pos, &w);
		if (!m->matched) {
			if (m->ncap) {
				for (size_t k = 0; k < m->ncap; k++)
					m->tmp[k] = -1;
				m->tmp[0] = (int32_t)pos;
			}
			r = add(m, run, m->re->start, pos, m->tmp, context(s, n, pos));
			if (r)
				return r;
		}
		next->n = 0;
		for (size_t i = 0; i < run->n; i++) {
			uint32_t pc = run->dense[i];
			const struct inst *in = &m->re->prog[pc];
			int32_t *caps = m->ncap ? run->caps + i * m->ncap : NULL;

			if (in->op == I_MATCH) {
				if (m->ncap) {
					memcpy(m->match, caps, m->ncap * sizeof(*caps));
					m->match[1] = (int32_t)pos;
				}
				m->matched = true;
				break; /* lower-priority threads are cut */
			}
			if (end || !rune_match(m->re, in, c))
				continue;
			r = add(m, next, in->x, pos + w, caps, context(s, n, pos + w));
			if (r)
				return r;
		}
		{
			struct queue *t = run;

			run = next;
			next = t;
		}
		if (end)
			break;
		if (!m->ncap && m->matched)
			break;
		pos += w;
	}
	*found = m->matched;
	return 0;
}

static void vm_done(struct vm *m)
{
	for (int k = 0; k < 2; k++) {
		free(m->q[k].sparse);
		free(m->q[k].dense);
		free(m->q[k].caps);
	}
	free(m->slotmap);
	free(m->stack);
	free(m->tmp);
	free(m->match);
}

/* Caps on the machine's memory: program x tracked slots per thread list. */
#define GOREGEX_MAX_CAP_CELLS (1u << 20) /* 8 MiB for the two lists */

static int vm_init(struct vm *m, const struct goregex *re, const bool *track, size_t input)
{
	size_t np = re->nprog, nslots = 2 * ((size_t)re->ncap + 1);
	uint64_t budget = (uint64_t)GOREGEX_STEP_FACTOR * ((uint64_t)input + 1) * np;

	memset(m, 0, sizeof(*m));
	m->re = re;
	m->max_steps = VL_MIN(VL_MAX(budget, (uint64_t)1 << 20), (uint64_t)GOREGEX_MAX_STEPS);
	m->slotmap = malloc(nslots * sizeof(*m->slotmap));
	if (!m->slotmap)
		return -ENOMEM;
	for (size_t k = 0; k < nslots; k++)
		m->slotmap[k] = track && track[k / 2] ? (int32_t)m->ncap++ : -1;
	if (m->ncap && np * m->ncap > GOREGEX_MAX_CAP_CELLS)
		return -ENOTSUP;
	for (int k = 0; k < 2; k++) {
		m->q[k].sparse = calloc(np, sizeof(uint32_t));
		m->q[k].dense = calloc(np, sizeof(uint32_t));
		if (m->ncap)
			m->q[k].caps = calloc(np * m->ncap, sizeof(int32_t));
		if (!m->q[k].sparse || !m->q[k].dense || (m->ncap && !m->q[k].caps))
			return -ENOMEM;
	}
	m->stack = malloc(2 * np * sizeof(*m->stack) + sizeof(*m->stack));
	m->tmp = calloc(m->ncap + 1, sizeof(*m->tmp));
	m->match = calloc(m->ncap + 1, sizeof(*m->match));
	if (!m->stack || !m->tmp || !m->match)
		return -ENOMEM;
	return 0;
}

int goregex_match(const struct goregex *re, const char *s, size_t n, bool *ret)
{
	struct vm m;
	int r = vm_init(&m, re, NULL, n);

	if (!r)
		r = search(&m, s, n, 0, ret);
	vm_done(&m);
	return r;
}

/* regexp's extract: a $name or ${name} at t; its length, 0 when malformed. */
static size_t extract(const char *t, size_t n, const char **name, size_t *nlen, long *num)
{
	bool brace = false;
	size_t i = 0, off = 0;

	if (n == 0)
		return 0;
	if (t[0] == '{') {
		brace = true;
		off = 1;
	}
	while (off + i < n) {
		size_t w;
		uint32_t r = tmplutf_decode(t + off + i, n - off - i, &w);

		if (!tmplutf_is_letter(r) && !tmplutf_is_digit(r) && r != '_')
			break;
		i += w;
	}
	if (i == 0)
		return 0;
	*name = t + off;
	*nlen = i;
	if (brace) {
		if (off + i >= n || t[off + i] != '}')
			return 0;
		i++;
	}
	*num = 0;
	for (size_t k = 0; k < *nlen; k++) {
		if ((*name)[k] < '0' || (*name)[k] > '9' || *num >= 100000000) {
			*num = -1;
			break;
		}
		*num = *num * 10 + ((*name)[k] - '0');
	}
	if ((*name)[0] == '0' && *nlen > 1)
		*num = -1;
	return off + i;
}

/* The group a $reference names: its index, or -1. */
static int ref_group(const struct goregex *re, const char *name, size_t nlen, long num)
{
	if (num >= 0)
		return num <= re->ncap ? (int)num : -1;
	for (int k = 1; k <= re->ncap; k++)
		if ((size_t)k < re->capnames && re->names[k].n == nlen &&
		    memcmp(re->names[k].s, name, nlen) == 0)
			return k;
	return -1;
}

/* regexp.expand of one match into out; track==NULL: mark the groups used instead. */
static int expand(const struct goregex *re, const char *t, size_t tn, const char *s,
		  const int32_t *match, const int32_t *slotmap, bool *mark, struct buf *out)
{
	int r = 0;

	while (tn && !r) {
		const char *d = memchr(t, '$', tn);
		const char *name;
		size_t nlen, used;
		long num;
		int g;

		if (!d)
			break;
		if (out)
			r = buf_append(out, t, (size_t)(d - t));
		tn -= (size_t)(d - t) + 1;
		t = d + 1;
		if (r)
			break;
		if (tn && t[0] == '$') {
			if (out)
				r = buf_putc(out, '$');
			t++;
			tn--;
			continue;
		}
		used = extract(t, tn, &name, &nlen, &num);
		if (!used) {
			if (out)
				r = buf_putc(out, '$');
			continue;
		}
		t += used;
		tn -= used;
		g = ref_group(re, name, nlen, num);
		if (g < 0)
			continue;
		if (mark) {
			mark[g] = true;
		} else {
			int32_t a = match[slotmap[2 * g]], b = match[slotmap[2 * g + 1]];

			if (a >= 0 && b >= 0)
				r = buf_append(out, s + a, (size_t)(b - a));
		}
	}
	if (!r && out && tn)
		r = buf_append(out, t, tn);
	return r;
}

int goregex_replace_all(const struct goregex *re, const char *s, size_t n, const char *repl,
			size_t rn, struct buf *out)
{
	bool *track = calloc((size_t)re->ncap + 1, sizeof(*track));
	size_t last = 0, search_pos = 0;
	struct vm m;
	int r;

	if (!track)
		return -ENOMEM;
	track[0] = true;
	expand(re, repl, rn, s, NULL, NULL, track, NULL);
	r = vm_init(&m, re, track, n);
	while (!r && search_pos <= n) {
		bool found = false;
		size_t a, b, w = 0;

		r = search(&m, s, n, search_pos, &found);
		if (r || !found)
			break;
		a = (size_t)m.match[0];
		b = (size_t)m.match[1];
		r = buf_append(out, s + last, a - last);
		/* no replacement for an empty match right after the previous match */
		if (!r && (b > last || a == 0))
			r = expand(re, repl, rn, s, m.match, m.slotmap, NULL, out);
		last = b;
		if (search_pos < n)
			tmplutf_decode(s + search_pos, n - search_pos, &w);
		if (search_pos + w > b)
			search_pos += w;
		else if (search_pos + 1 > b)
			search_pos++;
		else
			search_pos = b;
	}
	if (!r)
		r = buf_append(out, s + last, n - last);
	vm_done(&m);
	free(track);
	return r;
}
