#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/agent-image-rootfs.sh BUILD_DIR OUT_DIR — the root filesystem of
# the agent-only image vaultlet/vaultlet-agent, the chart's default image
# for the injected vault-agent-init and vault-agent containers: the static
# vaultlet-agent (meson -Dagent_link=static: libcurl, OpenSSL and cJSON
# inside), glibc and its loader (the one shared library it still loads),
# the system CA bundle (the agent's default when the pod sets no CA), and
# passwd/group entries for uid 100 / gid 1000, the injector's defaults.
# No shell, no other library: what is not listed here is not in the image.
#
# Refuses a dynamically linked agent (its libcurl's 30-odd libraries are
# what this image leaves out). scripts/build-agent-image.sh packs it with
# buildah; the end-to-end test runs the injected containers from it.
set -eu
build=${1:?usage: agent-image-rootfs.sh BUILD_DIR OUT_DIR}
out=${2:?usage: agent-image-rootfs.sh BUILD_DIR OUT_DIR}
agent="$build/agent/vaultlet-agent"

[ -x "$agent" ] || { echo "agent-image-rootfs.sh: $agent is not built (ninja -C $build)" >&2; exit 1; }
libs=$(ldd "$agent" | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]*ld-linux/{print $1}' | sort -u)
for lib in $libs; do
  case "$(basename "$lib")" in
    libc.so.* | ld-linux*) ;;
    *)
      echo "agent-image-rootfs.sh: $agent loads $lib: the agent image needs the static agent" >&2
      echo "  (meson setup BUILD -Dagent_link=static && ninja -C BUILD)" >&2
      exit 1
      ;;
  esac
done

rm -rf "$out"
mkdir -p "$out/usr/local/bin" "$out/usr/lib" "$out/etc/ssl/certs"
ln -s usr/lib "$out/lib"
# Stripped: symbols and debug info are never paged in, but every node pulls them.
strip --strip-unneeded -o "$out/usr/local/bin/vaultlet-agent" "$agent"
chmod 0755 "$out/usr/local/bin/vaultlet-agent"

# libc and the loader at their paths under usr/ (Debian's /lib is /usr/lib);
# the loader's own path (e.g. /lib64/ld-linux-x86-64.so.2) as a link.
for lib in $libs; do
  case "$lib" in
    /usr/*) dest="$out$lib" ;;
    *) dest="$out/usr$lib" ;;
  esac
  real=$(readlink -f "$lib")
  case "$real" in
    /usr/*) real_dest="$out$real" ;;
    *) real_dest="$out/usr$real" ;;
  esac
  mkdir -p "$(dirname "$dest")" "$(dirname "$real_dest")"
  [ -e "$real_dest" ] || cp "$real" "$real_dest"
  if [ "$real_dest" != "$dest" ] && [ ! -e "$dest" ] && [ ! -L "$dest" ]; then
    ln -s "$real" "$dest"
  fi
  case "$lib" in
    /lib64/*)
      [ -e "$out/lib64" ] || ln -s usr/lib64 "$out/lib64"
      ;;
  esac
done

if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/"
else
  echo "agent-image-rootfs.sh: /etc/ssl/certs/ca-certificates.crt missing (apt-get install ca-certificates)" >&2
  exit 1
fi
cat >"$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/:/sbin/nologin
vault:x:100:1000:vaultlet-agent:/home/vault:/sbin/nologin
PASSWD
cat >"$out/etc/group" <<'GROUP'
root:x:0:
vault:x:1000:
GROUP
echo "$out"
