/* SPDX-License-Identifier: MIT */
/*
 * vwrite: the write form of `secret` (`secret "pki/issue/web" "k=v" …`),
 * consul-template's VaultWriteQuery. The template side turns the call into
 * one cache key; the agent side splits the key back into the path to PUT
 * and the JSON body.
 *
 * Key: the path (trimmed of spaces and '/'), the byte 0x1f, then the JSON
 * object of the fields with sorted keys and string values. Two calls with
 * the same path and the same fields (in any order, later duplicates
 * winning, empty arguments skipped, keys and values trimmed) make the same
 * key, so they share one request per refresh, as consul-template
 * deduplicates by path + data. A read path never contains 0x1f.
 *
 * The key may hold request fields; vwrite_label() is what logs and the
 * status file show instead: "vault.write(<path> -> <8 hex>)", the hex from
 * a SHA-256 of the body (consul-template shows a SHA-1 there).
 */
#ifndef VAULTLET_VWRITE_H
#define VAULTLET_VWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define VWRITE_SEP '\x1f'

/*
 * Builds the key of `secret path args…` (args[i] of lens[i] bytes).
 * 0; -EINVAL with the Go error text in err ("vault.write: invalid format:
 * \"\"", "not k=v pair \"x\""); -ENOMEM; -E2BIG (over VWRITE_KEY_MAX).
 */
#define VWRITE_KEY_MAX (64 * 1024)
int vwrite_key(const char *path, size_t plen, const char *const *args, const size_t *lens, size_t n,
	       struct buf *out, struct buf *err);

/*
 * `secrets PATH` (a LIST) is keyed by the path trimmed of spaces and '/',
 * then the byte VWRITE_LIST. -EINVAL ("vault.list: invalid format: \"\"").
 */
#define VWRITE_LIST '\x1e'
int vwrite_list_key(const char *path, size_t plen, struct buf *out, struct buf *err);
bool vwrite_is_list_key(const char *key);

/*
 * `pkiCert PATH "k=v"...` is keyed by its write key, the byte VWRITE_PKI
 * and the template's destination (consul-template's VaultPKIQuery reads
 * the certificate already in that file).
 */
#define VWRITE_PKI '\x1d'
bool vwrite_is_pki_key(const char *key);

/* Whether key is a write key. */
bool vwrite_is_key(const char *key);

/* Splits a write key: the path (up to the separator) and the body after it. */
void vwrite_split(const char *key, size_t *ret_path_len, const char **ret_body);

/* The label of a write key for logs and status (never the body). */
int vwrite_label(const char *key, struct buf *out);

#endif
