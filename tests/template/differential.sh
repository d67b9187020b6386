#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test: renders generated templates with Go's text/template
# (tests/template/oracle.go) and with vaultlet (diffdrv), compares the
# bytes. TAP on stdout.
#
# usage: differential.sh DIFFDRV [SEED] [COUNT] [MODE]
#   defaults: seed 20261127, 5000 cases; VAULTLET_TEST_LONG=1: 50000 cases.
#   MODE "regex": only regexMatch/regexReplaceAll calls on generated RE2
#   patterns and inputs (gen-cases.py, VAULTLET_DIFF_MODE). MODE "sprig": one
#   call of sprig's list/dict/encoding helpers per case.
#   Every differing case is printed as a reproducer (template, options,
#   secrets, both results, first differing byte). To get a minimal one:
#   run with VAULTLET_DIFF_KEEP=DIR, then
#   tests/template/shrink.py DIFFDRV DIR/cases.jsonl CASE_ID
set -eu
here=$(cd "$(dirname "$0")" && pwd)
drv=$1
seed=${2:-20261127}
count=${3:-5000}
if [ -n "${4:-}" ]; then
  VAULTLET_DIFF_MODE=$4
  export VAULTLET_DIFF_MODE
fi
if [ "${VAULTLET_DIFF_MODE:-}" = sprig ]; then
  # these functions are implemented: refusing them is a failure, not agreement
  VAULTLET_DIFF_MAX_REFUSED_PCT=${VAULTLET_DIFF_MAX_REFUSED_PCT:-10}
  export VAULTLET_DIFF_MAX_REFUSED_PCT
fi
if [ "${VAULTLET_TEST_LONG:-0}" = 1 ] && [ -z "${3:-}" ]; then
  count=50000
fi
if ! command -v go >/dev/null 2>&1; then
  echo "1..0 # SKIP go is not installed"
  exit 0
fi
for d in /usr/share/gocode/src/gopkg.in/yaml.v2 /usr/share/gocode/src/golang.org/x/text/cases; do
  if [ ! -d "$d" ]; then
    echo "1..0 # SKIP $d missing (golang-gopkg-yaml.v2-dev, golang-golang-x-text-dev)"
    exit 0
  fi
done
for d in /usr/share/gocode/src/github.com/BurntSushi/toml /usr/share/gocode/src/github.com/imdario/mergo; do
  if [ ! -d "$d" ]; then
    echo "1..0 # SKIP $d missing (scripts/lib/packages-test.txt)"
    exit 0
  fi
done
dir=${VAULTLET_DIFF_KEEP:-$(mktemp -d)}
mkdir -p "$dir"
trap '[ -n "${VAULTLET_DIFF_KEEP:-}" ] || rm -rf "$dir"' EXIT
/usr/bin/python3 "$here/gen-cases.py" "$seed" "$count" > "$dir/cases.jsonl"
"$here/run-oracle.sh" < "$dir/cases.jsonl" > "$dir/results.jsonl"
echo "# seed $seed, $count cases (cases and Go results in $dir)"
exec "$drv" "$dir/cases.jsonl" "$dir/results.jsonl" 250
