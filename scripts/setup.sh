#!/usr/bin/env bash
# Everything `make demo` needs before it starts: venv, Postgres, .sellerflow/env, this installation's own two
# databases (created and marked, or verified to be ours), the Fernet key, both migrations and dbt's manifest.
#   scripts/setup.sh            the full setup (make setup, make demo)
#   scripts/setup.sh --prepare  venv, Postgres server and role, .sellerflow/env and dbt's manifest only: it
#                               creates, migrates and writes no database (make test: tests use throwaway ones)
# Idempotent and fast on a second run. It never drops, truncates or re-creates a database.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/bootstrap_venv.sh
scripts/ensure_postgres.sh
scripts/ensure_chromium.sh
scripts/write_env.sh
# shellcheck disable=SC1091
. "${SELLERFLOW_STATE_DIR:-$ROOT/.sellerflow}/env"
if [ "${1:-}" != --prepare ]; then
  python -m sellerflow.installation claim
  python -m sellerflow.installation fernet-key
  if ! airflow db check-migrations -t 0 >/dev/null 2>&1; then
    echo "[setup] migrating Airflow's metadata database $SELLERFLOW_AIRFLOW_DB"
    airflow db migrate >"$SELLERFLOW_HOME/logs/airflow-db-migrate.log" 2>&1 \
      || { tail -20 "$SELLERFLOW_HOME/logs/airflow-db-migrate.log"; exit 1; }
  fi
  python -m sellerflow.warehouse migrate
fi
echo "[setup] dbt parse (renders the transform DAG's manifest)"
(cd dbt && dbt parse --quiet)
