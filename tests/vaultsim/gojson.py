# SPDX-License-Identifier: MIT
"""Go-compatible JSON, time and duration helpers for the Vault simulator.

Vault is a Go program: what clients see on the wire is the output of Go's
encoding/json, time and strconv packages. This module reproduces the parts
that decide bytes on the wire:

* encode(v): json.Marshal rules. dict keys are sorted byte-wise (Go maps),
  Struct keeps declaration order (Go structs), Number keeps its literal text
  (json.Number), float uses Go's float64 formatting (shortest round-trip
  digits, %f style for 1e-6 <= |x| < 1e21, else %e with the exponent
  cleaned to 1e-7 / 1e+21), strings escape < > & U+2028 U+2029 and control
  characters the way Go >= 1.22 does (\\b and \\f short forms).
* decode(bytes): json.Decoder with UseNumber: numbers stay Number (literal
  text), only the first JSON value is read (trailing bytes are ignored, as
  Go's Decoder.Decode does), invalid UTF-8 and lone surrogates become U+FFFD.
* RFC 3339 with nanoseconds and trailing zeros trimmed (time.RFC3339Nano).
* time.Duration.String(), time.ParseDuration, parseutil.ParseDurationSecond,
  strconv.ParseBool / ParseInt(base 0), and fmt's %v for JSON values.

Nothing here logs or prints; callers decide what is safe to show.
"""

import datetime
import json
import math
import re

__all__ = [
    'Number', 'Struct', 'encode', 'decode', 'DecodeError', 'go_float',
    'rfc3339nano', 'duration_string', 'human_duration', 'parse_duration',
    'parse_duration_second', 'DurationError', 'parse_bool', 'parse_int0',
    'go_v', 'go_quote', 'go_type_name', 'go_utf8_decode',
]


class Number(str):
    """A JSON number kept as its literal text (Go's json.Number)."""
    __slots__ = ()


class Struct:
    """An ordered JSON object (a Go struct): keys keep insertion order."""
    __slots__ = ('items',)

    def __init__(self, *pairs):
        self.items = list(pairs)

    def add(self, key, value):
        self.items.append((key, value))
        return self

    def get(self, key, default=None):
        for k, v in self.items:
            if k == key:
                return v
        return default


# ---------------------------------------------------------------- encoding

_HEX = '0123456789abcdef'


def _encode_string(s, out, escape_html=True):
    out.append('"')
    start = 0
    for i, ch in enumerate(s):
        c = ord(ch)
        if 0x20 <= c < 0x80 and ch not in '"\\' and not (escape_html and ch in '<>&'):
            continue
        if c >= 0x80 and c not in (0x2028, 0x2029) and not 0xd800 <= c <= 0xdfff:
            continue
        if start < i:
            out.append(s[start:i])
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\b':
            out.append('\\b')
        elif ch == '\f':
            out.append('\\f')
        elif 0xd800 <= c <= 0xdfff:
            out.append('\\ufffd')  # a Go string can only hold this as invalid UTF-8
        else:
            out.append('\\u%04x' % c)
        start = i + 1
    if start < len(s):
        out.append(s[start:])
    out.append('"')


def go_float(f):
    """Go encoding/json formatting of a float64."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError('json: unsupported value: %r' % f)
    if f == 0:
        return '-0' if math.copysign(1.0, f) < 0 else '0'
    a = abs(f)
    digits, exp10 = _shortest_digits(a)  # value = 0.d1d2... * 10**exp10
    sign = '-' if f < 0 else ''
    if a < 1e-6 or a >= 1e21:
        mant = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        e = exp10 - 1
        es = ('-' if e < 0 else '+') + ('%02d' % abs(e))
        if es[1] == '0' and e < 0:  # Go cleans e-09 to e-9 (negative only)
            es = '-' + es[2:]
        return sign + mant + 'e' + es
    if exp10 <= 0:
        return sign + '0.' + '0' * (-exp10) + digits
    if exp10 >= len(digits):
        return sign + digits + '0' * (exp10 - len(digits))
    return sign + digits[:exp10] + '.' + digits[exp10:]


def _shortest_digits(a):
    r = repr(a)  # shortest round-trip representation
    if 'e' in r:
        mant, e = r.split('e')
        e = int(e)
    else:
        mant, e = r, 0
    if '.' in mant:
        ip, fp = mant.split('.')
    else:
        ip, fp = mant, ''
    if fp == '0':
        fp = ''
    digits = (ip + fp).lstrip('0')
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip('0'))
    exp10 = len(ip) + e - lead_zeros
    digits = digits.rstrip('0') or '0'
    return digits, exp10


def _encode(v, out, escape_html):
    if v is None:
        out.append('null')
    elif v is True:
        out.append('true')
    elif v is False:
        out.append('false')
    elif isinstance(v, Number):
        out.append(str.__str__(v) if len(v) else '0')
    elif isinstance(v, str):
        _encode_string(v, out, escape_html)
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(go_float(v))
    elif isinstance(v, Struct):
        out.append('{')
        first = True
        for k, val in v.items:
            if not first:
                out.append(',')
            first = False
            _encode_string(k, out, escape_html)
            out.append(':')
            _encode(val, out, escape_html)
        out.append('}')
    elif isinstance(v, dict):
        out.append('{')
        first = True
        for k in sorted(v, key=lambda s: s.encode('utf-8', 'surrogatepass')):
            if not first:
                out.append(',')
            first = False
            _encode_string(k, out, escape_html)
            out.append(':')
            _encode(v[k], out, escape_html)
        out.append('}')
    elif isinstance(v, (list, tuple)):
        out.append('[')
        for i, val in enumerate(v):
            if i:
                out.append(',')
            _encode(val, out, escape_html)
        out.append(']')
    elif isinstance(v, datetime.datetime):
        out.append('"' + rfc3339nano(v) + '"')
    elif isinstance(v, RawTime):
        out.append('"' + v.text + '"')
    else:
        raise TypeError('cannot encode %r' % type(v))


class RawTime:
    """A timestamp already formatted as RFC 3339 (kept verbatim)."""
    __slots__ = ('text',)

    def __init__(self, text):
        self.text = text


def encode(v, escape_html=True, newline=False):
    """json.Marshal (newline=False) or json.Encoder.Encode (newline=True)."""
    out = []
    _encode(v, out, escape_html)
    if newline:
        out.append('\n')
    return ''.join(out).encode('utf-8', 'surrogatepass')


# ---------------------------------------------------------------- decoding

class DecodeError(ValueError):
    pass


def go_utf8_decode(b):
    """bytes -> str replacing every invalid byte by U+FFFD (Go semantics:
    utf8.DecodeRune reports an invalid sequence one byte at a time)."""
    try:
        return b.decode('utf-8')
    except UnicodeDecodeError:
        pass
    out = []
    i, n = 0, len(b)
    while i < n:
        c = b[i]
        if c < 0x80:
            out.append(chr(c))
            i += 1
            continue
        size, lo, hi = 0, 0x80, 0xbf
        if 0xc2 <= c <= 0xdf:
            size = 2
        elif c == 0xe0:
            size, lo = 3, 0xa0
        elif 0xe1 <= c <= 0xec or 0xee <= c <= 0xef:
            size = 3
        elif c == 0xed:
            size, hi = 3, 0x9f
        elif c == 0xf0:
            size, lo = 4, 0x90
        elif 0xf1 <= c <= 0xf3:
            size = 4
        elif c == 0xf4:
            size, hi = 4, 0x8f
        if (size and i + size <= n and lo <= b[i + 1] <= hi
                and all(0x80 <= b[i + j] <= 0xbf for j in range(2, size))):
            out.append(b[i:i + size].decode('utf-8'))
            i += size
        else:
            out.append('\ufffd')
            i += 1
    return ''.join(out)


def _fix_surrogates(s):
    if not any(0xd800 <= ord(c) <= 0xdfff for c in s):
        return s
    return ''.join('\ufffd' if 0xd800 <= ord(c) <= 0xdfff else c for c in s)


def _clean(v):
    if isinstance(v, str) and not isinstance(v, Number):
        return _fix_surrogates(v)
    if isinstance(v, dict):
        return {_fix_surrogates(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _reject_constant(name):
    raise DecodeError('invalid character %r looking for beginning of value' % name[0])


_DECODER = json.JSONDecoder(parse_float=Number, parse_int=Number,
                            parse_constant=_reject_constant, strict=True)
_WS = re.compile(r'[ \t\r\n]*')


def decode(data):
    """Decode the first JSON value of data (bytes or str), Go UseNumber style.

    Returns (value, present). present is False for an empty body (io.EOF)."""
    if isinstance(data, bytes):
        text = go_utf8_decode(data)
    else:
        text = data
    pos = _WS.match(text, 0).end()
    if pos == len(text):
        return None, False
    try:
        value, _end = _DECODER.raw_decode(text, pos)
    except DecodeError:
        raise
    except (ValueError, RecursionError) as e:
        raise DecodeError(str(e))
    return _clean(value), True


# ---------------------------------------------------------------- time

def rfc3339nano(t):
    """Format an aware datetime, or an (epoch seconds, nanoseconds) tuple,
    as Go's time.RFC3339Nano in UTC."""
    if isinstance(t, tuple):
        sec, nsec = t
    else:
        ts = t.timestamp()
        sec = int(math.floor(ts))
        nsec = t.microsecond * 1000
    base = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    s = base.strftime('%Y-%m-%dT%H:%M:%S')
    if nsec:
        s += ('.%09d' % nsec).rstrip('0')
    return s + 'Z'


def ns_to_rfc3339(ns):
    return rfc3339nano((ns // 1_000_000_000, ns % 1_000_000_000))


# ---------------------------------------------------------------- durations

_NS = 1
_US = 1000
_MS = 1000_000
_S = 1000_000_000
_MIN = 60 * _S
_H = 60 * _MIN


def duration_string(ns):
    """Go's time.Duration.String() for a duration in nanoseconds."""
    if ns == 0:
        return '0s'
    neg = ns < 0
    u = -ns if neg else ns
    if u < _S:
        if u < _US:
            s = '%dns' % u
        elif u < _MS:
            s = _frac(u, 3) + 'µs'
        else:
            s = _frac(u, 6) + 'ms'
    else:
        secs_part = u % _MIN
        s = _frac(secs_part, 9) + 's'
        u //= _MIN
        if u > 0:
            s = '%dm' % (u % 60) + s
            u //= 60
            if u > 0:
                s = '%dh' % u + s
    return ('-' if neg else '') + s


def _frac(v, prec):
    whole = v // (10 ** prec)
    frac = v % (10 ** prec)
    if frac == 0:
        return str(whole)
    return str(whole) + '.' + ('%0*d' % (prec, frac)).rstrip('0')


def human_duration(ns):
    """sdk/framework humanDuration: Duration.String() without zero units."""
    if ns == 0:
        return '0s'
    s = duration_string(ns)
    if s.endswith('m0s'):
        s = s[:-2]
    idx = s.find('h0m')
    if idx > 0:
        s = s[:idx + 1] + s[idx + 3:]
    return s


class DurationError(ValueError):
    pass


_UNITS = {'ns': _NS, 'us': _US, 'µs': _US, 'μs': _US, 'ms': _MS, 's': _S,
          'm': _MIN, 'h': _H}


def go_quote(s):
    """strconv.Quote for the printable-ASCII/UTF-8 cases we produce."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\a':
            out.append('\\a')
        elif ch == '\b':
            out.append('\\b')
        elif ch == '\f':
            out.append('\\f')
        elif ch == '\v':
            out.append('\\v')
        elif c < 0x20 or c == 0x7f:
            out.append('\\x%02x' % c)
        elif ch == '\ufffd':
            out.append('\\ufffd')
        elif 0x80 <= c < 0xa0:
            out.append('\\u%04x' % c)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def parse_duration(s):
    """Go time.ParseDuration; returns nanoseconds or raises DurationError."""
    orig = s
    d = 0
    neg = False
    if s and s[0] in '-+':
        neg = s[0] == '-'
        s = s[1:]
    if s == '0':
        return 0
    if s == '':
        raise DurationError('time: invalid duration ' + go_quote(orig))
    while s:
        if not (s[0] == '.' or '0' <= s[0] <= '9'):
            raise DurationError('time: invalid duration ' + go_quote(orig))
        m = re.match(r'([0-9]*)(\.([0-9]*))?', s)
        ip, fp = m.group(1), m.group(3)
        pre = ip != ''
        post = fp is not None and fp != ''
        if not pre and not post:
            raise DurationError('time: invalid duration ' + go_quote(orig))
        s = s[m.end():]
        u = re.match(r'[^0-9.]*', s).group(0)
        if u == '':
            raise DurationError('time: missing unit in duration ' + go_quote(orig))
        if u not in _UNITS:
            raise DurationError('time: unknown unit ' + go_quote(u) + ' in duration ' + go_quote(orig))
        s = s[len(u):]
        unit = _UNITS[u]
        v = int(ip) if ip else 0
        if v > (1 << 63) // unit:
            raise DurationError('time: invalid duration ' + go_quote(orig))
        v *= unit
        if fp:
            scale = 1
            f = 0
            for ch in fp:
                if scale < 10 ** 19:
                    f = f * 10 + int(ch)
                    scale *= 10
            v += int(f * (unit / scale))
        d += v
        if d > (1 << 63) - 1:
            raise DurationError('time: invalid duration ' + go_quote(orig))
    return -d if neg else d


def parse_int0(s, bits=64):
    """strconv.ParseInt(s, 0, bits); raises ValueError with Go's text."""
    if s == '':
        raise ValueError('strconv.ParseInt: parsing "": invalid syntax')
    t = s
    neg = False
    if t[0] in '+-':
        neg = t[0] == '-'
        t = t[1:]
    base = 10
    body = t
    underscores_ok = False
    if len(t) >= 2 and t[0] == '0':
        p = t[1].lower()
        if p == 'x':
            base, body, underscores_ok = 16, t[2:], True
        elif p == 'b':
            base, body, underscores_ok = 2, t[2:], True
        elif p == 'o':
            base, body, underscores_ok = 8, t[2:], True
        else:
            base, body, underscores_ok = 8, t[1:], True
    syntax = 'strconv.ParseInt: parsing %s: invalid syntax' % go_quote(s)
    if body == '' and base != 8:
        raise ValueError(syntax)
    if '_' in body:
        if not underscores_ok or body.startswith('_') or body.endswith('_') or '__' in body:
            raise ValueError(syntax)
        body = body.replace('_', '')
    if body == '':
        body = '0'
    try:
        v = int(body, base)
    except ValueError:
        raise ValueError(syntax)
    if neg:
        v = -v
    lim = 1 << (bits - 1)
    if v >= lim or v < -lim:
        raise ValueError('strconv.ParseInt: parsing %s: value out of range' % go_quote(s))
    return v


def parse_int10(s):
    """strconv.ParseInt(s, 10, 64)."""
    if not re.fullmatch(r'[+-]?[0-9]+', s or ''):
        raise ValueError('strconv.ParseInt: parsing %s: invalid syntax' % go_quote(s))
    v = int(s)
    if v >= 1 << 63 or v < -(1 << 63):
        raise ValueError('strconv.ParseInt: parsing %s: value out of range' % go_quote(s))
    return v


def parse_duration_second(v):
    """go-secure-stdlib parseutil.ParseDurationSecond -> nanoseconds."""
    if v is None:
        return 0
    if isinstance(v, bool):
        raise DurationError('could not parse duration from input')
    if isinstance(v, Number):
        v = str.__str__(v)
    if isinstance(v, str):
        if v == '':
            return 0
        try:
            return parse_int10(v) * _S
        except ValueError:
            pass
        if v.endswith('d'):
            try:
                return parse_int10(v[:-1]) * 24 * _H
            except ValueError as e:
                raise DurationError(str(e))
        return parse_duration(v)
    if isinstance(v, int):
        return v * _S
    if isinstance(v, float):
        return int(v) * _S
    raise DurationError('could not parse duration from input')


_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True')
_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False')


def parse_bool(s):
    """strconv.ParseBool."""
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError('strconv.ParseBool: parsing %s: invalid syntax' % go_quote(s))


# ---------------------------------------------------------------- fmt %v

def go_type_name(v):
    if isinstance(v, Number):
        return 'json.Number'
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, float):
        return 'float64'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, dict):
        return 'map[string]interface {}'
    if isinstance(v, list):
        if v and all(isinstance(x, str) and not isinstance(x, Number) for x in v):
            return '[]interface {}'
        return '[]interface {}'
    if v is None:
        return '<nil>'
    return type(v).__name__


def go_v(v, top=True):
    """fmt's %v for values decoded from JSON."""
    if v is None:
        return '<nil>'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, Number):
        return str.__str__(v)
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith('.0') else r
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return 'map[' + ' '.join('%s:%s' % (k, go_v(v[k], False)) for k in sorted(v)) + ']'
    if isinstance(v, (list, tuple)):
        return '[' + ' '.join(go_v(x, False) for x in v) + ']'
    return str(v)
