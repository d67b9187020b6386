#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/debian-base.sh [IMAGE] — make a Debian 12 (bookworm) base image
# locally, for building the top-level Dockerfile with buildah where no
# registry is reachable: debootstrap (variant minbase) from the Debian
# mirror this machine's apt sources use, imported with buildah as IMAGE
# (default localhost/vaultlet-debian-base:12). Kept if it exists already;
# -f rebuilds it. --print-mirror prints the mirror it would use (DEBIAN_MIRROR
# overrides it) and exits 3 when there is none. Needs root, debootstrap and
# buildah.
#
#   scripts/debian-base.sh && buildah bud --isolation chroot \
#     --build-arg DEBIAN_IMAGE=localhost/vaultlet-debian-base:12 -t vaultlet/vaultlet .
set -eu
force=0
print_mirror=0
case "${1:-}" in
  -f) force=1; shift ;;
  --print-mirror) print_mirror=1; shift ;;
  -h|--help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
image=${1:-localhost/vaultlet-debian-base:12}

# The mirror of the apt sources that carry bookworm (deb822 or one-line format).
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^URIs:/ { uri = $2 } /^Suites:/ { if ($0 ~ /bookworm( |$)/ && uri !~ /security/) print uri }'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" && $0 ~ / bookworm / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
  } | head -n 1)
mirror=${DEBIAN_MIRROR:-$mirror}
if [ "$print_mirror" -eq 1 ]; then
  [ -n "$mirror" ] || exit 3
  echo "$mirror"
  exit 0
fi
[ -n "$mirror" ] || { echo "debian-base.sh: no bookworm mirror in /etc/apt/sources*: give one in DEBIAN_MIRROR" >&2; exit 1; }

for c in debootstrap buildah; do
  command -v "$c" >/dev/null 2>&1 || { echo "debian-base.sh: $c is not installed: apt-get install -y $c" >&2; exit 1; }
done
if [ "$force" -eq 0 ] && buildah inspect --type image "$image" >/dev/null 2>&1; then
  echo "$image exists (-f to rebuild it)"
  exit 0
fi

root=$(mktemp -d /var/tmp/vaultlet-debian-base.XXXXXX)
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
  rm -rf "$root"
}
trap cleanup EXIT INT TERM
echo "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 20 "$root.log" >&2
  echo "debian-base.sh: debootstrap failed (log above)" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"
# the image's apt uses the same mirror (the build stage installs packages)
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
ctr=$(buildah from scratch)
buildah copy "$ctr" "$root/" / >/dev/null
buildah config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
buildah commit --quiet "$ctr" "$image" >/dev/null
echo "built $image"
