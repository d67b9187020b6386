#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/webhook/fuzz.sh [SECONDS] [WORKDIR] — fuzz the webhook's review-to-patch
# path (webhook/fuzz/fuzz-review.c) with libFuzzer under ASan+UBSan for SECONDS
# (default 600), starting from the admission test cases (reviews, and their
# annotations as key/value pairs). Builds into WORKDIR (default
# build-fuzz-webhook/) with clang directly (no meson needed); crashes land in
# WORKDIR/crashes. SECONDS "build" only builds it and runs the seed corpus
# once (the test suite does, tests/lint/fuzzers-build.sh). The sources are
# globbed (common/*.c, and the webhook's core: every webhook/*.c but the
# server's), so a new file cannot be forgotten.
# Exit status: libFuzzer's (0 = nothing found).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-600}
out=${2:-build-fuzz-webhook}
mkdir -p "$out/corpus" "$out/crashes"

cat > "$out/vaultlet-config.h" <<CFG
#define VAULTLET_VERSION "fuzz"
CFG
common=$(ls common/*.c)
# the core: what webhook/meson.build puts in the static library (not main, server, tlsstore)
core=$(ls webhook/*.c | grep -v -e '/main\.c$' -e '/server\.c$' -e '/tlsstore\.c$')
clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all -I"$out" -Icommon -Iwebhook \
  webhook/fuzz/fuzz-review.c $core \
  $common -ljansson -lpthread -o "$out/fuzz-review"

# seed corpus: every admission case as a review (mode byte 0) and as annotations (mode byte 1)
/usr/bin/python3 - "$out/corpus" tests/data/admission <<'PY'
import json, os, sys
out, data = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(data)):
    if not f.endswith(".review.json"):
        continue
    raw = open(os.path.join(data, f), "rb").read()
    open(os.path.join(out, f + ".0"), "wb").write(b"\0" + raw)
    try:
        ann = json.loads(raw)["request"]["object"]["metadata"]["annotations"]
    except Exception:
        continue
    pairs = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in (ann or {}).items()
                     if isinstance(v, str))
    open(os.path.join(out, f + ".1"), "wb").write(b"\1" + pairs)
PY

# a dictionary of the annotation names and JSON fragments the parser looks for
dict="$out/annotations.dict"
{
  sed -n 's/.*"\(vault\.hashicorp\.com\/[a-z-]*\)".*/"\1"/p' webhook/*.c | sort -u
  for w in agent-inject agent-inject-secret- agent-inject-template- agent-inject-file- \
           agent-inject-perms- secret-volume-path- preserve-secret-case- auth-config- \
           agent-telemetry- true false '{{' '}}' '..' '/' '"request"' '"object"' \
           '"annotations"' '"volumeMounts"' '"containers"' '"initContainers"' '"volumes"' \
           '"projected"' '"serviceAccountToken"' '"securityContext"' '"runAsUser"'; do
    printf '"%s"\n' "$(printf '%s' "$w" | sed 's/"/\\"/g')"
  done
} > "$dict"

if [ "$secs" = build ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    exec "$out/fuzz-review" -runs=0 -max_len=65536 "$out/corpus"
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$out/fuzz-review" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict="$dict" -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus"
