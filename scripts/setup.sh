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
if ! airflow db check-migrations -t 0 >/dev/null 2>&1; then
  echo "[setup] migrating Airflow's metadata database"
  airflow db migrate >"$SELLERFLOW_HOME/logs/airflow-db-migrate.log" 2>&1 \
    || { tail -20 "$SELLERFLOW_HOME/logs/airflow-db-migrate.log"; exit 1; }
fi
python -m sellerflow.warehouse migrate
echo "[setup] dbt parse (renders the transform DAG's manifest)"
(cd dbt && dbt parse --quiet)
