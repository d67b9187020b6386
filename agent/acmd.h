/* SPDX-License-Identifier: MIT */
/*
 * acmd: runs a template's `command` after its file changed.
 *
 * A command made only of plain words (letters, digits and -_./:,+@%=
 * separated by spaces, no '=' in the first word) is split on spaces and
 * run with fork/execvp, no shell needed (the agent image may have none);
 * anything else runs as `sh -c COMMAND`. The child gets the default signal
 * mask, stdin from /dev/null, the agent's stdout/stderr, and its own
 * process group; past the timeout the group gets SIGTERM, then SIGKILL
 * 2 s later. A SIGTERM to the agent cuts the wait short the same way, so
 * the agent still exits within about a second.
 */
#ifndef VAULTLET_AGENT_ACMD_H
#define VAULTLET_AGENT_ACMD_H

#include <stdbool.h>
#include <stdint.h>

#define ACMD_ARGS_MAX 64

/* Whether cmd needs a shell (pure). */
bool acmd_needs_shell(const char *cmd);

/*
 * Splits a plain command into argv (pure): writes pointers into buf
 * (a private copy of cmd) and argv[0..n), NULL-terminated. Returns n, or
 * -E2BIG, -EINVAL (empty).
 */
int acmd_split(const char *cmd, char *copy, char *argv[static ACMD_ARGS_MAX + 1]);

/* What to watch while the command runs: a readable wake_fd runs wake(); true = stop it. */
struct acmd_wake {
	int fd;
	bool (*wake)(void *ctx);
	void *ctx;
};

struct acmd_result {
	bool timed_out;
	bool interrupted; /* stopped because wake() asked (agent shutting down) */
	bool signaled;
	int code; /* exit status, or the signal number when signaled */
};

/*
 * Runs cmd and waits up to timeout_ns (then SIGTERM, SIGKILL 2 s later).
 * With w (may be NULL), a shutdown request ends the wait early: the
 * command's group gets SIGTERM, then SIGKILL after 0.5 s. 0 and *ret;
 * -errno when it could not start.
 */
int acmd_run(const char *cmd, int64_t timeout_ns, const struct acmd_wake *w,
	     struct acmd_result *ret);

#endif
