"""stock/update and manualPrice/save: what they accept, refuse and write."""

from __future__ import annotations

from .megamarket_world import OFFER_SERVICE, Emulator

STOCK = f"{OFFER_SERVICE}/stock/update"
PRICE = f"{OFFER_SERVICE}/manualPrice/save"


def stock_of(emulator: Emulator, offer: str) -> int | None:
    row = emulator.conn.execute(
        "select present from stocks where warehouse_id = 'megamarket_main:fbs1' and offer_id = ?", (offer,)
    ).fetchone()
    return None if row is None else row["present"]


def test_stock_update_writes_the_seller_warehouse(emulator: Emulator) -> None:
    body = emulator.call(
        STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 3}, {"offerId": "SKU-3", "quantity": 7}]}
    )
    assert body == {"success": 1, "meta": {}, "data": {}}
    assert (stock_of(emulator, "SKU-1"), stock_of(emulator, "SKU-3"), stock_of(emulator, "SKU-2")) == (
        3,
        7,
        5,
    )
    logged = emulator.conn.execute("select path, at from push_log").fetchall()
    assert [tuple(row) for row in logged] == [(STOCK, "2025-03-10T12:00:00Z")]


def test_stock_update_with_an_unknown_offer_applies_nothing(emulator: Emulator) -> None:
    body = emulator.call(
        STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 0}, {"offerId": "SKU-9", "quantity": 1}]}
    )
    assert body["success"] == 0
    assert body["error"] == {"code": "OFFER_NOT_FOUND", "message": "Оффер не найден", "description": "SKU-9"}
    assert stock_of(emulator, "SKU-1") == 10


def test_stock_update_rejects_negative_or_fractional_quantity(emulator: Emulator) -> None:
    negative = emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": -1}]})
    fractional = emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 1.5}]})
    assert negative["error"]["code"] == fractional["error"]["code"] == "VALIDATION_ERROR"
    assert stock_of(emulator, "SKU-1") == 10


def test_stock_update_refuses_batches_over_the_maximum(emulator: Emulator) -> None:
    body = emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 1}] * 1001})
    assert body["error"]["code"] == "LIMIT_EXCEEDED"


def test_price_save_saves_known_offers_and_warns_about_the_rest(emulator: Emulator) -> None:
    prices = [
        {"offerId": "SKU-1", "price": 7990, "isDeleted": False},
        {"offerId": "SKU-2", "price": 12990.5, "isDeleted": False},
        {"offerId": "SKU-404", "price": 100, "isDeleted": False},
        {"offerId": "SKU-3", "price": 0, "isDeleted": True},
    ]
    body = emulator.call(PRICE, {"prices": prices})
    assert body["success"] == 1
    assert body["data"]["savedPrices"] == 2
    assert [w["offerId"] for w in body["data"]["warnings"]] == ["SKU-2", "SKU-404"]
    rows = emulator.conn.execute(
        "select offer_id, price_kop from offers where account_id = 'megamarket_main' order by offer_id"
    )
    assert [tuple(row) for row in rows] == [("SKU-1", 799000), ("SKU-2", 1299050), ("SKU-3", 50000)]


def test_offer_service_needs_a_list(emulator: Emulator) -> None:
    body = emulator.call(PRICE, {"prices": []})
    assert body["success"] == 0
    assert body["error"]["code"] == "VALIDATION_ERROR"
