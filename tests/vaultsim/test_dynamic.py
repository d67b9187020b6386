#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Leases, the database secrets engine on a real PostgreSQL, and the PKI
subset, against the simulator.

A throwaway PostgreSQL cluster (tests/lib/pgcluster.py) on a loopback port;
the simulator's database engine logs into it as its superuser. Checked with
the server itself (pg_roles, psql logins): creds make a real login role with
VALID UNTIL; sys/leases/renew extends VALID UNTIL and caps at max_ttl with
Vault's warning; sys/leases/lookup; sys/leases/revoke and expiry drop the
role; revoking the token revokes its leases; static roles rotate the
password (old one refused). PKI: a root CA, a role, an issued certificate
and key that verify against the CA, with Vault's response fields. Skips
(TAP) when the PostgreSQL server binaries are missing. Prints TAP.
"""

import datetime
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.dont_write_bytecode = True

import simlib  # noqa: E402
import runbooks  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()


def api_of(c):
    def api(method, path, body=None):
        r = c.request(method, path, body)
        try:
            j = r.json() if r.body else None
        except ValueError:
            j = r.text
        return r.status, j
    return api


def role_exists(pg, name):
    return pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = '%s'" % name.replace("'", "''")).strip() == '1'


def valid_until(pg, name):
    out = pg.psql("SELECT extract(epoch from rolvaliduntil)::bigint FROM pg_roles WHERE rolname = '%s'"
                  % name.replace("'", "''")).strip()
    return int(out) if out else None


def login_ok(pg, user, password):
    r = pg.psql('SELECT 1', user=user, password=password, dbname='litellm', check=False)
    return r.returncode == 0


def database(sim, pg):
    c = sim.client()
    api = api_of(c)
    runbooks.database_runbook(api, pg, default_ttl='4s', max_ttl='9s')
    st, j = api('GET', '/v1/database/roles/litellm')
    T.ok(st == 200 and j['data']['default_ttl'] == 4 and j['data']['max_ttl'] == 9 and
         j['data']['db_name'] == 'litellm' and j['data']['credential_type'] == 'password',
         'database: role reads back with TTLs in seconds', j)
    st, j = api('GET', '/v1/database/config/litellm')
    T.ok(st == 200 and j['data']['plugin_name'] == 'postgresql-database-plugin' and
         'password' not in j['data']['connection_details'] and
         j['data']['allowed_roles'] == ['litellm'],
         'database: config reads back without the password', j)

    st, j = api('GET', '/v1/database/creds/nope')
    T.ok(st == 400 and j == {'errors': ['unknown role: nope']}, 'database: unknown role -> 400', j)

    t0 = time.time()
    st, j = api('GET', '/v1/database/creds/litellm')
    ok = st == 200 and j['renewable'] is True and j['lease_duration'] == 4 and \
        j['lease_id'].startswith('database/creds/litellm/') and j['mount_type'] == 'database'
    T.ok(ok, 'database: creds -> renewable lease of default_ttl, lease_id under the path', j and {
        k: v for k, v in j.items() if k != 'data'})
    if not ok:
        return
    user, pw, lease = j['data']['username'], j['data']['password'], j['lease_id']
    T.ok(user.startswith('v-root-litellm-') and len(user) <= 63 and len(pw) == 20,
         'database: user name from the default template, 20-char password', user)
    T.ok(role_exists(pg, user) and login_ok(pg, user, pw), 'database: a real login role that can log in')
    vu0 = valid_until(pg, user)
    T.ok(vu0 is not None and abs(vu0 - (t0 + 4)) <= 2, 'database: VALID UNTIL = now + default_ttl', vu0)

    time.sleep(1.2)
    st, j = api('PUT', '/v1/sys/leases/renew', {'lease_id': lease, 'increment': 0})
    T.ok(st == 200 and j['lease_id'] == lease and j['lease_duration'] == 4 and j['renewable'] is True
         and j['data'] is None and j['mount_type'] == 'system',
         'leases/renew: same lease, TTL back to default_ttl', j)
    vu1 = valid_until(pg, user)
    T.ok(vu1 is not None and vu1 > vu0, 'leases/renew: VALID UNTIL moved forward (renew statements)',
         (vu0, vu1))
    st, j = api('PUT', '/v1/sys/leases/lookup', {'lease_id': lease})
    T.ok(st == 200 and j['data']['id'] == lease and j['data']['renewable'] is True and
         0 < j['data']['ttl'] <= 4 and j['data']['last_renewal'] is not None,
         'leases/lookup: id, ttl, last_renewal', j)
    # near the max TTL the renewal is capped with Vault's warning
    time.sleep(max(0, t0 + 3.5 - time.time()))
    api('PUT', '/v1/sys/leases/renew', {'lease_id': lease})
    time.sleep(max(0, t0 + 6.5 - time.time()))
    st, j = api('PUT', '/v1/sys/leases/renew', {'lease_id': lease})
    T.ok(st == 200 and 0 < j['lease_duration'] < 4 and j['warnings'] and
         'exceeded the effective max_ttl' in j['warnings'][0],
         'leases/renew: capped at max_ttl with the warning', j)
    # expiry drops the role
    deadline = t0 + 9 + 5
    while time.time() < deadline and role_exists(pg, user):
        time.sleep(0.2)
    T.ok(not role_exists(pg, user), 'database: the role is dropped when the lease expires')
    st, j = api('PUT', '/v1/sys/leases/renew', {'lease_id': lease})
    T.ok(st == 400 and j == {'errors': ['lease not found']}, 'leases/renew: expired lease -> 400', j)

    # revoke
    st, j = api('GET', '/v1/database/creds/litellm')
    user2, lease2 = j['data']['username'], j['lease_id']
    st, _ = api('PUT', '/v1/sys/leases/revoke', {'lease_id': lease2})
    T.ok(st == 204 and not role_exists(pg, user2), 'leases/revoke: 204 and the role is dropped')

    # a lease dies with its token
    st, j = api('POST', '/v1/auth/token/create', {'policies': ['root'], 'ttl': '1h'})
    child = j['auth']['client_token']
    capi = api_of(sim.client(token=child))
    st, j = capi('GET', '/v1/database/creds/litellm')
    user3 = j['data']['username']
    T.ok(user3.startswith('v-token-litellm-'), 'database: display name of the token in the user name', user3)
    capi('PUT', '/v1/auth/token/revoke-self', {})
    T.ok(not role_exists(pg, user3), 'revoking the token revokes its leases (role dropped)')

    # default policy allows a non-root token to renew its lease
    api('PUT', '/v1/sys/policies/acl/db', {'policy': 'path "database/creds/litellm" { capabilities = ["read"] }'})
    st, j = api('POST', '/v1/auth/token/create', {'policies': ['db'], 'ttl': '1h'})
    papi = api_of(sim.client(token=j['auth']['client_token']))
    st, j = papi('GET', '/v1/database/creds/litellm')
    st2, j2 = papi('PUT', '/v1/sys/leases/renew', {'lease_id': j['lease_id']})
    st3, j3 = papi('PUT', '/v1/sys/leases/revoke', {'lease_id': j['lease_id']})
    T.ok(st == 200 and st2 == 200 and st3 == 403,
         'policy: default policy renews (sys/leases/renew) but cannot revoke', (st, st2, st3))

    # static role
    pg.psql('CREATE ROLE app_static LOGIN PASSWORD \'initial-password-1\'')
    st, j = api('POST', '/v1/database/config/litellm', {
        'plugin_name': 'postgresql-database-plugin',
        'connection_url': 'postgresql://{{username}}:{{password}}@%s:%d/litellm' % (pg.host, pg.port),
        'username': pg.superuser, 'password': pg.superuser_password,
        'allowed_roles': 'litellm,app'})
    st, j = api('POST', '/v1/database/static-roles/app', {'db_name': 'litellm', 'username': 'app_static',
                                                           'rotation_period': '6s'})
    T.ok(st == 204, 'static-roles: created (password rotated at once)', j)
    st, j = api('POST', '/v1/database/static-roles/bad', {'db_name': 'litellm', 'username': 'x',
                                                           'rotation_period': '2s'})
    T.ok(st == 400, 'static-roles: rotation_period under 5s refused', j)
    st, j = api('GET', '/v1/database/static-creds/app')
    d = j['data'] if st == 200 else {}
    T.ok(st == 200 and j['lease_id'] == '' and j['lease_duration'] == 0 and j['renewable'] is False and
         d['username'] == 'app_static' and d['rotation_period'] == 6 and 0 <= d['ttl'] <= 6 and
         sorted(d) == ['last_vault_rotation', 'password', 'rotation_period', 'ttl', 'username'],
         'static-creds: no lease; username, password, rotation_period, ttl', d and sorted(d))
    pw1 = d.get('password', '')
    T.ok(login_ok(pg, 'app_static', pw1) and not login_ok(pg, 'app_static', 'initial-password-1'),
         'static-creds: the rotated password logs in, the initial one does not')
    time.sleep(d.get('ttl', 0) + 1.5)
    st, j = api('GET', '/v1/database/static-creds/app')
    pw2 = j['data']['password']
    T.ok(pw2 != pw1 and login_ok(pg, 'app_static', pw2) and not login_ok(pg, 'app_static', pw1),
         'static-roles: rotated after rotation_period; the old password is refused')
    st, _ = api('PUT', '/v1/database/rotate-role/app', {})
    st, j = api('GET', '/v1/database/static-creds/app')
    T.ok(j['data']['password'] != pw2 and j['data']['ttl'] >= 5, 'rotate-role: rotates now')


EXAMPLE = os.path.join(HERE, '..', '..', 'examples', 'litellm', 'dynamic-db', 'vault-setup-dynamic-db.sh')
EXAMPLE_CREATION = ('CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\' '
                    'IN ROLE litellm_app; ALTER ROLE "{{name}}" SET role = \'litellm_app\';')


def example_statements(sim, pg):
    """examples/litellm/dynamic-db: its creation statements on a real server."""
    api = api_of(sim.client())
    with open(EXAMPLE) as f:
        script = f.read().replace('\\"', '"')
    T.ok(EXAMPLE_CREATION in script, 'example: the test uses the setup script\'s creation statements')
    pg.psql('CREATE ROLE litellm_app NOLOGIN')
    pg.psql('GRANT ALL ON SCHEMA public TO litellm_app', dbname='litellm')
    pg.psql('ALTER DATABASE litellm OWNER TO litellm_app')
    api('POST', '/v1/database/config/litellm', {
        'plugin_name': 'postgresql-database-plugin',
        'connection_url': 'postgresql://{{username}}:{{password}}@%s:%d/litellm' % (pg.host, pg.port),
        'username': pg.superuser, 'password': pg.superuser_password,
        'allowed_roles': 'litellm,app,example'})
    st, j = api('POST', '/v1/database/roles/example', {'db_name': 'litellm', 'creation_statements': EXAMPLE_CREATION,
                                                        'default_ttl': '1h', 'max_ttl': '24h'})
    st, j = api('GET', '/v1/database/creds/example')
    user, pw = j['data']['username'], j['data']['password']
    r = pg.psql('CREATE TABLE prisma_like (x int); INSERT INTO prisma_like VALUES (1)',
                user=user, password=pw, dbname='litellm', check=False)
    owner = pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'prisma_like'", dbname='litellm').strip()
    T.ok(r.returncode == 0 and owner == 'litellm_app',
         'example: a dynamic user creates tables owned by litellm_app', (r.stderr, owner))
    api('PUT', '/v1/sys/leases/revoke', {'lease_id': j['lease_id']})
    left = pg.psql('SELECT count(*) FROM prisma_like', dbname='litellm').strip()
    T.ok(not role_exists(pg, user) and left == '1',
         'example: revoking drops the user, the table and its rows stay')


def pki(sim):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives import serialization
    c = sim.client()
    api = api_of(c)
    for kt in ('ec', 'rsa'):
        mount = 'pki-' + kt
        runbooks.pki_runbook(api, mount=mount, key_type=kt)
        t_before = time.time()
        st, j = api('PUT', '/v1/%s/issue/web' % mount, {'common_name': 'litellm.litellm.svc', 'ttl': '30s',
                                                        'alt_names': 'api.litellm.svc'})
        t_after = time.time()
        d = j.get('data') or {}
        T.ok(st == 200 and sorted(d) == ['ca_chain', 'certificate', 'expiration', 'issuing_ca', 'private_key',
                                         'private_key_type', 'serial_number'] and
             j['lease_id'] == '' and j['renewable'] is False and j['lease_duration'] == 0,
             '%s: issue -> Vault\'s fields, no lease' % mount, (st, sorted(d), j.get('errors')))
        if st != 200:
            continue
        ca = x509.load_pem_x509_certificate(d['issuing_ca'].encode())
        leaf = x509.load_pem_x509_certificate(d['certificate'].encode())
        key = serialization.load_pem_private_key(d['private_key'].encode(), None)
        pub = ca.public_key()
        try:
            if kt == 'ec':
                pub.verify(leaf.signature, leaf.tbs_certificate_bytes, ec.ECDSA(leaf.signature_hash_algorithm))
            else:
                pub.verify(leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(),
                           leaf.signature_hash_algorithm)
            verified = True
        except Exception:  # noqa: BLE001
            verified = False
        T.ok(verified and leaf.issuer == ca.subject, '%s: the certificate verifies against issuing_ca' % mount)
        T.ok(key.public_key().public_numbers() == leaf.public_key().public_numbers(),
             '%s: private_key matches the certificate' % mount)
        na = leaf.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp()
        T.ok(int(na) == d['expiration'] and t_before + 30 - 1 <= na <= t_after + 30 + 1,
             '%s: expiration = notAfter = now + ttl' % mount, (na, d['expiration']))
        T.ok(d['private_key_type'] == kt and d['ca_chain'] == [d['issuing_ca']] and
             len(d['serial_number'].split(':')) > 8,
             '%s: private_key_type, ca_chain, serial_number' % mount)
        st, j = api('PUT', '/v1/%s/issue/web' % mount, {'common_name': 'evil.example.com'})
        T.ok(st == 400 and j == {'errors': ['common name evil.example.com not allowed by this role']},
             '%s: a name outside the role -> 400' % mount, j)
        st, j = api('PUT', '/v1/%s/issue/web' % mount, {'common_name': 'x.litellm.svc', 'ttl': '1000h'})
        T.ok(st == 400 and 'beyond the expiration of the CA certificate' in j['errors'][0],
             '%s: notAfter beyond the CA -> 400' % mount, j)


def main():
    try:
        from pgcluster import PgCluster, server_bin_dir
        server_bin_dir()
    except (ImportError, RuntimeError) as e:
        T.ok(True, '# SKIP database engine: %s' % e)
        pg = None
    else:
        pg = PgCluster()
    sim = simlib.start_sim()
    try:
        T.section('pki', pki, sim)
        if pg is not None:
            with pg:
                pg.psql('CREATE DATABASE litellm')
                T.section('database', database, sim, pg)
                T.section('example', example_statements, sim, pg)
    finally:
        sim.stop()
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
