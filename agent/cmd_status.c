/* SPDX-License-Identifier: MIT */
/*
 * cmd_status: `vaultlet-agent status [-json] [-file PATH] [-config FILE]`
 * prints the state file the running agent keeps (astate.h): each
 * destination, when it was last rendered and checked, from which secret
 * versions, the last error. Never a secret value (the file holds none).
 *
 * The file is found with -file, else from the configuration (-config FILE
 * or VAULT_CONFIG, the same env var the agent container has, so
 * `kubectl exec POD -c vault-agent -- vaultlet-agent status` just works),
 * else /home/vault/.vaultlet-status.json.
 *
 * Exit status: 0 all templates rendered and no error pending; 1 no status
 * file (agent not running here, or not started yet); 3 some template has
 * an error or has never rendered.
 *
 * `-ready` is the native sidecar's startupProbe (the image has no shell,
 * so the kubelet execs this): it prints nothing and exits 0 once every
 * template has been rendered at least once (checked_at set: the file holds
 * a complete rendering, whatever errors came later), or, with no
 * templates, once the agent holds a token; else one line saying what is
 * missing and 3 (1 without a status file). It only reads the config and
 * the status file, so it is cheap enough to run every second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "afile.h"
#include "astate.h"
#include "commands.h"
#include "config.h"

static void status_usage(FILE *f)
{
	fputs("usage: vaultlet-agent status [-json | -ready] [-file PATH] [-config FILE]\n"
	      "\n"
	      "Shows what the agent in this container rendered, when, from which\n"
	      "secret version, and its last error. Never prints a secret value.\n"
	      "Exit status: 0 ok, 1 no status file, 3 a template has an error or\n"
	      "has not rendered yet.\n"
	      "\n"
	      "-ready  print nothing; exit 0 once every template has been rendered\n"
	      "        at least once (the native sidecar's startupProbe), else print\n"
	      "        what is missing and exit 3 (1 without a status file).\n",
	      f);
}

/* The status path from a config file or VAULT_CONFIG; 0 or -errno. */
static int path_from_config(const char *file, struct buf *out)
{
	struct buf text, err;
	struct acfg cfg;
	int r;

	buf_init(&text, ACFG_TEXT_MAX);
	buf_init(&err, 512);
	r = acfg_read_text(file, &text, &err);
	if (r < 0)
		goto out;
	r = acfg_parse(text.data ? text.data : "", text.len, &cfg, &err);
	if (r == 0)
		r = acfg_status_path(&cfg, out);
	acfg_done(&cfg);
out:
	buf_done(&text);
	buf_done(&err);
	return r;
}

static bool has_problem(const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *t;
	bool bad = false;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "templates"))
	{
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "last_error")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "checked_at")))
			bad = true;
	}
	cJSON_Delete(root);
	return bad;
}

/*
 * -ready: 0 when every template has been rendered at least once (or, with
 * none, a token is held); else 3 with one line on stdout saying what is
 * missing. Never prints an error text from the file: only destinations.
 */
static int ready_code(const char *json, size_t len, const char *path)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *tpls = cJSON_GetObjectItemCaseSensitive(root, "templates"), *t;
	const char *missing = NULL;
	size_t n = 0, pending = 0;
	int code = 3;

	if (!cJSON_IsArray(tpls)) {
		printf("not ready: %s is not a valid status file\n", path);
		goto out;
	}
	cJSON_ArrayForEach(t, tpls)
	{
		n++;
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "checked_at")))
			continue;
		pending++;
		if (!missing) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "destination");

			missing = cJSON_IsString(d) ? d->valuestring : "?";
		}
	}
	if (n == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "authenticated"))) {
		printf("not ready: the agent has not logged in to Vault yet (see its log)\n");
		goto out;
	}
	if (pending) {
		printf("not ready: %zu of %zu templates not rendered yet, first %s "
		       "(see `vaultlet-agent status` and the agent's log)\n",
		       pending, n, missing);
		goto out;
	}
	code = 0;
out:
	cJSON_Delete(root);
	return code;
}

int cmd_status(int argc, char **argv)
{
	const char *file = NULL, *config = NULL;
	bool as_json = false, ready = false;
	struct buf path;
	char *text = NULL;
	size_t len = 0;
	int r, code = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-json") == 0 || strcmp(a, "--json") == 0) {
			as_json = true;
		} else if (strcmp(a, "-ready") == 0 || strcmp(a, "--ready") == 0) {
			ready = true;
		} else if ((strcmp(a, "-file") == 0 || strcmp(a, "--file") == 0) && i + 1 < argc) {
			file = argv[++i];
		} else if ((strcmp(a, "-config") == 0 || strcmp(a, "--config") == 0) &&
			   i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			status_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "vaultlet-agent status: unknown argument %s\n", a);
			status_usage(stderr);
			return 2;
		}
	}
	buf_init(&path, 4096);
	if (file) {
		r = buf_append_str(&path, file);
	} else {
		r = path_from_config(config, &path);
		if (r < 0) {
			buf_reset(&path);
			r = buf_appendf(&path, "%s/%s", ACFG_DEFAULT_HOME,
					ACFG_DEFAULT_STATUS_NAME);
		}
	}
	if (r < 0)
		goto out;
	r = afile_read(buf_str(&path), ASTATE_MAX, false, &text, &len);
	if (r < 0) {
		fprintf(stderr,
			"vaultlet-agent status: no status at %s (%s): is the agent running in "
			"this container?\n",
			buf_str(&path), strerror(-r));
		goto out;
	}
	if (ready) {
		code = ready_code(text, len, buf_str(&path));
		goto out;
	}
	r = astate_print(text, len, as_json, (int64_t)time(NULL), stdout);
	if (r < 0) {
		fprintf(stderr, "vaultlet-agent status: %s is not a valid status file\n",
			buf_str(&path));
		goto out;
	}
	code = has_problem(text, len) ? 3 : 0;
out:
	free(text);
	buf_done(&path);
	return code;
}
