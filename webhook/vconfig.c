/* SPDX-License-Identifier: MIT */
/*
 * vconfig: VAULT_CONFIG JSON, byte-compatible with the stock injector (see
 * vconfig.h). The order of the calls below is the order of the fields in
 * the stock Config, AutoAuth, Method, Sink, VaultConfig, Template and
 * TemplateConfig structs; each `if` is an omitempty.
 */
#include <errno.h>
#include <string.h>

#include "jw.h"
#include "vconfig.h"

#define TOKEN_SINK "/home/vault/.vault-token"
#define PID_FILE   "/home/vault/.pid"

static void kv_nonempty(struct jw *w, const char *key, const char *v)
{
	if (v && v[0])
		jw_kv_string(w, key, v);
}

static void sink(struct jw *w, const char *path)
{
	jw_object_open(w);
	jw_kv_string(w, "type", "file");
	jw_key(w, "config");
	jw_object_open(w);
	jw_kv_string(w, "path", path);
	jw_object_close(w);
	jw_object_close(w);
}

/*
 * Renders the config; *ret_flag_at is where `"exit_after_auth":` starts and
 * *ret_tail_end where the config's closing brace (after template_config) is.
 */
static int render(const struct agentspec *s, bool init, struct buf *out, size_t *ret_flag_at,
		  size_t *ret_tail_end)
{
	struct jw w;
	size_t start = out->len;
	int r;

	jw_init(&w, out);
	jw_object_open(&w);

	jw_key(&w, "auto_auth");
	jw_object_open(&w);
	jw_key(&w, "method");
	jw_object_open(&w);
	jw_kv_string(&w, "type", s->auth_type);
	kv_nonempty(&w, "mount_path", s->auth_path);
	kv_nonempty(&w, "min_backoff", s->min_backoff);
	kv_nonempty(&w, "max_backoff", s->max_backoff);
	kv_nonempty(&w, "namespace", s->vault_namespace);
	if (s->nauth_config) {
		jw_key(&w, "config");
		jw_object_open(&w);
		for (size_t i = 0; i < s->nauth_config; i++)
			jw_kv_string(&w, s->auth_config[i].key, s->auth_config[i].value);
		jw_object_close(&w);
	}
	if (s->auto_auth_exit_on_err)
		jw_kv_bool(&w, "exit_on_err", true);
	jw_object_close(&w);
	jw_key(&w, "sink");
	jw_array_open(&w);
	sink(&w, TOKEN_SINK);
	if (s->inject_token)
		sink(&w, s->token_sink);
	jw_array_close(&w);
	jw_object_close(&w);

	*ret_flag_at = out->len + 1; /* after the comma jw_key writes */
	jw_kv_bool(&w, "exit_after_auth", init);
	jw_kv_string(&w, "pid_file", PID_FILE);

	jw_key(&w, "vault");
	jw_object_open(&w);
	jw_kv_string(&w, "address", s->address);
	kv_nonempty(&w, "ca_cert", s->ca_cert);
	kv_nonempty(&w, "ca_path", s->ca_key);
	if (s->tls_skip_verify)
		jw_kv_bool(&w, "tls_skip_verify", true);
	kv_nonempty(&w, "client_cert", s->client_cert);
	kv_nonempty(&w, "client_key", s->client_key);
	kv_nonempty(&w, "tls_server_name", s->tls_server_name);
	jw_object_close(&w);

	if (s->nsecrets) {
		jw_key(&w, "template");
		jw_array_open(&w);
		for (size_t i = 0; i < s->nsecrets; i++) {
			const struct agentspec_secret *t = &s->secrets[i];

			jw_object_open(&w);
			jw_kv_string(&w, "destination", t->destination);
			kv_nonempty(&w, "contents", t->contents);
			kv_nonempty(&w, "left_delimiter", t->left_delim);
			kv_nonempty(&w, "right_delimiter", t->right_delim);
			kv_nonempty(&w, "command", t->command);
			kv_nonempty(&w, "source", t->source);
			kv_nonempty(&w, "perms", t->perms);
			if (t->error_on_missing_key)
				jw_kv_bool(&w, "error_on_missing_key", true);
			jw_object_close(&w);
		}
		jw_array_close(&w);
	}

	jw_key(&w, "template_config");
	jw_object_open(&w);
	jw_kv_bool(&w, "exit_on_retry_failure", s->exit_on_retry_failure);
	kv_nonempty(&w, "static_secret_render_interval", s->static_secret_render_interval);
	if (s->has_lease_renewal_threshold) {
		jw_key(&w, "lease_renewal_threshold");
		jw_float(&w, s->lease_renewal_threshold);
	}
	jw_object_close(&w);

	*ret_tail_end = out->len;
	if (!init && s->revoke_on_shutdown) {
		jw_key(&w, "vaultlet");
		jw_object_open(&w);
		jw_kv_bool(&w, "revoke_on_shutdown", true);
		jw_object_close(&w);
	}
	jw_object_close(&w);
	r = jw_finish(&w);
	if (r == 0 && out->len - start > VCONFIG_MAX)
		r = -E2BIG;
	if (r < 0)
		buf_truncate(out, start);
	return r;
}

int vconfig_render_both(const struct agentspec *s, struct buf *init, struct buf *sidecar)
{
	static const char flag_true[] = "\"exit_after_auth\":true";
	static const char flag_false[] = "\"exit_after_auth\":false";
	static const char revoke[] = ",\"vaultlet\":{\"revoke_on_shutdown\":true}";
	size_t start = init->len, flag_at, tail_end, after;
	int r;

	r = render(s, true, init, &flag_at, &tail_end);
	if (r < 0)
		return r;
	/* the sidecar's config differs only in exit_after_auth and the vaultlet stanza */
	after = flag_at + sizeof(flag_true) - 1;
	r = buf_reserve(sidecar, init->len - start + sizeof(revoke));
	if (r == 0)
		r = buf_append(sidecar, init->data + start, flag_at - start);
	if (r == 0)
		r = buf_append(sidecar, flag_false, sizeof(flag_false) - 1);
	if (r == 0)
		r = buf_append(sidecar, init->data + after, tail_end - after);
	if (r == 0 && s->revoke_on_shutdown)
		r = buf_append(sidecar, revoke, sizeof(revoke) - 1);
	if (r == 0)
		r = buf_putc(sidecar, '}');
	if (r == 0 && sidecar->len > VCONFIG_MAX)
		r = -E2BIG;
	if (r < 0) {
		buf_truncate(init, start);
		buf_reset(sidecar);
	}
	return r;
}
