/* SPDX-License-Identifier: MIT */
/*
 * acfg: the Vault Agent JSON config subset, parsed into struct acfg (see
 * config.h). Pure: text in, struct or a message naming the field out.
 *
 * Types are checked the way Vault Agent's HCL decoder would accept them,
 * a little leniently where the stock injector itself is lenient:
 *   booleans   true/false, or a string goparse_bool accepts ("true", "1")
 *   durations  a Go duration string ("5m"), a string of digits (seconds),
 *              or a JSON number (seconds) — parseutil.ParseDurationSecond
 *   perms      a string of octal digits ("0400") or a JSON number read as
 *              written in octal (0400 written as the number 400)
 *   stanzas    an object, or an array of objects (HCL's JSON form) where
 *              only one makes sense (method, vault) the first is used
 * Anything else is an error that names the field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "afile.h"
#include "b64.h"
#include "config.h"
#include "goparse.h"

/* A finite number with no fractional part, within +-2^62 (no libm needed). */
static bool is_whole(double d)
{
	return d == d && d > -4.6e18 && d < 4.6e18 && (double)(int64_t)d == d;
}

struct pctx {
	struct acfg *cfg;
	struct buf *err;
};

static int fail(struct pctx *p, int r, const char *field, const char *what)
{
	buf_reset(p->err);
	buf_setf(p->err, "config: %s: %s", field, what);
	return r;
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "an invalid value";
}

static int type_error(struct pctx *p, const char *field, const char *expected, const cJSON *v)
{
	buf_reset(p->err);
	buf_setf(p->err, "config: %s: expected %s, got %s", field, expected, json_type_name(v));
	return -EINVAL;
}

static bool key_known(const char *key, const char *const *known)
{
	for (size_t i = 0; known[i]; i++) {
		if (strcmp(key, known[i]) == 0)
			return true;
	}
	return false;
}

/* Records each key of obj not in known as "<prefix>.<key>". */
static int note_unknown(struct pctx *p, const cJSON *obj, const char *prefix,
			const char *const *known)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj)
	{
		struct buf name;
		char *s;

		if (!it->string || key_known(it->string, known))
			continue;
		if (p->cfg->nunknown == ACFG_UNKNOWN_MAX) {
			p->cfg->unknown_truncated = true;
			continue;
		}
		buf_init(&name, 512);
		if (buf_appendf(&name, "%s%s%s", prefix, *prefix ? "." : "", it->string) < 0) {
			buf_done(&name);
			continue; /* absurdly long key: counted as truncated below */
		}
		s = buf_take(&name, NULL);
		buf_done(&name);
		if (!s)
			return -ENOMEM;
		p->cfg->unknown[p->cfg->nunknown++] = s;
	}
	return 0;
}

/* Field lookups. Absent or null: 0 and nothing written. */
static int get_string(struct pctx *p, const cJSON *obj, const char *key, const char *field,
		      char **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char *s;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return type_error(p, field, "a string", v);
	if (strlen(v->valuestring) > ACFG_STRING_MAX)
		return fail(p, -E2BIG, field, "value too long");
	s = strdup(v->valuestring);
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

static int get_bool(struct pctx *p, const cJSON *obj, const char *key, const char *field, bool *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsBool(v)) {
		*ret = cJSON_IsTrue(v);
		return 0;
	}
	if (cJSON_IsString(v) && goparse_bool(v->valuestring, ret))
		return 0;
	return type_error(p, field, "a boolean", v);
}

/* parseutil.ParseDurationSecond: number or digit string = seconds, else a Go duration. */
static int get_duration(struct pctx *p, const cJSON *obj, const char *key, const char *field,
			int64_t *ret_ns)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	int64_t ns;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!is_whole(d) || d < 0 || d > 9.2e9)
			return fail(p, -EINVAL, field,
				    "expected a whole, non-negative number of seconds");
		*ret_ns = (int64_t)d * GOPARSE_NS_PER_SEC;
		return 0;
	}
	if (!cJSON_IsString(v))
		return type_error(p, field, "a duration such as \"5m\"", v);
	{
		const char *s = v->valuestring;
		size_t n = strlen(s);
		int64_t secs;

		if (n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9') {
			if (!goparse_int64(s, &secs) || secs < 0 ||
			    secs > INT64_MAX / GOPARSE_NS_PER_SEC)
				return fail(p, -EINVAL, field, "not a valid duration");
			ns = secs * GOPARSE_NS_PER_SEC;
		} else if (!goparse_duration(s, &ns) || ns < 0) {
			return fail(p, -EINVAL, field,
				    "not a valid duration (use e.g. \"30s\", \"5m\")");
		}
	}
	*ret_ns = ns;
	return 0;
}

static int get_perms(struct pctx *p, const cJSON *obj, const char *field, struct acfg_template *t)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "perms");
	char digits[32];
	unsigned long mode = 0;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!is_whole(d) || d < 0 || d > 7777)
			return fail(p, -EINVAL, field,
				    "expected octal permissions such as \"0640\"");
		snprintf(digits, sizeof(digits), "%d", (int)d);
	} else if (cJSON_IsString(v)) {
		if (strlen(v->valuestring) >= sizeof(digits))
			return fail(p, -EINVAL, field,
				    "expected octal permissions such as \"0640\"");
		snprintf(digits, sizeof(digits), "%s", v->valuestring);
	} else {
		return type_error(p, field, "octal permissions such as \"0640\"", v);
	}
	if (digits[0] == '\0')
		return 0; /* "" = unset, as the injector omits it */
	for (const char *c = digits; *c; c++) {
		if (*c < '0' || *c > '7')
			return fail(p, -EINVAL, field,
				    "expected octal permissions such as \"0640\"");
		mode = mode * 8 + (unsigned long)(*c - '0');
		if (mode > 07777)
			return fail(p, -EINVAL, field, "permissions out of range (max 7777)");
	}
	t->perms = (mode_t)mode;
	t->perms_set = true;
	return 0;
}

/* An object, or the first element of an array of objects (HCL JSON form). */
static int get_stanza(struct pctx *p, const cJSON *obj, const char *key, const char *field,
		      const cJSON **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*ret = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsArray(v)) {
		if (cJSON_GetArraySize(v) == 0)
			return 0;
		v = cJSON_GetArrayItem(v, 0);
	}
	if (!cJSON_IsObject(v))
		return type_error(p, field, "an object", v);
	*ret = v;
	return 0;
}

static int parse_method(struct pctx *p, const cJSON *m)
{
	static const char *const known[] = { "type",	    "mount_path",  "namespace",
					     "config",	    "min_backoff", "max_backoff",
					     "exit_on_err", "wrap_ttl",	   NULL };
	static const char *const known_cfg[] = { "role", "token_path", NULL };
	struct acfg *c = p->cfg;
	const cJSON *mc;
	int r;

	if ((r = get_string(p, m, "type", "auto_auth.method.type", &c->method_type)) < 0 ||
	    (r = get_string(p, m, "mount_path", "auto_auth.method.mount_path", &c->mount_path)) <
		0 ||
	    (r = get_string(p, m, "namespace", "auto_auth.method.namespace", &c->namespace)) < 0 ||
	    (r = get_duration(p, m, "min_backoff", "auto_auth.method.min_backoff",
			      &c->min_backoff_ns)) < 0 ||
	    (r = get_duration(p, m, "max_backoff", "auto_auth.method.max_backoff",
			      &c->max_backoff_ns)) < 0 ||
	    (r = get_bool(p, m, "exit_on_err", "auto_auth.method.exit_on_err", &c->exit_on_err)) <
		0)
		return r;
	r = note_unknown(p, m, "auto_auth.method", known);
	if (r < 0)
		return r;
	r = get_stanza(p, m, "config", "auto_auth.method.config", &mc);
	if (r < 0 || !mc)
		return r;
	if ((r = get_string(p, mc, "role", "auto_auth.method.config.role", &c->role)) < 0 ||
	    (r = get_string(p, mc, "token_path", "auto_auth.method.config.token_path",
			    &c->token_path)) < 0)
		return r;
	return note_unknown(p, mc, "auto_auth.method.config", known_cfg);
}

static int parse_sink(struct pctx *p, const cJSON *s, size_t i)
{
	static const char *const known[] = { "type", "config", "wrap_ttl", NULL };
	static const char *const known_cfg[] = { "path", "mode", NULL };
	char field[64];
	char *type = NULL, *path = NULL;
	const cJSON *sc;
	int r;

	snprintf(field, sizeof(field), "auto_auth.sink[%zu]", i);
	if (!cJSON_IsObject(s))
		return type_error(p, field, "an object", s);
	r = get_string(p, s, "type", field, &type);
	if (r < 0)
		goto out;
	r = note_unknown(p, s, field, known);
	if (r < 0)
		goto out;
	if (!type || strcmp(type, "file") != 0) {
		r = fail(p, -EINVAL, field, "only sinks of type \"file\" are supported");
		goto out;
	}
	snprintf(field, sizeof(field), "auto_auth.sink[%zu].config", i);
	r = get_stanza(p, s, "config", field, &sc);
	if (r < 0)
		goto out;
	if (!sc) {
		r = fail(p, -EINVAL, field, "a file sink needs config.path");
		goto out;
	}
	snprintf(field, sizeof(field), "auto_auth.sink[%zu].config.path", i);
	r = get_string(p, sc, "path", field, &path);
	if (r < 0)
		goto out;
	if (!path || path[0] == '\0') {
		r = fail(p, -EINVAL, field, "a file sink needs a path");
		goto out;
	}
	snprintf(field, sizeof(field), "auto_auth.sink[%zu].config", i);
	r = note_unknown(p, sc, field, known_cfg);
	if (r < 0)
		goto out;
	if (p->cfg->nsinks == ACFG_SINKS_MAX) {
		r = fail(p, -E2BIG, "auto_auth.sink", "too many sinks");
		goto out;
	}
	p->cfg->sinks[p->cfg->nsinks++] = path;
	path = NULL;
out:
	free(type);
	free(path);
	return r;
}

static int parse_auto_auth(struct pctx *p, const cJSON *aa)
{
	static const char *const known[] = { "method", "sink", NULL };
	const cJSON *m, *sinks;
	int r;

	if (!cJSON_IsObject(aa))
		return type_error(p, "auto_auth", "an object", aa);
	r = note_unknown(p, aa, "auto_auth", known);
	if (r < 0)
		return r;
	r = get_stanza(p, aa, "method", "auto_auth.method", &m);
	if (r < 0)
		return r;
	if (m) {
		r = parse_method(p, m);
		if (r < 0)
			return r;
	}
	sinks = cJSON_GetObjectItemCaseSensitive(aa, "sink");
	if (!sinks || cJSON_IsNull(sinks))
		return 0;
	if (cJSON_IsObject(sinks))
		return parse_sink(p, sinks, 0);
	if (!cJSON_IsArray(sinks))
		return type_error(p, "auto_auth.sink", "an array of sinks", sinks);
	for (int i = 0; i < cJSON_GetArraySize(sinks); i++) {
		r = parse_sink(p, cJSON_GetArrayItem(sinks, i), (size_t)i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_vault(struct pctx *p, const cJSON *v)
{
	static const char *const known[] = {
		"address",	   "ca_cert",	      "ca_path", "client_cert", "client_key",
		"tls_server_name", "tls_skip_verify", "retry",	 "namespace",	NULL
	};
	struct acfg *c = p->cfg;
	const cJSON *retry;
	int r;

	if ((r = get_string(p, v, "address", "vault.address", &c->address)) < 0 ||
	    (r = get_string(p, v, "ca_cert", "vault.ca_cert", &c->ca_cert)) < 0 ||
	    (r = get_string(p, v, "ca_path", "vault.ca_path", &c->ca_path)) < 0 ||
	    (r = get_string(p, v, "client_cert", "vault.client_cert", &c->client_cert)) < 0 ||
	    (r = get_string(p, v, "client_key", "vault.client_key", &c->client_key)) < 0 ||
	    (r = get_string(p, v, "tls_server_name", "vault.tls_server_name",
			    &c->tls_server_name)) < 0 ||
	    (r = get_bool(p, v, "tls_skip_verify", "vault.tls_skip_verify", &c->tls_skip_verify)) <
		0)
		return r;
	/* vault.namespace is Vault Agent's other spelling; the method's wins. */
	if (!c->namespace) {
		r = get_string(p, v, "namespace", "vault.namespace", &c->namespace);
		if (r < 0)
			return r;
	}
	r = note_unknown(p, v, "vault", known);
	if (r < 0)
		return r;
	r = get_stanza(p, v, "retry", "vault.retry", &retry);
	if (r < 0 || !retry)
		return r;
	{
		static const char *const known_retry[] = { "num_retries", NULL };
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(retry, "num_retries");

		if (n && !cJSON_IsNull(n)) {
			if (!cJSON_IsNumber(n) || !is_whole(n->valuedouble) ||
			    n->valuedouble < -1 || n->valuedouble > 100)
				return fail(p, -EINVAL, "vault.retry.num_retries",
					    "expected a whole number from -1 to 100");
			c->num_retries = (int)n->valuedouble;
			c->num_retries_set = true;
		}
		return note_unknown(p, retry, "vault.retry", known_retry);
	}
}

static int parse_template(struct pctx *p, const cJSON *t, size_t i)
{
	static const char *const known[] = { "destination",
					     "contents",
					     "source",
					     "left_delimiter",
					     "right_delimiter",
					     "command",
					     "perms",
					     "error_on_missing_key",
					     "create_dest_dirs",
					     "backup",
					     "wait",
					     "exec",
					     NULL };
	struct acfg_template *tt;
	char field[80], prefix[48];
	int r;

	snprintf(prefix, sizeof(prefix), "template[%zu]", i);
	if (!cJSON_IsObject(t))
		return type_error(p, prefix, "an object", t);
	if (p->cfg->ntemplates == ACFG_TEMPLATES_MAX)
		return fail(p, -E2BIG, "template", "too many templates");
	tt = &p->cfg->templates[p->cfg->ntemplates++];
	*tt = (struct acfg_template){ .perms = 0644 };

#define TFIELD(name) (snprintf(field, sizeof(field), "%s.%s", prefix, name), field)
	if ((r = get_string(p, t, "destination", TFIELD("destination"), &tt->destination)) < 0 ||
	    (r = get_string(p, t, "contents", TFIELD("contents"), &tt->contents)) < 0 ||
	    (r = get_string(p, t, "source", TFIELD("source"), &tt->source)) < 0 ||
	    (r = get_string(p, t, "left_delimiter", TFIELD("left_delimiter"), &tt->left_delim)) <
		0 ||
	    (r = get_string(p, t, "right_delimiter", TFIELD("right_delimiter"), &tt->right_delim)) <
		0 ||
	    (r = get_string(p, t, "command", TFIELD("command"), &tt->command)) < 0 ||
	    (r = get_perms(p, t, TFIELD("perms"), tt)) < 0 ||
	    (r = get_bool(p, t, "error_on_missing_key", TFIELD("error_on_missing_key"),
			  &tt->error_on_missing_key)) < 0)
		return r;
	if (!tt->destination || tt->destination[0] == '\0')
		return fail(p, -EINVAL, TFIELD("destination"),
			    "missing (every template needs one)");
	if (!tt->contents && !tt->source)
		return fail(p, -EINVAL, prefix, "needs \"contents\" or \"source\"");
	if (tt->contents && tt->source)
		return fail(p, -EINVAL, prefix, "has both \"contents\" and \"source\"; use one");
	if (tt->command && tt->command[0] == '\0') {
		free(tt->command);
		tt->command = NULL;
	}
#undef TFIELD
	return note_unknown(p, t, prefix, known);
}

static int parse_template_config(struct pctx *p, const cJSON *tc)
{
	static const char *const known[] = { "exit_on_retry_failure",
					     "static_secret_render_interval",
					     "lease_renewal_threshold", "max_connections_per_host",
					     NULL };
	const cJSON *th;
	int r;

	if ((r = get_bool(p, tc, "exit_on_retry_failure", "template_config.exit_on_retry_failure",
			  &p->cfg->exit_on_retry_failure)) < 0 ||
	    (r = get_duration(p, tc, "static_secret_render_interval",
			      "template_config.static_secret_render_interval",
			      &p->cfg->static_secret_render_interval_ns)) < 0)
		return r;
	th = cJSON_GetObjectItemCaseSensitive(tc, "lease_renewal_threshold");
	if (th && !cJSON_IsNull(th)) {
		double d;

		if (cJSON_IsNumber(th)) {
			d = th->valuedouble;
		} else if (cJSON_IsString(th)) {
			char *end;

			errno = 0;
			d = strtod(th->valuestring, &end);
			if (errno || end == th->valuestring || *end)
				return fail(p, -EINVAL, "template_config.lease_renewal_threshold",
					    "expected a number between 0 and 1");
		} else {
			return type_error(p, "template_config.lease_renewal_threshold", "a number",
					  th);
		}
		if (!(d > 0 && d <= 1))
			return fail(p, -EINVAL, "template_config.lease_renewal_threshold",
				    "expected a number between 0 and 1");
		p->cfg->lease_renewal_threshold = d;
	}
	{
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(tc, "max_connections_per_host");

		if (m && !cJSON_IsNull(m) && !cJSON_IsNumber(m))
			return type_error(p, "template_config.max_connections_per_host", "a number",
					  m);
	}
	if (p->cfg->static_secret_render_interval_ns == 0)
		return fail(p, -EINVAL, "template_config.static_secret_render_interval",
			    "must be greater than zero");
	return note_unknown(p, tc, "template_config", known);
}

static int parse_vaultlet(struct pctx *p, const cJSON *v)
{
	static const char *const known[] = { "revoke_on_shutdown", "status_file", "command_timeout",
					     NULL };
	int r;

	if ((r = get_bool(p, v, "revoke_on_shutdown", "vaultlet.revoke_on_shutdown",
			  &p->cfg->revoke_on_shutdown)) < 0 ||
	    (r = get_string(p, v, "status_file", "vaultlet.status_file", &p->cfg->status_file)) <
		0 ||
	    (r = get_duration(p, v, "command_timeout", "vaultlet.command_timeout",
			      &p->cfg->command_timeout_ns)) < 0)
		return r;
	return note_unknown(p, v, "vaultlet", known);
}

static char *dup_default(char *cur, const char *dflt)
{
	return cur ? cur : strdup(dflt);
}

int acfg_parse(const char *text, size_t len, struct acfg *cfg, struct buf *err)
{
	static const char *const known[] = {
		"auto_auth", "vault", "template", "template_config", "exit_after_auth", "pid_file",
		"vaultlet",
		/* emitted by the injector for features vaultlet does not offer; warned */
		NULL
	};
	struct pctx p = { .cfg = cfg, .err = err };
	cJSON *root = NULL;
	const cJSON *st, *tpl;
	int r;

	*cfg = (struct acfg){
		.static_secret_render_interval_ns = ACFG_DEFAULT_RENDER_INTERVAL,
		.lease_renewal_threshold = 0.90,
		.command_timeout_ns = ACFG_DEFAULT_COMMAND_TIMEOUT,
	};
	if (len > ACFG_TEXT_MAX)
		return fail(&p, -E2BIG, "(whole file)", "larger than 1 MiB");
	root = cJSON_ParseWithLength(text, len);
	if (!root) {
		r = fail(&p, -EINVAL, "(whole file)", "not valid JSON");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		r = type_error(&p, "(top level)", "an object", root);
		goto out;
	}
	r = note_unknown(&p, root, "", known);
	if (r < 0)
		goto out;
	st = cJSON_GetObjectItemCaseSensitive(root, "auto_auth");
	if (st && !cJSON_IsNull(st)) {
		r = parse_auto_auth(&p, st);
		if (r < 0)
			goto out;
	}
	r = get_stanza(&p, root, "vault", "vault", &st);
	if (r < 0)
		goto out;
	if (st) {
		r = parse_vault(&p, st);
		if (r < 0)
			goto out;
	}
	if ((r = get_bool(&p, root, "exit_after_auth", "exit_after_auth", &cfg->exit_after_auth)) <
		0 ||
	    (r = get_string(&p, root, "pid_file", "pid_file", &cfg->pid_file)) < 0)
		goto out;
	tpl = cJSON_GetObjectItemCaseSensitive(root, "template");
	if (tpl && cJSON_IsObject(tpl)) {
		r = parse_template(&p, tpl, 0);
		if (r < 0)
			goto out;
	} else if (tpl && cJSON_IsArray(tpl)) {
		for (int i = 0; i < cJSON_GetArraySize(tpl); i++) {
			r = parse_template(&p, cJSON_GetArrayItem(tpl, i), (size_t)i);
			if (r < 0)
				goto out;
		}
	} else if (tpl && !cJSON_IsNull(tpl)) {
		r = type_error(&p, "template", "an array of templates", tpl);
		goto out;
	}
	r = get_stanza(&p, root, "template_config", "template_config", &st);
	if (r < 0)
		goto out;
	if (st) {
		r = parse_template_config(&p, st);
		if (r < 0)
			goto out;
	}
	r = get_stanza(&p, root, "vaultlet", "vaultlet", &st);
	if (r < 0)
		goto out;
	if (st) {
		r = parse_vaultlet(&p, st);
		if (r < 0)
			goto out;
	}

	/* Semantic checks and defaults. */
	if (cfg->method_type && strcmp(cfg->method_type, "kubernetes") != 0) {
		r = fail(&p, -EINVAL, "auto_auth.method.type",
			 "only \"kubernetes\" is supported by vaultlet-agent");
		goto out;
	}
	if (!cfg->role || cfg->role[0] == '\0') {
		r = fail(&p, -EINVAL, "auto_auth.method.config.role",
			 "missing (set the vault.hashicorp.com/role annotation)");
		goto out;
	}
	cfg->min_backoff_set = cfg->min_backoff_ns > 0;
	cfg->max_backoff_set = cfg->max_backoff_ns > 0;
	if (cfg->min_backoff_ns <= 0)
		cfg->min_backoff_ns = ACFG_DEFAULT_MIN_BACKOFF_NS;
	if (cfg->max_backoff_ns <= 0)
		cfg->max_backoff_ns = ACFG_DEFAULT_MAX_BACKOFF_NS;
	if (!cfg->min_backoff_set && cfg->max_backoff_ns < cfg->min_backoff_ns)
		cfg->min_backoff_ns = cfg->max_backoff_ns;
	if (cfg->max_backoff_ns < cfg->min_backoff_ns) {
		r = fail(&p, -EINVAL, "auto_auth.method.max_backoff", "smaller than min_backoff");
		goto out;
	}
	if (cfg->command_timeout_ns <= 0)
		cfg->command_timeout_ns = ACFG_DEFAULT_COMMAND_TIMEOUT;
	cfg->mount_path = dup_default(cfg->mount_path, ACFG_DEFAULT_MOUNT_PATH);
	cfg->token_path = dup_default(cfg->token_path, ACFG_DEFAULT_TOKEN_PATH);
	cfg->method_type = dup_default(cfg->method_type, "kubernetes");
	if (!cfg->mount_path || !cfg->token_path || !cfg->method_type) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cfg->ntemplates; i++) {
		struct acfg_template *t = &cfg->templates[i];

		t->left_delim = dup_default(t->left_delim, "{{");
		t->right_delim = dup_default(t->right_delim, "}}");
		if (!t->left_delim || !t->right_delim) {
			r = -ENOMEM;
			goto out;
		}
		if (t->left_delim[0] == '\0' || t->right_delim[0] == '\0') {
			free(t->left_delim);
			free(t->right_delim);
			t->left_delim = strdup("{{");
			t->right_delim = strdup("}}");
			if (!t->left_delim || !t->right_delim) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

void acfg_done(struct acfg *cfg)
{
	char **strs[] = { &cfg->method_type, &cfg->mount_path,	 &cfg->namespace,
			  &cfg->role,	     &cfg->token_path,	 &cfg->pid_file,
			  &cfg->address,     &cfg->ca_cert,	 &cfg->ca_path,
			  &cfg->client_cert, &cfg->client_key,	 &cfg->tls_server_name,
			  &cfg->status_file, &cfg->ca_cert_bytes };

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (size_t i = 0; i < cfg->nsinks; i++)
		free(cfg->sinks[i]);
	cfg->nsinks = 0;
	for (size_t i = 0; i < cfg->ntemplates; i++) {
		struct acfg_template *t = &cfg->templates[i];

		free(t->destination);
		free(t->contents);
		free(t->source);
		free(t->left_delim);
		free(t->right_delim);
		free(t->command);
	}
	cfg->ntemplates = 0;
	for (size_t i = 0; i < cfg->nunknown; i++)
		free(cfg->unknown[i]);
	cfg->nunknown = 0;
}

int acfg_status_path(const struct acfg *cfg, struct buf *out)
{
	const char *slash;

	if (cfg->status_file && cfg->status_file[0])
		return buf_append_str(out, cfg->status_file);
	if (cfg->nsinks > 0) {
		slash = strrchr(cfg->sinks[0], '/');
		if (slash) {
			int r = buf_append(out, cfg->sinks[0], (size_t)(slash - cfg->sinks[0]) + 1);

			if (r < 0)
				return r;
			return buf_append_str(out, ACFG_DEFAULT_STATUS_NAME);
		}
	}
	return buf_appendf(out, "%s/%s", ACFG_DEFAULT_HOME, ACFG_DEFAULT_STATUS_NAME);
}

int acfg_read_text(const char *file, struct buf *text, struct buf *err)
{
	const char *env;
	int r;

	if (file) {
		char *s = NULL;
		size_t len = 0;

		r = afile_read(file, ACFG_TEXT_MAX, false, &s, &len);
		if (r < 0) {
			if (buf_appendf(err, "reading %s: %s", file,
					r == -E2BIG ? "larger than 1 MiB" : strerror(-r)) < 0)
				buf_reset(err);
			return r;
		}
		r = buf_append(text, s, len);
		free(s);
		return r;
	}
	env = getenv("VAULT_CONFIG");
	if (!env || !env[0]) {
		if (buf_append_str(err, "no configuration: set VAULT_CONFIG (base64 JSON) or pass "
					"-config FILE") < 0)
			buf_reset(err);
		return -ENOENT;
	}
	{
		size_t off = 0;
		size_t n = strlen(env);

		/* `echo $VAULT_CONFIG | base64 -d` tolerated a trailing newline; so do we. */
		while (n > 0 && (env[n - 1] == '\n' || env[n - 1] == '\r'))
			n--;
		r = b64_decode(env, n, B64_STD, B64_STRICT, text, &off);
		if (r == -EINVAL) {
			if (buf_appendf(err, "VAULT_CONFIG is not valid standard base64 (byte %zu)",
					off) < 0)
				buf_reset(err);
		} else if (r == -E2BIG) {
			if (buf_append_str(err, "VAULT_CONFIG is larger than 1 MiB") < 0)
				buf_reset(err);
		}
		return r;
	}
}
