/* SPDX-License-Identifier: MIT */
/*
 * tdata: data-file test cases and a cmocka runner (see tdata.h).
 * Test-only code: it aborts on its own errors instead of returning them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "tdata.h"

static void die(const char *file, int line, const char *why)
{
	fprintf(stderr, "tdata: %s:%d: %s\n", file, line, why);
	abort();
}

char *tdata_path(const char *relpath)
{
	const char *dir = getenv("VAULTLET_TEST_DATA");
	char *p;

	if (!dir)
		die(relpath, 0, "VAULTLET_TEST_DATA is not set (run through meson test)");
	if (asprintf(&p, "%s/%s", dir, relpath) < 0)
		abort();
	return p;
}

/* Parses one quoted token starting after the opening quote. */
static const char *parse_quoted(const char *p, const char *file, int line, char **ret,
				size_t *ret_len)
{
	char *out = malloc(strlen(p) + 1);
	size_t n = 0;

	if (!out)
		abort();
	for (;;) {
		char c = *p++;

		if (c == '\0' || c == '\n')
			die(file, line, "unterminated string");
		if (c == '"')
			break;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = *p++;
		switch (c) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case '0':
			out[n++] = '\0';
			break;
		case '\\':
		case '"':
			out[n++] = c;
			break;
		case 'x': {
			int hi = ascii_hexval(p[0]), lo = hi < 0 ? -1 : ascii_hexval(p[1]);

			if (lo < 0)
				die(file, line, "bad \\x escape");
			out[n++] = (char)(hi << 4 | lo);
			p += 2;
			break;
		}
		default:
			die(file, line, "unknown escape");
		}
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return p;
}

void tdata_load(const char *relpath, struct tdata *ret)
{
	char *path = tdata_path(relpath);
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, rcap = 0;
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "tdata: cannot open %s: %s\n", path, strerror(errno));
		abort();
	}
	*ret = (struct tdata){ NULL, 0 };
	while (getline(&line, &cap, f) >= 0) {
		struct tdata_row row = { .file = relpath, .line = ++lineno };
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		while (*p && *p != '\n') {
			if (row.ntok == TDATA_MAX_TOKENS)
				die(relpath, lineno, "too many tokens");
			if (*p == '"') {
				p = parse_quoted(p + 1, relpath, lineno, &row.tok[row.ntok],
						 &row.len[row.ntok]);
			} else {
				size_t n = strcspn(p, " \t\n");

				row.tok[row.ntok] = strndup(p, n);
				if (!row.tok[row.ntok])
					abort();
				row.len[row.ntok] = n;
				p += n;
			}
			row.ntok++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		if (ret->n == rcap) {
			rcap = rcap ? rcap * 2 : 32;
			ret->rows = realloc(ret->rows, rcap * sizeof(*ret->rows));
			if (!ret->rows)
				abort();
		}
		ret->rows[ret->n++] = row;
	}
	free(line);
	fclose(f);
	free(path);
	if (ret->n == 0)
		die(relpath, 0, "no cases in file");
}

void tdata_free(struct tdata *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (int k = 0; k < t->rows[i].ntok; k++)
			free(t->rows[i].tok[k]);
	free(t->rows);
	*t = (struct tdata){ NULL, 0 };
}

int tdata_is(const struct tdata_row *row, int i, const char *w)
{
	return i < row->ntok && strcmp(row->tok[i], w) == 0;
}

void tlist_add(struct tlist *l, const char *name, CMUnitTestFunction fn, void *state)
{
	char *copy = strdup(name);

	if (!copy)
		abort();
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->tests = realloc(l->tests, l->cap * sizeof(*l->tests));
		if (!l->tests)
			abort();
	}
	l->tests[l->n++] = (struct CMUnitTest){
		.name = copy,
		.test_func = fn,
		.initial_state = state,
	};
}

void tlist_add_rows(struct tlist *l, struct tdata *t, CMUnitTestFunction fn)
{
	for (size_t i = 0; i < t->n; i++) {
		struct tdata_row *row = &t->rows[i];
		char name[160], shown[64];
		size_t k = 0;

		/* Test names must stay printable on one line for TAP. */
		for (size_t j = 0; j < row->len[0] && k + 5 < sizeof(shown); j++) {
			unsigned char c = (unsigned char)row->tok[0][j];

			if (c >= 0x20 && c < 0x7f && c != '#')
				shown[k++] = (char)c;
			else
				k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02x", c);
		}
		shown[k] = '\0';
		snprintf(name, sizeof(name), "%s:%d \"%s\"", row->file, row->line, shown);
		tlist_add(l, name, fn, row);
	}
}

int tlist_run(struct tlist *l, const char *group)
{
	int failed = _cmocka_run_group_tests(group, l->tests, l->n, NULL, NULL);

	for (size_t i = 0; i < l->n; i++)
		free((char *)l->tests[i].name);
	free(l->tests);
	*l = (struct tlist){ NULL, 0, 0 };
	return failed;
}
