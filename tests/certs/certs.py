#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-certgen and certs/make-certs.sh, checked with tools that are not
vaultlet: `openssl verify` / `openssl x509`, python3-cryptography, and
GnuTLS (vaultlet-webhook serves the pair; Python's ssl verifies each SAN).

usage: certs.py VAULTLET_CERTGEN VAULTLET_WEBHOOK SOURCE_ROOT
"""
import datetime
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import check, done, tap  # noqa: E402


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, timeout=60, **kw)


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def main():
    certgen, webhook, src = sys.argv[1], sys.argv[2], sys.argv[3]
    tmp = tempfile.mkdtemp(prefix="vaultlet-certs-")
    try:
        out = os.path.join(tmp, "out", "nested")
        p = run(certgen, "-service", "hook", "-namespace", "sys", "-out-dir", out,
                "-dns", "hook.example.org", "-ip", "127.0.0.1", "-ip", "::1", "-days", "30",
                "-print-ca-bundle")
        tap(p.returncode == 0, "certgen makes a CA and a serving pair", p.stderr.decode())
        ca_p, crt_p = os.path.join(out, "ca.crt"), os.path.join(out, "tls.crt")
        key_p, cakey_p = os.path.join(out, "tls.key"), os.path.join(out, "ca.key")

        def files():
            for f, mode in ((ca_p, 0o644), (crt_p, 0o644), (key_p, 0o600), (cakey_p, 0o600)):
                m = stat.S_IMODE(os.stat(f).st_mode)
                if m != mode:
                    return "%s has mode %o, want %o" % (f, m, mode)
            return None
        check("keys are 0600, certificates 0644", files)

        def bundle():
            import base64
            want = base64.b64encode(open(ca_p, "rb").read()).decode()
            return p.stdout.decode().strip() == want or "printed bundle differs"
        check("-print-ca-bundle prints base64(ca.crt)", bundle)

        def openssl_verify():
            v = run("openssl", "verify", "-CAfile", ca_p, "-purpose", "sslserver", crt_p)
            return (v.returncode == 0 and b": OK" in v.stdout) or v.stdout + v.stderr
        check("openssl verify -purpose sslserver accepts tls.crt against ca.crt", openssl_verify)

        def openssl_text():
            t = run("openssl", "x509", "-in", crt_p, "-noout", "-text").stdout.decode()
            need = ["DNS:hook, DNS:hook.sys, DNS:hook.sys.svc, DNS:hook.example.org",
                    "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
                    "ecdsa-with-SHA256", "NIST CURVE: P-256", "TLS Web Server Authentication",
                    "CA:FALSE"]
            missing = [x for x in need if x not in t]
            return not missing or "missing %s" % missing
        check("openssl x509: SANs, P-256, ECDSA-SHA256, serverAuth, CA:FALSE", openssl_text)

        def crypto_checks():
            ca, leaf = load_cert(ca_p), load_cert(crt_p)
            errs = []
            if not isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) or \
                    leaf.public_key().curve.name != "secp256r1":
                errs.append("leaf key is not P-256")
            if ca.public_key().curve.name != "secp256r1":
                errs.append("CA key is not P-256")
            bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
            if not (bc.critical and bc.value.ca and bc.value.path_length == 0):
                errs.append("CA basicConstraints %r" % bc)
            ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
            if not ku.key_cert_sign:
                errs.append("CA cannot sign certificates")
            eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if ExtendedKeyUsageOID.SERVER_AUTH not in eku:
                errs.append("no serverAuth")
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = san.get_values_for_type(x509.DNSName)
            if dns != ["hook", "hook.sys", "hook.sys.svc", "hook.example.org"]:
                errs.append("DNS SANs %r" % dns)
            now = datetime.datetime.utcnow()
            life = leaf.not_valid_after - leaf.not_valid_before
            if not (leaf.not_valid_before <= now <= leaf.not_valid_after):
                errs.append("not valid now")
            if abs(life - datetime.timedelta(days=30, minutes=5)) > datetime.timedelta(minutes=1):
                errs.append("leaf lifetime %s, want 30 days (+5 min skew)" % life)
            calife = ca.not_valid_after - ca.not_valid_before
            if calife < datetime.timedelta(days=3649):
                errs.append("CA lifetime %s" % calife)
            if leaf.issuer != ca.subject:
                errs.append("issuer is not the CA")
            if leaf.serial_number <= 0 or leaf.serial_number == ca.serial_number:
                errs.append("serial numbers")
            key = serialization.load_pem_private_key(open(key_p, "rb").read(), None)
            if key.public_key().public_numbers() != leaf.public_key().public_numbers():
                errs.append("tls.key does not match tls.crt")
            return "; ".join(errs) or None
        check("python3-cryptography: P-256 keys, CA constraints, SANs, validity, matching key",
              crypto_checks)

        def refuse_overwrite():
            r = run(certgen, "-service", "hook", "-namespace", "sys", "-out-dir", out)
            return (r.returncode == 1 and b"exists" in r.stderr) or r.stderr
        check("existing files are not replaced without -force", refuse_overwrite)

        def reuse_ca():
            out2 = os.path.join(tmp, "rotated")
            r = run(certgen, "-service", "hook", "-namespace", "sys", "-out-dir", out2,
                    "-ca-cert", ca_p, "-ca-key", cakey_p)
            if r.returncode != 0:
                return r.stderr
            if os.path.exists(os.path.join(out2, "ca.key")):
                return "ca.key written although the CA was given"
            v = run("openssl", "verify", "-CAfile", ca_p, os.path.join(out2, "tls.crt"))
            if v.returncode != 0:
                return v.stdout + v.stderr
            return load_cert(os.path.join(out2, "tls.crt")).serial_number != \
                load_cert(crt_p).serial_number or "same serial"
        check("-ca-cert/-ca-key sign a new pair with the existing CA (caBundle unchanged)",
              reuse_ca)

        def wrong_ca_key():
            other = os.path.join(tmp, "other")
            run(certgen, "-out-dir", other)
            r = run(certgen, "-out-dir", os.path.join(tmp, "x"), "-ca-cert", ca_p,
                    "-ca-key", os.path.join(other, "ca.key"))
            return (r.returncode == 2 and b"does not belong" in r.stderr) or r.stderr
        check("a CA key that does not match the CA certificate is refused", wrong_ca_key)

        def bad_names():
            errs = []
            for args, needle in ((["-service", "Bad_Name"], b"DNS-1123"),
                                 (["-namespace", "-x"], b"DNS-1123"),
                                 (["-dns", "a,DNS:evil"], b"not a DNS name"),
                                 (["-ip", "300.1.1.1"], b"not an IP"),
                                 (["-days", "0"], b"validity"),
                                 (["-nope"], b"unknown flag")):
                r = run(certgen, "-out-dir", os.path.join(tmp, "bad"), *args)
                if r.returncode != 2 or needle not in r.stderr:
                    errs.append("%s: %d %r" % (args, r.returncode, r.stderr))
            if os.path.exists(os.path.join(tmp, "bad", "tls.key")):
                errs.append("files written on a usage error")
            return "; ".join(errs) or None
        check("bad names, IPs, days and flags are usage errors (exit 2, nothing written)",
              bad_names)

        def help_text():
            r = run(certgen, "-help")
            return (r.returncode == 0 and b"-service" in r.stdout and b"0600" in r.stdout) or r
        check("-help documents the flags", help_text)

        def gnutls_serves():
            ready = os.path.join(tmp, "port")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_INJECT_")}
            proc = subprocess.Popen([webhook, "serve", "-listen", "127.0.0.1:0", "-ready-file", ready,
                                     "-tls-cert-file", crt_p, "-tls-key-file", key_p,
                                     "-vault-address", "https://v:8200", "-shutdown-delay", "0s"],
                                    stderr=subprocess.PIPE, env=env)
            try:
                deadline = time.time() + 10
                while not os.path.exists(ready):
                    if proc.poll() is not None or time.time() > deadline:
                        return "webhook did not start: %r" % proc.stderr.read()
                    time.sleep(0.02)
                port = int(open(ready).read())
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(ca_p)
                for name in ("hook", "hook.sys", "hook.sys.svc", "hook.example.org", "127.0.0.1"):
                    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                                        server_hostname=name)
                    s.close()
                try:
                    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                                        server_hostname="other.sys.svc")
                    s.close()
                    return "a name outside the SANs verified"
                except ssl.SSLCertVerificationError:
                    pass
                return None
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
        check("GnuTLS (vaultlet-webhook) serves the pair; every SAN verifies, other names do not",
              gnutls_serves)

        def script():
            d = os.path.join(tmp, "script")
            env = dict(os.environ, VAULTLET_CERTGEN=certgen)
            r = run("sh", os.path.join(src, "certs", "make-certs.sh"), "-n", "team", "-s", "hook",
                    "-o", d, env=env)
            if r.returncode != 0:
                return r.stdout + r.stderr
            t = run("openssl", "x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-ext",
                    "subjectAltName").stdout
            if b"DNS:hook.team.svc" not in t:
                return t
            # the chart's default is tls.mode=auto: a pair needs tls.mode=secret
            return (b"helm install" in r.stdout and b"--set tls.mode=secret" in r.stdout) or \
                "no (right) next step printed: %r" % r.stdout
        check("certs/make-certs.sh -n NS -s SVC -o DIR wraps certgen and prints the next step",
              script)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
