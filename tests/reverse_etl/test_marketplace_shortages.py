"""Units a finished pick list did not find are told to the marketplace through the one outbox: Wildberries cancels
the short assembly task, Megamarket rejects the short lots (OUT_OF_STOCK), Ozon cancels a posting of which nothing was
found or, per product, the units not found of one partly found (/v2/posting/fbs/product/cancel), Yandex Market
cancels an order of which nothing was found. Real Postgres (the module's throwaway world) and real HTTP to the
emulators; expectations are read from the emulators' world."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.statuses import request_assembled
from sellerflow.reverse_etl.targets.marketplace_shortages import shortage_key, shortage_payloads

from .conftest import Vendors, World, outbox_rows, serve_vendors


@pytest.fixture
def vendors(world: World, tmp_path: Path) -> Iterator[Vendors]:
    """The marketplace emulators on a fresh copy of the world; empty outbox and progress requests."""
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        conn.execute("truncate ops.reverse_etl_progress_requests")
    with serve_vendors(world, tmp_path) as served:
        yield served


def _first(dsn: str, query: str) -> tuple:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None, query
    return row


def _finish(dsn: str, posting: dict[str, Any]) -> dict[str, Any]:
    """What the TSD's finish hands over for one posting (feedback._request), in one transaction."""
    with psycopg.connect(dsn) as conn:
        return request_assembled(conn, posting)


def _wb_cancels(vendors: Vendors) -> int:
    return int(
        vendors.sql(
            "select count(*) from order_status_history where actor = 'seller' and status = 'cancelled'"
        )[0][0]
    )


def _wb_short_task(world: World) -> dict[str, Any]:
    account, task, order, offer = _first(
        world.dsn,
        "select account_id, natural_key, payload ->> 'rid', payload ->> 'article'"
        " from raw.wildberries_orders_fbs_new order by natural_key limit 1",
    )
    return {
        "marketplace": "wildberries",
        "account_id": account,
        "order_number": order,
        "posting_number": task,
        "items": [{"unit_ref": task, "offer_id": offer, "quantity": 1, "picked": 0, "short": 1}],
    }


def test_a_wb_task_not_found_is_cancelled_once_and_not_assembled(world, vendors) -> None:
    posting = _wb_short_task(world)
    asked = _finish(world.dsn, posting)
    assert asked["shortage"] == {
        "target": "wildberries_shortages",
        "enqueued": 1,
        "units": 1,
        "whole": True,
    }
    assert asked["enqueued"] == 0, "a task with nothing found gets no supply"
    with psycopg.connect(world.dsn) as conn:
        assert conn.execute("select count(*) from ops.reverse_etl_progress_requests").fetchone() == (0,)

    before = _wb_cancels(vendors)
    target = vendors.target("wildberries_shortages")
    result = drain(world.dsn, target)
    assert (result.acknowledged, result.parked, result.failed) == (1, 0, 0), result
    assert _wb_cancels(vendors) == before + 1
    assert vendors.pushes("wildberries", "%/cancel") == 1

    assert _finish(world.dsn, posting)["shortage"]["enqueued"] == 0, "asking again enqueues nothing"
    target.requests_made = 0
    rerun = drain(world.dsn, target)
    assert (rerun.due, target.requests_made) == (0, 0), "a rerun sends 0 requests"
    target.close()


def test_a_crash_after_wb_cancelled_then_a_rerun_cancels_nothing_twice(
    world, vendors, crash_after_first_ack
) -> None:
    _finish(world.dsn, _wb_short_task(world))
    target = vendors.target("wildberries_shortages")
    with pytest.raises(SystemExit):
        drain(world.dsn, target)
    assert crash_after_first_ack
    cancels = _wb_cancels(vendors)
    rerun = drain(world.dsn, target, lease=timedelta(0))
    target.close()
    assert (rerun.acknowledged, rerun.parked) == (1, 0)
    assert _wb_cancels(vendors) == cancels
    assert vendors.pushes("wildberries", "%/cancel") == 1, "read back, not cancelled again"


def test_megamarket_rejects_exactly_the_lots_not_found(world, vendors) -> None:
    account, shipment, items = _first(
        world.dsn,
        "select account_id, natural_key, payload -> 'items' from raw.megamarket_shipments_new"
        " order by jsonb_array_length(payload -> 'items') desc, natural_key limit 1",
    )
    lots = [i for i in items if i.get("offerId") != "delivery"]
    short, found = lots[0], lots[1:]
    posting = {
        "marketplace": "megamarket",
        "account_id": account,
        "order_number": shipment,
        "posting_number": shipment,
        "items": [
            {
                "unit_ref": str(short["itemIndex"]),
                "offer_id": short["offerId"],
                "quantity": 1,
                "picked": 0,
                "short": 1,
            },
            *[
                {
                    "unit_ref": str(i["itemIndex"]),
                    "offer_id": i["offerId"],
                    "quantity": 1,
                    "picked": 1,
                    "short": 0,
                }
                for i in found
            ],
        ],
    }
    asked = _finish(world.dsn, posting)
    assert asked["shortage"]["enqueued"] == 1
    assert asked["shortage"]["whole"] is (not found)
    target = vendors.target("megamarket_shortages")
    result = drain(world.dsn, target)
    target.close()
    assert result.acknowledged == 1, result
    (vendor,) = vendors.sql("select vendor from orders where posting_number = ?", shipment)[0]
    states = {index: lot.get("status") for index, lot in (json.loads(vendor).get("items") or {}).items()}
    assert states.get(str(short["itemIndex"])) == "MERCHANT_CANCELED"
    assert all(states.get(str(i["itemIndex"])) != "MERCHANT_CANCELED" for i in found), (
        "only the lot not found"
    )
    assert vendors.pushes("megamarket", "%order/reject") == 1


def _ozon_posting(world: World, status: str, units: int = 1) -> tuple[str, str, str, list[dict[str, Any]]]:
    """An Ozon posting whose latest listed version has ``status`` and at least ``units`` units."""
    rows = outbox_rows(
        world.dsn,
        "select * from (select distinct on (account_id, natural_key) account_id, natural_key,"
        " payload ->> 'order_number', payload -> 'products', payload ->> 'status' as status"
        " from raw.ozon_postings_fbs_unfulfilled order by account_id, natural_key, extracted_at desc, id desc) v"
        " where status = %s order by natural_key",
        status,
    )
    return next(r[:4] for r in rows if sum(int(p["quantity"]) for p in r[3]) >= units)


def _one_unit_short(account: str, posting: str, order: str, products: list[dict[str, Any]]) -> dict[str, Any]:
    """The finished posting with one unit of its first product not found."""
    return {
        "marketplace": "ozon",
        "account_id": account,
        "order_number": order,
        "posting_number": posting,
        "items": [
            {
                "unit_ref": str(p["sku"]),
                "offer_id": p["offer_id"],
                "quantity": int(p["quantity"]),
                "picked": int(p["quantity"]) - (1 if n == 0 else 0),
                "short": 1 if n == 0 else 0,
            }
            for n, p in enumerate(products)
        ],
    }


def test_part_of_an_ozon_posting_is_one_item_per_product() -> None:
    posting = {
        "marketplace": "ozon",
        "account_id": "oz",
        "posting_number": "1-1-1",
        "items": [
            {"unit_ref": "11", "offer_id": "A", "quantity": 3, "picked": 1, "short": 2},
            {"unit_ref": "12", "offer_id": "B", "quantity": 1, "picked": 0, "short": 1},
            {"unit_ref": "13", "offer_id": "C", "quantity": 1, "picked": 1, "short": 0},
            {"unit_ref": "", "offer_id": "D", "quantity": 1, "picked": 0, "short": 1},
        ],
    }
    payloads = shortage_payloads(posting)
    keyed = {shortage_key(p): p for p in payloads}
    assert set(keyed) == {"oz:1-1-1:11", "oz:1-1-1:12", "oz:1-1-1:"}
    assert [(u["quantity"], u["planned"]) for u in keyed["oz:1-1-1:11"]["units"]] == [(2, 3)]
    assert keyed["oz:1-1-1:11"]["problems"] == []
    assert keyed["oz:1-1-1:11"]["whole"] is False
    assert "no Ozon SKU" in keyed["oz:1-1-1:"]["problems"][0], "a unit without an SKU is parked, not guessed"
    whole = {**posting, "items": [dict(i, picked=0, short=i["quantity"]) for i in posting["items"]]}
    assert [shortage_key(p) for p in shortage_payloads(whole)] == ["oz:1-1-1"], "nothing found: the posting"


def test_a_crash_after_ozon_cancelled_the_units_reads_back_and_cancels_nothing_twice(
    world, vendors, crash_after_first_ack
) -> None:
    account, posting, order, products = _ozon_posting(world, "awaiting_packaging", units=2)
    short_sku = int(products[0]["sku"])
    asked = _finish(world.dsn, _one_unit_short(account, posting, order, products))
    assert asked["shortage"] == {"target": "ozon_shortages", "enqueued": 1, "units": 1, "whole": False}
    target = vendors.target("ozon_shortages")
    with pytest.raises(SystemExit):
        drain(world.dsn, target)
    assert crash_after_first_ack
    rerun = drain(world.dsn, target, lease=timedelta(0))
    target.close()
    assert (rerun.acknowledged, rerun.parked) == (1, 0), rerun
    assert vendors.pushes("ozon", "%product/cancel") == 1, "read back, not cancelled again"
    (message,) = outbox_rows(
        world.dsn,
        "select a.message from ops.outbox_attempts a join ops.outbox o on o.id = a.outbox_id"
        " where o.target = 'ozon_shortages' order by a.id desc limit 1",
    )[0]
    assert "already holds" in message
    held = vendors.sql(
        "select sum(l.quantity) from orders o join order_lines l on l.order_id = o.id join offers f"
        " on f.account_id = o.account_id and f.offer_id = l.offer_id where o.posting_number = ? and f.mp_sku = ?",
        posting,
        short_sku,
    )[0][0]
    assert int(held or 0) == int(products[0]["quantity"]) - 1


def test_a_product_cancel_ozon_refuses_is_parked_with_its_reason(world, vendors) -> None:
    """Once the posting is packed (awaiting_deliver) Ozon no longer offers product_cancel: parked, nothing changed."""
    account, posting, order, products = _ozon_posting(world, "awaiting_deliver", units=2)
    _finish(world.dsn, _one_unit_short(account, posting, order, products))
    target = vendors.target("ozon_shortages")
    result = drain(world.dsn, target)
    target.close()
    assert (result.acknowledged, result.parked) == (0, 1), result
    (reason, code) = outbox_rows(
        world.dsn,
        "select o.reason, a.vendor_code from ops.outbox o join ops.outbox_attempts a"
        " on a.outbox_id = o.id where o.target = 'ozon_shortages'",
    )[0]
    assert "HAS_INCORRECT_STATUS" in reason
    assert code == "HAS_INCORRECT_STATUS"
    assert vendors.pushes("ozon") == 0


def test_an_ozon_posting_with_nothing_found_is_cancelled_once(world, vendors) -> None:
    account, posting_number, order, products = _first(
        world.dsn,
        "select account_id, natural_key, payload ->> 'order_number', payload -> 'products'"
        " from raw.ozon_postings_fbs_unfulfilled where payload ->> 'status' = 'awaiting_packaging'"
        " order by natural_key limit 1",
    )
    posting = {
        "marketplace": "ozon",
        "account_id": account,
        "order_number": order,
        "posting_number": posting_number,
        "items": [
            {
                "unit_ref": str(p["sku"]),
                "offer_id": p["offer_id"],
                "quantity": p["quantity"],
                "picked": 0,
                "short": p["quantity"],
            }
            for p in products
        ],
    }
    asked = _finish(world.dsn, posting)
    assert asked["shortage"]["whole"] is True
    target = vendors.target("ozon_shortages")
    result = drain(world.dsn, target)
    assert (result.acknowledged, result.parked) == (1, 0), result
    status = vendors.sql(
        "select h.status from order_status_history h join orders o on o.id = h.order_id"
        " where o.posting_number = ? order by h.at desc, h.rowid desc limit 1",
        posting_number,
    )
    assert status == [("cancelled",)]
    assert vendors.pushes("ozon", "/v2/posting/fbs/cancel") == 1
    target.requests_made = 0
    assert drain(world.dsn, target).due == 0
    assert target.requests_made == 0, "a rerun sends 0 requests"
    target.close()


def test_a_yandex_market_order_with_nothing_found_is_cancelled_by_the_shop(world, vendors) -> None:
    account, order_id, items = _first(
        world.dsn,
        "select account_id, natural_key, payload -> 'items' from raw.yandex_market_orders_processing"
        " where payload ->> 'substatus' = 'STARTED' order by natural_key limit 1",
    )
    posting = {
        "marketplace": "yandex_market",
        "account_id": account,
        "order_number": order_id,
        "posting_number": order_id,
        "items": [
            {
                "unit_ref": str(i["id"]),
                "offer_id": i["offerId"],
                "quantity": i["count"],
                "picked": 0,
                "short": i["count"],
            }
            for i in items
        ],
    }
    assert _finish(world.dsn, posting)["shortage"]["whole"] is True
    target = vendors.target("yandex_market_shortages")
    result = drain(world.dsn, target)
    target.close()
    assert (result.acknowledged, result.parked) == (1, 0), result
    latest = vendors.sql(
        "select h.status, h.vendor_status from order_status_history h join orders o on o.id = h.order_id"
        " where o.posting_number = ? order by h.at desc, h.rowid desc limit 1",
        str(order_id),
    )
    assert latest[0][0] == "cancelled", latest
    assert vendors.pushes("yandex_market", "%/status") == 1
