"""Order status writes: single PUT and batch status-update, with history and push_log effects."""

from __future__ import annotations

import json
import sqlite3

import httpx

from .conftest import (
    DBS_CAMPAIGN,
    DBS_ORDER,
    FBS_CAMPAIGN,
    ORDER_CANCELLED,
    ORDER_DELIVERED,
    ORDER_STARTED,
    Contract,
)


def _status_url(order_id: int, campaign: int = FBS_CAMPAIGN) -> str:
    return f"/v2/campaigns/{campaign}/orders/{order_id}/status"


def _history(db: sqlite3.Connection, posting: int) -> list[tuple[str, str, str]]:
    rows = db.execute(
        "select h.status, h.vendor_status, h.actor from order_status_history h join orders o on o.id = h.order_id "
        "where o.posting_number = ? order by h.at, h.rowid",
        (str(posting),),
    ).fetchall()
    return [tuple(r) for r in rows]


def test_ready_to_ship_is_written_to_history_and_push_log(
    client: httpx.Client, db: sqlite3.Connection, contract: Contract
) -> None:
    resp = client.put(
        _status_url(ORDER_STARTED), json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    )
    assert resp.status_code == 200
    contract.validate(resp.json(), "UpdateOrderStatusResponse")
    assert (resp.json()["order"]["status"], resp.json()["order"]["substatus"]) == (
        "PROCESSING",
        "READY_TO_SHIP",
    )
    assert _history(db, ORDER_STARTED)[-1] == ("awaiting_deliver", "PROCESSING/READY_TO_SHIP", "seller")
    log = db.execute("select vendor, account_id, method, path, body from push_log").fetchall()
    assert [(r["vendor"], r["account_id"], r["method"], r["path"]) for r in log] == [
        ("yandex_market", "yandex_market_main", "PUT", _status_url(ORDER_STARTED))
    ]
    assert json.loads(log[0]["body"])["order"]["substatus"] == "READY_TO_SHIP"
    # The next read shows the new status.
    order = client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders/{ORDER_STARTED}").json()["order"]
    assert order["substatus"] == "READY_TO_SHIP"


def test_repeating_the_current_status_changes_nothing(client: httpx.Client, db: sqlite3.Connection) -> None:
    body = {"order": {"status": "PROCESSING", "substatus": "STARTED"}}
    resp = client.put(_status_url(ORDER_STARTED), json=body)
    assert resp.status_code == 200
    assert len(_history(db, ORDER_STARTED)) == 1


def test_seller_cancels_before_shipment_with_shop_failed(
    client: httpx.Client, db: sqlite3.Connection
) -> None:
    resp = client.put(
        _status_url(ORDER_STARTED), json={"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}}
    )
    assert resp.status_code == 200
    assert _history(db, ORDER_STARTED)[-1] == ("cancelled", "CANCELLED/SHOP_FAILED", "seller")


def test_changing_a_delivered_order_is_a_400(
    client: httpx.Client, db: sqlite3.Connection, contract: Contract
) -> None:
    before = _history(db, ORDER_DELIVERED)
    resp = client.put(
        _status_url(ORDER_DELIVERED), json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    )
    assert resp.status_code == 400
    contract.validate(resp.json(), "ApiClientDataErrorResponse")
    assert resp.json()["errors"] == [
        {
            "code": "BAD_REQUEST",
            "message": f"Order {ORDER_DELIVERED} with status DELIVERED is not allowed for status PROCESSING",
        }
    ]
    assert _history(db, ORDER_DELIVERED) == before
    assert db.execute("select count(*) from push_log").fetchone()[0] == 0


def test_fbs_seller_cannot_use_buyer_cancel_reasons_or_dbs_statuses(client: httpx.Client) -> None:
    reason = client.put(
        _status_url(ORDER_STARTED), json={"order": {"status": "CANCELLED", "substatus": "USER_CHANGED_MIND"}}
    )
    assert reason.status_code == 400
    delivery = client.put(_status_url(ORDER_STARTED), json={"order": {"status": "DELIVERY"}})
    assert delivery.status_code == 400


def test_missing_status_is_a_400_in_ym_words(client: httpx.Client) -> None:
    resp = client.put(_status_url(ORDER_STARTED), json={"order": {"substatus": "READY_TO_SHIP"}})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["message"] == "Missing field: order.status"


def test_dbs_seller_moves_the_order_through_delivery(client: httpx.Client, db: sqlite3.Connection) -> None:
    url = _status_url(DBS_ORDER, DBS_CAMPAIGN)
    assert client.put(url, json={"order": {"status": "DELIVERY"}}).status_code == 200
    assert client.put(url, json={"order": {"status": "PICKUP"}}).status_code == 200
    done = client.put(
        url,
        json={"order": {"status": "DELIVERED", "delivery": {"dates": {"realDeliveryDate": "2025-02-10"}}}},
    )
    assert done.status_code == 200
    assert (done.json()["order"]["status"], done.json()["order"]["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )
    # DELIVERY and PICKUP share the canonical status and the clock tick, so PICKUP replaces DELIVERY.
    assert [h[1] for h in _history(db, DBS_ORDER)] == [
        "PROCESSING/READY_TO_SHIP",
        "PICKUP/PICKUP_SERVICE_RECEIVED",
        "DELIVERED/DELIVERY_SERVICE_DELIVERED",
    ]
    assert db.execute("select count(*) from push_log").fetchone()[0] == 3


def test_batch_update_reports_each_order(
    client: httpx.Client, db: sqlite3.Connection, contract: Contract
) -> None:
    resp = client.post(
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders/status-update",
        json={
            "orders": [
                {"id": ORDER_STARTED, "status": "PROCESSING", "substatus": "READY_TO_SHIP"},
                {"id": ORDER_CANCELLED, "status": "PROCESSING", "substatus": "READY_TO_SHIP"},
                {"id": 1, "status": "PROCESSING", "substatus": "READY_TO_SHIP"},
            ]
        },
    )
    assert resp.status_code == 200
    body = resp.json()
    contract.validate(body, "UpdateOrderStatusesResponse")
    results = {o["id"]: o for o in body["result"]["orders"]}
    assert results[ORDER_STARTED]["updateStatus"] == "OK"
    assert results[ORDER_CANCELLED]["updateStatus"] == "ERROR"
    assert results[ORDER_CANCELLED]["status"] == "CANCELLED"
    assert results[1] == {"id": 1, "updateStatus": "ERROR", "errorDetails": "Order not found: 1"}
    assert _history(db, ORDER_STARTED)[-1][1] == "PROCESSING/READY_TO_SHIP"
    assert db.execute("select count(*) from push_log where path like '%status-update'").fetchone()[0] == 1


def test_batch_update_rejects_more_than_thirty_orders(client: httpx.Client, db: sqlite3.Connection) -> None:
    orders = [{"id": 71000000 + i, "status": "PROCESSING", "substatus": "READY_TO_SHIP"} for i in range(31)]
    resp = client.post(f"/v2/campaigns/{FBS_CAMPAIGN}/orders/status-update", json={"orders": orders})
    assert resp.status_code == 400
    assert (
        resp.json()["errors"][0]["message"]
        == "Value / length of field (orders) must be less than or equal to 30"
    )
    assert db.execute("select count(*) from push_log").fetchone()[0] == 0
