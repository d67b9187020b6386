/* SPDX-License-Identifier: MIT */
/*
 * rf_sprig: helpers shared by the sprig function files (rf_sprig.c,
 * rf_sprig_num.c): sprig's strval, reflect's Kind and DeepEqual over gvals.
 */
#ifndef VAULTLET_RF_SPRIG_H
#define VAULTLET_RF_SPRIG_H

#include <stdbool.h>

#include "gval.h"
#include "rfunc.h"

/* reflect.Kind's name of v's dynamic type; NULL for nil (reflect: "invalid"). */
const char *rf_sprig_kind(const struct gval *v);
/* reflect.DeepEqual of two interface values in *ret; fails past a work cap. */
int rf_sprig_deep_equal(struct rf_call *c, const struct gval *a, const struct gval *b, bool *ret);
/* sprig's strval: a string, a json.Number's text, else fmt's %v (in rf_alloc memory). */
int rf_sprig_strval(struct rf_call *c, const struct gval *v, struct gv_str *ret);

#endif
