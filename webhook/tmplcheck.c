/* SPDX-License-Identifier: MIT */
/*
 * tmplcheck: parse every inline template at admission (see tmplcheck.h).
 *
 * The parser accepts the shellQuote extension (vaultlet-agent renders
 * it), so the fix the warning suggests is itself accepted. The position in
 * the denial is the parser's (1-based line and byte column of the
 * offending construct inside the template text).
 */
#include <errno.h>
#include <string.h>

#include "tmplcheck.h"

#ifdef VAULTLET_HAVE_TMPL
#include "tmpl.h"

/* Positions quoted in one warning. */
#define TMPLCHECK_MAX_HITS 4

bool tmplcheck_available(void)
{
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int check_one(struct agentspec *s, struct arena *a, const struct agentspec_secret *sec,
		     const char **ret_msg)
{
	struct tmpl_parse_opts o = { .name = sec->raw_name,
				     .left_delim = sec->left_delim,
				     .right_delim = sec->right_delim,
				     .flags = TMPL_PARSE_SHELLQUOTE };
	struct tmpl *t = NULL;
	struct tmpl_error e = { 0 };
	struct tmpl_pos hits[TMPLCHECK_MAX_HITS];
	size_t n, shown;
	char where[96];
	size_t off = 0;
	int r;

	r = tmpl_parse(sec->contents, strlen(sec->contents), &o, &t, &e);
	if (r == -EINVAL || r == -E2BIG) {
		*ret_msg =
		    arena_printf(a, "template %s: %d:%d: %s", sec->raw_name, e.line, e.col, e.msg);
		return *ret_msg ? -EINVAL : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (!ends_with(sec->destination, ".sh")) {
		tmpl_free(t);
		return 0;
	}
	n = tmpl_find_dquoted_actions(t, hits, TMPLCHECK_MAX_HITS);
	tmpl_free(t);
	if (n == 0)
		return 0;
	shown = n < TMPLCHECK_MAX_HITS ? n : TMPLCHECK_MAX_HITS;
	where[0] = '\0';
	for (size_t i = 0; i < shown && off < sizeof(where); i++) {
		int w = snprintf(where + off, sizeof(where) - off, "%s%d:%d", i ? ", " : "",
				 hits[i].line, hits[i].col);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return agentspec_warn(s, a,
			      "template %s inserts a value inside double quotes at %s%s: a secret "
			      "with \", $ or ` breaks the script; use {{ .Data.data.x | shellQuote "
			      "}} without quotes, or single quotes",
			      sec->raw_name, where, n > shown ? ", ..." : "");
}

int tmplcheck_secrets(struct agentspec *s, struct arena *a, const char **ret_msg)
{
	int r;

	*ret_msg = NULL;
	for (size_t i = 0; i < s->nsecrets; i++) {
		const struct agentspec_secret *sec = &s->secrets[i];

		if (!sec->contents[0])
			continue;
		r = check_one(s, a, sec, ret_msg);
		if (r < 0)
			return r;
	}
	return 0;
}

#else

bool tmplcheck_available(void)
{
	return false;
}

int tmplcheck_secrets(struct agentspec *s, struct arena *a, const char **ret_msg)
{
	(void)s;
	(void)a;
	*ret_msg = NULL;
	return 0;
}

#endif
