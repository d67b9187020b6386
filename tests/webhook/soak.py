#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-webhook soaked: valid and bad reviews, floods on and off, hot reload.

For --duration seconds (30 in the test command, 600 by hand) the real
binary gets, at the same time:
  - valid reviews: two clients on kept-alive connections and one opening a
    fresh connection per review (as the API server after its idle timeout);
    every one must be answered 200 with the injection patch (no retries);
  - bad ones: malformed JSON (400), bodies over -max-body-bytes (413), and
    bodies cut short with the connection closed (no answer expected);
  - a connection flood (bench/webhook/flood.py: idle sockets, half
    ClientHellos, slowloris), switched on and off every period (60 s, or a
    fifth of a short run);
  - its TLS Secret's files replaced every period (a new pair from the same
    CA, swapped like the kubelet swaps a Secret volume).
Checked, one TAP point each: zero failed valid reviews, every bad review
answered as documented, no crash, and RSS and fds flat: every sample taken
at the end of a quiet period (flood off) after the first is within 2 MiB
and 10 fds of that first one. One sample every second (every 10 s when the
run is 120 s or longer); the curve is printed.

usage: soak.py VAULTLET_WEBHOOK VAULTLET_CERTGEN SOURCE_ROOT [--duration S]
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import done, tap  # noqa: E402
from tls import HOST, INJECT, Secret, certgen, client_ctx, review  # noqa: E402

RSS_SLACK_KIB = 2048
T0 = time.monotonic()
FD_SLACK = 10
MAX_BODY = 65536


def proc_sample(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = int([l for l in f if l.startswith("VmRSS:")][0].split()[1])
        return rss, len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, IndexError):
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = {}
        self.bad = {}
        self.fail = []

    def good(self, kind):
        with self.lock:
            self.ok[kind] = self.ok.get(kind, 0) + 1

    def failed(self, kind, why):
        with self.lock:
            self.bad[kind] = self.bad.get(kind, 0) + 1
            if len(self.fail) < 20:
                self.fail.append("%.1f s %s: %s" % (time.monotonic() - T0, kind, why))


def https(port, ctx, timeout=10):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    c.sock = ctx.wrap_socket(sock, server_hostname=HOST)
    return c


def valid_loop(port, ctx, stop, st, fresh):
    body = review(INJECT, uid="soak")
    c = None
    while not stop.is_set():
        try:
            if c is None or fresh:
                c = https(port, ctx)
            c.request("POST", "/mutate", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status != 200 or b'"patchType":"JSONPatch"' not in data or b'"soak"' not in data:
                st.failed("fresh" if fresh else "kept-alive", "status %d %r" % (r.status,
                                                                              data[:80]))
            else:
                st.good("fresh" if fresh else "kept-alive")
            if fresh or r.getheader("Connection", "").lower() == "close":
                c.close()
                c = None
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            st.failed("fresh" if fresh else "kept-alive", "%s: %s" % (type(e).__name__, e))
            if c:
                c.close()
            c = None
        time.sleep(0.02 if fresh else 0.005)
    if c:
        c.close()


def bad_loop(port, ctx, stop, st):
    n = 0
    while not stop.is_set():
        n += 1
        kind = ("malformed", "oversized", "truncated")[n % 3]
        try:
            c = https(port, ctx)
            if kind == "malformed":
                c.request("POST", "/mutate", body=b'{"apiVersion": ',
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                (st.good if r.status == 400 else
                 lambda k: st.failed(k, "status %d" % r.status))(kind)
            elif kind == "oversized":
                c.request("POST", "/mutate", body=b"x" * (MAX_BODY + 1),
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                (st.good if r.status == 413 else
                 lambda k: st.failed(k, "status %d" % r.status))(kind)
            else:
                body = review(INJECT)
                c.sock.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                               b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) +
                               body[:len(body) // 2])
                st.good(kind)
            c.close()
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            st.failed(kind, "%s: %s" % (type(e).__name__, e))
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("certgen")
    ap.add_argument("src")
    ap.add_argument("--duration", type=float, default=30)
    a = ap.parse_args()
    dur = max(a.duration, 30.0)
    long_run = dur >= 120
    period = 60.0 if long_run else dur / 5
    tmp = tempfile.mkdtemp(prefix="vaultlet-soak-")
    proc = None
    flood = None
    stop = threading.Event()
    threads = []
    try:
        ca = os.path.join(tmp, "ca")
        certgen(a.certgen, ca)
        pairs = []
        for i in range(2):
            d = os.path.join(tmp, "pair%d" % i)
            certgen(a.certgen, d, "-ca-cert", os.path.join(ca, "ca.crt"),
                    "-ca-key", os.path.join(ca, "ca.key"))
            pairs.append(d)
        secret = Secret(os.path.join(tmp, "secret"))
        secret.install(os.path.join(ca, "tls.crt"), os.path.join(ca, "tls.key"))
        ready = os.path.join(tmp, "port")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AGENT_INJECT_") and not k.startswith("VAULTLET_WEBHOOK_")}
        # the short run scales the limits down with the flood
        limits = [] if long_run else ["-max-connections", "256", "-header-timeout", "2s"]
        log = open(os.path.join(tmp, "webhook.log"), "w+")
        proc = subprocess.Popen(
            [a.exe, "serve", "-listen", "127.0.0.1:0", "-ready-file", ready,
             "-tls-cert-file", os.path.join(secret.root, "tls.crt"),
             "-tls-key-file", os.path.join(secret.root, "tls.key"),
             "-vault-address", "https://vault.vault.svc:8200", "-tls-reload-interval", "1s",
             "-max-body-bytes", str(MAX_BODY), "-log-level", "warn"] + limits,
            stderr=log, env=env)
        t0 = time.time()
        while not (os.path.exists(ready) and open(ready).read().strip()):
            if proc.poll() is not None or time.time() - t0 > 15:
                raise RuntimeError("the webhook did not start")
            time.sleep(0.05)
        port = int(open(ready).read())
        ctx = client_ctx(os.path.join(ca, "ca.crt"))
        st = Stats()
        for target, args in ((valid_loop, (False,)), (valid_loop, (False,)),
                             (valid_loop, (True,)), (bad_loop, ())):
            th = threading.Thread(target=target, args=(port, ctx, stop, st) + args,
                                  daemon=True)
            th.start()
            threads.append(th)
        fl_args = ([5000, 1000, 200] if long_run else [300, 100, 20])
        start = time.monotonic()
        global T0
        T0 = start
        samples, quiet = [], []
        every = 10.0 if long_run else 1.0
        next_sample = start + every
        phase = 0
        swaps = 0
        while True:
            now = time.monotonic()
            t = now - start
            if t >= dur or proc.poll() is not None:
                break
            if t >= (phase + 1) * period:
                phase += 1
                # a new pair every period
                swaps += 1
                p = pairs[swaps % 2]
                secret.install(os.path.join(p, "tls.crt"), os.path.join(p, "tls.key"))
                if phase % 2 == 1 and t + period <= dur + 1:
                    flood = subprocess.Popen(
                        [sys.executable, os.path.join(a.src, "bench/webhook/flood.py"),
                         "--port", str(port), "--idle", str(fl_args[0]),
                         "--partial", str(fl_args[1]), "--slowloris", str(fl_args[2]),
                         "--duration", str(period * 0.8), "--open-rate", "2000" if long_run else "500",
                         "--reopen-rate", "500" if long_run else "200"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if now >= next_sample:
                s = proc_sample(proc.pid)
                if s:
                    samples.append((round(t), s[0], s[1], phase % 2))
                    # the end of a quiet period (the flood over since a while)
                    if phase % 2 == 0 and phase > 0 and t >= (phase + 1) * period - every:
                        quiet.append((round(t), s[0], s[1]))
                next_sample += every
            time.sleep(0.05)
        stop.set()
        for th in threads:
            th.join(30)
        if flood:
            try:
                flood.wait(timeout=max(5, period))
            except subprocess.TimeoutExpired:
                flood.kill()
        alive = proc.poll() is None
        tap(alive, "the webhook ran %d s without a crash" % dur, log_tail(log))
        okv = st.ok.get("kept-alive", 0) + st.ok.get("fresh", 0)
        badv = st.bad.get("kept-alive", 0) + st.bad.get("fresh", 0)
        tap(badv == 0 and st.ok.get("fresh", 0) > 0 and st.ok.get("kept-alive", 0) > 0,
            "every valid review answered with the injection: %d (%d kept-alive, %d fresh), "
            "%d failed" % (okv, st.ok.get("kept-alive", 0), st.ok.get("fresh", 0), badv),
            "\n".join(st.fail))
        badk = {k: st.bad.get(k, 0) for k in ("malformed", "oversized", "truncated")}
        tap(sum(badk.values()) == 0 and all(st.ok.get(k, 0) > 0 for k in badk),
            "malformed (400), oversized (413) and truncated bodies: %s" %
            ", ".join("%s %d" % (k, st.ok.get(k, 0)) for k in badk), "\n".join(st.fail))
        tap(swaps >= 2, "the TLS Secret was replaced %d times" % swaps)
        print("# samples (s, RSS KiB, fds, flood on): %s" %
              " ".join("%d:%d/%d%s" % (x[0], x[1], x[2], "*" if x[3] else "") for x in samples))
        print("# ends of quiet periods: %s" % " ".join("%d:%d/%d" % x for x in quiet))
        if len(quiet) >= 2:
            base = quiet[0]
            with open(a.exe, "rb") as f:
                asan = b"__asan_init" in f.read()
            # AddressSanitizer's quarantine holds freed memory on purpose
            tap(all((asan or q[1] <= base[1] + RSS_SLACK_KIB) and q[2] <= base[2] + FD_SLACK
                    for q in quiet[1:]),
                "RSS and fds flat after warm-up: every quiet period ends within %d KiB and %d "
                "fds of the first%s" % (RSS_SLACK_KIB, FD_SLACK,
                                        " (fds only: an ASan build)" if asan else ""),
                repr(quiet))
        else:
            tap(False, "RSS and fds sampled at the end of two quiet periods", repr(samples))
        sanitizer = [l for l in log_tail(log, 10 ** 7).splitlines()
                     if "AddressSanitizer" in l or "runtime error:" in l]
        tap(not sanitizer, "no sanitizer report in the server log", "\n".join(sanitizer[:20]))
    finally:
        stop.set()
        if flood and flood.poll() is None:
            flood.kill()
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def log_tail(log, n=3000):
    log.flush()
    log.seek(0)
    return log.read()[-n:]


if __name__ == "__main__":
    sys.exit(main())
