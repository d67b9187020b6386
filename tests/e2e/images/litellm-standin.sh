#!/bin/sh
# SPDX-License-Identifier: MIT
# Stand-in for the `litellm` command of the LiteLLM image, which cannot run
# here. The pod's real command line is kept:
#   . /vault/secrets/app-credentials.sh && exec litellm --config FILE --port N
# so this proves the rendered file was sourced by a POSIX shell. It reports
# which of the variables LiteLLM reads are set, as SHA-256 digests (never the
# values), checks the config file, logs into the database with DATABASE_URL,
# then serves until SIGTERM like a server.
set -u
config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    *) shift ;;
  esac
done
for v in PROXY_MASTER_KEY OPENROUTER_API_KEY DATABASE_URL; do
  eval "val=\${$v-}"
  if [ -n "$val" ]; then
    printf 'litellm-standin: %s sha256=%s\n' "$v" "$(printf %s "$val" | sha256sum | cut -d' ' -f1)"
  else
    printf 'litellm-standin: %s missing\n' "$v"
  fi
done
if [ -r "$config" ]; then
  printf 'litellm-standin: config %s sha256=%s\n' "$config" "$(sha256sum < "$config" | cut -d' ' -f1)"
else
  printf 'litellm-standin: config %s unreadable\n' "$config"
fi
# LiteLLM connects to its database with DATABASE_URL at start: so does this,
# with psql (the error, if any, never holds the password)
if [ -n "${DATABASE_URL-}" ]; then
  if out=$(PGCONNECT_TIMEOUT=5 psql "$DATABASE_URL" -X -A -t -c 'select 1' 2>&1) && [ "$out" = 1 ]; then
    echo "litellm-standin: database: logged in with DATABASE_URL (select 1 = 1)"
  else
    printf 'litellm-standin: database: login failed: %s\n' "$(printf %s "$out" | head -n 1)"
  fi
fi
echo "litellm-standin: listening"
trap 'echo "litellm-standin: shutting down"; exit 0' TERM INT
while :; do sleep 1; done
