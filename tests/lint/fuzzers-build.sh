#!/bin/sh
# SPDX-License-Identifier: MIT
# Every fuzzer (tests/*/fuzz.sh) builds with libFuzzer + ASan + UBSan and runs
# its seed corpus once ("fuzz.sh build WORKDIR"), so a fuzzer whose source
# list has gone stale fails the suite instead of the next person who fuzzes.
# One TAP line per fuzzer; the whole test is skipped where clang cannot link
# libFuzzer (scripts/test installs it).
# usage: fuzzers-build.sh SOURCE_ROOT WORK_ROOT
set -u
root=$1
work=$2
cd "$root" || exit 1
mkdir -p "$work"
probe="$work/probe"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  > "$probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >/dev/null 2>&1; then
  echo "1..0 # SKIP clang cannot link libFuzzer here (install clang and its runtime)"
  exit 0
fi
fuzzers=$(ls tests/*/fuzz.sh)
n=$(printf '%s\n' "$fuzzers" | grep -c .)
echo "1..$n"
i=0
status=0
for f in $fuzzers; do
  i=$((i + 1))
  name=$(basename "$(dirname "$f")")
  log="$work/$name.log"
  if sh "$f" build "$work/$name" >"$log" 2>&1; then
    echo "ok $i - $f builds and runs its seed corpus"
  else
    echo "not ok $i - $f builds and runs its seed corpus"
    tail -n 30 "$log" | sed 's/^/# /'
    status=1
  fi
done
exit $status
