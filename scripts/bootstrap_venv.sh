#!/usr/bin/env bash
# Create .venv from the pinned lock (requirements.txt): with uv when it can be had, else with pip.
# Re-running is cheap: it only syncs when requirements.txt changed since the last install.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "[venv] ERROR: Python 3.11 is required (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }

STAMP=.venv/.sellerflow-installed
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(sha256sum requirements.txt | cut -d' ' -f1)" ]; then
  echo "[venv] .venv is up to date"
else
  UV=$(command -v uv || true)
  if [ -z "$UV" ]; then
    echo "[venv] installing uv with pip"
    "$PY" -m pip install -q --user uv >/dev/null 2>&1 || "$PY" -m pip install -q uv >/dev/null 2>&1 || true
    UV=$(command -v uv || "$PY" -c 'import shutil,sysconfig,os; print(shutil.which("uv") or os.path.join(sysconfig.get_path("scripts","posix_user"),"uv"))')
    [ -x "$UV" ] || UV=""
  fi
  if [ -n "$UV" ]; then
    echo "[venv] installing the lock with uv"
    [ -x .venv/bin/python ] || "$UV" venv -q -p "$PY" .venv
    # Compiled bytecode at install: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) every Airflow task,
    # DAG parse and test subprocess would otherwise compile Airflow, dbt and GX from source (imports 2.5-4x slower).
    "$UV" pip sync -q --compile-bytecode -p .venv/bin/python requirements.txt
  else
    echo "[venv] uv unavailable; installing the lock with pip (slower, 1-3 minutes)"
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r requirements.txt
  fi
  sha256sum requirements.txt | cut -d' ' -f1 >"$STAMP"
fi
# Make include/sellerflow importable everywhere the venv's python runs (DAGs, plugins, tests, bench).
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$ROOT/include" >"$SITE/sellerflow_include.pth"
