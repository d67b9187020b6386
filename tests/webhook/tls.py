#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The real vaultlet-webhook over real TLS, one TAP point per behaviour.

Starts `vaultlet-webhook serve` on 127.0.0.1:0 with certificates made by
vaultlet-certgen, laid out like a Kubernetes Secret volume (tls.crt ->
..data/tls.crt, ..data -> a timestamped directory, swapped atomically on
rotation), and checks: every HTTP error row, TLS versions, keep-alive, the
metrics of the stock injector, certificate rotation under load with no
failed request, a bad new pair rejected while the old one keeps serving,
slow clients not blocking others, the idle timeout, and the SIGTERM drain
(readiness 503, an in-flight request completes, exit 0).

usage: tls.py VAULTLET_WEBHOOK VAULTLET_CERTGEN SOURCE_ROOT
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

HOST = "vaultlet-webhook.vaultlet.svc"
P = "vault.hashicorp.com/"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import check as run_check, done, tap  # noqa: E402


class Secret:
    """A directory laid out like a Kubernetes Secret volume."""

    def __init__(self, root):
        self.root = root
        self.gen = 0
        os.makedirs(root)

    def install(self, cert, key):
        self.gen += 1
        d = "..%04d_%d" % (self.gen, os.getpid())
        os.makedirs(os.path.join(self.root, d))
        shutil.copy(cert, os.path.join(self.root, d, "tls.crt"))
        shutil.copy(key, os.path.join(self.root, d, "tls.key"))
        tmp = os.path.join(self.root, "..data_tmp")
        os.symlink(d, tmp)
        os.rename(tmp, os.path.join(self.root, "..data"))  # the atomic swap
        for f in ("tls.crt", "tls.key"):
            link = os.path.join(self.root, f)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", f), link)


def certgen(exe, out, *extra):
    subprocess.run([exe, "-out-dir", out, "-force"] + list(extra), check=True,
                   capture_output=True)


def review(annotations, ns="both", uid="u-1", spec=None):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"generateName": "app-", "annotations": annotations},
           "spec": spec or {"containers": [{"name": "app", "volumeMounts": [
               {"name": "kube-api-access-1", "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
               "volumes": [{"name": "kube-api-access-1", "projected": {"sources": [
                   {"serviceAccountToken": {"path": "token"}}]}}]}}
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": uid, "namespace": ns, "operation": "CREATE",
                                   "object": pod}}).encode()


INJECT = {P + "agent-inject": "true", P + "role": "app",
          P + "agent-inject-secret-db": "secret/data/db"}


class Server:
    def __init__(self, exe, tmp, secret, extra=(), env_extra=None, base=None):
        self.ready = os.path.join(tmp, "port")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.log = open(os.path.join(tmp, "webhook.log"), "w+")
        args = [exe, "serve", "-listen", "127.0.0.1:0", "-ready-file", self.ready,
                "-tls-cert-file", os.path.join(secret, "tls.crt"),
                "-tls-key-file", os.path.join(secret, "tls.key"),
                "-vault-address", "https://vault.vault.svc:8200",
                "-tls-reload-interval", "100ms", "-shutdown-delay", "500ms",
                "-drain-timeout", "5s", "-connection-timeout", "3s",
                "-max-body-bytes", "65536", "-max-connections", "200",
                "-telemetry-path", "/custom-metrics"] if base is None else base
        args = args[:2] + ["-ready-file", self.ready,
                           "-tls-cert-file", os.path.join(secret, "tls.crt"),
                           "-tls-key-file", os.path.join(secret, "tls.key")] + \
            args[2:] + list(extra) if base is not None else args + list(extra)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AGENT_INJECT_") and not k.startswith("VAULTLET_WEBHOOK_")}
        env.update(env_extra or {})
        self.proc = subprocess.Popen(args, stderr=self.log, env=env)
        deadline = time.time() + 15
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("webhook did not start:\n" + self.logtext())
            time.sleep(0.02)
        with open(self.ready) as f:
            self.port = int(f.read().strip())

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def client_ctx(ca, minv=ssl.TLSVersion.TLSv1_2, maxv=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.minimum_version = minv
    if maxv:
        ctx.maximum_version = maxv
    return ctx


def conn(srv, ctx, timeout=10):
    c = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=timeout)
    # verify against the Service name the API server would use
    c._tunnel_host = None
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    c.sock = ctx.wrap_socket(sock, server_hostname=HOST)
    return c


def request(srv, ctx, method, path, body=None, headers=None):
    c = conn(srv, ctx)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def mutate(srv, ctx, body, ctype="application/json"):
    return request(srv, ctx, "POST", "/mutate", body, {"Content-Type": ctype})


def raw_tls(srv, ctx, timeout=10):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return ctx.wrap_socket(s, server_hostname=HOST)


def read_response(s):
    """Reads one HTTP/1.1 response with a Content-Length body; returns (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def peer_fingerprint(srv, ctx):
    s = raw_tls(srv, ctx)
    der = s.getpeercert(binary_form=True)
    s.close()
    return der


def metric(text, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def main():
    exe, certgen_exe, src = sys.argv[1], sys.argv[2], sys.argv[3]
    tmp = tempfile.mkdtemp(prefix="vaultlet-tls-")
    srv = None
    try:
        a, b, other, bad = (os.path.join(tmp, d) for d in ("a", "b", "other", "bad"))
        certgen(certgen_exe, a)
        certgen(certgen_exe, b, "-ca-cert", os.path.join(a, "ca.crt"),
                "-ca-key", os.path.join(a, "ca.key"))
        certgen(certgen_exe, other)
        os.makedirs(bad)
        # a mismatched pair: b's certificate with other's key
        shutil.copy(os.path.join(b, "tls.crt"), os.path.join(bad, "tls.crt"))
        shutil.copy(os.path.join(other, "tls.key"), os.path.join(bad, "tls.key"))
        secret = Secret(os.path.join(tmp, "secret"))
        secret.install(os.path.join(a, "tls.crt"), os.path.join(a, "tls.key"))
        ca = os.path.join(a, "ca.crt")
        ctx = client_ctx(ca)
        srv = Server(exe, tmp, secret.root)

        def der(d):
            return ssl.PEM_cert_to_DER_cert(open(os.path.join(d, "tls.crt")).read())

        # ------------------------------------------------------------ endpoints
        run_check("GET /health/ready is 204",
                  lambda: request(srv, ctx, "GET", "/health/ready")[0] == 204 or "status")
        run_check("HEAD /health/ready is 204",
                  lambda: request(srv, ctx, "HEAD", "/health/ready")[0] == 204 or "status")
        run_check("GET /healthz is 200 ok",
                  lambda: request(srv, ctx, "GET", "/healthz")[:3:2] == (200, b"ok\n") or "bad")

        def mutate_ok():
            st, h, body = mutate(srv, ctx, review(INJECT, uid="abc-123"))
            if st != 200:
                return "status %d %r" % (st, body)
            r = json.loads(body)["response"]
            if r["uid"] != "abc-123" or not r["allowed"] or r.get("patchType") != "JSONPatch":
                return "response %r" % r
            if h.get("Content-Type") != "application/json":
                return "content type %r" % h.get("Content-Type")
            return None
        run_check("POST /mutate answers the review, uid echoed, JSONPatch", mutate_ok)
        run_check("Content-Type with parameters (application/json; charset=utf-8) is accepted",
                  lambda: mutate(srv, ctx, review(INJECT), "application/json; charset=utf-8")[0]
                  == 200 or "status")
        def big_headers():
            # the connection memory is 16 KiB: 4 KiB of headers (far more than the API
            # server sends) must still leave room for the body
            hdrs = {"Content-Type": "application/json"}
            hdrs.update({"X-Pad-%d" % i: "p" * 120 for i in range(32)})
            st, _, _ = request(srv, ctx, "POST", "/mutate", review(INJECT), hdrs)
            return st == 200 or "status %d" % st
        run_check("a review with 4 KiB of request headers is answered", big_headers)
        run_check("Content-Type text/plain is 415",
                  lambda: mutate(srv, ctx, b"{}", "text/plain")[0] == 415 or "status")

        def no_ctype():
            st, _, body = request(srv, ctx, "POST", "/mutate", b"{}", {})
            return st == 415 or "status %d" % st
        run_check("no Content-Type is 415", no_ctype)

        def get_mutate():
            st, h, _ = request(srv, ctx, "GET", "/mutate")
            return (st == 405 and h.get("Allow") == "POST") or "status %d allow %r" % (st, h.get("Allow"))
        run_check("GET /mutate is 405 with Allow: POST", get_mutate)
        run_check("PUT /health/ready is 405",
                  lambda: request(srv, ctx, "PUT", "/health/ready", b"x")[0] == 405 or "status")
        run_check("an unknown path is 404",
                  lambda: request(srv, ctx, "GET", "/nope")[0] == 404 or "status")

        def too_big_cl():
            st, _, body = mutate(srv, ctx, b"{" + b" " * 70000 + b"}")
            return st == 413 or "status %d %r" % (st, body[:80])
        run_check("a body over -max-body-bytes (Content-Length) is 413", too_big_cl)

        def too_big_chunked():
            s = raw_tls(srv, ctx)
            s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b" " * 16384
            for _ in range(6):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
            st, _, body = read_response(s)
            s.close()
            return st == 413 or "status %d %r" % (st, body)
        run_check("a chunked body growing over the cap is 413 (on the final call)", too_big_chunked)

        def body_budget():
            # -webhook-memory-limit 4Mi: a quarter, 1 MiB, for bodies; 16 bodies of
            # ~62 KB held open fill it; one more is 503
            sub = os.path.join(tmp, "budget")
            os.makedirs(sub, exist_ok=True)
            srv = Server(exe, sub, secret.root, extra=("-webhook-memory-limit", "4Mi"))
            pad = b" " * (62 * 1024)
            held = []
            try:
                for _ in range(16):
                    s = raw_tls(srv, ctx)
                    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n" % (len(pad) + 10) + pad)
                    held.append(s)
                time.sleep(0.3)
                st, _, body = mutate(srv, ctx, b"{" + pad + b"}")
                if st != 503:
                    return "status %d %r with the budget full" % (st, body[:60])
                for s in held:
                    s.close()
                time.sleep(0.3)
                st = mutate(srv, ctx, review(INJECT))[0]
                return st == 200 or "status %d after the held bodies went away" % st
            finally:
                for s in held:
                    s.close()
                srv.stop()
        run_check("bodies being received share a budget (a quarter of -webhook-memory-limit): "
                  "beyond it 503, then it frees up", body_budget)

        def memory_flood():
            # issue 17 item 2: the chart's limit (64Mi, given as the environment the
            # chart sets), the default 4 MiB body cap, 16 connections each sending a
            # ~4 MB body and holding it: RSS stays <= 48 MiB, a 17th body gets 503
            # without waiting for the others, and all is well once they go
            sub = os.path.join(tmp, "flood")
            os.makedirs(sub, exist_ok=True)
            srv = Server(exe, sub, secret.root,
                         base=[exe, "serve", "-listen", "127.0.0.1:0",
                               "-vault-address", "https://vault.vault.svc:8200",
                               "-connection-timeout", "30s"],
                         env_extra={"VAULTLET_WEBHOOK_MEMORY_LIMIT": "64Mi"})
            body = b"{" + b" " * (4000000 - 2) + b"}"
            held = []
            try:
                for _ in range(16):
                    s = raw_tls(srv, ctx, timeout=30)
                    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                              + body[:-1])
                    held.append(s)
                time.sleep(1.0)
                with open("/proc/%d/status" % srv.proc.pid) as f:
                    rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
                # under AddressSanitizer (shadow memory, quarantine) RSS says nothing
                with open(exe, "rb") as f:
                    asan = b"__asan_init" in f.read()
                if rss > 48 * 1024 and not asan:
                    return "RSS %d KiB with 16 bodies of 4 MB held (limit 48 MiB)" % rss
                st, _, answer = mutate(srv, ctx, body)
                if st != 503:
                    return "a 17th body: status %d %r (want 503)" % (st, answer[:60])
                for s in held:
                    s.close()
                held = []
                time.sleep(0.5)
                st = mutate(srv, ctx, review(INJECT))[0]
                return st == 200 or "status %d after the held bodies went away" % st
            finally:
                for s in held:
                    s.close()
                srv.stop()
        run_check("16 bodies of 4 MB held at once keep RSS <= 48 MiB (memory limit 64Mi); "
                  "one more is 503", memory_flood)

        def bad_json():
            st, h, body = mutate(srv, ctx, b'{"request": [1,')
            if st != 400 or not body.startswith(b"malformed JSON") or body.count(b"\n") != 1:
                return "status %d %r" % (st, body)
            return None
        run_check("malformed JSON is 400 with a one-line reason", bad_json)

        def no_request():
            st, _, body = mutate(srv, ctx, b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}')
            return (st == 400 and b"no request" in body) or "status %d %r" % (st, body)
        run_check("a review without request is 400 (the stock injector panicked)", no_request)

        def empty_body():
            st, _, body = mutate(srv, ctx, b"")
            return (st == 400 and b"body" in body) or "status %d %r" % (st, body)
        run_check("TV-32: an empty body is 400 mentioning the body", empty_body)

        def v1beta1():
            r = json.loads(review(INJECT, uid="beta"))
            r["apiVersion"] = "admission.k8s.io/v1beta1"
            st, _, body = mutate(srv, ctx, json.dumps(r).encode())
            resp = json.loads(body)
            return (resp["apiVersion"] == "admission.k8s.io/v1beta1" and
                    resp["response"]["uid"] == "beta") or body
        run_check("TV-32: v1beta1 in, v1beta1 out, same uid", v1beta1)

        # ------------------------------------------------------------ TLS
        def tls_version(v, want_ok):
            def f():
                try:
                    s = raw_tls(srv, client_ctx(ca, v, v))
                    got = s.version()
                    s.close()
                    return want_ok or "handshake succeeded with %s" % got
                except ssl.SSLError as e:
                    return (not want_ok) or "handshake failed: %s" % e
            return f
        try:
            legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            legacy.minimum_version = ssl.TLSVersion.TLSv1_1
            legacy_ok = True
        except (ValueError, ssl.SSLError):
            legacy_ok = False
        if legacy_ok:
            def tls11():
                c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                c.load_verify_locations(ca)
                c.set_ciphers("DEFAULT:@SECLEVEL=0")
                c.minimum_version = ssl.TLSVersion.TLSv1_1
                c.maximum_version = ssl.TLSVersion.TLSv1_2
                # the same client, allowed 1.2, gets in: a refusal below is about the version
                try:
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                    c.wrap_socket(s, server_hostname=HOST).close()
                except (ssl.SSLError, OSError) as e:
                    return "the same client capped at TLS 1.2 failed too: %s" % e
                c.maximum_version = ssl.TLSVersion.TLSv1_1
                try:
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                    t = c.wrap_socket(s, server_hostname=HOST)
                    v = t.version()
                    t.close()
                    return "TLS 1.1 handshake succeeded (%s)" % v
                except ssl.SSLError as e:
                    # the server's alert, not the client refusing to try
                    if "NO_PROTOCOLS_AVAILABLE" in str(e) or "no protocols" in str(e):
                        return "SKIP this client's OpenSSL cannot offer TLS 1.1"
                    return None
                except OSError:
                    return None
            run_check("TLS 1.1 is refused", tls11)
        run_check("TLS 1.2 is accepted", tls_version(ssl.TLSVersion.TLSv1_2, True))
        run_check("TLS 1.3 is accepted", tls_version(ssl.TLSVersion.TLSv1_3, True))
        run_check("the certificate verifies for %s against ca.crt" % HOST,
                  lambda: peer_fingerprint(srv, ctx) == der(a) or "another certificate")

        def keep_alive():
            c = conn(srv, ctx)
            sock = c.sock
            for i in range(20):
                c.request("POST", "/mutate", body=review(INJECT, uid="k%d" % i),
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
                if r.status != 200 or json.loads(body)["response"]["uid"] != "k%d" % i:
                    return "request %d: %d" % (i, r.status)
                if c.sock is not sock:
                    return "reconnected at %d" % i
            c.close()
            return None
        run_check("keep-alive: 20 reviews on one connection", keep_alive)

        # ------------------------------------------------------------ metrics (TV-33)
        def metrics_tv33():
            before = request(srv, ctx, "GET", "/metrics")[2].decode()
            k_both = 'vault_agent_injector_injections_by_namespace_total{namespace="both",injection_type="init_and_sidecar"}'
            k_init = 'vault_agent_injector_injections_by_namespace_total{namespace="m1",injection_type="init_only"}'
            k_side = 'vault_agent_injector_injections_by_namespace_total{namespace="m2",injection_type="sidecar_only"}'
            k_fail = 'vault_agent_injector_failed_injections_by_namespace_total{namespace="m3"}'
            mutate(srv, ctx, review(INJECT, ns="both"))
            mutate(srv, ctx, review(dict(INJECT, **{P + "agent-pre-populate-only": "true"}), ns="m1"))
            mutate(srv, ctx, review(dict(INJECT, **{P + "agent-pre-populate": "false"}), ns="m2"))
            mutate(srv, ctx, review({P + "agent-inject": "false"}, ns="m4"))
            mutate(srv, ctx, review(dict(INJECT, **{P + "agent-limits-cpu": "lots"}), ns="m3"))
            after = request(srv, ctx, "GET", "/custom-metrics")[2].decode()
            errs = []
            if (metric(after, k_both) or 0) != (metric(before, k_both) or 0) + 1:
                errs.append("init_and_sidecar did not grow by 1")
            for k in (k_init, k_side, k_fail):
                if metric(after, k) != 1:
                    errs.append("%s = %r" % (k, metric(after, k)))
            if 'namespace="m4"' in after:
                errs.append("a non-injected pod was counted")
            for name in ("vault_agent_injector_request_queue_length",
                         "vault_agent_injector_request_processing_duration_ms_count"):
                if metric(after, name) is None:
                    errs.append("no " + name)
            return "; ".join(errs) or None
        run_check("TV-33: injections/failures by namespace and type, at /metrics and "
                  "-telemetry-path", metrics_tv33)

        # ------------------------------------------------------------ rotation under load
        def rotation_under_load():
            stop = threading.Event()
            failures, done = [], [0]
            seen = set()
            lock = threading.Lock()

            def worker(n):
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        c = conn(srv, ctx, timeout=10)
                        seen_der = c.sock.getpeercert(binary_form=True)
                        for _ in range(3):  # a few keep-alive requests per handshake
                            c.request("POST", "/mutate", body=review(INJECT, uid="r%d-%d" % (n, i)),
                                      headers={"Content-Type": "application/json"})
                            r = c.getresponse()
                            body = r.read()
                            if r.status != 200:
                                raise RuntimeError("status %d" % r.status)
                        c.close()
                        with lock:
                            done[0] += 1
                            seen.add(seen_der)
                    except Exception as e:
                        with lock:
                            failures.append("%s: %s" % (type(e).__name__, e))
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            time.sleep(0.7)
            secret.install(os.path.join(b, "tls.crt"), os.path.join(b, "tls.key"))
            time.sleep(0.7)
            secret.install(os.path.join(a, "tls.crt"), os.path.join(a, "tls.key"))
            time.sleep(0.7)
            secret.install(os.path.join(b, "tls.crt"), os.path.join(b, "tls.key"))
            time.sleep(0.7)
            stop.set()
            for t in threads:
                t.join()
            if failures:
                return "%d failed of %d: %s" % (len(failures), done[0], failures[:3])
            if der(a) not in seen or der(b) not in seen:
                return "both certificates should have been served during the run"
            if peer_fingerprint(srv, ctx) != der(b):
                return "not serving the last certificate"
            return None
        run_check("certificate rotation (Secret symlink swap) during load: no failed request, "
                  "new handshakes get the new pair", rotation_under_load)

        def bad_pair_kept():
            m0 = request(srv, ctx, "GET", "/metrics")[2].decode()
            f0 = metric(m0, 'vaultlet_webhook_tls_reloads_total{result="failure"}')
            secret.install(os.path.join(bad, "tls.crt"), os.path.join(bad, "tls.key"))
            time.sleep(0.6)
            if peer_fingerprint(srv, ctx) != der(b):
                return "the mismatched pair replaced the good one"
            if mutate(srv, ctx, review(INJECT))[0] != 200:
                return "requests fail after a bad pair"
            with open(os.path.join(tmp, "garbage.crt"), "w") as f:
                f.write("-----BEGIN CERTIFICATE-----\nnot base64\n")
            secret.install(os.path.join(tmp, "garbage.crt"), os.path.join(b, "tls.key"))
            time.sleep(0.6)
            if peer_fingerprint(srv, ctx) != der(b):
                return "a garbage certificate replaced the good one"
            m1 = request(srv, ctx, "GET", "/metrics")[2].decode()
            f1 = metric(m1, 'vaultlet_webhook_tls_reloads_total{result="failure"}')
            if f1 != f0 + 2:
                return "failure counter %r -> %r, want +2" % (f0, f1)
            if "certificate reload rejected" not in srv.logtext():
                return "no log line for the rejected pair"
            secret.install(os.path.join(a, "tls.crt"), os.path.join(a, "tls.key"))
            time.sleep(0.6)
            return peer_fingerprint(srv, ctx) == der(a) or "good pair after bad ones not loaded"
        run_check("a bad new pair (mismatched key, garbage PEM) is rejected, the old pair keeps "
                  "serving, the next good pair is taken", bad_pair_kept)

        def sighup():
            # replace the files in place without changing the symlink target: only SIGHUP reloads
            # when the stat signature happens to match; here just check SIGHUP forces a reload
            m0 = metric(request(srv, ctx, "GET", "/metrics")[2].decode(),
                        'vaultlet_webhook_tls_reloads_total{result="success"}')
            srv.proc.send_signal(signal.SIGHUP)
            time.sleep(0.4)
            m1 = metric(request(srv, ctx, "GET", "/metrics")[2].decode(),
                        'vaultlet_webhook_tls_reloads_total{result="success"}')
            return m1 == m0 + 1 or "reloads %r -> %r" % (m0, m1)
        run_check("SIGHUP re-reads the certificate", sighup)

        # ------------------------------------------------------------ slow clients
        def slowloris():
            slow = []
            stop = threading.Event()
            for _ in range(40):
                s = raw_tls(srv, ctx)
                s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\n")
                slow.append(s)
            # and some that never finish the TLS handshake
            raw = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(20)]
            for s in raw:
                s.sendall(b"\x16\x03\x01")

            def drip():
                while not stop.is_set():
                    for s in slow:
                        try:
                            s.sendall(b"X")
                        except OSError:
                            pass
                    stop.wait(0.5)
            t = threading.Thread(target=drip)
            t.start()
            try:
                worst = 0.0
                for i in range(30):
                    t0 = time.time()
                    st = mutate(srv, ctx, review(INJECT))[0]
                    worst = max(worst, time.time() - t0)
                    if st != 200:
                        return "status %d" % st
                return worst < 1.0 or "a review took %.2fs next to 60 slow clients" % worst
            finally:
                stop.set()
                t.join()
                for s in slow + raw:
                    s.close()
        run_check("60 slow clients (drip-fed headers, unfinished handshakes) do not slow others",
                  slowloris)

        def idle_timeout():
            s = raw_tls(srv, ctx, timeout=10)
            t0 = time.time()
            try:
                data = s.recv(1)
            except (ssl.SSLError, OSError):
                data = b""
            took = time.time() - t0
            s.close()
            return (data == b"" and 2.0 <= took <= 8.0) or "closed after %.1fs (%r)" % (took, data)
        run_check("an idle connection is closed after -connection-timeout (3s here)", idle_timeout)

        def log_lines():
            lines = [l for l in srv.logtext().splitlines() if "admission review" in l]
            if not lines:
                return "no review log line"
            need = ["namespace=both", "pod=app-", "uid=", "decision=injected", "reason=",
                    "duration_us="]
            for l in lines:
                if "decision=injected" in l and "namespace=both" in l:
                    missing = [n for n in need if n not in l]
                    return not missing or "missing %s in %s" % (missing, l)
            return "no injected line for namespace both"
        run_check("one log line per review: namespace, pod, uid, decision, reason, duration",
                  log_lines)

        # ------------------------------------------------------------ SIGTERM drain
        def drain():
            s = raw_tls(srv, ctx)
            body = review(INJECT, uid="in-flight")
            s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:100])
            time.sleep(0.2)
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.15)
            st_ready, h_ready, _ = request(srv, ctx, "GET", "/health/ready")
            st_live = request(srv, ctx, "GET", "/healthz")[0]
            time.sleep(0.6)  # past -shutdown-delay: the listener is closed
            try:
                socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                refused = False
            except OSError:
                refused = True
            s.sendall(body[100:])
            st, h, resp = read_response(s)
            s.close()
            rc = srv.proc.wait(timeout=10)
            errs = []
            if st_ready != 503:
                errs.append("readiness %d during the drain, want 503" % st_ready)
            if h_ready.get("Connection", "").lower() != "close":
                errs.append("no Connection: close while draining")
            if st_live != 200:
                errs.append("liveness %d during the drain" % st_live)
            if not refused:
                errs.append("new connections still accepted after the shutdown delay")
            if st != 200 or json.loads(resp)["response"]["uid"] != "in-flight":
                errs.append("the in-flight request got %d" % st)
            if rc != 0:
                errs.append("exit status %d" % rc)
            return "; ".join(errs) or None
        run_check("SIGTERM: readiness 503 + Connection: close, listener closed after the delay, "
                  "the in-flight request completes, exit 0", drain)

        # ------------------------------------------------------------ connection cap
        def connection_cap():
            # at the limit a new connection is served, and the oldest one that
            # has not sent a request (else the oldest idle one) is closed
            sub = os.path.join(tmp, "capped")
            os.makedirs(sub, exist_ok=True)
            capped = Server(exe, sub, secret.root, extra=("-max-connections", "4"))
            held = []

            def closed(s, wait):
                s.settimeout(wait)
                try:
                    return s.recv(100) == b""
                except socket.timeout:
                    return False
                except (ssl.SSLError, OSError):
                    return True

            def ask(s):
                # a malformed review: 400, and the connection is kept alive
                try:
                    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              b"application/json\r\nContent-Length: 2\r\n\r\n{}")
                    return read_response(s)[0]
                except (IndexError, ssl.SSLError, OSError) as e:
                    return "no answer (%s)" % e
            try:
                for _ in range(4):
                    held.append(raw_tls(capped, ctx))
                    time.sleep(0.05)
                s5 = raw_tls(capped, ctx, timeout=5)
                held.append(s5)
                st = ask(s5)
                if st != 400:
                    return "a 5th connection was not served: %s" % st
                if not closed(held[0], 5):
                    return "the oldest silent connection was not closed"
                if closed(held[3], 0.5):
                    return "a younger silent connection was closed"
                if ask(held[3]) != 400:
                    return "a younger silent connection was not served"
                for h in held:
                    h.close()
                # 4 kept-alive connections that each had a request: the oldest goes
                held = []
                for _ in range(4):
                    held.append(raw_tls(capped, ctx))
                    if ask(held[-1]) != 400:
                        return "a kept-alive connection was not served"
                    time.sleep(0.05)
                s5 = raw_tls(capped, ctx, timeout=5)
                held.append(s5)
                if ask(s5) != 400:
                    return "a 5th connection was not served with 4 idle ones"
                if not closed(held[0], 5):
                    return "the oldest idle connection was not closed"
                if ask(held[1]) != 400:
                    return "the second oldest idle connection was not served"
                return None
            finally:
                for h in held:
                    h.close()
                capped.stop()
        run_check("-max-connections 4: a 5th connection is served; the oldest that sent no "
                  "request is closed for it, else the oldest idle one", connection_cap)

        def header_deadline():
            # -header-timeout counts from the accept: trickling bytes does not
            # extend it; a kept-alive connection between requests is not bound by it
            sub = os.path.join(tmp, "deadline")
            os.makedirs(sub, exist_ok=True)
            srv2 = Server(exe, sub, secret.root, extra=("-header-timeout", "1s"))
            socks = []
            try:
                silent = socket.create_connection(("127.0.0.1", srv2.port), timeout=10)
                socks.append(silent)
                drip = raw_tls(srv2, ctx)
                socks.append(drip)
                kept = raw_tls(srv2, ctx)
                socks.append(kept)
                kept.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: 2\r\n\r\n{}")
                if read_response(kept)[0] != 400:
                    return "the kept-alive connection's request was not answered"
                t0 = time.time()
                drip.sendall(b"POST /mutate HTTP/1.1\r\nX-Slow: ")
                drip.settimeout(0.2)
                drip_closed = None
                while time.time() - t0 < 8:
                    try:
                        drip.sendall(b"a")
                        if drip.recv(10) == b"":
                            drip_closed = time.time() - t0
                            break
                    except socket.timeout:
                        continue
                    except (ssl.SSLError, OSError):
                        drip_closed = time.time() - t0
                        break
                if drip_closed is None:
                    return "a connection trickling its headers was still open after 8 s"
                silent.settimeout(5)
                try:
                    if silent.recv(10) != b"":
                        return "the silent connection got bytes"
                except socket.timeout:
                    return "a connection that sent nothing was still open after the deadline"
                except OSError:
                    pass
                time.sleep(max(0, 1.5 - (time.time() - t0)))
                kept.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: 2\r\n\r\n{}")
                if read_response(kept)[0] != 400:
                    return "the kept-alive connection was closed by the header deadline"
                return None
            except (IndexError, OSError) as e:
                return "%s: %s" % (type(e).__name__, e)
            finally:
                for x in socks:
                    x.close()
                srv2.stop()
        run_check("-header-timeout 1s: a silent connection and one trickling its headers are "
                  "closed, a kept-alive one between requests is not", header_deadline)

        def waiting_room():
            # connections that have not sent a whole ClientHello cost no
            # -max-connections slot and no CPU: 40 silent sockets and 20
            # half ClientHellos against a limit of 4 are all held (the old
            # server closed them to make room, and its event loops spun on
            # every half handshake), reviews are served meanwhile, and the
            # header deadline closes them
            sub = os.path.join(tmp, "waiting")
            os.makedirs(sub, exist_ok=True)
            srv3 = Server(exe, sub, secret.root,
                          extra=("-max-connections", "4", "-header-timeout", "4s"))
            socks = []
            try:
                inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
                hello_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                hello_ctx.check_hostname = False
                hello_ctx.verify_mode = ssl.CERT_NONE
                obj = hello_ctx.wrap_bio(inc, out, server_hostname=HOST)
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                hello = out.read()
                t0 = time.time()
                for i in range(60):
                    s = socket.create_connection(("127.0.0.1", srv3.port), timeout=10)
                    if i >= 40:
                        s.sendall(hello[:len(hello) // 2])
                    socks.append(s)
                time.sleep(0.5)
                with open("/proc/%d/stat" % srv3.proc.pid) as f:
                    f0 = f.read().rsplit(")", 1)[1].split()
                for _ in range(3):
                    st, _, _ = mutate(srv3, ctx, review(INJECT))
                    if st != 200:
                        return "a review was not served with 60 connections waiting: %s" % st
                time.sleep(1.5)
                with open("/proc/%d/stat" % srv3.proc.pid) as f:
                    f1 = f.read().rsplit(")", 1)[1].split()
                cpu = (int(f1[11]) + int(f1[12]) - int(f0[11]) - int(f0[12])) / \
                    os.sysconf("SC_CLK_TCK")
                if cpu > 0.5:
                    return "the server used %.2f s of CPU in about 2 s with 20 half " \
                        "ClientHellos held (a busy loop)" % cpu
                for i, s in enumerate(socks):
                    s.settimeout(0)
                    try:
                        if s.recv(10) == b"":
                            return "connection %d was closed before the deadline" % i
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        return "connection %d: %s before the deadline" % (i, e)
                time.sleep(max(0, 5.5 - (time.time() - t0)))
                for i, s in enumerate(socks):
                    s.settimeout(2)
                    try:
                        if s.recv(10) != b"":
                            return "connection %d got bytes" % i
                    except socket.timeout:
                        return "connection %d was still open after the deadline" % i
                    except OSError:
                        pass
                return None
            except (IndexError, OSError) as e:
                return "%s: %s" % (type(e).__name__, e)
            finally:
                for x in socks:
                    x.close()
                srv3.stop()
        run_check("40 silent connections and 20 half ClientHellos over -max-connections 4: "
                  "held without CPU until -header-timeout, reviews served meanwhile",
                  waiting_room)

        # ------------------------------------------------------------ startup errors
        def startup_errors():
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_INJECT_")}
            p = subprocess.run([exe, "serve", "-vault-address", "x", "-listen", "127.0.0.1:0"],
                               capture_output=True, env=env, timeout=20)
            if p.returncode != 2 or b"-tls-cert-file" not in p.stderr:
                return "no cert: %d %r" % (p.returncode, p.stderr)
            p = subprocess.run([exe, "serve", "-vault-address", "x", "-listen", "127.0.0.1:0",
                                "-tls-cert-file", os.path.join(bad, "tls.crt"),
                                "-tls-key-file", os.path.join(bad, "tls.key")],
                               capture_output=True, env=env, timeout=20)
            if p.returncode != 1 or b"does not belong" not in p.stderr:
                return "bad pair: %d %r" % (p.returncode, p.stderr)
            p = subprocess.run([exe, "serve", "-listen", "127.0.0.1:0"], capture_output=True,
                               env=env, timeout=20)
            if p.returncode != 2 or b"No Vault service configured" not in p.stderr:
                return "no address: %d %r" % (p.returncode, p.stderr)
            return None
        run_check("startup refuses a missing certificate, a mismatched pair, no Vault address",
                  startup_errors)
        sanitizer = [l for l in srv.logtext().splitlines()
                     if "AddressSanitizer" in l or "runtime error:" in l or "LeakSanitizer" in l]
        tap(not sanitizer, "no sanitizer report in the server log", "\n".join(sanitizer[:20]))
    except Exception as e:
        tap(False, "setup", "%s: %s" % (type(e).__name__, e))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
