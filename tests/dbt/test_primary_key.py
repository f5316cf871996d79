"""The primary_key data test (dbt/tests/generic/primary_key.sql): dbt's unique and not_null in one node. On a real
Postgres with a real ``dbt test``."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from sellerflow.orchestration.dbt_cli import run_dbt

MODEL = "int_accounts"  # a table model whose account_id is its primary key


def _failures(dsn: str, work_dir: Path) -> list[tuple[str, int]]:
    """(status, failures) of the model's primary_key test."""
    done = run_dbt(dsn, work_dir, "test", "--select", f"{MODEL},test_name:primary_key")
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    tested = [(r["status"], r["failures"]) for r in results if r["unique_id"].startswith("test.")]
    assert tested, done.stdout[-3000:]
    return tested


def test_a_duplicated_or_missing_key_fails_and_a_clean_one_passes(dsn: str, dbt_dir: Path) -> None:
    with psycopg.connect(dsn) as conn:  # the model as a build would leave it, with broken keys
        conn.execute("create schema if not exists intermediate")
        conn.execute(f"create table intermediate.{MODEL} (account_id text)")
        conn.execute(
            f"insert into intermediate.{MODEL} values ('ozon_main'), ('ozon_main'), (null), ('wb_main')"
        )
    assert _failures(dsn, dbt_dir) == [("fail", 2)], (
        "one row for the duplicated key, one for the missing ones"
    )
    with psycopg.connect(dsn) as conn:
        conn.execute(f"delete from intermediate.{MODEL} where account_id is null")
    assert _failures(dsn, dbt_dir) == [("fail", 1)], "the duplicate alone"
    with psycopg.connect(dsn) as conn:
        conn.execute(
            f"delete from intermediate.{MODEL} where ctid = (select min(ctid) from intermediate.{MODEL})"
        )
    assert _failures(dsn, dbt_dir) == [("pass", 0)]
