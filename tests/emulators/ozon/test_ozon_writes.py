"""Seller writes: status transitions, stock and price updates land in the canonical world and push_log."""

from __future__ import annotations

import json
from typing import Any

SHIP_ONE = {
    "posting_number": "00000005-0001-1",
    "packages": [{"products": [{"product_id": 900001, "quantity": 1}]}],
}


def status_of(env: Any, posting: str) -> str:
    """The posting's status as the API reports it."""
    return env.post("/v3/posting/fbs/get", {"posting_number": posting}).json()["result"]["status"]


def test_ship_moves_to_awaiting_deliver_and_records_history(ozon_rw: Any) -> None:
    response = ozon_rw.post("/v4/posting/fbs/ship", SHIP_ONE)
    assert response.status_code == 200
    assert response.json() == {"additional_data": [], "result": ["00000005-0001-1"]}
    assert status_of(ozon_rw, "00000005-0001-1") == "awaiting_deliver"
    history = ozon_rw.query(
        "select h.status, h.actor from order_status_history h join orders o on o.id = h.order_id "
        "where o.posting_number = ? order by h.rowid desc limit 1",
        ("00000005-0001-1",),
    )
    assert (history[0]["status"], history[0]["actor"]) == ("awaiting_deliver", "seller")
    log = ozon_rw.query("select * from push_log where path = '/v4/posting/fbs/ship'")
    assert len(log) == 1
    assert json.loads(log[0]["body"]) == SHIP_ONE
    assert log[0]["vendor"] == "ozon"
    assert log[0]["account_id"] == "ozon_main"


def test_ship_twice_is_already_shipped(ozon_rw: Any) -> None:
    ozon_rw.post("/v4/posting/fbs/ship", SHIP_ONE)
    again = ozon_rw.post("/v4/posting/fbs/ship", SHIP_ONE)
    assert again.status_code == 400
    assert again.json() == {"code": 3, "message": "POSTING_ALREADY_SHIPPED", "details": []}


def test_ship_errors(ozon_rw: Any) -> None:
    cancelled = {**SHIP_ONE, "posting_number": "00000004-0001-1"}
    assert ozon_rw.post("/v4/posting/fbs/ship", cancelled).json()["message"] == "POSTING_ALREADY_CANCELLED"
    missing = ozon_rw.post("/v4/posting/fbs/ship", {**SHIP_ONE, "posting_number": "1-2-3"})
    assert (missing.status_code, missing.json()["message"]) == (404, "POSTING_NOT_FOUND")
    wrong_qty = {**SHIP_ONE, "packages": [{"products": [{"product_id": 900001, "quantity": 2}]}]}
    assert (
        ozon_rw.post("/v4/posting/fbs/ship", wrong_qty).json()["message"] == "HAS_INCORRECT_PRODUCT_QUANTITY"
    )
    unknown = {**SHIP_ONE, "packages": [{"products": [{"product_id": 1, "quantity": 1}]}]}
    assert ozon_rw.post("/v4/posting/fbs/ship", unknown).json()["message"] == "UNKNOWN_PRODUCT_DEFINED"
    assert status_of(ozon_rw, "00000005-0001-1") == "awaiting_packaging"
    assert ozon_rw.query("select count(*) as n from push_log")[0]["n"] == 0


def test_ship_with_two_packages_splits_the_posting(ozon_rw: Any) -> None:
    body = {
        "posting_number": "00000000-0001-1",
        "packages": [
            {"products": [{"product_id": 900001, "quantity": 1}, {"product_id": 900002, "quantity": 1}]},
            {"products": [{"product_id": 900002, "quantity": 1}]},
        ],
        "with": {"additional_data": True},
    }
    answer = ozon_rw.post("/v4/posting/fbs/ship", body).json()
    assert answer["result"] == ["00000000-0001-1", "00000000-0001-2"]
    assert [a["products"][-1]["quantity"] for a in answer["additional_data"]] == [1, 1]
    new = ozon_rw.post("/v3/posting/fbs/get", {"posting_number": "00000000-0001-2"}).json()["result"]
    assert new["status"] == "awaiting_deliver"
    assert new["order_number"] == "00000000-0001"
    assert new["parent_posting_number"] == "00000000-0001-1"
    assert [(p["sku"], p["quantity"]) for p in new["products"]] == [(900002, 1)]
    old = ozon_rw.post("/v3/posting/fbs/get", {"posting_number": "00000000-0001-1"}).json()["result"]
    assert [(p["sku"], p["quantity"]) for p in old["products"]] == [(900001, 1), (900002, 1)]


def test_cancel_sets_status_and_reason(ozon_rw: Any) -> None:
    body = {"posting_number": "00000000-0001-1", "cancel_reason_id": 352}
    assert ozon_rw.post("/v2/posting/fbs/cancel", body).json() == {"result": True}
    result = ozon_rw.post("/v3/posting/fbs/get", {"posting_number": "00000000-0001-1"}).json()["result"]
    assert result["status"] == "cancelled"
    assert result["cancellation"]["cancel_reason_id"] == 352
    assert result["cancellation"]["cancellation_initiator"] == "Продавец"
    again = ozon_rw.post("/v2/posting/fbs/cancel", body)
    assert again.json()["message"] == "POSTING_ALREADY_CANCELLED"


def test_cancel_validation(ozon_rw: Any) -> None:
    bad_reason = ozon_rw.post(
        "/v2/posting/fbs/cancel", {"posting_number": "00000000-0001-1", "cancel_reason_id": 1}
    )
    assert bad_reason.json() == {"code": 3, "message": "HAS_INCORRECT_CANCEL_REASON", "details": []}
    no_message = ozon_rw.post(
        "/v2/posting/fbs/cancel", {"posting_number": "00000000-0001-1", "cancel_reason_id": 402}
    )
    assert no_message.status_code == 400
    delivered = ozon_rw.post(
        "/v2/posting/fbs/cancel", {"posting_number": "00000003-0001-1", "cancel_reason_id": 352}
    )
    assert delivered.json()["message"] == "HAS_INCORRECT_STATUS"


def test_rfbs_delivering_then_delivered(ozon_rw: Any) -> None:
    body = {"posting_number": ["09100000-0001-1", "00000001-0001-1"]}
    answer = ozon_rw.post("/v2/fbs/posting/delivering", body).json()["result"]
    assert answer == [
        {"posting_number": "09100000-0001-1", "result": True, "error": ""},
        {"posting_number": "00000001-0001-1", "result": False, "error": "HAS_INCORRECT_TPL_INTEGRATION_TYPE"},
    ]
    assert status_of(ozon_rw, "09100000-0001-1") == "delivering"
    too_early = ozon_rw.post("/v2/fbs/posting/delivering", {"posting_number": ["09100000-0001-1"]}).json()
    assert too_early["result"][0]["error"] == "TRANSITION_IS_NOT_POSSIBLE"
    ozon_rw.post("/v2/fbs/posting/delivered", {"posting_number": ["09100000-0001-1"]})
    assert status_of(ozon_rw, "09100000-0001-1") == "delivered"


def test_stock_update_sets_present_and_logs(ozon_rw: Any) -> None:
    body = {"stocks": [{"offer_id": "A-2", "product_id": 0, "stock": 17, "warehouse_id": ozon_rw.fbs_wh}]}
    answer = ozon_rw.post("/v2/products/stocks", body).json()
    assert answer == {
        "result": [
            {
                "warehouse_id": ozon_rw.fbs_wh,
                "product_id": 500002,
                "offer_id": "A-2",
                "updated": True,
                "errors": [],
            }
        ]
    }
    row = ozon_rw.query(
        "select present from stocks where warehouse_id = 'ozon_main:fbs1' and offer_id = 'A-2'"
    )
    assert row[0]["present"] == 17
    read = ozon_rw.post("/v4/product/info/stocks", {"limit": 10, "filter": {"offer_id": ["A-2"]}}).json()
    assert read["items"][0]["stocks"][0]["present"] == 17
    assert len(ozon_rw.query("select * from push_log where path = '/v2/products/stocks'")) == 1


def test_stock_update_same_pair_within_30s_is_refused_per_item(ozon_rw: Any) -> None:
    body = {"stocks": [{"offer_id": "A-1", "product_id": 0, "stock": 1, "warehouse_id": ozon_rw.fbs_wh}]}
    assert ozon_rw.post("/v2/products/stocks", body).json()["result"][0]["updated"] is True
    second = ozon_rw.post("/v2/products/stocks", {"stocks": [{**body["stocks"][0], "stock": 2}]})
    assert second.status_code == 200
    item = second.json()["result"][0]
    assert item["updated"] is False
    assert item["errors"] == [{"code": "TOO_MANY_REQUESTS", "message": "Stock is updated too frequently"}]
    row = ozon_rw.query(
        "select present from stocks where warehouse_id = 'ozon_main:fbs1' and offer_id = 'A-1'"
    )
    assert row[0]["present"] == 1


def test_stock_update_item_errors(ozon_rw: Any) -> None:
    body = {
        "stocks": [
            {"offer_id": "NOPE", "product_id": 0, "stock": 1, "warehouse_id": ozon_rw.fbs_wh},
            {"offer_id": "A-2", "product_id": 0, "stock": 1, "warehouse_id": 1},
            {"offer_id": "A-3", "product_id": 0, "stock": 1_000_000, "warehouse_id": ozon_rw.fbs_wh},
        ]
    }
    codes = [r["errors"][0]["code"] for r in ozon_rw.post("/v2/products/stocks", body).json()["result"]]
    assert codes == ["offer_id_not_found", "WAREHOUSE_NOT_FOUND", "STOCK_TOO_BIG"]
    too_many = {"stocks": [body["stocks"][0]] * 101}
    assert ozon_rw.post("/v2/products/stocks", too_many).status_code == 400


def test_price_update_changes_offer_and_reads_back(ozon_rw: Any) -> None:
    body = {"prices": [{"offer_id": "A-1", "price": "3999.90", "old_price": "0", "currency_code": "RUB"}]}
    answer = ozon_rw.post("/v1/product/import/prices", body).json()
    assert answer == {"result": [{"product_id": 500001, "offer_id": "A-1", "updated": True, "errors": []}]}
    offer = ozon_rw.query("select price_kop, old_price_kop from offers where offer_id = 'A-1'")[0]
    assert (offer["price_kop"], offer["old_price_kop"]) == (399990, None)
    item = ozon_rw.post("/v5/product/info/prices", {"limit": 1, "filter": {"offer_id": ["A-1"]}}).json()[
        "items"
    ][0]
    assert item["price"]["price"] == 3999.9
    assert item["price"]["old_price"] == 0.0
    assert len(ozon_rw.query("select * from push_log where path = '/v1/product/import/prices'")) == 1


def test_price_update_item_errors(ozon_rw: Any) -> None:
    body = {"prices": [{"offer_id": "NOPE", "price": "1"}, {"offer_id": "A-2", "price": "-5"}]}
    codes = [r["errors"][0]["code"] for r in ozon_rw.post("/v1/product/import/prices", body).json()["result"]]
    assert codes == ["NOT_FOUND_ERROR", "price_negative"]
