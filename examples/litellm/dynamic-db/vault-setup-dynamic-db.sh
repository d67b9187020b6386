#!/bin/sh
# SPDX-License-Identifier: MIT
# Vault setup for litellm-values-dynamic-db.yaml, after the seed's
# init-vault-secrets.sh (KV v2 at secret/, Kubernetes auth, role
# litellm-role): the database secrets engine for LiteLLM's PostgreSQL and a
# policy that lets litellm-role read database/creds/litellm.
#
#   VAULT_ADDR, VAULT_TOKEN   as for the vault CLI
#   PGHOST, PGPORT            the PostgreSQL server as Vault reaches it
#                             (default postgres.litellm.svc, 5432)
#   PGADMIN, PGADMIN_PASSWORD a role allowed to CREATE ROLE and to GRANT
#                             litellm_app (read from the environment, never
#                             put on a command line)
#   DEFAULT_TTL, MAX_TTL      the credentials' lease (default 1h, 24h)
#
# Once, in the litellm database, as its owner: a group role that owns
# LiteLLM's tables, so that every dynamic user works on the same tables and
# can be dropped without orphaning them:
#   CREATE ROLE litellm_app NOLOGIN;
#   GRANT ALL ON SCHEMA public TO litellm_app;
#   ALTER DATABASE litellm OWNER TO litellm_app;
set -eu
: "${PGADMIN:?set PGADMIN}" "${PGADMIN_PASSWORD:?set PGADMIN_PASSWORD}"
PGHOST=${PGHOST:-postgres.litellm.svc}
PGPORT=${PGPORT:-5432}

vault secrets enable database 2>/dev/null || echo "database/ already enabled"

# The password travels in the request body (stdin), not in argv.
printf '{"plugin_name":"postgresql-database-plugin","connection_url":"postgresql://{{username}}:{{password}}@%s:%s/litellm","username":"%s","password":"%s","allowed_roles":"litellm"}' \
  "$PGHOST" "$PGPORT" "$PGADMIN" "$PGADMIN_PASSWORD" | vault write database/config/litellm -

# Each credential is a login role in litellm_app: objects it creates belong
# to litellm_app (SET ROLE), and revocation (the default statements) drops it.
vault write database/roles/litellm \
  db_name=litellm \
  default_ttl="${DEFAULT_TTL:-1h}" max_ttl="${MAX_TTL:-24h}" \
  creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE litellm_app; ALTER ROLE \"{{name}}\" SET role = 'litellm_app';"

vault policy write litellm-policy - <<'POLICY'
path "secret/data/litellm/*" {
  capabilities = ["read"]
}
path "database/creds/litellm" {
  capabilities = ["read"]
}
POLICY
echo "done: litellm-role can read database/creds/litellm (default_ttl ${DEFAULT_TTL:-1h}, max_ttl ${MAX_TTL:-24h})"
