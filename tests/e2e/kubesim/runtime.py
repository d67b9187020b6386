# SPDX-License-Identifier: MIT
"""The container runtime of kubesim, run as
    unshare -m --propagation private -- /usr/bin/python3 -I runtime.py SPEC.json
so it starts in a fresh mount namespace as root. It builds a private root
filesystem (a tmpfs with the image's paths bind-mounted read-only, the pod's
volumes bind-mounted at their mount paths), makes the root read-only when
readOnlyRootFilesystem asks, chroots, drops to the container's uid/gid with
the supplementary groups fsGroup and supplementalGroups give, no_new_privs when
allowPrivilegeEscalation is false, and execs the container's command with its resolved environment. The
process keeps the PID the kubelet started, so signals reach it directly.

SPEC: {"root": dir, "binds": [[host, path, ro]], "files": {path: text},
       "volumes": [[host, path, ro]], "readonly_root": bool, "uid": int|null,
       "gid": int|null, "groups": [int], "no_new_privs": bool, "argv": [...], "env": {...},
       "workdir": "/"}
"""
import ctypes
import json
import os
import subprocess
import sys

PR_SET_NO_NEW_PRIVS = 38


def mount(*args):
    subprocess.run(["mount", *args], check=True)


def ensure(path, is_dir):
    if is_dir:
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            open(path, "a").close()


def bind(root, host, path, ro):
    target = root + path
    ensure(target, os.path.isdir(host))
    mount("--bind", host, target)
    if ro:
        mount("-o", "remount,bind,ro", target)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    root = spec["root"]
    mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", root)
    for link, dest in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin"),
                       ("/sbin", "usr/sbin")):
        os.symlink(dest, root + link)
    for host, path, ro in spec["binds"]:
        bind(root, host, path, ro)
    for path, text in spec.get("files", {}).items():
        ensure(root + path, False)
        with open(root + path, "w") as f:
            f.write(text)
    bind(root, "/proc", "/proc", False)
    for dev in ("null", "zero", "urandom", "random", "full"):
        bind(root, "/dev/" + dev, "/dev/" + dev, False)
    for host, path, ro in spec["volumes"]:
        bind(root, host, path, ro)
    if spec.get("readonly_root"):
        mount("-o", "remount,ro", root)
    libc = ctypes.CDLL(None, use_errno=True)
    os.chroot(root)
    os.chdir(spec.get("workdir") or "/")
    if spec.get("gid") is not None or spec.get("uid") is not None:
        os.setgroups(spec.get("groups") or [])
        os.setgid(spec["gid"] if spec.get("gid") is not None else 0)
        os.setuid(spec["uid"] if spec.get("uid") is not None else 0)
    if spec.get("no_new_privs"):
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    argv = list(spec["argv"])
    if "/" not in argv[0]:
        # Like the container runtime: a bare command is looked up in the image's PATH.
        for d in spec["env"].get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
            if os.access(os.path.join(d, argv[0]), os.X_OK):
                argv[0] = os.path.join(d, argv[0])
                break
    try:
        os.execve(argv[0], argv, spec["env"])
    except OSError as e:
        # What a container runtime reports when the entrypoint is missing.
        sys.stderr.write('exec: "%s": %s\n' % (argv[0], e.strerror))
        sys.exit(128)


if __name__ == "__main__":
    main()
