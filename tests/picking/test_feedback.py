"""Finishing a list feeds the reverse-ETL: the assembled postings in ops and in the dbt view
marts.pick_assembled_orders (what the statuses push reads), and the reverse-ETL's request_assembled called in
the finishing transaction when it exists."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.picking import feedback, service
from sellerflow.picking.devices import authenticate
from sellerflow.picking.orchestration import build

from .conftest import WH as WH_KEY
from .conftest import Warehouse, unit


def _pick_and_finish(wh: Warehouse, scans: list[tuple[str, int]]) -> dict:
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        device = authenticate(conn, wh.device("tsd-feedback"))
        (list_id,) = conn.execute("select id from ops.pick_lists").fetchone()
        service.claim(conn, device, list_id)
        for n, (barcode, qty) in enumerate(scans):
            service.scan(conn, device, list_id, f"s{n}", barcode, qty)
        return service.finish(conn, device, list_id)


@pytest.fixture
def no_reverse_etl(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the reverse-ETL offered no request_assembled (recorded only)."""
    monkeypatch.setattr(feedback, "_requester", lambda: None)


def _fake_reverse_etl(monkeypatch: pytest.MonkeyPatch, request) -> None:
    fake = types.ModuleType("sellerflow.reverse_etl.statuses")
    fake.request_assembled = request
    monkeypatch.setitem(sys.modules, "sellerflow.reverse_etl.statuses", fake)


def test_finished_orders_in_the_dbt_view(wh: Warehouse, tmp_path: Path, no_reverse_etl: None) -> None:
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
    _fake_reverse_etl(monkeypatch, lambda conn, posting: calls.append(posting) or {"enqueued": 1})
    wh.set_demand(
        [
            unit("wildberries", "9001", "WB-01", order_group="U1"),
            unit("wildberries", "9002", "WB-01", order_group="U1"),
        ]
    )
    wh.build()
    finished = _pick_and_finish(wh, [("460WB-01", 1)])
    assert finished["reverse_etl"] == {
        "mode": "requested",
        "postings": 2,
        "requested": 2,
        "not_requested": [],
    }
    assert sorted((c["posting_number"], c["short_units"]) for c in calls) == [("9001", 0), ("9002", 1)]
    assert all(c["order_group"] == "U1" for c in calls)
    assert wh.sql("select count(*) from ops.pick_list_orders where requested_at is not null") == [(2,)]


def test_a_refused_request_never_fails_the_finish_and_is_asked_again(wh: Warehouse, monkeypatch) -> None:
    def refuse(conn, posting):
        conn.execute("select 1/0")  # fails inside the savepoint, as a missing cabinet setting would

    _fake_reverse_etl(monkeypatch, refuse)
    wh.set_demand([unit("ozon", "0001-1", "OZ-07", 1), unit("ozon", "0002-1", "OZ-08", 1)])
    wh.build()
    finished = _pick_and_finish(wh, [("460OZ-07", 1)])
    assert finished["status"] == "finished"
    assert finished["reverse_etl"]["requested"] == 0
    assert [r["posting_number"] for r in finished["reverse_etl"]["not_requested"]] == ["0001-1", "0002-1"]
    assert wh.sql("select status from ops.pick_lists") == [("finished",)]
    assert wh.sql(
        "select count(*) from ops.pick_list_orders where assembled_at is not null and requested_at is null"
    ) == [(2,)]
    assert (
        "DivisionByZero"
        in wh.sql("select request_result ->> 'error' from ops.pick_list_orders limit 1")[0][0]
    )

    calls: list[str] = []
    _fake_reverse_etl(
        monkeypatch, lambda conn, posting: calls.append(posting["posting_number"]) or {"enqueued": 1}
    )
    done = build(wh.dsn)  # what the DAG runs every 5 minutes
    assert done["assembled_requests"]["requested"] == 2
    assert sorted(calls) == ["0001-1", "0002-1"]
    assert build(wh.dsn)["assembled_requests"]["postings"] == 0  # taken: not asked again


def test_finishing_feeds_1c_and_the_marketplace_shortage_through_the_one_outbox(wh: Warehouse) -> None:
    """The real request_assembled: a WB order of two tasks, one found and one not → 1C's onec_assembled item
    (КОтгрузке, the missing unit cut off into a cancelled line) and a wildberries_shortages item for the task
    not found, which gets no progress request; nothing is sent from the finish."""
    from sellerflow.reverse_etl.targets.onec_assembled import ASSEMBLED_STATUS

    product = "ref-WB-01"
    reservation = {
        "onec_base": "ut",
        "organization_key": "00000000-0000-0000-0000-0000000000aa",
        "warehouse_key": WH_KEY,
        "order_number": "R1",
        "account_id": "wildberries_main",
        "marketplace": "wildberries",
        "cancelled": False,
        "postings": ["9001", "9002"],
        "lines": [{"product_key": product, "offer_id": "WB-01", "quantity": 2, "price": 100}],
    }
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        conn.execute(
            "truncate ops.outbox_attempts, ops.outbox_acknowledged, ops.outbox restart identity cascade"
        )
        conn.execute("truncate ops.reverse_etl_progress_requests")
        conn.execute(
            "insert into ops.reverse_etl_accounts (account_id, marketplace, settings) values"
            " ('wildberries_main', 'wildberries', '{}') on conflict (account_id) do nothing"
        )
        (outbox_id,) = conn.execute(
            "insert into ops.outbox (target, account_id, item_key, payload, payload_hash, state)"
            " values ('onec_reservations', 'ut', 'wildberries_main:R1', %s, 'h', 'acknowledged') returning id",
            [Jsonb(reservation)],
        ).fetchone()
        conn.execute(
            "insert into ops.outbox_acknowledged (target, item_key, account_id, payload_hash, payload, outbox_id,"
            " acknowledged_at) values ('onec_reservations', 'wildberries_main:R1', 'ut', 'h', %s, %s, now())",
            [Jsonb(reservation), outbox_id],
        )
    wh.set_demand(
        [
            unit("wildberries", "9001", "WB-01", order_number="R1", order_group="U1", unit_ref="9001"),
            unit("wildberries", "9002", "WB-01", order_number="R1", order_group="U1", unit_ref="9002"),
        ]
    )
    wh.build()
    finished = _pick_and_finish(wh, [("460WB-01", 1)])
    assert finished["reverse_etl"]["requested"] == 2, finished["reverse_etl"]

    items = {
        target: payload
        for target, payload in wh.sql(
            "select target, payload from ops.outbox where target <> 'onec_reservations' and state = 'pending'"
            " order by id"
        )
    }
    assert set(items) == {"onec_assembled", "wildberries_shortages"}
    onec = items["onec_assembled"]
    assert onec["status"] == ASSEMBLED_STATUS
    assert sorted((line["quantity"], line["cancelled"]) for line in onec["lines"]) == [(1, False), (1, True)]
    shortage = items["wildberries_shortages"]
    assert (shortage["posting_number"], shortage["whole"], shortage["units"][0]["quantity"]) == (
        "9002",
        True,
        1,
    )
    assert wh.sql("select vendor_order_id from ops.reverse_etl_progress_requests") == [("9001",)]
