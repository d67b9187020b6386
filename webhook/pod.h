/* SPDX-License-Identifier: MIT */
/*
 * pod: a checked, read-only view of the Pod inside an AdmissionReview.
 *
 * The stock injector unmarshals request.object into corev1.Pod, so a field
 * of the wrong JSON type makes it deny the pod. pod_view() checks the types
 * of exactly the fields vaultlet reads (metadata, annotations, status.phase,
 * containers and init containers with their volume mounts, env and
 * securityContext.runAsUser, volumes with their projected sources,
 * shareProcessNamespace) and denies with a message naming the field when
 * one is wrong. Everything else in the pod is left alone; the patch never
 * rewrites what it does not add.
 *
 * The view points into the jansson tree it was made from (which must
 * outlive it); its arrays live in the caller's arena. Pure.
 */
#ifndef VAULTLET_WEBHOOK_POD_H
#define VAULTLET_WEBHOOK_POD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/*
 * What a pod may have for vaultlet to inject it; real pods have a handful of
 * each. Checked by pod_check_limits() once the pod asks for injection, so
 * that no injection step can be made to do more work than a review this
 * size needs (a pod that does not ask for injection is never denied for
 * its size).
 */
#define POD_MAX_CONTAINERS 256	/* in spec.containers, and in spec.initContainers */
#define POD_MAX_MOUNTS	   1024 /* volumeMounts of one container */

struct pod_mount {
	const char *name;
	const char *mount_path;
	json_t *obj;
};

struct pod_container {
	const char *name; /* "" when absent */
	struct pod_mount *mounts;
	size_t nmounts;
	bool has_security_context;
	bool has_run_as_user;
	int64_t run_as_user;
};

struct pod_volume {
	const char *name;
	/* the first projected serviceAccountToken source with a path, or NULL */
	const char *sa_token_path;
};

struct pod {
	json_t *annotations; /* object of strings, or NULL */
	const char *name;    /* "" when absent */
	const char *generate_name;
	const char *namespace_; /* metadata.namespace, "" when absent */
	const char *phase;	/* status.phase, "" when absent */
	struct pod_container *containers;
	size_t ncontainers;
	struct pod_container *init_containers;
	size_t ninit;
	struct pod_volume *volumes;
	size_t nvolumes;
	int share_process_namespace; /* -1 absent, 0 false, 1 true */
};

/*
 * Fills *ret from the pod object. Returns 0, -EINVAL with *ret_msg (arena
 * string) naming the field of the wrong type, -ENOMEM.
 */
int pod_view(json_t *obj, struct arena *a, struct pod *ret, const char **ret_msg);

/*
 * 0 when the pod is within POD_MAX_CONTAINERS and POD_MAX_MOUNTS; -EINVAL
 * with *ret_msg (arena string) saying which limit it exceeds; -ENOMEM.
 */
int pod_check_limits(const struct pod *p, struct arena *a, const char **ret_msg);

/* The value of annotation key, or NULL when absent. */
const char *pod_annotation(const struct pod *p, const char *key);

#endif
