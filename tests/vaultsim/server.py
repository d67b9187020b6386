# SPDX-License-Identifier: MIT
"""Sockets, TLS, keep-alive, fault injection, the request log and the
simulator-private control API under /_sim/ (documented in docs/vaultsim.md).

The request log never holds a token, a JWT or a body: only method, target,
status, timings, whether a token was presented and a stable hash of it
(sha256("vaultsim:" + token), 16 hex digits: simlib.token_hash()).
"""

import email.utils
import http.server
import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

import jwtcheck
import vaulthttp
from core import SEC
from gojson import decode, DecodeError, parse_duration_second, DurationError

MAX_LOG = 20000


class Fault:
    _next = 1

    def __init__(self, spec):
        self.id = Fault._next
        Fault._next += 1
        self.prefix = spec.get('path_prefix', '/v1/')
        methods = spec.get('methods')
        self.methods = [m.upper() for m in methods] if methods else None
        self.count = int(spec.get('count', 1))
        self.action = spec.get('action', 'status')
        if self.action not in ('status', 'delay', 'reset', 'hang', 'truncate', 'close'):
            raise ValueError('unknown action %r' % self.action)
        self.status = int(spec.get('status', 500))
        self.errors = spec.get('errors')
        self.retry_after = spec.get('retry_after')
        self.headers = spec.get('headers') or {}
        self.delay = float(spec.get('delay_ms', 0)) / 1000.0
        self.hits = 0

    def matches(self, method, target):
        if self.count == 0:
            return False
        if self.methods and method not in self.methods:
            return False
        return target.startswith(self.prefix)

    def public(self):
        return {'id': self.id, 'path_prefix': self.prefix, 'methods': self.methods,
                'count': self.count, 'action': self.action, 'status': self.status,
                'errors': self.errors, 'retry_after': self.retry_after,
                'delay_ms': int(self.delay * 1000), 'hits': self.hits}


DEFAULT_ERRORS = {
    412: ['required index state not present'],
    429: None,   # filled with the rate-limit text for the path
    500: ['internal error'],
    502: ['upstream rate limited'],
    503: ['Vault is sealed'],
    504: ['context deadline exceeded'],
}


class State:
    def __init__(self, core, log_requests=False):
        self.core = core
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.seq = 0
        self.conn_seq = 0
        self.log_requests = log_requests

    def next_conn(self):
        with self.lock:
            self.conn_seq += 1
            return self.conn_seq

    def pick_faults(self, method, target):
        """Returns the list of faults to apply (delays first, then at most
        one terminal fault), consuming their counts."""
        out = []
        with self.lock:
            for f in self.faults:
                if not f.matches(method, target):
                    continue
                if f.count > 0:
                    f.count -= 1
                f.hits += 1
                out.append(f)
                if f.action != 'delay':
                    break
            self.faults = [f for f in self.faults if f.count != 0]
        return out

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry['seq'] = self.seq
            self.log.append(entry)
            if len(self.log) > MAX_LOG:
                del self.log[:len(self.log) - MAX_LOG]
        if self.log_requests:
            sys.stderr.write('vaultsim: %s %s %s %.1fms%s\n' % (
                entry['method'], entry['path'].split('?', 1)[0], entry['status'],
                entry['duration_ms'], (' fault=%s' % entry['fault']) if entry['fault'] else ''))


def _http_date(ts=None):
    return email.utils.formatdate(ts if ts is not None else time.time(), usegmt=True)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 300          # idle keep-alive connections close after 5 min (Vault's IdleTimeout)
    server_version = ''
    sys_version = ''

    def setup(self):
        super().setup()
        # Like Go's net/http: no Nagle delay on small replies over kept-alive connections.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.conn_id = self.server.state.next_conn()
        self.n_on_conn = 0

    def log_message(self, fmt, *args):  # silence default logging
        pass

    def send_error(self, code, message=None, explain=None):
        # malformed request line / headers: answer like Go's server
        body = ('%d %s' % (code, message or http.HTTPStatus(code).phrase)).encode()
        try:
            self.send_response_only(code)
            self.send_header('Content-Type', 'text/plain; charset=utf-8')
            self.send_header('Connection', 'close')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
        self.close_connection = True

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.n_on_conn += 1
            self.dispatch()
            try:
                self.wfile.flush()
            except OSError:
                self.close_connection = True
        except (TimeoutError, ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    # --------------------------------------------------------------- body

    def read_body(self, limit):
        te = self.headers.get('Transfer-Encoding', '')
        if te.lower() == 'chunked':
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass
                    break
                data = self.rfile.read(size)
                self.rfile.readline(3)
                total += size
                if total <= limit + 1:
                    chunks.append(data)
            return b''.join(chunks)
        n = int(self.headers.get('Content-Length') or 0)
        if n <= 0:
            return b''
        if n > limit + 1:
            data = self.rfile.read(limit + 1)
            self.close_connection = True
            return data
        return self.rfile.read(n)

    # ------------------------------------------------------------ writing

    def write_reply(self, status, headers, body, head=False):
        self.send_response_only(status)
        names = set()
        for k, v in headers:
            self.send_header(k, v)
            names.add(k.lower())
        self.send_header('Date', _http_date())
        if body is not None and status not in (204, 304) and 'content-length' not in names:
            self.send_header('Content-Length', str(len(body)))
        elif body is None and status not in (204, 304) and 'content-length' not in names and not head:
            self.send_header('Content-Length', '0')
        if self.close_connection and 'connection' not in names:
            self.send_header('Connection', 'close')
        # Headers and body leave in one write, as Go's server sends a small reply.
        self._headers_buffer.append(b'\r\n')
        if body and not head and status not in (204, 304):
            self._headers_buffer.append(body)
        self.flush_headers()

    def reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    # ----------------------------------------------------------- dispatch

    def dispatch(self):
        st = self.server.state
        core = st.core
        method = self.command
        target = self.path
        t0 = time.time()
        if target.startswith('/_sim/') or target == '/_sim':
            body = self.read_body(core.opts.max_request_size)
            status, payload = control(self.server, method, target, body)
            out = (json.dumps(payload, sort_keys=True) + '\n').encode('utf-8')
            self.write_reply(status, [('Content-Type', 'application/json')], out)
            return
        headers = {k.lower(): v.strip() for k, v in self.headers.items()}
        body = self.read_body(core.opts.max_request_size)
        token = vaulthttp._token_from(headers)
        entry = {'time': t0, 'sim_time': core.now(), 'method': method, 'path': target,
                 'status': None, 'duration_ms': 0.0, 'token_present': bool(token),
                 'token_sha': jwtcheck.token_fingerprint(token) if token else '',
                 'namespace': headers.get('x-vault-namespace', ''),
                 'x_vault_request': headers.get('x-vault-request', ''),
                 'user_agent': headers.get('user-agent', ''), 'conn': self.conn_id,
                 'conn_request': self.n_on_conn, 'fault': None,
                 'tls': isinstance(self.connection, ssl.SSLSocket)}
        recorded = []

        def commit():
            # Record before answering: a client that has its answer must find
            # the request in the log (and in order).
            if not recorded:
                recorded.append(True)
                entry['duration_ms'] = round((time.time() - t0) * 1000.0, 3)
                st.record(entry)

        self.commit = commit
        try:
            faults = st.pick_faults(method, target)
            terminal = None
            for f in faults:
                if f.action == 'delay':
                    time.sleep(f.delay)
                    entry['fault'] = 'delay:%d' % f.id
                else:
                    terminal = f
            if terminal is not None:
                entry['fault'] = '%s:%d' % (terminal.action, terminal.id)
                if self.apply_fault(terminal, target, headers, entry):
                    return
            client_ip = self.client_address[0] if self.client_address else ''
            try:
                r = vaulthttp.handle(core, method, target, headers, body, client_ip,
                                     isinstance(self.connection, ssl.SSLSocket))
            except Exception as e:  # noqa: BLE001 - a simulator bug must not kill the connection
                # Report where it failed, not the message: an exception text
                # could quote request data (a token, a secret).
                tb = e.__traceback__
                while tb.tb_next is not None:
                    tb = tb.tb_next
                sys.stderr.write('vaultsim: internal error on %s %s: %s at %s:%d\n'
                                 % (method, target.split('?', 1)[0], type(e).__name__,
                                    os.path.basename(tb.tb_frame.f_code.co_filename), tb.tb_lineno))
                r = vaulthttp._error(500, ['internal error'])
            entry['status'] = r.status
            commit()
            self.write_reply(r.status, r.headers, r.body, head=(method == 'HEAD'))
        finally:
            commit()

    def apply_fault(self, f, target, headers, entry):
        """Returns True when the request is answered (or dropped) by f."""
        if f.action == 'reset':
            entry['status'] = 'reset'
            self.commit()
            self.reset()
            return True
        if f.action == 'close':
            entry['status'] = 'closed'
            self.commit()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True
            return True
        if f.action == 'hang':
            entry['status'] = 'hang'
            self.commit()
            time.sleep(f.delay)
            self.reset()
            return True
        hs = [('Cache-Control', 'no-store'), ('Content-Type', 'application/json')]
        if headers.get('x-vault-namespace'):
            hs.append(('X-Vault-Namespace', headers['x-vault-namespace']))
        errors = f.errors
        if errors is None:
            errors = DEFAULT_ERRORS.get(f.status)
            if errors is None and f.status == 429:
                p = target.split('?', 1)[0]
                p = p[len('/v1/'):] if p.startswith('/v1/') else p
                errors = ['request path "%s": rate limit quota exceeded' % p]
            if errors is None:
                errors = []
        if f.status == 429 or f.retry_after is not None:
            ra = f.retry_after if f.retry_after is not None else 1
            hs.append(('Retry-After', str(ra)))
        for k, v in f.headers.items():
            hs.append((k, str(v)))
        body = vaulthttp.error_body(errors)
        entry['status'] = f.status
        if f.action == 'truncate':
            entry['status'] = 'truncated'
            self.commit()
            self.send_response_only(f.status)
            for k, v in hs:
                self.send_header(k, v)
            self.send_header('Content-Length', str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body[:max(1, len(body) // 2)])
            self.wfile.flush()
            self.reset()
            return True
        self.commit()
        self.write_reply(f.status, hs, body)
        return True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, state, tls_ctx=None, family=socket.AF_INET):
        self.address_family = family
        self.state = state
        self.tls_ctx = tls_ctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        if self.tls_ctx is not None:
            try:
                request.settimeout(10)
                request = self.tls_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                try:
                    request.close()
                except OSError:
                    pass
                return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        pass


def make_tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


# ====================================================================== /_sim

def _json(body, literal_numbers=False):
    if not body:
        return {}
    if literal_numbers:
        v, _present = decode(body)
    else:
        try:
            v = json.loads(body.decode('utf-8'))
        except ValueError as e:
            raise DecodeError(str(e))
    return v if isinstance(v, dict) else {}


def _seconds(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return parse_duration_second(v) / SEC


def control(server, method, target, body):
    """The private control API. Returns (status, json-able payload)."""
    st = server.state
    core = st.core
    path = target.split('?', 1)[0]
    try:
        req = _json(body)
    except DecodeError as e:
        return 400, {'error': 'bad JSON: %s' % e}
    try:
        if path.rstrip('/') == '/_sim/kv':
            req = _json(body, literal_numbers=True)   # keep number literals of secrets
        return _control(st, core, method, path, target, req)
    except (ValueError, KeyError, TypeError, DurationError) as e:
        return 400, {'error': str(e)}


def _token_public(core, t):
    now = core.now_ns()
    return {'accessor': t.accessor, 'token_sha': jwtcheck.token_fingerprint(t.id),
            'policies': t.policies, 'path': t.path, 'role': t.role, 'type': t.type,
            'namespace': t.ns, 'revoked': t.revoked or (t.expire_ns is not None and now > t.expire_ns),
            'expire_in': None if t.expire_ns is None else round((t.expire_ns - now) / SEC, 3),
            'num_uses': t.num_uses, 'entity_id': t.entity_id}


def _k8s_backend(core, ns, mount):
    m = core.ns_state(ns).mounts.get('auth/' + mount.strip('/') + '/')
    if m is None:
        raise ValueError('no kubernetes auth mount at auth/%s/' % mount.strip('/'))
    return m.backend


def _control(st, core, method, path, target, req):
    import core as core_mod
    import framework as fw
    parts = [p for p in path.split('/') if p][1:]
    what = parts[0] if parts else ''
    if what == 'health':
        return 200, {'ok': True}
    if what == 'requests':
        if method == 'DELETE':
            with st.lock:
                st.log = []
            return 200, {'cleared': True}
        with st.lock:
            entries = list(st.log)
        return 200, {'requests': entries}
    if what in ('seal', 'unseal'):
        with core.lock:
            core.sealed = what == 'seal'
        return 200, {'sealed': core.sealed}
    if what == 'init':
        with core.lock:
            core.initialized = bool(req.get('initialized', True))
        return 200, {'initialized': core.initialized}
    if what == 'clock':
        with core.lock:
            if method == 'POST':
                if 'advance' in req:
                    core.clock_offset_ns += int(_seconds(req['advance']) * SEC)
                if 'offset' in req:
                    core.clock_offset_ns = int(_seconds(req['offset']) * SEC)
            return 200, {'offset': core.clock_offset_ns / SEC, 'now': core.now()}
    if what == 'faults':
        if method == 'POST':
            f = Fault(req)
            with st.lock:
                st.faults.append(f)
            return 200, f.public()
        if method == 'DELETE':
            with st.lock:
                st.faults = []
            return 200, {'cleared': True}
        with st.lock:
            return 200, {'faults': [f.public() for f in st.faults]}
    if what == 'options':
        if method == 'POST':
            with core.lock:
                for k, v in req.items():
                    if k not in core.opts.KEYS:
                        raise ValueError('unknown option %s' % k)
                    choices = core.opts.CHOICES.get(k)
                    if choices is not None and v not in choices:
                        raise ValueError('%s must be one of %s' % (k, ', '.join(map(str, choices))))
                    setattr(core.opts, k, v)
                ens = core.opts.enterprise_namespace.strip('/')
                if core.opts.namespace_mode == 'enterprise' and ens not in core.namespaces:
                    core._make_ns(ens)
                    core._dev_mounts(ens)
        return 200, core.opts.public()
    if what == 'state':
        with core.lock:
            toks = [_token_public(core, t) for t in core.tokens.values()]
            mounts = {}
            for ns, s in core.namespaces.items():
                mounts[ns] = {mp: {'type': m.type, 'options': m.options} for mp, m in s.mounts.items()}
            return 200, {'sealed': core.sealed, 'initialized': core.initialized,
                         'clock_offset': core.clock_offset_ns / SEC, 'now': core.now(),
                         'options': core.opts.public(), 'tokens': toks, 'mounts': mounts,
                         'policies': {ns: sorted(s.policies) for ns, s in core.namespaces.items()}}
    if what == 'tokens' and len(parts) > 1 and parts[1] == 'revoke':
        n = 0
        with core.lock:
            for t in list(core.tokens.values()):
                if t.revoked:
                    continue
                hit = False
                if req.get('all'):
                    hit = t.id != core.root_token or req.get('include_root', False)
                if 'token' in req and t.id == req['token']:
                    hit = True
                if 'accessor' in req and t.accessor and t.accessor == req['accessor']:
                    hit = True
                if 'token_sha' in req and jwtcheck.token_fingerprint(t.id) == req['token_sha']:
                    hit = True
                if 'role' in req and t.role.lower() == str(req['role']).lower() and (
                        'mount' not in req or t.mount == 'auth/%s/' % req['mount'].strip('/')):
                    hit = True
                if hit:
                    core.revoke_token(t)
                    n += 1
        return 200, {'revoked': n}
    if what == 'roles':
        mount = req.get('mount', 'kubernetes')
        role = req.get('role')
        if not role:
            raise ValueError('role is required')
        with core.lock:
            b = _k8s_backend(core, req.get('namespace', ''), mount)
            if method == 'DELETE':
                gone = b.roles.pop(role.lower(), None) is not None
                return 200, {'deleted': gone}
            if role.lower() not in b.roles:
                raise ValueError('no role %s' % role)
            fields = {k: v for k, v in req.items() if k not in ('mount', 'role', 'namespace')}
            r = core_mod.Request()
            r.op = 'update'
            r.data = fields
            fd = fw.Fields(dict(fields, name=role), b.paths[3].fields)
            try:
                fd.validate()
                resp = b.role_write(r, fd)
            except (fw.ErrResp, fw.PlainErr) as e:
                raise ValueError(e.msg)
            return 200, {'updated': role, 'warnings': resp.warnings if resp else None}
    if what == 'tokenreview':
        o = core.k8s_oracle
        with core.lock:
            if method == 'POST':
                if 'mode' in req:
                    if req['mode'] not in ('oracle', 'http'):
                        raise ValueError('mode must be oracle or http')
                    core.opts.tokenreview = req['mode']
                if 'fail' in req:
                    o.fail = dict(req['fail']) if req['fail'] else None
                    if o.fail is not None:
                        o.fail.setdefault('count', -1)
                for pem in req.get('keys', []):
                    o.add_key(pem)
                if 'reviewers' in req:
                    o.reviewers = None if req['reviewers'] is None else set(req['reviewers'])
                if 'delete_sa' in req:
                    o.deleted_sas.add((req['delete_sa']['namespace'], req['delete_sa']['name']))
                if 'restore_sa' in req:
                    o.deleted_sas.discard((req['restore_sa']['namespace'], req['restore_sa']['name']))
                if 'delete_pod' in req:
                    o.deleted_pods.add(req['delete_pod'])
                if 'namespace_labels' in req:
                    o.namespaces.update(req['namespace_labels'])
                if 'api_audiences' in req:
                    o.api_audiences = list(req['api_audiences'])
                if 'issuer' in req:
                    o.issuer = req['issuer']
            return 200, {'mode': core.opts.tokenreview, 'fail': o.fail, 'keys': len(o.keys),
                         'issuer': o.issuer, 'api_audiences': o.api_audiences,
                         'reviews': list(o.reviews)}
    if what == 'kv':
        mount = req.get('mount', 'secret/').strip('/') + '/'
        with core.lock:
            m = core.ns_state(req.get('namespace', '')).mounts.get(mount)
            if m is None or m.type != 'kv':
                raise ValueError('no kv mount at %s' % mount)
            data = req.get('data')
            if not isinstance(data, dict):
                raise ValueError('data must be an object')
            version = m.backend.write_direct(req['path'], data)
            return 200, {'mount': mount, 'path': req['path'], 'version': version}
    if what == 'policies' and len(parts) > 1:
        name = '/'.join(parts[1:]).lower()
        if method != 'DELETE':
            raise ValueError('use DELETE')
        with core.lock:
            gone = core.ns_state(req.get('namespace', '')).policies.pop(name, None) is not None
        return 200, {'deleted': gone}
    return 404, {'error': 'unknown control endpoint %s %s' % (method, path)}
