/* SPDX-License-Identifier: MIT */
/*
 * whconfig: flags + AGENT_INJECT_* env -> validated settings (see whconfig.h).
 *
 * One table drives parsing, validation and the usage text: each row has
 * the flag name, its environment variable, its kind, its default and a
 * help line. Values are kept as strings (as the stock injector keeps most
 * of them) and converted once all sources have been applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "goparse.h"
#include "quantity.h"
#include "vaultlet-config.h"
#include "tmplutf.h"
#include "whconfig.h"

enum kind { K_STRING, K_BOOL };

static const struct {
	const char *flag;
	const char *env;
	enum kind kind;
	const char *dflt;
	const char *help;
} table[WH__COUNT] = {
	[WH_LISTEN] = { "listen", "AGENT_INJECT_LISTEN", K_STRING, ":8080",
			"Address to listen on (host:port, :port, [v6]:port; port 0 picks one)." },
	[WH_LOG_LEVEL] = { "log-level", "AGENT_INJECT_LOG_LEVEL", K_STRING, "info",
			   "Log level: trace, debug, info, warn, error." },
	[WH_LOG_FORMAT] = { "log-format", "AGENT_INJECT_LOG_FORMAT", K_STRING, "standard",
			    "Log format: standard or json." },
	[WH_TLS_CERT_FILE] = { "tls-cert-file", "AGENT_INJECT_TLS_CERT_FILE", K_STRING, "",
			       "PEM certificate (chain) to serve; re-read when it changes." },
	[WH_TLS_KEY_FILE] = { "tls-key-file", "AGENT_INJECT_TLS_KEY_FILE", K_STRING, "",
			      "PEM private key of -tls-cert-file; re-read when it changes." },
	[WH_TLS_CA_CERT_FILE] = { "tls-ca-cert-file", "AGENT_INJECT_TLS_CA_CERT_FILE", K_STRING, "",
				  "Accepted for compatibility; unused (no caBundle patching)." },
	[WH_TLS_MIN_VERSION] = { "tls-min-version", "AGENT_INJECT_TLS_MIN_VERSION", K_STRING,
				 "tls12", "Minimum TLS version: tls12 or tls13." },
	[WH_TLS_CIPHER_SUITES] = { "tls-cipher-suites", "AGENT_INJECT_TLS_CIPHER_SUITES", K_STRING,
				   "", "Accepted for compatibility; GnuTLS defaults are used." },
	[WH_TLS_AUTO] = { "tls-auto", "AGENT_INJECT_TLS_AUTO", K_STRING, "",
			  "Not supported: make certificates with vaultlet-certgen." },
	[WH_TLS_AUTO_HOSTS] = { "tls-auto-hosts", "AGENT_INJECT_TLS_AUTO_HOSTS", K_STRING, "",
				"Not supported: make certificates with vaultlet-certgen." },
	[WH_TELEMETRY_PATH] = { "telemetry-path", "AGENT_INJECT_TELEMETRY_PATH", K_STRING, "",
				"Extra path serving the metrics (they are always at /metrics)." },
	[WH_USE_LEADER_ELECTOR] = { "use-leader-elector", "AGENT_INJECT_USE_LEADER_ELECTOR", K_BOOL,
				    "false", "Accepted for compatibility; no effect." },
	[WH_VAULT_ADDRESS] = { "vault-address", "AGENT_INJECT_VAULT_ADDR", K_STRING, "",
			       "Address of Vault (required), e.g. https://vault.vault.svc:8200." },
	[WH_VAULT_IMAGE] = { "vault-image", "AGENT_INJECT_VAULT_IMAGE", K_STRING,
			     WHCONFIG_DEFAULT_IMAGE, "Image of the agent containers." },
	[WH_VAULT_CACERT_BYTES] = { "vault-cacert-bytes", "AGENT_INJECT_VAULT_CACERT_BYTES",
				    K_STRING, "",
				    "CA certificate(s) for Vault, PEM or base64 of PEM "
				    "(VAULT_CACERT_BYTES in the agents)." },
	[WH_PROXY_ADDRESS] = { "proxy-address", "AGENT_INJECT_PROXY_ADDR", K_STRING, "",
			       "HTTPS proxy for the agents (HTTPS_PROXY)." },
	[WH_VAULT_AUTH_TYPE] = { "vault-auth-type", "AGENT_INJECT_VAULT_AUTH_TYPE", K_STRING,
				 "kubernetes",
				 "Vault auth method (vaultlet supports kubernetes)." },
	[WH_VAULT_AUTH_PATH] = { "vault-auth-path", "AGENT_INJECT_VAULT_AUTH_PATH", K_STRING,
				 "auth/kubernetes", "Mount path of the Vault auth method." },
	[WH_VAULT_NAMESPACE] = { "vault-namespace", "AGENT_INJECT_VAULT_NAMESPACE", K_STRING, "",
				 "Vault Enterprise namespace." },
	[WH_REVOKE_ON_SHUTDOWN] = { "revoke-on-shutdown", "AGENT_INJECT_REVOKE_ON_SHUTDOWN", K_BOOL,
				    "false",
				    "Sidecars revoke their Vault token when the pod stops." },
	[WH_RUN_AS_USER] = { "run-as-user", "AGENT_INJECT_RUN_AS_USER", K_STRING, "100",
			     "User id of the agent containers." },
	[WH_RUN_AS_GROUP] = { "run-as-group", "AGENT_INJECT_RUN_AS_GROUP", K_STRING, "1000",
			      "Group id of the agent containers." },
	[WH_RUN_AS_SAME_USER] = { "run-as-same-user", "AGENT_INJECT_RUN_AS_SAME_USER", K_BOOL,
				  "false", "Run the agents as the first app container's user." },
	[WH_SET_SECURITY_CONTEXT] = { "set-security-context", "AGENT_INJECT_SET_SECURITY_CONTEXT",
				      K_BOOL, "true",
				      "Give the agent containers a securityContext." },
	[WH_DEFAULT_TEMPLATE] = { "default-template", "AGENT_INJECT_DEFAULT_TEMPLATE", K_STRING,
				  "map", "Template for secrets without one: map or json." },
	[WH_CPU_REQUEST] = { "cpu-request", "AGENT_INJECT_CPU_REQUEST", K_STRING, "250m",
			     "CPU request of the agent containers." },
	[WH_MEM_REQUEST] = { "memory-request", "AGENT_INJECT_MEM_REQUEST", K_STRING, "64Mi",
			     "Memory request of the agent containers." },
	[WH_EPHEMERAL_REQUEST] = { "ephemeral-storage-request", "AGENT_INJECT_EPHEMERAL_REQUEST",
				   K_STRING, "", "Ephemeral storage request (unset by default)." },
	[WH_CPU_LIMIT] = { "cpu-limit", "AGENT_INJECT_CPU_LIMIT", K_STRING, "500m",
			   "CPU limit of the agent containers." },
	[WH_MEM_LIMIT] = { "memory-limit", "AGENT_INJECT_MEM_LIMIT", K_STRING, "128Mi",
			   "Memory limit of the agent containers." },
	[WH_EPHEMERAL_LIMIT] = { "ephemeral-storage-limit", "AGENT_INJECT_EPHEMERAL_LIMIT",
				 K_STRING, "", "Ephemeral storage limit (unset by default)." },
	[WH_EXIT_ON_RETRY_FAILURE] = { "template-config-exit-on-retry-failure",
				       "AGENT_INJECT_TEMPLATE_CONFIG_EXIT_ON_RETRY_FAILURE", K_BOOL,
				       "true", "template_config.exit_on_retry_failure." },
	[WH_STATIC_SECRET_RENDER_INTERVAL] = { "template-static-secret-render-interval",
					       "AGENT_INJECT_TEMPLATE_STATIC_SECRET_RENDER_"
					       "INTERVAL",
					       K_STRING, "",
					       "template_config.static_secret_render_interval "
					       "(agent default 5m)." },
	[WH_MAX_CONNECTIONS_PER_HOST] = { NULL, "AGENT_INJECT_TEMPLATE_MAX_CONNECTIONS_PER_HOST",
					  K_STRING, "0", "Accepted; no effect." },
	[WH_LEASE_RENEWAL_THRESHOLD] = { NULL, "AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD",
					 K_STRING, "",
					 "template_config.lease_renewal_threshold (0 < x <= 1)." },
	[WH_AUTH_MIN_BACKOFF] = { "auth-min-backoff", "AGENT_INJECT_AUTH_MIN_BACKOFF", K_STRING, "",
				  "auto_auth min_backoff (agent default 1s)." },
	[WH_AUTH_MAX_BACKOFF] = { "auth-max-backoff", "AGENT_INJECT_AUTH_MAX_BACKOFF", K_STRING, "",
				  "auto_auth max_backoff (agent default 5m)." },
	[WH_DISABLE_IDLE_CONNECTIONS] = { "disable-idle-connections",
					  "AGENT_INJECT_DISABLE_IDLE_CONNECTIONS", K_STRING, "",
					  "Accepted; no effect." },
	[WH_DISABLE_KEEP_ALIVES] = { "disable-keep-alives", "AGENT_INJECT_DISABLE_KEEP_ALIVES",
				     K_STRING, "", "Accepted; no effect." },
	[WH_AGENT_COMMAND] = { "agent-command", "VAULTLET_WEBHOOK_AGENT_COMMAND", K_STRING,
			       WHCONFIG_DEFAULT_AGENT,
			       "The vaultlet-agent binary in the agent image." },
	[WH_NATIVE_SIDECAR] = { "native-sidecar", "VAULTLET_WEBHOOK_NATIVE_SIDECAR", K_BOOL,
				"false",
				"Inject the agent as a native sidecar (one init container with "
				"restartPolicy Always; Kubernetes 1.29+) unless a pod's "
				"vaultlet/native-sidecar says otherwise." },
	[WH_MAX_CONNECTIONS] = { "max-connections", "VAULTLET_WEBHOOK_MAX_CONNECTIONS", K_STRING,
				 "512",
				 "Most client connections past their TLS ClientHello; at the "
				 "limit, "
				 "a quiet one that has not sent a complete request is closed for a "
				 "new one. 16 times as many may wait for their ClientHello." },
	[WH_CONNECTION_TIMEOUT] = { "connection-timeout", "VAULTLET_WEBHOOK_CONNECTION_TIMEOUT",
				    K_STRING, "120s",
				    "Idle time after which a kept-alive connection is closed." },
	[WH_HEADER_TIMEOUT] = { "header-timeout", "VAULTLET_WEBHOOK_HEADER_TIMEOUT", K_STRING,
				"10s",
				"A new connection is closed unless its ClientHello, TLS handshake "
				"and first request's headers are in within this time of the "
				"accept." },
	[WH_MAX_BODY_BYTES] = { "max-body-bytes", "VAULTLET_WEBHOOK_MAX_BODY_BYTES", K_STRING,
				"4194304", "Largest AdmissionReview accepted (413 above)." },
	[WH_WEBHOOK_MEMORY_LIMIT] = { "webhook-memory-limit", "VAULTLET_WEBHOOK_MEMORY_LIMIT",
				      K_STRING, "64Mi",
				      "The webhook container's memory limit (bytes, or Ki/Mi/Gi); "
				      "a quarter of it is for request bodies, a quarter for "
				      "reviews." },
	[WH_READY_FILE] = { "ready-file", "VAULTLET_WEBHOOK_READY_FILE", K_STRING, "",
			    "Write the bound port here once listening (for tests)." },
	[WH_SHUTDOWN_DELAY] = { "shutdown-delay", "VAULTLET_WEBHOOK_SHUTDOWN_DELAY", K_STRING, "5s",
				"On SIGTERM: keep serving (readiness 503) this long first." },
	[WH_DRAIN_TIMEOUT] = { "drain-timeout", "VAULTLET_WEBHOOK_DRAIN_TIMEOUT", K_STRING, "20s",
			       "Then wait at most this long for requests in flight." },
	[WH_TLS_RELOAD_INTERVAL] = { "tls-reload-interval", "VAULTLET_WEBHOOK_TLS_RELOAD_INTERVAL",
				     K_STRING, "1s",
				     "How often the certificate files are checked." },
};

static int errf(struct buf *err, const char *fmt, ...) VL_PRINTF(2, 3);

/* Sets the one-line message and returns -EINVAL, for `return errf(...)`. */
static int errf(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vsetf(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int set_value(struct whconfig *c, enum whflag f, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -ENOMEM;
	free(c->value[f]);
	c->value[f] = copy;
	return 0;
}

static int find_flag(const char *name, size_t len)
{
	for (int f = 0; f < WH__COUNT; f++) {
		if (table[f].flag && strlen(table[f].flag) == len &&
		    strncmp(table[f].flag, name, len) == 0)
			return f;
	}
	return -1;
}

void whconfig_usage(FILE *f)
{
	fprintf(f, "Flags (each AGENT_INJECT_*/VAULTLET_WEBHOOK_* variable that is set and "
		   "non-empty wins over its flag):\n");
	for (int i = 0; i < WH__COUNT; i++) {
		char head[96];

		if (table[i].flag)
			snprintf(head, sizeof(head), "  -%s%s", table[i].flag,
				 table[i].kind == K_BOOL ? "" : " VALUE");
		else
			snprintf(head, sizeof(head), "  (environment only)");
		fprintf(f, "%s\n      %s\n      env %s", head, table[i].help, table[i].env);
		if (table[i].dflt[0])
			fprintf(f, ", default \"%s\"", table[i].dflt);
		fputc('\n', f);
	}
}

static int parse_flags(struct whconfig *c, int argc, char **argv, int *ret_argi, struct buf *err,
		       FILE *help)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		size_t len;
		int f, r;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		name = a + 1 + (a[1] == '-');
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 1 && name[0] == 'h') || (len == 4 && strncmp(name, "help", 4) == 0)) {
			if (help)
				whconfig_usage(help);
			return 1;
		}
		f = find_flag(name, len);
		if (f < 0)
			return errf(err, "flag provided but not defined: -%.*s (see -help)",
				    (int)len, name);
		if (table[f].kind == K_BOOL) {
			bool b;

			if (eq && !goparse_bool(eq + 1, &b))
				return errf(err, "invalid boolean value \"%s\" for -%s", eq + 1,
					    table[f].flag);
			if (!eq)
				b = true;
			r = set_value(c, (enum whflag)f, b ? "true" : "false");
		} else if (eq) {
			r = set_value(c, (enum whflag)f, eq + 1);
		} else {
			if (i + 1 >= argc)
				return errf(err, "flag needs an argument: -%s", table[f].flag);
			r = set_value(c, (enum whflag)f, argv[++i]);
		}
		if (r < 0)
			return r;
	}
	*ret_argi = i;
	return 0;
}

static int note(struct whconfig *c, const char *text)
{
	if (c->nnotes < WHCONFIG_MAX_NOTES)
		c->notes[c->nnotes++] = text;
	return 0;
}

static int get_bool(struct whconfig *c, enum whflag f, bool *ret, struct buf *err)
{
	if (!goparse_bool(c->value[f], ret))
		return errf(err, "%s%s: invalid boolean \"%s\"", c->from_env[f] ? "" : "-",
			    c->from_env[f] ? table[f].env : table[f].flag, c->value[f]);
	return 0;
}

static const char *src_name(const struct whconfig *c, enum whflag f)
{
	return c->from_env[f] || !table[f].flag ? table[f].env : table[f].flag;
}

static int get_duration(struct whconfig *c, enum whflag f, int64_t *ret, struct buf *err)
{
	if (!goparse_duration(c->value[f], ret) || *ret < 0)
		return errf(err, "%s: invalid duration \"%s\" (e.g. 5s, 2m)", src_name(c, f),
			    c->value[f]);
	return 0;
}

static int get_uint(struct whconfig *c, enum whflag f, uint64_t max, uint64_t *ret, struct buf *err)
{
	if (!goparse_uint64(c->value[f], ret) || *ret > max)
		return errf(err, "%s: \"%s\" is not a whole number up to %llu", src_name(c, f),
			    c->value[f], (unsigned long long)max);
	return 0;
}

/* A byte count: digits, optionally followed by Ki, Mi, Gi (or k, M, G). */
static bool parse_bytes(const char *v, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = { { "", 1 },
		      { "Ki", 1024 },
		      { "Mi", 1024 * 1024 },
		      { "Gi", 1024 * 1024 * 1024 },
		      { "k", 1000 },
		      { "M", 1000 * 1000 },
		      { "G", 1000 * 1000 * 1000 } };
	uint64_t n = 0;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX / units[i].mult)
			return false;
		*ret = n * units[i].mult;
		return true;
	}
	return false;
}

/* The body and review budgets from the memory limit (see whconfig.h). */
static int memory_budgets(struct whconfig *c, struct buf *err)
{
	const char *v = c->value[WH_WEBHOOK_MEMORY_LIMIT];
	uint64_t l;

	if (!parse_bytes(v, &l) || l < WHCONFIG_MIN_MEMORY || l > WHCONFIG_MAX_MEMORY)
		return errf(err,
			    "%s: \"%s\" is not a memory size from 4Mi to 64Ti (bytes, or with "
			    "Ki, Mi, Gi)",
			    src_name(c, WH_WEBHOOK_MEMORY_LIMIT), v);
	c->memory_limit = l;
	c->body_budget = (size_t)(l / 4);
	c->review_budget = (size_t)(l / 4);
	if (c->max_body > c->body_budget)
		return errf(err,
			    "-max-body-bytes %zu does not fit in the memory limit %s: a quarter of "
			    "it (%zu bytes) is for the bodies being received; raise "
			    "-webhook-memory-limit (the container's memory limit) or lower "
			    "-max-body-bytes",
			    c->max_body, v, c->body_budget);
	return 0;
}

static int validate(struct whconfig *c, struct buf *err)
{
	static const enum whflag quantities[] = { WH_CPU_REQUEST,	WH_MEM_REQUEST,
						  WH_EPHEMERAL_REQUEST, WH_CPU_LIMIT,
						  WH_MEM_LIMIT,		WH_EPHEMERAL_LIMIT };
	struct inject_defaults *d = &c->defaults;
	char qbuf[QUANTITY_MAX];
	uint64_t u;
	int64_t i64;
	double x;
	int r;

	if (!log_level_parse(c->value[WH_LOG_LEVEL], &c->log_level))
		return errf(err, "unknown log level: %s", c->value[WH_LOG_LEVEL]);
	if (!log_format_parse(c->value[WH_LOG_FORMAT], &c->log_format))
		return errf(err, "unknown log format: %s (use standard or json)",
			    c->value[WH_LOG_FORMAT]);
	if (!c->value[WH_VAULT_ADDRESS][0])
		return errf(err, "No Vault service configured (set -vault-address or "
				 "AGENT_INJECT_VAULT_ADDR)");
	if (strcmp(c->value[WH_DEFAULT_TEMPLATE], "map") != 0 &&
	    strcmp(c->value[WH_DEFAULT_TEMPLATE], "json") != 0)
		return errf(err, "Invalid default flag type: %s (use map or json)",
			    c->value[WH_DEFAULT_TEMPLATE]);
	if (strcmp(c->value[WH_TLS_MIN_VERSION], "tls13") == 0)
		c->tls13_only = true;
	else if (strcmp(c->value[WH_TLS_MIN_VERSION], "tls12") != 0)
		return errf(err,
			    "invalid or unsupported TLS version \"%s\" (vaultlet serves tls12 "
			    "or tls13)",
			    c->value[WH_TLS_MIN_VERSION]);
	/* kept in canonical form, so that a pod without resource annotations costs no parsing */
	for (size_t i = 0; i < ARRAY_SIZE(quantities); i++) {
		enum whflag f = quantities[i];

		if (!c->value[f][0])
			continue;
		if (quantity_normalize(c->value[f], qbuf) < 0)
			return errf(err, "%s: \"%s\" is not a Kubernetes quantity", src_name(c, f),
				    c->value[f]);
		r = set_value(c, f, qbuf);
		if (r < 0)
			return r;
	}
	if (!goparse_int64(c->value[WH_RUN_AS_USER], &i64))
		return errf(err, "%s: invalid integer \"%s\"", src_name(c, WH_RUN_AS_USER),
			    c->value[WH_RUN_AS_USER]);
	if (!goparse_int64(c->value[WH_RUN_AS_GROUP], &i64))
		return errf(err, "%s: invalid integer \"%s\"", src_name(c, WH_RUN_AS_GROUP),
			    c->value[WH_RUN_AS_GROUP]);
	for (enum whflag f = WH_AUTH_MIN_BACKOFF; f <= WH_AUTH_MAX_BACKOFF; f++) {
		if (!c->value[f][0])
			continue;
		if (!goparse_duration(c->value[f], &i64))
			return errf(err, "%s: invalid duration \"%s\"", src_name(c, f),
				    c->value[f]);
		if (i64 < 0 || i64 > AGENTSPEC_MAX_BACKOFF_NS)
			return errf(err, "%s: \"%s\" is not a backoff between 0 and 24h",
				    src_name(c, f), c->value[f]);
	}
	/* the same checks as the annotations get: a flag that passes never denies pods */
	if (c->value[WH_STATIC_SECRET_RENDER_INTERVAL][0] &&
	    !agentspec_interval_ok(c->value[WH_STATIC_SECRET_RENDER_INTERVAL]))
		return errf(err, "%s: \"%s\" is not a positive duration",
			    src_name(c, WH_STATIC_SECRET_RENDER_INTERVAL),
			    c->value[WH_STATIC_SECRET_RENDER_INTERVAL]);
	if (!goparse_int64(c->value[WH_MAX_CONNECTIONS_PER_HOST], &i64))
		return errf(err, "%s: invalid integer \"%s\"",
			    table[WH_MAX_CONNECTIONS_PER_HOST].env,
			    c->value[WH_MAX_CONNECTIONS_PER_HOST]);
	if (i64 != 0)
		note(c, "AGENT_INJECT_TEMPLATE_MAX_CONNECTIONS_PER_HOST has no effect in vaultlet");
	if (c->value[WH_LEASE_RENEWAL_THRESHOLD][0] &&
	    agentspec_fraction(c->value[WH_LEASE_RENEWAL_THRESHOLD], &x) < 0)
		return errf(err, "%s: \"%s\" is not a fraction between 0 and 1",
			    table[WH_LEASE_RENEWAL_THRESHOLD].env,
			    c->value[WH_LEASE_RENEWAL_THRESHOLD]);

	r = get_bool(c, WH_REVOKE_ON_SHUTDOWN, &d->revoke_on_shutdown, err);
	if (r == 0)
		r = get_bool(c, WH_RUN_AS_SAME_USER, &d->run_as_same_user, err);
	if (r == 0)
		r = get_bool(c, WH_SET_SECURITY_CONTEXT, &d->set_security_context, err);
	if (r == 0)
		r = get_bool(c, WH_EXIT_ON_RETRY_FAILURE, &d->exit_on_retry_failure, err);
	if (r == 0)
		r = get_bool(c, WH_NATIVE_SIDECAR, &d->native_sidecar, err);
	if (r < 0)
		return r;
	{
		bool b;

		r = get_bool(c, WH_USE_LEADER_ELECTOR, &b, err);
		if (r < 0)
			return r;
		if (b)
			note(c, "-use-leader-elector has no effect: vaultlet generates no "
				"certificates, so replicas need no leader");
	}
	if (c->value[WH_TLS_CIPHER_SUITES][0])
		note(c, "-tls-cipher-suites is ignored: GnuTLS's secure defaults are used");
	if (c->value[WH_TLS_CA_CERT_FILE][0])
		note(c, "-tls-ca-cert-file is ignored: vaultlet does not patch caBundle "
			"(the chart sets it)");
	if (c->value[WH_TLS_AUTO][0] || c->value[WH_TLS_AUTO_HOSTS][0])
		note(c, "-tls-auto/-tls-auto-hosts are ignored: vaultlet serves the certificate "
			"files it is given (make them with vaultlet-certgen)");
	if (c->value[WH_DISABLE_IDLE_CONNECTIONS][0] || c->value[WH_DISABLE_KEEP_ALIVES][0])
		note(c,
		     "-disable-idle-connections/-disable-keep-alives have no effect in vaultlet");
	if (strcmp(c->value[WH_VAULT_AUTH_TYPE], "kubernetes") != 0)
		return errf(err,
			    "vault auth type \"%s\" is not supported by vaultlet (only "
			    "kubernetes)",
			    c->value[WH_VAULT_AUTH_TYPE]);
	if (!c->value[WH_VAULT_AUTH_PATH][0])
		return errf(err, "-vault-auth-path must not be empty");
	if (c->value[WH_AGENT_COMMAND][0] != '/')
		return errf(err, "-agent-command must be an absolute path");

	r = get_uint(c, WH_MAX_CONNECTIONS, 65536, &u, err);
	if (r < 0)
		return r;
	if (u == 0)
		return errf(err, "-max-connections must be at least 1");
	c->max_connections = (unsigned)u;
	r = get_duration(c, WH_CONNECTION_TIMEOUT, &i64, err);
	if (r < 0)
		return r;
	if (i64 < GOPARSE_NS_PER_SEC)
		return errf(err, "-connection-timeout must be at least 1s");
	c->connection_timeout_s = (unsigned)VL_MIN(i64 / GOPARSE_NS_PER_SEC, 86400);
	r = get_duration(c, WH_HEADER_TIMEOUT, &i64, err);
	if (r < 0)
		return r;
	if (i64 < 100 * 1000000LL)
		return errf(err, "-header-timeout must be at least 100ms");
	c->header_timeout_ms = (unsigned)VL_MIN(i64 / 1000000, 3600 * 1000);
	r = get_uint(c, WH_MAX_BODY_BYTES, UINT64_C(1) << 30, &u, err);
	if (r < 0)
		return r;
	if (u < 1024)
		return errf(err, "-max-body-bytes must be at least 1024");
	c->max_body = (size_t)u;
	r = memory_budgets(c, err);
	if (r < 0)
		return r;
	r = get_duration(c, WH_SHUTDOWN_DELAY, &c->shutdown_delay_ns, err);
	if (r == 0)
		r = get_duration(c, WH_DRAIN_TIMEOUT, &c->drain_timeout_ns, err);
	if (r == 0)
		r = get_duration(c, WH_TLS_RELOAD_INTERVAL, &c->tls_reload_interval_ns, err);
	if (r < 0)
		return r;
	if (c->tls_reload_interval_ns < GOPARSE_NS_PER_SEC / 100)
		return errf(err, "-tls-reload-interval must be at least 10ms");

	/* decodeIfBase64: the stock injector uses the decoding when it is valid base64 */
	if (c->value[WH_VAULT_CACERT_BYTES][0]) {
		struct buf dec;
		const char *v = c->value[WH_VAULT_CACERT_BYTES];

		buf_init(&dec, strlen(v));
		if (b64_decode(v, strlen(v), B64_STD, B64_GO, &dec, NULL) == 0 &&
		    memchr(buf_str(&dec), '\0', dec.len) == NULL &&
		    tmplutf_valid(buf_str(&dec), dec.len)) {
			c->cacert_decoded = buf_take(&dec, NULL);
			if (!c->cacert_decoded) {
				buf_done(&dec);
				return -ENOMEM;
			}
		}
		buf_done(&dec);
	}

	d->vault_address = c->value[WH_VAULT_ADDRESS];
	d->vault_image = c->value[WH_VAULT_IMAGE];
	d->vault_cacert_bytes =
	    c->cacert_decoded ? c->cacert_decoded : c->value[WH_VAULT_CACERT_BYTES];
	d->proxy_address = c->value[WH_PROXY_ADDRESS];
	d->auth_type = c->value[WH_VAULT_AUTH_TYPE];
	d->auth_path = c->value[WH_VAULT_AUTH_PATH];
	d->vault_namespace = c->value[WH_VAULT_NAMESPACE];
	d->run_as_user = c->value[WH_RUN_AS_USER];
	d->run_as_group = c->value[WH_RUN_AS_GROUP];
	d->default_template = c->value[WH_DEFAULT_TEMPLATE];
	d->cpu_request = c->value[WH_CPU_REQUEST];
	d->mem_request = c->value[WH_MEM_REQUEST];
	d->ephemeral_request = c->value[WH_EPHEMERAL_REQUEST];
	d->cpu_limit = c->value[WH_CPU_LIMIT];
	d->mem_limit = c->value[WH_MEM_LIMIT];
	d->ephemeral_limit = c->value[WH_EPHEMERAL_LIMIT];
	d->static_secret_render_interval = c->value[WH_STATIC_SECRET_RENDER_INTERVAL];
	d->lease_renewal_threshold = c->value[WH_LEASE_RENEWAL_THRESHOLD];
	d->auth_min_backoff = c->value[WH_AUTH_MIN_BACKOFF];
	d->auth_max_backoff = c->value[WH_AUTH_MAX_BACKOFF];
	d->agent_command = c->value[WH_AGENT_COMMAND];
	return 0;
}

int whconfig_parse(struct whconfig *c, int argc, char **argv, whconfig_getenv_fn getenv_fn,
		   int *ret_argi, struct buf *err, FILE *help)
{
	int argi = 0, r;

	*c = (struct whconfig){ 0 };
	for (int f = 0; f < WH__COUNT; f++) {
		r = set_value(c, (enum whflag)f, table[f].dflt);
		if (r < 0)
			return r;
	}
	r = parse_flags(c, argc, argv, &argi, err, help);
	if (r != 0)
		return r;
	for (int f = 0; f < WH__COUNT; f++) {
		const char *v = getenv_fn ? getenv_fn(table[f].env) : NULL;

		if (!v || !v[0])
			continue;
		if (table[f].kind == K_BOOL) {
			bool b;

			if (!goparse_bool(v, &b))
				return errf(err,
					    "Error parsing environment variables: %s: invalid "
					    "boolean \"%s\"",
					    table[f].env, v);
			v = b ? "true" : "false";
		}
		r = set_value(c, (enum whflag)f, v);
		if (r < 0)
			return r;
		c->from_env[f] = true;
	}
	r = validate(c, err);
	if (r < 0)
		return r;
	*ret_argi = argi;
	return 0;
}

void whconfig_done(struct whconfig *c)
{
	if (!c)
		return;
	for (int f = 0; f < WH__COUNT; f++)
		free(c->value[f]);
	free(c->cacert_decoded);
	*c = (struct whconfig){ 0 };
}
