#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kubesim's API-server rules for native sidecars (apiserver.container_rules),
each against the message kube-apiserver's ValidatePodSpec gives (Kubernetes
1.29+, pkg/apis/core/validation), so a patch the real API server would
refuse cannot pass the admission and end-to-end tests. TAP output."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from kubesim.apiserver import container_rules  # noqa: E402
from taplib import done, tap  # noqa: E402

PROBE = {"exec": {"command": ["/usr/local/bin/vaultlet-agent", "status", "-ready"]},
         "periodSeconds": 1, "failureThreshold": 300}
APP = {"name": "app"}


def spec(init=None, containers=None, **kw):
    s = {"initContainers": init or [], "containers": containers or [APP]}
    s.update(kw)
    return s


CASES = [
    ("a native sidecar with a startup probe is valid",
     spec([{"name": "vault-agent", "restartPolicy": "Always", "startupProbe": PROBE}]), []),
    ("a startupProbe on an init container without restartPolicy is forbidden",
     spec([{"name": "a", "startupProbe": PROBE}]),
     ["spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers "
      "without restartPolicy=Always"]),
    ("liveness/readiness probes and lifecycle too",
     spec([{"name": "a", "livenessProbe": PROBE, "readinessProbe": PROBE,
            "lifecycle": {"preStop": {"sleep": {"seconds": 1}}}}]),
     ["spec.initContainers[0].livenessProbe: Forbidden", "spec.initContainers[0].readinessProbe: "
      "Forbidden", "spec.initContainers[0].lifecycle: Forbidden"]),
    ("an init container's restartPolicy can only be Always",
     spec([{"name": "a", "restartPolicy": "OnFailure"}]),
     ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported '
      'values: "Always"']),
    ("restartPolicy is forbidden on regular containers",
     spec(containers=[{"name": "app", "restartPolicy": "Always"}]),
     ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"]),
    ("a startupProbe on a regular container is valid",
     spec(containers=[{"name": "app", "startupProbe": PROBE}]), []),
    ("a startup probe's successThreshold must be 1",
     spec([{"name": "a", "restartPolicy": "Always", "startupProbe": dict(PROBE, successThreshold=3)}]),
     ["spec.initContainers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"]),
    ("a probe needs exactly one handler",
     spec([{"name": "a", "restartPolicy": "Always",
            "startupProbe": {"periodSeconds": 1}}]),
     ["spec.initContainers[0].startupProbe: Required value: must specify a handler type"]),
    ("an exec probe needs a command",
     spec([{"name": "a", "restartPolicy": "Always", "startupProbe": {"exec": {}}}]),
     ["spec.initContainers[0].startupProbe.exec.command: Required value"]),
    ("negative probe fields are invalid",
     spec([{"name": "a", "restartPolicy": "Always",
            "startupProbe": dict(PROBE, failureThreshold=-1)}]),
     ["spec.initContainers[0].startupProbe.failureThreshold: Invalid value: -1"]),
    ("a preStop sleep longer than the grace period is invalid",
     spec([{"name": "a", "restartPolicy": "Always",
            "lifecycle": {"preStop": {"sleep": {"seconds": 40}}}}]),
     ["spec.initContainers[0].lifecycle.preStop.sleep: Invalid value: 40: must be greater than "
      "0 and less than terminationGracePeriodSeconds (30)"]),
]


def main():
    for name, s, want in CASES:
        got = container_rules(s)
        ok = len(got) == len(want) and all(g.startswith(w) for g, w in zip(got, want))
        tap(ok, name, "got %s\nwant %s" % (got, want))
    return done()


if __name__ == "__main__":
    sys.exit(main())
