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
# consul-template's types live in package "dependency": give the oracle one
# under that name so Go prints *dependency.Secret as Vault Agent does.
gopath=$cache/oracle-gopath
mkdir -p "$gopath/src/dependency"
cp "$here/oracle-dependency/dependency.go" "$gopath/src/dependency/dependency.go"
# consul-template's Scratch, printed by Go as *template.Scratch
mkdir -p "$gopath/src/template"
cp "$here/oracle-scratch/scratch.go" "$gopath/src/template/scratch.go"
export GOCACHE="$cache" GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
bin=$cache/vaultlet-template-oracle
if [ ! -x "$bin" ] || [ "$here/oracle.go" -nt "$bin" ] ||
   [ "$here/oracle-dependency/dependency.go" -nt "$bin" ] ||
   [ "$here/oracle-scratch/scratch.go" -nt "$bin" ]; then
  go build -o "$bin.tmp.$$" "$here/oracle.go"
  mv "$bin.tmp.$$" "$bin"
fi
exec "$bin"
