#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/build-image.sh [-o FILE] [IMAGE] — build the vaultlet container
# image with buildah, offline, FROM scratch: the root filesystem of
# scripts/image-rootfs.sh (vaultlet-agent, vaultlet-webhook,
# vaultlet-certgen, their shared libraries, the CA bundle; no shell).
# IMAGE defaults to vaultlet/vaultlet:<version>, the name the chart and the
# injector use. With -o FILE the image is also written as an OCI archive,
# ready for `skopeo copy oci-archive:FILE docker://registry/...` or
# `buildah push`.
#
# Builds build-release/ first (meson, buildtype release). Needs buildah
# (apt-get install buildah) and root, or a rootless buildah setup.
set -eu
cd "$(dirname "$0")/.."

archive=""
if [ "${1:-}" = "-o" ]; then
  archive=$2
  shift 2
fi
case "${1:-}" in -h|--help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
version=$(sed -n "s/^  version: '\(.*\)',/\1/p" meson.build)
image=${1:-vaultlet/vaultlet:$version}

command -v buildah >/dev/null 2>&1 || {
  echo "build-image.sh: buildah is not installed: apt-get install -y buildah" >&2
  exit 1
}
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
