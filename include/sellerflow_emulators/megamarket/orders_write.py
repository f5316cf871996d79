"""Seller actions on shipments: confirm, reject, packing, shipping, close, cancelResult.

Bodies and transitions: shared/docs/sources/yandex-market-megamarket-1c.md B3 steps 3-8 (S5, S6,
S7) and the vendor wiki page on order/packing (S9: only packed lots are listed, staged packing is
allowed, ``quantity`` is always 1, ``orderCode`` is Latin letters, digits, ``_`` and ``-``).
Success is ``data.result == 1``. A call is atomic here: every shipment is checked first and, if
any fails, nothing is applied and ``success: 0`` lists the failures with their shipmentId/itemIndex.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from sellerflow_emulators.megamarket import envelope, render, world
from sellerflow_emulators.megamarket.calls import Call, Invalid, object_list

MAX_SHIPMENTS_PER_CALL = 100  # [?] undocumented; clients send one shipment per call
REJECT_REASONS = (
    "OUT_OF_STOCK",
    "INCORRECT_PRICE",
    "INCORRECT_PRODUCT",
    "INCORRECT_SPEC",
    "TWICE_ORDER",
    "NOT_TIME_FOR_SHIPPING",
    "FRAUD_ORDER",
)
_ORDER_CODE = re.compile(r"^[A-Za-z0-9_-]+$")

Errors = list[dict[str, Any]]
Apply = Callable[[], None]


class _Target:
    """One shipment of the request, loaded with its current state."""

    def __init__(self, call: Call, request: dict[str, Any], stored: world.Shipment) -> None:
        self.call = call
        self.request = request
        self.stored = stored
        self.shipment_id = stored.order["posting_number"]
        self.vendor = stored.vendor
        recorded = render.vendor_status(stored.order["last_vendor_status"], stored.order["last_status"])
        self.status, _ = render.effective_status(recorded, stored.vendor, call.now)
        self.lines = {str(line["line_no"]): line for line in stored.lines}

    def item_state(self, index: str) -> dict[str, Any]:
        return self.vendor.setdefault("items", {}).setdefault(index, {})

    def active_items(self) -> set[str]:
        lots = self.vendor.get("items") or {}
        return {i for i in self.lines if lots.get(i, {}).get("status") not in render.CANCELLED}

    def error(self, code: str, description: str | None = None, item: str | None = None) -> dict[str, Any]:
        return envelope.error_item(code, description, shipmentId=self.shipment_id, itemIndex=item)

    def check_status(self, allowed: tuple[str, ...]) -> Errors:
        if self.status in allowed:
            return []
        return [
            self.error(envelope.WRONG_STATUS, f"Текущий статус {self.status}, требуется {', '.join(allowed)}")
        ]

    def check_items(self, *, required: bool = True) -> tuple[list[dict[str, Any]], Errors]:
        items = self.request.get("items")
        if items is None and not required:
            return [], []
        if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
            return [], [self.error(envelope.VALIDATION_ERROR, "Поле items должно быть непустым списком")]
        errors: Errors = []
        for item in items:
            index = str(item.get("itemIndex", ""))
            line = self.lines.get(index)
            offer = item.get("offerId")
            if line is None or (offer is not None and str(offer) != line["offer_id"]):
                errors.append(self.error(envelope.ITEM_NOT_FOUND, item=index or None))
        return items, errors

    def transition(self, vendor_status: str) -> None:
        conn, order = self.call.conn, self.stored.order
        world.append_status(
            conn, order["id"], self.call.now, vendor_status, render.TO_CANONICAL[vendor_status]
        )


def _run(call: Call, plan: Callable[[_Target], tuple[Errors, Apply | None]]) -> JSONResponse:
    requests = object_list(call.data, "shipments", MAX_SHIPMENTS_PER_CALL)
    ids = [str(request.get("shipmentId", "")) for request in requests]
    stored = world.load_shipments(call.conn, call.account["id"], ids, call.now)
    errors: Errors = []
    actions: list[tuple[_Target, Apply]] = []
    for shipment_id, request in zip(ids, requests, strict=True):
        if shipment_id not in stored:
            errors.append(envelope.error_item(envelope.SHIPMENT_NOT_FOUND, shipmentId=shipment_id or None))
            continue
        target = _Target(call, request, stored[shipment_id])
        found, action = plan(target)
        errors.extend(found)
        if action is not None and not found:
            actions.append((target, action))
    if errors:
        return envelope.failure(errors, data={"result": 0})
    with call.conn:
        for target, action in actions:
            action()
            world.save_vendor(call.conn, target.stored.order["id"], target.vendor)
        world.log_push(call.conn, call.account["id"], call.path, call.now, call.data)
    return envelope.ok({"result": 1})


def _order_code(target: _Target, *, required: bool) -> Errors:
    code = target.request.get("orderCode")
    if code is None and not required:
        return []
    if not isinstance(code, str) or not _ORDER_CODE.match(code):
        return [target.error(envelope.VALIDATION_ERROR, "orderCode: только латиница, цифры, «_» и «-»")]
    return []


def confirm(call: Call) -> JSONResponse:
    """order/confirm: NEW -> CONFIRMED, remembering the merchant's orderCode."""

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        _, item_errors = target.check_items()
        errors = target.check_status(("NEW",)) + _order_code(target, required=True) + item_errors

        def apply() -> None:
            target.vendor["orderCode"] = target.request["orderCode"]
            target.transition("CONFIRMED")

        return errors, apply

    return _run(call, plan)


def reject(call: Call) -> JSONResponse:
    """order/reject: cancel the listed lots (all of them cancels the shipment: MERCHANT_CANCELED)."""
    reason = call.data.get("reason")
    if not isinstance(reason, dict) or reason.get("type") not in REJECT_REASONS:
        raise Invalid(f"reason.type: одно из {', '.join(REJECT_REASONS)}")

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        items, item_errors = target.check_items()
        errors = target.check_status(("NEW", "CONFIRMED", "PACKED")) + item_errors
        sub_status = "CONFIRMATION_REJECT" if target.status == "NEW" else "LATE_REJECT"

        def apply() -> None:
            rejected = {str(item["itemIndex"]) for item in items}
            for index in rejected:
                target.item_state(index).update(status="MERCHANT_CANCELED", subStatus=sub_status)
            target.vendor["rejectReason"] = reason
            if not target.active_items():
                target.vendor["subStatus"] = sub_status
                target.transition("MERCHANT_CANCELED")

        return errors, apply

    return _run(call, plan)


def packing(call: Call) -> JSONResponse:
    """order/packing: mark the listed lots packed; the shipment is PACKED once every live lot is."""

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        items, errors = target.check_items()
        errors = target.check_status(("CONFIRMED",)) + _order_code(target, required=False) + errors
        for item in items:
            if item.get("quantity", 1) != 1:
                errors.append(
                    target.error(envelope.VALIDATION_ERROR, "quantity всегда 1", str(item.get("itemIndex")))
                )

        def apply() -> None:
            if target.request.get("orderCode"):
                target.vendor.setdefault("orderCode", target.request["orderCode"])
            for item in items:
                boxes = item.get("boxes") if isinstance(item.get("boxes"), list) else []
                target.item_state(str(item["itemIndex"])).update(status="PACKED", boxes=boxes)
            lots = target.vendor["items"]
            if all(lots.get(index, {}).get("status") == "PACKED" for index in target.active_items()):
                target.transition("PACKED")

        return errors, apply

    return _run(call, plan)


def shipping(call: Call) -> JSONResponse:
    """order/shipping: PACKED -> SHIPPED (the boxes handed over and the shipping date)."""

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        errors = target.check_status(("PACKED",))
        details = target.request.get("shipping")
        if details is not None and not isinstance(details, dict):
            errors.append(target.error(envelope.VALIDATION_ERROR, "shipping должен быть объектом"))

        def apply() -> None:
            target.vendor["shipping"] = details or {}
            target.transition("SHIPPED")

        return errors, apply

    return _run(call, plan)


def close(call: Call) -> JSONResponse:
    """order/close (merchant delivery): lots handed over -> DELIVERED, refused ones CUSTOMER_CANCELED."""

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        items, errors = target.check_items()
        errors = target.check_status(("PACKED", "SHIPPED")) + errors
        if target.stored.order["scheme"] != "dbs":
            errors.append(
                target.error(envelope.WRONG_STATUS, "order/close доступен только для доставки продавцом")
            )

        def apply() -> None:
            for item in items:
                if item.get("handoverResult") is False:
                    target.item_state(str(item["itemIndex"])).update(status="CUSTOMER_CANCELED")
            target.transition("DELIVERED" if target.active_items() else "CUSTOMER_CANCELED")

        return errors, apply

    return _run(call, plan)


def cancel_result(call: Call) -> JSONResponse:
    """order/cancelResult: the merchant confirms it stopped a customer-cancelled shipment."""

    def plan(target: _Target) -> tuple[Errors, Apply | None]:
        items, errors = target.check_items()
        errors = target.check_status(("CUSTOMER_CANCELED",)) + errors

        def apply() -> None:
            for item in items:
                target.item_state(str(item["itemIndex"]))["canceled"] = bool(item.get("canceled", True))

        return errors, apply

    return _run(call, plan)
