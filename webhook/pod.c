/* SPDX-License-Identifier: MIT */
/*
 * pod: type-checked view of request.object (see pod.h).
 *
 * JSON null is accepted wherever the field is optional, as Go's decoder
 * turns it into the zero value. Numbers for runAsUser must be integers, as
 * an int64 field in Go refuses 1.5 (and 1.0). Containers and volumes are
 * walked once; the view stores pointers, never copies.
 */
#include <errno.h>
#include <string.h>

#include "pod.h"

struct ctx {
	struct arena *a;
	const char **msg;
	/* the container being read, named in an error only when there is one */
	const char *ckey;
	size_t cidx;
};

/* field for "the container being read" (spec.<ckey>[<cidx>]) */
#define CONTAINER NULL

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

static int bad(struct ctx *c, const char *field, const char *want, const json_t *v)
{
	if (field == CONTAINER)
		field = arena_printf(c->a, "spec.%s[%zu]", c->ckey, c->cidx);
	*c->msg = arena_printf(c->a, "cannot read the pod: %s: expected %s, got %s",
			       field ? field : "?", want, type_name(v));
	return *c->msg ? -EINVAL : -ENOMEM;
}

/* member of obj that is present and not null, or NULL */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int get_string(struct ctx *c, json_t *obj, const char *key, const char *field,
		      const char **ret)
{
	json_t *v = member(obj, key);

	*ret = "";
	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad(c, field, "a string", v);
	*ret = json_string_value(v);
	return 0;
}

static int get_object(struct ctx *c, json_t *obj, const char *key, const char *field, json_t **ret)
{
	json_t *v = member(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad(c, field, "an object", v);
	*ret = v;
	return 0;
}

static int get_array(struct ctx *c, json_t *obj, const char *key, const char *field, json_t **ret)
{
	json_t *v = member(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(c, field, "an array", v);
	*ret = v;
	return 0;
}

static int read_mounts(struct ctx *c, json_t *cobj, struct pod_container *pc)
{
	json_t *arr, *m;
	size_t i;
	int r;

	r = get_array(c, cobj, "volumeMounts", CONTAINER, &arr);
	if (r < 0 || !arr)
		return r;
	pc->nmounts = json_array_size(arr);
	pc->mounts = arena_alloc(c->a, (pc->nmounts ? pc->nmounts : 1) * sizeof(*pc->mounts));
	if (!pc->mounts)
		return -ENOMEM;
	json_array_foreach(arr, i, m)
	{
		struct pod_mount *pm = &pc->mounts[i];
		json_t *ro;

		if (!json_is_object(m))
			return bad(c,
				   arena_printf(c->a, "spec.%s[%zu].volumeMounts[%zu]", c->ckey,
						c->cidx, i),
				   "an object", m);
		pm->obj = m;
		r = get_string(c, m, "name", "volumeMounts[].name", &pm->name);
		if (r == 0)
			r = get_string(c, m, "mountPath", "volumeMounts[].mountPath",
				       &pm->mount_path);
		if (r < 0)
			return r;
		ro = member(m, "readOnly");
		if (ro && !json_is_boolean(ro))
			return bad(c, "volumeMounts[].readOnly", "a boolean", ro);
	}
	return 0;
}

static int read_containers(struct ctx *c, json_t *spec, const char *key, struct pod_container **ret,
			   size_t *ret_n)
{
	json_t *arr, *cobj;
	size_t i, n;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = get_array(c, spec, key, key, &arr);
	if (r < 0 || !arr)
		return r;
	n = json_array_size(arr);
	*ret = arena_alloc(c->a, (n ? n : 1) * sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	json_array_foreach(arr, i, cobj)
	{
		struct pod_container *pc = &(*ret)[i];
		json_t *sc = NULL, *uid;

		c->ckey = key;
		c->cidx = i;
		if (!json_is_object(cobj))
			return bad(c, CONTAINER, "an object", cobj);
		r = get_string(c, cobj, "name", CONTAINER, &pc->name);
		if (r == 0)
			r = read_mounts(c, cobj, pc);
		if (r == 0)
			r = get_object(c, cobj, "securityContext", CONTAINER, &sc);
		if (r < 0)
			return r;
		if (sc) {
			pc->has_security_context = true;
			uid = member(sc, "runAsUser");
			if (uid) {
				if (!json_is_integer(uid))
					return bad(c, "securityContext.runAsUser", "an integer",
						   uid);
				pc->has_run_as_user = true;
				pc->run_as_user = (int64_t)json_integer_value(uid);
			}
		}
	}
	*ret_n = n;
	return 0;
}

static int read_volumes(struct ctx *c, json_t *spec, struct pod *p)
{
	json_t *arr, *v;
	size_t i;
	int r;

	r = get_array(c, spec, "volumes", "spec.volumes", &arr);
	if (r < 0 || !arr)
		return r;
	p->nvolumes = json_array_size(arr);
	p->volumes = arena_alloc(c->a, (p->nvolumes ? p->nvolumes : 1) * sizeof(*p->volumes));
	if (!p->volumes)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		struct pod_volume *pv = &p->volumes[i];
		json_t *proj = NULL, *sources = NULL, *src;
		size_t j;

		if (!json_is_object(v))
			return bad(c, "spec.volumes[]", "an object", v);
		r = get_string(c, v, "name", "spec.volumes[].name", &pv->name);
		if (r == 0)
			r = get_object(c, v, "projected", "spec.volumes[].projected", &proj);
		if (r < 0)
			return r;
		if (!proj)
			continue;
		r = get_array(c, proj, "sources", "spec.volumes[].projected.sources", &sources);
		if (r < 0)
			return r;
		json_array_foreach(sources, j, src)
		{
			json_t *sat;
			const char *path;

			if (!json_is_object(src))
				return bad(c, "spec.volumes[].projected.sources[]", "an object",
					   src);
			r = get_object(c, src, "serviceAccountToken",
				       "projected.sources[].serviceAccountToken", &sat);
			if (r < 0)
				return r;
			if (!sat)
				continue;
			r = get_string(c, sat, "path", "serviceAccountToken.path", &path);
			if (r < 0)
				return r;
			if (*path && !pv->sa_token_path)
				pv->sa_token_path = path;
		}
	}
	return 0;
}

int pod_view(json_t *obj, struct arena *a, struct pod *ret, const char **ret_msg)
{
	struct ctx c = { .a = a, .msg = ret_msg };
	struct pod p = { .share_process_namespace = -1,
			 .name = "",
			 .generate_name = "",
			 .namespace_ = "",
			 .phase = "" };
	json_t *meta = NULL, *status = NULL, *spec = NULL, *spn, *v;
	const char *key;
	int r;

	if (!json_is_object(obj))
		return bad(&c, "request.object", "an object", obj);
	r = get_object(&c, obj, "metadata", "metadata", &meta);
	if (r < 0)
		return r;
	if (meta) {
		r = get_string(&c, meta, "name", "metadata.name", &p.name);
		if (r == 0)
			r = get_string(&c, meta, "generateName", "metadata.generateName",
				       &p.generate_name);
		if (r == 0)
			r = get_string(&c, meta, "namespace", "metadata.namespace", &p.namespace_);
		if (r == 0)
			r = get_object(&c, meta, "annotations", "metadata.annotations",
				       &p.annotations);
		if (r < 0)
			return r;
		if (p.annotations) {
			json_object_foreach(p.annotations, key, v)
			{
				if (!json_is_string(v))
					return bad(&c,
						   arena_printf(a, "metadata.annotations[%s]", key),
						   "a string", v);
			}
		}
	}
	r = get_object(&c, obj, "status", "status", &status);
	if (r == 0 && status)
		r = get_string(&c, status, "phase", "status.phase", &p.phase);
	if (r == 0)
		r = get_object(&c, obj, "spec", "spec", &spec);
	if (r < 0)
		return r;
	if (spec) {
		r = read_containers(&c, spec, "containers", &p.containers, &p.ncontainers);
		if (r == 0)
			r = read_containers(&c, spec, "initContainers", &p.init_containers,
					    &p.ninit);
		if (r == 0)
			r = read_volumes(&c, spec, &p);
		if (r < 0)
			return r;
		spn = member(spec, "shareProcessNamespace");
		if (spn) {
			if (!json_is_boolean(spn))
				return bad(&c, "spec.shareProcessNamespace", "a boolean", spn);
			p.share_process_namespace = json_is_true(spn);
		}
	}
	*ret = p;
	return 0;
}

static int over(struct arena *a, const char **ret_msg, const char *what, size_t n, size_t max)
{
	*ret_msg =
	    arena_printf(a,
			 "error creating new agent sidecar: the pod has %zu %s, more than the "
			 "%zu vaultlet injects into (split the pod, or leave "
			 "vault.hashicorp.com/agent-inject unset)",
			 n, what, max);
	return *ret_msg ? -EINVAL : -ENOMEM;
}

static int check_mounts(const struct pod_container *cs, size_t n, const char *key, struct arena *a,
			const char **ret_msg)
{
	for (size_t i = 0; i < n; i++) {
		if (cs[i].nmounts > POD_MAX_MOUNTS) {
			const char *what = arena_printf(a, "volumeMounts in spec.%s[%zu]", key, i);

			return what ? over(a, ret_msg, what, cs[i].nmounts, POD_MAX_MOUNTS)
				    : -ENOMEM;
		}
	}
	return 0;
}

int pod_check_limits(const struct pod *p, struct arena *a, const char **ret_msg)
{
	int r;

	*ret_msg = NULL;
	if (p->ncontainers > POD_MAX_CONTAINERS)
		return over(a, ret_msg, "containers", p->ncontainers, POD_MAX_CONTAINERS);
	if (p->ninit > POD_MAX_CONTAINERS)
		return over(a, ret_msg, "init containers", p->ninit, POD_MAX_CONTAINERS);
	r = check_mounts(p->containers, p->ncontainers, "containers", a, ret_msg);
	if (r == 0)
		r = check_mounts(p->init_containers, p->ninit, "initContainers", a, ret_msg);
	return r;
}

const char *pod_annotation(const struct pod *p, const char *key)
{
	json_t *v;

	if (!p->annotations)
		return NULL;
	v = json_object_get(p->annotations, key);
	return v ? json_string_value(v) : NULL;
}
