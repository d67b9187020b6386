#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/build-agent-image.sh [-o FILE] [IMAGE] — build the agent-only
# image with buildah, FROM scratch: the root filesystem of
# scripts/agent-image-rootfs.sh (the static vaultlet-agent, glibc and its
# loader, the CA bundle, passwd/group for uid 100 / gid 1000; no shell). It
# is the chart's default image for the injected vault-agent-init and
# vault-agent containers (agentImageRepository). IMAGE defaults to
# vaultlet/vaultlet-agent:<version>. With -o FILE the image is also written
# as an OCI archive (`skopeo copy oci-archive:FILE docker://registry/...`).
#
# Builds build-agent-release/ first (meson, buildtype release,
# -Dagent_link=static: scripts/agent-deps.sh builds the static libraries
# the first time). Needs buildah (apt-get install buildah) and root, or a
# rootless buildah setup. The webhook image is scripts/build-image.sh.
set -eu
cd "$(dirname "$0")/.."

archive=""
if [ "${1:-}" = "-o" ]; then
  archive=$2
  shift 2
fi
case "${1:-}" in -h|--help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
version=$(sed -n "s/^  version: '\(.*\)',/\1/p" meson.build)
image=${1:-vaultlet/vaultlet-agent:$version}

command -v buildah >/dev/null 2>&1 || {
  echo "build-agent-image.sh: buildah is not installed: apt-get install -y buildah" >&2
  exit 1
}
build=build-agent-release
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dbuildtype=release -Dtests=false -Dagent_link=static >/dev/null
else
  meson setup --reconfigure "$build" >/dev/null
fi
ninja -C "$build" agent/vaultlet-agent >/dev/null

rootfs=$(mktemp -d /tmp/vaultlet-agent-rootfs.XXXXXX)
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$rootfs"
}
trap cleanup EXIT INT TERM
scripts/agent-image-rootfs.sh "$build" "$rootfs/fs" >/dev/null

ctr=$(buildah from scratch)
buildah copy "$ctr" "$rootfs/fs/" / >/dev/null
buildah config \
  --user 100:1000 \
  --entrypoint '["/usr/local/bin/vaultlet-agent"]' \
  --cmd '["--help"]' \
  --label org.opencontainers.image.title=vaultlet-agent \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.description="vaultlet-agent, static: the injected Vault agent of vaultlet" \
  --label dev.vaultlet.agent.libraries="$("$rootfs/fs/usr/local/bin/vaultlet-agent" --version | sed -n 's/^\(libcurl\|OpenSSL\|cJSON\): /\1 /p' | paste -sd '|' | sed 's/|/ | /g')" \
  "$ctr"
buildah commit --quiet "$ctr" "$image" >/dev/null
echo "built $image ($(du -sk "$rootfs/fs" | cut -f1) KiB uncompressed)"
if [ -n "$archive" ]; then
  buildah push --quiet "$image" "oci-archive:$archive:$image"
  echo "wrote $archive ($(du -k "$archive" | cut -f1) KiB)"
fi
