# SPDX-License-Identifier: MIT
"""The simulated Vault core: mounts, policies, tokens, and the request
pipeline of vault/request_handling.go.

Order of processing for a logical request (what real Vault does):
  sealed? -> namespace -> "cannot write to a path ending in '/'" ->
  login path? (unauthenticated; plugin errors returned as they are) :
  (token present? -> token valid? -> root path needs sudo -> existence check
   decides create/update -> ACL -> route; plugin plain errors are wrapped in
   a go-multierror) -> response post-processing (tokens issued by logins).

All times come from Core.now_ns(): the real clock plus an offset a test can
shift through /_sim/clock. Nothing in this module logs a token, a JWT or a
secret value.
"""

import os
import secrets
import threading
import time

import framework as fw
import policy as pol
from framework import ErrResp, PlainErr, LResp, Path, multierror
from gojson import (Struct, go_quote, human_duration,
                    ns_to_rfc3339, RawTime)

SEC = 1_000_000_000
B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
B64URL = B62 + '-_'


def rand_str(n, alphabet=B62):
    return ''.join(secrets.choice(alphabet) for _ in range(n))


def go_uuid():
    """hashicorp/go-uuid GenerateUUID: 16 random bytes as 8-4-4-4-12 hex."""
    h = os.urandom(16).hex()
    return '%s-%s-%s-%s-%s' % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


DEFAULT_POLICY = '''
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
'''


class Options:
    """Behaviour switches; see docs/vaultsim.md and vaultsim.py --help."""
    token_error_style = 'multierror'       # multierror | mixed | plain
    namespace_mode = 'ce'                  # ce | ce-reject | enterprise
    enterprise_namespace = 'ns1'
    legacy_login_status = 'none'           # none | claims | all
    mount_type_field = 'present'           # present | absent
    login_mount_type = ''
    require_request_header = False
    unsupported_operation_style = 'multierror'   # multierror | plain
    body_too_large_text = 'error parsing JSON'
    vault_version = '1.21.0'
    token_format = 'hvs'                   # hvs | legacy
    tokenreview = 'oracle'                 # oracle | http
    pod_sa_dir = None
    default_lease_ttl = 768 * 3600
    max_lease_ttl = 768 * 3600
    max_request_size = 32 * 1024 * 1024
    dev_secret_mount = 'kv-v2'             # kv-v2 | kv-v1 | none
    k8s_issuer = 'https://kubernetes.default.svc.cluster.local'
    k8s_api_audiences = None               # defaults to [k8s_issuer]
    enterprise_health_namespace_status = 404
    mount_ttl_style = 'zero'               # zero | effective (system TTLs shown)

    KEYS = ('token_error_style', 'namespace_mode', 'enterprise_namespace',
            'legacy_login_status', 'mount_type_field', 'login_mount_type',
            'require_request_header', 'unsupported_operation_style',
            'body_too_large_text', 'vault_version', 'token_format',
            'tokenreview', 'mount_ttl_style')

    CHOICES = {
        'token_error_style': ('multierror', 'mixed', 'plain'),
        'namespace_mode': ('ce', 'ce-reject', 'enterprise'),
        'legacy_login_status': ('none', 'claims', 'all'),
        'mount_type_field': ('present', 'absent'),
        'require_request_header': (True, False),
        'unsupported_operation_style': ('multierror', 'plain'),
        'token_format': ('hvs', 'legacy'),
        'tokenreview': ('oracle', 'http'),
        'mount_ttl_style': ('zero', 'effective'),
    }

    def public(self):
        return {k: getattr(self, k) for k in self.KEYS}


class Answer(Exception):
    """A final error answer: status and the errors array."""

    def __init__(self, status, errors):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors


class Mount:
    def __init__(self, path, mtype, table, backend, options=None,
                 description='', default_ttl=0, max_ttl=0, local=False,
                 seal_wrap=False, running_version='', ns=''):
        self.path = path
        self.type = mtype
        self.table = table
        self.backend = backend
        self.options = options
        self.description = description
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self.local = local
        self.seal_wrap = seal_wrap
        self.running_version = running_version
        self.ns = ns
        prefix = ('auth_%s_' % mtype) if table == 'auth' else ('%s_' % mtype)
        self.accessor = prefix + os.urandom(4).hex()
        self.uuid = go_uuid()

    @property
    def full_path(self):
        return ('auth/' + self.path) if self.table == 'auth' else self.path


class Token:
    def __init__(self):
        self.id = ''
        self.accessor = ''
        self.policies = []
        self.path = ''
        self.meta = None
        self.display_name = ''
        self.num_uses = 0
        self.creation_time = 0
        self.ttl = 0
        self.explicit_max_ttl = 0
        self.period = 0
        self.entity_id = ''
        self.type = 'service'
        self.orphan = True
        self.ns = ''
        self.bound_cidrs = []
        # lease (service tokens with a TTL)
        self.lease = False
        self.issue_ns = 0
        self.expire_ns = None
        self.last_renewal_ns = None
        self.renewable = False
        self.mount = ''          # e.g. auth/kubernetes/
        self.role = ''           # auth InternalData role
        self.auth_policies = []  # policies as shown in auth responses
        self.auth_meta = None
        self.auth_num_uses = 0
        self.revoked = False


class Request:
    def __init__(self):
        self.id = go_uuid()
        self.method = 'GET'
        self.op = 'read'
        self.path = ''           # logical path relative to the namespace
        self.subpath = ''        # path relative to the mount
        self.data = None
        self.token = ''
        self.headers = {}
        self.client_ip = ''
        self.ns = ''
        self.mount = None
        self.login = False
        self.token_entry = None
        self.acl = None
        self.core = None


class NSState:
    def __init__(self, name):
        self.name = name
        self.mounts = {}         # full path ('secret/', 'auth/kubernetes/') -> Mount
        self.policies = {}       # name -> policy.Policy
        self.ns_id = rand_str(5) if name else 'root'


class Core:
    def __init__(self, opts, root_token):
        self.opts = opts
        self.lock = threading.RLock()
        self.clock_offset_ns = 0
        self.sealed = False
        self.initialized = True
        self.cluster_name = 'vault-cluster-' + os.urandom(4).hex()
        self.cluster_id = go_uuid()
        self.tokens = {}
        self.accessors = {}
        self.entities = {}
        self.namespaces = {}
        self.log = None          # callable(str) for diagnostics (never secrets)
        import leases
        self.leases = leases.LeaseManager(self)
        self.tick_hooks = []     # callables(now_ns) run by the lease reaper (static-role rotation)
        import k8sauth
        self.k8s_oracle = k8sauth.Oracle(self)
        self._make_ns('')
        if opts.namespace_mode == 'enterprise':
            self._make_ns(opts.enterprise_namespace.strip('/'))
        for ns in list(self.namespaces):
            self._dev_mounts(ns)
        self.root_token = self._create_root(root_token)

    # ------------------------------------------------------------ clock

    def now_ns(self):
        return time.time_ns() + self.clock_offset_ns

    def now(self):
        return self.now_ns() / SEC

    # ------------------------------------------------------------ setup

    def _make_ns(self, name):
        st = NSState(name)
        st.policies['default'] = pol.parse('default', DEFAULT_POLICY)
        self.namespaces[name] = st
        return st

    def _dev_mounts(self, ns):
        import kv
        st = self.namespaces[ns]
        st.mounts['sys/'] = Mount('sys/', 'system', 'mounts', SysBackend(self),
                                  description='system endpoints used for control, policy and debugging',
                                  running_version='v' + self.opts.vault_version + '+builtin.vault', ns=ns)
        st.mounts['auth/token/'] = Mount('token/', 'token', 'auth', TokenBackend(self),
                                         description='token based credentials',
                                         running_version='v' + self.opts.vault_version + '+builtin.vault', ns=ns)
        st.mounts['cubbyhole/'] = Mount('cubbyhole/', 'cubbyhole', 'mounts', None,
                                        description='per-token private secret storage',
                                        running_version='v' + self.opts.vault_version + '+builtin.vault', ns=ns)
        st.mounts['identity/'] = Mount('identity/', 'identity', 'mounts', None,
                                       description='identity store',
                                       running_version='v' + self.opts.vault_version + '+builtin.vault', ns=ns)
        if self.opts.dev_secret_mount in ('kv-v2', 'kv-v1'):
            version = '2' if self.opts.dev_secret_mount == 'kv-v2' else '1'
            m = Mount('secret/', 'kv', 'mounts', None, options={'version': version},
                      description='key/value secret storage',
                      running_version=kv.RUNNING_VERSION, ns=ns)
            m.backend = kv.make_backend(self, m)
            st.mounts['secret/'] = m

    def _create_root(self, token_id):
        t = Token()
        t.id = token_id or self.new_token_id('service', '')
        t.accessor = rand_str(24)
        t.policies = ['root']
        t.auth_policies = ['root']
        t.path = 'auth/token/root'
        t.display_name = 'root'
        t.creation_time = int(self.now())
        t.ns = ''
        self.tokens[t.id] = t
        self.accessors[t.accessor] = t.id
        return t.id

    def new_token_id(self, ttype, ns):
        if self.opts.token_format == 'legacy':
            tid = ('b.' if ttype == 'batch' else 's.') + rand_str(24)
        elif ttype == 'batch':
            tid = 'hvb.' + rand_str(138, B64URL)
        else:
            tid = 'hvs.' + rand_str(91, B64URL)
        if ns:
            tid += '.' + self.namespaces[ns].ns_id
        return tid

    # ------------------------------------------------------------ lookup

    def ns_state(self, ns):
        st = self.namespaces.get(ns)
        if st is None:
            st = NSState(ns)   # unknown namespace: nothing in it
        return st

    def lookup_token(self, tid):
        """TokenStore.Lookup: None for unknown, revoked or expired tokens."""
        t = self.tokens.get(tid)
        if t is None or t.revoked:
            return None
        if t.expire_ns is not None and self.now_ns() > t.expire_ns:
            t.revoked = True
            return None
        return t

    def revoke_token(self, t):
        t.revoked = True
        self.leases.revoke_token_leases(t.id)

    def token_acl(self, t):
        st = self.ns_state(t.ns)
        pols = []
        for name in t.policies:
            if name == 'root':
                pols.append(pol.Policy('root', '', []))
                continue
            p = st.policies.get(name)
            if p is not None:
                pols.append(p)
        return pol.ACL(pols)

    def match_mount(self, ns, path):
        st = self.ns_state(ns)
        best = None
        for mp, m in st.mounts.items():
            if path.startswith(mp) and (best is None or len(mp) > len(best.full_path)):
                best = m
        if best is None and not path.endswith('/'):
            p2 = path + '/'
            for mp, m in st.mounts.items():
                if p2.startswith(mp) and (best is None or len(mp) > len(best.full_path)):
                    best = m
        return best

    def sys_ttls(self, mount):
        d, m = self.opts.default_lease_ttl, self.opts.max_lease_ttl
        if mount is not None:
            if mount.default_ttl:
                d = mount.default_ttl
            if mount.max_ttl:
                m = mount.max_ttl
        if d > m:
            d = m
        return d, m

    def calculate_ttl(self, mount, increment, backend_ttl, period, backend_max,
                      explicit_max, start_ns=None):
        """sdk/framework CalculateTTL (seconds)."""
        sys_default, sys_max = self.sys_ttls(mount)
        now = self.now_ns() // SEC
        start = (start_ns // SEC) if start_ns else now
        max_ttl = sys_max
        if 0 < backend_max < max_ttl:
            max_ttl = backend_max
        if 0 < explicit_max < max_ttl:
            max_ttl = explicit_max
        if max_ttl <= 0:
            raise PlainErr('max TTL must be greater than zero', 500)
        warnings = []
        max_valid = None
        if period > 0:
            if period > max_ttl:
                warnings.append('period of %s exceeded the effective max_ttl of %s; period value is capped accordingly'
                                % (go_quote(human_duration(period * SEC)), go_quote(human_duration(max_ttl * SEC))))
                period = max_ttl
            ttl = period
            if explicit_max > 0:
                max_valid = start + explicit_max
        else:
            if increment > 0:
                ttl = increment
            elif backend_ttl > 0:
                ttl = backend_ttl
            else:
                ttl = sys_default
            max_valid = start + max_ttl
        if max_valid is not None:
            mvt = max_valid - now
            if mvt <= 0:
                raise PlainErr('past the max TTL, cannot renew', 500)
            if mvt - ttl < 0:
                warnings.append('TTL of %s exceeded the effective max_ttl of %s; TTL value is capped accordingly'
                                % (go_quote(human_duration(ttl * SEC)), go_quote(human_duration(mvt * SEC))))
                ttl = mvt
        return ttl, warnings

    # ------------------------------------------------------------ errors

    def invalid_token_errors(self):
        if self.opts.token_error_style == 'multierror':
            return [multierror('permission denied', 'invalid token')]
        return ['permission denied']

    def acl_denied_errors(self):
        if self.opts.token_error_style == 'plain':
            return ['permission denied']
        return [multierror('permission denied')]

    # ------------------------------------------------------------ pipeline

    def process(self, req):
        """Run a logical request; returns LResp (or None) or raises Answer."""
        req.core = self
        if self.sealed or not self.initialized:
            raise Answer(503, ['Vault is sealed'])
        if req.path.endswith('/') and req.op in ('create', 'update'):
            raise Answer(400, ["cannot write to a path ending in '/'"])
        mount = self.match_mount(req.ns, req.path)
        req.mount = mount
        if mount is not None:
            req.subpath = req.path[len(mount.full_path):] if req.path.startswith(mount.full_path) else ''
        if mount is not None and mount.backend is not None and mount.backend.is_login(req.subpath):
            req.login = True
            return self._handle_login(req)
        return self._handle_request(req)

    def _check_token(self, req):
        if not req.token:
            raise Answer(400, ['missing client token'])
        t = self.lookup_token(req.token)
        if t is None:
            raise Answer(403, self.invalid_token_errors())
        if t.bound_cidrs and t.ttl != 0 and not _cidr_ok(req.client_ip, t.bound_cidrs):
            raise Answer(403, ['permission denied'])
        req.token_entry = t
        acl = self.token_acl(t)
        req.acl = acl
        full = self._acl_path(req, t)
        if req.mount is not None and req.mount.backend is not None and \
                req.mount.backend.is_root_path(req.subpath) and not acl.has_sudo(full):
            raise Answer(403, self.acl_denied_errors())
        if req.op in ('create', 'update') and req.mount is not None and req.mount.backend is not None:
            try:
                check, exists = req.mount.backend.existence(req)
            except ErrResp as e:
                raise Answer(e.status, [e.msg])
            if check:
                req.op = 'update' if exists else 'create'
            else:
                req.op = 'update'
        cap = {'read': 'read', 'list': 'list', 'create': 'create', 'update': 'update',
               'delete': 'delete', 'patch': 'patch', 'header': 'read'}.get(req.op, req.op)
        if not acl.allowed(full, cap, req.op == 'list'):
            raise Answer(403, self.acl_denied_errors())
        return t

    def _acl_path(self, req, t, path=None):
        """Policies of a token apply to paths relative to its namespace."""
        path = req.path if path is None else path
        if req.ns == t.ns:
            return path
        full = (req.ns + '/' if req.ns else '') + path
        if t.ns == '':
            return full
        if full.startswith(t.ns + '/'):
            return full[len(t.ns) + 1:]
        return '\x00' + full    # outside the token's namespace: no rule matches

    def _use(self, t):
        """TokenStore.UseToken: a limited-use token spends one use on every
        request it authenticates, allowed or not; the last use revokes it
        once the request is done."""
        if t.num_uses > 0:
            t.num_uses -= 1
            if t.num_uses == 0:
                t.num_uses = -1   # revoked after this request

    def _handle_request(self, req):
        try:
            t = self._check_token(req)
        except Answer:
            te = req.token_entry
            if te is not None:
                self._use(te)
                if te.num_uses == -1:
                    te.num_uses = 0
                    self.revoke_token(te)
            raise
        self._use(t)
        try:
            if req.mount is None or req.mount.backend is None:
                if req.mount is None:
                    raise Answer(404, ['no handler for route %s. route entry not found.' % go_quote(req.path)])
                raise Answer(404, [multierror('unsupported path')])
            try:
                resp = req.mount.backend.handle(req)
            except ErrResp as e:
                raise Answer(e.status, [e.msg])
            except PlainErr as e:
                if e.msg == 'unsupported operation' and self.opts.unsupported_operation_style == 'plain':
                    raise Answer(e.status, [e.msg])
                raise Answer(e.status, [multierror(e.msg)])
            if resp is not None and resp.raw is None:
                resp.mount_type = req.mount.type
            return resp
        finally:
            if t.num_uses == -1:
                t.num_uses = 0
                self.revoke_token(t)

    def _handle_login(self, req):
        try:
            resp = req.mount.backend.handle(req)
        except ErrResp as e:
            raise Answer(e.status, [e.msg])
        except PlainErr as e:
            raise Answer(e.status, [e.msg])
        if resp is None:
            return None
        if resp.raw is None:
            resp.mount_type = self.opts.login_mount_type
        if resp.auth is not None:
            self._issue_login_token(req, resp)
        return resp

    # ------------------------------------------------------------ tokens

    def entity_for(self, mount, alias):
        key = (mount.accessor, alias)
        eid = self.entities.get(key)
        if eid is None:
            eid = go_uuid()
            self.entities[key] = eid
        return eid

    def _issue_login_token(self, req, resp):
        """handleLoginRequest + LoginCreateToken + RegisterAuth."""
        a = resp.auth
        mount = req.mount
        policies = sanitize_policies(a['policies'], not a.get('no_default_policy'))
        if 'root' in policies:
            raise Answer(400, ['auth methods cannot create root tokens'])
        ttl, warnings = self.calculate_ttl(mount, 0, a.get('ttl', 0), a.get('period', 0),
                                           a.get('max_ttl', 0), a.get('explicit_max_ttl', 0))
        for w in warnings:
            resp.warn(w)
        source = mount.path.replace('/', '-')
        t = Token()
        ttype = a.get('token_type', 'default')
        t.type = 'batch' if ttype in ('batch', 'default-batch') else 'service'
        t.id = self.new_token_id(t.type, req.ns)
        t.accessor = '' if t.type == 'batch' else rand_str(24) + (
            '.' + self.namespaces[req.ns].ns_id if req.ns else '')
        t.policies = policies
        t.auth_policies = list(policies)
        t.path = req.path
        t.meta = dict(a['metadata'])
        t.auth_meta = dict(a['metadata'])
        t.display_name = (source + a.get('display_name', '')).rstrip('-')
        t.num_uses = a.get('num_uses', 0)
        t.auth_num_uses = t.num_uses
        now = self.now_ns()
        t.creation_time = now // SEC
        t.ttl = ttl
        t.explicit_max_ttl = a.get('explicit_max_ttl', 0)
        t.period = a.get('period', 0)
        t.entity_id = self.entity_for(mount, a['alias'])
        t.ns = req.ns
        t.bound_cidrs = a.get('bound_cidrs', [])
        t.mount = mount.full_path
        t.role = a.get('role', '')
        t.issue_ns = now
        if t.type == 'service':
            t.lease = True
            t.renewable = True
            t.expire_ns = now + ttl * SEC if ttl else None
        else:
            t.renewable = False
            t.expire_ns = now + ttl * SEC if ttl else None
        self.tokens[t.id] = t
        if t.accessor:
            self.accessors[t.accessor] = t.id
        resp.auth = self.auth_struct(t, ttl)

    def auth_struct(self, t, ttl, policies=None):
        pols = policies if policies is not None else t.auth_policies
        s = Struct(('client_token', t.id), ('accessor', t.accessor), ('policies', pols))
        if t.policies:
            s.add('token_policies', t.policies)
        s.add('metadata', t.auth_meta)
        s.add('lease_duration', ttl)
        s.add('renewable', t.renewable)
        s.add('entity_id', t.entity_id)
        s.add('token_type', t.type)
        s.add('orphan', t.orphan)
        s.add('mfa_requirement', None)
        s.add('num_uses', t.auth_num_uses)
        return s


def sanitize_policies(policies, add_default):
    """policyutil.SanitizePolicies: trim, lower-case, drop empty, add
    default, de-duplicate, sort (root alone stays root)."""
    out = []
    for p in policies:
        p = p.strip().lower()
        if p:
            out.append(p)
    if add_default and 'default' not in out:
        out.append('default')
    out = sorted(set(out))
    if 'root' in out:
        return ['root']
    return out


def _cidr_ok(ip, cidrs):
    import ipaddress
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for c in cidrs:
        try:
            if addr in ipaddress.ip_network(c, strict=False):
                return True
        except ValueError:
            continue
    return False


# ====================================================================== sys

class BackendBase(fw.Backend):
    unauthenticated = ()
    root_paths = ()

    def is_login(self, subpath):
        for pat in self.unauthenticated:
            if pat.endswith('*'):
                if subpath.startswith(pat[:-1]):
                    return True
            elif subpath == pat:
                return True
        return False

    def is_root_path(self, subpath):
        for pat in self.root_paths:
            if pat.endswith('*'):
                if subpath.startswith(pat[:-1]):
                    return True
            elif subpath == pat:
                return True
        return False


def _sanitize_mount_path(p):
    if not p.endswith('/'):
        p += '/'
    return p.lstrip('/')


class SysBackend(BackendBase):
    unauthenticated = ('internal/ui/mounts', 'internal/ui/mounts/*', 'health',
                       'seal-status', 'leader')
    root_paths = ('auth/*', 'audit', 'audit/*', 'raw', 'raw/*', 'rotate',
                  'config/auditing/*', 'leases/lookup/*', 'revoke-prefix/*',
                  'revoke-force/*', 'leases/revoke-prefix/*', 'leases/revoke-force/*')

    def __init__(self, core):
        self.core = core
        mount_fields = {
            'path': ('string',), 'type': ('string',), 'description': ('string',),
            'config': ('map',), 'local': ('bool',), 'seal_wrap': ('bool',),
            'external_entropy_access': ('bool',), 'plugin_name': ('string',),
            'options': ('kvpairs',), 'plugin_version': ('string',),
        }
        self.paths = [
            Path(r'mounts', {}, {'read': self.list_mounts}),
            Path(r'mounts/(?P<path>.+?)/tune', {'path': ('string',),
                                                 'default_lease_ttl': ('string',),
                                                 'max_lease_ttl': ('string',),
                                                 'description': ('string',)},
                 {'read': self.tune_read, 'update': self.tune_write}),
            Path(r'mounts/(?P<path>.+)', mount_fields,
                 {'update': self.mount_enable, 'read': self.mount_read, 'delete': self.mount_disable}),
            Path(r'auth', {}, {'read': self.list_auth}),
            Path(r'auth/(?P<path>.+?)/tune', {'path': ('string',),
                                               'default_lease_ttl': ('string',),
                                               'max_lease_ttl': ('string',),
                                               'description': ('string',)},
                 {'read': self.tune_read_auth, 'update': self.tune_write_auth}),
            Path(r'auth/(?P<path>.+)', mount_fields,
                 {'update': self.auth_enable, 'read': self.auth_read, 'delete': self.auth_disable}),
            Path(r'policy/?', {}, {'read': self.policy_list, 'list': self.policy_list}),
            Path(r'policy/(?P<name>.+)', {'name': ('string',), 'rules': ('string',), 'policy': ('string',)},
                 {'read': self.policy_read_legacy, 'update': self.policy_write, 'delete': self.policy_delete}),
            Path(r'policies/acl/?', {}, {'list': self.policy_list_acl}),
            Path(r'policies/acl/(?P<name>.+)', {'name': ('string',), 'policy': ('string',)},
                 {'read': self.policy_read, 'update': self.policy_write, 'delete': self.policy_delete}),
            Path(r'internal/ui/mounts/(?P<path>.+)', {'path': ('string',)},
                 {'read': self.ui_mount}),
            Path(r'capabilities-self', {'path': ('commaslice',), 'paths': ('commaslice',),
                                        'token': ('string',)},
                 {'update': self.capabilities_self}),
        ]
        import leases
        self.paths += leases.sys_paths(self)

    # --- mounts

    def _mount_info(self, m):
        cfg = {'default_lease_ttl': m.default_ttl, 'max_lease_ttl': m.max_ttl,
               'force_no_cache': False}
        if self.core.opts.mount_ttl_style == 'effective':
            if not m.default_ttl:
                cfg['default_lease_ttl'] = self.core.opts.default_lease_ttl
            if not m.max_ttl:
                cfg['max_lease_ttl'] = self.core.opts.max_lease_ttl
        if m.table == 'auth':
            cfg['token_type'] = 'default-service'
        info = {
            'type': m.type, 'description': m.description, 'accessor': m.accessor,
            'local': m.local, 'seal_wrap': m.seal_wrap, 'external_entropy_access': False,
            'options': m.options, 'uuid': m.uuid, 'plugin_version': '',
            'running_plugin_version': m.running_version, 'running_sha256': '',
            'config': cfg,
        }
        if m.type in ('kv', 'kubernetes', 'system', 'token', 'cubbyhole', 'identity'):
            info['deprecation_status'] = 'supported'
        return info

    def list_mounts(self, req, fd):
        st = self.core.ns_state(req.ns)
        data = {mp: self._mount_info(m) for mp, m in st.mounts.items() if m.table == 'mounts'}
        r = LResp(data=data)
        return r

    def list_auth(self, req, fd):
        st = self.core.ns_state(req.ns)
        data = {m.path: self._mount_info(m) for mp, m in st.mounts.items() if m.table == 'auth'}
        return LResp(data=data)

    def _parse_mount_config(self, fd):
        cfg = fd.get('config') or {}
        out = {}
        for key in ('default_lease_ttl', 'max_lease_ttl'):
            raw = cfg.get(key)
            if raw in (None, '', 'system'):
                out[key] = 0
                continue
            try:
                out[key] = fw.duration_seconds(fw.weak_string(raw))
            except fw.FieldError as e:
                which = 'default TTL' if key == 'default_lease_ttl' else 'max TTL'
                raise ErrResp('unable to parse %s of %s: %s' % (which, fw.go_v(raw), e))
        if out['max_lease_ttl'] and out['default_lease_ttl'] > out['max_lease_ttl']:
            raise ErrResp('given default lease TTL greater than given max lease TTL')
        if out['default_lease_ttl'] > self.core.opts.max_lease_ttl and not out['max_lease_ttl']:
            raise ErrResp('given default lease TTL greater than system max lease TTL of %d'
                          % self.core.opts.max_lease_ttl)
        return out

    def _conflict(self, st, full):
        for mp in st.mounts:
            if mp.startswith(full) or full.startswith(mp):
                m = st.mounts[mp]
                raise ErrResp('path is already in use at %s' % m.path, 400)

    def mount_enable(self, req, fd):
        import kv
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        cfg = self._parse_mount_config(fd)
        mtype = fd.get('type')
        options = dict(fd.get('options')) if 'options' in fd.raw else {}
        if mtype == '':
            raise ErrResp('backend type must be specified as a string')
        if mtype == 'kv-v1':
            mtype, options['version'] = 'kv', '1'
        elif mtype == 'kv-v2':
            mtype, options['version'] = 'kv', '2'
        elif mtype != 'kv' and options.get('version'):
            raise ErrResp('secrets engine %s does not allow setting a version' % go_quote(mtype))
        if mtype in ('database', 'pki'):
            return self._mount_engine(st, path, mtype, cfg, fd, req)
        if mtype not in ('kv', 'generic'):
            raise ErrResp('plugin not found in the catalog: %s' % mtype)
        if mtype == 'kv' and options.get('version', '1') not in ('1', '2', ''):
            raise ErrResp('invalid version %s' % options['version'])
        if path.startswith('auth/') or path in ('auth/', 'sys/', 'cubbyhole/', 'identity/', 'audit/'):
            raise ErrResp('cannot mount %s' % go_quote(path))
        self._conflict(st, path)
        m = Mount(path, mtype, 'mounts', None, options=options,
                  description=fd.get('description'), default_ttl=cfg['default_lease_ttl'],
                  max_ttl=cfg['max_lease_ttl'], local=fd.get('local'),
                  seal_wrap=fd.get('seal_wrap'), running_version=kv.RUNNING_VERSION, ns=req.ns)
        m.backend = kv.make_backend(self.core, m)
        st.mounts[path] = m
        return None

    def _mount_engine(self, st, path, mtype, cfg, fd, req):
        import dbengine
        import pki
        self._conflict(st, path)
        m = Mount(path, mtype, 'mounts', None, options=None,
                  description=fd.get('description'), default_ttl=cfg['default_lease_ttl'],
                  max_ttl=cfg['max_lease_ttl'], local=fd.get('local'),
                  seal_wrap=fd.get('seal_wrap'),
                  running_version='v' + self.core.opts.vault_version + '+builtin.vault', ns=req.ns)
        m.backend = (dbengine.DatabaseBackend if mtype == 'database' else pki.PKIBackend)(self.core, m)
        st.mounts[path] = m
        return None

    def mount_read(self, req, fd):
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        m = st.mounts.get(path)
        if m is None or m.table != 'mounts':
            raise ErrResp('No secret engine mount at %s' % path)
        return LResp(data=self._mount_info(m))

    def mount_disable(self, req, fd):
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        if path in ('sys/', 'cubbyhole/', 'identity/'):
            raise ErrResp('cannot unmount %s' % go_quote(path))
        m = st.mounts.get(path)
        if m is not None and m.table == 'mounts':
            del st.mounts[path]
        return None

    def auth_enable(self, req, fd):
        import k8sauth
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        cfg = self._parse_mount_config(fd)
        mtype = fd.get('type')
        if mtype == '':
            raise ErrResp('backend type must be specified as a string')
        if mtype == 'token':
            raise ErrResp('token credential backend cannot be instantiated')
        if mtype != 'kubernetes':
            raise ErrResp('plugin not found in the catalog: %s' % mtype)
        full = 'auth/' + path
        for mp, m in st.mounts.items():
            if m.table != 'auth':
                continue
            if mp.startswith(full) or full.startswith(mp):
                raise ErrResp('path is already in use at %s' % m.path, 400)
        m = Mount(path, mtype, 'auth', None, options={},
                  description=fd.get('description'), default_ttl=cfg['default_lease_ttl'],
                  max_ttl=cfg['max_lease_ttl'], local=fd.get('local'),
                  seal_wrap=fd.get('seal_wrap'), running_version=k8sauth.RUNNING_VERSION, ns=req.ns)
        m.backend = k8sauth.K8sBackend(self.core, m)
        st.mounts[full] = m
        return None

    def auth_read(self, req, fd):
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        m = st.mounts.get('auth/' + path)
        if m is None:
            raise ErrResp('No auth engine at %s' % path)
        return LResp(data=self._mount_info(m))

    def auth_disable(self, req, fd):
        st = self.core.ns_state(req.ns)
        path = _sanitize_mount_path(fd.get('path'))
        if path == 'token/':
            raise ErrResp('token credential backend cannot be disabled')
        m = st.mounts.pop('auth/' + path, None)
        if m is not None:
            for t in self.core.tokens.values():
                if t.mount == 'auth/' + path and t.ns == req.ns:
                    t.revoked = True
        return None

    def _tune(self, req, fd, full):
        st = self.core.ns_state(req.ns)
        m = st.mounts.get(full)
        if m is None:
            raise ErrResp('cannot fetch mount config for %s' % go_quote(full))
        if req.op == 'read':
            d, mx = self.core.sys_ttls(m)
            data = {'default_lease_ttl': d, 'max_lease_ttl': mx, 'force_no_cache': False,
                    'description': m.description}
            if m.options is not None:
                data['options'] = m.options
            return LResp(data=data)
        for key, attr in (('default_lease_ttl', 'default_ttl'), ('max_lease_ttl', 'max_ttl')):
            if key in fd.raw:
                raw = fd.get(key)
                if raw in ('', 'system'):
                    setattr(m, attr, 0)
                else:
                    try:
                        setattr(m, attr, fw.duration_seconds(raw))
                    except fw.FieldError as e:
                        raise ErrResp('unable to parse %s: %s' % (key, e))
        if 'description' in fd.raw:
            m.description = fd.get('description')
        return None

    def tune_read(self, req, fd):
        return self._tune(req, fd, _sanitize_mount_path(fd.get('path')))

    tune_write = tune_read

    def tune_read_auth(self, req, fd):
        return self._tune(req, fd, 'auth/' + _sanitize_mount_path(fd.get('path')))

    tune_write_auth = tune_read_auth

    # --- policies

    def _policy_names(self, st):
        names = sorted(n for n in st.policies)
        return names + ['root']

    def policy_list(self, req, fd):
        st = self.core.ns_state(req.ns)
        names = self._policy_names(st)
        return LResp(data={'keys': names, 'policies': names})

    def policy_list_acl(self, req, fd):
        st = self.core.ns_state(req.ns)
        return LResp(data={'keys': self._policy_names(st)})

    def _get_policy(self, req, fd):
        st = self.core.ns_state(req.ns)
        name = fd.get('name').strip().lower()
        if name == 'root':
            return name, ''
        p = st.policies.get(name)
        if p is None:
            return name, None
        return name, p.raw

    def policy_read(self, req, fd):
        name, raw = self._get_policy(req, fd)
        if raw is None:
            return None
        return LResp(data={'name': name, 'policy': raw})

    def policy_read_legacy(self, req, fd):
        name, raw = self._get_policy(req, fd)
        if raw is None:
            return None
        return LResp(data={'name': name, 'rules': raw})

    def policy_write(self, req, fd):
        import base64
        st = self.core.ns_state(req.ns)
        name = fd.get('name').strip().lower()
        text = fd.get('policy') if 'policy' in fd.raw else ''
        if text == '' and 'rules' in fd.schema:
            text = fd.get('rules')
        if text == '':
            raise ErrResp("'policy' parameter not supplied or empty")
        try:
            decoded = base64.b64decode(text, validate=True).decode('utf-8')
            text = decoded
        except (ValueError, UnicodeDecodeError):
            pass
        if name == 'root':
            raise ErrResp('cannot update "root" policy')
        try:
            p = pol.parse(name, text)
        except pol.PolicyError as e:
            raise ErrResp(str(e))
        st.policies[name] = p
        return None

    def policy_delete(self, req, fd):
        st = self.core.ns_state(req.ns)
        name = fd.get('name').strip().lower()
        if name in ('default', 'root'):
            raise ErrResp('cannot delete %s policy' % go_quote(name))
        st.policies.pop(name, None)
        return None

    # --- discovery

    def ui_mount(self, req, fd):
        """pathInternalUIMountRead (Vault order: mount lookup, then token)."""
        core = self.core
        path = fd.get('path')
        if path == '':
            raise ErrResp('path not set')
        path = _sanitize_mount_path(path)
        err = 'preflight capability check returned 403, please ensure client\'s policies grant access to path %s' \
              % go_quote(path)
        m = core.match_mount(req.ns, path)
        if m is None:
            raise ErrResp(err, 403)
        data = self._mount_info(m)
        data['path'] = m.path
        if not req.token:
            raise PlainErr('missing client token', 400)
        t = core.lookup_token(req.token)
        if t is None:
            raise Answer(403, core.invalid_token_errors())
        acl = core.token_acl(t)
        if not acl.has_mount_access(core._acl_path(req, t, m.full_path)):
            raise ErrResp(err, 403)
        return LResp(data=data)

    def capabilities_self(self, req, fd):
        paths = fd.get('paths') or fd.get('path')
        t = req.token_entry
        acl = self.core.token_acl(t)
        data = {}
        allcaps = set()
        for p in paths:
            caps = acl.capabilities_for(p)
            if acl.root:
                lst = ['root']
            elif caps is None or 'deny' in caps:
                lst = ['deny']
            else:
                lst = sorted(caps)
            data[p] = lst
            allcaps.update(lst)
        if len(paths) == 1:
            data['capabilities'] = data[paths[0]]
        return LResp(data=data)


# ==================================================================== token

class TokenBackend(BackendBase):
    def __init__(self, core):
        self.core = core
        self.paths = [
            Path(r'lookup-self', {'token': ('string',)}, {'read': self.lookup_self, 'update': self.lookup_self}),
            Path(r'lookup', {'token': ('string',)}, {'update': self.lookup, 'read': self.lookup}),
            Path(r'lookup-accessor', {'accessor': ('string',)}, {'update': self.lookup_accessor}),
            Path(r'renew-self', {'token': ('string',), 'increment': ('duration',)}, {'update': self.renew_self}),
            Path(r'renew', {'token': ('string',), 'increment': ('duration',)}, {'update': self.renew}),
            Path(r'revoke-self', {}, {'update': self.revoke_self}),
            Path(r'revoke', {'token': ('string',)}, {'update': self.revoke}),
            Path(r'revoke-accessor', {'accessor': ('string',)}, {'update': self.revoke_accessor}),
            Path(r'create', {
                'policies': ('commaslice',), 'ttl': ('string',), 'explicit_max_ttl': ('string',),
                'period': ('string',), 'num_uses': ('int',), 'no_default_policy': ('bool',),
                'renewable': ('bool', True), 'type': ('string',), 'display_name': ('string',),
                'meta': ('kvpairs',), 'no_parent': ('bool',),
            }, {'update': self.create}),
        ]

    def lookup_data(self, t):
        core = self.core
        d = {
            'id': t.id, 'accessor': t.accessor, 'policies': t.policies, 'path': t.path,
            'meta': t.meta, 'display_name': t.display_name, 'num_uses': t.num_uses,
            'orphan': t.orphan, 'creation_time': t.creation_time, 'creation_ttl': t.ttl,
            'expire_time': None, 'ttl': 0, 'explicit_max_ttl': t.explicit_max_ttl,
            'entity_id': t.entity_id, 'type': t.type,
        }
        if t.period:
            d['period'] = t.period
        if t.bound_cidrs:
            d['bound_cidrs'] = t.bound_cidrs
        if t.ns:
            d['namespace_path'] = t.ns + '/'
        if t.lease or t.type == 'batch':
            if t.last_renewal_ns is not None:
                d['last_renewal_time'] = t.last_renewal_ns // SEC
                d['last_renewal'] = RawTime(ns_to_rfc3339(t.last_renewal_ns))
            if t.expire_ns is not None:
                d['expire_time'] = RawTime(ns_to_rfc3339(t.expire_ns))
                now_r = (core.now_ns() + SEC // 2) // SEC * SEC
                d['ttl'] = int((t.expire_ns - now_r) / SEC)
            d['renewable'] = bool(t.renewable and t.expire_ns is not None and
                                  t.expire_ns >= core.now_ns())
            d['issue_time'] = RawTime(ns_to_rfc3339(t.issue_ns))
        return d

    def lookup_self(self, req, fd):
        t = req.token_entry
        return LResp(data=self.lookup_data(t))

    def lookup(self, req, fd):
        tid = fd.get('token') or req.token
        if not tid:
            raise ErrResp('missing token ID')
        t = self.core.lookup_token(tid)
        if t is None:
            raise ErrResp('bad token', 403)
        return LResp(data=self.lookup_data(t))

    def lookup_accessor(self, req, fd):
        acc = fd.get('accessor')
        tid = self.core.accessors.get(acc)
        t = self.core.lookup_token(tid) if tid else None
        if t is None:
            raise ErrResp('invalid accessor')
        d = self.lookup_data(t)
        d['id'] = ''
        return LResp(data=d)

    def _renew(self, req, t, increment):
        core = self.core
        if t.type == 'batch':
            raise ErrResp('batch tokens cannot be renewed')
        if not t.lease:
            raise ErrResp('invalid lease ID')
        if t.expire_ns is None:
            raise ErrResp('lease is not renewable')
        if t.expire_ns < core.now_ns():
            raise ErrResp('lease expired')
        if not t.renewable:
            raise ErrResp('lease is not renewable')
        mount = core.match_mount(t.ns, t.mount)
        backend = mount.backend if mount is not None else None
        if backend is None or not hasattr(backend, 'renew_auth'):
            raise PlainErr('failed to renew entry: no handler for route %s' % go_quote(t.mount), 500)
        ttl_, max_, period_ = backend.renew_auth(t)
        ttl, warnings = core.calculate_ttl(mount, increment, ttl_, period_, max_,
                                           t.explicit_max_ttl, t.issue_ns)
        now = core.now_ns()
        t.expire_ns = now + ttl * SEC
        t.last_renewal_ns = now
        r = LResp(auth=core.auth_struct(t, ttl), warnings=warnings)
        return r

    def renew_self(self, req, fd):
        return self._renew(req, req.token_entry, fd.get('increment'))

    def renew(self, req, fd):
        tid = fd.get('token')
        if not tid:
            raise ErrResp('missing token ID')
        t = self.core.lookup_token(tid)
        if t is None:
            raise ErrResp('token not found')
        return self._renew(req, t, fd.get('increment'))

    def revoke_self(self, req, fd):
        t = req.token_entry
        if t.type == 'batch':
            raise ErrResp('batch tokens cannot be revoked')
        self.core.revoke_token(t)
        return None

    def revoke(self, req, fd):
        tid = fd.get('token')
        if not tid:
            raise ErrResp('missing token ID')
        t = self.core.lookup_token(tid)
        if t is not None:
            self.core.revoke_token(t)
        return None

    def revoke_accessor(self, req, fd):
        acc = fd.get('accessor')
        tid = self.core.accessors.get(acc)
        t = self.core.lookup_token(tid) if tid else None
        if t is None:
            raise ErrResp('invalid accessor')
        self.core.revoke_token(t)
        return None

    def create(self, req, fd):
        core = self.core
        parent = req.token_entry
        policies = fd.get('policies') if 'policies' in fd.raw else list(parent.policies)
        if 'root' not in parent.policies:
            pset = set(sanitize_policies(parent.policies, False))
            for p in sanitize_policies(policies, False):
                if p != 'default' and p not in pset:
                    raise ErrResp('child policies must be subset of parent')
        no_default = fd.get('no_default_policy')
        pols = sanitize_policies(policies, not no_default)
        try:
            ttl = fw.duration_seconds(fd.get('ttl'))
            explicit = fw.duration_seconds(fd.get('explicit_max_ttl'))
            period = fw.duration_seconds(fd.get('period'))
        except fw.FieldError as e:
            raise ErrResp('error parsing TTLs: %s' % e)
        ttype = fd.get('type') or 'service'
        if ttype not in ('service', 'batch'):
            raise ErrResp('invalid \'type\' value %s' % go_quote(ttype))
        t = Token()
        t.type = ttype
        t.id = core.new_token_id(ttype, req.ns)
        t.accessor = '' if ttype == 'batch' else rand_str(24)
        t.path = 'auth/token/create'
        dn = fd.get('display_name')
        t.display_name = ('token-' + dn) if dn else 'token'
        meta = fd.get('meta')
        t.meta = meta or None
        t.auth_meta = meta or None
        t.num_uses = fd.get('num_uses')
        t.auth_num_uses = t.num_uses
        t.ns = req.ns
        t.orphan = bool(fd.get('no_parent'))
        if pols == ['root']:
            t.policies = ['root']
            t.auth_policies = ['root']
        else:
            t.policies = pols
            t.auth_policies = list(pols)
        mount = core.match_mount(req.ns, 'auth/token/')
        now = core.now_ns()
        t.creation_time = now // SEC
        t.issue_ns = now
        t.explicit_max_ttl = explicit
        t.period = period
        t.mount = 'auth/token/'
        warnings = []
        if t.policies == ['root'] and ttl == 0 and period == 0 and explicit == 0:
            t.ttl = 0
        else:
            t.ttl, warnings = core.calculate_ttl(mount, 0, ttl, period, 0, explicit)
        if ttype == 'service' and t.ttl:
            t.lease = True
            t.renewable = bool(fd.get('renewable'))
            t.expire_ns = now + t.ttl * SEC
        elif ttype == 'batch':
            t.expire_ns = now + t.ttl * SEC if t.ttl else None
        core.tokens[t.id] = t
        if t.accessor:
            core.accessors[t.accessor] = t.id
        return LResp(auth=core.auth_struct(t, t.ttl), warnings=warnings)

    def renew_auth(self, t):
        return t.ttl, 0, t.period


# ---------------------------------------------------------------- envelope

def envelope(core, req, resp):
    """logical.HTTPResponse for a LResp (struct order as Vault sends it)."""
    s = Struct(('request_id', req.id), ('lease_id', resp.lease_id),
               ('renewable', resp.renewable), ('lease_duration', resp.lease_duration),
               ('data', resp.data), ('wrap_info', None), ('warnings', resp.warnings),
               ('auth', resp.auth))
    if core.opts.mount_type_field != 'absent':
        s.add('mount_type', resp.mount_type or '')
    return s


def raw_envelope(core, req, resp):
    """The body RespondWithStatusCode marshals inside the plugin (no
    mount_type has been set yet)."""
    s = Struct(('request_id', req.id), ('lease_id', resp.lease_id),
               ('renewable', resp.renewable), ('lease_duration', resp.lease_duration),
               ('data', resp.data), ('wrap_info', None), ('warnings', resp.warnings),
               ('auth', resp.auth))
    if core.opts.mount_type_field != 'absent':
        s.add('mount_type', '')
    return s


__all__ = ['Core', 'Options', 'Answer', 'Request', 'Token', 'Mount', 'envelope',
           'raw_envelope', 'sanitize_policies', 'rand_str', 'go_uuid', 'SEC']
