/* SPDX-License-Identifier: MIT */
/*
 * acmd: template commands (see acmd.h). The wait uses a pidfd so the agent
 * sleeps until the child exits or the timeout passes (no polling loop);
 * on kernels without pidfd_open it falls back to waitpid every 50 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acmd.h"
#include "sched.h"

#define CMD_MAX	  (64 * 1024)
#define KILL_WAIT (INT64_C(2) * 1000000000)

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-_./:,+@%=", c);
}

bool acmd_needs_shell(const char *cmd)
{
	bool first_word = true, in_word = false;

	for (const char *c = cmd; *c; c++) {
		if (*c == ' ') {
			if (in_word)
				first_word = false;
			in_word = false;
			continue;
		}
		if (!plain_char(*c))
			return true;
		if (*c == '=' && first_word)
			return true; /* VAR=value cmd: a shell assignment */
		in_word = true;
	}
	return false;
}

int acmd_split(const char *cmd, char *copy, char *argv[static ACMD_ARGS_MAX + 1])
{
	int n = 0;
	char *p;

	memcpy(copy, cmd, strlen(cmd) + 1); /* copy holds strlen(cmd)+1 bytes by contract */
	p = copy;
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == ACMD_ARGS_MAX)
			return -E2BIG;
		argv[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	argv[n] = NULL;
	return n == 0 ? -EINVAL : n;
}

/*
 * Waits for pid until deadline; 1 when reaped (*status), 0 on timeout,
 * 2 when the wake callback asked to stop, -errno.
 */
static int wait_until(pid_t pid, int pidfd, int64_t deadline, const struct acmd_wake *w,
		      int *status)
{
	for (;;) {
		int64_t left = deadline - sched_now();
		pid_t p = waitpid(pid, status, WNOHANG);

		if (p == pid)
			return 1;
		if (p < 0 && errno != EINTR)
			return -errno;
		if (left <= 0)
			return 0;
		if (pidfd >= 0) {
			struct pollfd pfd[2] = { { .fd = pidfd, .events = POLLIN },
						 { .fd = w ? w->fd : -1, .events = POLLIN } };
			int ms = left / 1000000 > 60000 ? 60000 : (int)(left / 1000000) + 1;

			if (poll(pfd, w && w->fd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
				return -errno;
			if (w && w->fd >= 0 && (pfd[1].revents & POLLIN) && w->wake(w->ctx))
				return 2;
		} else {
			struct timespec ts = { 0, 50 * 1000000 };

			nanosleep(&ts, NULL);
		}
	}
}

int acmd_run(const char *cmd, int64_t timeout_ns, const struct acmd_wake *w,
	     struct acmd_result *ret)
{
	char *argv[ACMD_ARGS_MAX + 1];
	char *copy = NULL;
	size_t len = strlen(cmd);
	bool shell = acmd_needs_shell(cmd);
	int pidfd = -1, status = 0, r, devnull;
	pid_t pid;

	if (len == 0 || len > CMD_MAX)
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (shell) {
		argv[0] = "sh";
		argv[1] = "-c";
		argv[2] = copy;
		argv[3] = NULL;
		memcpy(copy, cmd, len + 1);
	} else {
		r = acmd_split(cmd, copy, argv);
		if (r < 0)
			goto out;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		if (devnull >= 0)
			close(devnull);
		goto out;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, 0);
		/*
		 * The command gets stdin (/dev/null), stdout and stderr, nothing else:
		 * libcurl's sockets (the kept-alive Vault connection) are not
		 * close-on-exec. And SIGPIPE as a shell would have it: the agent
		 * ignores it, and an ignored signal stays ignored across exec.
		 */
		if (close_range(3, ~0u, 0) < 0) {
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(shell ? "/bin/sh" : argv[0], argv);
		_exit(127);
	}
	if (devnull >= 0)
		close(devnull);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	*ret = (struct acmd_result){ 0 };
	r = wait_until(pid, pidfd, sched_now() + timeout_ns, w, &status);
	if (r == 0 || r == 2) {
		ret->timed_out = r == 0;
		ret->interrupted = r == 2;
		kill(-pid, SIGTERM);
		kill(pid, SIGTERM);
		r = wait_until(pid, pidfd, sched_now() + (r == 2 ? KILL_WAIT / 4 : KILL_WAIT), NULL,
			       &status);
		if (r == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			r = waitpid(pid, &status, 0) == pid ? 1 : -errno;
		}
	}
	if (r < 0)
		goto out;
	if (WIFSIGNALED(status)) {
		ret->signaled = true;
		ret->code = WTERMSIG(status);
	} else {
		ret->code = WEXITSTATUS(status);
	}
	r = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	free(copy);
	return r;
}
