#!/bin/sh
# SPDX-License-Identifier: MIT
# regexReplaceAll benchmark: goregex on 64 KiB .. 1 MiB values with
# backtracking-pathological patterns (linear time expected), then Go's
# regexp on the same cases if Go is installed.
#   bench/regex/run.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/common" -I"$root/agent" \
  "$root/bench/regex/bench.c" "$root/agent/template/goregex.c" \
  "$root/agent/template/gofold_tables.c" "$root/common/tmplutf.c" \
  "$root/common/tmplutf_tables.c" "$root/common/buf.c" "$root/common/arena.c" \
  -o "$out/bench"
echo "# $(cc --version | head -1), -O2; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
"$out/bench"
if command -v go >/dev/null 2>&1; then
  GOCACHE=${GOCACHE:-$out/gocache} GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local \
    go run "$root/bench/regex/gobench.go"
fi
