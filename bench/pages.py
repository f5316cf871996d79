"""Reconciliation page at 100k lines: server-side paging must answer a page in < 1 s.

Run: `. .sellerflow/env && python bench/pages.py [--lines 100000]`. Builds a throwaway warehouse the way the page
tests do (scenario → emulators → extraction → dbt build), multiplies marts.reconciliation_order_lines to the
asked size (copies of the real lines under new order numbers), then times over HTTP (the app with Airflow's auth,
in-process) the first page, a deep page, a status filter, a marketplace filter and the exports. The database is
dropped afterwards; Airflow's metadata is a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def _seed_module():
    spec = importlib.util.spec_from_file_location(
        "sellerflow_pages_seed", ROOT / "tests" / "pages" / "seed.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def multiply(dsn: str, lines: int) -> int:
    """Copy the built lines under new order numbers until the mart holds ``lines`` rows; returns the count."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        (have,) = conn.execute("select count(*) from marts.reconciliation_order_lines").fetchone()
        copies = max(0, -(-lines // have) - 1)
        columns = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = 'reconciliation_order_lines' order by ordinal_position"
            )
        ]
        renamed = {
            "reconciliation_line_id": "md5(reconciliation_line_id || '/' || copy)",
            "order_number": "order_number || '/' || copy",
        }
        select = ", ".join(renamed.get(c, c) for c in columns)
        conn.execute(
            f"insert into marts.reconciliation_order_lines ({', '.join(columns)})"
            f" select {select} from marts.reconciliation_order_lines cross join generate_series(1, %s) as copy",
            (copies,),
        )
        conn.execute("analyze marts.reconciliation_order_lines")
        (count,) = conn.execute("select count(*) from marts.reconciliation_order_lines").fetchone()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sellerflow-bench-pages-"))
    os.environ.update(
        AIRFLOW_HOME=str(work / "airflow"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{work}/airflow.db",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex * 2,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",  # no generated password is printed
    )
    os.environ.pop("AIRFLOW__CORE__FERNET_KEY_CMD", None)
    subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True)
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_bench_pages_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    params = conninfo_to_dict(admin)
    dsn = f"postgresql://sellerflow:sellerflow@{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{name}"
    try:
        started = time.perf_counter()
        _seed_module().seed_warehouse(dsn, work)
        count = multiply(dsn, args.lines)
        print(f"warehouse built and multiplied to {count} lines in {time.perf_counter() - started:.0f} s")
        os.environ["SELLERFLOW_WAREHOUSE_DSN"] = dsn
        measure(count)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def measure(count: int) -> None:
    """Time each request three times; print the best and its ratio to the target."""
    import logging

    logging.disable(logging.WARNING)
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    from sellerflow.api.app import create_app

    token = init_auth_manager().generate_jwt(SimpleAuthManagerUser(username="bench", role="viewer"))
    client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
    last_page = -(-count // 100)
    requests = [
        ("reconciliation, page 1 (all lines)", "/pages/reconciliation", True),
        (f"reconciliation, page {last_page} (the last)", f"/pages/reconciliation?page={last_page}", True),
        ("status filter (matched), page 1", "/pages/reconciliation?status=matched", True),
        ("marketplace filter (ozon), page 1", "/pages/reconciliation?marketplace=ozon", True),
        ("line drill-down", None, True),
        ("export CSV (every line)", "/pages/reconciliation/export.csv", False),
        ("export XLSX (every line)", "/pages/reconciliation/export.xlsx", False),
    ]
    print(f"{'request at ' + str(count) + ' lines':<44} {'best s':>7} {'/ target':>9}")
    for label, path, paged in requests:
        if path is None:
            page = client.get("/pages/reconciliation").text
            line = page.split("/reconciliation/lines/", 1)[1].split('"', 1)[0]
            path = f"/pages/reconciliation/lines/{line}"
        times = []
        for _ in range(3 if paged else 1):
            started = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        best = min(times)
        ratio = f"{best / TARGET_S:>8.2f}x" if paged else "   (file)"
        print(f"{label:<44} {best:>7.3f} {ratio}")


if __name__ == "__main__":
    main()
