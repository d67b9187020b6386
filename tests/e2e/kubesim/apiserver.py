# SPDX-License-Identifier: MIT
"""The API server side of kubesim: the admission chain for pod CREATE and a
TokenReview endpoint.

Admission follows what kube-apiserver does for a MutatingWebhookConfiguration
(admissionregistration.k8s.io/v1): rules, namespaceSelector and
objectSelector decide whether a webhook is called; the call is an
AdmissionReview v1 POSTed over TLS to the service's path, with the server
certificate verified against caBundle for the name <svc>.<ns>.svc; the
response must echo the request's apiVersion, kind and uid; a JSON Patch is
applied (python3-jsonpatch, independent of vaultlet's generator); call
failures follow failurePolicy; a denial fails the create with the message
kubectl would show. The mutated pod is then validated the way the API server
validates pods (a documented subset of ValidatePod, including the rules for
native sidecars: container_rules) and, when the namespace asks for it,
against the Pod Security Standard "restricted".
"""
import base64
import copy
import http.client
import json
import re
import socket
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonpatch

from . import cel, quantity, tokens


class AdmissionError(Exception):
    """The create was rejected; str() is what kubectl would print."""


def _match_conditions(wh, pod):
    """matchConditions (CEL, the subset of kubesim/cel.py): all true -> the
    webhook is called; any false -> skipped; an evaluation error follows
    failurePolicy, as kube-apiserver does."""
    for mc in wh.get("matchConditions") or []:
        try:
            if not cel.evaluate(mc["expression"], {"object": pod, "oldObject": None}):
                return False
        except cel.Unsupported as e:
            raise AdmissionError("kubesim: matchCondition %s: %s" % (mc.get("name"), e))
        except cel.EvalError as e:
            if wh.get("failurePolicy", "Fail") == "Ignore":
                return False
            raise AdmissionError('failed calling webhook "%s": matchCondition %s: %s'
                                 % (wh["name"], mc.get("name"), e))
    return True


# --------------------------------------------------------------- selectors

def selector_matches(selector, labels):
    """metav1.LabelSelector semantics; an empty or absent selector matches all."""
    if not selector:
        return True
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise AdmissionError("unknown selector operator %r" % op)
    return True


def _rule_matches(rule, operation):
    def has(field, value):
        vals = rule.get(field) or []
        return "*" in vals or value in vals
    scope = rule.get("scope", "*")
    return (has("operations", operation) and has("apiGroups", "") and
            has("apiVersions", "v1") and has("resources", "pods") and
            scope in ("*", "Namespaced"))


# ------------------------------------------------------------- validation

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
VOLUME_SOURCES = ("emptyDir", "projected", "configMap", "secret", "hostPath",
                  "persistentVolumeClaim", "downwardAPI", "csi", "ephemeral")


PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
# SetDefaults_Probe: a zero (or absent) field gets these before validation
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}


def probe_defaults(probe):
    """The probe as the API server stores it (defaults applied)."""
    p = dict(probe)
    for k, v in PROBE_DEFAULTS.items():
        if not p.get(k):
            p[k] = v
    p.setdefault("initialDelaySeconds", 0)
    return p


def _probe_errors(where, name, probe, grace):
    errs = []
    handlers = [h for h in PROBE_HANDLERS if probe.get(h) is not None]
    if not handlers:
        errs.append("%s.%s: Required value: must specify a handler type" % (where, name))
    for h in handlers[1:]:
        errs.append("%s.%s.%s: Forbidden: may not specify more than 1 handler type"
                    % (where, name, h))
    if handlers and handlers[0] == "exec" and not (probe["exec"].get("command") or []):
        errs.append("%s.%s.exec.command: Required value" % (where, name))
    p = probe_defaults(probe)
    for f in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
              "failureThreshold"):
        if not isinstance(p[f], int) or p[f] < 0:
            errs.append("%s.%s.%s: Invalid value: %r: must be greater than or equal to 0"
                        % (where, name, f, p[f]))
    if name in ("livenessProbe", "startupProbe") and p["successThreshold"] != 1:
        errs.append("%s.%s.successThreshold: Invalid value: %r: must be 1"
                    % (where, name, p["successThreshold"]))
    return errs


def _lifecycle_errors(where, lifecycle, grace):
    errs = []
    for hook in ("postStart", "preStop"):
        h = lifecycle.get(hook)
        if h is None:
            continue
        sleep = h.get("sleep")
        if sleep is not None and not 0 < sleep.get("seconds", 0) <= grace:
            errs.append("%s.lifecycle.%s.sleep: Invalid value: %r: must be greater than 0 and "
                        "less than terminationGracePeriodSeconds (%d)"
                        % (where, hook, sleep.get("seconds"), grace))
    return errs


def container_rules(spec):
    """What ValidatePodSpec (validateInitContainers, validateContainers,
    validate*Probe, validateInitContainerRestartPolicy; Kubernetes 1.29+ with
    sidecars on) says about restartPolicy, probes and lifecycle hooks: a
    container's restartPolicy only on init containers and only "Always";
    probes and lifecycle only on regular containers and on init containers
    with restartPolicy Always; one probe handler; a startup or liveness
    probe's successThreshold 1; a preStop sleep within the grace period."""
    errs = []
    grace = spec.get("terminationGracePeriodSeconds", 30)
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(kind) or []):
            where = "spec.%s[%d]" % (kind, i)
            rp = c.get("restartPolicy")
            if kind == "containers" and rp is not None:
                errs.append("%s.restartPolicy: Forbidden: may not be set for non-init "
                            "containers" % where)
            if kind == "initContainers" and rp is not None and rp != "Always":
                errs.append('%s.restartPolicy: Unsupported value: "%s": supported values: '
                            '"Always"' % (where, rp))
            allowed = kind == "containers" or rp == "Always"
            for name in PROBES + ("lifecycle",):
                if c.get(name) is None:
                    continue
                if not allowed:
                    errs.append("%s.%s: Forbidden: may not be set for init containers without "
                                "restartPolicy=Always" % (where, name))
                elif name == "lifecycle":
                    errs.extend(_lifecycle_errors(where, c[name], grace))
                else:
                    errs.extend(_probe_errors(where, name, c[name], grace))
    return errs


def validate_pod(pod):
    """The checks of the API server's ValidatePod that an injector can break.
    Returns a list of error strings (empty when valid)."""
    errs = []
    spec = pod.get("spec") or {}
    volumes = spec.get("volumes") or []
    vol_names = set()
    for i, v in enumerate(volumes):
        name = v.get("name", "")
        if not DNS1123_LABEL.match(name) or len(name) > 63:
            errs.append("spec.volumes[%d].name: Invalid value: %r" % (i, name))
        if name in vol_names:
            errs.append("spec.volumes[%d].name: Duplicate value: %r" % (i, name))
        vol_names.add(name)
        sources = [s for s in VOLUME_SOURCES if s in v]
        if len(sources) != 1:
            errs.append("spec.volumes[%d]: must specify exactly 1 volume type" % i)
    all_names = set()
    for kind in ("initContainers", "containers"):
        containers = spec.get(kind) or []
        if kind == "containers" and not containers:
            errs.append("spec.containers: Required value")
        for i, c in enumerate(containers):
            where = "spec.%s[%d]" % (kind, i)
            name = c.get("name", "")
            if not DNS1123_LABEL.match(name):
                errs.append("%s.name: Invalid value: %r" % (where, name))
            if name in all_names:
                errs.append("%s.name: Duplicate value: %r" % (where, name))
            all_names.add(name)
            if not c.get("image"):
                errs.append("%s.image: Required value" % where)
            paths = set()
            for j, m in enumerate(c.get("volumeMounts") or []):
                if m.get("name") not in vol_names:
                    errs.append("%s.volumeMounts[%d].name: Not found: %r" % (where, j, m.get("name")))
                mp = m.get("mountPath", "")
                if not mp:
                    errs.append("%s.volumeMounts[%d].mountPath: Required value" % (where, j))
                if mp in paths:
                    errs.append("%s.volumeMounts[%d].mountPath: Invalid value: %r: must be unique"
                                % (where, j, mp))
                paths.add(mp)
            env_names = set()
            for j, e in enumerate(c.get("env") or []):
                n = e.get("name", "")
                if not ENV_NAME.match(n):
                    errs.append("%s.env[%d].name: Invalid value: %r" % (where, j, n))
                if "value" in e and "valueFrom" in e:
                    errs.append("%s.env[%d].valueFrom: may not be specified when value is not empty"
                                % (where, j))
                env_names.add(n)
            res = c.get("resources") or {}
            for part in ("limits", "requests"):
                for rname, q in (res.get(part) or {}).items():
                    if quantity.parse(q) is None:
                        errs.append("%s.resources.%s[%s]: Invalid value: %r" % (where, part, rname, q))
            for rname, q in (res.get("requests") or {}).items():
                lim = (res.get("limits") or {}).get(rname)
                rq, lq = quantity.parse(q), quantity.parse(lim) if lim is not None else None
                if rq is not None and lq is not None and rq > lq:
                    errs.append("%s.resources.requests: Invalid value: %r: must be less than or "
                                "equal to %s limit of %s" % (where, q, rname, lim))
    errs.extend(container_rules(spec))
    return errs


def restricted_violations(pod):
    """Pod Security Standard "restricted" (v1.30 rules) for every container."""
    out = []
    spec = pod.get("spec") or {}
    psc = spec.get("securityContext") or {}
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind) or []:
            sc = c.get("securityContext") or {}
            name = c.get("name")
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append("%s: allowPrivilegeEscalation != false" % name)
            caps = (sc.get("capabilities") or {})
            if "ALL" not in (caps.get("drop") or []):
                out.append("%s: capabilities.drop must include ALL" % name)
            if [a for a in caps.get("add") or [] if a != "NET_BIND_SERVICE"]:
                out.append("%s: capabilities.add beyond NET_BIND_SERVICE" % name)
            if not sc.get("runAsNonRoot", psc.get("runAsNonRoot")):
                out.append("%s: runAsNonRoot != true" % name)
            if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                out.append("%s: runAsUser=0" % name)
            prof = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if prof not in ("RuntimeDefault", "Localhost"):
                out.append("%s: seccompProfile.type must be RuntimeDefault or Localhost" % name)
            if sc.get("privileged"):
                out.append("%s: privileged" % name)
    return out


# -------------------------------------------------------------- TokenReview

class _TokenReviewHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # no request logging: bodies hold JWTs
        pass

    def _send(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.split("?")[0] != "/apis/authentication.k8s.io/v1/tokenreviews":
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "reason": "NotFound", "code": 404})
            return
        auth = self.headers.get("Authorization", "")
        reviewer = api.issuer.verify(auth[7:]) if auth.startswith("Bearer ") else None
        if reviewer is None:
            self._send(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
            return
        # RBAC: creating a TokenReview takes system:auth-delegator (Vault's chart binds it)
        if reviewer.get("sub") not in api.token_reviewers:
            self._send(403, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "message": 'tokenreviews.authentication.k8s.io is forbidden: User '
                                        '"%s" cannot create resource "tokenreviews" in API '
                                        'group "authentication.k8s.io" at the cluster scope'
                                        % reviewer.get("sub"),
                             "reason": "Forbidden", "code": 403})
            return
        api.tokenreviews += 1
        review = json.loads(body)
        spec = review.get("spec") or {}
        claims = api.issuer.verify(spec.get("token", ""))
        # no audiences asked for: the API server's own (--api-audiences, the issuer by default)
        wanted = spec.get("audiences") or [tokens.ISSUER]
        status = {"authenticated": False}
        if claims is not None and set(wanted) & set(claims.get("aud") or []):
            k = claims["kubernetes.io"]
            status = {
                "authenticated": True,
                "user": {
                    "username": claims["sub"],
                    "uid": k["serviceaccount"]["uid"],
                    "groups": ["system:serviceaccounts",
                               "system:serviceaccounts:" + k["namespace"],
                               "system:authenticated"],
                    "extra": {"authentication.kubernetes.io/pod-name": [k["pod"]["name"]],
                              "authentication.kubernetes.io/pod-uid": [k["pod"]["uid"]]},
                },
                "audiences": sorted(set(wanted) & set(claims["aud"])),
            }
        elif claims is not None:
            status = {"authenticated": False, "error": "token audiences do not match"}
        else:
            status = {"authenticated": False, "error": "invalid bearer token"}
        self._send(201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                         "metadata": {"creationTimestamp": None},
                         "spec": spec, "status": status})


# ---------------------------------------------------------------- ApiServer

class ApiServer:
    """Namespaces, services, webhook configurations, pod admission."""

    def __init__(self, issuer, tls_cert=None, tls_key=None, ca_pem=None):
        self.issuer = issuer
        self.namespaces = {}          # name -> labels
        self.services = {}            # (ns, name) -> {service port: (host, port)}
        self.webhook_configs = []     # MutatingWebhookConfiguration objects
        self.ca_pem = ca_pem
        self.tokenreviews = 0
        self.token_reviewers = set()  # users bound to system:auth-delegator
        self._http = None
        if tls_cert:
            self._http = ThreadingHTTPServer(("127.0.0.1", 0), _TokenReviewHandler)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(tls_cert, tls_key)
            self._http.socket = ctx.wrap_socket(self._http.socket, server_side=True)
            self._http.api = self
            threading.Thread(target=self._http.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self._http.server_address[1]

    def close(self):
        if self._http:
            self._http.shutdown()
            self._http.server_close()

    def create_namespace(self, name, labels=None):
        labels = dict(labels or {})
        labels["kubernetes.io/metadata.name"] = name
        self.namespaces[name] = labels

    def add_service(self, namespace, name, port_map):
        self.services[(namespace, name)] = port_map

    def apply(self, obj):
        if obj.get("kind") == "MutatingWebhookConfiguration":
            self.webhook_configs.append(obj)

    # -- admission

    def _call_webhook(self, wh, review):
        cc = wh["clientConfig"]
        if "url" in cc:
            raise AdmissionError("kubesim only routes clientConfig.service")
        svc = cc["service"]
        ns, name, port = svc["namespace"], svc["name"], svc.get("port", 443)
        try:
            host, target = self.services[(ns, name)][port]
        except KeyError:
            raise ConnectionError('service "%s/%s" port %d has no endpoints' % (ns, name, port))
        ctx = ssl.create_default_context(cadata=base64.b64decode(cc["caBundle"]).decode())
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        timeout = wh.get("timeoutSeconds", 10)
        sni = "%s.%s.svc" % (name, ns)
        sock = socket.create_connection((host, target), timeout=timeout)
        conn = http.client.HTTPSConnection(sni, target, timeout=timeout, context=ctx)
        conn.sock = ctx.wrap_socket(sock, server_hostname=sni)
        body = json.dumps(review).encode()
        conn.request("POST", (svc.get("path") or "/") + "?timeout=%ds" % timeout, body=body,
                     headers={"Content-Type": "application/json",
                              "Accept": "application/json, */*"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status != 200:
            raise ConnectionError("the server responded with status %d: %s"
                                  % (resp.status, data[:200].decode(errors="replace")))
        return json.loads(data)

    def create_pod(self, namespace, pod, dry_run=False):
        """Runs the mutating admission chain and validation. Returns
        (pod, warnings, calls); raises AdmissionError when the create fails."""
        if namespace not in self.namespaces:
            raise AdmissionError('namespaces "%s" not found' % namespace)
        pod = copy.deepcopy(pod)
        pod.setdefault("metadata", {})
        # The API server fills in the namespace and a uid before admission.
        pod["metadata"]["namespace"] = namespace
        pod["metadata"].setdefault("uid", str(uuid.uuid4()))
        warnings, calls = [], []
        for cfg in self.webhook_configs:
            for wh in cfg.get("webhooks") or []:
                if not any(_rule_matches(r, "CREATE") for r in wh.get("rules") or []):
                    continue
                if not selector_matches(wh.get("namespaceSelector"), self.namespaces[namespace]):
                    continue
                if not selector_matches(wh.get("objectSelector"),
                                        pod["metadata"].get("labels")):
                    continue
                if not _match_conditions(wh, pod):
                    continue
                if "v1" not in (wh.get("admissionReviewVersions") or []):
                    raise AdmissionError("webhook %s does not accept admission.k8s.io/v1" % wh["name"])
                uid = str(uuid.uuid4())
                review = {
                    "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                    "request": {
                        "uid": uid,
                        "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "resource": {"group": "", "version": "v1", "resource": "pods"},
                        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                        "name": pod["metadata"].get("name", ""),
                        "namespace": namespace,
                        "operation": "CREATE",
                        "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                                     "uid": "a2f5c1d0-3b4e-4d5f-8a9b-0c1d2e3f4a5b",
                                     "groups": ["system:serviceaccounts",
                                                "system:serviceaccounts:kube-system",
                                                "system:authenticated"]},
                        "object": pod,
                        "oldObject": None,
                        "dryRun": dry_run,
                        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
                    },
                }
                try:
                    answer = self._call_webhook(wh, review)
                except (OSError, ConnectionError, ValueError, ssl.SSLError) as e:
                    calls.append((wh["name"], "error"))
                    if wh.get("failurePolicy", "Fail") == "Ignore":
                        continue
                    raise AdmissionError('Internal error occurred: failed calling webhook "%s": %s'
                                         % (wh["name"], e))
                calls.append((wh["name"], "called"))
                if answer.get("apiVersion") != "admission.k8s.io/v1" or \
                        answer.get("kind") != "AdmissionReview":
                    raise AdmissionError('failed calling webhook "%s": expected webhook response '
                                         'of admission.k8s.io/v1, Kind=AdmissionReview' % wh["name"])
                resp = answer.get("response") or {}
                if resp.get("uid") != uid:
                    raise AdmissionError('failed calling webhook "%s": expected response.uid=%r'
                                         % (wh["name"], uid))
                warnings.extend(resp.get("warnings") or [])
                if not resp.get("allowed"):
                    msg = (resp.get("status") or {}).get("message", "")
                    raise AdmissionError('admission webhook "%s" denied the request: %s'
                                         % (wh["name"], msg))
                if resp.get("patch") is not None:
                    if resp.get("patchType") != "JSONPatch":
                        raise AdmissionError('webhook "%s" returned a patch without patchType '
                                             'JSONPatch' % wh["name"])
                    ops = json.loads(base64.b64decode(resp["patch"]))
                    try:
                        pod = jsonpatch.JsonPatch(ops).apply(pod)
                    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
                        raise AdmissionError('failed calling webhook "%s": patch cannot be '
                                             'applied: %s' % (wh["name"], e))
        errs = validate_pod(pod)
        if errs:
            raise AdmissionError('Pod "%s" is invalid: %s'
                                 % (pod["metadata"].get("name") or
                                    pod["metadata"].get("generateName", ""), "; ".join(errs)))
        level = self.namespaces[namespace].get("pod-security.kubernetes.io/enforce")
        if level == "restricted":
            v = restricted_violations(pod)
            if v:
                raise AdmissionError('pods is forbidden: violates PodSecurity "restricted:latest": '
                                     + "; ".join(v))
        if not pod["metadata"].get("name") and pod["metadata"].get("generateName"):
            pod["metadata"]["name"] = pod["metadata"]["generateName"] + uuid.uuid4().hex[:5]
        return pod, warnings, calls
