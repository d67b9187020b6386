#!/bin/sh
# SPDX-License-Identifier: MIT
# Template rendering benchmark (issue 3 targets: render <= 5 us, parse +
# render <= 20 us, medians). Builds bench.c with the release flags against
# the sources, runs it, then the same with Go's text/template if Go is
# installed, for comparison.
#   bench/template/run.sh [BUILD_DIR]     (default: build; must be configured)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/common" -I"$root/agent" -I"$build" \
  $(pkg-config --cflags libcjson) "$root/bench/template/bench.c" \
  "$root/common/tmpl.c" "$root/common/tmplutf.c" "$root/common/tmplutf_tables.c" \
  "$root/common/buf.c" "$root/common/b64.c" "$root/common/arena.c" "$root/common/goparse.c" \
  "$root"/agent/template/go*.c "$root/agent/template/gval.c" \
  "$root/agent/template/render.c" "$root/agent/template/vjson.c" \
  "$root/agent/template/vwrite.c" "$root/agent/template/podfn.c" "$root/common/afile.c" \
  $(ls "$root"/agent/template/rf_*.c 2>/dev/null) \
  $(pkg-config --libs libcjson) -lcrypto -lm -o "$out/bench"
echo "# $(cc --version | head -1), -O2; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
"$out/bench"
if command -v go >/dev/null 2>&1; then
  GOCACHE=${GOCACHE:-$out/gocache} GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local \
    go run "$root/bench/template/gobench.go"
fi
