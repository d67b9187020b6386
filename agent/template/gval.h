/* SPDX-License-Identifier: MIT */
/*
 * gval: the Go values a template manipulates, as a small tagged union over
 * cJSON trees. It models exactly the types that exist when consul-template
 * runs a Vault template: string, json.Number, bool, int, uint8 (a byte of a
 * string), float64, map[string]interface{} (a JSON object; a nil map is a
 * NULL object), []interface{} (a JSON array or a window of one), []string,
 * *dependency.Secret (a Vault read response) and its struct, typed nil
 * pointers, the nil interface (GV_NIL: a JSON null or a missing map entry)
 * and the invalid reflect.Value (GV_INVALID: "no value").
 *
 * Strings are (pointer, length) and may contain NULs; they point into the
 * template, a cJSON tree or the evaluator's arena, never owned by the value.
 * In a cJSON tree, a number node with a literal (valuestring, from vjson) is
 * a json.Number; one without is a float64 (parseJSON decodes so, as Go).
 */
#ifndef VAULTLET_GVAL_H
#define VAULTLET_GVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum gv_kind {
	GV_INVALID,  /* reflect.Value{} */
	GV_NIL,	     /* nil interface{} */
	GV_STRING,   /* string */
	GV_NUMBER,   /* json.Number */
	GV_BOOL,     /* bool */
	GV_INT,	     /* int */
	GV_UINT8,    /* uint8 */
	GV_FLOAT,    /* float64 */
	GV_MAP,	     /* map[string]interface {} */
	GV_SLICE,    /* []interface {} */
	GV_STRSLICE, /* []string */
	GV_SECRET,   /* *dependency.Secret */
	GV_SECRETV,  /* dependency.Secret (a dereferenced *Secret) */
	GV_NILPTR,   /* a nil *dependency.SecretAuth / *dependency.SecretWrapInfo */
	GV_INT64,    /* int64 (parseInt, arithmetic) */
	GV_UINT64,   /* uint64 (parseUint, arithmetic): the bits are in .i */
};

struct gv_str {
	const char *s;
	size_t len;
};

struct gval {
	enum gv_kind kind;
	union {
		struct gv_str str; /* STRING, NUMBER */
		bool b;		   /* BOOL */
		int64_t i;	   /* INT, INT64, UINT8, UINT64 (as bits) */
		double f;	   /* FLOAT */
		const cJSON *map;  /* MAP: an object, NULL for a nil map */
		struct {
			const cJSON *arr; /* NULL for a nil slice */
			size_t off, len;
		} slice; /* SLICE */
		struct {
			const struct gv_str *items; /* or: */
			const cJSON *arr;	    /* an array of strings; both NULL: nil */
			size_t off, len;
		} strs;		      /* STRSLICE */
		const cJSON *secret;  /* SECRET, SECRETV: the read response */
		const char *ptr_type; /* NILPTR */
	};
	/* MAP: a map[string]string (splitToMap): a missing key is "", not nil */
	bool strmap;
	/*
	 * MAP: pkiCert's dependency.PemEncoded struct, held as its JSON object:
	 * only its fields are read (render.c refuses every other use)
	 */
	bool pki;
	/*
	 * MAP: consul-template's *Scratch (the value of `scratch`, map NULL):
	 * only its methods are called (render.c refuses every other use)
	 */
	bool scratch;
};

#define GV_INVALID_VALUE ((struct gval){ .kind = GV_INVALID })
#define GV_NIL_VALUE	 ((struct gval){ .kind = GV_NIL })

static inline struct gval gv_string(const char *s, size_t len)
{
	return (struct gval){ .kind = GV_STRING, .str = { s, len } };
}

static inline struct gval gv_int(int64_t i)
{
	return (struct gval){ .kind = GV_INT, .i = i };
}

/* Integer kinds as Go's reflect sees them: Int (int, int64) or Uint (uint8, uint64). */
static inline bool gv_is_int_kind(const struct gval *v)
{
	return v->kind == GV_INT || v->kind == GV_INT64;
}

static inline bool gv_is_uint_kind(const struct gval *v)
{
	return v->kind == GV_UINT8 || v->kind == GV_UINT64;
}

static inline struct gval gv_bool(bool b)
{
	return (struct gval){ .kind = GV_BOOL, .b = b };
}

/*
 * A number node made during execution (rf_sprig's lists and dicts) may hold
 * a Go integer rather than a json.Number: its literal is the decimal value
 * and its cJSON type carries the gv_kind (GV_INT, GV_INT64, GV_UINT8 or
 * GV_UINT64) shifted by GV_JSON_KIND_SHIFT, above cJSON's own flag bits
 * (cJSON_IsNumber and cJSON_Duplicate ignore/keep them).
 */
#define GV_JSON_KIND_SHIFT 12
#define GV_JSON_KIND_MASK  (0xF << GV_JSON_KIND_SHIFT)

/* The value of a JSON node seen as interface{} content (null: GV_NIL). */
struct gval gv_from_json(const cJSON *n);
/* A string node's bytes. */
struct gv_str gv_json_str(const cJSON *n);

/* Go's reflect type string of v ("json.Number", "map[string]interface {}"). */
const char *gv_type_name(const struct gval *v);

/* Go's reflect.Kind family used by isTrue/eq/len. */
bool gv_is_stringish(const struct gval *v); /* STRING, NUMBER */

/* text/template's isTrue (after indirectInterface); *ok false for values it can't judge. */
bool gv_truth(const struct gval *v, bool *ok);

/* Number of elements of a map, slice or string; -1 for other kinds. */
long gv_len(const struct gval *v);

/* Element i of a SLICE (i < len) as interface{} content. */
struct gval gv_slice_at(const struct gval *v, size_t i);

/*
 * The elements of a SLICE or STRSLICE in order, each as interface{} content
 * (a string element of a STRSLICE as a string). Walking the list once:
 * gv_slice_at in a loop starts from the head each time.
 */
struct gv_iter {
	const struct gval *v;
	size_t i, n;
	const cJSON *c;
};
void gv_iter_init(struct gv_iter *it, const struct gval *v);
/* The next element in *ret, or false at the end. */
bool gv_iter_next(struct gv_iter *it, struct gval *ret);

/* Element i of a STRSLICE (i < len). */
struct gv_str gv_strs_at(const struct gval *v, size_t i);

/* Looks key up in a map; *found false when absent (nil map: absent). */
struct gval gv_map_get(const struct gval *m, const char *key, size_t klen, bool *found);

/*
 * The members of an object sorted by key, bytewise (fmtsort order); ret
 * must hold cJSON_GetArraySize(obj) pointers. Returns the count.
 */
size_t gv_sorted_members(const cJSON *obj, const cJSON **ret);

/* Secret envelope accessors. */
struct gval gv_secret_field(const cJSON *secret, const char *name, size_t len, bool *found);
/* The Secret struct's fields in declaration order, for printing (8 of them). */
#define GV_SECRET_NFIELDS 8
extern const char *const gv_secret_fields[GV_SECRET_NFIELDS];

#endif
