#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Data-driven admission tests: one TAP point per tests/data/admission case.

For each NNN-name.review.json, runs `vaultlet-webhook mutate FLAGS FILE`
(the exact code path of POST /mutate), checks the response against
NNN-name.expect.json (see make-admission-cases.py for the keys), applies the
patch to request.object with python3-jsonpatch (an independent RFC 6902
implementation), and checks the patched pod the way the API server would:
unique container and volume names, every volumeMount names a volume, mount
paths unique per container, quantities in Kubernetes syntax, restartPolicy,
probes and lifecycle hooks as ValidatePodSpec allows them (kubesim's
container_rules: native sidecars), the agent runs without /bin/sh, and VAULT_CONFIG is standard base64 of JSON. Finally every
VAULT_CONFIG seen is re-marshalled by Go's encoding/json through
vconfig_oracle.go (the stock injector's struct order) and must come back
byte for byte.

usage: admission.py VAULTLET_WEBHOOK DATA_DIR [GO_ORACLE.go]
"""
import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys

import jsonpatch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from kubesim.apiserver import container_rules  # noqa: E402

QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
BASE_FLAGS = ["-vault-address", "https://vault:8200", "-vault-auth-path", "kubernetes",
              "-vault-image", "vault"]
AGENTS = ("vault-agent-init", "vault-agent")


class Fail(Exception):
    pass


def resolve(doc, pointer):
    """Value at an RFC 6901 pointer; raises KeyError when absent."""
    if pointer == "":
        return doc
    cur = doc
    for tok in pointer.split("/")[1:]:
        tok = tok.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, list):
            if not tok.isdigit() or int(tok) >= len(cur):
                raise KeyError(pointer)
            cur = cur[int(tok)]
        elif isinstance(cur, dict):
            if tok not in cur:
                raise KeyError(pointer)
            cur = cur[tok]
        else:
            raise KeyError(pointer)
    return cur


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AGENT_INJECT_") and not k.startswith("VAULTLET_WEBHOOK_")}
    env.update(extra or {})
    return env


def all_containers(p):
    spec = p.get("spec") or {}
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def dangling(p):
    vols = {v.get("name") for v in (p.get("spec") or {}).get("volumes") or []}
    return {m.get("name") for c in all_containers(p)
            for m in c.get("volumeMounts") or [] if m.get("name") not in vols}


def check_pod(orig, patched):
    names = [c.get("name") for c in all_containers(patched)]
    check(len(names) == len(set(names)), "duplicate container names: %s" % names)
    vols = [v.get("name") for v in (patched.get("spec") or {}).get("volumes") or []]
    check(len(vols) == len(set(vols)), "duplicate volume names: %s" % vols)
    # the test pods of the reference mount a volume they do not define (basicSpec): only a
    # reference the patch introduces is an error
    new_dangling = dangling(patched) - dangling(orig)
    check(not new_dangling, "volumeMounts naming no volume: %s" % sorted(new_dangling))
    rules = container_rules(patched.get("spec") or {})
    check(not rules, "the API server would refuse the pod: %s" % "; ".join(rules))
    for c in all_containers(patched):
        paths = [m.get("mountPath") for m in c.get("volumeMounts") or []]
        check(len(paths) == len(set(paths)),
              "container %s mounts two volumes at one path: %s" % (c.get("name"), paths))
        if c.get("name") not in AGENTS:
            continue
        for kind in ("limits", "requests"):
            for res, q in ((c.get("resources") or {}).get(kind) or {}).items():
                check(isinstance(q, str) and QUANTITY_RE.match(q),
                      "%s %s.%s is not a quantity: %r" % (c["name"], kind, res, q))
        argv = (c.get("command") or []) + (c.get("args") or [])
        check(argv and not any("/bin/sh" in a or "base64" in a for a in argv),
              "agent %s runs a shell: %s" % (c["name"], argv))
        sc = c.get("securityContext")
        if sc is not None:
            check(sc.get("seccompProfile") == {"type": "RuntimeDefault"},
                  "agent %s has no seccompProfile RuntimeDefault" % c["name"])


def agent_configs(patched):
    out = {}
    for c in all_containers(patched):
        if c.get("name") not in AGENTS:
            continue
        for e in c.get("env") or []:
            if e.get("name") == "VAULT_CONFIG":
                raw = e.get("value", "")
                text = base64.b64decode(raw, validate=True)
                check(base64.b64encode(text).decode() == raw, "VAULT_CONFIG is not canonical base64")
                out["init" if c["name"] == "vault-agent-init" else "sidecar"] = (raw, text.decode())
    return out


def run_case(exe, data, stem, go_inputs):
    with open(os.path.join(data, stem + ".expect.json")) as f:
        exp = json.load(f)
    rpath = os.path.join(data, stem + ".review.json")
    with open(rpath) as f:
        text = f.read()
    try:
        req = json.loads(text)
    except ValueError:
        req = None
    flags = exp.get("flags", BASE_FLAGS)
    p = subprocess.run([exe, "mutate"] + flags + [rpath], capture_output=True,
                       env=clean_env(exp.get("env")), timeout=60)
    stderr = p.stderr.decode(errors="replace")
    if "ERROR: AddressSanitizer" in stderr or "runtime error:" in stderr:
        raise Fail("sanitizer report:\n" + stderr)
    if exp.get("http_status", 200) == 400:
        check(p.returncode == 2, "exit %d, want 2 (HTTP 400); stderr: %s" % (p.returncode, stderr))
        check("HTTP 400" in stderr, "no HTTP 400 in stderr: " + stderr)
        for s in exp.get("message_contains", []):
            check(s in stderr, "reason lacks %r: %s" % (s, stderr))
        check(stderr.count("\n") == 1, "the reason is not one line: %r" % stderr)
        return None
    want_rc = 0 if exp["allowed"] else 1
    check(p.returncode == want_rc, "exit %d, want %d; stderr: %s" % (p.returncode, want_rc, stderr))
    out = p.stdout.decode()
    check(out.endswith("\n") and out.count("\n") == 1, "output is not one line")
    resp = json.loads(out)
    check(resp.get("kind") == "AdmissionReview", "kind %r" % resp.get("kind"))
    want_api = exp.get("api_version", "admission.k8s.io/v1")
    check(resp.get("apiVersion") == want_api, "apiVersion %r, want %r" % (resp.get("apiVersion"), want_api))
    r = resp["response"]
    want_uid = exp.get("uid", req["request"].get("uid") if req else None)
    check(r.get("uid") == want_uid, "uid %r, want %r" % (r.get("uid"), want_uid))
    check(r.get("allowed") is exp["allowed"], "allowed %r" % r.get("allowed"))
    if not exp["allowed"]:
        msg = (r.get("status") or {}).get("message", "")
        for s in exp.get("message_contains", []):
            check(s in msg, "message lacks %r: %s" % (s, msg))
    warnings = r.get("warnings") or []
    for s in exp.get("warnings_contain", []):
        check(any(s in w for w in warnings), "no warning with %r in %s" % (s, warnings))
    if exp.get("no_warnings"):
        check(not warnings, "unexpected warnings: %s" % warnings)
    check(("patch" in r) == exp["patched"], "patch present: %r" % ("patch" in r))
    if not exp["patched"]:
        check("patchType" not in r, "patchType without a patch")
        return None
    check(r.get("patchType") == "JSONPatch", "patchType %r" % r.get("patchType"))
    ops = json.loads(base64.b64decode(r["patch"], validate=True))
    text = base64.b64decode(r["patch"]).decode()
    for want in exp.get("patch_contains", []):
        check(want in text, "the patch text lacks %r" % want)
    if exp.get("ops") is not None:
        got = [[o["op"], o["path"]] for o in ops]
        check(got == exp["ops"], "ops:\n  got  %s\n  want %s" % (got, exp["ops"]))
    orig = req["request"]["object"]
    patched = jsonpatch.JsonPatch(ops).apply(copy.deepcopy(orig))
    check_pod(orig, patched)
    configs = agent_configs(patched)
    for kind, (raw, _) in configs.items():
        go_inputs.append((stem + " " + kind, raw))
    for ptr, want in exp.get("pod", {}).items():
        try:
            got = resolve(patched, ptr)
        except KeyError:
            raise Fail("pod has no %s" % ptr)
        if isinstance(want, dict) and isinstance(got, dict):
            got = copy.deepcopy(got)
            for e in got.get("env") or []:
                if e.get("name") == "VAULT_CONFIG" and want.get("env"):
                    e["value"] = "@@CONFIG_SIDECAR@@"
        check(got == want, "pod %s:\n  got  %s\n  want %s" % (ptr, json.dumps(got), json.dumps(want)))
    for ptr in exp.get("pod_absent", []):
        try:
            resolve(patched, ptr)
            raise Fail("pod has %s" % ptr)
        except KeyError:
            pass
    for kind, want in exp.get("config", {}).items():
        check(kind in configs, "no %s agent" % kind)
        check(configs[kind][1] == want, "%s VAULT_CONFIG:\n  got  %s\n  want %s" %
              (kind, configs[kind][1], want))
    for kind, ptrs in exp.get("config_values", {}).items():
        check(kind in configs, "no %s agent" % kind)
        doc = json.loads(configs[kind][1])
        for ptr, want in ptrs.items():
            try:
                got = resolve(doc, ptr)
            except KeyError:
                raise Fail("%s config has no %s: %s" % (kind, ptr, configs[kind][1]))
            check(got == want and type(got) == type(want),
                  "%s config %s: got %r, want %r" % (kind, ptr, got, want))
    for kind, ptrs in exp.get("config_absent", {}).items():
        check(kind in configs, "no %s agent" % kind)
        doc = json.loads(configs[kind][1])
        for ptr in ptrs:
            try:
                resolve(doc, ptr)
                raise Fail("%s config has %s" % (kind, ptr))
            except KeyError:
                pass
    return None


def go_oracle(oracle, inputs):
    go = shutil.which("go")
    if not oracle or not go:
        return "SKIP no Go toolchain"
    cache = os.path.join(os.environ.get("VAULTLET_BUILD_ROOT", "/tmp"), "go-cache")
    env = dict(os.environ, GOCACHE=cache, GOPATH=os.path.join(cache, "gopath"), GO111MODULE="off",
               GOFLAGS="", GOTOOLCHAIN="local")
    p = subprocess.run([go, "run", oracle], input="".join(raw + "\n" for _, raw in inputs).encode(),
                       capture_output=True, env=env, timeout=300)
    if p.returncode != 0:
        raise Fail("go run failed: " + p.stderr.decode(errors="replace"))
    lines = p.stdout.decode().splitlines()
    bad = [l for l in lines if not l.startswith("ok ") and not l.startswith("  ")]
    if bad:
        details = []
        for l in p.stdout.decode().split("\n"):
            if l.startswith("diff "):
                n = int(l.split()[1])
                details.append(inputs[n - 1][0] + ": " + l)
            elif l.startswith("  "):
                details.append(l)
        raise Fail("Go re-marshals differently:\n" + "\n".join(details))
    check(len(lines) == len(inputs), "oracle answered %d of %d" % (len(lines), len(inputs)))
    return None


def main():
    exe, data = sys.argv[1], sys.argv[2]
    oracle = sys.argv[3] if len(sys.argv) > 3 else None
    stems = sorted(f[:-len(".expect.json")] for f in os.listdir(data) if f.endswith(".expect.json"))
    print("1..%d" % (len(stems) + 1))
    failed = 0
    go_inputs = []
    for i, stem in enumerate(stems, 1):
        try:
            run_case(exe, data, stem, go_inputs)
            print("ok %d - %s" % (i, stem))
        except (Fail, KeyError, ValueError, jsonpatch.JsonPatchException,
                jsonpatch.JsonPointerException, subprocess.TimeoutExpired) as e:
            failed += 1
            print("not ok %d - %s" % (i, stem))
            for line in str(e).splitlines() or [repr(e)]:
                print("# " + line)
        sys.stdout.flush()
    n = len(stems) + 1
    try:
        skip = go_oracle(oracle, go_inputs)
        print("ok %d - %d VAULT_CONFIGs re-marshal byte-identical through Go's encoding/json%s"
              % (n, len(go_inputs), " # " + skip if skip else ""))
    except Fail as e:
        failed += 1
        print("not ok %d - VAULT_CONFIG vs Go's encoding/json" % n)
        for line in str(e).splitlines():
            print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
