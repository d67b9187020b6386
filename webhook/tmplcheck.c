/* SPDX-License-Identifier: MIT */
/*
 * tmplcheck: parse every inline template at admission (see tmplcheck.h).
 *
 * The parser accepts the shellQuote extension (vaultlet-agent renders
 * it), so the fix the warning suggests is itself accepted. The position in
 * the denial is the parser's (1-based line and byte column of the
 * offending construct inside the template text).
 *
 * DESIGN
 * ------
 * Every pod of a Deployment carries the same templates, so the outcome of
 * a check (parse error, or the positions of double-quoted actions) is
 * memoised: a small direct-mapped table keyed by the template text and its
 * delimiters, compared in full on a hit. The outcome does not depend on
 * anything else, so a cached answer is exactly the answer a fresh parse
 * gives. The table is owned by whoever made it (the server), shared by the
 * worker threads under a mutex held only to look up or store.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "hash.h"
#include "tmpl.h"
#include "tmplcheck.h"

/* Positions quoted in one warning. */
#define TMPLCHECK_MAX_HITS 4
/* Memo slots, and the longest template text memoised. */
#define TMPLCHECK_CACHE_SLOTS 64
#define TMPLCHECK_CACHE_TEXT  (16 * 1024)

/* What checking one template found. */
struct outcome {
	int r; /* 0 or -EINVAL (a parse error) */
	struct tmpl_error err;
	size_t nhits; /* double-quoted actions, in total */
	struct tmpl_pos hits[TMPLCHECK_MAX_HITS];
};

struct slot {
	uint64_t hash;
	char *key; /* left \0 right \0 text, malloc'ed; NULL when empty */
	size_t keylen;
	struct outcome out;
};

struct tmplcheck_cache {
	pthread_mutex_t lock;
	struct slot slots[TMPLCHECK_CACHE_SLOTS];
};

struct tmplcheck_cache *tmplcheck_cache_new(void)
{
	struct tmplcheck_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void tmplcheck_cache_free(struct tmplcheck_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < TMPLCHECK_CACHE_SLOTS; i++)
		free(c->slots[i].key);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The memo key: left \0 right \0 text, kept in pieces until it is stored. */
struct key {
	const char *part[3];
	size_t len[3]; /* the delimiters' lengths include their NUL */
	size_t total;
	uint64_t hash;
};

static void key_init(struct key *k, const struct agentspec_secret *sec)
{
	k->part[0] = sec->left_delim;
	k->part[1] = sec->right_delim;
	k->part[2] = sec->contents;
	k->len[0] = strlen(sec->left_delim) + 1;
	k->len[1] = strlen(sec->right_delim) + 1;
	k->len[2] = strlen(sec->contents);
	k->total = k->len[0] + k->len[1] + k->len[2];
	k->hash = 0;
	for (int i = 0; i < 3; i++)
		k->hash = hash_bytes(k->hash, k->part[i], k->len[i]);
}

static bool key_equal(const struct slot *sl, const struct key *k)
{
	const char *p = sl->key;

	if (!p || sl->hash != k->hash || sl->keylen != k->total)
		return false;
	for (int i = 0; i < 3; p += k->len[i], i++) {
		if (memcmp(p, k->part[i], k->len[i]) != 0)
			return false;
	}
	return true;
}

static char *key_copy(const struct key *k)
{
	char *c = malloc(k->total), *p = c;

	for (int i = 0; c && i < 3; p += k->len[i], i++)
		memcpy(p, k->part[i], k->len[i]);
	return c;
}

static int parse(const struct agentspec_secret *sec, struct outcome *out)
{
	struct tmpl_parse_opts o = { .name = sec->raw_name,
				     .left_delim = sec->left_delim,
				     .right_delim = sec->right_delim,
				     .flags = TMPL_PARSE_SHELLQUOTE };
	struct tmpl *t = NULL;
	int r;

	*out = (struct outcome){ 0 };
	r = tmpl_parse(sec->contents, strlen(sec->contents), &o, &t, &out->err);
	if (r == -EINVAL || r == -E2BIG) {
		out->r = -EINVAL;
		return 0;
	}
	if (r < 0)
		return r;
	out->nhits = tmpl_find_dquoted_actions(t, out->hits, TMPLCHECK_MAX_HITS);
	tmpl_free(t);
	return 0;
}

/* The outcome for sec, from the memo when it is there (a hit copies nothing). */
static int lookup(struct tmplcheck_cache *c, const struct agentspec_secret *sec,
		  struct outcome *out)
{
	struct slot *sl;
	struct key k;
	char *copy;
	int r;

	if (!c)
		return parse(sec, out);
	key_init(&k, sec);
	if (k.len[2] > TMPLCHECK_CACHE_TEXT)
		return parse(sec, out);
	sl = &c->slots[k.hash % TMPLCHECK_CACHE_SLOTS];
	pthread_mutex_lock(&c->lock);
	if (key_equal(sl, &k)) {
		*out = sl->out;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	r = parse(sec, out);
	if (r < 0)
		return r;
	copy = key_copy(&k);
	if (!copy)
		return 0; /* the answer stands; it is just not remembered */
	pthread_mutex_lock(&c->lock);
	free(sl->key);
	*sl = (struct slot){ .hash = k.hash, .key = copy, .keylen = k.total, .out = *out };
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Writes v in decimal at p (at most 10 digits); returns how many. */
static size_t put_uint(char *p, unsigned v)
{
	char tmp[10], *s = ascii_udec_before(tmp + sizeof(tmp), v);
	size_t n = (size_t)(tmp + sizeof(tmp) - s);

	memcpy(p, s, n);
	return n;
}

static int check_one(struct agentspec *s, struct arena *a, struct tmplcheck_cache *cache,
		     const struct agentspec_secret *sec, const char **ret_msg)
{
	struct outcome o;
	size_t shown, off = 0;
	char where[TMPLCHECK_MAX_HITS * 23]; /* "line:col, " with 10-digit numbers */
	int r;

	r = lookup(cache, sec, &o);
	if (r < 0)
		return r;
	if (o.r == -EINVAL) {
		*ret_msg = arena_printf(a, "template %s: %d:%d: %s", sec->raw_name, o.err.line,
					o.err.col, o.err.msg);
		return *ret_msg ? -EINVAL : -ENOMEM;
	}
	if (o.nhits == 0 || !ends_with(sec->destination, ".sh"))
		return 0;
	shown = o.nhits < TMPLCHECK_MAX_HITS ? o.nhits : TMPLCHECK_MAX_HITS;
	for (size_t i = 0; i < shown; i++) {
		if (i) {
			memcpy(where + off, ", ", 2);
			off += 2;
		}
		off += put_uint(where + off, (unsigned)o.hits[i].line);
		where[off++] = ':';
		off += put_uint(where + off, (unsigned)o.hits[i].col);
	}
	where[off] = '\0';
	return agentspec_warn(s, a,
			      "template %s inserts a value inside double quotes at %s%s: a secret "
			      "with \", $ or ` breaks the script; use {{ .Data.data.x | shellQuote "
			      "}} without quotes, or single quotes",
			      sec->raw_name, where, o.nhits > shown ? ", ..." : "");
}

int tmplcheck_secrets(struct agentspec *s, struct arena *a, struct tmplcheck_cache *cache,
		      const char **ret_msg)
{
	int r;

	*ret_msg = NULL;
	for (size_t i = 0; i < s->nsecrets; i++) {
		const struct agentspec_secret *sec = &s->secrets[i];

		if (!sec->contents[0])
			continue;
		r = check_one(s, a, cache, sec, ret_msg);
		if (r < 0)
			return r;
	}
	return 0;
}
