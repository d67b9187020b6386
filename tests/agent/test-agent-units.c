/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the agent's pure modules, driven by the tables in
 * tests/data/agent/: config parsing (acfg), schedules (sched), secret
 * paths (vpath), Vault answers (vresp), command splitting and running
 * (acmd), and the status file (astate). One TAP point per table row.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acmd.h"
#include "astate.h"
#include "auth.h"
#include "config.h"
#include "lease.h"
#include "pkicert.h"
#include "sched.h"
#include "tdata.h"
#include "vpath.h"
#include "vresp.h"

static void test_config_row(void **state)
{
	const struct tdata_row *row = *state;
	struct acfg cfg;
	struct buf err;
	int r;

	buf_init(&err, 1024);
	r = acfg_parse(row->tok[1], row->len[1], &cfg, &err);
	if (tdata_is(row, 2, "ok")) {
		if (r != 0)
			fail_msg("unexpected error: %s", buf_str(&err));
	} else {
		assert_int_not_equal(r, 0);
		if (!strstr(buf_str(&err), row->tok[3]))
			fail_msg("message \"%s\" lacks \"%s\"", buf_str(&err), row->tok[3]);
	}
	acfg_done(&cfg);
	buf_done(&err);
}

/* The config the stock injector builds for a sidecar, every field read back. */
static void test_config_injector(void **state)
{
	char *path = tdata_path("agent/configs/injector-sidecar.json");
	FILE *f = fopen(path, "r");
	char text[8192];
	size_t n;
	struct acfg c;
	struct buf err, sp;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	free(path);
	buf_init(&err, 1024);
	buf_init(&sp, 1024);
	assert_int_equal(acfg_parse(text, n, &c, &err), 0);
	assert_string_equal(c.method_type, "kubernetes");
	assert_string_equal(c.mount_path, "auth/kubernetes");
	assert_string_equal(c.namespace, "team-a");
	assert_string_equal(c.role, "litellm-role");
	assert_string_equal(c.token_path, "/var/run/secrets/kubernetes.io/serviceaccount/token");
	assert_true(c.min_backoff_ns == 2 * SCHED_SEC && c.min_backoff_set);
	assert_true(c.max_backoff_ns == 60 * SCHED_SEC && c.max_backoff_set);
	assert_int_equal(c.nsinks, 1);
	assert_string_equal(c.sinks[0], "/home/vault/.vault-token");
	assert_false(c.exit_after_auth);
	assert_string_equal(c.pid_file, "/home/vault/.pid");
	assert_string_equal(c.address, "https://vault.vault.svc:8200");
	assert_string_equal(c.ca_cert, "/vault/tls/ca.crt");
	assert_string_equal(c.tls_server_name, "vault.example");
	assert_int_equal(c.ntemplates, 2);
	assert_string_equal(c.templates[0].destination, "/vault/secrets/app-credentials.sh");
	assert_true(c.templates[0].perms_set);
	assert_int_equal(c.templates[0].perms, 0400);
	assert_string_equal(c.templates[0].command, "kill -HUP 1");
	assert_true(c.templates[0].error_on_missing_key);
	assert_false(c.templates[1].perms_set);
	assert_int_equal(c.templates[1].perms, 0644);
	assert_null(c.templates[1].command);
	assert_true(c.exit_on_retry_failure);
	assert_true(c.static_secret_render_interval_ns == 30 * SCHED_SEC);
	assert_true(c.lease_renewal_threshold == 0.75);
	assert_true(c.revoke_on_shutdown);
	/* listener and cache are warned about, once, by name */
	assert_int_equal(c.nunknown, 2);
	assert_string_equal(c.unknown[0], "listener");
	assert_string_equal(c.unknown[1], "cache");
	assert_int_equal(acfg_status_path(&c, &sp), 0);
	assert_string_equal(buf_str(&sp), "/home/vault/.vaultlet-status.json");
	acfg_done(&c);
	buf_done(&err);
	buf_done(&sp);
}

static void test_config_defaults(void **state)
{
	const char *j = "{\"auto_auth\":{\"method\":{\"config\":{\"role\":\"r\"}}}}";
	struct acfg c;
	struct buf err;

	(void)state;
	buf_init(&err, 256);
	assert_int_equal(acfg_parse(j, strlen(j), &c, &err), 0);
	assert_string_equal(c.mount_path, "auth/kubernetes");
	assert_string_equal(c.token_path, ACFG_DEFAULT_TOKEN_PATH);
	assert_true(c.min_backoff_ns == SCHED_SEC && !c.min_backoff_set);
	assert_true(c.max_backoff_ns == 300 * SCHED_SEC && !c.max_backoff_set);
	assert_true(c.static_secret_render_interval_ns == 300 * SCHED_SEC);
	assert_true(c.lease_renewal_threshold == 0.90);
	assert_false(c.exit_on_retry_failure);
	assert_int_equal(c.nunknown, 0);
	acfg_done(&c);
	buf_done(&err);
}

static long long ms(int64_t ns)
{
	return (long long)(ns / SCHED_MS);
}

static void test_sched_row(void **state)
{
	const struct tdata_row *row = *state;
	const char *kind = row->tok[0];

	if (strcmp(kind, "retry") == 0) {
		assert_int_equal(ms(sched_retry_sleep((unsigned)strtoul(row->tok[1], NULL, 10),
						      strtoll(row->tok[2], NULL, 10) * SCHED_MS,
						      strtoll(row->tok[3], NULL, 10) * SCHED_MS)),
				 strtoll(row->tok[4], NULL, 10));
	} else if (strcmp(kind, "backoff") == 0) {
		struct sched_backoff b;
		double u = strtod(row->tok[3], NULL);
		int n = (int)strtol(row->tok[4], NULL, 10);
		char got[256] = "";
		size_t off = 0;

		sched_backoff_init(&b, strtoll(row->tok[1], NULL, 10) * SCHED_MS,
				   strtoll(row->tok[2], NULL, 10) * SCHED_MS, u);
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%lld",
						i ? " " : "", ms(sched_backoff_next(&b, u)));
		assert_string_equal(got, row->tok[5]);
	} else if (strcmp(kind, "grace") == 0) {
		assert_int_equal(ms(sched_grace(strtoll(row->tok[1], NULL, 10) * SCHED_SEC,
						strtod(row->tok[2], NULL))),
				 strtoll(row->tok[3], NULL, 10));
	} else if (strcmp(kind, "renew") == 0) {
		int64_t l = strtoll(row->tok[1], NULL, 10) * SCHED_SEC;
		int64_t g = strtoll(row->tok[2], NULL, 10) * SCHED_SEC;
		int64_t s = sched_renew_sleep(l, g);

		assert_int_equal(ms(s), strtoll(row->tok[3], NULL, 10));
		assert_int_equal(sched_renew_done(l, g, s), tdata_is(row, 4, "true"));
	} else if (strcmp(kind, "static") == 0) {
		assert_int_equal(ms(sched_static_refresh(strtoll(row->tok[1], NULL, 10) * SCHED_SEC,
							 0.90, strtod(row->tok[2], NULL))),
				 strtoll(row->tok[3], NULL, 10));
	} else if (strcmp(kind, "http") == 0 || strcmp(kind, "httpcap") == 0) {
		long long ra = strtoll(row->tok[3], NULL, 10);
		bool cap = kind[4] == 'c';

		assert_int_equal(
		    ms(sched_http_retry_wait((unsigned)strtoul(row->tok[1], NULL, 10),
					     (int)strtol(row->tok[2], NULL, 10),
					     ra < 0 ? -1 : ra * SCHED_SEC,
					     cap ? strtoll(row->tok[4], NULL, 10) * SCHED_MS : 0,
					     strtod(row->tok[cap ? 5 : 4], NULL))),
		    strtoll(row->tok[cap ? 6 : 5], NULL, 10));
	} else if (strcmp(kind, "fetch") == 0) {
		long long ra = strtoll(row->tok[5], NULL, 10);

		assert_int_equal(ms(sched_fetch_retry_wait(
				     (unsigned)strtoul(row->tok[1], NULL, 10),
				     strtoll(row->tok[2], NULL, 10) * SCHED_MS,
				     strtoll(row->tok[3], NULL, 10) * SCHED_MS,
				     strtoll(row->tok[4], NULL, 10) * SCHED_MS,
				     ra < 0 ? -1 : ra * SCHED_MS, strtod(row->tok[6], NULL))),
				 strtoll(row->tok[7], NULL, 10));
	} else if (strcmp(kind, "budget") == 0) {
		assert_int_equal(ms(sched_retry_budget((unsigned)strtoul(row->tok[1], NULL, 10),
						       strtoll(row->tok[2], NULL, 10) * SCHED_MS,
						       strtoll(row->tok[3], NULL, 10) * SCHED_MS)),
				 strtoll(row->tok[4], NULL, 10));
	} else {
		fail_msg("unknown row kind %s", kind);
	}
}

/* Retry-After seconds to ns: absent stays absent, any value saturates at the cap. */
static void test_sched_retry_after(void **state)
{
	(void)state;
	assert_int_equal(sched_retry_after_ns(0), -1);
	assert_int_equal(sched_retry_after_ns(-5), -1);
	assert_int_equal(sched_retry_after_ns(3), 3 * SCHED_SEC);
	assert_int_equal(sched_retry_after_ns(86400), SCHED_RETRY_AFTER_MAX);
	assert_int_equal(sched_retry_after_ns(INT64_MAX), SCHED_RETRY_AFTER_MAX);
	assert_int_equal(SCHED_RETRY_AFTER_MAX, 60 * SCHED_SEC);
}

/* The worked examples of §2.3, over the whole range of u. */
static void test_sched_lifetime_examples(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		double u = i / 100.0;
		int64_t l = 86400 * SCHED_SEC, g = sched_grace(l, u), s = sched_renew_sleep(l, g);
		int64_t l2, s2, g1h;

		/* ttl=24h: renew every 16h48m .. 17h36m */
		assert_true(s >= (16 * 3600 + 48 * 60) * SCHED_SEC);
		assert_true(s <= (17 * 3600 + 36 * 60) * SCHED_SEC);
		/* ttl = max ttl = 1h: renewed at ~2520-2640 s, capped lease ≈ 960-1080 s: done */
		g1h = sched_grace(3600 * SCHED_SEC, u);
		s2 = sched_renew_sleep(3600 * SCHED_SEC, g1h);
		l2 = 3600 * SCHED_SEC - s2;
		assert_true(sched_renew_done(l2, g1h, sched_renew_sleep(l2, g1h)));
		/* renewal error backoff: 10 s ±50 %, doubling, max 5 min ±50 % */
		assert_true(sched_renew_error_sleep(0, u) >= 5 * SCHED_SEC &&
			    sched_renew_error_sleep(0, u) < 15 * SCHED_SEC);
		assert_true(sched_renew_error_sleep(20, u) <= 450 * SCHED_SEC);
		/* static refresh stays in [0.85, 0.95) of D */
		assert_true(sched_static_refresh(300 * SCHED_SEC, 0.9, u) >= 255 * SCHED_SEC);
		assert_true(sched_static_refresh(300 * SCHED_SEC, 0.9, u) < 285 * SCHED_SEC);
	}
	/* the consul-template default schedule sums to ~304 s over 12 retries */
	{
		int64_t sum = 0;

		for (unsigned r = 0; r < 12; r++)
			sum += sched_retry_sleep(r, 250 * SCHED_MS, 60 * SCHED_SEC);
		assert_int_equal(ms(sum), 303750);
	}
	for (int i = 0; i < 1000; i++) {
		double u = sched_random();

		assert_true(u >= 0 && u < 1);
	}
}

static void test_lease_row(void **state)
{
	const struct tdata_row *row = *state;

	if (strcmp(row->tok[0], "wait") == 0) {
		cJSON *j = cJSON_ParseWithLength(row->tok[1], row->len[1]);
		int64_t got = -1;
		int r;

		assert_non_null(j);
		r = lease_check_wait(j, strtoll(row->tok[2], NULL, 10),
				     strtoll(row->tok[3], NULL, 10) * SCHED_SEC, 0.90,
				     strtod(row->tok[4], NULL), &got);
		cJSON_Delete(j);
		if (tdata_is(row, 5, "EAGAIN"))
			assert_int_equal(r, -EAGAIN);
		else
			assert_int_equal(ms(got), strtoll(row->tok[5], NULL, 10));
	} else if (strcmp(row->tok[0], "goodfor") == 0) {
		int64_t sleep = -1;
		bool good =
		    pkicert_good_for(strtoll(row->tok[1], NULL, 10), strtoll(row->tok[2], NULL, 10),
				     strtoll(row->tok[3], NULL, 10), 0.90, &sleep);

		if (tdata_is(row, 4, "issue"))
			assert_false(good);
		else
			assert_int_equal(sleep, strtoll(row->tok[4], NULL, 10));
	} else if (strcmp(row->tok[0], "watch") == 0) {
		struct lease_watch w;
		double u = strtod(row->tok[2], NULL);
		char got[256] = "";
		size_t off = 0;
		const char *p = row->tok[3];

		lease_watch_start(&w, strtoll(row->tok[1], NULL, 10) * SCHED_SEC, u);
		while (*p) {
			char *end;
			int64_t l = strtoll(p, &end, 10) * SCHED_SEC, sleep = 0;
			bool more = lease_watch_renewed(&w, l, u, &sleep);

			off +=
			    (size_t)snprintf(got + off, sizeof(got) - off,
					     "%s%lld:", off ? " " : "", (long long)(l / SCHED_SEC));
			if (more)
				off += (size_t)snprintf(got + off, sizeof(got) - off, "%lld",
							ms(sleep));
			else
				off += (size_t)snprintf(got + off, sizeof(got) - off, "done");
			p = strchr(end, ' ');
			if (!p)
				break;
			p++;
		}
		assert_string_equal(got, row->tok[3]);
	} else {
		fail_msg("unknown row kind %s", row->tok[0]);
	}
}

static void test_vpath_row(void **state)
{
	const struct tdata_row *row = *state;
	struct buf out, err;

	buf_init(&out, 8192);
	buf_init(&err, 256);
	if (tdata_is(row, 0, "path")) {
		struct vpath p = { 0 };
		int r = vpath_parse(row->tok[1], &p, &err);

		if (tdata_is(row, 2, "error")) {
			assert_int_not_equal(r, 0);
			assert_true(err.len > 0);
		} else {
			assert_int_equal(r, 0);
			assert_string_equal(p.path, row->tok[2]);
			assert_string_equal(p.query, row->tok[3]);
			assert_int_equal(vpath_key(&p, &out), 0);
			assert_string_equal(buf_str(&out), row->tok[4]);
		}
		vpath_done(&p);
	} else if (tdata_is(row, 0, "kv2")) {
		int r = vpath_kv2(row->tok[1], row->tok[2], &out);

		if (tdata_is(row, 3, "error")) {
			assert_int_not_equal(r, 0);
		} else {
			assert_int_equal(r, 0);
			assert_string_equal(buf_str(&out), row->tok[3]);
		}
	} else if (tdata_is(row, 0, "explicit")) {
		assert_int_equal(vpath_is_explicit_kv2(row->tok[1]), tdata_is(row, 2, "true"));
	} else if (tdata_is(row, 0, "escape")) {
		assert_int_equal(vpath_escape(row->tok[1], &out), 0);
		assert_string_equal(buf_str(&out), row->tok[2]);
	} else {
		fail_msg("unknown row kind %s", row->tok[0]);
	}
	buf_done(&out);
	buf_done(&err);
}

static enum vresp_op op_of(const char *s)
{
	if (strcmp(s, "login") == 0)
		return VRESP_OP_LOGIN;
	if (strcmp(s, "renew") == 0)
		return VRESP_OP_RENEW;
	if (strcmp(s, "mounts") == 0)
		return VRESP_OP_MOUNTS;
	return VRESP_OP_READ;
}

static void test_vresp_row(void **state)
{
	const struct tdata_row *row = *state;

	if (tdata_is(row, 0, "errors")) {
		struct buf out;

		buf_init(&out, 4096);
		assert_int_equal(vresp_errors(row->tok[1], row->len[1], &out), 0);
		assert_string_equal(buf_str(&out), row->tok[2]);
		buf_done(&out);
	} else if (tdata_is(row, 0, "invalid")) {
		assert_int_equal(
		    vresp_invalid_token((int)strtol(row->tok[1], NULL, 10), row->tok[2]),
		    tdata_is(row, 3, "true"));
	} else if (tdata_is(row, 0, "retryable")) {
		assert_int_equal(vresp_http_retryable((int)strtol(row->tok[1], NULL, 10)),
				 tdata_is(row, 2, "true"));
	} else if (tdata_is(row, 0, "hint")) {
		const char *h =
		    vresp_hint(op_of(row->tok[1]), (int)strtol(row->tok[2], NULL, 10), row->tok[3]);

		if (!strstr(h, row->tok[4]))
			fail_msg("hint \"%s\" lacks \"%s\"", h, row->tok[4]);
	} else {
		fail_msg("unknown row kind %s", row->tok[0]);
	}
}

static void test_acmd_row(void **state)
{
	const struct tdata_row *row = *state;

	assert_int_equal(acmd_needs_shell(row->tok[1]), tdata_is(row, 2, "true"));
}

static void test_acmd_run(void **state)
{
	struct acmd_result res;
	char copy[64], *argv[ACMD_ARGS_MAX + 1];
	struct timespec t0, t1;

	(void)state;
	assert_int_equal(acmd_split("  kill  -HUP 1 ", copy, argv), 3);
	assert_string_equal(argv[0], "kill");
	assert_string_equal(argv[1], "-HUP");
	assert_string_equal(argv[2], "1");
	assert_null(argv[3]);
	assert_int_equal(acmd_run("true", SCHED_SEC * 5, NULL, &res), 0);
	assert_int_equal(res.code, 0);
	assert_false(res.timed_out);
	assert_int_equal(acmd_run("sh -c \"exit 7\"", SCHED_SEC * 5, NULL, &res), 0);
	assert_int_equal(res.code, 7);
	assert_int_equal(acmd_run("/nonexistent/binary", SCHED_SEC * 5, NULL, &res), 0);
	assert_int_equal(res.code, 127);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(acmd_run("sleep 30", 200 * SCHED_MS, NULL, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(res.timed_out);
	assert_true(res.signaled);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	/* what the command inherits: SIGPIPE as a shell has it, no fd past stderr */
	{
		char cmd[96];
		int fd;

		signal(SIGPIPE, SIG_IGN); /* as vaultlet-agent has it */
		assert_int_equal(
		    acmd_run("sh -c \"kill -PIPE $$; exit 0\"", SCHED_SEC * 5, NULL, &res), 0);
		assert_true(res.signaled);
		assert_int_equal(res.code, SIGPIPE);
		signal(SIGPIPE, SIG_DFL);
		fd = open("/dev/null", O_RDONLY); /* not close-on-exec, like libcurl's sockets */
		assert_true(fd > 2);
		snprintf(cmd, sizeof(cmd), "test ! -e /proc/self/fd/%d", fd);
		assert_int_equal(acmd_run(cmd, SCHED_SEC * 5, NULL, &res), 0);
		assert_int_equal(res.code, 0);
		close(fd);
	}
}

static bool wake_stop(void *ctx)
{
	(void)ctx;
	return true;
}

/* A shutdown request (the wake fd readable) ends a long command at once. */
static void test_acmd_interrupt(void **state)
{
	struct acmd_result res;
	struct timespec t0, t1;
	int p[2];
	struct acmd_wake w = { .wake = wake_stop };

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	w.fd = p[0];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(acmd_run("sleep 30", 30 * SCHED_SEC, &w, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(res.interrupted);
	assert_false(res.timed_out);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	close(p[0]);
	close(p[1]);
}

static void test_auth_pure(void **state)
{
	struct buf body;
	struct auth_token t;
	const char *ok = "{\"auth\":{\"client_token\":\"hvs.ABCDEFGHIJKLMNOPQRSTUVWX\","
			 "\"lease_duration\":3600,\"renewable\":true}}";
	const char *none = "{\"auth\":null,\"data\":{}}";
	const char *bad = "{\"auth\":{\"client_token\":\"a\\nb\"}}";

	(void)state;
	buf_init_sensitive(&body, 4096);
	assert_int_equal(auth_login_body("litellm-role", "e.y\"J\\", &body), 0);
	assert_string_equal(buf_str(&body), "{\"jwt\":\"e.y\\\"J\\\\\",\"role\":\"litellm-role\"}");
	auth_token_init(&t);
	assert_int_equal(auth_parse(ok, strlen(ok), true, &t), 0);
	assert_string_equal(buf_str(&t.value), "hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
	assert_true(t.lease_ns == 3600 * SCHED_SEC);
	assert_true(t.renewable);
	assert_int_equal(auth_parse(none, strlen(none), true, &t), -EBADMSG);
	assert_int_equal(auth_parse(bad, strlen(bad), true, &t), -EBADMSG);
	/* a lease Vault could never mean: 0 (not a number, not whole) or capped, never UB */
	{
		static const char *const odd[] = { "1e300", "-5", "1.5", "\"3600\"" };
		char huge[160];

		for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
			snprintf(huge, sizeof(huge),
				 "{\"auth\":{\"client_token\":\"hvs.X\",\"lease_duration\":%s}}",
				 odd[i]);
			assert_int_equal(auth_parse(huge, strlen(huge), true, &t), 0);
			assert_true(t.lease_ns == 0);
		}
		snprintf(huge, sizeof(huge),
			 "{\"auth\":{\"client_token\":\"hvs.X\",\"lease_duration\":9e15}}");
		assert_int_equal(auth_parse(huge, strlen(huge), true, &t), 0);
		assert_true(t.lease_ns == sched_seconds_ns(INT64_C(100) * 365 * 24 * 3600));
		assert_true(sched_seconds_ns(INT64_MAX) == t.lease_ns);
	}
	auth_token_drop(&t);
	assert_false(auth_token_valid(&t));
	buf_done(&body);
	/* the token file: blanks around it trimmed, a NUL is not a blank */
	{
		char path[] = "/tmp/vaultlet-jwt-XXXXXX";
		int fd = mkstemp(path);
		struct buf jwt, err;

		assert_true(fd >= 0);
		assert_int_equal(write(fd, " \0a.b.c\0\n", 9), 9);
		close(fd);
		buf_init(&jwt, 1024);
		buf_init(&err, 256);
		assert_int_equal(auth_read_jwt(path, &jwt, &err), 0);
		assert_int_equal(jwt.len, 7);
		assert_memory_equal(jwt.data, "\0a.b.c\0", 7);
		unlink(path);
		buf_done(&jwt);
		buf_done(&err);
	}
}

static void test_astate(void **state)
{
	struct astate_template t = {
		.destination = "/vault/secrets/config.yaml",
		.rendered_at = 1700000000,
		.checked_at = 1700000100,
		.writes = 2,
		.secrets = { { "secret/data/litellm/secrets", 3, .next_at = 1700000400 },
			     { "database/creds/litellm", -1,
			       .lease = "database/creds/litellm/AbCdEfGh12",
			       .lease_expires_at = 1700000133, .renewed_at = 1700000129,
			       .renewals = 4, .next_at = 1700000132, .renewing = true } },
		.nsecrets = 2,
	};
	struct astate s = { .mode = "sidecar",
			    .pid = 42,
			    .updated_at = 1700000100,
			    .authenticated = true,
			    .templates = &t,
			    .ntemplates = 1 };
	struct buf out;
	char text[4096];
	FILE *f;

	(void)state;
	buf_init(&out, 65536);
	assert_int_equal(astate_format(&s, &out), 0);
	assert_non_null(strstr(buf_str(&out), "\"rendered_at\":\"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(buf_str(&out), "\"version\":3"));
	assert_non_null(strstr(buf_str(&out), "\"last_error\":null"));
	f = fmemopen(text, sizeof(text), "w");
	assert_non_null(f);
	assert_int_equal(astate_print(out.data, out.len, false, 1700000130, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "/vault/secrets/config.yaml"));
	assert_non_null(strstr(text, "secret/data/litellm/secrets (version 3)"));
	assert_non_null(strstr(text, "(2m ago), 2 times by this agent"));
	/* leases: the id's suffix only, expiry, renewals, what comes next */
	assert_null(strstr(buf_str(&out), "AbCd"));
	assert_non_null(strstr(buf_str(&out), "\"id_suffix\":\"...EfGh12\""));
	assert_non_null(
	    strstr(text, "lease:      ...EfGh12, expires 2023-11-14T22:15:33Z (in 3s)"));
	assert_non_null(strstr(text, "renewed:    2023-11-14T22:15:29Z (1s ago), 4 time(s)"));
	assert_non_null(strstr(text, "next renewal: 2023-11-14T22:15:32Z (in 2s)"));
	assert_non_null(strstr(text, "next read:  2023-11-14T22:20:00Z (in 4m)"));
	assert_int_equal(astate_print("{", 1, false, 0, stdout), -EINVAL);
	buf_done(&out);
}

int main(void)
{
	struct tlist l = { 0 };
	struct tdata config, sched, vpath, vresp, acmd, lease;
	int fails;

	tdata_load("agent/config.txt", &config);
	tdata_load("agent/sched.txt", &sched);
	tdata_load("agent/vpath.txt", &vpath);
	tdata_load("agent/vresp.txt", &vresp);
	tdata_load("agent/acmd.txt", &acmd);
	tdata_load("agent/lease.txt", &lease);
	tlist_add_rows(&l, &config, test_config_row);
	tlist_add(&l, "config: the injector's sidecar config", test_config_injector, NULL);
	tlist_add(&l, "config: defaults", test_config_defaults, NULL);
	tlist_add_rows(&l, &sched, test_sched_row);
	tlist_add(&l, "sched: Retry-After is saturated at 60 s", test_sched_retry_after, NULL);
	tlist_add(&l, "sched: lifetime watcher worked examples", test_sched_lifetime_examples,
		  NULL);
	tlist_add_rows(&l, &lease, test_lease_row);
	tlist_add_rows(&l, &vpath, test_vpath_row);
	tlist_add_rows(&l, &vresp, test_vresp_row);
	tlist_add_rows(&l, &acmd, test_acmd_row);
	tlist_add(&l, "acmd: run, exit codes, timeout", test_acmd_run, NULL);
	tlist_add(&l, "acmd: a shutdown request ends a running command", test_acmd_interrupt, NULL);
	tlist_add(&l, "auth: login body and auth parsing", test_auth_pure, NULL);
	tlist_add(&l, "astate: format and print", test_astate, NULL);
	fails = tlist_run(&l, "agent-units");
	tdata_free(&config);
	tdata_free(&sched);
	tdata_free(&vpath);
	tdata_free(&vresp);
	tdata_free(&acmd);
	tdata_free(&lease);
	return fails ? 1 : 0;
}
