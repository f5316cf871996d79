#!/usr/bin/env bash
# Stop only what sellerflow started: services recorded in .sellerflow/run/*.pid and the private Postgres cluster.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${SELLERFLOW_STATE_DIR:-$ROOT/.sellerflow}
for pidfile in "$STATE"/run/*.pid; do
  [ -e "$pidfile" ] || continue
  "$ROOT/scripts/service.sh" stop "$(basename "$pidfile" .pid)"
done
if [ -f "$STATE/pg.cluster" ]; then
  # shellcheck disable=SC1091
  . "$STATE/pg.cluster"
  as=(); [ "$PG_RUN_AS_POSTGRES" != 0 ] && as=(runuser -u postgres --)
  if "${as[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    "${as[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null && echo "[postgres] private cluster stopped"
  fi
fi
