# SPDX-License-Identifier: MIT
"""The whole vaultlet flow on one machine, as a cluster would run it:

  1. Vault (the simulator) configured with the seed's runbook; Kubernetes
     auth verifies pod tokens through the API server's TokenReview.
  2. The webhook's TLS material from vaultlet-certgen; the chart rendered
     with `helm template`; the webhook runs as the chart's Deployment pod
     (its args, its Secret volume, its securityContext) and its Service and
     MutatingWebhookConfiguration are registered with the API server.
  3. The LiteLLM pod (examples/litellm-pod.yaml, the seed's annotations) is
     created in namespace litellm, labelled vaultlet-injection=enabled: the
     API server calls the webhook, applies the patch and validates the pod.
  4. The kubelet runs the pod: vault-agent-init renders the files and exits,
     then the LiteLLM container (a stand-in for the `litellm` command that
     keeps the chart's real command line) and the vault-agent sidecar start.

Used by tests/e2e/test_litellm.py and by scripts/demo. Needs root (mount
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

import simlib  # noqa: E402
from kubesim import apiserver, helm, kubelet, tokens  # noqa: E402

LITELLM_IMAGE = "ghcr.io/berriai/litellm-database:main-stable"
# The secret values of the reference vectors TV01/TV03, so the rendered files
# can be compared with outputs produced by Go itself.
SEED_SECRETS = {"master_key": "sk-master", "openrouter_api_key": "sk-or-v1-abc",
                "db_password": "pw"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_vectors():
    # A copy of the reference vectors (outputs produced by Go text/template).
    with open(os.path.join(ROOT, "tests", "data", "template", "vectors.json")) as f:
        return {v["id"]: v for v in json.load(f)}


class Flow:
    def __init__(self, build_root=None, workdir=None, say=None, secrets=None):
        self.build = build_root or os.environ.get("VAULTLET_BUILD_ROOT") or \
            os.path.join(ROOT, "build")
        self.work = workdir or tempfile.mkdtemp(prefix="vaultlet-e2e-")
        self.say = say or (lambda msg: None)
        self.secrets = dict(secrets or SEED_SECRETS)
        self.sim = self.api = self.kubelet = self.webhook_pod = None
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
                 (os.path.join(HERE, "images", "litellm-standin.sh"), "/usr/local/bin/litellm")]
                + libs),
        }
        images[self.agent_image] = self._agent_image(images[self.image])
        self.kubelet = kubelet.Kubelet(os.path.join(self.work, "kubelet"), self.api, images,
                                       hosts=["vault.litellm.svc", "vault.litellm.svc.cluster.local"])
        self.kubelet.configmaps[("litellm", "kube-root-ca.crt")] = {
            "ca.crt": open(api_tls.ca_cert).read()}
        values = yaml.safe_load(open(os.path.join(ROOT, "examples", "litellm-values.yaml")))
        self.kubelet.configmaps[("litellm", "litellm-config")] = {
            "config.yaml": yaml.safe_dump(values["proxy_config"], sort_keys=False)}
        self._start_webhook()

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
        client = self.sim.client()
        # The seed's vault/init-vault-secrets.sh, call by call.
        simlib.seed_litellm(client, secrets=self.secrets, kubernetes_host=self.api.url)
        self.say("Vault (simulator) at %s seeded like the seed's init-vault-secrets.sh"
                 % self.vault_addr)

    def _start_webhook(self):
        certs = os.path.join(self.work, "webhook-certs")
        r = subprocess.run([self.binaries()["vaultlet-certgen"], "-service", "vaultlet-webhook",
                            "-namespace", "vaultlet", "-out-dir", certs],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("vaultlet-certgen failed: " + r.stderr)
        self.webhook_port = free_port()
        objs = helm.template(
            os.path.join(ROOT, "charts", "vaultlet"), "vaultlet", "vaultlet",
            set_values=["vaultAddress=" + self.vault_addr, "replicas=1",
                        "containerPort=%d" % self.webhook_port],
            set_files=["tls.cert=" + os.path.join(certs, "tls.crt"),
                       "tls.key=" + os.path.join(certs, "tls.key"),
                       "tls.ca=" + os.path.join(certs, "ca.crt")])
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
        self._wait_ready(tmpl["spec"]["containers"][0], os.path.join(certs, "ca.crt"))
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
