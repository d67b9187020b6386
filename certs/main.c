/* SPDX-License-Identifier: MIT */
/*
 * vaultlet-certgen: writes the TLS material the webhook serves and the
 * caBundle the API server trusts it with. Command line and files only;
 * the certificates themselves are made by certgen.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afile.h"
#include "b64.h"
#include "certgen.h"
#include "vaultlet-config.h"

#define EXIT_FAIL  1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f, "Usage: vaultlet-certgen [flags]\n"
		   "\n"
		   "Makes a CA and a serving certificate for vaultlet-webhook: ECDSA P-256,\n"
		   "SANs SERVICE, SERVICE.NAMESPACE and SERVICE.NAMESPACE.svc (the names the\n"
		   "Kubernetes API server uses to call a webhook Service).\n"
		   "\n"
		   "Files written to -out-dir (keys with mode 0600, atomically):\n"
		   "  ca.crt  ca.key    the CA (ca.crt is the webhook's caBundle)\n"
		   "  tls.crt tls.key   the serving certificate and its key\n"
		   "\n"
		   "Flags:\n"
		   "  -service NAME      Service name (default vaultlet-webhook)\n"
		   "  -namespace NAME    its namespace (default vaultlet)\n"
		   "  -out-dir DIR       where to write (default .; created if missing)\n"
		   "  -dns NAME          an extra DNS name (repeatable)\n"
		   "  -ip ADDR           an extra IP address (repeatable)\n"
		   "  -days N            serving certificate validity (default 365)\n"
		   "  -ca-days N         CA validity (default 3650)\n"
		   "  -ca-cert FILE      sign with this existing CA instead of making one\n"
		   "  -ca-key FILE       its key (both or neither; ca.key is then not written)\n"
		   "  -force             replace existing files\n"
		   "  -print-ca-bundle   also print base64(ca.crt), the caBundle value\n"
		   "  -version, -help\n"
		   "\n"
		   "Exit status: 0 done, 1 failed (nothing half-written), 2 usage error.\n");
}

struct args {
	struct certgen_opts o;
	const char *out_dir;
	const char *ca_cert_file, *ca_key_file;
	bool force, print_bundle;
};

static bool parse_uint(const char *s, unsigned *ret)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT_MAX || s[0] == '-')
		return false;
	*ret = (unsigned)v;
	return true;
}

/* 0 parsed, 1 help/version printed, -EINVAL usage error (message printed) */
static int parse_args(int argc, char **argv, struct args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		char flag[32];
		size_t len;

		if (arg[0] != '-' || arg[1] == '\0') {
			fprintf(stderr, "vaultlet-certgen: unexpected argument \"%s\"\n", arg);
			return -EINVAL;
		}
		name = arg + 1 + (arg[1] == '-');
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (len >= sizeof(flag)) {
			fprintf(stderr, "vaultlet-certgen: unknown flag %s\n", arg);
			return -EINVAL;
		}
		memcpy(flag, name, len);
		flag[len] = '\0';
		if (strcmp(flag, "help") == 0 || strcmp(flag, "h") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(flag, "version") == 0) {
			printf("vaultlet-certgen %s\n", VAULTLET_VERSION);
			return 1;
		}
		if (strcmp(flag, "force") == 0) {
			a->force = true;
			continue;
		}
		if (strcmp(flag, "print-ca-bundle") == 0) {
			a->print_bundle = true;
			continue;
		}
		if (strcmp(flag, "service") != 0 && strcmp(flag, "namespace") != 0 &&
		    strcmp(flag, "out-dir") != 0 && strcmp(flag, "ca-cert") != 0 &&
		    strcmp(flag, "ca-key") != 0 && strcmp(flag, "dns") != 0 &&
		    strcmp(flag, "ip") != 0 && strcmp(flag, "days") != 0 &&
		    strcmp(flag, "ca-days") != 0) {
			fprintf(stderr, "vaultlet-certgen: unknown flag -%s (see -help)\n", flag);
			return -EINVAL;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "vaultlet-certgen: flag needs an argument: -%s\n", flag);
			return -EINVAL;
		}
		if (strcmp(flag, "service") == 0) {
			a->o.service = val;
		} else if (strcmp(flag, "namespace") == 0) {
			a->o.namespace_ = val;
		} else if (strcmp(flag, "out-dir") == 0) {
			a->out_dir = val;
		} else if (strcmp(flag, "ca-cert") == 0) {
			a->ca_cert_file = val;
		} else if (strcmp(flag, "ca-key") == 0) {
			a->ca_key_file = val;
		} else if (strcmp(flag, "dns") == 0 || strcmp(flag, "ip") == 0) {
			bool dns = flag[0] == 'd';
			size_t *n = dns ? &a->o.ndns : &a->o.nip;

			if (*n == CERTGEN_MAX_SANS) {
				fprintf(stderr, "vaultlet-certgen: at most %d -%s\n",
					CERTGEN_MAX_SANS, flag);
				return -EINVAL;
			}
			(dns ? a->o.dns : a->o.ip)[(*n)++] = val;
		} else if (strcmp(flag, "days") == 0 || strcmp(flag, "ca-days") == 0) {
			unsigned *d = flag[0] == 'd' ? &a->o.days : &a->o.ca_days;

			if (!parse_uint(val, d)) {
				fprintf(stderr,
					"vaultlet-certgen: -%s: \"%s\" is not a number of days\n",
					flag, val);
				return -EINVAL;
			}
		}
	}
	if (!a->ca_cert_file != !a->ca_key_file) {
		fprintf(stderr, "vaultlet-certgen: -ca-cert and -ca-key go together\n");
		return -EINVAL;
	}
	return 0;
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

static int write_file(const char *dir, const char *name, const struct buf *b, mode_t mode)
{
	char *path = join(dir, name);
	int r;

	if (!path)
		return -ENOMEM;
	r = afile_write(path, buf_str(b), b->len, mode);
	if (r < 0)
		fprintf(stderr, "vaultlet-certgen: cannot write %s: %s\n", path, strerror(-r));
	free(path);
	return r;
}

int main(int argc, char **argv)
{
	struct args a = { .o = { .service = "vaultlet-webhook",
				 .namespace_ = "vaultlet",
				 .days = 365,
				 .ca_days = 3650 },
			  .out_dir = "." };
	static const char *const names[] = { "ca.crt", "ca.key", "tls.crt", "tls.key" };
	struct certgen_out out;
	struct buf err, bundle;
	char *ca_cert = NULL, *ca_key = NULL;
	size_t ca_key_len = 0;
	int r, status = EXIT_FAIL;

	r = parse_args(argc, argv, &a);
	if (r != 0)
		return r > 0 ? 0 : EXIT_USAGE;
	certgen_out_init(&out);
	buf_init(&err, 1024);
	buf_init(&bundle, CERTGEN_PEM_MAX * 2);

	if (a.ca_cert_file) {
		r = afile_read(a.ca_cert_file, CERTGEN_PEM_MAX, false, &ca_cert, NULL);
		if (r < 0) {
			fprintf(stderr, "vaultlet-certgen: cannot read %s: %s\n", a.ca_cert_file,
				strerror(-r));
			goto out;
		}
		r = afile_read(a.ca_key_file, CERTGEN_PEM_MAX, true, &ca_key, &ca_key_len);
		if (r < 0) {
			fprintf(stderr, "vaultlet-certgen: cannot read %s: %s\n", a.ca_key_file,
				strerror(-r));
			goto out;
		}
		a.o.ca_cert_pem = ca_cert;
		a.o.ca_key_pem = ca_key;
	}
	if (!a.force) {
		for (size_t i = 0; i < 4; i++) {
			char *path = join(a.out_dir, names[i]);
			struct stat st;
			bool exists = path && lstat(path, &st) == 0;

			if (exists && !(a.ca_cert_file && i < 2))
				fprintf(stderr,
					"vaultlet-certgen: %s exists (use -force to replace it)\n",
					path);
			free(path);
			if (exists && !(a.ca_cert_file && i < 2))
				goto out;
		}
	}
	r = certgen_make(&a.o, &out, &err);
	if (r < 0) {
		fprintf(stderr, "vaultlet-certgen: %s\n", err.len ? buf_str(&err) : strerror(-r));
		if (r == -EINVAL)
			status = EXIT_USAGE;
		goto out;
	}
	r = afile_mkparents(a.out_dir[0] ? a.out_dir : ".", 0755);
	if (r == 0 && mkdir(a.out_dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "vaultlet-certgen: cannot create %s: %s\n", a.out_dir,
			strerror(-r));
		goto out;
	}
	/* keys first: a certificate without its key is never left behind */
	if (!a.ca_cert_file && write_file(a.out_dir, "ca.key", &out.ca_key, 0600) < 0)
		goto out;
	if (write_file(a.out_dir, "tls.key", &out.key, 0600) < 0 ||
	    write_file(a.out_dir, "tls.crt", &out.cert, 0644) < 0 ||
	    write_file(a.out_dir, "ca.crt", &out.ca_cert, 0644) < 0)
		goto out;
	fprintf(stderr,
		"vaultlet-certgen: wrote %s/{ca.crt,%stls.crt,tls.key} for %s.%s.svc "
		"(valid %u days)\n",
		a.out_dir, a.ca_cert_file ? "" : "ca.key,", a.o.service, a.o.namespace_, a.o.days);
	if (a.print_bundle) {
		if (b64_encode(out.ca_cert.data, out.ca_cert.len, B64_STD, &bundle) < 0)
			goto out;
		printf("%s\n", buf_str(&bundle));
		if (fflush(stdout) != 0)
			goto out;
	}
	status = 0;
out:
	if (ca_key) {
		explicit_bzero(ca_key, ca_key_len);
		free(ca_key);
	}
	free(ca_cert);
	certgen_out_done(&out);
	buf_done(&err);
	buf_done(&bundle);
	return status;
}
