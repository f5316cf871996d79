"""Incremental dbt models read only what landed since their last run (ops.dbt_watermarks), on a real Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.warehouse import load_records, migrate

MODEL = "int_ozon__order_lines"


def _posting(n: int) -> dict:
    return {
        "posting_number": f"0000{n}-0001-1",
        "order_number": f"0000{n}-0001",
        "status": "delivered",
        "in_process_at": "2026-10-01T10:00:00Z",
        "delivery_method": {"warehouse_id": 1, "warehouse": "Склад"},
        "products": [{"offer_id": "ART-1", "sku": 1001, "quantity": 1, "price": "100.0000"}],
    }


def _land(dsn: str, numbers: range) -> None:
    load_records(
        dsn, "ozon", "postings_fbs", "ozon_main", [_posting(n) for n in numbers], "posting_number", "t"
    )


def _rows_written(work_dir: Path) -> int:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].endswith(f".{MODEL}")]
    return result["adapter_response"]["rows_affected"]


@pytest.fixture
def dsn(fresh_dsn: str) -> str:
    migrate(fresh_dsn)
    return fresh_dsn


def test_a_run_reads_only_what_landed_since_the_last_one(dsn: str, tmp_path: Path) -> None:
    """The history landed an hour ago, before the first run: a second run reads none of it again (a watermark on
    the newest landing time, less the 10-minute overlap, would re-read that whole batch on every run)."""
    _land(dsn, range(1, 4))
    with psycopg.connect(dsn) as conn:
        conn.execute("update raw.ozon_postings_fbs set extracted_at = extracted_at - interval '1 hour'")
    built = run_dbt(dsn, tmp_path, "run", "--select", f"+{MODEL}")
    assert built.returncode == 0, built.stdout[-3000:]
    assert _rows_written(tmp_path) == 3

    # Nothing new.
    again = run_dbt(dsn, tmp_path, "run", "--select", f"+{MODEL}")
    assert again.returncode == 0, again.stdout[-3000:]
    assert _rows_written(tmp_path) == 0

    # One new posting: exactly its line.
    _land(dsn, range(4, 5))
    more = run_dbt(dsn, tmp_path, "run", "--select", f"+{MODEL}")
    assert more.returncode == 0, more.stdout[-3000:]
    assert _rows_written(tmp_path) == 1
    with psycopg.connect(dsn) as conn:
        lines = conn.execute(f"select count(*) from intermediate.{MODEL}").fetchone()
        recorded = conn.execute(
            "select count(*) from ops.dbt_watermarks where relation = %s", (f"intermediate.{MODEL}",)
        ).fetchone()
    assert lines == (4,)
    assert recorded == (1,)
