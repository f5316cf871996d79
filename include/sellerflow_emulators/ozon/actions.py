"""FBS/rFBS status changes pushed by the seller.

- ``/v4/posting/fbs/ship``: collect (and optionally split) a posting; status becomes ``awaiting_deliver``.
  Errors from the spec's ``Errors`` tag: ``POSTING_NOT_FOUND``, ``POSTING_ALREADY_CANCELLED``,
  ``POSTING_ALREADY_SHIPPED``, ``HAS_INCORRECT_STATUS``, ``HAS_INCORRECT_PRODUCT_QUANTITY``,
  ``UNKNOWN_PRODUCT_DEFINED``.
- ``/v2/posting/fbs/cancel``: status ``cancelled``; reason ids from ``/v2/posting/fbs/cancel-reason/list``
  (spec example); 402 needs ``cancel_reason_message``; ``HAS_INCORRECT_CANCEL_REASON``; delivered
  postings cannot be cancelled.
- ``/v2/posting/fbs/product/cancel``: cancel some units of a posting (``PostingAPI_CancelFbsPostingProduct``:
  ``posting_number``, ``cancel_reason_id``, ``cancel_reason_message`` and ``items[{sku, quantity}]`` all required;
  answer ``{"result": "<posting number>"}``). Legal where the posting's ``available_actions`` hold
  ``product_cancel`` (``awaiting_packaging``), else ``HAS_INCORRECT_STATUS`` [?]; reasons as for the cancel. The
  units leave the posting's products (a product at 0 is gone); cancelling every unit cancels the posting [?: Ozon
  does not document either]. Unknown SKU ``UNKNOWN_PRODUCT_DEFINED``, more than the posting holds
  ``HAS_INCORRECT_PRODUCT_QUANTITY`` (the ship's codes [?]).
- ``/v2/posting/fbs/awaiting-delivery``: disputed (``arbitration``) postings back to ``awaiting_deliver``.
- ``/v2/fbs/posting/delivering`` and ``/delivered``: rFBS only (postings delivered by a non-integrated
  service, canonical scheme ``dbs``); per-posting ``{posting_number, result, error}`` answers with
  ``TRANSITION_IS_NOT_POSSIBLE`` / ``HAS_INCORRECT_TPL_INTEGRATION_TYPE``.

Every accepted write appends ``order_status_history`` (actor ``seller``) and a ``push_log`` row.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from sellerflow_emulators.ozon.common import VENDOR, Ctx, rub_text, str_list, vendor_json
from sellerflow_emulators.ozon.errors import bad_request, not_found
from sellerflow_emulators.ozon.postings import ACTIONS, PostingRenderer, find_posting

CANCEL_REASONS = [  # spec example of /v2/posting/fbs/cancel-reason/list
    {"id": 352, "title": "Товар закончился на складе продавца", "type_id": "seller", "available": True},
    {"id": 401, "title": "Продавец отклонил арбитраж", "type_id": "seller", "available": False},
    {"id": 402, "title": "Другое (вина продавца)", "type_id": "seller", "available": True},
    {
        "id": 666,
        "title": "Возврат из службы доставки: нет доставки в указанный регион",
        "type_id": "seller",
        "available": False,
    },
]
SHIPPED = ("awaiting_deliver", "delivering", "driver_pickup", "delivered", "sent_by_seller")


def log_push(ctx: Ctx, path: str, body: dict[str, Any]) -> None:
    """Record a client write in ``push_log``."""
    ctx.conn.execute(
        "insert into push_log(vendor, account_id, method, path, at, body) values (?, ?, 'POST', ?, ?, ?)",
        (VENDOR, ctx.account_id, path, ctx.now, json.dumps(body, ensure_ascii=False)),
    )


def set_status(ctx: Ctx, order_id: int, status: str, actor: str = "seller") -> None:
    """Append a status entry at the simulated clock (Ozon codes equal the canonical ones here)."""
    ctx.conn.execute(
        "insert or ignore into order_status_history(order_id, at, status, vendor_status, actor) "
        "values (?, ?, ?, ?, ?)",
        (order_id, ctx.now, status, status, actor),
    )


def cancel_reasons(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/posting/fbs/cancel-reason/list``."""
    return {
        "result": [
            {
                "id": r["id"],
                "title": r["title"],
                "type_id": r["type_id"],
                "is_available_for_cancellation": r["available"],
            }
            for r in CANCEL_REASONS
        ]
    }


def _packages(body: dict[str, Any]) -> list[Counter[int]]:
    packages = body.get("packages")
    if not isinstance(packages, list) or not packages:
        raise bad_request("invalid FbsPostingShipV4Request.Packages: value must contain at least 1 item(s)")
    result = []
    for package in packages:
        products = package.get("products") if isinstance(package, dict) else None
        if not isinstance(products, list) or not products:
            raise bad_request(
                "invalid FbsPostingShipV4Request_Package.Products: value must contain at least 1 item(s)"
            )
        counts: Counter[int] = Counter()
        for product in products:
            try:
                counts[int(product["product_id"])] += int(product["quantity"])
            except (KeyError, TypeError, ValueError):
                raise bad_request("invalid FbsPostingShipV4Request_Package_Product: bad product") from None
        result.append(counts)
    return result


def _split(ctx: Ctx, order: sqlite3.Row, lines: list[sqlite3.Row], packages: list[Counter[int]]) -> list[str]:
    """Move the lines of packages 2..n into new postings ``<order_number>-<n>``; return all numbers."""
    numbers = [str(order["posting_number"])]
    if len(packages) == 1:
        return numbers
    taken = ctx.conn.execute(
        "select posting_number from orders where account_id = ? and order_number = ?",
        (ctx.account_id, order["order_number"]),
    ).fetchall()
    suffixes = [int(r[0].rsplit("-", 1)[1]) for r in taken if r[0].rsplit("-", 1)[-1].isdigit()]
    next_suffix = max(suffixes, default=1) + 1
    remaining = {int(line["line_no"]): int(line["quantity"]) for line in lines}
    by_sku = {int(line["mp_sku"] or 0): line for line in lines}
    vendor = vendor_json(order)
    vendor["parent_posting_number"] = order["posting_number"]
    for package in packages[1:]:
        number = f"{order['order_number']}-{next_suffix}"
        next_suffix += 1
        cur = ctx.conn.execute(
            "insert into orders(account_id, order_number, posting_number, scheme, warehouse_id, created_at, "
            "ship_by, vendor) values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ctx.account_id,
                order["order_number"],
                number,
                order["scheme"],
                order["warehouse_id"],
                order["created_at"],
                order["ship_by"],
                json.dumps(vendor, ensure_ascii=False),
            ),
        )
        new_id = int(cur.lastrowid or 0)
        for no, (sku, qty) in enumerate(sorted(package.items()), start=1):
            line = by_sku[sku]
            remaining[int(line["line_no"])] -= qty
            ctx.conn.execute(
                "insert into order_lines(order_id, line_no, offer_id, quantity, price_kop) values (?, ?, ?, ?, ?)",
                (new_id, no, line["offer_id"], qty, line["price_kop"]),
            )
        set_status(ctx, new_id, "awaiting_packaging", actor="marketplace")
        set_status(ctx, new_id, "awaiting_deliver")
        numbers.append(number)
    for line_no, qty in remaining.items():
        if qty <= 0:
            ctx.conn.execute(
                "delete from order_lines where order_id = ? and line_no = ?", (order["id"], line_no)
            )
        else:
            ctx.conn.execute(
                "update order_lines set quantity = ? where order_id = ? and line_no = ?",
                (qty, order["id"], line_no),
            )
    return numbers


def ship(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v4/posting/fbs/ship``."""
    number = body.get("posting_number")
    if not number:
        raise bad_request(
            "invalid FbsPostingShipV4Request.PostingNumber: value length must be at least 1 runes"
        )
    packages = _packages(body)
    order = find_posting(ctx, str(number), ("fbs", "dbs"))
    if order is None:
        raise not_found("POSTING_NOT_FOUND")
    status = order["vstatus"]
    if status == "cancelled":
        raise bad_request("POSTING_ALREADY_CANCELLED")
    if status in SHIPPED:
        raise bad_request("POSTING_ALREADY_SHIPPED")
    if status != "awaiting_packaging":
        raise bad_request("HAS_INCORRECT_STATUS")
    lines = PostingRenderer(ctx, [order]).lines[int(order["id"])]
    ordered: Counter[int] = Counter()
    for line in lines:
        ordered[int(line["mp_sku"] or 0)] += int(line["quantity"])
    sent: Counter[int] = sum(packages, Counter())
    if set(sent) - set(ordered):
        raise bad_request("UNKNOWN_PRODUCT_DEFINED")
    if sent != ordered:
        raise bad_request("HAS_INCORRECT_PRODUCT_QUANTITY")
    numbers = _split(ctx, order, lines, packages)
    set_status(ctx, int(order["id"]), "awaiting_deliver")
    log_push(ctx, "/v4/posting/fbs/ship", body)
    ctx.conn.commit()
    additional: list[dict[str, Any]] = []
    if isinstance(body.get("with"), dict) and body["with"].get("additional_data"):
        for pn in numbers:
            row = find_posting(ctx, pn, ("fbs", "dbs"))
            assert row is not None
            renderer = PostingRenderer(ctx, [row])
            additional.append(
                {
                    "posting_number": pn,
                    "products": [
                        {
                            "mandatory_mark": [],
                            "name": line["offer_name"] or "",
                            "offer_id": line["offer_id"],
                            "price": rub_text(int(line["price_kop"])),
                            "quantity": int(line["quantity"]),
                            "sku": int(line["mp_sku"] or 0),
                            "currency_code": "RUB",
                        }
                        for line in renderer.lines[int(row["id"])]
                    ],
                }
            )
    return {"additional_data": additional, "result": numbers}


def cancel(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/posting/fbs/cancel``."""
    number = body.get("posting_number")
    if not number:
        raise bad_request(
            "invalid CancelFbsPostingRequest.PostingNumber: value length must be at least 1 runes"
        )
    reason_id, reason, message = _reason(body, "CancelFbsPostingRequest")
    if reason_id == 402 and not message:
        raise bad_request("cancel_reason_message is required for cancel_reason_id 402")
    order = find_posting(ctx, str(number), ("fbs", "dbs"))
    if order is None:
        raise not_found("POSTING_NOT_FOUND")
    if order["vstatus"] == "cancelled":
        raise bad_request("POSTING_ALREADY_CANCELLED")
    if order["vstatus"] == "delivered":
        raise bad_request("HAS_INCORRECT_STATUS")
    vendor = vendor_json(order)
    vendor.update({"cancel_reason_id": reason_id, "cancel_reason": message or reason["title"]})
    ctx.conn.execute(
        "update orders set vendor = ? where id = ?", (json.dumps(vendor, ensure_ascii=False), order["id"])
    )
    set_status(ctx, int(order["id"]), "cancelled")
    log_push(ctx, "/v2/posting/fbs/cancel", body)
    ctx.conn.commit()
    return {"result": True}


def _reason(body: dict[str, Any], message_name: str) -> tuple[int, dict[str, Any], str]:
    """The cancel reason of a cancel request: (id, its entry in the list, message)."""
    try:
        reason_id = int(body.get("cancel_reason_id") or 0)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {message_name}.CancelReasonId: value must be a number") from None
    reason = next((r for r in CANCEL_REASONS if r["id"] == reason_id and r["available"]), None)
    if reason is None:
        raise bad_request("HAS_INCORRECT_CANCEL_REASON")
    return reason_id, reason, str(body.get("cancel_reason_message") or "")


def _cancel_items(body: dict[str, Any]) -> Counter[int]:
    """``items[{sku, quantity}]`` of a product cancel as units per SKU."""
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise bad_request("invalid PostingProductCancelRequest.Items: value must contain at least 1 item(s)")
    units: Counter[int] = Counter()
    for item in items:
        try:
            sku, quantity = int(item["sku"]), int(item["quantity"])
        except (KeyError, TypeError, ValueError):
            raise bad_request(
                "invalid PostingProductCancelRequestItem: sku and quantity are required"
            ) from None
        if quantity < 1:
            raise bad_request(
                "invalid PostingProductCancelRequestItem.Quantity: value must be greater than 0"
            )
        units[sku] += quantity
    return units


def _cancellable(ctx: Ctx, number: str, units: Counter[int]) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    """The posting and its lines, when ``units`` may be cancelled from it; else Ozon's refusal."""
    order = find_posting(ctx, number, ("fbs", "dbs"))
    if order is None:
        raise not_found("POSTING_NOT_FOUND")
    if order["vstatus"] == "cancelled":
        raise bad_request("POSTING_ALREADY_CANCELLED")
    if "product_cancel" not in ACTIONS.get(str(order["vstatus"]), []):
        raise bad_request("HAS_INCORRECT_STATUS")
    lines = PostingRenderer(ctx, [order]).lines[int(order["id"])]
    held: Counter[int] = Counter()
    for line in lines:
        held[int(line["mp_sku"] or 0)] += int(line["quantity"])
    if set(units) - set(held):
        raise bad_request("UNKNOWN_PRODUCT_DEFINED")
    if any(quantity > held[sku] for sku, quantity in units.items()):
        raise bad_request("HAS_INCORRECT_PRODUCT_QUANTITY")
    return order, lines


def _take_units(ctx: Ctx, order_id: int, lines: list[sqlite3.Row], units: Counter[int]) -> int:
    """Remove ``units`` from the posting's lines (a line at 0 is deleted); the units left in the posting."""
    left, kept = dict(units), 0
    for line in lines:
        sku, quantity = int(line["mp_sku"] or 0), int(line["quantity"])
        take = min(left.get(sku, 0), quantity)
        left[sku] = left.get(sku, 0) - take
        kept += quantity - take
        if take == quantity:
            ctx.conn.execute(
                "delete from order_lines where order_id = ? and line_no = ?", (order_id, line["line_no"])
            )
        elif take:
            ctx.conn.execute(
                "update order_lines set quantity = quantity - ? where order_id = ? and line_no = ?",
                (take, order_id, line["line_no"]),
            )
    return kept


def product_cancel(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/posting/fbs/product/cancel``: some units of a posting are not sent."""
    number = body.get("posting_number")
    if not number:
        raise bad_request(
            "invalid PostingProductCancelRequest.PostingNumber: value length must be at least 1 runes"
        )
    reason_id, _, message = _reason(body, "PostingProductCancelRequest")
    if not message:
        raise bad_request(
            "invalid PostingProductCancelRequest.CancelReasonMessage: value length must be at least 1 runes"
        )
    units = _cancel_items(body)
    order, lines = _cancellable(ctx, str(number), units)
    kept = _take_units(ctx, int(order["id"]), lines, units)
    vendor = vendor_json(order)
    vendor.setdefault("cancelled_products", []).extend(
        {"sku": sku, "quantity": quantity, "cancel_reason_id": reason_id, "cancel_reason": message}
        for sku, quantity in sorted(units.items())
    )
    if kept == 0:  # every unit cancelled: nothing is left to send
        vendor.update({"cancel_reason_id": reason_id, "cancel_reason": message})
        set_status(ctx, int(order["id"]), "cancelled")
    ctx.conn.execute(
        "update orders set vendor = ? where id = ?", (json.dumps(vendor, ensure_ascii=False), order["id"])
    )
    log_push(ctx, "/v2/posting/fbs/product/cancel", body)
    ctx.conn.commit()
    return {"result": str(order["posting_number"])}


def awaiting_delivery(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/posting/fbs/awaiting-delivery``: disputed postings go back to ``awaiting_deliver``."""
    numbers = str_list(body.get("posting_number"), "MovePostingToAwaitingDeliveryRequest.PostingNumber", 100)
    if not numbers:
        raise bad_request(
            "invalid MovePostingToAwaitingDeliveryRequest.PostingNumber: value must contain at least 1 item(s)"
        )
    orders = []
    for number in numbers:
        order = find_posting(ctx, number, ("fbs", "dbs"))
        if order is None:
            raise not_found("POSTING_NOT_FOUND")
        if order["vstatus"] not in ("arbitration", "client_arbitration"):
            raise bad_request("HAS_INCORRECT_STATUS")
        orders.append(order)
    for order in orders:
        set_status(ctx, int(order["id"]), "awaiting_deliver")
    log_push(ctx, "/v2/posting/fbs/awaiting-delivery", body)
    ctx.conn.commit()
    return {"result": True}


def _move_rfbs(ctx: Ctx, body: dict[str, Any], path: str, target: str, allowed: tuple[str, ...]) -> dict:
    numbers = str_list(body.get("posting_number"), "FbsPostingMoveStatusRequest.PostingNumber", 100)
    if not numbers:
        raise bad_request(
            "invalid FbsPostingMoveStatusRequest.PostingNumber: value must contain at least 1 item(s)"
        )
    results = []
    changed = False
    for number in numbers:
        order = find_posting(ctx, number, ("fbs", "dbs"))
        error = ""
        if order is None:
            error = "POSTING_NOT_FOUND"
        elif order["scheme"] != "dbs":
            error = "HAS_INCORRECT_TPL_INTEGRATION_TYPE"
        elif order["vstatus"] not in allowed:
            error = "TRANSITION_IS_NOT_POSSIBLE"
        else:
            set_status(ctx, int(order["id"]), target)
            changed = True
        results.append({"posting_number": number, "result": not error, "error": error})
    if changed:
        log_push(ctx, path, body)
    ctx.conn.commit()
    return {"result": results}


def delivering(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/fbs/posting/delivering`` (rFBS): ``awaiting_deliver`` → ``delivering``."""
    return _move_rfbs(ctx, body, "/v2/fbs/posting/delivering", "delivering", ("awaiting_deliver",))


def delivered(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/fbs/posting/delivered`` (rFBS): ``delivering`` → ``delivered``."""
    return _move_rfbs(ctx, body, "/v2/fbs/posting/delivered", "delivered", ("delivering", "driver_pickup"))
