/* SPDX-License-Identifier: MIT */
/*
 * auth: Kubernetes login, renew-self, revoke-self (see auth.h).
 *
 * Calls are made with no HTTP-client retries: like Vault Agent's auto-auth
 * client (MaxRetries=0), only the caller's own backoff applies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "afile.h"
#include "ascii.h"
#include "auth.h"
#include "log.h"
#include "sched.h"
#include "template/vjson.h"

void auth_token_init(struct auth_token *t)
{
	buf_init_sensitive(&t->value, AUTH_TOKEN_MAX);
	t->lease_ns = 0;
	t->renewable = false;
	t->held = false;
}

void auth_token_drop(struct auth_token *t)
{
	if (t->held && t->value.len > 0)
		log_secret_forget(t->value.data, t->value.len);
	buf_done(&t->value);
	auth_token_init(t);
}

bool auth_token_valid(const struct auth_token *t)
{
	return t->value.len > 0;
}

static int json_string(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int r = buf_putc(out, '"');

	for (; *s && r == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			r = buf_append(out, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			r = buf_append(out, e, 6);
		} else {
			r = buf_putc(out, (char)c);
		}
	}
	if (r == 0)
		r = buf_putc(out, '"');
	return r;
}

int auth_login_body(const char *role, const char *jwt, struct buf *out)
{
	int r = buf_append_str(out, "{\"jwt\":");

	if (r == 0)
		r = json_string(out, jwt);
	if (r == 0)
		r = buf_append_str(out, ",\"role\":");
	if (r == 0)
		r = json_string(out, role);
	if (r == 0)
		r = buf_putc(out, '}');
	return r;
}

int auth_parse(const char *body, size_t len, bool want_token, struct auth_token *t)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *a, *tok, *ld, *rn;
	int64_t secs;
	int r = -EBADMSG;

	if (!root)
		return -EBADMSG;
	a = cJSON_GetObjectItemCaseSensitive(root, "auth");
	if (!cJSON_IsObject(a))
		goto out;
	tok = cJSON_GetObjectItemCaseSensitive(a, "client_token");
	ld = cJSON_GetObjectItemCaseSensitive(a, "lease_duration");
	rn = cJSON_GetObjectItemCaseSensitive(a, "renewable");
	if (want_token) {
		if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0')
			goto out;
		/* Header-safe: printable ASCII only. */
		for (const char *c = tok->valuestring; *c; c++) {
			if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
				goto out;
		}
		if (t->held && t->value.len > 0)
			log_secret_forget(t->value.data, t->value.len);
		t->held = false;
		buf_reset(&t->value);
		r = buf_append_str(&t->value, tok->valuestring);
		if (r < 0)
			goto out;
	}
	t->lease_ns = vjson_int64(ld, &secs) ? sched_seconds_ns(secs) : 0;
	t->renewable = cJSON_IsTrue(rn);
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int auth_read_jwt(const char *path, struct buf *jwt, struct buf *err)
{
	char *text = NULL;
	size_t len = 0, s = 0, e;
	int r;

	r = afile_read(path, AUTH_JWT_MAX, true, &text, &len);
	if (r < 0) {
		if (buf_appendf(err, "reading the service-account token %s: %s", path,
				r == -E2BIG ? "file too large" : strerror(-r)) < 0)
			buf_reset(err);
		return r;
	}
	e = len;
	/* strchr(" \t…", c) would also match the NUL that ends its string */
	while (s < e && ascii_isspace(text[s]))
		s++;
	while (e > s && ascii_isspace(text[e - 1]))
		e--;
	if (e == s) {
		if (buf_appendf(err, "the service-account token %s is empty", path) < 0)
			buf_reset(err);
		r = -ENODATA;
	} else {
		buf_reset(jwt);
		r = buf_append(jwt, text + s, e - s);
	}
	explicit_bzero(text, len);
	free(text);
	return r;
}

int auth_login(struct vault *v, const char *mount_path, const char *role, const char *token_path,
	       struct auth_token *t, struct vault_resp *resp, struct buf *err)
{
	struct buf jwt, body, path;
	bool jwt_held = false;
	int r;

	buf_init_sensitive(&jwt, AUTH_JWT_MAX);
	buf_init_sensitive(&body, AUTH_JWT_MAX + 1024);
	buf_init(&path, 1024);
	r = auth_read_jwt(token_path, &jwt, err);
	if (r < 0)
		goto out;
	/* never log in with a JWT a log line could show (too short to register: never logged) */
	r = log_secret_add(jwt.data, jwt.len);
	if (r < 0 && r != -EINVAL)
		goto out;
	jwt_held = r == 0;
	r = auth_login_body(role, buf_str(&jwt), &body);
	if (r < 0)
		goto out;
	{
		const char *m = mount_path;
		size_t n = strlen(m);

		while (*m == '/')
			m++, n--;
		while (n > 0 && m[n - 1] == '/')
			n--;
		r = buf_appendf(&path, "%.*s/login", (int)n, m);
		if (r < 0)
			goto out;
	}
	r = vault_request(v, "POST", buf_str(&path), NULL, buf_str(&body), 0, resp);
	buf_done(&body); /* wipe the JWT copy at once */
	if (r < 0)
		goto out;
	if (resp->status < 200 || resp->status > 299) {
		r = -EACCES;
		goto out;
	}
	r = auth_parse(resp->body.data, resp->body.len, true, t);
	if (r < 0)
		goto out;
	r = log_secret_add(t->value.data, t->value.len);
	t->held = r == 0;
	if (r == -EINVAL)
		r = 0; /* shorter than LOG_SECRET_MIN: the registry refuses it, nothing logs it */
	if (r < 0)
		auth_token_drop(t); /* a token a log line could show is not used */
out:
	/* the caller logs Vault's answer after the JWT has left the registry */
	log_scrub_in_place(resp->err, sizeof(resp->err));
	if (jwt_held)
		log_secret_forget(jwt.data, jwt.len);
	buf_done(&jwt);
	buf_done(&body);
	buf_done(&path);
	return r;
}

int auth_renew(struct vault *v, struct auth_token *t, struct vault_resp *resp)
{
	int r = vault_request(v, "POST", "auth/token/renew-self", buf_str(&t->value),
			      "{\"increment\":0}", 0, resp);

	if (r < 0)
		return r;
	if (resp->status < 200 || resp->status > 299)
		return -EACCES;
	return auth_parse(resp->body.data, resp->body.len, false, t);
}

int auth_revoke(struct vault *v, const struct auth_token *t, struct vault_resp *resp)
{
	int r =
	    vault_request(v, "POST", "auth/token/revoke-self", buf_str(&t->value), NULL, 0, resp);

	if (r < 0)
		return r;
	return resp->status >= 200 && resp->status <= 299 ? 0 : -EACCES;
}
