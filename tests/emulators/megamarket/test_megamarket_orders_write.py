"""Seller actions: confirm, reject, packing, shipping, close, cancelResult and what they write."""

from __future__ import annotations

import json
from typing import Any

from .megamarket_world import Emulator

NEW = "9324005526611"  # NEW, lots 1-2 SKU-1, lot 3 SKU-2
CONFIRMED = "9324005526622"  # CONFIRMED, lot 1 SKU-2
PACKED = "9324005526633"  # PACKED
CUSTOMER_CANCELED = "9324005526644"
SHIPPED_DBS = "9324005526655"


def history(emulator: Emulator, shipment_id: str) -> list[tuple[str, str, str, str]]:
    rows = emulator.conn.execute(
        """select h.at, h.status, h.vendor_status, h.actor from order_status_history h
             join orders o on o.id = h.order_id where o.posting_number = ? order by h.at, h.rowid""",
        (shipment_id,),
    )
    return [tuple(row) for row in rows]


def pushes(emulator: Emulator) -> list[tuple[str, str, dict[str, Any]]]:
    rows = emulator.conn.execute("select vendor, path, body from push_log order by id")
    return [(row["vendor"], row["path"], json.loads(row["body"])) for row in rows]


def lots(indexes: list[str], offer: str | None = None) -> list[dict[str, Any]]:
    return [{"itemIndex": index, **({"offerId": offer} if offer else {})} for index in indexes]


def test_confirm_moves_new_to_confirmed_and_records_it(emulator: Emulator) -> None:
    items = [
        {"itemIndex": "1", "offerId": "SKU-1"},
        {"itemIndex": "2", "offerId": "SKU-1"},
        *lots(["3"], "SKU-2"),
    ]
    body = emulator.order(
        "confirm", {"shipments": [{"shipmentId": NEW, "orderCode": "ROM-11", "items": items}]}
    )
    assert body == {"success": 1, "meta": {}, "data": {"result": 1}}
    shipment = emulator.shipment(NEW)
    assert (shipment["status"], shipment["orderCode"]) == ("CONFIRMED", "ROM-11")
    assert history(emulator, NEW)[-1] == ("2025-03-10T12:00:00Z", "awaiting_packaging", "CONFIRMED", "seller")
    vendor, path, logged = pushes(emulator)[-1]
    assert (vendor, path) == ("megamarket", "/api/market/v1/orderService/order/confirm")
    assert "token" not in logged
    assert logged["shipments"][0]["orderCode"] == "ROM-11"


def test_confirm_of_a_confirmed_shipment_is_a_wrong_transition(emulator: Emulator) -> None:
    body = emulator.order(
        "confirm", {"shipments": [{"shipmentId": CONFIRMED, "orderCode": "X", "items": lots(["1"])}]}
    )
    assert body["success"] == 0
    assert body["data"] == {"result": 0}
    assert body["error"][0]["code"] == "WRONG_STATUS"
    assert body["error"][0]["shipmentId"] == CONFIRMED
    assert pushes(emulator) == []


def test_confirm_validates_order_code_and_lots(emulator: Emulator) -> None:
    cyrillic = emulator.order(
        "confirm", {"shipments": [{"shipmentId": NEW, "orderCode": "РОМ-1", "items": lots(["1"])}]}
    )
    wrong_lot = emulator.order(
        "confirm",
        {"shipments": [{"shipmentId": NEW, "orderCode": "R1", "items": lots(["7"]) + lots(["3"], "SKU-1")}]},
    )
    assert cyrillic["error"][0]["code"] == "VALIDATION_ERROR"
    assert [(e["code"], e["itemIndex"]) for e in wrong_lot["error"]] == [
        ("ITEM_NOT_FOUND", "7"),
        ("ITEM_NOT_FOUND", "3"),
    ]
    assert emulator.shipment(NEW)["status"] == "NEW"


def test_unknown_shipment_fails_the_whole_call_atomically(emulator: Emulator) -> None:
    body = emulator.order(
        "confirm",
        {
            "shipments": [
                {"shipmentId": NEW, "orderCode": "R1", "items": lots(["1", "2", "3"])},
                {"shipmentId": "9324005529911", "orderCode": "R2", "items": lots(["1"])},  # other cabinet's
            ]
        },
    )
    assert body["success"] == 0
    assert body["error"] == [
        {"code": "SHIPMENT_NOT_FOUND", "message": "Отправление не найдено", "shipmentId": "9324005529911"}
    ]
    assert emulator.shipment(NEW)["status"] == "NEW"


def test_reject_of_some_lots_cancels_only_them(emulator: Emulator) -> None:
    body = emulator.order(
        "reject",
        {
            "shipments": [{"shipmentId": NEW, "items": lots(["3"], "SKU-2")}],
            "reason": {"type": "OUT_OF_STOCK", "comment": ""},
        },
    )
    assert body["data"]["result"] == 1
    shipment = emulator.shipment(NEW)
    assert shipment["status"] == "NEW"
    assert [(i["status"], i["subStatus"]) for i in shipment["items"]] == [
        ("NEW", None),
        ("NEW", None),
        ("MERCHANT_CANCELED", "CONFIRMATION_REJECT"),
    ]


def test_reject_of_all_lots_after_confirmation_is_a_late_reject(emulator: Emulator) -> None:
    body = emulator.order(
        "reject",
        {
            "shipments": [{"shipmentId": CONFIRMED, "items": lots(["1"])}],
            "reason": {"type": "INCORRECT_PRICE"},
        },
    )
    assert body["success"] == 1
    shipment = emulator.shipment(CONFIRMED)
    assert shipment["status"] == "MERCHANT_CANCELED"
    assert shipment["items"][0]["subStatus"] == "LATE_REJECT"
    assert history(emulator, CONFIRMED)[-1][1:] == ("cancelled", "MERCHANT_CANCELED", "seller")


def test_reject_requires_a_documented_reason(emulator: Emulator) -> None:
    body = emulator.order(
        "reject", {"shipments": [{"shipmentId": NEW, "items": lots(["1"])}], "reason": {"type": "BORED"}}
    )
    assert body["error"][0]["code"] == "VALIDATION_ERROR"


def test_staged_packing_packs_the_shipment_when_every_lot_is_packed(emulator: Emulator) -> None:
    emulator.order(
        "confirm", {"shipments": [{"shipmentId": NEW, "orderCode": "R1", "items": lots(["1", "2", "3"])}]}
    )
    box = {"boxIndex": 1, "boxCode": "175306*R1*1"}
    first = emulator.order(
        "packing",
        {
            "shipments": [
                {
                    "shipmentId": NEW,
                    "orderCode": "R1",
                    "items": [{"itemIndex": "1", "quantity": 1, "boxes": [box]}],
                }
            ]
        },
    )
    assert first["data"]["result"] == 1
    partly = emulator.shipment(NEW)
    assert partly["status"] == "CONFIRMED"
    assert [i["status"] for i in partly["items"]] == ["PACKED", "CONFIRMED", "CONFIRMED"]
    assert partly["items"][0]["boxIndex"] == 1
    emulator.order(
        "packing", {"shipments": [{"shipmentId": NEW, "items": [{"itemIndex": "2"}, {"itemIndex": "3"}]}]}
    )
    assert emulator.shipment(NEW)["status"] == "PACKED"
    assert history(emulator, NEW)[-1][1:] == ("awaiting_deliver", "PACKED", "seller")


def test_packing_quantity_is_always_one(emulator: Emulator) -> None:
    body = emulator.order(
        "packing", {"shipments": [{"shipmentId": CONFIRMED, "items": [{"itemIndex": "1", "quantity": 2}]}]}
    )
    assert (body["error"][0]["code"], body["error"][0]["itemIndex"]) == ("VALIDATION_ERROR", "1")


def test_packing_before_confirmation_is_a_wrong_transition(emulator: Emulator) -> None:
    body = emulator.order("packing", {"shipments": [{"shipmentId": NEW, "items": lots(["1", "2", "3"])}]})
    assert body["error"][0]["code"] == "WRONG_STATUS"


def test_shipping_moves_packed_to_shipped(emulator: Emulator) -> None:
    shipping = {"shippingDate": "2025-03-10T15:00:00+03:00"}
    boxes = [{"boxIndex": 1, "boxCode": "175306*ROM-33*1"}]
    body = emulator.order(
        "shipping", {"shipments": [{"shipmentId": PACKED, "boxes": boxes, "shipping": shipping}]}
    )
    assert body["data"]["result"] == 1
    assert emulator.shipment(PACKED)["status"] == "SHIPPED"
    assert history(emulator, PACKED)[-1][1:] == ("delivering", "SHIPPED", "seller")
    again = emulator.order("shipping", {"shipments": [{"shipmentId": PACKED, "shipping": shipping}]})
    assert again["error"][0]["code"] == "WRONG_STATUS"


def test_close_delivers_a_merchant_delivered_shipment(emulator: Emulator) -> None:
    items = [{"itemIndex": "1", "handoverResult": True}]
    body = emulator.order(
        "close",
        {
            "shipments": [
                {"shipmentId": SHIPPED_DBS, "closeDate": "2025-03-10T15:00:00+03:00", "items": items}
            ]
        },
    )
    assert body["data"]["result"] == 1
    assert emulator.shipment(SHIPPED_DBS)["status"] == "DELIVERED"
    fbs = emulator.order("close", {"shipments": [{"shipmentId": PACKED, "items": items}]})
    assert fbs["error"][0]["code"] == "WRONG_STATUS"


def test_cancel_result_acknowledges_customer_cancellation_only(emulator: Emulator) -> None:
    items = [{"itemIndex": "1", "canceled": True}]
    ok = emulator.order("cancelResult", {"shipments": [{"shipmentId": CUSTOMER_CANCELED, "items": items}]})
    wrong = emulator.order("cancelResult", {"shipments": [{"shipmentId": NEW, "items": items}]})
    assert ok["data"]["result"] == 1
    assert wrong["error"][0]["code"] == "WRONG_STATUS"
    assert emulator.shipment(CUSTOMER_CANCELED)["status"] == "CUSTOMER_CANCELED"
    assert [p[1].rsplit("/", 1)[-1] for p in pushes(emulator)] == ["cancelResult"]
