/* SPDX-License-Identifier: MIT */
/*
 * tlsstore: the webhook's serving certificate and key, re-read from disk
 * when they change, handed to GnuTLS at each handshake.
 *
 * Kubernetes updates a Secret volume by writing a new directory and
 * swapping the ..data symlink, so the files' inode (and times) change
 * without the path changing. tlsstore_reload() compares stat() of both
 * files with those of the last attempt and, when either differs, loads the
 * pair, checks that the key belongs to the leaf certificate and that
 * GnuTLS can use both, and only then swaps it in. A bad pair (unparsable,
 * mismatched, half-written) is rejected and the old pair keeps serving;
 * the next change to either file triggers another attempt.
 *
 * Handshakes get their certificate through tlsstore_retrieve(), a GnuTLS
 * certificate_retrieve_function3 (MHD_OPTION_HTTPS_CERT_CALLBACK2): it
 * serves the current pair's GnuTLS objects, built once when the pair was
 * loaded (importing the key and certificate took ~240 us, more than the
 * handshake's signature), and GnuTLS frees none of them. Each connection
 * holds a reference to the pair it was served (a struct tlsstore_hold the
 * server keeps per connection, found through the session's otherwise
 * unused session-database pointer, gnutls_db_set_ptr) until the server
 * releases it after libmicrohttpd freed the session, so a pair can be
 * swapped while handshakes still use the previous one, which goes with its
 * last connection. A session without a hold gets copies GnuTLS frees
 * itself (GNUTLS_CERT_RETR_DEINIT_ALL).
 *
 * GnuTLS gives that callback no user pointer, so tlsstore_install() sets
 * the one process-wide store it reads; it is set before the server starts
 * and not changed while it runs. Reloads happen on the main thread;
 * tlsstore_retrieve() runs on any connection thread.
 */
#ifndef VAULTLET_WEBHOOK_TLSSTORE_H
#define VAULTLET_WEBHOOK_TLSSTORE_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"

/* Largest certificate or key file read. */
#define TLSSTORE_FILE_MAX (1024 * 1024)
/* Most certificates in the chain file. */
#define TLSSTORE_MAX_CHAIN 16

struct tlsstore_pair;

struct tlsstore_sig {
	bool ok; /* stat() succeeded */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct tlsstore {
	char *cert_path, *key_path;
	pthread_mutex_t lock; /* guards cur */
	struct tlsstore_pair *cur;
	struct tlsstore_sig cert_sig, key_sig; /* of the last attempt */
	int64_t not_after;		       /* of the current leaf, Unix seconds */
};

int tlsstore_init(struct tlsstore *s, const char *cert_path, const char *key_path);
void tlsstore_done(struct tlsstore *s);

/*
 * Loads the files when they changed since the last attempt (always when
 * force). Returns 1 when a new pair is now served, 0 when nothing changed,
 * or -errno when the files could not be used (a one-line reason in err;
 * the previous pair, if any, stays).
 */
int tlsstore_reload(struct tlsstore *s, bool force, struct buf *err);

/* Whether a pair is loaded. */
bool tlsstore_ready(struct tlsstore *s);

/* Makes s the store tlsstore_retrieve() serves from. */
void tlsstore_install(struct tlsstore *s);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK2. */
int tlsstore_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
		      gnutls_pcert_st **certs, unsigned int *certs_length,
		      gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
		      gnutls_privkey_t *privkey, unsigned int *flags);
/*
 * A connection's hold on the pair its handshake was served: set up by
 * tlsstore_hold() before the handshake, released once the connection and
 * its session are gone (see above).
 */
struct tlsstore_hold {
	struct tlsstore_pair *pair;
};
void tlsstore_hold(gnutls_session_t session, struct tlsstore_hold *h);
void tlsstore_hold_release(struct tlsstore_hold *h);

#endif
