"""Canonical rows → Yandex Market DTOs (legacy ``OrderDTO`` and current ``BusinessOrderDTO``).

Spec schemas OrderDTO / OrderItemDTO / OrderDeliveryDTO (legacy getOrders/getOrder/
updateOrderStatus: dates ``DD-MM-YYYY`` and ``DD-MM-YYYY HH:MM:SS`` in Moscow time) and
BusinessOrderDTO (getBusinessOrders: ISO 8601). Money: rubles as JSON numbers (kopecks / 100).
The order ``id`` is ``orders.posting_number``; ``externalOrderId`` is the seller's number from
``vendor.externalOrderId`` or ``orders.order_number`` when that differs from the Market id.
Status/substatus come from ``vendor_status`` ('PROCESSING/STARTED'); when the history row only has a
canonical status it is mapped with :data:`CANONICAL_TO_YM` (docs: FBS order lifecycle).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sellerflow_emulators.runtime import Fault, parse_ts

MSK = timezone(timedelta(hours=3))

YM_STATUSES = (
    "PLACING",
    "RESERVED",
    "UNPAID",
    "PROCESSING",
    "DELIVERY",
    "PICKUP",
    "DELIVERED",
    "CANCELLED",
    "PENDING",
    "PARTIALLY_RETURNED",
    "RETURNED",
    "UNKNOWN",
)

CANONICAL_TO_YM: dict[str, tuple[str, str]] = {
    "awaiting_packaging": ("PROCESSING", "STARTED"),
    "awaiting_deliver": ("PROCESSING", "READY_TO_SHIP"),
    "delivering": ("DELIVERY", "DELIVERY_SERVICE_RECEIVED"),
    "delivered": ("DELIVERED", "DELIVERY_SERVICE_DELIVERED"),
    "cancelled": ("CANCELLED", "SHOP_FAILED"),
    "returned": ("RETURNED", "UNKNOWN"),
}

YM_TO_CANONICAL: dict[str, str] = {
    "PROCESSING": "awaiting_packaging",
    "DELIVERY": "delivering",
    "PICKUP": "delivering",
    "DELIVERED": "delivered",
    "CANCELLED": "cancelled",
    "RETURNED": "returned",
    "PARTIALLY_RETURNED": "returned",
}

PROGRAM_BY_SCHEME = {"fbs": "FBS", "fbo": "FBY", "dbs": "DBS"}
VAT_BY_RATE = {"НДС20": "VAT_20", "НДС22": "VAT_22", "НДС10": "VAT_10", "НДС0": "VAT_0", "БезНДС": "NO_VAT"}


def _case(column: str, mapping: dict[str, str], default: str) -> str:
    whens = " ".join(f"when '{k}' then '{v}'" for k, v in mapping.items())
    return f"case {column} {whens} else {default} end"


def status_sql(vs: str = "vs", cs: str = "cs", actor: str = "actor") -> tuple[str, str]:
    """SQL expressions (status, substatus) matching :func:`ym_status`, for filtering in SQLite."""
    known = ", ".join(f"'{s}'" for s in YM_STATUSES)
    by_status = _case(cs, {k: v[0] for k, v in CANONICAL_TO_YM.items()}, "'UNKNOWN'")
    by_substatus = _case(cs, {k: v[1] for k, v in CANONICAL_TO_YM.items()}, "'UNKNOWN'")
    status = (
        f"case when instr({vs}, '/') > 0 then substr({vs}, 1, instr({vs}, '/') - 1) "
        f"when {vs} in ({known}) then {vs} "
        f"else {by_status} end"
    )
    substatus = (
        f"case when instr({vs}, '/') > 0 then substr({vs}, instr({vs}, '/') + 1) "
        f"when {cs} = 'cancelled' and {actor} = 'buyer' then 'USER_CHANGED_MIND' "
        f"else {by_substatus} end"
    )
    return status, substatus


def rub(kopecks: int) -> float | int:
    """Kopecks → rubles as a JSON number (integers stay integers)."""
    return kopecks // 100 if kopecks % 100 == 0 else round(kopecks / 100, 2)


def msk_datetime(ts: str) -> str:
    """Store timestamp → ``DD-MM-YYYY HH:MM:SS`` Moscow time (legacy order dates)."""
    return parse_ts(ts).astimezone(MSK).strftime("%d-%m-%Y %H:%M:%S")


def msk_iso(ts: str) -> str:
    """Store timestamp → ISO 8601 with the Moscow offset (business orders)."""
    return parse_ts(ts).astimezone(MSK).isoformat()


def msk_date(ts: str) -> date:
    """Moscow calendar date of a store timestamp."""
    return parse_ts(ts).astimezone(MSK).date()


def order_id(row: sqlite3.Row) -> int:
    """The Market order id of a canonical order."""
    number = str(row["posting_number"])
    return int(number) if number.isdigit() else int(row["id"])


def external_order_id(row: sqlite3.Row, vendor: dict[str, Any]) -> str | None:
    """The seller's own order number, when it has one."""
    if vendor.get("externalOrderId"):
        return str(vendor["externalOrderId"])
    number = str(row["order_number"])
    return number if number and number != str(row["posting_number"]) else None


def item_id(line: sqlite3.Row, vendor: dict[str, Any]) -> int:
    """Market item id: ``vendor.itemIds`` (a list in line order, as the scenario writes it, or a map by
    ``line_no``), else derived from the canonical keys."""
    ids = vendor.get("itemIds") or {}
    derived = int(line["order_id"]) * 100 + int(line["line_no"])
    if isinstance(ids, list):
        index = int(line["line_no"]) - 1
        return int(ids[index]) if 0 <= index < len(ids) else derived
    return int(ids.get(str(line["line_no"]), derived))


def _dates(row: sqlite3.Row) -> tuple[date, date]:
    """(shipment date, expected delivery date) of an order."""
    ship = msk_date(row["ship_by"] or row["created_at"])
    return ship, ship + timedelta(days=2)


def legacy_order(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    """``OrderDTO`` for one order row from the orders query (with ym_status/ym_substatus)."""
    vendor = json.loads(row["vendor"] or "{}")
    items = [
        {
            "id": item_id(line, vendor),
            "offerId": line["offer_id"],
            "offerName": line["offer_name"] or line["offer_id"],
            "price": rub(line["price_kop"]),
            "buyerPrice": rub(line["price_kop"]),
            "buyerPriceBeforeDiscount": rub(line["price_kop"]),
            "count": int(line["quantity"]),
            "vat": VAT_BY_RATE.get(line["vat_rate"] or "", "VAT_20"),
        }
        for line in lines
    ]
    total = sum(int(line["price_kop"]) * int(line["quantity"]) for line in lines)
    ship, deliver = _dates(row)
    dates: dict[str, Any] = {"fromDate": deliver.strftime("%d-%m-%Y"), "toDate": deliver.strftime("%d-%m-%Y")}
    if row["ym_status"] == "DELIVERED":
        dates["realDeliveryDate"] = msk_date(row["status_at"]).strftime("%d-%m-%Y")
    dbs = row["scheme"] == "dbs"
    order: dict[str, Any] = {
        "id": order_id(row),
        "status": row["ym_status"],
        "substatus": row["ym_substatus"],
        "creationDate": msk_datetime(row["created_at"]),
        "updatedAt": msk_datetime(row["status_at"]),
        "currency": "RUR",
        "itemsTotal": rub(total),
        "deliveryTotal": 0,
        "buyerItemsTotal": rub(total),
        "buyerTotal": rub(total),
        "buyerItemsTotalBeforeDiscount": rub(total),
        "buyerTotalBeforeDiscount": rub(total),
        "paymentType": vendor.get("paymentType", "PREPAID"),
        "paymentMethod": vendor.get("paymentMethod", "YANDEX"),
        "fake": bool(vendor.get("fake", False)),
        "items": items,
        "delivery": {
            "type": "DELIVERY",
            "serviceName": "Доставка магазином" if dbs else "Доставка Маркета",
            "deliveryPartnerType": "SHOP" if dbs else "YANDEX_MARKET",
            "dates": dates,
            "region": {"id": 213, "name": "Москва", "type": "CITY"},
            "deliveryServiceId": 99 if dbs else 1006360,
            "dispatchType": "BUYER",
            "shipments": [{"shipmentDate": ship.strftime("%d-%m-%Y")}],
        },
        "buyer": {"type": vendor.get("buyerType", "PERSON")},
        "taxSystem": vendor.get("taxSystem", "OSN"),
        "cancelRequested": False,
    }
    external = external_order_id(row, vendor)
    if external:
        order["externalOrderId"] = external
    return order


def business_order(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    """``BusinessOrderDTO`` for one order row from the orders query."""
    vendor = json.loads(row["vendor"] or "{}")
    items = [
        {
            "id": item_id(line, vendor),
            "offerId": line["offer_id"],
            "offerName": line["offer_name"] or line["offer_id"],
            "count": int(line["quantity"]),
            "prices": {
                "payment": {"value": rub(line["price_kop"]), "currencyId": "RUR"},
                "subsidy": {"value": 0, "currencyId": "RUR"},
                "vat": VAT_BY_RATE.get(line["vat_rate"] or "", "VAT_20"),
            },
        }
        for line in lines
    ]
    total = sum(int(line["price_kop"]) * int(line["quantity"]) for line in lines)
    ship, deliver = _dates(row)
    dates: dict[str, Any] = {"fromDate": deliver.isoformat(), "toDate": deliver.isoformat()}
    if row["ym_status"] == "DELIVERED":
        dates["realDeliveryDate"] = msk_date(row["status_at"]).isoformat()
    dbs = row["scheme"] == "dbs"
    delivery: dict[str, Any] = {
        "type": "DELIVERY",
        "serviceName": "Доставка магазином" if dbs else "Доставка Маркета",
        "deliveryServiceId": 99 if dbs else 1006360,
        "deliveryPartnerType": "SHOP" if dbs else "YANDEX_MARKET",
        "dispatchType": "BUYER",
        "dates": dates,
        "shipment": {"shipmentDate": ship.isoformat()},
    }
    if row["warehouse_external_id"]:
        delivery["warehouseId"] = str(row["warehouse_external_id"])
    order: dict[str, Any] = {
        "orderId": order_id(row),
        "campaignId": int(row["campaign_id"]),
        "programType": PROGRAM_BY_SCHEME.get(row["scheme"], "FBS"),
        "status": row["ym_status"],
        "substatus": row["ym_substatus"],
        "creationDate": msk_iso(row["created_at"]),
        "updateDate": msk_iso(row["status_at"]),
        "paymentType": vendor.get("paymentType", "PREPAID"),
        "paymentMethod": vendor.get("paymentMethod", "YANDEX"),
        "fake": bool(vendor.get("fake", False)),
        "items": items,
        "prices": {
            "payment": {"value": rub(total), "currencyId": "RUR"},
            "subsidy": {"value": 0, "currencyId": "RUR"},
        },
        "delivery": delivery,
        "buyerType": vendor.get("buyerType", "PERSON"),
        "cancelRequested": False,
        "sourcePlatform": "MARKET",
    }
    external = external_order_id(row, vendor)
    if external:
        order["externalOrderId"] = external
    return order


def apply_item_fault(items: list[dict[str, Any]], fault: Fault | None) -> list[dict[str, Any]]:
    """Schema drift faults on list items: an unexpected extra field, or a renamed field."""
    if fault is None or not items:
        return items
    if fault.kind == "schema_extra_field":
        name = fault.field or "unexpectedField"
        return [{**item, name: "emulated"} for item in items]
    if fault.kind == "schema_renamed_field":
        old = fault.field or next(iter(items[0]))
        return [{(f"{k}V2" if k == old else k): v for k, v in item.items()} for item in items]
    return items


def utc_now_date(now: datetime) -> date:
    """Moscow calendar date of the simulated clock."""
    return now.astimezone(MSK).date() if now.tzinfo else now.replace(tzinfo=UTC).astimezone(MSK).date()
