/* SPDX-License-Identifier: MIT */
/*
 * pkicert: consul-template's `pkiCert` (dependency/vault_pki.go), the pure
 * parts: PEM text -> the PemEncoded value a template sees, and when the
 * certificate must be issued again.
 *
 * The value is a JSON object {"Cert","Key","CA","CAChain"}: every PEM block
 * re-encoded (64-column base64, trailing newline, as Go's
 * pem.EncodeToMemory); a block whose type ends in "PRIVATE KEY" is Key; a
 * certificate with the CA flag is CA (the first) and joins CAChain (once);
 * any other certificate is Cert (the last); a block that is neither a key
 * nor a certificate is an error. Text outside blocks is ignored.
 *
 * goodFor: a certificate is used while now is before notBefore + lifespan ·
 * threshold (lease_renewal_threshold, 0.90): consul-template adds
 * lifespan·(rand(6) − 3)/100 there, but in integer arithmetic that is always
 * 0. An expired certificate, or one past that point, is issued again.
 */
#ifndef VAULTLET_AGENT_PKICERT_H
#define VAULTLET_AGENT_PKICERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"

/*
 * Parses PEM text. 0 with *ret_obj (owned) and the leaf's validity in
 * unix seconds (0 and 0 when there is no leaf); -EINVAL for a block that is
 * not a key or a certificate; -ENOMEM.
 */
int pkicert_parse(const char *pem, size_t len, cJSON **ret_obj, int64_t *ret_not_before,
		  int64_t *ret_not_after);

/* goodFor: true with the ms to wait before issuing again, false: issue now. */
bool pkicert_good_for(int64_t not_before, int64_t not_after, int64_t now_ms, double threshold,
		      int64_t *ret_sleep_ms);

/* The PEM text of an issue answer's data: certificate, issuing_ca, ca_chain, private_key. */
int pkicert_answer_pems(const cJSON *data, struct buf *out);

#endif
