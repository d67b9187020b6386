/* SPDX-License-Identifier: MIT */
/*
 * tlsstore: hot-reloaded certificate + key for GnuTLS (see tlsstore.h).
 *
 * A pair holds the DER of each certificate of the chain and the DER
 * (PKCS#8) of the key, and a reference count: one reference for being
 * current, one per handshake building its objects from it. The key's DER
 * is wiped before it is freed.
 */
#include <errno.h>
#include <gnutls/x509.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "tlsstore.h"

struct tlsstore_pair {
	atomic_int refs;
	unsigned ncerts;
	gnutls_datum_t cert_der[TLSSTORE_MAX_CHAIN];
	gnutls_datum_t key_der;
	/* what every handshake serves, built once (tlsstore.h) */
	gnutls_pcert_st *pcerts;
	gnutls_privkey_t key;
};

/* The store the GnuTLS callback reads (see tlsstore.h: GnuTLS passes no user pointer). */
static struct tlsstore *installed;

static void pair_free(struct tlsstore_pair *p)
{
	if (!p)
		return;
	if (p->pcerts) {
		for (unsigned i = 0; i < p->ncerts; i++)
			gnutls_pcert_deinit(&p->pcerts[i]);
		gnutls_free(p->pcerts);
	}
	if (p->key)
		gnutls_privkey_deinit(p->key);
	for (unsigned i = 0; i < p->ncerts; i++)
		gnutls_free(p->cert_der[i].data);
	if (p->key_der.data) {
		explicit_bzero(p->key_der.data, p->key_der.size);
		gnutls_free(p->key_der.data);
	}
	free(p);
}

static void pair_unref(struct tlsstore_pair *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		pair_free(p);
}

int tlsstore_init(struct tlsstore *s, const char *cert_path, const char *key_path)
{
	int r;

	*s = (struct tlsstore){ 0 };
	s->cert_path = strdup(cert_path);
	s->key_path = strdup(key_path);
	if (!s->cert_path || !s->key_path) {
		free(s->cert_path);
		free(s->key_path);
		return -ENOMEM;
	}
	r = pthread_mutex_init(&s->lock, NULL);
	if (r != 0) {
		free(s->cert_path);
		free(s->key_path);
		return -r;
	}
	return 0;
}

void tlsstore_done(struct tlsstore *s)
{
	if (!s || !s->cert_path)
		return;
	if (installed == s)
		installed = NULL;
	pair_unref(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s->cert_path);
	free(s->key_path);
	*s = (struct tlsstore){ 0 };
}

static void get_sig(const char *path, struct tlsstore_sig *sig)
{
	struct stat st;

	*sig = (struct tlsstore_sig){ 0 };
	if (stat(path, &st) < 0)
		return;
	*sig = (struct tlsstore_sig){ .ok = true,
				      .dev = st.st_dev,
				      .ino = st.st_ino,
				      .size = st.st_size,
				      .mtime = st.st_mtim,
				      .ctime = st.st_ctim };
}

static bool same_sig(const struct tlsstore_sig *a, const struct tlsstore_sig *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static int gerr(struct buf *err, const char *what, const char *path, int gr)
{
	buf_setf(err, "%s %s: %s", what, path, gnutls_strerror(gr));
	return -EINVAL;
}

/* Builds fresh GnuTLS objects from a pair: what a handshake gets, and the load-time test. */
static int pair_objects(const struct tlsstore_pair *p, gnutls_pcert_st **ret_certs,
			gnutls_privkey_t *ret_key)
{
	gnutls_pcert_st *certs;
	gnutls_privkey_t key = NULL;
	unsigned n = 0;
	int gr;

	certs = gnutls_calloc(p->ncerts, sizeof(*certs));
	if (!certs)
		return GNUTLS_E_MEMORY_ERROR;
	for (; n < p->ncerts; n++) {
		gr = gnutls_pcert_import_x509_raw(&certs[n], &p->cert_der[n], GNUTLS_X509_FMT_DER,
						  0);
		if (gr < 0)
			goto fail;
	}
	gr = gnutls_privkey_init(&key);
	if (gr < 0)
		goto fail;
	gr = gnutls_privkey_import_x509_raw(key, &p->key_der, GNUTLS_X509_FMT_DER, NULL, 0);
	if (gr < 0)
		goto fail;
	*ret_certs = certs;
	*ret_key = key;
	return 0;
fail:
	while (n > 0)
		gnutls_pcert_deinit(&certs[--n]);
	gnutls_free(certs);
	if (key)
		gnutls_privkey_deinit(key);
	return gr;
}

static int load_pair(struct tlsstore *s, struct tlsstore_pair **ret, int64_t *ret_not_after,
		     struct buf *err)
{
	char *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0;
	gnutls_x509_privkey_t xkey = NULL;
	struct tlsstore_pair *p = NULL;
	unsigned char id1[64], id2[64];
	size_t id1_len = sizeof(id1), id2_len = sizeof(id2);
	gnutls_datum_t d;
	int r, gr;

	r = afile_read(s->cert_path, TLSSTORE_FILE_MAX, false, &cert_pem, &cert_len);
	if (r < 0) {
		buf_setf(err, "cannot read %s: %s", s->cert_path, strerror(-r));
		goto out;
	}
	r = afile_read(s->key_path, TLSSTORE_FILE_MAX, true, &key_pem, &key_len);
	if (r < 0) {
		buf_setf(err, "cannot read %s: %s", s->key_path, strerror(-r));
		goto out;
	}
	d = (gnutls_datum_t){ (unsigned char *)cert_pem, (unsigned)cert_len };
	gr = gnutls_x509_crt_list_import2(&crts, &ncrts, &d, GNUTLS_X509_FMT_PEM, 0);
	if (gr < 0 || ncrts == 0) {
		r = gerr(err, "no certificate in", s->cert_path,
			 gr < 0 ? gr : GNUTLS_E_NO_CERTIFICATE_FOUND);
		goto out;
	}
	if (ncrts > TLSSTORE_MAX_CHAIN) {
		buf_setf(err, "%s: more than %d certificates", s->cert_path, TLSSTORE_MAX_CHAIN);
		r = -E2BIG;
		goto out;
	}
	gr = gnutls_x509_privkey_init(&xkey);
	if (gr == 0) {
		d = (gnutls_datum_t){ (unsigned char *)key_pem, (unsigned)key_len };
		gr = gnutls_x509_privkey_import2(xkey, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	}
	if (gr < 0) {
		r = gerr(err, "no usable private key in", s->key_path, gr);
		goto out;
	}
	gr = gnutls_x509_crt_get_key_id(crts[0], GNUTLS_KEYID_USE_SHA256, id1, &id1_len);
	if (gr == 0)
		gr = gnutls_x509_privkey_get_key_id(xkey, GNUTLS_KEYID_USE_SHA256, id2, &id2_len);
	if (gr < 0) {
		r = gerr(err, "cannot compare key and certificate", s->key_path, gr);
		goto out;
	}
	if (id1_len != id2_len || memcmp(id1, id2, id1_len) != 0) {
		buf_setf(err, "the key in %s does not belong to the certificate in %s", s->key_path,
			 s->cert_path);
		r = -EINVAL;
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	atomic_init(&p->refs, 1);
	for (unsigned i = 0; i < ncrts; i++) {
		gr = gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &p->cert_der[i]);
		if (gr < 0) {
			r = gerr(err, "cannot export a certificate of", s->cert_path, gr);
			goto out;
		}
		p->ncerts++;
	}
	gr = gnutls_x509_privkey_export2_pkcs8(xkey, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN,
					       &p->key_der);
	if (gr < 0) {
		r = gerr(err, "cannot export the key of", s->key_path, gr);
		goto out;
	}
	/* the objects every handshake serves, so a handshake cannot fail on them later */
	gr = pair_objects(p, &p->pcerts, &p->key);
	if (gr < 0) {
		r = gerr(err, "GnuTLS cannot use", s->cert_path, gr);
		goto out;
	}
	*ret_not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crts[0]);
	*ret = p;
	p = NULL;
	r = 0;
out:
	pair_free(p);
	if (xkey)
		gnutls_x509_privkey_deinit(xkey);
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (key_pem) {
		explicit_bzero(key_pem, key_len);
		free(key_pem);
	}
	free(cert_pem);
	return r;
}

int tlsstore_reload(struct tlsstore *s, bool force, struct buf *err)
{
	struct tlsstore_sig cs, ks;
	struct tlsstore_pair *p = NULL, *old;
	int64_t not_after = 0;
	int r;

	get_sig(s->cert_path, &cs);
	get_sig(s->key_path, &ks);
	if (!force && same_sig(&cs, &s->cert_sig) && same_sig(&ks, &s->key_sig))
		return 0;
	s->cert_sig = cs;
	s->key_sig = ks;
	r = load_pair(s, &p, &not_after, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = p;
	s->not_after = not_after;
	pthread_mutex_unlock(&s->lock);
	pair_unref(old);
	return 1;
}

bool tlsstore_ready(struct tlsstore *s)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = s->cur != NULL;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void tlsstore_install(struct tlsstore *s)
{
	installed = s;
}

int tlsstore_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
		      gnutls_pcert_st **certs, unsigned int *certs_length,
		      gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
		      gnutls_privkey_t *privkey, unsigned int *flags)
{
	struct tlsstore *s = installed;
	struct tlsstore_hold *h = gnutls_db_get_ptr(session);
	struct tlsstore_pair *p, *before;
	int gr;

	(void)info;
	if (!s)
		return -1;
	pthread_mutex_lock(&s->lock);
	p = s->cur;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&s->lock);
	if (!p)
		return -1;
	*ocsp = NULL;
	*ocsp_length = 0;
	if (!h) {
		/* no holder: copies that GnuTLS frees with the session */
		gr = pair_objects(p, certs, privkey);
		pair_unref(p);
		if (gr < 0)
			return -1;
		*certs_length = p->ncerts;
		*flags = GNUTLS_CERT_RETR_DEINIT_ALL;
		return 0;
	}
	/* the connection keeps the reference until tlsstore_hold_release */
	before = h->pair;
	h->pair = p;
	pair_unref(before);
	*certs = p->pcerts;
	*certs_length = p->ncerts;
	*privkey = p->key;
	*flags = 0; /* the pair's: GnuTLS frees none of them */
	return 0;
}

void tlsstore_hold(gnutls_session_t session, struct tlsstore_hold *h)
{
	h->pair = NULL;
	gnutls_db_set_ptr(session, h);
}

void tlsstore_hold_release(struct tlsstore_hold *h)
{
	pair_unref(h->pair);
	h->pair = NULL;
}
