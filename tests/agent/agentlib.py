# SPDX-License-Identifier: MIT
"""Helpers for the vaultlet-agent integration tests.

Everything here is real: a throwaway CA and server certificate (python3-
cryptography), the Vault simulator started like Vault's dev mode
(tests/vaultsim/vaultsim.py --dev-root-token-id --listen --ready-file
--tls-cert --tls-key), configured through Vault's HTTP API the way the
seed's init-vault-secrets.sh configures a real Vault, service-account JWTs
shaped like projected tokens and signed with a key whose public half is the
auth method's pem_keys, and the real vaultlet-agent binary.

Always run with /usr/bin/python3 (it has python3-cryptography).
"""

import base64
import datetime
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

SRC = os.environ.get('VAULTLET_SOURCE_ROOT',
                     os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
BUILD = os.environ.get('VAULTLET_BUILD_ROOT', os.path.join(SRC, 'build'))
AGENT = os.environ.get('VAULTLET_AGENT_BIN') or os.path.join(BUILD, 'agent', 'vaultlet-agent')
VAULTSIM = os.path.join(SRC, 'tests', 'vaultsim', 'vaultsim.py')
PY = '/usr/bin/python3'
ROOT_TOKEN = 'root'

# The LiteLLM runbook's secret. Long, distinctive values so the log grep cannot miss
# them, and plainly fake (they are printed in TAP diagnostics when a check fails).
LITELLM_SECRET = {
    'master_key': 'sk-FAKE-vaultlet-test-master-5d3f0a9c7e1b42f8',
    'openrouter_api_key': 'sk-or-v1-FAKE-vaultlet-test-8e7d6c5b4a392817',
    'db_password': 'pw-FAKE-vaultlet-test-Qz7Lm2Rt9Xv4',
}

# The two templates of examples/litellm-pod.yaml, byte for byte (YAML `|`: one final \n).
APP_CREDENTIALS_TMPL = (
    '#!/bin/sh\n'
    '{{- with secret "secret/data/litellm/secrets" }}\n'
    'export PROXY_MASTER_KEY="{{ .Data.data.master_key }}"\n'
    'export OPENROUTER_API_KEY="{{ .Data.data.openrouter_api_key }}"\n'
    'export DATABASE_URL="postgresql://llmproxy:{{ .Data.data.db_password }}@host.docker.internal:5432/litellm"\n'
    '{{- end }}\n')
CONFIG_YAML_TMPL = (
    'general_settings:\n'
    '  master_key: {{ with secret "secret/data/litellm/secrets" }}{{ .Data.data.master_key | toJSON }}{{ end }}\n'
    'model_list:\n'
    '  - model_name: openai-gpt-4\n'
    '    litellm_params:\n'
    '      model: openrouter/openai/gpt-4\n'
    '      api_base: https://openrouter.ai/api/v1\n'
    '{{- with secret "secret/data/litellm/secrets" }}\n'
    '      api_key: {{ .Data.data.openrouter_api_key | toJSON }}\n'
    '{{- end }}\n')


def expected_app_credentials(s):
    return ('#!/bin/sh\n'
            'export PROXY_MASTER_KEY="%s"\n'
            'export OPENROUTER_API_KEY="%s"\n'
            'export DATABASE_URL="postgresql://llmproxy:%s@host.docker.internal:5432/litellm"\n'
            % (s['master_key'], s['openrouter_api_key'], s['db_password']))


def expected_config_yaml(s):
    return ('general_settings:\n'
            '  master_key: %s\n'
            'model_list:\n'
            '  - model_name: openai-gpt-4\n'
            '    litellm_params:\n'
            '      model: openrouter/openai/gpt-4\n'
            '      api_base: https://openrouter.ai/api/v1\n'
            '      api_key: %s\n'
            % (json.dumps(s['master_key']), json.dumps(s['openrouter_api_key'])))


class TAP:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print('ok %d - %s' % (self.n, name), flush=True)
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, name), flush=True)
            if diag:
                for line in str(diag).splitlines()[:40]:
                    print('# ' + line, flush=True)
        return cond

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why), flush=True)

    def done(self):
        print('1..%d' % self.n, flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- TLS and JWTs

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(d):
    """A CA and a server certificate for 127.0.0.1/localhost/vault.test; returns paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name('vaultlet test CA'))
          .issuer_name(_name('vaultlet test CA')).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(_name('vault'))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName('localhost'), x509.DNSName('vault.test'),
                x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {'ca': os.path.join(d, 'ca.crt'), 'cert': os.path.join(d, 'tls.crt'),
             'key': os.path.join(d, 'tls.key')}
    with open(paths['ca'], 'wb') as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths['cert'], 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths['key'], 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


class JWTSigner:
    """ES256 signer for projected service-account tokens."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())

    def public_pem(self):
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def mint(self, sa='litellm', ns='litellm', ttl=3600, aud=None):
        now = int(time.time())
        claims = {
            'aud': aud or ['https://kubernetes.default.svc.cluster.local'],
            'exp': now + ttl, 'iat': now, 'nbf': now,
            'iss': 'https://kubernetes.default.svc.cluster.local',
            'jti': str(uuid.uuid4()),
            'kubernetes.io': {
                'namespace': ns,
                'pod': {'name': 'litellm-6d8f7c9b5-x2k4p', 'uid': str(uuid.uuid4())},
                'serviceaccount': {'name': sa, 'uid': str(uuid.uuid4())},
            },
            'sub': 'system:serviceaccount:%s:%s' % (ns, sa),
        }
        head = b64url(json.dumps({'alg': 'ES256', 'kid': 'test', 'typ': 'JWT'}).encode())
        body = b64url(json.dumps(claims).encode())
        der = self.key.sign(('%s.%s' % (head, body)).encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = r.to_bytes(32, 'big') + s.to_bytes(32, 'big')
        return '%s.%s.%s' % (head, body, b64url(sig))


# ---------------------------------------------------------------- the simulator

class Sim:
    """The Vault simulator as a subprocess, talked to over real TLS."""

    def __init__(self, workdir, pki, signer, extra_args=(), port=0):
        self.dir = workdir
        self.pki = pki
        self.ready = os.path.join(workdir, 'sim.ready.%d' % time.monotonic_ns())
        self.log = open(os.path.join(workdir, 'sim.log'), 'ab')
        keyfile = os.path.join(workdir, 'sa-signing-%d.pub' % id(signer))
        with open(keyfile, 'w') as f:
            f.write(signer.public_pem())
        # The TokenReview oracle trusts the same key the kubernetes auth
        # method gets as pem_keys: a JWT is accepted only if both agree.
        self.args = [PY, VAULTSIM, '--dev-root-token-id', ROOT_TOKEN,
                     '--listen', '127.0.0.1:%d' % port, '--ready-file', self.ready,
                     '--tls-cert', pki['cert'], '--tls-key', pki['key'],
                     '--k8s-sa-public-key', keyfile] + list(extra_args)
        self.proc = None
        self.addr = None
        self.ctx = ssl.create_default_context(cafile=pki['ca'])

    def start(self, timeout=20):
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.ready):
                with open(self.ready) as f:
                    text = f.read().strip()
                if text:
                    self.addr = text if '://' in text else 'https://' + text
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError('vaultsim exited with %d' % self.proc.returncode)
            time.sleep(0.05)
        raise RuntimeError('vaultsim did not become ready')

    def port(self):
        return int(self.addr.rsplit(':', 1)[1].split('/')[0])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def api(self, method, path, body=None, token=ROOT_TOKEN, ok=(200, 204)):
        """A Vault API call; returns (status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.addr + '/v1/' + path, data=data, method=method)
        req.add_header('X-Vault-Request', 'true')  # as the Vault CLI always sends it
        if token:
            req.add_header('X-Vault-Token', token)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        doc = json.loads(text) if text.strip() else None
        if ok is not None and status not in ok:
            raise RuntimeError('%s %s: %d %s' % (method, path, status, text[:300]))
        return status, doc

    def requests(self):
        return self.control('requests', method='GET')['requests']

    def clear_requests(self):
        self.control('requests', method='DELETE')

    def control(self, path, body=None, method='POST'):
        """The simulator's private /_sim/ endpoints (fault injection, request log)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.addr + '/_sim/' + path, data=data, method=method)
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def seed_litellm(self, signer, secret=None, role_extra=None, policy=None):
        """The seed's init-vault-secrets.sh, as Vault API calls."""
        self.api('POST', 'sys/mounts/secret', {'type': 'kv', 'options': {'version': '2'}},
                 ok=(200, 204, 400))  # dev mode may already have secret/
        self.api('POST', 'secret/data/litellm/secrets', {'data': secret or LITELLM_SECRET})
        self.api('PUT', 'sys/policies/acl/litellm-policy', {
            'policy': policy or 'path "secret/data/litellm/*" {\n  capabilities = ["read"]\n}\n'})
        self.api('POST', 'sys/auth/kubernetes', {'type': 'kubernetes'}, ok=(200, 204, 400))
        self.api('POST', 'auth/kubernetes/config', {
            'kubernetes_host': 'https://kubernetes.default.svc',
            'pem_keys': [signer.public_pem()], 'disable_local_ca_jwt': True})
        role = {'bound_service_account_names': ['litellm'],
                'bound_service_account_namespaces': ['litellm'],
                'token_policies': ['litellm-policy'], 'token_ttl': '24h'}
        role.update(role_extra or {})
        self.api('POST', 'auth/kubernetes/role/litellm-role', role)


# ---------------------------------------------------------------- the agent

def agent_config(addr, ca, jwt_path, home, secrets_dir, init=True, templates=None,
                 extra=None, method_extra=None, template_config=None):
    cfg = {
        'auto_auth': {
            'method': {
                'type': 'kubernetes', 'mount_path': 'auth/kubernetes',
                'config': {'role': 'litellm-role', 'token_path': jwt_path},
            },
            'sink': [{'type': 'file', 'config': {'path': os.path.join(home, '.vault-token')}}],
        },
        'exit_after_auth': init,
        'pid_file': os.path.join(home, '.pid'),
        'vault': {'address': addr, 'ca_cert': ca},
        'template': templates if templates is not None else [
            {'destination': os.path.join(secrets_dir, 'app-credentials.sh'),
             'contents': APP_CREDENTIALS_TMPL, 'left_delimiter': '{{', 'right_delimiter': '}}'},
            {'destination': os.path.join(secrets_dir, 'config.yaml'),
             'contents': CONFIG_YAML_TMPL, 'left_delimiter': '{{', 'right_delimiter': '}}'},
        ],
        'template_config': {'exit_on_retry_failure': True},
    }
    cfg['auto_auth']['method'].update(method_extra or {})
    cfg['template_config'].update(template_config or {})
    cfg.update(extra or {})
    return cfg


def vault_config_env(cfg):
    return base64.b64encode(json.dumps(cfg, separators=(',', ':')).encode()).decode()


class Agent:
    """vaultlet-agent as a subprocess with VAULT_CONFIG in its environment."""

    def __init__(self, cfg, logpath, env_extra=None, wrapper=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('VAULT_') and k != 'HTTPS_PROXY'}
        env.update({'VAULT_CONFIG': vault_config_env(cfg), 'NAMESPACE': 'litellm',
                    'HOSTNAME': 'litellm-6d8f7c9b5-x2k4p', 'VAULT_LOG_LEVEL': 'debug'})
        env.update(env_extra or {})
        self.logpath = logpath
        self.log = open(logpath, 'ab')
        argv = (wrapper or []) + [AGENT]
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def text(self):
        with open(self.logpath, 'rb') as f:
            return f.read().decode(errors='replace')


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode()
    except FileNotFoundError:
        return None


def workdir():
    return tempfile.mkdtemp(prefix='vaultlet-agent-it.')


def rmtree(d):
    shutil.rmtree(d, ignore_errors=True)
