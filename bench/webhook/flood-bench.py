#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-webhook and the Go baseline under a connection flood, in one run.

For each server (vaultlet-webhook with its defaults, then gowebhook), RUNS
times, interleaved:
  1. no flood: wrk sends the seed's LiteLLM review over 8 kept-alive
     connections for DUR s while bench/webhook/freshload (Go's net/http
     client, the API server's) sends it over fresh connections (one review
     each, as an API server after its idle timeout) at 20/s;
  2. the same while bench/webhook/flood.py holds 5,000 idle connections,
     1,000 stalled partial ClientHellos and 200 slowloris connections;
  3. the flood ended: RSS and fds, after SETTLE s, against those before it.
The flood reports how many connections it really held while the loads ran
(the mean and the least of its samples; reopening what a server closes
takes it CPU that this machine's loads compete for): the table shows them.
Samples the server's RSS, threads and fds every 0.2 s. Prints per phase the
success rate, p50/p99 of both loads, peak RSS, threads and fds, and at the
end the medians over the runs as a Markdown table. Loopback only; every
child is bounded in time.

usage: flood-bench.py BUILD_DIR   (env: RUNS=3 DUR=30 SETTLE=15)
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNS = int(os.environ.get("RUNS", "3"))
DUR = int(os.environ.get("DUR", "30"))
SETTLE = int(os.environ.get("SETTLE", "15"))
FLOOD = {"idle": 5000, "partial": 1000, "slowloris": 200}


def proc_stats(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            st = f.read()
        rss = int(re.search(r"VmRSS:\s+(\d+)", st).group(1))
        thr = int(re.search(r"Threads:\s+(\d+)", st).group(1))
        fds = len(os.listdir("/proc/%d/fd" % pid))
        return rss, thr, fds
    except (OSError, AttributeError):
        return None


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak = pid, threading.Event(), [0, 0, 0]

    def run(self):
        while not self.stop.is_set():
            s = proc_stats(self.pid)
            if s:
                self.peak = [max(a, b) for a, b in zip(self.peak, s)]
            time.sleep(0.2)


def parse_wrk(t):
    n = int(re.search(r"(\d+) requests in", t).group(1))
    e = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
    s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    bad = int(e.group(1)) if e else 0
    errs = sum(int(x) for x in s.groups()) if s else 0

    def pct(p):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, t, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    return {"n": n + errs, "ok": n - bad, "p50": pct(50), "p99": pct(99)}


def parse_fresh(t):
    try:
        return json.loads(t.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"n": 1, "ok": 0, "p50": float("nan"), "p99": float("nan"), "errors": {t: 1}}


def load(url, review, tmp):
    lua = os.path.join(tmp, "post.lua")
    wrk = subprocess.Popen(["wrk", "-t2", "-c8", "-d%ds" % DUR, "--latency", "-s", lua, url],
                           env=dict(os.environ, REVIEW=review), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    fresh = subprocess.Popen([os.path.join(tmp, "freshload"), "-url", url, "-ca",
                            os.path.join(tmp, "certs/ca.crt"), "-body", review, "-rate", "20",
                            "-duration", "%ds" % DUR], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    wout, _ = wrk.communicate(timeout=DUR + 60)
    fout_, _ = fresh.communicate(timeout=DUR + 60)
    return parse_wrk(wout), parse_fresh(fout_)


def phase(pid, url, review, tmp):
    s = Sampler(pid)
    s.start()
    w, h = load(url, review, tmp)
    s.stop.set()
    s.join()
    return {"wrk": w, "fresh": h, "rss_kib": s.peak[0], "threads": s.peak[1], "fds": s.peak[2]}


def run_server(name, pid, port, review, tmp):
    url = "https://127.0.0.1:%d/mutate" % port
    out = {}
    out["noflood"] = phase(pid, url, review, tmp)
    time.sleep(2)
    out["before"] = proc_stats(pid)
    ready = os.path.join(tmp, "flood-ready")
    if os.path.exists(ready):
        os.unlink(ready)
    # the attacker's CPU is not the webhook's in a cluster; on this machine it is
    fl = subprocess.Popen(["nice", "-n", "10", sys.executable, os.path.join(ROOT, "bench/webhook/flood.py"),
                           "--port", str(port), "--idle", str(FLOOD["idle"]),
                           "--partial", str(FLOOD["partial"]), "--slowloris",
                           str(FLOOD["slowloris"]), "--duration", str(DUR + 25),
                           # what a server closes comes back at once: against a
                           # 10 s header deadline, 1,000/s left the flood 1,800
                           # connections short on average
                           "--reopen-rate", "5000",
                           "--ready-file", ready], stdout=subprocess.PIPE, text=True)
    s = Sampler(pid)
    s.start()
    load_avg = open("/proc/loadavg").read().split()[0]
    t0 = time.time()
    while not os.path.exists(ready) and time.time() - t0 < 20 and fl.poll() is None:
        time.sleep(0.1)
    time.sleep(2)
    w, h = load(url, review, tmp)
    fout, _ = fl.communicate(timeout=DUR + 90)
    s.stop.set()
    s.join()
    out["flood"] = {"wrk": w, "fresh": h, "rss_kib": s.peak[0], "threads": s.peak[1],
                    "fds": s.peak[2], "flood": json.loads(fout.strip().splitlines()[-1])}
    out["load"] = load_avg
    time.sleep(SETTLE)
    out["after"] = proc_stats(pid)
    return out


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    wh = os.path.join(build, "webhook/vaultlet-webhook")
    cg = os.path.join(build, "certs/vaultlet-certgen")
    for b in (wh, cg):
        if not os.access(b, os.X_OK):
            sys.exit("flood-bench: %s not built (meson setup build && ninja -C build)" % b)
    for t in ("wrk", "go"):
        if not shutil.which(t):
            sys.exit("flood-bench: %s is not installed (apt-get install %s)" %
                     (t, "golang-go" if t == "go" else t))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = sum(FLOOD.values()) + 1024
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))
    tmp = tempfile.mkdtemp(prefix="vaultlet-flood.")
    procs = []
    try:
        subprocess.run([cg, "-out-dir", tmp + "/certs", "-ip", "127.0.0.1"], check=True,
                       capture_output=True)
        pod = yaml.safe_load(open(os.path.join(ROOT, "examples/litellm-pod.yaml")))
        review = os.path.join(tmp, "inject.json")
        with open(review, "w") as f:
            json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": "bench", "namespace": "litellm",
                                   "operation": "CREATE",
                                   "kind": {"group": "", "version": "v1", "kind": "Pod"},
                                   "object": pod}}, f)
        with open(os.path.join(tmp, "post.lua"), "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    'local f = assert(io.open(os.getenv("REVIEW"), "rb"))\n'
                    'wrk.body = f:read("*a")\nf:close()\n')
        for d, exe in (("gowebhook", "gowebhook"), ("freshload", "freshload")):
            subprocess.run(["go", "build", "-o", os.path.join(tmp, exe), "main.go"],
                           cwd=os.path.join(ROOT, "bench/webhook", d), check=True,
                           env=dict(os.environ, GO111MODULE="off", GOFLAGS="",
                                    GOCACHE=tmp + "/gocache"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLET_")}
        p = subprocess.Popen([wh, "serve", "-listen", "127.0.0.1:0", "-ready-file",
                              tmp + "/port", "-vault-address", "https://vault.vault.svc:8200",
                              "-vault-image", "vaultlet/vaultlet:0.1.0",
                              "-tls-cert-file", tmp + "/certs/tls.crt",
                              "-tls-key-file", tmp + "/certs/tls.key", "-log-level", "warn"],
                             stderr=open(tmp + "/webhook.log", "w"), env=env)
        procs.append(p)
        g = subprocess.Popen([tmp + "/gowebhook", "-listen", "127.0.0.1:18445", "-cert",
                              tmp + "/certs/tls.crt", "-key", tmp + "/certs/tls.key"],
                             stderr=subprocess.DEVNULL)
        procs.append(g)
        t0 = time.time()
        while not os.path.exists(tmp + "/port") or not open(tmp + "/port").read().strip():
            if time.time() - t0 > 15:
                sys.exit("flood-bench: vaultlet-webhook did not start")
            time.sleep(0.05)
        whport = int(open(tmp + "/port").read())
        time.sleep(1)
        results = []
        print("flood-bench: %d runs, %d s per load, %d CPUs, load average %s" %
              (RUNS, DUR, os.cpu_count(), open("/proc/loadavg").read().split()[:3]), flush=True)
        for r in range(RUNS):
            for name, pid, port in (("vaultlet", p.pid, whport), ("go", g.pid, 18445)):
                res = run_server(name, pid, port, review, tmp)
                res["server"], res["run"] = name, r + 1
                results.append(res)
                print(json.dumps(res), flush=True)
        summarize(results)
        with open(tmp + "/webhook.log") as f:
            warn = [l for l in f if "closed" in l][-1:]
        print("vaultlet's last connection-closing log line: %s" % (warn[0].strip() if warn
                                                                   else "(none)"))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def summarize(results):
    def med(xs):
        return statistics.median(xs)
    print()
    print("| server | flood | kept-alive ok | p50 / p99 ms | fresh ok | p50 / p99 ms | "
          "peak RSS MiB | threads | fds | after flood: RSS MiB / fds (before) | "
          "flood held: mean (least) idle / partial / slowloris |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("vaultlet", "go"):
        rs = [r for r in results if r["server"] == name]
        for ph in ("noflood", "flood"):
            xs = [r[ph] for r in rs]
            w_ok = sum(x["wrk"]["ok"] for x in xs)
            w_n = sum(x["wrk"]["n"] for x in xs)
            h_ok = sum(x["fresh"]["ok"] for x in xs)
            h_n = sum(x["fresh"]["n"] for x in xs)
            after = held = ""
            if ph == "flood":
                fl = [x["flood"] for x in xs if "held_mean" in x["flood"]]
                if fl:
                    held = " / ".join("%d (%d)" % (med([f["held_mean"][k] for f in fl]),
                                                   min(f["held_min"][k] for f in fl))
                                      for k in ("idle", "partial", "slowloris"))
                after = "%.1f / %d (%.1f / %d)" % (
                    med([r["after"][0] for r in rs]) / 1024, med([r["after"][2] for r in rs]),
                    med([r["before"][0] for r in rs]) / 1024,
                    med([r["before"][2] for r in rs]))
            print("| %s | %s | %d/%d (%.2f%%) | %.2f / %.2f | %d/%d (%.2f%%) | %.1f / %.1f | "
                  "%.1f | %d | %d | %s | %s |" % (
                      name, "yes" if ph == "flood" else "no", w_ok, w_n,
                      100.0 * w_ok / max(w_n, 1), med([x["wrk"]["p50"] for x in xs]),
                      med([x["wrk"]["p99"] for x in xs]), h_ok, h_n,
                      100.0 * h_ok / max(h_n, 1), med([x["fresh"]["p50"] for x in xs]),
                      med([x["fresh"]["p99"] for x in xs]),
                      med([x["rss_kib"] for x in xs]) / 1024,
                      med([x["threads"] for x in xs]), med([x["fds"] for x in xs]), after,
                      held))
    print("(medians of %d runs; ok counts summed; fresh = bench/webhook/freshload, Go net/http "
          "without keep-alive, at 20/s; flood held: the median of the runs' means, and the "
          "least held at any sample)" % len([r for r in results if r["server"] == "vaultlet"]))
    print("load average at the start of each server's flood phase: %s" %
          ", ".join("%s %d: %s" % (r["server"], r["run"], r.get("load", "?")) for r in results))


if __name__ == "__main__":
    main()
