/* SPDX-License-Identifier: MIT */
/*
 * agentspec: annotations + injector defaults -> what to inject (see
 * agentspec.h for the contract and the deliberate differences from the
 * stock injector).
 *
 * DESIGN
 * ------
 * The stock injector copies its flag defaults into the pod's annotation
 * map (Init), then reads the map back (New) and checks it (Validate). We
 * do the same without the copy: every read goes through ann() with the
 * default the stock Init() would have written, so "present but empty"
 * and "absent" keep their different meanings exactly where the stock
 * injector distinguishes them.
 *
 * The vault.hashicorp.com/... annotations are collected once, sorted by key,
 * so that every pass over them (secrets, auth-config-*, warnings) is
 * deterministic whatever order the API server serialised them in.
 *
 * Denial messages keep the stock prefixes ("error creating new agent
 * sidecar: ...") so log searches keep working, and add what the stock
 * messages lack: the annotation that is wrong, and what would be right.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentspec.h"
#include "goparse.h"
#include "gopath.h"
#include "hash.h"
#include "tmplutf.h"

#define A(x) ANNOTATION_PREFIX x

#define STAGE_INIT     "error adding default annotations"
#define STAGE_NEW      "error creating new agent sidecar"
#define STAGE_VALIDATE "error validating agent configuration"
#define STAGE_PATCH    "error creating patch for agent"

#define DEFAULT_MAP_TEMPLATE                                                                       \
	"{{ with secret \"%s\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end "  \
	"}}"
#define DEFAULT_JSON_TEMPLATE "{{ with secret \"%s\" }}{{ .Data | toJSON }}\n{{ end }}"

/* One vault.hashicorp.com/... annotation: the part after the prefix, and its value. */
/* Most vault annotations a pod may have for lookups to use the hash index. */
#define ANN_INDEX_MAX 256

struct ann_entry {
	const char *key;
	const char *value;
	uint64_t hash; /* of key */
};

struct bctx {
	const struct inject_defaults *d;
	const struct pod *pod;
	struct arena *a;
	struct agentspec *s;
	const char **msg;
	struct ann_entry *anns; /* sorted by key */
	size_t nanns;
	/* open addressing over anns: index + 1, 0 for an empty slot */
	uint32_t *slots;
	size_t slot_mask;
	bool map_template;
};

static int fail(struct bctx *c, const char *stage, const char *fmt, ...) VL_PRINTF(3, 4);

static int fail(struct bctx *c, const char *stage, const char *fmt, ...)
{
	va_list ap;
	char *tail;

	va_start(ap, fmt);
	tail = arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	*c->msg = tail ? arena_printf(c->a, "%s: %s", stage, tail) : NULL;
	return *c->msg ? -EINVAL : -ENOMEM;
}

int agentspec_warn(struct agentspec *s, struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *w;

	if (s->nwarnings == AGENTSPEC_MAX_WARNINGS) {
		s->warnings_dropped++;
		return 0;
	}
	va_start(ap, fmt);
	w = arena_vprintf(a, fmt, ap);
	va_end(ap);
	if (!w)
		return -ENOMEM;
	s->warnings[s->nwarnings++] = w;
	return 0;
}

/*
 * The value of the vault annotation `name` (the part after
 * ANNOTATION_PREFIX), or NULL. A build asks for ~40 names, mostly absent:
 * a hash probe answers a miss without comparing a string, where a binary
 * search over the sorted keys made ~200 strcmp calls per pod. The hash is
 * public, so a pod with thousands of annotations chosen to collide could
 * make probing quadratic: past ANN_INDEX_MAX annotations (real pods have a
 * few dozen) the binary search answers instead.
 */
static const char *lookup_name(const struct bctx *c, const char *name)
{
	size_t lo = 0, hi = c->nanns;
	uint64_t h;

	if (c->slots) {
		h = hash_bytes(0, name, strlen(name));
		for (size_t i = h & c->slot_mask; c->slots[i]; i = (i + 1) & c->slot_mask) {
			const struct ann_entry *e = &c->anns[c->slots[i] - 1];

			if (e->hash == h && strcmp(e->key, name) == 0)
				return e->value;
		}
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, c->anns[mid].key);

		if (d == 0)
			return c->anns[mid].value;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The same for a full key, A("..."). */
static const char *lookup(const struct bctx *c, const char *key)
{
	return lookup_name(c, key + sizeof(ANNOTATION_PREFIX) - 1);
}

/* The annotation's value, or dflt when the annotation is absent ("" stays ""). */
static const char *ann(struct bctx *c, const char *key, const char *dflt)
{
	const char *v = lookup(c, key);

	return v ? v : dflt;
}

static bool present(struct bctx *c, const char *key)
{
	return lookup(c, key) != NULL;
}

/* Per-secret annotation "<prefix><family>-<raw>", or dflt. */
static const char *ann_secret(struct bctx *c, const char *family, const char *raw, const char *dflt,
			      bool *ret_oom)
{
	size_t fl = strlen(family), rl = strlen(raw);
	char stackkey[256], *name = stackkey;
	const char *v;

	/* "<family>-<raw>", built by hand: this runs ten times per secret */
	if (fl + 1 + rl + 1 > sizeof(stackkey)) {
		name = arena_alloc(c->a, fl + 1 + rl + 1);
		if (!name) {
			*ret_oom = true;
			return dflt;
		}
	}
	memcpy(name, family, fl);
	name[fl] = '-';
	memcpy(name + fl + 1, raw, rl + 1);
	v = lookup_name(c, name);
	return v ? v : dflt;
}

static int get_bool(struct bctx *c, const char *stage, const char *key, bool dflt, bool *ret)
{
	const char *v = lookup(c, key);

	if (!v) {
		*ret = dflt;
		return 0;
	}
	if (!goparse_bool(v, ret))
		return fail(c, stage, "%s: invalid boolean \"%s\" (use true or false)", key, v);
	return 0;
}

/* Go's unicode.IsSpace for every rune of s (strings.TrimSpace(s) == ""). */
static bool is_blank(const char *s)
{
	size_t n = strlen(s), w;

	for (size_t i = 0; i < n; i += w) {
		if (!tmplutf_is_space(tmplutf_decode(s + i, n - i, &w)))
			return false;
	}
	return true;
}

static const char *has_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static int cmp_ann(const void *x, const void *y)
{
	return strcmp(((const struct ann_entry *)x)->key, ((const struct ann_entry *)y)->key);
}

static int collect_annotations(struct bctx *c)
{
	const char *key;
	json_t *v;
	size_t n = 0, max;

	if (!c->pod->annotations)
		return 0;
	max = json_object_size(c->pod->annotations);
	c->anns = arena_alloc(c->a, (max ? max : 1) * sizeof(*c->anns));
	if (!c->anns)
		return -ENOMEM;
	json_object_foreach(c->pod->annotations, key, v)
	{
		const char *rest = has_prefix(key, ANNOTATION_PREFIX);

		if (rest)
			c->anns[n++] = (struct ann_entry){ rest, json_string_value(v), 0 };
	}
	qsort(c->anns, n, sizeof(*c->anns), cmp_ann);
	c->nanns = n;
	if (n == 0 || n > ANN_INDEX_MAX)
		return 0; /* lookup_name searches the sorted keys */
	/* at most half full, so that probes stay short */
	c->slot_mask = 15;
	while (c->slot_mask + 1 < 2 * n)
		c->slot_mask = c->slot_mask * 2 + 1;
	c->slots = arena_alloc(c->a, (c->slot_mask + 1) * sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct ann_entry *e = &c->anns[i];
		size_t k;

		e->hash = hash_bytes(0, e->key, strlen(e->key));
		for (k = e->hash & c->slot_mask; c->slots[k]; k = (k + 1) & c->slot_mask)
			;
		c->slots[k] = (uint32_t)i + 1;
	}
	return 0;
}

/* ---- warnings for what vaultlet does not implement, and for typos ---- */

enum unsup_when { WHEN_NONEMPTY, WHEN_TRUE };

static const struct {
	const char *key;
	enum unsup_when when;
	const char *what;
} unsupported[] = {
	{ "agent-cache-enable", WHEN_TRUE, "the agent cache" },
	{ "agent-cache-use-auto-auth-token", WHEN_NONEMPTY, "the agent cache" },
	{ "agent-cache-listener-port", WHEN_NONEMPTY, "the agent cache" },
	{ "agent-cache-exit-on-err", WHEN_TRUE, "the agent cache" },
	{ "agent-enable-quit", WHEN_TRUE, "the agent quit endpoint" },
	{ "agent-json-patch", WHEN_NONEMPTY, "JSON patches of the agent container" },
	{ "agent-init-json-patch", WHEN_NONEMPTY, "JSON patches of the agent container" },
	{ "agent-disable-idle-connections", WHEN_NONEMPTY, "connection tuning" },
	{ "agent-disable-keep-alives", WHEN_NONEMPTY, "connection tuning" },
	{ "go-max-procs", WHEN_NONEMPTY, "GOMAXPROCS (the agent is not a Go program)" },
	{ "client-max-retries", WHEN_NONEMPTY, "VAULT_MAX_RETRIES" },
	{ "client-timeout", WHEN_NONEMPTY, "VAULT_CLIENT_TIMEOUT" },
	{ "template-max-connections-per-host", WHEN_NONEMPTY, "connection tuning" },
};

/* Sorted: looked up with bsearch (agentspec_tables_sorted checks it, for the tests). */
static const char *const known_exact[] = {
	"agent-auto-auth-exit-on-err",
	"agent-configmap",
	"agent-copy-volume-mounts",
	"agent-extra-secret",
	"agent-image",
	"agent-init-first",
	"agent-inject",
	"agent-inject-containers",
	"agent-inject-default-template",
	"agent-inject-status",
	"agent-inject-token",
	"agent-limits-cpu",
	"agent-limits-ephemeral",
	"agent-limits-mem",
	"agent-native-sidecar",
	"agent-pre-populate",
	"agent-pre-populate-only",
	"agent-request-namespace",
	"agent-requests-cpu",
	"agent-requests-ephemeral",
	"agent-requests-mem",
	"agent-revoke-grace",
	"agent-revoke-on-shutdown",
	"agent-run-as-group",
	"agent-run-as-same-user",
	"agent-run-as-user",
	"agent-service-account-token-volume-name",
	"agent-set-security-context",
	"agent-share-process-namespace",
	"auth-max-backoff",
	"auth-min-backoff",
	"auth-path",
	"auth-type",
	"ca-cert",
	"ca-key",
	"client-cert",
	"client-key",
	"log-format",
	"log-level",
	"namespace",
	"preserve-secret-case",
	"proxy-address",
	"role",
	"secret-volume-path",
	"service",
	"template-config-exit-on-retry-failure",
	"template-lease-renewal-threshold",
	"template-static-secret-render-interval",
	"tls-secret",
	"tls-server-name",
	"tls-skip-verify",
};

/* Families "<family>-<secret name>"; the first three define secrets. */
static const char *const secret_families[] = {
	"agent-inject-secret",	"agent-inject-template-file", "agent-inject-template",
	"agent-inject-file",	"agent-inject-perms",	      "agent-inject-command",
	"error-on-missing-key", "agent-template-left-delim",  "agent-template-right-delim",
	"secret-volume-path",	"preserve-secret-case",
};

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

bool agentspec_tables_sorted(void)
{
	for (size_t k = 1; k < ARRAY_SIZE(known_exact); k++) {
		if (strcmp(known_exact[k - 1], known_exact[k]) >= 0)
			return false;
	}
	return true;
}

static bool is_secret_name(const struct agentspec *s, const char *raw)
{
	for (size_t i = 0; i < s->nsecrets; i++) {
		if (strcmp(s->secrets[i].raw_name, raw) == 0)
			return true;
	}
	return false;
}

static int scan_annotations(struct bctx *c)
{
	int r;

	for (size_t i = 0; i < c->nanns; i++) {
		const struct ann_entry *e = &c->anns[i];
		bool known = false;
		const char *raw = NULL;
		size_t f;

		if (bsearch(&e->key, known_exact, ARRAY_SIZE(known_exact), sizeof(known_exact[0]),
			    cmp_name))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(unsupported); k++) {
			bool off = false;

			if (strcmp(e->key, unsupported[k].key) != 0)
				continue;
			known = true;
			if (unsupported[k].when == WHEN_TRUE)
				off = goparse_bool(e->value, &off) && !off;
			else
				off = e->value[0] == '\0';
			if (off)
				break;
			r = agentspec_warn(
			    c->s, c->a,
			    A("%s") " is not supported by vaultlet and was ignored (%s)", e->key,
			    unsupported[k].what);
			if (r < 0)
				return r;
			break;
		}
		if (known)
			continue;
		if (has_prefix(e->key, "agent-telemetry-")) {
			r = agentspec_warn(c->s, c->a,
					   A("%s") " is not supported by vaultlet and was ignored "
						   "(agent telemetry)",
					   e->key);
			if (r < 0)
				return r;
			continue;
		}
		if (has_prefix(e->key, "auth-config-"))
			continue;
		for (f = 0; f < ARRAY_SIZE(secret_families); f++) {
			raw = has_prefix(e->key, secret_families[f]);
			if (raw && raw[0] == '-') {
				raw++;
				break;
			}
			raw = NULL;
		}
		if (raw) {
			/* the defining families are checked by secrets(); an empty value defines nothing */
			if (f < 3 || is_secret_name(c->s, raw))
				continue;
			if (strcmp(secret_families[f], "secret-volume-path") == 0 ||
			    strcmp(secret_families[f], "preserve-secret-case") == 0) {
				if (raw[0] == '\0')
					continue;
			}
			r = agentspec_warn(
			    c->s, c->a, A("%s") " refers to no secret named \"%s\" and was ignored",
			    e->key, raw);
		} else {
			r = agentspec_warn(c->s, c->a,
					   "unknown annotation " A("%s") " was ignored (a typo?)",
					   e->key);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the service-account token (stock serviceaccount()) ---- */

static const struct pod_volume *find_volume(const struct pod *p, const char *name)
{
	for (size_t i = 0; i < p->nvolumes; i++) {
		if (strcmp(p->volumes[i].name, name) == 0)
			return &p->volumes[i];
	}
	return NULL;
}

static int find_service_account(struct bctx *c, const char **ret_token_file)
{
	const struct pod *p = c->pod;
	const char *vol = ann(c, A("agent-service-account-token-volume-name"), "");
	const struct pod_volume *pv;

	if (vol[0]) {
		for (size_t i = 0; i < p->ncontainers; i++) {
			const struct pod_container *pc = &p->containers[i];

			for (size_t j = 0; j < pc->nmounts; j++) {
				if (strcmp(pc->mounts[j].name, vol) != 0)
					continue;
				pv = find_volume(p, vol);
				if (!pv)
					return fail(
					    c, STAGE_NEW,
					    "failed to find volume \"%s\" in Pod \"%s\" volumes",
					    vol, p->name);
				if (!pv->sa_token_path)
					return fail(c, STAGE_NEW,
						    "failed to find tokenPath for projected volume "
						    "\"%s\"",
						    vol);
				c->s->sa_volume = vol;
				c->s->sa_mount_path = pc->mounts[j].mount_path;
				*ret_token_file = pv->sa_token_path;
				return 0;
			}
		}
		pv = find_volume(p, vol);
		if (!pv)
			return fail(c, STAGE_NEW, "failed to find service account volume \"%s\"",
				    vol);
		if (!pv->sa_token_path)
			return fail(c, STAGE_NEW,
				    "failed to find tokenPath for projected volume \"%s\"", vol);
		c->s->sa_volume = vol;
		c->s->sa_mount_path = AGENT_SA_DEFAULT_MOUNT;
		*ret_token_file = pv->sa_token_path;
		return 0;
	}
	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct pod_container *pc = &p->containers[i];

		for (size_t j = 0; j < pc->nmounts; j++) {
			if (strstr(pc->mounts[j].mount_path, "serviceaccount")) {
				c->s->sa_volume = pc->mounts[j].name;
				c->s->sa_mount_path = pc->mounts[j].mount_path;
				*ret_token_file = "token";
				return 0;
			}
		}
	}
	return fail(c, STAGE_NEW,
		    "failed to find service account volume mount (no container mounts the "
		    "service-account token; is automountServiceAccountToken false?)");
}

/* ---- secrets ---- */

static char *lower(struct arena *a, const char *s)
{
	char *p = arena_strdup(a, s);

	if (p) {
		for (char *q = p; *q; q++) {
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		}
	}
	return p;
}

static bool preserve_case(struct bctx *c, const char *raw, bool *oom)
{
	const char *v = ann_secret(c, "preserve-secret-case", raw, NULL, oom);
	bool b = false;

	if (!v)
		v = lookup(c, A("preserve-secret-case"));
	/* the stock injector ignores a parse error here: not preserving */
	return v && goparse_bool(v, &b) && b;
}

static int cmp_secret(const void *x, const void *y)
{
	const struct agentspec_secret *a = x, *b = y;
	int r = strcmp(a->name, b->name);

	return r ? r : strcmp(a->raw_name, b->raw_name);
}

static bool valid_perms(const char *p)
{
	unsigned long mode = 0;

	if (strlen(p) > 16)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '7')
			return false;
		mode = mode * 8 + (unsigned long)(*p - '0');
		if (mode > 07777)
			return false;
	}
	return true;
}

static int secret_details(struct bctx *c, struct agentspec_secret *sec)
{
	const char *raw = sec->raw_name, *tmpl, *file, *emk;
	bool oom = false;

	sec->path = ann_secret(c, "agent-inject-secret", raw, "", &oom);
	tmpl = ann_secret(c, "agent-inject-template", raw, "", &oom);
	sec->source = tmpl[0] ? "" : ann_secret(c, "agent-inject-template-file", raw, "", &oom);
	sec->mount_path = ann_secret(c, "secret-volume-path", raw, c->s->secret_volume_path, &oom);
	sec->command = ann_secret(c, "agent-inject-command", raw, "", &oom);
	sec->left_delim = ann_secret(c, "agent-template-left-delim", raw, "", &oom);
	sec->right_delim = ann_secret(c, "agent-template-right-delim", raw, "", &oom);
	file = ann_secret(c, "agent-inject-file", raw, "", &oom);
	sec->perms = ann_secret(c, "agent-inject-perms", raw, "", &oom);
	emk = ann_secret(c, "error-on-missing-key", raw, "", &oom);
	if (oom)
		return -ENOMEM;
	if (!goparse_bool(emk, &sec->error_on_missing_key))
		return fail(c, STAGE_NEW,
			    A("error-on-missing-key-%s") ": invalid boolean \"%s\" (use true or "
							 "false)",
			    raw, emk);
	if (!sec->left_delim[0])
		sec->left_delim = "{{";
	if (!sec->right_delim[0])
		sec->right_delim = "}}";
	if (!valid_perms(sec->perms))
		return fail(c, STAGE_NEW,
			    A("agent-inject-perms-%s") ": \"%s\" is not octal permissions such as "
						       "\"0640\"",
			    raw, sec->perms);

	if (sec->source[0]) {
		sec->contents = "";
	} else if (tmpl[0]) {
		sec->contents = tmpl;
	} else {
		sec->default_template = true;
		sec->contents = c->map_template
				    ? arena_printf(c->a, DEFAULT_MAP_TEMPLATE, sec->path)
				    : arena_printf(c->a, DEFAULT_JSON_TEMPLATE, sec->path);
		if (!sec->contents)
			return -ENOMEM;
	}

	if (sec->mount_path[0] != '/')
		return fail(c, STAGE_NEW,
			    "secret-volume-path for secret \"%s\" must be an absolute path, not "
			    "\"%s\"",
			    raw, sec->mount_path);
	if (file[0]) {
		char *clean_mount;

		if (gopath_has_dotdot(file))
			return fail(c, STAGE_NEW,
				    A("agent-inject-file-%s") ": \"%s\" contains \"..\"; the file "
							      "must stay inside %s",
				    raw, file, sec->mount_path);
		sec->destination = gopath_join(c->a, sec->mount_path, file);
		clean_mount = gopath_clean(c->a, sec->mount_path);
		if (!sec->destination || !clean_mount)
			return -ENOMEM;
		if (strcmp(sec->destination, clean_mount) == 0)
			return fail(c, STAGE_NEW,
				    A("agent-inject-file-%s") ": \"%s\" names the directory %s "
							      "itself, not a file in it",
				    raw, file, sec->mount_path);
	} else {
		if (strcmp(sec->name, ".") == 0 || strcmp(sec->name, "..") == 0)
			return fail(c, STAGE_NEW, "secret name \"%s\" is not a file name",
				    sec->name);
		/* fmt.Sprintf("%s/%s"), not filepath.Join: exactly the stock string */
		sec->destination = arena_join(c->a, sec->mount_path, '/', sec->name);
		if (!sec->destination)
			return -ENOMEM;
	}
	return 0;
}

static int build_secrets(struct bctx *c)
{
	static const char *const defining[] = { "agent-inject-secret", "agent-inject-template-file",
						"agent-inject-template" };
	struct agentspec *s = c->s;
	size_t cap = AGENTSPEC_MAX_SECRETS;
	int r;

	/* uninitialised: each entry is written whole when it is added */
	s->secrets = arena_alloc_uninit(c->a, cap * sizeof(*s->secrets));
	if (!s->secrets)
		return -ENOMEM;
	for (size_t i = 0; i < c->nanns; i++) {
		const struct ann_entry *e = &c->anns[i];

		if (is_blank(e->value))
			continue;
		for (size_t f = 0; f < ARRAY_SIZE(defining); f++) {
			const char *raw = has_prefix(e->key, defining[f]);
			bool oom = false;
			const char *name;

			if (!raw || raw[0] != '-')
				continue;
			raw++;
			name = preserve_case(c, raw, &oom) ? raw : lower(c->a, raw);
			if (oom || !name)
				return -ENOMEM;
			if (!name[0])
				continue; /* the stock loop tries the next family */
			if (is_secret_name(s, raw))
				break;
			if (s->nsecrets == cap)
				return fail(c, STAGE_NEW,
					    "the pod asks for more than %d secrets; vaultlet-agent "
					    "renders at most %d files",
					    AGENTSPEC_MAX_SECRETS, AGENTSPEC_MAX_SECRETS);
			s->secrets[s->nsecrets++] =
			    (struct agentspec_secret){ .raw_name = raw, .name = name };
			break;
		}
	}
	qsort(s->secrets, s->nsecrets, sizeof(*s->secrets), cmp_secret);
	s->custom_paths = arena_alloc(c->a, (s->nsecrets ? s->nsecrets : 1) * sizeof(char *));
	if (!s->custom_paths)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsecrets; i++) {
		struct agentspec_secret *sec = &s->secrets[i];
		bool seen = false;

		r = secret_details(c, sec);
		if (r < 0)
			return r;
		if (strcmp(sec->mount_path, s->secret_volume_path) == 0)
			continue;
		for (size_t j = 0; j < s->ncustom && !seen; j++)
			seen = strcmp(s->custom_paths[j], sec->mount_path) == 0;
		if (!seen)
			s->custom_paths[s->ncustom++] = sec->mount_path;
	}
	for (size_t i = 0; i < s->nsecrets; i++) {
		for (size_t j = i + 1; j < s->nsecrets; j++) {
			if (strcmp(s->secrets[i].destination, s->secrets[j].destination) != 0)
				continue;
			r = agentspec_warn(s, c->a,
					   "secrets \"%s\" and \"%s\" both write %s; the last "
					   "rendered wins",
					   s->secrets[i].raw_name, s->secrets[j].raw_name,
					   s->secrets[i].destination);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- auth config (stock authConfig()) ---- */

/*
 * Adds key = value to the auth config; a later value for the same key wins.
 * Appends only: sort_kv() drops the overridden entries once at the end, so
 * many auth-config-* annotations cost n log n, not n^2.
 */
static int set_kv(struct bctx *c, size_t cap, const char *key, const char *value)
{
	struct agentspec *s = c->s;

	if (s->nauth_config == cap)
		return -E2BIG;
	if (s->nauth_config == AGENTSPEC_MAX_AUTH_CONFIG)
		return fail(c, STAGE_NEW,
			    "the auth config would have more than %d parameters (auth-config-* "
			    "annotations, the role and the token path); remove the ones the auth "
			    "method does not use",
			    AGENTSPEC_MAX_AUTH_CONFIG);
	s->auth_config[s->nauth_config++] = (struct agentspec_kv){ key, value };
	return 0;
}

struct kv_at {
	struct agentspec_kv kv;
	size_t at; /* the order set_kv saw it in */
};

static int cmp_kv_at(const void *x, const void *y)
{
	const struct kv_at *a = x, *b = y;
	int d = strcmp(a->kv.key, b->kv.key);

	return d ? d : (a->at > b->at) - (a->at < b->at);
}

/* Sorts the auth config by key, keeping the last value set for each key. */
static int sort_kv(struct bctx *c)
{
	struct agentspec *s = c->s;
	size_t n = s->nauth_config, out = 0;
	struct kv_at *t = arena_alloc(c->a, (n ? n : 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t[i] = (struct kv_at){ s->auth_config[i], i };
	qsort(t, n, sizeof(*t), cmp_kv_at);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(t[i].kv.key, t[i + 1].kv.key) == 0)
			continue;
		s->auth_config[out++] = t[i].kv;
	}
	s->nauth_config = out;
	return 0;
}

static int build_auth_config(struct bctx *c, const char *token_file, const char *role)
{
	struct agentspec *s = c->s;
	size_t cap = c->nanns + 2;
	int r;

	s->auth_config = arena_alloc(c->a, cap * sizeof(*s->auth_config));
	if (!s->auth_config)
		return -ENOMEM;
	if (s->sa_mount_path[0] && token_file[0]) {
		char *tp = gopath_join(c->a, s->sa_mount_path, token_file);

		if (!tp)
			return -ENOMEM;
		r = set_kv(c, cap, "token_path", tp);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->nanns; i++) {
		const char *param = has_prefix(c->anns[i].key, "auth-config-");
		char *k;

		if (!param)
			continue;
		k = arena_strdup(c->a, param);
		if (!k)
			return -ENOMEM;
		for (char *q = k; *q; q++) {
			if (*q == '-')
				*q = '_';
		}
		r = set_kv(c, cap, k, c->anns[i].value);
		if (r < 0)
			return r;
	}
	if (role[0]) {
		r = set_kv(c, cap, "role", role);
		if (r < 0)
			return r;
	}
	return sort_kv(c);
}

/* ---- scalars ---- */

static int quantity(struct bctx *c, const char *key, const char *dflt, char out[QUANTITY_MAX])
{
	const char *v = ann(c, key, dflt);
	int r;

	out[0] = '\0';
	if (!v[0])
		return 0;
	if (v == dflt && strlen(v) < QUANTITY_MAX) {
		memcpy(out, v, strlen(v) + 1); /* canonical already (inject_defaults) */
		return 0;
	}
	r = quantity_normalize(v, out);
	if (r < 0) {
		out[0] = '\0';
		return fail(c, STAGE_PATCH,
			    "%s: \"%s\" is not a Kubernetes quantity (e.g. 250m, 64Mi, 1Gi)", key,
			    v);
	}
	return 0;
}

static int parse_int_ann(struct bctx *c, const char *key, const char *dflt, int64_t *ret)
{
	const char *v = ann(c, key, dflt);

	if (!goparse_int64(v, ret))
		return fail(c, STAGE_NEW, "%s: invalid integer \"%s\"", key, v);
	return 0;
}

bool agentspec_interval_ok(const char *v)
{
	size_t n = strlen(v);
	int64_t x;

	if (n == 0)
		return false;
	if (v[n - 1] >= '0' && v[n - 1] <= '9')
		return goparse_int64(v, &x) && x > 0 && x <= INT64_MAX / GOPARSE_NS_PER_SEC;
	return goparse_duration(v, &x) && x > 0;
}

int agentspec_fraction(const char *v, double *ret)
{
	char *end = NULL;
	double f;

	/* strconv.ParseFloat has no leading blanks; NaN and Inf cannot be marshalled */
	if (!v[0] || v[0] == ' ' || (v[0] >= '\t' && v[0] <= '\r'))
		return -EINVAL;
	errno = 0;
	f = strtod(v, &end);
	if (*end || errno == ERANGE || !isfinite(f))
		return -EINVAL;
	if (f < 0 || f > 1)
		return -ERANGE;
	*ret = f;
	return 0;
}

static int parse_float(struct bctx *c, const char *key, const char *v)
{
	double f = 0;
	int r = agentspec_fraction(v, &f);

	if (r == -ERANGE)
		return fail(c, STAGE_NEW, "%s: %s is not a fraction between 0 and 1", key, v);
	if (r < 0)
		return fail(c, STAGE_NEW, "%s: invalid number \"%s\" (e.g. 0.75)", key, v);
	c->s->has_lease_renewal_threshold = f != 0; /* 0 is omitted, like omitempty */
	c->s->lease_renewal_threshold = f;
	return 0;
}

/*
 * The next item of a comma list at *pos, trimmed of blanks (the stock
 * injector does not trim "a, b"), as [*b, *e); false at the end. Empty
 * items come back empty.
 */
static bool next_item(const char **pos, const char **b, const char **e)
{
	const char *item = *pos, *end;
	size_t len;

	if (!*item)
		return false;
	end = strchr(item, ',');
	len = end ? (size_t)(end - item) : strlen(item);
	*b = item;
	*e = item + len;
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
	*pos = end ? end + 1 : item + len;
	return true;
}

/* A container name, for select_targets' sorted index. */
struct cname {
	const char *name;
	size_t len;
	size_t idx;
};

static int cmp_bytes(const char *x, size_t xl, const char *y, size_t yl)
{
	int d = memcmp(x, y, xl < yl ? xl : yl);

	return d ? d : (xl > yl) - (xl < yl);
}

static int cmp_cname(const void *x, const void *y)
{
	const struct cname *a = x, *b = y;
	int d = cmp_bytes(a->name, a->len, b->name, b->len);

	return d ? d : (a->idx > b->idx) - (a->idx < b->idx);
}

/* The first of names[0..n) equal to [b, e), or n. */
static size_t find_cname(const struct cname *names, size_t n, const char *b, const char *e)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_bytes(names[mid].name, names[mid].len, b, (size_t)(e - b)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && cmp_bytes(names[lo].name, names[lo].len, b, (size_t)(e - b)) == 0 ? lo : n;
}

/*
 * The containers agent-inject-containers names (all of them without the
 * annotation). The names are sorted once and each list item is a binary
 * search, so a long list against many containers costs (items + containers)
 * x log(containers), never items x containers; the list is capped too.
 */
static int select_targets(struct bctx *c)
{
	const struct pod *p = c->pod;
	struct agentspec *s = c->s;
	const char *list = lookup(c, A("agent-inject-containers")), *pos = list, *b, *e;
	size_t nc = p->ncontainers, nitems = 0;
	struct cname *names;
	bool *hit;
	int r;

	s->targets = arena_alloc(c->a, (nc ? nc : 1) * sizeof(size_t));
	hit = arena_alloc(c->a, nc ? nc : 1);
	names = arena_alloc(c->a, (nc ? nc : 1) * sizeof(*names));
	if (!s->targets || !hit || !names)
		return -ENOMEM;
	for (size_t i = 0; i < nc; i++)
		names[i] =
		    (struct cname){ p->containers[i].name, strlen(p->containers[i].name), i };
	if (list)
		qsort(names, nc, sizeof(*names), cmp_cname);
	while (list && next_item(&pos, &b, &e)) {
		size_t k;

		if (++nitems > AGENTSPEC_MAX_TARGET_ITEMS)
			return fail(c, STAGE_NEW,
				    A("agent-inject-containers") " lists more than %d items; name "
								 "each container once",
				    AGENTSPEC_MAX_TARGET_ITEMS);
		if (e == b)
			continue;
		k = find_cname(names, nc, b, e);
		for (size_t j = k;
		     j < nc && cmp_bytes(names[j].name, names[j].len, b, (size_t)(e - b)) == 0; j++)
			hit[names[j].idx] = true;
		/* names that match no container are most likely typos */
		if (k == nc) {
			r = agentspec_warn(
			    s, c->a,
			    A("agent-inject-containers") " names \"%.*s\", which is not "
							 "a container of the pod",
			    (int)(e - b), b);
			if (r < 0)
				return r;
		}
	}
	/* in the pod's order, whatever the list's */
	for (size_t i = 0; i < nc; i++) {
		if (!list || hit[i])
			s->targets[s->ntargets++] = i;
	}
	return 0;
}

/* ---- native sidecar mode ---- */

/*
 * s->native_sidecar from vaultlet/native-sidecar, else the upstream
 * proposal's agent-native-sidecar, else the -native-sidecar default. When
 * both annotations are set they must agree. agent-pre-populate-only wins:
 * an init container only, as without native mode, and a warning says so.
 */
static int native_sidecar(struct bctx *c)
{
	const char *ours = pod_annotation(c->pod, NATIVE_SIDECAR_ANNOTATION);
	const char *theirs = lookup(c, A("agent-native-sidecar"));
	bool on = c->d->native_sidecar, upstream = false;

	if (ours && !goparse_bool(ours, &on))
		return fail(
		    c, STAGE_NEW,
		    NATIVE_SIDECAR_ANNOTATION ": invalid boolean \"%s\" (use true or false)", ours);
	if (theirs && !goparse_bool(theirs, &upstream))
		return fail(
		    c, STAGE_NEW,
		    A("agent-native-sidecar") ": invalid boolean \"%s\" (use true or false)",
		    theirs);
	if (ours && theirs && on != upstream)
		return fail(c, STAGE_NEW,
			    NATIVE_SIDECAR_ANNOTATION
			    " is %s but " A("agent-native-sidecar") " is %s: remove one of them",
			    ours, theirs);
	if (!ours && theirs)
		on = upstream;
	c->s->native_sidecar = on && !c->s->pre_populate_only;
	if (!on || !c->s->pre_populate_only)
		return 0;
	return agentspec_warn(c->s, c->a,
			      "native sidecar mode (%s) was ignored: " A(
				  "agent-pre-populate-only") " injects an init container only; "
							     "drop it to get a native sidecar, "
							     "which also lets a Job's pod complete",
			      ours     ? NATIVE_SIDECAR_ANNOTATION
			      : theirs ? A("agent-native-sidecar")
				       : "-native-sidecar");
}

/* A backoff that parsed: denied when negative or over AGENTSPEC_MAX_BACKOFF. */
static int backoff_in_range(struct bctx *c, const char *key, const char *v)
{
	int64_t ns = 0;

	if (!v[0] || !goparse_duration(v, &ns))
		return 0;
	if (ns < 0 || ns > AGENTSPEC_MAX_BACKOFF_NS)
		return fail(c, STAGE_INIT,
			    "%s: \"%s\" is not a backoff between 0 and 24h (the agent's default "
			    "is 1s to 5m)",
			    key, v);
	return 0;
}

int agentspec_build(const struct inject_defaults *d, const struct pod *pod, const char *ns,
		    struct arena *a, struct agentspec *ret, const char **ret_msg)
{
	struct agentspec *s = ret;
	struct bctx c = { .d = d, .pod = pod, .a = a, .s = s, .msg = ret_msg };
	const char *token_file = "", *role, *v, *request_ns;
	bool same_user, set_sc, share;
	int r;

	*s = (struct agentspec){ .pod = pod, .namespace_ = ns, .share_process_namespace = -1 };
	*ret_msg = NULL;

	/* Init(): the injector-wide settings that must exist */
	if (!d->vault_address[0])
		return fail(&c, STAGE_INIT, "address for Vault required");
	if (!d->auth_path[0])
		return fail(&c, STAGE_INIT, "Vault Auth Path required");
	if (!ns[0])
		return fail(&c, STAGE_INIT, "kubernetes namespace required");
	r = collect_annotations(&c);
	if (r < 0)
		return r;
	s->min_backoff = ann(&c, A("auth-min-backoff"), d->auth_min_backoff);
	s->max_backoff = ann(&c, A("auth-max-backoff"), d->auth_max_backoff);
	{
		int64_t ns_;

		if (s->min_backoff[0] && !goparse_duration(s->min_backoff, &ns_))
			return fail(&c, STAGE_INIT,
				    "error parsing min backoff as duration: " A(
					"auth-min-backoff") ": invalid duration \"%s\"",
				    s->min_backoff);
		if (s->max_backoff[0] && !goparse_duration(s->max_backoff, &ns_))
			return fail(&c, STAGE_INIT,
				    "error parsing max backoff as duration: " A(
					"auth-max-backoff") ": invalid duration \"%s\"",
				    s->max_backoff);
		r = backoff_in_range(&c, A("auth-min-backoff"), s->min_backoff);
		if (r == 0)
			r = backoff_in_range(&c, A("auth-max-backoff"), s->max_backoff);
		if (r < 0)
			return r;
	}

	if (present(&c, A("agent-configmap")))
		return fail(
		    &c, STAGE_NEW,
		    A("agent-configmap") " is not supported by vaultlet: the agent is "
					 "configured from the pod's annotations (remove it and "
					 "use agent-inject-secret-*/agent-inject-template-*)");

	/* New() */
	r = find_service_account(&c, &token_file);
	if (r < 0)
		return r;

	v = ann(&c, A("agent-inject-default-template"), d->default_template);
	if (strcasecmp(v, "map") == 0) {
		c.map_template = true;
	} else if (strcasecmp(v, "json") != 0) {
		char *lv = lower(a, v);

		return lv ? fail(&c, STAGE_NEW,
				 "invalid default template type: %s (" A(
				     "agent-inject-default-template") " must be map or json)",
				 lv)
			  : -ENOMEM;
	}
	s->secret_volume_path = ann(&c, A("secret-volume-path"), AGENT_SECRETS_PATH);
	if (s->secret_volume_path[0] != '/')
		return fail(&c, STAGE_NEW,
			    A("secret-volume-path") " must be an absolute path, not \"%s\"",
			    s->secret_volume_path);
	r = build_secrets(&c);
	if (r < 0)
		return r;
	role = ann(&c, A("role"), "");
	r = build_auth_config(&c, token_file, role);
	if (r < 0)
		return r;

	r = get_bool(&c, STAGE_NEW, A("agent-init-first"), false, &s->init_first);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-pre-populate"), true, &s->pre_populate);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-pre-populate-only"), false,
			     &s->pre_populate_only);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-revoke-on-shutdown"), d->revoke_on_shutdown,
			     &s->revoke_on_shutdown);
	if (r < 0)
		return r;
	if (!s->pre_populate && s->pre_populate_only) {
		r = agentspec_warn(s, a,
				   A("agent-pre-populate") " false with " A(
				       "agent-pre-populate-only") " true injects no agent at all");
		if (r < 0)
			return r;
	}
	r = native_sidecar(&c);
	if (r < 0)
		return r;
	v = ann(&c, A("agent-revoke-grace"), "5");
	if (!goparse_uint64(v, &s->revoke_grace))
		return fail(&c, STAGE_NEW,
			    A("agent-revoke-grace") ": \"%s\" is not a whole number of seconds", v);
	if (s->revoke_grace > INT32_MAX)
		return fail(&c, STAGE_NEW, A("agent-revoke-grace") ": %s seconds is too long", v);
	r = get_bool(&c, STAGE_NEW, A("tls-skip-verify"), false, &s->tls_skip_verify);
	if (r < 0)
		return r;
	r = parse_int_ann(&c, A("agent-run-as-user"), d->run_as_user, &s->run_as_user);
	if (r == 0)
		r = parse_int_ann(&c, A("agent-run-as-group"), d->run_as_group, &s->run_as_group);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-run-as-same-user"), d->run_as_same_user,
			     &same_user);
	if (r < 0)
		return r;
	if (same_user) {
		const struct pod_container *c0 = pod->ncontainers ? &pod->containers[0] : NULL;

		if (!c0)
			return fail(&c, STAGE_NEW, "No containers found in Pod Spec");
		if (!c0->has_security_context)
			return fail(&c, STAGE_NEW,
				    "No SecurityContext found for Container 0 (needed by "
				    "agent-run-as-same-user)");
		if (!c0->has_run_as_user)
			return fail(&c, STAGE_NEW,
				    "RunAsUser is nil for Container 0's SecurityContext (needed by "
				    "agent-run-as-same-user)");
		if (c0->run_as_user == 0)
			return fail(&c, STAGE_NEW, "container not allowed to run as root");
		s->run_as_user = c0->run_as_user;
	}
	v = lookup(&c, A("agent-share-process-namespace"));
	if (v) {
		if (!goparse_bool(v, &share))
			return fail(&c, STAGE_NEW,
				    "invalid value %s for annotation \"" A(
					"agent-share-process-namespace") "\" (use true or false)",
				    v);
		if (pod->share_process_namespace == 0 && share)
			return fail(
			    &c, STAGE_NEW,
			    "shareProcessNamespace explicitly disabled on the pod, refusing "
			    "to enable it");
		s->share_process_namespace = share;
	}
	set_sc = d->set_security_context;
	if (!d->set_security_context && !present(&c, A("agent-set-security-context")) &&
	    (present(&c, A("agent-run-as-user")) || present(&c, A("agent-run-as-same-user")) ||
	     present(&c, A("agent-run-as-group"))))
		set_sc = true;
	r = get_bool(&c, STAGE_NEW, A("agent-set-security-context"), set_sc,
		     &s->set_security_context);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-inject-token"), false, &s->inject_token);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("template-config-exit-on-retry-failure"),
			     d->exit_on_retry_failure, &s->exit_on_retry_failure);
	if (r == 0)
		r = get_bool(&c, STAGE_NEW, A("agent-auto-auth-exit-on-err"), false,
			     &s->auto_auth_exit_on_err);
	if (r < 0)
		return r;
	s->token_sink = gopath_join(a, s->secret_volume_path, "token");
	if (!s->token_sink)
		return -ENOMEM;
	v = ann(&c, A("template-lease-renewal-threshold"), d->lease_renewal_threshold);
	if (v[0]) {
		r = parse_float(&c, A("template-lease-renewal-threshold"), v);
		if (r < 0)
			return r;
	}
	s->static_secret_render_interval =
	    ann(&c, A("template-static-secret-render-interval"), d->static_secret_render_interval);
	if (s->static_secret_render_interval[0] &&
	    !agentspec_interval_ok(s->static_secret_render_interval))
		return fail(
		    &c, STAGE_NEW,
		    A("template-static-secret-render-interval") ": \"%s\" is not a positive "
								"duration (e.g. 30s, 5m)",
		    s->static_secret_render_interval);

	s->image = ann(&c, A("agent-image"), d->vault_image);
	s->address = ann(&c, A("service"), d->vault_address);
	s->auth_type = ann(&c, A("auth-type"), d->auth_type[0] ? d->auth_type : "kubernetes");
	s->auth_path = ann(&c, A("auth-path"), d->auth_path);
	s->vault_namespace = ann(&c, A("namespace"), d->vault_namespace);
	s->proxy_address = ann(&c, A("proxy-address"), d->proxy_address);
	s->ca_cert = ann(&c, A("ca-cert"), "");
	s->ca_key = ann(&c, A("ca-key"), "");
	s->client_cert = ann(&c, A("client-cert"), "");
	s->client_key = ann(&c, A("client-key"), "");
	s->tls_secret = ann(&c, A("tls-secret"), "");
	s->tls_server_name = ann(&c, A("tls-server-name"), "");
	s->extra_secret = ann(&c, A("agent-extra-secret"), "");
	s->copy_volume_mounts = ann(&c, A("agent-copy-volume-mounts"), "");
	s->log_level = ann(&c, A("log-level"), "info");
	s->log_format = ann(&c, A("log-format"), "standard");
	s->cacert_bytes = d->vault_cacert_bytes;
	r = select_targets(&c);
	if (r < 0)
		return r;

	/* Validate() */
	request_ns = ann(&c, A("agent-request-namespace"), ns);
	if (!request_ns[0])
		return fail(&c, STAGE_VALIDATE, "namespace missing from request");
	if (!s->sa_volume[0] || !s->sa_mount_path[0] || !token_file[0])
		return fail(&c, STAGE_VALIDATE,
			    "no service account token volume name, mount path or token path found");
	if (!s->image[0])
		return fail(&c, STAGE_VALIDATE, "no Vault image found");
	if (!s->auth_type[0])
		return fail(&c, STAGE_VALIDATE, "no Vault Auth Type found");
	if (strcmp(s->auth_type, "kubernetes") != 0)
		return fail(&c, STAGE_VALIDATE,
			    "auth-type \"%s\" is not supported by vaultlet (only kubernetes)",
			    s->auth_type);
	if (!role[0] && !ann(&c, A("auth-config-role"), "")[0])
		return fail(&c, STAGE_VALIDATE, "no Vault role found (set " A("role") ")");
	if (!s->auth_path[0])
		return fail(&c, STAGE_VALIDATE, "no Vault Auth Path found");
	if (!s->address[0])
		return fail(&c, STAGE_VALIDATE, "no Vault address found");

	/* Patch(): resources */
	r = quantity(&c, A("agent-limits-cpu"), d->cpu_limit, s->limits_cpu);
	if (r == 0)
		r = quantity(&c, A("agent-limits-mem"), d->mem_limit, s->limits_mem);
	if (r == 0)
		r = quantity(&c, A("agent-limits-ephemeral"), d->ephemeral_limit, s->limits_eph);
	if (r == 0)
		r = quantity(&c, A("agent-requests-cpu"), d->cpu_request, s->requests_cpu);
	if (r == 0)
		r = quantity(&c, A("agent-requests-mem"), d->mem_request, s->requests_mem);
	if (r == 0)
		r = quantity(&c, A("agent-requests-ephemeral"), d->ephemeral_request,
			     s->requests_eph);
	if (r < 0)
		return r;

	return scan_annotations(&c);
}
