/* SPDX-License-Identifier: MIT */
/*
 * gojson: encoding/json's Marshal for template values (the toJSON family
 * of consul-template): map keys sorted, json.Number written as its
 * literal, Go's string escaping (with or without HTML escaping of <>&),
 * Go's float64 format, MarshalIndent's layout, *Secret as a struct.
 * Appends to a struct buf; 0, -EINVAL (a value Go refuses, *ret_msg
 * says why), -E2BIG, -ENOMEM. Pure.
 */
#ifndef VAULTLET_GOJSON_H
#define VAULTLET_GOJSON_H

#include <stdbool.h>

#include "buf.h"
#include "gval.h"

int gojson_marshal(struct buf *o, const struct gval *v, bool escape_html, bool indent,
		   const char **ret_msg);

#endif
