#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The vaultlet-webhook command line: version, help, `mutate` on stdin, on a
Pod manifest (the service-account volume the API server adds), -print patch,
and the exit statuses (0 allowed, 1 denied, 2 bad input or usage).

usage: cli.py VAULTLET_WEBHOOK
"""
import base64
import json
import os
import subprocess
import sys

exe = sys.argv[1]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_INJECT_")}
A = ["-vault-address", "https://vault:8200"]
P = "vault.hashicorp.com/"


def run(args, stdin=b""):
    return subprocess.run([exe] + args, input=stdin, capture_output=True, env=ENV, timeout=30)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import done, tap  # noqa: E402


def check(name, cond, diag=""):
    tap(cond, name, diag)


manifest = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "team",
                         "annotations": {P + "agent-inject": "true", P + "role": "web",
                                         P + "agent-inject-secret-db": "secret/data/db"}},
            "spec": {"initContainers": [{"name": "migrate"}], "containers": [{"name": "app"}]}}

p = run(["version"])
check("version prints the version",
      p.returncode == 0 and p.stdout.startswith(b"vaultlet-webhook "), p)
p = run(["help"])
check("help lists the commands and every flag with its environment variable",
      p.returncode == 0 and b"mutate" in p.stdout and b"AGENT_INJECT_VAULT_ADDR" in p.stdout
      and b"-max-body-bytes" in p.stdout, p)
p = run(["frob"])
check("an unknown command is a usage error (2)", p.returncode == 2 and b"unknown command" in p.stderr, p)
p = run(["mutate", "-nope"])
check("an unknown flag is a usage error (2)", p.returncode == 2 and b"-nope" in p.stderr, p)
p = run(["mutate"] + A + ["-"], json.dumps(manifest).encode())
ok = p.returncode == 0 and b"kube-api-access-preview" in p.stderr
if ok:
    resp = json.loads(p.stdout)
    ops = json.loads(base64.b64decode(resp["response"]["patch"]))
    agents = [o["value"] for o in ops if o["path"] == "/spec/containers/-"]
    ok = (resp["response"]["uid"] and agents and
          agents[0]["volumeMounts"][0] == {"name": "kube-api-access-preview", "readOnly": True,
                                           "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
check("mutate on a Pod manifest (stdin) adds the token volume the API server would, then injects",
      ok, p.stderr)
m2 = json.loads(json.dumps(manifest))
m2["spec"]["automountServiceAccountToken"] = False
p = run(["mutate"] + A, json.dumps(m2).encode())
check("a manifest with automountServiceAccountToken: false gets no token volume: denied (1)",
      p.returncode == 1 and b"failed to find service account volume mount" in p.stderr, p)
p = run(["mutate"] + A + ["-print", "patch", "-"], json.dumps(manifest).encode())
try:
    ops = json.loads(p.stdout)
    ok = p.returncode == 0 and ops[-1]["path"].endswith("agent-inject-status")
except ValueError:
    ok = False
check("-print patch prints the decoded JSON Patch", ok, p)
p = run(["mutate"] + A, b"not json")
check("a body that is not JSON: exit 2 and the 400 reason", p.returncode == 2 and b"HTTP 400" in p.stderr, p)
p = run(["mutate"] + A + ["/nonexistent/review.json"])
check("an unreadable file: exit 2", p.returncode == 2 and b"cannot read" in p.stderr, p)
p = run(["mutate", "-"], json.dumps(manifest).encode())
check("mutate without a Vault address is refused like serve", p.returncode == 2
      and b"No Vault service configured" in p.stderr, p)
sys.exit(done())
