#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Random template cases for differential testing against Go.

usage: gen-cases.py SEED COUNT > cases.jsonl

Each line is one case for tests/template/oracle.go (Go's text/template with
consul-template's helpers) and tests/template/diffdrv.c (vaultlet): a
template drawn from the grammar vaultlet supports (text with awkward bytes,
trim markers, comments, if/else if/with/range with $k,$v, break/continue,
variables, pipelines, parenthesised commands, field chains, index/slice,
every literal form, the builtins and consul-template functions, printf
formats with flags/width/precision/argument indexes), secrets whose data
holds awkward keys, every JSON number form, unicode and nesting, both
missingkey modes, sometimes custom delimiters, sometimes a deliberate
syntax error. Deterministic for a given seed.
"""
import json
import os
import random
import sys

NUMBERS = ["0", "-0", "1", "42", "-7", "1.5", "1.50", "-0.25", "1e-7", "1E+21", "1e+21",
           "12345678901234567000", "18446744073709551616", "0.0", "-0.0", "100000",
           "1234567", "3.0e2", "2.5E-3", "9007199254740993", "0.1", "123456789012"]
STRINGS = ["", "x", "alice", "s3cr3t", "pa$$word", "a\"b $(id) `uname` $HOME\nexport X=1 #'q",
           "line1\nline2", "  padded\t", "caf\u00e9", "\u00e9t\u00e9", "\u2028sep\u2029",
           "<b>&amp;</b>", "tab\there", "cr\r\n", "\u0001ctl\u001f", "null", "true", "0",
           "1.5", "y", "no", "~", "- item", "key: value", "#comment", "@at", "'single'",
           "\u65e5\u672c\u8a9e", "emoji \U0001F600", "back\\slash", "%d %s %%", "{{ x }}",
           "a,b,c", " a , b ", "A-b_c d", "mixed Case words", "\u00df\u0130\u0131",
           "dGVzdA==", "not*base64", "aGVsbG8gd29ybGQ", "-_-_", "+/+/",
           "2024-05-01T10:00:00.123456789Z", "2024-1-2", "2024-02-30", "2024-1-2 3:4:5.5",
           "2024-05-01t10:00:00+02:00", "1:20", "190:20:30.15", "0x1F", "+.5", ".5", "1_000",
           "0b101", "-0b11", "- x", "? q", "a: b", "a #b", "trailing ", " leading",
           "multi\nline\n", "\n", "\n\n", "x\n\n", " \nx", "x \ny", "\u0085nel",
           "\ufeffbom", "\u00a0nbsp", "---", "...", "yes", "off", "On", "NULL", ".inf", "-.Inf",
           "<<", "=", "[x]", "{a}", "!tag", "&anchor", "*alias", "|pipe", ">fold", "%pct",
           "a,b", "k:v", "ends:", "#", "-", ":", "?", "0.", "1e5", "1E5", "+1", "-1.5e-3",
           "0o17", "017", "09", "1__2", "_1", "1.2.3", "12:30", "\t", "é\u2028x",
           "The quick brown fox jumps over the lazy dog. " * 3,
           "averyveryverylongwordwithoutanyspacesatallthatgoesonandonandonforeverandeverandever x",
           "x" * 85 + " y z", "word " * 30, " two  spaces  " * 8,
           '{"k":"v","n":5,"a":[1,2.5,"x",null,true]}', "[1,2,3]", "{}", "x" * 40]
KEYS = ["user", "pass", "a", "B", "_x", "10", "a-b", "a.b", "a_b", "z", "\u00e9", "", "x y",
        "Data", "data", "1x", "k", "n", "list", "empty", "nested", "nil", "t", "f", "UPPER"]
IDENT_KEYS = ["user", "pass", "a", "B", "_x", "a_b", "z", "Data", "data", "k", "n", "list",
              "empty", "nested", "t", "f", "UPPER", "nope", "missing"]
FUNCS1_STR = ["trimSpace", "toLower", "toUpper", "base64Encode", "base64Decode",
              "base64URLEncode", "base64URLDecode", "sha256Hex", "parseJSON", "html", "js",
              "urlquery", "len", "not", "toJSON", "toJSONPretty", "toUnescapedJSON",
              "toUnescapedJSONPretty", "print", "println", "shellQuote", "toYAML", "toTitle"]
FMT_VERBS = "vsdqxXtcUfeEgGboO%TpwZ"
# inputs for parseBool/parseInt/parseUint/parseFloat (strconv's edge cases)
NUMSTR = ["", "0", "1", "-1", "+1", "42", "-0", "007", "1_000", "1__0", "_1", "0x1F", "0b101",
          "9223372036854775807", "9223372036854775808", "-9223372036854775808",
          "-9223372036854775809", "18446744073709551615", "18446744073709551616",
          "99999999999999999999x", "x99999999999999999999", " 1", "1 ", "1.5", "-1.5e-3", "1e5",
          "1E+21", ".5", "5.", "+.5", "-.5e1", "1e", "1e+", "e5", ".", "-", "+", "0x1p4",
          "0x1.8p1", "0X1P-2", "0x1p", "0x1", "0x.p1", "0x_1p0", "0x1_0p0", "1_0.5", "1._5",
          "1e1_0", "1e400", "-1e400", "1e-400", "4.9e-324", "2.2250738585072014e-308",
          "0.1", "1.7976931348623157e308", "1.7976931348623159e308", "inf", "-Inf", "+INF",
          "infinity", "-Infinity", "infinit", "NaN", "nan", "+nan", "-NaN", "t", "T", "TRUE",
          "True", "tRUE", "true", "f", "F", "FALSE", "False", "false", "yes", "no", "on",
          "\u0661", "\uff11", "1\x00", "123456789012345678901234567890"]
PARSE_FUNCS = ["parseBool", "parseInt", "parseUint", "parseFloat"]
MATH_FUNCS = ["add", "subtract", "multiply", "divide", "modulo", "minimum", "maximum"]
CONTAINS_FUNCS = ["containsAll", "containsAny", "containsNone", "containsNotAll"]
JSON_LISTS = ['`[1,2.5,"a","b",null,true,{"k":1},[1]]`', '`["a","b","c"]`', '`[]`', '`[1,2,3]`',
              '`["x","\u00e9",""]`', '`[0.5,-0,1e3]`', '`null`', '`{"a":1}`', '`"a"`']


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.vars = []  # names in scope
        self.depth = 0
        self.in_range = 0
        self.shellquote = False
        self.left, self.right = "{{", "}}"
        self.safe = False  # safe mode: mostly well-typed expressions

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p):
        return self.r.random() < p

    # ---- data ----
    def json_value(self, depth=0):
        k = self.r.randrange(10 if depth < 3 else 6)
        if k <= 1:
            return ("num", self.pick(NUMBERS))
        if k <= 3:
            return ("str", self.pick(STRINGS))
        if k == 4:
            return ("bool", self.chance(0.5))
        if k == 5:
            return ("null", None)
        if k <= 7:
            n = self.r.randrange(5)
            return ("obj", [(self.pick(KEYS), self.json_value(depth + 1)) for _ in range(n)])
        n = self.r.randrange(5)
        return ("arr", [self.json_value(depth + 1) for _ in range(n)])

    def render_json(self, v):
        t, x = v
        if t == "num":
            return x
        if t == "str":
            return json.dumps(x)
        if t == "bool":
            return "true" if x else "false"
        if t == "null":
            return "null"
        if t == "obj":
            return "{" + ",".join(json.dumps(k) + ":" + self.render_json(e) for k, e in x) + "}"
        return "[" + ",".join(self.render_json(e) for e in x) + "]"

    def secret_data(self):
        members = []
        for k in self.r.sample(KEYS, self.r.randrange(3, 12)):
            members.append((k, self.json_value(1)))
        # members with known types, so most generated expressions are well typed
        members.append(("user", ("str", self.pick(STRINGS))))
        members.append(("pass", ("str", self.pick(STRINGS))))
        members.append(("list", ("arr", [("str", s) for s in self.r.sample(STRINGS, 3)])))
        members.append(("n", ("num", self.pick(NUMBERS))))
        members.append(("nested", ("obj", [(k, self.json_value(2)) for k in
                                           self.r.sample(KEYS, self.r.randrange(0, 6))])))
        return ("obj", members)

    # ---- template pieces ----
    def text(self):
        pool = ["\n", " ", "\t", "\r\n", "x", "export A=\"", "\"", "'", "caf\u00e9 ", "\n",
                "\u00a0", "-", "=", "a b", "\n\n  ", "#", "$", "`", "\\", " ", "x: ", "\n  - "]
        if self.chance(0.05):
            pool = ["{", "}", "}{", "{ {", "<>&", "%", "[", "]"]
        return "".join(self.pick(pool) for _ in range(self.r.randrange(0, 5)))

    def str_lit(self):
        k = self.r.randrange(8)
        if k == 0:
            return "`" + self.pick(["raw", "a\"b", "x\\ny", "", "r\rq", "multi\nline"]) + "`"
        if k == 1:
            return self.pick(['"\\n"', '"\\t\\x41\\u00e9"', '"\\U0001F600"', '"\\101"',
                              '"a\\"b"', '"\\\\"', '"\\a\\b\\f\\v"', '"\\xff"'])
        s = self.pick(["", "a", "x", "%d", "%s", "'", "'\\''", "-", ",", " ", "user", "a-b",
                       "\u00e9", "key", "secret/data/a", "k=v", "data", "n", "list", "B",
                       "{\"a\":1}", "[1,2]", "ab", "A", "10", "nope"])
        return json.dumps(s, ensure_ascii=self.chance(0.5))

    def num_lit(self):
        if self.safe:
            return self.pick(["0", "1", "2", "-1", "-3", "42", "0x1F", "0o17", "0b101", "017",
                              "1_000", "1.5", "1e3", "1e6", "1.0", "-0", ".5", "0x1p4", "1e-7",
                              "'a'", "'\\n'", "'\u00e9'", "100000", "1234567", "0.0001",
                              "0.00001", "-1.5e-10", "3", "2.50", "1e21", "1e20", "123456.789"])
        return self.pick(["0", "1", "2", "-1", "-3", "42", "0x1F", "0X1f", "0o17", "0b101",
                          "017", "1_000", "1.5", "1e3", "1e6", "1.0", "-0", ".5", "5.", "0x1p4",
                          "1e-7", "'a'", "'\\n'", "'\\''", "'\u00e9'", "9223372036854775807",
                          "9223372036854775808", "18446744073709551615", "1e400", "08", "09.5",
                          "0x", "1__0", "_1", "1_", "0x_1", "1i", "'ab'", "''", "100000",
                          "1234567", "0.0001", "0.00001", "-1.5e-10", "3", "2", "5"])

    def str_operand(self, depth=0):
        """An expression that is usually a Go string (for string parameters)."""
        k = self.r.randrange(10)
        if k <= 2:
            return self.str_lit()
        if k <= 4:
            return self.pick([".Data.data.user", ".Data.data.pass", "(index .Data.data \"user\")",
                              "(secret \"secret/data/b\").Data.data.pass", "$s.Data.data.user"
                              if "$s" in self.vars else ".Data.data.user", ".RequestID"])
        if k == 5 and depth < 2:
            return "(printf %s %s)" % (json.dumps(self.printf_format()), self.operand(depth + 1))
        if k == 6 and depth < 2:
            return "(%s %s)" % (self.pick(["toJSON", "print", "toUpper", "trimSpace",
                                           "base64Encode", "html", "toLower", "js"]),
                                self.str_operand(depth + 1))
        if k == 7:
            return "(env %s)" % self.pick(['"VLT_TEST_A"', '"VLT_TEST_EMPTY"', '"VLT_TEST_NOPE"'])
        if k == 8 and self.vars:
            return self.pick(self.vars)
        return self.operand(depth + 1)

    def var(self):
        return self.pick(self.vars) if self.vars else "$"

    def field_chain(self):
        n = self.r.randrange(1, 4)
        parts = []
        for i in range(n):
            if i == 0 and self.chance(0.7):
                parts.append("Data")
            elif i == 1 and self.chance(0.6):
                parts.append("data")
            else:
                parts.append(self.pick(IDENT_KEYS + ["RequestID", "LeaseDuration", "Renewable",
                                                     "Warnings", "Auth", "LeaseID", "String"]))
        return "." + ".".join(parts)

    def secret_call(self):
        if self.chance(0.08):
            # the write form (the same key whatever the order, spaces, duplicates) and secrets
            return self.pick(['(secret "pki/issue/w" "common_name=a.svc" "ttl=1h")',
                              '(secret "/pki/issue/w/" " ttl = 1h" "" "common_name=x" "common_name=a.svc")',
                              '(secret "pki/issue/w" "common_name=b")',
                              '(secret "pki/issue/w" "nokv")',
                              '(secrets "kv/list/")', '(secrets "kv/empty")', '(secrets "")'])
        path = self.pick(["secret/data/a", "secret/data/b", "kv/c"])
        return "(secret \"%s\")" % path

    def operand(self, depth=0):
        k = self.r.randrange(14)
        if k == 0:
            return self.str_lit()
        if k == 1:
            return self.num_lit()
        if k == 2:
            return self.pick(["true", "false", "nil", "."])
        if k == 3:
            return self.field_chain()
        if k == 4:
            return self.var() + (self.field_chain() if self.chance(0.5) else "")
        if k == 5:
            return self.secret_call() + (self.field_chain() if self.chance(0.8) else "")
        if k <= 8 and depth < 2:
            return "(" + self.pipeline(depth + 1) + ")" + (self.field_chain() if self.chance(0.2) else "")
        if k == 9:
            return "$s" if "$s" in self.vars else "$"
        return self.pick([".Data.data.user", ".Data.data.n", ".Data.data.list", ".Data.data",
                          ".Data.data.nested", ".Data.metadata.version", ".", "$.x",
                          "(index .Data.data \"a-b\")", "(index .Data.data.list 1)",
                          self.var()])

    def numstr_lit(self):
        return json.dumps(self.pick(NUMSTR), ensure_ascii=self.chance(0.5))

    def parse_call(self, depth=0):
        f = self.pick(PARSE_FUNCS)
        arg = self.numstr_lit() if self.chance(0.7) else self.str_operand(depth + 1)
        return "(%s %s)" % (f, arg)

    def num_operand(self, depth=0):
        k = self.r.randrange(8)
        if k <= 2:
            return self.pick(["0", "1", "-1", "2", "7", "-7", "3", "1.5", "-2.5", "0.0", "1e300",
                              "9223372036854775807", "-9223372036854775807", "'a'", "0x10",
                              "1e-320", "100000", "3.0"])
        if k <= 4:
            return "(%s %s)" % (self.pick(["parseInt", "parseUint", "parseFloat", "parseInt"]),
                                json.dumps(self.pick(["0", "1", "-1", "2", "7", "3", "-3", "10",
                                                      "9223372036854775807",
                                                      "-9223372036854775808",
                                                      "18446744073709551615", "1.5", "-0.5",
                                                      "inf", "-inf", "nan", "1e308", "0.1"])))
        if k == 5 and depth < 2:
            return "(%s %s %s)" % (self.pick(MATH_FUNCS), self.num_operand(depth + 1),
                                   self.num_operand(depth + 1))
        if k == 6:
            return self.pick([".LeaseDuration", ".Data.data.n", "(len .Data.data.list)",
                              "(index .Data.data.user 0)", "nil", "\"5\"", "true"])
        return self.pick(["(len .Data.data.user)", "(parseFloat .Data.data.n)", "1", "2"])

    def list_operand(self):
        return self.pick([".Data.data.list", "(parseJSON %s)" % self.pick(JSON_LISTS),
                          "(split \",\" .Data.data.user)", ".Data.data.nested", "nil",
                          ".Data.data.nope", ".Data.data.user", ".Warnings"])

    def elem_operand(self):
        return self.pick(["\"a\"", "\"b\"", "\"x\"", "\"\"", "1", "2.5", "1.0", "nil", "true",
                          ".Data.data.user", "(index .Data.data.list 0)", ".Data.data.n",
                          "(parseFloat \"2.5\")", "(parseInt \"1\")", "\"\u00e9\""])

    def regex(self, depth=0):
        """A random RE2 pattern over a small alphabet."""
        def atom(d):
            k = self.r.randrange(16)
            if k <= 4:
                return self.pick(["a", "b", "c", "A", "\u00e9", "1", " ", "\\n", "x", "_"])
            if k == 5:
                return self.pick([".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\b",
                                  "\\B", "^", "$", "\\A", "\\z", "[ab]", "[^a]", "[a-c]",
                                  "[[:alpha:]]", "[[:^digit:]]", "[\\w-]", "[^\\n]", "\\.",
                                  "\\x41", "\\x{e9}", "[\\d\\s]", "[^\\W_]", "\\Qa.\\E"])
            if k <= 8 and d < 3:
                inner = alt(d + 1)
                return self.pick(["(%s)", "(?:%s)", "(?P<n>%s)", "(?i:%s)", "(?s:%s)",
                                  "(?m:%s)", "(?U:%s)", "(%s)"]) % inner
            if k == 9:
                return self.pick(["(?i)", "(?m)", "(?s)", "(?-i)", "(?U)"])
            if k == 10:
                return self.pick(["(", ")", "[", "*", "\\", "(?P<>a)", "a**", "a{2}{3}",
                                  "x{1001}", "[b-a]", "\\1", "\\8", "\\C", "\\pL",
                                  "(?<n>a)", "\\Z", "[[:foo:]]", "(?z)", "a{,2}", "{", "a{2,1}"])
            return self.pick(["a", "b", "ab", "ba", "aa"])

        def rep(d):
            a = atom(d)
            if self.chance(0.35):
                a += self.pick(["*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,}", "{2,}?",
                                "{0}", "{0,1}", "{3,5}"])
            return a

        def alt(d):
            s = "".join(rep(d) for _ in range(self.r.randrange(0, 4)))
            while self.chance(0.25):
                s += "|" + "".join(rep(d) for _ in range(self.r.randrange(0, 3)))
            return s

        return alt(depth)

    def regex_input(self):
        if self.chance(0.3):
            return self.str_operand(2)
        s = "".join(self.pick(["a", "b", "c", "A", "\u00e9", "1", " ", "\n", "x", "_", "ab",
                               "\u212a", "k", "K", "s", "\u017f", "\u00c9", "."])
                    for _ in range(self.r.randrange(0, 12)))
        return json.dumps(s, ensure_ascii=self.chance(0.5))

    def regex_command(self):
        pat = self.regex()
        re = "`%s`" % pat if "`" not in pat and self.chance(0.5) else json.dumps(pat)
        if self.chance(0.4):
            return "regexMatch %s %s" % (re, self.regex_input())
        repl = self.pick(['"x"', '"$1"', '"${1}"', '"$0"', '"$$"', '"$n"', '"${n}x"', '"$1x"',
                          '"$"', '"$2"', '"<$1|$2>"', '""', '"${0}${1}"', '"$01"', '"${"',
                          '"$\u00e9"', '"[$n]"', 'printf "%s" "$1"'])
        return "regexReplaceAll %s %s %s" % (re, repl, self.regex_input())

    def split_to_map(self):
        s = self.pick(["a=1,b=2", " a=1, b=2 ", "a=1,a=2,b", "=,=x,k==v", "", "  ", "x", "k:v;k2:v2",
                       "a=1,", ",a=1", "\u00e9=\u00e9t\u00e9,\u00e9=2", "a=\n=b", "abc"])
        s = json.dumps(s) if self.chance(0.7) else self.str_operand(2)
        return "(splitToMap %s %s %s)" % (self.pick(['","', '";"', '""', '", "', '"="']),
                                          self.pick(['"="', '":"', '""', '"=="', '","']), s)

    def timestamp_call(self):
        """timestamp over the case's pinned clock, with Go layout elements and near misses."""
        if self.chance(0.15):
            return self.pick(["timestamp", 'timestamp "unix"', 'timestamp ""',
                              'timestamp "a" "b"', "timestamp 1", 'timestamp "002"',
                              'printf "%T" (timestamp)'])
        toks = ["2006", "06", "_2006", "Jan", "January", "Janu", "01", "1", "Mon", "Monday", "MST",
                "2", "_2", "02", "15", "3", "03", "4", "04", "5", "05", "PM", "pm", "Pm",
                "-0700", "-07:00", "-07", "-070000", "-07:00:00", "Z0700", "Z07:00", "Z07",
                "Z070000", "Z07:00:00", ".000", ".999", ",000", ",999999999", ".0000000000",
                ".9", ".00x", ".99 ", ".01", "T", " ", ":", "-", "/", "x", "\u00e9", "0", "7",
                "Ju", "M", "Z", "_", "."]
        layout = "".join(self.pick(toks) for _ in range(self.r.randrange(1, 7)))
        return "timestamp %s" % json.dumps(layout).replace("\\u00e9", "\u00e9")

    def sprig_list_operand(self, depth=0):
        """A list for sprig's list helpers: secrets' lists, sprig_list, []string, non-lists."""
        if depth < 2 and self.chance(0.3):
            return "(sprig_list %s)" % " ".join(self.sprig_elem(depth + 1)
                                                for _ in range(self.r.randrange(0, 5)))
        return self.pick([self.list_operand(), self.list_operand(), "(sprig_splitList \",\" %s)"
                          % self.str_operand(depth + 1), "(parseJSON `[1,1,\"a\",null,{}]`)",
                          "(sprig_toStrings .Data.data.list)", "(parseJSON `[]`)", "1"])

    def sprig_elem(self, depth=0):
        if depth < 2 and self.chance(0.1):
            return self.sprig_list_operand(depth + 1)
        if depth < 2 and self.chance(0.1):
            return self.sprig_map_operand(depth + 1)
        return self.elem_operand()

    def sprig_map_operand(self, depth=0):
        if depth < 2 and self.chance(0.3):
            return "(sprig_dict %s)" % " ".join(
                self.pick(["\"a\"", "\"b\"", "\"\u00e9\"", "1", "nil", "\"\""]) + " " +
                self.sprig_elem(depth + 1) for _ in range(self.r.randrange(0, 4)))
        return self.pick([".Data.data", ".Data.data.nested", ".Data", "(parseJSON `{\"a\":{\"b\":1}}`)",
                          "nil", ".Data.data.nope", "(splitToMap \",\" \"=\" \"a=1\")"])

    def sprig_key(self):
        return self.pick(["\"a\"", "\"b\"", "\"user\"", "\"list\"", "\"n\"", "\"nested\"",
                          "\"data\"", "\"\"", "\"zz\"", "\"\u00e9\""])

    def sprig_num(self, depth=0):
        """A value for cast's coercions: numbers of every Go type, numeric strings."""
        return self.pick(["1", "-7", "2.5", "-2.5", "0", "9223372036854775807", "1e300", "true",
                          "nil", ".Data.data.n", ".Data.data.nope", ".Data.data.user",
                          "(parseInt \"-9223372036854775808\")", "(parseUint \"18446744073709551615\")",
                          "(parseFloat \"nan\")", "\"0x1F\"", "\"0o17\"", "\"017\"", "\"1_000\"",
                          "\"5.00\"", "\"5.5\"", "\" 3\"", "\"-0\"", "\"1e3\"", "\"0b101\"",
                          "(index .Data.data.list 0)", "(sprig_list)", self.num_operand(depth + 1)])

    def sprig_int(self):
        return self.pick(["0", "1", "2", "3", "5", "-1", "-3", "10", "(sprig_int \"4\")", "22",
                          "(parseInt \"2\")", "\"2\""])

    def sprig_num_args(self, f, depth):
        N, I, S = self.sprig_num, self.sprig_int, lambda: self.str_operand(depth + 1)
        n = self.r.randrange(0, 4)
        if f in ("add", "cat"):
            return [N(depth) for _ in range(n)]
        if f in ("add1", "floor", "ceil", "int", "int64", "float64", "toString", "toDecimal",
                 "typeOf", "kindOf", "deepCopy", "mustDeepCopy"):
            return [N(depth)]
        if f in ("sub", "div", "mod", "deepEqual"):
            return [N(depth), N(depth)]
        if f in ("mul", "max", "min", "biggest"):
            return [N(depth)] + [N(depth) for _ in range(n)]
        if f == "round":
            return [N(depth), self.pick(["0", "1", "2", "3", "-1"])]
        if f in ("atoi", "nospace", "title", "untitle", "sha1sum", "sha512sum", "adler32sum"):
            return [self.pick([S(), "\"42\"", "\"-9\"", "\"1_0\"", "\"99999999999999999999\"",
                               "\" a\\tB c\"", "\"hello world-x_y\""])]
        if f in ("repeat", "trunc", "abbrev", "indent", "nindent"):
            return [I(), S()]
        if f == "substr":
            return [I(), I(), S()]
        if f == "plural":
            return ["\"one\"", "\"many\"", I()]
        if f == "ternary":
            return [N(depth), N(depth), self.pick(["true", "false", "(eq 1 1)", "1", "nil"])]
        if f in ("regexMatch", "mustRegexMatch"):
            return [self.pick([json.dumps(self.regex()), "\"(\"", "\"\""]),
                    self.pick([S(), self.regex_input()])]
        if f.startswith("regexReplace") or f.startswith("mustRegexReplace"):
            return [json.dumps(self.regex()), self.pick([S(), self.regex_input()]),
                    self.pick(["\"<$1>\"", "\"$0$0\"", "\"${1}x\"", "\"$\"", "\"\"", S()])]
        if f == "seq":
            return [I() for _ in range(self.r.randrange(0, 5))]
        if f in ("base", "dir", "clean", "ext", "isAbs", "osBase", "osDir", "osClean", "osExt",
                 "osIsAbs"):
            return [self.pick([S(), json.dumps("".join(self.pick(["/", "a", ".", "..", "b.c", "//", "\u00e9"])
                                                     for _ in range(self.r.randrange(0, 7))))])]
        if f == "splitn":
            return [self.pick(["\",\"", "\"\"", "\"a\""]), self.pick(["-1", "0", "1", "2", "3", "9"]), S()]
        if f == "fromJson":
            return [self.pick([S(), "`[1,{\"a\":1e400},\"x\",null]`", "`{\"k\":[1.5,true]}`", "\"{\"",
                               "(toJSON .Data.data)", "(sprig_toJson (sprig_list 1 \"a\"))", "\"1e-400\"",
                               "`\"\\ud800\"`"])]
        if f == "regexQuoteMeta":
            return [self.pick([S(), json.dumps(self.regex())])]
        if f in ("typeIs", "typeIsLike", "kindIs"):
            return [self.pick(["\"int\"", "\"string\"", "\"json.Number\"", "\"map\"", "\"ptr\"",
                               "\"dependency.Secret\"", "\"float64\"", "\"invalid\"", "\"slice\""]),
                    self.pick([N(depth), ".", ".Data.data", ".Data.data.list"])]
        return []

    def sprig_more(self, depth=0):
        """sprig's list, dict and encoding helpers (agent/template/rf_sprig.c)."""
        f = self.pick(["list", "first", "last", "rest", "initial", "append", "prepend", "concat",
                       "reverse", "uniq", "without", "has", "compact", "slice", "sortAlpha",
                       "join", "splitList", "split", "toStrings", "dict", "get", "hasKey",
                       "pluck", "pick", "omit", "dig", "b64dec", "b32enc", "b32dec", "toJson",
                       "toPrettyJson", "toRawJson"] + SPRIG_NUM * 2)
        L, M, E, K = (self.sprig_list_operand, self.sprig_map_operand, self.sprig_elem,
                      self.sprig_key)
        n = self.r.randrange(0, 4)
        if f == "list":
            args = [E(depth) for _ in range(n)]
        elif f in ("first", "last", "rest", "initial", "reverse", "uniq", "compact",
                   "sortAlpha", "toStrings"):
            args = [L(depth)]
        elif f in ("append", "prepend", "has"):
            args = [L(depth), E(depth)] if f != "has" else [E(depth), L(depth)]
        elif f == "without":
            args = [L(depth)] + [E(depth) for _ in range(n)]
        elif f == "concat":
            args = [L(depth) for _ in range(n)]
        elif f == "slice":
            args = [L(depth)] + [self.pick(["0", "1", "2", "3", "-1", "(parseInt \"1\")", "\"1\""])
                                 for _ in range(self.r.randrange(0, 3))]
        elif f == "join":
            args = [self.pick(["\",\"", "\"\"", "\"\u00e9\""]), self.pick([L(depth), E(depth)])]
        elif f in ("splitList", "split"):
            args = [self.pick(["\",\"", "\"\"", "\"a\"", "\"\u00e9\""]), self.str_operand(depth + 1)]
        elif f == "dict":
            args = [self.pick([K(), E(depth)]) if i % 2 == 0 else E(depth)
                    for i in range(self.r.randrange(0, 6))]
        elif f in ("get", "hasKey"):
            args = [M(depth), K()]
        elif f == "pluck":
            args = [K()] + [M(depth) for _ in range(n)]
        elif f in ("pick", "omit"):
            args = [M(depth)] + [K() for _ in range(n)]
        elif f == "dig":
            args = [K() for _ in range(self.r.randrange(0, 3))] + [E(depth), M(depth)]
        elif f in ("b64dec", "b32dec"):
            enc = "sprig_b64enc" if f == "b64dec" else "sprig_b32enc"
            args = [self.pick([self.str_operand(depth + 1), "(%s %s)" % (enc, self.str_operand(depth + 1)),
                               "\"MZXW6===\"", "\"aGk=\"", "\"MY======\"", "\"aGk\"", "\"MZXW6YQ\""])]
        elif f == "b32enc":
            args = [self.str_operand(depth + 1)]
        elif f in SPRIG_NUM:
            args = self.sprig_num_args(f, depth)
        else:
            args = [self.pick([L(depth), M(depth), E(depth)])]
        if f in MUSTABLE and self.chance(0.2):
            f = "must" + f[0].upper() + f[1:]
        call = "sprig_%s %s" % (f, " ".join(args))
        return self.pick(["%s", "%s", "printf \"%%T %%v\" (%s)", "sprig_toJson (%s)", "len (%s)"]) % call

    def new_funcs_command(self, depth=0):
        """The consul-template functions added with the builtins table."""
        k = self.r.randrange(16)
        if k == 15 and self.chance(0.5):
            f = self.pick(["sprig_default", "sprig_default", "sprig_empty", "sprig_coalesce",
                           "sprig_all", "sprig_any", "sprig_quote", "sprig_squote"])
            n = 1 if f == "sprig_empty" else self.r.randrange(0 if f != "sprig_default" else 1, 4)
            args = " ".join(self.pick([self.operand(depth + 1), self.elem_operand(),
                                       self.list_operand(), self.parse_call(depth),
                                       ".Data.nope", "nil", "0", "\"\"", "false", "0.0"])
                            for _ in range(n))
            return self.pick(["%s %s", "printf \"%%T %%v\" (%s %s)"]) % (f, args)
        if k == 15 and self.chance(0.5):
            return self.sprig_more(depth)
        if k == 15:
            f = self.pick(SPRIG_FUNCS)
            args = " ".join(self.str_operand(depth + 1) for _ in range(SPRIG_ARITY[f]))
            return self.pick(["%s %s", "printf \"%%T %%v\" (%s %s)"]) % (f, args)
        if k == 14:
            return self.timestamp_call()
        if k == 13:
            m = self.pick(['`{"a/b":1,"a/c":"x","d":true}`', '`{"a":1,"a/b":2}`',
                           '`{"a/":1,"/b":2,"":3,"a//c":4}`', '`{"x/y/z":[1,2],"x/w":null}`',
                           '`{"a":{"k":1},"a/b":2}`', '`{}`', '`[1]`', '`"s"`',
                           '`{"\u00e9/\u00e9":"\u00e9"}`'])
            m = self.pick(["(parseJSON %s)" % m, "(parseJSON %s)" % m, ".Data.data", "nil",
                           "(splitToMap \",\" \"=\" \"a/b=1,a/c=2\")", ".Data.data.nested"])
            return self.pick(["explodeMap %s", "toJSON (explodeMap %s)", "len (explodeMap %s)",
                              "(explodeMap %s).a", "printf \"%%v\" (explodeMap %s)",
                              "range $k, $v := explodeMap %s }}{{ $k }}={{ $v }};{{ end"]) % m
        if k == 12:
            m = self.split_to_map()
            return self.pick(["%s", "toJSON %s", "len %s", "index %s \"a\"", "index %s \"zz\"",
                              "printf \"%%#v %%T\" %s %s", "(%s).a", "(%s).nope",
                              "range $k, $v := %s }}{{ $k }}={{ $v }};{{ end",
                              "toYAML %s", "in %s \"a\"", "eq (index %s \"a\") \"1\""]).replace(
                                  "%s %s", "%s %s" % (m, m)).replace("%s", m)
        if k >= 9:
            return self.regex_command()
        if k == 4:
            return "%s %s %s" % (self.pick(MATH_FUNCS), self.num_operand(), self.num_operand())
        if k == 5:
            return "printf %s (%s %s %s)" % (json.dumps(self.pick(["%v %T", "%d", "%.2f", "%x",
                                                                   "%v"])),
                                             self.pick(MATH_FUNCS), self.num_operand(),
                                             self.num_operand())
        if k == 6:
            f = self.pick(CONTAINS_FUNCS + ["in", "in", "contains"])
            if f == "in":
                return "in %s %s" % (self.list_operand(), self.elem_operand())
            if f == "contains":
                return "contains %s %s" % (self.elem_operand(), self.list_operand())
            return "%s %s %s" % (f, self.list_operand(), self.list_operand())
        if k == 7:
            return "%s %s" % (self.pick(["md5sum", "md5sum"]), self.str_operand(depth + 1))
        if k == 8:
            return "hmacSHA256Hex %s %s" % (self.str_operand(depth + 1), self.str_operand(depth + 1))
        if k == 0:
            return self.parse_call(depth)[1:-1]
        if k == 1:
            return "printf %s %s" % (json.dumps(self.pick(["%v %T", "%d", "%q", "%x", "%.3f",
                                                           "%v", "%08.2f", "%t", "%U"])),
                                     self.parse_call(depth))
        if k == 2:
            return "%s %s %s" % (self.pick(["eq", "ne", "lt", "le", "gt", "ge"]),
                                 self.parse_call(depth),
                                 self.pick([self.parse_call(depth), "1", "0", "-1", "1.5",
                                            "true", "\"1\"", ".Data.data.n"]))
        return "%s %s" % (self.pick(["toJSON", "toYAML", "print", "not", "len", "index .Data.data.list",
                                     "slice .Data.data.user", "html", "toUnescapedJSON"]),
                          self.parse_call(depth))

    def safe_command(self, depth=0):
        if self.chance(0.15):
            return self.new_funcs_command(depth)
        k = self.r.randrange(16)
        S = lambda: self.str_operand(depth + 1)
        if k == 0:
            return S()
        if k == 1:
            fmt = self.printf_format()
            return "printf %s %s" % (json.dumps(fmt), " ".join(
                self.pick([S(), self.num_lit(), ".Data.data.n", ".Data.data.list", "true",
                           ".Data.data.nested", "nil", ".LeaseDuration", ".Renewable"])
                for _ in range(self.r.randrange(0, 4))))
        if k == 2:
            return self.pick(["print", "println"]) + " " + " ".join(
                self.pick([S(), self.num_lit(), ".Data.data.n", ".Data.data", "true", "nil",
                           ".Data.data.list", ".Warnings", "."])
                for _ in range(self.r.randrange(0, 4)))
        if k == 3:
            return self.pick(["index .Data.data %s" % json.dumps(self.pick(KEYS + ["nope"])),
                              "index .Data.data.list %d" % self.r.randrange(0, 3),
                              "index .Data.data.nested %s" % json.dumps(self.pick(KEYS)),
                              "index .Data \"data\" \"user\"",
                              "index .Data.data.user %d" % self.r.randrange(0, 2)])
        if k == 4:
            return self.pick(["slice .Data.data.user %d" % self.r.randrange(0, 2),
                              "slice .Data.data.list %d %d" % (self.r.randrange(0, 2), self.r.randrange(2, 4)),
                              "slice .Data.data.pass 0 %d" % self.r.randrange(0, 2),
                              "slice .Data.data.n 0 1"])
        if k == 5:
            a = self.pick([S(), ".Data.data.n", self.num_lit(), "true", "nil", ".LeaseDuration"])
            b = self.pick([S(), ".Data.data.n", self.num_lit(), "false", "nil", "\"3\""])
            return self.pick(["eq", "ne", "lt", "le", "gt", "ge"]) + " " + a + " " + b
        if k == 6:
            return self.pick(["and", "or"]) + " " + " ".join(
                self.pick([S(), ".Data.data.n", "0", "1", "true", "false", "nil", ".Data.data.empty",
                           ".Data.data.nope"]) for _ in range(self.r.randrange(1, 4)))
        if k in (7, 8):
            f = self.pick(FUNCS1_STR)
            if f == "shellQuote":
                self.shellquote = True
            arg = S()
            if f in ("toJSON", "toJSONPretty", "toUnescapedJSON", "toUnescapedJSONPretty",
                     "toYAML", "len", "print") and self.chance(0.6):
                arg = self.pick([".Data.data", ".Data", ".Data.data.list", ".Data.data.nested",
                                 ".Data.data.n", ".", ".Warnings", "(split \",\" .Data.data.user)",
                                 "(parseJSON .Data.data.user)", ".Data.metadata",
                                 "(parseJSON `{\"b\":[1,2.5e3,true,null,{}],\"a\":\"<x>\"}`)"])
            return "%s %s" % (f, arg)
        if k == 9:
            f = self.pick(["trim", "trimPrefix", "trimSuffix", "split", "join", "contains",
                           "envOrDefault", "replaceAll"])
            if f == "join":
                return "join %s (split %s %s)" % (S(), self.str_lit(), S())
            if f == "replaceAll":
                return "replaceAll %s %s %s" % (S(), S(), S())
            return "%s %s %s" % (f, S(), S())
        if k == 10:
            return "indent %d %s" % (self.r.randrange(0, 5), S())
        if k == 11:
            return self.field_chain()
        if k == 12:
            return "len " + self.pick([".Data.data", ".Data.data.list", S(), ".Warnings"])
        if k == 13 and self.vars:
            return self.pick(self.vars) + self.pick(["", ".Data", ".Data.data.user"])
        if k == 14:
            return "not " + self.pick([S(), ".Data.data.nope", "0", ".Data.data.t"])
        return self.pick([".Data.data.user", ".Data.data.n", ".Data.data.list", ".Data.data",
                          ".Data.data.nested", ".RequestID", ".LeaseID", ".Warnings", "."])

    def command(self, depth=0):
        if self.safe:
            return self.safe_command(depth)
        if self.chance(0.1):
            return self.new_funcs_command(depth)
        k = self.r.randrange(22)
        args = lambda n: " ".join(self.operand(depth) for _ in range(n))
        if k == 0:
            return self.operand(depth)
        if k == 1:
            fmt = self.printf_format()
            return "printf %s %s" % (json.dumps(fmt), args(self.r.randrange(0, 4)))
        if k == 2:
            return self.pick(["print", "println"]) + " " + args(self.r.randrange(0, 4))
        if k == 3:
            return "index %s %s" % (self.operand(depth), args(self.r.randrange(0, 3)))
        if k == 4:
            return "slice %s %s" % (self.operand(depth), args(self.r.randrange(0, 4)))
        if k == 5:
            return self.pick(["eq", "ne", "lt", "le", "gt", "ge"]) + " " + args(self.r.randrange(1, 4))
        if k == 6:
            return self.pick(["and", "or"]) + " " + args(self.r.randrange(1, 4))
        if k in (7, 8, 9):
            f = self.pick(FUNCS1_STR)
            if f == "shellQuote":
                self.shellquote = True
            arg = self.str_operand(depth) if self.chance(0.8) else self.operand(depth)
            if f in ("toJSON", "toJSONPretty", "toUnescapedJSON", "toUnescapedJSONPretty",
                     "toYAML", "len", "print") and self.chance(0.5):
                arg = self.pick([".Data.data", ".Data", ".Data.data.list", ".Data.data.nested",
                                 ".Data.data.n", ".", ".Warnings", "(split \",\" .Data.data.user)",
                                 "(parseJSON .Data.data.user)", ".Data.metadata"])
            return "%s %s" % (f, arg)
        if k == 10:
            f = self.pick(["trim", "trimPrefix", "trimSuffix", "split", "join", "contains",
                           "envOrDefault"])
            if f == "join":
                return "join %s (split %s %s)" % (self.str_operand(depth), self.str_lit(),
                                                  self.str_operand(depth))
            if f == "contains":
                return "contains %s %s" % (self.str_operand(depth), self.pick(
                    [".Data.data.list", ".Data.data.user", "(split \",\" .Data.data.pass)",
                     self.str_operand(depth)]))
            return "%s %s %s" % (f, self.str_operand(depth), self.str_operand(depth))
        if k == 11:
            return "replaceAll %s %s %s" % (self.str_operand(depth), self.str_operand(depth),
                                            self.str_operand(depth))
        if k == 12:
            return "indent %s %s" % (self.pick(["0", "2", "4", "-1", "1.0", '"2"']),
                                     self.str_operand(depth))
        if k == 13:
            return "env %s" % self.pick(['"VLT_TEST_A"', '"VLT_TEST_EMPTY"', '"VLT_TEST_NOPE"'])
        if k == 14:
            return "len %s" % self.operand(depth)
        if k == 15:
            return "secret %s" % self.pick(['"secret/data/a"', '"kv/c"', '"secret/data/b"'])
        if k == 16:
            return "not %s" % self.operand(depth)
        if k == 17:
            return self.operand(depth) + " " + self.operand(depth)
        if k == 18:
            return "html %s" % args(self.r.randrange(1, 3))
        return self.operand(depth)

    def pipeline(self, depth=0):
        cmds = [self.command(depth)]
        if self.safe:
            while self.chance(0.25):
                f = self.pick(["print", "printf \"%q\"", "printf \"%v|%d\" 5", "toJSON", "len",
                               "urlquery", "js", "html", "not", "and 1", "or 0",
                               "toUnescapedJSON", "printf \"[%6.2f]\" 1.5", "println"])
                cmds.append(f)
            return " | ".join(cmds)
        while self.chance(0.3):
            f = self.pick(["trimSpace", "toUpper", "toLower", "toJSON", "len", "print",
                           "printf \"%q\"", "index . 0", "urlquery", "js", "html", "base64Encode",
                           "split \",\"", "join \",\"", "indent 2", "replaceAll \"a\" \"b\"",
                           "not", "and 1", "or 0", "eq \"x\"", "toUnescapedJSON", "slice . 1",
                           "printf \"%v|%d\" 5", "trimPrefix \"a\"", "contains \"a\"",
                           "parseJSON", "toYAML", "shellQuote", ".Data", "1", "$",
                           "parseInt", "parseFloat", "parseBool", "parseUint", "md5sum",
                           "add 1", "multiply 2.5", "maximum 3", "in \"a\"",
                           "containsAny (parseJSON `[\"a\"]`)"])
            if f == "shellQuote":
                self.shellquote = True
            cmds.append(f)
        return " | ".join(cmds)

    def printf_format(self):
        out = []
        for _ in range(self.r.randrange(1, 4)):
            if self.chance(0.3):
                out.append(self.pick(["x=", " ", "\u00e9", "[", "]"]))
            s = "%"
            s += "".join(self.r.sample("+-# 0", self.r.randrange(0, 3)))
            if self.chance(0.2):
                s += "[%d]" % self.r.randrange(0, 4)
            if self.chance(0.4):
                s += self.pick(["5", "10", "*", "0", "2"])
            if self.chance(0.3):
                s += "." + self.pick(["0", "2", "3", "*", ""])
            if self.chance(0.1):
                s += "[%d]" % self.r.randrange(0, 4)
            if self.chance(0.97):
                s += self.pick(FMT_VERBS)
            out.append(s)
        return "".join(out)

    def named_body(self):
        """The body of a define or block: a template of its own (only $ in scope)."""
        saved = (self.vars, self.in_range)
        self.vars, self.in_range = [], 0
        body = self.items(self.r.randrange(0, 4))
        self.vars, self.in_range = saved
        return body

    def named_call(self, defined):
        name = json.dumps(self.pick(defined) if defined and self.chance(0.9) else
                          self.pick(["a", "nope"]))
        arg = self.pick([".", "$", ".Data", ".Data.data", ".Data.data.user", "1", "nil",
                         "(secret \"secret/data/b\")", ".Data.data.list", "\"s\""])
        k = self.r.randrange(6)
        if k == 0:
            return self.trim_open() + "template " + name + self.trim_close()
        if k <= 2:
            return self.trim_open() + "template %s %s" % (name, arg) + self.trim_close()
        if k == 3:
            return self.trim_open() + "block %s %s" % (self.pick(['"c"', '"d"', '"a"']), arg) + \
                self.trim_close() + self.named_body() + self.trim_open() + "end" + self.trim_close()
        if k == 4:
            return self.trim_open() + "executeTemplate %s %s" % (name, self.pick(["", arg, arg])) + \
                self.trim_close()
        return self.trim_open() + "executeTemplate %s %s | %s" % (
            name, arg, self.pick(["printf \"%q\"", "len", "toUpper", "toJSON"])) + self.trim_close()

    def named_case(self):
        defs = ""
        defined = self.r.sample(["a", "b", "c"], self.r.randrange(1, 4))
        for name in defined:
            defs += self.text() + self.trim_open() + "define \"%s\"" % name + self.trim_close() + \
                self.named_body() + self.trim_open() + "end" + self.trim_close()
        calls = "".join(self.text() + self.named_call(defined)
                        for _ in range(self.r.randrange(1, 4)))
        where = self.r.randrange(3)
        if where == 0:
            return defs + calls
        if where == 1:
            return calls + defs
        return self.left + " with secret \"secret/data/a\" " + self.right + calls + \
            self.left + " end " + self.right + defs

    def trim_open(self):
        return self.left + ("- " if self.chance(0.3) else " ")

    def trim_close(self):
        return (" -" if self.chance(0.3) else " ") + self.right

    def action(self):
        if self.chance(0.15) and self.vars is not None:
            name = "$" + self.pick(["v", "s", "x", "k"])
            if self.chance(0.3) and name in self.vars:
                return self.trim_open() + "%s = %s" % (name, self.pipeline()) + self.trim_close()
            self.vars.append(name)
            return self.trim_open() + "%s := %s" % (name, self.pipeline()) + self.trim_close()
        return self.trim_open() + self.pipeline() + self.trim_close()

    def block(self):
        kind = self.pick(["if", "with", "range", "range", "with"])
        saved = list(self.vars)
        head = self.pipeline()
        decl = ""
        if kind == "range":
            k = self.r.randrange(3)
            if k == 1:
                decl = "$v := "
                self.vars.append("$v")
            elif k == 2:
                decl = "$k, $v := "
                self.vars += ["$k", "$v"]
            self.in_range += 1
        elif self.chance(0.1):
            decl = "$w := "
            self.vars.append("$w")
        self.depth += 1
        body = self.items(self.r.randrange(0, 4))
        if kind == "range":
            self.in_range -= 1
        s = self.trim_open() + kind + " " + decl + head + self.trim_close() + body
        if kind == "if" and self.chance(0.3):
            s += self.trim_open() + "else if " + self.pipeline() + self.trim_close() + self.items(2)
        if self.chance(0.4):
            s += self.trim_open() + "else" + self.trim_close() + self.items(self.r.randrange(0, 3))
        s += self.trim_open() + "end" + self.trim_close()
        self.depth -= 1
        self.vars = saved
        return s

    def item(self):
        k = self.r.randrange(12)
        if k <= 2:
            return self.text()
        if k <= 6:
            return self.action()
        if k == 7 and self.depth < 4:
            return self.block()
        if k == 8:
            return self.left + ("- " if self.chance(0.5) else "") + "/* c */" + \
                (" -" if self.chance(0.5) else "") + self.right
        if k == 9 and self.in_range:
            return self.trim_open() + self.pick(["break", "continue"]) + self.trim_close()
        if k == 10 and self.depth < 4:
            return self.trim_open() + "with $s := secret \"secret/data/a\"" + self.trim_close() + \
                self.items(2) + self.trim_open() + "end" + self.trim_close()
        return self.text()

    def items(self, n):
        return "".join(self.item() for _ in range(n))

    def breakage(self, t):
        """Occasionally damage the template to exercise parse errors."""
        k = self.r.randrange(12)
        if k == 0:
            return t + self.left
        if k == 1:
            return t + self.left + " end " + self.right
        if k == 2:
            return t.replace(self.right, self.right[:-1], 1)
        if k == 3:
            return t + self.left + " .a-b " + self.right
        if k == 4:
            return t + self.left + " \"unterminated " + self.right
        if k == 5:
            return t + self.left + " (1 " + self.right
        if k == 6:
            return t + self.left + " nosuchfunc " + self.right
        if k == 7:
            return t + self.left + "-3" + self.right
        if k == 8:
            return t + self.left + " $undefined " + self.right
        if k == 9:
            return t + self.left + " 1 | 2 " + self.right
        if k == 10:
            return t + self.left + " else " + self.right
        return t + self.left + " /* x */ " + self.right


def make_regex_case(i, seed):
    """regex mode: one regexMatch/regexReplaceAll call per case."""
    r = random.Random("re-%s-%d" % (seed, i))
    g = Gen(r)
    g.safe = True
    body = "{{ with secret \"secret/data/a\" }}{{ " + g.regex_command() + " }}{{ end }}"
    data = ("obj", [("data", g.secret_data()), ("metadata", ("obj", []))])
    secret = json.dumps({"request_id": "r", "lease_id": "", "lease_duration": 0,
                         "renewable": False, "data": None, "warnings": None}).replace(
                             '"data": null', '"data": ' + g.render_json(data))
    return {"id": "re-%s-%d" % (seed, i), "template": body, "secrets": {"secret/data/a": secret},
            "env": {}, "error_on_missing_key": False, "left": "", "right": "",
            "shellquote": False}


def make_sprig_case(i, seed):
    """sprig mode: one call of sprig's list, dict or encoding helpers per case."""
    r = random.Random("sp-%s-%d" % (seed, i))
    g = Gen(r)
    g.safe = True
    body = "{{ with secret \"secret/data/a\" }}{{ " + g.sprig_more() + " }}{{ end }}"
    data = ("obj", [("data", g.secret_data()), ("metadata", ("obj", []))])
    secret = json.dumps({"request_id": "r", "lease_id": "", "lease_duration": 0,
                         "renewable": False, "data": None, "warnings": None}).replace(
                             '"data": null', '"data": ' + g.render_json(data))
    secrets = make_case(i, seed)["secrets"]  # the other paths str_operand may read
    secrets["secret/data/a"] = secret
    # str_operand's write form with other fields: present, so neither side waits for it
    secrets['pki/issue/w\x1f{"common_name":"b"}'] = secrets[
        'pki/issue/w\x1f{"common_name":"a.svc","ttl":"1h"}']
    return {"id": "sp-%s-%d" % (seed, i), "template": body, "secrets": secrets,
            "env": {}, "error_on_missing_key": False, "left": "", "right": "",
            "shellquote": False}


def make_case(i, seed):
    r = random.Random("%s-%d" % (seed, i))
    g = Gen(r)
    if r.random() < 0.08:
        g.left, g.right = r.choice([("<<", ">>"), ("[[", "]]"), ("{%", "%}"), ("{{{", "}}}")])
    g.safe = r.random() < 0.75
    g.vars = ["$s"] if r.random() < 0.3 else []
    prefix = ""
    if g.vars:
        prefix = g.left + "- $s := secret \"secret/data/a\" -" + g.right
    body = prefix + g.left + " with secret \"secret/data/a\" " + g.right + g.items(r.randrange(1, 6)) + \
        g.left + " end " + g.right + g.items(r.randrange(0, 4))
    if r.random() < 0.12:
        # yaml.v2 focus: toYAML of whole structures
        what = r.choice([".Data.data", ".Data.data.nested", ".Data.data.list", ".", ".Data",
                         ".Data.data.user", ".Data.data.n", "(parseJSON .Data.data.user)",
                         ".Warnings", ".Data.metadata"])
        body = g.left + " with secret \"%s\" " % r.choice(["secret/data/a", "kv/c"]) + \
            g.right + g.left + " " + what + " | toYAML " + g.right + g.left + " end " + g.right
        g.shellquote = False
    if r.random() < 0.04:
        # issue 15's forms, whole: the write form (keyed by path + fields) and secrets
        body = r.choice([
            '{{ with secret "pki/issue/w" "ttl=1h" "common_name=a.svc" }}{{ .Data.certificate }}|'
            '{{ .Data.expiration }}|{{ .LeaseID }}|{{ .Renewable }}{{ end }}',
            '{{ with secret "/pki/issue/w/" "common_name=b" "" "ttl=1h" "common_name=a.svc" }}'
            '{{ .Data.serial_number | toJSON }}{{ else }}none{{ end }}',
            '{{ range $i, $k := secrets "kv/list" }}{{ $i }}={{ $k }};{{ end }}{{ secrets "kv/list/" }}',
            '{{ secrets "kv/list" | join "," }}|{{ len (secrets "kv/none") }}|{{ secrets "" }}',
            '{{ secret "pki/issue/w" "common_name" }}',
            '{{ secrets " / " }}',
        ]).replace("{{", g.left).replace("}}", g.right)
    elif r.random() < 0.1:
        # named templates: define / template / block / executeTemplate
        g.vars = []
        g.safe = True
        body = g.named_case()
    elif r.random() < 0.2:
        # focus on the functions added with the builtins table: short templates
        # of one to three calls, so that most render instead of failing early
        g.safe = True
        g.vars = []
        body = g.left + " with secret \"secret/data/a\" " + g.right + "".join(
            g.text() + g.trim_open() + g.new_funcs_command() + g.trim_close()
            for _ in range(r.randrange(1, 4))) + g.left + " end " + g.right
    elif r.random() < (0.03 if g.safe else 0.2):
        body = g.breakage(body)
    secrets = {}
    for path in ["secret/data/a", "secret/data/b"]:
        data = ("obj", [("data", g.secret_data()),
                        ("metadata", ("obj", [("version", ("num", "3")),
                                              ("custom_metadata", ("null", None)),
                                              ("deletion_time", ("str", ""))]))])
        secrets[path] = json.dumps({"request_id": "req-" + path[-1], "lease_id": "",
                                    "lease_duration": r.choice([0, 2764800]),
                                    "renewable": r.random() < 0.5,
                                    "data": None, "warnings": None}).replace(
                                        '"data": null', '"data": ' + g.render_json(data))
    secrets["kv/c"] = json.dumps({"request_id": "req-c", "lease_id": "lease/c",
                                  "lease_duration": 60, "renewable": True,
                                  "data": None, "warnings": ["w1", "w2"]}).replace(
                                      '"data": null', '"data": ' + g.render_json(g.secret_data()))
    secrets['pki/issue/w\x1f{"common_name":"a.svc","ttl":"1h"}'] = json.dumps(
        {"request_id": "req-w", "lease_id": "", "lease_duration": 0, "renewable": False,
         "data": {"certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                  "expiration": 1767225600, "serial_number": "3a:0f"}, "warnings": None})
    secrets["kv/list\x1e"] = json.dumps(["a/", "b", "c-d"])
    secrets["kv/none\x1e"] = "[]"   # what the agent holds after a LIST answered 404
    return {
        "id": "%s-%d" % (seed, i),
        "template": body,
        "secrets": secrets,
        "env": {"VLT_TEST_A": "value-a", "VLT_TEST_EMPTY": ""},
        "error_on_missing_key": r.random() < 0.3,
        "left": g.left if g.left != "{{" else "",
        "right": g.right if g.right != "}}" else "",
        "shellquote": g.shellquote or r.random() < 0.1,
        # timestamp's clock, pinned: 1970..2100, whole seconds or with nanoseconds
        "now_sec": r.randrange(1, 4102444800),
        "now_nsec": r.choice([0, 0, r.randrange(1000000000), r.randrange(1000) * 1000000]),
    }


SPRIG_ARITY = {"sprig_upper": 1, "sprig_lower": 1, "sprig_trim": 1, "sprig_trimAll": 2,
               "sprig_trimPrefix": 2, "sprig_trimSuffix": 2, "sprig_replace": 3,
               "sprig_b64enc": 1, "sprig_sha256sum": 1, "sprig_contains": 2,
               "sprig_hasPrefix": 2, "sprig_hasSuffix": 2}
SPRIG_FUNCS = sorted(SPRIG_ARITY)

# Hand-written edge cases of the functions added with the builtins table,
# rendered against HAND_SECRET at path "h" (one case per line).
HAND_SECRET = json.dumps({"request_id": "r", "lease_id": "", "lease_duration": 0,
                          "renewable": False, "warnings": None,
                          "data": {"n": 42, "f": 1.50, "big": 18446744073709551615,
                                   "neg": -3, "s": "7", "e": "", "u": "\u00e9t\u00e9",
                                   "l": ["a", "b", 1, 2.5, None], "q": "a\"b\\c",
                                   "m": {"a/b": 1, "a/c": "x", "d": True}}})
HAND = r"""{{ parseInt "" }}|{{ parseUint "" }}|{{ parseFloat "" }}|{{ parseBool "" }}
{{ parseInt .Data.s }}|{{ parseFloat .Data.s | printf "%T" }}
{{ parseInt .Data.n }}
{{ parseInt .Data.u }}
{{ parseInt .Data.q }}
{{ parseFloat "0x1.fffffffffffffp1023" }}|{{ parseFloat "0x1p-1074" }}|{{ parseFloat "0x1p-1075" }}
{{ parseFloat "2.2250738585072011e-308" }}|{{ parseFloat "1e23" }}|{{ parseFloat "-0" }}
{{ parseFloat "1_2_3.4_5e1_0" }}|{{ parseFloat "0x_1p0" }}|{{ parseFloat "00.5" }}
{{ parseFloat "1__2" }}
{{ parseFloat "Infinity" }}|{{ parseFloat "+inf" }}|{{ parseFloat "iNf" }}
{{ parseUint "-0" }}
{{ parseInt "+0" }}|{{ parseInt "-0" }}|{{ parseInt "000000000000000000000000000001" }}
{{ parseBool "1" }}|{{ parseBool "TrUe" }}
{{ printf "%v %T|%v %T|%v %T" (add 1 2) (add 1 2) (add 1.5 2) (add 1.5 2) (add (parseUint "1") 2) (add (parseUint "1") 2) }}
{{ subtract (parseUint "5") (parseUint "3") }}|{{ subtract 5 (parseUint "3") }}
{{ multiply 9223372036854775807 2 }}|{{ multiply (parseUint "18446744073709551615") (parseUint "2") }}
{{ divide 0 0.0 }}|{{ divide 0.0 1 }}|{{ divide 0.0 -1 }}|{{ divide -1 -9223372036854775807 }}
{{ divide 0 5 }}
{{ modulo 0 5 }}
{{ modulo 3 -7 }}|{{ modulo -1 (parseInt "-9223372036854775808") }}|{{ modulo 3 (parseUint "7") }}
{{ modulo 2 1.5 }}
{{ add .Data.n 1 }}
{{ add 1 .Data.n }}
{{ add nil 1 }}
{{ add "1" 1 }}
{{ $a := minimum 1 (parseUint "18446744073709551615") }}{{ $b := maximum -1 (parseUint "18446744073709551615") }}{{ printf "%v %T|%v %T" $a $a $b $b }}
{{ printf "%T" (minimum 2.5 2) }}|{{ maximum (parseFloat "nan") 1 }}|{{ minimum 1 (parseFloat "nan") }}
{{ .LeaseDuration | add 5 }}
{{ md5sum "" }}|{{ md5sum .Data.u }}|{{ hmacSHA256Hex "" "" }}|{{ hmacSHA256Hex .Data.u (printf "%0100d" 1) }}
{{ md5sum .Data.n }}
{{ in .Data.l "a" }}|{{ in .Data.l 1 }}|{{ in .Data.l 2.5 }}|{{ in .Data.l "1" }}|{{ in .Data.u "t" }}|{{ in "" "" }}
{{ in .Data.l nil }}
{{ in .Data.n "4" }}|{{ in .Data.m "d" }}|{{ in nil "x" }}
{{ containsAll .Data.l .Data.l }}|{{ containsAny (parseJSON "[]") .Data.l }}|{{ containsNone .Data.l "xyz" }}|{{ containsNotAll .Data.l "ab" }}
{{ containsAll nil .Data.l }}|{{ containsAny .Data.nope "x" }}|{{ containsNone .Data.l nil }}
{{ containsAll .Data.l "ab1" }}
{{ containsAll (split "," "a") .Data.l }}
{{ containsAll .Data.m .Data.l }}
{{ regexReplaceAll "(?i)k" "<$0>" "kK\u212a" }}|{{ regexMatch "(?i)\u212a" "k" }}|{{ regexReplaceAll "(?i)[^k]" "." "akK\u212as\u017fS" }}|{{ regexReplaceAll "(?i)\\W" "." "k\u212a\u017f!" }}
{{ regexReplaceAll "a*" "-" "baaac" }}|{{ regexReplaceAll "" "-" "\u00e9t\u00e9" }}|{{ regexReplaceAll "x*" "-" "\xff\xfeab" }}|{{ regexReplaceAll "." "[$0]" "a\xffb" }}
{{ regexReplaceAll "(a)(?P<x>b)?" "$1x|${1}x|$x|${x}|$2|$3|$$|$|${|${1" "ab a" }}
{{ regexReplaceAll "(a)" "$01 $00 $1a ${01}" "a" }}|{{ regexReplaceAll "(?P<n1>a)" "$n1 ${n1}" "a" }}
{{ regexReplaceAll "(a*)*" "<$1>" "b" }}|{{ regexReplaceAll "(a*)+" "<$1>" "b" }}|{{ regexReplaceAll "(a|b)*?c" "<$1>" "abc" }}|{{ regexReplaceAll "(a+|b+)*" "<$1>" "aabba" }}
{{ regexReplaceAll "(?m)^" ">" "a\nb\n" }}|{{ regexReplaceAll "(?m)$" "<" "a\nb\n" }}|{{ regexReplaceAll "$" "<" "a\n" }}|{{ regexReplaceAll "\\b" "|" "ab c_d \u00e9" }}
{{ regexMatch "^[[:^alpha:][:digit:]]+$" "1!" }}|{{ regexMatch "\\x{10FFFF}" "\U0010FFFF" }}|{{ regexMatch "[\\x00-\\x{10FFFF}]" "" }}|{{ regexMatch "\\Q.*\\E" "a.*" }}
{{ regexMatch "(" "" }}
{{ regexMatch "a{1001}" "" }}
{{ regexMatch "(a{100}){11}" "" }}
{{ regexMatch "\\p{Greek}" "" }}
{{ regexReplaceAll .Data.q "x" .Data.u }}
{{ regexReplaceAll "\\d+" "#" (printf "%v" .Data.n) }}|{{ regexMatch "^[0-9]+$" .Data.s }}
{{ range loop 3 }}{{ . }}{{ printf "%T" . }},{{ end }}|{{ range $i := loop .Data.s 10 }}{{ $i }}{{ end }}|{{ range loop (parseUint "2") }}u{{ end }}
{{ range loop 0 }}x{{ else }}none{{ end }}|{{ range loop 5 2 }}x{{ else }}back{{ end }}|{{ range loop "" }}x{{ end }}|{{ range loop -2 "1" }}{{ . }};{{ end }}
{{ range loop .Data.n }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}|{{ range $i := loop 4 }}{{ if lt $i 2 }}{{ continue }}{{ end }}{{ add $i 10 }}{{ end }}
{{ range 3 | loop 1 }}{{ . }}{{ end }}|{{ range loop 2 }}{{ range loop . }}({{ . }}){{ end }}{{ end }}
{{ range loop }}x{{ end }}
{{ range loop 1 2 3 }}x{{ end }}
{{ range loop 1.5 }}x{{ end }}
{{ range loop nil }}x{{ end }}
{{ range loop .Data.nope }}x{{ end }}
{{ range loop true }}x{{ end }}
{{ range loop .Data.u }}x{{ end }}
{{ range loop .Data.f }}x{{ end }}
{{ range loop "9223372036854775808" }}x{{ end }}
{{ range loop .Data }}x{{ end }}
{{ loop 3 }}
{{ range $i, $v := loop 3 }}{{ $i }}{{ end }}
{{ range $i := loop 0 }}x{{ else }}{{ $i }}{{ end }}
{{ timestamp }}|{{ timestamp "unix" }}|{{ timestamp "" }}|{{ timestamp "Mon Monday Jan January 1 01 2 _2 02 _2006 06 15 3 03 4 04 5 05 PM pm MST" }}
{{ timestamp "2006-01-02T15:04:05.000000000Z07:00 .999 ,999 .9 .0 .00 -0700 -07:00 -07 -070000 -07:00:00 Z07 Z0700 Z070000 Z07:00:00" }}
{{ timestamp "002" }}
{{ timestamp "__2" }}
{{ timestamp "1" "2" }}
{{ timestamp 5 }}
{{ timestamp "a.0001 .99a ,9x .09 .000000000000 Janua Mond 20061 1504" }}
{{ sprig_upper .Data.u }}|{{ sprig_lower "ÉTÉ İ" }}|{{ sprig_trim "\t x \n" }}|{{ sprig_trimAll "$é" "$$été$" }}|{{ sprig_trimPrefix "" "a" }}|{{ sprig_trimSuffix "é" .Data.u }}
{{ sprig_replace "" "-" .Data.u }}|{{ sprig_replace "a" "" "banana" }}|{{ sprig_b64enc "" }}|{{ sprig_b64enc .Data.u }}|{{ sprig_sha256sum "" }}
{{ sprig_contains "" "" }}|{{ sprig_contains "té" .Data.u }}|{{ sprig_hasPrefix "é" .Data.u }}|{{ sprig_hasSuffix "x" "" }}|{{ sprig_hasSuffix "" "" }}|{{ "abc" | sprig_hasSuffix "bc" }}
{{ sprig_upper .Data.n }}
{{ sprig_contains "a" }}
{{ sprig_trim nil }}
{{ sprig_b64enc .Data.l }}
{{ sprig_default "d" }}|{{ sprig_default "d" .Data.nope }}|{{ sprig_default "d" .Data.e }}|{{ sprig_default "d" .Data.n }}|{{ .Data.s | sprig_default "d" }}|{{ sprig_default "d" 0 "x" }}|{{ sprig_default nil nil }}|{{ printf "%T" (sprig_default 5 nil) }}
{{ sprig_empty .Data.nope }}|{{ sprig_empty .Data.l }}|{{ sprig_empty (parseJSON "{}") }}|{{ sprig_empty (parseJSON "[]") }}|{{ sprig_empty 0.0 }}|{{ sprig_empty (parseUint "0") }}|{{ sprig_empty . }}|{{ sprig_empty .Auth }}|{{ sprig_empty (split "," "") }}|{{ sprig_empty (parseFloat "nan") }}
{{ sprig_coalesce }}|{{ sprig_coalesce nil "" 0 .Data.nope .Data.n "x" }}|{{ sprig_coalesce .Data.e false }}|{{ sprig_all }}|{{ sprig_any }}|{{ sprig_all 1 "a" .Data.l }}|{{ sprig_all 1 "" }}|{{ sprig_any nil 0 "a" }}|{{ sprig_any nil 0 "" }}
{{ sprig_default }}
{{ sprig_empty }}
{{ sprig_empty 1 2 }}
{{ sprig_quote }}|{{ sprig_quote nil }}|{{ sprig_quote .Data.q .Data.n nil .Data.nope 1.5 true .Data.l .Data.u "\x00\xff" }}|{{ sprig_quote (parseInt "-3") .Data.m .Auth }}
{{ sprig_squote }}|{{ sprig_squote .Data.q .Data.n nil 1.5 .Data.l .Data.m .Auth (split "," "a,b") }}|{{ "x" | sprig_squote "y" }}"""


# Hand-written edge cases of the mutable-value and format functions (toTOML,
# ...), rendered against HAND_SECRET at path "h" and M_SECRET at "m".
M_SECRET = (r'{"request_id":"r","data":{"i":42,"neg":-0,"f":1.50,"e":1e2,'
            r'"i64":9223372036854775807,"m64":-9223372036854775808,"d":0.25,'
            r'"big":18446744073709551615,"tiny":1e-400,"x":1.0e-4,"s":"v\"\\\u0000\u007f\n",'
            r'"nested":{"k":[1,2.5,-0.0,3e5],"t":[{"a":1},{"b":{"c":"d"}}]}}}')
M_BAD = json.dumps({"data": {"a": 1, "b": {"c": [1, None]}}}).replace('"a": 1', '"a": 1E+400')
HAND_M = r"""{{ toTOML .Data.m }}|{{ toTOML (parseJSON "{}") }}|{{ toTOML (splitToMap "," "=" "a=1,b=,c=x y") }}|{{ toTOML (explodeMap .Data.m) }}
{{ toTOML .Data }}
{{ toTOML nil }}
{{ toTOML .Data.nope }}
{{ toTOML "x" }}
{{ toTOML . }}
{{ toTOML .Data.l }}
{{ toTOML 1 }}
{{ toTOML (parseJSON `[]`) }}
{{ toTOML (parseJSON `{"a":1,"b":{"c":[1,"x",{"d":null}],"e":{}},"t":[{"x":1},{"y":[{"z":2}]}],"s":"q"
 \"}`) }}
{{ toTOML (parseJSON `{"a":[[1,[null]]]}`) }}
{{ toTOML (parseJSON `{"a":{"b":[1,{"c":null,"d":1}]}, "z":[{"n":null}]}`) }}
{{ toTOML (parseJSON `{"a":[{"b":null,"c":1}], "":1, "x y":{"é":2}, "k.k":[], "A-b_9":true}`) }}
{{ toTOML (parseJSON `{"a":123456.5, "b": 0.0001, "c": -0.0, "d": 0.5, "e": 999999.9999999999}`) }}
{{ toTOML (parseJSON `{"a":1e6}`) }}
{{ toTOML (parseJSON `{"a":9.9999e-5}`) }}
{{ toTOML (parseJSON `{"a":{"b":{"c":{}}}, "z":1, "y":[]}`) }}
{{ toTOML (parseJSON `{"x":[{"a":1},{"b":[{"c":{"d":[1]}}]}], "y":[{"a":1},2], "z":[[{"a":1}],[]]}`) }}
{{ toTOML (parseJSON `{"x":{"a":null,"b":null}, "y":{"i":{"a":1,"b":null}}, "w":[{"k":{"a":1, "b":{"c":null}}}, 1]}`) }}
{{ toTOML (parseJSON `{"a":"x","b":null}`) | printf "%q" }}
{{ parseJSON `{"a":1e400,"a":1}` }}
{{ parseJSON `{"a":[1],"b":"1e999","a":{"c":-1E+400},"a":2}` }}
{{ spew_dump }}|{{ spew_dump .Data }}|{{ spew_dump 1 "x" nil .Data.l }}|{{ spew_printf "%v %d" .Data.n }}|{{ spew_printf "" }}
{{ spew_printf }}
{{ spew_printf 1 }}
{{ scratch.Set "a" "x" }}{{ scratch.Get "a" }}|{{ scratch.Key "a" }}|{{ scratch.Key "b" }}|{{ scratch.Get "b" }}
{{ scratch.Set "a" 1 }}{{ scratch.SetX "a" 2 }}{{ scratch.SetX "b" 3 }}{{ scratch.Get "a" }}{{ scratch.Get "b" }}{{ printf "%T" (scratch.Get "a") }}
{{ scratch.MapSet "m" "z" "1" }}{{ scratch.MapSet "m" "a" .Data.n }}{{ scratch.MapSetX "m" "a" "no" }}{{ scratch.MapValues "m" }}|{{ scratch.Get "m" }}|{{ scratch.MapValues "none" | printf "%#v" }}
{{ scratch.Set "s" "str" }}{{ scratch.MapSet "s" "k" "v" }}
{{ scratch.MapSet "m" "k" 1 }}
{{ scratch.Set }}
{{ scratch.Set "a" }}
{{ scratch.Set 1 2 }}
{{ scratch.Foo }}
{{ scratch.values }}
{{ scratch.Lock }}
{{ scratch }}
{{ $s := scratch }}{{ $s.Set "k" "v" }}{{ with scratch }}{{ .Get "k" }}{{ .Set "k2" "w" }}{{ end }}{{ (scratch).Get "k2" }}
{{ "piped" | scratch.Set "p" }}{{ scratch.Get "p" }}
{{ scratch.Get.x }}
{{ if scratch }}t{{ end }}|{{ if scratch.Key "x" }}y{{ else }}n{{ end }}
{{ $m := parseJSON `{"a":1}` }}{{ scratch.Set "m" $m }}{{ $_ := mergeMap $m (parseJSON `{"b":2}`) }}{{ scratch.Get "m" }}{{ scratch.MapSet "m" "c" "3" }}{{ $m }}
{{ scratch.MapSet "d" "x" .Data.m }}{{ scratch.MapValues "d" | toJSON }}{{ scratch.Get "d" | toJSON }}
{{ scratch.Set "dd" .Data.m }}{{ scratch.MapSet "dd" "x" "y" }}
{{ scratch.MapSet "l" "x" .Data.l }}{{ scratch.MapSet "l" "y" (parseJSON `[1,{"a":2}]`) }}{{ scratch.MapValues "l" | toJSON }}
{{ range $v := loop 3 }}{{ scratch.MapSet "r" (print $v) "v" }}{{ end }}{{ scratch.MapValues "r" }}{{ len (scratch.MapValues "r") }}
{{ scratch.Set "n" nil }}{{ scratch.Key "n" }}{{ scratch.Get "n" }}{{ scratch.MapSet "n" "k" "v" }}
{{ scratch.MapSet "m" "k" nil }}{{ scratch.MapSet "m" "j" true }}{{ scratch.MapSet "m" "f" 1.5 }}{{ scratch.MapValues "m" }}{{ scratch.MapSet "m" "i" (parseFloat "2") }}{{ toJSON (scratch.Get "m") }}
{{ scratch.MapSet "e" "" "empty" }}{{ scratch.MapSet "e" "\u00e9" "u" }}{{ scratch.MapValues "e" }}
{{ scratch.Key }}
{{ scratch.MapValues "a" "b" }}
{{ scratch.Get "a" | printf "%v" }}{{ scratch.Get nil }}
{{ $m := parseJSON `{"a":1,"b":"","c":{"x":1},"l":[1],"e":[],"z":0}` }}{{ mergeMap $m (parseJSON `{"a":2,"b":"B","c":{"x":2,"y":3},"l":[9],"e":[5],"n":null,"z":7,"new":{"q":1}}`) | toJSON }}|{{ toJSON $m }}
{{ $m := parseJSON `{"a":1,"b":"","c":{"x":1},"l":[1],"e":[],"z":0,"n":5}` }}{{ mergeMapWithOverride $m (parseJSON `{"a":2,"b":"B","c":{"x":2,"y":3},"l":[9],"e":[5],"n":null,"z":7,"new":{"q":1}}`) | toJSON }}|{{ toJSON $m }}
{{ mergeMap .Data.m (parseJSON `{"x":1}`) }}
{{ mergeMap .Data.m (parseJSON `{}`) }}
{{ mergeMap (parseJSON `{"x":1}`) .Data.m | toJSON }}
{{ $m := parseJSON `{"x":1}` }}{{ $r := mergeMap $m .Data.m }}{{ toJSON $m }}|{{ toJSON .Data.m }}
{{ mergeMap nil .Data.m | toJSON }}|{{ mergeMap nil nil | printf "%v %T" }}|{{ mergeMap (parseJSON "") nil | toJSON }}
{{ mergeMap "x" .Data.m }}
{{ mergeMap (splitToMap "," "=" "a=1") .Data.m }}
{{ $m := parseJSON `{"c":{}}` }}{{ $s := parseJSON `{"c":{}}` }}{{ $_ := mergeMap $m $s }}{{ mergeMap $m.c (parseJSON `{"k":1}`) | toJSON }}|{{ toJSON $s }}
{{ $m := parseJSON `{"a":{"b":1}}` }}{{ $old := $m.a }}{{ $_ := mergeMapWithOverride $m (parseJSON `{"a":"s"}`) }}{{ toJSON $old }}|{{ toJSON $m }}
{{ $m := parseJSON `{"a":"x"}` }}{{ mergeMapWithOverride $m (parseJSON `{"a":{"b":1}}`) | toJSON }}
{{ $m := parseJSON `{"a":"x"}` }}{{ mergeMap $m (parseJSON `{"a":{"b":1}}`) | toJSON }}
{{ $m := parseJSON `{"a":1,"b":2}` }}{{ range $k, $v := $m }}{{ $_ := mergeMapWithOverride $m (parseJSON `{"b":3}`) }}{{ $k }}={{ $v }};{{ end }}
{{ $m := parseJSON `{"a":1,"b":2}` }}{{ range $k, $v := $m }}{{ $k }}={{ $v }};{{ end }}{{ mergeMapWithOverride $m (parseJSON `{"b":3}`) | toJSON }}
{{ $m := parseJSON `{"a":{"k":1}}` }}{{ mergeMap $m $m | toJSON }}|{{ mergeMapWithOverride $m $m.a | toJSON }}
{{ $m := parseJSON `{"a":{"k":1}}` }}{{ mergeMap $m.a $m | toJSON }}
{{ $e := explodeMap .Data.m }}{{ mergeMap $e (parseJSON `{"a":{"z":1}, "q":2}`) | toJSON }}
{{ $e := explodeMap .Data.m }}{{ mergeMap $e.a (parseJSON `{"z":1}`) | toJSON }}
{{ $l := parseJSON `[{"a":1}]` }}{{ $_ := mergeMap (index $l 0) (parseJSON `{"b":2}`) }}{{ toJSON $l }}
{{ $m := parseJSON `{"s":"","f":0,"t":false,"u":"x"}` }}{{ mergeMap $m (parseJSON `{"s":"S","f":1.5,"t":true,"u":"y"}`) | toJSON }}
{{ $m := parseJSON `{"a":[1]}` }}{{ $s := parseJSON `{"b":[{"k":1}]}` }}{{ $_ := mergeMap $m $s }}{{ $_ := mergeMap (index $m.b 0) (parseJSON `{"z":1}`) }}{{ toJSON $s }}
{{ with secret "h" }}{{ $m := parseJSON "{}" }}{{ $_ := mergeMap $m .Data }}{{ toJSON $m }}{{ end }}
{{ mergeMap (parseJSON `{"a":1}`) (parseJSON `{"a":"\u0000x"}`) | printf "%q" }}|{{ mergeMapWithOverride (parseJSON `{"a":1}`) (parseJSON `{"a":"\u0000x"}`) | printf "%q" }}"""
M_HAND_SECRETS = {"h": HAND_SECRET, "m": M_SECRET, "bad": M_BAD}
M_HAND_EXTRA = ['{{ with secret "m" }}{{ toTOML .Data }}{{ end }}',
                '{{ with secret "m" }}{{ toTOML .Data.nested }}{{ end }}',
                '{{ with secret "bad" }}{{ toTOML .Data }}{{ end }}',
                '{{ define "t" }}{{ scratch.Set "in" "named" }}{{ scratch.MapSet "m" "k" . }}{{ end }}'
                '{{ template "t" "a" }}{{ scratch.Get "in" }}{{ executeTemplate "t" "b" }}'
                '{{ scratch.MapValues "m" }}{{ with secret "h" }}{{ template "t" .Data.u }}{{ end }}'
                '{{ scratch.Get "m" }}']


def m_hand_cases():
    lines = ["{{ with secret \"h\" }}" + l + "{{ end }}" for l in HAND_M.split("\n")]
    for i, t in enumerate(lines + M_HAND_EXTRA):
        yield {"id": "hand-m-%d" % i, "template": t, "secrets": M_HAND_SECRETS, "env": {},
               "error_on_missing_key": False, "left": "", "right": "", "shellquote": False}


M_KEYS = ["a", "b", "z", "A-b_9", "", "x y", "k.k", "\u00e9", "1", "_", "q\"", "t\tab", "a/b"]
M_NUMS = ["0", "-0", "1", "42", "-7", "1.5", "1.50", "-0.25", "1e-7", "1E+21", "100000",
          "1234567", "3.0e2", "2.5E-3", "9007199254740993", "0.1", "9223372036854775807",
          "9223372036854775808", "-9223372036854775809", "0.0001", "999999", "1e400"]


def m_json(r, depth):
    """A random JSON text for toTOML: tables, arrays of tables, mixed arrays."""
    k = r.randrange(10 if depth < 3 else 6)
    if k == 0:
        return json.dumps(r.choice(STRINGS))
    if k == 1:
        return r.choice(M_NUMS)
    if k == 2:
        return r.choice(["true", "false", "null"] if r.random() < 0.3 else ["true", "false"])
    if k == 3:
        return json.dumps(r.choice(STRINGS[:40]))
    if k == 4:
        return r.choice(M_NUMS[:12])
    if k == 5:
        return json.dumps(r.choice(M_KEYS))
    if k in (6, 7):
        n = r.randrange(0, 4)
        return "{" + ",".join(json.dumps(r.choice(M_KEYS)) + ":" + m_json(r, depth + 1)
                              for _ in range(n)) + "}"
    n = r.randrange(0, 4)
    if r.random() < 0.5:
        return "[" + ",".join("{" + ",".join(json.dumps(r.choice(M_KEYS)) + ":" + m_json(r, depth + 2)
                                             for _ in range(r.randrange(0, 3))) + "}"
                              for _ in range(n)) + "]"
    return "[" + ",".join(m_json(r, depth + 1) for _ in range(n)) + "]"


def make_m_case(i, seed):
    r = random.Random("m-%s-%d" % (seed, i))
    doc = "{" + ",".join(json.dumps(r.choice(M_KEYS)) + ":" + m_json(r, 0)
                         for _ in range(r.randrange(0, 6))) + "}"
    secret = '{"request_id":"r","data":%s}' % doc
    if r.random() < 0.35:
        # scratch: a random program of its methods over a few keys
        keys = ['"a"', '"b"', '"m"', '""']
        vals = ['"s"', '""', ".Data.x", ".Data.n", "(parseJSON .Data.y)", '(parseJSON `[1,{"k":2}]`)',
                "nil", "true", "1.5", "(parseFloat \"2\")", "1", ".Data", "(scratch.Get \"a\")",
                "(scratch.MapValues \"m\")", ".Data.u"]
        ops = []
        for _ in range(r.randrange(1, 9)):
            k = r.randrange(9)
            if k < 2:
                ops.append("{{ scratch.%s %s %s }}" % (r.choice(["Set", "SetX"]), r.choice(keys), r.choice(vals)))
            elif k < 5:
                ops.append("{{ scratch.%s %s %s %s }}" % (r.choice(["MapSet", "MapSetX"]), r.choice(keys),
                                                         r.choice(keys + ['"z"', '"\\u00e9"']), r.choice(vals)))
            elif k == 5:
                ops.append("{{ scratch.Get %s }}|{{ scratch.Key %s }}|" % (r.choice(keys), r.choice(keys)))
            elif k == 6:
                ops.append("{{ scratch.MapValues %s | %s }}|" % (r.choice(keys), r.choice(["toJSON", "print", "len", "printf \"%#v\""])))
            elif k == 7:
                ops.append("{{ range $k, $v := scratch.Get %s }}{{ $k }}={{ $v }};{{ end }}|" % r.choice(keys))
            else:
                ops.append("{{ with $s := scratch }}{{ $s.Set %s %s }}{{ .Get %s }}{{ end }}|" % (
                    r.choice(keys), r.choice(vals), r.choice(keys)))
        data = {"x": r.choice(STRINGS[:30]), "y": '{"a":1,"b":{"c":"d"}}', "u": "\u00e9t\u00e9"}
        secret = '{"request_id":"r","data":%s}' % json.dumps(data).replace('"u"', '"n": %s, "u"' % r.choice(M_NUMS[:12]))
        t = '{{ with secret "g" }}' + "".join(ops) + '{{ end }}'
        return {"id": "m-%d" % i, "template": t, "secrets": {"g": secret}, "env": {},
                "error_on_missing_key": False, "left": "", "right": "", "shellquote": False}
    if r.random() < 0.5:
        # mergeMap: fresh maps (parseJSON) and the secret, in both roles
        docs = ["{" + ",".join(json.dumps(r.choice(M_KEYS[:6])) + ":" + m_json(r, 1)
                               for _ in range(r.randrange(0, 5))) + "}" for _ in range(3)]
        f = r.choice(["mergeMap", "mergeMapWithOverride"])
        a, b, c = ("(parseJSON .Data.%s)" % k for k in "xyz")
        t = r.choice([
            '{{ $d := %s }}{{ $r := %s $d %s }}{{ toJSON $r }}|{{ toJSON $d }}' % (a, f, b),
            '{{ $d := %s }}{{ $s := %s }}{{ $_ := %s $d $s }}{{ $_ := %s $d %s }}{{ toJSON $d }}|{{ toJSON $s }}'
            % (a, b, f, r.choice(["mergeMap", "mergeMapWithOverride"]), c),
            '{{ $d := %s }}{{ %s $d .Data | toJSON }}|{{ toJSON .Data }}' % (a, f),
            '{{ with secret "g" }}{{ %s .Data %s | toJSON }}{{ end }}' % (f, a),
            '{{ $d := %s }}{{ range $k, $v := $d }}{{ $_ := %s $d %s }}{{ $k }}={{ $v }};{{ end }}{{ $d }}'
            % (a, f, b),
            '{{ $d := %s }}{{ $x := %s }}{{ $_ := %s $d $x }}{{ $_ := %s $d.a %s }}{{ $d }}|{{ $x }}'
            % (a, b, f, f, c),
            '{{ %s (%s nil %s) %s | toTOML }}' % (f, f, a, b),
        ])
        if not t.startswith("{{ with"):
            t = '{{ with secret "g" }}' + t + '{{ end }}'
        data = {"x": docs[0], "y": docs[1], "z": docs[2]}
        secret = '{"request_id":"r","data":%s}' % json.dumps(data) if r.random() < 0.7 else \
            '{"request_id":"r","data":%s}' % doc.replace("{", '{"x":%s,"y":%s,"z":%s,' % tuple(
                json.dumps(d) for d in docs), 1).replace(",}", "}")
        return {"id": "m-%d" % i, "template": t, "secrets": {"g": secret}, "env": {},
                "error_on_missing_key": False, "left": "", "right": "", "shellquote": False}
    t = r.choice(['{{ with secret "g" }}{{ toTOML .Data }}{{ end }}',
                  '{{ with secret "g" }}{{ toTOML (parseJSON (toJSON .Data)) }}{{ end }}',
                  '{{ with secret "g" }}{{ range $k, $v := .Data }}{{ $k }}:{{ toTOML $v }}|{{ end }}{{ end }}'])
    return {"id": "m-%d" % i, "template": t, "secrets": {"g": secret}, "env": {},
            "error_on_missing_key": False, "left": "", "right": "", "shellquote": False}


# Hand-written edge cases of sprig's list, dict and encoding helpers
# (agent/template/rf_sprig.c): errors, empty and nil inputs, json.Number,
# unicode, Go integer types inside lists, in-place sorting.
SPRIG_NUM = ["add", "add1", "sub", "mul", "div", "mod", "max", "biggest", "min", "floor", "ceil",
             "round", "int", "int64", "float64", "atoi", "toString", "toDecimal", "repeat",
             "substr", "nospace", "trunc", "abbrev", "title", "untitle", "cat", "indent",
             "nindent", "plural", "ternary", "sha1sum", "sha512sum", "adler32sum", "typeOf", "typeIs",
             "typeIsLike", "kindOf", "kindIs", "deepEqual", "regexMatch", "mustRegexMatch",
             "regexReplaceAll", "mustRegexReplaceAll", "regexReplaceAllLiteral",
             "mustRegexReplaceAllLiteral", "regexQuoteMeta", "fromJson", "seq", "base", "dir",
             "clean", "ext", "isAbs", "osBase", "osDir", "osClean", "osExt", "osIsAbs", "splitn",
             "deepCopy", "mustDeepCopy"]

MUSTABLE = ("append", "prepend", "first", "last", "rest", "initial", "reverse", "uniq",
            "without", "has", "compact", "slice", "toJson", "toPrettyJson", "toRawJson")

SPRIG_HAND = r"""{{ sprig_list }}|{{ sprig_list 1 "a" nil 1.5 true .Data.n .Data.l .Data.m }}|{{ printf "%T %T %T" (sprig_list 1) (index (sprig_list 1 (parseInt "2")) 1) (sprig_first (sprig_list (parseUint "3"))) }}|{{ sprig_toJson (sprig_list 1 (parseUint "18446744073709551615") .Data.n nil) }}
{{ sprig_first .Data.l }}|{{ sprig_last .Data.l }}|{{ sprig_first (sprig_list) }}|{{ sprig_rest .Data.l }}|{{ sprig_initial .Data.l }}|{{ sprig_rest (sprig_list) | sprig_toJson }}|{{ sprig_initial (sprig_list) | printf "%T %v" }}|{{ sprig_rest (split "," "a,b") }}
{{ sprig_first nil }}
{{ sprig_first .Data.nope }}
{{ sprig_last "abc" }}
{{ sprig_rest .Data.m }}
{{ sprig_initial .Data.n }}
{{ sprig_reverse .Data.l }}|{{ sprig_reverse (sprig_list) | sprig_toJson }}|{{ sprig_compact (sprig_list 0 "" nil false "a" .Data.e 1 (sprig_list) .Data.m) }}|{{ sprig_compact (sprig_list) | sprig_toJson }}
{{ sprig_uniq (sprig_list 1 1 "1" .Data.n .Data.n 42 1.0 1.0 nil nil .Data.m .Data.m (sprig_list) (sprig_list) (parseJSON "[]")) }}|{{ sprig_uniq (split "," "a,b,a") }}
{{ sprig_without .Data.l "a" 1 nil 2.5 }}|{{ sprig_without .Data.l }}|{{ sprig_without (sprig_list 1 2 3 1) 1 }}
{{ sprig_has "a" .Data.l }}|{{ sprig_has 1 .Data.l }}|{{ sprig_has nil .Data.l }}|{{ sprig_has "x" nil }}|{{ sprig_has 1.0 (sprig_list 1) }}|{{ sprig_has "b" (split "," "a,b") }}
{{ sprig_has 1 "abc" }}
{{ sprig_append .Data.l "x" }}|{{ sprig_push (sprig_list) nil }}|{{ sprig_prepend .Data.l .Data.m }}|{{ sprig_append (split "," "a") 1 | printf "%T %v" }}
{{ sprig_append nil 1 }}
{{ sprig_prepend 1 1 }}
{{ sprig_concat }}|{{ sprig_concat (sprig_list) | printf "%T %v" }}|{{ sprig_concat .Data.l (split "," "x,y") (sprig_list 1) }}|{{ sprig_concat (sprig_list) (sprig_list) | sprig_toJson }}
{{ sprig_concat .Data.l 1 }}
{{ sprig_concat .Data.l nil }}
{{ sprig_slice .Data.l }}|{{ sprig_slice .Data.l 1 }}|{{ sprig_slice .Data.l 1 3 }}|{{ sprig_slice .Data.l 5 }}|{{ sprig_slice (sprig_list) 1 2 | printf "%T" }}|{{ sprig_slice (split "," "a,b,c") 1 | printf "%T %v" }}
{{ sprig_slice .Data.l 3 1 }}
{{ sprig_slice .Data.l -1 }}
{{ sprig_slice 3 }}
{{ sprig_sortAlpha .Data.l }}|{{ sprig_sortAlpha (sprig_list "b" "a" 3 1.5 nil "é" "B") }}|{{ sprig_sortAlpha "x" }}|{{ sprig_sortAlpha 5 }}|{{ sprig_sortAlpha nil }}|{{ sprig_sortAlpha .Data.m }}|{{ sprig_sortAlpha (split "," "a,b") }}|{{ printf "%T" (sprig_sortAlpha (sprig_list)) }}
{{ sprig_toStrings .Data.l }}|{{ sprig_toStrings 1 }}|{{ sprig_toStrings nil | printf "%T %v" }}|{{ sprig_toStrings .Data.n }}|{{ sprig_toStrings (split "," "a,b") }}|{{ sprig_toStrings (sprig_list (parseInt "-1") .Data.m) }}
{{ sprig_join "," .Data.l }}|{{ sprig_join "" (split "," "a,b") }}|{{ sprig_join "-" 5 }}|{{ sprig_join "-" nil }}|{{ sprig_join .Data.u .Data.m }}|{{ .Data.l | sprig_join ", " }}
{{ sprig_splitList "," "a,b,,c" }}|{{ sprig_splitList "" .Data.u }}|{{ sprig_splitList "," "" | len }}|{{ sprig_splitList "" "" | len }}|{{ printf "%T" (sprig_splitList "," "a") }}|{{ sprig_splitList "é" "aébéc" }}
{{ sprig_split "," "a,b,,c,d,e,f,g,h,i,j,k" }}|{{ (sprig_split "," "x,y")._1 }}|{{ (sprig_split "," "x")._5 }}|{{ sprig_split "" "" }}|{{ printf "%T" (sprig_split "." "a") }}|{{ sprig_split "" "\xffé" | sprig_toJson }}
{{ sprig_dict }}|{{ sprig_dict "a" 1 "b" "x" "a" 2 }}|{{ sprig_dict "k" }}|{{ sprig_dict 1 2 nil 3 .Data.n 4 true 5 | sprig_toJson }}|{{ (sprig_dict "a" (sprig_dict "b" .Data.l)).a.b }}|{{ printf "%T" (sprig_dict "a" (parseUint "7")).a }}
{{ sprig_get .Data.m "d" }}|{{ sprig_get .Data.m "zz" | printf "%T %q" }}|{{ sprig_get nil "a" }}|{{ sprig_hasKey .Data.m "a/b" }}|{{ sprig_hasKey .Data.m "" }}|{{ sprig_hasKey nil "x" }}
{{ sprig_hasKey .Data.nope "x" }}
{{ sprig_get (splitToMap "," "=" "a=1") "a" }}
{{ sprig_get .Data.l "a" }}
{{ sprig_pluck "d" .Data.m (sprig_dict "d" 1) (sprig_dict) .Data.m }}|{{ sprig_pluck "x" }}|{{ sprig_pluck "x" | sprig_toJson }}
{{ sprig_pick .Data.m "d" "a/b" "zz" "d" }}|{{ sprig_pick .Data.m }}|{{ sprig_omit .Data.m "d" }}|{{ sprig_omit .Data.m }}|{{ sprig_omit nil "a" | sprig_toJson }}|{{ sprig_pick nil | printf "%T %v" }}
{{ sprig_dig "a" "b" "def" (sprig_dict "a" (sprig_dict "b" 7)) }}|{{ sprig_dig "a" "x" "def" (sprig_dict "a" (sprig_dict "b" 7)) }}|{{ sprig_dig "m" "d" 0 .Data }}|{{ sprig_dig "zz" "d" 0 .Data }}|{{ sprig_dig "n" 0 .Data }}
{{ sprig_dig "a" "b" "d" (sprig_dict "a" 1) }}
{{ sprig_dig 1 "d" .Data }}
{{ sprig_dig "a" "d" nil }}
{{ sprig_dig "a" .Data }}
{{ sprig_dig "a" "d" (splitToMap "," "=" "a=1") }}
{{ sprig_b64dec "aGVsbG8=" }}|{{ sprig_b64dec "" }}|{{ sprig_b64dec "aGVsbG8" }}|{{ sprig_b64dec "!!" }}|{{ sprig_b64dec "aGVs\nbG8=" }}|{{ sprig_b64dec "aGVsbG8=x" }}|{{ sprig_b64dec (sprig_b64enc .Data.u) }}
{{ sprig_b32enc "" }}|{{ sprig_b32enc "f" }}|{{ sprig_b32enc "fo" }}|{{ sprig_b32enc "foo" }}|{{ sprig_b32enc "foob" }}|{{ sprig_b32enc "fooba" }}|{{ sprig_b32enc "foobar" }}|{{ sprig_b32enc .Data.u }}
{{ sprig_b32dec "MZXW6YTBOI======" }}|{{ sprig_b32dec "" }}|{{ sprig_b32dec "MY======" }}|{{ sprig_b32dec "MZXQ====" }}|{{ sprig_b32dec "MZXW6===" }}|{{ sprig_b32dec "MZXW6YQ=" }}|{{ sprig_b32dec "MZXW6YTB" }}|{{ sprig_b32dec "mzxw6ytb" }}|{{ sprig_b32dec "MZXW6YT" }}|{{ sprig_b32dec "M=======" }}|{{ sprig_b32dec "MZX=====" }}|{{ sprig_b32dec "MY=====" }}|{{ sprig_b32dec "MY====x=" }}|{{ sprig_b32dec "MY======MY======" }}|{{ sprig_b32dec "MZ\r\nXW6===" }}|{{ sprig_b32dec "MY======X" }}|{{ sprig_b32dec "MZXW6YTBOI=====" }}|{{ sprig_b32dec "=" }}|{{ sprig_b32dec "MZXW6YTB=" }}|{{ sprig_b32dec "MZXW6YTBM=======" }}
{{ sprig_toJson .Data }}|{{ sprig_toJson "<&>" }}|{{ sprig_toRawJson "<&>" }}|{{ sprig_toPrettyJson .Data.m }}|{{ sprig_toPrettyJson (sprig_list) }}|{{ sprig_toJson nil }}|{{ sprig_toJson (parseFloat "nan") }}|{{ sprig_toPrettyJson (parseFloat "inf") }}|{{ sprig_toRawJson .Data.l }}|{{ sprig_toJson . }}
{{ sprig_toRawJson (parseFloat "nan") }}
{{ sprig_list . }}
{{ sprig_list (split "," "a") }}
{{ sprig_list (splitToMap "," "=" "a=1") }}
{{ sprig_dict "a" nil "b" .Data.nope | sprig_toJson }}
{{ $l := split "," "b,a" }}{{ sprig_sortAlpha $l }}{{ $l }}
{{ $l := split "," "a,b" }}{{ sprig_sortAlpha $l }}{{ $l }}
{{ sprig_tuple 1 2 }}|{{ sprig_dict "\u00e9" 1 }}
{{ sprig_uniq (sprig_list (split "," "")) }}
{{ sprig_mustFirst .Data.l }}|{{ sprig_mustLast (sprig_list) }}|{{ sprig_mustRest .Data.l }}|{{ sprig_mustPush .Data.l 1 }}|{{ sprig_mustHas 1 nil }}|{{ sprig_mustToJson .Data.m }}|{{ sprig_mustToPrettyJson .Data.l }}|{{ sprig_mustToRawJson "<>" }}|{{ sprig_mustSlice .Data.l 1 2 }}|{{ sprig_mustUniq (sprig_list 1 1) }}|{{ sprig_mustWithout .Data.l "a" }}|{{ sprig_mustCompact .Data.l }}|{{ sprig_mustReverse .Data.l }}|{{ sprig_mustInitial .Data.l }}|{{ sprig_mustPrepend .Data.l 0 }}|{{ sprig_mustAppend .Data.l 0 }}
{{ sprig_mustFirst 1 }}
{{ sprig_mustHas 1 1 }}
{{ sprig_mustToJson (parseFloat "inf") }}
{{ sprig_mustToPrettyJson (parseFloat "nan") }}
{{ sprig_mustSlice .Data.l 2 1 }}
{{ sprig_toJson "\b" }}"""
HAND += "\n" + SPRIG_HAND

# Hand-written edge cases of sprig's math, conversion, string and type helpers
# (agent/template/rf_sprig_num.c): cast's coercions, Go's wrapping and panics.
SPRIG_HAND2 = r"""{{ sprig_add }}|{{ sprig_add 1 2 3 }}|{{ sprig_add "1" .Data.n 2.9 true nil .Data.s "0x10" "0o17" "017" "0b11" "1_000" "5.00" "5.5" "5." "x" .Data.l }}|{{ printf "%T" (sprig_add 1) }}|{{ sprig_add 9223372036854775807 1 }}|{{ sprig_add (parseUint "18446744073709551615") 2 }}
{{ sprig_add1 .Data.n }}|{{ sprig_add1 "-1" }}|{{ sprig_add1 .Data.f }}|{{ sprig_sub 1 .Data.big }}|{{ sprig_mul 2 }}|{{ sprig_mul 3 "4" 0.5 }}|{{ sprig_div 7 2 }}|{{ sprig_div -7 2 }}|{{ sprig_mod -7 2 }}|{{ sprig_div (parseInt "-9223372036854775808") -1 }}|{{ sprig_mod (parseInt "-9223372036854775808") -1 }}
{{ sprig_div 1 0 }}
{{ sprig_mod 1 "0" }}
{{ sprig_max 1 }}|{{ sprig_max 1 5 "7" -2 }}|{{ sprig_min 3 "-9" 4.7 }}|{{ sprig_biggest .Data.n .Data.s }}|{{ printf "%T" (sprig_min 1 2) }}
{{ sprig_floor 1.5 }}|{{ sprig_floor "-1.5" }}|{{ sprig_ceil .Data.f }}|{{ sprig_ceil "x" }}|{{ sprig_floor nil }}|{{ sprig_floor "inf" }}|{{ sprig_ceil "1e400" }}|{{ printf "%T" (sprig_floor 1) }}|{{ sprig_floor -0.5 }}
{{ sprig_round 3.14159 2 }}|{{ sprig_round 2.5 0 }}|{{ sprig_round -2.5 0 }}|{{ sprig_round "1.005" 2 }}|{{ sprig_round .Data.f 1 }}|{{ sprig_round 123.456 22 }}
{{ sprig_round 1 -1 }}
{{ sprig_round 1 2 0.4 }}
{{ sprig_int "42" }}|{{ sprig_int 3.99 }}|{{ sprig_int -3.99 }}|{{ sprig_int .Data.n }}|{{ sprig_int .Data.big }}|{{ sprig_int "0x_1F" }}|{{ sprig_int "1__0" }}|{{ sprig_int "_1" }}|{{ sprig_int "08" }}|{{ sprig_int "0x" }}|{{ sprig_int "-0b101" }}|{{ sprig_int "99999999999999999999" }}|{{ printf "%T %T %T" (sprig_int 1) (sprig_int64 1) (sprig_float64 1) }}
{{ sprig_int 1e300 }}
{{ sprig_int64 (parseFloat "nan") }}
{{ sprig_float64 "1.5" }}|{{ sprig_float64 .Data.n }}|{{ sprig_float64 .Data.big }}|{{ sprig_float64 "0x1p-2" }}|{{ sprig_float64 "1_0" }}|{{ sprig_float64 "inf" }}|{{ sprig_float64 "1e400" }}|{{ sprig_float64 true }}|{{ sprig_float64 (parseUint "18446744073709551615") }}|{{ sprig_float64 . }}
{{ sprig_atoi "42" }}|{{ sprig_atoi "+7" }}|{{ sprig_atoi "-" }}|{{ sprig_atoi "" }}|{{ sprig_atoi "1_0" }}|{{ sprig_atoi "0x10" }}|{{ sprig_atoi "99999999999999999999" }}|{{ sprig_atoi "-99999999999999999999" }}|{{ sprig_atoi .Data.s }}|{{ printf "%T" (sprig_atoi "1") }}
{{ sprig_toString 1 }}|{{ sprig_toString nil }}|{{ sprig_toString .Data.n }}|{{ sprig_toString .Data.l }}|{{ sprig_toString .Data.m }}|{{ sprig_toString 1.5 }}|{{ sprig_toString .Data.nope }}|{{ printf "%T" (sprig_toString 1) }}
{{ sprig_toDecimal "777" }}|{{ sprig_toDecimal 17 }}|{{ sprig_toDecimal "8" }}|{{ sprig_toDecimal "-10" }}|{{ sprig_toDecimal .Data.n }}|{{ sprig_toDecimal "0o7" }}|{{ sprig_toDecimal nil }}
{{ sprig_repeat 3 "ab" }}|{{ sprig_repeat 0 "x" }}|{{ sprig_repeat 2 .Data.u }}|{{ sprig_repeat 5 "" }}
{{ sprig_repeat -1 "x" }}
{{ sprig_repeat 1 .Data.n }}
{{ sprig_substr 1 3 "hello" }}|{{ sprig_substr -1 2 "hello" }}|{{ sprig_substr 2 -1 "hello" }}|{{ sprig_substr 2 99 "hello" }}|{{ sprig_substr 0 1 .Data.u }}|{{ sprig_substr 5 5 "hello" }}
{{ sprig_substr 3 1 "hello" }}
{{ sprig_substr -1 9 "hello" }}
{{ sprig_substr -1 -2 "hello" }}
{{ sprig_substr 9 -1 "hello" }}
{{ sprig_trunc 3 "hello" }}|{{ sprig_trunc -3 "hello" }}|{{ sprig_trunc 99 "hi" }}|{{ sprig_trunc -99 "hi" }}|{{ sprig_trunc 0 "hi" }}|{{ sprig_trunc 1 .Data.u }}
{{ sprig_abbrev 5 "hello world" }}|{{ sprig_abbrev 3 "hello world" }}|{{ sprig_abbrev 20 "hello" }}|{{ sprig_abbrev 4 "" }}|{{ sprig_abbrev 4 .Data.u }}
{{ sprig_nospace " a b\tc\n" }}|{{ sprig_nospace "abc" }}|{{ sprig_nospace .Data.u }}|{{ sprig_nospace "é é" }}|{{ sprig_nospace "\u0085x\u00a0" }}|{{ sprig_nospace "" }}
{{ sprig_title "hello wORLD foo_bar a-b 1st" }}|{{ sprig_untitle "Hello World  ABC\tDef" }}|{{ sprig_title "" }}
{{ sprig_title .Data.u }}
{{ sprig_cat }}|{{ sprig_cat "a" nil 1 .Data.l .Data.nope "b" }}|{{ sprig_cat nil }}|{{ sprig_cat .Data.m 2.5 }}
{{ sprig_indent 2 "a\nb" }}|{{ sprig_nindent 2 "a\nb\n" }}|{{ sprig_indent 0 "" }}|{{ sprig_nindent 1 "" }}
{{ sprig_indent -1 "a" }}
{{ sprig_plural "one" "many" 1 }}|{{ sprig_plural "one" "many" 2 }}|{{ sprig_plural "one" "many" 0 }}
{{ sprig_plural "one" "many" "1" }}
{{ sprig_ternary "a" "b" true }}|{{ sprig_ternary "a" "b" false }}|{{ sprig_ternary .Data.l 1 (eq 1 1) }}
{{ sprig_ternary "a" "b" 1 }}
{{ sprig_ternary "a" "b" .Data.nope }}
{{ sprig_sha512sum "" }}|{{ sprig_sha512sum .Data.u }}|{{ sprig_trimall "$" "$$a$" }}|{{ sprig_hello }}|{{ sprig_sha1sum "" }}|{{ sprig_sha1sum .Data.u }}|{{ sprig_adler32sum "" }}|{{ sprig_adler32sum "Wikipedia" }}|{{ sprig_adler32sum .Data.u }}
{{ sprig_fail "boom" }}
{{ sprig_fail "" }}
{{ sprig_typeOf 1 }}|{{ sprig_typeOf nil }}|{{ sprig_typeOf .Data.n }}|{{ sprig_typeOf . }}|{{ sprig_typeOf .Data.l }}|{{ sprig_typeOf .Auth }}|{{ sprig_typeOf (split "," "") }}|{{ sprig_typeOf (parseUint "1") }}
{{ sprig_kindOf 1 }}|{{ sprig_kindOf nil }}|{{ sprig_kindOf .Data.n }}|{{ sprig_kindOf . }}|{{ sprig_kindOf .Data.l }}|{{ sprig_kindOf .Auth }}|{{ sprig_kindOf .Data.m }}|{{ sprig_kindOf 1.5 }}|{{ sprig_kindOf true }}|{{ sprig_kindOf .Data.nope }}
{{ sprig_typeIs "int" 1 }}|{{ sprig_typeIs "json.Number" .Data.n }}|{{ sprig_typeIsLike "dependency.Secret" . }}|{{ sprig_typeIsLike "int" 1 }}|{{ sprig_typeIs "<nil>" nil }}|{{ sprig_kindIs "map" .Data.m }}|{{ sprig_kindIs "invalid" nil }}|{{ sprig_kindIs "ptr" . }}
{{ sprig_deepEqual 1 1 }}|{{ sprig_deepEqual 1 1.0 }}|{{ sprig_deepEqual .Data.l .Data.l }}|{{ sprig_deepEqual (sprig_list "a") (split "," "a") }}|{{ sprig_deepEqual nil .Data.nope }}|{{ sprig_deepEqual (sprig_dict "a" 1) (sprig_dict "a" 1) }}|{{ sprig_deepEqual (parseJSON "{}") (sprig_dict) }}|{{ sprig_deepEqual . . }}|{{ sprig_deepEqual (parseFloat "nan") (parseFloat "nan") }}"""
HAND += "\n" + SPRIG_HAND2

# sprig's regular expression forms (argument order: RE S REPL; errors swallowed or panicking)
SPRIG_HAND3 = r"""{{ sprig_regexMatch "^a.c$" "abc" }}|{{ sprig_regexMatch "(" "x" }}|{{ sprig_regexMatch "" "" }}|{{ sprig_mustRegexMatch "é+" .Data.u }}|{{ sprig_regexMatch "(?i)K" "\u212a" }}
{{ sprig_mustRegexMatch "(" "x" }}
{{ sprig_regexMatch "\\pL" "x" }}
{{ sprig_regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ sprig_regexReplaceAll "a" .Data.u "$0$0" }}|{{ sprig_mustRegexReplaceAll "(?P<n>t)" "tat" "[$n]" }}|{{ sprig_regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}|{{ sprig_mustRegexReplaceAllLiteral "" "ab" "$" }}
{{ sprig_regexReplaceAll "(" "x" "y" }}
{{ sprig_regexReplaceAll "a`(" "x" "y" }}
{{ sprig_regexReplaceAll "\t(" "x" "y" }}
{{ sprig_regexReplaceAll "\x01(" "x" "y" }}
{{ sprig_regexReplaceAllLiteral "[" "x" "y" }}
{{ sprig_mustRegexReplaceAll "a**" "x" "y" }}
{{ sprig_fromJson `{"a":[1,1.50,"x",null,true,{}],"b":1e400,"c":12345678901234567890}` }}|{{ sprig_fromJson "" }}|{{ sprig_fromJson "[1e400,2]" }}|{{ sprig_fromJson "1e400" }}|{{ sprig_fromJson "{" }}|{{ printf "%T" (sprig_fromJson "1") }}|{{ sprig_fromJson `"\u00e9\ud800"` }}|{{ sprig_fromJson `{"a":1,"a":2}` }}|{{ sprig_toJson (sprig_fromJson .Data.u) }}|{{ sprig_fromJson " [ ] " | printf "%T %v" }}
{{ sprig_regexQuoteMeta "a.b*c[d]{e}(f)|g^h$i\\j+k?" }}|{{ sprig_regexQuoteMeta "" }}|{{ sprig_regexQuoteMeta .Data.u }}"""
HAND += "\n" + SPRIG_HAND3

# sprig's seq (wrapping ints), path helpers and splitn
SPRIG_HAND4 = r"""{{ sprig_seq }}|{{ sprig_seq 5 }}|{{ sprig_seq -3 }}|{{ sprig_seq 0 }}|{{ sprig_seq 1 }}|{{ sprig_seq 2 5 }}|{{ sprig_seq 5 2 }}|{{ sprig_seq 0 2 10 }}|{{ sprig_seq 10 -3 0 }}|{{ sprig_seq 10 3 0 }}|{{ sprig_seq 1 0 5 }}|{{ sprig_seq 1 2 3 4 }}|{{ sprig_seq 9223372036854775807 }}|{{ sprig_seq 9223372036854775806 9223372036854775807 }}
{{ sprig_seq "3" }}
{{ sprig_base "/a/b/" }}|{{ sprig_base "" }}|{{ sprig_base "///" }}|{{ sprig_base "a" }}|{{ sprig_dir "/a/b/c" }}|{{ sprig_dir "a" }}|{{ sprig_dir "/" }}|{{ sprig_dir "" }}|{{ sprig_dir "a/b/" }}|{{ sprig_ext "a/b.tar.gz" }}|{{ sprig_ext "a.b/c" }}|{{ sprig_ext "" }}|{{ sprig_isAbs "/x" }}|{{ sprig_isAbs "x" }}|{{ sprig_osIsAbs "" }}
{{ sprig_clean "" }}|{{ sprig_clean "/../a/./b/../c//" }}|{{ sprig_clean "../../a/.." }}|{{ sprig_clean "a/../.." }}|{{ sprig_clean "./" }}|{{ sprig_clean "/.." }}|{{ sprig_clean "a//b/./../c/" }}|{{ sprig_osClean "x/../../y" }}|{{ sprig_osBase "/é/ü" }}|{{ sprig_osDir "/é/ü" }}|{{ sprig_osExt ".bashrc" }}|{{ sprig_clean "..a/.b/..." }}
{{ sprig_splitn "," 2 "a,b,c" }}|{{ sprig_splitn "," 0 "a,b" }}|{{ sprig_splitn "," -1 "a,b,c" }}|{{ sprig_splitn "," 5 "a,b" }}|{{ sprig_splitn "" 2 "\xffé\xff" | sprig_toJson }}|{{ sprig_splitn "" 9 "ab" }}|{{ sprig_splitn "" 1 "" }}|{{ sprig_splitn "," 1 "" }}|{{ sprig_splitn "," 3 "a,b," }}|{{ printf "%T" (sprig_splitn "," 1 "") }}"""
HAND += "\n" + SPRIG_HAND4
HAND += "\n" + r"""{{ sprig_deepCopy 1 }}|{{ sprig_deepCopy .Data.n | printf "%T %v" }}|{{ sprig_deepCopy .Data.m }}|{{ sprig_mustDeepCopy .Data.l }}|{{ sprig_deepCopy . | printf "%T" }}|{{ sprig_deepCopy .Warnings | sprig_toJson }}|{{ sprig_deepCopy (split "," "") | printf "%T %v" }}|{{ sprig_deepCopy (splitToMap "," "=" "a=1") }}|{{ (sprig_deepCopy .).Data.s }}|{{ sprig_deepCopy (parseJSON "[]") | len }}
{{ sprig_deepCopy nil }}
{{ sprig_mustDeepCopy .Data.nope }}"""


def hand_cases():
    for i, line in enumerate(HAND.split("\n")):
        yield {"id": "hand-%d" % i,
               "template": "{{ with secret \"h\" }}" + line + "{{ end }}",
               "secrets": {"h": HAND_SECRET}, "env": {}, "error_on_missing_key": False,
               "left": "", "right": "", "shellquote": False,
               "now_sec": 1767225599 + i, "now_nsec": 120000000 if i % 2 else 0}


def main():
    seed = sys.argv[1] if len(sys.argv) > 1 else "1"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    out = sys.stdout
    if os.environ.get("VAULTLET_DIFF_MODE") == "regex":
        for i in range(count):
            out.write(json.dumps(make_regex_case(i, seed)) + "\n")
        return
    if os.environ.get("VAULTLET_DIFF_MODE") == "sprig":
        for i in range(count):
            out.write(json.dumps(make_sprig_case(i, seed)) + "\n")
        return
    for c in hand_cases():
        out.write(json.dumps(c) + "\n")
    for i in range(count):
        out.write(json.dumps(make_case(i, seed)) + "\n")
    for c in m_hand_cases():
        out.write(json.dumps(c) + "\n")
    for i in range(max(count // 10, 1)):
        out.write(json.dumps(make_m_case(i, seed)) + "\n")


if __name__ == "__main__":
    main()
