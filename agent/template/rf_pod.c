/* SPDX-License-Identifier: MIT */
/*
 * rf_pod: consul-template's three functions that touch the pod: `file`
 * (a dependency read by the caller, see render.h), `writeToFile` (writes a
 * file while the template executes) and `plugin` (runs an executable and
 * returns its trimmed output).
 *
 * DESIGN. The executor stays pure for every other function; these two act
 * only when render_opts.pod_effects is set (the agent and `vaultlet-agent
 * render`), so fuzzers and the differential driver can never write a file
 * or start a process. Texts follow template/funcs.go: strconv's errors for
 * the mode, os.PathError's "open P: permission denied", the symlink
 * refusals, "exec \"NAME\": did not finish in 30s".
 *
 * writeToFile: consul-template writes in place (O_TRUNC); vaultlet replaces
 * the file atomically (afile_write: temporary file, fsync, rename), so an
 * application never reads half of it, and refuses a symlink on every
 * directory below the volume root, where Go checks only the parent. With
 * the "append" flag the file is opened O_APPEND|O_NOFOLLOW as Go does.
 * Users and groups given by name are looked up in /etc/passwd and
 * /etc/group as Go's pure-Go os/user does (the agent image has neither:
 * give numbers there).
 *
 * plugin: no shell. The name is looked up in PATH as Go's exec.LookPath
 * does (a name with a '/' is used as is), the process gets the agent's
 * environment, stdin from /dev/null, its own process group; after the
 * timeout (30 s) the whole group is killed. Its output is capped at
 * RENDER_MAX_VALUE and never logged; an error says how many bytes it
 * printed, not what (consul-template's error quotes stdout and stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "gofmt.h"
#include "gostr.h"
#include "podfn.h"
#include "render.h"
#include "rfunc.h"

#define PLUGIN_ARGS_MAX 256

/* %q of s into a buffer owned by the caller (buf_done it); "" on OOM. */
static const char *quoted(struct buf *q, const char *s, size_t n)
{
	buf_init_sensitive(q, RENDER_MAX_VALUE);
	if (gofmt_quote(q, s, n, false) < 0)
		buf_reset(q);
	return buf_str(q);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- file ---------------------------------------------------------- */

int rf_file(struct rf_call *c, struct gval *ret)
{
	const struct gv_str *s = &c->argv[0].str;
	const char *data = "";
	size_t a, n, dlen = 0;
	struct buf path;
	int r;

	(void)ret;
	if (s->len == 0)
		return 0;
	gostr_trim_space(s->s, s->len, &a, &n);
	if (memchr(s->s + a, '\0', n))
		return rf_fail(c, "file: a path with a NUL byte is not supported by vaultlet");
	buf_init(&path, 2 * (n + 2));
	r = podfn_clean(s->s + a, n, &path);
	if (r < 0) {
		buf_done(&path);
		return r;
	}
	r = rf_file_dep(c, buf_str(&path), path.len, &data, &dlen);
	buf_done(&path);
	if (!r)
		r = buf_append(c->o, data, dlen);
	return r;
}

/* ---- writeToFile --------------------------------------------------- */

/* strconv.ParseUint(s, 8, 32) */
static int parse_mode(struct rf_call *c, const struct gv_str *s, mode_t *ret)
{
	uint64_t v = 0;
	const char *why = NULL;
	struct buf q;
	int r;

	if (s->len == 0)
		why = "invalid syntax";
	for (size_t i = 0; i < s->len && !why; i++) {
		unsigned char ch = (unsigned char)s->s[i];

		if (ch < '0' || ch > '7')
			why = "invalid syntax";
		else if (v >= UINT64_C(0x20000000)) /* (2^32-1)/8 + 1: the next digit overflows */
			why = "value out of range";
		else if ((v = v * 8 + (uint64_t)(ch - '0')) > UINT32_MAX)
			why = "value out of range";
	}
	if (!why) {
		*ret = (mode_t)(v & 0777); /* os.FileMode's permission bits; the others are types */
		return 0;
	}
	r = rf_fail(c, "strconv.ParseUint: parsing %s: %s", quoted(&q, s->s, s->len), why);
	buf_done(&q);
	return r;
}

/* strconv.Atoi, for a uid or gid given as a number. */
static bool atoi_go(const char *s, long long *ret)
{
	const char *p = s;
	bool neg = false;
	long long v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*ret = neg ? -v : v;
	return true;
}

/*
 * os/user's pure-Go lookup: the line of `file` whose first field is name,
 * its third field (uid or gid). 0; -ENOENT (unknown); -errno opening file.
 */
static int colon_lookup(const char *file, const char *name, int minfields, long long *ret)
{
	char *text = NULL, *line, *next;
	size_t len = 0;
	int r = afile_read(file, 4 * 1024 * 1024, false, &text, &len);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (line = text; line && *line; line = next) {
		char *f[4] = { 0 };
		int nf = 0;
		char *p;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		for (p = line; nf < 4; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (!p) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (nf < minfields || !f[0][0] || f[0][0] == '+' || f[0][0] == '-')
			continue;
		if (strcmp(f[0], name) == 0 && atoi_go(f[2], ret)) {
			r = 0;
			break;
		}
	}
	free(text);
	return r;
}

/* Go's user.Lookup / user.LookupGroup, then strconv.Atoi; the error text in *msg. */
static int owner_id(bool group, const char *name, long long *ret, struct buf *msg)
{
	const char *file = group ? "/etc/group" : "/etc/passwd";
	int r = colon_lookup(file, name, group ? 3 : 4, ret);
	char es[128];

	if (r == 0)
		return 0;
	if (atoi_go(name, ret))
		return 0;
	if (r == -ENOENT && access(file, F_OK) == 0)
		return buf_appendf(msg, "%s: unknown %s %s", group ? "group" : "user",
				   group ? "group" : "user", name) < 0
			   ? -ENOMEM
			   : -EINVAL;
	podfn_errstr(-r, es, sizeof(es));
	return buf_appendf(msg, "open %s: %s", file, es) < 0 ? -ENOMEM : -EINVAL;
}

/* mkdir -p as os.MkdirAll(dir, 0777): the error names the component that failed. */
static int mkdir_all(char *dir, struct buf *msg)
{
	struct stat st;
	char es[128];
	char *slash;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		podfn_errstr(ENOTDIR, es, sizeof(es));
		return buf_appendf(msg, "mkdir %s: %s", dir, es) < 0 ? -ENOMEM : -EINVAL;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		int r;

		*slash = '\0';
		r = mkdir_all(dir, msg);
		*slash = '/';
		if (r < 0)
			return r;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		podfn_errstr(errno, es, sizeof(es));
		return buf_appendf(msg, "mkdir %s: %s", dir, es) < 0 ? -ENOMEM : -EINVAL;
	}
	return 0;
}

struct wtf {
	const char *path; /* as given, for the refusals' %q */
	size_t plen;
	char *dir;	/* filepath.Dir of the cleaned path */
	char *resolved; /* filepath.Join(dir, base) */
	mode_t mode;
	bool append, newline;
	const char *data;
	size_t len;
	bool chown;
	long long uid, gid;
};

static int wtf_errno(struct buf *msg, const char *op, const char *path, int e)
{
	char es[128];

	podfn_errstr(e, es, sizeof(es));
	return buf_appendf(msg, "%s %s: %s", op, path, es) < 0 ? -ENOMEM : -EINVAL;
}

/*
 * The write itself, once the checks passed; the error text in msg. An
 * appended file stays open in *fd for the owner and mode set afterwards.
 */
static int wtf_write(const struct wtf *w, int *ret_fd, struct buf *msg)
{
	size_t total = w->len + (w->newline ? 1 : 0);
	char *all = NULL;
	int fd = -1, r;

	if (!w->append) {
		/* Go opens an existing file O_RDWR: one it may not read and write is its error */
		if (faccessat(AT_FDCWD, w->resolved, R_OK | W_OK, AT_EACCESS) < 0 &&
		    errno != ENOENT)
			return wtf_errno(msg, "open", w->resolved, errno);
		all = malloc(total ? total : 1);
		if (!all)
			return -ENOMEM;
		memcpy(all, w->data, w->len);
		if (w->newline)
			all[w->len] = '\n';
		r = afile_write(w->resolved, all, total, w->mode);
		explicit_bzero(all, total);
		free(all);
		if (r == -ELOOP)
			return buf_appendf(msg,
					   "writeToFile: refusing to write through a symlinked "
					   "directory in path %s (vaultlet checks every directory "
					   "below the volume root)",
					   w->resolved) < 0
				   ? -ENOMEM
				   : -EINVAL;
		if (r < 0)
			return wtf_errno(msg, "open", w->resolved, -r);
		return 0;
	}
	fd = open(w->resolved, O_APPEND | O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, w->mode);
	if (fd < 0)
		return wtf_errno(msg, "open", w->resolved, errno);
	r = 0;
	for (size_t off = 0; off < total && r == 0;) {
		const char *p = off < w->len ? w->data + off : "\n";
		size_t n = off < w->len ? w->len - off : 1;
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = wtf_errno(msg, "write", w->resolved, errno);
		else
			off += (size_t)k;
	}
	if (r == 0)
		*ret_fd = fd;
	else
		close(fd);
	return r;
}

/* Owner and mode after the write, as Go's f.Chown and f.Chmod (never through a link). */
static int wtf_own(const struct wtf *w, int fd, struct buf *msg)
{
	if (fd >= 0) {
		if (w->chown && fchown(fd, (uid_t)w->uid, (gid_t)w->gid) < 0)
			return wtf_errno(msg, "chown", w->resolved, errno);
		if (fchmod(fd, w->mode) < 0)
			return wtf_errno(msg, "chmod", w->resolved, errno);
		return 0;
	}
	/* the replaced file: created with its mode; a chown may clear nothing else */
	if (w->chown && lchown(w->resolved, (uid_t)w->uid, (gid_t)w->gid) < 0)
		return wtf_errno(msg, "chown", w->resolved, errno);
	if (w->chown && fchmodat(AT_FDCWD, w->resolved, w->mode, 0) < 0)
		return wtf_errno(msg, "chmod", w->resolved, errno);
	return 0;
}

/*
 * writeToFile PATH USER GROUP MODE [FLAGS] CONTENT: consul-template's
 * argument order; FLAGS holds "append" and/or "newline"; returns "".
 */
int rf_write_to_file(struct rf_call *c, struct gval *ret)
{
	struct wtf w = { 0 };
	struct buf clean, msg, q;
	const struct gv_str *user = &c->argv[1].str, *group = &c->argv[2].str;
	struct stat st;
	size_t extra = c->n - 4;
	char *uname = NULL, *gname = NULL;
	const char *base;
	int fd = -1, r;

	*ret = gv_string("", 0);
	if (extra == 0)
		return rf_fail(c, "runtime error: index out of range [-1]");
	if (extra == 2) {
		const struct gv_str *f = &c->argv[4].str;

		w.append = memmem(f->s, f->len, "append", 6) != NULL;
		w.newline = memmem(f->s, f->len, "newline", 7) != NULL;
	}
	w.data = c->argv[c->n - 1].str.s;
	w.len = c->argv[c->n - 1].str.len;
	w.path = c->argv[0].str.s;
	w.plen = c->argv[0].str.len;
	r = parse_mode(c, &c->argv[3].str, &w.mode);
	if (r)
		return r;
	if (!rf_pod_effects(c))
		return rf_fail(c, "writeToFile does not write files here (only the agent and "
				  "vaultlet-agent render do)");
	if (memchr(w.path, '\0', w.plen) || memchr(user->s, '\0', user->len) ||
	    memchr(group->s, '\0', group->len))
		return rf_fail(c, "writeToFile: a NUL byte in the path, user or group is not "
				  "supported by vaultlet");
	buf_init(&clean, 2 * (w.plen + 2));
	buf_init(&msg, 4096);
	r = podfn_clean(w.path, w.plen, &clean);
	if (r < 0)
		goto out;
	/* filepath.Dir and Base of the cleaned path */
	{
		const char *cp = buf_str(&clean);
		const char *sl = strrchr(cp, '/');
		struct buf d;

		buf_init(&d, clean.len + 2);
		r = sl ? podfn_clean(cp, sl == cp ? 1 : (size_t)(sl - cp), &d)
		       : buf_append(&d, ".", 1);
		w.dir = r < 0 ? NULL : buf_take(&d, NULL);
		buf_done(&d);
		if (!w.dir) {
			r = -ENOMEM;
			goto out;
		}
		base = sl ? sl + 1 : cp;
		if (!*base)
			base = "/";
		/* filepath.Join: the two cleaned together */
		buf_init(&d, strlen(w.dir) + strlen(base) + 2);
		if (buf_appendf(&d, "%s/%s", w.dir, base) == 0) {
			struct buf j;

			buf_init(&j, d.len + 2);
			if (podfn_clean(buf_str(&d), d.len, &j) == 0)
				w.resolved = buf_take(&j, NULL);
			buf_done(&j);
		}
		buf_done(&d);
		if (!w.resolved) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (stat(w.dir, &st) < 0) {
		if (errno != ENOENT) {
			r = wtf_errno(&msg, "stat", w.dir, errno);
			goto fail;
		}
		r = mkdir_all(w.dir, &msg);
		if (r < 0)
			goto fail;
	}
	if (lstat(w.dir, &st) < 0) {
		char es[128];

		podfn_errstr(errno, es, sizeof(es));
		r = buf_appendf(&msg, "writeToFile: failed to stat directory %s: lstat %s: %s",
				quoted(&q, w.dir, strlen(w.dir)), w.dir, es) < 0
			? -ENOMEM
			: -EINVAL;
		buf_done(&q);
		goto fail;
	}
	if (S_ISLNK(st.st_mode)) {
		r = buf_appendf(&msg,
				"writeToFile: refusing to write through symlinked directory in "
				"path %s",
				quoted(&q, w.path, w.plen)) < 0
			? -ENOMEM
			: -EINVAL;
		buf_done(&q);
		goto fail;
	}
	if (lstat(w.resolved, &st) < 0 && errno != ENOENT) {
		char es[128];

		podfn_errstr(errno, es, sizeof(es));
		r = buf_appendf(&msg, "writeToFile: failed to stat %s: lstat %s: %s",
				quoted(&q, w.resolved, strlen(w.resolved)), w.resolved, es) < 0
			? -ENOMEM
			: -EINVAL;
		buf_done(&q);
		goto fail;
	}
	if (lstat(w.resolved, &st) == 0 && S_ISLNK(st.st_mode)) {
		r = buf_appendf(&msg, "writeToFile: refusing to write to symlink %s",
				quoted(&q, w.path, w.plen)) < 0
			? -ENOMEM
			: -EINVAL;
		buf_done(&q);
		goto fail;
	}
	/* consul-template writes first, then resolves the owner: a bad name leaves the file */
	r = wtf_write(&w, &fd, &msg);
	if (r < 0)
		goto fail;
	uname = dup_n(user->s, user->len);
	gname = dup_n(group->s, group->len);
	if (!uname || !gname) {
		r = -ENOMEM;
		goto out;
	}
	w.uid = (long long)getuid();
	w.gid = (long long)getgid();
	w.chown = uname[0] || gname[0];
	if (uname[0] || gname[0]) {
		if (uname[0]) {
			r = owner_id(false, uname, &w.uid, &msg);
			if (r < 0)
				goto fail;
		}
		if (gname[0]) {
			r = owner_id(true, gname, &w.gid, &msg);
			if (r < 0)
				goto fail;
		}
	}
	r = wtf_own(&w, fd, &msg);
	if (r == 0)
		goto out;
fail:
	if (r == -EINVAL)
		r = rf_fail(c, "%s", buf_str(&msg));
out:
	if (fd >= 0)
		close(fd);
	free(uname);
	free(gname);
	free(w.dir);
	free(w.resolved);
	buf_done(&clean);
	buf_done(&msg);
	return r;
}

/* ---- plugin -------------------------------------------------------- */

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Go's exec.LookPath for a name without '/': 0 with the path, or -ENOENT. */
static int look_path(const char *name, char *const *envp, struct buf *out)
{
	const char *path = env_get(envp, "PATH");
	const char *p = path ? path : "";

	if (!*p)
		return -ENOENT; /* filepath.SplitList("") is empty */
	for (;;) {
		const char *end = strchr(p, ':');
		size_t dl = end ? (size_t)(end - p) : strlen(p);
		struct buf cand;
		struct stat st;
		int r;

		buf_init(&cand, 8192);
		r = dl ? buf_append(&cand, p, dl) : buf_append(&cand, ".", 1);
		if (r == 0)
			r = buf_appendf(&cand, "/%s", name);
		if (r == 0) {
			buf_reset(out);
			r = podfn_clean(buf_str(&cand), cand.len, out);
		}
		buf_done(&cand);
		if (r < 0)
			return r;
		if (stat(buf_str(out), &st) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111))
			return buf_str(out)[0] == '/' ? 0 : -EPERM; /* Go 1.19's ErrDot */
		if (!end)
			return -ENOENT;
		p = end + 1;
	}
}

struct child {
	pid_t pid;
	int out, err, pidfd;
	size_t nout, nerr;
	int status;
	bool exited, too_big, timed_out;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts the child; -errno of fork or of execve (through a close-on-exec pipe). */
static int spawn(const char *path, char *const *argv, char *const *envp, struct child *ch)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r = 0, e = 0;
	ssize_t k;

	if (devnull < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
	    pipe2(px, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	ch->pid = fork();
	if (ch->pid < 0) {
		r = -errno;
		goto out;
	}
	if (ch->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		/* nothing else: libcurl's sockets are not close-on-exec */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != px[1])
				close(fd);
		execve(path, argv, envp);
		e = errno;
		k = write(px[1], &e, sizeof(e));
		(void)k;
		_exit(127);
	}
	close(px[1]);
	px[1] = -1;
	do
		k = read(px[0], &e, sizeof(e));
	while (k < 0 && errno == EINTR);
	if (k == (ssize_t)sizeof(e)) {
		waitpid(ch->pid, NULL, 0);
		r = -e;
		goto out;
	}
	ch->out = po[0];
	ch->err = pe[0];
	po[0] = pe[0] = -1;
	ch->pidfd = (int)syscall(SYS_pidfd_open, ch->pid, 0);
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
		if (px[i] >= 0)
			close(px[i]);
	}
	if (devnull >= 0)
		close(devnull);
	return r;
}

/* Reads both pipes and waits for the exit, until the deadline (then kills the group). */
static int collect(struct child *ch, int64_t deadline, struct buf *out)
{
	char chunk[4096];
	int r = 0;

	while (ch->out >= 0 || ch->err >= 0 || !ch->exited) {
		struct pollfd pf[3];
		int npf = 0, ms;
		int64_t left = deadline - now_ms();

		if (!ch->exited && ch->out < 0 && ch->err < 0) {
			pid_t p = waitpid(ch->pid, &ch->status, WNOHANG);

			if (p == ch->pid) {
				ch->exited = true;
				break;
			}
		}
		if (left <= 0) {
			ch->timed_out = true;
			break;
		}
		if (ch->out >= 0)
			pf[npf++] = (struct pollfd){ .fd = ch->out, .events = POLLIN };
		if (ch->err >= 0)
			pf[npf++] = (struct pollfd){ .fd = ch->err, .events = POLLIN };
		if (ch->out < 0 && ch->err < 0 && ch->pidfd >= 0)
			pf[npf++] = (struct pollfd){ .fd = ch->pidfd, .events = POLLIN };
		ms = left > 1000 ? 1000 : (int)left;
		if (npf == 0)
			ms = ms > 20 ? 20 : ms; /* no pidfd: poll waitpid */
		if (poll(pf, (nfds_t)npf, ms) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int i = 0; i < npf; i++) {
			ssize_t k;
			bool is_out = pf[i].fd == ch->out;

			if (pf[i].fd == ch->pidfd ||
			    !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(pf[i].fd, chunk, sizeof(chunk));
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k <= 0) {
				close(pf[i].fd);
				if (is_out)
					ch->out = -1;
				else
					ch->err = -1;
				continue;
			}
			if (!is_out) {
				ch->nerr += (size_t)k;
				continue;
			}
			ch->nout += (size_t)k;
			if (buf_append(out, chunk, (size_t)k) < 0) {
				ch->too_big = true;
				break;
			}
		}
		if (ch->too_big)
			break;
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (!ch->exited) {
		kill(-ch->pid, SIGKILL);
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, &ch->status, 0);
		ch->exited = true;
	}
	if (ch->out >= 0)
		close(ch->out);
	if (ch->err >= 0)
		close(ch->err);
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	ch->out = ch->err = ch->pidfd = -1;
	return r;
}

/* Go's exec.ExitError text. */
static void exit_text(int status, char *dst, size_t n)
{
	if (WIFEXITED(status)) {
		snprintf(dst, n, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		char sig[64];
		const char *m = strsignal(WTERMSIG(status));

		snprintf(sig, sizeof(sig), "%s", m ? m : "unknown signal");
		if (sig[0] >= 'A' && sig[0] <= 'Z' && !(sig[1] >= 'A' && sig[1] <= 'Z'))
			sig[0] = (char)(sig[0] - 'A' + 'a');
		snprintf(dst, n, "signal: %s%s", sig, WCOREDUMP(status) ? " (core dumped)" : "");
	} else {
		snprintf(dst, n, "exit status %d", status);
	}
}

/* Go's time.Duration text of a whole number of milliseconds, as the timeout is. */
static void duration_text(int64_t ms, char *dst, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(dst, n, "%" PRId64 "s", ms / 1000);
	else if (ms < 1000)
		snprintf(dst, n, "%" PRId64 "ms", ms);
	else
		snprintf(dst, n, "%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
}

/* plugin NAME ARGS...: the trimmed standard output of NAME run with the trimmed ARGS. */
int rf_plugin(struct rf_call *c, struct gval *ret)
{
	const struct gv_str *name = &c->argv[0].str;
	char *argv[PLUGIN_ARGS_MAX + 2] = { 0 };
	char *const *envp = rf_envp(c);
	struct child ch = { .pid = -1, .out = -1, .err = -1, .pidfd = -1 };
	struct buf path, out, q;
	const char *qn;
	size_t na = 1, a, n;
	int64_t tmo = rf_plugin_timeout_ms(c);
	char es[160];
	int r;

	(void)ret;
	if (name->len == 0)
		return 0;
	if (!rf_pod_effects(c))
		return rf_fail(c, "plugin does not run programs here (only the agent and "
				  "vaultlet-agent render do)");
	if (c->n - 1 > PLUGIN_ARGS_MAX)
		return rf_capfail(c, "plugin: more than %d arguments", PLUGIN_ARGS_MAX);
	buf_init(&path, 8192);
	buf_init_sensitive(&out, RENDER_MAX_VALUE);
	qn = quoted(&q, name->s, name->len);
	argv[0] = dup_n(name->s, name->len);
	r = argv[0] ? 0 : -ENOMEM;
	for (size_t i = 1; i < c->n && r == 0; i++) {
		const struct gv_str *s = &c->argv[i].str;

		gostr_trim_space(s->s, s->len, &a, &n);
		if (n == 0)
			continue;
		argv[na] = dup_n(s->s + a, n);
		if (!argv[na++])
			r = -ENOMEM;
	}
	if (r < 0)
		goto out;
	if (memchr(name->s, '\0', name->len)) {
		r = rf_fail(c, "exec %s: fork/exec %s: invalid argument", qn, argv[0]);
		goto out;
	}
	r = 0;
	if (!strchr(argv[0], '/')) {
		r = look_path(argv[0], envp, &path);
		if (r == -ENOENT || r == -EPERM) {
			r = rf_fail(c, "exec %s: exec: %s: %s\n\nstdout:\n\n\n\nstderr:\n\n", qn,
				    qn,
				    r == -ENOENT ? "executable file not found in $PATH"
						 : "cannot run executable found relative to "
						   "current directory");
			goto out;
		}
	} else {
		r = buf_append_str(&path, argv[0]);
	}
	if (r < 0)
		goto out;
	for (size_t i = 1; i < c->n; i++) {
		if (memchr(c->argv[i].str.s, '\0', c->argv[i].str.len)) {
			r = rf_fail(c, "exec %s: fork/exec %s: invalid argument", qn,
				    buf_str(&path));
			goto out;
		}
	}
	r = spawn(buf_str(&path), argv, envp, &ch);
	if (r < 0) {
		podfn_errstr(-r, es, sizeof(es));
		r = rf_fail(c, "exec %s: fork/exec %s: %s\n\nstdout:\n\n\n\nstderr:\n\n", qn,
			    buf_str(&path), es);
		goto out;
	}
	r = collect(&ch, now_ms() + tmo, &out);
	if (r < 0)
		goto out;
	if (ch.timed_out) {
		duration_text(tmo, es, sizeof(es));
		r = rf_fail(c, "exec %s: did not finish in %s", qn, es);
		goto out;
	}
	if (ch.too_big) {
		r = rf_capfail(c,
			       "plugin: exec %s: its output is larger than %d bytes, the most "
			       "vaultlet takes (the plugin was killed)",
			       qn, RENDER_MAX_VALUE);
		goto out;
	}
	if (!WIFEXITED(ch.status) || WEXITSTATUS(ch.status) != 0) {
		exit_text(ch.status, es, sizeof(es));
		r = rf_fail(c,
			    "exec %s: %s (its stdout and stderr, %zu and %zu bytes, are not "
			    "shown: they may hold secrets)",
			    qn, es, ch.nout, ch.nerr);
		goto out;
	}
	gostr_trim_space(out.data ? out.data : "", out.len, &a, &n);
	r = buf_append(c->o, out.data ? out.data + a : "", n);
out:
	for (size_t i = 0; i < na; i++) {
		if (argv[i]) {
			explicit_bzero(argv[i], strlen(argv[i]));
			free(argv[i]);
		}
	}
	buf_done(&q);
	buf_done(&path);
	buf_done(&out);
	return r;
}
