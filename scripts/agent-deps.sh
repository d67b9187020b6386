#!/bin/bash
# SPDX-License-Identifier: MIT
#
# scripts/agent-deps.sh [--print-prefix | --check | --force] — the static
# libraries of the static vaultlet-agent (meson -Dagent_link=static), built
# from Debian's own source packages so they carry Debian's security patches:
#
#   libcurl  `apt-get source curl` (Debian's patches applied by dpkg-source),
#            configured for what the agent uses: HTTP/1.1 and HTTPS over
#            OpenSSL, proxies (HTTP and HTTPS, with Basic auth), the threaded
#            resolver (a hung DNS lookup must not block SIGTERM), IPv6,
#            Retry-After date parsing, the CA bundle /etc/ssl/certs/
#            ca-certificates.crt; every other protocol and feature is off
#            (FTP, LDAP, SMTP, HTTP/2, cookies, IDN, PSL, brotli, zstd, zlib,
#            NTLM, digest/Kerberos (--disable-crypto-auth), alt-svc, HSTS,
#            netrc, DoH, MIME, verbose strings, …)
#   OpenSSL  libssl.a and libcrypto.a of the installed libssl-dev
#   cJSON    `apt-get source cjson`, cJSON.c compiled as libcjson.a
#
# The source versions are the ones of the installed libcurl4-openssl-dev,
# libssl-dev and libcjson-dev, so a Debian security update of those
# packages (apt-get upgrade) changes the cache key and the next
# `meson setup --reconfigure` (scripts/test does one every run) rebuilds.
# The result lives outside any checkout, one directory per key, in
# $VAULTLET_AGENT_DEPS, else /var/cache/vaultlet/agent-deps, with lib/
# (libcurl.a libssl.a libcrypto.a libcjson.a), include/ and versions.txt.
# Building needs root (apt-get); using the cache does not. Directories of
# older keys are left in place (about 14 MB each): delete them at will.
#
# The apt sources of a Debian image have only `deb` entries: the matching
# `deb-src` entries are derived from them (same URIs, suites, components,
# keyring) into a private apt directory next to the cache; the system's
# apt configuration is not changed.
#
#   --print-prefix  print the directory (building it first if needed)
#   --check         exit 0 if the directory for today's versions exists
#   --force         rebuild even if it exists
#   --derive-deb-src ETC_APT OUT_DIR
#                   only write the deb-src entries derived from ETC_APT's
#                   sources into OUT_DIR (for tests)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"

mode=print
case "${1:-}" in
  --print-prefix | "") mode=print ;;
  --check) mode=check ;;
  --force) mode=force ;;
  --derive-deb-src)
    mode=derive
    derive_from=${2:?--derive-deb-src ETC_APT OUT_DIR}
    derive_to=${3:?--derive-deb-src ETC_APT OUT_DIR}
    ;;
  -h | --help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
  *) echo "agent-deps.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

say() { echo "agent-deps: $*" >&2; }

# derive_deb_src ETC_APT OUT_DIR: deb-src twins of the deb sources under
# ETC_APT (sources.list, sources.list.d/*.list and *.sources) into OUT_DIR;
# fails when there is none. deb822: one stanza per paragraph; those whose
# Types has "deb" (and that are not Enabled: no) become deb-src, everything
# else (URIs, Suites, Components, Signed-By …) stays as is. One-line form:
# each "deb" line becomes "deb-src", options included.
derive_deb_src() {
  local etc=$1 out=$2 f dest found=0
  for f in "$etc"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    dest="$out/derived-$(basename "$f")"
    awk 'BEGIN { RS = ""; ORS = "\n" }
         {
           n = split($0, line, "\n"); keep = 0; off = 0; out = ""
           for (i = 1; i <= n; i++) {
             l = tolower(line[i])
             if (l ~ /^types:/) {
               if (l ~ /[: \t]deb([ \t]|$)/) keep = 1
               line[i] = "Types: deb-src"
             }
             if (l ~ /^enabled:[ \t]*no/) off = 1
             out = out line[i] "\n"
           }
           if (keep && !off) print out
         }' "$f" >"$dest"
    [ -s "$dest" ] && found=1
  done
  for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    dest="$out/derived-$(basename "$f")"
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$dest"
    [ -s "$dest" ] && found=1
  done
  [ "$found" -eq 1 ]
}

if [ "$mode" = derive ]; then
  derive_deb_src "$derive_from" "$derive_to" || {
    say "no 'deb' entry in $derive_from/sources.list{,.d} to derive deb-src entries from"
    exit 1
  }
  exit 0
fi

# What is built from what: the source package of each installed -dev
# package, at the installed version.
src_version() {
  dpkg-query -W -f='${source:Version}' "$1" 2>/dev/null || true
}
need_dev="libcurl4-openssl-dev libssl-dev libcjson-dev"
curl_v=$(src_version libcurl4-openssl-dev)
ssl_v=$(src_version libssl-dev)
cjson_v=$(src_version libcjson-dev)

# One cache for every user of the machine: root builds it, anyone reads it.
cache=${VAULTLET_AGENT_DEPS:-/var/cache/vaultlet/agent-deps}

# The key: the three source versions, this recipe, the compiler.
key_of() {
  {
    echo "curl $curl_v"
    echo "openssl $ssl_v"
    echo "cjson $cjson_v"
    gcc --version 2>/dev/null | head -1
    uname -m
    cat "$self"
  } | sha256sum | cut -c1-12
}

prefix_now() {
  echo "$cache/curl-${curl_v}_openssl-${ssl_v}_cjson-${cjson_v}_$(key_of)"
}

if [ -n "$curl_v" ] && [ -n "$ssl_v" ] && [ -n "$cjson_v" ]; then
  prefix=$(prefix_now)
  if [ "$mode" != force ] && [ -f "$prefix/versions.txt" ]; then
    [ "$mode" = print ] && echo "$prefix"
    exit 0
  fi
fi
[ "$mode" = check ] && exit 1

if [ "$(id -u)" -ne 0 ]; then
  say "the static agent's libraries (libcurl, OpenSSL, cJSON from Debian's"
  say "source packages) are not built yet for the installed package versions."
  say "Build them once (a few minutes; needs root for apt-get), then run meson again:"
  say "  sudo $self"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# build tools, the -dev packages whose versions we follow, and dpkg-source
missing=""
for p in build-essential dpkg-dev pkg-config $need_dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing:$missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  curl_v=$(src_version libcurl4-openssl-dev)
  ssl_v=$(src_version libssl-dev)
  cjson_v=$(src_version libcjson-dev)
fi
prefix=$(prefix_now)

# A private apt directory with deb-src twins of the system's deb sources.
apt_dir="$cache/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/archives/partial"
rm -f "$apt_dir/sources.list.d/"*
if ! derive_deb_src /etc/apt "$apt_dir/sources.list.d"; then
  say "no 'deb' entry in /etc/apt/sources.list{,.d} to derive deb-src entries from"
  exit 1
fi
apt_opts=(-o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache::Archives=$apt_dir/archives"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none")

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
fail() {
  say "$1 (log: $cache/last-failure.log)"
  cp "$log" "$cache/last-failure.log" 2>/dev/null || true
  tail -20 "$log" >&2 || true
  exit 1
}
start=$(date +%s)
say "building libcurl $curl_v, cJSON $cjson_v (Debian sources), OpenSSL $ssl_v (libssl-dev) into $prefix"
say "apt-get update (deb-src entries derived from the system's sources)"
apt-get "${apt_opts[@]}" update -qq >>"$log" 2>&1 || fail "apt-get update failed"
cd "$work"
for sp in "curl=$curl_v" "cjson=$cjson_v"; do
  apt-get "${apt_opts[@]}" source -qq "$sp" >>"$log" 2>&1 ||
    fail "apt-get source $sp failed: is that version still in the archive? (apt-get update && apt-get install --only-upgrade $need_dev)"
done
curl_src=$(find "$work" -maxdepth 1 -type d -name 'curl-*' | head -1)
cjson_src=$(find "$work" -maxdepth 1 -type d -name 'cjson-*' | head -1)
[ -n "$curl_src" ] && [ -n "$cjson_src" ] || fail "apt-get source did not unpack curl and cjson"

stage="$work/prefix"
mkdir -p "$stage/lib" "$stage/include"
cflags="-O2 -g0 -fPIC -ffunction-sections -fdata-sections -fstack-protector-strong"
cppflags="-D_FORTIFY_SOURCE=2"
jobs=$(nproc 2>/dev/null || echo 2)

say "configure + make libcurl (only lib/)"
(
  cd "$curl_src"
  # Debian's source is already autoreconf'ed; a patched configure.ac is not
  # used by the tarball's configure unless regenerated.
  if [ ! -x configure ]; then autoreconf -fi; fi
  CFLAGS="$cflags" CPPFLAGS="$cppflags" ./configure \
    --prefix="$stage" --disable-shared --enable-static --with-pic \
    --with-openssl --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path \
    --without-ca-fallback --disable-openssl-auto-load-config \
    --enable-http --enable-proxy --enable-threaded-resolver --enable-ipv6 \
    --disable-ntlm --disable-ntlm-wb \
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
    --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-websockets \
    --disable-manual --disable-cookies --disable-alt-svc --disable-hsts \
    --disable-doh --disable-mime --disable-netrc --disable-progress-meter \
    --disable-dnsshuffle --disable-get-easy-options --disable-headers-api \
    --disable-unix-sockets --disable-tls-srp \
    --disable-versioned-symbols --disable-verbose --disable-sspi --disable-crypto-auth \
    --without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2 \
    --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche \
    --without-librtmp --without-libssh --without-libssh2 --without-libgsasl \
    --without-gssapi --without-hyper --without-msh3
  make -j"$jobs" -C lib
  make -C lib install
  make -C include install
) >>"$log" 2>&1 || fail "building libcurl failed"

say "compile cJSON"
(
  cd "$cjson_src"
  # shellcheck disable=SC2086
  gcc $cflags $cppflags -std=c89 -c cJSON.c -o "$work/cJSON.o"
  ar rcs "$stage/lib/libcjson.a" "$work/cJSON.o"
  mkdir -p "$stage/include/cjson"
  cp cJSON.h "$stage/include/cjson/"
) >>"$log" 2>&1 || fail "building cJSON failed"

say "copy OpenSSL's static libraries and headers from libssl-dev"
triplet=$(gcc -print-multiarch 2>/dev/null || true)
libdir=/usr/lib/$triplet
[ -f "$libdir/libssl.a" ] && [ -f "$libdir/libcrypto.a" ] || fail "$libdir/libssl.a not found (libssl-dev)"
cp "$libdir/libssl.a" "$libdir/libcrypto.a" "$stage/lib/"
mkdir -p "$stage/include/openssl"
cp /usr/include/openssl/*.h "$stage/include/openssl/"
if [ -d "/usr/include/$triplet/openssl" ]; then
  cp "/usr/include/$triplet/openssl/"*.h "$stage/include/openssl/"
fi

# What is inside, for --version, docs and scanners.
curl_upstream=$(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"/\1/p' "$stage/include/curl/curlver.h")
cjson_upstream=$(awk '/define CJSON_VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v == "" ? "" : ".") $3} END {print v}' \
  "$stage/include/cjson/cJSON.h")
{
  echo "curl $curl_v $curl_upstream"
  echo "openssl $ssl_v"
  echo "cjson $cjson_v $cjson_upstream"
  echo "key $(key_of)"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - start)) s"
} >"$stage/versions.txt"
cp "$log" "$stage/build.log"

rm -rf "$prefix"
mv "$stage" "$prefix"
say "done in $(($(date +%s) - start)) s: $prefix"
echo "$prefix"
