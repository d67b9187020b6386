# SPDX-License-Identifier: MIT
"""simlib - drive the Vault simulator from tests (Python 3, /usr/bin/python3).

Small API, meant to be imported by other test folders:

    import sys; sys.path.insert(0, '<repo>/tests/vaultsim')
    import simlib

    minter = simlib.JwtMinter('RS256')               # or 'ES256'
    with simlib.start_sim(tls=True, minter=minter) as sim:
        c = sim.client()                             # root token client
        simlib.seed_litellm(c, pem_keys=[minter.public_pem])
        jwt = minter.mint('litellm', 'litellm')      # projected SA token
        r = c.login('litellm-role', jwt)             # -> Response
        token = r.json()['auth']['client_token']
        c.with_token(token).get('/v1/secret/data/litellm/secrets')
        sim.control('POST', '/_sim/faults', {'status': 429, 'count': 2})
        sim.requests()                               # the request log

start_sim(*, tls=False, root_token='root', args=(), minter=None,
          pod_sa=True, log_requests=False, timeout=10, port=0) -> Sim
    Starts tests/vaultsim/vaultsim.py as a subprocess on 127.0.0.1:0, waits
    for its --ready-file. minter's public key is trusted by the TokenReview
    oracle. pod_sa=True simulates Vault running in a pod (a pod CA and a
    reviewer token for SA vault/litellm), as in the seed's Helm install.
    Sim: .url, .addr, .root_token, .ca_file (TLS), .tmpdir, .minter,
    .client(token=None) -> Client, .control(method, path, body=None) -> dict,
    .requests() -> list, .clear_requests(), .kill() (Vault down: connection
    refused), .restart() (fresh dev-mode state on the same address), .stop();
    context manager.

Client(base_url, token=None, cafile=None, namespace=None, headers=None)
    .request(method, path, body=None, headers=None, token=<default>,
             raw_body=None) -> Response(status, headers, body); .json()
    .get/.put/.post/.delete/.list(path, ...), .with_token(t),
    .login(role, jwt, mount='kubernetes'), .kv_get(path, mount='secret')

seed_litellm(client, *, secrets=None, kubernetes_host=..., pem_keys=None,
             audience=None, ttl='24h', enable_kv=None) -> dict
    The seed's vault/init-vault-secrets.sh, call by call, as the vault CLI
    would send it (see docs/vaultsim.md).

JwtMinter(alg='RS256', issuer=DEFAULT_ISSUER, kid=None)
    .public_pem, .mint(namespace, sa, *, aud=None, ttl=3600, now=None, ...)
    Projected service-account tokens (iss, aud array, exp/iat/nbf, sub,
    jti, kubernetes.io.{namespace, pod, serviceaccount}) or legacy=True
    secret-based tokens.

make_tls(directory, hosts=('127.0.0.1', 'localhost')) -> TlsFiles
    A self-signed CA and a server certificate/key (ECDSA P-256) for hosts.

token_hash(token) -> the 16-hex-digit hash the request log shows.
"""

import base64  # noqa: F401  (test_seed decodes JWT headers with it)
import datetime
import http.client
import ipaddress
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
VAULTSIM = os.path.join(HERE, 'vaultsim.py')
PYTHON = '/usr/bin/python3'
DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local'

__all__ = ['start_sim', 'Sim', 'Client', 'Response', 'seed_litellm', 'JwtMinter',
           'make_tls', 'TlsFiles', 'token_hash', 'LITELLM_SECRETS', 'DEFAULT_ISSUER']


def token_hash(token):
    import hashlib
    return hashlib.sha256(('vaultsim:' + token).encode('utf-8')).hexdigest()[:16]


# ------------------------------------------------------------------ HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # dict, lower-case names
        self.body = body            # bytes

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    def __repr__(self):
        return '<Response %d %d bytes>' % (self.status, len(self.body))


_DEFAULT = object()


class Client:
    """A minimal Vault client: JSON in, Response out, no retries."""

    def __init__(self, base_url, token=None, cafile=None, namespace=None, headers=None,
                 timeout=10):
        self.base_url = base_url.rstrip('/')
        self.token = token
        self.cafile = cafile
        self.namespace = namespace
        self.extra = dict(headers or {})
        self.timeout = timeout
        u = urllib.parse.urlsplit(self.base_url)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self._conn = None

    def with_token(self, token):
        return Client(self.base_url, token, self.cafile, self.namespace, self.extra, self.timeout)

    def _connect(self):
        if self.scheme == 'https':
            ctx = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None, headers=None, token=_DEFAULT, raw_body=None,
                keep_alive=False):
        if not path.startswith('/'):
            path = '/' + path
        hs = {'X-Vault-Request': 'true'}
        tok = self.token if token is _DEFAULT else token
        if tok:
            hs['X-Vault-Token'] = tok
        if self.namespace:
            hs['X-Vault-Namespace'] = self.namespace
        hs.update(self.extra)
        if headers:
            hs.update(headers)
        hs = {k: v for k, v in hs.items() if v is not None}
        data = raw_body
        if data is None and body is not None:
            data = json.dumps(body).encode('utf-8')
        conn = self._conn if keep_alive and self._conn is not None else self._connect()
        try:
            conn.request(method, path, body=data, headers=hs)
            r = conn.getresponse()
            out = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            if keep_alive:
                self._conn = conn
            else:
                conn.close()
        return out

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def put(self, path, body=None, **kw):
        return self.request('PUT', path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)

    def list(self, path, **kw):
        return self.request('LIST', path, **kw)

    def login(self, role, jwt, mount='kubernetes'):
        return self.request('PUT', '/v1/auth/%s/login' % mount, {'role': role, 'jwt': jwt}, token=None)

    def kv_get(self, path, mount='secret'):
        return self.get('/v1/%s/data/%s' % (mount, path))

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ------------------------------------------------------------------ TLS

class TlsFiles:
    def __init__(self, ca_cert, ca_key, cert, key):
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.cert = cert
        self.key = key


def _write(path, data, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)


def make_tls(directory, hosts=('127.0.0.1', 'localhost'), name='vaultsim'):
    """Self-signed CA + a server certificate (ECDSA P-256) valid for hosts."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '%s test CA' % name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    os.makedirs(directory, exist_ok=True)
    pem = serialization.Encoding.PEM
    files = TlsFiles(os.path.join(directory, 'ca.crt'), os.path.join(directory, 'ca.key'),
                     os.path.join(directory, 'tls.crt'), os.path.join(directory, 'tls.key'))
    _write(files.ca_cert, ca.public_bytes(pem), 0o644)
    _write(files.ca_key, ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    _write(files.cert, cert.public_bytes(pem), 0o644)
    _write(files.key, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    return files


# ------------------------------------------------------------------ JWTs

def _b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


class JwtMinter:
    """Signs service-account JWTs shaped like the kubelet's projected tokens."""

    CURVES = {'ES256': (ec.SECP256R1, hashes.SHA256, 32), 'ES384': (ec.SECP384R1, hashes.SHA384, 48),
              'ES512': (ec.SECP521R1, hashes.SHA512, 66)}

    def __init__(self, alg='RS256', issuer=DEFAULT_ISSUER, kid=None, key=None):
        self.alg = alg
        self.issuer = issuer
        if key is not None:
            self.key = key
        elif alg.startswith('ES'):
            self.key = ec.generate_private_key(self.CURVES[alg][0]())
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key()
        self.public_pem = pub.public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        der = pub.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        import hashlib
        self.kid = kid if kid is not None else _b64(hashlib.sha256(der).digest())

    def sign(self, header, claims, alg=None):
        alg = alg or self.alg
        h = dict(header)
        h.setdefault('alg', alg)
        signing_input = (_b64(json.dumps(h, separators=(',', ':')).encode()) + '.' +
                         _b64(json.dumps(claims, separators=(',', ':')).encode()))
        data = signing_input.encode('ascii')
        if alg.startswith('ES'):
            _curve, hcls, size = self.CURVES[alg]
            der = self.key.sign(data, ec.ECDSA(hcls()))
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(size, 'big') + s.to_bytes(size, 'big')
        else:
            hcls = {'256': hashes.SHA256, '384': hashes.SHA384, '512': hashes.SHA512}[alg[2:]]
            pad = padding.PKCS1v15() if alg.startswith('RS') else \
                padding.PSS(mgf=padding.MGF1(hcls()), salt_length=hcls().digest_size)
            sig = self.key.sign(data, pad, hcls())
        return signing_input + '.' + _b64(sig)

    def claims(self, namespace, sa, *, aud=None, ttl=3600, now=None, pod=None, pod_uid=None,
               sa_uid=None, node=None, legacy=False, secret_name=None):
        now = int(now if now is not None else time.time())
        if legacy:
            return {
                'iss': 'kubernetes/serviceaccount',
                'kubernetes.io/serviceaccount/namespace': namespace,
                'kubernetes.io/serviceaccount/secret.name': secret_name or (sa + '-token-abcde'),
                'kubernetes.io/serviceaccount/service-account.name': sa,
                'kubernetes.io/serviceaccount/service-account.uid': sa_uid or _stable_uid(namespace, sa),
                'sub': 'system:serviceaccount:%s:%s' % (namespace, sa),
            }
        k8s = {'namespace': namespace,
               'pod': {'name': pod or (sa + '-7d9f8b6c5d-x2x7q'),
                       'uid': pod_uid or str(uuid.uuid4())},
               'serviceaccount': {'name': sa, 'uid': sa_uid or _stable_uid(namespace, sa)}}
        if node is not None:
            k8s['node'] = {'name': node, 'uid': str(uuid.uuid4())}
        return {
            'aud': list(aud) if aud is not None else [self.issuer],
            'exp': now + ttl, 'iat': now, 'iss': self.issuer,
            'jti': str(uuid.uuid4()), 'kubernetes.io': k8s, 'nbf': now,
            'sub': 'system:serviceaccount:%s:%s' % (namespace, sa),
        }

    def mint(self, namespace='litellm', sa='litellm', *, extra=None, remove=(), header=None,
             alg=None, **kw):
        """A signed JWT. extra overrides/adds claims, remove drops them."""
        c = self.claims(namespace, sa, **kw)
        if extra:
            c.update(extra)
        for k in remove:
            c.pop(k, None)
        h = {'alg': alg or self.alg, 'kid': self.kid}
        if header:
            h.update(header)
        return self.sign(h, c, alg=alg)


def _stable_uid(namespace, sa):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'sa:%s:%s' % (namespace, sa)))


# ------------------------------------------------------------------ process

class Sim:
    def __init__(self, proc, addr, tls, root_token, tmpdir, ca_file, minter, stderr_path, cmd=None,
                 timeout=10):
        self.proc = proc
        self.addr = addr
        self.url = ('https://' if tls else 'http://') + addr
        self.root_token = root_token
        self.tmpdir = tmpdir
        self.ca_file = ca_file
        self.minter = minter
        self.stderr_path = stderr_path
        self.cmd = cmd
        self.timeout = timeout

    def kill(self):
        """Stop the process (SIGKILL) but keep its files: Vault is down,
        connections are refused until restart()."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self):
        """Start a fresh simulator on the same address (like restarting a
        dev-mode Vault: all state is lost; configure it again)."""
        self.kill()
        cmd = list(self.cmd)
        cmd[cmd.index('--listen') + 1] = self.addr
        self.proc, addr = _spawn(cmd, self.tmpdir, self.stderr_path, self.timeout)
        if addr != self.addr:
            raise RuntimeError('restarted on %s, not %s' % (addr, self.addr))

    def client(self, token=_DEFAULT, namespace=None):
        return Client(self.url, self.root_token if token is _DEFAULT else token,
                      cafile=self.ca_file, namespace=namespace)

    def control(self, method, path, body=None):
        c = Client(self.url, None, cafile=self.ca_file)
        r = c.request(method, path, body)
        if r.status != 200:
            raise RuntimeError('control %s %s -> %d %s' % (method, path, r.status, r.text))
        return r.json()

    def requests(self):
        return self.control('GET', '/_sim/requests')['requests']

    def clear_requests(self):
        self.control('DELETE', '/_sim/requests')

    def stderr(self):
        try:
            with open(self.stderr_path, encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.tmpdir and os.path.isdir(self.tmpdir):
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_sim(*, tls=False, root_token='root', args=(), minter=None, pod_sa=True,
              log_requests=False, timeout=10, port=0):
    tmpdir = tempfile.mkdtemp(prefix='vaultsim-')
    ready = os.path.join(tmpdir, 'ready')
    cmd = [PYTHON, '-B', VAULTSIM, '--listen', '127.0.0.1:%d' % port, '--ready-file', ready,
           '--dev-root-token-id', root_token]
    ca_file = None
    tlsf = make_tls(os.path.join(tmpdir, 'tls'))
    if tls:
        cmd += ['--tls-cert', tlsf.cert, '--tls-key', tlsf.key]
        ca_file = tlsf.ca_cert
    if minter is not None:
        kf = os.path.join(tmpdir, 'sa.pub')
        _write(kf, minter.public_pem.encode(), 0o644)
        cmd += ['--k8s-sa-public-key', kf, '--k8s-issuer', minter.issuer]
    if pod_sa:
        pod = os.path.join(tmpdir, 'pod-sa')
        os.makedirs(pod)
        shutil.copy(tlsf.ca_cert, os.path.join(pod, 'ca.crt'))
        if minter is not None:
            tok = minter.mint('litellm', 'vault', ttl=365 * 86400)
            _write(os.path.join(pod, 'token'), tok.encode())
        cmd += ['--pod-sa-dir', pod]
    if log_requests:
        cmd.append('--log-requests')
    cmd += list(args)
    err_path = os.path.join(tmpdir, 'stderr')
    try:
        proc, addr = _spawn(cmd, tmpdir, err_path, timeout)
    except RuntimeError:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    return Sim(proc, addr, tls, root_token, tmpdir, ca_file, minter, err_path, cmd, timeout)


def _spawn(cmd, tmpdir, err_path, timeout):
    ready = cmd[cmd.index('--ready-file') + 1]
    if os.path.exists(ready):
        os.unlink(ready)
    errf = open(err_path, 'ab')
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                            close_fds=True)
    errf.close()
    deadline = time.time() + timeout
    addr = None
    while time.time() < deadline:
        if os.path.exists(ready):
            with open(ready, encoding='utf-8') as f:
                addr = f.read().strip()
            if addr:
                break
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    if not addr:
        proc.kill()
        proc.wait()
        with open(err_path, encoding='utf-8', errors='replace') as f:
            msg = f.read()
        raise RuntimeError('vaultsim did not start: %s' % msg.strip()[-2000:])
    return proc, addr


# ------------------------------------------------------------------ seed

LITELLM_SECRETS = {
    'master_key': 'sk-master-' + 'x' * 30,
    'openrouter_api_key': 'sk-or-v1-' + 'y' * 32,
    'db_password': 'z' * 40,
}


def seed_litellm(client, *, secrets=None, kubernetes_host='https://10.96.0.1:443', pem_keys=None,
                 audience=None, ttl='24h', enable_kv=None, mount='kubernetes'):
    """Replay the seed's vault/init-vault-secrets.sh as the vault CLI sends it.

    1. vault secrets enable -path=secret kv-v2   (skipped when secret/ is
       already KV v2 - dev mode mounts it; enable_kv=True forces the call)
    2. vault kv put secret/litellm/secrets master_key=... openrouter_api_key=... db_password=...
    3. vault policy write litellm-policy  (read on secret/data/litellm/*)
    4. vault auth enable kubernetes
    5. vault write auth/kubernetes/config kubernetes_host=... [pem_keys=...]
    6. vault write auth/kubernetes/role/litellm-role bound_service_account_names=litellm
         bound_service_account_namespaces=litellm policies=litellm-policy ttl=24h
    Every call must succeed; returns {step: Response}. Raises on failure."""
    secrets = dict(secrets or LITELLM_SECRETS)
    out = {}

    def ok(name, r, expect=(200, 204)):
        out[name] = r
        if r.status not in expect:
            raise RuntimeError('seed step %s failed: %d %s' % (name, r.status, r.text))
        return r

    if enable_kv is None:
        r = client.get('/v1/sys/mounts')
        have = r.status == 200 and (r.json().get('data') or {}).get('secret/', {})
        enable_kv = not (have and have.get('type') == 'kv' and
                         (have.get('options') or {}).get('version') == '2')
    if enable_kv:
        ok('enable-kv', client.post('/v1/sys/mounts/secret', {
            'type': 'kv-v2', 'description': '', 'config': {
                'default_lease_ttl': '', 'max_lease_ttl': '', 'force_no_cache': False},
            'local': False, 'seal_wrap': False, 'external_entropy_access': False,
            'options': None}))
    ok('mounts-discovery', client.get('/v1/sys/internal/ui/mounts/secret/litellm/secrets'))
    ok('kv-put', client.put('/v1/secret/data/litellm/secrets', {'data': secrets, 'options': {}}))
    ok('policy', client.put('/v1/sys/policies/acl/litellm-policy', {
        'policy': 'path "secret/data/litellm/*" {\n  capabilities = ["read"]\n}\n'}))
    ok('auth-enable', client.post('/v1/sys/auth/' + mount, {
        'type': 'kubernetes', 'description': '', 'config': {}, 'local': False,
        'seal_wrap': False}))
    cfg = {'kubernetes_host': kubernetes_host}
    if pem_keys:
        cfg['pem_keys'] = list(pem_keys)
    ok('auth-config', client.put('/v1/auth/%s/config' % mount, cfg))
    role = {'bound_service_account_names': 'litellm', 'bound_service_account_namespaces': 'litellm',
            'policies': 'litellm-policy', 'ttl': ttl}
    if audience:
        role['audience'] = audience
    ok('role', client.put('/v1/auth/%s/role/litellm-role' % mount, role))
    return out


if __name__ == '__main__':
    sys.stdout.write(__doc__)
