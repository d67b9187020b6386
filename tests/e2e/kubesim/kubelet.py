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

Native sidecars (init containers with restartPolicy Always, Kubernetes
1.29+) run the way the kubelet runs them (pkg/kubelet/kuberuntime,
pkg/kubelet/prober):
  - a sidecar is started in its place among the init containers and keeps
    running; the next container starts only once it is "started": at once
    without a startupProbe, else when the probe passes. The probe ticks
    every periodSeconds from the start (after initialDelaySeconds), a tick
    that finds the container not yet running is skipped, each run is
    bounded by timeoutSeconds; failureThreshold failures in a row kill the
    sidecar and start it again;
  - a sidecar that exits is restarted whatever the pod's restartPolicy (the
    first restart at once, then CrashLoopBackOff: 10 s doubling to 300 s);
  - pod deletion stops the regular containers first, then the sidecars in
    reverse order, each after the ones it waits for, within one grace
    period (at least 2 s each, the kubelet's minimum);
  - a pod with restartPolicy Never or OnFailure (a Job's pod) completes when
    every regular container has exited (OnFailure: with 0; a failed one is
    restarted): phase Succeeded or Failed, then the sidecars are stopped.
What kubesim does not model: restarts of regular containers under
restartPolicy Always, liveness and readiness probes, the startup probe of a
sidecar restarted after it had started (it gates nothing then), lifecycle
hooks.
Every start, SIGTERM, exit and phase change is recorded in PodRun.events.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime.py")


class PodFailed(Exception):
    pass


MIN_GRACE = 2            # minimumGracePeriodInSeconds
BACKOFF = (10, 300)      # CrashLoopBackOff: initial, maximum (seconds)


def is_sidecar(c):
    """types.IsRestartableInitContainer."""
    return c.get("restartPolicy") == "Always"


def probe_settings(probe):
    """A probe with the API server's defaults (SetDefaults_Probe)."""
    p = dict(probe)
    for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3)):
        if not p.get(k):
            p[k] = v
    p.setdefault("initialDelaySeconds", 0)
    return p


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
        self.containers = {}     # regular containers
        self.sidecars = {}       # restartable init containers, in start order
        self.init_logs = {}
        self.phase = "Pending"
        self.events = []         # (monotonic time, what, container, detail)
        self.wall_offset = time.time() - time.monotonic()  # to compare with file times
        self.restarts = {}       # container name -> restarts so far
        self.probe_runs = {}     # container name -> startup probe runs
        self.terminating = False
        self._lock = threading.Lock()
        self._supervisor = None
        self._started = set()    # sidecars whose startup completed (the supervisor's)
        self.restart_policy = pod["spec"].get("restartPolicy") or "Always"
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
        self.event("start", c["name"], attempt)
        return Container(c["name"], proc, log_path)

    def event(self, what, name, detail=None):
        with self._lock:
            self.events.append((time.monotonic(), what, name, detail))

    def first_event(self, what, name):
        """Time of the first `what` event for container name, or None."""
        with self._lock:
            return next((t for t, w, n, _ in self.events if w == what and n == name), None)

    def last_event(self, what, name):
        with self._lock:
            return next((t for t, w, n, _ in reversed(self.events) if w == what and n == name),
                        None)

    # -- native sidecars

    def _container_spec(self, name):
        for c in (self.pod["spec"].get("initContainers") or []) + self.pod["spec"]["containers"]:
            if c["name"] == name:
                return c
        raise KeyError(name)

    def _running(self, name):
        return self.sidecars.get(name) or self.containers.get(name)

    def _restart_delay(self, name):
        """The kubelet's back-off: the first restart at once, then 10 s doubling to 300 s."""
        n = self.restarts.get(name, 0)
        return 0 if n == 0 else min(BACKOFF[1], BACKOFF[0] * (1 << (n - 1)))

    def _restart(self, c, why):
        """Starts container c again (after the back-off), unless the pod is terminating."""
        name = c["name"]
        delay = self._restart_delay(name)
        self.event("backoff", name, "%s; restart in %ds" % (why, delay))
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if self.terminating:
                return None
            time.sleep(0.1)
        if self.terminating:
            return None
        self.restarts[name] = self.restarts.get(name, 0) + 1
        ctr = self._start(c, self.restarts[name])
        if is_sidecar(c):
            self.sidecars[name] = ctr
        else:
            self.containers[name] = ctr
        return ctr

    @staticmethod
    def _exec_done(ctr):
        """Whether the container's command runs (the runtime has exec'd it):
        the kubelet probes only a running container."""
        try:
            with open("/proc/%d/cmdline" % ctr.proc.pid, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/self/cmdline", "rb") as f:
                ours = f.read().split(b"\0")  # what a child shows before its exec
        except OSError:
            return False
        return not (argv == ours or argv[0].endswith(b"unshare") or RUNTIME.encode() in argv)

    def _probe_once(self, c, ctr, probe):
        """One exec probe run inside the container; True when it exits 0. The
        event's detail is the exit code ("timeout" past timeoutSeconds)."""
        self.probe_runs[c["name"]] = self.probe_runs.get(c["name"], 0) + 1
        self.event("probe-run", c["name"])
        try:
            p = self._exec_in(c, ctr, probe["exec"]["command"], timeout=probe["timeoutSeconds"])
        except subprocess.TimeoutExpired:
            self.event("probe", c["name"], "timeout")
            return False
        self.event("probe", c["name"], p.returncode)
        if p.returncode != 0:  # the kubelet keeps a failed probe's output in an event
            self.event("probe-output", c["name"], (p.stdout + p.stderr)[-300:])
        return p.returncode == 0

    def _wait_started(self, c, timeout):
        """Until sidecar c is started (startupProbe passed), restarting it as the
        kubelet would; raises PodFailed after `timeout` seconds."""
        name = c["name"]
        ctr = self.sidecars[name]
        if "startupProbe" not in c:
            self.event("started", name)
            return
        probe = probe_settings(c["startupProbe"])
        if "exec" not in probe:
            raise PodFailed("kubesim runs exec probes only (container %s)" % name)
        deadline = time.monotonic() + timeout
        begun, failures = time.monotonic(), 0
        next_run = begun + probe["initialDelaySeconds"]
        while time.monotonic() < deadline:
            if ctr.proc.poll() is not None:
                self.event("exit", name, ctr.proc.returncode)
                ctr = self._restart(c, "exited %d before it was started" % ctr.proc.returncode)
                begun, failures = time.monotonic(), 0
                next_run = begun + probe["initialDelaySeconds"]
                continue
            now = time.monotonic()
            if now < next_run:
                time.sleep(min(0.05, next_run - now))
                continue
            # the prober's ticker: a tick that finds the container not running yet is skipped
            next_run += probe["periodSeconds"]
            if not self._exec_done(ctr):
                continue
            if self._probe_once(c, ctr, probe):
                self.event("started", name)
                return
            failures += 1
            if failures >= probe["failureThreshold"]:
                # the kubelet kills a container whose startup probe keeps failing
                self.event("kill", name, "startup probe failed %d times" % failures)
                self._signal(ctr, signal.SIGTERM)
                try:
                    ctr.proc.wait(timeout=max(MIN_GRACE, self._grace()))
                except subprocess.TimeoutExpired:
                    ctr.proc.kill()
                    ctr.proc.wait()
        self.init_logs[name] = ctr.logs()
        raise PodFailed("sidecar %s was not started (startup probe) within %ds" % (name, timeout))

    def _grace(self):
        return self.pod["spec"].get("terminationGracePeriodSeconds", 30)

    def _signal(self, ctr, sig):
        if ctr.proc.poll() is None:
            self.event("sigterm" if sig == signal.SIGTERM else "signal", ctr.name, sig)
            ctr.proc.send_signal(sig)

    def _supervise(self):
        """The kubelet's sync loop after the pod started: restarts sidecars that
        exit, restarts failed containers under OnFailure, completes a Job's pod."""
        seen = set()
        while not self.terminating:
            for name, ctr in list(self.sidecars.items()) + list(self.containers.items()):
                if ctr.proc.poll() is None or (name, id(ctr)) in seen:
                    continue
                if name in self.sidecars and name not in self._started:
                    continue  # still starting: _wait_started restarts it
                seen.add((name, id(ctr)))
                self.event("exit", name, ctr.proc.returncode)
                c = self._container_spec(name)
                if is_sidecar(c):
                    self._restart(c, "exited %d" % ctr.proc.returncode)
                elif self.restart_policy == "OnFailure" and ctr.proc.returncode != 0:
                    self._restart(c, "exited %d" % ctr.proc.returncode)
            if self.restart_policy in ("Never", "OnFailure") and self.containers and all(
                    c.proc.poll() is not None for c in self.containers.values()) and all(
                    (n, id(c)) in seen for n, c in self.containers.items()):
                ok = all(c.proc.returncode == 0 for c in self.containers.values())
                if ok or self.restart_policy == "Never":
                    self.phase = "Succeeded" if ok else "Failed"
                    self.event("phase", "", self.phase)
                    self._stop_sidecars(time.monotonic(), self._grace())
                    return
            time.sleep(0.05)

    def _stop_sidecars(self, start, grace):
        """Sidecars in reverse order, each once the later ones have exited."""
        out = {}
        for name in reversed(list(self.sidecars)):
            ctr = self.sidecars[name]
            self._signal(ctr, signal.SIGTERM)
            left = max(MIN_GRACE, grace - (time.monotonic() - start))
            try:
                ctr.proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                self._signal(ctr, signal.SIGKILL)
                ctr.proc.wait()
            self.event("exit", name, ctr.proc.returncode)
            out[name] = (ctr.proc.returncode, time.monotonic() - start)
        return out

    def wait_phase(self, phases, timeout):
        """Waits until the pod's phase is one of phases; returns the phase."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.phase not in phases:
            time.sleep(0.05)
        return self.phase

    def run_init_containers(self, timeout=120, init_attempts=3):
        for c in self.pod["spec"].get("initContainers") or []:
            if is_sidecar(c):
                self.sidecars[c["name"]] = self._start(c)
                self._wait_started(c, timeout)
                # from here on the kubelet's sync loop restarts it if it exits
                self._started.add(c["name"])
                self._supervise_start()
                continue
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
        self.phase = "Running"
        self.event("phase", "", self.phase)
        self._supervise_start()

    def _supervise_start(self):
        if self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, daemon=True)
            self._supervisor.start()

    def exec(self, container, argv, timeout=30):
        """kubectl exec: run argv inside a running container's namespaces, as
        the container's user, with its environment (a sidecar too)."""
        return self._exec_in(self._container_spec(container), self._running(container), argv,
                             timeout)

    def _exec_in(self, spec, ctr, argv, timeout):
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
        """Like pod deletion: SIGTERM to every regular container, SIGKILL after
        the grace period; then the sidecars in reverse order (see the module
        doc). Returns {name: (exit code, seconds to exit)}."""
        grace = grace if grace is not None else self._grace()
        start = time.monotonic()
        self.terminating = True
        if self._supervisor:
            self._supervisor.join()
        for c in self.containers.values():
            self._signal(c, signal.SIGTERM)
        out = {}
        for name, c in self.containers.items():
            left = max(0.0, grace - (time.monotonic() - start))
            try:
                c.proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                self._signal(c, signal.SIGKILL)
                c.proc.wait()
            if self.last_event("exit", name) is None or \
                    self.last_event("exit", name) < self.last_event("start", name):
                self.event("exit", name, c.proc.returncode)
            out[name] = (c.proc.returncode, time.monotonic() - start)
        out.update(self._stop_sidecars(start, grace))
        if self.phase in ("Pending", "Running"):
            self.phase = "Succeeded" if all(v[0] == 0 for v in out.values()) else "Failed"
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
