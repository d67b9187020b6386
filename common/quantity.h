/* SPDX-License-Identifier: MIT */
/*
 * quantity: Kubernetes resource quantities ("500m", "128Mi", "1G", "1.5",
 * "1e3") parsed and serialized exactly as the API machinery does it, so the
 * resources vaultlet writes into a container are the strings the stock
 * injector would write.
 *
 * Serialization follows resource.Quantity: a string already in canonical
 * form is kept as the user wrote it ("500m", "1.G", "+1"), anything else is
 * rewritten canonically ("1000M" -> "1G", "0.5" -> "500m", "1.5Gi" ->
 * "1536Mi", "1024Ki" -> "1Mi"). Invalid text ("128mb", "500mi", " 1") is
 * rejected like ParseQuantity rejects it.
 *
 * Pure functions, safe from any thread.
 */
#ifndef VAULTLET_QUANTITY_H
#define VAULTLET_QUANTITY_H

/* Longest input accepted; longer strings are -ERANGE (no real resource needs more). */
#define QUANTITY_INPUT_MAX 64
/* Output buffer size, including the NUL. */
#define QUANTITY_MAX 160

/*
 * Writes the serialized form of s into out.
 * Returns 0; -EINVAL when Kubernetes would reject s; -ERANGE when s is
 * longer than QUANTITY_INPUT_MAX or its exponent is beyond +-10^9.
 */
int quantity_normalize(const char *s, char out[static QUANTITY_MAX]);

#endif
