"""What `make demo` writes to .sellerflow/demo_summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from sellerflow.demo.__main__ import write_summary
from sellerflow.demo.summary import warehouse_line


def test_summary_keeps_the_first_cycle_and_counts_lines_per_status(
    fresh_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELLERFLOW_HOME", str(tmp_path))
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.reconciliation_order_lines (marketplace text, status text)")
        conn.execute(
            "insert into marts.reconciliation_order_lines values"
            " ('ozon', 'matched'), ('ozon', 'matched'), ('ozon', 'amount_mismatch'), ('megamarket', 'matched')"
        )
    write_summary(fresh_dsn, 250.4, True)
    path = write_summary(fresh_dsn, 40.0, True)
    summary = json.loads(path.read_text())
    assert summary["first_cycle_seconds"] == 250.4
    assert summary["last_cycle_seconds"] == 40.0
    assert summary["lines_per_status"] == {
        "megamarket": {"matched": 1},
        "ozon": {"amount_mismatch": 1, "matched": 2},
    }


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://sellerflow:S3cret-pw-9f2a@127.0.0.1:5432/sellerflow_x_demo_warehouse",
        "host=127.0.0.1 port=5432 user=sellerflow password=S3cret-pw-9f2a dbname=sellerflow_x_demo_warehouse",
    ],
)
def test_the_demo_prints_the_warehouse_dsn_without_its_password(dsn: str) -> None:
    line = warehouse_line(dsn)
    assert "S3cret-pw-9f2a" not in line
    assert "postgresql://sellerflow@127.0.0.1:5432/sellerflow_x_demo_warehouse" in line


def test_the_demo_prints_the_warehouse_only_through_warehouse_line() -> None:
    source = (Path(__file__).resolve().parents[2] / "include/sellerflow/demo/__main__.py").read_text()
    assert 'print(warehouse_line(os.environ["SELLERFLOW_WAREHOUSE_DSN"]))' in source
    for line in source.splitlines():
        if "print(" in line and "WAREHOUSE_DSN" in line:
            assert "warehouse_line(" in line or "render" in line, line
