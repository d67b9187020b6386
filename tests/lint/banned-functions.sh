#!/bin/sh
# SPDX-License-Identifier: MIT
# STYLE.md bans strcpy, strcat, sprintf, strtok, atoi and gets: each has a
# bounded or checked replacement. One TAP line per C file.
set -u
root=$1
cd "$root" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
n=$(printf '%s\n' "$files" | grep -c .)
echo "1..$n"
i=0
status=0
for f in $files; do
  i=$((i + 1))
  # strip // and /* */ comments and string literals crudely, then look for calls
  hits=$(sed -e 's://.*$::' -e 's:/\*.*\*/::g' -e 's/"[^"]*"//g' "$f" |
         grep -nE '(^|[^_a-zA-Z0-9])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\(' || true)
  if [ -n "$hits" ]; then
    echo "not ok $i - $f uses a banned function"
    printf '%s\n' "$hits" | sed 's/^/# /'
    status=1
  else
    echo "ok $i - $f"
  fi
done
exit $status
