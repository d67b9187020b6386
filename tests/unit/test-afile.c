/* SPDX-License-Identifier: MIT */
/*
 * Tests for afile: exact modes, no temp files left behind, the destination
 * untouched on failure, and a concurrent reader never seeing a partial file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "afile.h"
#include "tdata.h"

static char dir[] = "/tmp/vaultlet-afile-XXXXXX";

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dp);
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static char *slurp(const char *p)
{
	char *s = NULL;
	size_t n;

	assert_int_equal(afile_read(p, 1 << 20, false, &s, &n), 0);
	return s;
}

static void test_mode_ignores_umask(void **state)
{
	char *p = path_in("mode");
	mode_t old = umask(077);
	struct stat st;

	(void)state;
	assert_int_equal(afile_write(p, "x", 1, 0644), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(afile_write(p, "y", 1, 0400), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	unlink(p);
	free(p);
}

static void test_replace_and_no_leftovers(void **state)
{
	char *p = path_in("replace");
	char *s;

	(void)state;
	assert_int_equal(afile_write(p, "first", 5, 0600), 0);
	assert_int_equal(afile_write(p, "second", 6, 0600), 0);
	s = slurp(p);
	assert_string_equal(s, "second");
	free(s);
	assert_int_equal(afile_write(p, "", 0, 0600), 0); /* empty on purpose is allowed */
	s = slurp(p);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(count_entries(dir), 1);
	unlink(p);
	free(p);
}

static void test_missing_parent(void **state)
{
	char *p = path_in("no/such/dir/file");

	(void)state;
	assert_int_equal(afile_write(p, "x", 1, 0644), -ENOENT);
	assert_int_equal(afile_mkparents(p, 0755), 0);
	assert_int_equal(afile_write(p, "x", 1, 0644), 0);
	assert_int_equal(afile_same(p, "x", 1, 0644), 1);
	free(p);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s/no", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/*
 * A container sharing the volume swaps a directory for a symlink: the next
 * write and the next mkparents refuse (-ELOOP) instead of landing outside,
 * a ".." that would leave the volume root is refused, and what is below a
 * real directory still works. Run with openat2 and with the component-wise
 * walk that kernels without openat2 get (VAULTLET_TEST_NO_OPENAT2=1).
 */
static void symlinked_parents(void)
{
	char *vol = path_in("vol"), *sub = path_in("vol/sub"), *out = path_in("outside");
	char *victim = path_in("outside/x"), *via = path_in("vol/sub/x");
	char *deep = path_in("vol/sub/new/x"), *made = path_in("outside/new");
	char *ok = path_in("vol/a/b/c/x"), *up = path_in("vol/a/../../outside/y");
	struct stat st;

	assert_int_equal(mkdir(vol, 0755), 0);
	assert_int_equal(mkdir(out, 0755), 0);
	assert_int_equal(symlink(out, sub), 0);
	assert_int_equal(afile_write(via, "secret", 6, 0600), -ELOOP);
	assert_int_equal(lstat(victim, &st), -1);
	assert_int_equal(afile_mkparents(deep, 0755), -ELOOP);
	assert_int_equal(lstat(made, &st), -1);
	assert_int_equal(afile_same(via, "secret", 6, 0600), -ELOOP);
	/* a symlink higher up, to a directory that exists */
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(symlink("../outside", sub), 0);
	assert_int_equal(afile_write(via, "secret", 6, 0600), -ELOOP);
	assert_int_equal(lstat(victim, &st), -1);
	/* real directories below the root are fine */
	assert_int_equal(afile_mkparents(ok, 0755), 0);
	assert_int_equal(afile_write(ok, "fine", 4, 0644), 0);
	assert_int_equal(afile_same(ok, "fine", 4, 0644), 1);
	/* no ".." below the root, whether or not it would stay inside */
	assert_int_equal(afile_write(up, "y", 1, 0644), -EXDEV);
	assert_int_equal(afile_mkparents(up, 0755), -EXDEV);
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s/vol %s/outside", dir, dir);
		assert_int_equal(system(cmd), 0);
	}
	free(vol);
	free(sub);
	free(out);
	free(victim);
	free(via);
	free(deep);
	free(made);
	free(ok);
	free(up);
}

static void test_symlinked_parents(void **state)
{
	(void)state;
	unsetenv("VAULTLET_TEST_NO_OPENAT2");
	symlinked_parents();
}

static void test_symlinked_parents_fallback(void **state)
{
	(void)state;
	assert_int_equal(setenv("VAULTLET_TEST_NO_OPENAT2", "1", 1), 0);
	symlinked_parents();
	unsetenv("VAULTLET_TEST_NO_OPENAT2");
}

static void test_destination_is_directory(void **state)
{
	char *p = path_in("adir");
	int before;

	(void)state;
	assert_int_equal(mkdir(p, 0755), 0);
	before = count_entries(dir);
	assert_true(afile_write(p, "x", 1, 0644) < 0);
	assert_int_equal(count_entries(dir), before); /* the temp file is gone */
	rmdir(p);
	free(p);
}

/* A write that fails half-way (file size limit) leaves the old file intact. */
static void test_failed_write_keeps_old(void **state)
{
	char *p = path_in("efbig");
	char big[4096];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(afile_write(p, "good", 4, 0644), 0);
	memset(big, 'z', sizeof(big));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 100, 100 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(afile_write(p, big, sizeof(big), 0644) == -EFBIG ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(afile_same(p, "good", 4, 0644), 1);
	assert_int_equal(count_entries(dir), 1);
	unlink(p);
	free(p);
}

/* A reader looping on the file only ever sees one of the complete versions. */
static void test_concurrent_reader(void **state)
{
	char *p = path_in("race");
	char a[3000], b[5000];
	pid_t pid;
	int status;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(afile_write(p, a, sizeof(a), 0644), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 3000; i++) {
			char *s = NULL;
			size_t n = 0;

			if (afile_read(p, 1 << 20, false, &s, &n) < 0)
				_exit(2);
			if (!((n == sizeof(a) && s[n - 1] == 'a' && s[0] == 'a') ||
			      (n == sizeof(b) && s[n - 1] == 'b' && s[0] == 'b')))
				_exit(1);
			free(s);
		}
		_exit(0);
	}
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(afile_write(p, i % 2 ? a : b, i % 2 ? sizeof(a) : sizeof(b), 0644),
				 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(p);
	free(p);
}

static void test_same(void **state)
{
	char *p = path_in("same");

	(void)state;
	assert_int_equal(afile_same(p, "abc", 3, 0644), 0); /* missing */
	assert_int_equal(afile_write(p, "abc", 3, 0644), 0);
	assert_int_equal(afile_same(p, "abc", 3, 0644), 1);
	assert_int_equal(afile_same(p, "abd", 3, 0644), 0);
	assert_int_equal(afile_same(p, "abcd", 4, 0644), 0);
	assert_int_equal(afile_same(p, "ab", 2, 0644), 0);
	assert_int_equal(afile_same(p, "abc", 3, 0600), 0); /* mode differs */
	unlink(p);
	free(p);
}

static void test_read_cap(void **state)
{
	char *p = path_in("cap");
	char *s = NULL;
	size_t n;

	(void)state;
	assert_int_equal(afile_write(p, "0123456789", 10, 0644), 0);
	assert_int_equal(afile_read(p, 9, true, &s, &n), -E2BIG);
	assert_null(s);
	assert_int_equal(afile_read(p, 10, true, &s, &n), 0);
	assert_int_equal(n, 10);
	assert_string_equal(s, "0123456789");
	free(s);
	assert_int_equal(afile_read("/nonexistent/x", 10, false, &s, &n), -ENOENT);
	unlink(p);
	free(p);
}

int main(void)
{
	struct tlist l = { 0 };
	int failed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	tlist_add(&l, "mode_ignores_umask", test_mode_ignores_umask, NULL);
	tlist_add(&l, "replace_and_no_leftovers", test_replace_and_no_leftovers, NULL);
	tlist_add(&l, "missing_parent", test_missing_parent, NULL);
	tlist_add(&l, "a symlink on the way is refused (openat2)", test_symlinked_parents, NULL);
	tlist_add(&l, "a symlink on the way is refused (component-wise walk)",
		  test_symlinked_parents_fallback, NULL);
	tlist_add(&l, "destination_is_directory", test_destination_is_directory, NULL);
	tlist_add(&l, "failed_write_keeps_old", test_failed_write_keeps_old, NULL);
	tlist_add(&l, "concurrent_reader", test_concurrent_reader, NULL);
	tlist_add(&l, "same", test_same, NULL);
	tlist_add(&l, "read_cap", test_read_cap, NULL);
	failed = tlist_run(&l, "afile");
	rmdir(dir);
	return failed ? 1 : 0;
}
