#!/bin/sh
# SPDX-License-Identifier: MIT
#
# examples/litellm/init-vault-secrets.sh — configure Vault for the LiteLLM
# deployment from .env, through Vault's HTTP API with curl:
#
#   KV v2 at secret/                 mounted only if missing
#   secret/litellm/secrets           master_key, openrouter_api_key, db_password
#                                    (LITELLM_MASTER_KEY, OPENROUTER_API_KEY,
#                                    POSTGRES_PASSWORD of .env)
#   policy litellm-policy            read on secret/data/litellm/*
#   Kubernetes auth                  enabled if missing; kubernetes_host set
#   role litellm-role                service account litellm in namespace
#                                    litellm, policy litellm-policy, TTL 24h
#
# Idempotent: run it again after editing .env; only the secret changes (a new
# version). Exits 1 with a one-line reason when a call fails. Never prints a
# secret: values and the token travel in files, not on command lines.
#
# Environment:
#   ENV_FILE         the .env to read (default ./.env, see generate-env.sh)
#   VAULT_ADDR       Vault's address. Unset: `kubectl port-forward svc/vault`
#                    in namespace VAULT_NAMESPACE (default litellm) to local
#                    port VAULT_LOCAL_PORT (default 8200), for the dev Vault
#                    of vault-values.yaml
#   VAULT_TOKEN      a token allowed to do the above. Unset: root, the dev
#                    root token of vault-values.yaml
#   VAULT_CACERT     CA file for an https VAULT_ADDR
#   KUBERNETES_HOST  the API server as Vault reaches it for TokenReview
#                    (default https://kubernetes.default.svc:443: right when
#                    Vault runs in the cluster)
set -u

me=init-vault-secrets.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }
case "${1:-}" in
  -h|--help) sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "$me: takes no arguments (try --help)" >&2; exit 2 ;;
esac
command -v curl >/dev/null 2>&1 || die "curl is not installed (apt-get install curl)"

env_file=${ENV_FILE:-.env}
ns=${VAULT_NAMESPACE:-litellm}
k8s_host=${KUBERNETES_HOST:-https://kubernetes.default.svc:443}
cacert=${VAULT_CACERT:-}

# -- .env: KEY=VALUE lines (optionally `export` and quotes); not sourced
[ -r "$env_file" ] || die "cannot read $env_file: run ./generate-env.sh first (or set ENV_FILE)"
pg="" mk="" ork=""
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  line=${line#export }
  key=${line%%=*}
  val=${line#*=}
  case "$val" in
    \"*\") val=${val#\"}; val=${val%\"} ;;
    \'*\') val=${val#\'}; val=${val%\'} ;;
  esac
  case "$key" in
    POSTGRES_PASSWORD) pg=$val ;;
    LITELLM_MASTER_KEY) mk=$val ;;
    OPENROUTER_API_KEY) ork=$val ;;
  esac
done <"$env_file"
for v in POSTGRES_PASSWORD:"$pg" LITELLM_MASTER_KEY:"$mk" OPENROUTER_API_KEY:"$ork"; do
  name=${v%%:*}
  value=${v#*:}
  [ -n "$value" ] || die "$env_file has no $name: run ./generate-env.sh (or add it)"
  case "$value" in
    *[![:print:]]*) die "$name in $env_file holds a control character: fix the line" ;;
  esac
done

tmp=$(mktemp -d) || die "cannot make a temporary directory"
chmod 700 "$tmp"
pf=""
cleanup() {
  [ -n "$pf" ] && kill "$pf" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# -- where Vault is
if [ -z "${VAULT_ADDR:-}" ]; then
  command -v kubectl >/dev/null 2>&1 ||
    die "VAULT_ADDR is not set and kubectl is not installed: set VAULT_ADDR and VAULT_TOKEN"
  port=${VAULT_LOCAL_PORT:-8200}
  kubectl -n "$ns" port-forward svc/vault "$port:8200" >"$tmp/port-forward.log" 2>&1 &
  pf=$!
  VAULT_ADDR=http://127.0.0.1:$port
  tries=0
  until curl -s -o /dev/null --max-time 2 "$VAULT_ADDR/v1/sys/health"; do
    kill -0 "$pf" 2>/dev/null ||
      die "kubectl -n $ns port-forward svc/vault $port:8200 failed: $(tail -n 1 "$tmp/port-forward.log")"
    tries=$((tries + 1))
    [ "$tries" -lt 40 ] || die "kubectl -n $ns port-forward svc/vault $port:8200 did not answer within 20s"
    sleep 0.5
  done
  echo "Vault: port-forwarded svc/vault in namespace $ns to $VAULT_ADDR"
fi
VAULT_ADDR=${VAULT_ADDR%/}
token=${VAULT_TOKEN:-root}
# the token goes to curl in a header file, never on its command line
printf 'X-Vault-Token: %s\n' "$token" >"$tmp/header"

# call METHOD PATH [JSON_FILE]: sets $code; the body is in $tmp/resp
call() {
  set -- "$1" "$2" "${3:-}" -sS -o "$tmp/resp" -w '%{http_code}' -X "$1" -H @"$tmp/header" \
    --max-time 30 --max-filesize 1048576
  [ -n "$cacert" ] && set -- "$@" --cacert "$cacert"
  [ -n "$3" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary @"$3"
  url=$VAULT_ADDR/v1/$2
  shift 3
  code=$(curl "$@" "$url" 2>"$tmp/curl-err") ||
    die "cannot reach Vault at $VAULT_ADDR: $(head -n 1 "$tmp/curl-err")"
}
# Vault's own error messages, on one line ("1 error occurred:\n\t* permission
# denied\n\n" becomes "permission denied")
vault_errors() {
  tr -d '\n' <"$tmp/resp" | sed -n 's/.*"errors":\[\(.*\)\].*/\1/p' |
    sed -e 's/\\[nt]/ /g' -e 's/"//g' -e 's/[0-9][0-9]* errors* occurred: *//' \
      -e 's/\* //g' -e 's/  */ /g' -e 's/ *$//' | cut -c1-200
}
# expect STEP HINT CODE...: dies unless $code is one of CODE...
expect() {
  step=$1 hint=$2
  shift 2
  for c in "$@"; do [ "$code" = "$c" ] && return 0; done
  err=$(vault_errors)
  die "$step failed: HTTP $code${err:+ $err}${hint:+; $hint}"
}
# JSON string contents of $1 (backslash and double quote escaped), via stdin
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
compact() { tr -d ' \n\t\r' <"$tmp/resp"; }

# -- the token
call GET auth/token/lookup-self
case "$code" in
  200) ;;
  403|401) die "Vault refused the token (HTTP $code on auth/token/lookup-self): set VAULT_TOKEN to a valid token (dev mode: devRootToken in vault-values.yaml)" ;;
  *) expect "checking the token" "is Vault unsealed and reachable at $VAULT_ADDR?" 200 ;;
esac
case "$ork" in
  *replace-with-your*) printf "%s: warning: OPENROUTER_API_KEY in %s is still the placeholder: LiteLLM starts, but OpenRouter will refuse its calls (edit it and run this again)\n" "$me" "$env_file" >&2 ;;
esac

# -- KV v2 at secret/
call GET sys/mounts/secret
if [ "$code" = 200 ]; then
  case "$(compact)" in
    *'"type":"kv"'*'"version":"2"'* | *'"version":"2"'*'"type":"kv"'*)
      echo "KV v2 at secret/: already mounted" ;;
    *) die "secret/ is mounted, but not as KV version 2: this example needs KV v2 at secret/ (use a Vault where secret/ is free or KV v2)" ;;
  esac
else
  expect "checking the mount secret/" "" 400
  echo '{"type":"kv","options":{"version":"2"}}' >"$tmp/body"
  call POST sys/mounts/secret "$tmp/body"
  expect "mounting KV v2 at secret/" "does the token allow sys/mounts?" 200 204
  echo "KV v2 at secret/: mounted"
fi

# -- the secret (umask: the body file is 0600)
old_umask=$(umask)
umask 077
{
  printf '{"data":{"master_key":"%s",' "$(json_str "$mk")"
  printf '"openrouter_api_key":"%s",' "$(json_str "$ork")"
  printf '"db_password":"%s"}}\n' "$(json_str "$pg")"
} >"$tmp/secret"
umask "$old_umask"
call POST secret/data/litellm/secrets "$tmp/secret"
rm -f "$tmp/secret"
expect "writing secret/litellm/secrets" "does the token allow secret/data/litellm/*?" 200 204
version=$(compact | sed -n 's/.*"version":\([0-9][0-9]*\).*/\1/p')
echo "secret/litellm/secrets: master_key, openrouter_api_key, db_password written${version:+ (version $version)}"

# -- the policy
cat >"$tmp/body" <<'JSON'
{"policy":"path \"secret/data/litellm/*\" {\n  capabilities = [\"read\"]\n}\n"}
JSON
call PUT sys/policies/acl/litellm-policy "$tmp/body"
expect "writing policy litellm-policy" "does the token allow sys/policies/acl?" 200 204
echo "policy litellm-policy: read on secret/data/litellm/*"

# -- Kubernetes auth
call GET sys/auth
expect "listing auth methods" "" 200
case "$(compact)" in
  *'"kubernetes/":{'*) echo "Kubernetes auth: already enabled" ;;
  *)
    echo '{"type":"kubernetes"}' >"$tmp/body"
    call POST sys/auth/kubernetes "$tmp/body"
    expect "enabling Kubernetes auth" "does the token allow sys/auth?" 200 204
    echo "Kubernetes auth: enabled"
    ;;
esac
printf '{"kubernetes_host":"%s"}\n' "$(json_str "$k8s_host")" >"$tmp/body"
call POST auth/kubernetes/config "$tmp/body"
expect "configuring Kubernetes auth" "" 200 204
echo "Kubernetes auth: kubernetes_host $k8s_host"
cat >"$tmp/body" <<'JSON'
{"bound_service_account_names":["litellm"],"bound_service_account_namespaces":["litellm"],"token_policies":["litellm-policy"],"token_ttl":"24h"}
JSON
call POST auth/kubernetes/role/litellm-role "$tmp/body"
expect "writing role litellm-role" "" 200 204
echo "role litellm-role: service account litellm in namespace litellm, policy litellm-policy, TTL 24h"
echo "Vault is ready for the LiteLLM deployment."
