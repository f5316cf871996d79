"""Finishing a list feeds the reverse-ETL: the assembled postings in ops and in the dbt view
marts.pick_assembled_orders (what the statuses push reads), and the reverse-ETL's request_assembled called in
the finishing transaction when it exists."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import psycopg

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.picking import service
from sellerflow.picking.devices import authenticate

from .conftest import Warehouse, unit


def _pick_and_finish(wh: Warehouse, scans: list[tuple[str, int]]) -> dict:
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        device = authenticate(conn, wh.device("tsd-feedback"))
        (list_id,) = conn.execute("select id from ops.pick_lists").fetchone()
        service.claim(conn, device, list_id)
        for n, (barcode, qty) in enumerate(scans):
            service.scan(conn, device, list_id, f"s{n}", barcode, qty)
        return service.finish(conn, device, list_id)


def test_finished_orders_in_the_dbt_view(wh: Warehouse, tmp_path: Path) -> None:
    wh.set_demand(
        [
            unit("ozon", "0001-1", "OZ-07", 2, order_number="0001", unit_ref="700007"),
            unit("megamarket", "MM-1", "MM-01", unit_ref="1"),
            unit("megamarket", "MM-1", "MM-01", unit_ref="2"),
            unit("yandex_market", "5005", "YM-01", 1, unit_ref="item-1", is_cancelled=False),
        ]
    )
    wh.build()
    finished = _pick_and_finish(wh, [("460OZ-07", 2), ("460MM-01", 1)])
    assert finished["reverse_etl"] == {"mode": "recorded", "postings": 3}
    built = run_dbt(wh.dsn, tmp_path, "run", "--select", "pick_assembled_orders")
    assert built.returncode == 0, built.stdout[-3000:]
    rows = wh.sql(
        "select marketplace, posting_number, quantity, picked, short_units, is_complete, units"
        " from marts.pick_assembled_orders order by posting_number"
    )
    assert sorted(r[:6] for r in rows) == [
        ("megamarket", "MM-1", 2, 1, 1, False),
        ("ozon", "0001-1", 2, 2, 0, True),
        ("yandex_market", "5005", 1, 0, 1, False),
    ]
    mm = next(r for r in rows if r[0] == "megamarket")
    assert [(u["unit_ref"], u["picked"], u["short"]) for u in mm[6]] == [("1", 1, 0), ("2", 0, 1)]


def test_request_assembled_is_called_when_the_reverse_etl_offers_it(wh: Warehouse, monkeypatch) -> None:
    calls: list[dict] = []
    fake = types.ModuleType("sellerflow.reverse_etl.statuses")
    fake.request_assembled = lambda conn, posting: calls.append(posting)
    monkeypatch.setitem(sys.modules, "sellerflow.reverse_etl.statuses", fake)
    wh.set_demand(
        [
            unit("wildberries", "9001", "WB-01", order_group="U1"),
            unit("wildberries", "9002", "WB-01", order_group="U1"),
        ]
    )
    wh.build()
    finished = _pick_and_finish(wh, [("460WB-01", 1)])
    assert finished["reverse_etl"] == {"mode": "requested", "postings": 2}
    assert sorted((c["posting_number"], c["short_units"]) for c in calls) == [("9001", 0), ("9002", 1)]
    assert all(c["order_group"] == "U1" for c in calls)
