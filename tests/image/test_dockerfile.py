#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Builds the top-level Dockerfile with `buildah bud --isolation chroot`
from a Debian 12 base made locally (scripts/debian-base.sh: debootstrap
from this machine's Debian mirror), through `scripts/build-image.sh
--dockerfile`, and checks the image: the same files as
scripts/image-rootfs.sh's root file system, the programs run inside it
(chroot), the config build-image.sh sets (user, entrypoint, cmd, env,
labels), and its size (printed). TAP.

Minutes, not seconds (about 1.5 min for the base the first time, 1.5 min
for the build, on a loaded 2-core machine), and it needs the Debian mirror:
it runs when VAULTLET_TEST_DOCKERFILE=1 (scripts/test sets it) and SKIPs
otherwise, or without root, buildah or debootstrap.

usage: test_dockerfile.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

src, build = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import check, done  # noqa: E402
import test_image  # noqa: E402  (its parser of build-image.sh's image config)


def tree(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = "/" + os.path.relpath(p, root)
            out[rel] = "link" if os.path.islink(p) else ("dir" if os.path.isdir(p) else "file")
    return out


def main():
    if os.environ.get("VAULTLET_TEST_DOCKERFILE") != "1":
        print("1..0 # SKIP builds for minutes: VAULTLET_TEST_DOCKERFILE=1 (scripts/test sets it)")
        return 0
    missing = [c for c in ("buildah", "debootstrap") if not shutil.which(c) and
               not os.path.exists("/usr/sbin/" + c)]
    if os.geteuid() != 0 or missing:
        print("1..0 # SKIP needs root, buildah and debootstrap (missing: %s)"
              % (", ".join(missing) or "root"))
        return 0
    probe = subprocess.run(["buildah", "info"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("1..0 # SKIP buildah cannot run here: %s" % probe.stderr.strip()[-200:])
        return 0
    m = subprocess.run([os.path.join(src, "scripts", "debian-base.sh"), "--print-mirror"],
                       capture_output=True, text=True)
    if m.returncode == 3 and not os.environ.get("DEBIAN_IMAGE"):
        print("1..0 # SKIP no Debian bookworm mirror in the apt sources (not a Debian 12 "
              "machine?): set DEBIAN_MIRROR or DEBIAN_IMAGE")
        return 0
    image = "localhost/vaultlet-dockerfile-check:%d" % os.getpid()
    tmp = tempfile.mkdtemp(prefix="vaultlet-dockerfile-")
    ctr = None
    try:
        r = subprocess.run([os.path.join(src, "scripts", "build-image.sh"), "--dockerfile", image],
                           cwd=src, capture_output=True, text=True, timeout=1800,
                           env=dict(os.environ, PATH=os.environ.get("PATH", "") +
                                    ":/usr/sbin:/sbin"))
        if not check("scripts/build-image.sh --dockerfile: buildah bud --isolation chroot builds "
                     "the Dockerfile from a local Debian 12 base",
                     lambda: r.returncode == 0 or (r.stdout + r.stderr)[-3000:]):
            return done()
        ctr = subprocess.run(["buildah", "from", image], capture_output=True, text=True,
                             check=True).stdout.strip()
        mnt = subprocess.run(["buildah", "mount", ctr], capture_output=True, text=True,
                             check=True).stdout.strip()
        ref = os.path.join(tmp, "rootfs")
        subprocess.run([os.path.join(src, "scripts", "image-rootfs.sh"), build, ref], check=True,
                       capture_output=True)

        def same_files():
            a, b = tree(mnt), tree(ref)
            if a == b:
                return None
            return "only in the Dockerfile image: %s; only in image-rootfs.sh's: %s; kinds " \
                "differ: %s" % (sorted(set(a) - set(b)), sorted(set(b) - set(a)),
                                sorted(k for k in set(a) & set(b) if a[k] != b[k]))
        check("the Dockerfile image holds exactly the files of scripts/image-rootfs.sh", same_files)

        def runs():
            errs = []
            for p, arg in (("vaultlet-webhook", "help"), ("vaultlet-agent", "--help"),
                           ("vaultlet-certgen", "-h")):
                q = subprocess.run([shutil.which("chroot") or "/usr/sbin/chroot", mnt,
                                    "/usr/local/bin/" + p, arg], capture_output=True, text=True)
                if q.returncode != 0:
                    errs.append("%s: %s" % (p, q.stderr[-300:]))
            return "; ".join(errs) or None
        check("its programs run inside it", runs)

        def config():
            info = json.loads(subprocess.run(["buildah", "inspect", "--type", "image", image],
                                             capture_output=True, text=True, check=True).stdout)
            cfg = info["OCIv1"]["config"]
            _, want = test_image.build_image_config()
            errs = []
            if cfg.get("User") != want["user"]:
                errs.append("user %r" % cfg.get("User"))
            if cfg.get("Entrypoint") != json.loads(want["entrypoint"]):
                errs.append("entrypoint %r" % cfg.get("Entrypoint"))
            if cfg.get("Cmd") != json.loads(want["cmd"]):
                errs.append("cmd %r" % cfg.get("Cmd"))
            if want["env"] not in (cfg.get("Env") or []):
                errs.append("env %r" % cfg.get("Env"))
            labels = cfg.get("Labels") or {}
            version = test_image.meson_version()
            for k, v in want["labels"].items():
                v = v.replace("$version", version)
                if labels.get(k) != v:
                    errs.append("label %s=%r" % (k, labels.get(k)))
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(mnt)
                       for f in fs if not os.path.islink(os.path.join(d, f)))
            print("# image size: %.1f MB (files)" % (size / 1e6))
            return "; ".join(errs) or None
        check("its config is build-image.sh's (user 65532, entrypoint vaultlet-webhook, cmd, "
              "SSL_CERT_FILE, labels with meson's version)", config)
    finally:
        if ctr:
            subprocess.run(["buildah", "umount", ctr], capture_output=True)
            subprocess.run(["buildah", "rm", ctr], capture_output=True)
        subprocess.run(["buildah", "rmi", image], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
