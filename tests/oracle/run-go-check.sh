#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a Go check program with a private, writable Go cache (CI runs as root
# with no $HOME guarantees) and no module downloads.
set -eu
prog=$1
shift
cache=${VAULTLET_BUILD_ROOT:-/tmp}/go-cache
mkdir -p "$cache"
export GOCACHE="$cache" GOPATH="$cache/gopath" GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
exec go run "$prog" "$@"
