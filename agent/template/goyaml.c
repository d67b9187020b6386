/* SPDX-License-Identifier: MIT */
/*
 * goyaml: yaml.v2 Marshal (see goyaml.h).
 */
#include <errno.h>

#include "goyaml.h"

int goyaml_marshal(struct buf *o, const struct gval *v, const char **ret_msg)
{
	(void)o;
	(void)v;
	*ret_msg = "toYAML is not supported by vaultlet yet";
	return -ENOTSUP;
}
