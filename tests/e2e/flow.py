# SPDX-License-Identifier: MIT
"""The whole vaultlet flow on one machine, as a cluster would run it, with
the files of examples/litellm/ (the runbook):

  0. examples/litellm/generate-env.sh writes the .env; a throwaway
     PostgreSQL (tests/lib/pgcluster.py) gets the user, database and
     password docker-compose.yml would give it, on the port of the
     template's DATABASE_URL, at a loopback address that the LiteLLM pod's
     hostAliases entry maps host.docker.internal to.
  1. Vault (the simulator, started like `vault server -dev`) configured by
     examples/litellm/init-vault-secrets.sh from the .env; Kubernetes auth
     verifies pod tokens through the API server's TokenReview.
  2. The chart rendered with `helm template` in its default TLS mode (auto:
     helm generates the CA and the serving certificate); the webhook runs as
     the chart's Deployment pod
     (its args, its Secret volume, its securityContext) and its Service and
     MutatingWebhookConfiguration are registered with the API server.
  3. The LiteLLM pod (examples/litellm-pod.yaml, the seed's annotations) is
     created in namespace litellm, labelled vaultlet-injection=enabled: the
     API server calls the webhook, applies the patch and validates the pod.
  4. The kubelet runs the pod: vault-agent-init renders the files and exits,
     then the LiteLLM container (a stand-in for the `litellm` command that
     keeps the chart's real command line and logs into PostgreSQL with the
     DATABASE_URL it sourced) and the vault-agent sidecar start.

Used by tests/e2e/test_litellm.py, tests/e2e/test_native.py and scripts/demo
(chart_values adds --set values for charts/vaultlet). Needs root (mount
namespaces); Flow.requirements() says what is missing.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "vaultsim"))

sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import simlib  # noqa: E402
from kubesim import apiserver, helm, kubelet, tokens  # noqa: E402
from pgcluster import PgCluster, server_bin_dir  # noqa: E402

EXAMPLES = os.path.join(ROOT, "examples", "litellm")

LITELLM_IMAGE = "ghcr.io/berriai/litellm-database:main-stable"
# The secret values of the reference vectors TV01/TV03 (outputs produced by
# Go itself); go_expected() puts the .env's values in their place.
SEED_SECRETS = {"master_key": "sk-master", "openrouter_api_key": "sk-or-v1-abc",
                "db_password": "pw"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_dotenv(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


def go_expected(output, secrets):
    """A reference vector's Go output with SEED_SECRETS replaced by secrets,
    each quoted occurrence (there is at most one of each) (the values are plain ASCII, so Go's
    toJSON of them is the same quoting)."""
    for k, old in (("master_key", '"sk-master"'), ("openrouter_api_key", '"sk-or-v1-abc"'),
                   ("db_password", "llmproxy:pw@")):
        new = old.replace(SEED_SECRETS[k], secrets[k])
        if output.count(old) == 0:
            continue
        if output.count(old) != 1 or not all(32 < ord(c) < 127 and c not in '"\\'
                                             for c in secrets[k]):
            raise ValueError("cannot substitute %s in the reference output" % k)
        output = output.replace(old, new)
    return output


def database_target():
    """(host, port) of the DATABASE_URL in litellm-values.yaml's template."""
    with open(os.path.join(EXAMPLES, "litellm-values.yaml")) as f:
        ann = yaml.safe_load(f)["podAnnotations"]
    tmpl = ann["vault.hashicorp.com/agent-inject-template-app-credentials.sh"]
    rest = tmpl.split("postgresql://", 1)[1].split("@", 1)[1]
    host, port = rest.split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


def free_loopback(port):
    """A loopback address other than 127.0.0.1 where `port` is free (the
    machine's own server may hold 127.0.0.1:5432), or None."""
    for third in range(71, 80):
        addr = "127.0.%d.%d" % (third, 10 + os.getpid() % 200)
        with socket.socket() as s:
            try:
                s.bind((addr, port))
                return addr
            except OSError:
                continue
    return None


def reference_vectors():
    # A copy of the reference vectors (outputs produced by Go text/template).
    with open(os.path.join(ROOT, "tests", "data", "template", "vectors.json")) as f:
        return {v["id"]: v for v in json.load(f)}


class Flow:
    def __init__(self, build_root=None, workdir=None, say=None, chart_values=()):
        self.build = build_root or os.environ.get("VAULTLET_BUILD_ROOT") or \
            os.path.join(ROOT, "build")
        self.work = workdir or tempfile.mkdtemp(prefix="vaultlet-e2e-")
        self.say = say or (lambda msg: None)
        self.secrets = None   # from the .env that generate-env.sh writes (start())
        self.sim = self.api = self.kubelet = self.webhook_pod = self.pg = None
        self.db_host = self.db_unavailable = None
        self.chart_values = list(chart_values)  # extra --set for charts/vaultlet
        self.image = "vaultlet/vaultlet:%s" % self._version()
        # the chart's default image for the injected containers
        self.agent_image = "vaultlet/vaultlet-agent:%s" % self._version()
        self.agent_image_from = None

    # -- prerequisites

    def binaries(self):
        return {n: os.path.join(self.build, d, n) for n, d in
                (("vaultlet-agent", "agent"), ("vaultlet-webhook", "webhook"),
                 ("vaultlet-certgen", "certs"))}

    def _version(self):
        with open(os.path.join(ROOT, "meson.build")) as f:
            for line in f:
                if line.strip().startswith("version:"):
                    return line.split("'")[1]
        return "0.0.0"

    def requirements(self):
        """What prevents the flow from running here, or [] when nothing does."""
        missing = []
        if os.geteuid() != 0:
            missing.append("root (containers run in their own mount namespaces)")
        for name, path in self.binaries().items():
            if not os.access(path, os.X_OK):
                missing.append("%s (build it: ninja -C %s)" % (path, self.build))
        for tool in ("unshare", "nsenter", "mount"):
            if not shutil.which(tool):
                missing.append(tool)
        return missing

    # -- setup

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        self._make_env()
        self._start_database()
        issuer = tokens.TokenIssuer()
        api_tls = simlib.make_tls(os.path.join(self.work, "apiserver-tls"),
                                  hosts=("127.0.0.1", "kubernetes.default.svc"),
                                  name="kubesim apiserver")
        self.api = apiserver.ApiServer(issuer, api_tls.cert, api_tls.key)
        self.api.create_namespace("vaultlet")
        self.api.create_namespace("litellm", {"vaultlet-injection": "enabled"})
        self.api.create_namespace("default")
        self.say("API server (kubesim) at %s, TokenReview enabled" % self.api.url)

        self._start_vault(issuer, api_tls.ca_cert)
        # The vaultlet image: scripts/image-rootfs.sh, exactly what
        # scripts/build-image.sh packs (binaries, their libraries, no shell).
        rootfs = os.path.join(self.work, "vaultlet-image")
        r = subprocess.run([os.path.join(ROOT, "scripts", "image-rootfs.sh"), self.build, rootfs],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("scripts/image-rootfs.sh failed: " + r.stderr)
        libs = [("/usr/lib", "/usr/lib")] + ([("/usr/lib64", "/usr/lib64")]
                                              if os.path.isdir("/usr/lib64") else [])
        images = {
            self.image: kubelet.Image([(os.path.join(rootfs, "usr"), "/usr"),
                                       (os.path.join(rootfs, "etc", "ssl"), "/etc/ssl")]),
            LITELLM_IMAGE: kubelet.Image(
                [("/usr/bin", "/usr/bin"),
                 (os.path.join(HERE, "images", "litellm-standin.sh"), "/usr/local/bin/litellm"),
                 # the real psql binary (Debian's /usr/bin/psql is a Perl wrapper)
                 (os.path.join(server_bin_dir(), "psql"), "/usr/local/bin/psql")]
                + libs),
        }
        images[self.agent_image] = self._agent_image(images[self.image])
        self.kubelet = kubelet.Kubelet(os.path.join(self.work, "kubelet"), self.api, images,
                                       hosts=["vault.litellm.svc", "vault.litellm.svc.cluster.local"])
        self.kubelet.configmaps[("litellm", "kube-root-ca.crt")] = {
            "ca.crt": open(api_tls.ca_cert).read()}
        values = yaml.safe_load(open(os.path.join(ROOT, "examples", "litellm", "litellm-values.yaml")))
        self.kubelet.configmaps[("litellm", "litellm-config")] = {
            "config.yaml": yaml.safe_dump(values["proxy_config"], sort_keys=False)}
        self._start_webhook()

    def _make_env(self):
        self.env_file = os.path.join(self.work, ".env")
        r = subprocess.run([os.path.join(EXAMPLES, "generate-env.sh"), self.env_file],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("examples/litellm/generate-env.sh failed: " + r.stderr)
        self.dotenv = read_dotenv(self.env_file)
        self.secrets = {"master_key": self.dotenv["LITELLM_MASTER_KEY"],
                        "openrouter_api_key": self.dotenv["OPENROUTER_API_KEY"],
                        "db_password": self.dotenv["POSTGRES_PASSWORD"]}
        self.say("examples/litellm/generate-env.sh wrote the .env (mode 0600)")

    def _start_database(self):
        # what `docker compose up -d` would start, on the template's port
        with open(os.path.join(EXAMPLES, "docker-compose.yml")) as f:
            env = yaml.safe_load(f)["services"]["postgres"]["environment"]
        self.db_name, port = database_target()
        addr = free_loopback(port)
        if addr is None:
            self.db_unavailable = "port %d is taken on every loopback address tried" % port
            self.say("PostgreSQL: not started (%s)" % self.db_unavailable)
            return
        self.pg = PgCluster(port=port, host=addr)
        self.pg.start()
        self.pg.create_login(env["POSTGRES_USER"], self.dotenv["POSTGRES_PASSWORD"],
                             env["POSTGRES_DB"])
        self.db_host = addr
        self.say("PostgreSQL (a throwaway cluster) at %s:%d: user %s, database %s, password "
                 "from the .env, as docker-compose.yml makes it" % (
                     addr, port, env["POSTGRES_USER"], env["POSTGRES_DB"]))

    def _agent_image(self, vaultlet_image):
        """The agent-only image (scripts/agent-image-rootfs.sh: the static
        agent, glibc, the CA bundle), which the injected containers run
        from. It takes only a static agent: a build with the default
        dynamic agent runs them from the vaultlet image instead, and says so
        in agent_image_from."""
        v = subprocess.run([self.binaries()["vaultlet-agent"], "--version"],
                           capture_output=True, text=True)
        if "linking: static" not in v.stdout:
            self.agent_image_from = "the vaultlet image (this build's agent is dynamic)"
            return vaultlet_image
        rootfs = os.path.join(self.work, "vaultlet-agent-image")
        r = subprocess.run([os.path.join(ROOT, "scripts", "agent-image-rootfs.sh"), self.build,
                            rootfs], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("scripts/agent-image-rootfs.sh failed: " + r.stderr)
        self.agent_image_from = "the agent-only image (static agent)"
        return kubelet.Image([(os.path.join(rootfs, "usr"), "/usr"),
                              (os.path.join(rootfs, "etc", "ssl"), "/etc/ssl")])

    def _start_vault(self, issuer, api_ca):
        # Vault runs "in a pod": its own service-account token is the
        # TokenReview bearer, and the pod's CA verifies the API server.
        pod_sa = os.path.join(self.work, "vault-pod-sa")
        os.makedirs(pod_sa)
        shutil.copy(api_ca, os.path.join(pod_sa, "ca.crt"))
        with open(os.path.join(pod_sa, "token"), "w") as f:
            f.write(issuer.issue("litellm", "vault", "vault-0", "b3c1d7e2-0f4a-4d6b-9c8e-1a2b3c4d5e6f",
                                 expiration=86400))
        # the ClusterRoleBinding to system:auth-delegator that Vault's chart makes
        self.api.token_reviewers.add("system:serviceaccount:litellm:vault")
        self.sim = simlib.start_sim(pod_sa=False, args=["--tokenreview", "http",
                                                        "--pod-sa-dir", pod_sa])
        self.vault_port = int(self.sim.addr.rsplit(":", 1)[1])
        self.vault_addr = "http://vault.litellm.svc:%d" % self.vault_port
        # examples/litellm/init-vault-secrets.sh, from the .env; Vault runs in
        # the cluster, so its kubernetes_host is the API server
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "KUBERNETES_"))}
        env.update(ENV_FILE=self.env_file, VAULT_ADDR=self.sim.url,
                   VAULT_TOKEN=self.sim.root_token, KUBERNETES_HOST=self.api.url)
        r = subprocess.run(["sh", os.path.join(EXAMPLES, "init-vault-secrets.sh")], env=env,
                           capture_output=True, text=True, timeout=120)
        self.init_output = r.stdout + r.stderr
        if r.returncode != 0:
            raise RuntimeError("examples/litellm/init-vault-secrets.sh failed: " + r.stderr)
        self.say("Vault (simulator) at %s set up by examples/litellm/init-vault-secrets.sh"
                 % self.vault_addr)

    def _start_webhook(self):
        # The chart's default TLS mode (auto): helm generates the CA and the
        # serving certificate; the API server verifies the webhook against
        # the rendered caBundle for <svc>.<ns>.svc.
        self.webhook_port = free_port()
        objs = helm.template(
            os.path.join(ROOT, "charts", "vaultlet"), "vaultlet", "vaultlet",
            set_values=["vaultAddress=" + self.vault_addr, "replicas=1",
                        "containerPort=%d" % self.webhook_port] + self.chart_values)
        self.chart_objects = objs
        by_kind = {}
        for o in objs:
            by_kind.setdefault(o["kind"], []).append(o)
        for s in by_kind.get("Secret", []):
            self.kubelet.secrets[(s["metadata"]["namespace"], s["metadata"]["name"])] = {
                k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
        for mwc in by_kind.get("MutatingWebhookConfiguration", []):
            self.api.apply(mwc)
        dep = by_kind["Deployment"][0]
        svc = by_kind["Service"][0]
        tmpl = dep["spec"]["template"]
        container_ports = {p.get("name"): p["containerPort"]
                           for c in tmpl["spec"]["containers"] for p in c.get("ports") or []}
        port_map = {}
        for p in svc["spec"]["ports"]:
            target = p.get("targetPort", p["port"])
            port_map[p["port"]] = ("127.0.0.1", container_ports.get(target, target))
        self.api.add_service(svc["metadata"]["namespace"], svc["metadata"]["name"], port_map)
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": dict(tmpl["metadata"], name=dep["metadata"]["name"] + "-0",
                                namespace=dep["metadata"]["namespace"]),
               "spec": tmpl["spec"]}
        self.webhook_pod = self.kubelet.run_pod(pod)
        self.webhook_pod.start_containers()
        vol = next(v for v in tmpl["spec"]["volumes"] if v["name"] == "tls")["secret"]["secretName"]
        ca = os.path.join(self.work, "webhook-ca.crt")
        with open(ca, "w") as fh:
            fh.write(self.kubelet.secrets[("vaultlet", vol)]["ca.crt"])
        self._wait_ready(tmpl["spec"]["containers"][0], ca)
        self.say("webhook running as the chart's Deployment pod, ready on port %d"
                 % self.webhook_port)

    def _wait_ready(self, container, ca, timeout=20):
        probe = container["readinessProbe"]["httpGet"]
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        url = "https://127.0.0.1:%d%s" % (self.webhook_port, probe["path"])
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.webhook_pod.containers["webhook"].proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                    if 200 <= r.status < 400:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("webhook never became ready:\n" +
                           self.webhook_pod.containers["webhook"].logs())

    # -- the LiteLLM pod

    def litellm_pod(self, extra_annotations=None):
        with open(os.path.join(ROOT, "examples", "litellm-pod.yaml")) as f:
            pod = yaml.safe_load(f)
        pod["metadata"]["annotations"].update(extra_annotations or {})
        if self.db_host:
            # host.docker.internal, as a hostAliases entry maps it on kind or k3s
            pod["spec"]["hostAliases"] = [{"ip": self.db_host, "hostnames": [self.db_name]}]
        return pod

    def create(self, namespace, pod):
        return self.api.create_pod(namespace, pod)

    def run(self, pod):
        run = self.kubelet.run_pod(pod)
        run.run_init_containers(timeout=60)
        run.start_containers()
        return run

    def wait_sidecar_checked(self, run, timeout=15):
        """Until the sidecar has logged in and compared every file once (its
        status file exists): what a readiness check on it would wait for."""
        path = os.path.join(run.volumes["home-sidecar"], ".vaultlet-status.json")
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with open(path) as fh:
                    st = json.load(fh)
                if st.get("templates") and all(t.get("checked_at") for t in st["templates"]):
                    return st
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError("the vault-agent sidecar did not render within %ds:\n%s"
                           % (timeout, run.containers["vault-agent"].logs()))

    def close(self):
        if self.kubelet:
            self.kubelet.close()
        if self.api:
            self.api.close()
        if self.sim:
            self.sim.stop()
        if self.pg:
            self.pg.stop()
            self.pg = None
