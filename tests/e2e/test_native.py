#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""End to end: native sidecar mode (issue 14) through kubesim. TAP output.

The webhook is deployed from the chart with agent.nativeSidecar=true, so the
seed's pod, unchanged, gets one vault-agent init container with
restartPolicy Always and a startupProbe (`vaultlet-agent status -ready`),
which kubesim's kubelet runs the way the kubelet runs native sidecars
(kubesim/kubelet.py). Three scenarios:

  1. the seed's LiteLLM pod: one login, both files rendered before LiteLLM
     starts, rotation picked up, `status` works, a sidecar that dies is
     restarted, and on delete LiteLLM gets SIGTERM before the agent, both
     exit 0, the agent revoking its token (agent-revoke-on-shutdown);
  2. a Job's pod (restartPolicy Never) whose container sources
     app-credentials.sh and prints a digest: it completes within 2 s of its
     container's exit; the same Job in classic mode (the annotation set to
     false) does not complete (bounded wait);
  3. Vault sealed at start: the app does not start until the agent has
     rendered, and starts within one probe period of the rendering;
  4. kubesim itself: a sidecar whose startup probe keeps failing is killed
     after failureThreshold runs spaced periodSeconds apart, and restarted.
"""
import hashlib
import os
import shutil
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import flow as flowmod  # noqa: E402
from kubesim import helm  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from taplib import done, tap as check  # noqa: E402

AGENT = "/usr/local/bin/vaultlet-agent"
PROBE_PERIOD = 1.0   # the injected startupProbe's periodSeconds
LOGIN = "/v1/auth/kubernetes/login"


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
    f = flowmod.Flow(chart_values=["agent.nativeSidecar=true"])
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
        for scenario in (seed_pod, job_pod, vault_down, probe_threshold):
            try:
                scenario(f)
            except Exception as e:  # noqa: BLE001 - a crash fails the scenario, not the rest
                check(False, "%s ran to the end" % scenario.__name__,
                      "%s: %s" % (type(e).__name__, e))
                for p in f.kubelet.pods:
                    for name, log in p.init_logs.items():
                        print("# --- %s ---" % name)
                        for line in log.splitlines()[-20:]:
                            print("#   " + line)
    finally:
        f.close()
    rc = done()
    if rc == 0 and not os.environ.get("VAULTLET_KEEP_WORK"):
        shutil.rmtree(f.work, ignore_errors=True)
    else:
        print("# work files kept in %s" % f.work)
    return rc


def logins(f):
    return sum(1 for r in f.sim.requests() if r["path"].split("?")[0] == LOGIN)


def rendered_at(run):
    """Monotonic time at which both files existed (the later of their writes)."""
    t = max(os.stat(os.path.join(run.volumes["vault-secrets"], n)).st_mtime
            for n in ("app-credentials.sh", "config.yaml"))
    return t - run.wall_offset


def probes(run, name="vault-agent"):
    return [d for _, w, n, d in run.events if w == "probe" and n == name]


# ---------------------------------------------------------------- 1. the seed's pod

def seed_pod(f):
    secret_values = list(f.secrets.values())
    pod, warnings, _ = f.create("litellm", f.litellm_pod(
        {"vault.hashicorp.com/template-static-secret-render-interval": "2s",
         "vault.hashicorp.com/agent-revoke-on-shutdown": "true"}))
    spec = pod["spec"]
    inits = spec.get("initContainers") or []
    check([c["name"] for c in inits] == ["vault-agent"] and
          [c["name"] for c in spec["containers"]] == ["litellm"],
          "chart agent.nativeSidecar=true: the seed's pod gets one vault-agent init container "
          "and no other agent", [c["name"] for c in inits + spec["containers"]])
    agent = inits[0]
    check(agent.get("restartPolicy") == "Always" and
          agent.get("startupProbe", {}).get("exec", {}).get("command") ==
          [AGENT, "status", "-ready"] and "lifecycle" not in agent,
          "the agent is a native sidecar whose startupProbe execs vaultlet-agent status -ready "
          "(and, with revoke-on-shutdown, no preStop sleep)", agent)

    f.sim.clear_requests()
    run = f.run(pod)
    t_app = run.first_event("start", "litellm")
    t_started = run.first_event("started", "vault-agent")
    t_files = rendered_at(run)
    check(t_started is not None and t_files <= t_started <= t_app,
          "both files were rendered before the startup probe passed, and LiteLLM started after "
          "it (%.2fs after the render)" % (t_app - t_files),
          (t_files, t_started, t_app, run.events))
    check(probes(run) and probes(run)[-1] == 0,
          "the kubelet ran the startup probe until it passed (%d runs, exit codes %s)"
          % (len(probes(run)), probes(run)))
    log = wait_for(lambda: "listening" in run.containers["litellm"].logs() and
                   run.containers["litellm"].logs(), 15)
    check(all("%s sha256=%s" % (v, sha(x)) in (log or "") for v, x in (
        ("PROXY_MASTER_KEY", f.secrets["master_key"]),
        ("OPENROUTER_API_KEY", f.secrets["openrouter_api_key"]))),
        "LiteLLM's shell sourced app-credentials.sh at start", log)

    st = run.exec("vault-agent", [AGENT, "status"])
    out = st.stdout + st.stderr
    check(st.returncode == 0 and "/vault/secrets/app-credentials.sh" in out and
          "/vault/secrets/config.yaml" in out and not any(s in out for s in secret_values),
          "`kubectl exec -c vault-agent … vaultlet-agent status` lists both files, no value",
          out)

    before = run.read_file("vault-secrets", "config.yaml")
    c = f.sim.client()
    r = c.put("/v1/secret/data/litellm/secrets", {"data": dict(f.secrets, master_key="sk-rot-n1")})
    after = wait_for(lambda: (lambda b: b if b != before else None)(
        run.read_file("vault-secrets", "config.yaml")), 15)
    check(r.status == 200 and after is not None and b'"sk-rot-n1"' in after,
          "the native sidecar picked up a rotation within the render interval")
    c.put("/v1/secret/data/litellm/secrets", {"data": f.secrets})
    n = logins(f)
    check(n == 1, "one login for the whole pod (init and refresh by the same agent)", n)

    # a sidecar that exits is restarted, whatever the pod's restartPolicy
    run.sidecars["vault-agent"].proc.send_signal(signal.SIGKILL)
    # ready again means this run's renders: it logged in again, and its own
    # status file (written at its start, before the login) says ready
    again = wait_for(lambda: run.restarts.get("vault-agent") == 1 and logins(f) == 2 and
                     run.exec("vault-agent", [AGENT, "status", "-ready"]).returncode == 0, 20)
    check(again, "a vault-agent that dies is restarted by the kubelet and is ready again",
          run.events[-6:])

    f.sim.clear_requests()
    stopped = run.stop(grace=10)
    t_term_app = run.first_event("sigterm", "litellm")
    t_exit_app = run.last_event("exit", "litellm")
    t_term_agent = run.last_event("sigterm", "vault-agent")
    t_exit_agent = run.last_event("exit", "vault-agent")
    check(None not in (t_term_app, t_exit_app, t_term_agent, t_exit_agent) and
          t_term_app < t_exit_app <= t_term_agent < t_exit_agent,
          "on delete LiteLLM gets SIGTERM and exits before the agent gets SIGTERM",
          [e for e in run.events if e[1] in ("sigterm", "exit")])
    check(stopped.get("litellm", (None,))[0] == 0 and stopped.get("vault-agent", (None,))[0] == 0
          and t_exit_agent - t_term_agent < 2,
          "both exit 0, the agent at once (%.2fs after its SIGTERM)"
          % ((t_exit_agent or 0) - (t_term_agent or 0)), stopped)
    revoked = [r for r in f.sim.requests() if r["path"] == "/v1/auth/token/revoke-self"]
    check(len(revoked) == 1 and revoked[0]["status"] == 204,
          "on its SIGTERM the agent revoked its token (agent-revoke-on-shutdown)",
          f.sim.requests())
    logs = "".join(run.init_logs.values()) + run.sidecars["vault-agent"].logs()
    check(not any(s in logs for s in secret_values) and "hvs." not in logs and
          "eyJ" not in logs, "no secret, token or JWT in the native sidecar's log")


# ---------------------------------------------------------------- 2. a Job

JOB_SCRIPT = ('. /vault/secrets/app-credentials.sh && printf "%s|%s|%s" "$PROXY_MASTER_KEY" '
              '"$OPENROUTER_API_KEY" "$DATABASE_URL" | sha256sum')


def job(f, extra=None):
    p = f.litellm_pod(extra)
    p["metadata"] = {"generateName": "digest-", "annotations": p["metadata"]["annotations"],
                     "labels": {"job-name": "digest"}}
    app = p["spec"]["containers"][0]
    p["spec"]["restartPolicy"] = "Never"
    p["spec"]["containers"] = [{
        "name": "digest", "image": app["image"], "command": ["/bin/sh", "-c", JOB_SCRIPT],
        "volumeMounts": [m for m in app["volumeMounts"] if "serviceaccount" in m["mountPath"]]}]
    p["spec"]["volumes"] = [v for v in p["spec"]["volumes"] if "projected" in v]
    return p


def job_pod(f):
    s = f.secrets
    want = sha("%s|%s|postgresql://llmproxy:%s@host.docker.internal:5432/litellm"
               % (s["master_key"], s["openrouter_api_key"], s["db_password"]))
    pod, _, _ = f.create("litellm", job(f))
    check([c["name"] for c in pod["spec"]["initContainers"]] == ["vault-agent"] and
          [c["name"] for c in pod["spec"]["containers"]] == ["digest"],
          "the Job's pod gets the native sidecar")
    run = f.run(pod)
    phase = run.wait_phase(("Succeeded", "Failed"), 10)
    t_exit = run.first_event("exit", "digest")
    t_done = next((t for t, w, _, d in run.events if w == "phase" and d == phase), None)
    out = run.containers["digest"].logs()
    check(want in out, "the Job's container sourced app-credentials.sh and printed the digest",
          out)
    check(phase == "Succeeded" and t_exit is not None and t_done - t_exit < 2,
          "the Job's pod completes (Succeeded) within 2 s of its container's exit (%.2fs)"
          % ((t_done or 0) - (t_exit or 0)), (phase, run.events))
    agent_exit = wait_for(lambda: run.last_event("exit", "vault-agent"), 5)
    codes = [d for _, w, n, d in run.events if w == "exit" and n == "vault-agent"]
    check(agent_exit is not None and t_exit is not None and agent_exit >= t_exit and
          codes[-1:] == [0],
          "then the kubelet stops the native sidecar, which exits 0", run.events)
    run.stop(grace=5)

    # the same Job, classic mode: the regular vault-agent sidecar never exits
    pod, _, _ = f.create("litellm", job(f, {"vaultlet/native-sidecar": "false"}))
    check([c["name"] for c in pod["spec"]["initContainers"]] == ["vault-agent-init"] and
          [c["name"] for c in pod["spec"]["containers"]] == ["digest", "vault-agent"],
          "vaultlet/native-sidecar: false overrides the chart's default (classic shape)")
    run = f.run(pod)
    wait_for(lambda: run.containers["digest"].proc.poll() is not None, 10)
    phase = run.wait_phase(("Succeeded", "Failed"), 5)
    check(run.containers["digest"].proc.returncode == 0 and phase == "Running" and
          run.containers["vault-agent"].proc.poll() is None,
          "in classic mode the Job's container exits 0 but the pod stays Running: the "
          "vault-agent sidecar never exits (waited 5 s)", (phase, run.events))
    run.stop(grace=5)


# ---------------------------------------------------------------- 3. Vault down at start

def vault_down(f):
    pod, _, _ = f.create("litellm", f.litellm_pod({
        "vault.hashicorp.com/auth-min-backoff": "1s",
        "vault.hashicorp.com/auth-max-backoff": "1s"}))
    f.sim.control("POST", "/_sim/seal")
    unsealed = {}

    def unseal():
        time.sleep(4)
        unsealed["t"] = time.monotonic()
        f.sim.control("POST", "/_sim/unseal")

    t = threading.Thread(target=unseal)
    t.start()
    try:
        run = f.run(pod)
    finally:
        t.join()
        f.sim.control("POST", "/_sim/unseal")
    t_app = run.first_event("start", "litellm")
    t_render = rendered_at(run)
    failed = [p for p in probes(run) if p != 0]
    check(t_app > unsealed["t"] and t_render > unsealed["t"] and t_app >= t_render and
          len(failed) >= 3,
          "while Vault is sealed the probe fails (%d times) and LiteLLM does not start"
          % len(failed), run.events)
    # the probe that passed began within one period of the render, LiteLLM right after it
    t_probe = run.last_event("probe-run", "vault-agent")
    check(t_probe - t_render <= PROBE_PERIOD + 0.1 and t_app - t_probe < 1.0,
          "LiteLLM starts within one probe period of the agent's render: the passing probe "
          "began %.2fs after it, LiteLLM %.2fs later; %.2fs after Vault came back (the agent "
          "retries every 1s here)" % (t_probe - t_render, t_app - t_probe, t_app - unsealed["t"]),
          run.events)
    run.stop(grace=5)


# ---------------------------------------------------------------- 4. kubesim's probe rules

def probe_threshold(f):
    """A hand-made pod (no webhook): the sidecar's probe passes only once the
    test creates a file, after the kubelet has killed and restarted it."""
    loop = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "probe-rules", "namespace": "litellm", "uid": "probe-rules-1"},
           "spec": {"restartPolicy": "Never", "volumes": [{"name": "scratch", "emptyDir": {}}],
                    "initContainers": [{
                        "name": "side", "image": flowmod.LITELLM_IMAGE, "restartPolicy": "Always",
                        "command": ["/bin/sh", "-c", loop],
                        "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                        "startupProbe": {"exec": {"command": ["/bin/sh", "-c",
                                                              "test -e /scratch/ready"]},
                                         "periodSeconds": 1, "failureThreshold": 2}}],
                    "containers": [{"name": "app", "image": flowmod.LITELLM_IMAGE,
                                    "command": ["/bin/sh", "-c", "exit 0"]}]}}
    run = f.kubelet.run_pod(pod)

    def release():
        if wait_for(lambda: run.restarts.get("side") == 1, 15):
            time.sleep(0.5)
            open(os.path.join(run.volumes["scratch"], "ready"), "w").close()

    t = threading.Thread(target=release)
    t.start()
    try:
        run.run_init_containers(timeout=30)
        run.start_containers()
    finally:
        t.join()
    runs = [tm for tm, w, n, _ in run.events if w == "probe-run" and n == "side"]
    first = [tm for tm, w, n, d in run.events if w == "start" and n == "side"]
    kill = run.first_event("kill", "side")
    gaps = [b - a for a, b in zip(runs, runs[1:]) if kill is None or not a < kill < b]
    check(kill is not None and sum(1 for r in runs if r < kill) == 2 and len(first) == 2 and
          run.restarts.get("side") == 1,
          "kubesim: failureThreshold 2 failed probes kill the sidecar, which is started again",
          run.events)
    check(gaps and all(0.9 <= g <= 1.3 for g in gaps),
          "kubesim: probes run periodSeconds (1 s) apart: %s" % ["%.2f" % g for g in gaps])
    check(run.first_event("start", "app") > run.last_event("started", "side") and
          run.wait_phase(("Succeeded", "Failed"), 10) == "Succeeded",
          "kubesim: the app starts only after the restarted sidecar's probe passed; the pod "
          "(restartPolicy Never) completes", run.events)
    run.stop(grace=5)


if __name__ == "__main__":
    sys.exit(main())
