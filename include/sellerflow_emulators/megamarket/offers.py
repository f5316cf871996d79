"""offerService writes: stock/update and manualPrice/save.

Bodies and answers: shared/docs/sources/yandex-market-megamarket-1c.md B4 (S6, S7).
- stock/update ``{stocks: [{offerId, quantity}]}`` -> ``success: 1``; the emulator checks the
  whole batch first and applies nothing when an offer is unknown or a quantity is invalid.
- manualPrice/save ``{prices: [{offerId, price, isDeleted}]}`` (price in whole roubles) ->
  ``data {savedPrices, warnings}``; offers that cannot be saved are reported as warnings, the rest
  are saved (clients treat ``savedPrices != len(prices)`` as a partial failure).
Batch maxima are not documented [?]: the emulator refuses batches above the constants below.
offerService errors are a single object, not a list (B "Uncertain" item 6).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sellerflow_emulators.megamarket import envelope, world
from sellerflow_emulators.megamarket.calls import Call, Invalid, object_list

STOCK_BATCH_MAX = 1000
PRICE_BATCH_MAX = 1000


def update_stock(call: Call) -> JSONResponse:
    """stock/update: publish the seller's stock of each offer on the cabinet's own warehouse."""
    stocks = object_list(call.data, "stocks", STOCK_BATCH_MAX)
    for entry in stocks:
        quantity = entry.get("quantity")
        if not isinstance(entry.get("offerId"), str) or not entry["offerId"]:
            raise Invalid("offerId должен быть непустой строкой")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise Invalid(f"quantity для {entry['offerId']} должен быть целым числом >= 0")
    offer_ids = [entry["offerId"] for entry in stocks]
    unknown = sorted(set(offer_ids) - world.known_offers(call.conn, call.account["id"], offer_ids))
    if unknown:
        return envelope.failure(
            [envelope.error_item(envelope.OFFER_NOT_FOUND, ", ".join(unknown))], single=True
        )
    warehouse = world.seller_warehouse(call.conn, call.account["id"])
    if warehouse is None:
        return envelope.failure(
            [envelope.error_item(envelope.INTERNAL_ERROR, "Склад не найден")], single=True
        )
    with call.conn:
        for entry in stocks:
            world.set_stock(call.conn, warehouse, entry["offerId"], entry["quantity"], call.now)
        world.log_push(call.conn, call.account["id"], call.path, call.now, call.data)
    return envelope.ok({})


def _price_warning(entry: dict[str, Any], known: set[str]) -> dict[str, Any] | None:
    offer_id = entry.get("offerId")
    if not isinstance(offer_id, str) or offer_id not in known:
        return {"offerId": offer_id, "message": envelope.MESSAGES[envelope.OFFER_NOT_FOUND]}
    if entry.get("isDeleted") is True:
        return None
    price = entry.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0 or price != int(price):
        return {"offerId": offer_id, "message": "Цена должна быть целым положительным числом рублей"}
    return None


def save_prices(call: Call) -> JSONResponse:
    """manualPrice/save: set manual prices; ``isDeleted: true`` drops the manual price (kept as is here)."""
    prices = object_list(call.data, "prices", PRICE_BATCH_MAX)
    offer_ids = [entry["offerId"] for entry in prices if isinstance(entry.get("offerId"), str)]
    known = world.known_offers(call.conn, call.account["id"], offer_ids)
    warnings: list[dict[str, Any]] = []
    saved = 0
    with call.conn:
        for entry in prices:
            warning = _price_warning(entry, known)
            if warning is not None:
                warnings.append(warning)
                continue
            if entry.get("isDeleted") is not True:
                world.set_price(
                    call.conn, call.account["id"], entry["offerId"], int(entry["price"]) * 100, call.now
                )
            saved += 1
        world.log_push(call.conn, call.account["id"], call.path, call.now, call.data)
    return envelope.ok({"savedPrices": saved, "warnings": warnings})
