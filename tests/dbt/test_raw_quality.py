"""Great Expectations suites on raw landings: required fields, ranges, and volume against the previous run,
with every verdict kept in ops.quality_results. Real Postgres, real Great Expectations."""

from __future__ import annotations

import psycopg
import pytest

from sellerflow.quality.raw_checks import SUITES_BY_TABLE, check_landed_table
from sellerflow.warehouse import load_records


def _posting(n: int, status: str | None = "delivered") -> dict:
    return {"posting_number": f"0000{n}-0001-1", "status": status, "in_process_at": "2026-09-15T06:12:33Z"}


def _verdicts(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select suite, success, rows_checked, failed::text from ops.quality_results order by id"
        ).fetchall()


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    return migrated_dsn


def test_a_table_not_landed_yet_is_skipped(dsn: str) -> None:
    assert check_landed_table(dsn, "wildberries_orders", "r1") is None
    assert _verdicts(dsn) == []


def test_good_postings_pass_and_the_verdict_is_kept(dsn: str) -> None:
    load_records(
        dsn, "ozon", "postings_fbs", "ozon_main", [_posting(n) for n in range(5)], "posting_number", "r1"
    )
    result = check_landed_table(dsn, "ozon_postings_fbs", "r1")
    assert result is not None
    assert result.success
    assert _verdicts(dsn) == [("raw.ozon_postings_fbs", True, 5, "[]")]


def test_a_posting_without_status_fails_the_suite(dsn: str) -> None:
    records = [_posting(1), _posting(2, status=None)]
    load_records(dsn, "ozon", "postings_fbs", "ozon_main", records, "posting_number", "r1")
    with pytest.raises(ValueError, match=r"(?i)not_be_null|NotBeNull"):
        check_landed_table(dsn, "ozon_postings_fbs", "r1")
    assert _verdicts(dsn)[-1][1] is False


def test_a_volume_below_the_previous_run_fails(dsn: str) -> None:
    load_records(
        dsn, "ozon", "postings_fbs", "ozon_main", [_posting(n) for n in range(4)], "posting_number", "r1"
    )
    assert check_landed_table(dsn, "ozon_postings_fbs", "r1") is not None
    with psycopg.connect(dsn) as conn:  # as if a listing lost rows: postings never shrink
        conn.execute("delete from raw.ozon_postings_fbs where natural_key like '00003%'")
    with pytest.raises(ValueError, match=r"(?i)row_count|RowCount"):
        check_landed_table(dsn, "ozon_postings_fbs", "r2")
    assert [v[2] for v in _verdicts(dsn)] == [4, 3]


def test_an_unchanged_table_is_not_checked_again_until_something_lands(dsn: str) -> None:
    load_records(
        dsn, "ozon", "postings_fbs", "ozon_main", [_posting(n) for n in range(3)], "posting_number", "r1"
    )
    assert check_landed_table(dsn, "ozon_postings_fbs", "r1") is not None
    assert (
        check_landed_table(dsn, "ozon_postings_fbs", "r2") is None
    )  # nothing new: not run, nothing recorded
    assert len(_verdicts(dsn)) == 1
    load_records(dsn, "ozon", "postings_fbs", "ozon_main", [_posting(7, status=None)], "posting_number", "r3")
    with pytest.raises(ValueError, match=r"(?i)not_be_null|NotBeNull"):
        check_landed_table(dsn, "ozon_postings_fbs", "r3")
    with pytest.raises(
        ValueError, match=r"(?i)not_be_null|NotBeNull"
    ):  # a failed suite runs again, unchanged
        check_landed_table(dsn, "ozon_postings_fbs", "r4")
    assert [v[1] for v in _verdicts(dsn)] == [True, False, False]


def test_out_of_range_quantity_fails(dsn: str) -> None:
    row = {"row_number": 1, "order": {"posting_number": "1-1-1"}, "item": {"offer_id": "A"},
           "delivery_commission": {"quantity": -2, "amount": 100.0}}  # fmt: skip
    load_records(dsn, "ozon", "realization_rows", "ozon_main", [row], "row_number", "r1")
    assert SUITES_BY_TABLE["ozon_realization_rows"].ranges
    with pytest.raises(ValueError, match=r"(?i)between"):
        check_landed_table(dsn, "ozon_realization_rows", "r1")


def test_the_dag_maps_over_exactly_the_tables_that_have_suites() -> None:
    from sellerflow.quality.suites import RAW_SUITE_TABLES

    assert set(RAW_SUITE_TABLES) == set(SUITES_BY_TABLE)


def test_every_suite_runs_before_one_error_names_each_failed_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """transform_dbt's quality task checks every table, then fails naming each one whose suite failed."""
    from sellerflow.quality import raw_checks
    from sellerflow.quality.suites import RAW_SUITE_TABLES

    failing = set(RAW_SUITE_TABLES[:2])
    checked: list[str] = []

    def check(dsn: str, table: str, run_id: str) -> None:
        checked.append(table)
        if table in failing:
            raise ValueError(f"raw.{table} failed its quality suite")

    monkeypatch.setattr(raw_checks, "check_landed_table", check)
    with pytest.raises(ValueError, match="failed its quality suite") as error:
        raw_checks.check_landed_tables("postgresql://unused", "run")
    assert checked == list(RAW_SUITE_TABLES)
    assert all(f"raw.{table}" in str(error.value) for table in failing)
    monkeypatch.setattr(raw_checks, "check_landed_table", lambda dsn, table, run_id: None)
    assert raw_checks.check_landed_tables("postgresql://unused", "run") == dict.fromkeys(RAW_SUITE_TABLES)


def test_great_expectations_loads_on_a_background_thread() -> None:
    """In a fresh interpreter: nothing of it is loaded before, both are once the thread ends, and it is a daemon."""
    import subprocess
    import sys

    probe = (
        "import sys; from sellerflow.quality.raw_checks import import_in_background as start\n"
        "before = {m for m in ('great_expectations', 'pandas') if m in sys.modules}\n"
        "thread = start(); thread.join(120)\n"
        "after = {m for m in ('great_expectations', 'pandas') if m in sys.modules}\n"
        "print(sorted(before), sorted(after), thread.daemon, thread.is_alive())"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[] ['great_expectations', 'pandas'] True False"
