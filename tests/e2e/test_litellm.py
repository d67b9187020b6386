#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""End to end: the seed's LiteLLM deployment gets its secrets through
vaultlet, as in a cluster (see flow.py). TAP output.

The first pod uses examples/litellm-pod.yaml unchanged. A second pod adds
template-static-secret-render-interval so rotation can be observed in
seconds. Rendered files are compared with the outputs Go's text/template
produced for the reference vectors TV01 and TV03 (same secret values).
"""
import hashlib
import http.client
import json
import os
import shutil
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import flow as flowmod  # noqa: E402
from kubesim import apiserver, helm  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from taplib import done, tap as check  # noqa: E402


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def wait_for(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def main():
    f = flowmod.Flow()
    missing = f.requirements()
    if missing:
        print("1..0 # SKIP needs " + ", ".join(missing))
        return 0
    try:
        f.start()
    except helm.Unavailable as e:
        print("1..0 # SKIP helm unavailable: %s" % e)
        f.close()
        shutil.rmtree(f.work, ignore_errors=True)
        return 0
    try:
        run_checks(f)
    finally:
        f.close()
    rc = done()
    # the work directory holds TLS keys, tokens and rendered secrets (fake, but
    # no reason to leave them in /tmp): kept only to look into a failure
    if rc == 0 and not os.environ.get("VAULTLET_KEEP_WORK"):
        shutil.rmtree(f.work, ignore_errors=True)
    else:
        print("# work files kept in %s" % f.work)
    return rc


def token_review(f, bearer, token, audiences=()):
    """POSTs a TokenReview to the simulated API server as `bearer`."""
    ctx = ssl.create_default_context(cafile=os.path.join(f.work, "vault-pod-sa", "ca.crt"))
    host, port = f.api.url[len("https://"):].rsplit(":", 1)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
    try:
        conn.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                     json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                 "spec": {"token": token, "audiences": list(audiences)}}),
                     {"Authorization": "Bearer " + bearer, "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def tokenreview_rules(f):
    """What the real API server checks, the simulator checks too."""
    issue = f.api.issuer.issue
    with open(os.path.join(f.work, "vault-pod-sa", "token")) as fh:
        vault = fh.read().strip()
    pod = issue("litellm", "litellm", "litellm-0", "1f0e9d8c-7b6a-4594-8372-6150e4d3c2b1")
    errs = []
    st, body = token_review(f, vault, pod)
    if st != 201 or not body["status"].get("authenticated"):
        errs.append("a pod token, no audiences asked: %s %s" % (st, body.get("status")))
    st, body = token_review(f, pod, pod)
    if st != 403:
        errs.append("a reviewer without system:auth-delegator got %s" % st)
    other = issue("litellm", "litellm", "litellm-0", "1f0e9d8c-7b6a-4594-8372-6150e4d3c2b1",
                  audiences=["vault"])
    st, body = token_review(f, vault, other)
    if body["status"].get("authenticated"):
        errs.append("a token for audience vault passed the API server's default audiences")
    st, body = token_review(f, vault, other, audiences=["vault"])
    if not body["status"].get("authenticated"):
        errs.append("a token for audience vault, asked for vault: %s" % body.get("status"))
    return "; ".join(errs) or None


def run_checks(f):
    vec = flowmod.reference_vectors()
    # Go's outputs for TV01/TV03, with the values of the .env that
    # generate-env.sh wrote (which init-vault-secrets.sh put in Vault)
    want_sh = flowmod.go_expected(vec["TV01"]["expected_output"], f.secrets).encode()
    want_yaml = flowmod.go_expected(vec["TV03"]["expected_output"], f.secrets).encode()
    secret_values = list(f.secrets.values())
    check("examples/litellm/init-vault-secrets.sh set up Vault from the .env without printing "
          "a secret", not any(v in f.init_output for v in secret_values), f.init_output)

    # -- the chart's default TLS mode
    by = {(o["kind"], o["metadata"]["name"]): o for o in f.chart_objects}
    sec = by.get(("Secret", "vaultlet-webhook-tls"), {}).get("data", {})
    wh = by[("MutatingWebhookConfiguration", "vaultlet-webhook")]["webhooks"][0]
    check(sec.get("ca.crt") and wh["clientConfig"].get("caBundle") == sec["ca.crt"],
          "the chart ran in tls.mode auto: its generated CA is the caBundle the API server "
          "verifies the webhook with (for vaultlet-webhook.vaultlet.svc)")

    # -- admission
    plain = f.litellm_pod()
    pod, warnings, calls = f.create("default", plain)
    check(not calls and "initContainers" not in pod["spec"],
          "a pod in a namespace without vaultlet-injection=enabled is not sent to the webhook")

    try:
        pod, warnings, calls = f.create("litellm", f.litellm_pod())
        admitted = True
    except apiserver.AdmissionError as e:
        admitted = check(False, "the seed's LiteLLM pod is admitted", e)
    if not admitted:
        return
    check(calls == [("inject.vaultlet.dev", "called")], "the API server called the webhook once",
          calls)
    spec = pod["spec"]
    check([c["name"] for c in spec["initContainers"]] == ["vault-agent-init"] and
          [c["name"] for c in spec["containers"]] == ["litellm", "vault-agent"],
          "vault-agent-init and the vault-agent sidecar are injected",
          [c["name"] for c in spec.get("initContainers", []) + spec["containers"]])
    check(pod["metadata"]["annotations"].get("vault.hashicorp.com/agent-inject-status") ==
          "injected", "the pod is marked agent-inject-status: injected")
    app = spec["containers"][0]
    check({"name": "vault-secrets", "mountPath": "/vault/secrets"} in app["volumeMounts"],
          "the LiteLLM container mounts /vault/secrets")
    injected = {"metadata": pod["metadata"], "spec": {
        "containers": [c for c in spec["containers"] if c["name"].startswith("vault-")] +
        spec["initContainers"]}}
    v = apiserver.restricted_violations(injected)
    check(not v, "the injected containers pass the Pod Security Standard 'restricted'", v)
    check(all(c.get("command") == ["/usr/local/bin/vaultlet-agent"]
              for c in injected["spec"]["containers"]),
          "the agents run vaultlet-agent directly (no shell in the image)")
    check(all(c.get("image") == f.agent_image for c in injected["spec"]["containers"]),
          "the agents run the chart's default agent image %s, here from %s"
          % (f.agent_image, f.agent_image_from),
          [c.get("image") for c in injected["spec"]["containers"]])
    res = spec["initContainers"][0].get("resources") or {}
    check(res.get("requests") == {"cpu": "10m", "memory": "8Mi"} and
          res.get("limits") == {"cpu": "250m", "memory": "64Mi"},
          "the agents get the chart's lean resources (10m/8Mi requested)", res)
    check(any("shellQuote" in w for w in warnings),
          "the API server relays the webhook's warning about the double-quoted shell template",
          warnings)

    # -- the pod runs
    t0 = time.time()
    try:
        run = f.run(pod)
        ran = True
    except Exception as e:  # PodFailed and friends: show the init logs
        ran = check(False, "vault-agent-init exits 0", "%s\n%s" % (e, getattr(e, "args", "")))
        for p in f.kubelet.pods:
            for name, log in p.init_logs.items():
                print("# --- %s ---" % name)
                for line in log.splitlines()[-30:]:
                    print("#   " + line)
    if not ran:
        return
    check(True, "vault-agent-init rendered the files and exited 0 (%.2fs)" % (time.time() - t0))
    got_sh = run.read_file("vault-secrets", "app-credentials.sh")
    got_yaml = run.read_file("vault-secrets", "config.yaml")
    check(got_sh == want_sh, "app-credentials.sh is byte-identical to Go's rendering (TV01) "
          "with the .env's values",
          repr(got_sh))
    check(got_yaml == want_yaml, "config.yaml is byte-identical to Go's rendering (TV03) with "
          "the .env's values",
          repr(got_yaml))
    st = os.stat(os.path.join(run.volumes["vault-secrets"], "app-credentials.sh"))
    check((st.st_mode & 0o777, st.st_uid) == (0o644, 100),
          "rendered files are 0644 and owned by the agent's uid 100",
          (oct(st.st_mode), st.st_uid))
    check(f.api.tokenreviews > 0, "Vault verified the pod's token with a TokenReview")
    try:
        bad = tokenreview_rules(f)
    except Exception as e:  # noqa: BLE001 - a crash is a failed check
        bad = "%s: %s" % (type(e).__name__, e)
    check(bad is None, "TokenReview as the API server does it: auth-delegator, default and "
          "asked-for audiences", bad)

    app_log = wait_for(lambda: "listening" in run.containers["litellm"].logs() and
                       run.containers["litellm"].logs(), 15)
    for var, value in (("PROXY_MASTER_KEY", f.secrets["master_key"]),
                       ("OPENROUTER_API_KEY", f.secrets["openrouter_api_key"]),
                       ("DATABASE_URL", "postgresql://llmproxy:%s@host.docker.internal:5432/litellm"
                        % f.secrets["db_password"])):
        check("%s sha256=%s" % (var, sha(value)) in (app_log or ""),
              "LiteLLM's shell sourced app-credentials.sh: %s is set" % var, app_log)
    if f.db_unavailable:
        check(True, "LiteLLM logs into PostgreSQL with the DATABASE_URL it sourced # SKIP "
              + f.db_unavailable)
    else:
        check("database: logged in with DATABASE_URL" in (app_log or ""),
              "LiteLLM's shell logs into the real PostgreSQL (user llmproxy, database litellm) "
              "with the DATABASE_URL it sourced: .env -> Vault -> agent -> app-credentials.sh "
              "-> login (host.docker.internal via hostAliases)", app_log)

    # The sidecar has its own token and renders once at start: wait for it.
    f.wait_sidecar_checked(run)
    st = run.exec("vault-agent", ["/usr/local/bin/vaultlet-agent", "status"])
    out = st.stdout + st.stderr
    check(st.returncode == 0 and "/vault/secrets/app-credentials.sh" in out and
          "/vault/secrets/config.yaml" in out,
          "`kubectl exec … vaultlet-agent status` in the sidecar lists both files", out)
    check(not any(s in out for s in secret_values), "the status output holds no secret value")

    # -- shutdown
    stopped = run.stop(grace=10)
    check(stopped["vault-agent"][0] == 0 and stopped["vault-agent"][1] < 2,
          "on pod deletion the sidecar exits 0 within 1-2 s", stopped)
    logs = "".join(run.init_logs.values()) + "".join(c.logs() for c in run.containers.values()
                                                      if c.name == "vault-agent")
    check(logs.strip() != "", "the agents logged what they did", logs)
    leaked = [s for s in secret_values if s in logs]
    check(not leaked, "no secret value appears in the agents' logs")
    check("hvs." not in logs and "eyJ" not in logs, "no Vault token or JWT in the agents' logs")

    # -- rotation, with a short render interval
    pod2, _, _ = f.create("litellm", f.litellm_pod(
        {"vault.hashicorp.com/template-static-secret-render-interval": "2s"}))
    run2 = f.run(pod2)
    f.wait_sidecar_checked(run2)
    before = run2.read_file("vault-secrets", "config.yaml")
    new_key = "sk-master-rotated"
    c = f.sim.client()
    r = c.put("/v1/secret/data/litellm/secrets",
              {"data": dict(f.secrets, master_key=new_key)})
    check(r.status == 200, "the secret is rotated in Vault (version 2)", r.text)
    after = wait_for(lambda: (lambda b: b if b != before else None)(
        run2.read_file("vault-secrets", "config.yaml")), 15)
    check(after is not None and b'"sk-master-rotated"' in after,
          "the sidecar rewrote config.yaml with the rotated key within the interval")
    run2.stop(grace=10)

    # -- shellQuote (vaultlet's opt-in extension) makes the shell file safe for any value
    hostile = "it's a \"quoted\" $(echo pwned) `id` \\ $HOME value"
    r = c.put("/v1/secret/data/litellm/secrets", {"data": dict(f.secrets, master_key=hostile)})
    safe = ('#!/bin/sh\n{{- with secret "secret/data/litellm/secrets" }}\n'
            'export PROXY_MASTER_KEY={{ .Data.data.master_key | shellQuote }}\n'
            'export OPENROUTER_API_KEY={{ .Data.data.openrouter_api_key | shellQuote }}\n'
            'export DATABASE_URL={{ printf "postgresql://llmproxy:%s@host.docker.internal:5432/'
            'litellm" .Data.data.db_password | shellQuote }}\n{{- end }}\n')
    pod3, warnings3, _ = f.create("litellm", f.litellm_pod(
        {"vault.hashicorp.com/agent-inject-template-app-credentials.sh": safe}))
    check(not any("shellQuote" in w for w in warnings3),
          "a template using shellQuote gets no double-quote warning", warnings3)
    run3 = f.run(pod3)
    log3 = wait_for(lambda: "listening" in run3.containers["litellm"].logs() and
                    run3.containers["litellm"].logs(), 15)
    check("PROXY_MASTER_KEY sha256=%s" % sha(hostile) in (log3 or ""),
          "with shellQuote a secret holding quotes, $(…), backquotes and \\ reaches LiteLLM "
          "exactly", log3)
    run3.stop(grace=10)

    # -- a template that does not parse is refused at admission
    bad = f.litellm_pod({"vault.hashicorp.com/agent-inject-template-broken.txt":
                         "{{ .Data.data.api-key }}"})
    try:
        f.create("litellm", bad)
        check(False, "a pod with a broken template is denied at admission")
    except apiserver.AdmissionError as e:
        check("denied the request" in str(e) and "broken.txt" in str(e),
              "a pod with a broken template is denied at admission, naming it", e)

    # -- matchConditions: only annotated pods are sent to the webhook
    other = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "netcheck"},
             "spec": {"containers": [{"name": "c", "image": flowmod.LITELLM_IMAGE}]}}
    _, _, calls = f.create("litellm", other)
    check(calls == [], "a pod without vault.hashicorp.com/agent-inject in the labelled "
          "namespace is not sent to the webhook (the chart's matchConditions)", calls)

    # -- the webhook is down: failurePolicy Fail keeps the pod from starting without secrets
    f.webhook_pod.stop(grace=5)
    try:
        f.create("litellm", other)
        check(True, "with the webhook down, pods that do not ask for secrets are still created")
    except apiserver.AdmissionError as e:
        check(False, "with the webhook down, pods that do not ask for secrets are still created", e)
    try:
        f.create("litellm", f.litellm_pod())
        check(False, "with the webhook down the pod is not created (failurePolicy: Fail)")
    except apiserver.AdmissionError as e:
        check("failed calling webhook" in str(e),
              "with the webhook down the pod is not created (failurePolicy: Fail)", e)


if __name__ == "__main__":
    sys.exit(main())
