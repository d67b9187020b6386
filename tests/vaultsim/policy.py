# SPDX-License-Identifier: MIT
"""Vault ACL policies: an HCL (v1) subset parser and Vault's matching rules.

Accepted syntax (what Vault's HCL v1 parser accepts for policies, minus
templated paths and parameter constraints): top-level keys `path` and
`name`; blocks `path "<glob>" { capabilities = ["read", ...] }` or the
old `policy = "read"` form; `#`, `//` and `/* */` comments; the JSON form
`{"path": {"<glob>": {"capabilities": [...]}}}`. Unknown keys are rejected
the way Vault rejects them (`invalid key "x" on line N`).

Matching (vault/acl.go semantics):
* rules for the same path string from several policies merge: deny wins,
  otherwise capabilities are OR-ed;
* an exact rule wins; otherwise the longest prefix rule (`foo/*`) and the
  segment-wildcard rules (`foo/+/bar`, `foo/+/ba*`) compete with Vault's
  priority order (first wildcard/glob position, non-prefix over prefix,
  fewer `+`, longer, lexicographic);
* `root` grants everything.
"""

import re

CAPS = ('create', 'read', 'update', 'delete', 'list', 'sudo', 'patch', 'scan')
OLD_POLICY = {
    'deny': ('deny',),
    'read': ('read', 'list'),
    'write': ('create', 'read', 'update', 'delete', 'list'),
    'sudo': ('create', 'read', 'update', 'delete', 'list', 'sudo'),
}
UNSUPPORTED_PATH_KEYS = ('allowed_parameters', 'denied_parameters', 'required_parameters',
                         'min_wrapping_ttl', 'max_wrapping_ttl', 'mfa_methods', 'control_group',
                         'subscribe_event_types')
PATH_KEYS = ('comment', 'policy', 'capabilities', 'allowed_parameters',
             'denied_parameters', 'required_parameters', 'min_wrapping_ttl',
             'max_wrapping_ttl', 'mfa_methods', 'control_group',
             'subscribe_event_types')


class PolicyError(ValueError):
    pass


# ------------------------------------------------------------ HCL lexer

_TOKEN = re.compile(r'''
    (?P<ws>[ \t\r]+) |
    (?P<nl>\n) |
    (?P<hash>\#[^\n]*) |
    (?P<slash>//[^\n]*) |
    (?P<block>/\*.*?\*/) |
    (?P<string>"(?:[^"\\\n]|\\.)*") |
    (?P<heredoc><<-?(?P<hdname>[A-Za-z_][A-Za-z0-9_]*)\n) |
    (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?) |
    (?P<bool>true|false)\b |
    (?P<ident>[A-Za-z_][A-Za-z0-9_\-\.]*) |
    (?P<punct>[{}\[\],=:])
''', re.X | re.S)


def _lex(text):
    toks = []
    pos, line, col0 = 0, 1, 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if not m:
            raise PolicyError('At %d:%d: illegal char' % (line, pos - col0 + 1))
        kind = m.lastgroup if m.lastgroup != 'hdname' else 'heredoc'
        if m.group('heredoc'):
            kind = 'heredoc'
        val = m.group(0)
        tline, tcol = line, pos - col0 + 1
        if kind == 'heredoc':
            name = m.group('hdname')
            end = re.compile(r'^[ \t]*' + re.escape(name) + r'[ \t]*$', re.M)
            em = end.search(text, m.end())
            if not em:
                raise PolicyError('At %d:%d: heredoc not terminated' % (tline, tcol))
            body = text[m.end():em.start()]
            toks.append(('string', body, tline, tcol))
            line += text.count('\n', pos, em.end())
            pos = em.end()
            col0 = text.rfind('\n', 0, pos) + 1
            continue
        if kind == 'nl':
            line += 1
            col0 = m.end()
        elif kind == 'block':
            line += val.count('\n')
            if '\n' in val:
                col0 = pos + val.rfind('\n') + 1
        elif kind in ('ws', 'hash', 'slash'):
            pass
        elif kind == 'string':
            toks.append(('string', _unquote(val, tline, tcol), tline, tcol))
        else:
            toks.append((kind, val, tline, tcol))
        pos = m.end()
    toks.append(('eof', '', line, pos - col0 + 1))
    return toks


def _unquote(s, line, col):
    out = []
    i = 1
    body = s[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != '\\':
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= len(body):
            raise PolicyError('At %d:%d: literal not terminated' % (line, col))
        e = body[i]
        simple = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\',
                  'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}
        if e in simple:
            out.append(simple[e])
            i += 1
        elif e in 'uU':
            width = 4 if e == 'u' else 8
            hx = body[i + 1:i + 1 + width]
            if len(hx) != width or not re.fullmatch(r'[0-9a-fA-F]+', hx):
                raise PolicyError('At %d:%d: illegal char escape' % (line, col))
            out.append(chr(int(hx, 16)))
            i += 1 + width
        else:
            raise PolicyError('At %d:%d: unknown escape sequence' % (line, col))
    return ''.join(out)


class _Item:
    __slots__ = ('keys', 'value', 'line')

    def __init__(self, keys, value, line):
        self.keys = keys
        self.value = value
        self.line = line


class _Parser:
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def err(self, t, expected):
        got = {'eof': 'EOF', 'punct': {'{': 'LBRACE', '}': 'RBRACE', '[': 'LBRACK',
                                       ']': 'RBRACK', ',': 'COMMA', '=': 'ASSIGN',
                                       ':': 'COLON'}.get(t[1], t[1])}.get(t[0], t[0].upper())
        raise PolicyError('At %d:%d: expected: %s got: %s' % (t[2], t[3], expected, got))

    def object_list(self, closing=None):
        items = []
        while True:
            t = self.peek()
            if t[0] == 'eof' and closing is None:
                return items
            if t[0] == 'punct' and t[1] == '}' and closing == '}':
                return items
            items.append(self.item())
            t = self.peek()
            if t[0] == 'punct' and t[1] == ',':
                self.next()

    def item(self):
        keys = []
        first = self.peek()
        while True:
            t = self.peek()
            if t[0] in ('ident', 'string'):
                keys.append(self.next()[1])
                continue
            break
        if not keys:
            self.err(self.peek(), 'IDENT | STRING')
        t = self.peek()
        if t[0] == 'punct' and t[1] in '=:':
            if len(keys) > 1:
                raise PolicyError('At %d:%d: nested object expected: LBRACE got: %s'
                                  % (t[2], t[3], 'ASSIGN'))
            first = t  # Vault reports the line of the '=' (Assign position)
            self.next()
            value = self.value()
            return _Item(keys, value, first[2])
        elif t[0] == 'punct' and t[1] == '{':
            value = self.obj()
        else:
            self.err(t, 'LBRACE')
        return _Item(keys, value, 0)  # a block has no Assign: line 0

    def obj(self):
        self.next()  # {
        items = self.object_list('}')
        t = self.next()
        if not (t[0] == 'punct' and t[1] == '}'):
            self.err(t, 'RBRACE')
        return items

    def value(self):
        t = self.peek()
        if t[0] == 'string':
            return self.next()[1]
        if t[0] == 'number':
            return self.next()[1]
        if t[0] == 'bool':
            return self.next()[1] == 'true'
        if t[0] == 'punct' and t[1] == '[':
            self.next()
            out = []
            while True:
                t = self.peek()
                if t[0] == 'punct' and t[1] == ']':
                    self.next()
                    return out
                out.append(self.value())
                t = self.peek()
                if t[0] == 'punct' and t[1] == ',':
                    self.next()
                elif not (t[0] == 'punct' and t[1] == ']'):
                    self.err(t, 'COMMA | RBRACK')
        if t[0] == 'punct' and t[1] == '{':
            return self.obj()
        if t[0] == 'ident':
            self.err(t, 'STRING | NUMBER | BOOL | LBRACK | LBRACE')
        self.err(t, 'STRING | NUMBER | BOOL | LBRACK | LBRACE')


def _json_items(v):
    """Turn a JSON policy document into the same item shape as HCL."""
    items = []
    for k, val in v.items():
        if isinstance(val, dict):
            sub = _json_items(val)
            items.append(_Item([k], sub, 1))
        else:
            items.append(_Item([k], val, 1))
    return items


def _flatten(items):
    """HCL v1 expands `path "a" { }` and `path = { "a" = {...} }` alike."""
    out = []
    for it in items:
        if len(it.keys) == 1 and isinstance(it.value, list) and it.value and \
                all(isinstance(x, _Item) for x in it.value) and it.keys[0] == 'path':
            # path = { "glob" = { ... } } / JSON form
            for sub in it.value:
                out.append(_Item([it.keys[0]] + sub.keys, sub.value, sub.line))
        else:
            out.append(it)
    return out


class PathRule:
    __slots__ = ('path', 'caps', 'is_prefix', 'has_segment_wc', 'raw')

    def __init__(self, raw, caps):
        self.raw = raw
        self.caps = caps
        path = raw[1:] if raw.startswith('/') else raw
        self.has_segment_wc = path == '+' or '/+' in path or path.startswith('+/')
        self.is_prefix = False
        if path.endswith('*') and not self.has_segment_wc:
            path = path[:-1]
            self.is_prefix = True
        self.path = path


class Policy:
    def __init__(self, name, raw, rules):
        self.name = name
        self.raw = raw
        self.rules = rules


def parse(name, text):
    """Parse policy text; raises PolicyError with Vault's message prefixes."""
    stripped = text.lstrip()
    try:
        if stripped.startswith('{'):
            import json
            try:
                doc = json.loads(text)
            except ValueError as e:
                raise PolicyError('At 1:1: %s' % e)
            if not isinstance(doc, dict):
                raise PolicyError('does not contain a root object')
            items = _json_items(doc)
        else:
            items = _Parser(_lex(text)).object_list()
    except PolicyError as e:
        raise PolicyError('failed to parse policy: %s' % e)
    items = _flatten(items)
    for it in items:
        if it.keys[0] not in ('name', 'path'):
            raise PolicyError('failed to parse policy: 1 error occurred:\n\t* invalid key %s on line %d\n\n'
                              % (_goq(it.keys[0]), it.line))
    rules = []
    for it in items:
        if it.keys[0] != 'path':
            continue
        key = it.keys[1] if len(it.keys) > 1 else 'path'
        body = it.value if isinstance(it.value, list) and all(isinstance(x, _Item) for x in it.value) else None
        if body is None:
            raise PolicyError('failed to parse paths: path %s: should be an object' % _goq(key))
        caps = []
        old = None
        for sub in body:
            sk = sub.keys[0]
            if sk in UNSUPPORTED_PATH_KEYS:
                # Vault would enforce these; accepting them silently would make
                # the simulator more permissive than Vault.
                raise PolicyError('failed to parse paths: path %s: vaultsim does not support %s'
                                  % (_goq(key), _goq(sk)))
            if sk not in PATH_KEYS:
                raise PolicyError('failed to parse paths: 1 error occurred:\n\t* path %s: invalid key %s on line %d\n\n'
                                  % (_goq(key), _goq(sk), sub.line))
            if sk == 'capabilities':
                v = sub.value
                if isinstance(v, str):
                    v = [v]
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise PolicyError("failed to parse paths: path %s:: '%s.capabilities' expected type 'string'"
                                      % (_goq(key), key))
                caps.extend(v)
            elif sk == 'policy':
                if not isinstance(sub.value, str):
                    raise PolicyError('failed to parse paths: path %s: invalid policy' % _goq(key))
                old = sub.value
        if '{{' in key:
            # templated paths (identity.*) never match in this simulator
            continue
        path = key[1:] if key.startswith('/') else key
        if '+*' in path:
            raise PolicyError("failed to parse paths: path %s: invalid use of wildcards ('+*' is forbidden)"
                              % _goq(path))
        if old is not None:
            if old not in OLD_POLICY:
                raise PolicyError('failed to parse paths: path %s: invalid policy %s' % (_goq(key), _goq(old)))
            caps = list(OLD_POLICY[old]) + caps if old != 'deny' else ['deny']
        final = set()
        for c in caps:
            if c == 'deny':
                final = {'deny'}
                break
            if c not in CAPS:
                raise PolicyError('failed to parse paths: path %s: invalid capability %s'
                                  % (_goq(key), _goq(c)))
            final.add(c)
        rules.append(PathRule(key, frozenset(final)))
    return Policy(name, text, rules)


def _goq(s):
    from gojson import go_quote
    return go_quote(s)


# ------------------------------------------------------------ ACL

class ACL:
    def __init__(self, policies):
        self.root = any(p.name == 'root' for p in policies)
        self.exact = {}
        self.prefix = {}
        self.segment = {}
        for p in policies:
            for r in p.rules:
                if r.has_segment_wc:
                    table, key = self.segment, r.path
                elif r.is_prefix:
                    table, key = self.prefix, r.path
                else:
                    table, key = self.exact, r.path
                prev = table.get(key)
                if prev is None:
                    table[key] = r.caps
                elif 'deny' in prev or 'deny' in r.caps:
                    table[key] = frozenset({'deny'})
                else:
                    table[key] = prev | r.caps

    def capabilities_for(self, path, list_op=False):
        """Return the capability set governing path (None if no rule)."""
        if self.root:
            return frozenset(CAPS)
        if path in self.exact:
            return self.exact[path]
        if list_op and path.endswith('/') and path[:-1] in self.exact:
            return self.exact[path[:-1]]
        return self._non_exact(path)

    def _non_exact(self, path):
        cands = []
        best = None
        for pfx in self.prefix:
            if path.startswith(pfx) and (best is None or len(pfx) > len(best)):
                best = pfx
        if best is not None:
            if not self.segment:
                return self.prefix[best]
            cands.append((len(best), True, 0, best, self.prefix[best]))
        if not self.segment:
            return None
        parts = path.split('/')
        for full, caps in self.segment.items():
            if full == '':
                continue
            first = full.find('+')
            cur = full
            is_prefix = False
            if cur.endswith('*'):
                is_prefix = True
                cur = cur[:-1]
            acl_parts = cur.split('/')
            if len(parts) < len(acl_parts):
                continue
            if not is_prefix and len(acl_parts) != len(parts):
                continue
            wc = 0
            ok = True
            for i, ap in enumerate(acl_parts):
                if ap == '+':
                    wc += 1
                elif ap == parts[i]:
                    pass
                elif is_prefix and i == len(acl_parts) - 1 and parts[i].startswith(ap):
                    pass
                else:
                    ok = False
                    break
            if ok:
                cands.append((first, is_prefix, wc, cur, caps))
        if not cands:
            return None

        def key(c):
            first, is_prefix, wc, p, _caps = c
            # higher tuple = higher priority
            return (first, not is_prefix, -wc, len(p), _rev(p))
        cands.sort(key=key)
        return cands[-1][4]

    def allowed(self, path, cap, list_op=False):
        caps = self.capabilities_for(path, list_op)
        if caps is None or 'deny' in caps:
            return False
        return cap in caps

    def has_sudo(self, path):
        return self.allowed(path, 'sudo')

    def has_mount_access(self, path):
        """sys/internal/ui/mounts hasMountAccess for the mount path (ends /)."""
        if self.root:
            return True
        caps = self.capabilities_for(path)
        if caps is not None and 'deny' not in caps and caps:
            return True
        for table in (self.exact, self.prefix):
            for k, c in table.items():
                if k.startswith(path) and 'deny' not in c and c:
                    return True
        parts = path.split('/')
        for full, caps in self.segment.items():
            cur = full[:-1] if full.endswith('*') else full
            acl_parts = cur.split('/')
            segs = []
            for i, ap in enumerate(acl_parts):
                if i >= len(parts):
                    break
                if ap == '+' or ap == parts[i]:
                    segs.append(parts[i])
                elif full.endswith('*') and i == len(acl_parts) - 1 and parts[i].startswith(ap):
                    segs.extend(parts[i:])
                if i == len(parts) - 2:
                    joined = '/'.join(segs) + '/'
                    if joined.startswith(path) and 'deny' not in caps and caps:
                        return True
                    break
        return False


def _rev(p):
    # lexicographically smaller is lower priority: keep natural order
    return p
