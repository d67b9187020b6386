/* SPDX-License-Identifier: MIT */
/*
 * rf_regex: consul-template's regexMatch RE S (regexp.MatchString) and
 * regexReplaceAll RE REPL S (regexp.ReplaceAllString: $1, ${1}, $name,
 * ${name}, $$), on goregex (Go's syntax and leftmost-first semantics in
 * linear time). The expression is compiled at each call, as
 * consul-template does; its syntax errors are Go's. Pure.
 */
#include <errno.h>

#include "goregex.h"
#include "rfunc.h"

static int compile(struct rf_call *c, struct goregex **re)
{
	struct buf msg;
	struct gv_str p = c->argv[0].str;
	int r;

	buf_init(&msg, 1024);
	r = goregex_compile(p.s, p.len, re, &msg);
	if (r == -EINVAL || r == -ENOTSUP)
		r = rf_fail(c, "%s", buf_str(&msg));
	else if (r == -ENOMEM)
		r = rf_nomem(c);
	buf_done(&msg);
	return r;
}

int rf_regex_run_error(struct rf_call *c, int r)
{
	if (r == -ETIME)
		return rf_fail(c,
			       "matching needs more than %d passes over this input (Go's "
			       "regexp is quadratic here): such a regular expression is not "
			       "supported by vaultlet",
			       GOREGEX_STEP_FACTOR);
	if (r == -ENOTSUP)
		return rf_fail(c, "a replacement naming this many groups of a regular expression "
				  "this large is not supported by vaultlet");
	return r; /* -ENOMEM, -E2BIG: reported by the executor */
}

int rf_regex_match(struct rf_call *c, struct gval *ret)
{
	struct goregex *re = NULL;
	bool hit = false;
	int r = compile(c, &re);

	if (r)
		return r;
	r = goregex_match(re, c->argv[1].str.s, c->argv[1].str.len, &hit);
	goregex_free(re);
	if (r)
		return rf_regex_run_error(c, r);
	*ret = gv_bool(hit);
	return 0;
}

int rf_regex_replace_all(struct rf_call *c, struct gval *ret)
{
	struct goregex *re = NULL;
	int r = compile(c, &re);

	(void)ret;
	if (r)
		return r;
	r = goregex_replace_all(re, c->argv[2].str.s, c->argv[2].str.len, c->argv[1].str.s,
				c->argv[1].str.len, c->o);
	goregex_free(re);
	return r ? rf_regex_run_error(c, r) : 0;
}
