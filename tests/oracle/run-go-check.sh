#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a Go check program with a private, writable Go cache (CI runs as root
# with no $HOME guarantees) and no module downloads. tdata.go (the data-file
# tokenizer) is compiled in with every program; `go run` wants the files of
# one program in one directory, so both are copied to a scratch directory.
set -eu
prog=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
cache=${VAULTLET_BUILD_ROOT:-/tmp}/go-cache
mkdir -p "$cache"
export GOCACHE="$cache" GOPATH="$cache/gopath" GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
work=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$prog" "$here/tdata.go" "$work/"
status=0
go run "$work/$(basename "$prog")" "$work/tdata.go" "$@" || status=$?
exit $status
