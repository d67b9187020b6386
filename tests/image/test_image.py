#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The vaultlet image, two ways (TAP):

- the top-level Dockerfile (multi-stage: Debian 12 build stage, FROM
  scratch) and scripts/build-image.sh (buildah, offline) build the same
  thing: both run scripts/image-rootfs.sh on a meson build with the same
  options, and set the same user, entrypoint, command, environment and
  labels; the Dockerfile's build stage installs every build dependency the
  project's own package lists name; its VERSION is meson.build's;
- scripts/image-rootfs.sh's root file system holds the three programs, the
  users the chart and the injector run as, the CA bundle, a sticky /tmp and
  no shell, and each program runs inside it alone (chroot; root only).

Building the Dockerfile itself with `buildah bud` takes minutes (a Debian
base made with debootstrap, packages from the mirror): scripts/test does not
do it; `scripts/build-image.sh --dockerfile` does (see docs/chart.md).

usage: test_image.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

src, build = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests", "lib"))
from taplib import check, done  # noqa: E402

PROGRAMS = ("vaultlet-agent", "vaultlet-webhook", "vaultlet-certgen")


def dockerfile_final_stage():
    """The instructions after the last FROM, continuation lines joined."""
    text = open(os.path.join(src, "Dockerfile")).read()
    lines, cur = [], ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not cur:
            continue
        if raw.endswith("\\"):
            cur += raw[:-1] + " "
            continue
        cur += raw
        if cur.strip():
            lines.append(cur.strip())
        cur = ""
    stages, stage = [], None
    for line in lines:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stage = {"FROM": rest.strip(), "ins": []}
            stages.append(stage)
        elif stage is not None:
            stage["ins"].append((word.upper(), rest.strip()))
    return lines, stages


def meson_version():
    return re.search(r"^\s*version:\s*'([^']+)'", open(os.path.join(src, "meson.build")).read(),
                     re.M).group(1)


def build_image_config():
    sh = open(os.path.join(src, "scripts", "build-image.sh")).read()
    cfg = sh[sh.index("buildah config"):sh.index('"$ctr"', sh.index("buildah config"))]
    words = shlex.split(cfg.replace("\\\n", " "))
    out = {"labels": {}}
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("--user", "--entrypoint", "--cmd", "--env"):
            out[w[2:]] = words[i + 1]
            i += 2
        elif w == "--label":
            k, _, v = words[i + 1].partition("=")
            out["labels"][k] = v
            i += 2
        else:
            i += 1
    return sh, out


def main():
    lines, stages = dockerfile_final_stage()
    sh, bcfg = build_image_config()

    def stages_ok():
        errs = []
        if len(stages) != 2 or stages[-1]["FROM"] != "scratch":
            errs.append("want two stages, the last FROM scratch: %r" % [s["FROM"] for s in stages])
        args = {}
        for l in lines:
            if l.startswith("ARG ") and "=" in l:
                k, _, v = l.split()[1].partition("=")
                args.setdefault(k, v)
        if args.get("DEBIAN_IMAGE", "").split(":")[-1] not in ("12", "12-slim", "bookworm",
                                                                "bookworm-slim"):
            errs.append("build stage is not Debian 12: %r" % args.get("DEBIAN_IMAGE"))
        if args.get("VERSION") != meson_version():
            errs.append("ARG VERSION=%s, meson.build says %s" % (args.get("VERSION"), meson_version()))
        run = " ".join(r for s in stages[:1] for k, r in s["ins"] if k == "RUN")
        if "scripts/image-rootfs.sh" not in run:
            errs.append("the build stage does not run scripts/image-rootfs.sh")
        if "meson setup" not in run or "-Dbuildtype=release -Dtests=false" not in run:
            errs.append("the build stage's meson options")
        if "-Dbuildtype=release -Dtests=false" not in sh or "scripts/image-rootfs.sh" not in sh:
            errs.append("build-image.sh no longer uses the same options / rootfs script")
        copies = [r for k, r in stages[-1]["ins"] if k == "COPY"]
        if copies != ["--from=build /rootfs/ /"]:
            errs.append("the final stage copies %r, want only the rootfs" % copies)
        return "; ".join(errs) or None
    check("Dockerfile: a Debian 12 build stage running meson (release, no tests) and "
          "scripts/image-rootfs.sh, as build-image.sh does; FROM scratch with only that rootfs; "
          "VERSION is meson.build's", stages_ok)

    def config_ok():
        final = {}
        labels = {}
        for k, r in stages[-1]["ins"]:
            if k == "LABEL":
                for w in shlex.split(r):
                    lk, _, lv = w.partition("=")
                    labels[lk] = lv
            elif k in ("USER", "ENTRYPOINT", "CMD", "ENV"):
                final[k.lower()] = r
        errs = []
        for key in ("user", "entrypoint", "cmd", "env"):
            a, b = final.get(key), bcfg.get(key)
            if key in ("entrypoint", "cmd"):
                a, b = json.loads(a or "null"), json.loads(b or "null")
            if a != b:
                errs.append("%s: Dockerfile %r, build-image.sh %r" % (key, a, b))
        want = dict(bcfg["labels"])
        want["org.opencontainers.image.version"] = "${VERSION}"
        if labels != want:
            errs.append("labels: Dockerfile %r, build-image.sh %r" % (labels, bcfg["labels"]))
        return "; ".join(errs) or None
    check("the Dockerfile's image config (user, entrypoint, cmd, env, labels) is "
          "build-image.sh's", config_ok)

    def packages_ok():
        pkgs = set(open(os.path.join(src, "scripts", "lib", "packages-image.txt")).read().split())
        demo = set(open(os.path.join(src, "scripts", "lib", "packages-demo.txt")).read().split())
        need = {p for p in demo if p.endswith("-dev")} | {"meson", "ninja-build", "pkg-config",
                                                          "ca-certificates"}
        missing = sorted(need - pkgs)
        used = any("packages-image.txt" in r for s in stages[:1] for _, r in s["ins"])
        return (not missing and used) or "missing %s; installed from the list: %s" % (missing, used)
    check("the build stage installs scripts/lib/packages-image.txt, which has every build "
          "dependency (-dev, meson, ninja, pkg-config, CA certificates)", packages_ok)

    tmp = tempfile.mkdtemp(prefix="vaultlet-image-")
    try:
        root = os.path.join(tmp, "rootfs")
        r = subprocess.run([os.path.join(src, "scripts", "image-rootfs.sh"), build, root],
                           capture_output=True, text=True)

        def rootfs_files():
            if r.returncode != 0:
                return r.stderr
            errs = []
            for p in PROGRAMS:
                st = os.stat(os.path.join(root, "usr", "local", "bin", p))
                if stat.S_IMODE(st.st_mode) != 0o755:
                    errs.append("%s mode %o" % (p, stat.S_IMODE(st.st_mode)))
            for shell in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash"):
                if os.path.lexists(os.path.join(root, shell)):
                    errs.append("a shell: " + shell)
            pw = open(os.path.join(root, "etc", "passwd")).read()
            for uid in (":100:1000:", ":65532:65532:"):
                if uid not in pw:
                    errs.append("passwd lacks %s" % uid)
            if os.path.getsize(os.path.join(root, "etc", "ssl", "certs", "ca-certificates.crt")) < 1000:
                errs.append("no CA bundle")
            if stat.S_IMODE(os.stat(os.path.join(root, "tmp")).st_mode) != 0o1777:
                errs.append("/tmp is not 1777")
            return "; ".join(errs) or None
        check("scripts/image-rootfs.sh: the three programs (0755), passwd entries for uid 100 "
              "(agents) and 65532 (webhook), the CA bundle, /tmp 1777, no shell", rootfs_files)

        def runs_alone():
            if r.returncode != 0:
                return r.stderr
            if os.geteuid() != 0:
                return "SKIP needs root (chroot)"
            errs = []
            # as a container runtime does: a /proc of its own (the sanitizers
            # of a debug build read their options from /proc/self/environ)
            os.makedirs(os.path.join(root, "proc"), exist_ok=True)
            for p, arg in (("vaultlet-webhook", "help"), ("vaultlet-agent", "--help"),
                           ("vaultlet-certgen", "-h")):
                q = subprocess.run(
                    ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                     'mount -t proc proc "$1/proc" && exec chroot "$1" "$2" "$3"', "sh", root,
                     "/usr/local/bin/" + p, arg],
                    capture_output=True, text=True,
                    env={"PATH": "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "ASAN_OPTIONS": "detect_leaks=0"})
                if q.returncode != 0:
                    errs.append("%s: exit %d %s" % (p, q.returncode, q.stderr.strip()[-300:]))
            return "; ".join(errs) or None
        check("each program runs inside the rootfs alone (chroot): every library it loads is in "
              "the image", runs_alone)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
