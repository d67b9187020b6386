#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The seed's runbook against the simulator, call by call.

The seed (k8s-litellm-poc) configures Vault with vault/init-vault-secrets.sh
after `helm install vault` in dev mode. Its README says the script: enables
KV v2 at secret/, stores master_key / openrouter_api_key / db_password at
secret/litellm/secrets, writes policy litellm-policy (read access), enables
and configures Kubernetes auth and writes role litellm-role. The requests
below are what the vault CLI sends for those commands (Vault API client,
X-Vault-Request: true, `vault kv put` asks sys/internal/ui/mounts first).

Then a pod's service account (litellm/litellm) logs in with a JWT shaped like
a real projected token, reads the secret the way Vault Agent does (mounts
discovery, then the KV v2 read), renews and revokes its token. Run in dev
mode (secret/ already mounted, as in the Helm dev install) and with an empty
server, over plain HTTP and over TLS. Prints TAP.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # keep the source tree clean

import simlib  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
POLICY_HCL = 'path "secret/data/litellm/*" {\n  capabilities = ["read"]\n}\n'
SECRETS = {
    'openrouter_api_key': 'sk-or-v1-0123456789abcdef0123456789abcdef',
    'db_password': 'Qw3rTy-Uiop-Asdf-Ghjk-Lzxc-Vbnm-1234-5678',
    'master_key': 'sk-LiteLLM-master-key-for-the-seed-demo-0000',
}


def runbook(sim, label, dev_mode):
    c = sim.client()   # VAULT_TOKEN=root, X-Vault-Request: true
    # vault secrets enable -path=secret kv-v2
    r = c.post('/v1/sys/mounts/secret', {
        'type': 'kv-v2', 'description': '', 'config': {
            'default_lease_ttl': '0s', 'max_lease_ttl': '0s', 'force_no_cache': False,
            'audit_non_hmac_request_keys': None, 'audit_non_hmac_response_keys': None,
            'listing_visibility': '', 'passthrough_request_headers': None,
            'allowed_response_headers': None},
        'local': False, 'seal_wrap': False, 'external_entropy_access': False, 'options': None})
    if dev_mode:
        T.ok(r.status == 400 and r.json() == {'errors': ['path is already in use at secret/']},
             '%s: enable kv-v2 at secret/ in dev mode -> 400 path is already in use (the script must tolerate it)'
             % label, r.text)
    else:
        T.ok(r.status == 204 and r.body == b'', '%s: enable kv-v2 at secret/ -> 204' % label, r.text)
    # vault kv put secret/litellm/secrets ...
    r = c.get('/v1/sys/internal/ui/mounts/secret/litellm/secrets')
    d = r.json().get('data') or {}
    T.ok(r.status == 200 and d.get('type') == 'kv' and d.get('options') == {'version': '2'} and
         d.get('path') == 'secret/', '%s: kv put: mounts discovery says KV v2 at secret/' % label, r.text)
    r = c.put('/v1/secret/data/litellm/secrets', {'data': SECRETS, 'options': {}})
    T.ok(r.status == 200 and r.json()['data']['version'] == 1, '%s: kv put -> version 1' % label, r.text)
    # vault policy write litellm-policy vault/vault-policy.hcl
    r = c.put('/v1/sys/policies/acl/litellm-policy', {'policy': POLICY_HCL})
    T.eq(r.status, 204, '%s: policy write -> 204' % label)
    # vault auth enable kubernetes
    r = c.post('/v1/sys/auth/kubernetes', {'type': 'kubernetes', 'description': '', 'config': {
        'default_lease_ttl': '', 'max_lease_ttl': '', 'force_no_cache': False}, 'local': False,
        'seal_wrap': False, 'external_entropy_access': False, 'options': None})
    T.eq(r.status, 204, '%s: auth enable kubernetes -> 204' % label)
    # vault write auth/kubernetes/config kubernetes_host=https://$KUBERNETES_PORT_443_TCP_ADDR:443
    r = c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443'})
    T.eq(r.status, 204, '%s: kubernetes config (inside the Vault pod) -> 204' % label)
    # vault write auth/kubernetes/role/litellm-role ... policies=litellm-policy ttl=24h
    r = c.put('/v1/auth/kubernetes/role/litellm-role', {
        'bound_service_account_names': 'litellm', 'bound_service_account_namespaces': 'litellm',
        'policies': 'litellm-policy', 'ttl': '24h'})
    T.ok(r.status == 200 and r.json()['warnings'] == [
        'Role litellm-role does not have an audience configured. While audiences are not required, consider '
        'specifying one if your use case would benefit from additional JWT claim verification.'],
        '%s: role write -> 200 with the missing-audience warning' % label, r.text)
    # README "Verify": vault read auth/kubernetes/role/litellm-role, policy read, kv get
    r = c.get('/v1/auth/kubernetes/role/litellm-role')
    d = r.json().get('data') or {}
    T.ok(r.status == 200 and d['token_policies'] == ['litellm-policy'] and d['token_ttl'] == 86400 and
         d['policies'] == ['litellm-policy'] and d['ttl'] == 86400, '%s: role reads back' % label, r.text)
    r = c.get('/v1/sys/policies/acl/litellm-policy')
    T.ok(r.status == 200 and r.json()['data']['policy'] == POLICY_HCL, '%s: policy reads back' % label)
    r = c.get('/v1/secret/data/litellm/secrets')
    T.ok(r.status == 200 and r.json()['data']['data'] == SECRETS, '%s: kv get' % label)


def pod_flow(sim, minter, label):
    jwt = minter.mint('litellm', 'litellm', pod='litellm-5f7c9d8b7-abcde', ttl=3607)
    header = simlib.base64.urlsafe_b64decode(jwt.split('.')[0] + '==')
    T.ok(b'"kid"' in header and b'"alg":"%s"' % minter.alg.encode() in header,
         '%s: the JWT has alg and kid headers like a projected token' % label)
    nt = sim.client(None)
    sim.clear_requests()
    # Vault Agent auto-auth: PUT auth/kubernetes/login
    r = nt.put('/v1/auth/kubernetes/login', {'role': 'litellm-role', 'jwt': jwt})
    a = r.json().get('auth') or {}
    T.ok(r.status == 200 and a.get('policies') == ['default', 'litellm-policy'] and
         a.get('token_policies') == ['default', 'litellm-policy'] and a.get('lease_duration') == 86400 and
         a.get('renewable') is True and a.get('token_type') == 'service' and a.get('orphan') is True and
         a.get('client_token', '').startswith('hvs.') and r.json()['mount_type'] == '',
         '%s: login -> 200, policies, 24h lease, renewable service token' % label, r.text[:400])
    T.eq(a.get('metadata'), {'role': 'litellm-role', 'service_account_name': 'litellm',
                             'service_account_namespace': 'litellm', 'service_account_secret_name': '',
                             'service_account_uid': simlib._stable_uid('litellm', 'litellm')},
         '%s: login metadata' % label)
    tok = a.get('client_token', '')
    u = sim.client(tok)
    # Vault Agent templating: mounts discovery then the KV v2 read
    r = u.get('/v1/sys/internal/ui/mounts/secret/data/litellm/secrets')
    T.ok(r.status == 200 and r.json()['data']['options'] == {'version': '2'},
         '%s: agent mounts discovery with the client token' % label, r.text[:200])
    r = u.get('/v1/secret/data/litellm/secrets')
    T.ok(r.status == 200 and r.json()['data']['data'] == SECRETS and r.json()['lease_duration'] == 0 and
         r.json()['renewable'] is False, '%s: agent reads secret/data/litellm/secrets' % label, r.text[:200])
    T.body(u.get('/v1/secret/data/litellm'), 403, '{"errors":["1 error occurred:\\n\\t* permission denied\\n\\n"]}\n',
           '%s: litellm-policy does not cover secret/data/litellm itself' % label)
    # lifetime watcher: renew-self with increment 0, right away
    r = u.put('/v1/auth/token/renew-self', {'increment': 0})
    T.ok(r.status == 200 and r.json()['auth']['lease_duration'] == 86400 and r.json()['auth']['client_token'] == tok
         and r.json()['mount_type'] == 'token', '%s: renew-self -> 86400' % label, r.text[:300])
    r = u.get('/v1/auth/token/lookup-self')
    T.ok(r.status == 200 and r.json()['data']['display_name'] == 'kubernetes-litellm-litellm' and
         r.json()['data']['path'] == 'auth/kubernetes/login' and 'last_renewal' in r.json()['data'],
         '%s: lookup-self after renewal' % label, r.text[:300])
    # preStop hook: vault token revoke -self
    r = u.put('/v1/auth/token/revoke-self')
    T.eq((r.status, r.body), (204, b''), '%s: revoke-self -> 204' % label)
    T.body(u.get('/v1/secret/data/litellm/secrets'), 403,
           '{"errors":["2 errors occurred:\\n\\t* permission denied\\n\\t* invalid token\\n\\n"]}\n',
           '%s: the revoked token is an invalid token' % label)
    seq = [(e['method'], e['path'], e['status']) for e in sim.requests()]
    T.eq(seq, [('PUT', '/v1/auth/kubernetes/login', 200),
               ('GET', '/v1/sys/internal/ui/mounts/secret/data/litellm/secrets', 200),
               ('GET', '/v1/secret/data/litellm/secrets', 200), ('GET', '/v1/secret/data/litellm', 403),
               ('PUT', '/v1/auth/token/renew-self', 200), ('GET', '/v1/auth/token/lookup-self', 200),
               ('PUT', '/v1/auth/token/revoke-self', 204), ('GET', '/v1/secret/data/litellm/secrets', 403)],
         '%s: the request log shows the call sequence' % label)
    T.ok(all(e['token_sha'] in ('', simlib.token_hash(tok)) for e in sim.requests()),
         '%s: log entries carry only the hash of the token' % label)
    # the same JWT shape from another namespace is refused
    r = nt.put('/v1/auth/kubernetes/login', {'role': 'litellm-role', 'jwt': minter.mint('default', 'litellm')})
    T.body(r, 403, '{"errors":["namespace not authorized"]}\n', '%s: SA litellm in namespace default refused' % label)


def main():
    for tls in (False, True):
        for dev_mode, alg in ((True, 'RS256'), (False, 'ES256')):
            label = '%s %s %s' % ('tls' if tls else 'http', 'dev' if dev_mode else 'empty', alg)
            minter = simlib.JwtMinter(alg)
            args = [] if dev_mode else ['--dev-secret-mount', 'none']
            with simlib.start_sim(tls=tls, minter=minter, args=args) as sim:
                T.section(label + ' runbook', runbook, sim, label, dev_mode)
                T.section(label + ' pod', pod_flow, sim, minter, label)
    # the library helper replays the same runbook
    m = simlib.JwtMinter('RS256')
    with simlib.start_sim(minter=m) as sim:
        steps = simlib.seed_litellm(sim.client())
        T.eq(list(steps), ['mounts-discovery', 'kv-put', 'policy', 'auth-enable', 'auth-config', 'role'],
             'simlib.seed_litellm: the runbook steps (kv-v2 already mounted in dev mode)')
        r = sim.client(None).login('litellm-role', m.mint())
        T.eq(r.status, 200, 'simlib.seed_litellm: the pod can log in')
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
