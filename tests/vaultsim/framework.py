# SPDX-License-Identifier: MIT
"""The parts of Vault's sdk/framework and sdk/logical the simulator needs.

* Error model. Vault handlers return (response, error); what the client
  sees depends on which of the two is set and on whether the request went
  through the login path (errors returned as is) or the normal path (a
  plain error is wrapped in a go-multierror: "1 error occurred:\\n\\t* msg\\n\\n").
  ErrResp models logical.ErrorResponse(msg) (body = msg), PlainErr models a
  bare error (body = msg or its multierror wrapping).
* LResp models logical.Response: data, warnings, auth, secret lease fields,
  mount_type, or a raw RespondWithStatusCode body.
* Field parsing with the framework's types and its validation message
  "Field validation failed: error converting input %v for field %q: ...".
* Path routing: the first path whose anchored regex matches wins; a known
  path without a handler for the operation is "unsupported operation".
"""

import re

from gojson import (Number, go_v, go_quote, go_type_name, parse_bool,
                    parse_duration_second, parse_int0, DurationError)


def multierror(*msgs):
    """go-multierror's ListFormatFunc."""
    if len(msgs) == 1:
        return '1 error occurred:\n\t* %s\n\n' % msgs[0]
    return '%d errors occurred:\n\t%s\n\n' % (len(msgs), '\n\t'.join('* ' + m for m in msgs))


class ErrResp(Exception):
    """logical.ErrorResponse(msg) with the status Vault derives for it."""

    def __init__(self, msg, status=400):
        super().__init__(msg)
        self.msg = msg
        self.status = status


class PlainErr(Exception):
    """A handler returned (nil, err): body is err.Error(), multierror-wrapped
    when the request went through handleRequest (non-login paths)."""

    def __init__(self, msg, status=500):
        super().__init__(msg)
        self.msg = msg
        self.status = status


class LResp:
    __slots__ = ('data', 'warnings', 'auth', 'lease_id', 'renewable',
                 'lease_duration', 'mount_type', 'raw', 'inject')

    def __init__(self, data=None, warnings=None, auth=None, lease_duration=0,
                 renewable=False, lease_id='', raw=None):
        self.data = data
        self.warnings = list(warnings) if warnings else None
        self.auth = auth
        self.lease_id = lease_id
        self.renewable = renewable
        self.lease_duration = lease_duration
        self.mount_type = None   # filled by the core from the matched mount
        self.raw = raw           # (status, LResp) for RespondWithStatusCode
        self.inject = False

    def warn(self, msg):
        if self.warnings is None:
            self.warnings = []
        self.warnings.append(msg)
        return self


def respond_with_status(resp, status):
    """logical.RespondWithStatusCode: a raw JSON body without newline."""
    out = LResp()
    out.raw = (status, resp)
    return out


# ------------------------------------------------------------------ fields

class FieldError(Exception):
    pass


def _mapstructure_type_error(target, raw):
    return ("'' expected type '%s', got unconvertible type '%s', value: '%s'"
            % (target, go_type_name(raw), go_v(raw)))


def weak_string(raw):
    if raw is None:
        return ''
    if isinstance(raw, bool):
        return '1' if raw else '0'
    if isinstance(raw, str):
        return str.__str__(raw)
    if isinstance(raw, float):
        return go_v(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, list) and len(raw) == 1:
        return weak_string(raw[0])
    raise FieldError(_mapstructure_type_error('string', raw))


def weak_bool(raw):
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        s = str.__str__(raw)
        try:
            return parse_bool(s)
        except ValueError as e:
            if s == '':
                return False
            raise FieldError("cannot parse '' as bool: %s" % e)
    if isinstance(raw, (int, float)):
        return raw != 0
    if isinstance(raw, list) and len(raw) == 1:
        return weak_bool(raw[0])
    raise FieldError(_mapstructure_type_error('bool', raw))


def weak_int(raw):
    if raw is None:
        return 0
    if isinstance(raw, bool):
        return 1 if raw else 0
    if isinstance(raw, str):
        s = str.__str__(raw)
        if isinstance(raw, Number):
            # mapstructure: json.Number -> Int64() (strconv.ParseInt base 10)
            try:
                from gojson import parse_int10
                return parse_int10(s)
            except ValueError as e:
                raise FieldError("error decoding json.Number into : %s" % e)
        if s == '':
            s = '0'
        try:
            return parse_int0(s)
        except ValueError as e:
            raise FieldError("cannot parse '' as int: %s" % e)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw)
    if isinstance(raw, list) and len(raw) == 1:
        return weak_int(raw[0])
    raise FieldError(_mapstructure_type_error('int', raw))


def weak_map(raw):
    if raw is None:
        return None
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list):
        out = {}
        for el in raw:
            if not isinstance(el, dict):
                raise FieldError("'[%d]' expected a map, got '%s'"
                                 % (raw.index(el), go_type_name(el)))
            out.update(el)
        return out
    raise FieldError("'' expected a map, got '%s'" % go_type_name(raw))


def comma_slice(raw):
    """parseutil.ParseCommaStringSlice."""
    if isinstance(raw, Number):
        raw = str.__str__(raw)
    if raw is None:
        return []
    if isinstance(raw, str):
        if raw == '':
            return []
        return [s.strip() for s in raw.split(',')]
    if isinstance(raw, list):
        out = []
        for el in raw:
            out.append(weak_string(el).strip())
        return out
    return [weak_string(raw).strip()]


def kv_pairs(raw):
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {k: weak_string(v) for k, v in raw.items()}
    lst = raw if isinstance(raw, list) else [raw]
    out = {}
    for el in lst:
        s = weak_string(el)
        k, sep, v = s.partition('=')
        if not sep or k == '':
            raise FieldError('invalid key pair %s' % go_quote(s))
        out[k] = v
    return out


def duration_seconds(raw, allow_negative=False):
    try:
        ns = parse_duration_second(raw)
    except DurationError as e:
        raise FieldError(str(e))
    secs = int(ns / 1_000_000_000)
    if not allow_negative and secs < 0:
        raise FieldError("cannot provide negative value '%d'" % secs)
    return secs


PARSERS = {
    'string': weak_string,
    'lowerstring': lambda r: weak_string(r).lower(),
    'bool': weak_bool,
    'int': weak_int,
    'duration': duration_seconds,
    'commaslice': comma_slice,
    'map': weak_map,
    'kvpairs': kv_pairs,
    'raw': lambda r: r,
}

ZERO = {
    'string': '', 'lowerstring': '', 'bool': False, 'int': 0, 'duration': 0,
    'commaslice': [], 'map': {}, 'kvpairs': {}, 'raw': None,
}


class Fields:
    """framework.FieldData."""

    def __init__(self, raw, schema):
        self.raw = raw
        self.schema = schema

    def validate(self):
        for name in sorted(self.raw):
            if name not in self.schema:
                continue
            ftype = self.schema[name][0]
            try:
                PARSERS[ftype](self.raw[name])
            except FieldError as e:
                raise ErrResp('Field validation failed: error converting input %s for field %s: %s'
                              % (go_v(self.raw[name]), go_quote(name), e))

    def get_ok(self, name):
        if name not in self.raw:
            return None, False
        ftype = self.schema[name][0]
        v = PARSERS[ftype](self.raw[name])
        if v is None:
            v = self.default(name)
        return v, True

    def get(self, name):
        v, ok = self.get_ok(name)
        if ok:
            return v
        return self.default(name)

    def default(self, name):
        spec = self.schema[name]
        if len(spec) > 1:
            return spec[1]
        return ZERO[spec[0]]


class Path:
    def __init__(self, pattern, fields=None, ops=None, existence=None, arbitrary=False):
        self.regex = re.compile('^' + pattern.lstrip('^').rstrip('$') + '$', re.S)
        self.fields = fields or {}
        self.ops = ops or {}
        self.existence = existence
        self.arbitrary = arbitrary


class Backend:
    """A framework.Backend: ordered paths, per-operation callbacks."""
    paths = ()

    def route(self, path):
        for p in self.paths:
            m = p.regex.match(path)
            if m:
                return p, {k: v for k, v in m.groupdict().items() if v is not None}
        return None, None

    def fields_for(self, req, p, captures):
        raw = dict(req.data or {})
        ignored = sorted(k for k in raw if not p.arbitrary and k not in p.fields)
        replaced = sorted(k for k in captures if raw.get(k) is not None)
        raw.update(captures)
        return Fields(raw, p.fields), ignored, replaced

    def existence(self, req):
        """(check_exists, exists) like router.RouteExistenceCheck."""
        p, captures = self.route(req.subpath)
        if p is None or p.existence is None:
            return False, False
        fd, _ign, _rep = self.fields_for(req, p, captures)
        try:
            fd.validate()
        except ErrResp as e:
            # HandleExistenceCheck returns errutil.UserError{err}: the
            # client sees the bare message, without the handler's prefix.
            raise ErrResp(e.msg[len('Field validation failed: '):], 400)
        return True, bool(p.existence(req, fd))

    def handle(self, req):
        p, captures = self.route(req.subpath)
        if p is None:
            raise PlainErr('unsupported path', 404)
        handler = p.ops.get(req.op)
        if handler is None:
            raise PlainErr('unsupported operation', 405)
        fd, ignored, replaced = self.fields_for(req, p, captures)
        fd.validate()
        resp = handler(req, fd)
        if resp is not None and resp.raw is None:
            if ignored:
                resp.warn('Endpoint ignored these unrecognized parameters: [%s]' % ' '.join(ignored))
            if replaced:
                resp.warn("Endpoint replaced the value of these parameters with the values captured "
                          "from the endpoint's path: [%s]" % ' '.join(replaced))
        return resp


GENERIC_NAME = r'\w(([\w\-.]+)?\w)?'
