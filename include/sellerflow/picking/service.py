"""What a device does with a pick list: list, claim, read, scan, finish.

Every call takes an open connection (autocommit) and the authenticated :class:`Device`. Problems are raised as
:class:`PickingError` with an HTTP status, a stable code and a message a picker can act on.

- **Claim**: one ``UPDATE … WHERE status = 'open' OR (claimed AND (expired OR mine))``. Postgres re-checks the
  condition on the row version a concurrent claim left, so of two devices claiming at once exactly one gets
  the list. The claim is a lease (``CLAIM_TTL``, ``SELLERFLOW_TSD_CLAIM_TTL_S``) renewed by every scan; when it
  lapsed, scans and finish are refused until the device claims the list again (if nobody else took it).
- **Scan**: the list row is locked, a scan id already recorded returns the recorded answer (a retried post
  changes nothing), the barcode must belong to a line of the list, and the quantity may not exceed what is
  left on the lines that carry it. Units are allocated to the items in order (an orderUid's WB tasks together).
- **Finish**: records per item the shortage (planned − picked), marks the postings assembled with their short
  units, closes the list and hands the postings to the reverse-ETL (:mod:`.feedback`).

Round trips: the statements of a call go out together in psycopg's pipeline mode, so a call waits for Postgres
once per batch whose answers it needs before it can go on. A list, a download and a claim are one batch (the
claim's ``UPDATE`` and the document's reads in one implicit transaction); a scan and a release two (``BEGIN``
and the reads under the list's lock, then the writes, the answer and ``COMMIT``). Under load each wait costs
a scheduling slice of the Python thread and of the Postgres backend, which is what the latency is made of.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from sellerflow.picking.devices import Device

CLAIM_TTL = timedelta(seconds=int(os.environ.get("SELLERFLOW_TSD_CLAIM_TTL_S", "900")))

Row = dict[str, Any]


class PickingError(Exception):
    """A refused request: HTTP status, stable code, message for the picker."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the refusal."""
        return {"error": self.code, "detail": self.message, **self.extra}


# Module constants only: no value is ever spliced into the SQL.
LIST_ROW = (
    "select id, warehouse_key, warehouse_name, status, created_at, claimed_by, claimed_at, claim_expires_at,"
    " finished_at, claim_expires_at < clock_timestamp() as claim_expired from ops.pick_lists where id = %s"
)
LIST_ROW_LOCKED = LIST_ROW + " for update"
CLAIM = (
    "update ops.pick_lists set status = 'claimed', claimed_by = %(device)s, claimed_at = clock_timestamp(),"
    " claim_expires_at = clock_timestamp() + %(ttl)s, updated_at = clock_timestamp()"
    " where id = %(id)s and warehouse_key = %(warehouse)s and (status = 'open' or (status = 'claimed'"
    " and (claimed_by = %(device)s or claim_expires_at < clock_timestamp())))"
    " returning id"
)
DOCUMENT_ITEMS = (
    "select i.id, i.line_key, i.unit_ref, i.product_ref, i.offer_id, i.article, i.name, i.barcodes, i.cell,"
    " i.quantity, i.picked, i.struck, i.short, o.marketplace, o.account_id, o.order_number,"
    " o.posting_number, o.order_group"
    " from ops.pick_list_items i join ops.pick_list_orders o on o.id = i.order_id"
    " where i.pick_list_id = %s order by i.cell nulls last, i.name, i.line_key, o.order_group, i.id"
)
DOCUMENT_EVENTS = (
    "select id, kind, message, payload, created_at from ops.pick_list_events"
    " where pick_list_id = %s and id > %s order by id"
)
DOCUMENT_ORDERS = (
    "select marketplace, account_id, order_number, posting_number, order_group, struck_at is not null as struck,"
    " short_units from ops.pick_list_orders where pick_list_id = %s order by id"
)
SCAN_SEEN = (
    "select line_key, barcode, quantity, allocation from ops.pick_list_scans"
    " where pick_list_id = %s and scan_id = %s"
)
SCAN_ITEMS = (
    "select i.id, i.line_key, i.quantity, i.picked, i.struck from ops.pick_list_items i"
    " join ops.pick_list_orders o on o.id = i.order_id"
    " where i.pick_list_id = %s and %s = any(i.barcodes) order by i.cell nulls last, i.line_key, o.order_group, i.id"
)
SCAN_ANSWER = (
    "select coalesce(sum(quantity) filter (where not struck and line_key = %(line)s), 0) as planned,"
    " coalesce(sum(picked) filter (where not struck and line_key = %(line)s), 0) as picked,"
    " min(name) filter (where line_key = %(line)s) as name, min(cell) filter (where line_key = %(line)s) as cell,"
    " coalesce(sum(quantity) filter (where not struck), 0) as list_planned,"
    " coalesce(sum(picked) filter (where not struck), 0) as list_picked"
    " from ops.pick_list_items where pick_list_id = %(list)s"
)
FINISHED_SHORTAGES = (
    "select i.line_key as line_id, i.article, i.name, i.cell, o.marketplace, o.order_number, o.posting_number,"
    " i.unit_ref, i.quantity, i.picked, i.short from ops.pick_list_items i"
    " join ops.pick_list_orders o on o.id = i.order_id where i.pick_list_id = %s and i.short > 0"
    " order by i.cell nulls last, i.id"
)
FINISHED_ORDERS = (
    "select marketplace, account_id, order_number, posting_number, short_units from ops.pick_list_orders"
    " where pick_list_id = %s and struck_at is null order by id"
)


def _send(
    conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]
) -> psycopg.Cursor[DictRow]:
    """Execute ``query``; in pipeline mode it is only queued, and the cursor's fetch waits for the batch."""
    return conn.cursor(row_factory=dict_row).execute(query, params)


@contextmanager
def _pipelined_transaction(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction in pipeline mode whose ``BEGIN`` leaves with the first batch and ``COMMIT`` with the last.

    (psycopg's ``conn.transaction()`` syncs a pipeline when the block opens and when it closes: two waits
    more.) In a transaction of the caller the block is ``conn.transaction()``, a savepoint."""
    if not conn.autocommit or conn.info.transaction_status != TransactionStatus.IDLE:
        with conn.transaction(), conn.pipeline():
            yield
        return
    try:
        with conn.pipeline():
            conn.execute("begin", prepare=False)
            yield
            conn.execute("commit", prepare=False)
    finally:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.rollback()  # a refusal (or an error) left it open: nothing of it is kept


def _found(cur: psycopg.Cursor[DictRow], list_id: int) -> Row:
    """The list row ``cur`` was sent for (waits for its batch); 404 when there is none."""
    row = cur.fetchone()
    if row is None:
        raise PickingError(404, "not_found", f"Pick list {list_id} does not exist.")
    return row


def _check_warehouse(row: Row, device: Device) -> None:
    if row["warehouse_key"] != device.warehouse_key:
        raise PickingError(
            403,
            "wrong_warehouse",
            f"Pick list {row['id']} belongs to warehouse {row['warehouse_name']}; "
            f"this device works in warehouse {device.warehouse_key}.",
        )


def _check_holder(row: Row, device: Device) -> None:
    """The device holds a live claim on the list."""
    if row["status"] == "finished":
        raise PickingError(409, "finished", f"Pick list {row['id']} is already finished.")
    if row["status"] == "cancelled":
        raise PickingError(409, "cancelled", f"Pick list {row['id']} was cancelled: every order on it was.")
    if row["status"] != "claimed" or row["claimed_by"] != device.id:
        if row["status"] == "claimed" and not row["claim_expired"]:
            raise PickingError(
                409, "claimed_by_other", f"Pick list {row['id']} is being picked by another device."
            )
        if row["claimed_by"] == device.id:
            raise PickingError(
                409, "claim_expired", f"Your claim on pick list {row['id']} expired: claim the list again."
            )
        raise PickingError(
            409, "not_claimed", f"Claim pick list {row['id']} before scanning or finishing it."
        )
    if row["claim_expired"]:
        raise PickingError(
            409, "claim_expired", f"Your claim on pick list {row['id']} expired: claim the list again."
        )


def _summary(row: Row, device: Device) -> Row:
    return {
        "id": row["id"],
        "number": f"PL-{row['id']:06d}",
        "warehouse_key": row["warehouse_key"],
        "warehouse_name": row["warehouse_name"],
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
        "claimed_by_me": row["claimed_by"] == device.id and row["status"] == "claimed",
        "claim_expires_at": row["claim_expires_at"].isoformat() if row["claim_expires_at"] else None,
    }


def open_lists(conn: psycopg.Connection, device: Device) -> list[Row]:
    """Lists of the device's warehouse it can work on: open ones, and those it holds."""
    cur = _send(
        conn,
        "select l.id, l.warehouse_key, l.warehouse_name, l.status, l.created_at, l.claimed_by, l.claim_expires_at,"
        " (select count(*) from ops.pick_list_orders o where o.pick_list_id = l.id and o.struck_at is null) as orders,"
        " (select coalesce(sum(quantity), 0) from ops.pick_list_items i where i.pick_list_id = l.id and not i.struck) as units,"
        " (select coalesce(sum(picked), 0) from ops.pick_list_items i where i.pick_list_id = l.id and not i.struck) as picked"
        " from ops.pick_lists l where l.warehouse_key = %s"
        " and (l.status = 'open' or (l.status = 'claimed' and (l.claimed_by = %s or l.claim_expires_at < clock_timestamp())))"
        " order by l.id",
        [device.warehouse_key, device.id],
    )  # fmt: skip
    return [
        {**_summary(r, device), "orders": r["orders"], "units": int(r["units"]), "picked": int(r["picked"])}
        for r in cur.fetchall()
    ]


DocumentParts = tuple[psycopg.Cursor[DictRow], psycopg.Cursor[DictRow], psycopg.Cursor[DictRow]]


def _send_document(conn: psycopg.Connection, list_id: int, since_event: int = 0) -> DocumentParts:
    """Send the reads of a list's document: items, events after ``since_event``, orders."""
    return (
        _send(conn, DOCUMENT_ITEMS, [list_id]),
        _send(conn, DOCUMENT_EVENTS, [list_id, since_event]),
        _send(conn, DOCUMENT_ORDERS, [list_id]),
    )


def _document(row: Row, device: Device, parts: DocumentParts) -> Row:
    """The document from the list row and the answers of :func:`_send_document`: items folded into lines."""
    items, events, orders = parts
    lines: OrderedDict[str, Row] = OrderedDict()
    for item in items.fetchall():
        line = lines.get(item["line_key"])
        if line is None:
            line = lines[item["line_key"]] = {
                "line_id": item["line_key"],
                "nomenclature": item["product_ref"],
                "offer_id": item["offer_id"],
                "article": item["article"],
                "name": item["name"],
                "barcodes": [],
                "cell": item["cell"],
                "quantity": 0,
                "picked": 0,
                "struck_quantity": 0,
                "orders": [],
            }
        for code in item["barcodes"]:
            if code not in line["barcodes"]:
                line["barcodes"].append(code)
        if item["struck"]:
            line["struck_quantity"] += item["quantity"]
        else:
            line["quantity"] += item["quantity"]
            line["picked"] += item["picked"]
        line["orders"].append(
            {
                "item_id": item["id"],
                "marketplace": item["marketplace"],
                "account_id": item["account_id"],
                "order_number": item["order_number"],
                "posting_number": item["posting_number"],
                "order_group": item["order_group"],
                # WB: assembly task id; Ozon: SKU; YM: order item id; MM: itemIndex
                "unit_ref": item["unit_ref"],
                "quantity": item["quantity"],
                "picked": item["picked"],
                "struck": item["struck"],
                "short": item["short"],
            }
        )
    body = _summary(row, device)
    body.update(
        lines=list(lines.values()),
        orders=orders.fetchall(),
        events=[{**e, "created_at": e["created_at"].isoformat()} for e in events.fetchall()],
        units=sum(line["quantity"] for line in lines.values()),
        picked=sum(line["picked"] for line in lines.values()),
    )
    return body


def claim(conn: psycopg.Connection, device: Device, list_id: int) -> Row:
    """Claim the list for this device; refused when another device holds a live claim."""
    with conn.pipeline():  # the claim and the document's reads: one implicit transaction, one round trip
        claimed = _send(
            conn,
            CLAIM,
            {"device": device.id, "ttl": CLAIM_TTL, "id": list_id, "warehouse": device.warehouse_key},
        )
        head = _send(conn, LIST_ROW, [list_id])
        parts = _send_document(conn, list_id)
    row = _found(head, list_id)
    if claimed.fetchone() is None:
        _check_warehouse(row, device)
        _check_holder(row, device)  # raises: finished, cancelled, claimed by another device
        raise PickingError(409, "not_claimable", f"Pick list {list_id} cannot be claimed now.")
    return _document(row, device, parts)


def release(conn: psycopg.Connection, device: Device, list_id: int) -> Row:
    """Give the list back (open again, scans kept)."""
    with _pipelined_transaction(conn):
        row = _found(_send(conn, LIST_ROW_LOCKED, [list_id]), list_id)
        _check_warehouse(row, device)
        _check_holder(row, device)
        _send(
            conn,
            "update ops.pick_lists set status = 'open', claimed_by = null, claimed_at = null,"
            " claim_expires_at = null, updated_at = clock_timestamp() where id = %s",
            [list_id],
        )
        head = _send(conn, LIST_ROW, [list_id])
        parts = _send_document(conn, list_id)
    return _document(_found(head, list_id), device, parts)


def document(conn: psycopg.Connection, device: Device, list_id: int, since_event: int = 0) -> Row:
    """The list as the device downloads it: header, lines sorted by cell, struck orders, events."""
    with conn.pipeline():
        head = _send(conn, LIST_ROW, [list_id])
        parts = _send_document(conn, list_id, since_event)
    row = _found(head, list_id)
    _check_warehouse(row, device)
    return _document(row, device, parts)


def scan(
    conn: psycopg.Connection, device: Device, list_id: int, scan_id: str, barcode: str, quantity: int = 1
) -> Row:
    """Take one scan; a scan id already taken returns its recorded answer and changes nothing."""
    barcode = barcode.strip().strip("\r\n")
    if quantity < 1:
        raise PickingError(422, "bad_quantity", "Quantity must be at least 1.")
    with _pipelined_transaction(conn):
        head = _send(conn, LIST_ROW_LOCKED, [list_id])
        seen = _send(conn, SCAN_SEEN, [list_id, scan_id])
        found = _send(conn, SCAN_ITEMS, [list_id, barcode])
        row = _found(head, list_id)  # the first batch: BEGIN, the lock and the reads under it
        _check_warehouse(row, device)
        earlier = seen.fetchone()
        if earlier is not None:
            line, barcode, quantity = earlier["line_key"], earlier["barcode"], earlier["quantity"]
        else:
            _check_holder(row, device)
            line = _take(conn, device, row, found.fetchall(), scan_id, barcode, quantity)
        answer = _send(conn, SCAN_ANSWER, {"line": line, "list": list_id})
    # the second batch went out with COMMIT
    totals = answer.fetchone()
    assert totals is not None  # an aggregate without group by has one row
    return {
        "scan_id": scan_id,
        "result": "duplicate" if earlier is not None else "ok",
        "barcode": barcode,
        "quantity": quantity,
        "line_id": line,
        "name": totals["name"],
        "cell": totals["cell"],
        "qty_picked": int(totals["picked"]),
        "qty_planned": int(totals["planned"]),
        "list_picked": int(totals["list_picked"]),
        "list_units": int(totals["list_planned"]),
    }


def _take(
    conn: psycopg.Connection,
    device: Device,
    row: Row,
    items: list[Row],
    scan_id: str,
    barcode: str,
    quantity: int,
) -> str:
    """Check a new scan against the items carrying its barcode and send its writes; the line it counts on."""
    list_id = row["id"]
    live = [i for i in items if not i["struck"]]
    if not items:
        raise PickingError(422, "unknown_barcode", f"Barcode {barcode} is not on pick list {list_id}.")
    if not live:
        raise _struck_refusal(conn, list_id, barcode, [i["id"] for i in items])
    left = sum(i["quantity"] - i["picked"] for i in live)
    if quantity > left:
        raise PickingError(
            409,
            "over_pick",
            f"Over-pick: barcode {barcode} needs {left} more, you scanned {quantity}."
            if left
            else f"Over-pick: every unit of barcode {barcode} is already picked.",
            left=left,
        )
    allocation: list[dict[str, int]] = []
    rest, line = quantity, live[0]["line_key"]
    for item in live:
        take = min(rest, item["quantity"] - item["picked"])
        if take <= 0:
            continue
        if not allocation:
            line = item["line_key"]
        allocation.append({"item_id": item["id"], "quantity": take})
        rest -= take
        if rest == 0:
            break
    for part in allocation:
        _send(
            conn,
            "update ops.pick_list_items set picked = picked + %s where id = %s",
            [part["quantity"], part["item_id"]],
        )
    _send(
        conn,
        "insert into ops.pick_list_scans (pick_list_id, device_id, scan_id, barcode, quantity, line_key, allocation)"
        " values (%s, %s, %s, %s, %s, %s, %s)",
        [list_id, device.id, scan_id, barcode, quantity, line, Jsonb(allocation)],
    )
    _send(
        conn,
        "update ops.pick_lists set claim_expires_at = clock_timestamp() + %s, updated_at = clock_timestamp() where id = %s",
        [CLAIM_TTL, list_id],
    )
    return line


def _struck_refusal(
    conn: psycopg.Connection, list_id: int, barcode: str, item_ids: list[int]
) -> PickingError:
    """The refusal of a scan whose every item was struck: ``order_cancelled``, or ``order_struck`` when the order
    left the marketplace's new-order lists without a cancellation (the builder's event says which)."""
    event = _send(
        conn,
        "select e.payload ->> 'reason' as reason, e.payload ->> 'vendor_status' as vendor_status"
        " from ops.pick_list_events e join ops.pick_list_orders o on o.pick_list_id = e.pick_list_id"
        " and o.posting_number = e.payload ->> 'posting_number' and o.account_id = e.payload ->> 'account_id'"
        " join ops.pick_list_items i on i.order_id = o.id"
        " where e.pick_list_id = %s and e.kind = 'order_struck' and i.id = any(%s) order by e.id desc limit 1",
        [list_id, item_ids],
    ).fetchone()
    if event is not None and event["reason"] == "not_awaiting_assembly":
        return PickingError(
            409,
            "order_struck",
            f"Barcode {barcode}: its order is no longer awaiting assembly at the marketplace (status "
            f"{event['vendor_status'] or '?'}) and was struck from the list; do not pick it.",
        )
    return PickingError(
        409,
        "order_cancelled",
        f"Barcode {barcode}: its order was cancelled and struck from the list; do not pick it.",
    )


def finish(conn: psycopg.Connection, device: Device, list_id: int) -> Row:
    """Close the list: shortages per item, postings assembled, the reverse-ETL told."""
    from sellerflow.picking import feedback

    with conn.transaction():
        with conn.pipeline():
            row = _found(_send(conn, LIST_ROW_LOCKED, [list_id]), list_id)
            _check_warehouse(row, device)
            already = row["status"] == "finished" and row["claimed_by"] == device.id
            if not already:
                _check_holder(row, device)
                _send(
                    conn,
                    "update ops.pick_list_items set short = case when struck then 0 else quantity - picked end"
                    " where pick_list_id = %s",
                    [list_id],
                )
                _send(
                    conn,
                    "update ops.pick_list_orders o set assembled_at = clock_timestamp(),"
                    " short_units = (select coalesce(sum(short), 0) from ops.pick_list_items i where i.order_id = o.id)"
                    " where pick_list_id = %s and struck_at is null",
                    [list_id],
                )
                _send(
                    conn,
                    "update ops.pick_lists set status = 'finished', finished_at = clock_timestamp(), finished_by = %s,"
                    " updated_at = clock_timestamp() where id = %s",
                    [device.id, list_id],
                )
            shortages = _send(conn, FINISHED_SHORTAGES, [list_id])
            orders = _send(conn, FINISHED_ORDERS, [list_id])
        answer = _finished(list_id, already, shortages.fetchall(), orders.fetchall())
        if not already:
            # out of pipeline mode: the reverse-ETL's calls read their answers as they go
            answer["reverse_etl"] = feedback.assembled(conn, list_id)
        return answer


def _finished(list_id: int, already: bool, shortages: list[Row], orders: list[Row]) -> Row:
    return {
        "id": list_id,
        "status": "finished",
        "already_finished": already,
        "orders_assembled": sum(1 for o in orders if not o["short_units"]),
        "orders_short": sum(1 for o in orders if o["short_units"]),
        "shortages": shortages,
        "orders": orders,
    }
