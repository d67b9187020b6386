/* SPDX-License-Identifier: MIT */
/*
 * vaultlet-webhook: the entry point. Dispatches the subcommands and owns
 * the process-level concerns: configuration, logging setup, signals, the
 * certificate reload timer and the shutdown sequence.
 *
 *   vaultlet-webhook serve [flags]                run the HTTPS webhook
 *   vaultlet-webhook mutate [flags] [FILE|-]       answer one review offline
 *   vaultlet-webhook version | help
 *
 * Signals are blocked before any thread exists and read on the main
 * thread from a signalfd: SIGTERM/SIGINT start the graceful shutdown
 * (readiness 503 and Connection: close for -shutdown-delay, then stop
 * accepting, wait for requests in flight up to -drain-timeout, exit 0; a
 * second signal skips the wait), SIGHUP re-reads the certificate now.
 * Between signals the main thread wakes every -tls-reload-interval to
 * look at the certificate files.
 */
#include <errno.h>
#include <jansson.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "b64.h"
#include "log.h"
#include "metrics.h"
#include "review.h"
#include "server.h"
#include "tlsstore.h"
#include "tmplcheck.h"
#include "vaultlet-config.h"
#include "whconfig.h"

#define EXIT_DENIED 1
#define EXIT_USAGE  2

static void usage(FILE *f)
{
	fprintf(
	    f, "Usage: vaultlet-webhook COMMAND [flags]\n"
	       "\n"
	       "A mutating admission webhook that injects vaultlet-agent into pods annotated\n"
	       "with vault.hashicorp.com/agent-inject: \"true\" (the stock Vault Agent Injector's\n"
	       "annotations).\n"
	       "\n"
	       "Commands:\n"
	       "  serve [flags]             serve POST /mutate, /health/ready, /healthz and\n"
	       "                            /metrics over HTTPS (needs -tls-cert-file,\n"
	       "                            -tls-key-file and -vault-address)\n"
	       "  mutate [flags] [FILE|-]   read one AdmissionReview (or a bare Pod) from FILE\n"
	       "                            or stdin and print the AdmissionReview response\n"
	       "                            exactly as /mutate answers it, followed by a newline.\n"
	       "                            -print patch prints the decoded JSON Patch instead.\n"
	       "                            Exit 0: allowed, 1: denied, 2: bad input or usage\n"
	       "  version                   print the version\n"
	       "  help                      this text; `serve -help` lists the flags\n"
	       "\n");
}

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static void setup_logging(const struct whconfig *c)
{
	struct log_config lc = { .level = c->log_level, .format = c->log_format, .fd = 2 };

	log_setup(&lc);
}

static int parse_config(struct whconfig *c, int argc, char **argv, int *ret_argi)
{
	struct buf err;
	int r;

	buf_init(&err, 1024);
	r = whconfig_parse(c, argc, argv, env_lookup, ret_argi, &err, stdout);
	if (r < 0)
		fprintf(stderr, "vaultlet-webhook: %s\n", err.len ? buf_str(&err) : strerror(-r));
	buf_done(&err);
	return r;
}

/* ---- serve ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void reload_certs(struct tlsstore *ts, struct metrics *m, bool force)
{
	struct buf err;
	int r;

	buf_init(&err, 1024);
	r = tlsstore_reload(ts, force, &err);
	if (r > 0) {
		metrics_tls_reload(m, true, ts->not_after);
		log_info("serving a new certificate from %s (expires %lld)", ts->cert_path,
			 (long long)ts->not_after);
	} else if (r < 0) {
		metrics_tls_reload(m, false, 0);
		log_error("certificate reload rejected, still serving the previous one: %s",
			  buf_str(&err));
	}
	buf_done(&err);
}

/* Waits up to timeout_ns for a signal; returns it, 0 on timeout, -errno. */
static int wait_signal(int sfd, int64_t timeout_ns)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	struct signalfd_siginfo si;
	int ms = (int)(timeout_ns / 1000000), r;

	r = poll(&p, 1, ms < 0 ? 0 : ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

static int cmd_serve(int argc, char **argv)
{
	struct whconfig c;
	struct metrics m;
	struct tlsstore ts;
	struct server srv = { 0 };
	struct tmplcheck_cache *tcache = NULL;
	struct buf err;
	sigset_t set;
	int sfd = -1, argi = 0, status = 1, r, sig;
	int64_t deadline;
	bool metrics_ok = false, store_ok = false;

	buf_init(&err, 1024);
	r = parse_config(&c, argc, argv, &argi);
	if (r != 0) {
		whconfig_done(&c);
		buf_done(&err);
		return r > 0 ? 0 : EXIT_USAGE;
	}
	if (argi < argc) {
		fprintf(stderr, "vaultlet-webhook serve: unexpected argument \"%s\"\n", argv[argi]);
		status = EXIT_USAGE;
		goto out;
	}
	setup_logging(&c);
	for (size_t i = 0; i < c.nnotes; i++)
		log_warn("%s", c.notes[i]);
	if (!c.value[WH_TLS_CERT_FILE][0] || !c.value[WH_TLS_KEY_FILE][0]) {
		log_error(
		    "-tls-cert-file and -tls-key-file are required (vaultlet does not generate "
		    "certificates; make them with vaultlet-certgen)");
		status = EXIT_USAGE;
		goto out;
	}

#ifdef __GLIBC__
	/*
	 * Each connection has a thread, and glibc would give up to eight malloc
	 * arenas per CPU to them, each keeping its high-water mark. A review
	 * mallocs a handful of blocks (its tree lives in an arena of ours), so a
	 * few shared arenas keep the heap small. With two, threads preempted
	 * inside malloc held the others up (15.3k against 16.8k injections/s
	 * at 32 connections with four, at the same peak RSS).
	 */
	(void)mallopt(M_ARENA_MAX, 4);
#endif
	/* before any thread: every thread inherits this mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		goto out;
	}

	r = metrics_init(&m);
	if (r < 0) {
		log_error("metrics_init: %s", strerror(-r));
		goto out;
	}
	metrics_ok = true;
	r = tlsstore_init(&ts, c.value[WH_TLS_CERT_FILE], c.value[WH_TLS_KEY_FILE]);
	if (r < 0) {
		log_error("tlsstore_init: %s", strerror(-r));
		goto out;
	}
	store_ok = true;
	r = tlsstore_reload(&ts, true, &err);
	if (r < 0) {
		log_error("cannot load the serving certificate: %s", buf_str(&err));
		goto out;
	}
	metrics_tls_reload(&m, true, ts.not_after);
	tlsstore_install(&ts);
	json_object_seed(0);
	tcache = tmplcheck_cache_new();
	if (!tcache) {
		log_error("out of memory");
		goto out;
	}
	c.defaults.tmpl_cache = tcache;

	{
		struct server_opts so = {
			.listen = c.value[WH_LISTEN],
			.max_connections = c.max_connections,
			.connection_timeout_s = c.connection_timeout_s,
			.header_timeout_ms = c.header_timeout_ms,
			.max_body = c.max_body,
			.body_budget = c.body_budget,
			.review_budget = c.review_budget,
			.tls13_only = c.tls13_only,
			.telemetry_path = c.value[WH_TELEMETRY_PATH],
			.defaults = &c.defaults,
			.metrics = &m,
		};

		r = server_start(&srv, &so, &err);
		if (r < 0) {
			log_error("%s", buf_str(&err));
			goto out;
		}
	}
	if (c.value[WH_READY_FILE][0]) {
		char port[16];
		int n = snprintf(port, sizeof(port), "%u\n", srv.port);

		r = afile_write(c.value[WH_READY_FILE], port, (size_t)n, 0644);
		if (r < 0) {
			log_error("cannot write %s: %s", c.value[WH_READY_FILE], strerror(-r));
			goto out;
		}
	}

	for (;;) {
		sig = wait_signal(sfd, c.tls_reload_interval_ns);
		if (sig < 0) {
			log_error("waiting for signals: %s", strerror(-sig));
			goto out;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		reload_certs(&ts, &m, sig == SIGHUP);
	}

	log_info("%s received: readiness is now 503; draining for %lld ms",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT", (long long)(c.shutdown_delay_ns / 1000000));
	server_begin_drain(&srv);
	deadline = now_ns() + c.shutdown_delay_ns;
	while (now_ns() < deadline) {
		sig = wait_signal(sfd, deadline - now_ns());
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("second signal: skipping the rest of the shutdown delay");
			break;
		}
	}
	server_quiesce(&srv);
	deadline = now_ns() + c.drain_timeout_ns;
	while (server_inflight(&srv) > 0 && now_ns() < deadline) {
		sig = wait_signal(sfd, 10 * 1000000);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	if (server_inflight(&srv) > 0)
		log_warn("stopping with %ld requests still in flight", server_inflight(&srv));
	server_stop(&srv);
	log_info("stopped");
	status = 0;
out:
	server_stop(&srv);
	tmplcheck_cache_free(tcache);
	if (store_ok)
		tlsstore_done(&ts);
	if (metrics_ok)
		metrics_done(&m);
	if (sfd >= 0)
		close(sfd);
	whconfig_done(&c);
	buf_done(&err);
	return status;
}

/* ---- mutate ---- */

/*
 * A manifest lacks what the ServiceAccount admission plugin adds before any
 * webhook runs: the projected kube-api-access volume, mounted in every
 * container. Adds it (as the API server would, unless the pod opts out of
 * the token) so a manifest previews the way the real pod will be injected.
 */
static int add_service_account_mount(json_t *pod)
{
	static const char *const lists[] = { "initContainers", "containers" };
	json_t *spec = json_object_get(pod, "spec"), *vols, *vol, *mount, *arr, *c;
	size_t i;

	if (!json_is_object(spec) ||
	    json_is_false(json_object_get(spec, "automountServiceAccountToken")))
		return 0;
	for (size_t l = 0; l < 2; l++) {
		arr = json_object_get(spec, lists[l]);
		json_array_foreach(arr, i, c)
		{
			json_t *mounts = json_object_get(c, "volumeMounts"), *mnt;
			size_t j;

			json_array_foreach(mounts, j, mnt)
			{
				const char *p =
				    json_string_value(json_object_get(mnt, "mountPath"));

				if (p && strstr(p, "serviceaccount"))
					return 0; /* already there */
			}
		}
	}
	vol = json_pack("{s:s, s:{s:i, s:[{s:{s:i, s:s}}, {s:{s:s, s:[{s:s, s:s}]}}, "
			"{s:{s:[{s:s, s:{s:s, s:s}}]}}]}}",
			"name", "kube-api-access-preview", "projected", "defaultMode", 420,
			"sources", "serviceAccountToken", "expirationSeconds", 3607, "path",
			"token", "configMap", "name", "kube-root-ca.crt", "items", "key", "ca.crt",
			"path", "ca.crt", "downwardAPI", "items", "path", "namespace", "fieldRef",
			"apiVersion", "v1", "fieldPath", "metadata.namespace");
	if (!vol)
		return -ENOMEM;
	vols = json_object_get(spec, "volumes");
	if (!json_is_array(vols)) {
		vols = json_array();
		if (!vols || json_object_set_new(spec, "volumes", vols) < 0) {
			json_decref(vol);
			return -ENOMEM;
		}
	}
	if (json_array_append_new(vols, vol) < 0)
		return -ENOMEM;
	for (size_t l = 0; l < 2; l++) {
		arr = json_object_get(spec, lists[l]);
		json_array_foreach(arr, i, c)
		{
			json_t *mounts;

			if (!json_is_object(c))
				continue;
			mounts = json_object_get(c, "volumeMounts");
			if (!json_is_array(mounts)) {
				mounts = json_array();
				if (!mounts || json_object_set_new(c, "volumeMounts", mounts) < 0)
					return -ENOMEM;
			}
			mount = json_pack("{s:s, s:b, s:s}", "name", "kube-api-access-preview",
					  "readOnly", 1, "mountPath",
					  "/var/run/secrets/kubernetes.io/serviceaccount");
			if (!mount || json_array_append_new(mounts, mount) < 0)
				return -ENOMEM;
		}
	}
	fprintf(stderr, "vaultlet-webhook mutate: added the service-account token volume the API "
			"server adds to a pod (kube-api-access-preview)\n");
	return 0;
}

/* A bare Pod becomes the AdmissionReview the API server would send for its CREATE. */
static int wrap_pod(char **text, size_t *len)
{
	json_t *root, *review = NULL, *meta, *nsv;
	json_error_t jerr;
	const char *ns = "default";
	char *out;
	int r = 0;

	root = json_loadb(*text, *len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root) || !json_is_string(json_object_get(root, "kind")) ||
	    strcmp(json_string_value(json_object_get(root, "kind")), "Pod") != 0) {
		json_decref(root);
		return 0; /* not a bare pod: handled as a review (errors included) */
	}
	r = add_service_account_mount(root);
	if (r < 0) {
		json_decref(root);
		return r;
	}
	meta = json_object_get(root, "metadata");
	nsv = json_is_object(meta) ? json_object_get(meta, "namespace") : NULL;
	if (json_is_string(nsv) && json_string_length(nsv) > 0)
		ns = json_string_value(nsv);
	review =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:s, "
		      "s:O}}",
		      "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request",
		      "uid", "vaultlet-webhook-mutate", "kind", "group", "", "version", "v1",
		      "kind", "Pod", "resource", "group", "", "version", "v1", "resource", "pods",
		      "namespace", ns, "operation", "CREATE", "object", root);
	out = review ? json_dumps(review, JSON_COMPACT) : NULL;
	if (!out) {
		r = -ENOMEM;
	} else {
		free(*text);
		*text = out;
		*len = strlen(out);
	}
	json_decref(review);
	json_decref(root);
	return r;
}

static int print_patch(const char *body, size_t len)
{
	json_t *root, *resp, *patch, *decoded;
	json_error_t jerr;
	struct buf raw;
	char *pretty = NULL;
	int r = -EINVAL;

	buf_init(&raw, REVIEW_RESPONSE_MAX);
	root = json_loadb(body, len, 0, &jerr);
	resp = root ? json_object_get(root, "response") : NULL;
	patch = resp ? json_object_get(resp, "patch") : NULL;
	if (!json_is_string(patch)) {
		fprintf(stderr, "vaultlet-webhook mutate: nothing to inject (no patch)\n");
		r = 0;
		goto out;
	}
	if (b64_decode(json_string_value(patch), json_string_length(patch), B64_STD, B64_STRICT,
		       &raw, NULL) < 0)
		goto out;
	decoded = json_loadb(buf_str(&raw), raw.len, 0, &jerr);
	if (!decoded)
		goto out;
	pretty = json_dumps(decoded, JSON_INDENT(2));
	json_decref(decoded);
	if (pretty) {
		printf("%s\n", pretty);
		r = 0;
	}
out:
	free(pretty);
	json_decref(root);
	buf_done(&raw);
	return r;
}

static int cmd_mutate(int argc, char **argv)
{
	struct whconfig c;
	struct review_result res = { 0 };
	struct arena a;
	const char *path = "-", *print = "response";
	char *text = NULL;
	size_t len = 0;
	int argi = 0, r, status = EXIT_USAGE;
	char **args;
	int nargs = 0;

	/* -print is mutate's own; the other flags are serve's */
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-print") == 0 || strcmp(argv[i], "--print") == 0) {
			if (i + 1 < argc)
				print = argv[++i];
		} else if (strncmp(argv[i], "-print=", 7) == 0) {
			print = argv[i] + 7;
		} else if (strncmp(argv[i], "--print=", 8) == 0) {
			print = argv[i] + 8;
		} else {
			args[nargs++] = argv[i];
		}
	}
	arena_init(&a);
	r = parse_config(&c, nargs, args, &argi);
	if (r != 0) {
		status = r > 0 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (strcmp(print, "response") != 0 && strcmp(print, "patch") != 0) {
		fprintf(stderr, "vaultlet-webhook mutate: -print must be response or patch\n");
		goto out;
	}
	if (argi < nargs)
		path = args[argi++];
	if (argi < nargs) {
		fprintf(stderr, "vaultlet-webhook mutate: one input at most (got \"%s\")\n",
			args[argi]);
		goto out;
	}
	setup_logging(&c);
	r = afile_read(strcmp(path, "-") == 0 ? "/dev/stdin" : path, c.max_body, false, &text,
		       &len);
	if (r < 0) {
		fprintf(stderr, "vaultlet-webhook mutate: cannot read %s: %s\n", path,
			r == -E2BIG ? "larger than -max-body-bytes" : strerror(-r));
		goto out;
	}
	r = wrap_pod(&text, &len);
	if (r == 0)
		r = review_handle(&c.defaults, text, len, &a, &res);
	if (r < 0) {
		fprintf(stderr, "vaultlet-webhook mutate: %s\n", strerror(-r));
		goto out;
	}
	if (res.http_status != 200) {
		fprintf(stderr, "vaultlet-webhook mutate: HTTP %d: %s", res.http_status, res.body);
		goto out;
	}
	if (strcmp(print, "patch") == 0) {
		if (print_patch(res.body, res.body_len) < 0) {
			fprintf(stderr, "vaultlet-webhook mutate: cannot decode the patch\n");
			goto out;
		}
	} else {
		fwrite(res.body, 1, res.body_len, stdout);
		fputc('\n', stdout);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "vaultlet-webhook mutate: writing the output: %s\n",
			strerror(errno));
		goto out;
	}
	if (res.decision == REVIEW_DENIED) {
		fprintf(stderr, "vaultlet-webhook mutate: denied: %s\n", res.reason);
		status = EXIT_DENIED;
	} else {
		status = 0;
	}
out:
	free(res.body);
	free(text);
	arena_done(&a);
	whconfig_done(&c);
	free(args);
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(cmd, "mutate") == 0)
		return cmd_mutate(argc - 2, argv + 2);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 ||
	    strcmp(cmd, "-version") == 0) {
		printf("vaultlet-webhook %s\n", VAULTLET_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		whconfig_usage(stdout);
		return 0;
	}
	usage(stderr);
	if (cmd[0])
		fprintf(stderr, "vaultlet-webhook: unknown command \"%s\"\n", cmd);
	return EXIT_USAGE;
}
