/* SPDX-License-Identifier: MIT */
/*
 * certgen: a CA and a serving certificate for vaultlet-webhook, in memory.
 *
 * Both keys are ECDSA P-256; certificates are X.509 v3 signed with
 * ECDSA-SHA256. The CA is CA:TRUE, pathlen 0, keyCertSign|cRLSign; the
 * serving certificate is CA:FALSE, digitalSignature, serverAuth, with the
 * DNS names the API server uses to reach a Service: <svc>, <svc>.<ns>,
 * <svc>.<ns>.svc (plus any extra DNS names and IP addresses). Validity
 * starts five minutes in the past (clock skew between nodes).
 *
 * An existing CA can be given instead of generating one, so a new serving
 * certificate keeps validating against the caBundle already installed.
 *
 * Pure apart from the clock and the random generator; nothing is written
 * to disk here (main.c does that, keys with mode 0600). PEM buffers of
 * keys are allocated in OpenSSL's secure heap when available and wiped.
 */
#ifndef VAULTLET_CERTGEN_H
#define VAULTLET_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define CERTGEN_MAX_SANS 32
#define CERTGEN_PEM_MAX	 (64 * 1024)
#define CERTGEN_MAX_DAYS (100 * 366)

struct certgen_opts {
	const char *service;
	const char *namespace_;
	const char *dns[CERTGEN_MAX_SANS]; /* extra DNS SANs */
	size_t ndns;
	const char *ip[CERTGEN_MAX_SANS]; /* extra IP SANs */
	size_t nip;
	unsigned ca_days;
	unsigned days;
	/* reuse this CA (PEM) instead of making one; both or neither */
	const char *ca_cert_pem;
	const char *ca_key_pem;
};

struct certgen_out {
	struct buf ca_cert, ca_key; /* ca_key stays empty when the CA was given */
	struct buf cert, key;
};

void certgen_out_init(struct certgen_out *o);
/* Wipes the key buffers and frees everything. */
void certgen_out_done(struct certgen_out *o);

/* Whether s is a DNS-1123 label (Service and Namespace names). */
bool certgen_valid_label(const char *s);
/* Whether s is a DNS name (labels of [a-z0-9-], optionally a leading "*.") */
bool certgen_valid_dns(const char *s);

/*
 * Makes the certificates. 0; -EINVAL with a one-line reason in err (bad
 * names, a CA key that does not match, unparsable PEM); -ENOMEM; -EIO for
 * an OpenSSL failure (named in err).
 */
int certgen_make(const struct certgen_opts *o, struct certgen_out *out, struct buf *err);

#endif
