/* SPDX-License-Identifier: MIT */
/*
 * astate: status file writer and printer (see astate.h). The JSON is built
 * with cJSON from values that are never secret (paths, times, versions,
 * error texts that the agent itself composed from Vault's error strings).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "astate.h"

static void iso_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		out[0] = '\0';
		return;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool add_time(cJSON *o, const char *k, int64_t t)
{
	char s[32];

	iso_time(t, s);
	if (!s[0])
		return cJSON_AddNullToObject(o, k) != NULL;
	return cJSON_AddStringToObject(o, k, s) != NULL;
}

static bool add_str(cJSON *o, const char *k, const char *v)
{
	if (!v || !v[0])
		return cJSON_AddNullToObject(o, k) != NULL;
	return cJSON_AddStringToObject(o, k, v) != NULL;
}

/* "lease": {"id_suffix", "expires_at", "renewed_at", "renewals", "next", "next_at"} */
static bool add_lease(cJSON *so, const struct astate_secret *sec)
{
	cJSON *l;
	size_t n;
	char suffix[ASTATE_LEASE_SUFFIX + 4];

	if (!sec->lease || !sec->lease[0])
		return add_time(so, "next_read_at", sec->next_at);
	n = strlen(sec->lease);
	snprintf(suffix, sizeof(suffix), "...%s",
		 sec->lease + (n > ASTATE_LEASE_SUFFIX ? n - ASTATE_LEASE_SUFFIX : 0));
	l = cJSON_AddObjectToObject(so, "lease");
	return l && cJSON_AddStringToObject(l, "id_suffix", suffix) &&
	       add_time(l, "expires_at", sec->lease_expires_at) &&
	       add_time(l, "renewed_at", sec->renewed_at) &&
	       cJSON_AddNumberToObject(l, "renewals", (double)sec->renewals) &&
	       cJSON_AddStringToObject(l, "next", sec->renewing ? "renewal" : "read") &&
	       add_time(l, "next_at", sec->next_at);
}

int astate_format(const struct astate *s, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *text = NULL;
	bool ok = root != NULL;
	int r = -ENOMEM;

	ok = ok && cJSON_AddStringToObject(root, "mode", s->mode) &&
	     cJSON_AddNumberToObject(root, "pid", (double)s->pid) &&
	     add_time(root, "started_at", s->started_at) &&
	     add_time(root, "updated_at", s->updated_at) &&
	     cJSON_AddBoolToObject(root, "authenticated", s->authenticated) &&
	     add_time(root, "token_expires_at", s->token_expires_at) &&
	     add_str(root, "last_error", s->last_error);
	arr = ok ? cJSON_AddArrayToObject(root, "templates") : NULL;
	ok = ok && arr;
	for (size_t i = 0; ok && i < s->ntemplates; i++) {
		const struct astate_template *t = &s->templates[i];
		cJSON *o = cJSON_CreateObject(), *secs;

		ok = o && cJSON_AddItemToArray(arr, o);
		if (!ok) {
			cJSON_Delete(o);
			break;
		}
		ok = cJSON_AddStringToObject(o, "destination", t->destination) &&
		     add_time(o, "rendered_at", t->rendered_at) &&
		     add_time(o, "checked_at", t->checked_at) &&
		     cJSON_AddNumberToObject(o, "writes", (double)t->writes) &&
		     add_str(o, "last_error", t->last_error) &&
		     add_time(o, "error_at", t->last_error && t->last_error[0] ? t->error_at : 0);
		secs = ok ? cJSON_AddArrayToObject(o, "secrets") : NULL;
		ok = ok && secs;
		for (size_t j = 0; ok && j < t->nsecrets; j++) {
			cJSON *so = cJSON_CreateObject();

			ok = so && cJSON_AddItemToArray(secs, so);
			if (!ok) {
				cJSON_Delete(so);
				break;
			}
			ok = cJSON_AddStringToObject(so, "path", t->secrets[j].path) &&
			     (t->secrets[j].version >= 0
				  ? cJSON_AddNumberToObject(so, "version",
							    (double)t->secrets[j].version) != NULL
				  : cJSON_AddNullToObject(so, "version") != NULL) &&
			     add_lease(so, &t->secrets[j]);
		}
	}
	if (!ok)
		goto out;
	text = cJSON_PrintUnformatted(root);
	if (!text)
		goto out;
	r = buf_append_str(out, text);
	if (r == 0)
		r = buf_putc(out, '\n');
out:
	free(text);
	cJSON_Delete(root);
	return r;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An ISO time, then "(in 5s)" or "(3s ago)". */
static void print_when(FILE *out, const char *iso, int64_t now)
{
	struct tm tm = { 0 };
	const char *end;
	int64_t d;

	if (!iso) {
		fputs("unknown", out);
		return;
	}
	fputs(iso, out);
	end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return;
	d = (int64_t)timegm(&tm) - now;
	if (d >= 0)
		fprintf(out,
			d < 120	   ? " (in %llds)"
			: d < 7200 ? " (in %lldm)"
				   : " (in %lldh)",
			(long long)(d < 120    ? d
				    : d < 7200 ? d / 60
					       : d / 3600));
	else
		fprintf(out,
			-d < 120    ? " (%llds ago)"
			: -d < 7200 ? " (%lldm ago)"
				    : " (%lldh ago)",
			(long long)(-d < 120	? -d
				    : -d < 7200 ? -d / 60
						: -d / 3600));
}

/* The lease lines of one secret in the text form. */
static void print_lease(FILE *out, const cJSON *s, int64_t now)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(s, "lease");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(l, "renewals");

	if (!cJSON_IsObject(l)) {
		if (jstr(s, "next_read_at")) {
			fputs("    next read:  ", out);
			print_when(out, jstr(s, "next_read_at"), now);
			fputc('\n', out);
		}
		return;
	}
	fprintf(out, "    lease:      %s, expires ",
		jstr(l, "id_suffix") ? jstr(l, "id_suffix") : "?");
	print_when(out, jstr(l, "expires_at"), now);
	fputs("\n    renewed:    ", out);
	if (jstr(l, "renewed_at")) {
		print_when(out, jstr(l, "renewed_at"), now);
		fprintf(out, ", %lld time(s)\n",
			cJSON_IsNumber(n) ? (long long)n->valuedouble : 0LL);
	} else {
		fputs("not yet\n", out);
	}
	fprintf(out, "    next %s: ",
		jstr(l, "next") && strcmp(jstr(l, "next"), "renewal") == 0 ? "renewal"
									   : "read:   ");
	print_when(out, jstr(l, "next_at"), now);
	fputc('\n', out);
}

static void print_ago(FILE *out, const char *iso, int64_t now)
{
	struct tm tm = { 0 };
	const char *end;

	if (!iso) {
		fputs("never", out);
		return;
	}
	fputs(iso, out);
	end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && *end == '\0') {
		int64_t t = (int64_t)timegm(&tm), d = now - t;

		if (d >= 0 && d < 120)
			fprintf(out, " (%llds ago)", (long long)d);
		else if (d >= 120 && d < 7200)
			fprintf(out, " (%lldm ago)", (long long)(d / 60));
		else if (d >= 7200)
			fprintf(out, " (%lldh ago)", (long long)(d / 3600));
	}
}

int astate_print(const char *json, size_t len, bool as_json, int64_t now, FILE *out)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *tpls, *t;
	int r = -EINVAL;

	if (!cJSON_IsObject(root))
		goto out;
	if (as_json) {
		char *s = cJSON_Print(root);

		if (!s) {
			r = -ENOMEM;
			goto out;
		}
		fprintf(out, "%s\n", s);
		free(s);
		r = 0;
		goto out;
	}
	{
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
		const cJSON *auth = cJSON_GetObjectItemCaseSensitive(root, "authenticated");

		fprintf(out, "vaultlet-agent %s, pid %lld, %s\n",
			jstr(root, "mode") ? jstr(root, "mode") : "?",
			cJSON_IsNumber(pid) ? (long long)pid->valuedouble : -1LL,
			cJSON_IsTrue(auth) ? "authenticated" : "not authenticated");
		fputs("  updated:       ", out);
		print_ago(out, jstr(root, "updated_at"), now);
		fputs("\n  token expires: ", out);
		print_ago(out, jstr(root, "token_expires_at"), now);
		fputc('\n', out);
		if (jstr(root, "last_error"))
			fprintf(out, "  last error:    %s\n", jstr(root, "last_error"));
	}
	tpls = cJSON_GetObjectItemCaseSensitive(root, "templates");
	cJSON_ArrayForEach(t, tpls)
	{
		const cJSON *secs = cJSON_GetObjectItemCaseSensitive(t, "secrets"), *s;
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(t, "writes");

		fprintf(out, "%s\n", jstr(t, "destination") ? jstr(t, "destination") : "?");
		fputs("  written:    ", out);
		if (jstr(t, "rendered_at")) {
			long long n = cJSON_IsNumber(w) ? (long long)w->valuedouble : 0;

			print_ago(out, jstr(t, "rendered_at"), now);
			fprintf(out, ", %lld time%s by this agent\n", n, n == 1 ? "" : "s");
		} else if (jstr(t, "checked_at")) {
			/* The sidecar finds what vault-agent-init wrote and leaves it. */
			fputs("not by this agent: the file already held the rendered content\n",
			      out);
		} else {
			fputs("not yet\n", out);
		}
		fputs("  checked:    ", out);
		print_ago(out, jstr(t, "checked_at"), now);
		fputc('\n', out);
		cJSON_ArrayForEach(s, secs)
		{
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "version");

			if (cJSON_IsNumber(v))
				fprintf(out, "  secret:     %s (version %lld)\n",
					jstr(s, "path") ? jstr(s, "path") : "?",
					(long long)v->valuedouble);
			else
				fprintf(out, "  secret:     %s\n",
					jstr(s, "path") ? jstr(s, "path") : "?");
			print_lease(out, s, now);
		}
		if (jstr(t, "last_error")) {
			fprintf(out, "  last error: %s (", jstr(t, "last_error"));
			print_ago(out, jstr(t, "error_at"), now);
			fputs(")\n", out);
		}
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}
