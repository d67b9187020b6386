#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scripts/image-rootfs.sh BUILD_DIR OUT_DIR — the root filesystem of the
# vaultlet image: vaultlet-agent, vaultlet-webhook and vaultlet-certgen in
# /usr/local/bin, the shared libraries they load (found with ldd), the
# dynamic loader, the system CA bundle for Vault over TLS, and passwd/group
# entries for the users the chart and the injector run as. No shell, no
# package manager: what is not listed here is not in the image.
#
# scripts/build-image.sh turns it into an image with buildah; the end-to-end
# test runs the injected containers from it, so a missing library fails the
# test instead of a pod.
set -eu
build=${1:?usage: image-rootfs.sh BUILD_DIR OUT_DIR}
out=${2:?usage: image-rootfs.sh BUILD_DIR OUT_DIR}

bins="$build/agent/vaultlet-agent $build/webhook/vaultlet-webhook $build/certs/vaultlet-certgen"
for b in $bins; do
  [ -x "$b" ] || { echo "image-rootfs.sh: $b is not built (ninja -C $build)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out/usr/local/bin" "$out/usr/lib" "$out/usr/lib64" "$out/etc/ssl/certs" "$out/tmp"
chmod 1777 "$out/tmp"
ln -s usr/lib "$out/lib"
ln -s usr/lib64 "$out/lib64"
for b in $bins; do
  install -m 0755 "$b" "$out/usr/local/bin/"
done

# Every library (and the loader) the binaries resolve to, at the same path
# under usr/ (Debian's /lib is /usr/lib). Symlinked names are kept as links.
for lib in $(ldd $bins | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]*ld-linux/{print $1}' | sort -u); do
  case "$lib" in
    /usr/*) dest="$out$lib" ;;
    *) dest="$out/usr$lib" ;;
  esac
  mkdir -p "$(dirname "$dest")"
  real=$(readlink -f "$lib")
  case "$real" in
    /usr/*) real_dest="$out$real" ;;
    *) real_dest="$out/usr$real" ;;
  esac
  mkdir -p "$(dirname "$real_dest")"
  [ -e "$real_dest" ] || cp "$real" "$real_dest"
  if [ "$real_dest" != "$dest" ] && [ ! -e "$dest" ]; then
    ln -s "$real" "$dest"
  fi
done

if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/"
fi
cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/:/sbin/nologin
vault:x:100:1000:vaultlet-agent:/home/vault:/sbin/nologin
nonroot:x:65532:65532:vaultlet-webhook:/:/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
vault:x:1000:
nonroot:x:65532:
EOF
echo "$out"
