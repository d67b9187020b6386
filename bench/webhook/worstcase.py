#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# bench/webhook/worstcase.py [BUILD_DIR] — the slowest reviews we know how to
# build within the body cap (-max-body-bytes, 4 MiB by default), timed through
# `vaultlet-webhook mutate` (one process per review, so each figure includes
# ~1-2 ms of process start). Prints each shape's median of RUNS (default 3)
# wall-clock times in ms and the decision. Run by hand; not part of the suite
# (the suite checks the caps and their denials deterministically, in
# tests/webhook/test-webhook-core.c).
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
exe = os.path.join(build, "webhook", "vaultlet-webhook")
runs = int(os.environ.get("RUNS", "3"))
CAP = 4 * 1024 * 1024
P = "vault.hashicorp.com/"
SA = {"name": "sa", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}


def review(annotations, containers, volumes=None):
    ann = {P + "agent-inject": "true", P + "role": "r"}
    ann.update(annotations)
    spec = {"containers": containers}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "w", "namespace": "app", "operation": "CREATE",
                        "object": {"metadata": {"name": "p", "annotations": ann},
                                   "spec": spec}}}


def fill(make, lo=1, hi=1 << 22):
    """The largest n for which make(n) serialises within CAP."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(json.dumps(make(mid))) <= CAP:
            lo = mid
        else:
            hi = mid - 1
    return make(lo), lo


def c0(mounts=()):
    return {"name": "c0", "volumeMounts": [SA] + list(mounts)}


def mounts(n, prefix="/m/"):
    return [{"name": "v%d" % i, "mountPath": "%s%d" % (prefix, i)} for i in range(n)]


shapes = []
# 0. the reference: parsing only (annotations to the body cap, no agent-inject)
def parse_only(n):
    r = review({"other.io/x%d" % i: "" for i in range(n)}, [c0()])
    del r["request"]["object"]["metadata"]["annotations"][P + "agent-inject"]
    return r
shapes.append(("reference: no agent-inject, annotations to the body cap (parse only)",
               fill(parse_only)[0]))
# 1. the reviewer's: 20,000 containers x a 130,000-item list (over the caps)
shapes.append(("20k containers x 130k-item list (over the caps)",
               review({P + "agent-inject-containers": ",".join("c%d" % (i % 20000)
                                                              for i in range(130000))},
                      [c0()] + [{"name": "c%d" % i} for i in range(1, 20000)])))
# 2. at the caps: 256 containers, as many mounts each as fit, a 1,024-item list
def at_caps(n):
    return review({P + "agent-inject-containers": ",".join("c%d" % (i % 256)
                                                          for i in range(1024))},
                  [c0(mounts(n))] + [{"name": "c%d" % i, "volumeMounts": mounts(n)}
                                     for i in range(1, 256)])
shapes.append(("256 containers, mounts to the body cap, 1024-item list",
               fill(at_caps, 1, 1023)[0]))
# 3. copied mounts: as many containers named like the copy source, each with
#    up to 1,024 mounts, as fit
def copied(n):
    return review({P + "agent-copy-volume-mounts": "c0"},
                  [c0(mounts(1023))] + [{"name": "c0", "volumeMounts": mounts(1024, "/n%d/" % i)}
                                        for i in range(n)])
shapes.append(("copied mounts (containers named like the source) to the body cap",
               fill(copied, 1, 255)[0]))
# 4. annotations: 64 auth-config-* and unknown annotations to the body cap
def many_ann(n):
    a = {P + "auth-config-k%d" % i: "v" for i in range(62)}
    a.update({P + "x%d" % i: "" for i in range(n)})
    return review(a, [c0()])
shapes.append(("62 auth-config-* + unknown annotations to the body cap", fill(many_ann)[0]))
# 5. 64 secrets whose templates share the body
def templates(n):
    a = {}
    for i in range(64):
        a[P + "agent-inject-secret-s%d" % i] = "secret/data/x"
        a[P + "agent-inject-template-s%d" % i] = "{{ .Data.data.a }}" * n
    return review(a, [c0()])
shapes.append(("64 secrets, templates to the body cap", fill(templates)[0]))
# 6. one template of nested pipelines and ranges to the body cap
def nested(n):
    t = "{{ with secret \"secret/data/x\" }}" + "{{ range $k, $v := .Data }}{{ $k }}{{ end }}" * n + "{{ end }}"
    return review({P + "agent-inject-secret-a": "secret/data/x",
                   P + "agent-inject-template-a": t}, [c0()])
shapes.append(("one template of ranges to the body cap", fill(nested)[0]))
# 7. volumes to the body cap, with a token-volume annotation
def vols(n):
    return review({P + "agent-service-account-token-volume-name": "v%d" % (n - 1)},
                  [c0()], [{"name": "v%d" % i} for i in range(n)])
shapes.append(("volumes to the body cap", fill(vols)[0]))
# 8. a list of 1,024 long names that are no container (warnings)
shapes.append(("1024 unknown list items of 3 KiB each",
               review({P + "agent-inject-containers": ",".join(("n%d" % i) + "x" * 3000
                                                              for i in range(1024))},
                      [c0()] + [{"name": "c%d" % i} for i in range(1, 256)])))

worst = 0.0
with tempfile.TemporaryDirectory() as tmp:
    for name, rv in shapes:
        path = os.path.join(tmp, "r.json")
        body = json.dumps(rv)
        with open(path, "w") as f:
            f.write(body)
        times, outcome = [], ""
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([exe, "mutate", "-vault-address", "https://vault:8200", path],
                               capture_output=True, text=True)
            times.append((time.perf_counter() - t0) * 1000)
            err = p.stderr.strip().splitlines()
            outcome = "allowed" if p.returncode == 0 else (err[-1][:110] if err else "?")
        ms = statistics.median(times)
        worst = max(worst, ms)
        print("%-70s %8.0f KiB %8.1f ms  %s" % (name, len(body) / 1024, ms, outcome))
print("worst: %.1f ms" % worst)
