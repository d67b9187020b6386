#!/bin/sh
# SPDX-License-Identifier: MIT
# Fuzzes the template parser and evaluator with libFuzzer + ASan + UBSan.
#
# usage: tests/template/fuzz.sh [SECONDS] [WORKDIR]
#   SECONDS  how long to fuzz (default 600); the seed corpus is the 50
#            reference vectors' templates and tests/data/template/fuzz-corpus,
#            kept in WORKDIR/corpus.
#            "build" only builds the fuzzer and runs the seed corpus once
#            (the test suite does that, tests/lint/fuzzers-build.sh, so a
#            fuzzer that no longer links is caught).
# The sources are every .c of common/ and agent/template/, globbed: a new
# file there cannot be forgotten.
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev or
# libfuzzer-14-dev), libcjson-dev, libssl-dev. Exits non-zero on a finding
# (crash, hang > 10 s, leak, sanitizer report); the reproducer is in WORKDIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-600}
work=${2:-${VAULTLET_BUILD_ROOT:-$root/build}/fuzz-template}
mkdir -p "$work/corpus"
cc=${CC_FUZZ:-clang}
if [ ! -f "$work/vaultlet-config.h" ]; then
  echo '#define VAULTLET_VERSION "fuzz"' > "$work/vaultlet-config.h"
fi
bin=$work/fuzz-template
# -iquote for agent/: its sched.h must not stand in for <sched.h> (pthread.h)
# shellcheck disable=SC2046
$cc -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all \
  -I"$root/common" -iquote "$root/agent" -I"$work" $(pkg-config --cflags libcjson) \
  "$here/fuzz-template.c" "$root"/common/*.c "$root"/agent/template/*.c \
  $(pkg-config --libs libcjson) -lcrypto -lm -lpthread -o "$bin"
# seed corpus: option byte 0 + each vector's template
/usr/bin/python3 - "$root/tests/data/template/vectors.json" "$work/corpus" <<'PY'
import json, sys, os
for v in json.load(open(sys.argv[1])):
    with open(os.path.join(sys.argv[2], "seed-" + v["id"]), "wb") as f:
        f.write(b"\0" + v["template"].encode())
PY
# plus the checked-in corpus (seeds for the newer functions, tests/data/template/fuzz-corpus)
cp "$root"/tests/data/template/fuzz-corpus/* "$work/corpus/"
cd "$work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$secs" = build ]; then
  exec "$bin" -runs=0 corpus
fi
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 corpus
