/* SPDX-License-Identifier: MIT */
/*
 * agent: the init/sidecar run loop (see agent.h).
 *
 * DESIGN
 * ------
 * Everything happens in the main thread, as a loop over timers:
 *
 *   login       when there is no usable token, or the lifetime watcher said
 *               "re-authenticate" (max TTL reached, renewals failing until
 *               the grace point) or Vault said "invalid token": read the JWT,
 *               POST <mount>/login; failures wait sched_backoff_next()
 *               (reference §2.2). A new token starts a new "runner": every
 *               secret is fetched again (§2.5).
 *   renew       at 2/3·L + g/3 after the last renewal, the first one right
 *               after login in the sidecar (§2.3); the init container skips
 *               renewal (it lives for one render).
 *   fetch       a secret is due when it was never fetched, when its refresh
 *               time came (D·[0.85, 0.95) for static secrets), or when a
 *               retry is due after an error (0.25 s doubling to 1 min, 12
 *               retries: §2.5), but never later than D (= static_secret_
 *               render_interval) after the error, staggered as a refresh is,
 *               nor sooner than the answer's Retry-After: once Vault answers
 *               again, the newest version is read within D, as if no error
 *               had happened (sched.h says why this adds no load). The
 *               retries end when 12 were made and the 304 s their sleeps
 *               add up to have passed since the first failure. Then: exit 1
 *               with a message naming the path, the status and what to check
 *               (exit_on_retry_failure), or restart the runner after the auth
 *               backoff (which, unlike the retries, grows to max_backoff: a
 *               Vault down for more than five minutes is no longer probed
 *               every D).
 *   render      after fetches, every template is evaluated; a pass that
 *               names secrets not fetched yet schedules them (and loops at
 *               once); a complete pass is compared with the file and written
 *               atomically only when the bytes differ.
 *
 * Then the loop sleeps on the signalfd until the earliest timer. SIGHUP
 * makes every secret due now (re-fetch, re-render); SIGTERM/SIGINT stop
 * the loop between two steps (a write in progress always completes; an
 * HTTP request in progress is abandoned), optionally revoke the token,
 * and return 0.
 *
 * Secrets are cached as the vjson trees of the read responses (numbers
 * keep their literal text), keyed by the canonical path ("path?query"), so
 * a path used by several templates, or written twice, is fetched once per
 * pass. Every string and number in a secret's data is registered with the
 * log scrubber while cached.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "acmd.h"
#include "afile.h"
#include "agent.h"
#include "astate.h"
#include "auth.h"
#include "lease.h"
#include "pkicert.h"
#include "log.h"
#include "sched.h"
#include "template/podfn.h"
#include "template/render.h"
#include "template/vjson.h"
#include "template/vwrite.h"
#include "tmpl.h"
#include "vault.h"
#include "vpath.h"
#include "vresp.h"

#define SECRETS_MAX	     256
#define FETCH_ATTEMPTS_DFLT  12
#define FETCH_BACKOFF_DFLT   (250 * SCHED_MS)
#define FETCH_MAXBACKOFF_DFL (60 * SCHED_SEC)
#define ERRTEXT_MAX	     512
#define TEMPLATE_FILE_MAX    (1024 * 1024)
#define REVOKE_TIMEOUT	     (800 * SCHED_MS)
#define NEVER		     INT64_MAX

enum kv_kind { KV_UNKNOWN, KV_AS_IS, KV_V2 };

/* a string of the secret's response (s->resp), registered for log redaction */
struct registered {
	const char *value;
	size_t len;
};

struct secret {
	char *key;	   /* canonical "path?query"; for a write, the write key (vwrite.h) */
	char *written;	   /* as first written in a template; for a write, its label */
	char *wbody;	   /* the write form's JSON body (PUT); NULL for a read */
	bool list;	   /* `secrets PATH`: a LIST, resp is the sorted array of keys */
	char *pki_dest;	   /* pkiCert: the template's destination, read first */
	int64_t pki_sleep; /* pkiCert: until the certificate is due (goodFor) */
	struct vpath vp;
	enum kv_kind kv;
	char *req; /* escaped request path with query, once known */
	cJSON *resp;
	int64_t version;
	int64_t next_fetch;  /* monotonic ns; 0 = now */
	unsigned retries;    /* failed attempts since the last success */
	int64_t fail_since;  /* monotonic ns of the first of them */
	int64_t retry_after; /* the last answer's Retry-After (429/503), -1 = none */
	int last_status;
	char last_err[ERRTEXT_MAX];
	struct registered *registered; /* values registered with the log scrubber */
	size_t nregistered;
	/* a renewable lease: the lifetime watcher renews it at next_fetch */
	bool watching;
	struct lease_watch lw;
	int64_t lease_expiry_wall; /* unix s; 0 = no lease */
	int64_t renewed_wall;	   /* last successful renewal, unix s */
	int64_t next_wall;	   /* next renewal or read, unix s */
	uint64_t renewals;
	/* `file PATH` (key: RENDER_FILE_KEY + path): polled, not fetched from Vault */
	bool file;
	bool file_read; /* fdata holds the content of fst */
	struct podfn_stat fst;
	char *fdata;
	size_t flen;
};

struct tpl {
	const struct acfg_template *cfg;
	struct tmpl *t;
	int64_t rendered_at, checked_at, error_at;
	uint64_t writes;
	char last_error[ERRTEXT_MAX];
	char *used[ASTATE_SECRETS_MAX];
	size_t nused;
};

struct agent {
	const struct agent_opts *o;
	struct acfg *cfg;
	struct vault *v;
	bool init_mode;
	bool stop;
	bool hup;
	bool sleeping;

	/* token and lifetime watcher */
	struct auth_token tok;
	bool need_login;
	int64_t auth_next;
	struct sched_backoff auth_bo;
	int64_t token_expiry; /* monotonic */
	int64_t token_expiry_wall;
	int64_t renew_at;
	int64_t prior_lease;
	int64_t grace;
	unsigned renew_errors;

	/* fetch retry schedule */
	unsigned fetch_attempts;
	int64_t fetch_backoff, fetch_maxbackoff;
	int64_t fetch_budget; /* sched_retry_budget() of the above */
	struct sched_backoff runner_bo;

	struct secret *secrets[SECRETS_MAX];
	size_t nsecrets;
	struct tpl *tpls;
	size_t ntpls;

	char *status_path;
	struct buf status_text; /* last written, to skip identical rewrites */
	int64_t started_wall;
	char last_error[ERRTEXT_MAX];
	bool state_dirty;
	bool final_status;
};

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

/* Reads pending signals; returns true when the current wait should end. */
static bool on_wake(void *ctx)
{
	struct agent *a = ctx;
	struct signalfd_siginfo si;
	bool end = false;

	while (read(a->o->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			if (!a->stop)
				log_info("received %s, shutting down",
					 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			a->stop = true;
			end = true;
		} else if (si.ssi_signo == SIGHUP) {
			log_info("received SIGHUP, re-reading secrets and re-rendering");
			a->hup = true;
			if (a->sleeping)
				end = true;
		}
	}
	return end;
}

/* ---- secrets ----------------------------------------------------------- */

static void secret_unregister(struct secret *s)
{
	/* before the response they point into is deleted */
	for (size_t i = 0; i < s->nregistered; i++)
		log_secret_forget(s->registered[i].value, s->registered[i].len);
	free(s->registered);
	s->registered = NULL;
	s->nregistered = 0;
}

/* Registers the secret's strings for log redaction; returns how many could not be. */
static size_t register_strings(struct secret *s, const cJSON *n, size_t depth)
{
	const cJSON *c;
	size_t missed = 0;

	if (!n || depth > 64)
		return 0;
	/* strings (NULs included) and numbers as Vault wrote them: a PIN is a secret too */
	if (cJSON_IsString(n) || (cJSON_IsNumber(n) && vjson_number_text(n))) {
		const char *text = cJSON_IsString(n) ? n->valuestring : vjson_number_text(n);
		size_t len = cJSON_IsString(n) ? vjson_string_len(n) : strlen(text);
		struct registered *grown;

		if (len < LOG_SECRET_MIN)
			return 0;
		if (s->nregistered >= 256)
			return 1;
		grown = realloc(s->registered, (s->nregistered + 1) * sizeof(*grown));
		if (!grown)
			return 1;
		s->registered = grown;
		if (log_secret_add(text, len) < 0)
			return 1;
		s->registered[s->nregistered++] = (struct registered){ text, len };
		return 0;
	}
	cJSON_ArrayForEach(c, n)
	{
		missed += register_strings(s, c, depth + 1);
	}
	return missed;
}

static void secret_free(struct secret *s)
{
	if (!s)
		return;
	secret_unregister(s);
	cJSON_Delete(s->resp);
	vpath_done(&s->vp);
	free(s->key);
	free(s->written);
	free(s->wbody);
	free(s->pki_dest);
	free(s->req);
	if (s->fdata) {
		log_secret_forget(s->fdata, s->flen);
		explicit_bzero(s->fdata, s->flen);
		free(s->fdata);
	}
	free(s);
}

static struct secret *secret_find(struct agent *a, const char *written)
{
	struct vpath vp = { 0 };
	struct buf err, key;
	struct secret *found = NULL;

	if (written[0] == RENDER_FILE_KEY) {
		for (size_t i = 0; i < a->nsecrets; i++)
			if (a->secrets[i]->file && strcmp(a->secrets[i]->key, written) == 0)
				return a->secrets[i];
		return NULL;
	}
	if (vwrite_is_key(written) || vwrite_is_list_key(written)) {
		for (size_t i = 0; i < a->nsecrets; i++)
			if ((a->secrets[i]->wbody || a->secrets[i]->list) &&
			    strcmp(a->secrets[i]->key, written) == 0)
				return a->secrets[i];
		return NULL;
	}
	/* the usual case, every call of a template spelling the path the same way */
	for (size_t i = 0; i < a->nsecrets; i++) {
		if (strcmp(a->secrets[i]->written, written) == 0)
			return a->secrets[i];
	}
	/* else maybe the same secret written another way: compare normalised keys */
	buf_init(&err, 256);
	buf_init(&key, VPATH_MAX * 2);
	if (vpath_parse(written, &vp, &err) == 0 && vpath_key(&vp, &key) == 0) {
		for (size_t i = 0; i < a->nsecrets; i++) {
			if (strcmp(a->secrets[i]->key, buf_str(&key)) == 0) {
				found = a->secrets[i];
				break;
			}
		}
	}
	vpath_done(&vp);
	buf_done(&err);
	buf_done(&key);
	return found;
}

/*
 * A secret of the write form: PUT <path> with the key's body, no mounts
 * discovery (consul-template's VaultWriteQuery), shown by its label.
 */
static int write_secret_init(struct secret *s, const char *wkey)
{
	struct buf label, req;
	const char *body;
	size_t plen;
	char *path;
	int r = -ENOMEM;

	const char *dest = strchr(wkey, VWRITE_PKI);

	vwrite_split(wkey, &plen, &body);
	buf_init(&label, VPATH_MAX * 2);
	buf_init(&req, VPATH_MAX * 3);
	path = strndup(wkey, plen);
	if (!path)
		goto out;
	r = dest ? buf_appendf(&label, "vault.pki(%s -> %s)", path, dest + 1)
		 : vwrite_label(wkey, &label);
	if (r == 0)
		r = vpath_escape(path, &req);
	if (r < 0)
		goto out;
	s->key = strdup(wkey);
	s->wbody = dest ? strndup(body, (size_t)(dest - body)) : strdup(body);
	if (dest) {
		s->pki_dest = strdup(dest + 1);
		if (!s->pki_dest)
			goto out;
	}
	s->written = buf_take(&label, NULL);
	s->req = buf_take(&req, NULL);
	s->kv = KV_AS_IS;
	r = s->key && s->wbody && s->written && s->req ? 0 : -ENOMEM;
out:
	free(path);
	buf_done(&label);
	buf_done(&req);
	return r;
}

/*
 * A `secrets PATH` list: mounts discovery as for a read (a KV v2 path is
 * listed under metadata/), GET ?list=true, shown as vault.list(PATH).
 */
static int list_secret_init(struct secret *s, const char *lkey, struct buf *err)
{
	size_t plen = strlen(lkey) - 1;
	char *path = strndup(lkey, plen);
	struct buf label;
	int r = -ENOMEM;

	buf_init(&label, VPATH_MAX * 2);
	if (!path)
		goto out;
	r = vpath_parse(path, &s->vp, err);
	if (r == 0)
		r = buf_appendf(&label, "vault.list(%s)", path);
	if (r < 0)
		goto out;
	s->list = true;
	s->key = strdup(lkey);
	s->written = buf_take(&label, NULL);
	r = s->key && s->written ? 0 : -ENOMEM;
out:
	free(path);
	buf_done(&label);
	return r;
}

/* consul-template's shimKvV2ListPath: a KV v2 path is listed under <mount>/metadata. */
static int list_kv2_path(const char *path, const char *mount, struct buf *out)
{
	size_t ml = strlen(mount);

	while (ml && mount[ml - 1] == '/')
		ml--;
	if (strncmp(path, mount, ml) != 0 || (path[ml] != '/' && path[ml] != '\0'))
		return buf_append_str(out, path);
	if (strncmp(path + ml, "/metadata", 9) == 0 &&
	    (path[ml + 9] == '/' || path[ml + 9] == '\0'))
		return buf_append_str(out, path);
	return buf_appendf(out, "%.*s/metadata%s", (int)ml, mount, path + ml);
}

/* Adds a secret to fetch; 0, or -EINVAL with the reason in err. */
static int secret_add(struct agent *a, const char *written, struct buf *err)
{
	struct secret *s;
	struct buf key;
	int r;

	if (secret_find(a, written))
		return 0;
	if (a->nsecrets == SECRETS_MAX) {
		if (buf_append_str(err, "too many distinct secret paths") < 0)
			buf_reset(err);
		return -E2BIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->version = -1;
	s->retry_after = -1;
	if (written[0] == RENDER_FILE_KEY) {
		/* consul-template's FileQuery, shown as file(PATH) */
		size_t n = strlen(written) + sizeof("file()");

		s->file = true;
		s->key = strdup(written);
		s->written = malloc(n);
		if (!s->key || !s->written) {
			secret_free(s);
			return -ENOMEM;
		}
		snprintf(s->written, n, "file(%s)", written + 1);
		a->secrets[a->nsecrets++] = s;
		return 0;
	}
	if (vwrite_is_key(written) || vwrite_is_list_key(written)) {
		r = vwrite_is_key(written) ? write_secret_init(s, written)
					   : list_secret_init(s, written, err);
		if (r < 0) {
			secret_free(s);
			return r;
		}
		a->secrets[a->nsecrets++] = s;
		return 0;
	}
	buf_init(&key, VPATH_MAX * 2);
	r = vpath_parse(written, &s->vp, err);
	if (r == 0)
		r = vpath_key(&s->vp, &key);
	if (r == 0) {
		s->key = buf_take(&key, NULL);
		s->written = strdup(written);
		if (!s->key || !s->written)
			r = -ENOMEM;
	}
	buf_done(&key);
	if (r < 0) {
		secret_free(s);
		return r;
	}
	a->secrets[a->nsecrets++] = s;
	return 0;
}

static const cJSON *lookup_secret(void *ctx, const char *path)
{
	struct agent *a = ctx;
	struct secret *s = secret_find(a, path);

	return s ? s->resp : NULL;
}

static void set_err(char *dst, size_t n, const char *fmt, ...) VL_PRINTF(3, 4);

/* render_opts.file: the content of a `file` dependency once read. */
static bool lookup_file(void *ctx, const char *path, const char **ret_data, size_t *ret_len)
{
	struct agent *a = ctx;

	for (size_t i = 0; i < a->nsecrets; i++) {
		struct secret *s = a->secrets[i];

		if (s->file && s->file_read && strcmp(s->key + 1, path) == 0) {
			*ret_data = s->fdata ? s->fdata : "";
			*ret_len = s->flen;
			return true;
		}
	}
	return false;
}

/*
 * One check of a `file` dependency, as consul-template's FileQuery: a
 * stat, and a read when the size, modification time (or inode) changed or
 * it was never read. 1 when the content is new, 0 when unchanged (also a
 * file touched or replaced with the same bytes: consul-template's view
 * drops equal data, so the template is not executed again),
 * -errno with the error in s->last_err ("file(P): stat P: ...").
 */
static int file_poll(struct secret *s)
{
	const char *path = s->key + 1;
	struct podfn_stat st;
	struct buf err;
	char *data = NULL;
	size_t len = 0;
	int r;

	buf_init(&err, ERRTEXT_MAX);
	r = podfn_stat(path, &st, &err);
	if (r == 0 && s->file_read && podfn_stat_same(&st, &s->fst)) {
		buf_done(&err);
		return 0;
	}
	if (r == 0)
		r = podfn_read(path, &st, &data, &len, &err);
	if (r < 0) {
		set_err(s->last_err, sizeof(s->last_err), "%s",
			err.len ? buf_str(&err) : strerror(-r));
		buf_done(&err);
		return r;
	}
	buf_done(&err);
	if (s->file_read && len == s->flen && memcmp(data, s->fdata ? s->fdata : "", len) == 0) {
		/* touched, same bytes: consul-template's view sees equal data, no execution */
		s->fst = st;
		explicit_bzero(data, len);
		free(data);
		return 0;
	}
	if (s->fdata) {
		log_secret_forget(s->fdata, s->flen);
		explicit_bzero(s->fdata, s->flen);
		free(s->fdata);
	}
	s->fdata = data;
	s->flen = len;
	s->fst = st;
	s->file_read = true;
	s->last_err[0] = '\0';
	/* the content may be a secret: never in a log line */
	if (len >= LOG_SECRET_MIN && log_secret_add(data, len) < 0)
		log_warn("the content of %s is not in the log redaction list", s->written);
	return 1;
}

/* Returns the KV v2 metadata.version of a read answer, or -1. */
static int64_t kv2_version(const cJSON *resp)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(resp, "data");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(d, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "version");
	int64_t version;

	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(d, "data")) ||
	    !vjson_int64(v, &version))
		return -1;
	return version;
}

/* A KV v2 answer for a deleted or destroyed version. */
static bool kv2_deleted(const cJSON *resp)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(resp, "data");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(d, "metadata");
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(m, "deletion_time");
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(m, "destroyed");
	struct tm tm = { 0 };

	if (!cJSON_IsObject(m))
		return false;
	if (cJSON_IsTrue(ds) || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(d, "data")))
		return true;
	if (cJSON_IsString(dt) && dt->valuestring[0]) {
		const char *end = strptime(dt->valuestring, "%Y-%m-%dT%H:%M:%S", &tm);

		/* a deletion time in the past: deleted; in the future: still readable */
		return !end || (int64_t)timegm(&tm) <= wall_s();
	}
	return false;
}

enum fetch_outcome { FETCH_OK, FETCH_ERROR, FETCH_INVALID_TOKEN, FETCH_CANCELED };

static void set_err(char *dst, size_t n, const char *fmt, ...) VL_PRINTF(3, 4);
static void set_err(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	/* formatted whole, scrubbed, then cut: it goes to the status file and the log */
	va_start(ap, fmt);
	log_scrub_vformat(dst, n, fmt, ap);
	va_end(ap);
}

/*
 * Whether Vault still accepts our token, for a 403 whose text does not say
 * "invalid token": older Vault (< 1.16) answers a revoked or expired token
 * with a bare "permission denied", the same words as a policy denial. The
 * default policy lets every token look itself up, so a 403 on lookup-self
 * means the token is gone. Returns true when the token is invalid.
 */
static bool token_rejected(struct agent *a)
{
	struct vault_resp resp;
	bool bad;
	int r;

	vault_resp_init(&resp);
	r = vault_request(a->v, "GET", "auth/token/lookup-self", buf_str(&a->tok.value), NULL, 0,
			  &resp);
	bad = r == 0 && resp.status == 403;
	vault_resp_done(&resp);
	return bad;
}

/*
 * GETs path with the agent's token on behalf of s. FETCH_OK when Vault
 * answered (the caller looks at resp->status), FETCH_CANCELED, FETCH_ERROR
 * when no answer came, FETCH_INVALID_TOKEN when Vault refused the token;
 * s->last_err says why, prefixed with what.
 */
static enum fetch_outcome vault_get(struct agent *a, struct secret *s, const char *path,
				    const char *body, const char *what, struct vault_resp *resp)
{
	int r = vault_request(a->v, body ? "PUT" : "GET", path, buf_str(&a->tok.value), body,
			      (unsigned)a->o->http_retries, resp);

	if (r == -ECANCELED)
		return FETCH_CANCELED;
	s->retry_after = -1;
	if (r < 0) {
		s->last_status = 0;
		set_err(s->last_err, sizeof(s->last_err), "%s%s", what, resp->err);
		return FETCH_ERROR;
	}
	s->last_status = resp->status;
	if (resp->status == 429 || resp->status == 503)
		s->retry_after = resp->retry_after_ns;
	if (vresp_invalid_token(resp->status, resp->err) ||
	    (resp->status == 403 && token_rejected(a))) {
		set_err(s->last_err, sizeof(s->last_err), "%s", resp->err);
		return FETCH_INVALID_TOKEN;
	}
	return FETCH_OK;
}

/* Works out the request path (mounts discovery for v1-style paths). */
static enum fetch_outcome discover(struct agent *a, struct secret *s)
{
	struct buf path, req;
	struct vault_resp resp;
	enum fetch_outcome out = FETCH_ERROR;
	int r;

	buf_init(&path, VPATH_MAX * 3);
	buf_init(&req, VPATH_MAX * 3);
	vault_resp_init(&resp);
	if (vpath_is_explicit_kv2(s->vp.path)) {
		s->kv = KV_AS_IS;
		r = vpath_escape(s->vp.path, &req);
		goto query;
	}
	r = buf_append_str(&path, "sys/internal/ui/mounts/");
	if (r == 0)
		r = vpath_escape(s->vp.path, &path);
	if (r < 0)
		goto done;
	out = vault_get(a, s, buf_str(&path), NULL, "mounts lookup: ", &resp);
	if (out != FETCH_OK)
		goto done;
	out = FETCH_ERROR;
	if (resp.status >= 500 || resp.status == 429 || resp.status == 412) {
		set_err(s->last_err, sizeof(s->last_err), "mounts lookup: %d %s", resp.status,
			resp.err);
		goto done;
	}
	s->kv = KV_AS_IS;
	if (resp.status == 200) {
		cJSON *m = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "data");
		const cJSON *opt = cJSON_GetObjectItemCaseSensitive(d, "options");
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(opt, "version");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "type");
		const cJSON *mp = cJSON_GetObjectItemCaseSensitive(d, "path");

		if (cJSON_IsString(ver) && strcmp(ver->valuestring, "2") == 0 &&
		    (!cJSON_IsString(type) || strcmp(type->valuestring, "kv") == 0 ||
		     strcmp(type->valuestring, "generic") == 0) &&
		    cJSON_IsString(mp)) {
			struct buf shimmed;

			buf_init(&shimmed, VPATH_MAX * 2);
			if ((s->list ? list_kv2_path(s->vp.path, mp->valuestring, &shimmed)
				     : vpath_kv2(s->vp.path, mp->valuestring, &shimmed)) == 0) {
				s->kv = KV_V2;
				r = vpath_escape(buf_str(&shimmed), &req);
			}
			buf_done(&shimmed);
		}
		cJSON_Delete(m);
	} else {
		log_emit(LOG_WARN,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("status", resp.status),
				    LOG_STR("error", resp.err)),
			 "mounts lookup failed, reading the path as written");
	}
	if (s->kv == KV_AS_IS)
		r = vpath_escape(s->vp.path, &req);
query:
	if (r == 0 && s->list)
		r = buf_append_str(&req, "?list=true");
	else if (r == 0 && s->vp.query[0])
		r = buf_appendf(&req, "?%s", s->vp.query);
	if (r == 0) {
		free(s->req);
		s->req = buf_take(&req, NULL);
		r = s->req ? 0 : -ENOMEM;
	}
	if (r < 0) {
		s->kv = KV_UNKNOWN;
		set_err(s->last_err, sizeof(s->last_err), "path too long");
		goto done;
	}
	out = FETCH_OK;
done:
	vault_resp_done(&resp);
	buf_done(&path);
	buf_done(&req);
	return out;
}

/*
 * After a read: a renewable lease goes to the lifetime watcher (first
 * renewal right away, as consul-template starts its watcher on the next
 * fetch); anything else is read again after leaseCheckWait (lease.h).
 */
static int64_t refresh_delay(struct agent *a, struct secret *s)
{
	int64_t wait = 0;

	if (s->pki_dest) {
		s->watching = false;
		return s->pki_sleep;
	}
	if (s->list) {
		/* VaultListQuery: again after VaultDefaultLeaseDuration, no stagger */
		s->watching = false;
		return a->cfg->static_secret_render_interval_ns;
	}
	s->lease_expiry_wall =
	    lease_id(s->resp)[0] ? wall_s() + lease_duration_ns(s->resp) / SCHED_SEC : 0;
	if (lease_renewable(s->resp)) {
		lease_watch_start(&s->lw, lease_duration_ns(s->resp), sched_random());
		s->watching = true;
		return 0;
	}
	s->watching = false;
	if (lease_check_wait(s->resp, wall_s(), a->cfg->static_secret_render_interval_ns,
			     a->cfg->lease_renewal_threshold, sched_random(), &wait) < 0) {
		/* a rotating secret answered ttl 0: consul-template retries it */
		log_emit(LOG_INFO, LOG_FIELDS(LOG_STR("path", s->written)),
			 "rotating secret answered ttl 0, reading it again shortly");
		return a->fetch_backoff;
	}
	return wait;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * A LIST answer into s->resp: data.keys sorted (Go's sort.Strings), an
 * empty list for a 404 or an answer without keys; -EINVAL for anything but
 * strings, as consul-template refuses it.
 */
static int list_answer(struct secret *s, const struct vault_resp *resp)
{
	cJSON *tree = NULL, *arr = NULL;
	const cJSON *keys = NULL, *k;
	const char **v = NULL;
	size_t n = 0;
	int r = -EINVAL;

	if (resp->status == 200) {
		tree = cJSON_ParseWithLength(resp->body.data, resp->body.len);
		keys = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(tree, "data"), "keys");
		if (!tree || (keys && !cJSON_IsArray(keys))) {
			set_err(s->last_err, sizeof(s->last_err), "%s: unexpected response",
				s->written);
			goto out;
		}
	}
	v = calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof(*v));
	arr = cJSON_CreateArray();
	if (!v || !arr) {
		r = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(k, keys)
	{
		if (!cJSON_IsString(k)) {
			set_err(s->last_err, sizeof(s->last_err), "%s: non-string in list",
				s->written);
			goto out;
		}
		v[n++] = k->valuestring;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]))) {
			r = -ENOMEM;
			goto out;
		}
	}
	secret_unregister(s);
	(void)register_strings(s, arr, 0);
	cJSON_Delete(s->resp);
	s->resp = arr;
	arr = NULL;
	s->last_err[0] = '\0';
	r = 0;
out:
	cJSON_Delete(arr);
	cJSON_Delete(tree);
	free(v);
	return r;
}

/*
 * pkiCert: the certificate already in the template's destination while
 * goodFor says so (no request), else PUT the issue path; the answer's PEMs
 * become the value (pkicert.h). consul-template's VaultPKIQuery.Fetch.
 */
static enum fetch_outcome pki_fetch(struct agent *a, struct secret *s)
{
	struct timespec ts;
	struct vault_resp resp;
	struct buf pems;
	enum fetch_outcome out = FETCH_ERROR;
	cJSON *obj = NULL, *tree = NULL;
	char *text = NULL;
	size_t len = 0;
	int64_t nb, na, now_ms, sleep_ms = 0;
	bool reused = false;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	vault_resp_init(&resp);
	buf_init_sensitive(&pems, VAULT_RESP_MAX);
	if (s->pki_dest[0] && afile_read(s->pki_dest, TEMPLATE_FILE_MAX, true, &text, &len) == 0 &&
	    len > 0 && pkicert_parse(text, len, &obj, &nb, &na) == 0 &&
	    pkicert_good_for(nb, na, now_ms, a->cfg->lease_renewal_threshold, &sleep_ms)) {
		reused = true;
		goto have;
	}
	cJSON_Delete(obj);
	obj = NULL;
	out = vault_get(a, s, s->req, s->wbody, "", &resp);
	if (out != FETCH_OK)
		goto done;
	out = FETCH_ERROR;
	if (resp.status != 200) {
		set_err(s->last_err, sizeof(s->last_err), "%s",
			resp.err[0] ? resp.err : "unexpected answer");
		goto done;
	}
	tree = cJSON_ParseWithLength(resp.body.data, resp.body.len);
	if (!tree ||
	    pkicert_answer_pems(cJSON_GetObjectItemCaseSensitive(tree, "data"), &pems) < 0 ||
	    pkicert_parse(pems.data ? pems.data : "", pems.len, &obj, &nb, &na) < 0) {
		set_err(s->last_err, sizeof(s->last_err), "no certificate in the answer of %s",
			s->written);
		goto done;
	}
	if (!pkicert_good_for(nb, na, now_ms, a->cfg->lease_renewal_threshold, &sleep_ms)) {
		set_err(
		    s->last_err, sizeof(s->last_err),
		    "the certificate from %s is due for renewal as soon as issued (ttl too short?)",
		    s->written);
		goto done;
	}
have:
	log_emit(LOG_DEBUG,
		 LOG_FIELDS(LOG_STR("path", s->written),
			    LOG_STR("source", reused ? "destination" : "vault"),
			    LOG_INT("next_s", sleep_ms / 1000)),
		 "pki certificate");
	secret_unregister(s);
	(void)register_strings(s, obj, 0);
	cJSON_Delete(s->resp);
	s->resp = obj;
	obj = NULL;
	s->pki_sleep = sleep_ms * SCHED_MS;
	s->last_err[0] = '\0';
	out = FETCH_OK;
done:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	cJSON_Delete(obj);
	cJSON_Delete(tree);
	buf_done(&pems);
	vault_resp_done(&resp);
	return out;
}

/* One fetch of s (discovery first when needed). */
static enum fetch_outcome fetch(struct agent *a, struct secret *s)
{
	struct vault_resp resp;
	enum fetch_outcome out;
	cJSON *tree = NULL;
	struct vjson_error je;
	size_t missed;
	int r;

	if (s->pki_dest)
		return pki_fetch(a, s);
	if (s->kv == KV_UNKNOWN) {
		out = discover(a, s);
		if (out != FETCH_OK)
			return out;
	}
	vault_resp_init(&resp);
	out = vault_get(a, s, s->req, s->wbody, "", &resp);
	if (out != FETCH_OK)
		goto done;
	out = FETCH_ERROR;
	if (s->wbody && resp.status == 204) {
		/* a write without an answer (KV v1): a secret without data */
		static const char empty[] =
		    "{\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":null}";

		buf_reset(&resp.body);
		if (buf_append(&resp.body, empty, sizeof(empty) - 1) < 0)
			goto done;
		resp.status = 200;
	}
	if (s->list && (resp.status == 404 || resp.status == 200)) {
		out = list_answer(s, &resp) == 0 ? FETCH_OK : FETCH_ERROR;
		goto done;
	}
	if (resp.status == 404) {
		set_err(s->last_err, sizeof(s->last_err), "no secret exists at %s", s->written);
		goto done;
	}
	if (resp.status != 200) {
		set_err(s->last_err, sizeof(s->last_err), "%s",
			resp.err[0] ? resp.err : "unexpected answer");
		goto done;
	}
	r = vjson_parse(resp.body.data, resp.body.len, &tree, &je);
	if (r < 0 || !cJSON_IsObject(tree)) {
		set_err(s->last_err, sizeof(s->last_err), "malformed JSON from Vault (offset %zu)",
			r < 0 ? je.offset : 0);
		goto done;
	}
	if (!s->wbody && (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(tree, "data")) ||
			  kv2_deleted(tree))) {
		set_err(s->last_err, sizeof(s->last_err), "no secret exists at %s", s->written);
		goto done;
	}
	secret_unregister(s);
	missed = register_strings(s, cJSON_GetObjectItemCaseSensitive(tree, "data"), 0);
	if (missed)
		log_warn("%zu strings of %s are not in the log redaction list (at most 256 a "
			 "secret); templates' own errors still hide them",
			 missed, s->written);
	cJSON_Delete(s->resp);
	s->resp = tree;
	tree = NULL;
	s->version = kv2_version(s->resp);
	s->last_err[0] = '\0';
	out = FETCH_OK;
done:
	cJSON_Delete(tree);
	vault_resp_done(&resp);
	return out;
}

/* ---- leases ------------------------------------------------------------ */

enum lease_outcome { LEASE_RENEWED, LEASE_DONE, LEASE_CANCELED, LEASE_INVALID_TOKEN };

/*
 * One step of s's lifetime watcher: PUT sys/leases/renew {"increment":0,
 * "lease_id":…} (what the Vault API's Sys().Renew sends for a watcher
 * without an increment). LEASE_RENEWED with s->next_fetch set to the next
 * renewal; LEASE_DONE when the path must be read again (an error, with
 * RenewBehaviorErrorOnErrors, or a lease no longer extended).
 */
static enum lease_outcome renew_lease(struct agent *a, struct secret *s, int64_t now)
{
	enum lease_outcome out = LEASE_DONE;
	struct vault_resp resp;
	cJSON *body = cJSON_CreateObject(), *ans = NULL;
	char *text = NULL;
	int64_t lease, sleep;
	int r;

	vault_resp_init(&resp);
	if (!body || !cJSON_AddNumberToObject(body, "increment", 0) ||
	    !cJSON_AddStringToObject(body, "lease_id", lease_id(s->resp)))
		goto out;
	text = cJSON_PrintUnformatted(body);
	if (!text)
		goto out;
	r = vault_request(a->v, "PUT", "sys/leases/renew", buf_str(&a->tok.value), text,
			  (unsigned)a->o->http_retries, &resp);
	if (r == -ECANCELED) {
		out = LEASE_CANCELED;
		goto out;
	}
	if (r == 0 && (vresp_invalid_token(resp.status, resp.err) ||
		       (resp.status == 403 && token_rejected(a)))) {
		set_err(s->last_err, sizeof(s->last_err), "%s", resp.err);
		out = LEASE_INVALID_TOKEN;
		goto out;
	}
	if (r < 0 || resp.status != 200) {
		log_emit(LOG_WARN,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("status", resp.status),
				    LOG_STR("error", resp.err[0] ? resp.err : strerror(-r))),
			 "renewing the secret's lease failed, reading the secret again");
		goto out;
	}
	ans = cJSON_ParseWithLength(resp.body.data, resp.body.len);
	lease = lease_duration_ns(ans);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "renewable"))) {
		log_emit(LOG_INFO, LOG_FIELDS(LOG_STR("path", s->written)),
			 "the secret's lease is no longer renewable, reading the secret again");
		goto out;
	}
	s->renewals++;
	s->renewed_wall = wall_s();
	s->lease_expiry_wall = s->renewed_wall + lease / SCHED_SEC;
	a->state_dirty = true;
	if (!lease_watch_renewed(&s->lw, lease, sched_random(), &sleep)) {
		log_emit(
		    LOG_INFO,
		    LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("ttl_s", lease / SCHED_SEC)),
		    "renewed the secret's lease; near its max TTL, reading the secret again");
		goto out;
	}
	s->next_fetch = now + sleep;
	s->next_wall = s->renewed_wall + sleep / SCHED_SEC;
	log_emit(LOG_INFO,
		 LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("ttl_s", lease / SCHED_SEC),
			    LOG_INT("next_ms", sleep / SCHED_MS)),
		 "renewed secret lease");
	out = LEASE_RENEWED;
out:
	cJSON_Delete(ans);
	cJSON_free(text);
	cJSON_Delete(body);
	vault_resp_done(&resp);
	return out;
}

/* ---- token ------------------------------------------------------------- */

static void write_sinks(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->nsinks; i++) {
		const char *p = a->cfg->sinks[i];
		int r = afile_mkparents(p, 0755);

		if (r == 0)
			r = afile_write(p, a->tok.value.data, a->tok.value.len, 0600);
		if (r < 0)
			log_emit(LOG_ERROR,
				 LOG_FIELDS(LOG_STR("path", p), LOG_STR("error", strerror(-r))),
				 "writing the token sink failed");
		else
			log_emit(LOG_DEBUG, LOG_FIELDS(LOG_STR("path", p)),
				 "token written to sink");
	}
}

static void schedule_renewal(struct agent *a, int64_t now, int64_t lease)
{
	int64_t sleep;

	if (a->token_expiry == NEVER) {
		/* lease_duration 0: a token that does not expire needs no watcher */
		a->renew_at = NEVER;
		return;
	}
	if (lease > a->prior_lease)
		a->grace = sched_grace(lease, sched_random());
	sleep = sched_renew_sleep(lease, a->grace);
	if (lease <= 0 || sched_renew_done(lease, a->grace, sleep)) {
		/* Renewal no longer extends the token: log in again now. */
		log_emit(LOG_INFO, LOG_FIELDS(LOG_INT("ttl_s", lease / SCHED_SEC)),
			 "token near its max TTL, re-authenticating");
		a->need_login = true;
		a->auth_next = now;
		a->renew_at = NEVER;
		return;
	}
	a->prior_lease = lease;
	a->renew_at = now + sleep;
}

/* The token's expiry from its lease, on both clocks (NEVER without a lease). */
static void set_expiry(struct agent *a, int64_t now)
{
	a->token_expiry = a->tok.lease_ns > 0 ? now + a->tok.lease_ns : NEVER;
	a->token_expiry_wall = a->tok.lease_ns > 0 ? wall_s() + a->tok.lease_ns / SCHED_SEC : 0;
}

/* No secret is fetched before until (the runner restarting after a backoff). */
static void hold_fetches(struct agent *a, int64_t until)
{
	for (size_t i = 0; i < a->nsecrets; i++) {
		if (a->secrets[i]->next_fetch < until)
			a->secrets[i]->next_fetch = until;
	}
}

static void fail_state(struct agent *a, const char *fmt, ...) VL_PRINTF(2, 3);
static void fail_state(struct agent *a, const char *fmt, ...)
{
	va_list ap;

	/* formatted whole, scrubbed, then cut: it goes to the status file and the log */
	va_start(ap, fmt);
	log_scrub_vformat(a->last_error, sizeof(a->last_error), fmt, ap);
	va_end(ap);
	a->state_dirty = true;
}

/* Returns 0, -ECANCELED, or -EPERM (give up: exit_on_err). */
static int do_login(struct agent *a, int64_t now)
{
	struct auth_token nt;
	struct vault_resp resp;
	struct buf err;
	int r;

	auth_token_init(&nt);
	vault_resp_init(&resp);
	buf_init(&err, 512);
	r = auth_login(a->v, a->cfg->mount_path, a->cfg->role, a->cfg->token_path, &nt, &resp,
		       &err);
	if (r == -ECANCELED)
		goto out;
	if (r < 0) {
		int64_t wait;
		const char *why = err.len ? buf_str(&err) : resp.err[0] ? resp.err : strerror(-r);

		const char *hint = err.len ? "check auto_auth.method.config.token_path and the "
					     "service-account token volume of the pod"
					   : vresp_hint(VRESP_OP_LOGIN, resp.status, resp.err);

		if (r == -EBADMSG)
			why = "the login answer carried no token";
		log_emit(LOG_ERROR,
			 LOG_FIELDS(LOG_STR("mount_path", a->cfg->mount_path),
				    LOG_STR("role", a->cfg->role), LOG_INT("status", resp.status),
				    LOG_STR("error", why), LOG_STR("hint", hint)),
			 "login failed");
		fail_state(a, "login failed (status %d): %s", resp.status, why);
		if (a->cfg->exit_on_err) {
			r = -EPERM;
			goto out;
		}
		wait = sched_backoff_next(&a->auth_bo, sched_random());
		if ((resp.status == 429 || resp.status == 503) && resp.retry_after_ns > wait)
			wait = resp.retry_after_ns; /* already at most SCHED_RETRY_AFTER_MAX */
		a->auth_next = now + wait;
		log_emit(LOG_INFO, LOG_FIELDS(LOG_INT("backoff_ms", wait / SCHED_MS)),
			 "retrying login after backoff");
		r = 0;
		goto out;
	}
	sched_backoff_reset(&a->auth_bo, sched_random());
	auth_token_drop(&a->tok);
	a->tok = nt;
	auth_token_init(&nt);
	a->need_login = false;
	set_expiry(a, now);
	a->prior_lease = a->tok.lease_ns;
	a->grace = sched_grace(a->tok.lease_ns, sched_random());
	a->renew_errors = 0;
	log_emit(LOG_INFO,
		 LOG_FIELDS(LOG_STR("role", a->cfg->role),
			    LOG_INT("ttl_s", a->tok.lease_ns / SCHED_SEC),
			    LOG_STR("renewable", a->tok.renewable ? "true" : "false")),
		 "authenticated");
	a->last_error[0] = '\0';
	a->state_dirty = true;
	write_sinks(a);
	if (a->init_mode)
		a->renew_at = NEVER; /* one render, then exit */
	else if (a->tok.renewable)
		a->renew_at = now; /* first renewal right away, as Vault Agent does */
	else
		schedule_renewal(a, now, a->tok.lease_ns);
	/* A new token starts a new runner: fetch everything again. */
	for (size_t i = 0; i < a->nsecrets; i++) {
		a->secrets[i]->next_fetch = 0;
		a->secrets[i]->retries = 0;
		a->secrets[i]->watching = false;
	}
out:
	auth_token_drop(&nt);
	buf_done(&err);
	vault_resp_done(&resp);
	return r;
}

static void drop_token(struct agent *a, int64_t now, const char *why)
{
	log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("reason", why)), "dropping token, re-authenticating");
	auth_token_drop(&a->tok);
	a->need_login = true;
	a->auth_next = now;
	a->renew_at = NEVER;
	a->state_dirty = true;
}

static int do_renew(struct agent *a, int64_t now)
{
	struct vault_resp resp;
	int r;

	if (!a->tok.renewable) {
		int64_t left = a->token_expiry == NEVER ? 0 : a->token_expiry - now;

		schedule_renewal(a, now, left);
		return 0;
	}
	vault_resp_init(&resp);
	r = auth_renew(a->v, &a->tok, &resp);
	if (r == -ECANCELED)
		goto out;
	if (r == 0) {
		a->renew_errors = 0;
		set_expiry(a, now);
		log_emit(LOG_INFO, LOG_FIELDS(LOG_INT("ttl_s", a->tok.lease_ns / SCHED_SEC)),
			 "renewed token");
		a->state_dirty = true;
		schedule_renewal(a, now, a->tok.lease_ns);
		goto out;
	}
	if (vresp_invalid_token(resp.status, resp.err) ||
	    (resp.status == 403 && token_rejected(a))) {
		drop_token(a, now, "invalid token on renewal");
		r = 0;
		goto out;
	}
	{
		int64_t left = a->token_expiry == NEVER ? 0 : a->token_expiry - now;
		int64_t wait = sched_renew_error_sleep(a->renew_errors++, sched_random());

		log_emit(LOG_WARN,
			 LOG_FIELDS(LOG_INT("status", resp.status),
				    LOG_STR("error", resp.err[0] ? resp.err : strerror(-r)),
				    LOG_INT("retry_in_ms", wait / SCHED_MS)),
			 "token renewal failed");
		if (left <= a->grace || left - wait <= a->grace) {
			/* The watcher ended with an error: re-auth after a backoff. */
			a->need_login = true;
			a->auth_next = now + sched_backoff_next(&a->auth_bo, sched_random());
			a->renew_at = NEVER;
		} else {
			a->renew_at = now + wait;
		}
	}
	r = 0;
out:
	vault_resp_done(&resp);
	return r;
}

static bool token_usable(const struct agent *a, int64_t now)
{
	return auth_token_valid(&a->tok) && now < a->token_expiry;
}

/* ---- rendering --------------------------------------------------------- */

static int write_if_changed(const struct acfg_template *c, const char *data, size_t len,
			    bool *written)
{
	mode_t mode = 0644;
	struct stat st;
	int r;

	*written = false;
	if (c->perms_set)
		mode = c->perms;
	else if (lstat(c->destination, &st) == 0 && S_ISREG(st.st_mode))
		mode = st.st_mode & 07777;
	r = afile_same(c->destination, data, len, mode);
	if (r == 1)
		return 0;
	r = afile_mkparents(c->destination, 0755);
	if (r < 0)
		return r;
	r = afile_write(c->destination, data, len, mode);
	if (r == 0)
		*written = true;
	return r;
}

static void tpl_set_used(struct tpl *t, const struct render_result *res)
{
	for (size_t i = 0; i < t->nused; i++)
		free(t->used[i]);
	t->nused = 0;
	for (size_t i = 0; i < res->nused && t->nused < ASTATE_SECRETS_MAX; i++) {
		char *c = strdup(res->used[i]);

		if (c)
			t->used[t->nused++] = c;
	}
}

static int64_t tpl_version(struct agent *a, const struct tpl *t)
{
	int64_t v = -1;

	for (size_t i = 0; i < t->nused; i++) {
		struct secret *s = secret_find(a, t->used[i]);

		if (s && s->version > v)
			v = s->version;
	}
	return v;
}

static void run_command(struct agent *a, const struct acfg_template *c)
{
	struct acmd_result res;
	struct acmd_wake w = { .fd = a->o->signal_fd, .wake = on_wake, .ctx = a };
	int r = acmd_run(c->command, a->cfg->command_timeout_ns, &w, &res);

	if (r < 0) {
		log_emit(
		    LOG_ERROR,
		    LOG_FIELDS(LOG_STR("dest", c->destination), LOG_STR("error", strerror(-r))),
		    "template command could not start");
		return;
	}
	log_emit(res.code == 0 && !res.signaled && !res.timed_out ? LOG_INFO : LOG_WARN,
		 LOG_FIELDS(LOG_STR("dest", c->destination),
			    LOG_INT("exit_code", res.signaled ? -1 : res.code),
			    LOG_INT("signal", res.signaled ? res.code : 0),
			    LOG_STR("timed_out", res.timed_out ? "true" : "false"),
			    LOG_STR("interrupted", res.interrupted ? "true" : "false")),
		 "template command finished");
}

enum pass_result { PASS_DONE, PASS_NEED_FETCH, PASS_FATAL };

/* Evaluates every template once. */
static enum pass_result render_pass(struct agent *a)
{
	enum pass_result out = PASS_DONE;
	struct buf output;

	buf_init_sensitive(&output, RENDER_MAX_OUTPUT);
	for (size_t i = 0; i < a->ntpls; i++) {
		struct tpl *t = &a->tpls[i];
		struct render_opts ro = {
			.error_on_missing_key = t->cfg->error_on_missing_key,
			.secret = lookup_secret,
			.secret_ctx = a,
			.file = lookup_file,
			.file_ctx = a,
			.pod_effects = true,
			.destination = t->cfg->destination,
		};
		struct render_result res;
		bool written = false;
		int r;

		r = render_exec(t->t, &ro, &output, &res);
		tpl_set_used(t, &res);
		if (r == RENDER_INCOMPLETE) {
			for (size_t j = 0; j < res.nmissing; j++) {
				struct buf err;
				int ar;

				if (secret_find(a, res.missing[j]))
					continue; /* known, not fetched yet (retrying) */
				buf_init(&err, 256);
				ar = secret_add(a, res.missing[j], &err);
				if (ar < 0) {
					set_err(t->last_error, sizeof(t->last_error),
						"secret \"%s\": %s", res.missing[j],
						err.len ? buf_str(&err) : strerror(-ar));
					t->error_at = wall_s();
					log_emit(LOG_ERROR,
						 LOG_FIELDS(LOG_STR("dest", t->cfg->destination),
							    LOG_STR("error", t->last_error)),
						 "bad secret path");
					out = PASS_FATAL;
				} else {
					out = out == PASS_FATAL ? out : PASS_NEED_FETCH;
				}
				buf_done(&err);
			}
			render_result_done(&res);
			continue;
		}
		if (r < 0) {
			set_err(t->last_error, sizeof(t->last_error), "template %d:%d: %s",
				res.err.line, res.err.col, res.err.msg);
			t->error_at = wall_s();
			log_emit(LOG_ERROR,
				 LOG_FIELDS(LOG_STR("dest", t->cfg->destination),
					    LOG_STR("error", t->last_error)),
				 "rendering failed");
			a->state_dirty = true;
			render_result_done(&res);
			out = PASS_FATAL;
			continue;
		}
		render_result_done(&res);
		r = write_if_changed(t->cfg, output.data ? output.data : "", output.len, &written);
		if (r < 0) {
			set_err(t->last_error, sizeof(t->last_error), "writing %s: %s",
				t->cfg->destination,
				r == -ELOOP ? "a directory on the way is a symbolic link; refused, "
					      "so that the file cannot land outside its volume "
					      "(remove the link)"
				: r == -EXDEV ? "the path climbs out of its volume with \"..\""
					      : strerror(-r));
			t->error_at = wall_s();
			log_emit(LOG_ERROR,
				 LOG_FIELDS(LOG_STR("dest", t->cfg->destination),
					    LOG_STR("error", t->last_error)),
				 "writing the rendered file failed");
			a->state_dirty = true;
			out = PASS_FATAL;
			continue;
		}
		t->checked_at = wall_s();
		t->last_error[0] = '\0';
		a->state_dirty = true;
		if (written) {
			t->rendered_at = t->checked_at;
			t->writes++;
			log_emit(LOG_INFO,
				 LOG_FIELDS(LOG_STR("dest", t->cfg->destination),
					    LOG_INT("version", tpl_version(a, t)),
					    LOG_INT("bytes", output.len)),
				 "rendered");
			if (t->cfg->command)
				run_command(a, t->cfg);
		} else {
			log_emit(LOG_INFO,
				 LOG_FIELDS(LOG_STR("dest", t->cfg->destination),
					    LOG_INT("version", tpl_version(a, t))),
				 "unchanged");
		}
	}
	buf_done(&output);
	return out;
}

/* ---- status ------------------------------------------------------------ */

/* The lease part of a secret's status: the id's suffix and times, never a credential. */
static void status_lease(struct astate_secret *as, const struct secret *s)
{
	const char *id = s->resp ? lease_id(s->resp) : "";

	as->next_at = s->resp ? s->next_wall : 0;
	if (!id[0])
		return;
	as->lease = id;
	as->lease_expires_at = s->lease_expiry_wall;
	as->renewed_at = s->renewed_wall;
	as->renewals = s->renewals;
	as->renewing = s->watching;
}

/*
 * A scrubbed copy of s for the status file, kept in owned[] (freed by the
 * caller); NULL when out of memory. Every string goes through it: a secret
 * path may be built from secret data ({{ secret (printf "…/%s" .Data.x) }}).
 */
static const char *status_str(char **owned, size_t *nowned, const char *s)
{
	char *c = log_scrub_dup(s ? s : "");

	if (c)
		owned[(*nowned)++] = c;
	return c;
}

static void write_status(struct agent *a)
{
	struct astate_template *ts;
	struct astate st = { 0 };
	char **owned;
	size_t nowned = 0;
	bool oom = false;
	int r;

	if (!a->state_dirty || !a->status_path)
		return;
	/*
	 * The init container writes its status when it exits, or while it is
	 * stuck on an error (so `kubectl exec … status` can say why).
	 */
	if (a->init_mode && !a->final_status && !a->last_error[0])
		return;
	a->state_dirty = false;
	ts = calloc(a->ntpls ? a->ntpls : 1, sizeof(*ts));
	/* per template: destination, last error, and each secret's path and lease */
	owned = calloc(1 + a->ntpls * (2 + 2 * ASTATE_SECRETS_MAX), sizeof(*owned));
	if (!ts || !owned)
		goto out;
	for (size_t i = 0; i < a->ntpls; i++) {
		struct tpl *t = &a->tpls[i];

		ts[i] = (struct astate_template){
			.destination = status_str(owned, &nowned, t->cfg->destination),
			.rendered_at = t->rendered_at,
			.checked_at = t->checked_at,
			.writes = t->writes,
			.last_error = status_str(owned, &nowned, t->last_error),
			.error_at = t->error_at,
		};
		oom |= !ts[i].destination || !ts[i].last_error;
		for (size_t j = 0; j < t->nused; j++) {
			struct secret *s = secret_find(a, t->used[j]);
			struct astate_secret *as;

			ts[i].secrets[ts[i].nsecrets++] = (struct astate_secret){
				.path = status_str(owned, &nowned,
						   s			       ? s->written
						   : vwrite_is_key(t->used[j]) ? "vault.write"
									       : t->used[j]),
				.version = s ? s->version : -1,
			};
			as = &ts[i].secrets[ts[i].nsecrets - 1];
			oom |= !as->path;
			if (s)
				status_lease(as, s);
			if (as->lease) {
				as->lease = status_str(owned, &nowned, as->lease);
				oom |= !as->lease;
			}
		}
	}
	st = (struct astate){
		.mode = a->init_mode ? "init" : "sidecar",
		.pid = (long)getpid(),
		.started_at = a->started_wall,
		.updated_at = wall_s(),
		.authenticated = auth_token_valid(&a->tok),
		.token_expires_at = auth_token_valid(&a->tok) ? a->token_expiry_wall : 0,
		.last_error = status_str(owned, &nowned, a->last_error),
		.templates = ts,
		.ntemplates = a->ntpls,
	};
	if (oom || !st.last_error)
		goto out;
	{
		struct buf text;

		buf_init(&text, ASTATE_MAX);
		r = astate_format(&st, &text);
		if (r == 0 && text.len == a->status_text.len &&
		    memcmp(buf_str(&text), buf_str(&a->status_text), text.len) == 0) {
			buf_done(&text);
			goto out; /* nothing new: no rewrite, no fsync */
		}
		if (r == 0)
			r = afile_mkparents(a->status_path, 0755);
		if (r == 0)
			r = afile_write(a->status_path, text.data, text.len, 0644);
		buf_reset(&a->status_text);
		if (r == 0 && buf_append(&a->status_text, text.data, text.len) < 0)
			buf_reset(&a->status_text);
		buf_done(&text);
	}
	if (r < 0)
		log_emit(
		    LOG_WARN,
		    LOG_FIELDS(LOG_STR("path", a->status_path), LOG_STR("error", strerror(-r))),
		    "writing the status file failed");
out:
	if (!ts || !owned || oom || !st.last_error)
		a->state_dirty = true; /* out of memory: try again next time */
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(ts);
}

/* ---- setup and loop ---------------------------------------------------- */

static int load_templates(struct agent *a)
{
	a->tpls = calloc(a->cfg->ntemplates ? a->cfg->ntemplates : 1, sizeof(*a->tpls));
	if (!a->tpls)
		return -ENOMEM;
	for (size_t i = 0; i < a->cfg->ntemplates; i++) {
		const struct acfg_template *c = &a->cfg->templates[i];
		/* vaultlet's extensions (shellQuote) are opt-in by use: a template
		 * that calls one would not parse on Vault Agent. */
		struct tmpl_parse_opts po = {
			.name = c->destination,
			.left_delim = c->left_delim,
			.right_delim = c->right_delim,
			.flags = TMPL_PARSE_SHELLQUOTE,
		};
		struct tmpl_error te;
		char *text = NULL;
		size_t len = 0;
		int r;

		a->tpls[i].cfg = c;
		a->ntpls = i + 1;
		if (c->source) {
			r = afile_read(c->source, TEMPLATE_FILE_MAX, false, &text, &len);
			if (r < 0) {
				log_emit(LOG_ERROR,
					 LOG_FIELDS(LOG_STR("source", c->source),
						    LOG_STR("error", strerror(-r))),
					 "cannot read template source");
				return r;
			}
		}
		r = tmpl_parse(text ? text : c->contents, text ? len : strlen(c->contents), &po,
			       &a->tpls[i].t, &te);
		free(text);
		if (r < 0) {
			char msg[TMPL_ERROR_MAX + 64];

			snprintf(msg, sizeof(msg), "%d:%d: %s", te.line, te.col, te.msg);
			log_emit(LOG_ERROR,
				 LOG_FIELDS(LOG_STR("dest", c->destination), LOG_STR("error", msg)),
				 "template does not parse");
			return r;
		}
	}
	return 0;
}

static bool all_rendered(const struct agent *a)
{
	for (size_t i = 0; i < a->ntpls; i++) {
		if (!a->tpls[i].checked_at) /* never rendered (or found identical) */
			return false;
	}
	return true;
}

/* The fetch-retry budget is exhausted for s: exit or restart the runner. */
static bool give_up(struct agent *a, struct secret *s, int64_t now)
{
	const char *hint = vresp_hint(s->kv == KV_UNKNOWN ? VRESP_OP_MOUNTS : VRESP_OP_READ,
				      s->last_status, s->last_err);

	fail_state(a, "secret %s: status %d: %s", s->written, s->last_status, s->last_err);
	for (size_t i = 0; i < a->ntpls; i++) {
		for (size_t j = 0; j < a->tpls[i].nused; j++) {
			if (secret_find(a, a->tpls[i].used[j]) == s) {
				set_err(a->tpls[i].last_error, sizeof(a->tpls[i].last_error),
					"secret %s: status %d: %s", s->written, s->last_status,
					s->last_err);
				a->tpls[i].error_at = wall_s();
			}
		}
	}
	if (a->cfg->exit_on_retry_failure) {
		log_emit(LOG_ERROR,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_STR("request", s->req),
				    LOG_INT("status", s->last_status),
				    LOG_STR("error", s->last_err), LOG_INT("attempts", s->retries),
				    LOG_STR("hint", hint)),
			 "giving up on secret after retries");
		return true;
	}
	{
		int64_t wait = sched_backoff_next(&a->runner_bo, sched_random());

		log_emit(LOG_ERROR,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("status", s->last_status),
				    LOG_STR("error", s->last_err), LOG_STR("hint", hint),
				    LOG_INT("restart_in_ms", wait / SCHED_MS)),
			 "secret retries exhausted, restarting after backoff");
		for (size_t i = 0; i < a->nsecrets; i++)
			a->secrets[i]->retries = 0;
		hold_fetches(a, now + wait);
	}
	return false;
}

/*
 * A `file` dependency could not be read. consul-template does not retry
 * local dependencies (its default retry function is nil): the runner
 * fails at once, so Vault Agent exits with exit_on_retry_failure (the
 * injector's default) or restarts the runner, which reads it again.
 */
static bool file_failed(struct agent *a, struct secret *s, int64_t now)
{
	fail_state(a, "%s", s->last_err);
	for (size_t i = 0; i < a->ntpls; i++) {
		for (size_t j = 0; j < a->tpls[i].nused; j++) {
			if (secret_find(a, a->tpls[i].used[j]) == s) {
				set_err(a->tpls[i].last_error, sizeof(a->tpls[i].last_error), "%s",
					s->last_err);
				a->tpls[i].error_at = wall_s();
			}
		}
	}
	if (a->cfg->exit_on_retry_failure) {
		log_emit(LOG_ERROR,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_STR("error", s->last_err)),
			 "template dependency failed and exit_on_retry_failure is set: exiting");
		return true;
	}
	{
		int64_t wait = sched_backoff_next(&a->runner_bo, sched_random());

		log_emit(LOG_ERROR,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_STR("error", s->last_err),
				    LOG_INT("restart_in_ms", wait / SCHED_MS)),
			 "template dependency failed, restarting after backoff");
		hold_fetches(a, now + wait);
	}
	return false;
}

/*
 * A `file` dependency that is due: polled (consul-template's
 * FileQuerySleepTime) and re-read when it changed. 1 when new content was
 * read, 0 when unchanged or a failure the agent survives, -1 when fatal.
 */
static int file_due(struct agent *a, struct secret *s, int64_t *now)
{
	int fr = file_poll(s);

	*now = sched_now();
	if (fr < 0)
		return file_failed(a, s, *now) ? -1 : 0;
	s->next_fetch = *now + PODFN_POLL_MS * SCHED_MS;
	s->next_wall = wall_s() + PODFN_POLL_MS / 1000;
	if (fr == 1)
		log_emit(LOG_DEBUG,
			 LOG_FIELDS(LOG_STR("path", s->written), LOG_INT("bytes", s->flen)),
			 "read file");
	return fr == 1;
}

/*
 * The exit code when SIGTERM/SIGINT stops the loop: 0 for a sidecar, and
 * for an init container only if every template rendered (0 promises that).
 */
static int stop_code(const struct agent *a)
{
	return a->init_mode && !all_rendered(a) ? AGENT_EXIT_FAILED : AGENT_EXIT_OK;
}

static int loop(struct agent *a)
{
	bool fetched_any = true;

	for (;;) {
		int64_t now = sched_now(), next = NEVER;
		bool fatal = false;

		if (a->stop)
			return stop_code(a);
		if (a->hup) {
			a->hup = false;
			for (size_t i = 0; i < a->nsecrets; i++) {
				a->secrets[i]->next_fetch = 0;
				a->secrets[i]->watching = false; /* a new runner reads */
			}
			fetched_any = true;
		}
		/* token */
		if ((a->need_login || !token_usable(a, now)) && now >= a->auth_next) {
			int r = do_login(a, now);

			if (r == -ECANCELED)
				continue;
			if (r == -EPERM)
				return AGENT_EXIT_FAILED;
			now = sched_now();
		}
		if (token_usable(a, now) && now >= a->renew_at) {
			if (do_renew(a, now) == -ECANCELED)
				continue;
			now = sched_now();
		}
		/* fetch what is due */
		if (token_usable(a, now)) {
			for (size_t i = 0; i < a->nsecrets && !a->stop; i++) {
				struct secret *s = a->secrets[i];
				enum fetch_outcome fo;

				if (s->next_fetch > now)
					continue;
				if (s->file) {
					int fr = file_due(a, s, &now);

					fetched_any |= fr == 1;
					if (fr < 0) {
						fatal = true;
						break;
					}
					continue;
				}
				/*
				 * A renewable lease is renewed instead of read: by the
				 * watcher, and before each retry of a failed read (as
				 * consul-template's Fetch does). Done: read again.
				 */
				if (s->watching ||
				    (s->retries > 0 && s->resp && lease_renewable(s->resp))) {
					enum lease_outcome lo = renew_lease(a, s, now);

					now = sched_now();
					if (lo == LEASE_CANCELED)
						break;
					if (lo == LEASE_INVALID_TOKEN) {
						drop_token(a, now, "Vault answered invalid token");
						break;
					}
					if (lo == LEASE_RENEWED) {
						if (s->retries > 0) {
							a->last_error[0] = '\0';
							s->retries = 0;
						}
						s->watching = true;
						continue;
					}
					s->watching = false;
				}
				fo = fetch(a, s);
				now = sched_now();
				if (fo == FETCH_CANCELED)
					break;
				if (fo == FETCH_INVALID_TOKEN) {
					drop_token(a, now, "Vault answered invalid token");
					break;
				}
				if (fo == FETCH_OK) {
					if (s->retries > 0) {
						a->last_error[0] = '\0';
						a->state_dirty = true;
					}
					s->retries = 0;
					s->next_fetch = now + refresh_delay(a, s);
					s->next_wall = wall_s() + (s->next_fetch - now) / SCHED_SEC;
					sched_backoff_reset(&a->runner_bo, sched_random());
					fetched_any = true;
					log_emit(
					    LOG_DEBUG,
					    LOG_FIELDS(LOG_STR("path", s->written),
						       LOG_INT("version", s->version),
						       LOG_INT("next_s",
							       (s->next_fetch - now) / SCHED_SEC)),
					    "fetched secret");
					continue;
				}
				if (s->retries++ == 0)
					s->fail_since = now;
				fail_state(a, "secret %s: status %d: %s (retrying)", s->written,
					   s->last_status, s->last_err);
				if (s->retries > a->fetch_attempts &&
				    now - s->fail_since >= a->fetch_budget) {
					if (give_up(a, s, now)) {
						fatal = true;
						break;
					}
					continue;
				}
				{
					int64_t wait = sched_fetch_retry_wait(
					    s->retries - 1, a->fetch_backoff, a->fetch_maxbackoff,
					    a->cfg->static_secret_render_interval_ns,
					    s->retry_after, sched_random());

					s->next_fetch = now + wait;
					log_emit(
					    LOG_WARN,
					    LOG_FIELDS(LOG_STR("path", s->written),
						       LOG_INT("status", s->last_status),
						       LOG_STR("error", s->last_err),
						       LOG_INT("attempt", s->retries),
						       LOG_INT("retry_in_ms", wait / SCHED_MS)),
					    "fetching secret failed, will retry");
				}
			}
		}
		if (fatal) {
			write_status(a);
			return AGENT_EXIT_FAILED;
		}
		if (a->stop)
			return stop_code(a);
		/* render */
		if (fetched_any && token_usable(a, now)) {
			enum pass_result pr = render_pass(a);
			bool again = false;

			if (pr == PASS_FATAL) {
				int64_t wait;

				if (a->cfg->exit_on_retry_failure) {
					write_status(a);
					log_error(
					    "a template failed and exit_on_retry_failure is set: "
					    "exiting");
					return AGENT_EXIT_FAILED;
				}
				/* restart the runner after a backoff (§2.5) */
				wait = sched_backoff_next(&a->runner_bo, sched_random());
				hold_fetches(a, now + wait);
			} else if (pr != PASS_DONE) {
				again = true; /* new secrets to fetch: go fetch them now */
			}
			fetched_any = again;
			if (again)
				continue;
		}
		write_status(a);
		if (a->init_mode && all_rendered(a) && token_usable(a, now)) {
			log_emit(LOG_INFO, LOG_FIELDS(LOG_INT("templates", a->ntpls)),
				 "all templates rendered, exiting (exit_after_auth)");
			return AGENT_EXIT_OK;
		}
		if (a->stop)
			return stop_code(a);
		/* sleep until the next timer */
		if (a->need_login || !token_usable(a, now)) {
			next = a->auth_next;
		} else {
			next = a->renew_at;
			for (size_t i = 0; i < a->nsecrets; i++)
				next = VL_MIN(next, a->secrets[i]->next_fetch);
			if (a->token_expiry != NEVER)
				next = VL_MIN(next, a->token_expiry);
		}
		now = sched_now();
		if (next > now) {
			int r;

			a->sleeping = true;
			r = vault_sleep(a->v, next == NEVER ? 3600 * SCHED_SEC : next - now);
			a->sleeping = false;
			if (r < 0 && r != -ECANCELED)
				log_warn("waiting failed: %s", strerror(-r));
		}
	}
}

static void revoke_token(struct agent *a)
{
	struct vault_resp resp;
	int r;

	if (!auth_token_valid(&a->tok))
		return;
	vault_resp_init(&resp);
	r = auth_revoke(a->v, &a->tok, &resp);
	if (r == 0)
		log_info("revoked token");
	else
		log_emit(LOG_WARN,
			 LOG_FIELDS(LOG_INT("status", resp.status),
				    LOG_STR("error", resp.err[0] ? resp.err : strerror(-r))),
			 "revoking the token failed");
	vault_resp_done(&resp);
}

int agent_run(const struct agent_opts *o)
{
	struct agent a = { .o = o, .cfg = o->cfg };
	struct vault_opts vo;
	struct buf err, sp;
	int code = AGENT_EXIT_CONFIG, r;

	auth_token_init(&a.tok);
	buf_init(&a.status_text, ASTATE_MAX);
	buf_init(&err, 1024);
	buf_init(&sp, 4096);
	a.init_mode = o->cfg->exit_after_auth;
	a.started_wall = wall_s();
	a.need_login = true;
	a.renew_at = NEVER;
	a.token_expiry = 0;
	sched_backoff_init(&a.auth_bo, o->cfg->min_backoff_ns, o->cfg->max_backoff_ns,
			   sched_random());
	sched_backoff_init(&a.runner_bo, o->cfg->min_backoff_ns, o->cfg->max_backoff_ns,
			   sched_random());
	/* vault.retry.num_retries: 0 or unset = 12, -1 = no retries (Vault Agent) */
	a.fetch_attempts = FETCH_ATTEMPTS_DFLT;
	if (o->cfg->num_retries > 0)
		a.fetch_attempts = (unsigned)o->cfg->num_retries;
	else if (o->cfg->num_retries == -1 && o->cfg->num_retries_set)
		a.fetch_attempts = 0;
	a.fetch_backoff = o->cfg->min_backoff_set ? o->cfg->min_backoff_ns : FETCH_BACKOFF_DFLT;
	a.fetch_maxbackoff =
	    o->cfg->max_backoff_set ? o->cfg->max_backoff_ns : FETCH_MAXBACKOFF_DFL;
	a.fetch_budget = sched_retry_budget(a.fetch_attempts, a.fetch_backoff, a.fetch_maxbackoff);

	if (acfg_status_path(o->cfg, &sp) == 0)
		a.status_path = buf_take(&sp, NULL);
	r = load_templates(&a);
	if (r < 0)
		goto out;
	vo = (struct vault_opts){
		.address = o->cfg->address,
		.ca_cert = o->cfg->ca_cert,
		.ca_path = o->cfg->ca_path,
		.ca_cert_bytes = o->cfg->ca_cert_bytes,
		.client_cert = o->cfg->client_cert,
		.client_key = o->cfg->client_key,
		.tls_server_name = o->cfg->tls_server_name,
		.tls_skip_verify = o->cfg->tls_skip_verify,
		.namespace = o->cfg->namespace,
		.timeout_ns = o->http_timeout_ns,
		/* the HTTP client's own retries, too, come back within D */
		.retry_wait_max_ns = o->cfg->static_secret_render_interval_ns,
		.wake_fd = o->signal_fd,
		.wake = on_wake,
		.wake_ctx = &a,
	};
	r = vault_new(&vo, &a.v, &err);
	if (r < 0) {
		log_emit(LOG_ERROR, LOG_FIELDS(LOG_STR("error", buf_str(&err))),
			 "cannot set up the Vault client");
		goto out;
	}
	if (o->cfg->tls_skip_verify)
		log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("address", o->cfg->address)),
			 "TLS VERIFICATION IS DISABLED (tls_skip_verify): anyone on the network "
			 "path can impersonate Vault and read the secrets and the token");
	log_emit(LOG_INFO,
		 LOG_FIELDS(LOG_STR("mode", a.init_mode ? "init" : "sidecar"),
			    LOG_STR("address", o->cfg->address), LOG_INT("templates", a.ntpls)),
		 "starting");
	/*
	 * A sidecar restarted in the same pod finds its previous run's status
	 * file, which says every template was checked: replace it before the
	 * first login, so `status -ready` (the native sidecar's startupProbe)
	 * waits for this run's renders. (The init container writes its status
	 * only when it exits or is stuck, see write_status.)
	 */
	a.state_dirty = true;
	write_status(&a);
	a.state_dirty = true;
	code = loop(&a);
	if (a.stop && o->cfg->revoke_on_shutdown && !a.init_mode) {
		vault_free(a.v);
		vo.timeout_ns = REVOKE_TIMEOUT;
		vo.wake_fd = -1;
		a.v = NULL;
		if (vault_new(&vo, &a.v, &err) == 0)
			revoke_token(&a);
	}
	if (a.stop)
		log_info("stopped");
	a.state_dirty = true;
	a.final_status = true;
	write_status(&a);
out:
	vault_free(a.v);
	auth_token_drop(&a.tok);
	for (size_t i = 0; i < a.nsecrets; i++)
		secret_free(a.secrets[i]);
	for (size_t i = 0; i < a.ntpls; i++) {
		tmpl_free(a.tpls[i].t);
		for (size_t j = 0; j < a.tpls[i].nused; j++)
			free(a.tpls[i].used[j]);
	}
	free(a.tpls);
	free(a.status_path);
	buf_done(&a.status_text);
	buf_done(&err);
	buf_done(&sp);
	return code;
}
