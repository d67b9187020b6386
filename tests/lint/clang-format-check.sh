#!/bin/sh
# SPDX-License-Identifier: MIT
# Formatting is mechanical (.clang-format): a C file that clang-format would
# change is a failure. One TAP line per file; fix with `clang-format -i FILE`.
set -u
root=$1
cf=$2
cd "$root" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
n=$(printf '%s\n' "$files" | grep -c .)
echo "1..$n"
i=0
status=0
for f in $files; do
  i=$((i + 1))
  if "$cf" --style=file "$f" | cmp -s - "$f"; then
    echo "ok $i - $f"
  else
    echo "not ok $i - $f is not clang-formatted (run: clang-format -i $f)"
    "$cf" --style=file "$f" | diff -u "$f" - | head -20 | sed 's/^/# /'
    status=1
  fi
done
exit $status
