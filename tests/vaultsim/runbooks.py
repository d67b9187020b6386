# SPDX-License-Identifier: MIT
"""Runbook helpers: the Vault configuration calls an operator makes for the
database and PKI secrets engines, as `vault` CLI calls would send them. Each
takes `api(method, path, body)` returning (status, parsed JSON or None), so
the simulator's own tests and the agent's tests share them.

    database_runbook(api, pg, role='litellm', db='litellm', default_ttl='4s', max_ttl='16s')
        vault secrets enable database
        vault write database/config/litellm plugin_name=postgresql-database-plugin \\
            connection_url='postgresql://{{username}}:{{password}}@127.0.0.1:PORT/litellm' \\
            username=postgres password=... allowed_roles=litellm
        vault write database/roles/litellm db_name=litellm creation_statements=... \\
            default_ttl=4s max_ttl=16s
    pki_runbook(api, domain='litellm.svc', ttl='72h', role_ttl=None)
        vault secrets enable pki; vault secrets tune -max-lease-ttl=87600h pki
        vault write pki/root/generate/internal common_name=... ttl=...
        vault write pki/roles/web allowed_domains=... allow_subdomains=true max_ttl=...
"""

CREATION = ['CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\';',
            'GRANT CONNECT ON DATABASE "%s" TO "{{name}}";']


def _ok(res, what):
    status, body = res
    if status not in (200, 204):
        raise RuntimeError('%s: HTTP %d %s' % (what, status, body))
    return body


def database_runbook(api, pg, role='litellm', db='litellm', default_ttl='4s', max_ttl='16s',
                     mount='database', creation=None, extra_roles=()):
    """Mounts the database engine and configures a connection to pg (a
    tests/lib/pgcluster.PgCluster) and a role (plus extra_roles, tuples of
    name, default_ttl, max_ttl). The database db must exist."""
    _ok(api('POST', '/v1/sys/mounts/%s' % mount, {'type': 'database'}), 'enable database')
    _ok(api('POST', '/v1/%s/config/%s' % (mount, db), {
        'plugin_name': 'postgresql-database-plugin',
        'connection_url': 'postgresql://{{username}}:{{password}}@%s:%d/%s?sslmode=disable'
                          % (pg.host, pg.port, db),
        'username': pg.superuser, 'password': pg.superuser_password,
        'allowed_roles': ','.join([role] + [r[0] for r in extra_roles])}), 'database config')
    stmts = creation or [s % db if '%s' in s else s for s in CREATION]
    for name, dt, mt in [(role, default_ttl, max_ttl)] + list(extra_roles):
        _ok(api('POST', '/v1/%s/roles/%s' % (mount, name), {
            'db_name': db, 'creation_statements': stmts,
            'default_ttl': dt, 'max_ttl': mt}), 'database role')


def pki_runbook(api, domain='litellm.svc', ttl='72h', role='web', role_max_ttl='72h', mount='pki',
                key_type='ec'):
    _ok(api('POST', '/v1/sys/mounts/%s' % mount, {'type': 'pki', 'config': {'max_lease_ttl': '87600h'}}),
        'enable pki')
    ca = _ok(api('POST', '/v1/%s/root/generate/internal' % mount,
                 {'common_name': 'vaultlet test root CA', 'ttl': ttl, 'key_type': key_type}),
             'generate root')
    _ok(api('POST', '/v1/%s/roles/%s' % (mount, role), {
        'allowed_domains': domain, 'allow_subdomains': True, 'max_ttl': role_max_ttl,
        'key_type': key_type}), 'pki role')
    return ca['data']['certificate']
