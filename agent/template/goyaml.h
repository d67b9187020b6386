/* SPDX-License-Identifier: MIT */
/*
 * goyaml: gopkg.in/yaml.v2's Marshal for template values, which is what
 * consul-template's toYAML calls: block style, keys sorted, yaml.v2's
 * scalar quoting rules (YAML 1.1 booleans like "y" and "on" are quoted),
 * json.Number written as an int or float the way yaml.v2 converts it.
 * Values yaml.v2 would format in a way vaultlet does not reproduce are
 * refused with -ENOTSUP and a message, never approximated.
 * Appends to a struct buf; 0, -ENOTSUP, -EINVAL, -E2BIG, -ENOMEM. Pure.
 */
#ifndef VAULTLET_GOYAML_H
#define VAULTLET_GOYAML_H

#include "buf.h"
#include "gval.h"

int goyaml_marshal(struct buf *o, const struct gval *v, const char **ret_msg);

#endif
