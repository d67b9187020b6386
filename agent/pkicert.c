/* SPDX-License-Identifier: MIT */
/*
 * pkicert: PEM parsing and the re-issue schedule of `pkiCert` (see
 * pkicert.h). Pure: OpenSSL only parses; no files, no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pkicert.h"

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm = { 0 };

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* pem.EncodeToMemory of one block: OpenSSL writes the same 64-column form. */
static char *encode_block(const char *name, const unsigned char *data, long len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *out = NULL;
	long n;

	if (b && PEM_write_bio(b, name, "", data, len) > 0) {
		n = BIO_get_mem_data(b, &p);
		/* the BIO's memory is not a C string: copy n bytes, then end it */
		if (n > 0)
			out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, p, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

int pkicert_parse(const char *pem, size_t len, cJSON **ret_obj, int64_t *ret_not_before,
		  int64_t *ret_not_after)
{
	BIO *in = BIO_new_mem_buf(pem, (int)len);
	cJSON *obj = cJSON_CreateObject(), *chain = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL;
	int64_t nb = 0, na = 0;
	int r = -ENOMEM;

	if (!in || !obj || len > INT32_MAX)
		goto out;
	chain = cJSON_AddArrayToObject(obj, "CAChain");
	if (!chain)
		goto out;
	for (;;) {
		char *name = NULL, *header = NULL, *text;
		unsigned char *data = NULL;
		long dlen = 0;
		const unsigned char *q;
		X509 *x;

		if (PEM_read_bio(in, &name, &header, &data, &dlen) != 1) {
			ERR_clear_error();
			break;
		}
		text = encode_block(name, data, dlen);
		r = text ? 0 : -ENOMEM;
		if (r == 0 && strlen(name) >= 11 &&
		    strcmp(name + strlen(name) - 11, "PRIVATE KEY") == 0) {
			free(key);
			key = text;
			text = NULL;
		} else if (r == 0) {
			q = data;
			x = d2i_X509(NULL, &q, dlen);
			if (!x) {
				r = -EINVAL;
			} else if (X509_get_extension_flags(x) & EXFLAG_CA) {
				const cJSON *c;
				bool seen = false;

				cJSON_ArrayForEach(c, chain) seen =
				    seen || strcmp(c->valuestring, text) == 0;
				if (!ca)
					ca = strdup(text);
				if (!seen && !cJSON_AddItemToArray(chain, cJSON_CreateString(text)))
					r = -ENOMEM;
			} else {
				free(cert);
				cert = text;
				text = NULL;
				nb = asn1_unix(X509_get0_notBefore(x));
				na = asn1_unix(X509_get0_notAfter(x));
			}
			X509_free(x);
		}
		free(text);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (r < 0) {
			ERR_clear_error();
			goto out;
		}
	}
	r = -ENOMEM;
	if (!cJSON_AddStringToObject(obj, "Cert", cert ? cert : "") ||
	    !cJSON_AddStringToObject(obj, "Key", key ? key : "") ||
	    !cJSON_AddStringToObject(obj, "CA", ca ? ca : ""))
		goto out;
	*ret_obj = obj;
	obj = NULL;
	*ret_not_before = nb;
	*ret_not_after = na;
	r = 0;
out:
	if (key)
		OPENSSL_cleanse(key, strlen(key));
	free(cert);
	free(key);
	free(ca);
	cJSON_Delete(obj);
	BIO_free(in);
	return r;
}

bool pkicert_good_for(int64_t not_before, int64_t not_after, int64_t now_ms, double threshold,
		      int64_t *ret_sleep_ms)
{
	int64_t life_ms, rotate_ms;

	if (not_after <= 0 || not_after * 1000 <= now_ms)
		return false;
	life_ms = (not_after - not_before) * 1000;
	rotate_ms = not_before * 1000 + (int64_t)((double)life_ms * threshold);
	if (rotate_ms - now_ms <= 0)
		return false;
	*ret_sleep_ms = rotate_ms - now_ms;
	return true;
}

int pkicert_answer_pems(const cJSON *data, struct buf *out)
{
	static const char *const keys[] = { "certificate", "issuing_ca", "ca_chain",
					    "private_key" };
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, keys[i]), *c;

		if (cJSON_IsString(v)) {
			r = buf_append_str(out, v->valuestring);
			if (r == 0)
				r = buf_putc(out, '\n');
		} else if (cJSON_IsArray(v)) {
			cJSON_ArrayForEach(c, v)
			{
				if (r == 0 && cJSON_IsString(c))
					r = buf_append_str(out, c->valuestring);
				if (r == 0 && cJSON_IsString(c))
					r = buf_putc(out, '\n');
			}
		}
	}
	return r;
}
