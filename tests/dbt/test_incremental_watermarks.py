"""Incremental dbt models read only what landed since their last run (ops.dbt_watermarks), on a real Postgres; staging
reads the raw rows its previous run could not see, however late their load commits."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.warehouse import load_records

MODEL = "int_ozon__order_lines"
STAGING = "stg_ozon__postings_fbs"


def _posting(n: int) -> dict:
    return {
        "posting_number": f"0000{n}-0001-1",
        "order_number": f"0000{n}-0001",
        "status": "delivered",
        "in_process_at": "2026-10-01T10:00:00Z",
        "delivery_method": {"warehouse_id": 1, "warehouse": "Склад"},
        "products": [{"offer_id": "ART-1", "sku": 1001, "quantity": 1, "price": "100.0000"}],
    }


def _land(conn_or_dsn: str | psycopg.Connection, numbers: range, account: str = "ozon_main") -> None:
    load_records(
        conn_or_dsn, "ozon", "postings_fbs", account, [_posting(n) for n in numbers], "posting_number", "t"
    )


def _rows_written(work_dir: Path, model: str = MODEL) -> int:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].endswith(f".{model}")]
    return result["adapter_response"]["rows_affected"]


def _staged(dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return set(conn.execute(f"select account_id, posting_number from staging.{STAGING}").fetchall())


def test_a_run_reads_only_what_landed_since_the_last_one(dsn: str, dbt_dir: Path) -> None:
    """The history landed an hour ago, before the first run: a second run reads none of it again (a watermark on
    the newest landing time, less the 10-minute overlap, would re-read that whole batch on every run)."""
    _land(dsn, range(1, 4))
    with psycopg.connect(dsn) as conn:
        conn.execute("update raw.ozon_postings_fbs set extracted_at = extracted_at - interval '1 hour'")
    built = run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}")
    assert built.returncode == 0, built.stdout[-3000:]
    assert _rows_written(dbt_dir) == 3

    # Nothing new.
    again = run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}")
    assert again.returncode == 0, again.stdout[-3000:]
    assert _rows_written(dbt_dir) == 0

    # One new posting: exactly its line.
    _land(dsn, range(4, 5))
    more = run_dbt(dsn, dbt_dir, "run", "--select", f"+{MODEL}")
    assert more.returncode == 0, more.stdout[-3000:]
    assert _rows_written(dbt_dir) == 1
    with psycopg.connect(dsn) as conn:
        lines = conn.execute(f"select count(*) from intermediate.{MODEL}").fetchone()
        recorded = conn.execute(
            "select count(*) from ops.dbt_watermarks where relation = %s", (f"intermediate.{MODEL}",)
        ).fetchone()
    assert lines == (4,)
    assert recorded == (1,)


def test_staging_reads_a_load_that_committed_after_a_later_one_and_after_the_run(
    dsn: str, dbt_work: Callable[..., Path]
) -> None:
    """Out-of-order commits, for real: transaction A starts and lands posting 10 (its row takes its id and its
    landing time, A's start, right then) and stays open; meanwhile B lands posting 11 and commits, and dbt runs (it
    cannot see A's row). A commits. The next run must read posting 10 although its raw id is below, and its landing
    time before, everything that run had already read: a watermark on ids or landing times would skip it. Run
    without the 10-minute overlap (``incremental_overlap_minutes: 0``), so no slack hides a bound that is wrong:
    the landing-time bound is the start of the oldest transaction open at the previous run's snapshot (A's)."""
    no_overlap = ("--vars", "{incremental_overlap_minutes: 0}")
    dbt_dir = dbt_work(*no_overlap)
    _land(dsn, range(1, 4))
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING, *no_overlap).returncode == 0

    with psycopg.connect(dsn, autocommit=True) as late, late.transaction():
        _land(late, range(10, 11))  # A: not committed yet
        time.sleep(0.2)  # B, the run and its snapshot come strictly after A's start
        _land(dsn, range(11, 12), account="ozon_second")  # B: another connection, committed
        during = run_dbt(dsn, dbt_dir, "run", "--select", STAGING, *no_overlap)
        assert during.returncode == 0, during.stdout[-3000:]
        assert ("ozon_second", "000011-0001-1") in _staged(dsn)
        assert ("ozon_main", "000010-0001-1") not in _staged(dsn), "A has not committed: invisible"
    # A commits here, after B and after the run.

    with psycopg.connect(dsn) as conn:
        (late_id, late_landed), (early_id, early_landed) = conn.execute(
            "select id, extracted_at from raw.ozon_postings_fbs where natural_key in ('000010-0001-1', '000011-0001-1') "
            "order by natural_key"
        ).fetchall()
        (run_started, oldest) = conn.execute(
            "select run_started_at, oldest_xact_start from ops.dbt_watermarks where relation = %s",
            (f"staging.{STAGING}",),
        ).fetchone()
    assert late_id < early_id, "A took its raw id before B"
    assert late_landed < early_landed < run_started, "A landed before B and before that run started"
    assert oldest == late_landed, "the run recorded A's start as the oldest open transaction's"

    after = run_dbt(dsn, dbt_dir, "run", "--select", STAGING, *no_overlap)
    assert after.returncode == 0, after.stdout[-3000:]
    assert ("ozon_main", "000010-0001-1") in _staged(dsn)
    # A's row, and B's once more: A was still running at the previous run, so its snapshot's xmin stayed at A.
    assert _rows_written(dbt_dir, STAGING) == 2
    assert len(_staged(dsn)) == 5


def test_a_transaction_that_writes_after_the_run_began_before_it_is_read(
    dsn: str, dbt_work: Callable[..., Path]
) -> None:
    """A loader transaction may start (and take its landing time, ``now()``) long before it writes: it holds no
    transaction id until its first insert, so the run's snapshot does not list it. Its row, written after the run
    took its snapshot but landed before, is read by the next run: the landing-time bound counts every open
    transaction's start, not only those with an id."""
    no_overlap = ("--vars", "{incremental_overlap_minutes: 0}")
    dbt_dir = dbt_work(*no_overlap)
    _land(dsn, range(1, 3))
    with psycopg.connect(dsn, autocommit=True) as late, late.transaction():
        late.execute("select now()")  # A has started, with no transaction id yet
        time.sleep(0.2)
        assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING, *no_overlap).returncode == 0
        _land(late, range(20, 21))  # A writes only now, after the run's snapshot
    with psycopg.connect(dsn) as conn:
        (landed,) = conn.execute(
            "select extracted_at from raw.ozon_postings_fbs where natural_key = '000020-0001-1'"
        ).fetchone()
        (run_started,) = conn.execute(
            "select run_started_at from ops.dbt_watermarks where relation = %s", (f"staging.{STAGING}",)
        ).fetchone()
    assert landed < run_started, "A's row carries a landing time before the run"
    after = run_dbt(dsn, dbt_dir, "run", "--select", STAGING, *no_overlap)
    assert after.returncode == 0, after.stdout[-3000:]
    assert ("ozon_main", "000020-0001-1") in _staged(dsn)


def test_the_next_run_bounds_its_raw_read_by_landing_time_over_a_brin_index(dsn: str, dbt_dir: Path) -> None:
    """The raw heap is not scanned whole on every run (it grows forever): the read is bounded by landing time,
    which a BRIN index on extracted_at serves (bench/reconcile.py times it at 1M rows)."""
    _land(dsn, range(1, 4))
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING).returncode == 0
    assert run_dbt(dsn, dbt_dir, "compile", "--select", STAGING).returncode == 0
    compiled = next((dbt_dir / "target" / "compiled").rglob(f"{STAGING}.sql")).read_text()
    with psycopg.connect(dsn) as conn:
        (oldest,) = conn.execute(
            "select oldest_xact_start::text from ops.dbt_watermarks where relation = %s",
            (f"staging.{STAGING}",),
        ).fetchone()
        indexes = [
            d
            for (d,) in conn.execute("select indexdef from pg_indexes where tablename = 'ozon_postings_fbs'")
        ]
    assert f"extracted_at >= '{oldest}'::timestamptz" in compiled, compiled
    assert any("USING brin (extracted_at)" in d for d in indexes), indexes


def test_a_run_without_new_raw_rows_reads_none_and_a_full_refresh_reads_all(dsn: str, dbt_dir: Path) -> None:
    """The snapshot watermark moves with every run: a run after nothing landed reads no raw row; a full refresh
    reads them all again (and records a watermark the next incremental run starts from)."""
    _land(dsn, range(1, 6))
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING).returncode == 0
    assert _rows_written(dbt_dir, STAGING) == 5
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING).returncode == 0
    assert _rows_written(dbt_dir, STAGING) == 0
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING, "--full-refresh").returncode == 0
    assert _rows_written(dbt_dir, STAGING) == 5
    _land(dsn, range(6, 7))
    assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING).returncode == 0
    assert _rows_written(dbt_dir, STAGING) == 1


def test_a_long_transaction_in_another_database_does_not_hold_the_horizon_back(
    dsn: str, dbt_dir: Path
) -> None:
    """A transaction open in another database (another installation, the Airflow metadata) cannot write this
    warehouse: rows landed while it runs are read once, not again on every run until it ends."""
    other = make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(other) as foreign:
        foreign.execute(
            "select pg_current_xact_id()"
        )  # an open transaction with an id, older than what lands
        _land(dsn, range(1, 4))
        assert run_dbt(dsn, dbt_dir, "run", "--select", STAGING).returncode == 0
        assert _rows_written(dbt_dir, STAGING) == 3
        again = run_dbt(dsn, dbt_dir, "run", "--select", STAGING)
        assert again.returncode == 0, again.stdout[-3000:]
        assert _rows_written(dbt_dir, STAGING) == 0
        foreign.rollback()


def test_only_a_whole_project_build_records_itself_for_the_transform_gate(dsn: str, dbt_dir: Path) -> None:
    """ops.dbt_builds (the on-run-end hook record_build) holds whole-project builds only: a selected run read part
    of the raw rows, so the transform's gate must not take it for a build that read everything."""
    _land(dsn, range(1, 3))
    assert run_dbt(dsn, dbt_dir, "build", "--select", STAGING).returncode == 0
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from ops.dbt_builds").fetchone() == (0,)
