/* SPDX-License-Identifier: MIT */
/*
 * rfunc: the interface between the executor (render.c) and the template
 * functions it calls. render.c owns the one table of builtins (indexed by
 * enum tmpl_func, whose names live in common/tmpl.c: the parser, hence
 * the webhook's admission check, knows exactly the functions this table
 * implements). Each entry gives Go's parameter types (checked by the
 * executor as text/template's evalCall does) and an implementation.
 *
 * An implementation receives the evaluated arguments and either sets *ret
 * (a value pointing into its arguments, the template, a secret or memory
 * from rf_alloc) or, for an entry marked `out`, appends its string result
 * to c->o (capped at RENDER_MAX_VALUE; the executor copies it into the
 * arena). It returns 0, or a negative errno after reporting the error
 * with rf_fail()/rf_nomem() (an -E2BIG or -ENOMEM not yet reported is
 * reported by the executor). Error texts are Go's: rf_fail() prefixes
 * "error calling NAME: " as text/template does. Messages may quote values:
 * the executor redacts every secret value (also in Go's %q form) before
 * the message is kept.
 *
 * Implementations are pure: no clock (rf_now), no files, no environment
 * except through the executor; the exceptions are writeToFile and plugin
 * (rf_pod.c), which act only when render_opts.pod_effects allows it.
 */
#ifndef VAULTLET_RFUNC_H
#define VAULTLET_RFUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "gval.h"
#include "macros.h"
#include "tmpl.h"

struct ex;

struct rf_call {
	struct ex *x;
	const struct tmpl_node *node;
	enum tmpl_func fn;
	const struct gval *argv;
	size_t n;
	struct buf *o;
};

/* "error calling NAME: <fmt>" at the call; returns -EINVAL. */
int rf_fail(struct rf_call *c, const char *fmt, ...) VL_PRINTF(2, 3);
/* A cap exceeded; returns -E2BIG. */
int rf_capfail(struct rf_call *c, const char *fmt, ...) VL_PRINTF(2, 3);
/* Out of memory; returns -ENOMEM. */
int rf_nomem(struct rf_call *c);
/* n bytes that live until render_exec() returns (wiped: they may hold secrets); NULL: OOM. */
void *rf_alloc(struct rf_call *c, size_t n);
/* A string value copied into rf_alloc memory. */
int rf_string(struct rf_call *c, const char *s, size_t len, struct gval *ret);
/* The current time (render_opts.now_set pins it): seconds and nanoseconds since the epoch. */
void rf_now(struct rf_call *c, int64_t *sec, long *nsec);
/* Hands a tree made during execution to the executor, which deletes it at the end. */
int rf_own(struct rf_call *c, cJSON *tree);

/* consul-template functions implemented outside render.c (rf_*.c). */
int rf_parse_bool(struct rf_call *c, struct gval *ret);
int rf_parse_int(struct rf_call *c, struct gval *ret);
int rf_parse_uint(struct rf_call *c, struct gval *ret);
int rf_parse_float(struct rf_call *c, struct gval *ret);
int rf_contains(struct rf_call *c, struct gval *ret);
int rf_in(struct rf_call *c, struct gval *ret);
int rf_contains_some(struct rf_call *c, struct gval *ret);
int rf_arith(struct rf_call *c, struct gval *ret);
int rf_minmax(struct rf_call *c, struct gval *ret);
int rf_md5sum(struct rf_call *c, struct gval *ret);
int rf_hmac_sha256_hex(struct rf_call *c, struct gval *ret);
/* A cJSON string node holding s[0..n) (NULs included, as vjson's); NULL without memory. */
cJSON *rf_string_node(const char *s, size_t n);
/* The error for goregex's run failures (-ETIME: too many passes, -ENOTSUP); others unchanged. */
int rf_regex_run_error(struct rf_call *c, int r);
int rf_regex_match(struct rf_call *c, struct gval *ret);
int rf_regex_replace_all(struct rf_call *c, struct gval *ret);
int rf_split_to_map(struct rf_call *c, struct gval *ret);
int rf_explode_map(struct rf_call *c, struct gval *ret);
int rf_timestamp(struct rf_call *c, struct gval *ret);
/*
 * strconv.ParseFloat(s, 64): 0 and *ret, 1 (syntax error), 2 (out of
 * range), or a negative errno already reported (rf_parse.c).
 */
int rf_go_parse_float(struct rf_call *c, struct gv_str s, double *ret);
/* sprig v3 lists, dicts and encodings (rf_sprig.c) */
int rf_sprig_b32dec(struct rf_call *c, struct gval *ret);
int rf_sprig_b32enc(struct rf_call *c, struct gval *ret);
int rf_sprig_b64dec(struct rf_call *c, struct gval *ret);
int rf_sprig_concat(struct rf_call *c, struct gval *ret);
int rf_sprig_dict(struct rf_call *c, struct gval *ret);
int rf_sprig_dig(struct rf_call *c, struct gval *ret);
int rf_sprig_get(struct rf_call *c, struct gval *ret);
int rf_sprig_has(struct rf_call *c, struct gval *ret);
int rf_sprig_join(struct rf_call *c, struct gval *ret);
int rf_sprig_list(struct rf_call *c, struct gval *ret);
int rf_sprig_listop(struct rf_call *c, struct gval *ret);
int rf_sprig_pick(struct rf_call *c, struct gval *ret);
int rf_sprig_pluck(struct rf_call *c, struct gval *ret);
int rf_sprig_slice(struct rf_call *c, struct gval *ret);
int rf_sprig_split(struct rf_call *c, struct gval *ret);
int rf_sprig_strings(struct rf_call *c, struct gval *ret);
int rf_sprig_tojson(struct rf_call *c, struct gval *ret);
int rf_sprig_from_json(struct rf_call *c, struct gval *ret);
/* sprig v3 math, conversions, strings, types (rf_sprig_num.c) */
int rf_sprig_math(struct rf_call *c, struct gval *ret);
int rf_sprig_floor(struct rf_call *c, struct gval *ret);
int rf_sprig_conv(struct rf_call *c, struct gval *ret);
int rf_sprig_atoi(struct rf_call *c, struct gval *ret);
int rf_sprig_to_string(struct rf_call *c, struct gval *ret);
int rf_sprig_to_decimal(struct rf_call *c, struct gval *ret);
int rf_sprig_repeat(struct rf_call *c, struct gval *ret);
int rf_sprig_substr(struct rf_call *c, struct gval *ret);
int rf_sprig_nospace(struct rf_call *c, struct gval *ret);
int rf_sprig_trunc(struct rf_call *c, struct gval *ret);
int rf_sprig_abbrev(struct rf_call *c, struct gval *ret);
int rf_sprig_title(struct rf_call *c, struct gval *ret);
int rf_sprig_cat(struct rf_call *c, struct gval *ret);
int rf_sprig_indent(struct rf_call *c, struct gval *ret);
int rf_sprig_plural(struct rf_call *c, struct gval *ret);
int rf_sprig_ternary(struct rf_call *c, struct gval *ret);
int rf_sprig_hello(struct rf_call *c, struct gval *ret);
int rf_sprig_sum(struct rf_call *c, struct gval *ret);
int rf_sprig_type(struct rf_call *c, struct gval *ret);
int rf_sprig_regex_match(struct rf_call *c, struct gval *ret);
int rf_sprig_regex_replace(struct rf_call *c, struct gval *ret);
int rf_sprig_regex_quote_meta(struct rf_call *c, struct gval *ret);
int rf_sprig_seq(struct rf_call *c, struct gval *ret);
int rf_sprig_path(struct rf_call *c, struct gval *ret);
int rf_sprig_deep_copy(struct rf_call *c, struct gval *ret);

/* The functions that touch the pod (rf_pod.c) and what render.c gives them. */
int rf_file(struct rf_call *c, struct gval *ret);
int rf_write_to_file(struct rf_call *c, struct gval *ret);
int rf_plugin(struct rf_call *c, struct gval *ret);
/* Records `file PATH` (cleaned) as a dependency; its content, or "" while not read yet. */
int rf_file_dep(struct rf_call *c, const char *path, size_t len, const char **ret_data,
		size_t *ret_len);
/* Whether writeToFile and plugin may act (render_opts.pod_effects). */
bool rf_pod_effects(const struct rf_call *c);
int64_t rf_plugin_timeout_ms(const struct rf_call *c);
/* The environment plugin passes on (render_opts.envp, else the process's). */
char *const *rf_envp(const struct rf_call *c);
/* consul-template: mutable values and formats */
int rf_to_toml(struct rf_call *c, struct gval *ret);
int rf_merge_map(struct rf_call *c, struct gval *ret);
/* scratch, and the methods of its value (c->fn: TMPL_FN_SCRATCH_KEY ... _MAPVALUES) */
int rf_scratch(struct rf_call *c, struct gval *ret);
int rf_scratch_method(struct rf_call *c, struct gval *ret);
/* spew_dump, spew_printf: Go dumps to Vault Agent's standard output and renders "" */
int rf_spew_to_stdout(struct rf_call *c, struct gval *ret);

/*
 * Maps a template may change in place (rf_mut.c): objects made during the
 * execution and not shared are marked RF_JSON_MUTABLE in their cJSON type
 * (a bit cJSON leaves alone).
 */
#define RF_JSON_MUTABLE (1 << 12)
/* Marks every map of a tree made during the execution (not through reference nodes). */
void rf_mark_mutable(cJSON *tree);
/* Per-execution state of rf_mut.c, owned by the executor (NULL until used). */
struct rf_mut;
struct rf_mut **rf_mut_state(struct rf_call *c);
void rf_mut_free(struct rf_mut *m);

#endif
