# SPDX-License-Identifier: MIT
"""A small subset of CEL, enough for the matchConditions of a
MutatingWebhookConfiguration that test presence of annotations or labels:

    has(object.metadata.annotations)
    'vault.hashicorp.com/agent-inject' in object.metadata.annotations
    A && B, A || B, !A, (A)

Anything else raises Unsupported, so a condition kubesim cannot evaluate is
never silently taken as true. Selecting a field that is absent is an error,
as in CEL ("no such key"), raised as EvalError.
"""
import re


class Unsupported(Exception):
    """The expression is outside the subset kubesim evaluates."""


class EvalError(Exception):
    """CEL would fail evaluating this expression on this object."""


_TOKEN = re.compile(r"\s*(?:(&&|\|\||[()!.])|'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|"
                    r"([A-Za-z_][A-Za-z0-9_]*))")


def _tokens(expr):
    pos, out = 0, []
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise Unsupported("kubesim cannot parse CEL at %r" % expr[pos:])
        op, sq, dq, ident = m.groups()
        if op:
            out.append(("op", op))
        elif sq is not None or dq is not None:
            out.append(("str", sq if sq is not None else dq))
        else:
            out.append(("id", ident))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, toks, env):
        self.t, self.i, self.env = toks, 0, env

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, kind=None, val=None):
        k, v = self.peek()
        if k is None or (kind and k != kind) or (val and v != val):
            raise Unsupported("kubesim CEL: unexpected %r" % (v,))
        self.i += 1
        return v

    def parse(self):
        v = self.orexpr()
        if self.i != len(self.t):
            raise Unsupported("kubesim CEL: trailing %r" % (self.peek()[1],))
        return v

    # CEL's && and || are commutative about errors: false && <error> is
    # false, true || <error> is true; otherwise the error stands.
    def _guard(self, fn):
        try:
            return fn()
        except EvalError as e:
            return e

    def _combine(self, sub, op, absorbing):
        vals = [self._guard(sub)]
        while self.peek() == ("op", op):
            self.take()
            vals.append(self._guard(sub))
        if len(vals) == 1 and isinstance(vals[0], EvalError):
            raise vals[0]
        if any(v is absorbing for v in vals):
            return absorbing
        for v in vals:
            if isinstance(v, EvalError):
                raise v
        return vals[0] if len(vals) == 1 else (not absorbing)

    def orexpr(self):
        return self._combine(self.andexpr, "||", True)

    def andexpr(self):
        return self._combine(self.unary, "&&", False)

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not self.unary()
        if self.peek() == ("op", "("):
            self.take()
            v = self.orexpr()
            self.take("op", ")")
            return v
        if self.peek() == ("id", "has"):
            self.take()
            self.take("op", "(")
            path = self.path()
            self.take("op", ")")
            parent = self.select(path[:-1])
            return isinstance(parent, dict) and path[-1] in parent
        k, v = self.peek()
        if k == "str":
            self.take()
            self.take("id", "in")
            container = self.select(self.path())
            if not isinstance(container, (dict, list)):
                raise EvalError("'in' on a non-container")
            return v in container
        raise Unsupported("kubesim CEL: unsupported term %r" % (v,))

    def path(self):
        parts = [self.take("id")]
        while self.peek() == ("op", "."):
            self.take()
            parts.append(self.take("id"))
        if parts[0] not in self.env:
            raise Unsupported("kubesim CEL: unknown variable %s" % parts[0])
        return parts

    def select(self, path):
        cur = self.env
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                raise EvalError("no such key: %s" % p)
            cur = cur[p]
        return cur


def evaluate(expr, env):
    """True or False; raises Unsupported or EvalError."""
    v = _Parser(_tokens(expr), env).parse()
    if not isinstance(v, bool):
        raise EvalError("result is not a bool")
    return v
