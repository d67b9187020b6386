#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""examples/litellm/, as a user runs it (TAP):

- generate-env.sh: the .env's keys, lengths, alphabet and mode; no value
  printed; an existing file kept unless -f.
- docker-compose.yml and vault-values.yaml agree with the rest: the
  database, user and port the LiteLLM template's DATABASE_URL uses; the
  password from .env; Vault in dev mode with its own injector disabled and
  the root token init-vault-secrets.sh falls back to.
- init-vault-secrets.sh against the Vault simulator started like
  `vault server -dev`: the secret, policy, Kubernetes auth and role it
  leaves; then the real vaultlet-agent logs in as the seed's pod (service
  account litellm/litellm) and renders app-credentials.sh and config.yaml
  from litellm-values.yaml's annotations with the .env values. A second run
  is clean and changes only the secret; a bad token, an unreachable Vault
  and a missing .env each give one line and exit 1; with VAULT_ADDR unset it
  port-forwards with kubectl (a stand-in on PATH) and uses the dev token.

usage: test_litellm_examples.py VAULTLET_AGENT
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
EX = os.path.join(ROOT, "examples", "litellm")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "vaultsim"))
sys.path.insert(0, os.path.join(ROOT, "tests", "agent"))
from taplib import check, done  # noqa: E402
import simlib  # noqa: E402
import agentlib  # noqa: E402

ALNUM = re.compile(r"^[A-Za-z0-9]{40}$")
POLICY = 'path "secret/data/litellm/*" {\n  capabilities = ["read"]\n}\n'

# A stand-in for `kubectl -n NS port-forward svc/vault LOCAL:8200`: logs its
# arguments and forwards LOCAL to $FAKE_KUBECTL_TARGET (host:port).
FAKE_KUBECTL = r'''#!/usr/bin/python3
import os, socket, sys, threading
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
args = sys.argv[1:]
local = int(args[-1].split(":")[0])
host, port = os.environ["FAKE_KUBECTL_TARGET"].rsplit(":", 1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", local))
srv.listen(16)
print("Forwarding from 127.0.0.1:%d -> 8200" % local, flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
while True:
    c, _ = srv.accept()
    u = socket.create_connection((host, int(port)))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
'''


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                out[k] = v
    return out


def run(cmd, env=None, cwd=None):
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def main():
    agent = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="vaultlet-examples-")
    try:
        envf = os.path.join(tmp, ".env")
        gen = os.path.join(EX, "generate-env.sh")
        first = run([gen], cwd=tmp)
        check("generate-env.sh writes ./.env and exits 0",
              lambda: first.returncode == 0 and os.path.exists(envf) or first.stderr)
        values = read_env(envf)

        def env_content():
            errs = []
            if set(values) != {"POSTGRES_PASSWORD", "LITELLM_MASTER_KEY", "OPENROUTER_API_KEY"}:
                errs.append("keys %s" % sorted(values))
            for k in ("POSTGRES_PASSWORD", "LITELLM_MASTER_KEY"):
                if not ALNUM.match(values.get(k, "")):
                    errs.append("%s is not 40 characters of A-Za-z0-9 (%d chars)"
                                % (k, len(values.get(k, ""))))
            if values.get("POSTGRES_PASSWORD") == values.get("LITELLM_MASTER_KEY"):
                errs.append("the two values are equal")
            if "replace-with-your" not in values.get("OPENROUTER_API_KEY", ""):
                errs.append("OPENROUTER_API_KEY is not the placeholder")
            mode = stat.S_IMODE(os.stat(envf).st_mode)
            if mode != 0o600:
                errs.append("mode %o" % mode)
            printed = first.stdout + first.stderr
            if any(v in printed for v in values.values() if len(v) >= 8):
                errs.append("a value was printed")
            return "; ".join(errs) or None
        check("the .env holds POSTGRES_PASSWORD and LITELLM_MASTER_KEY (40 characters of "
              "A-Za-z0-9, distinct), a placeholder OPENROUTER_API_KEY; mode 0600; no value "
              "printed", env_content)

        def no_overwrite():
            before = open(envf).read()
            r = run([gen], cwd=tmp)
            if r.returncode == 0 or open(envf).read() != before or "-f" not in r.stderr:
                return "rc %d, changed %s: %s" % (r.returncode, open(envf).read() != before, r.stderr)
            other = os.path.join(tmp, "other.env")
            r2 = run([gen, other])
            r3 = run([gen, "-f", other])
            again = read_env(other)
            if r2.returncode or r3.returncode or again["POSTGRES_PASSWORD"] == values["POSTGRES_PASSWORD"]:
                return "FILE / -f: %s %s" % (r2.stderr, r3.stderr)
            if [f for f in os.listdir(tmp) if f.startswith(".env.")]:
                return "temporary files left behind"
            return None
        check("generate-env.sh keeps an existing .env (exit 1, saying -f), -f replaces it with "
              "new values; a FILE argument works", no_overwrite)

        compose_and_values(values)

        # a real-looking OpenRouter key, so that a run is free of warnings
        values["OPENROUTER_API_KEY"] = "sk-or-v1-" + "0123456789abcdef" * 4
        with open(envf, "w") as f:
            for k, v in values.items():
                f.write("%s=%s\n" % (k, v))
        init_script(agent, tmp, envf, values)
        check("secret/ mounted as KV v1: exit 1, one line saying it needs KV v2, nothing written",
              kv1_refused(envf))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def compose_and_values(values):
    def compose():
        c = yaml.safe_load(open(os.path.join(EX, "docker-compose.yml")))
        pg = c["services"]["postgres"]
        e = pg["environment"]
        errs = []
        lv = yaml.safe_load(open(os.path.join(EX, "litellm-values.yaml")))
        tmpl = lv["podAnnotations"]["vault.hashicorp.com/agent-inject-template-app-credentials.sh"]
        m = re.search(r"postgresql://([^:]+):\{\{ \.Data\.data\.db_password \}\}@([^:/]+):(\d+)/(\w+)",
                      tmpl)
        if not m:
            return "no DATABASE_URL in the LiteLLM template"
        user, host, port, db = m.groups()
        if (e.get("POSTGRES_USER"), e.get("POSTGRES_DB")) != (user, db):
            errs.append("compose user/db %s/%s vs DATABASE_URL %s/%s" % (
                e.get("POSTGRES_USER"), e.get("POSTGRES_DB"), user, db))
        if not str(e.get("POSTGRES_PASSWORD", "")).startswith("${POSTGRES_PASSWORD"):
            errs.append("the password is not taken from .env's POSTGRES_PASSWORD")
        if "%s:5432" % port not in pg.get("ports", []):
            errs.append("port %s not published: %r" % (port, pg.get("ports")))
        if "pg_isready" not in " ".join(pg.get("healthcheck", {}).get("test", [])):
            errs.append("no pg_isready health check")
        vols = [v.split(":")[0] for v in pg.get("volumes", [])]
        if not vols or vols[0] not in (c.get("volumes") or {}):
            errs.append("no named volume")
        return "; ".join(errs) or None
    check("docker-compose.yml: PostgreSQL with the user, database and port of the template's "
          "DATABASE_URL, the password from .env, a pg_isready health check, a named volume",
          compose)

    def vault_values():
        v = yaml.safe_load(open(os.path.join(EX, "vault-values.yaml")))
        errs = []
        if v.get("injector", {}).get("enabled") is not False:
            errs.append("the Vault chart's own injector is not disabled")
        dev = v.get("server", {}).get("dev", {})
        if dev.get("enabled") is not True:
            errs.append("not dev mode")
        script = open(os.path.join(EX, "init-vault-secrets.sh")).read()
        if "token=${VAULT_TOKEN:-%s}" % dev.get("devRootToken") not in script:
            errs.append("init-vault-secrets.sh's default token is not devRootToken %r"
                        % dev.get("devRootToken"))
        return "; ".join(errs) or None
    check("vault-values.yaml: dev mode, the Vault chart's injector disabled, the root token "
          "init-vault-secrets.sh falls back to", vault_values)

    def pod_matches_values():
        v = yaml.safe_load(open(os.path.join(EX, "litellm-values.yaml")))
        pod = yaml.safe_load(open(os.path.join(ROOT, "examples", "litellm-pod.yaml")))
        app = pod["spec"]["containers"][0]
        errs = []
        if pod["metadata"]["annotations"] != v["podAnnotations"]:
            errs.append("annotations differ")
        if (app.get("command"), app.get("args")) != (v["command"], v["args"]):
            errs.append("command/args differ")
        if pod["spec"].get("serviceAccountName") != v["serviceAccount"]["name"]:
            errs.append("service account")
        return "; ".join(errs) or None
    check("examples/litellm-pod.yaml (the pod the webhook tests and the demo admit) carries "
          "litellm-values.yaml's annotations, command, args and service account",
          pod_matches_values)


def init_script(agent, tmp, envf, values):
    script = os.path.join(EX, "init-vault-secrets.sh")
    minter = simlib.JwtMinter("RS256")
    secrets = {"master_key": values["LITELLM_MASTER_KEY"],
               "openrouter_api_key": values["OPENROUTER_API_KEY"],
               "db_password": values["POSTGRES_PASSWORD"]}
    secret_values = list(secrets.values())
    # started like `vault server -dev`: in-memory, unsealed, root token "root", secret/ KV v2
    with simlib.start_sim(minter=minter, log_requests=True) as sim:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "KUBERNETES_"))}
        env = dict(base, ENV_FILE=envf, VAULT_ADDR=sim.url, VAULT_TOKEN="root")
        c = sim.client()

        def state():
            out = {}
            for p in ("/v1/sys/mounts/secret", "/v1/sys/policies/acl/litellm-policy",
                      "/v1/auth/kubernetes/config", "/v1/auth/kubernetes/role/litellm-role"):
                r = c.get(p)
                d = r.json()
                for k in ("request_id", "lease_id", "wrap_info", "warnings"):
                    d.pop(k, None)
                out[p] = (r.status, d)
            r = c.get("/v1/sys/auth")
            out["auth"] = (r.status, {k: v.get("type") for k, v in (r.json().get("data") or {}).items()})
            return out

        sim.clear_requests()
        r1 = run(["sh", script], env=env)
        first_reqs = sim.requests()

        def first_run():
            if r1.returncode != 0 or r1.stderr:
                return "rc %d\n%s%s" % (r1.returncode, r1.stdout, r1.stderr)
            errs = []
            kv = c.get("/v1/secret/data/litellm/secrets").json()["data"]["data"]
            if kv != secrets:
                errs.append("secret/litellm/secrets holds other values (keys %s)" % sorted(kv))
            pol = c.get("/v1/sys/policies/acl/litellm-policy").json()["data"]["policy"]
            if pol != POLICY:
                errs.append("policy %r" % pol)
            role = c.get("/v1/auth/kubernetes/role/litellm-role").json()["data"]
            if (role["bound_service_account_names"], role["bound_service_account_namespaces"],
                    role["token_policies"], role["token_ttl"]) != (["litellm"], ["litellm"],
                                                                    ["litellm-policy"], 86400):
                errs.append("role %r" % role)
            cfg = c.get("/v1/auth/kubernetes/config").json()["data"]
            if cfg["kubernetes_host"] != "https://kubernetes.default.svc:443":
                errs.append("kubernetes_host %s" % cfg["kubernetes_host"])
            if any(rq.get("method") == "POST" and rq.get("path") == "/v1/sys/mounts/secret"
                   for rq in first_reqs):
                errs.append("mounted secret/ although dev mode has KV v2 there")
            if any(s in r1.stdout + r1.stderr for s in secret_values + ["root"]):
                errs.append("a secret or the token was printed")
            return "; ".join(errs) or None
        check("init-vault-secrets.sh (dev-mode Vault, .env): secret/litellm/secrets = the .env "
              "values; litellm-policy; Kubernetes auth configured; litellm-role bound to "
              "litellm/litellm, TTL 24h; secret/ left as dev mode mounted it; nothing secret "
              "printed", first_run)

        def pod_renders():
            # the seed's pod: a projected token of service account litellm/litellm, and the
            # templates of litellm-values.yaml's annotations, rendered by the real agent
            ann = yaml.safe_load(open(os.path.join(EX, "litellm-values.yaml")))["podAnnotations"]
            work = os.path.join(tmp, "pod")
            home, out = os.path.join(work, "home"), os.path.join(work, "secrets")
            for d in (home, out):
                os.makedirs(d)
            jwt = os.path.join(work, "token")
            with open(jwt, "w") as f:
                f.write(minter.mint("litellm", "litellm"))
            prefix = "vault.hashicorp.com/agent-inject-template-"
            templates = [{"destination": os.path.join(out, k[len(prefix):]), "contents": v,
                          "left_delimiter": "{{", "right_delimiter": "}}"}
                         for k, v in sorted(ann.items()) if k.startswith(prefix)]
            cfg = agentlib.agent_config(sim.url, None, jwt, home, out, init=True,
                                        templates=templates)
            cfg["auto_auth"]["method"]["config"]["role"] = ann["vault.hashicorp.com/role"]
            cfg["vault"].pop("ca_cert", None)
            aenv = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
            aenv.update(VAULT_CONFIG=agentlib.vault_config_env(cfg), NAMESPACE="litellm")
            r = subprocess.run([agent], env=aenv, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                return "agent exit %d:\n%s" % (r.returncode, r.stderr[-2000:])
            got_sh = open(os.path.join(out, "app-credentials.sh")).read()
            got_yaml = open(os.path.join(out, "config.yaml")).read()
            if got_sh != agentlib.expected_app_credentials(secrets):
                return "app-credentials.sh differs"
            if got_yaml != agentlib.expected_config_yaml(secrets):
                return "config.yaml differs"
            return None
        check("after it, the seed's pod (litellm/litellm, role litellm-role) logs in with the "
              "real vaultlet-agent and renders app-credentials.sh and config.yaml of "
              "litellm-values.yaml with the .env values", pod_renders)

        before = state()
        v1 = c.get("/v1/secret/metadata/litellm/secrets").json()["data"]["current_version"]
        sim.clear_requests()
        r2 = run(["sh", script], env=env)
        reqs = sim.requests()

        def second_run():
            if r2.returncode != 0 or r2.stderr:
                return "rc %d\n%s" % (r2.returncode, r2.stderr)
            errs = []
            after = state()
            for k in before:
                if before[k] != after[k]:
                    errs.append("%s changed" % k)
            v2 = c.get("/v1/secret/metadata/litellm/secrets").json()["data"]["current_version"]
            if v2 != v1 + 1:
                errs.append("secret version %s -> %s" % (v1, v2))
            for rq in reqs:
                if rq.get("method") == "POST" and rq.get("path") in ("/v1/sys/mounts/secret",
                                                                     "/v1/sys/auth/kubernetes"):
                    errs.append("re-mounted %s" % rq["path"])
            return "; ".join(errs) or None
        check("a second run exits 0 with nothing on stderr and changes only the secret (a new "
              "version); mounts, auth method, config, policy and role unchanged", second_run)

        def one_line_failure(extra_env, want, name):
            sim.clear_requests()
            r = run(["sh", script], env=dict(env, **extra_env))
            lines = r.stderr.splitlines()
            writes = [rq for rq in sim.requests() if rq.get("method") in ("POST", "PUT")]
            printed = r.stdout + r.stderr
            if r.returncode != 1 or len(lines) != 1 or want not in lines[0]:
                return "%s: rc %d, stderr %r" % (name, r.returncode, r.stderr)
            if writes:
                return "%s: wrote %r" % (name, [w.get("path") for w in writes])
            if any(s in printed for s in secret_values + [extra_env.get("VAULT_TOKEN", "root")]):
                return "%s: printed a secret or the token" % name
            return None
        check("a bad token: exit 1, one line on stderr naming the problem, nothing written, "
              "the token not echoed",
              lambda: one_line_failure({"VAULT_TOKEN": "hvs.not-a-valid-token-0123"},
                                       "Vault refused the token", "bad token"))
        check("Vault unreachable: exit 1, one line",
              lambda: one_line_failure({"VAULT_ADDR": "http://127.0.0.1:9"},
                                       "cannot reach Vault at http://127.0.0.1:9", "unreachable"))
        check("no .env: exit 1, one line saying to run generate-env.sh",
              lambda: one_line_failure({"ENV_FILE": os.path.join(tmp, "missing.env")},
                                       "generate-env.sh", "no .env"))

        def denied_write():
            # a token that may write the secret but not policies: the run stops at the policy
            lim = 'path "secret/*" { capabilities = ["create", "update", "read"] }\n' \
                  'path "sys/mounts/secret" { capabilities = ["read"] }\n'
            c.put("/v1/sys/policies/acl/init-limited", {"policy": lim})
            tok = c.post("/v1/auth/token/create", {"policies": ["init-limited"], "ttl": "10m"})
            t = tok.json()["auth"]["client_token"]
            r = run(["sh", script], env=dict(env, VAULT_TOKEN=t))
            lines = r.stderr.splitlines()
            if r.returncode != 1 or len(lines) != 1 or \
                    "writing policy litellm-policy failed: HTTP 403" not in lines[0]:
                return "rc %d, stderr %r" % (r.returncode, r.stderr)
            if t in r.stdout + r.stderr or any(v in r.stdout + r.stderr for v in secret_values):
                return "printed the token or a secret"
            return None
        check("a call that fails midway (a token not allowed to write policies): exit 1, one line "
              "naming the step, the status and what to check", denied_write)

        def port_forward():
            bindir = os.path.join(tmp, "bin")
            os.makedirs(bindir, exist_ok=True)
            kubectl = os.path.join(bindir, "kubectl")
            with open(kubectl, "w") as f:
                f.write(FAKE_KUBECTL)
            os.chmod(kubectl, 0o755)
            log = os.path.join(tmp, "kubectl.log")
            local = simlib_free_port()
            penv = {k: v for k, v in base.items()}
            penv.update(ENV_FILE=envf, PATH=bindir + ":" + base.get("PATH", "/usr/bin:/bin"),
                        FAKE_KUBECTL_LOG=log, FAKE_KUBECTL_TARGET=sim.addr,
                        VAULT_LOCAL_PORT=str(local))
            r = run(["sh", script], env=penv)
            if r.returncode != 0:
                return "rc %d: %s" % (r.returncode, r.stderr)
            argv = open(log).read().split()
            if argv != ["-n", "litellm", "port-forward", "svc/vault", "%d:8200" % local]:
                return "kubectl %r" % argv
            # the port-forward is stopped when the script ends
            for _ in range(50):
                if not pid_listening(local):
                    return None
                time.sleep(0.1)
            return "the port-forward still runs after the script ended"
        check("VAULT_ADDR and VAULT_TOKEN unset: kubectl -n litellm port-forward svc/vault, the "
              "dev root token, the port-forward stopped at the end", port_forward)


def kv1_refused(envf):
    def fn():
        with simlib.start_sim() as sim:
            c = sim.client()
            c.delete("/v1/sys/mounts/secret")
            r = c.post("/v1/sys/mounts/secret", {"type": "kv", "options": {"version": "1"}})
            if r.status not in (200, 204):
                return "could not mount KV v1: %s" % r.text
            env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
            env.update(ENV_FILE=envf, VAULT_ADDR=sim.url, VAULT_TOKEN="root")
            p = run(["sh", os.path.join(EX, "init-vault-secrets.sh")], env=env)
            lines = p.stderr.splitlines()
            if p.returncode != 1 or len(lines) != 1 or "not as KV version 2" not in lines[0]:
                return "rc %d, stderr %r" % (p.returncode, p.stderr)
            if c.get("/v1/secret/litellm/secrets").status != 404:
                return "wrote into the KV v1 mount"
            return None
    return fn


def simlib_free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_listening(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    sys.exit(main())
