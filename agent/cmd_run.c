/* SPDX-License-Identifier: MIT */
/*
 * cmd_run: `vaultlet-agent [run] [-config FILE]` — the process shell around
 * agent_run(): arguments and environment, logging, the configuration (from
 * -config FILE or the base64 VAULT_CONFIG the webhook sets), signals, the
 * pid file. No /bin/sh and no base64 binary are needed.
 *
 * Environment (as the stock injector sets it):
 *   VAULT_CONFIG          standard base64 of the JSON config (strict)
 *   VAULT_LOG_LEVEL       trace debug info warn error (default info)
 *   VAULT_LOG_FORMAT      standard/text or json
 *   NAMESPACE, HOSTNAME   the pod's namespace and name, on every log line
 *   VAULT_ADDR, VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT,
 *   VAULT_CLIENT_KEY, VAULT_SKIP_VERIFY, VAULT_TLS_SERVER_NAME
 *                         used when the config leaves the value unset
 *   VAULT_CACERT_BYTES    the CA as PEM text, when the config names no CA
 *                         (wins over VAULT_CACERT and VAULT_CAPATH)
 *   VAULT_CLIENT_TIMEOUT  per-request timeout (Go duration or seconds; 60s)
 *   VAULT_MAX_RETRIES     HTTP-client retries for reads (default 2)
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "commands.h"
#include "config.h"
#include "goparse.h"
#include "log.h"

/* cJSON frees through this: every tree (Vault answers, tokens) is wiped. */
static void wiping_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void usage(FILE *f)
{
	fputs("usage: vaultlet-agent [run] [-config FILE]\n"
	      "\n"
	      "Logs in to Vault with the pod's service-account token, renders the\n"
	      "configured templates, and (unless exit_after_auth is true) keeps them\n"
	      "fresh. The configuration is the Vault Agent JSON the webhook writes,\n"
	      "read from -config FILE or from the base64 env var VAULT_CONFIG.\n"
	      "Exit status: 0 done/stopped, 1 gave up (see the log), 2 bad config.\n",
	      f);
}

static void setup_logging(void)
{
	static struct log_field ctx[2];
	struct log_config lc = { .level = LOG_INFO, .format = LOG_FORMAT_TEXT, .fd = 2 };
	const char *lvl = getenv("VAULT_LOG_LEVEL"), *fmt = getenv("VAULT_LOG_FORMAT");
	const char *ns = getenv("NAMESPACE"), *pod = getenv("HOSTNAME");
	bool bad_lvl = lvl && !log_level_parse(lvl, &lc.level);
	bool bad_fmt = fmt && !log_format_parse(fmt, &lc.format);
	size_t n = 0;

	if (ns && ns[0])
		ctx[n++] = LOG_STR("namespace", ns);
	if (pod && pod[0])
		ctx[n++] = LOG_STR("pod", pod);
	lc.context = n ? ctx : NULL;
	lc.ncontext = n;
	log_setup(&lc);
	if (bad_lvl)
		log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("value", lvl)),
			 "unknown VAULT_LOG_LEVEL, using info");
	if (bad_fmt)
		log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("value", fmt)),
			 "unknown VAULT_LOG_FORMAT, using text");
}

static void env_default(char **field, const char *name)
{
	const char *v = getenv(name);

	if (!*field && v && v[0])
		*field = strdup(v);
}

static void apply_env(struct acfg *cfg, struct agent_opts *o)
{
	const char *v;
	bool b;

	env_default(&cfg->address, "VAULT_ADDR");
	/*
	 * As Vault's client: a CA in the config (vault.ca_cert, vault.ca_path)
	 * wins; otherwise VAULT_CACERT_BYTES wins over VAULT_CACERT and
	 * VAULT_CAPATH (go-rootcerts looks at the bytes first).
	 */
	if (!cfg->ca_cert && !cfg->ca_path)
		env_default(&cfg->ca_cert_bytes, "VAULT_CACERT_BYTES");
	env_default(&cfg->ca_cert, "VAULT_CACERT");
	env_default(&cfg->ca_path, "VAULT_CAPATH");
	env_default(&cfg->client_cert, "VAULT_CLIENT_CERT");
	env_default(&cfg->client_key, "VAULT_CLIENT_KEY");
	env_default(&cfg->tls_server_name, "VAULT_TLS_SERVER_NAME");
	v = getenv("VAULT_SKIP_VERIFY");
	if (v && goparse_bool(v, &b) && b)
		cfg->tls_skip_verify = true;
	o->http_retries = 2;
	v = getenv("VAULT_MAX_RETRIES");
	if (v && v[0]) {
		int64_t n;

		if (goparse_int64(v, &n) && n >= 0 && n <= 100)
			o->http_retries = (int)n;
		else
			log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("value", v)),
				 "ignoring invalid VAULT_MAX_RETRIES");
	}
	v = getenv("VAULT_CLIENT_TIMEOUT");
	if (v && v[0]) {
		int64_t ns, secs;

		if (goparse_int64(v, &secs) && secs > 0 && secs < 86400)
			o->http_timeout_ns = secs * GOPARSE_NS_PER_SEC;
		else if (goparse_duration(v, &ns) && ns > 0)
			o->http_timeout_ns = ns;
		else
			log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("value", v)),
				 "ignoring invalid VAULT_CLIENT_TIMEOUT");
	}
}

static void warn_unknown(const struct acfg *cfg)
{
	struct buf keys;

	if (cfg->nunknown == 0)
		return;
	buf_init(&keys, 4096);
	for (size_t i = 0; i < cfg->nunknown; i++) {
		if (buf_appendf(&keys, "%s%s", i ? "," : "", cfg->unknown[i]) < 0)
			break;
	}
	if (cfg->unknown_truncated && buf_append_str(&keys, ",...") < 0)
		buf_truncate(&keys, keys.len);
	log_emit(LOG_WARN, LOG_FIELDS(LOG_STR("keys", buf_str(&keys))),
		 "ignoring config keys vaultlet-agent does not support");
	buf_done(&keys);
}

static int write_pid(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	ssize_t w;
	int r = 0;

	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Parses args, env and config; 0, or an exit status + 1 (so 0 stays "go on"). */
static int load(int argc, char **argv, struct acfg *cfg, struct agent_opts *o)
{
	const char *file = NULL;
	struct buf text, err;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-config") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fputs("vaultlet-agent: -config needs a FILE\n", stderr);
				return AGENT_EXIT_CONFIG + 1;
			}
			file = argv[++i];
		} else if (strncmp(a, "-config=", 8) == 0) {
			file = a + 8;
		} else if (strncmp(a, "--config=", 9) == 0) {
			file = a + 9;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 ||
			   strcmp(a, "-help") == 0) {
			usage(stdout);
			return 1;
		} else {
			fprintf(stderr, "vaultlet-agent: unknown argument %s\n", a);
			usage(stderr);
			return AGENT_EXIT_CONFIG + 1;
		}
	}
	buf_init(&text, ACFG_TEXT_MAX);
	buf_init(&err, 1024);
	r = acfg_read_text(file, &text, &err);
	if (r == 0) {
		r = acfg_parse(text.data ? text.data : "", text.len, cfg, &err);
		if (r == 0) {
			apply_env(cfg, o);
			warn_unknown(cfg);
		}
	}
	if (r < 0)
		log_emit(LOG_ERROR, LOG_FIELDS(LOG_STR("error", buf_str(&err))),
			 "invalid configuration");
	buf_done(&text);
	buf_done(&err);
	return r < 0 ? AGENT_EXIT_CONFIG + 1 : 0;
}

int cmd_run(int argc, char **argv)
{
	struct acfg cfg = { 0 };
	struct agent_opts o = { .cfg = &cfg, .signal_fd = -1 };
	sigset_t mask;
	bool pid_written = false;
	int code, r;

	setup_logging();
	cJSON_InitHooks(&(cJSON_Hooks){ .malloc_fn = malloc, .free_fn = wiping_free });
	r = load(argc, argv, &cfg, &o);
	if (r > 0) {
		code = r - 1;
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		code = AGENT_EXIT_FAILED;
		goto out;
	}
	o.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o.signal_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		code = AGENT_EXIT_FAILED;
		goto out;
	}
	if (cfg.pid_file && cfg.pid_file[0]) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld", (long)getpid());

		/* A pid file needs no fsync: it means nothing after a reboot. */
		r = write_pid(cfg.pid_file, pid, (size_t)n);
		if (r < 0)
			log_emit(LOG_WARN,
				 LOG_FIELDS(LOG_STR("path", cfg.pid_file),
					    LOG_STR("error", strerror(-r))),
				 "cannot write the pid file");
		else
			pid_written = true;
	}
	code = agent_run(&o);
	if (pid_written)
		unlink(cfg.pid_file);
out:
	if (o.signal_fd >= 0)
		close(o.signal_fd);
	acfg_done(&cfg);
	log_secret_clear();
	return code;
}
