"""`make demo`'s reverse-ETL part: the simulated warehouse assembles reserved orders, the push DAGs run, the changes
are printed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from sellerflow.demo.reverse_etl import STEP_DAGS, demo_reverse_etl


class FakeAirflow:
    """Records triggers; every run succeeds."""

    def __init__(self) -> None:
        self.triggered: list[str] = []

    def trigger(self, dag_id: str, note: str = "") -> str:
        self.triggered.append(dag_id)
        return f"run-{dag_id}"

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, str]:
        return {"state": "success"}


def _world(tmp_path: Path, numbers: list[str]) -> Path:
    db = sqlite3.connect(tmp_path / "world.sqlite")
    db.execute(
        "create table onec_documents (ref_key text, doc_type text, posted int, customer_order_number text,"
        " data_version text, fields text)"
    )
    db.executemany(
        "insert into onec_documents values (?, 'ЗаказКлиента', 1, ?, 'v', ?)",
        [(f"ref-{n}", n, json.dumps({"Статус": "КОбеспечению"}, ensure_ascii=False)) for n in numbers],
    )
    db.commit()
    db.close()
    return tmp_path


def test_half_the_reserved_orders_are_assembled_the_dags_run_and_the_changes_are_printed(
    migrated_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = ["A-1", "A-2", "A-3", "A-4"]
    world = _world(tmp_path, numbers)
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        for n in numbers:
            (oid,) = conn.execute(
                "insert into ops.outbox (target, account_id, item_key, payload, payload_hash, state) values "
                "('onec_reservations', 'ut_main', %s, %s, 'h', 'acknowledged') returning id",
                (f"ozon_main:{n}", json.dumps({"order_number": n})),
            ).fetchone()
            conn.execute(
                "insert into ops.outbox_acknowledged (target, item_key, account_id, payload_hash, payload, outbox_id,"
                " acknowledged_at) values ('onec_reservations', %s, 'ut_main', 'h', %s, %s, now())",
                (f"ozon_main:{n}", json.dumps({"order_number": n}), oid),
            )
        conn.execute(
            "insert into ops.outbox (target, account_id, item_key, payload, payload_hash, state, reason) values "
            "('ozon_prices', 'ozon_main', 'ozon_main:X', '{}', 'h', 'held', 'price drop 100 → 50')"
        )
    api = FakeAirflow()
    assert demo_reverse_etl(api, migrated_dsn, world, timeout_s=5)
    assert api.triggered == list(STEP_DAGS)
    db = sqlite3.connect(world / "world.sqlite")
    statuses = dict(
        db.execute("select customer_order_number, json_extract(fields, '$.Статус') from onec_documents")
    )
    assert statuses == {"A-1": "КОтгрузке", "A-2": "КОбеспечению", "A-3": "КОтгрузке", "A-4": "КОбеспечению"}
    printed = capsys.readouterr().out
    assert "2 reserved orders assembled" in printed
    assert "ozon_prices" in printed
    assert "held" in printed
    assert "price drop 100 → 50" in printed
