#!/bin/sh
# SPDX-License-Identifier: MIT
# Fuzzes the template parser and evaluator with libFuzzer + ASan + UBSan.
#
# usage: tests/template/fuzz.sh [SECONDS] [WORKDIR]
#   SECONDS  how long to fuzz (default 600); the seed corpus is the 50
#            reference vectors' templates, kept in WORKDIR/corpus.
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
if [ ! -f "$root/build/vaultlet-config.h" ] && [ ! -f "$work/vaultlet-config.h" ]; then
  echo '#define VAULTLET_VERSION "fuzz"' > "$work/vaultlet-config.h"
fi
bin=$work/fuzz-template
# shellcheck disable=SC2046
$cc -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all \
  -I"$root/common" -I"$root/agent" -I"$work" $(pkg-config --cflags libcjson) \
  "$here/fuzz-template.c" \
  "$root/common/tmpl.c" "$root/common/tmplutf.c" "$root/common/tmplutf_tables.c" \
  "$root/common/buf.c" "$root/common/b64.c" "$root/common/arena.c" \
  "$root/agent/template/gofmt.c" "$root/agent/template/gojson.c" \
  "$root/agent/template/gostr.c" "$root/agent/template/gotab.c" \
  "$root/agent/template/gotab_tables.c" "$root/agent/template/goyaml.c" \
  "$root/agent/template/gval.c" "$root/agent/template/render.c" \
  "$root/agent/template/vjson.c" "$root/common/goparse.c" \
  "$root/agent/template/goregex.c" "$root/agent/template/gofold_tables.c" \
  "$root"/agent/template/rf_*.c "$root/agent/template/vwrite.c" \
  $(pkg-config --libs libcjson) -lcrypto -lm -o "$bin"
# seed corpus: option byte 0 + each vector's template
/usr/bin/python3 - "$root/tests/data/template/vectors.json" "$work/corpus" <<'PY'
import json, sys, os
for v in json.load(open(sys.argv[1])):
    with open(os.path.join(sys.argv[2], "seed-" + v["id"]), "wb") as f:
        f.write(b"\0" + v["template"].encode())
PY
cd "$work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 corpus
