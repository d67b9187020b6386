/* SPDX-License-Identifier: MIT */
/*
 * cmd_render: `vaultlet-agent render`, offline template rendering.
 *
 *   vaultlet-agent render -secrets FILE [-error-on-missing-key]
 *                         [-left-delim S -right-delim S] TEMPLATE_FILE
 *
 * FILE is a JSON object mapping each secret path, exactly as written in the
 * template (query included), to the `data` member of Vault's read response
 * for it; each is wrapped into a read response envelope so the template
 * sees consul-template's *Secret (.Data is that member). The rendering goes
 * to stdout, only when complete; an error goes to stderr with the
 * template's line:column and nothing is printed on stdout; exit 1. Usage
 * errors exit 2. Same parser, evaluator and extensions (shellQuote) as the
 * agent's run loop, so what it prints is what the agent would write.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "afile.h"
#include "buf.h"
#include "commands.h"
#include "template/podfn.h"
#include "template/render.h"
#include "tmpl.h"
#include "template/vjson.h"
#include "template/vwrite.h"

static const char usage[] =
    "usage: vaultlet-agent render -secrets FILE [-error-on-missing-key]\n"
    "                             [-left-delim S -right-delim S] TEMPLATE_FILE\n"
    "\n"
    "Renders a Vault Agent template offline, exactly as vaultlet-agent renders it\n"
    "(Go text/template semantics with consul-template's functions), and prints the\n"
    "result on stdout.\n"
    "\n"
    "  -secrets FILE           JSON object: secret path as written in the template\n"
    "                          (query included) -> the `data` member of Vault's read\n"
    "                          response (for KV v2: {\"data\":{...},\"metadata\":{...}})\n"
    "  -error-on-missing-key   a missing map key is an error (missingkey=error)\n"
    "  -left-delim S, -right-delim S\n"
    "                          action delimiters (default {{ and }})\n"
    "\n"
    "Like the agent, it accepts vaultlet's shellQuote function (POSIX single\n"
    "quoting), which real Vault Agent rejects.\n"
    "\n"
    "Like the agent, `file` reads the files the template names, writeToFile\n"
    "writes its file and plugin runs its program (without a shell).\n"
    "\n"
    "On a template error the message (with line:column) goes to stderr, nothing is\n"
    "printed on stdout, and the exit status is 1. Usage errors exit with 2.\n";

struct secrets {
	cJSON *file;	  /* the parsed FILE */
	cJSON *envelopes; /* path -> read response envelope */
};

static const cJSON *lookup(void *ctx, const char *path)
{
	struct secrets *s = ctx;
	const cJSON *found;
	const char *body;
	size_t plen;
	char *p;

	if (vwrite_is_list_key(path)) {
		/* secrets PATH: data.keys of the entry PATH (give them sorted, as Vault does) */
		p = strndup(path, strlen(path) - 1);
		found = p ? cJSON_GetObjectItemCaseSensitive(s->envelopes, p) : NULL;
		free(p);
		return cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(found, "data"), "keys");
	}
	if (!vwrite_is_key(path))
		return cJSON_GetObjectItemCaseSensitive(s->envelopes, path);
	if (vwrite_is_pki_key(path)) {
		/* pkiCert PATH ...: the entry PATH is {"Cert","Key","CA","CAChain"} */
		vwrite_split(path, &plen, &body);
		p = strndup(path, plen);
		found = p ? cJSON_GetObjectItemCaseSensitive(s->envelopes, p) : NULL;
		free(p);
		return cJSON_GetObjectItemCaseSensitive(found, "data");
	}
	/* the write form, secret PATH "k=v"...: the file gives its answer under PATH */
	vwrite_split(path, &plen, &body);
	p = strndup(path, plen);
	if (!p)
		return NULL;
	found = cJSON_GetObjectItemCaseSensitive(s->envelopes, p);
	free(p);
	return found;
}

/* Wraps each data member into {"request_id":"",...,"data":X,"warnings":null}. */
static int build_envelopes(struct secrets *s)
{
	cJSON *c;

	s->envelopes = cJSON_CreateObject();
	if (!s->envelopes)
		return -ENOMEM;
	while ((c = s->file->child) != NULL) {
		cJSON *env = cJSON_CreateObject();
		char *key = c->string;

		cJSON_DetachItemViaPointer(s->file, c);
		c->string = NULL;
		if (!env || !cJSON_AddStringToObject(env, "request_id", "") ||
		    !cJSON_AddStringToObject(env, "lease_id", "") ||
		    !cJSON_AddNumberToObject(env, "lease_duration", 0) ||
		    !cJSON_AddFalseToObject(env, "renewable")) {
			cJSON_Delete(env);
			cJSON_Delete(c);
			free(key);
			return -ENOMEM;
		}
		cJSON_AddItemToObject(env, "data", c);
		if (!cJSON_AddNullToObject(env, "warnings")) {
			cJSON_Delete(env);
			free(key);
			return -ENOMEM;
		}
		cJSON_AddItemToObject(s->envelopes, key, env);
		free(key);
	}
	return 0;
}

/* Go's flag package accepts -name, --name, -name=value and -name value. */
static bool flag_match(const char *arg, const char *name, const char **ret_value)
{
	size_t n = strlen(name);

	if (arg[0] != '-')
		return false;
	arg++;
	if (arg[0] == '-')
		arg++;
	if (strncmp(arg, name, n) != 0)
		return false;
	if (arg[n] == 0) {
		*ret_value = NULL;
		return true;
	}
	if (arg[n] == '=') {
		*ret_value = arg + n + 1;
		return true;
	}
	return false;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* The files `file` read, each once (read on first use, as the agent's first fetch). */
struct files {
	char *path[RENDER_MAX_SECRETS];
	char *data[RENDER_MAX_SECRETS];
	size_t len[RENDER_MAX_SECRETS];
	size_t n;
};

static bool file_lookup(void *ctx, const char *path, const char **ret_data, size_t *ret_len)
{
	struct files *f = ctx;

	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->path[i], path) == 0) {
			*ret_data = f->data[i];
			*ret_len = f->len[i];
			return true;
		}
	}
	return false;
}

/* Reads the files a pass missed; false (the message printed) when one cannot be read. */
static bool files_read(struct files *f, const struct render_result *res, const char *tmpl_path)
{
	for (size_t i = 0; i < res->nmissing; i++) {
		const char *p = res->missing[i] + 1;
		struct podfn_stat st;
		struct buf err;
		const char *d;
		size_t dl;
		int r;

		if (res->missing[i][0] != RENDER_FILE_KEY || file_lookup(f, p, &d, &dl))
			continue;
		if (f->n == RENDER_MAX_SECRETS) {
			fprintf(stderr, "vaultlet-agent render: %s: more than %d files\n",
				tmpl_path, RENDER_MAX_SECRETS);
			return false;
		}
		buf_init(&err, 4096);
		f->path[f->n] = strdup(p);
		r = f->path[f->n] ? podfn_read(p, &st, &f->data[f->n], &f->len[f->n], &err)
				  : -ENOMEM;
		if (r < 0) {
			fprintf(stderr, "vaultlet-agent render: %s: %s\n", tmpl_path,
				err.len ? buf_str(&err) : strerror(-r));
			free(f->path[f->n]);
			buf_done(&err);
			return false;
		}
		buf_done(&err);
		f->n++;
	}
	return true;
}

static void files_done(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		explicit_bzero(f->data[i], f->len[i]);
		free(f->data[i]);
		free(f->path[i]);
	}
}

int cmd_render(int argc, char **argv)
{
	const char *secrets_path = NULL, *tmpl_path = NULL, *ld = NULL, *rd = NULL, *v;
	/* The agent accepts vaultlet's extensions; so does its preview. */
	struct tmpl_parse_opts po = { .flags = TMPL_PARSE_SHELLQUOTE };
	struct render_opts ro = { 0 };
	struct secrets sec = { 0 };
	struct files files = { 0 };
	struct render_result res = { 0 };
	struct tmpl_error perr;
	struct vjson_error jerr;
	struct tmpl *t = NULL;
	struct buf out;
	char *text = NULL, *json = NULL;
	size_t text_len = 0, json_len = 0;
	int i, r, status = 1;

	buf_init_sensitive(&out, RENDER_MAX_OUTPUT);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			status = 0;
			goto out;
		}
		if (flag_match(a, "error-on-missing-key", &v)) {
			if (v && strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
				fprintf(stderr, "vaultlet-agent render: invalid boolean value %s\n",
					v);
				status = 2;
				goto out;
			}
			ro.error_on_missing_key = !v || strcmp(v, "true") == 0;
			continue;
		}
		if (flag_match(a, "secrets", &v) || flag_match(a, "left-delim", &v) ||
		    flag_match(a, "right-delim", &v)) {
			const char *name = a + (a[1] == '-' ? 2 : 1);

			if (!v) {
				if (i + 1 >= argc) {
					fprintf(
					    stderr,
					    "vaultlet-agent render: flag needs an argument: %s\n",
					    a);
					status = 2;
					goto out;
				}
				v = argv[++i];
			}
			if (strncmp(name, "secrets", 7) == 0)
				secrets_path = v;
			else if (strncmp(name, "left-delim", 10) == 0)
				ld = v;
			else
				rd = v;
			continue;
		}
		if (a[0] == '-' && a[1] != 0) {
			fprintf(stderr, "vaultlet-agent render: unknown flag %s\n%s", a, usage);
			status = 2;
			goto out;
		}
		if (tmpl_path) {
			fprintf(stderr, "vaultlet-agent render: more than one template file\n%s",
				usage);
			status = 2;
			goto out;
		}
		tmpl_path = a;
	}
	if (!secrets_path || !tmpl_path) {
		fprintf(stderr, "vaultlet-agent render: %s is required\n%s",
			!secrets_path ? "-secrets FILE" : "TEMPLATE_FILE", usage);
		status = 2;
		goto out;
	}

	r = afile_read(secrets_path, VJSON_MAX_TEXT, true, &json, &json_len);
	if (r < 0) {
		fprintf(stderr, "vaultlet-agent render: reading %s: %s\n", secrets_path,
			r == -E2BIG ? "file too large" : strerror(-r));
		goto out;
	}
	r = vjson_parse(json, json_len, &sec.file, &jerr);
	if (r < 0) {
		fprintf(stderr, "vaultlet-agent render: %s: offset %zu: %s\n", secrets_path,
			jerr.offset, jerr.msg);
		goto out;
	}
	if (!cJSON_IsObject(sec.file)) {
		fprintf(stderr,
			"vaultlet-agent render: %s: expected a JSON object mapping secret paths "
			"to data\n",
			secrets_path);
		goto out;
	}
	if (build_envelopes(&sec) < 0) {
		fprintf(stderr, "vaultlet-agent render: out of memory\n");
		goto out;
	}

	r = afile_read(tmpl_path, TMPL_MAX_TEXT, false, &text, &text_len);
	if (r < 0) {
		fprintf(stderr, "vaultlet-agent render: reading %s: %s\n", tmpl_path,
			r == -E2BIG ? "file larger than the template size cap" : strerror(-r));
		goto out;
	}
	po.name = tmpl_path;
	po.left_delim = ld;
	po.right_delim = rd;
	r = tmpl_parse(text, text_len, &po, &t, &perr);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "vaultlet-agent render: out of memory\n");
		else
			fprintf(stderr, "vaultlet-agent render: %s:%d:%d: %s\n", tmpl_path,
				perr.line, perr.col, perr.msg);
		goto out;
	}

	ro.secret = lookup;
	ro.secret_ctx = &sec;
	ro.file = file_lookup;
	ro.file_ctx = &files;
	ro.pod_effects = true; /* writeToFile and plugin act, as in the agent */
	r = render_exec(t, &ro, &out, &res);
	/* files are read as the agent reads them: each pass may name new ones */
	for (int pass = 0; r == RENDER_INCOMPLETE && pass < RENDER_MAX_SECRETS; pass++) {
		bool only_files = true;

		for (size_t k = 0; k < res.nmissing; k++)
			only_files = only_files && res.missing[k][0] == RENDER_FILE_KEY;
		if (!only_files)
			break;
		if (!files_read(&files, &res, tmpl_path))
			goto out;
		render_result_done(&res);
		r = render_exec(t, &ro, &out, &res);
	}
	if (r == RENDER_INCOMPLETE) {
		const char *body;
		size_t plen;

		for (size_t k = 0; k < res.nmissing; k++) {
			if (res.missing[k][0] != RENDER_FILE_KEY) {
				char *first = res.missing[0];

				res.missing[0] = res.missing[k];
				res.missing[k] = first;
				break;
			}
		}

		vwrite_split(res.missing[0], &plen, &body); /* a write form: its path */
		if (vwrite_is_list_key(res.missing[0]))
			plen--;
		fprintf(stderr, "vaultlet-agent render: %s: secret \"%.*s\" is not in %s\n",
			tmpl_path, (int)plen, res.missing[0], secrets_path);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "vaultlet-agent render: %s:%d:%d: %s\n", tmpl_path, res.err.line,
			res.err.col, res.err.msg);
		goto out;
	}
	if (!write_all(STDOUT_FILENO, buf_str(&out), out.len)) {
		fprintf(stderr, "vaultlet-agent render: writing to stdout: %s\n", strerror(errno));
		goto out;
	}
	status = 0;
out:
	render_result_done(&res);
	files_done(&files);
	tmpl_free(t);
	cJSON_Delete(sec.envelopes);
	cJSON_Delete(sec.file);
	buf_done(&out);
	free(text);
	if (json) {
		explicit_bzero(json, json_len);
		free(json);
	}
	return status;
}
