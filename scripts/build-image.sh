#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/build-image.sh [--dockerfile] [-o FILE] [IMAGE] — build the
# vaultlet container image with buildah, offline, FROM scratch: the root
# filesystem of scripts/image-rootfs.sh (vaultlet-agent, vaultlet-webhook,
# vaultlet-certgen, their shared libraries, the CA bundle; no shell).
# IMAGE defaults to vaultlet/vaultlet:<version>, the name the chart and the
# injector use. With -o FILE the image is also written as an OCI archive,
# ready for `skopeo copy oci-archive:FILE docker://registry/...`,
# `kind load image-archive FILE` or `k3s ctr images import FILE`.
#
# Builds build-release/ first (meson, buildtype release). Needs buildah
# (apt-get install buildah) and root, or a rootless buildah setup.
#
# --dockerfile builds the top-level Dockerfile instead (`buildah bud
# --isolation chroot`: a Debian 12 build stage, then the same rootfs script),
# from DEBIAN_IMAGE, by default a base made locally by scripts/debian-base.sh
# (debootstrap from this machine's Debian mirror; the build stage installs
# packages from it). Takes several minutes.
set -eu
cd "$(dirname "$0")/.."

archive=""
dockerfile=0
while [ $# -gt 0 ]; do
  case "$1" in
    -o) archive=${2:?-o needs a FILE}; shift 2 ;;
    --dockerfile) dockerfile=1; shift ;;
    *) break ;;
  esac
done
case "${1:-}" in -h|--help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
version=$(sed -n "s/^  version: '\(.*\)',/\1/p" meson.build)
image=${1:-vaultlet/vaultlet:$version}

command -v buildah >/dev/null 2>&1 || {
  echo "build-image.sh: buildah is not installed: apt-get install -y buildah" >&2
  exit 1
}
if [ "$dockerfile" -eq 1 ]; then
  base=${DEBIAN_IMAGE:-localhost/vaultlet-debian-base:12}
  [ -n "${DEBIAN_IMAGE:-}" ] || scripts/debian-base.sh "$base"
  buildah bud --isolation chroot --quiet --layers=false --build-arg DEBIAN_IMAGE="$base" \
    --build-arg VERSION="$version" -t "$image" -f Dockerfile . >/dev/null
  echo "built $image (Dockerfile)"
  if [ -n "$archive" ]; then
    buildah push --quiet "$image" "oci-archive:$archive:$image"
    echo "wrote $archive"
  fi
  exit 0
fi

if [ ! -f build-release/build.ninja ]; then
  meson setup build-release -Dbuildtype=release -Dtests=false >/dev/null
fi
ninja -C build-release >/dev/null

rootfs=$(mktemp -d /tmp/vaultlet-rootfs.XXXXXX)
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$rootfs"
}
trap cleanup EXIT INT TERM
scripts/image-rootfs.sh build-release "$rootfs/fs" >/dev/null

ctr=$(buildah from scratch)
buildah copy "$ctr" "$rootfs/fs/" / >/dev/null
buildah config \
  --user 65532:65532 \
  --entrypoint '["/usr/local/bin/vaultlet-webhook"]' \
  --cmd '["help"]' \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --label org.opencontainers.image.title=vaultlet \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.description="vaultlet-webhook and vaultlet-agent: a C drop-in for the Vault Agent Injector" \
  "$ctr"
buildah commit --quiet "$ctr" "$image" >/dev/null
echo "built $image"
if [ -n "$archive" ]; then
  buildah push --quiet "$image" "oci-archive:$archive:$image"
  echo "wrote $archive"
fi
