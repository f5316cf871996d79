#!/usr/bin/env bash
# Make sure a PostgreSQL server is reachable for sellerflow and write .sellerflow/pg.env.
#
# Choice, in order:
#   1. SELLERFLOW_PG_DSN (a superuser-ish DSN) or PGHOST/PGPORT/PGUSER[/PGPASSWORD] given -> use that server.
#   2. A server answers on 127.0.0.1:5432 and accepts user postgres -> use it.
#   3. Otherwise (or when SELLERFLOW_PRIVATE_PG=1) -> a private cluster under .sellerflow/ on a free port,
#      built with Debian's PostgreSQL binaries (apt-get installs them when missing). initdb and pg_ctl refuse
#      to run as root, so as root they run as the `postgres` user via runuser.
# Then the `sellerflow` role is created when missing. No database is created here: which databases belong to
# this installation is decided by `python -m sellerflow.installation claim` (scripts/setup.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${SELLERFLOW_STATE_DIR:-$ROOT/.sellerflow}
mkdir -p "$STATE"
APP_USER=sellerflow
APP_PASSWORD=sellerflow

say() { echo "[postgres] $*"; }
die() { echo "[postgres] ERROR: $*" >&2; exit 1; }

pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

ensure_client() {
  if ! command -v psql >/dev/null 2>&1 || [ -z "$(pg_bin_dir)" ]; then
    say "PostgreSQL binaries not found; installing Debian's postgresql package with apt-get"
    command -v apt-get >/dev/null || die "no apt-get: install PostgreSQL (server binaries) yourself or set SELLERFLOW_PG_DSN"
    SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq postgresql postgresql-client >/dev/null
    # Debian's package may start its own cluster on 5432; sellerflow does not depend on it.
  fi
}

can_connect() { psql "$1" -qAtc 'select 1' >/dev/null 2>&1; }

free_port() {
  local port=${1:-55432}
  while (echo >"/dev/tcp/127.0.0.1/$port") >/dev/null 2>&1; do port=$((port + 1)); done
  echo "$port"
}

start_private_cluster() {
  local bin dir port as=()
  bin=$(pg_bin_dir)
  [ -n "$bin" ] || die "PostgreSQL server binaries missing after install"
  dir="$STATE/pg"
  if [ "$(id -u)" = 0 ]; then
    as=(runuser -u postgres --)
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run initdb as"
    mkdir -p "$dir"
    # The cluster directory must be reachable by the postgres user; root's home (mode 700) is not.
    if ! runuser -u postgres -- test -x "$STATE"; then
      dir="/var/tmp/sellerflow-pg-$(echo -n "$ROOT" | md5sum | cut -c1-12)"
      say "$STATE is not reachable by user postgres; keeping the cluster in $dir"
      mkdir -p "$dir"; ln -sfn "$dir" "$STATE/pg-link"
    fi
    chown postgres:postgres "$dir"
  else
    mkdir -p "$dir"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "initdb $dir/data"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
      || die "initdb failed, see $STATE/initdb.log"
  fi
  if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    port=$(sed -n '4p' "$dir/data/postmaster.pid")
    say "private cluster already running on 127.0.0.1:$port"
  else
    port=$(cat "$STATE/pg.port" 2>/dev/null || true)
    if [ -z "$port" ] || (echo >"/dev/tcp/127.0.0.1/$port") >/dev/null 2>&1; then port=$(free_port 55432); fi
    # Another process may take the free port between the probe and the start: then try the next free one.
    local attempt
    for attempt in 1 2 3 4 5; do
      "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null && break
      grep -q "Address already in use" "$dir/server.log" 2>/dev/null && [ "$attempt" -lt 5 ] \
        || die "pg_ctl start failed, see $dir/server.log"
      say "port $port was taken meanwhile; trying the next free one"
      : >"$dir/server.log"
      port=$(free_port $((port + 1)))
    done
    say "started private cluster on 127.0.0.1:$port (data: $dir/data)"
  fi
  echo "$port" >"$STATE/pg.port"
  printf 'PGBIN=%q\nPGDATA_DIR=%q\nPG_RUN_AS_POSTGRES=%q\n' "$bin" "$dir/data" "${#as[@]}" >"$STATE/pg.cluster"
  ADMIN_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
  MODE="private cluster under $dir (port $port; stop it with 'make stop')"
}

if [ "${SELLERFLOW_PRIVATE_PG:-0}" = 1 ]; then
  ensure_client
  say "SELLERFLOW_PRIVATE_PG=1: using a private cluster"
  start_private_cluster
elif [ -n "${SELLERFLOW_PG_DSN:-}" ]; then
  ensure_client
  ADMIN_DSN=$SELLERFLOW_PG_DSN
  can_connect "$ADMIN_DSN" || die "cannot connect with SELLERFLOW_PG_DSN; check host, port, user and password"
  MODE="the server given by SELLERFLOW_PG_DSN"
elif [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]; then
  ensure_client
  ADMIN_DSN="postgresql://${PGUSER:-postgres}${PGPASSWORD:+:$PGPASSWORD}@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/${PGDATABASE:-postgres}"
  can_connect "$ADMIN_DSN" || die "cannot connect with PGHOST/PGPORT/PGUSER; check them (and PGPASSWORD)"
  MODE="the server given by PGHOST/PGPORT/PGUSER"
else
  ensure_client
  if can_connect "postgresql://postgres@127.0.0.1:5432/postgres"; then
    ADMIN_DSN="postgresql://postgres@127.0.0.1:5432/postgres"
    MODE="the server already running on 127.0.0.1:5432 (set SELLERFLOW_PRIVATE_PG=1 for a private one)"
  else
    say "nothing usable on 127.0.0.1:5432; starting a private cluster"
    start_private_cluster
  fi
fi

psql "$ADMIN_DSN" -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL || die "could not create the role $APP_USER; the DSN's user needs CREATEROLE and CREATEDB"
select format('create role %I login password %L', '$APP_USER', '$APP_PASSWORD')
 where not exists (select from pg_roles where rolname = '$APP_USER')\gexec
SQL

printf '# Written by scripts/ensure_postgres.sh\nexport SELLERFLOW_PG_MODE=%q\nexport SELLERFLOW_PG_ADMIN_DSN=%q\n' \
  "$MODE" "$ADMIN_DSN" >"$STATE/pg.env"
say "using $MODE"
