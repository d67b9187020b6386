# SPDX-License-Identifier: MIT
"""Kubernetes auth method as hashicorp/vault-plugin-auth-kubernetes
implements it: config, roles (with the deprecated aliases policies / ttl /
max_ttl / period / num_uses / bound_cidrs), login and token renewal.

Login checks, in the plugin's order:
  missing role -> missing jwt -> role exists (lower-cased lookup) ->
  token_bound_cidrs -> configuration present (and the local CA / reviewer
  token of "Vault's pod" when disable_local_ca_jwt is false) ->
  JWT parse + signature (pem_keys) -> iss -> aud -> nbf/exp/iat ->
  claim decoding -> service account name glob -> namespace glob / selector
  -> alias name (UID) -> TokenReview -> UID.

TokenReview: with --tokenreview=http the simulator POSTs to
<kubernetes_host>/apis/authentication.k8s.io/v1/tokenreviews over HTTPS
(kubernetes_ca_cert, else the pod CA, else system roots; TLS >= 1.2) with
the plugin's bearer rules. With --tokenreview=oracle a built-in API-server
stand-in answers; either answer is checked by the same code, the way the
plugin checks a real API server's answer. Every TokenReview failure is a
plain 403 "permission denied" to the client; the reason is logged (never
the JWT).
"""

import hashlib
import http.client
import json
import os
import ssl
import threading
import urllib.parse

import jwtcheck
from core import BackendBase, SEC
from framework import ErrResp, PlainErr, LResp, Path, GENERIC_NAME
from gojson import go_quote, duration_string

RUNNING_VERSION = 'v0.23.0+builtin'
LOCAL_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
LOCAL_CA = LOCAL_DIR + '/ca.crt'
LOCAL_JWT = LOCAL_DIR + '/token'
ALIAS_SOURCES = ('serviceaccount_uid', 'serviceaccount_name')


def _log(core, msg):
    if core.log is not None:
        core.log(msg)


def glob(pattern, subj):
    """ryanuber/go-glob Glob (the quirks included)."""
    if pattern == '':
        return subj == pattern
    if pattern == '*':
        return True
    parts = pattern.split('*')
    if len(parts) == 1:
        return subj == pattern
    leading = pattern.startswith('*')
    trailing = pattern.endswith('*')
    end = len(parts) - 1
    for i in range(end):
        idx = subj.find(parts[i])
        if i == 0:
            if not leading and idx != 0:
                return False
        elif idx < 0:
            return False
        subj = subj[idx + len(parts[i]):]
    return trailing or subj.endswith(parts[end])


def list_contains_glob(lst, item):
    return any(glob(p, item) for p in lst)


class Role:
    def __init__(self):
        self.names = []
        self.namespaces = []
        self.selector = ''
        self.audience = ''
        self.alias_name_source = ''
        # tokenutil.TokenParams
        self.token_bound_cidrs = []
        self.token_explicit_max_ttl = 0
        self.token_max_ttl = 0
        self.token_no_default_policy = False
        self.token_num_uses = 0
        self.token_period = 0
        self.token_policies = []
        self.token_type = 'default'
        self.token_ttl = 0
        # deprecated
        self.policies = []
        self.num_uses = 0
        self.ttl = 0
        self.max_ttl = 0
        self.period = 0
        self.bound_cidrs = []

    def effective(self):
        """The role as backend.role() returns it (legacy values folded in)."""
        r = Role()
        r.__dict__.update(self.__dict__)
        if r.token_ttl == 0 and r.ttl > 0:
            r.token_ttl = r.ttl
        if r.token_max_ttl == 0 and r.max_ttl > 0:
            r.token_max_ttl = r.max_ttl
        if r.token_period == 0 and r.period > 0:
            r.token_period = r.period
        if r.token_num_uses == 0 and r.num_uses > 0:
            r.token_num_uses = r.num_uses
        if not r.token_policies and r.policies:
            r.token_policies = r.policies
        if not r.token_bound_cidrs and r.bound_cidrs:
            r.token_bound_cidrs = r.bound_cidrs
        return r


ROLE_FIELDS = {
    'name': ('string',),
    'bound_service_account_names': ('commaslice',),
    'bound_service_account_namespaces': ('commaslice',),
    'bound_service_account_namespace_selector': ('string',),
    'audience': ('string',),
    'alias_name_source': ('string', 'serviceaccount_uid'),
    'policies': ('commaslice',),
    'num_uses': ('int',),
    'ttl': ('duration',),
    'max_ttl': ('duration',),
    'period': ('duration',),
    'bound_cidrs': ('commaslice',),
    'token_bound_cidrs': ('commaslice',),
    'token_explicit_max_ttl': ('duration',),
    'token_max_ttl': ('duration',),
    'token_no_default_policy': ('bool',),
    'token_num_uses': ('int',),
    'token_period': ('duration',),
    'token_policies': ('commaslice',),
    'token_type': ('string', 'default-service'),
    'token_ttl': ('duration',),
}

CONFIG_FIELDS = {
    'kubernetes_host': ('string',),
    'kubernetes_ca_cert': ('string',),
    'token_reviewer_jwt': ('string',),
    'pem_keys': ('commaslice',),
    'issuer': ('string',),
    'disable_iss_validation': ('bool', True),
    'disable_local_ca_jwt': ('bool', False),
    'use_annotations_as_alias_metadata': ('bool', False),
}


def _sanitize(policies):
    from core import sanitize_policies
    return sanitize_policies(policies, False)


def _parse_cidrs(lst):
    import ipaddress
    out = []
    for c in lst:
        try:
            if '/' in c:
                ipaddress.ip_network(c, strict=False)
            else:
                ipaddress.ip_address(c)
        except ValueError:
            raise ErrResp('failed to parse address %s: invalid CIDR address' % go_quote(c))
        out.append(c)
    return out


def _pem_has_block(text):
    return '-----BEGIN ' in text and '-----END ' in text


class K8sBackend(BackendBase):
    unauthenticated = ('login',)

    def __init__(self, core, mount):
        self.core = core
        self.mount = mount
        self.config = None
        self.roles = {}
        self.lock = threading.RLock()
        self.paths = [
            Path(r'config', CONFIG_FIELDS, {'update': self.config_write, 'read': self.config_read}),
            Path(r'login', {'role': ('string',), 'jwt': ('string',)}, {'update': self.login}),
            Path(r'role/?', {}, {'list': self.role_list}),
            Path(r'role/(?P<name>' + GENERIC_NAME + ')', ROLE_FIELDS,
                 {'create': self.role_write, 'update': self.role_write, 'read': self.role_read,
                  'delete': self.role_delete}, existence=self.role_exists),
        ]

    # ------------------------------------------------------------ config

    def _local(self, name):
        d = self.core.opts.pod_sa_dir
        path = LOCAL_CA if name == 'ca.crt' else LOCAL_JWT
        if not d:
            raise OSError('open %s: no such file or directory' % path)
        try:
            with open(os.path.join(d, name), 'r', encoding='utf-8') as f:
                return f.read()
        except OSError:
            raise OSError('open %s: no such file or directory' % path)

    def config_write(self, req, fd):
        host = fd.get('kubernetes_host')
        if host == '':
            raise ErrResp('no host provided')
        cfg = {
            'host': host,
            'ca_cert': fd.get('kubernetes_ca_cert'),
            'token_reviewer_jwt': fd.get('token_reviewer_jwt'),
            'pem_keys': fd.get('pem_keys'),
            'issuer': fd.get('issuer'),
            'disable_iss_validation': fd.get('disable_iss_validation'),
            'disable_local_ca_jwt': fd.get('disable_local_ca_jwt'),
            'use_annotations_as_alias_metadata': fd.get('use_annotations_as_alias_metadata'),
        }
        if cfg['ca_cert'] and not _pem_has_block(cfg['ca_cert']):
            raise ErrResp('The provided CA PEM data contains no valid certificates')
        keys = []
        for pem in cfg['pem_keys']:
            try:
                keys.append(jwtcheck.load_public_key(pem))
            except ValueError as e:
                raise ErrResp(str(e))
        if not cfg['ca_cert'] and not cfg['disable_local_ca_jwt']:
            try:
                self._local('ca.crt')
            except OSError as e:
                raise ErrResp(str(e))
        cfg['keys'] = keys
        self.config = cfg
        return None

    def config_read(self, req, fd):
        c = self.config
        if c is None:
            return None
        return LResp(data={
            'kubernetes_host': c['host'], 'kubernetes_ca_cert': c['ca_cert'],
            'pem_keys': c['pem_keys'], 'issuer': c['issuer'],
            'disable_iss_validation': c['disable_iss_validation'],
            'disable_local_ca_jwt': c['disable_local_ca_jwt'],
            'token_reviewer_jwt_set': c['token_reviewer_jwt'] != '',
            'use_annotations_as_alias_metadata': c['use_annotations_as_alias_metadata'],
        })

    def load_config(self):
        """backend.loadConfig: the stored config plus the pod's files."""
        if self.config is None:
            return None
        c = dict(self.config)
        if c['disable_local_ca_jwt']:
            return c
        if c['token_reviewer_jwt'] == '':
            try:
                c['token_reviewer_jwt'] = self._local('token').strip()
            except OSError:
                c['token_reviewer_jwt'] = ''
        if c['ca_cert'] == '':
            try:
                c['ca_cert'] = self._local('ca.crt')
            except OSError as e:
                raise PlainErr(str(e), 500)
        return c

    # ------------------------------------------------------------ roles

    def role_exists(self, req, fd):
        return fd.get('name').lower() in self.roles

    def role_list(self, req, fd):
        if not self.roles:
            return None
        return LResp(data={'keys': sorted(self.roles)})

    def role_read(self, req, fd):
        name = fd.get('name')
        if name == '':
            raise ErrResp('missing name')
        r = self.roles.get(name.lower())
        if r is None:
            return None
        e = r.effective()
        d = {
            'bound_service_account_names': r.names,
            'bound_service_account_namespaces': r.namespaces,
            'bound_service_account_namespace_selector': r.selector,
            'token_bound_cidrs': r.token_bound_cidrs,
            'token_explicit_max_ttl': r.token_explicit_max_ttl,
            'token_max_ttl': e.token_max_ttl,
            'token_no_default_policy': r.token_no_default_policy,
            'token_period': e.token_period,
            'token_policies': e.token_policies,
            'token_type': r.token_type,
            'token_ttl': e.token_ttl,
            'token_num_uses': e.token_num_uses,
            'alias_name_source': r.alias_name_source,
        }
        if e.token_bound_cidrs:
            d['token_bound_cidrs'] = e.token_bound_cidrs
        if r.audience:
            d['audience'] = r.audience
        if r.policies:
            d['policies'] = d['token_policies']
        if r.bound_cidrs:
            d['bound_cidrs'] = d['token_bound_cidrs']
        if r.ttl > 0:
            d['ttl'] = r.ttl
        if r.max_ttl > 0:
            d['max_ttl'] = r.max_ttl
        if r.period > 0:
            d['period'] = r.period
        if r.num_uses > 0:
            d['num_uses'] = r.num_uses
        return LResp(data=d)

    def role_delete(self, req, fd):
        name = fd.get('name')
        if name == '':
            raise ErrResp('missing role name')
        self.roles.pop(name.lower(), None)
        return None

    def role_write(self, req, fd):
        name = fd.get('name')
        if name == '':
            raise ErrResp('missing role name')
        existing = self.roles.get(name.lower())
        if existing is None and req.op == 'create':
            role = Role()
        elif existing is None:
            raise PlainErr('role entry not found during update operation', 500)
        else:
            role = Role()
            role.__dict__.update(existing.__dict__)
        self._parse_token_fields(role, fd)
        self._upgrade(role, fd)
        _dflt, sys_max = self.core.sys_ttls(self.mount)
        e = role.effective()
        if role.token_period > sys_max:
            raise ErrResp("token period of '%s' is greater than the backend's maximum lease TTL of '%s'"
                          % (go_quote(duration_string(role.token_period * SEC)),
                             go_quote(duration_string(sys_max * SEC))))
        if role.token_max_ttl > 0 and role.token_ttl > role.token_max_ttl:
            raise ErrResp('token ttl should not be greater than token max ttl')
        resp = None
        if role.token_max_ttl > sys_max:
            resp = LResp()
            resp.warn("max_ttl is greater than the system or backend mount's maximum TTL value; "
                      "issued tokens' max TTL value will be truncated")
        if 'bound_service_account_names' in fd.raw:
            role.names = fd.get('bound_service_account_names')
        elif req.op == 'create':
            role.names = fd.get('bound_service_account_names')
        if not role.names:
            raise ErrResp('%s can not be empty' % go_quote('bound_service_account_names'))
        if len(role.names) > 1 and '*' in role.names:
            raise ErrResp('can not mix %s with values' % go_quote('*'))
        if 'bound_service_account_namespaces' in fd.raw:
            role.namespaces = fd.get('bound_service_account_namespaces')
        role.selector = fd.get('bound_service_account_namespace_selector')
        if not role.namespaces and role.selector == '':
            raise ErrResp('%s can not be empty if %s is not set'
                          % (go_quote('bound_service_account_namespaces'),
                             go_quote('bound_service_account_namespace_selector')))
        if role.selector:
            try:
                parse_selector(role.selector)
            except ValueError:
                raise ErrResp('invalid %s configured' % go_quote('bound_service_account_namespace_selector'))
        if len(role.namespaces) > 1 and '*' in role.namespaces:
            raise ErrResp('can not mix %s with values' % go_quote('*'))
        if 'audience' in fd.raw:
            role.audience = fd.get('audience')
        if role.audience.strip() == '':
            if resp is None:
                resp = LResp()
            resp.warn('Role %s does not have an audience configured. While audiences are not required, '
                      'consider specifying one if your use case would benefit from additional JWT '
                      'claim verification.' % name)
        if 'alias_name_source' in fd.raw:
            src = fd.get('alias_name_source')
            if role.alias_name_source == '' and src == '':
                role.alias_name_source = 'serviceaccount_uid'
            else:
                role.alias_name_source = src
        elif role.alias_name_source == '':
            role.alias_name_source = fd.get('alias_name_source')
        if role.alias_name_source not in ALIAS_SOURCES:
            raise ErrResp('invalid alias_name_source, must be one of: %s' % ', '.join(ALIAS_SOURCES))
        del e
        self.roles[name.lower()] = role
        return resp

    def _parse_token_fields(self, role, fd):
        """tokenutil.ParseTokenFields."""
        def bad(msg):
            raise ErrResp(msg)
        v, ok = fd.get_ok('token_bound_cidrs')
        if ok:
            role.token_bound_cidrs = _parse_cidrs(v)
        v, ok = fd.get_ok('token_explicit_max_ttl')
        if ok:
            role.token_explicit_max_ttl = v
        v, ok = fd.get_ok('token_max_ttl')
        if ok:
            role.token_max_ttl = v
        if role.token_max_ttl < 0:
            bad("'token_max_ttl' cannot be negative")
        v, ok = fd.get_ok('token_no_default_policy')
        if ok:
            role.token_no_default_policy = v
        v, ok = fd.get_ok('token_period')
        if ok:
            role.token_period = v
        v, ok = fd.get_ok('token_policies')
        if ok:
            role.token_policies = v
        v, ok = fd.get_ok('token_type')
        if ok:
            if v in ('', 'default'):
                role.token_type = 'default'
            elif v in ('service', 'batch'):
                role.token_type = v
            else:
                bad("invalid 'token_type' value %s" % go_quote(v))
        v, ok = fd.get_ok('token_num_uses')
        if ok:
            role.token_num_uses = v
        if role.token_num_uses < 0:
            bad("'token_num_uses' cannot be negative")
        if role.token_type == 'batch':
            if role.token_period != 0:
                bad("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
            if role.token_num_uses != 0:
                bad("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with "
                    "limited use count")
        v, ok = fd.get_ok('token_ttl')
        if ok:
            role.token_ttl = v
        if role.token_ttl < 0:
            bad("'token_ttl' cannot be negative")
        if role.token_ttl > 0 and role.token_max_ttl > 0 and role.token_ttl > role.token_max_ttl:
            bad("'token_ttl' cannot be greater than 'token_max_ttl'")

    def _upgrade(self, role, fd):
        """tokenutil.UpgradeValue for the deprecated parameters."""
        pairs = (('policies', 'token_policies', 'policies'),
                 ('bound_cidrs', 'token_bound_cidrs', 'cidrs'),
                 ('num_uses', 'token_num_uses', 'int'),
                 ('ttl', 'token_ttl', 'int'),
                 ('max_ttl', 'token_max_ttl', 'int'),
                 ('period', 'token_period', 'int'))
        for old, new, kind in pairs:
            new_given = new in fd.raw
            old_given = old in fd.raw
            if not new_given:
                if old_given:
                    v = fd.get(old)
                    if kind == 'policies':
                        v = _sanitize(v)
                    elif kind == 'cidrs':
                        v = _parse_cidrs(v)
                    setattr(role, old, v)
                    setattr(role, new, v)
            elif old_given:
                setattr(role, old, getattr(role, new))
            else:
                setattr(role, old, [] if kind in ('policies', 'cidrs') else 0)

    # ------------------------------------------------------------ login

    def _claim_error(self, msg):
        legacy = self.core.opts.legacy_login_status
        raise PlainErr(msg, 500 if legacy in ('claims', 'all') else 403)

    def _bound_error(self, msg):
        legacy = self.core.opts.legacy_login_status
        raise PlainErr(msg, 500 if legacy == 'all' else 403)

    def login(self, req, fd):
        core = self.core
        role_name = fd.get('role')
        if role_name == '':
            raise ErrResp('missing role')
        jwt = fd.get('jwt')
        if jwt == '':
            raise ErrResp('missing jwt')
        stored = self.roles.get(role_name.lower())
        if stored is None:
            raise ErrResp('invalid role name %s' % go_quote(role_name))
        role = stored.effective()
        if role.token_bound_cidrs:
            from core import _cidr_ok
            if not _cidr_ok(req.client_ip, role.token_bound_cidrs):
                raise PlainErr('permission denied', 403)
        config = self.load_config()
        if config is None:
            raise PlainErr('could not load backend configuration', 500)
        issuer = ''
        if not config['disable_iss_validation'] and config['issuer']:
            issuer = config['issuer']
        auds = [role.audience] if role.audience else []
        try:
            claims = jwtcheck.validate(jwt, config['keys'], core.now(), issuer, auds)
        except jwtcheck.ClaimError as e:
            msg = str(e)
            if 'verifying token signature' in msg:
                _log(core, 'login unauthorized: %s' % msg)
                raise PlainErr('permission denied', 403)
            self._claim_error(msg)
        try:
            sa = jwtcheck.service_account(claims)
        except jwtcheck.DecodeError as e:
            raise PlainErr(str(e), 500)
        if len(role.names) > 1 or role.names[0] != '*':
            if not list_contains_glob(role.names, sa.name()):
                self._bound_error('service account name not authorized')
        allowed = False
        sel_err = None
        if role.namespaces:
            if role.namespaces[0] == '*' or list_contains_glob(role.namespaces, sa.namespace()):
                allowed = True
        if not allowed and role.selector:
            try:
                allowed = self._namespace_selector_matches(config, jwt, sa.namespace(), role.selector)
            except ValueError as e:
                sel_err = str(e)
                allowed = False
        if not allowed:
            msg = 'namespace not authorized'
            if sel_err:
                msg = '%s err=%s' % (msg, sel_err)
            self._bound_error(msg)
        if role.alias_name_source in ('serviceaccount_uid', ''):
            try:
                alias = sa.uid()
            except ValueError as e:
                raise PlainErr(str(e), 500)
        elif role.alias_name_source == 'serviceaccount_name':
            if sa.namespace() == '' or sa.name() == '':
                raise PlainErr('service account namespace and name must be set', 500)
            alias = '%s/%s' % (sa.namespace(), sa.name())
        else:
            raise PlainErr('unknown alias_name_source %s' % go_quote(role.alias_name_source), 500)
        want = [role.audience] if role.audience else list(sa.audience)
        try:
            name, ns, uid = self._review(config, jwt, want)
            if sa.name() != name:
                raise ReviewError('JWT names did not match')
            if sa.uid() != uid:
                raise ReviewError('JWT UIDs did not match')
            if sa.namespace() != ns:
                raise ReviewError('JWT namepaces did not match')
        except ReviewError as e:
            _log(core, 'login unauthorized: %s' % e)
            raise PlainErr('permission denied', 403)
        except ValueError as e:
            _log(core, 'login unauthorized: %s' % e)
            raise PlainErr('permission denied', 403)
        try:
            uid = sa.uid()
        except ValueError as e:
            raise PlainErr(str(e), 500)
        meta = {'service_account_uid': uid, 'service_account_name': sa.name(),
                'service_account_namespace': sa.namespace(),
                'service_account_secret_name': sa.secret_name, 'role': role_name}
        auth = {
            'policies': list(role.token_policies), 'metadata': meta,
            'display_name': '%s-%s' % (sa.namespace(), sa.name()),
            'ttl': role.token_ttl, 'max_ttl': role.token_max_ttl, 'period': role.token_period,
            'explicit_max_ttl': role.token_explicit_max_ttl, 'num_uses': role.token_num_uses,
            'token_type': role.token_type, 'no_default_policy': role.token_no_default_policy,
            'bound_cidrs': role.token_bound_cidrs, 'alias': alias, 'role': role_name,
        }
        return LResp(auth=auth)

    def renew_auth(self, t):
        """pathLoginRenew: re-read the role; it must still exist."""
        r = self.roles.get(t.role.lower())
        if r is None:
            raise PlainErr('failed to renew entry: role %s does not exist during renewal' % t.role, 500)
        e = r.effective()
        return e.token_ttl, e.token_max_ttl, e.token_period

    # ------------------------------------------------------- TokenReview

    def _bearer(self, config, jwt):
        if config['token_reviewer_jwt']:
            return config['token_reviewer_jwt']
        return jwt

    def _review(self, config, jwt, want_aud):
        """tokenReviewAPI.Review: send, parse, check. Returns (name, ns, uid)."""
        bearer = self._bearer(config, jwt).strip()
        body = {'metadata': {'creationTimestamp': None},
                'spec': {'token': jwt}, 'status': {'user': {}}}
        if want_aud:
            body['spec']['audiences'] = list(want_aud)
        if self.core.opts.tokenreview == 'oracle':
            status, raw = self.core.k8s_oracle.review(jwt, want_aud, bearer)
        else:
            # Do not hold the simulator lock across a network round trip.
            self.core.lock.release()
            try:
                status, raw = http_post(config, '/apis/authentication.k8s.io/v1/tokenreviews',
                                        json.dumps(body).encode('utf-8'), bearer)
            finally:
                self.core.lock.acquire()
        return check_review(status, raw, want_aud)

    def _namespace_selector_matches(self, config, jwt, ns, selector):
        sel = parse_selector(selector)
        bearer = self._bearer(config, jwt).strip()
        if self.core.opts.tokenreview == 'oracle':
            labels = self.core.k8s_oracle.namespace_labels(ns, bearer)
        else:
            status, raw = http_get(config, '/api/v1/namespaces/' + urllib.parse.quote(ns), bearer)
            if status != 200:
                raise ValueError('failed to get namespace (code %d)' % status)
            try:
                labels = (json.loads(raw).get('metadata') or {}).get('labels') or {}
            except ValueError as e:
                raise ValueError(str(e))
        return selector_matches(sel, labels)


class ReviewError(Exception):
    pass


def check_review(status, raw, want_aud):
    """parseResponse + the checks in tokenReviewAPI.Review."""
    text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else raw
    if status < 200 or status > 206:
        if status == 401:
            raise ReviewError('lookup failed: service account unauthorized; this could mean it has '
                              'been deleted or recreated with a new token')
        # (the answer body is not quoted: it is logged, and could echo the token)
        raise ReviewError('the server responded with the status code %d' % status)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ReviewError(str(e))
    if not isinstance(doc, dict):
        raise ReviewError('json: cannot unmarshal into TokenReview')
    st = doc.get('status')
    if isinstance(st, str) or st is None:
        # unmarshals as a metav1.Status whose status is not Success
        if st != 'Success':
            raise ReviewError('lookup failed: %s' % (doc.get('message') or 'unknown error'))
    if not isinstance(st, dict):
        raise ReviewError('invalid TokenReview status')
    if st.get('error'):
        raise ReviewError('lookup failed: %s' % st['error'])
    if not st.get('authenticated'):
        raise ReviewError('lookup failed: service account jwt not valid')
    got = st.get('audiences') or []
    if want_aud and not any(a in got for a in want_aud):
        raise ReviewError('lookup failed: service account jwt valid for audience(s) %s, but wanted %s'
                          % ('[' + ' '.join(got) + ']', '[' + ' '.join(want_aud) + ']'))
    user = st.get('user') or {}
    parts = (user.get('username') or '').split(':')
    if len(parts) != 4:
        raise ReviewError('lookup failed: unexpected username format')
    if parts[0] != 'system' or parts[1] != 'serviceaccount':
        raise ReviewError('lookup failed: username returned is not a service account')
    return parts[3], parts[2], user.get('uid') or ''


# ----------------------------------------------------------- HTTPS client

def _ssl_context(ca_pem):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_pem:
        ctx.load_verify_locations(cadata=ca_pem)
    return ctx


def _request(config, method, path, body, bearer):
    host = config['host'].rstrip('/')
    u = urllib.parse.urlsplit(host)
    if u.scheme not in ('http', 'https') or not u.hostname:
        raise ReviewError('unsupported protocol scheme %s' % go_quote(u.scheme))
    port = u.port or (443 if u.scheme == 'https' else 80)
    if u.scheme == 'https':
        conn = http.client.HTTPSConnection(u.hostname, port, timeout=30,
                                           context=_ssl_context(config['ca_cert']))
    else:
        conn = http.client.HTTPConnection(u.hostname, port, timeout=30)
    headers = {'Authorization': ('Bearer ' + bearer).strip(), 'Accept': 'application/json'}
    if body is not None:
        headers['Content-Type'] = 'application/json'
    try:
        conn.request(method, (u.path or '') + path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        raise ReviewError('%s %s%s: %s' % (method.capitalize(), host, path, e))
    finally:
        conn.close()


def http_post(config, path, body, bearer):
    return _request(config, 'POST', path, body, bearer)


def http_get(config, path, bearer):
    return _request(config, 'GET', path, None, bearer)


# ------------------------------------------------------------ selectors

def parse_selector(text):
    """metav1.LabelSelector from JSON or YAML (makeNsLabelSelector)."""
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            import yaml
            doc = yaml.safe_load(text)
        except Exception as e:  # noqa: BLE001 - any YAML error is invalid input
            raise ValueError(str(e))
    if not isinstance(doc, dict):
        raise ValueError('selector must be an object')
    for k in doc:
        if k not in ('matchLabels', 'matchExpressions'):
            raise ValueError('unknown field %s' % k)
    ml = doc.get('matchLabels') or {}
    if not isinstance(ml, dict):
        raise ValueError('matchLabels must be a map')
    exprs = doc.get('matchExpressions') or []
    if not isinstance(exprs, list):
        raise ValueError('matchExpressions must be a list')
    for e in exprs:
        if not isinstance(e, dict) or e.get('operator') not in ('In', 'NotIn', 'Exists', 'DoesNotExist'):
            raise ValueError('invalid match expression')
        if e['operator'] in ('In', 'NotIn') and not e.get('values'):
            raise ValueError('values must be non-empty for In/NotIn')
    return {'matchLabels': {str(k): str(v) for k, v in ml.items()}, 'matchExpressions': exprs}


def selector_matches(sel, labels):
    for k, v in sel['matchLabels'].items():
        if labels.get(k) != v:
            return False
    for e in sel['matchExpressions']:
        key, op, vals = e.get('key'), e['operator'], e.get('values') or []
        if op == 'In' and labels.get(key) not in vals:
            return False
        if op == 'NotIn' and key in labels and labels[key] in vals:
            return False
        if op == 'Exists' and key not in labels:
            return False
        if op == 'DoesNotExist' and key in labels:
            return False
    return True


# ------------------------------------------------------------- oracle

class Oracle:
    """A stand-in for the API server's TokenReview endpoint (and namespace
    GET for label selectors). Authenticates service-account JWTs the way
    kube-apiserver does: signature by a trusted service-account key, issuer,
    exp/nbf/iat with 60 s leeway, audiences, and the service account / pod
    still existing. The bearer must itself authenticate (401 otherwise) and,
    if a reviewer allow-list is set, be on it (403 otherwise)."""

    def __init__(self, core):
        self.core = core
        self.lock = threading.Lock()
        self.keys = []               # (pem, key)
        self.issuer = core.opts.k8s_issuer
        self.api_audiences = core.opts.k8s_api_audiences or [self.issuer]
        self.deleted_sas = set()     # (ns, name)
        self.deleted_pods = set()    # pod uid
        self.reviewers = None        # None = any authenticated identity
        self.fail = None             # dict(mode=..., count=N or -1, ...)
        self.namespaces = {}         # ns -> labels
        self.reviews = []            # log: token hash, bearer hash, audiences, result

    def add_key(self, pem):
        key = jwtcheck.load_public_key(pem)
        self.keys.append((pem, key))

    def _authenticate(self, token, audiences):
        """Returns (user dict, audiences) or raises ValueError(reason)."""
        try:
            jws = jwtcheck.parse_jws(token)
        except jwtcheck.JWTError:
            raise ValueError('invalid bearer token, token lookup failed')
        if not self.keys:
            raise ValueError('invalid bearer token, no service account signing keys are trusted')
        try:
            claims = jwtcheck.verify(token, [k for _p, k in self.keys])
        except jwtcheck.JWTError:
            raise ValueError('invalid bearer token, square/go-jose: error in cryptographic primitive')
        del jws
        now = self.core.now()
        iss = claims.get('iss')
        legacy = iss == 'kubernetes/serviceaccount'
        if not legacy and iss != self.issuer:
            raise ValueError('invalid bearer token, token issuer %s is not trusted' % go_quote(str(iss)))
        for name, cmp_ in (('nbf', lambda v: now + 60 < v), ('exp', lambda v: now - 60 > v),
                           ('iat', lambda v: now + 60 < v)):
            v = claims.get(name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and cmp_(v):
                reason = {'nbf': 'service account token is not valid yet',
                          'exp': 'service account token has expired',
                          'iat': 'service account token issued in the future'}[name]
                raise ValueError('[invalid bearer token, %s]' % reason)
        if legacy:
            ns = claims.get('kubernetes.io/serviceaccount/namespace', '')
            name = claims.get('kubernetes.io/serviceaccount/service-account.name', '')
            uid = claims.get('kubernetes.io/serviceaccount/service-account.uid', '')
            tok_aud = list(self.api_audiences)
            pod = None
        else:
            k = claims.get('kubernetes.io') or {}
            ns = k.get('namespace', '')
            sa = k.get('serviceaccount') or {}
            name, uid = sa.get('name', ''), sa.get('uid', '')
            pod = k.get('pod')
            aud = claims.get('aud')
            tok_aud = [aud] if isinstance(aud, str) else list(aud or [])
        want = audiences or self.api_audiences
        inter = [a for a in want if a in tok_aud]
        if not inter:
            raise ValueError('[invalid bearer token, token audiences %s is invalid for the target audiences %s]'
                             % (_golist(tok_aud), _golist(want)))
        if not ns or not name:
            raise ValueError('invalid bearer token, not a service account token')
        if (ns, name) in self.deleted_sas:
            raise ValueError('[invalid bearer token, service account %s/%s has been deleted]' % (ns, name))
        if pod and pod.get('uid') in self.deleted_pods:
            raise ValueError('[invalid bearer token, pod %s/%s has been deleted]' % (ns, pod.get('name')))
        user = {'username': 'system:serviceaccount:%s:%s' % (ns, name), 'uid': uid,
                'groups': ['system:serviceaccounts', 'system:serviceaccounts:' + ns,
                           'system:authenticated']}
        if pod:
            user['extra'] = {'authentication.kubernetes.io/pod-name': [pod.get('name', '')],
                             'authentication.kubernetes.io/pod-uid': [pod.get('uid', '')]}
        return user, inter

    def _status(self, code, reason, message):
        return code, json.dumps({'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                                 'status': 'Failure', 'message': message, 'reason': reason,
                                 'code': code}).encode('utf-8')

    def _consume_fail(self):
        with self.lock:
            f = self.fail
            if f is None:
                return None
            if f.get('count', -1) > 0:
                f['count'] -= 1
                if f['count'] == 0:
                    self.fail = None
            return f

    def review(self, token, audiences, bearer):
        record = {'token_sha': jwtcheck.token_fingerprint(token),
                  'bearer_sha': jwtcheck.token_fingerprint(bearer) if bearer else '',
                  'audiences': list(audiences), 'time': self.core.now()}
        try:
            f = self._consume_fail()
            if f is not None:
                mode = f.get('mode', 'unauthenticated')
                record['result'] = 'injected:' + mode
                if mode == 'status':
                    code = int(f.get('status', 500))
                    return self._status(code, 'InternalError', f.get('message', 'injected failure'))
                if mode == 'error':
                    return 201, self._review_body(token, audiences, {
                        'authenticated': False, 'user': {}, 'error': f.get('message', 'injected error')})
                if mode == 'garbage':
                    return 201, b'<html>not json</html>'
                if mode == 'wrong-user':
                    return 201, self._review_body(token, audiences, {
                        'authenticated': True, 'audiences': list(audiences),
                        'user': {'username': 'system:serviceaccount:other:other', 'uid': 'x'}})
                return 201, self._review_body(token, audiences, {'authenticated': False, 'user': {}})
            try:
                buser, _aud = self._authenticate(bearer, self.api_audiences)
            except ValueError:
                record['result'] = 'bearer-unauthorized'
                return self._status(401, 'Unauthorized', 'Unauthorized')
            if self.reviewers is not None and buser['username'] not in self.reviewers:
                record['result'] = 'bearer-forbidden'
                return self._status(403, 'Forbidden',
                                    'tokenreviews.authentication.k8s.io is forbidden: User "%s" cannot '
                                    'create resource "tokenreviews" in API group "authentication.k8s.io" '
                                    'at the cluster scope' % buser['username'])
            try:
                user, inter = self._authenticate(token, audiences)
            except ValueError as e:
                record['result'] = 'unauthenticated'
                return 201, self._review_body(token, audiences, {'authenticated': False, 'user': {},
                                                                 'error': str(e)})
            record['result'] = 'authenticated'
            return 201, self._review_body(token, audiences, {'authenticated': True, 'user': user,
                                                             'audiences': inter})
        finally:
            with self.lock:
                self.reviews.append(record)
                del self.reviews[:-1000]

    def _review_body(self, token, audiences, status):
        spec = {'token': token}
        if audiences:
            spec['audiences'] = list(audiences)
        return json.dumps({'kind': 'TokenReview', 'apiVersion': 'authentication.k8s.io/v1',
                           'metadata': {'creationTimestamp': None}, 'spec': spec,
                           'status': status}).encode('utf-8')

    def namespace_labels(self, ns, bearer):
        try:
            self._authenticate(bearer, self.api_audiences)
        except ValueError:
            raise ValueError('Unauthorized')
        if ns not in self.namespaces:
            raise ValueError('namespaces "%s" not found' % ns)
        return self.namespaces[ns]


def _golist(lst):
    return '[' + ' '.join(lst) + ']'


def fingerprint(s):
    return hashlib.sha256(s.encode()).hexdigest()[:16]
