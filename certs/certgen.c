/* SPDX-License-Identifier: MIT */
/*
 * certgen: CA + serving certificate with OpenSSL 3 (see certgen.h).
 *
 * Extensions are added with X509V3_EXT_conf_nid from fixed strings, except
 * the subjectAltName list, which is assembled from names that were
 * validated first (DNS-1123 characters only, IPs through inet_pton), so no
 * user text can inject another extension value. Serial numbers are 159
 * random bits, positive, as RFC 5280 allows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "certgen.h"

#define SKEW_SECONDS (5 * 60)

static int fail(struct buf *err, int code, const char *fmt, ...) VL_PRINTF(3, 4);

static int fail(struct buf *err, int code, const char *fmt, ...)
{
	va_list ap;
	char ossl[256] = "";
	unsigned long e = ERR_peek_last_error();
	int r;

	buf_reset(err);
	va_start(ap, fmt);
	r = buf_vappendf(err, fmt, ap);
	va_end(ap);
	if (r == 0 && code == -EIO && e) {
		ERR_error_string_n(e, ossl, sizeof(ossl));
		r = buf_appendf(err, " (%s)", ossl);
	}
	if (r < 0)
		buf_reset(err);
	ERR_clear_error();
	return code;
}

void certgen_out_init(struct certgen_out *o)
{
	buf_init(&o->ca_cert, CERTGEN_PEM_MAX);
	buf_init_sensitive(&o->ca_key, CERTGEN_PEM_MAX);
	buf_init(&o->cert, CERTGEN_PEM_MAX);
	buf_init_sensitive(&o->key, CERTGEN_PEM_MAX);
}

void certgen_out_done(struct certgen_out *o)
{
	buf_done(&o->ca_cert);
	buf_done(&o->ca_key);
	buf_done(&o->cert);
	buf_done(&o->key);
}

bool certgen_valid_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	}
	return true;
}

bool certgen_valid_dns(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return false;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-' || p[-(long)label] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		label++;
	}
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value, struct buf *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return fail(err, -EIO, "X509V3_EXT_conf_nid(%s)", OBJ_nid2sn(nid));
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : fail(err, -EIO, "X509_add_ext(%s)", OBJ_nid2sn(nid));
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, unsigned days, struct buf *err)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *serial = NULL;

	if (!x || !bn) {
		fail(err, -ENOMEM, "X509_new");
		goto fail;
	}
	if (!BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) {
		fail(err, -EIO, "BN_rand");
		goto fail;
	}
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (!serial || !X509_set_serialNumber(x, serial) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -SKEW_SECONDS) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_pubkey(x, key)) {
		fail(err, -EIO, "setting the certificate fields");
		goto fail;
	}
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"vaultlet",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0)) {
		fail(err, -EIO, "X509_NAME_add_entry_by_txt");
		goto fail;
	}
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return x;
fail:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int pem_cert(X509 *x, struct buf *out, struct buf *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r;

	if (!b || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return fail(err, -EIO, "PEM_write_bio_X509");
	}
	n = BIO_get_mem_data(b, &p);
	r = buf_append(out, p, (size_t)n);
	BIO_free(b);
	return r;
}

static int pem_key(EVP_PKEY *key, struct buf *out, struct buf *err)
{
	/* the secure-memory BIO clears its buffer when freed */
	BIO *b = BIO_new(BIO_s_secmem());
	char *p;
	long n;
	int r;

	if (!b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return fail(err, -EIO, "PEM_write_bio_PrivateKey");
	}
	n = BIO_get_mem_data(b, &p);
	r = buf_append(out, p, (size_t)n);
	BIO_free(b);
	return r;
}

static int sans(const struct certgen_opts *o, struct buf *out, struct buf *err)
{
	int r = buf_appendf(out, "DNS:%s,DNS:%s.%s,DNS:%s.%s.svc", o->service, o->service,
			    o->namespace_, o->service, o->namespace_);

	for (size_t i = 0; i < o->ndns && r == 0; i++) {
		if (!certgen_valid_dns(o->dns[i]))
			return fail(err, -EINVAL, "-dns \"%s\" is not a DNS name", o->dns[i]);
		r = buf_appendf(out, ",DNS:%s", o->dns[i]);
	}
	for (size_t i = 0; i < o->nip && r == 0; i++) {
		unsigned char addr[16];

		if (inet_pton(AF_INET, o->ip[i], addr) != 1 &&
		    inet_pton(AF_INET6, o->ip[i], addr) != 1)
			return fail(err, -EINVAL, "-ip \"%s\" is not an IP address", o->ip[i]);
		r = buf_appendf(out, ",IP:%s", o->ip[i]);
	}
	return r < 0 ? fail(err, r, "too many names") : 0;
}

static int load_ca(const struct certgen_opts *o, X509 **ret_cert, EVP_PKEY **ret_key,
		   struct buf *err)
{
	BIO *b;
	X509 *x;
	EVP_PKEY *k;

	b = BIO_new_mem_buf(o->ca_cert_pem, -1);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x)
		return fail(err, -EINVAL, "the CA certificate is not PEM X.509");
	b = BIO_new_mem_buf(o->ca_key_pem, -1);
	k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k) {
		X509_free(x);
		return fail(err, -EINVAL, "the CA key is not a PEM private key");
	}
	if (X509_check_private_key(x, k) != 1) {
		X509_free(x);
		EVP_PKEY_free(k);
		return fail(err, -EINVAL, "the CA key does not belong to the CA certificate");
	}
	if (X509_check_ca(x) == 0) {
		X509_free(x);
		EVP_PKEY_free(k);
		return fail(err, -EINVAL, "the given CA certificate is not a CA");
	}
	*ret_cert = x;
	*ret_key = k;
	return 0;
}

int certgen_make(const struct certgen_opts *o, struct certgen_out *out, struct buf *err)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *leaf = NULL;
	struct buf san, cn;
	int r;

	buf_init(&san, 16 * 1024);
	buf_init(&cn, 512);
	if (!certgen_valid_label(o->service)) {
		r = fail(err, -EINVAL, "-service \"%s\" is not a DNS-1123 label", o->service);
		goto out;
	}
	if (!certgen_valid_label(o->namespace_)) {
		r = fail(err, -EINVAL, "-namespace \"%s\" is not a DNS-1123 label", o->namespace_);
		goto out;
	}
	if (o->days == 0 || o->days > CERTGEN_MAX_DAYS || o->ca_days == 0 ||
	    o->ca_days > CERTGEN_MAX_DAYS) {
		r = fail(err, -EINVAL, "validity must be 1 to %d days", CERTGEN_MAX_DAYS);
		goto out;
	}
	r = sans(o, &san, err);
	if (r < 0)
		goto out;

	if (o->ca_cert_pem && o->ca_key_pem) {
		r = load_ca(o, &ca, &ca_key, err);
		if (r < 0)
			goto out;
	} else {
		ca_key = EVP_EC_gen("P-256");
		if (!ca_key) {
			r = fail(err, -EIO, "EVP_EC_gen(P-256)");
			goto out;
		}
		ca = new_cert(ca_key, "vaultlet-webhook CA", o->ca_days, err);
		if (!ca) {
			r = -EIO;
			goto out;
		}
		if (!X509_set_issuer_name(ca, X509_get_subject_name(ca))) {
			r = fail(err, -EIO, "X509_set_issuer_name");
			goto out;
		}
		r = add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err);
		if (r == 0)
			r = add_ext(ca, ca, NID_key_usage,
				    "critical,keyCertSign,cRLSign,digitalSignature", err);
		if (r == 0)
			r = add_ext(ca, ca, NID_subject_key_identifier, "hash", err);
		if (r < 0)
			goto out;
		if (!X509_sign(ca, ca_key, EVP_sha256())) {
			r = fail(err, -EIO, "signing the CA");
			goto out;
		}
		r = pem_key(ca_key, &out->ca_key, err);
		if (r < 0)
			goto out;
	}
	r = pem_cert(ca, &out->ca_cert, err);
	if (r < 0)
		goto out;

	key = EVP_EC_gen("P-256");
	if (!key) {
		r = fail(err, -EIO, "EVP_EC_gen(P-256)");
		goto out;
	}
	r = buf_appendf(&cn, "%s.%s.svc", o->service, o->namespace_);
	if (r < 0)
		goto out;
	leaf = new_cert(key, buf_str(&cn), o->days, err);
	if (!leaf) {
		r = -EIO;
		goto out;
	}
	if (!X509_set_issuer_name(leaf, X509_get_subject_name(ca))) {
		r = fail(err, -EIO, "X509_set_issuer_name");
		goto out;
	}
	r = add_ext(leaf, ca, NID_basic_constraints, "critical,CA:FALSE", err);
	if (r == 0)
		r = add_ext(leaf, ca, NID_key_usage, "critical,digitalSignature", err);
	if (r == 0)
		r = add_ext(leaf, ca, NID_ext_key_usage, "serverAuth", err);
	if (r == 0)
		r = add_ext(leaf, ca, NID_subject_key_identifier, "hash", err);
	if (r == 0)
		r = add_ext(leaf, ca, NID_authority_key_identifier, "keyid:always", err);
	if (r == 0)
		r = add_ext(leaf, ca, NID_subject_alt_name, buf_str(&san), err);
	if (r < 0)
		goto out;
	if (!X509_sign(leaf, ca_key, EVP_sha256())) {
		r = fail(err, -EIO, "signing the serving certificate");
		goto out;
	}
	r = pem_cert(leaf, &out->cert, err);
	if (r == 0)
		r = pem_key(key, &out->key, err);
out:
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	buf_done(&san);
	buf_done(&cn);
	return r;
}
