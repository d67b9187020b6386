# SPDX-License-Identifier: MIT
"""Vault's HTTP layer (http/handler.go, http/logical.go, http/sys_health.go)
on top of core.Core: URL handling, request parsing, response envelopes.

handle(core, method, target, headers, body, client_ip, tls) returns
(status, [(header, value)], body-bytes-or-None). The caller (server.py)
owns sockets, fault injection and the request log.
"""

import re
import urllib.parse

from core import Answer, Request, envelope, raw_envelope
from gojson import (Struct, encode, decode, DecodeError, parse_bool, go_utf8_decode)

INJECT_ROUTES = ('/v1/sys/audit', '/v1/sys/audit/', '/v1/sys/audit-hash/', '/v1/sys/auth',
                 '/v1/sys/auth/', '/v1/sys/config/cors', '/v1/sys/capabilities',
                 '/v1/sys/capabilities-accessor', '/v1/sys/capabilities-self',
                 '/v1/sys/key-status', '/v1/sys/mounts', '/v1/sys/mounts/', '/v1/sys/policy',
                 '/v1/sys/policy/', '/v1/sys/rekey/backup', '/v1/sys/rekey/recovery-key-backup',
                 '/v1/sys/remount', '/v1/sys/rotate', '/v1/sys/wrapping/wrap')

JSON = 'application/json'


class Reply:
    __slots__ = ('status', 'headers', 'body', 'token', 'note')

    def __init__(self, status, headers=None, body=None):
        self.status = status
        self.headers = headers or []
        self.body = body
        self.token = ''
        self.note = ''


def error_body(errors):
    return encode(Struct(('errors', list(errors))), newline=True)


def _error(status, errors, extra=()):
    return Reply(status, [('Content-Type', JSON)] + list(extra), error_body(errors))


def _unescape_path(p):
    """net/url unescape for the path; None on an invalid escape."""
    if '%' not in p:
        return p
    if re.search(r'%(?![0-9A-Fa-f]{2})', p):
        return None
    return go_utf8_decode(urllib.parse.unquote_to_bytes(p))


def _parse_query(q):
    """url.ParseQuery, keeping order; bad pairs are dropped (Go's Query())."""
    out = {}
    if not q:
        return out
    for part in q.split('&'):
        if part == '' or ';' in part:
            continue
        k, _sep, v = part.partition('=')
        try:
            k = go_utf8_decode(urllib.parse.unquote_to_bytes(k.replace('+', ' ')))
            v = go_utf8_decode(urllib.parse.unquote_to_bytes(v.replace('+', ' ')))
        except ValueError:
            continue
        if re.search(r'%(?![0-9A-Fa-f]{2})', part):
            continue
        out.setdefault(k, []).append(v)
    return out


def _clean_path(p):
    """net/http cleanPath (ServeMux redirects non-canonical paths)."""
    if p == '':
        return '/'
    if p[0] != '/':
        p = '/' + p
    parts = []
    for seg in p.split('/'):
        if seg in ('', '.'):
            continue
        if seg == '..':
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    np = '/' + '/'.join(parts)
    if p.endswith('/') and np != '/':
        np += '/'
    return np


def _query_data(values):
    """parseQuery: single values as strings, repeated ones as lists; help dropped."""
    data = {}
    for k, v in values.items():
        if k == 'help':
            continue
        if len(v) == 1:
            data[k] = v[0]
        elif v:
            data[k] = list(v)
    return data or None


def _is_form(head, content_type):
    ct = (content_type or '').split(';')[0].strip().lower()
    if ct != 'application/x-www-form-urlencoded':
        return False
    stripped = head.lstrip(b' \t\r\n')
    return not stripped[:1] in (b'{', b'[')


def _token_from(headers):
    tok = headers.get('x-vault-token', '').strip()
    if tok:
        return tok
    auth = headers.get('authorization', '')
    parts = auth.split('Bearer')
    if len(parts) == 2:
        return parts[1].strip()
    return ''


def handle(core, method, target, headers, body, client_ip, tls):
    opts = core.opts
    raw_path, _q, raw_query = target.partition('?')
    path = _unescape_path(raw_path)
    if path is None:
        return Reply(400, [('Content-Type', 'text/plain; charset=utf-8'), ('Connection', 'close')],
                     b'400 Bad Request')
    if any(not (ch.isprintable() or ch == ' ') for ch in path):
        return Reply(400, [], b'')
    base = [('Cache-Control', 'no-store')]
    ns_header = headers.get('x-vault-namespace', '')
    if ns_header:
        base.append(('X-Vault-Namespace', ns_header))
    if tls:
        base.append(('Strict-Transport-Security', 'max-age=31536000; includeSubDomains'))

    def err(status, errors, extra=()):
        r = _error(status, errors, extra)
        r.headers = base + r.headers
        return r

    if opts.require_request_header and headers.get('x-vault-request', '') != 'true':
        return err(412, ['missing "X-Vault-Request" header'])
    if not path.startswith('/v1/'):
        return err(404, [])
    clean = _clean_path(path)
    if clean != path:
        loc = clean + ('?' + raw_query if raw_query else '')
        hs = base + [('Location', loc)]
        if method in ('GET', 'HEAD'):
            hs.append(('Content-Type', 'text/html; charset=utf-8'))
        bodyb = ('<a href="%s">Moved Permanently</a>.\n\n' % loc).encode() if method == 'GET' else b''
        return Reply(301, hs, bodyb)
    query = _parse_query(raw_query)

    if path == '/v1/sys/health':
        return _health(core, method, query, headers, base)

    # -------------------------------------------------- buildLogicalRequest
    lpath = path[len('/v1/'):]
    op = None
    data = None
    if method == 'DELETE':
        op = 'delete'
        data = _query_data(query)
    elif method == 'GET':
        op = 'read'
        lst = query.get('list', [''])[0] if 'list' in query else ''
        if lst != '':
            try:
                is_list = parse_bool(lst)
            except ValueError:
                return err(400, [])
            if is_list:
                query.pop('list', None)
                op = 'list'
                if not lpath.endswith('/'):
                    lpath += '/'
        data = _query_data(query)
    elif method in ('POST', 'PUT'):
        op = 'update'
        if len(body) > opts.max_request_size:
            return err(413, [opts.body_too_large_text])
        if _is_form(body[:512], headers.get('content-type', '')):
            form = _parse_query(body.decode('latin-1'))
            data = _query_data(form) if form else None
        else:
            try:
                data, present = decode(body)
            except DecodeError:
                return err(400, ['error parsing JSON'])
            if present and data is not None and not isinstance(data, dict):
                return err(400, ['error parsing JSON'])
    elif method == 'PATCH':
        op = 'patch'
        ct_raw = headers.get('content-type', '')
        ct = ct_raw.split(';')[0].strip().lower()
        if ct == '':
            return err(400, ['mime: no media type'])
        if ct != 'application/merge-patch+json':
            return err(415, ['PATCH requires Content-Type of application/merge-patch+json, provided %s' % ct])
        try:
            data, present = decode(body)
        except DecodeError:
            return err(400, ['error parsing JSON'])
        if present and data is not None and not isinstance(data, dict):
            return err(400, ['error parsing JSON'])
    elif method == 'LIST':
        op = 'list'
        if not lpath.endswith('/'):
            lpath += '/'
        data = _query_data(query)
    elif method == 'HEAD':
        op = 'header'
        data = _query_data(query)
    else:
        return err(405, [])

    if headers.get('x-vault-wrap-ttl'):
        return err(400, ['response wrapping is not supported by vaultsim'])

    req = Request()
    req.method = method
    req.op = op
    req.data = data
    req.headers = headers
    req.client_ip = client_ip
    req.token = _token_from(headers)

    # -------------------------------------------------- namespaces
    mode = opts.namespace_mode
    ns = ''
    if mode == 'ce-reject' and ns_header.strip('/') not in ('', 'root'):
        return err(403, ['namespaces feature not enabled'])
    if mode == 'enterprise':
        ns = ns_header.strip('/')
        if ns == 'root':
            ns = ''
        known = [n for n in core.namespaces if n]
        if ns == '':
            for n in known:
                if lpath.startswith(n + '/'):
                    ns = n
                    lpath = lpath[len(n) + 1:]
                    break
        elif lpath.startswith('sys/') and False:
            pass
    req.ns = ns
    req.path = lpath

    with core.lock:
        try:
            resp = core.process(req)
        except Answer as a:
            r = err(a.status, a.errors)
            r.token = req.token
            return r
        r = _render(core, req, resp, path, base)
        r.token = req.token
        return r


def _render(core, req, resp, url_path, base):
    hs = list(base)
    if resp is None:
        if req.op in ('read', 'list'):
            return Reply(404, hs + [('Content-Type', JSON)], error_body([]))
        return Reply(204, hs + [('Content-Type', JSON)], None)
    if resp.raw is not None:
        status, inner = resp.raw
        if inner is None:
            return Reply(status, hs + [('Content-Type', JSON)], b'')
        return Reply(status, hs + [('Content-Type', JSON)], encode(raw_envelope(core, req, inner)))
    if req.op == 'list':
        d = resp.data
        keys = (d or {}).get('keys')
        if not d or ((keys is None or len(keys) == 0) and not resp.warnings):
            return Reply(404, hs + [('Content-Type', JSON)], error_body([]))
    env = envelope(core, req, resp)
    inject = resp.data and any(url_path == r or (r.endswith('/') and url_path.startswith(r))
                               for r in INJECT_ROUTES)
    if inject:
        s = Struct(*([(k, resp.data[k]) for k in sorted(resp.data)] + env.items))
        body = encode(s, newline=True)
    else:
        body = encode(env, newline=True)
    return Reply(200, hs + [('Content-Type', JSON)], body)


def _health(core, method, query, headers, base):
    opts = core.opts
    if method not in ('GET', 'HEAD'):
        r = _error(405, [])
        r.headers = base + r.headers
        return r
    ns_header = headers.get('x-vault-namespace', '').strip('/')
    if opts.namespace_mode == 'enterprise' and ns_header not in ('', 'root'):
        r = _error(opts.enterprise_health_namespace_status, ['unsupported path'])
        r.headers = base + r.headers
        return r

    def bad():
        if method == 'HEAD':
            return Reply(400, list(base), None)
        r = _error(400, [])
        r.headers = base + r.headers
        return r

    standby_ok = perf_ok = False
    for name in ('standbyok', 'perfstandbyok'):
        if name in query:
            try:
                v = parse_bool(query[name][0])
            except ValueError:
                return bad()
            if name == 'standbyok':
                standby_ok = v
            else:
                perf_ok = v
    codes = {'uninitcode': 501, 'sealedcode': 503, 'standbycode': 429, 'activecode': 200,
             'drsecondarycode': 472, 'performancestandbycode': 473, 'haunhealthycode': 474,
             'removedcode': 530}
    for name in list(codes):
        if name in query:
            s = query[name][0]
            if not re.fullmatch(r'[+-]?[0-9]+', s):
                return bad()
            codes[name] = int(s)
    with core.lock:
        sealed = core.sealed or not core.initialized
        init = core.initialized
        standby = sealed
        code = codes['activecode']
        if not init:
            code = codes['uninitcode']
        elif sealed:
            code = codes['sealedcode']
        elif standby and not standby_ok:
            code = codes['standbycode']
        del perf_ok
        body = Struct(('initialized', init), ('sealed', sealed), ('standby', standby),
                      ('performance_standby', False),
                      ('replication_performance_mode', 'unknown' if sealed else 'disabled'),
                      ('replication_dr_mode', 'unknown' if sealed else 'disabled'),
                      ('server_time_utc', core.now_ns() // 1_000_000_000),
                      ('version', opts.vault_version),
                      ('enterprise', opts.namespace_mode == 'enterprise'))
        if not sealed:
            body.add('cluster_name', core.cluster_name)
            body.add('cluster_id', core.cluster_id)
        body.add('echo_duration_ms', 0)
        body.add('clock_skew_ms', 0)
        body.add('replication_primary_canary_age_ms', 0)
    if method == 'HEAD':
        return Reply(code, base + [('Content-Type', JSON)], None)
    return Reply(code, base + [('Content-Type', JSON)], encode(body, newline=True))
