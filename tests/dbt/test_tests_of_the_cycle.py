"""A cycle's data tests check the rows the incremental models re-read in that cycle (dbt ``where`` config
``__this_cycle__``, dbt/macros/tests_of_the_cycle.sql); the nightly run (var test_this_cycle_only false) checks every
row. On a real Postgres with real dbt runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.warehouse import load_records

MODEL = "int_ozon__order_lines"  # incremental, with a unique_combination data test (account, posting, offer)
EVERY_ROW = ("--vars", "{test_this_cycle_only: false}")


def _land(dsn: str, numbers: range) -> None:
    postings = [
        {
            "posting_number": f"0000{n}-0001-1",
            "order_number": f"0000{n}-0001",
            "status": "delivered",
            "in_process_at": "2026-10-01T10:00:00Z",
            "delivery_method": {"warehouse_id": 1, "warehouse": "Склад"},
            "products": [{"offer_id": "ART-1", "sku": 1001, "quantity": 1, "price": "100.0000"}],
        }
        for n in numbers
    ]
    load_records(dsn, "ozon", "postings_fbs", "ozon_main", postings, "posting_number", "t")


def _duplicate(dsn: str, posting_number: str) -> None:
    """Break the model's unique_combination test with a second copy of one of its rows."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            f"insert into intermediate.{MODEL} select * from intermediate.{MODEL} where posting_number = %s",
            (posting_number,),
        )


def _test(dsn: str, work_dir: Path, *extra: str) -> int:
    """``dbt test`` of the model; returns how many of its tests failed (none may error)."""
    done = run_dbt(dsn, work_dir, "test", "--select", MODEL, *extra)
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    statuses = [r["status"] for r in results if r["unique_id"].startswith("test.")]  # not the on-run-end hook
    assert statuses, done.stdout[-3000:]
    assert set(statuses) <= {"pass", "fail"}, done.stdout[-3000:]
    return statuses.count("fail")


def test_a_cycle_tests_its_own_rows_and_the_nightly_run_every_row(
    dsn: str, dbt_dir: Path, dbt_work: Callable[..., Path]
) -> None:
    # History landed an hour ago, then a first build and a broken old row.
    _land(dsn, range(1, 4))
    with psycopg.connect(dsn) as conn:
        conn.execute("update raw.ozon_postings_fbs set extracted_at = extracted_at - interval '1 hour'")
    assert run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}").returncode == 0
    _duplicate(dsn, "00001-0001-1")

    # A cycle: one new posting. Its tests do not read the old rows; the nightly run does.
    _land(dsn, range(4, 5))
    assert run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}").returncode == 0
    assert _test(dsn, dbt_dir) == 0
    assert _test(dsn, dbt_work(*EVERY_ROW), *EVERY_ROW) == 1  # its own dir: its --vars have their own parse

    # A broken row among the cycle's own rows fails the cycle's tests.
    _duplicate(dsn, "00004-0001-1")
    assert _test(dsn, dbt_dir) == 1


def test_after_a_full_build_the_tests_read_every_row(dsn: str, dbt_dir: Path) -> None:
    _land(dsn, range(1, 4))
    with psycopg.connect(dsn) as conn:
        conn.execute("update raw.ozon_postings_fbs set extracted_at = extracted_at - interval '1 hour'")
    assert run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}").returncode == 0
    assert run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}").returncode == 0  # an incremental cycle
    _duplicate(dsn, "00001-0001-1")
    assert _test(dsn, dbt_dir) == 0, "an old row: not this cycle's"
    assert run_dbt(dsn, dbt_dir, "run", "--select", MODEL, "--full-refresh").returncode == 0
    _duplicate(dsn, "00001-0001-1")
    assert _test(dsn, dbt_dir) == 1, "a full build's tests read every row"
