"""order/search and order/get over the small world."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from sellerflow_emulators import store
from sellerflow_emulators.megamarket import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

from .megamarket_world import ORDER_SERVICE, TOKEN, Emulator, add_order

VISIBLE_MAIN = ["9324005526644", "9324005526633", "9324005526655", "9324005526611", "9324005526622"]


def test_search_returns_visible_ids_of_own_cabinet_oldest_first(emulator: Emulator) -> None:
    body = emulator.order(
        "search", {"dateFrom": "2025-03-01T00:00:00+03:00", "dateTo": "2025-03-31T00:00:00+03:00"}
    )
    assert body["success"] == 1
    assert body["data"]["shipments"] == VISIBLE_MAIN  # no future order, no other cabinet's order


def test_search_filters_by_status(emulator: Emulator) -> None:
    body = emulator.order(
        "search", {"dateFrom": "2025-03-01", "dateTo": "2025-03-31", "statuses": ["NEW", "PACKED"]}
    )
    assert body["data"]["shipments"] == ["9324005526633", "9324005526611"]


def test_search_window_bounds_are_inclusive_and_naive_dates_are_moscow(emulator: Emulator) -> None:
    # 9324005526611 was created 2025-03-09T10:00:00Z = 13:00 Moscow time.
    exact = emulator.order(
        "search", {"dateFrom": "2025-03-09 13:00:00", "dateTo": "2025-03-09T13:00:00+03:00"}
    )
    assert exact["data"]["shipments"] == ["9324005526611"]
    day = emulator.order("search", {"dateFrom": "2025-03-09", "dateTo": "2025-03-09"})
    assert day["data"]["shipments"] == ["9324005526655", "9324005526611", "9324005526622"]


def test_search_count_caps_the_answer(emulator: Emulator) -> None:
    body = emulator.order("search", {"dateFrom": "2025-03-01", "dateTo": "2025-03-31", "count": "2"})
    assert body["data"]["shipments"] == VISIBLE_MAIN[:2]


def test_search_rejects_count_over_maximum(emulator: Emulator) -> None:
    body = emulator.order("search", {"dateFrom": "2025-03-01", "count": 1001})
    assert body["success"] == 0
    assert body["error"][0]["code"] == "LIMIT_EXCEEDED"


def test_search_rejects_unknown_status_and_bad_dates(emulator: Emulator) -> None:
    status = emulator.order("search", {"statuses": ["AWAITING"]})
    dates = emulator.order("search", {"dateFrom": "yesterday"})
    reversed_window = emulator.order("search", {"dateFrom": "2025-03-10", "dateTo": "2025-03-01"})
    assert [b["error"][0]["code"] for b in (status, dates, reversed_window)] == ["VALIDATION_ERROR"] * 3


def test_get_renders_shipment_with_one_lot_per_unit(emulator: Emulator) -> None:
    shipment = emulator.shipment("9324005526611")
    assert shipment["shipmentId"] == "9324005526611"
    assert shipment["status"] == "NEW"
    assert shipment["orderCode"] is None
    assert shipment["creationDate"] == "2025-03-09T13:00:00+03:00"
    assert shipment["shippingTimeLimit"] == "2025-03-11T12:00:00+03:00"
    assert shipment["shippingPoint"] == "12345"
    assert shipment["depositedAmount"] == 27882.5
    items = shipment["items"]
    assert [item["itemIndex"] for item in items] == ["1", "2", "3"]
    assert [item["offerId"] for item in items] == ["SKU-1", "SKU-1", "SKU-2"]
    assert {item["quantity"] for item in items} == {1}
    assert items[0]["goodsId"] == "100030313902"
    assert items[0]["price"] == 7446
    assert items[0]["finalPrice"] == 7446
    assert items[2]["finalPrice"] == 12990.5
    assert [item["taxRate"] for item in items] == ["20", "20", "10"]
    assert items[0]["goodsData"]["name"] == "Шины Triangle 235/40 R19"


def test_get_shows_statuses_order_code_and_boxes(emulator: Emulator) -> None:
    body = emulator.order("get", {"shipments": ["9324005526633", "9324005526644", 9324005526655]})
    packed, cancelled, shipped = body["data"]["shipments"]
    assert (packed["status"], packed["orderCode"], packed["items"][0]["boxIndex"]) == ("PACKED", "ROM-33", 1)
    assert cancelled["status"] == "CUSTOMER_CANCELED"
    assert cancelled["items"][0]["status"] == "CUSTOMER_CANCELED"
    assert (shipped["status"], shipped["serviceScheme"]) == ("SHIPPED", "DELIVERY_BY_MERCHANT")


def test_get_unknown_or_foreign_or_future_shipment_is_a_logical_error(emulator: Emulator) -> None:
    body = emulator.order("get", {"shipments": ["9324005526611", "9324005529911", "9324005526699", "1"]})
    assert body["success"] == 0
    assert [(e["code"], e["shipmentId"]) for e in body["error"]] == [
        ("SHIPMENT_NOT_FOUND", "9324005529911"),
        ("SHIPMENT_NOT_FOUND", "9324005526699"),
        ("SHIPMENT_NOT_FOUND", "1"),
    ]


def test_get_requires_ids_and_caps_their_number(emulator: Emulator) -> None:
    empty = emulator.order("get", {"shipments": []})
    too_many = emulator.order("get", {"shipments": [str(n) for n in range(1001)]})
    assert empty["error"][0]["code"] == "VALIDATION_ERROR"
    assert too_many["error"][0]["code"] == "LIMIT_EXCEEDED"


def test_explicit_deadline_expires_unconfirmed_shipment(emulator: Emulator) -> None:
    add_order(
        emulator.conn,
        shipment_id="9324005526677",
        created_at="2025-03-10T08:00:00Z",
        units=[("SKU-1", 744600)],
        statuses=[("2025-03-10T08:00:00Z", "awaiting_packaging", "NEW")],
        vendor={"confirmedTimeLimit": "2025-03-10T11:30:00Z"},
    )
    emulator.conn.commit()
    shipment = emulator.shipment("9324005526677")
    assert (shipment["status"], shipment["items"][0]["subStatus"]) == (
        "MERCHANT_CANCELED",
        "CONFIRMATION_EXPIRED",
    )
    assert shipment["confirmedTimeLimit"] == "2025-03-10T14:30:00+03:00"
    expired = emulator.order("search", {"dateFrom": "2025-03-10", "statuses": ["MERCHANT_CANCELED"]})
    assert expired["data"]["shipments"] == ["9324005526677"]


def test_status_follows_the_simulated_clock(emulator: Emulator) -> None:
    emulator.conn.execute("update meta set value = '2025-03-08T11:00:00Z' where key = 'clock'")
    emulator.conn.commit()
    assert emulator.shipment("9324005526633")["status"] == "CONFIRMED"
    body = emulator.order("get", {"shipments": ["9324005526611"]})  # created after that clock
    assert body["error"][0]["code"] == "SHIPMENT_NOT_FOUND"


def test_a_page_of_1000_shipments_is_served_whole(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "big.sqlite")
    conn.execute("insert into meta values ('clock', '2025-03-10T12:00:00Z')")
    conn.execute("insert into legal_entities values ('le1', 'ООО', '7701234567', null)")
    conn.execute(
        "insert into accounts(id, marketplace, name, legal_entity_id, token) values "
        "('megamarket_main', 'megamarket', 'ММ', 'le1', ?)",
        (TOKEN,),
    )
    conn.execute(
        "insert into warehouses values ('megamarket_main:fbs1', 'megamarket_main', 'fbs', '1', 'FBS')"
    )
    conn.execute(
        "insert into offers(account_id, offer_id, mp_sku, mp_product_id, barcode, name, price_kop, updated_at) "
        "values ('megamarket_main', 'SKU-1', 1, 1, '1', 'Товар', 10000, '2025-01-01T00:00:00Z')"
    )
    for n in range(1200):
        add_order(
            conn,
            shipment_id=f"93240{n:08d}",
            created_at=f"2025-03-0{1 + n // 200}T{(n % 200) // 10:02d}:{n % 10:02d}:00Z",
            units=[("SKU-1", 10000), ("SKU-1", 10000)],
            statuses=[("2025-03-01T00:00:00Z", "awaiting_packaging", "NEW")],
            vendor={"orderCode": f"C{n}"},
        )
    conn.commit()
    with serve_in_thread(create_app(EmulatorState(tmp_path / "big.sqlite"))) as url, httpx.Client() as client:
        envelope = {"meta": {}, "data": {"token": TOKEN, "dateFrom": "2025-03-01", "count": 1000}}
        ids = client.post(f"{url}{ORDER_SERVICE}/order/search", json=envelope).json()["data"]["shipments"]
        envelope = {"meta": {}, "data": {"token": TOKEN, "shipments": ids}}
        full = client.post(f"{url}{ORDER_SERVICE}/order/get", json=envelope, timeout=30).json()
    assert ids == [f"93240{n:08d}" for n in range(1000)]
    assert [s["shipmentId"] for s in full["data"]["shipments"]] == ids
    assert all(len(s["items"]) == 2 for s in full["data"]["shipments"])
    assert json.dumps(full)  # serialisable as a whole
