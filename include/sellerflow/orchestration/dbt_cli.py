"""Run the dbt CLI of this project against a given warehouse database (tests and benchmarks).

Airflow runs dbt through Cosmos (orchestration/dbt.py) with the same project and profile (dbt/profiles.yml reads
the SELLERFLOW_WAREHOUSE_* variables); here it is pointed at any DSN, with its own
target and log folders so that parallel runs never share dbt's state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO_ROOT = Path(__file__).resolve().parents[3]
# Imports nothing of Airflow or Cosmos: the DAG's Cosmos configuration (orchestration/dbt.py) takes it from here.
DBT_PROJECT_DIR = Path(os.environ.get("SELLERFLOW_DBT_PROJECT_DIR", REPO_ROOT / "dbt"))


def profile_env(dsn: str) -> dict[str, str]:
    """The SELLERFLOW_WAREHOUSE_* variables that point dbt/profiles.yml at the database of ``dsn``."""
    params = conninfo_to_dict(dsn)
    return {
        "SELLERFLOW_WAREHOUSE_HOST": str(params.get("host") or "127.0.0.1"),
        "SELLERFLOW_WAREHOUSE_PORT": str(params.get("port") or 5432),
        "SELLERFLOW_WAREHOUSE_USER": str(params["user"]),
        "SELLERFLOW_WAREHOUSE_PASSWORD": str(params.get("password") or ""),
        "SELLERFLOW_WAREHOUSE_DB": str(params["dbname"]),
    }


def profile_dsn(env: Mapping[str, str]) -> str:
    """The DSN of the warehouse dbt/profiles.yml points at under the environment ``env``."""
    return make_conninfo(
        host=env.get("SELLERFLOW_WAREHOUSE_HOST", "127.0.0.1"),
        port=env.get("SELLERFLOW_WAREHOUSE_PORT", "5432"),
        user=env["SELLERFLOW_WAREHOUSE_USER"],
        password=env.get("SELLERFLOW_WAREHOUSE_PASSWORD", ""),
        dbname=env["SELLERFLOW_WAREHOUSE_DB"],
    )


def warehouse_env(dsn: str) -> dict[str, str]:
    """This process's environment with dbt/profiles.yml pointed at the database of ``dsn``."""
    return {**os.environ, **profile_env(dsn), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


def run_dbt(dsn: str, work_dir: Path, *args: str, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` on the database of ``dsn``; target/ and logs/ go under ``work_dir``. Never raises on a
    dbt failure: the caller reads ``returncode`` and ``stdout``."""
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")],
        env=warehouse_env(dsn), capture_output=True, text=True, timeout=timeout_s, cwd=DBT_PROJECT_DIR.parent,
    )  # fmt: skip
