#!/bin/sh
# SPDX-License-Identifier: MIT
#
# certs/make-certs.sh — make the webhook's TLS material with vaultlet-certgen
# and print the helm command that installs it.
#
#   certs/make-certs.sh [-n NAMESPACE] [-s SERVICE] [-o DIR] [-- CERTGEN FLAGS...]
#
# Defaults: namespace vaultlet, service vaultlet-webhook (the chart's Service
# for a release named "vaultlet"), directory ./vaultlet-certs. Extra flags go
# to vaultlet-certgen (e.g. -- -days 90 -force). vaultlet-certgen is taken
# from $VAULTLET_CERTGEN, else PATH, else this checkout's build/ directory.
set -eu

ns=vaultlet
svc=vaultlet-webhook
out=./vaultlet-certs
while [ $# -gt 0 ]; do
  case "$1" in
    -n) ns=$2; shift 2 ;;
    -s) svc=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) echo "make-certs.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

certgen=${VAULTLET_CERTGEN:-}
if [ -z "$certgen" ]; then
  if command -v vaultlet-certgen >/dev/null 2>&1; then
    certgen=vaultlet-certgen
  else
    certgen="$(dirname "$0")/../build/certs/vaultlet-certgen"
  fi
fi
if ! [ -x "$certgen" ] && ! command -v "$certgen" >/dev/null 2>&1; then
  echo "make-certs.sh: vaultlet-certgen not found (build it, or set VAULTLET_CERTGEN)" >&2
  exit 1
fi

"$certgen" -service "$svc" -namespace "$ns" -out-dir "$out" "$@"

cat <<NEXT

Next (the chart's tls.mode=secret mounts the pair as a Secret and sets the
webhook's caBundle; without this pair, the default tls.mode=auto makes one):

  helm install vaultlet charts/vaultlet -n $ns --create-namespace \\
    --set vaultAddress=https://vault.vault.svc:8200 --set tls.mode=secret \\
    --set-file tls.cert=$out/tls.crt --set-file tls.key=$out/tls.key \\
    --set-file tls.ca=$out/ca.crt

Keep $out/ca.key safe (or delete it): it signs certificates the API server trusts.
NEXT
