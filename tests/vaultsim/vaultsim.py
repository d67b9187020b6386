#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultsim - a HashiCorp Vault server simulator for vaultlet's tests.

Starts like `vault server -dev`: an in-memory, unsealed, initialised Vault
with a root token, KV v2 at secret/, and Vault's HTTP API (the subset in
docs/vaultsim.md), configured through that API the way a runbook
configures a real Vault. Faults are injected through /_sim/ (see
docs/vaultsim.md). It never prints a token, a JWT or a secret value.

Run with /usr/bin/python3 (Debian's python3-cryptography is needed).
"""

import argparse
import os
import signal
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import core as core_mod  # noqa: E402
import server as server_mod  # noqa: E402
from gojson import parse_duration_second, DurationError  # noqa: E402

EPILOG = """
Behaviour variants (the [UNSURE] points of the reference spec; every test
that depends on one should run against each value):

  --token-error-style multierror  Vault >= 1.16: an unknown, expired or revoked
                                  token gets 403 {"errors":["2 errors occurred:\\n\\t*
                                  permission denied\\n\\t* invalid token\\n\\n"]}; an
                                  ACL denial "1 error occurred:\\n\\t* permission denied\\n\\n".
                      mixed       Vault 1.12-1.15: bad token -> "permission denied",
                                  ACL denial -> "1 error occurred: ...".
                      plain       Vault < 1.12: both "permission denied".
  --namespace-mode ce             Vault CE: X-Vault-Namespace is echoed and ignored.
                   ce-reject      a CE build refusing non-root namespaces: 403
                                  "namespaces feature not enabled".
                   enterprise     one child namespace (--enterprise-namespace, default
                                  ns1) next to root; requests address it with the
                                  header or a path prefix; tokens issued there carry
                                  a ".<nsid>" suffix; sys/health with a namespace
                                  header answers 404 "unsupported path".
  --legacy-login-status none      current plugin: claim / name / namespace failures 403.
                        claims    plugin < 0.15: iss/aud/exp/nbf/iat failures 500.
                        all       plugin < PR #144 (Vault < 1.11): also SA name and
                                  namespace failures 500.
  --mount-type-field present|absent
                                  Vault >= 1.1x sends "mount_type"; older servers don't.
  --login-mount-type VALUE        mount_type on logins and other unauthenticated
                                  paths (default "", observed on 1.1x).
  --unsupported-operation-style multierror|plain
                                  405 body "1 error occurred:\\n\\t* unsupported
                                  operation\\n\\n" (source) or "unsupported operation".
  --body-too-large-text TEXT      413 body text for a body over --max-request-size
                                  (source: "error parsing JSON"; spec: "error reading data").
  --mount-ttl-style zero|effective
                                  config.default_lease_ttl / max_lease_ttl of a mount
                                  without tuning in mount listings and
                                  sys/internal/ui/mounts: 0 (spec sample) or the
                                  system values (newer mountInfo without the legacy
                                  TTL format).
  --require-request-header        answer 412 {"errors":["missing \\"X-Vault-Request\\"
                                  header"]} without "X-Vault-Request: true" (Vault
                                  Agent/Proxy listener behaviour).
"""


def _seconds(s):
    try:
        return int(parse_duration_second(s) // 1_000_000_000)
    except DurationError as e:
        raise argparse.ArgumentTypeError(str(e))


def build_parser():
    p = argparse.ArgumentParser(
        prog='vaultsim.py', description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    p.add_argument('--dev-root-token-id', default='root', metavar='TOKEN',
                   help='root token id (default "root", like vault -dev-root-token-id)')
    p.add_argument('--listen', default='127.0.0.1:8200', metavar='HOST:PORT',
                   help='listen address; port 0 picks a free port (default 127.0.0.1:8200)')
    p.add_argument('--ready-file', metavar='FILE',
                   help='write the bound "host:port" here once listening')
    p.add_argument('--tls-cert', metavar='FILE', help='serve HTTPS with this certificate (PEM)')
    p.add_argument('--tls-key', metavar='FILE', help='private key for --tls-cert (PEM)')
    p.add_argument('--dev-secret-mount', choices=('kv-v2', 'kv-v1', 'none'), default='kv-v2',
                   help='what dev mode mounts at secret/ (default kv-v2, like vault -dev)')
    p.add_argument('--vault-version', default=core_mod.Options.vault_version,
                   help='version reported by sys/health (default %(default)s)')
    p.add_argument('--default-lease-ttl', type=_seconds, default='768h',
                   help='system default lease/token TTL (default 768h)')
    p.add_argument('--max-lease-ttl', type=_seconds, default='768h',
                   help='system max lease/token TTL (default 768h)')
    p.add_argument('--max-request-size', type=int, default=32 * 1024 * 1024,
                   help='request body limit in bytes (default 33554432)')
    p.add_argument('--token-format', choices=('hvs', 'legacy'), default='hvs',
                   help='hvs.* / hvb.* tokens (Vault >= 1.10) or s.* / b.* (older)')
    p.add_argument('--tokenreview', choices=('oracle', 'http'), default='oracle',
                   help='answer TokenReviews with the built-in oracle (default) or POST them '
                        'to kubernetes_host over HTTPS')
    p.add_argument('--k8s-sa-public-key', action='append', default=[], metavar='PEM_FILE',
                   help='service-account signing key the TokenReview oracle trusts (repeatable)')
    p.add_argument('--k8s-issuer', default=core_mod.Options.k8s_issuer,
                   help='issuer of projected tokens for the oracle (default %(default)s)')
    p.add_argument('--k8s-api-audience', action='append', default=[], metavar='AUD',
                   help='API server audiences for the oracle (default: the issuer)')
    p.add_argument('--pod-sa-dir', metavar='DIR',
                   help="simulate Vault running in a pod: DIR/token and DIR/ca.crt stand for "
                        "/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}")
    p.add_argument('--token-error-style', choices=('multierror', 'mixed', 'plain'),
                   default='multierror')
    p.add_argument('--namespace-mode', choices=('ce', 'ce-reject', 'enterprise'), default='ce')
    p.add_argument('--enterprise-namespace', default='ns1')
    p.add_argument('--legacy-login-status', choices=('none', 'claims', 'all'), default='none')
    p.add_argument('--mount-type-field', choices=('present', 'absent'), default='present')
    p.add_argument('--login-mount-type', default='')
    p.add_argument('--unsupported-operation-style', choices=('multierror', 'plain'),
                   default='multierror')
    p.add_argument('--body-too-large-text', default='error parsing JSON')
    p.add_argument('--mount-ttl-style', choices=('zero', 'effective'), default='zero')
    p.add_argument('--require-request-header', action='store_true')
    p.add_argument('--log-requests', action='store_true',
                   help='log one line per request to stderr (method, path without query, status)')
    return p


def options_from(args):
    o = core_mod.Options()
    o.token_error_style = args.token_error_style
    o.namespace_mode = args.namespace_mode
    o.enterprise_namespace = args.enterprise_namespace.strip('/')
    o.legacy_login_status = args.legacy_login_status
    o.mount_type_field = args.mount_type_field
    o.login_mount_type = args.login_mount_type
    o.require_request_header = args.require_request_header
    o.unsupported_operation_style = args.unsupported_operation_style
    o.body_too_large_text = args.body_too_large_text
    o.mount_ttl_style = args.mount_ttl_style
    o.vault_version = args.vault_version
    o.token_format = args.token_format
    o.tokenreview = args.tokenreview
    o.pod_sa_dir = args.pod_sa_dir
    o.default_lease_ttl = args.default_lease_ttl
    o.max_lease_ttl = args.max_lease_ttl
    o.max_request_size = args.max_request_size
    o.dev_secret_mount = args.dev_secret_mount
    o.k8s_issuer = args.k8s_issuer
    o.k8s_api_audiences = args.k8s_api_audience or None
    return o


def main(argv=None):
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.stderr.write('vaultsim: --tls-cert and --tls-key go together\n')
        return 2
    host, _sep, port = args.listen.rpartition(':')
    host = host.strip('[]') or '127.0.0.1'
    try:
        port = int(port)
    except ValueError:
        sys.stderr.write('vaultsim: bad --listen %r\n' % args.listen)
        return 2
    opts = options_from(args)
    core = core_mod.Core(opts, args.dev_root_token_id)
    core.log = (lambda m: sys.stderr.write('vaultsim: %s\n' % m)) if args.log_requests else None
    for f in args.k8s_sa_public_key:
        with open(f, encoding='utf-8') as fh:
            core.k8s_oracle.add_key(fh.read())
    tls_ctx = server_mod.make_tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    state = server_mod.State(core, log_requests=args.log_requests)
    srv = server_mod.Server((host, port), state, tls_ctx, family)
    bound = srv.server_address
    addr = '%s:%d' % (('[%s]' % bound[0]) if family == socket.AF_INET6 else bound[0], bound[1])
    if args.ready_file:
        tmp = args.ready_file + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(addr + '\n')
        os.replace(tmp, args.ready_file)
    sys.stderr.write('vaultsim: listening on %s://%s (dev mode, Vault %s)\n'
                     % ('https' if tls_ctx else 'http', addr, opts.vault_version))
    sys.stderr.flush()

    stop = threading.Event()

    def on_signal(_sig, _frm):
        stop.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
