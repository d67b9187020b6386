# SPDX-License-Identifier: MIT
"""The database secrets engine (builtin/logical/database) with its
PostgreSQL plugin, against a REAL PostgreSQL server: every statement Vault
would run is run with `psql` over TCP as the configured user.

Paths (relative to the mount, e.g. database/):
  config/<name>          connection_url with {{username}}/{{password}},
                         username, password, allowed_roles, plugin_name
                         (postgresql-database-plugin), verify_connection
  roles/<name>           db_name, default_ttl, max_ttl, creation_statements
                         (required), revocation_statements, renew_statements,
                         rollback_statements; {{name}}, {{username}},
                         {{password}}, {{expiration}} in the statements
  creds/<role>           runs the creation statements in one transaction
                         with a new user name and password and answers a
                         renewable lease of default_ttl (capped at max_ttl)
  static-roles/<name>    db_name, username, rotation_period (>= 5s),
                         rotation_statements; the password is rotated at
                         creation and every rotation_period
  static-creds/<name>    username, password, last_vault_rotation,
                         rotation_period, ttl (seconds to the next rotation);
                         no lease
  rotate-role/<name>     rotates a static role now

Lease renewal runs the renew statements (default: ALTER ROLE ... VALID
UNTIL) with the new expiry + 5 s, as the plugin does; expiry and revocation
run the revocation statements (default: revoke the public-schema grants,
REVOKE CONNECT on the connection's database, then DROP ROLE). User names follow the plugin's default template,
v-<display name:8>-<role:8>-<20 random>-<unix time>, at most 63 bytes.
Passwords: 20 characters of [A-Za-z0-9-] with at least one of each class.
Never logs a password.
"""

import os
import secrets
import subprocess
import time
from urllib.parse import urlsplit, unquote, parse_qsl

import framework as fw
from core import BackendBase, SEC
from framework import ErrResp, PlainErr, LResp, Path
from gojson import RawTime, ns_to_rfc3339

PLUGIN = 'postgresql-database-plugin'
DEFAULT_RENEW = 'ALTER ROLE "{{name}}" VALID UNTIL \'{{expiration}}\';'
DEFAULT_REVOKE = ('REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}"; '
                  'REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM "{{name}}"; '
                  'REVOKE USAGE ON SCHEMA public FROM "{{name}}"; '
                  'REVOKE CONNECT ON DATABASE "{{database}}" FROM "{{name}}"; '
                  'DROP ROLE IF EXISTS "{{name}}";')
DEFAULT_ROTATE = 'ALTER ROLE "{{name}}" WITH PASSWORD \'{{password}}\';'
MIN_ROTATION_PERIOD = 5
PSQL_TIMEOUT_S = 20

_LOWER = 'abcdefghijklmnopqrstuvwxyz'
_UPPER = _LOWER.upper()
_DIGIT = '0123456789'
_CHARSET = _LOWER + _UPPER + _DIGIT + '-'


def gen_password():
    while True:
        p = ''.join(secrets.choice(_CHARSET) for _ in range(20))
        if (any(c in _LOWER for c in p) and any(c in _UPPER for c in p) and
                any(c in _DIGIT for c in p) and '-' in p):
            return p


def gen_username(display_name, role):
    u = 'v-%s-%s-%s-%d' % (display_name[:8], role[:8],
                           ''.join(secrets.choice(_LOWER + _UPPER + _DIGIT) for _ in range(20)),
                           int(time.time()))
    return u[:63]


def pg_expiration(ns):
    """The plugin's expiration format: 2006-01-02 15:04:05-0700 (UTC)."""
    return time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(ns // SEC)) + '+0000'


def _statements(v):
    """A TypeStringSlice of statements: a JSON list, or one string."""
    if v is None:
        return []
    if isinstance(v, str):
        return [v] if v.strip() else []
    return [str(x) for x in v if str(x).strip()]


def render(stmts, name='', password='', expiration=''):
    out = []
    for s in stmts:
        for k, v in (('{{name}}', name), ('{{username}}', name), ('{{password}}', password),
                     ('{{expiration}}', expiration)):
            s = s.replace(k, v)
        out.append(s)
    return '\n'.join(x if x.rstrip().endswith(';') else x + ';' for x in out)


class PgConn:
    """connection_url + root credentials; runs SQL with psql."""

    def __init__(self, url, username, password):
        self.url = url
        self.username = username
        self.password = password

    def _params(self):
        url = self.url.replace('{{username}}', self.username).replace('{{password}}', '')
        u = urlsplit(url)
        if u.scheme not in ('postgres', 'postgresql'):
            raise ErrResp('error creating database object: invalid connection_url scheme %r' % u.scheme)
        user = unquote(u.username or '') or self.username
        password = unquote(u.password or '') or self.password
        q = dict(parse_qsl(u.query))
        return {'host': u.hostname or '127.0.0.1', 'port': str(u.port or 5432),
                'user': user, 'password': password,
                'dbname': unquote(u.path.lstrip('/')) or 'postgres',
                'sslmode': q.get('sslmode', 'prefer')}

    def database(self):
        return self._params()['dbname']

    def run(self, sql):
        """Runs sql in one transaction; raises PlainErr with psql's message."""
        p = self._params()
        env = dict(os.environ, PGPASSWORD=p['password'], PGSSLMODE=p['sslmode'], PGCONNECT_TIMEOUT='5')
        try:
            r = subprocess.run(['psql', '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-h', p['host'],
                                '-p', p['port'], '-U', p['user'], '-d', p['dbname'], '-f', '-'],
                               input=sql, env=env, capture_output=True, text=True,
                               timeout=PSQL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PlainErr('error running statements: %s' % type(e).__name__, 500)
        if r.returncode != 0:
            msg = (r.stderr or r.stdout).strip().splitlines()
            raise PlainErr('error running statements: %s' % (msg[-1] if msg else 'psql failed'), 500)


class DatabaseBackend(BackendBase):
    def __init__(self, core, mount):
        self.core = core
        self.mount = mount
        self.configs = {}
        self.roles = {}
        self.static = {}
        name = {'name': ('string',)}
        self.paths = [
            Path(r'config/?', {}, {'list': self.config_list}),
            Path(r'config/(?P<name>\w(([\w\-.]+)?\w)?)', dict(name, **{
                'plugin_name': ('string',), 'connection_url': ('string',), 'username': ('string',),
                'password': ('string',), 'allowed_roles': ('commaslice',),
                'verify_connection': ('bool', True), 'password_policy': ('string',),
                'root_rotation_statements': ('commaslice',), 'plugin_version': ('string',),
                'max_open_connections': ('int',), 'max_idle_connections': ('int',),
                'max_connection_lifetime': ('string',), 'username_template': ('string',),
            }), {'read': self.config_read, 'create': self.config_write, 'update': self.config_write,
                 'delete': self.config_delete}, existence=self.config_exists, arbitrary=True),
            Path(r'roles/?', {}, {'list': self.role_list}),
            Path(r'roles/(?P<name>\w(([\w\-.]+)?\w)?)', dict(name, **{
                'db_name': ('string',), 'default_ttl': ('duration',), 'max_ttl': ('duration',),
                'creation_statements': ('raw',), 'revocation_statements': ('raw',),
                'rollback_statements': ('raw',), 'renew_statements': ('raw',),
                'credential_type': ('string',),
            }), {'read': self.role_read, 'create': self.role_write, 'update': self.role_write,
                 'delete': self.role_delete}, existence=self.role_exists),
            Path(r'creds/(?P<name>\w(([\w\-.]+)?\w)?)', name, {'read': self.creds}),
            Path(r'static-roles/?', {}, {'list': self.static_list}),
            Path(r'static-roles/(?P<name>\w(([\w\-.]+)?\w)?)', dict(name, **{
                'db_name': ('string',), 'username': ('string',), 'rotation_period': ('duration',),
                'rotation_statements': ('raw',), 'credential_type': ('string',),
            }), {'read': self.static_read, 'create': self.static_write, 'update': self.static_write,
                 'delete': self.static_delete}, existence=self.static_exists),
            Path(r'static-creds/(?P<name>\w(([\w\-.]+)?\w)?)', name, {'read': self.static_creds}),
            Path(r'rotate-role/(?P<name>\w(([\w\-.]+)?\w)?)', name, {'update': self.rotate_role}),
        ]
        core.tick_hooks.append(self._tick)
        core.leases.start()

    # ------------------------------------------------------------ config

    def config_exists(self, req, fd):
        return fd.get('name') in self.configs

    def config_list(self, req, fd):
        return LResp(data={'keys': sorted(self.configs)}) if self.configs else None

    def config_write(self, req, fd):
        name = fd.get('name')
        old = self.configs.get(name, {})
        plugin = fd.get('plugin_name') if 'plugin_name' in fd.raw else old.get('plugin_name', '')
        if plugin == '':
            raise ErrResp('plugin_name must be specified on create' if not old else 'plugin_name cannot be empty')
        if plugin != PLUGIN:
            raise ErrResp('error creating database object: invalid database version: '
                          'the simulator has only %s' % PLUGIN)
        cfg = dict(old)
        cfg['plugin_name'] = plugin
        for k in ('connection_url', 'username', 'password', 'password_policy', 'username_template'):
            if k in fd.raw:
                cfg[k] = fd.get(k)
        cfg['allowed_roles'] = fd.get('allowed_roles') if 'allowed_roles' in fd.raw else old.get('allowed_roles', [])
        cfg['verify_connection'] = fd.get('verify_connection')
        cfg['root_rotation_statements'] = fd.get('root_rotation_statements') \
            if 'root_rotation_statements' in fd.raw else old.get('root_rotation_statements', [])
        if not cfg.get('connection_url'):
            raise ErrResp('error creating database object: connection_url cannot be empty')
        conn = PgConn(cfg['connection_url'], cfg.get('username', ''), cfg.get('password', ''))
        if cfg['verify_connection']:
            try:
                conn.run('SELECT 1;')
            except PlainErr as e:
                raise ErrResp('error creating database object: error verifying connection: %s' % e.msg)
        cfg['conn'] = conn
        self.configs[name] = cfg
        warnings = []
        u = urlsplit(cfg['connection_url'].replace('{{username}}', 'u').replace('{{password}}', ''))
        if u.password:
            warnings.append('Password found in connection_url, use a templated url to enable root '
                            'rotation and prevent read access to password information.')
        return LResp(warnings=warnings) if warnings else None

    def config_read(self, req, fd):
        cfg = self.configs.get(fd.get('name'))
        if cfg is None:
            return None
        details = {'connection_url': cfg['connection_url'], 'username': cfg.get('username', '')}
        return LResp(data={
            'allowed_roles': cfg['allowed_roles'], 'connection_details': details,
            'password_policy': cfg.get('password_policy', ''), 'plugin_name': cfg['plugin_name'],
            'plugin_version': '', 'root_credentials_rotate_statements': cfg['root_rotation_statements'],
            'verify_connection': cfg['verify_connection'],
        })

    def config_delete(self, req, fd):
        self.configs.pop(fd.get('name'), None)
        return None

    def _conn_for(self, db_name, role):
        cfg = self.configs.get(db_name)
        if cfg is None:
            raise PlainErr('failed to retrieve connection: no database configuration %s' % db_name, 500)
        allowed = cfg['allowed_roles']
        if '*' not in allowed and role not in allowed:
            raise ErrResp('%s is not an allowed role' % '"%s"' % role)
        return cfg['conn']

    # ------------------------------------------------------------ roles

    def role_exists(self, req, fd):
        return fd.get('name') in self.roles

    def role_list(self, req, fd):
        return LResp(data={'keys': sorted(self.roles)}) if self.roles else None

    def role_write(self, req, fd):
        name = fd.get('name')
        old = self.roles.get(name)
        role = dict(old) if old else {'default_ttl': 0, 'max_ttl': 0, 'creation_statements': [],
                                      'revocation_statements': [], 'rollback_statements': [],
                                      'renew_statements': [], 'db_name': ''}
        if 'db_name' in fd.raw:
            role['db_name'] = fd.get('db_name')
        if not role['db_name']:
            raise ErrResp('database name is required')
        for k in ('creation_statements', 'revocation_statements', 'rollback_statements', 'renew_statements'):
            if k in fd.raw:
                role[k] = _statements(fd.raw[k])
        for k in ('default_ttl', 'max_ttl'):
            if k in fd.raw:
                role[k] = fd.get(k)
        if role['max_ttl'] and role['default_ttl'] > role['max_ttl']:
            raise ErrResp('ttl cannot be greater than max_ttl')
        if not role['creation_statements']:
            raise ErrResp('creation statements are required')
        self.roles[name] = role
        return None

    def role_read(self, req, fd):
        role = self.roles.get(fd.get('name'))
        if role is None:
            return None
        return LResp(data={
            'creation_statements': role['creation_statements'], 'credential_type': 'password',
            'db_name': role['db_name'], 'default_ttl': role['default_ttl'], 'max_ttl': role['max_ttl'],
            'renew_statements': role['renew_statements'],
            'revocation_statements': role['revocation_statements'],
            'rollback_statements': role['rollback_statements'],
        })

    def role_delete(self, req, fd):
        self.roles.pop(fd.get('name'), None)
        return None

    # ------------------------------------------------------------ creds

    def creds(self, req, fd):
        name = fd.get('name')
        role = self.roles.get(name)
        if role is None:
            raise ErrResp('unknown role: %s' % name)
        conn = self._conn_for(role['db_name'], name)
        core = self.core
        sys_default, sys_max = core.sys_ttls(self.mount)
        ttl = role['default_ttl'] or sys_default
        max_ttl = role['max_ttl'] or sys_max
        ttl = min(ttl, max_ttl)
        now = core.now_ns()
        display = req.token_entry.display_name if req.token_entry is not None else 'token'
        username = gen_username(display, name)
        password = gen_password()
        conn.run(render(role['creation_statements'], username, password, pg_expiration(now + ttl * SEC)))
        revoke_sql = role['revocation_statements'] or [
            DEFAULT_REVOKE.replace('{{database}}', conn.database().replace('"', '""'))]
        renew_sql = role['renew_statements'] or [DEFAULT_RENEW]

        def on_renew(le, new_expire_ns):
            r = self.roles.get(name)
            if r is None:
                raise PlainErr('error during renew: could not find role with name "%s"' % name, 500)
            conn.run(render(renew_sql, username, '', pg_expiration(new_expire_ns + 5 * SEC)))

        def on_revoke(le):
            conn.run(render(revoke_sql, username))

        le = core.leases.register(req, req.mount.full_path + req.subpath, ttl, role['max_ttl'],
                                  role['default_ttl'], True, on_renew, on_revoke)
        le.username = username
        return LResp(data={'password': password, 'username': username}, lease_id=le.id,
                     renewable=True, lease_duration=ttl)

    # ------------------------------------------------------------ static roles

    def static_exists(self, req, fd):
        return fd.get('name') in self.static

    def static_list(self, req, fd):
        return LResp(data={'keys': sorted(self.static)}) if self.static else None

    def static_write(self, req, fd):
        name = fd.get('name')
        old = self.static.get(name)
        st = dict(old) if old else {'rotation_statements': [], 'db_name': '', 'username': '',
                                    'password': '', 'last_rotation_ns': 0, 'rotation_period': 0}
        for k in ('db_name', 'username'):
            if k in fd.raw:
                if old and k == 'username' and fd.get(k) != old['username']:
                    raise ErrResp('cannot update static account username')
                st[k] = fd.get(k)
        if not st['db_name']:
            raise ErrResp('database name is a required field')
        if not st['username']:
            raise ErrResp('username is a required field to create a static account')
        if 'rotation_period' in fd.raw:
            st['rotation_period'] = fd.get('rotation_period')
        if st['rotation_period'] < MIN_ROTATION_PERIOD:
            raise ErrResp('rotation_period must be %d seconds or more' % MIN_ROTATION_PERIOD)
        if 'rotation_statements' in fd.raw:
            st['rotation_statements'] = _statements(fd.raw['rotation_statements'])
        self._conn_for(st['db_name'], name)
        self.static[name] = st
        if not old:
            self._rotate(name)
        return None

    def static_read(self, req, fd):
        st = self.static.get(fd.get('name'))
        if st is None:
            return None
        return LResp(data={
            'credential_type': 'password', 'db_name': st['db_name'],
            'last_vault_rotation': RawTime(ns_to_rfc3339(st['last_rotation_ns'])),
            'rotation_period': st['rotation_period'],
            'rotation_statements': st['rotation_statements'], 'username': st['username'],
        })

    def static_delete(self, req, fd):
        self.static.pop(fd.get('name'), None)
        return None

    def _rotate(self, name):
        st = self.static[name]
        conn = self._conn_for(st['db_name'], name)
        password = gen_password()
        conn.run(render(st['rotation_statements'] or [DEFAULT_ROTATE], st['username'], password))
        st['password'] = password
        st['last_rotation_ns'] = self.core.now_ns()

    def static_creds(self, req, fd):
        name = fd.get('name')
        st = self.static.get(name)
        if st is None:
            raise ErrResp('unknown role: %s' % name)
        now = self.core.now_ns()
        next_ns = st['last_rotation_ns'] + st['rotation_period'] * SEC
        return LResp(data={
            'last_vault_rotation': RawTime(ns_to_rfc3339(st['last_rotation_ns'])),
            'password': st['password'], 'rotation_period': st['rotation_period'],
            'ttl': max(0, (next_ns - now) // SEC), 'username': st['username'],
        })

    def rotate_role(self, req, fd):
        name = fd.get('name')
        if name not in self.static:
            raise ErrResp('no static role found for role name')
        self._rotate(name)
        return None

    def _tick(self, now):
        for name, st in list(self.static.items()):
            if st['last_rotation_ns'] + st['rotation_period'] * SEC <= now:
                try:
                    self._rotate(name)
                except (ErrResp, PlainErr):
                    pass    # retried on the next tick, as Vault's rotation queue does


__all__ = ['DatabaseBackend', 'gen_password', 'gen_username', 'render', 'pg_expiration']
