#!/bin/sh
# SPDX-License-Identifier: MIT
# The usual shell way to do the init container's job: curl + jq + sed.
# Logs in with the service-account JWT, reads the KV v2 secret, and renders
# the two LiteLLM files from placeholder templates. Used only by bench.py.
#   shell-way.sh ADDRESS CA_CERT JWT_FILE OUT_DIR
set -eu
addr=$1 ca=$2 jwtfile=$3 out=$4
jwt=$(cat "$jwtfile")
token=$(curl -sS --fail --cacert "$ca" -H 'X-Vault-Request: true' -X POST \
  -d "{\"jwt\":\"$jwt\",\"role\":\"litellm-role\"}" \
  "$addr/v1/auth/kubernetes/login" | jq -r .auth.client_token)
data=$(curl -sS --fail --cacert "$ca" -H 'X-Vault-Request: true' -H "X-Vault-Token: $token" \
  "$addr/v1/secret/data/litellm/secrets")
mk=$(printf '%s' "$data" | jq -r .data.data.master_key)
ork=$(printf '%s' "$data" | jq -r .data.data.openrouter_api_key)
db=$(printf '%s' "$data" | jq -r .data.data.db_password)
mkj=$(printf '%s' "$data" | jq .data.data.master_key)
orkj=$(printf '%s' "$data" | jq .data.data.openrouter_api_key)
mkdir -p "$out"
sed -e "s|@MK@|$mk|" -e "s|@ORK@|$ork|" -e "s|@DB@|$db|" > "$out/app-credentials.sh.tmp" <<'T'
#!/bin/sh
export PROXY_MASTER_KEY="@MK@"
export OPENROUTER_API_KEY="@ORK@"
export DATABASE_URL="postgresql://llmproxy:@DB@@host.docker.internal:5432/litellm"
T
mv "$out/app-credentials.sh.tmp" "$out/app-credentials.sh"
sed -e "s|@MK@|$mkj|" -e "s|@ORK@|$orkj|" > "$out/config.yaml.tmp" <<'T'
general_settings:
  master_key: @MK@
model_list:
  - model_name: openai-gpt-4
    litellm_params:
      model: openrouter/openai/gpt-4
      api_base: https://openrouter.ai/api/v1
      api_key: @ORK@
T
mv "$out/config.yaml.tmp" "$out/config.yaml"
