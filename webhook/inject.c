/* SPDX-License-Identifier: MIT */
/*
 * inject: JSON Patch for the agent (see inject.h).
 *
 * DESIGN
 * ------
 * Ops are written straight into the output buffer with jw, in the stock
 * order: token volumes, secrets volumes, extra-secret and TLS volumes, app
 * container mounts, the init container and the existing init containers'
 * mounts, shareProcessNamespace, the sidecar, the status annotation. In
 * native sidecar mode the one agent takes the init agent's place in that
 * order, always at /spec/initContainers/0.
 * struct arr tracks one target array: its JSON pointer and how many
 * elements it has *now*, which decides between "add <path> [v]" (create)
 * and "add <path>/- v" (append).
 *
 * Before writing anything, the pod is checked for names and mount paths
 * the agent would collide with, because the API server would otherwise
 * reject the patched pod with a message that does not mention the agent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "inject.h"
#include "jw.h"
#include "vconfig.h"

#define A(x) ANNOTATION_PREFIX x

struct mount {
	const char *name;
	const char *path;
	bool read_only;
	json_t *copy; /* a mount copied from an app container: written field by field */
};

struct ictx {
	const struct inject_defaults *d;
	struct agentspec *s;
	const struct pod *pod;
	struct arena *a;
	struct jw *w;
	const char **msg;
	bool copy_checked; /* the copy-volume-mounts source was looked up (warn once) */
	/* Both agents' configurations as JSON; VAULT_CONFIG is their base64 */
	struct buf config[2]; /* [0] sidecar, [1] init */
};

static int deny(struct ictx *c, const char *fmt, ...) VL_PRINTF(2, 3);

static int deny(struct ictx *c, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	*c->msg = m ? arena_printf(c->a, "error creating patch for agent: %s", m) : NULL;
	return *c->msg ? -EINVAL : -ENOMEM;
}

/* ---- values ---- */

static void empty_dir(struct jw *w, const char *name)
{
	jw_object_open(w);
	jw_kv_string(w, "name", name);
	JW_ENCODED_MEMBERS(w, "\"emptyDir\":{\"medium\":\"Memory\"}");
	jw_object_close(w);
}

static void secret_volume(struct jw *w, const char *name, const char *secret)
{
	jw_object_open(w);
	jw_kv_string(w, "name", name);
	jw_key(w, "secret");
	jw_object_open(w);
	jw_kv_string(w, "secretName", secret);
	jw_object_close(w);
	jw_object_close(w);
}

/* corev1.VolumeMount field order; a copied mount keeps the fields Go would keep */
static void write_mount(struct jw *w, const struct mount *m)
{
	static const struct {
		const char *key;
		bool is_bool;
	} fields[] = {
		{ "name", false },	  { "readOnly", true }, { "recursiveReadOnly", false },
		{ "mountPath", false },	  { "subPath", false }, { "mountPropagation", false },
		{ "subPathExpr", false },
	};

	jw_object_open(w);
	if (!m->copy) {
		jw_kv_string(w, "name", m->name);
		if (m->read_only)
			jw_kv_bool(w, "readOnly", true);
		jw_kv_string(w, "mountPath", m->path);
		jw_object_close(w);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = json_object_get(m->copy, fields[i].key);

		if (fields[i].is_bool && json_is_true(v)) {
			jw_kv_bool(w, fields[i].key, true);
		} else if (!fields[i].is_bool && json_is_string(v)) {
			const char *sv = json_string_value(v);

			/* omitempty, except the two fields Go always writes */
			if (sv[0] || strcmp(fields[i].key, "name") == 0 ||
			    strcmp(fields[i].key, "mountPath") == 0)
				jw_kv_string(w, fields[i].key, sv);
		}
	}
	jw_object_close(w);
}

static void value_env(struct jw *w, const char *name, const char *value)
{
	if (!value || !value[0])
		return;
	jw_object_open(w);
	jw_kv_string(w, "name", name);
	jw_kv_string(w, "value", value);
	jw_object_close(w);
}

static void resource_list(struct jw *w, const char *key, const char *cpu, const char *eph,
			  const char *mem)
{
	if (!cpu[0] && !eph[0] && !mem[0])
		return;
	jw_key(w, key);
	jw_object_open(w);
	if (cpu[0])
		jw_kv_string(w, "cpu", cpu);
	if (eph[0])
		jw_kv_string(w, "ephemeral-storage", eph);
	if (mem[0])
		jw_kv_string(w, "memory", mem);
	jw_object_close(w);
}

/* ---- mounts of the agent containers ---- */

static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	}
	return false;
}

static int add_mount(struct mount *list, size_t *n, size_t cap, struct mount m)
{
	if (*n == cap)
		return -E2BIG;
	list[(*n)++] = m;
	return 0;
}

static int copied_mounts(struct ictx *c, struct mount *list, size_t *n, size_t cap)
{
	const struct pod *p = c->pod;
	const char *src = c->s->copy_volume_mounts;
	bool found = false;
	int r;

	if (!src[0])
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct pod_container *cs = pass ? p->init_containers : p->containers;
		size_t nc = pass ? p->ninit : p->ncontainers;

		for (size_t i = 0; i < nc; i++) {
			if (strcmp(cs[i].name, src) != 0)
				continue;
			found = true;
			for (size_t j = 0; j < cs[i].nmounts; j++) {
				const struct pod_mount *pm = &cs[i].mounts[j];

				if (ci_contains(pm->mount_path, "serviceaccount"))
					continue;
				r = add_mount(list, n, cap,
					      (struct mount){ .name = pm->name,
							      .path = pm->mount_path,
							      .copy = pm->obj });
				if (r < 0)
					return r;
			}
		}
	}
	if (!found && !c->copy_checked) {
		c->copy_checked = true;
		return agentspec_warn(c->s, c->a,
				      A("agent-copy-volume-mounts") " names \"%s\", which is not a "
								    "container of the pod",
				      src);
	}
	c->copy_checked = true;
	return 0;
}

struct mount_at {
	const char *path;
	size_t at;
};

static int cmp_mount_at(const void *x, const void *y)
{
	const struct mount_at *a = x, *b = y;
	int d = strcmp(a->path, b->path);

	return d ? d : (a->at > b->at) - (a->at < b->at);
}

/*
 * Denies when two of the agent's mounts share a path, naming the pair a
 * pairwise scan would find first (the earliest mount that has a later
 * twin, and its first twin). Sorting by (path, position) makes that
 * n log n: within a run of one path the first two entries are the pair,
 * and the run whose first entry comes earliest wins.
 */
static int check_mount_clash(struct ictx *c, const struct mount *list, size_t n)
{
	struct mount_at *t = arena_alloc(c->a, (n ? n : 1) * sizeof(*t));
	size_t best_i = n, best_j = n;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t[i] = (struct mount_at){ list[i].path, i };
	qsort(t, n, sizeof(*t), cmp_mount_at);
	for (size_t k = 0; k + 1 < n; k++) {
		if (strcmp(t[k].path, t[k + 1].path) != 0)
			continue;
		if (t[k].at < best_i) {
			best_i = t[k].at;
			best_j = t[k + 1].at;
		}
		while (k + 1 < n && strcmp(t[k].path, t[k + 1].path) == 0)
			k++; /* the rest of this run */
	}
	if (best_i == n)
		return 0;
	return deny(c,
		    "the agent container would mount both %s and %s at %s "
		    "(check secret-volume-path and agent-copy-volume-mounts)",
		    list[best_i].name, list[best_j].name, list[best_i].path);
}

static int agent_mounts(struct ictx *c, bool init, struct mount *list, size_t *n, size_t cap)
{
	const struct agentspec *s = c->s;
	const struct mount sa = { s->sa_volume, s->sa_mount_path, true, NULL };
	const struct mount home = { init ? AGENT_HOME_INIT : AGENT_HOME_SIDECAR, AGENT_HOME_PATH,
				    false, NULL };
	int r = 0;

	*n = 0;
	if (init) {
		r = add_mount(list, n, cap, home);
		if (r == 0)
			r = add_mount(list, n, cap, sa);
	} else {
		r = add_mount(list, n, cap, sa);
		if (r == 0)
			r = add_mount(list, n, cap, home);
	}
	if (r == 0)
		r = add_mount(
		    list, n, cap,
		    (struct mount){ AGENT_SECRETS_VOLUME, s->secret_volume_path, false, NULL });
	for (size_t i = 0; i < s->ncustom && r == 0; i++) {
		char *name = arena_printf(c->a, AGENT_SECRETS_VOLUME "-custom-%zu", i);

		if (!name)
			return -ENOMEM;
		r = add_mount(list, n, cap,
			      (struct mount){ name, s->custom_paths[i], false, NULL });
	}
	if (r == 0 && s->extra_secret[0])
		r = add_mount(list, n, cap,
			      (struct mount){ AGENT_EXTRA_VOLUME, AGENT_EXTRA_PATH, true, NULL });
	if (r == 0)
		r = copied_mounts(c, list, n, cap);
	if (r == 0 && s->tls_secret[0])
		r = add_mount(list, n, cap,
			      (struct mount){ AGENT_TLS_VOLUME, AGENT_TLS_PATH, true, NULL });
	if (r < 0)
		return r;
	return check_mount_clash(c, list, *n);
}

/* ---- the containers ---- */

/* Both agents' configurations, into c->config (freed by inject_patch). */
static int agent_configs(struct ictx *c)
{
	int r = buf_reserve(&c->config[1], 4096);

	if (r == 0)
		r = vconfig_render_both(c->s, &c->config[1], &c->config[0]);
	if (r == -E2BIG)
		return deny(
		    c,
		    "the agent configuration is over %d bytes, too big for the VAULT_CONFIG "
		    "environment variable (Linux allows 128 KiB); use fewer or smaller "
		    "inline templates, or agent-inject-template-file",
		    VCONFIG_MAX);
	return r;
}

/*
 * The native sidecar's startupProbe (corev1.Probe field order): the image
 * has no shell, so the probe execs the agent binary itself.
 */
static void startup_probe(struct ictx *c)
{
	struct jw *w = c->w;

	jw_key(w, "startupProbe");
	jw_object_open(w);
	jw_key(w, "exec");
	jw_object_open(w);
	jw_key(w, "command");
	jw_array_open(w);
	jw_string(w, c->d->agent_command);
	jw_string(w, "status");
	jw_string(w, "-ready");
	jw_array_close(w);
	jw_object_close(w);
	jw_kv_int(w, "periodSeconds", AGENT_PROBE_PERIOD_S);
	jw_kv_int(w, "failureThreshold", AGENT_PROBE_FAILURES);
	jw_object_close(w);
}

static int write_container(struct ictx *c, bool init)
{
	const struct agentspec *s = c->s;
	struct jw *w = c->w;
	struct mount *mounts;
	size_t nmounts = 0, cap;
	int r;

	cap = 8 + s->ncustom;
	for (size_t i = 0; i < c->pod->ncontainers; i++)
		cap += c->pod->containers[i].nmounts;
	for (size_t i = 0; i < c->pod->ninit; i++)
		cap += c->pod->init_containers[i].nmounts;
	mounts = arena_alloc(c->a, cap * sizeof(*mounts));
	if (!mounts)
		return -ENOMEM;
	r = agent_mounts(c, init, mounts, &nmounts, cap);
	if (r < 0)
		return r;

	jw_object_open(w);
	jw_kv_string(w, "name", init ? AGENT_INIT_NAME : AGENT_SIDECAR_NAME);
	jw_kv_string(w, "image", s->image);
	jw_key(w, "command");
	jw_array_open(w);
	jw_string(w, c->d->agent_command);
	jw_array_close(w);
	jw_key(w, "env");
	jw_array_open(w);
	/* the downward API variables, the same in every agent container */
	JW_ENCODED(w, "{\"name\":\"NAMESPACE\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
		      "\"metadata.namespace\"}}}");
	JW_ENCODED(w, "{\"name\":\"HOST_IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
		      "\"status.hostIP\"}}}");
	JW_ENCODED(w, "{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
		      "\"status.podIP\"}}}");
	value_env(w, "VAULT_LOG_LEVEL", s->log_level);
	value_env(w, "VAULT_LOG_FORMAT", s->log_format);
	value_env(w, "HTTPS_PROXY", s->proxy_address);
	jw_object_open(w);
	jw_kv_string(w, "name", "VAULT_CONFIG");
	jw_key(w, "value");
	jw_base64_string(w, c->config[init].data, c->config[init].len);
	jw_object_close(w);
	value_env(w, "VAULT_CACERT_BYTES", s->cacert_bytes);
	jw_array_close(w);
	jw_key(w, "resources");
	jw_object_open(w);
	resource_list(w, "limits", s->limits_cpu, s->limits_eph, s->limits_mem);
	resource_list(w, "requests", s->requests_cpu, s->requests_eph, s->requests_mem);
	jw_object_close(w);
	if (!init && s->native_sidecar)
		jw_kv_string(w, "restartPolicy", "Always");
	jw_key(w, "volumeMounts");
	jw_array_open(w);
	for (size_t i = 0; i < nmounts; i++)
		write_mount(w, &mounts[i]);
	jw_array_close(w);
	if (!init && s->native_sidecar)
		startup_probe(c);
	/* a native sidecar is stopped after the app containers: no sleep needed */
	if (!init && !s->native_sidecar && s->revoke_on_shutdown && s->revoke_grace > 0) {
		/* sleep, then Kubernetes sends SIGTERM and the agent revokes its token */
		jw_key(w, "lifecycle");
		jw_object_open(w);
		jw_key(w, "preStop");
		jw_object_open(w);
		jw_key(w, "sleep");
		jw_object_open(w);
		jw_kv_int(w, "seconds", (int64_t)s->revoke_grace);
		jw_object_close(w);
		jw_object_close(w);
		jw_object_close(w);
	}
	if (s->set_security_context) {
		jw_key(w, "securityContext");
		jw_object_open(w);
		JW_ENCODED_MEMBERS(w, "\"capabilities\":{\"drop\":[\"ALL\"]}");
		jw_kv_int(w, "runAsUser", s->run_as_user);
		jw_kv_int(w, "runAsGroup", s->run_as_group);
		jw_kv_bool(w, "runAsNonRoot", s->run_as_user != 0 && s->run_as_group != 0);
		JW_ENCODED_MEMBERS(w, "\"readOnlyRootFilesystem\":true,"
				      "\"allowPrivilegeEscalation\":false,"
				      "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}");
		jw_object_close(w);
	}
	jw_object_close(w);
	return 0;
}

/* ---- ops ---- */

struct arr {
	char path[64];
	size_t len;
};

static void op_begin(struct jw *w, const char *op, const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(suffix);
	char full[96];

	if (pl + sl >= sizeof(full)) {
		w->err = w->err ? w->err : -E2BIG;
		return;
	}
	memcpy(full, path, pl);
	memcpy(full + pl, suffix, sl + 1);
	jw_object_open(w);
	jw_kv_string(w, "op", op);
	jw_kv_string(w, "path", full);
	jw_key(w, "value");
}

/* Opens an add op on arr; the caller writes one element, then calls add_end(). */
static void add_begin(struct jw *w, struct arr *arr)
{
	if (arr->len == 0) {
		op_begin(w, "add", arr->path, "");
		jw_array_open(w);
	} else {
		op_begin(w, "add", arr->path, "/-");
	}
}

static void add_end(struct jw *w, struct arr *arr)
{
	if (arr->len == 0)
		jw_array_close(w);
	jw_object_close(w);
	arr->len++;
}

static void add_mount_op(struct jw *w, struct arr *arr, const char *name, const char *path)
{
	const struct mount m = { name, path, false, NULL };

	add_begin(w, arr);
	write_mount(w, &m);
	add_end(w, arr);
}

/* The secrets mounts (vault-secrets, vault-secrets-custom-<i>) on one container's array. */
static void secrets_mount_ops(struct ictx *c, struct arr *arr)
{
	add_mount_op(c->w, arr, AGENT_SECRETS_VOLUME, c->s->secret_volume_path);
	for (size_t i = 0; i < c->s->ncustom; i++) {
		char name[48];

		snprintf(name, sizeof(name), AGENT_SECRETS_VOLUME "-custom-%zu", i);
		add_mount_op(c->w, arr, name, c->s->custom_paths[i]);
	}
}

static int check_conflicts(struct ictx *c)
{
	const struct pod *p = c->pod;
	const struct agentspec *s = c->s;

	for (size_t i = 0; i < p->nvolumes; i++) {
		const char *n = p->volumes[i].name;

		if (strcmp(n, AGENT_HOME_INIT) == 0 || strcmp(n, AGENT_HOME_SIDECAR) == 0 ||
		    strcmp(n, AGENT_SECRETS_VOLUME) == 0 ||
		    strncmp(n, AGENT_SECRETS_VOLUME "-custom-", 21) == 0 ||
		    (s->tls_secret[0] && strcmp(n, AGENT_TLS_VOLUME) == 0) ||
		    (s->extra_secret[0] && strcmp(n, AGENT_EXTRA_VOLUME) == 0))
			return deny(
			    c,
			    "the pod already has a volume named %s (was it injected before? "
			    "set " A("agent-inject-status") ": injected to skip it)",
			    n);
	}
	for (int pass = 0; pass < 2; pass++) {
		const struct pod_container *cs = pass ? p->init_containers : p->containers;
		size_t nc = pass ? p->ninit : p->ncontainers;

		for (size_t i = 0; i < nc; i++) {
			if (strcmp(cs[i].name, AGENT_INIT_NAME) == 0 ||
			    strcmp(cs[i].name, AGENT_SIDECAR_NAME) == 0)
				return deny(
				    c,
				    "the pod already has a container named %s (was it "
				    "injected before? set " A("agent-inject-status") ": "
										     "injected to "
										     "skip it)",
				    cs[i].name);
		}
	}
	return 0;
}

/* Whether a container that gets the secrets mounts already uses one of their paths. */
static int check_mount_paths(struct ictx *c, const struct pod_container *pc)
{
	const struct agentspec *s = c->s;

	for (size_t j = 0; j < pc->nmounts; j++) {
		const char *mp = pc->mounts[j].mount_path;
		bool clash = strcmp(mp, s->secret_volume_path) == 0;

		for (size_t k = 0; k < s->ncustom && !clash; k++)
			clash = strcmp(mp, s->custom_paths[k]) == 0;
		if (clash)
			return deny(c,
				    "container %s already mounts %s at %s, where the secrets would "
				    "go (set " A("secret-volume-path") ")",
				    pc->name, pc->mounts[j].name, mp);
	}
	return 0;
}

static int write_patch(struct ictx *c, struct buf *out)
{
	const struct agentspec *s = c->s;
	const struct pod *p = s->pod;
	struct jw w;
	struct arr vols = { "/spec/volumes", p->nvolumes };
	struct arr inits = { "/spec/initContainers", p->ninit };
	struct arr conts = { "/spec/containers", p->ncontainers };
	size_t start = out->len;
	int r;

	c->w = &w;
	r = check_conflicts(c);
	for (size_t t = 0; t < s->ntargets && r == 0; t++)
		r = check_mount_paths(c, &p->containers[s->targets[t]]);
	for (size_t i = 0; i < p->ninit && r == 0 && (s->pre_populate || s->native_sidecar); i++)
		r = check_mount_paths(c, &p->init_containers[i]);
	if (r == 0)
		r = agent_configs(c);
	if (r < 0)
		return r;

	r = buf_reserve(out, 8 * 1024); /* the seed's patch is 6 KiB */
	if (r < 0)
		return r;
	jw_init(&w, out);
	jw_array_open(&w);

	/* volumes */
	if (s->pre_populate && !s->native_sidecar) {
		add_begin(&w, &vols);
		empty_dir(&w, AGENT_HOME_INIT);
		add_end(&w, &vols);
	}
	if (!s->pre_populate_only) {
		add_begin(&w, &vols);
		empty_dir(&w, AGENT_HOME_SIDECAR);
		add_end(&w, &vols);
	}
	add_begin(&w, &vols);
	empty_dir(&w, AGENT_SECRETS_VOLUME);
	add_end(&w, &vols);
	for (size_t i = 0; i < s->ncustom; i++) {
		char name[48];

		snprintf(name, sizeof(name), AGENT_SECRETS_VOLUME "-custom-%zu", i);
		add_begin(&w, &vols);
		empty_dir(&w, name);
		add_end(&w, &vols);
	}
	if (s->extra_secret[0]) {
		add_begin(&w, &vols);
		secret_volume(&w, AGENT_EXTRA_VOLUME, s->extra_secret);
		add_end(&w, &vols);
	}
	if (s->tls_secret[0]) {
		add_begin(&w, &vols);
		secret_volume(&w, AGENT_TLS_VOLUME, s->tls_secret);
		add_end(&w, &vols);
	}

	/* the secrets mounts in the app containers */
	for (size_t t = 0; t < s->ntargets; t++) {
		size_t i = s->targets[t];
		struct arr m = { .len = p->containers[i].nmounts };

		snprintf(m.path, sizeof(m.path), "/spec/containers/%zu/volumeMounts", i);
		secrets_mount_ops(c, &m);
	}

	/* the init agent (or the native sidecar), and the secrets mounts in the other init containers */
	if (s->pre_populate || s->native_sidecar) {
		size_t shift = 0;

		if ((s->init_first || s->native_sidecar) && inits.len > 0) {
			op_begin(&w, "add", inits.path, "/0");
			r = write_container(c, !s->native_sidecar);
			jw_object_close(&w);
			inits.len++;
			shift = 1;
		} else {
			add_begin(&w, &inits);
			r = write_container(c, !s->native_sidecar);
			add_end(&w, &inits);
		}
		if (r < 0)
			goto fail;
		for (size_t i = 0; i < p->ninit; i++) {
			struct arr m = { .len = p->init_containers[i].nmounts };

			snprintf(m.path, sizeof(m.path), "/spec/initContainers/%zu/volumeMounts",
				 i + shift);
			secrets_mount_ops(c, &m);
		}
	}
	if (s->share_process_namespace >= 0) {
		op_begin(&w, "add", "/spec/shareProcessNamespace", "");
		jw_bool(&w, s->share_process_namespace == 1);
		jw_object_close(&w);
	}

	/* the sidecar */
	if (!s->pre_populate_only && !s->native_sidecar) {
		add_begin(&w, &conts);
		r = write_container(c, false);
		add_end(&w, &conts);
		if (r < 0)
			goto fail;
	}

	/* the double-injection guard */
	op_begin(&w, "add", "/metadata/annotations/vault.hashicorp.com~1agent-inject-status", "");
	jw_string(&w, "injected");
	jw_object_close(&w);

	jw_array_close(&w);
	r = jw_finish(&w);
	if (r == 0)
		return 0;
fail:
	buf_truncate(out, start);
	return r;
}

int inject_patch(const struct inject_defaults *d, struct agentspec *s, struct arena *a,
		 struct buf *out, const char **ret_msg)
{
	struct ictx c = { .d = d, .s = s, .pod = s->pod, .a = a, .msg = ret_msg };
	int r;

	*ret_msg = NULL;
	buf_init(&c.config[0], VCONFIG_MAX);
	buf_init(&c.config[1], VCONFIG_MAX);
	r = write_patch(&c, out);
	buf_done(&c.config[0]);
	buf_done(&c.config[1]);
	return r;
}
