"""Canonical world rows -> Megamarket shapes (order/get shipments, their per-unit items, statuses).

Field names and types follow shared/docs/sources/yandex-market-megamarket-1c.md B2 (S5 webhook
sample, S7 typed model): ids are strings, money is roubles as JSON numbers, timestamps are ISO 8601
with the Moscow offset (``2024-08-09T16:12:28+03:00``, B1). Values with no canonical column come
from the order's ``vendor`` JSON when the generator put them there (same key as the API field), or
are derived deterministically from the row.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

from sellerflow_emulators.runtime import parse_ts

MSK = timezone(timedelta(hours=3))

STATUSES = (
    "NEW",
    "PENDING",
    "PENDING_CONFIRMATION",
    "PENDING_PACKING",
    "PENDING_SHIPPING",
    "CONFIRMED",
    "PACKED",
    "SHIPPED",
    "PACKING_EXPIRED",
    "SHIPPING_EXPIRED",
    "DELIVERED",
    "MERCHANT_CANCELED",
    "CUSTOMER_CANCELED",
)
CANCELLED = ("MERCHANT_CANCELED", "CUSTOMER_CANCELED")

# Canonical -> vendor status, used only when a history row's vendor_status is not an MM code.
_FROM_CANONICAL = {
    "awaiting_packaging": "CONFIRMED",
    "awaiting_deliver": "PACKED",
    "delivering": "SHIPPED",
    "delivered": "DELIVERED",
    "returned": "DELIVERED",
    "cancelled": "MERCHANT_CANCELED",
}
# Vendor -> canonical, for the rows the emulator appends when a seller pushes a transition.
TO_CANONICAL = {
    "NEW": "awaiting_packaging",
    "CONFIRMED": "awaiting_packaging",
    "PACKED": "awaiting_deliver",
    "SHIPPED": "delivering",
    "DELIVERED": "delivered",
    "MERCHANT_CANCELED": "cancelled",
    "CUSTOMER_CANCELED": "cancelled",
}
_VAT = {"НДС20": "20", "НДС10": "10", "НДС0": "0", "БезНДС": None}
_CANONICAL_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def msk(moment: datetime) -> str:
    """Megamarket timestamp: ISO 8601, second precision, +03:00."""
    return moment.astimezone(MSK).isoformat(timespec="seconds")


def roubles(kop: int) -> int | float:
    """Kopecks -> roubles as Megamarket prints them (an integer when there are no kopecks)."""
    return kop // 100 if kop % 100 == 0 else round(kop / 100, 2)


def vendor_status(vendor_code: str | None, canonical: str | None) -> str:
    """The shipment's MM status from its last history row (vendor code first, canonical fallback)."""
    if vendor_code in STATUSES:
        return str(vendor_code)
    if canonical is None:
        return "NEW"
    return _FROM_CANONICAL.get(canonical, "NEW")


def _as_moment(value: Any) -> datetime | None:
    if isinstance(value, str) and _CANONICAL_TS.match(value):
        return parse_ts(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=MSK)
    return None


def deadlines(order: sqlite3.Row, vendor: dict[str, Any]) -> dict[str, datetime]:
    """Confirm/pack/ship deadlines and delivery dates: vendor JSON values, else derived from the row."""
    created = parse_ts(order["created_at"])
    ship = parse_ts(order["ship_by"]) if order["ship_by"] else created + timedelta(days=2)
    derived = {
        "confirmedTimeLimit": min(created + timedelta(hours=12), ship),
        "packingTimeLimit": max(created, ship - timedelta(hours=2)),
        "shippingTimeLimit": ship,
        "shipmentDateFrom": ship,
        "shipmentDateTo": ship,
        "packingDate": max(created, ship - timedelta(hours=2)),
        "reserveExpirationDate": created + timedelta(days=20),
        "deliveryDate": ship + timedelta(days=2),
        "deliveryDateFrom": ship + timedelta(days=2),
        "deliveryDateTo": ship + timedelta(days=4),
    }
    for key in derived:
        given = _as_moment(vendor.get(key))
        if given is not None:
            derived[key] = given
    return derived


def effective_status(status: str, vendor: dict[str, Any], now: datetime) -> tuple[str, str | None]:
    """Apply Megamarket's automatic expiry (B3) to the recorded status.

    Only deadlines the generator wrote explicitly into ``vendor`` expire orders: derived ones are
    informative, so a world that never mentions deadlines keeps exactly the statuses it recorded.
    """
    limits = {key: _as_moment(vendor.get(key)) for key in ("confirmedTimeLimit", "packingTimeLimit")}
    shipping = _as_moment(vendor.get("shippingTimeLimit"))
    if status == "NEW" and limits["confirmedTimeLimit"] and now > limits["confirmedTimeLimit"]:
        return "MERCHANT_CANCELED", "CONFIRMATION_EXPIRED"
    if status == "CONFIRMED" and limits["packingTimeLimit"] and now > limits["packingTimeLimit"]:
        return "PACKING_EXPIRED", None
    if status == "PACKED" and shipping and now > shipping:
        return "SHIPPING_EXPIRED", None
    return status, vendor.get("subStatus") if status in CANCELLED else None


def load_vendor(text: str | None) -> dict[str, Any]:
    """A row's ``vendor`` JSON as a dict (tolerates an empty or invalid column)."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _derived_delivery_id(order: sqlite3.Row) -> str:
    return str(9_300_000_000_000 + int(order["id"]) * 7 + 1)


def _customer_name(order: sqlite3.Row) -> str:
    surnames = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов")
    names = ("Алексей", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Иван", "Ольга")
    index = int(order["id"])
    return f"{surnames[index % len(surnames)]} {names[(index // len(surnames)) % len(names)]}"


def _customer_address(order: sqlite3.Row) -> str:
    return f"г. Москва, ул. Тверская, д. {int(order['id']) % 90 + 1}"


def render_item(
    line: sqlite3.Row, order_status: tuple[str, str | None], item_vendor: dict[str, Any]
) -> dict[str, Any]:
    """One lot (one unit, one ``itemIndex``) of a shipment as order/get shows it."""
    status, sub_status = order_status
    own = item_vendor.get("status")
    # A lot rejected on its own stays cancelled; a lot packed ahead of the rest shows PACKED.
    if status not in CANCELLED and (own in CANCELLED or (own == "PACKED" and status == "CONFIRMED")):
        status, sub_status = own, item_vendor.get("subStatus")
    price_kop = int(line["price_kop"])
    boxes = item_vendor.get("boxes") or []
    item: dict[str, Any] = {
        "itemIndex": str(line["line_no"]),
        "status": status,
        "subStatus": sub_status,
        "price": roubles(int(item_vendor.get("price_kop", price_kop))),
        "finalPrice": roubles(price_kop),
        "discounts": item_vendor.get("discounts", []),
        "quantity": int(line["quantity"]),
        "offerId": line["offer_id"],
        "goodsId": str(line["mp_sku"]) if line["mp_sku"] is not None else None,
        "itemName": line["name"],
        "taxRate": _VAT.get(line["vat_rate"], "20") if line["vat_rate"] else None,
        "reservationPerformed": True,
        "isDigitalMarkRequired": bool(item_vendor.get("isDigitalMarkRequired", False)),
        "goodsData": {"name": line["name"], "categoryName": item_vendor.get("categoryName")},
        "boxIndex": boxes[0]["boxIndex"] if boxes else None,
        "events": item_vendor.get("events", []),
    }
    return item


def render_shipment(
    order: sqlite3.Row, lines: list[sqlite3.Row], status: tuple[str, str | None], vendor: dict[str, Any]
) -> dict[str, Any]:
    """One shipment as order/get shows it."""
    times = deadlines(order, vendor)
    items_vendor = vendor.get("items") or {}
    items = [render_item(line, status, items_vendor.get(str(line["line_no"]), {})) for line in lines]
    scheme = order["scheme"]
    default_scheme = "DELIVERY_BY_MERCHANT" if scheme == "dbs" else None
    shipment: dict[str, Any] = {
        "shipmentId": order["posting_number"],
        "orderCode": vendor.get("orderCode"),
        "status": status[0],
        "creationDate": msk(parse_ts(order["created_at"])),
        **{key: msk(value) for key, value in times.items()},
        "deliveryId": str(vendor.get("deliveryId") or _derived_delivery_id(order)),
        "shipmentDateShift": bool(vendor.get("shipmentDateShift", False)),
        "shipmentIsChangeable": bool(vendor.get("shipmentIsChangeable", False)),
        "customerFullName": vendor.get("customerFullName") or _customer_name(order),
        "customerAddress": vendor.get("customerAddress") or _customer_address(order),
        "shippingPoint": str(vendor.get("shippingPoint") or order["wh_external_id"] or "") or None,
        "deliveryMethodId": vendor.get("deliveryMethodId"),
        "serviceScheme": vendor.get("serviceScheme", default_scheme),
        "depositedAmount": roubles(sum(int(line["price_kop"]) * int(line["quantity"]) for line in lines)),
        "items": items,
    }
    return shipment
