"""Seller-side order status changes and their effect on the canonical world.

Docs: reference/orders/updateOrderStatus and updateOrderStatuses; concepts/dbs-order-status-model.
FBS/Express: ``PROCESSING/STARTED`` → ``PROCESSING/READY_TO_SHIP``; before shipment the seller may
cancel with ``CANCELLED/SHOP_FAILED``. DBS additionally moves the order through delivery itself:
``DELIVERY`` → ``PICKUP`` → ``DELIVERED`` (cancel reasons of the buyer allowed too). Anything else
(e.g. touching a cancelled or delivered order) is 400; the message follows the API's own wording
"Order N with status X is not allowed for status Y". Re-sending the status the order already has
changes nothing and succeeds.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sellerflow_emulators.yandex_market.errors import YmError, bad_request

FBS_CANCEL_REASONS = frozenset({"SHOP_FAILED"})
DBS_CANCEL_REASONS = frozenset(
    {
        "SHOP_FAILED",
        "USER_CHANGED_MIND",
        "USER_UNREACHABLE",
        "USER_REFUSED_DELIVERY",
        "USER_REFUSED_PRODUCT",
        "USER_REFUSED_QUALITY",
        "REPLACING_ORDER",
        "PICKUP_EXPIRED",
        "DELIVERY_SERVICE_UNDELIVERED",
    }
)

# (from status, from substatus or "*") -> allowed (to status, to substatus or "*")
_FBS = {
    ("PROCESSING", "STARTED"): {("PROCESSING", "READY_TO_SHIP"), ("CANCELLED", "*")},
    ("PROCESSING", "READY_TO_SHIP"): {("CANCELLED", "*")},
    ("UNPAID", "*"): {("CANCELLED", "*")},
}
_DBS = {
    ("PROCESSING", "STARTED"): {("PROCESSING", "READY_TO_SHIP"), ("CANCELLED", "*"), ("DELIVERY", "*")},
    ("PROCESSING", "READY_TO_SHIP"): {("CANCELLED", "*"), ("DELIVERY", "*")},
    ("UNPAID", "*"): {("CANCELLED", "*")},
    ("DELIVERY", "*"): {("PICKUP", "*"), ("DELIVERED", "*"), ("CANCELLED", "*")},
    ("PICKUP", "*"): {("DELIVERED", "*"), ("CANCELLED", "*")},
}
DEFAULT_SUBSTATUS = {
    "DELIVERY": "DELIVERY_SERVICE_RECEIVED",
    "PICKUP": "PICKUP_SERVICE_RECEIVED",
    "DELIVERED": "DELIVERY_SERVICE_DELIVERED",
}
CANONICAL = {
    ("PROCESSING", "STARTED"): "awaiting_packaging",
    ("PROCESSING", "READY_TO_SHIP"): "awaiting_deliver",
    ("DELIVERY", "*"): "delivering",
    ("PICKUP", "*"): "delivering",
    ("DELIVERED", "*"): "delivered",
    ("CANCELLED", "*"): "cancelled",
}


def _lookup(table: dict[tuple[str, str], Any], status: str, substatus: str) -> Any:
    return table.get((status, substatus), table.get((status, "*")))


def target_state(order: sqlite3.Row, status: str, substatus: str | None) -> tuple[str, str]:
    """The (status, substatus) the order moves to; 400 when the transition is not the seller's."""
    current = (order["ym_status"], order["ym_substatus"])
    dbs = order["scheme"] == "dbs"
    target_sub = substatus or DEFAULT_SUBSTATUS.get(status)
    if target_sub is None and current[0] == status:
        target_sub = current[1]
    refused = bad_request(
        f"Order {order['posting_number']} with status {current[0]} is not allowed for status {status}"
    )
    if target_sub is None:
        raise refused
    if (status, target_sub) == current:
        return current
    allowed = _lookup(_DBS if dbs else _FBS, *current) or set()
    if (status, target_sub) not in allowed and (status, "*") not in allowed:
        raise refused
    if status == "CANCELLED" and target_sub not in (DBS_CANCEL_REASONS if dbs else FBS_CANCEL_REASONS):
        raise bad_request(f"Invalid substatus: '{target_sub}' for status {status}")
    return status, target_sub


def apply_status(
    conn: sqlite3.Connection,
    order: sqlite3.Row,
    target: tuple[str, str],
    at: str,
) -> bool:
    """Append the seller's status to the history (no-op when unchanged). Returns True if written."""
    if target == (order["ym_status"], order["ym_substatus"]):
        return False
    canonical = _lookup(CANONICAL, *target)
    if canonical is None:
        raise YmError(400, f"Invalid status: '{target[0]}'")
    # The key (order_id, at, status) may repeat within one clock tick (DELIVERY then PICKUP):
    # the newer row replaces it and, having the larger rowid, is the current status.
    conn.execute(
        "insert or replace into order_status_history(order_id, at, status, vendor_status, actor) "
        "values (?, ?, ?, ?, 'seller')",
        (order["id"], at, canonical, f"{target[0]}/{target[1]}"),
    )
    return True


def log_push(
    conn: sqlite3.Connection, account_id: str | None, method: str, path: str, at: str, body: Any
) -> None:
    """Record a client's write in ``push_log``."""
    conn.execute(
        "insert into push_log(vendor, account_id, method, path, at, body) values ('yandex_market', ?, ?, ?, ?, ?)",
        (account_id, method, path, at, json.dumps(body, ensure_ascii=False)),
    )
