#!/usr/bin/env bash
# Start/stop a background process that sellerflow owns, tracked by a PID file (never by process name).
#   scripts/service.sh start NAME CMD...   -> setsid CMD, log in .sellerflow/logs/NAME.log, pid in .sellerflow/run/NAME.pid
#   scripts/service.sh stop NAME           -> TERM the process group, KILL after 20 s
#   scripts/service.sh running NAME        -> exit 0 when alive
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${SELLERFLOW_STATE_DIR:-$ROOT/.sellerflow}
RUN="$STATE/run"; LOGS="$STATE/logs"
mkdir -p "$RUN" "$LOGS"
action=$1; name=$2; shift 2
pidfile="$RUN/$name.pid"

alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$action" in
  running) alive ;;
  start)
    if alive; then echo "[$name] already running (pid $(cat "$pidfile"))"; exit 0; fi
    setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
    echo $! >"$pidfile"
    echo "[$name] started (pid $!, log .sellerflow/logs/$name.log)"
    ;;
  stop)
    if ! alive; then rm -f "$pidfile"; exit 0; fi
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
    echo "[$name] stopped"
    ;;
  *) echo "usage: $0 start|stop|running NAME [CMD...]" >&2; exit 2 ;;
esac
