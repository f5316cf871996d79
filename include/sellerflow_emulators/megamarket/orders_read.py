"""order/search (shipment ids by creation window and status) and order/get (full shipments).

Request and response fields: shared/docs/sources/yandex-market-megamarket-1c.md B3 step 2 and B2.
``count`` defaults to 100 (the value clients assume, S8); its maximum and order/get's id-list
maximum are not documented, so the emulator's limits are the constants below [?].
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from fastapi.responses import JSONResponse

from sellerflow_emulators.megamarket import envelope, render, world
from sellerflow_emulators.megamarket.calls import Call, Invalid, as_int
from sellerflow_emulators.runtime import Fault, format_ts

SEARCH_DEFAULT_COUNT = 100
SEARCH_MAX_COUNT = 1000
GET_MAX_SHIPMENTS = 1000
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def parse_moment(value: Any, field: str, *, end_of_day: bool = False) -> datetime:
    """dateFrom/dateTo as clients send them: ISO 8601 with or without offset/time (naive = Moscow)."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"Поле {field} должно быть датой в формате ISO 8601")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        try:
            day = datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            raise Invalid(f"Поле {field} должно быть датой в формате ISO 8601") from None
        moment = datetime.combine(day.date(), time.max if end_of_day else time.min)
    else:
        if end_of_day and len(text) <= 10:
            moment = datetime.combine(moment.date(), time.max)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=render.MSK)
    return moment.replace(microsecond=0)


def _search_params(call: Call) -> tuple[datetime, datetime, int, set[str]]:
    data = call.data
    date_from = parse_moment(data["dateFrom"], "dateFrom") if data.get("dateFrom") else _EPOCH
    date_to = parse_moment(data["dateTo"], "dateTo", end_of_day=True) if data.get("dateTo") else call.now
    if date_from > date_to:
        raise Invalid("dateFrom не может быть позже dateTo")
    count = as_int(data.get("count", SEARCH_DEFAULT_COUNT), "count")
    if count < 1:
        raise Invalid("Поле count должно быть положительным")
    if count > SEARCH_MAX_COUNT:
        raise Invalid(f"Поле count не может быть больше {SEARCH_MAX_COUNT}", code=envelope.LIMIT_EXCEEDED)
    statuses = data.get("statuses") or []
    if not isinstance(statuses, list) or any(status not in render.STATUSES for status in statuses):
        raise Invalid(f"Допустимые статусы: {', '.join(render.STATUSES)}")
    return date_from, date_to, count, set(statuses)


def search(call: Call) -> JSONResponse:
    """order/search: ids of the account's shipments created in the window, oldest first."""
    date_from, date_to, count, statuses = _search_params(call)
    fault = call.fault
    skip = max(1, fault.shift) if fault and fault.kind == "shifted_page" else 0
    ids: list[str] = []
    rows = world.iter_orders_created(
        call.conn, call.account["id"], format_ts(date_from), format_ts(date_to), call.now
    )
    for row in rows:
        vendor = render.load_vendor(row["vendor"])
        recorded = render.vendor_status(row["last_vendor_status"], row["last_status"])
        status, _ = render.effective_status(recorded, vendor, call.now)
        if statuses and status not in statuses:
            continue
        if skip:
            skip -= 1
            continue
        ids.append(row["posting_number"])
        if len(ids) >= count:
            break
    if fault and fault.kind == "duplicate_page" and ids:
        ids = ids + ids[: max(1, fault.shift)]
    return envelope.ok({"shipments": ids})


def _apply_schema_fault(shipment: dict[str, Any], fault: Fault | None) -> dict[str, Any]:
    if fault is None:
        return shipment
    if fault.kind == "schema_extra_field":
        shipment[fault.field or "shipmentExtraAttribute"] = "emulated"
    elif fault.kind == "schema_renamed_field":
        old, _, new = (fault.field or "customerFullName").partition(":")
        if old in shipment:
            shipment[new or f"{old}Renamed"] = shipment.pop(old)
    return shipment


def get(call: Call) -> JSONResponse:
    """order/get: full shipments for the given ids (any unknown id fails the call)."""
    raw = call.data.get("shipments")
    if not isinstance(raw, list) or not raw:
        raise Invalid("Поле shipments должно быть непустым списком идентификаторов")
    if len(raw) > GET_MAX_SHIPMENTS:
        raise Invalid(
            f"В поле shipments не более {GET_MAX_SHIPMENTS} элементов", code=envelope.LIMIT_EXCEEDED
        )
    if any(isinstance(item, bool) or not isinstance(item, str | int) for item in raw):
        raise Invalid("Идентификаторы отправлений должны быть строками")
    wanted = list(dict.fromkeys(str(item) for item in raw))
    found = world.load_shipments(call.conn, call.account["id"], wanted, call.now)
    missing = [shipment_id for shipment_id in wanted if shipment_id not in found]
    if missing:
        return envelope.failure(
            [
                envelope.error_item(envelope.SHIPMENT_NOT_FOUND, shipmentId=shipment_id)
                for shipment_id in missing
            ]
        )
    shipments = []
    for shipment_id in wanted:
        item = found[shipment_id]
        recorded = render.vendor_status(item.order["last_vendor_status"], item.order["last_status"])
        status = render.effective_status(recorded, item.vendor, call.now)
        shipment = render.render_shipment(item.order, item.lines, status, item.vendor)
        shipments.append(_apply_schema_fault(shipment, call.fault))
    return envelope.ok({"shipments": shipments})
