#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""scripts/demo's narrated walk through the whole flow (see flow.py): the
seed's LiteLLM pod gets its secrets from Vault through vaultlet, on this
machine, the way a cluster would do it. Secret values are shown masked."""
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import flow as flowmod  # noqa: E402
from kubesim import apiserver  # noqa: E402

BOLD, DIM, OFF = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
# Demo values, long enough to look real; the demo masks them on screen anyway.
DEMO_SECRETS = {"master_key": "sk-demo-master-4f1c9a7e2b6d8035c1e9",
                "openrouter_api_key": "sk-or-v1-demo-7d2e91b4c0a65f38",
                "db_password": "demo-db-pass-93b7e1"}
ROTATED_MASTER_KEY = "sk-demo-rotated-0b8e5d2c71"


def step(title):
    print("\n%s==> %s%s" % (BOLD, title, OFF))


def show(text, indent="    "):
    for line in text.rstrip("\n").splitlines():
        print(indent + line)


def mask(text):
    for v in list(DEMO_SECRETS.values()) + [ROTATED_MASTER_KEY]:
        text = text.replace(v, v[:6] + "…(%d chars)" % len(v))
    return text


def native_sidecar_step(f):
    """The extra step: native sidecar mode (docs/webhook.md#native-sidecar-mode)."""
    step('native sidecar mode: the same pod with vaultlet/native-sidecar: "true" '
         '(Kubernetes 1.29+)')
    pod, _, _ = f.create("litellm", f.litellm_pod({"vaultlet/native-sidecar": "true"}))
    spec = pod["spec"]
    agent = spec["initContainers"][0]
    print("    init containers: %s (restartPolicy: %s)" % (
        ", ".join(c["name"] for c in spec["initContainers"]), agent.get("restartPolicy")))
    print("    containers:      %s" % ", ".join(c["name"] for c in spec["containers"]))
    print("    startupProbe:    %s every %ds" % (" ".join(agent["startupProbe"]["exec"]["command"]),
                                                 agent["startupProbe"]["periodSeconds"]))
    f.sim.clear_requests()
    run = f.run(pod)
    codes = [d for _, w, n, d in run.events if w == "probe" and n == "vault-agent"]
    print("    the kubelet probed %d time(s) (exit codes %s), then started litellm %.2fs after "
          "the agent" % (len(codes), codes, run.first_event("start", "litellm") -
                         run.first_event("start", "vault-agent")))
    logins = sum(1 for r in f.sim.requests() if r["path"].startswith("/v1/auth/kubernetes/login"))
    print("    one agent, %d login(s) to Vault; `kubectl exec -c vault-agent` works as before:"
          % logins)
    st = run.exec("vault-agent", ["/usr/local/bin/vaultlet-agent", "status"])
    show(st.stdout or st.stderr, "      ")
    deadline = time.time() + 10
    while "listening" not in run.containers["litellm"].logs() and time.time() < deadline:
        time.sleep(0.1)
    print("    kubectl delete pod: the app first, then the sidecar:")
    t0 = run.events[0][0]
    run.stop(grace=10)
    for t, what, name, detail in run.events:
        if what in ("sigterm", "exit") and name:
            print("      +%6.2fs %-8s %s%s" % (t - t0, what, name,
                                               "" if what == "sigterm" else " (%s)" % detail))


def main():
    f = flowmod.Flow(say=lambda m: print("    " + m), secrets=DEMO_SECRETS)
    missing = f.requirements()
    if missing:
        print("scripts/demo: cannot run here, missing: " + "; ".join(missing), file=sys.stderr)
        return 1
    try:
        step("Vault, the API server and the webhook (helm template of charts/vaultlet)")
        f.start()

        step("kubectl -n litellm create: the seed's LiteLLM pod (examples/litellm-pod.yaml)")
        pod, warnings, calls = f.create("litellm", f.litellm_pod())
        spec = pod["spec"]
        print("    webhook called: %s" % ", ".join(n for n, _ in calls))
        print("    init containers: %s" % ", ".join(c["name"] for c in spec["initContainers"]))
        print("    containers:      %s" % ", ".join(c["name"] for c in spec["containers"]))
        print("    volumes added:   %s" % ", ".join(
            v["name"] for v in spec["volumes"] if v["name"] in ("home-init", "home-sidecar",
                                                                "vault-secrets")))
        agent = spec["initContainers"][0]
        res = agent["resources"]
        print("    agent command:   %s   (no shell, no base64)" % " ".join(agent["command"]))
        print("    agent resources: requests %s, limits %s" % (
            json.dumps(res.get("requests")), json.dumps(res.get("limits"))))
        for w in warnings:
            print("    %sWarning:%s %s" % (BOLD, OFF, w))

        step("kubelet: vault-agent-init logs in with the pod's token and renders, then exits")
        t0 = time.time()
        run = f.run(pod)
        print("    vault-agent-init finished in %.2fs. Its log:" % (time.time() - t0))
        show(mask(run.init_logs["vault-agent-init"]), "      ")

        step("/vault/secrets/app-credentials.sh as LiteLLM sees it (values masked)")
        show(mask(run.read_file("vault-secrets", "app-credentials.sh").decode()))
        step("/vault/secrets/config.yaml (values masked)")
        show(mask(run.read_file("vault-secrets", "config.yaml").decode()))

        step("the LiteLLM container: '. /vault/secrets/app-credentials.sh && exec litellm …'")
        deadline = time.time() + 10
        while "listening" not in run.containers["litellm"].logs() and time.time() < deadline:
            time.sleep(0.1)
        show(run.containers["litellm"].logs(), "    ")
        print("    %s(a stand-in for the litellm command: it prints digests, never values)%s"
              % (DIM, OFF))

        step("kubectl exec -c vault-agent -- vaultlet-agent status")
        f.wait_sidecar_checked(run)
        st = run.exec("vault-agent", ["/usr/local/bin/vaultlet-agent", "status"])
        show(st.stdout or st.stderr)

        step("rotate the master key in Vault; the sidecar re-reads KV v2 every 5 min by default")
        print("    (vault.hashicorp.com/template-static-secret-render-interval sets it; this demo "
              "uses a second pod with 2s)")
        pod2, _, _ = f.create("litellm", f.litellm_pod(
            {"vault.hashicorp.com/template-static-secret-render-interval": "2s"}))
        run2 = f.run(pod2)
        f.wait_sidecar_checked(run2)
        before = run2.read_file("vault-secrets", "config.yaml")
        f.sim.client().put("/v1/secret/data/litellm/secrets",
                           {"data": dict(DEMO_SECRETS, master_key=ROTATED_MASTER_KEY)})
        t0 = time.time()
        while run2.read_file("vault-secrets", "config.yaml") == before and time.time() - t0 < 15:
            time.sleep(0.1)
        print("    config.yaml rewritten %.1fs after the rotation (atomically: temp file + "
              "rename). The sidecar's log:" % (time.time() - t0))
        show(mask(run2.containers["vault-agent"].logs()), "      ")

        step("kubectl delete pod: SIGTERM, the sidecar exits at once")
        for name, (rc, secs) in sorted(run.stop(grace=10).items()):
            print("    %-12s exit %d after %.2fs" % (name, rc, secs))
        run2.stop(grace=10)

        native_sidecar_step(f)

        step("a template with a typo is refused when the pod is created, not at runtime")
        bad = f.litellm_pod({"vault.hashicorp.com/agent-inject-template-db.env":
                             "DB_URL={{ .Data.data.database-url }}"})
        try:
            f.create("litellm", bad)
        except apiserver.AdmissionError as e:
            show("Error from server: " + re.sub(r"\s+", " ", str(e)))
        print("\n%sDone.%s Work files (logs, rendered volumes) are in %s" % (BOLD, OFF, f.work))
        return 0
    finally:
        f.close()


if __name__ == "__main__":
    sys.exit(main())
