#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes tests/data/admission/NNN-name.{review.json,expect.json}.

The cases are the black-box test vectors TV-01..TV-33 of
shared/reference/vault-k8s-injector.md section 4 (what the stock injector
does), adjusted where vaultlet fixes a stock bug or deliberately differs
(each such case says so in its "comment"), plus vaultlet's own cases.
Expectations are written here by hand from the reference and the stock
source; nothing is computed by running vaultlet. Run it after editing a
case and commit both the script and the data:

    /usr/bin/python3 tests/webhook/make-admission-cases.py

expect.json keys (all optional except comment):
  flags            serve/mutate flags (default: the TV baseline)
  http_status      200 (default) or 400 (mutate exits 2)
  allowed, patched whether the response allows, and carries a patch
  api_version      expected response apiVersion
  ops              exact [op, path] sequence of the patch
  patch_contains   substrings of the patch's JSON text (field order, as Go marshals it)
  message_contains substrings of the denial message
  warnings_contain substrings, each found in some warning; no_warnings: true
  pod              {json-pointer: value} in the patched pod
  pod_absent       json-pointers that must not exist in the patched pod
  config           {"init"|"sidecar": exact VAULT_CONFIG JSON text}
  config_values    {"init"|"sidecar": {json-pointer: value}} in the decoded config
  config_absent    {"init"|"sidecar": [json-pointers]}
"""
import copy
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "admission")
P = "vault.hashicorp.com/"

BASE_FLAGS = ["-vault-address", "https://vault:8200", "-vault-auth-path", "kubernetes",
              "-vault-image", "vault"]
AGENT_CMD = ["/usr/local/bin/vaultlet-agent"]
TOKEN = "serviceaccount/somewhere/token"
SEC_CTX = {"capabilities": {"drop": ["ALL"]}, "runAsUser": 100, "runAsGroup": 1000,
           "runAsNonRoot": True, "readOnlyRootFilesystem": True,
           "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
MAP_TMPL = ('{{ with secret "%s" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n'
            '{{ end }}{{ end }}')
JSON_TMPL = '{{ with secret "%s" }}{{ .Data | toJSON }}\n{{ end }}'

cases = []


def basic_spec():
    """The reference's basicSpec: init container web-init and container web, each
    mounting volume foobar at serviceaccount/somewhere; no spec.volumes."""
    mount = [{"name": "foobar", "mountPath": "serviceaccount/somewhere"}]
    return {"initContainers": [{"name": "web-init", "volumeMounts": copy.deepcopy(mount)}],
            "containers": [{"name": "web", "volumeMounts": copy.deepcopy(mount)}]}


def pod(annotations=None, spec=None, phase="Pending", name="foo", extra_meta=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name}, "spec": spec if spec is not None else basic_spec()}
    if annotations is not None:
        p["metadata"]["annotations"] = annotations
    if extra_meta:
        p["metadata"].update(extra_meta)
    if phase is not None:
        p["status"] = {"phase": phase}
    return p


def review(p, namespace="test", api="admission.k8s.io/v1", uid=None, **req):
    r = {"apiVersion": api, "kind": "AdmissionReview",
         "request": {"uid": uid or "00000000-0000-0000-0000-%012d" % (len(cases) + 1),
                     "kind": {"group": "", "version": "v1", "kind": "Pod"},
                     "resource": {"group": "", "version": "v1", "resource": "pods"},
                     "namespace": namespace, "operation": "CREATE",
                     "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
                     "object": p, "oldObject": None, "dryRun": False}}
    r["request"].update(req)
    return r


def ann(**kw):
    """agent-inject: true plus the given annotations (underscores -> dashes)."""
    a = {P + "agent-inject": "true"}
    for k, v in kw.items():
        a[P + k.replace("_", "-")] = v
    return a


def add(name, comment, rev, **expect):
    expect["comment"] = comment
    cases.append((name, rev, expect))


def skipped(name, comment, rev, **kw):
    add(name, comment, rev, allowed=True, patched=False, **kw)


def denied(name, comment, rev, contains, **kw):
    add(name, comment, rev, allowed=False, patched=False,
        message_contains=contains if isinstance(contains, list) else [contains], **kw)


def injected(name, comment, rev, **kw):
    add(name, comment, rev, allowed=True, patched=True, **kw)


STATUS_OP = ["add", "/metadata/annotations/vault.hashicorp.com~1agent-inject-status"]

# ---------------------------------------------------------------- TV-01..TV-06
skipped("tv01-no-annotations", "TV-01: basicSpec, no annotations: allowed, no patch",
        review(pod()), no_warnings=True)
skipped("tv02-inject-false", "TV-02: agent-inject false, role demo: allowed, no patch",
        review(pod({P + "agent-inject": "false", P + "role": "demo"})))
skipped("tv03-status-only", "TV-03: only agent-inject-status injected: allowed, no patch",
        review(pod({P + "agent-inject-status": "injected"})))
injected("tv04-status-empty", "TV-04: agent-inject true with status \"\" (phase Pending): inject",
         review(pod(ann(role="demo", agent_inject_status=""))))
skipped("tv04-status-injected", "TV-04: status injected: no patch",
        review(pod(ann(role="demo", agent_inject_status="injected"))))
injected("tv04-status-update", "TV-04: status update: injected again",
         review(pod(ann(role="demo", agent_inject_status="update"))),
         pod={"/metadata/annotations/vault.hashicorp.com~1agent-inject-status": "injected"})
for ph in ["Running", "Succeeded", "Failed"]:
    skipped("tv05-phase-" + ph.lower(), "TV-05: phase %s: no patch, even with status update" % ph,
            review(pod(ann(role="demo", agent_inject_status="update"), phase=ph)))
for ns in ["kube-system", "kube-public"]:
    denied("tv06-" + ns, "TV-06: namespace %s is denied, not skipped" % ns,
           review(pod(ann(role="demo")), namespace=ns),
           ["error with request namespace", "cannot inject into system namespaces: " + ns])

# ---------------------------------------------------------------- TV-07..TV-12
injected("tv07-basic",
         "TV-07: basicSpec + role demo. ADJUSTED (stock bug fixed): the 3rd op appends "
         "/spec/volumes/- instead of re-adding /spec/volumes, which replaced the array and "
         "lost home-init and home-sidecar",
         review(pod(ann(role="demo"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/-"],
              ["add", "/spec/initContainers/0/volumeMounts/-"], ["add", "/spec/containers/-"],
              STATUS_OP],
         pod={"/spec/volumes/0/name": "home-init", "/spec/volumes/1/name": "home-sidecar",
              "/spec/volumes/2": {"name": "vault-secrets", "emptyDir": {"medium": "Memory"}},
              "/spec/initContainers/1/name": "vault-agent-init",
              "/spec/initContainers/0/volumeMounts/1":
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"},
              "/spec/containers/1/name": "vault-agent",
              "/spec/containers/1/command": AGENT_CMD,
              "/spec/containers/1/securityContext": SEC_CTX,
              "/metadata/annotations/vault.hashicorp.com~1agent-inject-status": "injected"},
         pod_absent=["/spec/containers/1/args", "/spec/initContainers/1/lifecycle"],
         no_warnings=True)
injected("tv08-init-first",
         "TV-08: + agent-init-first. ADJUSTED: the init agent is inserted with "
         "add /spec/initContainers/0 instead of remove + re-add of the whole array (same "
         "result, the other init containers are not round-tripped); volumes as TV-07",
         review(pod(ann(role="demo", agent_init_first="true"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/0"],
              ["add", "/spec/initContainers/1/volumeMounts/-"], ["add", "/spec/containers/-"],
              STATUS_OP],
         pod={"/spec/initContainers/0/name": "vault-agent-init",
              "/spec/initContainers/1/name": "web-init",
              "/spec/initContainers/1/volumeMounts/1/name": "vault-secrets"})
injected("tv08-init-first-no-init-containers",
         "TV-08 variant: agent-init-first on a pod without init containers creates the array",
         review(pod(ann(role="demo", agent_init_first="true"),
                    spec={"containers": [{"name": "web", "volumeMounts": [
                        {"name": "foobar", "mountPath": "serviceaccount/somewhere"}]}]})),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers"],
              ["add", "/spec/containers/-"], STATUS_OP],
         pod={"/spec/initContainers/0/name": "vault-agent-init"})
injected("tv09-tls-secret-no-prepopulate",
         "TV-09: tls-secret demo, agent-pre-populate false: no init container, no init mounts. "
         "ADJUSTED (stock bug fixed): volumes are add /spec/volumes then /- (not 3 whole-array "
         "adds)",
         review(pod(ann(role="demo", tls_secret="demo", agent_pre_populate="false"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/containers/-"],
              STATUS_OP],
         pod={"/spec/volumes/0/name": "home-sidecar", "/spec/volumes/1/name": "vault-secrets",
              "/spec/volumes/2": {"name": "vault-tls-secrets", "secret": {"secretName": "demo"}},
              "/spec/containers/1/volumeMounts/3":
                  {"name": "vault-tls-secrets", "readOnly": True, "mountPath": "/vault/tls"},
              "/spec/initContainers/0/name": "web-init"},
         pod_absent=["/spec/initContainers/1", "/spec/initContainers/0/volumeMounts/1"])
injected("tv10-prepopulate-only",
         "TV-10: tls-secret, agent-pre-populate-only: init only, no sidecar. ADJUSTED (stock "
         "bug fixed): /spec/volumes then /-",
         review(pod(ann(role="demo", tls_secret="demo", agent_pre_populate_only="true"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/-"],
              ["add", "/spec/initContainers/0/volumeMounts/-"], STATUS_OP],
         pod={"/spec/volumes/0/name": "home-init", "/spec/volumes/2/name": "vault-tls-secrets",
              "/spec/initContainers/1/name": "vault-agent-init"},
         pod_absent=["/spec/containers/1"])
denied("tv11-configmap",
       "TV-11: agent-configmap. ADJUSTED (vaultlet difference): denied with a clear message; "
       "the stock agent would run `vault agent -config=/vault/configs/config.hcl`, an HCL file "
       "vaultlet-agent does not read",
       review(pod(ann(agent_configmap="demo"))), "agent-configmap is not supported by vaultlet")
injected("tv12-share-process-namespace",
         "TV-12: agent-share-process-namespace true: add /spec/shareProcessNamespace after the "
         "init ops, before the sidecar",
         review(pod(ann(role="demo", agent_share_process_namespace="true"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/-"],
              ["add", "/spec/initContainers/0/volumeMounts/-"],
              ["add", "/spec/shareProcessNamespace"], ["add", "/spec/containers/-"], STATUS_OP],
         pod={"/spec/shareProcessNamespace": True})
injected("tv12-share-process-namespace-no-prepopulate",
         "TV-12 variant. ADJUSTED (stock bug fixed): shareProcessNamespace applies without "
         "pre-populate too (the stock injector ignored it there)",
         review(pod(ann(role="demo", agent_share_process_namespace="true",
                        agent_pre_populate="false"))),
         pod={"/spec/shareProcessNamespace": True})
sp = basic_spec()
sp["shareProcessNamespace"] = False
denied("tv12-share-process-namespace-disabled",
       "TV-12: the pod sets shareProcessNamespace false: denied",
       review(pod(ann(role="demo", agent_share_process_namespace="true"), spec=sp)),
       "shareProcessNamespace explicitly disabled on the pod, refusing to enable it")

# ---------------------------------------------------------------- TV-13, TV-14
for v in ["foobar", "jsn", ""]:
    denied("tv13-default-template-" + (v or "empty"), "TV-13: default template %r denied" % v,
           review(pod(ann(role="demo", agent_inject_secret_foo="db/creds/foo",
                          agent_inject_default_template=v))),
           "invalid default template type")
injected("tv13-default-template-JSON", "TV-13: JSON (any case) selects the json template",
         review(pod(ann(role="demo", agent_inject_secret_foo="db/creds/foo",
                        agent_inject_default_template="JSON"))),
         config_values={"sidecar": {"/template/0/contents": JSON_TMPL % "db/creds/foo"}})
injected("tv13-default-template-MAP", "TV-13: MAP selects the map template",
         review(pod(ann(role="demo", agent_inject_secret_foo="db/creds/foo",
                        agent_inject_default_template="MAP"))),
         config_values={"sidecar": {"/template/0/contents": MAP_TMPL % "db/creds/foo"}})


def three_containers():
    m = [{"name": "foobar", "mountPath": "serviceaccount/somewhere"}]
    return {"containers": [{"name": n, "volumeMounts": copy.deepcopy(m)}
                           for n in ["foobar", "foo1", "foo2"]]}


def tv14_ops(idx):
    return ([["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"]] +
            [["add", "/spec/containers/%d/volumeMounts/-" % i] for i in idx] +
            [["add", "/spec/initContainers"], ["add", "/spec/containers/-"], STATUS_OP])


injected("tv14-containers-all", "TV-14: no agent-inject-containers: every container gets the "
         "mount; the init op creates the array",
         review(pod(ann(role="demo"), spec=three_containers())), ops=tv14_ops([0, 1, 2]))
injected("tv14-containers-foo1", "TV-14: agent-inject-containers foo1",
         review(pod(ann(role="demo", agent_inject_containers="foo1"), spec=three_containers())),
         ops=tv14_ops([1]))
injected("tv14-containers-foo1-foo2", "TV-14: agent-inject-containers foo1,foo2",
         review(pod(ann(role="demo", agent_inject_containers="foo1,foo2"),
                    spec=three_containers())), ops=tv14_ops([1, 2]))
injected("tv14-containers-trimmed",
         "TV-14 variant. ADJUSTED (stock bug fixed): \"foo1, foo2\" is trimmed, so foo2 is "
         "mounted too (the stock injector looked for \" foo2\")",
         review(pod(ann(role="demo", agent_inject_containers="foo1, foo2"),
                    spec=three_containers())), ops=tv14_ops([1, 2]), no_warnings=True)
injected("tv14-containers-unknown",
         "TV-14 variant (vaultlet): a name that is no container gets a warning",
         review(pod(ann(role="demo", agent_inject_containers="foo1,nope"),
                    spec=three_containers())), ops=tv14_ops([1]),
         warnings_contain=["agent-inject-containers names \"nope\""])

# ---------------------------------------------------------------- TV-15 booleans
for v, ok in [("true", True), ("TRUE", True), ("1", True), ("t", True), ("T", True),
              ("True", True)]:
    injected("tv15-agent-inject-" + {"true": "true", "TRUE": "TRUE-upper", "1": "1", "t": "t",
                                     "T": "T-upper", "True": "True-title"}[v],
             "TV-15: agent-inject %r is true" % v,
             review(pod({P + "agent-inject": v, P + "role": "demo"})))
for v in ["false", "FALSE", "0", "f", ""]:
    skipped("tv15-agent-inject-false-" + (v.lower() + ("-upper" if v.isupper() else "")
                                          if v else "empty"),
            "TV-15: agent-inject %r is false (\"\" is false)" % v,
            review(pod({P + "agent-inject": v, P + "role": "demo"})))
for v in ["tRuE", "fAlSe"]:
    denied("tv15-agent-inject-" + v, "TV-15: agent-inject %r is an error: denied" % v,
           review(pod({P + "agent-inject": v, P + "role": "demo"})),
           "error checking if should inject agent")
for key in ["agent-pre-populate", "agent-pre-populate-only", "tls-skip-verify",
            "agent-revoke-on-shutdown", "agent-share-process-namespace"]:
    denied("tv15-%s-tRuE" % key, "TV-15: %s tRuE: denied" % key,
           review(pod({P + "agent-inject": "true", P + "role": "demo", P + key: "tRuE"})),
           P + key if key != "agent-share-process-namespace" else "invalid value tRuE")
injected("tv15-cache-enable-tRuE",
         "TV-15 agent-cache-enable tRuE. ADJUSTED (vaultlet difference): the agent cache is not "
         "implemented, so the annotation is ignored with a warning instead of being parsed",
         review(pod(ann(role="demo", agent_cache_enable="tRuE"))),
         warnings_contain=["agent-cache-enable is not supported by vaultlet"])
injected("tv15-tls-skip-verify-T", "TV-15: tls-skip-verify T -> vault.tls_skip_verify true",
         review(pod(ann(role="demo", tls_skip_verify="T"))),
         config_values={"sidecar": {"/vault/tls_skip_verify": True}})
injected("tv15-tls-skip-verify-empty", "TV-15: tls-skip-verify \"\" is false (omitted)",
         review(pod(ann(role="demo", tls_skip_verify=""))),
         config_absent={"sidecar": ["/vault/tls_skip_verify"]})
injected("prepopulate-false-and-only",
         "1.1: agent-pre-populate false + agent-pre-populate-only true: the stock result (no "
         "agent container, only the secrets volume and mounts), with a warning saying so",
         review(pod(ann(role="demo", agent_pre_populate="false", agent_pre_populate_only="true"))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/containers/0/volumeMounts/-"], STATUS_OP],
         warnings_contain=["injects no agent at all"])
injected("tv15-pre-populate-empty",
         "TV-15/1.1: agent-pre-populate \"\" is false: no init container",
         review(pod(ann(role="demo", agent_pre_populate=""))),
         pod_absent=["/spec/initContainers/1"], pod={"/spec/containers/1/name": "vault-agent"})
denied("tv15-set-security-context-secure", "TV-15: agent-set-security-context secure: denied",
       review(pod(ann(role="demo", agent_set_security_context="secure"))),
       P + "agent-set-security-context")
for v in ["5", "0", "01"]:
    injected("tv15-revoke-grace-" + v, "TV-15: agent-revoke-grace %s accepted" % v,
             review(pod(ann(role="demo", agent_revoke_grace=v))))
for v in ["-1", "foobar"]:
    denied("tv15-revoke-grace-" + v.strip("-"), "TV-15: agent-revoke-grace %s denied" % v,
           review(pod(ann(role="demo", agent_revoke_grace=v))), P + "agent-revoke-grace")
denied("tv15-run-as-user-root", "TV-15: agent-run-as-user root denied",
       review(pod(ann(role="demo", agent_run_as_user="root"))), P + "agent-run-as-user")
denied("tv15-auth-min-backoff-x", "TV-15: auth-min-backoff x denied",
       review(pod(ann(role="demo", auth_min_backoff="x"))), "error parsing min backoff")
injected("tv15-auth-backoffs", "TV-15/1.3: valid auth-min/max-backoff land in the method",
         review(pod(ann(role="demo", auth_min_backoff="2s", auth_max_backoff="1m"))),
         config_values={"sidecar": {"/auto_auth/method/min_backoff": "2s",
                                    "/auto_auth/method/max_backoff": "1m"}})

# ---------------------------------------------------------------- TV-16..TV-19 secrets
injected("tv16-secret-lowercased", "TV-16: agent-inject-secret-FOOBAR -> /vault/secrets/foobar",
         review(pod(ann(role="demo", agent_inject_secret_FOOBAR="test2"))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/foobar"}})
injected("tv16-preserve-case", "TV-16: preserve-secret-case true keeps FOOBAR",
         review(pod(ann(role="demo", agent_inject_secret_FOOBAR="test2",
                        preserve_secret_case="true"))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/FOOBAR"}})
injected("tv16-preserve-case-one", "TV-16: preserve-secret-case-FOOBAR_EXPLICIT keeps only that "
         "one; order is by name (ADJUSTED: deterministic, the stock order was Go map order)",
         review(pod(dict(ann(role="demo", agent_inject_secret_FOOBAR="test2"), **{
             P + "agent-inject-secret-FOOBAR_EXPLICIT": "test2",
             P + "preserve-secret-case-FOOBAR_EXPLICIT": "true"}))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/FOOBAR_EXPLICIT",
                                    "/template/1/destination": "/vault/secrets/foobar"}})
injected("tv16-server-crt", "TV-16: agent-inject-secret-server.crt -> /vault/secrets/server.crt",
         review(pod(ann(**{"role": "demo", "agent-inject-secret-server.crt": "pki/x"}))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/server.crt"}})
injected("tv16-no-name", "TV-16: keys agent-inject-secret and agent-inject-secret- define no "
         "template (the first gets an unknown-annotation warning)",
         review(pod(dict(ann(role="demo"), **{P + "agent-inject-secret": "test1",
                                              P + "agent-inject-secret-": "test2"}))),
         config_absent={"sidecar": ["/template"]},
         warnings_contain=["unknown annotation vault.hashicorp.com/agent-inject-secret "])
injected("tv16-blank-value", "1.2: a whitespace-only secret value is ignored",
         review(pod(ann(role="demo", agent_inject_secret_foo="  \t"))),
         config_absent={"sidecar": ["/template"]})


def foo_secret(**kw):
    return ann(role="demo", agent_inject_secret_foo="db/creds/foo", **kw)


injected("tv17-default-destination", "TV-17: no file -> /vault/secrets/foo",
         review(pod(foo_secret())),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/foo"}})
injected("tv17-nested-file", "TV-17: agent-inject-file-foo nested/foofile",
         review(pod(foo_secret(agent_inject_file_foo="nested/foofile"))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/nested/foofile"}})
injected("tv17-absolute-file", "TV-17: an absolute file is joined under the mount",
         review(pod(foo_secret(agent_inject_file_foo="/special/volume/foofile"))),
         config_values={"sidecar": {
             "/template/0/destination": "/vault/secrets/special/volume/foofile"}})
injected("tv17-volume-path-and-file", "TV-17: secret-volume-path /new/mount/path + file "
         "/special/foofile",
         review(pod(foo_secret(agent_inject_file_foo="/special/foofile",
                               secret_volume_path="/new/mount/path"))),
         config_values={"sidecar": {"/template/0/destination": "/new/mount/path/special/foofile"}},
         pod={"/spec/containers/0/volumeMounts/1":
              {"name": "vault-secrets", "mountPath": "/new/mount/path"}})
injected("tv17-custom-volume", "TV-17: secret-volume-path-foo adds vault-secrets-custom-0, "
         "mounted in the app and both agents",
         review(pod(foo_secret(agent_inject_file_foo="nested/foofile",
                               secret_volume_path_foo="/new/mount/path"))),
         config_values={"sidecar": {"/template/0/destination": "/new/mount/path/nested/foofile"}},
         pod={"/spec/volumes/3": {"name": "vault-secrets-custom-0",
                                  "emptyDir": {"medium": "Memory"}},
              "/spec/containers/0/volumeMounts/2":
                  {"name": "vault-secrets-custom-0", "mountPath": "/new/mount/path"},
              "/spec/initContainers/1/volumeMounts/3":
                  {"name": "vault-secrets-custom-0", "mountPath": "/new/mount/path"},
              "/spec/containers/1/volumeMounts/3":
                  {"name": "vault-secrets-custom-0", "mountPath": "/new/mount/path"}})
for v, label in [("../../etc/passwd", "dotdot"), ("a/../../b", "dotdot-inner"),
                 ("/../etc/x", "absolute-dotdot")]:
    denied("tv17-file-escape-" + label,
           "1.2 agent-inject-file %r. ADJUSTED (stock bug fixed): a \"..\" element is denied "
           "(the stock injector let it leave the secrets volume)" % v,
           review(pod(foo_secret(agent_inject_file_foo=v))),
           ["agent-inject-file-foo", "contains \"..\""])
denied("tv17-relative-volume-path", "vaultlet: a relative secret-volume-path is denied",
       review(pod(foo_secret(secret_volume_path="relative/dir"))),
       "must be an absolute path")
injected("tv18a-inline-wins", "TV-18a: inline template and template file: contents, no source",
         review(pod(foo_secret(agent_inject_template_foo="{{ .x }}",
                               agent_inject_template_file_foo="/etc/config.tmpl"))),
         config_values={"sidecar": {"/template/0/contents": "{{ .x }}"}},
         config_absent={"sidecar": ["/template/0/source"]})
injected("tv18b-template-file", "TV-18b: empty inline + template file: source, no contents",
         review(pod(foo_secret(agent_inject_template_foo="",
                               agent_inject_template_file_foo="/etc/config.tmpl"))),
         config_values={"sidecar": {"/template/0/source": "/etc/config.tmpl"}},
         config_absent={"sidecar": ["/template/0/contents"]})
injected("tv18c-template-only", "TV-18c: a template without -secret- defines the secret",
         review(pod(ann(role="demo", agent_inject_template_x="hello"))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/x",
                                    "/template/0/contents": "hello"}})
injected("tv18d-empty-template-ignored", "TV-18d: secret foobar2 + empty template foobar: one "
         "secret, foobar2, with the default template",
         review(pod(ann(role="demo", agent_inject_secret_foobar2="test2",
                        agent_inject_template_foobar=""))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/foobar2",
                                    "/template/0/contents": MAP_TMPL % "test2"}},
         config_absent={"sidecar": ["/template/1"]})
injected("tv18e-misspelled", "TV-18e: agent-inject-templat-foobar and agent-inject-TEMPLATE-foobar "
         "are ignored (default template); vaultlet warns about both",
         review(pod(dict(ann(role="demo", agent_inject_secret_foobar="test"), **{
             P + "agent-inject-templat-foobar": "x", P + "agent-inject-TEMPLATE-foobar": "y"}))),
         config_values={"sidecar": {"/template/0/contents": MAP_TMPL % "test"}},
         warnings_contain=["agent-inject-templat-foobar", "agent-inject-TEMPLATE-foobar"])
injected("tv18f-delimiters", "TV-18f: custom delimiters [[ ]]",
         review(pod(foo_secret(agent_inject_template_foo="[[ .Data.x ]]",
                               agent_template_left_delim_foo="[[",
                               agent_template_right_delim_foo="]]"))),
         config_values={"sidecar": {"/template/0/left_delimiter": "[[",
                                    "/template/0/right_delimiter": "]]"}})
injected("tv19-map-template", "TV-19: default map template of db/creds/bar",
         review(pod(ann(role="demo", agent_inject_secret_bar="db/creds/bar"))),
         config_values={"sidecar": {"/template/0/contents": MAP_TMPL % "db/creds/bar",
                                    "/template/0/left_delimiter": "{{",
                                    "/template/0/right_delimiter": "}}"}})
injected("tv19-json-template", "TV-19: -default-template json",
         review(pod(ann(role="demo", agent_inject_secret_bar="db/creds/bar"))),
         flags=BASE_FLAGS + ["-default-template", "json"],
         config_values={"sidecar": {"/template/0/contents": JSON_TMPL % "db/creds/bar"}})
injected("tv19-command-perms-missing-key", "TV-19: command, perms, error-on-missing-key True",
         review(pod(foo_secret(agent_inject_command_foo="pkill -HUP app",
                               agent_inject_perms_foo="0600", error_on_missing_key_foo="True"))),
         config_values={"sidecar": {"/template/0/command": "pkill -HUP app",
                                    "/template/0/perms": "0600",
                                    "/template/0/error_on_missing_key": True}})
denied("tv19-missing-key-unknown", "TV-19: error-on-missing-key unknown: denied",
       review(pod(foo_secret(error_on_missing_key_foo="unknown"))), "error-on-missing-key-foo")
denied("tv19-perms-not-octal", "vaultlet: perms that vaultlet-agent would refuse are denied",
       review(pod(foo_secret(agent_inject_perms_foo="0999"))), "agent-inject-perms-foo")

# ---------------------------------------------------------------- TV-20, TV-21 golden
TV20_FLAGS = ["-vault-address", "http://foobar:1234", "-vault-auth-path", "test",
              "-vault-image", "vault"]
TV20 = ('{"auto_auth":{"method":{"type":"kubernetes","mount_path":"test","config":{"role":"role",'
        '"token_path":"serviceaccount/somewhere/token"}},"sink":[{"type":"file","config":{"path":'
        '"/home/vault/.vault-token"}}]},"exit_after_auth":%s,"pid_file":"/home/vault/.pid",'
        '"vault":{"address":"http://foobar:1234"},"template_config":{"exit_on_retry_failure":true}}')
injected("tv20-golden-config", "TV-20: VAULT_CONFIG byte for byte (init: exit_after_auth true)",
         review(pod(ann(role="role"))), flags=TV20_FLAGS,
         config={"init": TV20 % "true", "sidecar": TV20 % "false"})
injected("tv21-sidecar-container",
         "TV-21: revoke-on-shutdown flag, run-as-user 1000, run-as-group 100. ADJUSTED "
         "(vaultlet difference): the agents run vaultlet-agent directly (no /bin/sh -ec, no "
         "args); revocation is the agent's job on SIGTERM (\"vaultlet\":{\"revoke_on_shutdown\":"
         "true} in the sidecar's config) after a preStop sleep of the grace period, instead of a "
         "/bin/sh + vault CLI preStop; seccompProfile RuntimeDefault is added",
         review(pod(ann(role="role"))),
         flags=TV20_FLAGS + ["-revoke-on-shutdown", "-run-as-user", "1000", "-run-as-group", "100"],
         pod={"/spec/containers/1": {
             "name": "vault-agent", "image": "vault", "command": AGENT_CMD,
             "env": [{"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                     {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                     {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                     {"name": "VAULT_LOG_LEVEL", "value": "info"},
                     {"name": "VAULT_LOG_FORMAT", "value": "standard"},
                     {"name": "VAULT_CONFIG", "value": "@@CONFIG_SIDECAR@@"}],
             "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                           "requests": {"cpu": "250m", "memory": "64Mi"}},
             "volumeMounts": [{"name": "foobar", "readOnly": True,
                               "mountPath": "serviceaccount/somewhere"},
                              {"name": "home-sidecar", "mountPath": "/home/vault"},
                              {"name": "vault-secrets", "mountPath": "/vault/secrets"}],
             "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
             "securityContext": dict(SEC_CTX, runAsUser=1000, runAsGroup=100)},
             "/spec/initContainers/1/volumeMounts": [
                 {"name": "home-init", "mountPath": "/home/vault"},
                 {"name": "foobar", "readOnly": True, "mountPath": "serviceaccount/somewhere"},
                 {"name": "vault-secrets", "mountPath": "/vault/secrets"}]},
         pod_absent=["/spec/initContainers/1/lifecycle"],
         config={"sidecar": (TV20 % "false")[:-1] + ',"vaultlet":{"revoke_on_shutdown":true}}',
                 "init": TV20 % "true"})

# ---------------------------------------------------------------- TV-22..TV-24
injected("tv22-json-patch",
         "TV-22: agent-json-patch. ADJUSTED (vaultlet difference): JSON patches of the agent "
         "container are not implemented: ignored with a warning (the sidecar keeps its name)",
         review(pod(ann(role="demo", agent_json_patch='[{"op":"replace","path":"/name",'
                                                      '"value":"different-name"}]'))),
         pod={"/spec/containers/1/name": "vault-agent"},
         warnings_contain=["agent-json-patch is not supported by vaultlet"])
injected("tv22-json-patch-empty", "TV-22: agent-json-patch \"\": unchanged, no warning",
         review(pod(ann(role="demo", agent_json_patch=""))), no_warnings=True)
injected("tv22-init-json-patch-invalid",
         "TV-22: agent-init-json-patch abc. ADJUSTED: ignored with a warning, not denied",
         review(pod(ann(role="demo", agent_init_json_patch="abc"))),
         warnings_contain=["agent-init-json-patch is not supported"])
injected("tv23-default-security-context", "TV-23: nothing set: uid 100, gid 1000, non-root",
         review(pod(ann(role="demo"))),
         pod={"/spec/containers/1/securityContext": SEC_CTX,
              "/spec/initContainers/1/securityContext": SEC_CTX})
for u, g in [("0", "0"), ("0", "100"), ("100", "0")]:
    injected("tv23-run-as-%s-%s" % (u, g), "TV-23: run-as-user/group %s/%s: runAsNonRoot false"
             % (u, g),
             review(pod(ann(role="demo", agent_run_as_user=u, agent_run_as_group=g))),
             pod={"/spec/containers/1/securityContext":
                  dict(SEC_CTX, runAsUser=int(u), runAsGroup=int(g), runAsNonRoot=False)})
injected("tv23-flag-no-security-context", "TV-23: -set-security-context=false: none",
         review(pod(ann(role="demo"))), flags=BASE_FLAGS + ["-set-security-context=false"],
         pod_absent=["/spec/containers/1/securityContext",
                     "/spec/initContainers/1/securityContext"])
injected("tv23-auto-flip", "TV-23: -set-security-context=false + agent-run-as-user 100: added",
         review(pod(ann(role="demo", agent_run_as_user="100"))),
         flags=BASE_FLAGS + ["-set-security-context=false"],
         pod={"/spec/containers/1/securityContext": SEC_CTX})
injected("tv23-annotation-off", "TV-23: agent-run-as-user 100 + agent-set-security-context false",
         review(pod(ann(role="demo", agent_run_as_user="100",
                        agent_set_security_context="false"))),
         pod_absent=["/spec/containers/1/securityContext"])
sp = basic_spec()
sp["containers"][0]["securityContext"] = {"runAsUser": 123456}
injected("tv23-same-user", "TV-23: run-as-same-user with app uid 123456",
         review(pod(ann(role="demo", agent_run_as_same_user="true"), spec=sp)),
         pod={"/spec/containers/1/securityContext/runAsUser": 123456,
              "/spec/containers/1/securityContext/runAsGroup": 1000})
denied("tv23-same-user-no-context", "TV-23: run-as-same-user without app securityContext",
       review(pod(ann(role="demo", agent_run_as_same_user="true"))),
       "No SecurityContext found for Container 0")
sp = basic_spec()
sp["containers"][0]["securityContext"] = {"runAsUser": 0}
denied("tv23-same-user-root", "TV-23: run-as-same-user with app uid 0",
       review(pod(ann(role="demo", agent_run_as_same_user="true"), spec=sp)),
       "container not allowed to run as root")
injected("tv24-quantities", "TV-24: 500M 128M 500Mi 500G 0 accepted and echoed canonically",
         review(pod(ann(role="demo", agent_limits_cpu="500M", agent_limits_mem="128M",
                        agent_requests_cpu="0", agent_requests_mem="500Mi",
                        agent_limits_ephemeral="500G"))),
         pod={"/spec/containers/1/resources": {
             "limits": {"cpu": "500M", "ephemeral-storage": "500G", "memory": "128M"},
             "requests": {"cpu": "0", "memory": "500Mi"}}})
injected("tv24-canonical-rewrite", "1.5: non-canonical quantities are rewritten as the API "
         "machinery does (1000M -> 1G, 0.5 -> 500m, 1024Ki -> 1Mi)",
         review(pod(ann(role="demo", agent_limits_cpu="0.5", agent_limits_mem="1000M",
                        agent_requests_mem="1024Ki"))),
         pod={"/spec/containers/1/resources/limits": {"cpu": "500m", "memory": "1G"},
              "/spec/containers/1/resources/requests/memory": "1Mi"})
injected("tv24-empty-removes", "TV-24: \"\" removes that key; ephemeral absent by default",
         review(pod(ann(role="demo", agent_limits_cpu="", agent_requests_mem=""))),
         pod={"/spec/containers/1/resources": {"limits": {"memory": "128Mi"},
                                               "requests": {"cpu": "250m"}}})
for key, v in [("agent-limits-cpu", "500mi"), ("agent-limits-cpu", "500gi"),
               ("agent-limits-mem", "128mb"), ("agent-limits-mem", "128g"),
               ("agent-requests-mem", "128gi")]:
    denied("tv24-%s-%s" % (key, v), "TV-24: %s %s denied" % (key, v),
           review(pod({P + "agent-inject": "true", P + "role": "demo", P + key: v})),
           [P + key, "not a Kubernetes quantity"])
injected("tv24-flag-resources", "1.5: flags set the default resources",
         review(pod(ann(role="demo"))),
         flags=BASE_FLAGS + ["-cpu-request", "5m", "-memory-request", "16Mi", "-cpu-limit", "",
                             "-memory-limit", "32Mi"],
         pod={"/spec/containers/1/resources": {"limits": {"memory": "32Mi"},
                                               "requests": {"cpu": "5m", "memory": "16Mi"}}})

# ---------------------------------------------------------------- TV-25..TV-31
injected("tv25-cache-enable",
         "TV-25: agent-cache-enable. ADJUSTED (vaultlet difference): no agent cache: a warning, "
         "no cache/listener stanza, no vault-agent-cache volume",
         review(pod(ann(role="demo", agent_cache_enable="true"))),
         warnings_contain=["agent-cache-enable is not supported by vaultlet"],
         config_absent={"sidecar": ["/cache", "/listener"], "init": ["/cache", "/listener"]},
         pod_absent=["/spec/volumes/3"])
injected("tv25-cache-disabled-no-warning", "vaultlet: agent-cache-enable false gets no warning",
         review(pod(ann(role="demo", agent_cache_enable="false"))), no_warnings=True)
injected("tv26-enable-quit",
         "TV-26: agent-enable-quit. ADJUSTED (vaultlet difference): not implemented: warning, "
         "no listener",
         review(pod(ann(role="demo", agent_enable_quit="true"))),
         warnings_contain=["agent-enable-quit is not supported"],
         config_absent={"sidecar": ["/listener", "/cache"]})
injected("tv27-inject-token", "TV-27: agent-inject-token: a second sink in the secrets volume",
         review(pod(ann(role="demo", agent_inject_token="true"))),
         config_values={"sidecar": {"/auto_auth/sink/1/config/path": "/vault/secrets/token"},
                        "init": {"/auto_auth/sink/1/config/path": "/vault/secrets/token"}})
injected("tv27-inject-token-path", "TV-27: with secret-volume-path /new/secrets/ (path.Join)",
         review(pod(ann(role="demo", agent_inject_token="true",
                        secret_volume_path="/new/secrets/"))),
         config_values={"sidecar": {"/auto_auth/sink/1/config/path": "/new/secrets/token"}})
injected("tv28-role-wins", "TV-28: role backwardscompat wins over auth-config-role lowerprio",
         review(pod(ann(role="backwardscompat", auth_config_role="lowerprio"))),
         config_values={"sidecar": {"/auto_auth/method/config/role": "backwardscompat"}})
injected("tv28-auth-config-role-only", "1.3: auth-config-role alone satisfies the role check",
         review(pod(ann(auth_config_role="lowerprio"))),
         config_values={"sidecar": {"/auto_auth/method/config/role": "lowerprio"}})
denied("tv28-no-role", "1.3: no role at all: denied", review(pod(ann())), "no Vault role found")
injected("tv28-auth-config", "TV-28: auth-config-token-path overrides the token path; "
         "ca-cert -> ca_cert; credential_poll_interval stays the string \"1\"; keys sorted",
         review(pod(ann(role="demo", auth_config_token_path="X", auth_config_ca_cert="bar",
                        auth_config_credential_poll_interval="1"))),
         config_values={"sidecar": {"/auto_auth/method/config": {
             "ca_cert": "bar", "credential_poll_interval": "1", "role": "demo",
             "token_path": "X"}}})
KUBE_SPEC = {"containers": [{"name": "app", "volumeMounts": [
    {"name": "kube-api-access-4bfzq", "readOnly": True,
     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
    "volumes": [{"name": "kube-api-access-4bfzq", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]}
injected("tv29-kube-api-access", "TV-29: kube-api-access mount -> token_path",
         review(pod(ann(role="demo"), spec=copy.deepcopy(KUBE_SPEC))),
         config_values={"sidecar": {"/auto_auth/method/config/token_path":
                                    "/var/run/secrets/kubernetes.io/serviceaccount/token"}},
         ops=[["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers"],
              ["add", "/spec/containers/-"], STATUS_OP])
proj = copy.deepcopy(KUBE_SPEC)
proj["volumes"].append({"name": "projected-token", "projected": {"sources": [
    {"serviceAccountToken": {"audience": "vault", "path": "vault-token"}}]}})
proj_mounted = copy.deepcopy(proj)
proj_mounted["containers"][0]["volumeMounts"].append(
    {"name": "projected-token", "mountPath": "/var/run/secrets/special/serviceaccount"})
injected("tv29-named-volume-mounted", "TV-29: named projected volume mounted by the app",
         review(pod(ann(role="demo", agent_service_account_token_volume_name="projected-token"),
                    spec=proj_mounted)),
         config_values={"sidecar": {"/auto_auth/method/config/token_path":
                                    "/var/run/secrets/special/serviceaccount/vault-token"}},
         pod={"/spec/containers/1/volumeMounts/0":
              {"name": "projected-token", "readOnly": True,
               "mountPath": "/var/run/secrets/special/serviceaccount"}})
injected("tv29-named-volume-unmounted", "TV-29: named volume not mounted: the default mount path",
         review(pod(ann(role="demo", agent_service_account_token_volume_name="projected-token"),
                    spec=proj)),
         config_values={"sidecar": {"/auto_auth/method/config/token_path":
                                    "/var/run/secrets/vault.hashicorp.com/serviceaccount/"
                                    "vault-token"}})
denied("tv29-named-volume-missing", "1.3 note 2: a named volume that does not exist",
       review(pod(ann(role="demo", agent_service_account_token_volume_name="nope"),
                  spec=copy.deepcopy(KUBE_SPEC))),
       "failed to find service account volume \"nope\"")
denied("tv29-no-sa-mount", "TV-29: no service-account mount at all: denied",
       review(pod(ann(role="demo"), spec={"containers": [{"name": "app"}]})),
       "failed to find service account volume mount")
injected("tv30-render-interval", "TV-30: template-static-secret-render-interval 10s",
         review(pod(ann(role="demo", template_static_secret_render_interval="10s"))),
         config_values={"sidecar": {"/template_config": {
             "exit_on_retry_failure": True, "static_secret_render_interval": "10s"}}})
denied("tv30-render-interval-bad", "vaultlet: an interval vaultlet-agent would refuse is denied",
       review(pod(ann(role="demo", template_static_secret_render_interval="soon"))),
       "template-static-secret-render-interval")
injected("tv30-max-connections",
         "TV-30: template-max-connections-per-host 100. ADJUSTED (vaultlet difference): no "
         "effect in vaultlet-agent: warning, not in the config",
         review(pod(ann(role="demo", template_max_connections_per_host="100"))),
         warnings_contain=["template-max-connections-per-host is not supported"],
         config_absent={"sidecar": ["/template_config/max_connections_per_host"]})
injected("tv30-lease-threshold", "TV-30: template-lease-renewal-threshold 0.75",
         review(pod(ann(role="demo", template_lease_renewal_threshold="0.75"))),
         config_values={"sidecar": {"/template_config/lease_renewal_threshold": 0.75}})
injected("tv30-lease-threshold-env",
         "1.6. ADJUSTED (stock bug fixed): AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD is "
         "applied (the stock injector parsed it and dropped it)",
         review(pod(ann(role="demo"))),
         env={"AGENT_INJECT_TEMPLATE_LEASE_RENEWAL_THRESHOLD": "0.5"},
         config_values={"sidecar": {"/template_config/lease_renewal_threshold": 0.5}})
denied("tv30-lease-threshold-bad", "TV-30: one-third denied",
       review(pod(ann(role="demo", template_lease_renewal_threshold="one-third"))),
       "template-lease-renewal-threshold")
injected("tv30-exit-on-retry-false", "TV-30: template-config-exit-on-retry-failure false",
         review(pod(ann(role="demo", template_config_exit_on_retry_failure="false"))),
         config_values={"sidecar": {"/template_config": {"exit_on_retry_failure": False}}})
injected("tv30-nothing", "TV-30: nothing set: only exit_on_retry_failure true",
         review(pod(ann(role="demo"))),
         config_values={"sidecar": {"/template_config": {"exit_on_retry_failure": True}}})
injected("tv31-telemetry",
         "TV-31: agent-telemetry-*. ADJUSTED (vaultlet difference): no telemetry stanza, a "
         "warning per annotation",
         review(pod(dict(ann(role="demo"), **{P + "agent-telemetry-maximum_gauge_cardinality": "3",
                                              P + "agent-telemetry-disable_hostname": "true"}))),
         warnings_contain=["agent-telemetry-maximum_gauge_cardinality",
                           "agent-telemetry-disable_hostname"],
         config_absent={"sidecar": ["/telemetry"]})
injected("tv32-v1beta1", "TV-32: a v1beta1 AdmissionReview is answered in v1beta1, same uid",
         review(pod(ann(role="demo")), api="admission.k8s.io/v1beta1",
                uid="4b9a6c3e-0000-4000-8000-v1beta1v1beta"),
         api_version="admission.k8s.io/v1beta1", uid="4b9a6c3e-0000-4000-8000-v1beta1v1beta")

# ---------------------------------------------------------------- 1.4 connection settings
injected("vault-connection", "1.4: service, ca-cert, ca-key (ca_path), client cert/key, "
         "tls-server-name, namespace, auth-path, proxy-address",
         review(pod(ann(role="demo", service="https://v.example:8200", ca_cert="/vault/tls/ca.crt",
                        ca_key="/vault/tls/capath", client_cert="/c.crt", client_key="/c.key",
                        tls_server_name="vault.local", namespace="team-a", auth_path="auth/k8s",
                        tls_secret="vault-tls", proxy_address="http://proxy:3128"))),
         config_values={"sidecar": {
             "/vault": {"address": "https://v.example:8200", "ca_cert": "/vault/tls/ca.crt",
                        "ca_path": "/vault/tls/capath", "client_cert": "/c.crt",
                        "client_key": "/c.key", "tls_server_name": "vault.local"},
             "/auto_auth/method/namespace": "team-a",
             "/auto_auth/method/mount_path": "auth/k8s"}},
         pod={"/spec/containers/1/env/5": {"name": "HTTPS_PROXY", "value": "http://proxy:3128"}})
denied("auth-type-aws", "1.3: auth-type aws. vaultlet difference: only kubernetes is supported",
       review(pod(ann(role="demo", auth_type="aws"))), "auth-type \"aws\" is not supported")
injected("extra-secret-copy-mounts", "1.2: agent-extra-secret and agent-copy-volume-mounts "
         "(service-account mounts are not copied)",
         review(pod(ann(role="demo", agent_extra_secret="more", agent_copy_volume_mounts="app"),
                    spec={"containers": [{"name": "app", "volumeMounts": [
                        {"name": "cfg", "mountPath": "/etc/app", "readOnly": True},
                        {"name": "kube-api-access-1", "readOnly": True,
                         "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
                        "volumes": [{"name": "cfg", "configMap": {"name": "app"}},
                                    {"name": "kube-api-access-1", "projected": {"sources": [
                                        {"serviceAccountToken": {"path": "token"}}]}}]})),
         pod={"/spec/volumes/5": {"name": "extra-secrets", "secret": {"secretName": "more"}},
              "/spec/containers/1/volumeMounts": [
                  {"name": "kube-api-access-1", "readOnly": True,
                   "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                  {"name": "home-sidecar", "mountPath": "/home/vault"},
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"},
                  {"name": "extra-secrets", "readOnly": True, "mountPath": "/vault/custom"},
                  {"name": "cfg", "readOnly": True, "mountPath": "/etc/app"}]})
injected("log-level-format-env", "2.5: log-level / log-format become VAULT_LOG_* env",
         review(pod(ann(role="demo", log_level="debug", log_format="json"))),
         pod={"/spec/containers/1/env/3": {"name": "VAULT_LOG_LEVEL", "value": "debug"},
              "/spec/containers/1/env/4": {"name": "VAULT_LOG_FORMAT", "value": "json"}})
injected("cacert-bytes-flag", "1.4: -vault-cacert-bytes (base64 of PEM) is decoded into "
         "VAULT_CACERT_BYTES, after VAULT_CONFIG",
         review(pod(ann(role="demo"))),
         flags=BASE_FLAGS + ["-vault-cacert-bytes",
                             "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFCQwotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="],
         pod={"/spec/containers/1/env/6": {"name": "VAULT_CACERT_BYTES", "value":
              "-----BEGIN CERTIFICATE-----\nABC\n-----END CERTIFICATE-----\n"},
              "/spec/containers/1/env/5/name": "VAULT_CONFIG"})
injected("agent-image-annotation", "1.1: agent-image overrides -vault-image",
         review(pod(ann(role="demo", agent_image="registry.local/vaultlet:9"))),
         pod={"/spec/containers/1/image": "registry.local/vaultlet:9",
              "/spec/initContainers/1/image": "registry.local/vaultlet:9"})
injected("env-wins-over-flag", "3.1: AGENT_INJECT_* set and non-empty wins over the flag",
         review(pod(ann(role="demo"))),
         env={"AGENT_INJECT_VAULT_IMAGE": "from-env", "AGENT_INJECT_CPU_LIMIT": ""},
         flags=BASE_FLAGS + ["-cpu-limit", "1"],
         pod={"/spec/containers/1/image": "from-env",
              "/spec/containers/1/resources/limits/cpu": "1"})

# ---------------------------------------------------------------- patch shapes, bugs, limits
sa_only_volume = {"containers": [{"name": "one"}, {"name": "two"}],
                  "volumes": [{"name": "tok", "projected": {"sources": [
                      {"serviceAccountToken": {"path": "token"}}]}}]}
injected("running-lengths-no-mounts",
         "2.9 (stock bug fixed): containers without volumeMounts get `add .../volumeMounts [m]` "
         "then `/-` for the custom mount (the stock injector re-added the whole array, losing "
         "vault-secrets)",
         review(pod(ann(role="demo", agent_service_account_token_volume_name="tok",
                        agent_inject_secret_a="x", secret_volume_path_a="/a"),
                    spec=sa_only_volume)),
         ops=[["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts"],
              ["add", "/spec/containers/0/volumeMounts/-"],
              ["add", "/spec/containers/1/volumeMounts"],
              ["add", "/spec/containers/1/volumeMounts/-"],
              ["add", "/spec/initContainers"], ["add", "/spec/containers/-"], STATUS_OP],
         pod={"/spec/containers/0/volumeMounts": [
             {"name": "vault-secrets", "mountPath": "/vault/secrets"},
             {"name": "vault-secrets-custom-0", "mountPath": "/a"}]})
injected("template-order-by-name",
         "0.6 (stock bug fixed): templates are ordered by secret name, whatever the annotation "
         "order in the request",
         review(pod({P + "agent-inject": "true", P + "role": "demo",
                     P + "agent-inject-secret-zeta": "z", P + "agent-inject-secret-alpha": "a",
                     P + "agent-inject-secret-mid": "m"})),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/alpha",
                                    "/template/1/destination": "/vault/secrets/mid",
                                    "/template/2/destination": "/vault/secrets/zeta"}})
injected("go-escaping",
         "2.6: Go's encoding/json escaping in VAULT_CONFIG: < > & as \\u003c \\u003e \\u0026, "
         "U+2028/U+2029 escaped, other UTF-8 verbatim, control bytes as \\u00XX",
         review(pod(ann(role="demo", agent_inject_template_x='a<b>&c "q" \\ \u2028\u2029 é \x01 '
                                                              '\t\n{{ .x }}'))),
         config={"sidecar": '{"auto_auth":{"method":{"type":"kubernetes","mount_path":"kubernetes",'
                 '"config":{"role":"demo","token_path":"serviceaccount/somewhere/token"}},"sink":'
                 '[{"type":"file","config":{"path":"/home/vault/.vault-token"}}]},'
                 '"exit_after_auth":false,"pid_file":"/home/vault/.pid","vault":{"address":'
                 '"https://vault:8200"},"template":[{"destination":"/vault/secrets/x","contents":'
                 '"a\\u003cb\\u003e\\u0026c \\"q\\" \\\\ \\u2028\\u2029 \u00e9 \\u0001 \\t\\n{{ .x }}",'
                 '"left_delimiter":"{{","right_delimiter":"}}"}],"template_config":'
                 '{"exit_on_retry_failure":true}}'})
sp = basic_spec()
sp["containers"].append({"name": "vault-agent"})
denied("already-has-agent", "vaultlet: a pod that already has a vault-agent container (status "
       "update on an injected pod) is denied with a clear message instead of a duplicate",
       review(pod(ann(role="demo", agent_inject_status="update"), spec=sp)),
       "already has a container named vault-agent")
sp = basic_spec()
sp["volumes"] = [{"name": "foobar", "emptyDir": {}}, {"name": "vault-secrets", "emptyDir": {}}]
denied("already-has-volume", "vaultlet: an existing vault-secrets volume is denied",
       review(pod(ann(role="demo"), spec=sp)), "already has a volume named vault-secrets")
sp = basic_spec()
sp["containers"][0]["volumeMounts"].append({"name": "x", "mountPath": "/vault/secrets"})
denied("mount-path-clash", "vaultlet: an app container already mounting /vault/secrets is denied",
       review(pod(ann(role="demo"), spec=sp)), "already mounts x at /vault/secrets")
many = ann(role="demo")
for i in range(65):
    many[P + "agent-inject-secret-s%02d" % i] = "secret/s%02d" % i
denied("too-many-secrets", "vaultlet: more than 64 secrets (vaultlet-agent's limit) is denied",
       review(pod(many)), "more than 64 secrets")
big = ann(role="demo")
for i in range(40):
    big[P + "agent-inject-template-t%02d" % i] = "x" * 3000
denied("config-too-big", "5.3 (#197): a VAULT_CONFIG over Linux's 128 KiB env limit is denied "
       "at admission instead of failing exec in the pod",
       review(pod(big)), "too big for the VAULT_CONFIG environment variable")
injected("unknown-annotation-warning", "vaultlet: a typo in a known prefix gets a warning",
         review(pod(ann(role="demo", agent_inject_secrte_db="x", agent_inject_file_nosuch="f"))),
         warnings_contain=["unknown annotation vault.hashicorp.com/agent-inject-secrte-db",
                           "agent-inject-file-nosuch refers to no secret named \"nosuch\""])
injected("dry-run", "3.4: dryRun changes nothing (no side effects)",
         review(pod(ann(role="demo")), dryRun=True))
skipped("operation-update", "vaultlet: only CREATE is mutated (an UPDATE cannot add containers)",
        review(pod(ann(role="demo")), operation="UPDATE"))
skipped("kind-not-pod", "vaultlet: a review for another kind is allowed untouched",
        review(pod(ann(role="demo")), kind={"group": "apps", "version": "v1",
                                            "kind": "Deployment"}))
skipped("no-object", "vaultlet: a request without object is allowed untouched",
        review(None))
denied("annotation-not-string", "2.1: a pod that does not unmarshal (annotation value a number) "
       "is denied with the field named",
       review(pod({P + "agent-inject": "true", P + "role": 5})),
       "metadata.annotations[vault.hashicorp.com/role]: expected a string")
injected("namespace-from-request", "vaultlet: the namespace is request.namespace (a Deployment's "
         "pod has none in metadata); the pod has generateName only",
         review(pod(ann(role="demo"), name=None, extra_meta={"generateName": "web-7d9-"}),
                namespace="team-a"))

# HTTP 400 cases: mutate exits 2 and prints the reason
add("bad-json", "vaultlet: malformed JSON is HTTP 400 with a one-line reason", "{not json",
    http_status=400, message_contains=["malformed JSON"])
add("duplicate-keys", "vaultlet: duplicate keys are refused (JSON_REJECT_DUPLICATES)",
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a",'
    '"uid":"b"}}', http_status=400, message_contains=["duplicate"])
add("no-request", "3.4 (stock bug fixed): no request is HTTP 400, not a nil-pointer panic",
    {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, http_status=400,
    message_contains=["no request"])
add("wrong-api-version", "vaultlet: an unknown apiVersion is HTTP 400",
    {"apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview", "request": {}},
    http_status=400, message_contains=["unsupported apiVersion"])

# ---------------------------------------------------------------- the seed
with open(os.path.join(HERE, "..", "..", "examples", "litellm-pod.yaml")) as f:
    import yaml
    seed_pod = yaml.safe_load(f)
SEED_SH = ('#!/bin/sh\n{{- with secret "secret/data/litellm/secrets" }}\n'
           'export PROXY_MASTER_KEY="{{ .Data.data.master_key }}"\n'
           'export OPENROUTER_API_KEY="{{ .Data.data.openrouter_api_key }}"\n'
           'export DATABASE_URL="postgresql://llmproxy:{{ .Data.data.db_password }}'
           '@host.docker.internal:5432/litellm"\n{{- end }}\n')
SEED_YAML = ('general_settings:\n  master_key: {{ with secret "secret/data/litellm/secrets" }}'
             '{{ .Data.data.master_key | toJSON }}{{ end }}\nmodel_list:\n'
             '  - model_name: openai-gpt-4\n    litellm_params:\n'
             '      model: openrouter/openai/gpt-4\n'
             '      api_base: https://openrouter.ai/api/v1\n'
             '{{- with secret "secret/data/litellm/secrets" }}\n'
             '      api_key: {{ .Data.data.openrouter_api_key | toJSON }}\n{{- end }}\n')
assert seed_pod["metadata"]["annotations"][P + "agent-inject-template-app-credentials.sh"] == SEED_SH
assert seed_pod["metadata"]["annotations"][P + "agent-inject-template-config.yaml"] == SEED_YAML


def seed_config(init):
    # Go struct order (stock Config); Python's json keeps insertion order and, for these
    # strings, escapes exactly as Go does (no < > & U+2028 U+2029 in them)
    c = {"auto_auth": {"method": {"type": "kubernetes", "mount_path": "auth/kubernetes",
                                  "config": {"role": "litellm-role",
                                             "token_path": "/var/run/secrets/kubernetes.io/"
                                                           "serviceaccount/token"}},
                       "sink": [{"type": "file", "config": {"path": "/home/vault/.vault-token"}}]},
         "exit_after_auth": init, "pid_file": "/home/vault/.pid",
         "vault": {"address": "https://vault.vault.svc:8200"},
         "template": [{"destination": "/vault/secrets/app-credentials.sh", "contents": SEED_SH,
                       "left_delimiter": "{{", "right_delimiter": "}}"},
                      {"destination": "/vault/secrets/config.yaml", "contents": SEED_YAML,
                       "left_delimiter": "{{", "right_delimiter": "}}"}],
         "template_config": {"exit_on_retry_failure": True}}
    return json.dumps(c, separators=(",", ":"), ensure_ascii=False)


injected("litellm-seed", "The seed's LiteLLM pod exactly as the API server sends it (generateName, "
         "kube-api-access projected volume, namespace only in the request), with the flags of "
         "the chart: two templates, both configs byte for byte as the stock injector builds them",
         review(seed_pod, namespace="litellm", uid="8f6a2f0e-1b7c-4c59-9a57-2d6c1f0e3b11"),
         flags=["-vault-address", "https://vault.vault.svc:8200", "-vault-image",
                "vaultlet/vaultlet:0.1.0"],
         uid="8f6a2f0e-1b7c-4c59-9a57-2d6c1f0e3b11",
         ops=[["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers"],
              ["add", "/spec/containers/-"], STATUS_OP],
         config={"init": seed_config(True), "sidecar": seed_config(False)},
         pod={"/spec/containers/0/volumeMounts/2":
              {"name": "vault-secrets", "mountPath": "/vault/secrets"},
              "/spec/initContainers/0/volumeMounts/1":
                  {"name": "kube-api-access-x7k2p", "readOnly": True,
                   "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
              "/spec/containers/1/name": "vault-agent"})
injected("litellm-seed-shell-warning",
         "Template check: the seed's app-credentials.sh inserts secrets inside double quotes: a "
         "warning suggests shellQuote or single quotes (the pod is still injected unchanged)",
         review(seed_pod, namespace="litellm"),
         flags=["-vault-address", "https://vault.vault.svc:8200"],
         warnings_contain=["template app-credentials.sh inserts a value inside double quotes "
                           "at 3:26, 4:28, 5:44: ", "shellQuote"])
many = ann(role="demo", agent_inject_secret_db="kv/data/db", log_level="debug",
           agent_limits_cpu="1")
many.update({P + "zz-pad-%03d" % i: "x" for i in range(300)})
injected("many-annotations", "A pod with 300 vault annotations more than it needs (past the "
         "size where annotations are found by hashing, so by binary search): the real ones "
         "are still read, each unknown one is warned about (up to the cap)",
         review(pod(many)),
         pod={"/spec/initContainers/1/env/3/value": "debug",
              "/spec/initContainers/1/resources/limits/cpu": "1"},
         config_values={"init": {"/auto_auth/method/config/role": "demo",
                                 "/template/0/destination": "/vault/secrets/db"}},
         warnings_contain=["unknown annotation vault.hashicorp.com/zz-pad-000",
                           "more warnings were left out"])
denied("template-parse-error", "Template check: a template that does not parse is denied with "
       "template <name>: line:col",
       review(pod(ann(role="demo", agent_inject_template_cfg="ok\n{{ .Data.x "))),
       "template cfg: 2:")
injected("template-shellquote-ok", "Template check: shellQuote (vaultlet extension) parses and "
         "gets no warning",
         review(pod(ann(**{"role": "demo", "agent-inject-template-env.sh":
                           "export A={{ .Data.data.a | shellQuote }}\n"}))),
         no_warnings=True)
injected("i15-pki-list-forms", "issue 15: the write form of secret (the Vault docs' PKI example), "
         "pkiCert and secrets pass the admission check",
         review(pod(ann(**{
             "role": "demo",
             "agent-inject-secret-server.crt": "pki/issue/web",
             "agent-inject-template-server.crt":
                 '{{- with secret "pki/issue/web" "common_name=litellm.litellm.svc" "ttl=24h" -}}\n'
                 '{{ .Data.certificate }}\n{{- end }}',
             "agent-inject-secret-bundle.pem": "pki/issue/web",
             "agent-inject-template-bundle.pem":
                 '{{ with pkiCert "pki/issue/web" "common_name=a.svc" }}{{ .Cert }}{{ .Key }}{{ .CA }}{{ end }}',
             "agent-inject-secret-list": "secret/",
             "agent-inject-template-list": '{{ range secrets "secret/" }}{{ . }}\n{{ end }}'}))),
         config_values={"sidecar": {"/template/0/destination": "/vault/secrets/bundle.pem",
                                    "/template/1/destination": "/vault/secrets/list",
                                    "/template/2/destination": "/vault/secrets/server.crt"}},
         no_warnings=True)


# ---------------------------------------------------------------- native sidecar mode (issue 14)
# One vault-agent at /spec/initContainers/0 with restartPolicy Always and a startupProbe that
# execs the agent (no shell in the image), the sidecar's VAULT_CONFIG, no vault-agent-init, no
# regular vault-agent, no home-init volume. Checked against the API server's rules by
# admission.py (kubesim's container_rules: restartPolicy only on init containers and only
# Always; probes and lifecycle only on regular containers and restartPolicy Always init
# containers; startupProbe successThreshold 1).
NS = "vaultlet/native-sidecar"
NATIVE_PROBE = {"exec": {"command": AGENT_CMD + ["status", "-ready"]},
                "periodSeconds": 1, "failureThreshold": 300}
BASE_SIDECAR_CONFIG = (
    '{"auto_auth":{"method":{"type":"kubernetes","mount_path":"kubernetes","config":'
    '{"role":"demo","token_path":"serviceaccount/somewhere/token"}},"sink":[{"type":"file",'
    '"config":{"path":"/home/vault/.vault-token"}}]},"exit_after_auth":false,'
    '"pid_file":"/home/vault/.pid","vault":{"address":"https://vault:8200"},'
    '"template_config":{"exit_on_retry_failure":true}}')


def native_container(**over):
    c = {"name": "vault-agent", "image": "vault", "command": AGENT_CMD,
         "env": [{"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                 {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                 {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                 {"name": "VAULT_LOG_LEVEL", "value": "info"},
                 {"name": "VAULT_LOG_FORMAT", "value": "standard"},
                 {"name": "VAULT_CONFIG", "value": "@@CONFIG_SIDECAR@@"}],
         "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                       "requests": {"cpu": "250m", "memory": "64Mi"}},
         "restartPolicy": "Always",
         "volumeMounts": [{"name": "foobar", "readOnly": True,
                           "mountPath": "serviceaccount/somewhere"},
                          {"name": "home-sidecar", "mountPath": "/home/vault"},
                          {"name": "vault-secrets", "mountPath": "/vault/secrets"}],
         "startupProbe": NATIVE_PROBE,
         "securityContext": SEC_CTX}
    c.update(over)
    return c


NATIVE_OPS = [["add", "/spec/volumes"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/0"],
              ["add", "/spec/initContainers/1/volumeMounts/-"], STATUS_OP]
NATIVE_POD = {"/spec/volumes/0": {"name": "home-sidecar", "emptyDir": {"medium": "Memory"}},
              "/spec/volumes/1": {"name": "vault-secrets", "emptyDir": {"medium": "Memory"}},
              "/spec/initContainers/0": native_container(),
              "/spec/initContainers/1/name": "web-init",
              "/spec/initContainers/1/volumeMounts/1":
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"},
              "/spec/containers/0/volumeMounts/1":
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"}}
NATIVE_ABSENT = ["/spec/volumes/2", "/spec/containers/1", "/spec/initContainers/2",
                 "/spec/initContainers/0/lifecycle"]


def native(name, comment, annotations, **kw):
    kw.setdefault("ops", NATIVE_OPS)
    kw.setdefault("pod", NATIVE_POD)
    kw.setdefault("pod_absent", NATIVE_ABSENT)
    kw.setdefault("config", {"sidecar": BASE_SIDECAR_CONFIG})
    injected(name, comment, review(pod(annotations)), **kw)


native("native-basic", "Native sidecar (vaultlet/native-sidecar): one vault-agent ahead of the "
       "app's init containers, restartPolicy Always, startupProbe `vaultlet-agent status -ready` "
       "every 1 s for up to 300 failures, the sidecar's config (exit_after_auth false); the "
       "app's init containers get the secrets mount (the agent runs before them). The new "
       "fields sit where Go's corev1.Container and corev1.Probe put them",
       dict(ann(role="demo"), **{NS: "true"}), no_warnings=True,
       patch_contains=['"requests":{"cpu":"250m","memory":"64Mi"}},"restartPolicy":"Always",'
                       '"volumeMounts":[',
                       '{"name":"vault-secrets","mountPath":"/vault/secrets"}],"startupProbe":'
                       '{"exec":{"command":["/usr/local/bin/vaultlet-agent","status","-ready"]},'
                       '"periodSeconds":1,"failureThreshold":300},"securityContext":'])
native("native-upstream-annotation", "Native sidecar via the upstream proposal's name "
       "vault.hashicorp.com/agent-native-sidecar (vault-k8s PR #659): same shape, and it is "
       "not warned about as unknown", ann(role="demo", agent_native_sidecar="true"),
       no_warnings=True)
native("native-both-agree", "Both annotations true: same shape",
       dict(ann(role="demo", agent_native_sidecar="true"), **{NS: "true"}), no_warnings=True)
native("native-flag-default", "-native-sidecar makes it the default for pods without the "
       "annotation", ann(role="demo"), flags=BASE_FLAGS + ["-native-sidecar"], no_warnings=True)
native("native-env-default", "VAULTLET_WEBHOOK_NATIVE_SIDECAR=true, the flag's env twin",
       ann(role="demo"), env={"VAULTLET_WEBHOOK_NATIVE_SIDECAR": "true"}, no_warnings=True)
injected("native-annotation-false-beats-flag", "-native-sidecar on, the pod says "
         "vaultlet/native-sidecar: false: the classic two agents (as TV-07)",
         review(pod(dict(ann(role="demo"), **{NS: "false"}))),
         flags=BASE_FLAGS + ["-native-sidecar"],
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/-"],
              ["add", "/spec/initContainers/0/volumeMounts/-"], ["add", "/spec/containers/-"],
              STATUS_OP],
         pod={"/spec/initContainers/1/name": "vault-agent-init",
              "/spec/containers/1/name": "vault-agent"},
         pod_absent=["/spec/initContainers/1/restartPolicy", "/spec/containers/1/restartPolicy",
                     "/spec/containers/1/startupProbe"], no_warnings=True)
injected("native-upstream-false-beats-flag", "-native-sidecar on, agent-native-sidecar: false "
         "alone turns it off too",
         review(pod(ann(role="demo", agent_native_sidecar="false"))),
         flags=BASE_FLAGS + ["-native-sidecar"],
         pod={"/spec/initContainers/1/name": "vault-agent-init",
              "/spec/containers/1/name": "vault-agent"}, no_warnings=True)
native("native-no-prepopulate", "agent-pre-populate: false with native mode is the same single "
       "container", dict(ann(role="demo", agent_pre_populate="false"), **{NS: "true"}),
       no_warnings=True)
native("native-init-first-false", "agent-init-first: false does not move the native sidecar "
       "behind the app's init containers: it must run before any init container that needs "
       "the secrets", dict(ann(role="demo", agent_init_first="false"), **{NS: "true"}),
       no_warnings=True)
injected("native-prepopulate-only-wins", "agent-pre-populate-only wins: an init container only, "
         "as without native mode (TV-10 shape), and a warning says native mode was ignored",
         review(pod(dict(ann(role="demo", agent_pre_populate_only="true"), **{NS: "true"}))),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers/-"],
              ["add", "/spec/initContainers/0/volumeMounts/-"], STATUS_OP],
         pod={"/spec/volumes/0/name": "home-init", "/spec/initContainers/1/name": "vault-agent-init"},
         pod_absent=["/spec/containers/1", "/spec/initContainers/1/restartPolicy",
                     "/spec/initContainers/1/startupProbe", "/spec/initContainers/2"],
         config={"init": BASE_SIDECAR_CONFIG.replace('"exit_after_auth":false',
                                                     '"exit_after_auth":true')},
         warnings_contain=["native sidecar mode (vaultlet/native-sidecar) was ignored: "
                           "vault.hashicorp.com/agent-pre-populate-only"])
injected("native-flag-prepopulate-only", "-native-sidecar default and agent-pre-populate-only: "
         "init only, the warning names the flag",
         review(pod(ann(role="demo", agent_pre_populate_only="true"))),
         flags=BASE_FLAGS + ["-native-sidecar"],
         pod={"/spec/initContainers/1/name": "vault-agent-init"},
         pod_absent=["/spec/containers/1", "/spec/initContainers/1/restartPolicy"],
         warnings_contain=["native sidecar mode (-native-sidecar) was ignored"])
injected("native-no-init-containers", "Native mode on a pod without init containers creates the "
         "array with the agent",
         review(pod(dict(ann(role="demo"), **{NS: "true"}), spec={"containers": [
             {"name": "web", "volumeMounts": [{"name": "foobar",
                                               "mountPath": "serviceaccount/somewhere"}]}]})),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers"],
              STATUS_OP],
         pod={"/spec/initContainers/0": native_container()},
         pod_absent=["/spec/initContainers/1", "/spec/containers/1"],
         config={"sidecar": BASE_SIDECAR_CONFIG}, no_warnings=True)
injected("native-inject-containers", "agent-inject-containers still picks which containers get "
         "the mount in native mode",
         review(pod(dict(ann(role="demo", agent_inject_containers="foo1"), **{NS: "true"}),
                    spec=three_containers())),
         ops=[["add", "/spec/volumes"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/1/volumeMounts/-"], ["add", "/spec/initContainers"],
              STATUS_OP],
         pod={"/spec/initContainers/0/name": "vault-agent",
              "/spec/containers/1/volumeMounts/1":
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"}},
         pod_absent=["/spec/containers/0/volumeMounts/1", "/spec/containers/2/volumeMounts/1",
                     "/spec/containers/3"])
injected("native-revoke-on-shutdown", "-revoke-on-shutdown in native mode: the agent revokes on "
         "SIGTERM (vaultlet stanza in its config); no preStop sleep, because the kubelet stops "
         "a native sidecar only after the app containers have exited",
         review(pod(dict(ann(role="demo"), **{NS: "true"}))),
         flags=BASE_FLAGS + ["-revoke-on-shutdown"],
         ops=NATIVE_OPS, pod={"/spec/initContainers/0": native_container()},
         pod_absent=NATIVE_ABSENT,
         config={"sidecar": BASE_SIDECAR_CONFIG[:-1] + ',"vaultlet":{"revoke_on_shutdown":true}}'})
denied("native-duplicate-init-container", "A pod that already has an init container named "
       "vault-agent is refused, as today's duplicates are",
       review(pod(dict(ann(role="demo"), **{NS: "true"}), spec={
           "initContainers": [{"name": "vault-agent"}],
           "containers": [{"name": "web", "volumeMounts": [
               {"name": "foobar", "mountPath": "serviceaccount/somewhere"}]}]})),
       "the pod already has a container named vault-agent")
denied("native-duplicate-container", "A regular container named vault-agent is refused too",
       review(pod(dict(ann(role="demo"), **{NS: "true"}), spec={
           "containers": [{"name": "web", "volumeMounts": [
               {"name": "foobar", "mountPath": "serviceaccount/somewhere"}]},
               {"name": "vault-agent"}]})),
       "the pod already has a container named vault-agent")
denied("native-annotations-disagree", "vaultlet/native-sidecar and agent-native-sidecar both set "
       "and different: denied, naming both",
       review(pod(dict(ann(role="demo", agent_native_sidecar="false"), **{NS: "true"}))),
       ["error creating new agent sidecar", "vaultlet/native-sidecar is true but "
        "vault.hashicorp.com/agent-native-sidecar is false"])
denied("native-invalid-boolean", "vaultlet/native-sidecar must be a Go boolean",
       review(pod(dict(ann(role="demo"), **{NS: "yes"}))),
       "vaultlet/native-sidecar: invalid boolean \"yes\"")
denied("native-upstream-invalid-boolean", "agent-native-sidecar must be a Go boolean",
       review(pod(ann(role="demo", agent_native_sidecar="on"))),
       "vault.hashicorp.com/agent-native-sidecar: invalid boolean \"on\"")

seed_native = copy.deepcopy(seed_pod)
seed_native["metadata"]["annotations"]["vaultlet/native-sidecar"] = "true"
injected("litellm-seed-native", "The seed's LiteLLM pod in native mode with the chart's flags: "
         "one vault-agent init container with the sidecar's config byte for byte, the "
         "kube-api-access mount, home-sidecar, the startupProbe; LiteLLM mounts /vault/secrets",
         review(seed_native, namespace="litellm"),
         flags=["-vault-address", "https://vault.vault.svc:8200", "-vault-image",
                "vaultlet/vaultlet:0.1.0"],
         ops=[["add", "/spec/volumes/-"], ["add", "/spec/volumes/-"],
              ["add", "/spec/containers/0/volumeMounts/-"], ["add", "/spec/initContainers"],
              STATUS_OP],
         config={"sidecar": seed_config(False)},
         pod={"/spec/initContainers/0/name": "vault-agent",
              "/spec/initContainers/0/restartPolicy": "Always",
              "/spec/initContainers/0/startupProbe": NATIVE_PROBE,
              "/spec/initContainers/0/volumeMounts": [
                  {"name": "kube-api-access-x7k2p", "readOnly": True,
                   "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                  {"name": "home-sidecar", "mountPath": "/home/vault"},
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"}],
              "/spec/containers/0/volumeMounts/2":
                  {"name": "vault-secrets", "mountPath": "/vault/secrets"}},
         pod_absent=["/spec/containers/1", "/spec/initContainers/1"])


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    seen = set()
    for i, (name, rev, expect) in enumerate([c for c in cases if c is not None], 1):
        assert name not in seen, name
        seen.add(name)
        stem = "%03d-%s" % (i, name)
        with open(os.path.join(OUT, stem + ".review.json"), "w") as f:
            if isinstance(rev, str):
                f.write(rev)
            else:
                json.dump(rev, f, indent=2, ensure_ascii=False)
                f.write("\n")
        with open(os.path.join(OUT, stem + ".expect.json"), "w") as f:
            json.dump(expect, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print("%d cases written to %s" % (len(seen), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
