/* SPDX-License-Identifier: MIT */
/*
 * tmpl: lexer and parser for Go text/template syntax (see tmpl.h).
 *
 * DESIGN. The lexer is Go's state machine (lexText, lexLeftDelim,
 * lexInsideAction, ...) run to completion into a token array before parsing,
 * which is equivalent to Go's goroutine hand-off because Go's lexer never
 * depends on the parser. The parser is Go's recursive descent (parse.go)
 * over that array: Go's one-to-three-token push-back becomes moving an
 * index back, which yields the same token sequence because the only tokens
 * Go drops when pushing back are spaces that every caller skips anyway.
 * Trim markers are applied by the lexer, as in Go, so text nodes hold the
 * already-trimmed bytes.
 *
 * Everything the tree points to lives in one arena freed by tmpl_free().
 * Errors are returned, never printed: `struct tmpl_error` with the line and
 * column of the construct. Caps (TMPL_MAX_*) bound input size, nesting and
 * node count. No global mutable state; thread-safe.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "arena.h"
#include "goparse.h"
#include "tmpl.h"
#include "tmplutf.h"

/* ------------------------------------------------------------------ */
/* Function table                                                      */

static const char *const func_names[TMPL_FN__COUNT] = {
	[TMPL_FN_AND] = "and",
	[TMPL_FN_OR] = "or",
	[TMPL_FN_NOT] = "not",
	[TMPL_FN_LEN] = "len",
	[TMPL_FN_INDEX] = "index",
	[TMPL_FN_SLICE] = "slice",
	[TMPL_FN_PRINT] = "print",
	[TMPL_FN_PRINTF] = "printf",
	[TMPL_FN_PRINTLN] = "println",
	[TMPL_FN_EQ] = "eq",
	[TMPL_FN_NE] = "ne",
	[TMPL_FN_LT] = "lt",
	[TMPL_FN_LE] = "le",
	[TMPL_FN_GT] = "gt",
	[TMPL_FN_GE] = "ge",
	[TMPL_FN_HTML] = "html",
	[TMPL_FN_JS] = "js",
	[TMPL_FN_URLQUERY] = "urlquery",
	[TMPL_FN_SECRET] = "secret",
	[TMPL_FN_TOJSON] = "toJSON",
	[TMPL_FN_TOJSONPRETTY] = "toJSONPretty",
	[TMPL_FN_TOUNESCAPEDJSON] = "toUnescapedJSON",
	[TMPL_FN_TOUNESCAPEDJSONPRETTY] = "toUnescapedJSONPretty",
	[TMPL_FN_TOYAML] = "toYAML",
	[TMPL_FN_BASE64DECODE] = "base64Decode",
	[TMPL_FN_BASE64ENCODE] = "base64Encode",
	[TMPL_FN_BASE64URLDECODE] = "base64URLDecode",
	[TMPL_FN_BASE64URLENCODE] = "base64URLEncode",
	[TMPL_FN_TRIMSPACE] = "trimSpace",
	[TMPL_FN_TRIM] = "trim",
	[TMPL_FN_TRIMPREFIX] = "trimPrefix",
	[TMPL_FN_TRIMSUFFIX] = "trimSuffix",
	[TMPL_FN_REPLACEALL] = "replaceAll",
	[TMPL_FN_TOLOWER] = "toLower",
	[TMPL_FN_TOUPPER] = "toUpper",
	[TMPL_FN_TOTITLE] = "toTitle",
	[TMPL_FN_SPLIT] = "split",
	[TMPL_FN_JOIN] = "join",
	[TMPL_FN_INDENT] = "indent",
	[TMPL_FN_CONTAINS] = "contains",
	[TMPL_FN_ENV] = "env",
	[TMPL_FN_ENVORDEFAULT] = "envOrDefault",
	[TMPL_FN_MUSTENV] = "mustEnv",
	[TMPL_FN_PARSEJSON] = "parseJSON",
	[TMPL_FN_SHA256HEX] = "sha256Hex",
	[TMPL_FN_SECRETS] = "secrets",
	[TMPL_FN_PKICERT] = "pkiCert",
	[TMPL_FN_PARSEBOOL] = "parseBool",
	[TMPL_FN_PARSEINT] = "parseInt",
	[TMPL_FN_PARSEUINT] = "parseUint",
	[TMPL_FN_PARSEFLOAT] = "parseFloat",
	[TMPL_FN_CONTAINSALL] = "containsAll",
	[TMPL_FN_CONTAINSANY] = "containsAny",
	[TMPL_FN_CONTAINSNONE] = "containsNone",
	[TMPL_FN_CONTAINSNOTALL] = "containsNotAll",
	[TMPL_FN_IN] = "in",
	[TMPL_FN_ADD] = "add",
	[TMPL_FN_SUBTRACT] = "subtract",
	[TMPL_FN_MULTIPLY] = "multiply",
	[TMPL_FN_DIVIDE] = "divide",
	[TMPL_FN_MODULO] = "modulo",
	[TMPL_FN_MINIMUM] = "minimum",
	[TMPL_FN_MAXIMUM] = "maximum",
	[TMPL_FN_MD5SUM] = "md5sum",
	[TMPL_FN_HMACSHA256HEX] = "hmacSHA256Hex",
	[TMPL_FN_EXECUTETEMPLATE] = "executeTemplate",
	[TMPL_FN_REGEXMATCH] = "regexMatch",
	[TMPL_FN_REGEXREPLACEALL] = "regexReplaceAll",
	[TMPL_FN_SPLITTOMAP] = "splitToMap",
	[TMPL_FN_EXPLODEMAP] = "explodeMap",
	[TMPL_FN_LOOP] = "loop",
	[TMPL_FN_TIMESTAMP] = "timestamp",
	[TMPL_FN_SPRIG_UPPER] = "sprig_upper",
	[TMPL_FN_SPRIG_LOWER] = "sprig_lower",
	[TMPL_FN_SPRIG_TRIM] = "sprig_trim",
	[TMPL_FN_SPRIG_TRIMALL] = "sprig_trimAll",
	[TMPL_FN_SPRIG_TRIMPREFIX] = "sprig_trimPrefix",
	[TMPL_FN_SPRIG_TRIMSUFFIX] = "sprig_trimSuffix",
	[TMPL_FN_SPRIG_REPLACE] = "sprig_replace",
	[TMPL_FN_SPRIG_B64ENC] = "sprig_b64enc",
	[TMPL_FN_SPRIG_SHA256SUM] = "sprig_sha256sum",
	[TMPL_FN_SPRIG_CONTAINS] = "sprig_contains",
	[TMPL_FN_SPRIG_HASPREFIX] = "sprig_hasPrefix",
	[TMPL_FN_SPRIG_HASSUFFIX] = "sprig_hasSuffix",
	[TMPL_FN_SPRIG_DEFAULT] = "sprig_default",
	[TMPL_FN_SPRIG_EMPTY] = "sprig_empty",
	[TMPL_FN_SPRIG_COALESCE] = "sprig_coalesce",
	[TMPL_FN_SPRIG_ALL] = "sprig_all",
	[TMPL_FN_SPRIG_ANY] = "sprig_any",
	[TMPL_FN_SPRIG_QUOTE] = "sprig_quote",
	[TMPL_FN_SPRIG_SQUOTE] = "sprig_squote",
	/* the functions that touch the pod */
	[TMPL_FN_FILE] = "file",
	[TMPL_FN_WRITETOFILE] = "writeToFile",
	[TMPL_FN_PLUGIN] = "plugin",
	/* sprig v3 lists, dicts and encodings (agent/template/rf_sprig.c) */
	[TMPL_FN_SPRIG_LIST] = "sprig_list",
	[TMPL_FN_SPRIG_TUPLE] = "sprig_tuple",
	[TMPL_FN_SPRIG_FIRST] = "sprig_first",
	[TMPL_FN_SPRIG_LAST] = "sprig_last",
	[TMPL_FN_SPRIG_REST] = "sprig_rest",
	[TMPL_FN_SPRIG_INITIAL] = "sprig_initial",
	[TMPL_FN_SPRIG_APPEND] = "sprig_append",
	[TMPL_FN_SPRIG_PUSH] = "sprig_push",
	[TMPL_FN_SPRIG_PREPEND] = "sprig_prepend",
	[TMPL_FN_SPRIG_CONCAT] = "sprig_concat",
	[TMPL_FN_SPRIG_REVERSE] = "sprig_reverse",
	[TMPL_FN_SPRIG_UNIQ] = "sprig_uniq",
	[TMPL_FN_SPRIG_WITHOUT] = "sprig_without",
	[TMPL_FN_SPRIG_HAS] = "sprig_has",
	[TMPL_FN_SPRIG_COMPACT] = "sprig_compact",
	[TMPL_FN_SPRIG_SLICE] = "sprig_slice",
	[TMPL_FN_SPRIG_SORTALPHA] = "sprig_sortAlpha",
	[TMPL_FN_SPRIG_JOIN] = "sprig_join",
	[TMPL_FN_SPRIG_SPLITLIST] = "sprig_splitList",
	[TMPL_FN_SPRIG_SPLIT] = "sprig_split",
	[TMPL_FN_SPRIG_TOSTRINGS] = "sprig_toStrings",
	[TMPL_FN_SPRIG_DICT] = "sprig_dict",
	[TMPL_FN_SPRIG_GET] = "sprig_get",
	[TMPL_FN_SPRIG_HASKEY] = "sprig_hasKey",
	[TMPL_FN_SPRIG_PLUCK] = "sprig_pluck",
	[TMPL_FN_SPRIG_PICK] = "sprig_pick",
	[TMPL_FN_SPRIG_OMIT] = "sprig_omit",
	[TMPL_FN_SPRIG_DIG] = "sprig_dig",
	[TMPL_FN_SPRIG_B64DEC] = "sprig_b64dec",
	[TMPL_FN_SPRIG_B32ENC] = "sprig_b32enc",
	[TMPL_FN_SPRIG_B32DEC] = "sprig_b32dec",
	[TMPL_FN_SPRIG_TOJSON] = "sprig_toJson",
	[TMPL_FN_SPRIG_TOPRETTYJSON] = "sprig_toPrettyJson",
	[TMPL_FN_SPRIG_TORAWJSON] = "sprig_toRawJson",
	[TMPL_FN_SPRIG_MUSTAPPEND] = "sprig_mustAppend",
	[TMPL_FN_SPRIG_MUSTPUSH] = "sprig_mustPush",
	[TMPL_FN_SPRIG_MUSTPREPEND] = "sprig_mustPrepend",
	[TMPL_FN_SPRIG_MUSTFIRST] = "sprig_mustFirst",
	[TMPL_FN_SPRIG_MUSTLAST] = "sprig_mustLast",
	[TMPL_FN_SPRIG_MUSTREST] = "sprig_mustRest",
	[TMPL_FN_SPRIG_MUSTINITIAL] = "sprig_mustInitial",
	[TMPL_FN_SPRIG_MUSTREVERSE] = "sprig_mustReverse",
	[TMPL_FN_SPRIG_MUSTUNIQ] = "sprig_mustUniq",
	[TMPL_FN_SPRIG_MUSTWITHOUT] = "sprig_mustWithout",
	[TMPL_FN_SPRIG_MUSTHAS] = "sprig_mustHas",
	[TMPL_FN_SPRIG_MUSTCOMPACT] = "sprig_mustCompact",
	[TMPL_FN_SPRIG_MUSTSLICE] = "sprig_mustSlice",
	[TMPL_FN_SPRIG_MUSTTOJSON] = "sprig_mustToJson",
	[TMPL_FN_SPRIG_MUSTTOPRETTYJSON] = "sprig_mustToPrettyJson",
	[TMPL_FN_SPRIG_MUSTTORAWJSON] = "sprig_mustToRawJson",
	/* sprig v3 math, conversions, strings, types (agent/template/rf_sprig_num.c) */
	[TMPL_FN_SPRIG_ADD] = "sprig_add",
	[TMPL_FN_SPRIG_ADD1] = "sprig_add1",
	[TMPL_FN_SPRIG_SUB] = "sprig_sub",
	[TMPL_FN_SPRIG_MUL] = "sprig_mul",
	[TMPL_FN_SPRIG_DIV] = "sprig_div",
	[TMPL_FN_SPRIG_MOD] = "sprig_mod",
	[TMPL_FN_SPRIG_MAX] = "sprig_max",
	[TMPL_FN_SPRIG_BIGGEST] = "sprig_biggest",
	[TMPL_FN_SPRIG_MIN] = "sprig_min",
	[TMPL_FN_SPRIG_FLOOR] = "sprig_floor",
	[TMPL_FN_SPRIG_CEIL] = "sprig_ceil",
	[TMPL_FN_SPRIG_ROUND] = "sprig_round",
	[TMPL_FN_SPRIG_INT] = "sprig_int",
	[TMPL_FN_SPRIG_INT64] = "sprig_int64",
	[TMPL_FN_SPRIG_FLOAT64] = "sprig_float64",
	[TMPL_FN_SPRIG_ATOI] = "sprig_atoi",
	[TMPL_FN_SPRIG_TOSTRING] = "sprig_toString",
	[TMPL_FN_SPRIG_TODECIMAL] = "sprig_toDecimal",
	[TMPL_FN_SPRIG_REPEAT] = "sprig_repeat",
	[TMPL_FN_SPRIG_SUBSTR] = "sprig_substr",
	[TMPL_FN_SPRIG_NOSPACE] = "sprig_nospace",
	[TMPL_FN_SPRIG_TRUNC] = "sprig_trunc",
	[TMPL_FN_SPRIG_ABBREV] = "sprig_abbrev",
	[TMPL_FN_SPRIG_TITLE] = "sprig_title",
	[TMPL_FN_SPRIG_UNTITLE] = "sprig_untitle",
	[TMPL_FN_SPRIG_CAT] = "sprig_cat",
	[TMPL_FN_SPRIG_INDENT] = "sprig_indent",
	[TMPL_FN_SPRIG_NINDENT] = "sprig_nindent",
	[TMPL_FN_SPRIG_PLURAL] = "sprig_plural",
	[TMPL_FN_SPRIG_TERNARY] = "sprig_ternary",
	[TMPL_FN_SPRIG_TRIMALL_LC] = "sprig_trimall",
	[TMPL_FN_SPRIG_HELLO] = "sprig_hello",
	[TMPL_FN_SPRIG_FAIL] = "sprig_fail",
	[TMPL_FN_SPRIG_SHA1SUM] = "sprig_sha1sum",
	[TMPL_FN_SPRIG_ADLER32SUM] = "sprig_adler32sum",
	[TMPL_FN_SPRIG_TYPEOF] = "sprig_typeOf",
	[TMPL_FN_SPRIG_TYPEIS] = "sprig_typeIs",
	[TMPL_FN_SPRIG_TYPEISLIKE] = "sprig_typeIsLike",
	[TMPL_FN_SPRIG_KINDOF] = "sprig_kindOf",
	[TMPL_FN_SPRIG_KINDIS] = "sprig_kindIs",
	[TMPL_FN_SPRIG_DEEPEQUAL] = "sprig_deepEqual",
	[TMPL_FN_SPRIG_REGEXMATCH] = "sprig_regexMatch",
	[TMPL_FN_SPRIG_MUSTREGEXMATCH] = "sprig_mustRegexMatch",
	[TMPL_FN_SPRIG_REGEXREPLACEALL] = "sprig_regexReplaceAll",
	[TMPL_FN_SPRIG_MUSTREGEXREPLACEALL] = "sprig_mustRegexReplaceAll",
	[TMPL_FN_SPRIG_REGEXREPLACEALLLITERAL] = "sprig_regexReplaceAllLiteral",
	[TMPL_FN_SPRIG_MUSTREGEXREPLACEALLLITERAL] = "sprig_mustRegexReplaceAllLiteral",
	[TMPL_FN_SPRIG_REGEXQUOTEMETA] = "sprig_regexQuoteMeta",
	[TMPL_FN_SPRIG_FROMJSON] = "sprig_fromJson",
	[TMPL_FN_SPRIG_SEQ] = "sprig_seq",
	[TMPL_FN_SPRIG_SPLITN] = "sprig_splitn",
	[TMPL_FN_SPRIG_BASE] = "sprig_base",
	[TMPL_FN_SPRIG_DIR] = "sprig_dir",
	[TMPL_FN_SPRIG_CLEAN] = "sprig_clean",
	[TMPL_FN_SPRIG_EXT] = "sprig_ext",
	[TMPL_FN_SPRIG_ISABS] = "sprig_isAbs",
	[TMPL_FN_SPRIG_OSBASE] = "sprig_osBase",
	[TMPL_FN_SPRIG_OSDIR] = "sprig_osDir",
	[TMPL_FN_SPRIG_OSCLEAN] = "sprig_osClean",
	[TMPL_FN_SPRIG_OSEXT] = "sprig_osExt",
	[TMPL_FN_SPRIG_OSISABS] = "sprig_osIsAbs",
	[TMPL_FN_SPRIG_DEEPCOPY] = "sprig_deepCopy",
	[TMPL_FN_SPRIG_MUSTDEEPCOPY] = "sprig_mustDeepCopy",
	/* sprig 3.3.0 (consul-template's pin; Debian's 3.2.3 lacks it) */
	[TMPL_FN_SPRIG_SHA512SUM] = "sprig_sha512sum",
	[TMPL_FN_SHELLQUOTE] = "shellQuote",
	/* consul-template: mutable values and formats */
	[TMPL_FN_TOTOML] = "toTOML",
	[TMPL_FN_MERGEMAP] = "mergeMap",
	[TMPL_FN_MERGEMAPWITHOVERRIDE] = "mergeMapWithOverride",
	[TMPL_FN_SCRATCH] = "scratch",
	[TMPL_FN_SCRATCH_KEY] = ".Key",
	[TMPL_FN_SCRATCH_GET] = ".Get",
	[TMPL_FN_SCRATCH_SET] = ".Set",
	[TMPL_FN_SCRATCH_SETX] = ".SetX",
	[TMPL_FN_SCRATCH_MAPSET] = ".MapSet",
	[TMPL_FN_SCRATCH_MAPSETX] = ".MapSetX",
	[TMPL_FN_SCRATCH_MAPVALUES] = ".MapValues",
	[TMPL_FN_SPEW_DUMP] = "spew_dump",
	[TMPL_FN_SPEW_PRINTF] = "spew_printf",
};

/* Defined by Go or consul-template, not implemented by vaultlet. */
static const char *const unsupported_funcs[] = {
	"call",
	"byKey",
	"byMeta",
	"byPort",
	"byTag",
	"caLeaf",
	"caRoots",
	"connect",
	"datacenters",
	"explode",
	"exportedServices",
	"importedServices",
	"key",
	"keyExists",
	"keyOrDefault",
	"ls",
	"node",
	"nodes",
	"nomadService",
	"nomadServices",
	"nomadVar",
	"nomadVarExists",
	"nomadVarList",
	"nomadVarListSafe",
	"parseYAML",
	"partitions",
	"peerings",
	"safeLs",
	"safeTree",
	"service",
	"services",
	"sockaddr",
	"spew_sdump",
	"spew_sprintf",
	"tree",
};

/*
 * sprig v3's hermetic functions (consul-template's sprig_* names) that
 * vaultlet refuses, each with its reason (docs/templates.md). A sprig_
 * name that is neither here nor implemented is not defined, as in Go.
 */
#define SPRIG_WHY_MUTATES                                                                          \
	"it writes into a dict in place, which vaultlet does not reproduce for sprig's dicts yet"
#define SPRIG_WHY_RANDOM "its output is random or differs on every render"
#define SPRIG_WHY_ORDER	 "Go returns a map's keys in random order"
#define SPRIG_WHY_TIME	 "Go time and duration values are not implemented"
#define SPRIG_WHY_TYPES	 "its result type ([]int, [][]interface {}) is not modelled"
#define SPRIG_WHY_LATER	 "not implemented yet"
#define SPRIG_WHY_XSTRINGS                                                                         \
	"huandu/xstrings changed its output between versions (consul-template pins 1.5.0)"
static const struct {
	const char *name, *why;
} sprig_refused[] = {
	{ "set", SPRIG_WHY_MUTATES },
	{ "unset", SPRIG_WHY_MUTATES },
	{ "merge", SPRIG_WHY_MUTATES },
	{ "mergeOverwrite", SPRIG_WHY_MUTATES },
	{ "mustMerge", SPRIG_WHY_MUTATES },
	{ "mustMergeOverwrite", SPRIG_WHY_MUTATES },
	{ "keys", SPRIG_WHY_ORDER },
	{ "values", SPRIG_WHY_ORDER },
	{ "randInt", SPRIG_WHY_RANDOM },
	{ "shuffle", SPRIG_WHY_RANDOM },
	{ "bcrypt", SPRIG_WHY_RANDOM },
	{ "htpasswd", SPRIG_WHY_RANDOM },
	{ "genPrivateKey", SPRIG_WHY_RANDOM },
	{ "genCA", SPRIG_WHY_RANDOM },
	{ "genCAWithKey", SPRIG_WHY_RANDOM },
	{ "genSelfSignedCert", SPRIG_WHY_RANDOM },
	{ "genSelfSignedCertWithKey", SPRIG_WHY_RANDOM },
	{ "genSignedCert", SPRIG_WHY_RANDOM },
	{ "genSignedCertWithKey", SPRIG_WHY_RANDOM },
	{ "buildCustomCert", SPRIG_WHY_RANDOM },
	{ "encryptAES", SPRIG_WHY_RANDOM },
	{ "ago", SPRIG_WHY_TIME },
	{ "duration", SPRIG_WHY_TIME },
	{ "durationRound", SPRIG_WHY_TIME },
	{ "toDate", SPRIG_WHY_TIME },
	{ "mustToDate", SPRIG_WHY_TIME },
	{ "unixEpoch", SPRIG_WHY_TIME },
	{ "mustDateModify", SPRIG_WHY_TIME },
	{ "must_date_modify", SPRIG_WHY_TIME },
	{ "until", SPRIG_WHY_TYPES },
	{ "untilStep", SPRIG_WHY_TYPES },
	{ "chunk", SPRIG_WHY_TYPES },
	{ "mustChunk", SPRIG_WHY_TYPES },
	/* not implemented yet: could be made identical */
	{ "abbrevboth", SPRIG_WHY_LATER },
	{ "add1f", SPRIG_WHY_LATER },
	{ "addf", SPRIG_WHY_LATER },
	{ "camelcase", SPRIG_WHY_XSTRINGS },
	{ "decryptAES", SPRIG_WHY_LATER },
	{ "derivePassword", SPRIG_WHY_LATER },
	{ "divf", SPRIG_WHY_LATER },
	{ "initials", SPRIG_WHY_LATER },
	{ "kebabcase", SPRIG_WHY_XSTRINGS },
	{ "maxf", SPRIG_WHY_LATER },
	{ "minf", SPRIG_WHY_LATER },
	{ "mulf", SPRIG_WHY_LATER },
	{ "mustFromJson", SPRIG_WHY_LATER },
	{ "mustRegexFind", SPRIG_WHY_LATER },
	{ "mustRegexFindAll", SPRIG_WHY_LATER },
	{ "mustRegexSplit", SPRIG_WHY_LATER },
	{ "regexFind", SPRIG_WHY_LATER },
	{ "regexFindAll", SPRIG_WHY_LATER },
	{ "regexSplit", SPRIG_WHY_LATER },
	{ "semver", SPRIG_WHY_LATER },
	{ "semverCompare", SPRIG_WHY_LATER },
	{ "snakecase", SPRIG_WHY_XSTRINGS },
	{ "subf", SPRIG_WHY_LATER },
	{ "swapcase", SPRIG_WHY_LATER },
	{ "urlJoin", SPRIG_WHY_LATER },
	{ "urlParse", SPRIG_WHY_LATER },
	{ "wrap", SPRIG_WHY_LATER },
	{ "wrapWith", SPRIG_WHY_LATER },
};

const char *tmpl_func_name(enum tmpl_func fn)
{
	if ((int)fn < 0 || fn >= TMPL_FN__COUNT)
		return NULL;
	return func_names[fn];
}

/* The tree lives in an arena (common/arena.h) that the tmpl owns. */
static void arena_free(struct arena *a)
{
	arena_done(a);
	free(a);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */

enum tok_type {
	T_ERROR,
	T_BOOL,
	T_CHAR,
	T_CHARCONST,
	T_COMPLEX,
	T_ASSIGN,
	T_DECLARE,
	T_EOF,
	T_FIELD,
	T_IDENT,
	T_LDELIM,
	T_LPAREN,
	T_NUMBER,
	T_PIPE,
	T_RAWSTRING,
	T_RDELIM,
	T_RPAREN,
	T_SPACE,
	T_STRING,
	T_TEXT,
	T_VARIABLE,
	T_KEYWORD, /* marker: everything after is a keyword */
	T_BLOCK,
	T_BREAK,
	T_CONTINUE,
	T_DOT,
	T_DEFINE,
	T_ELSE,
	T_END,
	T_IF,
	T_NIL,
	T_RANGE,
	T_TEMPLATE,
	T_WITH,
};

struct tok {
	enum tok_type type;
	uint32_t pos, len;
	const char *msg; /* T_ERROR: the lexer's message (arena) */
};

struct lexer {
	const char *in;
	size_t n;
	const char *ld, *rd;
	size_t ldn, rdn;
	size_t pos, start;
	int paren_depth;
	struct tok *toks;
	size_t ntoks, cap;
	struct arena *arena;
	int r; /* 0, -ENOMEM, -E2BIG */
};

#define EOF_RUNE UINT32_MAX

static bool lx_is_space(uint32_t r)
{
	return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static bool lx_is_alnum(uint32_t r)
{
	return r == '_' || tmplutf_is_letter(r) || tmplutf_is_digit(r);
}

static bool has_left_trim(const char *s, size_t n)
{
	return n >= 2 && s[0] == '-' && lx_is_space((unsigned char)s[1]);
}

static bool has_right_trim(const char *s, size_t n)
{
	return n >= 2 && lx_is_space((unsigned char)s[0]) && s[1] == '-';
}

static bool has_prefix(const char *s, size_t n, const char *p, size_t pn)
{
	return n >= pn && memcmp(s, p, pn) == 0;
}

static uint32_t lx_next(struct lexer *l, size_t *w)
{
	if (l->pos >= l->n) {
		*w = 0;
		return EOF_RUNE;
	}
	uint32_t r = tmplutf_decode(l->in + l->pos, l->n - l->pos, w);
	l->pos += *w;
	return r;
}

static uint32_t lx_peek(struct lexer *l)
{
	size_t w;

	if (l->pos >= l->n)
		return EOF_RUNE;
	return tmplutf_decode(l->in + l->pos, l->n - l->pos, &w);
}

static void lx_emit(struct lexer *l, enum tok_type t)
{
	if (l->r)
		return;
	if (l->ntoks == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct tok *nt;

		if (cap > TMPL_MAX_NODES * 4) {
			l->r = -E2BIG;
			return;
		}
		nt = realloc(l->toks, cap * sizeof(*nt));
		if (!nt) {
			l->r = -ENOMEM;
			return;
		}
		l->toks = nt;
		l->cap = cap;
	}
	l->toks[l->ntoks++] = (struct tok){ .type = t,
					    .pos = (uint32_t)l->start,
					    .len = (uint32_t)(l->pos - l->start) };
	l->start = l->pos;
}

/* Appends Go's %#U of r (U+002D '-') to out. */
static void fmt_rune_u(char *out, size_t n, uint32_t r)
{
	if (r == EOF_RUNE) {
		snprintf(out, n, "EOF");
		return;
	}
	if (r >= 0x20 && r < 0x7F)
		snprintf(out, n, "U+%04" PRIX32 " '%c'", r, (int)r);
	else if (r >= 0xA0 && r != TMPLUTF_ERROR && (tmplutf_is_letter(r) || tmplutf_is_digit(r))) {
		char u[5] = { 0 };

		tmplutf_encode(r, u);
		snprintf(out, n, "U+%04" PRIX32 " '%s'", r, u);
	} else
		snprintf(out, n, "U+%04" PRIX32, r);
}

/* Go-like %q of s[0..n), cut to at most max input bytes. */
static void fmt_quote(char *out, size_t outn, const char *s, size_t n, size_t max)
{
	size_t o = 0, i;

	if (outn < 8) {
		if (outn)
			out[0] = 0;
		return;
	}
	out[o++] = '"';
	for (i = 0; i < n && i < max && o + 8 < outn; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (c < 0x20 || c == 0x7F) {
			o += (size_t)snprintf(out + o, outn - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	if (i < n && o + 4 < outn) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

static void lx_errorf(struct lexer *l, const char *fmt, ...) VL_PRINTF(2, 3);
static void lx_errorf(struct lexer *l, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	if (l->r)
		return;
	msg = arena_alloc(l->arena, TMPL_ERROR_MAX);
	if (!msg) {
		l->r = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, TMPL_ERROR_MAX, fmt, ap);
	va_end(ap);
	lx_emit(l, T_ERROR);
	if (!l->r)
		l->toks[l->ntoks - 1].msg = msg;
}

static size_t right_trim_len(const char *s, size_t n)
{
	size_t k = n;

	while (k > 0 && lx_is_space((unsigned char)s[k - 1]))
		k--;
	return n - k;
}

static size_t left_trim_len(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && lx_is_space((unsigned char)s[k]))
		k++;
	return k;
}

static const char *find(const char *s, size_t n, const char *p, size_t pn)
{
	if (pn == 0 || n < pn)
		return NULL;
	return memmem(s, n, p, pn);
}

/* Whether a right delimiter (optionally with trim marker) is at pos. */
static bool at_right_delim(struct lexer *l, bool *trim)
{
	const char *s = l->in + l->pos;
	size_t n = l->n - l->pos;

	if (has_right_trim(s, n) && has_prefix(s + 2, n - 2, l->rd, l->rdn)) {
		*trim = true;
		return true;
	}
	*trim = false;
	return has_prefix(s, n, l->rd, l->rdn);
}

static bool at_terminator(struct lexer *l)
{
	uint32_t r = lx_peek(l);

	if (lx_is_space(r))
		return true;
	switch (r) {
	case EOF_RUNE:
	case '.':
	case ',':
	case '|':
	case ':':
	case ')':
	case '(':
		return true;
	default:
		break;
	}
	return has_prefix(l->in + l->pos, l->n - l->pos, l->rd, l->rdn);
}

static bool lx_accept(struct lexer *l, const char *valid)
{
	if (l->pos < l->n && l->in[l->pos] != 0 && strchr(valid, l->in[l->pos])) {
		l->pos++;
		return true;
	}
	return false;
}

static void lx_accept_run(struct lexer *l, const char *valid)
{
	while (lx_accept(l, valid)) {
	}
}

static bool scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";
	uint32_t r;
	size_t w;

	lx_accept(l, "+-");
	if (lx_accept(l, "0")) {
		if (lx_accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (lx_accept(l, "oO"))
			digits = "01234567_";
		else if (lx_accept(l, "bB"))
			digits = "01_";
	}
	lx_accept_run(l, digits);
	if (lx_accept(l, "."))
		lx_accept_run(l, digits);
	if (strlen(digits) == 11 && lx_accept(l, "eE")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && lx_accept(l, "pP")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	lx_accept(l, "i");
	r = lx_peek(l);
	if (r != EOF_RUNE && lx_is_alnum(r)) {
		lx_next(l, &w);
		return false;
	}
	return true;
}

enum lx_state { S_TEXT, S_LEFT, S_COMMENT, S_RIGHT, S_INSIDE, S_DONE };

static enum lx_state lex_text(struct lexer *l)
{
	const char *x = find(l->in + l->pos, l->n - l->pos, l->ld, l->ldn);

	if (x) {
		size_t at = (size_t)(x - l->in), trim = 0;

		if (has_left_trim(l->in + at + l->ldn, l->n - at - l->ldn))
			trim = right_trim_len(l->in + l->start, at - l->start);
		l->pos = at - trim;
		if (l->pos > l->start)
			lx_emit(l, T_TEXT);
		l->pos = at;
		l->start = l->pos;
		return S_LEFT;
	}
	l->pos = l->n;
	if (l->pos > l->start)
		lx_emit(l, T_TEXT);
	lx_emit(l, T_EOF);
	return S_DONE;
}

static enum lx_state lex_left_delim(struct lexer *l)
{
	bool trim;
	size_t after;

	l->pos += l->ldn;
	trim = has_left_trim(l->in + l->pos, l->n - l->pos);
	after = trim ? 2 : 0;
	if (has_prefix(l->in + l->pos + after, l->n - l->pos - after, "/*", 2)) {
		l->pos += after;
		l->start = l->pos;
		return S_COMMENT;
	}
	lx_emit(l, T_LDELIM);
	l->pos += after;
	l->start = l->pos;
	l->paren_depth = 0;
	return S_INSIDE;
}

static enum lx_state lex_comment(struct lexer *l)
{
	const char *e;
	bool trim;

	l->pos += 2;
	e = find(l->in + l->pos, l->n - l->pos, "*/", 2);
	if (!e) {
		lx_errorf(l, "unclosed comment");
		return S_DONE;
	}
	l->pos = (size_t)(e - l->in) + 2;
	if (!at_right_delim(l, &trim)) {
		lx_errorf(l, "comment ends before closing delimiter");
		return S_DONE;
	}
	if (trim)
		l->pos += 2;
	l->pos += l->rdn;
	if (trim)
		l->pos += left_trim_len(l->in + l->pos, l->n - l->pos);
	l->start = l->pos;
	return S_TEXT;
}

static enum lx_state lex_right_delim(struct lexer *l)
{
	bool trim = has_right_trim(l->in + l->pos, l->n - l->pos);

	if (trim) {
		l->pos += 2;
		l->start = l->pos;
	}
	l->pos += l->rdn;
	lx_emit(l, T_RDELIM);
	if (trim) {
		l->pos += left_trim_len(l->in + l->pos, l->n - l->pos);
		l->start = l->pos;
	}
	return S_TEXT;
}

static enum lx_state lex_space(struct lexer *l)
{
	size_t nspaces = 0;

	while (l->pos < l->n && lx_is_space((unsigned char)l->in[l->pos])) {
		l->pos++;
		nspaces++;
	}
	if (has_right_trim(l->in + l->pos - 1, l->n - l->pos + 1) &&
	    has_prefix(l->in + l->pos + 1, l->n - l->pos - 1, l->rd, l->rdn)) {
		l->pos--;
		if (nspaces == 1)
			return S_RIGHT;
	}
	lx_emit(l, T_SPACE);
	return S_INSIDE;
}

static const struct {
	const char *word;
	enum tok_type type;
} keywords[] = {
	{ "block", T_BLOCK },
	{ "break", T_BREAK },
	{ "continue", T_CONTINUE },
	{ "define", T_DEFINE },
	{ "else", T_ELSE },
	{ "end", T_END },
	{ "if", T_IF },
	{ "range", T_RANGE },
	{ "nil", T_NIL },
	{ "template", T_TEMPLATE },
	{ "with", T_WITH },
};

/*
 * Consumes a run of letters, digits and '_'; false (error reported) when
 * what follows cannot end an identifier, field or variable.
 */
static bool lex_alnum_run(struct lexer *l)
{
	uint32_t r;
	size_t w;

	for (;;) {
		size_t before = l->pos;

		r = lx_next(l, &w);
		if (r != EOF_RUNE && lx_is_alnum(r))
			continue;
		l->pos = before;
		break;
	}
	if (!at_terminator(l)) {
		char u[32];

		fmt_rune_u(u, sizeof(u), r);
		lx_errorf(l, "bad character %s", u);
		return false;
	}
	return true;
}

static void lex_identifier(struct lexer *l)
{
	size_t len, i;

	if (!lex_alnum_run(l))
		return;
	len = l->pos - l->start;
	for (i = 0; i < ARRAY_SIZE(keywords); i++) {
		if (strlen(keywords[i].word) == len &&
		    memcmp(keywords[i].word, l->in + l->start, len) == 0) {
			lx_emit(l, keywords[i].type);
			return;
		}
	}
	if ((len == 4 && memcmp(l->in + l->start, "true", 4) == 0) ||
	    (len == 5 && memcmp(l->in + l->start, "false", 5) == 0))
		lx_emit(l, T_BOOL);
	else
		lx_emit(l, T_IDENT);
}

static void lex_field_or_variable(struct lexer *l, enum tok_type t)
{
	if (at_terminator(l)) {
		lx_emit(l, t == T_VARIABLE ? T_VARIABLE : T_DOT);
		return;
	}
	if (lex_alnum_run(l))
		lx_emit(l, t);
}

/* Scans a quoted thing after its opening quote; false on error (reported). */
static bool lex_quoted(struct lexer *l, char q, const char *what)
{
	for (;;) {
		if (l->pos >= l->n) {
			lx_errorf(l, "unterminated %s", what);
			return false;
		}
		char c = l->in[l->pos++];

		if (c == '\\' && q != '`') {
			if (l->pos < l->n && l->in[l->pos] != '\n') {
				l->pos++;
				continue;
			}
			lx_errorf(l, "unterminated %s", what);
			return false;
		}
		if (c == '\n' && q != '`') {
			lx_errorf(l, "unterminated %s", what);
			return false;
		}
		if (c == q)
			return true;
	}
}

static enum lx_state lex_inside(struct lexer *l)
{
	bool trim;
	uint32_t r;
	size_t w;

	if (at_right_delim(l, &trim)) {
		if (l->paren_depth == 0)
			return S_RIGHT;
		lx_errorf(l, "unclosed left paren");
		return S_DONE;
	}
	r = lx_next(l, &w);
	if (r == EOF_RUNE) {
		lx_errorf(l, "unclosed action");
		return S_DONE;
	}
	if (lx_is_space(r)) {
		l->pos -= w;
		return lex_space(l);
	}
	switch (r) {
	case '=':
		lx_emit(l, T_ASSIGN);
		return S_INSIDE;
	case ':':
		if (l->pos >= l->n || l->in[l->pos] != '=') {
			lx_errorf(l, "expected :=");
			return S_DONE;
		}
		l->pos++;
		lx_emit(l, T_DECLARE);
		return S_INSIDE;
	case '|':
		lx_emit(l, T_PIPE);
		return S_INSIDE;
	case '"':
		if (!lex_quoted(l, '"', "quoted string"))
			return S_DONE;
		lx_emit(l, T_STRING);
		return S_INSIDE;
	case '`':
		if (!lex_quoted(l, '`', "raw quoted string"))
			return S_DONE;
		lx_emit(l, T_RAWSTRING);
		return S_INSIDE;
	case '\'':
		if (!lex_quoted(l, '\'', "character constant"))
			return S_DONE;
		lx_emit(l, T_CHARCONST);
		return S_INSIDE;
	case '$':
		lex_field_or_variable(l, T_VARIABLE);
		return l->r || (l->ntoks && l->toks[l->ntoks - 1].type == T_ERROR) ? S_DONE
										   : S_INSIDE;
	case '(':
		lx_emit(l, T_LPAREN);
		l->paren_depth++;
		return S_INSIDE;
	case ')':
		lx_emit(l, T_RPAREN);
		l->paren_depth--;
		if (l->paren_depth < 0) {
			lx_errorf(l, "unexpected right paren U+0029 ')'");
			return S_DONE;
		}
		return S_INSIDE;
	case '.':
		if (l->pos < l->n && !(l->in[l->pos] >= '0' && l->in[l->pos] <= '9')) {
			lex_field_or_variable(l, T_FIELD);
			return l->r || (l->ntoks && l->toks[l->ntoks - 1].type == T_ERROR)
				   ? S_DONE
				   : S_INSIDE;
		}
		VL_FALLTHROUGH;
	case '+':
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		l->pos -= w;
		if (!scan_number(l)) {
			char q[64];

			fmt_quote(q, sizeof(q), l->in + l->start, l->pos - l->start, 32);
			lx_errorf(l, "bad number syntax: %s", q);
			return S_DONE;
		}
		if (l->pos < l->n && (l->in[l->pos] == '+' || l->in[l->pos] == '-')) {
			if (!scan_number(l) || l->in[l->pos - 1] != 'i') {
				char q[64];

				fmt_quote(q, sizeof(q), l->in + l->start, l->pos - l->start, 32);
				lx_errorf(l, "bad number syntax: %s", q);
				return S_DONE;
			}
			lx_emit(l, T_COMPLEX);
		} else {
			lx_emit(l, T_NUMBER);
		}
		return S_INSIDE;
	default:
		break;
	}
	if (lx_is_alnum(r)) {
		l->pos -= w;
		lex_identifier(l);
		return l->r || (l->ntoks && l->toks[l->ntoks - 1].type == T_ERROR) ? S_DONE
										   : S_INSIDE;
	}
	if (r < 0x80 && r > 0x20 && r < 0x7F) {
		lx_emit(l, T_CHAR);
		return S_INSIDE;
	}
	{
		char u[32];

		fmt_rune_u(u, sizeof(u), r);
		lx_errorf(l, "unrecognized character in action: %s", u);
	}
	return S_DONE;
}

static int lex_all(struct lexer *l)
{
	enum lx_state s = S_TEXT;

	while (s != S_DONE && !l->r) {
		switch (s) {
		case S_TEXT:
			s = lex_text(l);
			break;
		case S_LEFT:
			s = lex_left_delim(l);
			break;
		case S_COMMENT:
			s = lex_comment(l);
			break;
		case S_RIGHT:
			s = lex_right_delim(l);
			break;
		case S_INSIDE:
			s = lex_inside(l);
			break;
		case S_DONE:
			break;
		}
	}
	return l->r;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

/* Pseudo nodes returned by text_or_action for {{end}} and {{else}}. */
enum { P_NODE, P_END, P_ELSE };

struct parser {
	struct tmpl *t;
	struct arena *arena;
	const char *in;
	size_t n;
	struct tok *toks;
	size_t ntoks, idx;
	/* variables in scope (names, as in Go's Tree.vars) */
	struct tmpl_str *vars;
	size_t nvars, capvars;
	int range_depth;
	int depth;
	size_t nnodes;
	unsigned flags;
	uint32_t *lines; /* offsets of line starts */
	size_t nlines;
	int r; /* 0 or the error */
	struct tmpl_error *err;
	uint32_t action_start; /* offset of the current action's left delimiter */
	/* last pseudo node from text_or_action */
	int last_kind;
	uint32_t last_pos;
};

static void pos_of(const uint32_t *lines, size_t nlines, uint32_t off, struct tmpl_pos *ret)
{
	size_t lo = 0, hi = nlines;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	ret->offset = off;
	ret->line = (int)lo + 1;
	ret->col = (int)(off - lines[lo]) + 1;
}

static void p_fail(struct parser *p, int r, uint32_t off, const char *fmt, ...) VL_PRINTF(4, 5);
static void p_fail(struct parser *p, int r, uint32_t off, const char *fmt, ...)
{
	va_list ap;
	struct tmpl_pos pos;

	if (p->r)
		return;
	p->r = r;
	if (!p->err)
		return;
	pos_of(p->lines, p->nlines, off, &pos);
	p->err->line = pos.line;
	p->err->col = pos.col;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

static void p_nomem(struct parser *p)
{
	p_fail(p, -ENOMEM, 0, "out of memory");
}

static struct tok *p_next(struct parser *p)
{
	struct tok *t = &p->toks[p->idx];

	if (p->idx + 1 < p->ntoks)
		p->idx++;
	else
		p->idx = p->ntoks; /* past the last (EOF or ERROR): stays there */
	return t;
}

static struct tok *p_peek(struct parser *p)
{
	if (p->idx >= p->ntoks)
		return &p->toks[p->ntoks - 1];
	return &p->toks[p->idx];
}

static void p_backup(struct parser *p)
{
	if (p->idx > 0)
		p->idx--;
}

static struct tok *p_next_nonspace(struct parser *p)
{
	struct tok *t;

	do {
		if (p->idx >= p->ntoks)
			return &p->toks[p->ntoks - 1];
		t = p_next(p);
	} while (t->type == T_SPACE);
	return t;
}

static struct tok *p_peek_nonspace(struct parser *p)
{
	size_t i = p->idx;

	while (i < p->ntoks && p->toks[i].type == T_SPACE)
		i++;
	if (i >= p->ntoks)
		return &p->toks[p->ntoks - 1];
	p->idx = i;
	return &p->toks[i];
}

/* Go's item.String() */
static void tok_string(struct parser *p, const struct tok *t, char *out, size_t n)
{
	if (t->type == T_EOF) {
		snprintf(out, n, "EOF");
	} else if (t->type == T_ERROR) {
		snprintf(out, n, "%s", t->msg);
	} else if (t->type > T_KEYWORD) {
		snprintf(out, n, "<%.*s>", (int)t->len, p->in + t->pos);
	} else {
		fmt_quote(out, n, p->in + t->pos, t->len, 10);
	}
}

static void p_unexpected(struct parser *p, const struct tok *t, const char *context)
{
	char s[TMPL_ERROR_MAX];

	if (t->type == T_ERROR) {
		p_fail(p, -EINVAL, t->pos, "%s", t->msg);
		return;
	}
	tok_string(p, t, s, sizeof(s));
	p_fail(p, -EINVAL, t->pos, "unexpected %s in %s", s, context);
}

static struct tmpl_node *p_node(struct parser *p, enum tmpl_node_type type, uint32_t off)
{
	struct tmpl_node *n;

	if (p->r)
		return NULL;
	if (++p->nnodes > TMPL_MAX_NODES) {
		p_fail(p, -E2BIG, off, "template has more than %d nodes", TMPL_MAX_NODES);
		return NULL;
	}
	n = arena_alloc(p->arena, sizeof(*n));
	if (!n) {
		p_nomem(p);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	pos_of(p->lines, p->nlines, off, &n->pos);
	return n;
}

static char *p_strdup(struct parser *p, const char *s, size_t len)
{
	char *d = arena_alloc(p->arena, len + 1);

	if (!d) {
		p_nomem(p);
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = 0;
	return d;
}

/* A growable array of pointers, in the arena. */
struct vec {
	void **items;
	size_t n, cap;
};

static bool vec_push(struct parser *p, struct vec *v, void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		void **ni = arena_alloc(p->arena, cap * sizeof(*ni));

		if (!ni) {
			p_nomem(p);
			return false;
		}
		if (v->n)
			memcpy(ni, v->items, v->n * sizeof(*ni));
		v->items = ni;
		v->cap = cap;
	}
	v->items[v->n++] = item;
	return true;
}

static bool p_push_var(struct parser *p, const char *name, size_t len)
{
	if (p->nvars == p->capvars) {
		size_t cap = p->capvars ? p->capvars * 2 : 16;
		struct tmpl_str *nv = arena_alloc(p->arena, cap * sizeof(*nv));

		if (!nv) {
			p_nomem(p);
			return false;
		}
		if (p->nvars)
			memcpy(nv, p->vars, p->nvars * sizeof(*nv));
		p->vars = nv;
		p->capvars = cap;
	}
	p->vars[p->nvars++] = (struct tmpl_str){ .s = name, .len = len };
	return true;
}

static struct tmpl_node *p_pipeline(struct parser *p, const char *context, enum tok_type end);
static struct tmpl_node *p_text_or_action(struct parser *p);

/* Splits ".A.B" (FIELD) or "$x.A.B" (VARIABLE) text into identifiers. */
static bool p_split_idents(struct parser *p, struct tmpl_node *n, const char *s, size_t len,
			   bool is_field)
{
	size_t count = 1, i, start, k = 0;

	if (is_field) {
		s++;
		len--;
	}
	for (i = 0; i < len; i++)
		if (s[i] == '.')
			count++;
	n->field.ident = arena_alloc(p->arena, count * sizeof(*n->field.ident));
	if (!n->field.ident) {
		p_nomem(p);
		return false;
	}
	start = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			char *d = p_strdup(p, s + start, i - start);

			if (!d)
				return false;
			n->field.ident[k++] = (struct tmpl_str){ .s = d, .len = i - start };
			start = i + 1;
		}
	}
	n->field.nident = count;
	return true;
}

/*
 * strconv.UnquoteChar: decodes one character or escape of s[0..n) for a
 * literal quoted with q. Returns the number of bytes consumed, 0 on a
 * syntax error. *multibyte tells whether *ret must be UTF-8 encoded (else
 * it is one byte).
 */
static size_t unquote_char(const char *s, size_t n, char q, uint32_t *ret, bool *multibyte)
{
	unsigned char c;
	size_t w, nd, j;
	uint32_t v = 0;

	*multibyte = false;
	if (n == 0)
		return 0;
	c = (unsigned char)s[0];
	if (c == (unsigned char)q)
		return 0;
	if (c >= 0x80) {
		*ret = tmplutf_decode(s, n, &w);
		*multibyte = true;
		return w;
	}
	if (c != '\\') {
		*ret = c;
		return 1;
	}
	if (n <= 1)
		return 0;
	c = (unsigned char)s[1];
	switch (c) {
	case 'a':
		*ret = '\a';
		return 2;
	case 'b':
		*ret = '\b';
		return 2;
	case 'f':
		*ret = '\f';
		return 2;
	case 'n':
		*ret = '\n';
		return 2;
	case 'r':
		*ret = '\r';
		return 2;
	case 't':
		*ret = '\t';
		return 2;
	case 'v':
		*ret = '\v';
		return 2;
	case '\\':
		*ret = '\\';
		return 2;
	case '\'':
	case '"':
		if (c != (unsigned char)q)
			return 0;
		*ret = c;
		return 2;
	case 'x':
	case 'u':
	case 'U':
		nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (n < 2 + nd)
			return 0;
		for (j = 0; j < nd; j++) {
			char h = s[2 + j];
			uint32_t x;

			if (h >= '0' && h <= '9')
				x = (uint32_t)(h - '0');
			else if (h >= 'a' && h <= 'f')
				x = (uint32_t)(h - 'a' + 10);
			else if (h >= 'A' && h <= 'F')
				x = (uint32_t)(h - 'A' + 10);
			else
				return 0;
			v = v << 4 | x;
		}
		if (c != 'x') {
			if (v > TMPLUTF_MAX_RUNE || (v >= 0xD800 && v <= 0xDFFF))
				return 0;
			*multibyte = true;
		}
		*ret = v;
		return 2 + nd;
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
		v = (uint32_t)(c - '0');
		if (n < 4)
			return 0;
		for (j = 0; j < 2; j++) {
			char h = s[2 + j];

			if (h < '0' || h > '7')
				return 0;
			v = v << 3 | (uint32_t)(h - '0');
		}
		if (v > 255)
			return 0;
		*ret = v;
		return 4;
	default:
		return 0;
	}
}

/* strconv.Unquote of a token's text into the arena. */
static bool p_unquote(struct parser *p, const struct tok *t, struct tmpl_str *ret)
{
	const char *s = p->in + t->pos;
	size_t n = t->len, i, o = 0;
	char *d;

	d = arena_alloc(p->arena, n * 3 + 1);
	if (!d) {
		p_nomem(p);
		return false;
	}
	if (s[0] == '`') {
		for (i = 1; i + 1 < n; i++)
			if (s[i] != '\r')
				d[o++] = s[i];
		d[o] = 0;
		*ret = (struct tmpl_str){ .s = d, .len = o };
		return true;
	}
	for (i = 1; i + 1 < n;) {
		uint32_t r;
		bool mb;
		size_t k = unquote_char(s + i, n - 1 - i, '"', &r, &mb);

		if (k == 0 || s[i] == '\n') {
			p_fail(p, -EINVAL, t->pos, "invalid syntax");
			return false;
		}
		i += k;
		if (r < 0x80 || !mb)
			d[o++] = (char)r;
		else
			o += tmplutf_encode(r, d + o);
	}
	d[o] = 0;
	*ret = (struct tmpl_str){ .s = d, .len = o };
	return true;
}

/* strconv.ParseUint(s, 0, 64) */
static bool parse_uint0(const char *s, size_t n, uint64_t *ret)
{
	const char *s0 = s;
	size_t n0 = n, i;
	unsigned base = 10;
	bool underscores = false, range = false;
	uint64_t v = 0;

	if (n == 0)
		return false;
	if (s[0] == '0') {
		char c = n >= 3 ? (char)(s[1] | 0x20) : 0;

		if (c == 'b' || c == 'o' || c == 'x') {
			base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
			s += 2;
			n -= 2;
		} else {
			base = 8;
			s++;
			n--;
		}
	}
	for (i = 0; i < n; i++) {
		char c = s[i], lc = (char)(c | 0x20);
		unsigned d;

		if (c == '_') {
			underscores = true;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (lc >= 'a' && lc <= 'z')
			d = (unsigned)(lc - 'a' + 10);
		else
			return false;
		if (d >= base)
			return false;
		if (v > (UINT64_MAX - d) / base)
			range = true;
		else
			v = v * base + d;
	}
	if (underscores && !goparse_underscore_ok(s0, n0))
		return false;
	if (range)
		return false;
	*ret = v;
	return true;
}

/* strconv.ParseInt(s, 0, 64) */
static bool parse_int0(const char *s, size_t n, int64_t *ret)
{
	bool neg = false;
	uint64_t u;

	if (n == 0)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if (!parse_uint0(s, n, &u))
		return false;
	if (!neg && u > (uint64_t)INT64_MAX)
		return false;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return false;
	*ret = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* strconv.ParseFloat(s, 64) for the syntax the lexer can produce; false on error. */
static bool parse_float(const char *s, size_t n, double *ret)
{
	size_t i = 0;
	bool hex = false, sawdot = false, sawdigits = false, underscores = false;
	char buf[128], *end;
	size_t o = 0;
	double f;

	if (n == 0 || n >= sizeof(buf))
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	if (i + 2 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
		hex = true;
		i += 2;
	}
	for (; i < n; i++) {
		char c = s[i];

		if (c == '_') {
			underscores = true;
			continue;
		}
		if (c == '.') {
			if (sawdot)
				break;
			sawdot = true;
			continue;
		}
		if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
			sawdigits = true;
			continue;
		}
		break;
	}
	if (!sawdigits)
		return false;
	if (i < n && (s[i] | 0x20) == (hex ? 'p' : 'e')) {
		i++;
		if (i >= n)
			return false;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
			if (s[i] == '_')
				underscores = true;
			i++;
		}
	} else if (hex) {
		return false;
	}
	if (i != n)
		return false;
	if (underscores && !goparse_underscore_ok(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			buf[o++] = s[i];
	buf[o] = 0;
	errno = 0;
	f = strtod(buf, &end);
	if (end != buf + o)
		return false;
	if (isinf(f))
		return false; /* out of range: Go reports an error */
	*ret = f;
	return true;
}

/* Go's parse.Tree.newNumber */
static struct tmpl_node *p_number(struct parser *p, const struct tok *t)
{
	const char *s = p->in + t->pos;
	size_t n = t->len;
	struct tmpl_node *node = p_node(p, TMPL_NODE_NUMBER, t->pos);
	struct tmpl_number *v;
	char q[64];

	if (!node)
		return NULL;
	node->src_len = t->len;
	v = &node->number.v;
	node->number.text.s = p_strdup(p, s, n);
	node->number.text.len = n;
	if (!node->number.text.s)
		return NULL;
	if (t->type == T_COMPLEX) {
		p_fail(p, -EINVAL, t->pos,
		       "complex number constant %.*s is not supported by vaultlet", (int)n, s);
		return NULL;
	}
	if (t->type == T_CHARCONST) {
		uint32_t r;
		bool mb;
		size_t k = unquote_char(s + 1, n - 1, '\'', &r, &mb);

		if (k == 0) {
			p_fail(p, -EINVAL, t->pos, "invalid syntax");
			return NULL;
		}
		if (1 + k != n - 1) {
			p_fail(p, -EINVAL, t->pos, "malformed character constant: %.*s",
			       (int)VL_MIN(n, 40u), s);
			return NULL;
		}
		v->is_int = v->is_uint = v->is_float = true;
		v->is_char = true;
		v->i = r;
		v->u = r;
		v->f = r;
		return node;
	}
	if (n > 0 && s[n - 1] == 'i') {
		double f;

		if (parse_float(s, n - 1, &f)) {
			p_fail(p, -EINVAL, t->pos,
			       "imaginary number constant %.*s is not supported by vaultlet",
			       (int)n, s);
			return NULL;
		}
	}
	if (parse_uint0(s, n, &v->u))
		v->is_uint = true;
	if (parse_int0(s, n, &v->i)) {
		v->is_int = true;
		if (v->i == 0) {
			v->is_uint = true;
			v->u = 0;
		}
	}
	if (v->is_int) {
		v->is_float = true;
		v->f = (double)v->i;
	} else if (v->is_uint) {
		v->is_float = true;
		v->f = (double)v->u;
	} else {
		double f;

		if (parse_float(s, n, &f)) {
			if (!memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n) &&
			    !memchr(s, 'p', n) && !memchr(s, 'P', n)) {
				fmt_quote(q, sizeof(q), s, n, 64);
				p_fail(p, -EINVAL, t->pos, "integer overflow: %s", q);
				return NULL;
			}
			v->is_float = true;
			v->f = f;
			if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
			    (double)(int64_t)f == f) {
				v->is_int = true;
				v->i = (int64_t)f;
			}
			if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
				v->is_uint = true;
				v->u = (uint64_t)f;
			}
		}
	}
	if (!v->is_int && !v->is_uint && !v->is_float) {
		fmt_quote(q, sizeof(q), s, n, 64);
		p_fail(p, -EINVAL, t->pos, "illegal number syntax: %s", q);
		return NULL;
	}
	return node;
}

static bool p_has_var(struct parser *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->nvars; i++)
		if (p->vars[i].len == len && memcmp(p->vars[i].s, name, len) == 0)
			return true;
	return false;
}

static bool p_depth_enter(struct parser *p, uint32_t off)
{
	if (++p->depth > TMPL_MAX_DEPTH) {
		p_fail(p, -E2BIG, off, "nesting deeper than %d levels (blocks and parentheses)",
		       TMPL_MAX_DEPTH);
		return false;
	}
	return true;
}

static bool func_lookup(const char *s, size_t n, unsigned flags, enum tmpl_func *ret)
{
	int i;

	for (i = 0; i < TMPL_FN__COUNT; i++) {
		if (strlen(func_names[i]) == n && memcmp(func_names[i], s, n) == 0) {
			if (i == TMPL_FN_SHELLQUOTE && !(flags & TMPL_PARSE_SHELLQUOTE))
				return false;
			*ret = (enum tmpl_func)i;
			return true;
		}
	}
	return false;
}

/* Whether vaultlet refuses the name on purpose; *why: the reason, for a sprig_ name. */
static bool func_unsupported(const char *s, size_t n, const char **why)
{
	size_t i;

	*why = NULL;
	if (n > 6 && memcmp(s, "sprig_", 6) == 0) {
		for (i = 0; i < ARRAY_SIZE(sprig_refused); i++)
			if (strlen(sprig_refused[i].name) == n - 6 &&
			    memcmp(sprig_refused[i].name, s + 6, n - 6) == 0) {
				*why = sprig_refused[i].why;
				return true;
			}
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(unsupported_funcs); i++)
		if (strlen(unsupported_funcs[i]) == n && memcmp(unsupported_funcs[i], s, n) == 0)
			return true;
	return false;
}

static struct tmpl_node *p_term(struct parser *p)
{
	struct tok *t = p_next_nonspace(p);
	struct tmpl_node *n;

	switch (t->type) {
	case T_IDENT: {
		enum tmpl_func fn;
		const char *s = p->in + t->pos, *why;

		if (!func_lookup(s, t->len, p->flags, &fn)) {
			if (t->len == 10 && memcmp(s, "shellQuote", 10) == 0)
				p_fail(
				    p, -EINVAL, t->pos,
				    "function \"shellQuote\" not defined (it is a vaultlet "
				    "extension that must be enabled; real Vault Agent rejects it)");
			else if (func_unsupported(s, t->len, &why))
				p_fail(p, -EINVAL, t->pos,
				       "function \"%.*s\" is not supported by vaultlet (%s; see "
				       "docs/templates.md)",
				       (int)t->len, s, why ? why : "consul-template defines it");
			else
				p_fail(p, -EINVAL, t->pos, "function \"%.*s\" not defined",
				       (int)t->len, s);
			return NULL;
		}
		n = p_node(p, TMPL_NODE_IDENT, t->pos);
		if (!n)
			return NULL;
		n->ident.fn = fn;
		n->ident.name = func_names[fn];
		n->src_len = t->len;
		return n;
	}
	case T_DOT:
		n = p_node(p, TMPL_NODE_DOT, t->pos);
		if (n)
			n->src_len = 1;
		return n;
	case T_NIL:
		n = p_node(p, TMPL_NODE_NIL, t->pos);
		if (n)
			n->src_len = 3;
		return n;
	case T_VARIABLE: {
		const char *s = p->in + t->pos;

		if (!p_has_var(p, s, t->len)) {
			p_fail(p, -EINVAL, t->pos, "undefined variable \"%.*s\"", (int)t->len, s);
			return NULL;
		}
		n = p_node(p, TMPL_NODE_VARIABLE, t->pos);
		if (!n || !p_split_idents(p, n, s, t->len, false))
			return NULL;
		n->src_len = t->len;
		return n;
	}
	case T_FIELD:
		n = p_node(p, TMPL_NODE_FIELD, t->pos);
		if (!n || !p_split_idents(p, n, p->in + t->pos, t->len, true))
			return NULL;
		n->src_len = t->len;
		return n;
	case T_BOOL:
		n = p_node(p, TMPL_NODE_BOOL, t->pos);
		if (!n)
			return NULL;
		n->boolean = p->in[t->pos] == 't';
		n->src_len = t->len;
		return n;
	case T_CHARCONST:
	case T_COMPLEX:
	case T_NUMBER:
		return p_number(p, t);
	case T_LPAREN: {
		if (!p_depth_enter(p, t->pos))
			return NULL;
		n = p_pipeline(p, "parenthesized pipeline", T_RPAREN);
		p->depth--;
		if (n) {
			uint32_t end = p->toks[p->idx - 1].pos + 1;

			n->pos.offset = t->pos;
			pos_of(p->lines, p->nlines, t->pos, &n->pos);
			n->src_len = end - t->pos;
		}
		return n;
	}
	case T_STRING:
	case T_RAWSTRING:
		n = p_node(p, TMPL_NODE_STRING, t->pos);
		if (!n || !p_unquote(p, t, &n->str))
			return NULL;
		n->src_len = t->len;
		return n;
	default:
		break;
	}
	p_backup(p);
	return NULL;
}

static const char *node_kind_name(const struct tmpl_node *n)
{
	switch (n->type) {
	case TMPL_NODE_BOOL:
		return n->boolean ? "true" : "false";
	case TMPL_NODE_NIL:
		return "nil";
	case TMPL_NODE_DOT:
		return ".";
	default:
		return NULL;
	}
}

static struct tmpl_node *p_operand(struct parser *p)
{
	struct tmpl_node *node = p_term(p), *chain;
	struct vec fields = { 0 };
	uint32_t start;

	if (!node)
		return NULL;
	if (p_peek(p)->type != T_FIELD)
		return node;
	start = node->pos.offset;
	while (p_peek(p)->type == T_FIELD) {
		struct tok *t = p_next(p);
		struct tmpl_str *f = arena_alloc(p->arena, sizeof(*f));

		if (!f) {
			p_nomem(p);
			return NULL;
		}
		f->s = p_strdup(p, p->in + t->pos + 1, t->len - 1);
		f->len = t->len - 1;
		if (!f->s || !vec_push(p, &fields, f))
			return NULL;
		node->src_len = t->pos + t->len - start;
	}
	switch (node->type) {
	case TMPL_NODE_FIELD:
	case TMPL_NODE_VARIABLE: {
		size_t total = node->field.nident + fields.n, i;
		struct tmpl_str *id = arena_alloc(p->arena, total * sizeof(*id));

		if (!id) {
			p_nomem(p);
			return NULL;
		}
		memcpy(id, node->field.ident, node->field.nident * sizeof(*id));
		for (i = 0; i < fields.n; i++)
			id[node->field.nident + i] = *(struct tmpl_str *)fields.items[i];
		node->field.ident = id;
		node->field.nident = total;
		return node;
	}
	case TMPL_NODE_BOOL:
	case TMPL_NODE_STRING:
	case TMPL_NODE_NUMBER:
	case TMPL_NODE_NIL:
	case TMPL_NODE_DOT: {
		const char *k = node_kind_name(node);

		if (k)
			p_fail(p, -EINVAL, node->pos.offset, "unexpected . after term \"%s\"", k);
		else
			p_fail(p, -EINVAL, node->pos.offset, "unexpected . after term %.*s",
			       (int)VL_MIN(node->src_len, 40u), p->in + node->pos.offset);
		return NULL;
	}
	default:
		break;
	}
	chain = p_node(p, TMPL_NODE_CHAIN, start);
	if (!chain)
		return NULL;
	chain->chain.node = node;
	chain->chain.field = arena_alloc(p->arena, fields.n * sizeof(struct tmpl_str));
	if (!chain->chain.field) {
		p_nomem(p);
		return NULL;
	}
	for (size_t i = 0; i < fields.n; i++)
		chain->chain.field[i] = *(struct tmpl_str *)fields.items[i];
	chain->chain.nfield = fields.n;
	chain->src_len = node->src_len;
	return chain;
}

static struct tmpl_node *p_command(struct parser *p)
{
	struct tmpl_node *cmd = p_node(p, TMPL_NODE_COMMAND, p_peek_nonspace(p)->pos);
	struct vec args = { 0 };
	struct tok *t;

	if (!cmd)
		return NULL;
	for (;;) {
		struct tmpl_node *op;

		p_peek_nonspace(p);
		op = p_operand(p);
		if (p->r)
			return NULL;
		if (op && !vec_push(p, &args, op))
			return NULL;
		t = p_next(p);
		switch (t->type) {
		case T_SPACE:
			continue;
		case T_RDELIM:
		case T_RPAREN:
			p_backup(p);
			break;
		case T_PIPE:
			break;
		default:
			p_unexpected(p, t, "operand");
			return NULL;
		}
		break;
	}
	if (args.n == 0) {
		p_fail(p, -EINVAL, cmd->pos.offset, "empty command");
		return NULL;
	}
	cmd->cmd.args = (struct tmpl_node **)args.items;
	cmd->cmd.nargs = args.n;
	{
		struct tmpl_node *last = cmd->cmd.args[args.n - 1];

		cmd->src_len = last->pos.offset + last->src_len - cmd->pos.offset;
	}
	return cmd;
}

static struct tmpl_node *p_pipeline(struct parser *p, const char *context, enum tok_type end)
{
	struct tok *t = p_peek_nonspace(p);
	struct tmpl_node *pipe = p_node(p, TMPL_NODE_PIPE, t->pos);
	struct vec cmds = { 0 };
	struct vec decls = { 0 };

	if (!pipe)
		return NULL;
decls:
	t = p_peek_nonspace(p);
	if (t->type == T_VARIABLE) {
		size_t vidx = p->idx;
		struct tok *v = p_next(p);
		struct tok *next = p_peek_nonspace(p);
		struct tmpl_str *name;

		if (next->type == T_ASSIGN || next->type == T_DECLARE ||
		    (next->type == T_CHAR && p->in[next->pos] == ',')) {
			bool comma = next->type == T_CHAR;

			pipe->pipe.is_assign = next->type == T_ASSIGN;
			p_next_nonspace(p);
			name = arena_alloc(p->arena, sizeof(*name));
			if (!name) {
				p_nomem(p);
				return NULL;
			}
			name->s = p_strdup(p, p->in + v->pos, v->len);
			name->len = v->len;
			if (!name->s || !vec_push(p, &decls, name) ||
			    !p_push_var(p, name->s, name->len))
				return NULL;
			if (comma) {
				if (strcmp(context, "range") == 0 && decls.n < 2) {
					switch (p_peek_nonspace(p)->type) {
					case T_VARIABLE:
					case T_RDELIM:
					case T_RPAREN:
						goto decls;
					default:
						p_fail(p, -EINVAL, next->pos,
						       "range can only initialize variables");
						return NULL;
					}
				}
				p_fail(p, -EINVAL, next->pos, "too many declarations in %s",
				       context);
				return NULL;
			}
		} else {
			p->idx = vidx;
		}
	}
	for (;;) {
		t = p_next_nonspace(p);
		if (t->type == end) {
			if (cmds.n == 0) {
				p_fail(p, -EINVAL, t->pos, "missing value for %s", context);
				return NULL;
			}
			for (size_t i = 1; i < cmds.n; i++) {
				struct tmpl_node *c = cmds.items[i];

				switch (c->cmd.args[0]->type) {
				case TMPL_NODE_BOOL:
				case TMPL_NODE_DOT:
				case TMPL_NODE_NIL:
				case TMPL_NODE_NUMBER:
				case TMPL_NODE_STRING:
					p_fail(p, -EINVAL, c->pos.offset,
					       "non executable command in pipeline stage %zu",
					       i + 1);
					return NULL;
				default:
					break;
				}
			}
			pipe->pipe.cmds = (struct tmpl_node **)cmds.items;
			pipe->pipe.ncmds = cmds.n;
			if (decls.n) {
				pipe->pipe.decl =
				    arena_alloc(p->arena, decls.n * sizeof(struct tmpl_str));
				if (!pipe->pipe.decl) {
					p_nomem(p);
					return NULL;
				}
				for (size_t i = 0; i < decls.n; i++)
					pipe->pipe.decl[i] = *(struct tmpl_str *)decls.items[i];
				pipe->pipe.ndecl = decls.n;
			}
			pipe->src_len = t->pos - pipe->pos.offset;
			return pipe;
		}
		switch (t->type) {
		case T_BOOL:
		case T_CHARCONST:
		case T_COMPLEX:
		case T_DOT:
		case T_FIELD:
		case T_IDENT:
		case T_NUMBER:
		case T_NIL:
		case T_RAWSTRING:
		case T_STRING:
		case T_VARIABLE:
		case T_LPAREN: {
			struct tmpl_node *c;

			p_backup(p);
			c = p_command(p);
			if (!c || !vec_push(p, &cmds, c))
				return NULL;
			break;
		}
		default:
			p_unexpected(p, t, context);
			return NULL;
		}
	}
}

/* itemList: nodes up to {{end}} or {{else}} (left in p->last_kind). */
static bool p_item_list(struct parser *p, struct tmpl_list *ret)
{
	struct vec items = { 0 };

	while (p_peek_nonspace(p)->type != T_EOF) {
		struct tmpl_node *n;

		if (p_peek_nonspace(p)->type == T_ERROR) {
			p_unexpected(p, p_peek_nonspace(p), "input");
			return false;
		}
		n = p_text_or_action(p);
		if (p->r)
			return false;
		if (p->last_kind != P_NODE) {
			ret->items = (struct tmpl_node **)items.items;
			ret->n = items.n;
			return true;
		}
		if (n && !vec_push(p, &items, n))
			return false;
	}
	p_fail(p, -EINVAL, p_peek(p)->pos, "unexpected EOF");
	return false;
}

static struct tmpl_node *p_if_control(struct parser *p, uint32_t kw_pos);

static struct tmpl_node *p_control(struct parser *p, enum tmpl_node_type type, uint32_t kw_pos,
				   const char *context)
{
	size_t saved_vars = p->nvars;
	struct tmpl_node *n = p_node(p, type, kw_pos), *pipe;

	if (!n || !p_depth_enter(p, kw_pos))
		return NULL;
	pipe = p_pipeline(p, context, T_RDELIM);
	if (!pipe)
		return NULL;
	n->branch.pipe = pipe;
	n->src_len = pipe->pos.offset + pipe->src_len - kw_pos;
	if (type == TMPL_NODE_RANGE)
		p->range_depth++;
	if (!p_item_list(p, &n->branch.list))
		return NULL;
	if (type == TMPL_NODE_RANGE)
		p->range_depth--;
	if (p->last_kind == P_ELSE) {
		n->branch.has_else = true;
		if ((type == TMPL_NODE_IF && p_peek(p)->type == T_IF) ||
		    (type == TMPL_NODE_WITH && p_peek(p)->type == T_WITH)) {
			struct tok *ift = p_next(p);
			struct tmpl_node *elif;

			n->branch.else_list.items =
			    arena_alloc(p->arena, sizeof(*n->branch.else_list.items));
			if (!n->branch.else_list.items) {
				p_nomem(p);
				return NULL;
			}
			elif = type == TMPL_NODE_IF
				   ? p_if_control(p, ift->pos)
				   : p_control(p, TMPL_NODE_WITH, ift->pos, "with");
			if (!elif)
				return NULL;
			n->branch.else_list.items[0] = elif;
			n->branch.else_list.n = 1;
		} else {
			if (!p_item_list(p, &n->branch.else_list))
				return NULL;
			if (p->last_kind != P_END) {
				p_fail(p, -EINVAL, p->last_pos, "expected end; found {{else}}");
				return NULL;
			}
		}
	}
	p->last_kind = P_NODE;
	p->nvars = saved_vars;
	p->depth--;
	return n;
}

static struct tmpl_node *p_if_control(struct parser *p, uint32_t kw_pos)
{
	return p_control(p, TMPL_NODE_IF, kw_pos, "if");
}

/* Go's Tree.IsEmptyTree: only blank text (bytes.TrimSpace) and comments. */
static bool blank_text(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t w = 1;
		uint32_t r = c;

		if (c >= 0x80)
			r = tmplutf_decode(s + i, n - i, &w);
		if (!(r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xa0 ||
		      r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 ||
		      r == 0x202f || r == 0x205f || r == 0x3000))
			return false;
		i += w;
	}
	return true;
}

static bool empty_tree(const struct tmpl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct tmpl_node *n = l->items[i];

		if (n->type != TMPL_NODE_TEXT || !blank_text(n->text.s, n->text.len))
			return false;
	}
	return true;
}

/* Go's parse.add: a blank template never replaces a non-blank one; two non-blank ones clash. */
static bool p_add_def(struct parser *p, uint32_t pos, struct tmpl_str name,
		      const struct tmpl_list *list)
{
	struct tmpl *t = p->t;
	struct tmpl_def *grown;
	size_t i;

	for (i = 0; i < t->ndefs; i++) {
		struct tmpl_def *d = &t->defs[i];

		if (d->name.len != name.len || memcmp(d->name.s, name.s, name.len) != 0)
			continue;
		if (empty_tree(d->list)) {
			d->list = list;
		} else if (!empty_tree(list)) {
			p_fail(p, -EINVAL, pos,
			       "template: multiple definition of template \"%.*s\"",
			       (int)VL_MIN(name.len, 64u), name.s);
			return false;
		}
		return true;
	}
	if (t->ndefs >= TMPL_MAX_DEFS) {
		p_fail(p, -E2BIG, pos, "more than %d named templates", TMPL_MAX_DEFS);
		return false;
	}
	grown = arena_alloc(p->arena, (t->ndefs + 1) * sizeof(*grown));
	if (!grown) {
		p_nomem(p);
		return false;
	}
	if (t->ndefs)
		memcpy(grown, t->defs, t->ndefs * sizeof(*grown));
	grown[t->ndefs++] = (struct tmpl_def){ name, list };
	t->defs = grown;
	return true;
}

/* The quoted name after define/template/block. */
static bool p_template_name(struct parser *p, const char *context, struct tmpl_str *ret)
{
	struct tok *t = p_next_nonspace(p);

	if (t->type != T_STRING && t->type != T_RAWSTRING) {
		p_unexpected(p, t, context);
		return false;
	}
	if (!p_unquote(p, t, ret))
		return false;
	if (ret->len == 0) {
		p_fail(p, -EINVAL, t->pos,
		       "a template named \"\" (the main template) is not supported by vaultlet");
		return false;
	}
	return true;
}

/*
 * The body of a define or block: a template of its own (Go's new Tree),
 * so only $ is in scope and break/continue need a range of their own.
 */
static bool p_body(struct parser *p, const char *context, struct tmpl_list *ret)
{
	struct tmpl_str *saved_vars = p->vars;
	size_t saved_n = p->nvars, saved_cap = p->capvars;
	int saved_range = p->range_depth;

	p->vars = NULL;
	p->nvars = p->capvars = 0;
	p->range_depth = 0;
	if (!p_push_var(p, "$", 1) || !p_item_list(p, ret))
		return false;
	if (p->last_kind == P_ELSE) {
		p_fail(p, -EINVAL, p->last_pos, "unexpected {{else}} in %s", context);
		return false;
	}
	p->last_kind = P_NODE;
	p->vars = saved_vars;
	p->nvars = saved_n;
	p->capvars = saved_cap;
	p->range_depth = saved_range;
	return true;
}

/* {{define "name"}} ... {{end}}, at the top level; t is the keyword. */
static struct tmpl_node *p_define(struct parser *p, const struct tok *t)
{
	struct tmpl_node *n = p_node(p, TMPL_NODE_DEFINE, t->pos);
	struct tok *r;

	if (!n || !p_depth_enter(p, t->pos) || !p_template_name(p, "define clause", &n->named.name))
		return NULL;
	r = p_next_nonspace(p);
	if (r->type != T_RDELIM) {
		p_unexpected(p, r, "define clause");
		return NULL;
	}
	n->src_len = r->pos - t->pos;
	if (!p_body(p, "define clause", &n->named.list) ||
	    !p_add_def(p, t->pos, n->named.name, &n->named.list))
		return NULL;
	p->depth--;
	return n;
}

/* {{template "name"}}, {{template "name" pipeline}} */
static struct tmpl_node *p_template(struct parser *p, const struct tok *t)
{
	struct tmpl_node *n = p_node(p, TMPL_NODE_TEMPLATE, t->pos);
	struct tok *r;

	if (!n || !p_template_name(p, "template clause", &n->named.name))
		return NULL;
	r = p_peek_nonspace(p);
	if (r->type == T_RDELIM) {
		p_next_nonspace(p);
		n->src_len = r->pos - t->pos;
		return n;
	}
	n->named.pipe = p_pipeline(p, "template clause", T_RDELIM);
	if (!n->named.pipe)
		return NULL;
	n->src_len = n->named.pipe->pos.offset + n->named.pipe->src_len - t->pos;
	return n;
}

/* {{block "name" pipeline}} ... {{end}}: define "name", then template "name" pipeline. */
static struct tmpl_node *p_block(struct parser *p, const struct tok *t)
{
	struct tmpl_node *n = p_node(p, TMPL_NODE_TEMPLATE, t->pos);

	if (!n || !p_depth_enter(p, t->pos) || !p_template_name(p, "block clause", &n->named.name))
		return NULL;
	n->named.pipe = p_pipeline(p, "block clause", T_RDELIM);
	if (!n->named.pipe)
		return NULL;
	n->src_len = n->named.pipe->pos.offset + n->named.pipe->src_len - t->pos;
	if (!p_body(p, "block clause", &n->named.list) ||
	    !p_add_def(p, t->pos, n->named.name, &n->named.list))
		return NULL;
	p->depth--;
	return n;
}

static struct tmpl_node *p_action(struct parser *p)
{
	struct tok *t = p_next_nonspace(p);
	struct tmpl_node *n;

	switch (t->type) {
	case T_BLOCK:
		return p_block(p, t);
	case T_TEMPLATE:
		return p_template(p, t);
	case T_DEFINE:
		/* only at the top level (p_parse); anywhere else Go reads a command */
		p_unexpected(p, t, "command");
		return NULL;
	case T_BREAK:
	case T_CONTINUE: {
		bool brk = t->type == T_BREAK;
		struct tok *r = p_next_nonspace(p);

		if (r->type != T_RDELIM) {
			p_unexpected(p, r, brk ? "{{break}}" : "{{continue}}");
			return NULL;
		}
		if (p->range_depth == 0) {
			p_fail(p, -EINVAL, t->pos, "{{%s}} outside {{range}}",
			       brk ? "break" : "continue");
			return NULL;
		}
		n = p_node(p, brk ? TMPL_NODE_BREAK : TMPL_NODE_CONTINUE, t->pos);
		if (n)
			n->src_len = t->len;
		return n;
	}
	case T_ELSE: {
		struct tok *peek = p_peek_nonspace(p);

		/* {{else if}} and (Go >= 1.23) {{else with}} leave the keyword pending */
		if (peek->type != T_IF && peek->type != T_WITH) {
			struct tok *r = p_next_nonspace(p);

			if (r->type != T_RDELIM) {
				p_unexpected(p, r, "else");
				return NULL;
			}
		}
		p->last_kind = P_ELSE;
		p->last_pos = t->pos;
		return NULL;
	}
	case T_END: {
		struct tok *r = p_next_nonspace(p);

		if (r->type != T_RDELIM) {
			p_unexpected(p, r, "end");
			return NULL;
		}
		p->last_kind = P_END;
		p->last_pos = t->pos;
		return NULL;
	}
	case T_IF:
		return p_control(p, TMPL_NODE_IF, t->pos, "if");
	case T_RANGE:
		return p_control(p, TMPL_NODE_RANGE, t->pos, "range");
	case T_WITH:
		return p_control(p, TMPL_NODE_WITH, t->pos, "with");
	default:
		break;
	}
	p_backup(p);
	{
		struct tmpl_node *pipe;
		uint32_t start = p->action_start;

		n = p_node(p, TMPL_NODE_ACTION, start);
		if (!n)
			return NULL;
		pipe = p_pipeline(p, "command", T_RDELIM);
		if (!pipe)
			return NULL;
		n->action.pipe = pipe;
		n->src_len = pipe->pos.offset + pipe->src_len - start;
		return n;
	}
}

static struct tmpl_node *p_text_or_action(struct parser *p)
{
	struct tok *t = p_next_nonspace(p);
	struct tmpl_node *n;

	p->last_kind = P_NODE;
	switch (t->type) {
	case T_TEXT:
		n = p_node(p, TMPL_NODE_TEXT, t->pos);
		if (!n)
			return NULL;
		n->text.s = p->in + t->pos;
		n->text.len = t->len;
		n->src_len = t->len;
		return n;
	case T_LDELIM:
		p->action_start = t->pos;
		return p_action(p);
	default:
		p_unexpected(p, t, "input");
		return NULL;
	}
}

static int p_parse(struct parser *p)
{
	struct vec items = { 0 };

	while (p_peek(p)->type != T_EOF) {
		struct tmpl_node *n;

		if (p_peek(p)->type == T_LDELIM) {
			size_t at = p->idx;
			struct tok *t;

			p_next(p);
			t = p_next_nonspace(p);
			if (t->type == T_DEFINE) {
				p->action_start = p->toks[at].pos;
				n = p_define(p, t);
				if (!n)
					return p->r;
				if (!vec_push(p, &items, n))
					return p->r;
				continue;
			}
			p->idx = at;
		}
		n = p_text_or_action(p);
		if (p->r)
			return p->r;
		if (p->last_kind == P_END) {
			p_fail(p, -EINVAL, p->last_pos, "unexpected {{end}}");
			return p->r;
		}
		if (p->last_kind == P_ELSE) {
			p_fail(p, -EINVAL, p->last_pos, "unexpected {{else}}");
			return p->r;
		}
		if (n && !vec_push(p, &items, n))
			return p->r;
	}
	p->t->root.items = (struct tmpl_node **)items.items;
	p->t->root.n = items.n;
	return 0;
}

static bool compute_lines(struct parser *p)
{
	size_t i, k = 1;

	for (i = 0; i < p->n; i++)
		if (p->in[i] == '\n')
			k++;
	p->lines = arena_alloc(p->arena, k * sizeof(*p->lines));
	if (!p->lines)
		return false;
	p->lines[0] = 0;
	k = 1;
	for (i = 0; i < p->n; i++)
		if (p->in[i] == '\n')
			p->lines[k++] = (uint32_t)(i + 1);
	p->nlines = k;
	return true;
}

int tmpl_parse(const char *text, size_t len, const struct tmpl_parse_opts *opts, struct tmpl **ret,
	       struct tmpl_error *err)
{
	struct lexer l = { 0 };
	struct parser p = { 0 };
	struct tmpl *t = NULL;
	struct arena *arena = NULL;
	char *copy;
	const char *ld = opts && opts->left_delim && *opts->left_delim ? opts->left_delim : "{{";
	const char *rd = opts && opts->right_delim && *opts->right_delim ? opts->right_delim : "}}";
	int r;

	if (err)
		*err = (struct tmpl_error){ .line = 1, .col = 1 };
	if (len > TMPL_MAX_TEXT) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "template is %zu bytes, more than the %d allowed", len,
				 TMPL_MAX_TEXT);
		return -E2BIG;
	}
	if (strlen(ld) > TMPL_MAX_DELIM || strlen(rd) > TMPL_MAX_DELIM) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "delimiter longer than %d bytes",
				 TMPL_MAX_DELIM);
		return -EINVAL;
	}
	arena = malloc(sizeof(*arena));
	if (!arena)
		return -ENOMEM;
	arena_init(arena);
	t = arena_alloc(arena, sizeof(*t));
	copy = arena_alloc(arena, len + 1);
	if (!t || !copy) {
		r = -ENOMEM;
		goto out;
	}
	memset(t, 0, sizeof(*t));
	if (len)
		memcpy(copy, text, len);
	copy[len] = 0;
	t->text = copy;
	t->text_len = len;
	t->flags = opts ? opts->flags : 0;
	t->arena = arena;

	l.in = copy;
	l.n = len;
	l.ld = ld;
	l.rd = rd;
	l.ldn = strlen(ld);
	l.rdn = strlen(rd);
	l.arena = arena;
	p.t = t;
	p.arena = arena;
	p.in = copy;
	p.n = len;
	p.err = err;
	p.flags = t->flags;
	if (!compute_lines(&p)) {
		r = -ENOMEM;
		goto out;
	}
	r = lex_all(&l);
	if (r == -E2BIG) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "template has too many tokens");
		goto out;
	}
	if (r < 0)
		goto out;
	p.toks = l.toks;
	p.ntoks = l.ntoks;
	if (!p_push_var(&p, "$", 1)) {
		r = -ENOMEM;
		goto out;
	}
	r = p_parse(&p);
	if (r < 0)
		goto out;
	*ret = t;
	t = NULL;
	arena = NULL;
	r = 0;
out:
	free(l.toks);
	arena_free(arena);
	return r;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	arena_free(t->arena);
}

void tmpl_position(const struct tmpl *t, uint32_t off, struct tmpl_pos *ret)
{
	int line = 1;
	uint32_t start = 0, i;

	for (i = 0; i < off && i < t->text_len; i++) {
		if (t->text[i] == '\n') {
			line++;
			start = i + 1;
		}
	}
	ret->offset = off;
	ret->line = line;
	ret->col = (int)(off - start) + 1;
}

/* ------------------------------------------------------------------ */
/* Walking and the shell lint                                          */

static bool walk_list(const struct tmpl_list *l, bool (*fn)(const struct tmpl_node *, void *),
		      void *ctx);

static bool walk_node(const struct tmpl_node *n, bool (*fn)(const struct tmpl_node *, void *),
		      void *ctx)
{
	size_t i;

	if (!n)
		return true;
	if (!fn(n, ctx))
		return false;
	switch (n->type) {
	case TMPL_NODE_ACTION:
		return walk_node(n->action.pipe, fn, ctx);
	case TMPL_NODE_IF:
	case TMPL_NODE_WITH:
	case TMPL_NODE_RANGE:
		return walk_node(n->branch.pipe, fn, ctx) && walk_list(&n->branch.list, fn, ctx) &&
		       walk_list(&n->branch.else_list, fn, ctx);
	case TMPL_NODE_PIPE:
		for (i = 0; i < n->pipe.ncmds; i++)
			if (!walk_node(n->pipe.cmds[i], fn, ctx))
				return false;
		return true;
	case TMPL_NODE_COMMAND:
		for (i = 0; i < n->cmd.nargs; i++)
			if (!walk_node(n->cmd.args[i], fn, ctx))
				return false;
		return true;
	case TMPL_NODE_CHAIN:
		return walk_node(n->chain.node, fn, ctx);
	case TMPL_NODE_DEFINE:
	case TMPL_NODE_TEMPLATE:
		return walk_node(n->named.pipe, fn, ctx) && walk_list(&n->named.list, fn, ctx);
	default:
		return true;
	}
}

static bool walk_list(const struct tmpl_list *l, bool (*fn)(const struct tmpl_node *, void *),
		      void *ctx)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!walk_node(l->items[i], fn, ctx))
			return false;
	return true;
}

const struct tmpl_list *tmpl_lookup(const struct tmpl *t, const char *name, size_t len)
{
	if (len == 0)
		return &t->root;
	for (size_t i = 0; i < t->ndefs; i++)
		if (t->defs[i].name.len == len && memcmp(t->defs[i].name.s, name, len) == 0)
			return t->defs[i].list;
	return NULL;
}

void tmpl_walk(const struct tmpl *t, bool (*fn)(const struct tmpl_node *n, void *ctx), void *ctx)
{
	walk_list(&t->root, fn, ctx);
}

enum sh_state { SH_PLAIN, SH_SQUOTE, SH_DQUOTE, SH_COMMENT };

struct lint {
	enum sh_state st;
	bool escaped;
	bool word_start; /* '#' starts a comment only at a word start */
	struct tmpl_pos *ret;
	size_t max, count;
};

static void lint_text(struct lint *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (l->escaped) {
			l->escaped = false;
			l->word_start = false;
			continue;
		}
		switch (l->st) {
		case SH_COMMENT:
			if (c == '\n') {
				l->st = SH_PLAIN;
				l->word_start = true;
			}
			break;
		case SH_SQUOTE:
			if (c == '\'')
				l->st = SH_PLAIN;
			break;
		case SH_DQUOTE:
			if (c == '\\')
				l->escaped = true;
			else if (c == '"')
				l->st = SH_PLAIN;
			break;
		case SH_PLAIN:
			if (c == '\\')
				l->escaped = true;
			else if (c == '\'')
				l->st = SH_SQUOTE;
			else if (c == '"')
				l->st = SH_DQUOTE;
			else if (c == '#' && l->word_start)
				l->st = SH_COMMENT;
			l->word_start = c == ' ' || c == '\t' || c == '\n' || c == ';' ||
					c == '&' || c == '|' || c == '(';
			break;
		}
	}
}

static void lint_list(struct lint *l, const struct tmpl_list *list);

static void lint_node(struct lint *l, const struct tmpl_node *n)
{
	switch (n->type) {
	case TMPL_NODE_TEXT:
		lint_text(l, n->text.s, n->text.len);
		break;
	case TMPL_NODE_ACTION:
		if (n->action.pipe->pipe.ndecl == 0) {
			if (l->st == SH_DQUOTE) {
				if (l->count < l->max)
					l->ret[l->count] = n->pos;
				l->count++;
			}
			l->word_start = false;
		}
		break;
	case TMPL_NODE_IF:
	case TMPL_NODE_WITH:
	case TMPL_NODE_RANGE:
		lint_list(l, &n->branch.list);
		lint_list(l, &n->branch.else_list);
		break;
	case TMPL_NODE_TEMPLATE: /* prints the named template here */
		if (l->st == SH_DQUOTE) {
			if (l->count < l->max)
				l->ret[l->count] = n->pos;
			l->count++;
		}
		l->word_start = false;
		/* a block's body is a template text of its own */
		VL_FALLTHROUGH;
	case TMPL_NODE_DEFINE: {
		enum sh_state st = l->st;
		bool escaped = l->escaped, word_start = l->word_start;

		l->st = SH_PLAIN;
		l->escaped = false;
		l->word_start = true;
		lint_list(l, &n->named.list);
		l->st = st;
		l->escaped = escaped;
		l->word_start = word_start;
		break;
	}
	default:
		break;
	}
}

static void lint_list(struct lint *l, const struct tmpl_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		lint_node(l, list->items[i]);
}

size_t tmpl_find_dquoted_actions(const struct tmpl *t, struct tmpl_pos *ret, size_t max)
{
	struct lint l = { .st = SH_PLAIN, .word_start = true, .ret = ret, .max = max };

	lint_list(&l, &t->root);
	return l.count;
}
