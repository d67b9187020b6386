/* SPDX-License-Identifier: MIT */
/*
 * Tests for log: both formats, level filtering, and the redaction rule:
 * a registered secret never reaches the output, whichever way it is passed
 * in and however the format would escape it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "tdata.h"

static int out_fd = -1;

static void setup_log(enum log_level lvl, enum log_format fmt, const struct log_field *ctx,
		      size_t nctx)
{
	struct log_config cfg = {
		.level = lvl, .format = fmt, .fd = out_fd, .context = ctx, .ncontext = nctx
	};

	assert_int_equal(ftruncate(out_fd, 0), 0);
	assert_int_equal(lseek(out_fd, 0, SEEK_SET), 0);
	log_setup(&cfg);
}

/* Everything written since setup_log, NUL-terminated. */
static char *captured(void)
{
	off_t n = lseek(out_fd, 0, SEEK_CUR);
	char *s = malloc((size_t)n + 1);

	assert_non_null(s);
	assert_int_equal(pread(out_fd, s, (size_t)n, 0), n);
	s[n] = '\0';
	return s;
}

static void test_text_format(void **state)
{
	char *s;

	(void)state;
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_emit(LOG_INFO, LOG_FIELDS(LOG_STR("dest", "/vault/secrets/a b"), LOG_INT("version", 3)),
		 "rendered %s", "template");
	s = captured();
	/* 2026-11-27T07:29:42.123Z [INFO]  rendered template: dest="/vault/secrets/a b" version=3 */
	assert_int_equal(
	    strlen(s),
	    24 + strlen(" [INFO]  rendered template: dest=\"/vault/secrets/a b\" version=3\n"));
	assert_int_equal(s[23], 'Z');
	assert_string_equal(s + 24,
			    " [INFO]  rendered template: dest=\"/vault/secrets/a b\" version=3\n");
	free(s);
}

static void test_json_format(void **state)
{
	char *s;

	(void)state;
	setup_log(LOG_DEBUG, LOG_FORMAT_JSON, NULL, 0);
	log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("k", "a\"b\\c\n\x01"), LOG_INT("n", -5)), "m\"sg");
	s = captured();
	assert_memory_equal(s, "{\"time\":\"", 9);
	assert_non_null(strstr(s, "\",\"level\":\"warn\",\"msg\":\"m\\\"sg\",\"k\":"
				  "\"a\\\"b\\\\c\\n\\u0001\",\"n\":-5}\n"));
	assert_int_equal(strchr(s, '\n') - s, (long)strlen(s) - 1); /* one line */
	free(s);
}

static void test_json_invalid_utf8(void **state)
{
	char *s;

	(void)state;
	setup_log(LOG_INFO, LOG_FORMAT_JSON, NULL, 0);
	log_info("bad \xff\xfe byte, good \xc3\xa9");
	s = captured();
	assert_non_null(strstr(s, "\"msg\":\"bad \\ufffd\\ufffd byte, good \xc3\xa9\""));
	free(s);
}

static void test_level_filter(void **state)
{
	char *s;

	(void)state;
	setup_log(LOG_WARN, LOG_FORMAT_TEXT, NULL, 0);
	log_info("hidden");
	log_debug("hidden");
	log_error("shown");
	s = captured();
	assert_null(strstr(s, "hidden"));
	assert_non_null(strstr(s, "[ERROR] shown"));
	free(s);
}

static void test_context_fields(void **state)
{
	const struct log_field ctx[] = { LOG_STR("namespace", "litellm"),
					 LOG_STR("pod", "litellm-7d9f") };
	char *s;

	(void)state;
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, ctx, 2);
	log_info("authenticated");
	s = captured();
	assert_non_null(strstr(s, "authenticated: namespace=litellm pod=litellm-7d9f\n"));
	free(s);
}

static void test_level_parse_row(void **state)
{
	const struct tdata_row *row = *state;
	enum log_level lvl = LOG_DEBUG;
	bool ok = log_level_parse(row->tok[0], &lvl);

	if (tdata_is(row, 1, "invalid")) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	assert_string_equal(log_level_name(lvl), row->tok[1]);
}

static void test_secret_field_always_redacted(void **state)
{
	char *s;

	(void)state;
	setup_log(LOG_INFO, LOG_FORMAT_JSON, NULL, 0);
	log_emit(LOG_INFO, LOG_FIELDS(LOG_SECRET("token")), "login");
	s = captured();
	assert_non_null(strstr(s, "\"token\":\"[redacted]\""));
	free(s);
}

/* Each way a secret could reach a line, in both formats. */
static void check_never_printed(const char *secret, enum log_format fmt)
{
	char *s;

	setup_log(LOG_TRACE, fmt, NULL, 0);
	log_info("%s", secret);
	log_info("prefix-%s-suffix", secret);
	log_info("twice %s%s", secret, secret);
	log_emit(LOG_ERROR, LOG_FIELDS(LOG_STR("value", secret)), "field");
	log_emit(LOG_ERROR, LOG_FIELDS(LOG_STR(secret, "x")), "as a key");
	s = captured();
	assert_null(strstr(s, secret));
	assert_non_null(strstr(s, "prefix-[redacted]-suffix"));
	assert_non_null(strstr(s, "twice [redacted][redacted]"));
	free(s);
}

static void test_registered_secret_scrubbed(void **state)
{
	static const char *const values[] = {
		"sk-master-2f9a7c",	    "pa\"ss$wo\\rd",
		"multi\nline\tsecret",	    "hvs.CAESIGYeipT0",
		"\xc3\xa9t\xc3\xa9-secret",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(values); i++)
		assert_int_equal(log_secret_add(values[i], strlen(values[i])), 0);
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		check_never_printed(values[i], LOG_FORMAT_TEXT);
		check_never_printed(values[i], LOG_FORMAT_JSON);
	}
	log_secret_clear();
}

/* The escaped forms must not appear either (a JSON reader would unescape them). */
static void test_escaped_forms_absent(void **state)
{
	const char *secret = "pa\"ss\nword";
	char *s;

	(void)state;
	assert_int_equal(log_secret_add(secret, strlen(secret)), 0);
	setup_log(LOG_INFO, LOG_FORMAT_JSON, NULL, 0);
	log_info("v=%s", secret);
	s = captured();
	assert_null(strstr(s, "pa\\\"ss\\nword"));
	assert_null(strstr(s, "ss\\nwo"));
	free(s);
	log_secret_clear();
}

/* After forgetting, the value prints again: the check above can fail. */
static void test_forget_restores(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(log_secret_add("abcdef", 6), 0);
	assert_int_equal(log_secret_add("abcdef", 6), 0);
	log_secret_forget("abcdef", 6);
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_info("still %s", "abcdef");
	s = captured();
	assert_non_null(strstr(s, "still [redacted]"));
	free(s);
	log_secret_forget("abcdef", 6);
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_info("now %s", "abcdef");
	s = captured();
	assert_non_null(strstr(s, "now abcdef"));
	free(s);
}

static void test_short_secret_refused(void **state)
{
	(void)state;
	assert_int_equal(log_secret_add("abc", 3), -EINVAL);
	assert_int_equal(log_secret_add("", 0), -EINVAL);
}

/* Overlapping secrets: the longest wins, so no tail of the long one leaks. */
static void test_overlapping_secrets(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(log_secret_add("abcd", 4), 0);
	assert_int_equal(log_secret_add("abcdefgh", 8), 0);
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_info("[%s]", "abcdefgh");
	s = captured();
	assert_non_null(strstr(s, "[[redacted]]"));
	assert_null(strstr(s, "efgh"));
	free(s);
	log_secret_clear();
}

/*
 * Thousands of registered secrets (the agent registers every string of every
 * secret it reads): the last one registered is still scrubbed, from a log
 * line and from text scrubbed in place for the status file.
 */
static void test_many_secrets(void **state)
{
	char value[32], text[64], *s;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(value, sizeof(value), "many-secret-%05d", i);
		assert_int_equal(log_secret_add(value, strlen(value)), 0);
	}
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_info("first many-secret-00000 last many-secret-04999");
	s = captured();
	assert_null(strstr(s, "many-secret"));
	free(s);
	snprintf(text, sizeof(text), "reading x: many-secret-04999 is wrong");
	log_scrub_in_place(text, sizeof(text));
	assert_string_equal(text, "reading x: [redacted] is wrong");
	snprintf(text, sizeof(text), "many-secret-04999 many-secret-04998 x");
	log_scrub_in_place(text, 38); /* exactly the text's size */
	assert_string_equal(text, "[redacted] [redacted] x");
	log_secret_clear();
	snprintf(text, sizeof(text), "many-secret-04999");
	log_scrub_in_place(text, sizeof(text));
	assert_string_equal(text, "many-secret-04999");
}

/* A secret straddling the truncation point is scrubbed before the cut. */
/* Whether s holds a prefix of secret of at least 8 bytes; every prefix is tried. */
static bool has_prefix8(const char *s, const char *secret)
{
	size_t n = strlen(secret);
	char *p = malloc(n + 1);
	bool hit = false;

	assert_non_null(p);
	for (size_t k = 8; k <= n && !hit; k++) {
		memcpy(p, secret, k);
		p[k] = '\0';
		hit = strstr(s, p) != NULL;
	}
	free(p);
	return hit;
}

/*
 * Text that leaves the process another way than a log line (the status
 * file) is formatted whole, scrubbed, and only then cut: wherever the cut
 * falls, no prefix of 8 bytes or more of a secret survives it.
 */
static void test_scrub_then_cut(void **state)
{
	const char *secret = "n4m3-from-a-secret-7f3a9c1e0b";
	char dst[64], pad[128], src[160];

	(void)state;
	assert_int_equal(log_secret_add(secret, strlen(secret)), 0);
	assert_int_equal(log_secret_add("cdefghij", 8), 0);
	memset(pad, 'x', sizeof(pad));
	for (size_t p = 0; p < 100; p++) {
		pad[p] = '\0';
		log_scrub_format(dst, sizeof(dst), "no secret exists at %s%s: status 404", pad,
				 secret);
		if (has_prefix8(dst, secret))
			fail_msg("pad %zu: \"%s\"", p, dst);
		pad[p] = 'x';
	}
	/* text already cut upstream: a secret's first bytes at its end are hidden too */
	for (size_t k = 1; k < strlen(secret); k++) {
		snprintf(src, sizeof(src), "errors: %.*s", (int)k, secret);
		log_scrub_copy(dst, sizeof(dst), src, strlen(src), true);
		assert_string_equal(dst, "errors: [redacted]");
		log_scrub_copy(dst, sizeof(dst), src, strlen(src), false);
		assert_string_equal(dst, src); /* not cut: a prefix is just text */
	}
	/* overlapping secrets leave no piece behind; side by side they are two */
	log_scrub_format(dst, sizeof(dst), "<%s%s>", "ab", "cdefghijklmnopqrstuvwxyz");
	assert_non_null(strstr(dst, "<ab[redacted]klmn"));
	assert_int_equal(log_secret_add("9c1e0bXYZW", 10), 0);
	log_scrub_format(dst, sizeof(dst), "<%sXYZW>", secret);
	assert_string_equal(dst, "<[redacted]>");
	log_scrub_format(dst, sizeof(dst), "<%s%s>", secret, secret);
	assert_string_equal(dst, "<[redacted][redacted]>");
	log_secret_clear();
}

static void test_truncation_after_scrub(void **state)
{
	const char *secret = "TOPSECRETVALUE";
	size_t pad = LOG_LINE_MAX - 5;
	char *msg = malloc(pad + strlen(secret) + 1), *s;

	(void)state;
	assert_non_null(msg);
	memset(msg, 'A', pad);
	memcpy(msg + pad, secret, strlen(secret) + 1);
	assert_int_equal(log_secret_add(secret, strlen(secret)), 0);
	setup_log(LOG_INFO, LOG_FORMAT_TEXT, NULL, 0);
	log_info("%s", msg);
	s = captured();
	assert_null(strstr(s, "TOPS"));
	assert_non_null(strstr(s, " [truncated]\n"));
	free(s);
	free(msg);
	log_secret_clear();
}

static void *spam(void *arg)
{
	for (int i = 0; i < 200; i++)
		log_emit(LOG_INFO, LOG_FIELDS(LOG_INT("i", i)), "thread %s line", (char *)arg);
	return NULL;
}

/* Lines from several threads never interleave. */
static void test_threads(void **state)
{
	pthread_t t[4];
	char *names[4] = { "t0", "t1", "t2", "t3" };
	char *s, *line, *save = NULL;
	int lines = 0;

	(void)state;
	setup_log(LOG_INFO, LOG_FORMAT_JSON, NULL, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, spam, names[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	s = captured();
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_memory_equal(line, "{\"time\":", 8);
		assert_int_equal(line[strlen(line) - 1], '}');
		lines++;
	}
	assert_int_equal(lines, 800);
	free(s);
}

int main(void)
{
	struct tdata levels;
	struct tlist l = { 0 };
	int failed;

	out_fd = memfd_create("log", MFD_CLOEXEC);
	if (out_fd < 0) {
		perror("memfd_create");
		return 1;
	}
	tdata_load("log/levels.txt", &levels);
	tlist_add(&l, "text_format", test_text_format, NULL);
	tlist_add(&l, "json_format", test_json_format, NULL);
	tlist_add(&l, "json_invalid_utf8", test_json_invalid_utf8, NULL);
	tlist_add(&l, "level_filter", test_level_filter, NULL);
	tlist_add(&l, "context_fields", test_context_fields, NULL);
	tlist_add_rows(&l, &levels, test_level_parse_row);
	tlist_add(&l, "secret_field_always_redacted", test_secret_field_always_redacted, NULL);
	tlist_add(&l, "registered_secret_scrubbed", test_registered_secret_scrubbed, NULL);
	tlist_add(&l, "escaped_forms_absent", test_escaped_forms_absent, NULL);
	tlist_add(&l, "forget_restores", test_forget_restores, NULL);
	tlist_add(&l, "short_secret_refused", test_short_secret_refused, NULL);
	tlist_add(&l, "overlapping_secrets", test_overlapping_secrets, NULL);
	tlist_add(&l, "many secrets, and scrubbing in place", test_many_secrets, NULL);
	tlist_add(&l, "truncation_after_scrub", test_truncation_after_scrub, NULL);
	tlist_add(&l, "scrubbed whole, then cut: no prefix of a secret survives",
		  test_scrub_then_cut, NULL);
	tlist_add(&l, "threads", test_threads, NULL);
	failed = tlist_run(&l, "log");
	tdata_free(&levels);
	close(out_fd);
	return failed ? 1 : 0;
}
