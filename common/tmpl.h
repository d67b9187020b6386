/* SPDX-License-Identifier: MIT */
/*
 * tmpl: the template parser. Go text/template's lexical and grammatical
 * rules, exactly, for the subset Vault Agent templates use; anything outside
 * that subset is a parse error that names the construct. No JSON library,
 * no evaluation: the agent evaluates (agent/template/render.h), the webhook
 * only parses to deny a template that would never render, and lints.
 *
 * Supported: text, comments (delimiter, slash-star ... star-slash,
 * delimiter), trim markers {{- -}}, custom delimiters, actions with
 * pipelines and variable declarations/assignments, if / else if / else,
 * with / else with (Go >= 1.23 syntax, which recent Vault Agent builds
 * accept) / else, range (with $v or $k, $v; else; break/continue),
 * parenthesised pipelines, field chains, variables, dot,
 * nil, true/false, numbers (ints, floats, hex/octal/binary, char constants),
 * interpreted and raw strings, define / template / block (named templates,
 * checked as Go's parse.add does), and the functions listed in enum
 * tmpl_func. Refused with a parse error: a template named "", complex (imaginary)
 * numbers, functions vaultlet does not implement (consul-template ones are
 * named as such), shellQuote unless TMPL_PARSE_SHELLQUOTE is given.
 *
 * Usage (the webhook's admission check):
 *
 *	struct tmpl_parse_opts o = { .name = "config.yaml" };  // "{{" "}}"
 *	struct tmpl *t = NULL;
 *	struct tmpl_error e;
 *	int r = tmpl_parse(text, len, &o, &t, &e);
 *	if (r == -EINVAL)
 *		deny("template %s: %d:%d: %s", o.name, e.line, e.col, e.msg);
 *	else if (r == 0) {
 *		struct tmpl_pos hits[8];
 *		size_t n = tmpl_find_dquoted_actions(t, hits, 8);
 *		// warn for each hits[i] (i < min(n, 8)) when the file ends in .sh
 *		tmpl_free(t);
 *	}
 *
 * Pure functions over their arguments; a parsed template is immutable and
 * may be shared by threads for reading (evaluation never modifies it).
 */
#ifndef VAULTLET_TMPL_H
#define VAULTLET_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest template text accepted (bytes). */
#define TMPL_MAX_TEXT (1024 * 1024)
/* Deepest nesting of control blocks plus parentheses. */
#define TMPL_MAX_DEPTH 64
/* Most nodes (text, actions, operands...) in one template. */
#define TMPL_MAX_NODES 200000
/* Longest delimiter. */
#define TMPL_MAX_DELIM 32
/* Most named templates ({{define}}, {{block}}) in one template. */
#define TMPL_MAX_DEFS 1024
/* Size of tmpl_error.msg, with the NUL. */
#define TMPL_ERROR_MAX 256

/* Parse flags. */
enum {
	/* Accept the vaultlet extension shellQuote (real Vault Agent rejects it). */
	TMPL_PARSE_SHELLQUOTE = 1u << 0,
};

struct tmpl_parse_opts {
	const char *name;	 /* for messages only; may be NULL */
	const char *left_delim;	 /* NULL or "" = "{{" */
	const char *right_delim; /* NULL or "" = "}}" */
	unsigned flags;		 /* TMPL_PARSE_* */
};

/*
 * A parse or evaluation error: where (1-based line and byte column of the
 * offending construct in the template text) and what. The message never
 * contains a secret value; it may quote template text.
 */
struct tmpl_error {
	int line;
	int col;
	char msg[TMPL_ERROR_MAX];
};

/* Position of a node in the template text. */
struct tmpl_pos {
	uint32_t offset; /* byte offset */
	int line;	 /* 1-based */
	int col;	 /* 1-based, in bytes */
};

/* The functions a template may call. */
enum tmpl_func {
	/* Go text/template builtins */
	TMPL_FN_AND,
	TMPL_FN_OR,
	TMPL_FN_NOT,
	TMPL_FN_LEN,
	TMPL_FN_INDEX,
	TMPL_FN_SLICE,
	TMPL_FN_PRINT,
	TMPL_FN_PRINTF,
	TMPL_FN_PRINTLN,
	TMPL_FN_EQ,
	TMPL_FN_NE,
	TMPL_FN_LT,
	TMPL_FN_LE,
	TMPL_FN_GT,
	TMPL_FN_GE,
	TMPL_FN_HTML,
	TMPL_FN_JS,
	TMPL_FN_URLQUERY,
	/* consul-template */
	TMPL_FN_SECRET,
	TMPL_FN_TOJSON,
	TMPL_FN_TOJSONPRETTY,
	TMPL_FN_TOUNESCAPEDJSON,
	TMPL_FN_TOUNESCAPEDJSONPRETTY,
	TMPL_FN_TOYAML,
	TMPL_FN_BASE64DECODE,
	TMPL_FN_BASE64ENCODE,
	TMPL_FN_BASE64URLDECODE,
	TMPL_FN_BASE64URLENCODE,
	TMPL_FN_TRIMSPACE,
	TMPL_FN_TRIM,
	TMPL_FN_TRIMPREFIX,
	TMPL_FN_TRIMSUFFIX,
	TMPL_FN_REPLACEALL,
	TMPL_FN_TOLOWER,
	TMPL_FN_TOUPPER,
	TMPL_FN_TOTITLE,
	TMPL_FN_SPLIT,
	TMPL_FN_JOIN,
	TMPL_FN_INDENT,
	TMPL_FN_CONTAINS,
	TMPL_FN_ENV,
	TMPL_FN_ENVORDEFAULT,
	TMPL_FN_MUSTENV,
	TMPL_FN_PARSEJSON,
	TMPL_FN_SHA256HEX,
	TMPL_FN_SECRETS,
	TMPL_FN_PKICERT,
	TMPL_FN_PARSEBOOL,
	TMPL_FN_PARSEINT,
	TMPL_FN_PARSEUINT,
	TMPL_FN_PARSEFLOAT,
	TMPL_FN_CONTAINSALL,
	TMPL_FN_CONTAINSANY,
	TMPL_FN_CONTAINSNONE,
	TMPL_FN_CONTAINSNOTALL,
	TMPL_FN_IN,
	TMPL_FN_ADD,
	TMPL_FN_SUBTRACT,
	TMPL_FN_MULTIPLY,
	TMPL_FN_DIVIDE,
	TMPL_FN_MODULO,
	TMPL_FN_MINIMUM,
	TMPL_FN_MAXIMUM,
	TMPL_FN_MD5SUM,
	TMPL_FN_HMACSHA256HEX,
	TMPL_FN_EXECUTETEMPLATE,
	TMPL_FN_REGEXMATCH,
	TMPL_FN_REGEXREPLACEALL,
	TMPL_FN_SPLITTOMAP,
	TMPL_FN_EXPLODEMAP,
	TMPL_FN_LOOP,
	TMPL_FN_TIMESTAMP,
	/* sprig v3 functions, as consul-template names them */
	TMPL_FN_SPRIG_UPPER,
	TMPL_FN_SPRIG_LOWER,
	TMPL_FN_SPRIG_TRIM,
	TMPL_FN_SPRIG_TRIMALL,
	TMPL_FN_SPRIG_TRIMPREFIX,
	TMPL_FN_SPRIG_TRIMSUFFIX,
	TMPL_FN_SPRIG_REPLACE,
	TMPL_FN_SPRIG_B64ENC,
	TMPL_FN_SPRIG_SHA256SUM,
	TMPL_FN_SPRIG_CONTAINS,
	TMPL_FN_SPRIG_HASPREFIX,
	TMPL_FN_SPRIG_HASSUFFIX,
	TMPL_FN_SPRIG_DEFAULT,
	TMPL_FN_SPRIG_EMPTY,
	TMPL_FN_SPRIG_COALESCE,
	TMPL_FN_SPRIG_ALL,
	TMPL_FN_SPRIG_ANY,
	TMPL_FN_SPRIG_QUOTE,
	TMPL_FN_SPRIG_SQUOTE,
	/* the functions that touch the pod (agent/template/rf_pod.c) */
	TMPL_FN_FILE,
	TMPL_FN_WRITETOFILE,
	TMPL_FN_PLUGIN,
	/* sprig v3 lists, dicts and encodings (agent/template/rf_sprig.c) */
	TMPL_FN_SPRIG_LIST,
	TMPL_FN_SPRIG_TUPLE,
	TMPL_FN_SPRIG_FIRST,
	TMPL_FN_SPRIG_LAST,
	TMPL_FN_SPRIG_REST,
	TMPL_FN_SPRIG_INITIAL,
	TMPL_FN_SPRIG_APPEND,
	TMPL_FN_SPRIG_PUSH,
	TMPL_FN_SPRIG_PREPEND,
	TMPL_FN_SPRIG_CONCAT,
	TMPL_FN_SPRIG_REVERSE,
	TMPL_FN_SPRIG_UNIQ,
	TMPL_FN_SPRIG_WITHOUT,
	TMPL_FN_SPRIG_HAS,
	TMPL_FN_SPRIG_COMPACT,
	TMPL_FN_SPRIG_SLICE,
	TMPL_FN_SPRIG_SORTALPHA,
	TMPL_FN_SPRIG_JOIN,
	TMPL_FN_SPRIG_SPLITLIST,
	TMPL_FN_SPRIG_SPLIT,
	TMPL_FN_SPRIG_TOSTRINGS,
	TMPL_FN_SPRIG_DICT,
	TMPL_FN_SPRIG_GET,
	TMPL_FN_SPRIG_HASKEY,
	TMPL_FN_SPRIG_PLUCK,
	TMPL_FN_SPRIG_PICK,
	TMPL_FN_SPRIG_OMIT,
	TMPL_FN_SPRIG_DIG,
	TMPL_FN_SPRIG_B64DEC,
	TMPL_FN_SPRIG_B32ENC,
	TMPL_FN_SPRIG_B32DEC,
	TMPL_FN_SPRIG_TOJSON,
	TMPL_FN_SPRIG_TOPRETTYJSON,
	TMPL_FN_SPRIG_TORAWJSON,
	TMPL_FN_SPRIG_MUSTAPPEND,
	TMPL_FN_SPRIG_MUSTPUSH,
	TMPL_FN_SPRIG_MUSTPREPEND,
	TMPL_FN_SPRIG_MUSTFIRST,
	TMPL_FN_SPRIG_MUSTLAST,
	TMPL_FN_SPRIG_MUSTREST,
	TMPL_FN_SPRIG_MUSTINITIAL,
	TMPL_FN_SPRIG_MUSTREVERSE,
	TMPL_FN_SPRIG_MUSTUNIQ,
	TMPL_FN_SPRIG_MUSTWITHOUT,
	TMPL_FN_SPRIG_MUSTHAS,
	TMPL_FN_SPRIG_MUSTCOMPACT,
	TMPL_FN_SPRIG_MUSTSLICE,
	TMPL_FN_SPRIG_MUSTTOJSON,
	TMPL_FN_SPRIG_MUSTTOPRETTYJSON,
	TMPL_FN_SPRIG_MUSTTORAWJSON,
	/* sprig v3 math, conversions, strings, types (agent/template/rf_sprig_num.c) */
	TMPL_FN_SPRIG_ADD,
	TMPL_FN_SPRIG_ADD1,
	TMPL_FN_SPRIG_SUB,
	TMPL_FN_SPRIG_MUL,
	TMPL_FN_SPRIG_DIV,
	TMPL_FN_SPRIG_MOD,
	TMPL_FN_SPRIG_MAX,
	TMPL_FN_SPRIG_BIGGEST,
	TMPL_FN_SPRIG_MIN,
	TMPL_FN_SPRIG_FLOOR,
	TMPL_FN_SPRIG_CEIL,
	TMPL_FN_SPRIG_ROUND,
	TMPL_FN_SPRIG_INT,
	TMPL_FN_SPRIG_INT64,
	TMPL_FN_SPRIG_FLOAT64,
	TMPL_FN_SPRIG_ATOI,
	TMPL_FN_SPRIG_TOSTRING,
	TMPL_FN_SPRIG_TODECIMAL,
	TMPL_FN_SPRIG_REPEAT,
	TMPL_FN_SPRIG_SUBSTR,
	TMPL_FN_SPRIG_NOSPACE,
	TMPL_FN_SPRIG_TRUNC,
	TMPL_FN_SPRIG_ABBREV,
	TMPL_FN_SPRIG_TITLE,
	TMPL_FN_SPRIG_UNTITLE,
	TMPL_FN_SPRIG_CAT,
	TMPL_FN_SPRIG_INDENT,
	TMPL_FN_SPRIG_NINDENT,
	TMPL_FN_SPRIG_PLURAL,
	TMPL_FN_SPRIG_TERNARY,
	TMPL_FN_SPRIG_TRIMALL_LC,
	TMPL_FN_SPRIG_HELLO,
	TMPL_FN_SPRIG_FAIL,
	TMPL_FN_SPRIG_SHA1SUM,
	TMPL_FN_SPRIG_ADLER32SUM,
	TMPL_FN_SPRIG_TYPEOF,
	TMPL_FN_SPRIG_TYPEIS,
	TMPL_FN_SPRIG_TYPEISLIKE,
	TMPL_FN_SPRIG_KINDOF,
	TMPL_FN_SPRIG_KINDIS,
	TMPL_FN_SPRIG_DEEPEQUAL,
	TMPL_FN_SPRIG_REGEXMATCH,
	TMPL_FN_SPRIG_MUSTREGEXMATCH,
	TMPL_FN_SPRIG_REGEXREPLACEALL,
	TMPL_FN_SPRIG_MUSTREGEXREPLACEALL,
	TMPL_FN_SPRIG_REGEXREPLACEALLLITERAL,
	TMPL_FN_SPRIG_MUSTREGEXREPLACEALLLITERAL,
	TMPL_FN_SPRIG_REGEXQUOTEMETA,
	TMPL_FN_SPRIG_FROMJSON,
	TMPL_FN_SPRIG_SEQ,
	TMPL_FN_SPRIG_SPLITN,
	TMPL_FN_SPRIG_BASE,
	TMPL_FN_SPRIG_DIR,
	TMPL_FN_SPRIG_CLEAN,
	TMPL_FN_SPRIG_EXT,
	TMPL_FN_SPRIG_ISABS,
	TMPL_FN_SPRIG_OSBASE,
	TMPL_FN_SPRIG_OSDIR,
	TMPL_FN_SPRIG_OSCLEAN,
	TMPL_FN_SPRIG_OSEXT,
	TMPL_FN_SPRIG_OSISABS,
	TMPL_FN_SPRIG_DEEPCOPY,
	TMPL_FN_SPRIG_MUSTDEEPCOPY,
	TMPL_FN_SPRIG_SHA512SUM,
	/* vaultlet extension (TMPL_PARSE_SHELLQUOTE) */
	TMPL_FN_SHELLQUOTE,
	/* consul-template: mutable values and formats (rf_toml.c, ...) */
	TMPL_FN_TOTOML,
	TMPL_FN_MERGEMAP,
	TMPL_FN_MERGEMAPWITHOVERRIDE,
	TMPL_FN_SCRATCH,
	/* the methods of the scratch's value (names with a '.', never parsed as functions) */
	TMPL_FN_SCRATCH_KEY,
	TMPL_FN_SCRATCH_GET,
	TMPL_FN_SCRATCH_SET,
	TMPL_FN_SCRATCH_SETX,
	TMPL_FN_SCRATCH_MAPSET,
	TMPL_FN_SCRATCH_MAPSETX,
	TMPL_FN_SCRATCH_MAPVALUES,
	TMPL_FN_SPEW_DUMP,
	TMPL_FN_SPEW_PRINTF,
	TMPL_FN__COUNT
};

/* The name of a function ("toJSON"); NULL for an out-of-range value. */
const char *tmpl_func_name(enum tmpl_func fn);

enum tmpl_node_type {
	/* statements */
	TMPL_NODE_TEXT,
	TMPL_NODE_ACTION,
	TMPL_NODE_IF,
	TMPL_NODE_WITH,
	TMPL_NODE_RANGE,
	TMPL_NODE_BREAK,
	TMPL_NODE_CONTINUE,
	TMPL_NODE_DEFINE, /* {{define "name"}}: nothing at its place; its body is a named template */
	TMPL_NODE_TEMPLATE, /* {{template "name" pipe}}, and {{block}} (with the body it defines) */
	/* pipelines and operands */
	TMPL_NODE_PIPE,
	TMPL_NODE_COMMAND,
	TMPL_NODE_FIELD,    /* .A.B */
	TMPL_NODE_VARIABLE, /* $x, $x.A.B, $ */
	TMPL_NODE_CHAIN,    /* (pipe).A.B */
	TMPL_NODE_IDENT,    /* a function name */
	TMPL_NODE_DOT,
	TMPL_NODE_NIL,
	TMPL_NODE_BOOL,
	TMPL_NODE_NUMBER,
	TMPL_NODE_STRING,
};

struct tmpl_node;

struct tmpl_list {
	struct tmpl_node **items;
	size_t n;
};

/* A string of the template (identifier, unquoted literal, text). */
struct tmpl_str {
	const char *s; /* NUL-terminated; may contain NULs (string literals) */
	size_t len;
};

/* A number constant, classified as Go's parse.NumberNode does. */
struct tmpl_number {
	bool is_int, is_uint, is_float;
	int64_t i;
	uint64_t u;
	double f;
	bool is_char; /* 'a' */
};

struct tmpl_node {
	enum tmpl_node_type type;
	struct tmpl_pos pos; /* where the construct starts */
	uint32_t src_len;    /* its extent in the template text (for messages) */
	union {
		struct tmpl_str text; /* TEXT (already trimmed) */
		struct {
			struct tmpl_node *pipe;
		} action; /* ACTION */
		struct {
			struct tmpl_node *pipe;
			struct tmpl_list list;
			struct tmpl_list
			    else_list; /* `else if`/`else with`: an IF/WITH alone in it */
			bool has_else;
		} branch; /* IF, WITH, RANGE */
		struct {
			struct tmpl_str name;
			struct tmpl_node *pipe; /* TEMPLATE: NULL when there is none */
			struct tmpl_list list; /* DEFINE, and a TEMPLATE from {{block}}: the body */
		} named;		       /* DEFINE, TEMPLATE */
		struct {
			struct tmpl_str *decl; /* variable names, with the '$' */
			size_t ndecl;
			bool is_assign; /* `=` rather than `:=` */
			struct tmpl_node **cmds;
			size_t ncmds;
		} pipe; /* PIPE (also a parenthesised operand) */
		struct {
			struct tmpl_node **args;
			size_t nargs;
		} cmd; /* COMMAND */
		struct {
			/* FIELD: the names without dots; VARIABLE: ident[0] is "$x" */
			struct tmpl_str *ident;
			size_t nident;
		} field;
		struct {
			struct tmpl_node *node; /* the operand */
			struct tmpl_str *field;
			size_t nfield;
		} chain; /* CHAIN */
		struct {
			enum tmpl_func fn;
			const char *name;
		} ident;      /* IDENT */
		bool boolean; /* BOOL */
		struct {
			struct tmpl_number v;
			struct tmpl_str text; /* as written */
		} number;		      /* NUMBER */
		struct tmpl_str str;	      /* STRING: the unquoted value */
	};
};

/* A named template ({{define}}, {{block}}) as Go's parse.add keeps it. */
struct tmpl_def {
	struct tmpl_str name;
	const struct tmpl_list *list;
};

struct tmpl {
	struct tmpl_list root;
	struct tmpl_def *defs; /* named templates, in definition order */
	size_t ndefs;
	const char *text; /* private copy of the template text */
	size_t text_len;
	unsigned flags;
	void *arena; /* private */
};

/*
 * Parses text[0..len). Returns 0 and *ret (free with tmpl_free), -EINVAL
 * with *err filled for a template Go would refuse or that uses something
 * vaultlet does not support, -E2BIG with *err filled past a TMPL_MAX_* cap,
 * -ENOMEM. err may be NULL.
 */
int tmpl_parse(const char *text, size_t len, const struct tmpl_parse_opts *opts, struct tmpl **ret,
	       struct tmpl_error *err);
void tmpl_free(struct tmpl *t);

/*
 * The body of the template called name in t (`{{template "name"}}`,
 * consul-template's executeTemplate): a {{define}}d or {{block}} one, or
 * the main template for "". NULL when there is none.
 */
const struct tmpl_list *tmpl_lookup(const struct tmpl *t, const char *name, size_t len);

/* Fills *ret with the 1-based line and column of byte offset off of t's text. */
void tmpl_position(const struct tmpl *t, uint32_t off, struct tmpl_pos *ret);

/*
 * The shell-injection lint: finds every action that prints a value (not a
 * declaration, not a control block) while the template text before it,
 * read as POSIX shell text, is inside double quotes, e.g. the action in
 * `export X="{{ .Data.data.x }}"`. Text is scanned in source order across
 * all branches; single quotes, backslashes and # comments are honoured.
 * Writes at most max positions to ret and returns how many there are in
 * total (which may exceed max).
 */
size_t tmpl_find_dquoted_actions(const struct tmpl *t, struct tmpl_pos *ret, size_t max);

/* Calls fn for each node of t in source order (depth first); stops when fn returns false. */
void tmpl_walk(const struct tmpl *t, bool (*fn)(const struct tmpl_node *n, void *ctx), void *ctx);

#endif
