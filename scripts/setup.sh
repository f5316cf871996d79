#!/usr/bin/env bash
# Everything `make demo` and `make test` need before they start: venv, Postgres, .sellerflow/env,
# Airflow metadata and warehouse migrations, and dbt's manifest. Idempotent and fast on a second run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/bootstrap_venv.sh
scripts/ensure_postgres.sh
scripts/write_env.sh
# shellcheck disable=SC1091
. .sellerflow/env
# Airflow encrypts connections and variables with the Fernet key in $AIRFLOW_HOME/airflow.cfg. A new
# AIRFLOW_HOME (first run, or .sellerflow/ deleted) cannot read a metadata database left by an earlier one,
# so that database — sellerflow's own — is recreated instead of failing later on every secret.
if [ ! -f "$AIRFLOW_HOME/airflow.cfg" ] && [ "$(psql "$SELLERFLOW_PG_ADMIN_DSN" -qAtc \
    "select count(*) from pg_database where datname = 'sellerflow_airflow'")" = 1 ] \
    && [ "$(psql "${SELLERFLOW_AIRFLOW_DB_URL/+psycopg2/}" -qAtc "select to_regclass('public.alembic_version') is not null")" = t ]; then
  echo "[setup] sellerflow_airflow belongs to an earlier AIRFLOW_HOME whose Fernet key is gone: recreating it"
  psql "$SELLERFLOW_PG_ADMIN_DSN" -qAt -v ON_ERROR_STOP=1 \
    -c "drop database sellerflow_airflow with (force)" -c "create database sellerflow_airflow owner sellerflow"
fi
if ! airflow db check-migrations -t 0 >/dev/null 2>&1; then
  echo "[setup] migrating Airflow's metadata database"
  airflow db migrate >"$SELLERFLOW_HOME/logs/airflow-db-migrate.log" 2>&1 \
    || { tail -20 "$SELLERFLOW_HOME/logs/airflow-db-migrate.log"; exit 1; }
fi
python -m sellerflow.warehouse migrate
echo "[setup] dbt parse (renders the transform DAG's manifest)"
(cd dbt && dbt parse --quiet)
