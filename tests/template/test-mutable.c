/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the mutable-value and format functions (toTOML, mergeMap,
 * scratch): fixed outputs taken from Go (tests/template/oracle.go, which
 * the differential test compares against on generated cases), and the
 * refusals, which the differential test counts as allowed and therefore
 * cannot pin down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdata.h"
#include "template/render.h"
#include "template/vjson.h"
#include "tmpl.h"

struct store {
	const char *paths[8];
	cJSON *trees[8];
	size_t n;
};

static const cJSON *store_get(void *ctx, const char *path)
{
	struct store *s = ctx;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->paths[i], path) == 0)
			return s->trees[i];
	return NULL;
}

static void store_add(struct store *s, const char *path, const char *data_json)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"request_id\":\"rid\",\"lease_id\":\"\",\"data\":%s}",
		 data_json);
	assert_true(s->n < ARRAY_SIZE(s->trees));
	assert_int_equal(vjson_parse(text, strlen(text), &s->trees[s->n], NULL), 0);
	s->paths[s->n++] = path;
}

static void store_done(struct store *s)
{
	for (size_t i = 0; i < s->n; i++)
		cJSON_Delete(s->trees[i]);
}

/* Renders text against s; returns render_exec's result, the output in out. */
static int run(const char *text, struct store *s, struct buf *out, struct render_result *res)
{
	struct tmpl_parse_opts po = { 0 };
	struct render_opts ro = { .secret = store_get, .secret_ctx = s };
	struct tmpl *t = NULL;
	struct tmpl_error e;
	int r;

	r = tmpl_parse(text, strlen(text), &po, &t, &e);
	if (r) {
		memset(res, 0, sizeof(*res));
		res->err = e;
		return r;
	}
	r = render_exec(t, &ro, out, res);
	tmpl_free(t);
	return r;
}

struct want {
	const char *text;
	const char *out; /* NULL: an error containing err */
	const char *err;
};

static void check(struct store *s, const struct want *w, size_t n)
{
	struct render_result res;
	struct buf out;

	buf_init(&out, 1 << 16);
	for (size_t i = 0; i < n; i++) {
		int r = run(w[i].text, s, &out, &res);

		if (w[i].out) {
			if (r != 0)
				fail_msg("%s: %s", w[i].text, res.err.msg);
			assert_string_equal(buf_str(&out), w[i].out);
		} else {
			if (r == 0)
				fail_msg("%s: rendered %s", w[i].text, buf_str(&out));
			if (!strstr(res.err.msg, w[i].err))
				fail_msg("%s: error %s, want %s", w[i].text, res.err.msg, w[i].err);
		}
		render_result_done(&res);
		buf_truncate(&out, 0);
	}
	buf_done(&out);
}

/* ---- toTOML ---------------------------------------------------------- */

static void test_totoml(void **state)
{
	static const struct want w[] = {
		/* outputs from Go (BurntSushi toml v1.2.0 and v1.5.0 agree on these) */
		{ "{{ with secret \"a\" }}{{ toTOML .Data }}{{ end }}",
		  "i = 42\nneg = 0\ns = \"q\\\"\\u0001\\n\"\n\n[m]\n  f = 1.5\n  k = [1, \"x\"]\n\n"
		  "[[t]]\n  x = 1\n\n[[t]]\n\n  [[t.y]]\n    z = 2",
		  NULL },
		{ "{{ toTOML (parseJSON `{\"a\":1,\"b\":{\"c\":[1,\"x\",{\"d\":null}],\"e\":{}}}`) "
		  "}}",
		  "a = 1.0\n\n[b]\n  c = [1.0, \"x\", {}]\n  [b.e]", NULL },
		{ "{{ toTOML (parseJSON `{\"w\":[{\"k\":{\"a\":1, \"b\":{\"c\":null}}}, 1], "
		  "\"z\":{}}`) "
		  "}}",
		  "w = [{k = {a = 1.0, b = {}}}, 1.0]\n\n[z]", NULL },
		{ "{{ toTOML (parseJSON `{\"x\":{\"a\":1,\"n\":null,\"s\":{\"q\":2}}}`) }}",
		  "[x]\n  a = 1.0\n  [x.s]\n    q = 2.0", NULL },
		{ "{{ toTOML (parseJSON `{\"\":1, \"x y\":2, \"k.k\":[], \"A-b_9\":true}`) }}",
		  "\"\" = 1.0\nA-b_9 = true\n\"k.k\" = []\n\"x y\" = 2.0", NULL },
		{ "{{ toTOML (parseJSON `{\"a\":[{\"n\":null}, {\"m\":1, \"o\":null}]}`) }}",
		  "[[a]]\n\n[[a]]\n  m = 1.0", NULL },
		{ "{{ toTOML (parseJSON `{\"a\":{\"i\":{\"x\":1,\"y\":null}}}`) }}",
		  "[a]\n  [a.i]\n    x = 1.0", NULL },
		{ "{{ toTOML (parseJSON `{\"a\":[{\"x\":1,\"y\":null}, 2]}`) }}",
		  "a = [{x = 1.0, }, 2.0]", NULL },
		{ "{{ toTOML (parseJSON `{}`) }}|{{ toTOML (parseJSON `{\"a\":null}`) }}", "|",
		  NULL },
		{ "{{ toTOML (splitToMap \",\" \"=\" \"b=,a=1\") }}", "a = \"1\"\nb = \"\"", NULL },
		{ "{{ toTOML (parseJSON `{\"a\":123456.5,\"b\":0.0001,\"c\":-0.0}`) }}",
		  "a = 123456.5\nb = 0.0001\nc = -0.0", NULL },
		/* Go's errors */
		{ "{{ toTOML (parseJSON `{\"a\":[1,[2,null]]}`) }}", NULL,
		  "error calling toTOML: toTOML: toml: cannot encode array with nil element" },
		{ "{{ toTOML (parseJSON `{\"a\":{\"b\":[null]}}`) }}", NULL,
		  "cannot encode array with nil element" },
		{ "{{ toTOML nil }}", NULL,
		  "error calling toTOML: reflect: call of reflect.Value.Type on zero Value" },
		{ "{{ with secret \"big\" }}{{ toTOML .Data }}{{ end }}", NULL,
		  "toTOML: unable to convert" },
		/* what BurntSushi toml's versions write differently: refused */
		{ "{{ toTOML \"x\" }}", NULL,
		  "toTOML of a value that is not a map is not supported" },
		{ "{{ toTOML (parseJSON `[1]`) }}", NULL,
		  "not a map is not supported by vaultlet" },
		{ "{{ toTOML (parseJSON `{\"a\":1e6}`) }}", NULL, "from 1e6 on is not supported" },
		{ "{{ toTOML (parseJSON `{\"a\":[9.9e-5]}`) }}", NULL, "below 1e-4" },
		{ "{{ with secret \"a\" }}{{ toTOML . }}{{ end }}", NULL,
		  "toTOML of a secret is not supported by vaultlet" },
	};
	struct store s = { 0 };

	(void)state;
	store_add(
	    &s, "a",
	    "{\"i\":42,\"neg\":-0,\"s\":\"q\\\"\\u0001\\n\",\"m\":{\"f\":1.50,\"k\":[1,\"x\"]},"
	    "\"t\":[{\"x\":1},{\"y\":[{\"z\":2}]}],\"nil\":null}");
	store_add(&s, "big", "{\"a\":1,\"b\":1E+400}");
	check(&s, w, ARRAY_SIZE(w));
	store_done(&s);
}

/* ---- mergeMap, mergeMapWithOverride ------------------------------------ */

static void test_mergemap(void **state)
{
	static const struct want w[] = {
		/* outputs from Go (mergo v0.3.12; v1.0.2 agrees on these) */
		{ "{{ $m := parseJSON "
		  "`{\"a\":1,\"b\":\"\",\"c\":{\"x\":1},\"l\":[1],\"e\":[],\"z\":0}` "
		  "}}{{ $r := mergeMap $m (parseJSON `{\"a\":2,\"b\":\"B\",\"c\":{\"x\":2,\"y\":3},"
		  "\"l\":[9],\"e\":[5],\"n\":null,\"z\":7,\"new\":{\"q\":1}}`) }}{{ toJSON $m }}",
		  "{\"a\":1,\"b\":\"B\",\"c\":{\"x\":1,\"y\":3},\"e\":[5],\"l\":[1],\"new\":{\"q\":"
		  "1},"
		  "\"z\":7}",
		  NULL },
		{ "{{ $m := parseJSON `{\"a\":1,\"c\":{\"x\":1},\"l\":[1],\"n\":5}` }}{{ $r := "
		  "mergeMapWithOverride $m (parseJSON "
		  "`{\"a\":2,\"c\":{\"x\":2},\"l\":[9],\"n\":null}`) "
		  "}}{{ toJSON $m }}",
		  "{\"a\":2,\"c\":{\"x\":2},\"l\":[9],\"n\":null}", NULL },
		/* a variable holding a replaced value keeps it, as in Go */
		{ "{{ $m := parseJSON `{\"a\":{\"b\":1}}` }}{{ $old := $m.a }}{{ $_ := "
		  "mergeMapWithOverride $m (parseJSON `{\"a\":\"s\"}`) }}{{ toJSON $old }}|{{ "
		  "toJSON $m }}",
		  "{\"b\":1}|{\"a\":\"s\"}", NULL },
		/* a range takes the values when it starts */
		{ "{{ $m := parseJSON `{\"a\":1,\"b\":2}` }}{{ range $k, $v := $m }}{{ $_ := "
		  "mergeMapWithOverride $m (parseJSON `{\"b\":3}`) }}{{ $k }}={{ $v }};{{ end }}{{ "
		  "$m.b }}",
		  "a=1;b=2;3", NULL },
		/* into a list's map, explodeMap's own maps; the secret as the source */
		{ "{{ $l := parseJSON `[{\"a\":1}]` }}{{ $_ := mergeMap (index $l 0) (parseJSON "
		  "`{\"b\":2}`) }}{{ toJSON $l }}",
		  "[{\"a\":1,\"b\":2}]", NULL },
		{ "{{ with secret \"a\" }}{{ $e := explodeMap .Data }}{{ $_ := mergeMap $e.x "
		  "(parseJSON "
		  "`{\"z\":1}`) }}{{ toJSON $e }}|{{ toJSON .Data }}{{ end }}",
		  "{\"x\":{\"y\":1,\"z\":1}}|{\"x/y\":1}", NULL },
		{ "{{ with secret \"a\" }}{{ $m := parseJSON \"\" }}{{ $_ := mergeMap $m .Data "
		  "}}{{ "
		  "toJSON $m }}{{ end }}",
		  "{\"x/y\":1}", NULL },
		{ "{{ mergeMap nil nil }}|{{ mergeMap nil (parseJSON `{\"a\":1}`) }}",
		  "map[]|map[a:1]", NULL },
		{ "{{ with secret \"a\" }}{{ mergeMap .Data (parseJSON `{}`) }}{{ end }}",
		  "map[x/y:1]", NULL },
		/* Go's decoder fails on a number beyond float64 also under a repeated key */
		{ "{{ parseJSON `{\"a\":1e400,\"a\":1}` }}", NULL, "cannot unmarshal number" },
		/* Go's type errors */
		{ "{{ mergeMap \"x\" nil }}", NULL, "can't handle \"x\" for arg of type" },
		{ "{{ mergeMap (splitToMap \",\" \"=\" \"a=1\") nil }}", NULL,
		  "expected map[string]interface {}; got map[string]string" },
		/* in place into a secret's map: Vault Agent's later renders would see it */
		{ "{{ with secret \"a\" }}{{ mergeMap .Data (parseJSON `{\"k\":1}`) }}{{ end }}",
		  NULL,
		  "mergeMap into a secret's map or a shared one is not supported by vaultlet" },
		{ "{{ with secret \"a\" }}{{ $e := explodeMap (parseJSON `{\"m\":{}}`) }}{{ $_ := "
		  "mergeMap $e .Data }}{{ $e }}{{ end }}",
		  "map[m:map[] x/y:1]", NULL },
		/* a value mergeMap stored is shared with the source in Go */
		{ "{{ $m := parseJSON `{\"c\":{}}` }}{{ $s := parseJSON `{\"c\":{}}` }}{{ $_ := "
		  "mergeMap "
		  "$m $s }}{{ mergeMap $m.c (parseJSON `{\"k\":1}`) }}",
		  NULL, "shared one is not supported by vaultlet" },
		{ "{{ $m := parseJSON `{\"a\":\"x\"}` }}{{ mergeMapWithOverride $m (parseJSON "
		  "`{\"a\":{\"b\":1}}`) }}",
		  NULL, "of a map over a value that is not a map is not supported by vaultlet" },
		{ "{{ $m := parseJSON `{\"a\":{\"k\":1}}` }}{{ mergeMap $m.a $m }}", NULL,
		  "into a map inside the source map is not supported by vaultlet" },
	};
	struct store s = { 0 };

	(void)state;
	store_add(&s, "a", "{\"x/y\":1}");
	check(&s, w, ARRAY_SIZE(w));
	store_done(&s);
}

/* ---- scratch --------------------------------------------------------- */

static void test_scratch(void **state)
{
	static const struct want w[] = {
		/* outputs from Go (consul-template's Scratch) */
		{ "{{ scratch.Set \"a\" \"x\" }}{{ scratch.Get \"a\" }}|{{ scratch.Key \"a\" }}|{{ "
		  "scratch.Key \"b\" }}|{{ scratch.Get \"b\" }}",
		  "x|true|false|<no value>", NULL },
		{ "{{ scratch.Set \"a\" 1 }}{{ scratch.SetX \"a\" 2 }}{{ scratch.SetX \"b\" 3 }}{{ "
		  "scratch.Get \"a\" }}{{ scratch.Get \"b\" }}{{ printf \"%T\" (scratch.Get \"a\") "
		  "}}",
		  "13int", NULL },
		{ "{{ with secret \"a\" }}{{ scratch.MapSet \"m\" \"z\" \"1\" }}{{ scratch.MapSet "
		  "\"m\" "
		  "\"a\" .Data.n }}{{ scratch.MapSetX \"m\" \"a\" \"no\" }}{{ scratch.MapValues "
		  "\"m\" "
		  "}}|{{ scratch.Get \"m\" }}|{{ scratch.MapValues \"none\" | printf \"%#v\" }}{{ "
		  "end }}",
		  "[42 1]|map[a:42 z:1]|[]interface {}(nil)", NULL },
		{ "{{ $s := scratch }}{{ $s.Set \"k\" \"v\" }}{{ with scratch }}{{ .Get \"k\" }}{{ "
		  ".Set "
		  "\"k2\" \"w\" }}{{ end }}{{ (scratch).Get \"k2\" }}|{{ \"p\" | scratch.Set \"p\" "
		  "}}{{ "
		  "scratch.Get \"p\" }}",
		  "vw|p", NULL },
		/* the same map: a merge and a MapSet are seen through the scratch and $m */
		{ "{{ $m := parseJSON `{\"a\":1}` }}{{ scratch.Set \"m\" $m }}{{ $_ := mergeMap $m "
		  "(parseJSON `{\"b\":2}`) }}{{ scratch.Get \"m\" }}{{ scratch.MapSet \"m\" \"c\" "
		  "\"3\" "
		  "}}{{ $m }}",
		  "map[a:1 b:2]map[a:1 b:2 c:3]", NULL },
		{ "{{ define \"t\" }}{{ scratch.Set \"in\" . }}{{ end }}{{ template \"t\" \"n\" "
		  "}}{{ "
		  "scratch.Get \"in\" }}",
		  "n", NULL },
		/* Go's errors */
		{ "{{ scratch.Set \"s\" \"str\" }}{{ scratch.MapSet \"s\" \"k\" \"v\" }}", NULL,
		  "error calling MapSet: \"s\" is not a map" },
		{ "{{ scratch.Set \"a\" }}", NULL, "wrong number of args for Set: want 2 got 1" },
		{ "{{ scratch.Get.x }}", NULL, "wrong number of args for Get: want 1 got 0" },
		{ "{{ scratch.Foo }}", NULL, "can't evaluate field Foo in type *template.Scratch" },
		{ "{{ scratch.Set 1 2 }}", NULL, "expected string; found 1" },
		/* refused */
		{ "{{ scratch }}", NULL, "using the value of scratch itself" },
		{ "{{ scratch.Lock }}", NULL, "Lock of the scratch" },
		{ "{{ scratch.MapSet \"m\" \"k\" 1 }}", NULL,
		  "a value of this Go type (an int, []string, a secret ...) in a scratch map is "
		  "not "
		  "supported" },
		{ "{{ with secret \"a\" }}{{ scratch.Set \"d\" .Data }}{{ scratch.MapSet \"d\" "
		  "\"x\" "
		  "\"y\" }}{{ end }}",
		  NULL, "MapSet into a secret's map or a shared one is not supported" },
	};
	struct store s = { 0 };

	(void)state;
	store_add(&s, "a", "{\"n\":42}");
	check(&s, w, ARRAY_SIZE(w));
	store_done(&s);
}

int main(void)
{
	struct tlist l = { 0 };

	tlist_add(&l, "toTOML", test_totoml, NULL);
	tlist_add(&l, "mergeMap, mergeMapWithOverride", test_mergemap, NULL);
	tlist_add(&l, "scratch", test_scratch, NULL);
	return tlist_run(&l, "template-mutable") ? 1 : 0;
}
