#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-agent with leased secrets, against the Vault simulator (TLS) and
a real PostgreSQL (tests/lib/pgcluster.py): the database engine's dynamic
credentials renewed by the lifetime watcher, and PKI certificates.

  dynamic       sidecar, database/creds/litellm with default_ttl 4s and
                max_ttl 16s: psql logs in every second with what the file
                holds and never fails; the username stays the same until
                the lease is near its max TTL (renewals in the simulator's
                request log, one creds read); then exactly one new
                credential, the file replaced atomically (never seen
                partial), and the old role dropped by Vault.
  vault-down    a 12 s lease with Vault answering 503 to the next 4 requests
                (the scheduled renewal, the re-read, their retry): the
                renewal is retried and succeeds when Vault is back (same
                username, no login failure); and Vault down for 9 s
                (longer than the 4 s lease): the lease
                expires, the role is dropped, a new credential is read.
  static        a static role (rotation_period 6s, no lease): the file follows
                each rotation (leaseCheckWait's ttl + 1 s).
  list          secrets PATH: sorted keys of a LIST.
  pkicert       pkiCert: issued once, reused from the file across a restart.
  revoke        revoke_on_shutdown: SIGTERM revokes the token, Vault
                revokes its lease, the role is dropped.
  pki           the Vault docs' write form ({{ with secret "pki/issue/web"
                "common_name=…" "ttl=…" }}): certificate and key verify
                against the CA; one issue request for two templates; a new
                certificate before the old one expires.
  logs          no password, token, JWT or private key in any agent line.

Timing margins are several seconds wide: properties are asserted, not
exact times (the machine may be loaded). Skips without PostgreSQL. TAP.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', 'vaultsim'))
sys.dont_write_bytecode = True

import agentlib as al  # noqa: E402
import runbooks  # noqa: E402

T = al.TAP()
AGENT_LOGS = []
NEEDLES = set()

DB_TMPL = ('{{- with secret "database/creds/%s" }}\n'
           'export DATABASE_URL="postgresql://{{ .Data.username }}:{{ .Data.password }}@127.0.0.1:%d/litellm"\n'
           '{{- end }}\n')
DB_RE = re.compile(r'\A\nexport DATABASE_URL="postgresql://([^:]+):([^@]+)@127\.0\.0\.1:\d+/litellm"\n\Z')
POLICY = ('path "secret/data/litellm/*" { capabilities = ["read"] }\n'
          'path "database/creds/*" { capabilities = ["read"] }\n'
          'path "database/static-creds/*" { capabilities = ["read"] }\n'
          'path "pki/issue/web" { capabilities = ["update"] }\n')


class Env:
    def __init__(self, root, name, sim, signer, pg):
        self.dir = os.path.join(root, name)
        self.home = os.path.join(self.dir, 'home')
        self.secrets = os.path.join(self.dir, 'secrets')
        os.makedirs(self.home)
        self.sim, self.signer, self.pg = sim, signer, pg
        self.jwt_path = os.path.join(self.dir, 'token')
        jwt = signer.mint()
        NEEDLES.add(jwt)
        with open(self.jwt_path, 'w') as f:
            f.write(jwt + '\n')

    def config(self, templates, **kw):
        return al.agent_config(self.sim.addr, self.sim.pki['ca'], self.jwt_path, self.home,
                               self.secrets, init=False, templates=templates, **kw)

    def agent(self, cfg, **kw):
        log = os.path.join(self.dir, 'agent-%d.log' % len(AGENT_LOGS))
        AGENT_LOGS.append(log)
        return al.Agent(cfg, log, **kw)

    def token(self):
        t = (al.read(os.path.join(self.home, '.vault-token')) or '').strip()
        if t:
            NEEDLES.add(t)
        return t


def role_exists(pg, name):
    return pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = '%s'" % name.replace("'", "''")).strip() == '1'


def login(pg, user, password):
    return pg.psql('SELECT 1', user=user, password=password, dbname='litellm', check=False).returncode == 0


class Watcher:
    """Reads the credentials file 20 times a second (a torn or empty file is
    recorded), and logs into PostgreSQL with its content once a second."""

    def __init__(self, pg, path):
        self.pg, self.path = pg, path
        self.bad = []          # contents that did not parse
        self.seen = []         # (monotonic time, username) on each change
        self.creds = {}        # username -> password
        self.inodes = set()
        self.logins = 0
        self.failures = []     # (time, username)
        self.stop = threading.Event()
        self.t_read = threading.Thread(target=self._read, daemon=True)
        self.t_login = threading.Thread(target=self._login, daemon=True)

    def start(self):
        self.t_read.start()
        self.t_login.start()
        return self

    def current(self):
        try:
            with open(self.path) as f:
                st = os.fstat(f.fileno())
                text = f.read()
        except FileNotFoundError:
            return None
        m = DB_RE.match(text)
        if not m:
            self.bad.append(text[:40])
            return None
        self.inodes.add(st.st_ino)
        return m.group(1), m.group(2)

    def _read(self):
        while not self.stop.wait(0.05):
            c = self.current()
            if c is None:
                continue
            if not self.seen or self.seen[-1][1] != c[0]:
                self.seen.append((time.monotonic(), c[0]))
                self.creds[c[0]] = c[1]
                NEEDLES.add(c[1])

    def _login(self):
        # once a second on a fixed schedule (a slow login does not push the next one back)
        t0 = time.monotonic()
        k = 0
        while True:
            k += 1
            if self.stop.wait(max(0.0, t0 + k - time.monotonic())):
                return
            c = self.current()
            if c is None:
                continue
            self.logins += 1
            if not login(self.pg, c[0], c[1]):
                # the file may have changed between the read and the login: retry once with the new one
                c2 = self.current()
                if c2 is None or c2 == c or not login(self.pg, c2[0], c2[1]):
                    self.failures.append((time.monotonic(), c[0]))

    def finish(self):
        self.stop.set()
        self.t_read.join(5)
        self.t_login.join(40)


def reqs(sim, method, prefix):
    return [r for r in sim.requests() if r['method'] == method and r['path'].startswith(prefix)]


def t_dynamic(env):
    sim = env.sim
    dest = os.path.join(env.secrets, 'db.env')
    cfg = env.config([{'destination': dest, 'contents': DB_TMPL % ('litellm', env.pg.port)}])
    sim.clear_requests()
    a = env.agent(cfg)
    w = None
    try:
        if not T.ok(al.wait_for(lambda: al.read(dest), 20), 'dynamic: the sidecar rendered the file', a.text()):
            return
        w = Watcher(env.pg, dest).start()
        # 26 s from the first read: one switch near max TTL (~14.5 s), the next not before ~29 s
        time.sleep(26)
        w.finish()
        users = [u for _, u in w.seen]
        t_first = w.seen[0][0] if w.seen else 0
        held = (w.seen[1][0] - t_first) if len(w.seen) > 1 else 0
        T.ok(len(users) == 2 and held >= 10,
             'dynamic: one username for most of the max TTL (%.1fs), then exactly one new one' % held,
             w.seen)
        T.ok(w.logins >= 15 and not w.failures,
             'dynamic: psql logged in %d times with the file\'s credentials, no failure' % w.logins,
             w.failures)
        T.ok(not w.bad and len(w.inodes) == 2,
             'dynamic: the file was replaced atomically (never torn, one rename)', (w.bad[:3], w.inodes))
        creds = reqs(sim, 'GET', '/v1/database/creds/litellm')
        renews = reqs(sim, 'PUT', '/v1/sys/leases/renew')
        T.ok(len(creds) == 2 and len(renews) >= 4 and all(r['status'] == 200 for r in renews),
             'dynamic: %d renewals (sys/leases/renew) and %d creds reads in the request log'
             % (len(renews), len(creds)), [(r['method'], r['path'], r['status']) for r in sim.requests()][:60])
        if len(users) >= 2:
            T.ok(al.wait_for(lambda: not role_exists(env.pg, users[0]), 5) and
                 not login(env.pg, users[0], w.creds[users[0]]) and role_exists(env.pg, users[1]),
                 'dynamic: Vault dropped the old role at its max TTL; the new one exists')
        spath = os.path.join(env.home, '.vaultlet-status.json')
        status = al.read(spath) or ''
        try:
            sec = json.loads(status)['templates'][0]['secrets'][0]
        except (ValueError, KeyError, IndexError):
            sec = {}
        lease = sec.get('lease') or {}
        T.ok(sec.get('path') == 'database/creds/litellm' and lease.get('renewals', 0) >= 1 and
             len(lease.get('id_suffix', '')) == 9 and lease.get('next') == 'renewal' and
             lease.get('expires_at') and 'database/creds/litellm/' not in status and
             all(p not in status and u not in status for u, p in w.creds.items()),
             'dynamic: status shows the lease (id suffix, expiry, renewals, next), no credential', status)
        out = subprocess.run([al.AGENT, 'status', '-file', spath], capture_output=True, text=True).stdout
        T.ok('lease:      ...' in out and 'next renewal:' in out and 'renewed:' in out,
             'dynamic: vaultlet-agent status prints the lease', out)
    finally:
        if w:
            w.finish()
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()


def t_vault_down(env, role, outage, label):
    sim = env.sim
    dest = os.path.join(env.secrets, 'db.env')
    cfg = env.config([{'destination': dest, 'contents': DB_TMPL % (role, env.pg.port)}])
    sim.clear_requests()
    # no HTTP-level retries: the agent's own schedule (renew, re-read, retry) is what is tested
    a = env.agent(cfg, env_extra={'VAULT_MAX_RETRIES': '0'})
    w = None
    try:
        if not T.ok(al.wait_for(lambda: al.read(dest), 20), '%s: rendered' % label, a.text()):
            return
        w = Watcher(env.pg, dest).start()
        # the immediate renewal after the read; then Vault fails: for the short
        # case the next `outage` requests (the scheduled renewal 8.4-8.8 s later
        # with a 12 s lease, the re-read, the retries), whatever the timing;
        # for the long case 9 s of time, longer than the 4 s lease
        al.wait_for(lambda: len(reqs(sim, 'PUT', '/v1/sys/leases/renew')) >= 1, 10)
        t_down = time.time()
        if role == 'litellm-long':
            sim.control('faults', {'status': 503, 'count': outage, 'path_prefix': '/v1/'})
            # the rule goes away once it has answered `outage` requests
            al.wait_for(lambda: not sim.control('faults', method='GET')['faults'], 20, 0.2)
        else:
            time.sleep(1)
            sim.control('faults', {'status': 503, 'count': -1, 'path_prefix': '/v1/'})
            time.sleep(outage)
        sim.control('faults', method='DELETE')
        t_up = time.monotonic()
        if role == 'litellm-long':
            time.sleep(3)
        else:
            # the read is retried on consul-template's schedule (…, 4 s, 8 s): wait for it
            al.wait_for(lambda: len(w.seen) >= 2, 20, 0.2)
            time.sleep(1.5)
        w.finish()
        during = [r for r in sim.requests() if r.get('status') == 503]
        renew_fail = [r for r in during if r['path'] == '/v1/sys/leases/renew']
        read_fail = [r for r in during if r['path'].startswith('/v1/database/creds/')]
        users = [u for t, u in w.seen]
        if role == 'litellm-long':
            T.ok(len(renew_fail) >= 2 and len(read_fail) >= 1,
                 '%s: during the outage the renewal failed, the re-read failed, the renewal was retried'
                 ' (%d renewals, %d reads refused)' % (label, len(renew_fail), len(read_fail)),
                 [(r['method'], r['path'], r['status']) for r in sim.requests()][-40:])
            ok_after = [r for r in sim.requests() if r['path'] == '/v1/sys/leases/renew' and
                        r.get('status') == 200 and r['time'] >= t_down]
            T.ok(len(users) == 1 and ok_after,
                 '%s: Vault back within the lease: renewed, same username kept' % label, w.seen)
            T.ok(not w.failures, '%s: psql never failed (%d logins)' % (label, w.logins), w.failures)
        else:
            T.ok(len(users) == 2 and w.seen[1][0] >= t_up - 0.5,
                 '%s: Vault back after the lease ran out: a new credential read' % label, w.seen)
            T.ok(not role_exists(env.pg, users[0]),
                 '%s: the expired lease\'s role was dropped by Vault' % label)
        T.ok(a.proc.poll() is None, '%s: the sidecar kept running' % label, a.text()[-2000:])
    finally:
        sim.control('faults', method='DELETE')
        if w:
            w.finish()
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()


def t_revoke(env):
    dest = os.path.join(env.secrets, 'db.env')
    cfg = env.config([{'destination': dest, 'contents': DB_TMPL % ('litellm', env.pg.port)}],
                     extra={'vaultlet': {'revoke_on_shutdown': True}})
    a = env.agent(cfg)
    try:
        if not T.ok(al.wait_for(lambda: al.read(dest), 20), 'revoke: rendered', a.text()):
            return
        m = DB_RE.match(al.read(dest))
        user, pw = m.group(1), m.group(2)
        NEEDLES.add(pw)
        T.ok(login(env.pg, user, pw), 'revoke: the credential logs in')
        env.token()
        a.signal(signal.SIGTERM)
        rc = a.wait(5)
        T.ok(rc == 0 and al.wait_for(lambda: not role_exists(env.pg, user), 5),
             'revoke: SIGTERM revoked the token, Vault revoked its lease, the role is dropped', a.text()[-1500:])
    finally:
        a.kill()


PKI_CERT_TMPL = ('{{- with secret "pki/issue/web" "common_name=litellm.litellm.svc" "ttl=%s" -}}\n'
                 '{{ .Data.certificate }}\n{{ .Data.issuing_ca }}\n{{- end }}\n')
PKI_KEY_TMPL = ('{{- with secret "pki/issue/web" "ttl=%s" "common_name=litellm.litellm.svc" -}}\n'
                '{{ .Data.private_key }}\n{{- end }}\n')


def t_pki(env, ca_pem):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime
    sim = env.sim
    crt, key = os.path.join(env.secrets, 'tls.crt'), os.path.join(env.secrets, 'tls.key')
    ttl = 20
    cfg = env.config([{'destination': crt, 'contents': PKI_CERT_TMPL % ('%ds' % ttl)},
                      {'destination': key, 'contents': PKI_KEY_TMPL % ('%ds' % ttl), 'perms': '0600'}])
    sim.clear_requests()
    a = env.agent(cfg)

    def load():
        try:
            c = x509.load_pem_x509_certificate(open(crt, 'rb').read())
            k = serialization.load_pem_private_key(open(key, 'rb').read(), None)
            return c, k
        except (OSError, ValueError):
            return None

    try:
        if not T.ok(al.wait_for(lambda: load() is not None, 20), 'pki: certificate and key rendered', a.text()):
            return
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        c, k = load()
        try:
            ca.public_key().verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(c.signature_hash_algorithm))
            verified = True
        except Exception:  # noqa: BLE001
            verified = False
        T.ok(verified and c.issuer == ca.subject and
             c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == 'litellm.litellm.svc',
             'pki: the certificate verifies against the issuing CA')
        T.ok(k.public_key().public_numbers() == c.public_key().public_numbers() and
             (os.stat(key).st_mode & 0o777) == 0o600, 'pki: the key matches the certificate (0600)')
        issues = reqs(sim, 'PUT', '/v1/pki/issue/web')
        T.ok(len(issues) == 1, 'pki: one issue request for two templates (same path and data)',
             [(r['method'], r['path']) for r in sim.requests()])
        NEEDLES.add(open(key).read().split('\n')[1])
        first_serial = c.serial_number
        not_after = c.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp()
        changed = al.wait_for(lambda: (load() or (c, k))[0].serial_number != first_serial, ttl + 5, 0.1)
        t_change = time.time()
        c2, k2 = load()
        # consul-template's schedule: after 85-95 % of expiration - now
        T.ok(changed and not_after - 0.2 * ttl <= t_change < not_after and
             k2.public_key().public_numbers() == c2.public_key().public_numbers(),
             'pki: re-issued late in its life but before it expired (%.1fs before notAfter)'
             % (not_after - t_change))
        NEEDLES.add(open(key).read().split('\n')[1])
    finally:
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()


STATIC_TMPL = '{{ with secret "database/static-creds/app" }}{{ .Data.username }}:{{ .Data.password }}{{ end }}'


def t_static(env):
    """A static role (rotation_period, no lease): read again ttl + 1 s after each read,
    so the file follows every rotation; the new password logs in."""
    sim, pg = env.sim, env.pg
    pg.psql('CREATE ROLE app_static LOGIN PASSWORD \'initial-static-pw\'')
    pg.psql('GRANT CONNECT ON DATABASE litellm TO app_static')
    sim.api('POST', 'database/config/litellm', {
        'plugin_name': 'postgresql-database-plugin',
        'connection_url': 'postgresql://{{username}}:{{password}}@%s:%d/litellm' % (pg.host, pg.port),
        'username': pg.superuser, 'password': pg.superuser_password,
        'allowed_roles': 'litellm,litellm-long,app'})
    sim.api('POST', 'database/static-roles/app', {'db_name': 'litellm', 'username': 'app_static',
                                                  'rotation_period': '6s'})
    dest = os.path.join(env.secrets, 'static.txt')
    sim.clear_requests()
    a = env.agent(env.config([{'destination': dest, 'contents': STATIC_TMPL}]))
    try:
        if not T.ok(al.wait_for(lambda: al.read(dest), 20), 'static role: rendered', a.text()):
            return
        first = al.read(dest)
        NEEDLES.add(first.split(':', 1)[1])
        changed = al.wait_for(lambda: al.read(dest) != first, 12, 0.1)
        second = al.read(dest)
        NEEDLES.add(second.split(':', 1)[1])
        reads = reqs(sim, 'GET', '/v1/database/static-creds/app')
        T.ok(changed and login(pg, 'app_static', second.split(':', 1)[1]) and
             not login(pg, 'app_static', first.split(':', 1)[1]) and 2 <= len(reads) <= 4,
             'static role: the file follows the rotation (read again at ttl + 1 s, %d reads)' % len(reads),
             (changed, len(reads), a.text()[-1500:]))
    finally:
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()


LIST_TMPL = ('{{ range secrets "secret/litellm/" }}{{ . }}\n{{ end }}'
             '{{ with secrets "secret/nothing-here" }}x{{ else }}empty{{ end }}\n'
             '{{ secrets "secret/litellm" | join "," }}\n')


def t_list(env):
    """secrets PATH: a LIST (KV v2: under metadata/), sorted keys, an empty list for 404."""
    sim = env.sim
    sim.api('POST', 'secret/data/litellm/b-other', {'data': {'x': '1'}})
    sim.api('POST', 'secret/data/litellm/a/nested', {'data': {'x': '1'}})
    sim.api('PUT', 'sys/policies/acl/litellm-policy', {'policy': POLICY + 'path "secret/metadata/*" { capabilities = ["list"] }\n'})
    dest = os.path.join(env.secrets, 'list.txt')
    sim.clear_requests()
    a = env.agent(env.config([{'destination': dest, 'contents': LIST_TMPL}]))
    try:
        ok = al.wait_for(lambda: al.read(dest), 20)
        got = al.read(dest)
        T.ok(ok and got == 'a/\nb-other\nsecrets\nempty\na/,b-other,secrets\n',
             'secrets: sorted keys of a LIST, empty for a missing path, join works', (got, a.text()[-1500:]))
        lists = [r['path'] for r in sim.requests() if r['method'] == 'GET' and 'list=true' in r['path']]
        T.ok('/v1/secret/metadata/litellm?list=true' in lists,
             'secrets: a KV v2 path is listed under metadata/ (GET ?list=true)', lists)
    finally:
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()
        sim.api('PUT', 'sys/policies/acl/litellm-policy', {'policy': POLICY})


PKICERT_TMPL = ('{{ with pkiCert "pki/issue/web" "common_name=litellm.litellm.svc" "ttl=%s" }}'
                '{{ .Cert }}{{ .Key }}{{ .CA }}{{ end }}')


def t_pkicert(env, ca_pem):
    """pkiCert: issued once, then reused from the destination across a restart."""
    from cryptography import x509
    sim = env.sim
    dest = os.path.join(env.secrets, 'bundle.pem')
    cfg = env.config([{'destination': dest, 'contents': PKICERT_TMPL % '90s', 'perms': '0600'}])
    sim.clear_requests()
    a = env.agent(cfg)
    try:
        ok = al.wait_for(lambda: 'PRIVATE KEY' in (al.read(dest) or ''), 20)
        first = al.read(dest) or ''
        NEEDLES.add(first.split('PRIVATE KEY-----\n')[1].split('\n')[0] if ok else '')
        blocks = first.count('-----BEGIN ')
        c = x509.load_pem_x509_certificate(first.encode()) if ok else None
        T.ok(ok and blocks == 3 and c.issuer == x509.load_pem_x509_certificate(ca_pem.encode()).subject and
             first.endswith(ca_pem.strip() + '\n'),
             'pkiCert: .Cert, .Key and .CA rendered (three PEM blocks, CA last)', first[:200])
        T.ok(len(reqs(sim, 'PUT', '/v1/pki/issue/web')) == 1, 'pkiCert: issued once')
    finally:
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
    sim.clear_requests()
    a = env.agent(cfg)
    try:
        st = os.stat(dest)
        al.wait_for(lambda: 'unchanged' in a.text(), 20)
        issued = reqs(sim, 'PUT', '/v1/pki/issue/web')
        T.ok(not issued and al.read(dest) == first and os.stat(dest).st_ino == st.st_ino,
             'pkiCert: after a restart the valid certificate in the file is reused (no issue request)',
             ([(r['method'], r['path']) for r in sim.requests()], a.text()[-1500:]))
    finally:
        a.signal(signal.SIGTERM)
        a.wait(5)
        a.kill()
        env.token()


def log_grep():
    hits = []
    lines = 0
    for p in AGENT_LOGS:
        for i, line in enumerate((al.read(p) or '').splitlines()):
            lines += 1
            for nd in NEEDLES:
                if nd and nd in line:
                    hits.append('%s:%d' % (os.path.basename(p), i + 1))
    T.ok(lines > 0 and len(NEEDLES) >= 2 and not hits,
         'logs: no password, token, JWT or private key in %d agent log lines (%d needles)'
         % (lines, len(NEEDLES)), '\n'.join(hits[:20]))


def main():
    for what, path in (('vaultlet-agent', al.AGENT), ('the Vault simulator', al.VAULTSIM)):
        if not os.path.exists(path):
            print('not ok 1 - %s is at %s\n1..1' % (what, path))
            return 1
    try:
        from pgcluster import PgCluster, server_bin_dir
        server_bin_dir()
    except (ImportError, RuntimeError) as e:
        print('1..0 # SKIP %s' % e)
        return 0
    root = al.workdir()
    pki = al.make_pki(root)
    signer = al.JWTSigner()
    sim = al.Sim(root, pki, signer).start()
    only = os.environ.get('VAULTLET_LEASE_TESTS', '').split(',')
    try:
        with PgCluster() as pg:
            pg.psql('CREATE DATABASE litellm')
            sim.seed_litellm(signer, policy=POLICY)

            def api(method, path, body=None):
                return sim.api(method, path.replace('/v1/', '', 1), body, ok=None)

            runbooks.database_runbook(api, pg, default_ttl='4s', max_ttl='16s',
                                      extra_roles=[('litellm-long', '12s', '60s')])
            ca_pem = runbooks.pki_runbook(api)
            for name, fn in (('dynamic', lambda e: t_dynamic(e)),
                             ('down-short', lambda e: t_vault_down(e, 'litellm-long', 4,
                                                                   'vault-down (4 requests)')),
                             ('down-long', lambda e: t_vault_down(e, 'litellm', 9, 'vault-down (9s)')),
                             ('revoke', t_revoke),
                             ('list', t_list),
                             ('static', t_static),
                             ('pkicert', lambda e: t_pkicert(e, ca_pem)),
                             ('pki', lambda e: t_pki(e, ca_pem))):
                if only != [''] and name not in only:
                    continue
                t0 = time.monotonic()
                fn(Env(root, name, sim, signer, pg))
                print('# %s took %.1fs' % (name, time.monotonic() - t0))
            log_grep()
    finally:
        sim.stop()
        if T.failed == 0:
            al.rmtree(root)
        else:
            print('# work directory kept: %s' % root)
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
