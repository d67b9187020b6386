#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs tests/template/oracle.go (Go's text/template + consul-template's
# helpers) offline: private Go cache, GOPATH on Debian's /usr/share/gocode
# (golang-gopkg-yaml.v2-dev, golang-golang-x-text-dev), no module downloads.
# The compiled oracle is cached in the build directory.
# usage: run-oracle.sh < cases.jsonl > results.jsonl
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${VAULTLET_BUILD_ROOT:-/tmp}/go-cache
mkdir -p "$cache"
export GOCACHE="$cache" GOPATH="/usr/share/gocode" GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
bin=$cache/vaultlet-template-oracle
if [ ! -x "$bin" ] || [ "$here/oracle.go" -nt "$bin" ]; then
  go build -o "$bin.tmp.$$" "$here/oracle.go"
  mv "$bin.tmp.$$" "$bin"
fi
exec "$bin"
