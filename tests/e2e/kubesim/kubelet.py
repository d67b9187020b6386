# SPDX-License-Identifier: MIT
"""The kubelet side of kubesim: runs an admitted pod's containers as local
processes, each in its own mount namespace (see runtime.py).

Volumes are directories under the pod's work directory, shared by the
containers that mount them (emptyDir is 0777 like the kubelet makes it;
medium Memory is not a tmpfs here, which only matters for durability, not
for behaviour). Projected service-account volumes hold a fresh bound token
from the API server's issuer, the cluster CA and the namespace, with the
volume's defaultMode. An "image" is a set of host paths bind-mounted
read-only into the container's root; /etc/hosts maps service names to
127.0.0.1 so that in-cluster DNS names used by the pod resolve.

Init containers run one at a time and must exit 0 (a failing init container
is retried with back-off up to `init_attempts` times, as the kubelet would
keep retrying); then the regular containers start together.
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime.py")


class PodFailed(Exception):
    pass


class Image:
    """binds: list of (host path, container path); env: image ENV defaults."""

    def __init__(self, binds, env=None):
        self.binds = binds
        self.env = env or {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


class Container:
    def __init__(self, name, proc, log_path):
        self.name, self.proc, self.log_path = name, proc, log_path

    def logs(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class PodRun:
    def __init__(self, kubelet, pod):
        self.kubelet = kubelet
        self.pod = pod
        meta = pod["metadata"]
        self.namespace = meta["namespace"]
        self.name = meta["name"]
        self.uid = meta.get("uid") or str(uuid.uuid4())
        self.dir = os.path.join(kubelet.workdir, "pods", self.uid)
        self.volumes = {}
        self.containers = {}
        self.init_logs = {}
        os.makedirs(self.dir)
        self.fs_group = (pod["spec"].get("securityContext") or {}).get("fsGroup")
        for v in pod["spec"].get("volumes") or []:
            self.volumes[v["name"]] = self._materialize(v)
            if self.fs_group is not None:
                self._apply_fs_group(self.volumes[v["name"]], "emptyDir" in v)

    # -- volumes

    def _write(self, path, text, mode):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def _materialize(self, v):
        path = os.path.join(self.dir, "volumes", v["name"])
        os.makedirs(path)
        k = self.kubelet
        if "emptyDir" in v:
            os.chmod(path, 0o777)
        elif "projected" in v:
            mode = v["projected"].get("defaultMode", 0o644)
            for src in v["projected"]["sources"]:
                if "serviceAccountToken" in src:
                    sat = src["serviceAccountToken"]
                    token = k.api.issuer.issue(
                        self.namespace, self.pod["spec"].get("serviceAccountName", "default"),
                        self.name, self.uid, expiration=sat.get("expirationSeconds", 3607),
                        audiences=[sat["audience"]] if sat.get("audience") else None)
                    self._write(os.path.join(path, sat["path"]), token, mode)
                elif "configMap" in src:
                    data = k.configmaps[(self.namespace, src["configMap"]["name"])]
                    for item in src["configMap"].get("items") or [{"key": x, "path": x} for x in data]:
                        self._write(os.path.join(path, item["path"]), data[item["key"]], mode)
                elif "downwardAPI" in src:
                    for item in src["downwardAPI"]["items"]:
                        field = item["fieldRef"]["fieldPath"]
                        self._write(os.path.join(path, item["path"]), self._field(field), mode)
                elif "secret" in src:
                    data = k.secrets[(self.namespace, src["secret"]["name"])]
                    for key, val in data.items():
                        self._write(os.path.join(path, key), val, mode)
        elif "configMap" in v:
            data = k.configmaps[(self.namespace, v["configMap"]["name"])]
            for key, val in data.items():
                self._write(os.path.join(path, key), val, v["configMap"].get("defaultMode", 0o644))
        elif "secret" in v:
            name = v["secret"]["secretName"]
            if (self.namespace, name) not in k.secrets:
                raise PodFailed('MountVolume.SetUp failed for volume "%s": secret "%s" not found'
                                % (v["name"], name))
            for key, val in k.secrets[(self.namespace, name)].items():
                self._write(os.path.join(path, key), val, v["secret"].get("defaultMode", 0o644))
        else:
            raise PodFailed("kubesim cannot provide volume %s" % json.dumps(v))
        return path

    def _apply_fs_group(self, path, writable):
        """fsGroup: the volume's files belong to that group and are group-readable
        (group-writable for emptyDir), directories setgid, as the kubelet does."""
        for d, dirs, files in os.walk(path):
            os.chown(d, -1, self.fs_group)
            os.chmod(d, os.stat(d).st_mode | 0o2070 if writable else os.stat(d).st_mode | 0o2050)
            for f in files:
                fp = os.path.join(d, f)
                os.chown(fp, -1, self.fs_group)
                os.chmod(fp, os.stat(fp).st_mode | (0o060 if writable else 0o040))

    def _field(self, path):
        meta = self.pod["metadata"]
        return {"metadata.namespace": self.namespace, "metadata.name": self.name,
                "metadata.uid": self.uid, "status.podIP": "127.0.0.1",
                "status.hostIP": "127.0.0.1",
                "spec.serviceAccountName": self.pod["spec"].get("serviceAccountName", "default"),
                }.get(path) or (meta.get("labels") or {}).get(path[len("metadata.labels['"):-2], "")

    # -- containers

    def _env(self, c, image):
        env = dict(image.env)
        for e in c.get("env") or []:
            if "value" in e:
                env[e["name"]] = e["value"]
            elif "valueFrom" in e and "fieldRef" in e["valueFrom"]:
                env[e["name"]] = self._field(e["valueFrom"]["fieldRef"]["fieldPath"])
            else:
                env[e["name"]] = ""
        env.setdefault("HOSTNAME", self.name)
        return env

    def _spec(self, c):
        k = self.kubelet
        image = k.images.get(c["image"])
        if image is None:
            raise PodFailed('Failed to pull image "%s": not in kubesim\'s image list' % c["image"])
        psc = self.pod["spec"].get("securityContext") or {}
        sc = c.get("securityContext") or {}
        root = os.path.join(self.dir, "roots", c["name"])
        os.makedirs(root, exist_ok=True)
        argv = list(c.get("command") or []) + list(c.get("args") or [])
        if not argv:
            raise PodFailed("container %s has no command (kubesim images have no entrypoint)"
                            % c["name"])
        volumes = []
        for m in c.get("volumeMounts") or []:
            host = self.volumes[m["name"]]
            if m.get("subPath"):
                host = os.path.join(host, m["subPath"])
            volumes.append([host, m["mountPath"], bool(m.get("readOnly"))])
        hosts = "127.0.0.1\tlocalhost\n" + "".join(
            "127.0.0.1\t%s\n" % n for n in k.hosts) + "127.0.0.1\t%s\n" % self.name
        # the pod's hostAliases, appended as the kubelet does
        hosts += "".join("%s\t%s\n" % (a["ip"], "\t".join(a.get("hostnames") or []))
                         for a in self.pod["spec"].get("hostAliases") or [])
        return {
            "root": root,
            "binds": [[h, p, True] for h, p in image.binds],
            "files": {"/etc/hosts": hosts,
                      "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
                      "/etc/group": "root:x:0:\n"},
            "volumes": volumes,
            "readonly_root": bool(sc.get("readOnlyRootFilesystem")),
            "uid": sc.get("runAsUser", psc.get("runAsUser")),
            "groups": ([self.fs_group] if self.fs_group is not None else []) +
                      list(psc.get("supplementalGroups") or []),
            "gid": sc.get("runAsGroup", psc.get("runAsGroup")),
            "no_new_privs": sc.get("allowPrivilegeEscalation") is False,
            "argv": argv,
            "env": self._env(c, image),
            "workdir": c.get("workingDir") or "/",
        }

    def _start(self, c, attempt=0):
        spec = self._spec(c)
        spec_path = os.path.join(self.dir, "%s.%d.spec.json" % (c["name"], attempt))
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        os.chmod(spec_path, 0o600)
        log_path = os.path.join(self.dir, "%s.%d.log" % (c["name"], attempt))
        log = open(log_path, "wb")
        proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "--", sys.executable, "-I", RUNTIME,
             spec_path], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return Container(c["name"], proc, log_path)

    def run_init_containers(self, timeout=120, init_attempts=3):
        for c in self.pod["spec"].get("initContainers") or []:
            for attempt in range(init_attempts):
                ctr = self._start(c, attempt)
                try:
                    rc = ctr.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    ctr.proc.kill()
                    ctr.proc.wait()
                    self.init_logs[c["name"]] = ctr.logs()
                    raise PodFailed("init container %s did not finish in %ds" % (c["name"], timeout))
                self.init_logs[c["name"]] = ctr.logs()
                if rc == 0:
                    break
                if attempt + 1 == init_attempts:
                    raise PodFailed("init container %s failed %d times (last exit %d)"
                                    % (c["name"], init_attempts, rc))
                time.sleep(min(10, 1 << attempt))

    def start_containers(self):
        for c in self.pod["spec"]["containers"]:
            self.containers[c["name"]] = self._start(c)

    def exec(self, container, argv, timeout=30):
        """kubectl exec: run argv inside a running container's namespaces, as
        the container's user, with its environment."""
        ctr = self.containers[container]
        spec = next(c for c in self.pod["spec"]["containers"] if c["name"] == container)
        s = self._spec(spec)
        cmd = ["nsenter", "-t", str(ctr.proc.pid), "-m", "-r", "-w"]
        if s["uid"] is not None:
            cmd += ["-S", str(s["uid"]), "-G", str(s["gid"] or 0)]
        # nsenter passes its own environment on: give it the container's.
        return subprocess.run(cmd + ["--"] + argv, env=s["env"], capture_output=True, text=True,
                              timeout=timeout)

    def read_file(self, volume, relpath):
        with open(os.path.join(self.volumes[volume], relpath), "rb") as f:
            return f.read()

    def stop(self, grace=None):
        """Like pod deletion: SIGTERM to every container, SIGKILL after the grace period.
        Returns {name: (exit code, seconds to exit)}."""
        grace = grace if grace is not None else self.pod["spec"].get(
            "terminationGracePeriodSeconds", 30)
        start = time.monotonic()
        for c in self.containers.values():
            if c.proc.poll() is None:
                c.proc.send_signal(signal.SIGTERM)
        out = {}
        for name, c in self.containers.items():
            left = max(0.0, grace - (time.monotonic() - start))
            try:
                c.proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                c.proc.kill()
                c.proc.wait()
            out[name] = (c.proc.returncode, time.monotonic() - start)
        return out


class Kubelet:
    def __init__(self, workdir, api, images, hosts=()):
        self.workdir = workdir
        self.api = api
        self.images = images
        self.hosts = list(hosts)
        self.configmaps = {}   # (ns, name) -> {key: text}
        self.secrets = {}      # (ns, name) -> {key: text}
        self.pods = []

    def run_pod(self, pod):
        run = PodRun(self, pod)
        self.pods.append(run)
        return run

    def close(self):
        for p in self.pods:
            p.stop(grace=2)
