/* SPDX-License-Identifier: MIT */
/*
 * vresp: Vault error bodies, retry classes and user hints (see vresp.h).
 * Pure; matches substrings, never whole strings, because the wording of
 * Vault's errors changed across versions (reference §6 open point 1).
 */
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vresp.h"

static bool multierror_header(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return false;
	return (n - i == strlen(" error occurred:") && !memcmp(s + i, " error occurred:", n - i)) ||
	       (n - i == strlen(" errors occurred:") && !memcmp(s + i, " errors occurred:", n - i));
}

/* Appends s line by line: multierror header dropped, bullets stripped, "; " between. */
static int append_clean(struct buf *out, const char *s, bool *first)
{
	int r = 0;

	while (*s && r == 0) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *l = s;

		s += n + (nl ? 1 : 0);
		while (n > 0 && (*l == ' ' || *l == '\t' || *l == '\r')) {
			l++;
			n--;
		}
		while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
			n--;
		if (n >= 2 && l[0] == '*' && l[1] == ' ') {
			l += 2;
			n -= 2;
		}
		if (n == 0 || multierror_header(l, n))
			continue;
		if (!*first)
			r = buf_append_str(out, "; ");
		*first = false;
		for (size_t i = 0; i < n && r == 0; i++) {
			unsigned char c = (unsigned char)l[i];

			r = buf_putc(out, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
		}
	}
	return r;
}

int vresp_errors(const char *body, size_t len, struct buf *out)
{
	cJSON *root;
	const cJSON *errs, *it;
	size_t start = out->len;
	bool first = true;
	int r = 0;

	if (!body || len == 0)
		return 0;
	root = cJSON_ParseWithLength(body, len);
	if (!root)
		return 0;
	errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	cJSON_ArrayForEach(it, errs)
	{
		if (!cJSON_IsString(it))
			continue;
		r = append_clean(out, it->valuestring, &first);
		if (r < 0 || out->len > start + VRESP_ERROR_MAX)
			break;
	}
	cJSON_Delete(root);
	if (out->len > start + VRESP_ERROR_MAX)
		buf_truncate(out, start + VRESP_ERROR_MAX);
	return r == -ENOMEM ? r : 0;
}

bool vresp_invalid_token(int status, const char *errtext)
{
	return status == 403 && errtext && strstr(errtext, "invalid token");
}

bool vresp_http_retryable(int status)
{
	return status == 412 || status == 429 || (status >= 500 && status != 501 && status < 600);
}

bool vresp_sealed(int status, const char *errtext)
{
	return status == 503 && errtext && strstr(errtext, "sealed");
}

static bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

const char *vresp_hint(enum vresp_op op, int status, const char *e)
{
	if (status == 0)
		return "cannot reach Vault: check vault.address (the vault.hashicorp.com/service "
		       "annotation), DNS, network policies, and the TLS settings (ca-cert, "
		       "tls-server-name)";
	if (vresp_sealed(status, e))
		return "Vault is sealed: unseal it (vault operator unseal)";
	if (status == 429)
		return "Vault is rate limiting this client: check the rate-limit quotas";
	if (status == 503 || status == 502 || status == 504)
		return "Vault is unavailable (standby without an active node, or a proxy error)";
	if (vresp_invalid_token(status, e))
		return "the Vault token is no longer valid (revoked or expired); the agent logs in "
		       "again";
	switch (op) {
	case VRESP_OP_LOGIN:
		if (has(e, "invalid role name"))
			return "the role does not exist: check vault.hashicorp.com/role against "
			       "`vault list auth/kubernetes/role`";
		if (has(e, "missing client token"))
			return "the auth mount does not exist: check vault.hashicorp.com/auth-path "
			       "(default auth/kubernetes) and the namespace";
		if (has(e, "service account name not authorized"))
			return "role binding: the role's bound_service_account_names does not "
			       "include this pod's service account";
		if (has(e, "namespace not authorized"))
			return "role binding: the role's bound_service_account_namespaces does not "
			       "include this pod's namespace";
		if (has(e, "could not load backend configuration"))
			return "the kubernetes auth method is not configured: vault write "
			       "auth/kubernetes/config kubernetes_host=…";
		if (has(e, "audience"))
			return "the service-account token's audience does not match the role's "
			       "audience";
		if (has(e, "expired") || has(e, "not yet valid") || has(e, "in the future"))
			return "the service-account token is expired or not yet valid (clock "
			       "skew?)";
		if (status == 403)
			return "Vault rejected the service-account token: check the role binding "
			       "(service account and namespace), the token reviewer setup of the "
			       "auth method, and the token file";
		if (status == 400)
			return "login rejected: check the role name and the auth path";
		break;
	case VRESP_OP_READ:
	case VRESP_OP_MOUNTS:
		if (status == 403)
			return "permission denied: the role's policy does not grant read on this "
			       "path (on KV v2 the policy path needs data/: path "
			       "\"secret/data/<name>\" { capabilities = [\"read\"] })";
		if (status == 404)
			return "no secret at this path: check the path and that the secret exists "
			       "(vault kv get); on a KV v2 mount the API path is "
			       "<mount>/data/<name>";
		if (status == 400)
			return "Vault refused the request: check the path and its ?version= query";
		break;
	case VRESP_OP_RENEW:
		if (status == 403)
			return "the token cannot renew itself: the role's token policies need the "
			       "default policy";
		break;
	case VRESP_OP_REVOKE:
		break;
	}
	if (status >= 500)
		return "Vault had an internal error: check the Vault server logs";
	return "check the Vault server logs for this request";
}
