"""What `make demo` writes to .sellerflow/demo_summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from sellerflow.demo.__main__ import write_summary


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
