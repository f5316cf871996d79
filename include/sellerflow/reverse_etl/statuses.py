"""Order progress reported by another part of sellerflow, pushed to 1C and the marketplace through the same outbox.

For the TSD pick-list helper (``sellerflow.picking.feedback``): when a pick list is finished, its orders are
assembled before 1C may show it (ЗаказКлиента Статус КОтгрузке). Call, inside the finishing transaction::

    from sellerflow.reverse_etl.statuses import request_assembled

    with psycopg.connect(dsn) as conn:
        result = request_assembled(conn, {"account_id": "ozon_main", "posting_number": "31400946-8209-1"})
    # {"target": "ozon_statuses", "enqueued": 1, "reason": None,
    #  "onec": {"target": "onec_assembled", "enqueued": 1, "status": "КОтгрузке", "short_units": 0, "reason": None}}

- ``conn``: a connection to the warehouse (its transaction is used: the request and the caller's own writes commit
  together); ``posting``: a mapping with ``account_id`` (the marketplace cabinet) and ``posting_number`` — the
  marketplace's own id of what is shipped: Ozon posting number, WB assembly task id, YM order id, Megamarket
  shipment id — and optionally ``order_number`` (else found in ``ops.pick_list_orders``); ``requested_by``: who asks
  (kept with the request).
- 1C: the order's ЗаказКлиента (the one ``onec_reservations`` created; its acknowledged payload in
  ``ops.outbox_acknowledged``) is enqueued under the target ``onec_assembled``: Статус ``КОтгрузке`` once every
  posting of the order is on a finished pick list, and the units not found (``ops.pick_list_items.short`` of its
  finished lists) cut off into cancelled lines, so 1C releases exactly their reserve
  (:mod:`.targets.onec_assembled`). Sent by the next ``push_statuses`` run. No reservation acknowledged yet: nothing
  is enqueued for 1C (``onec.reason`` says so).
- Shortages: the posting's units not found (``posting['items']`` with ``short``, as the TSD's finish hands them)
  are enqueued under ``<marketplace>_shortages`` (:mod:`.targets.marketplace_shortages`: WB cancels the task,
  Megamarket rejects the lots, Ozon cancels the posting or, for part of one, the short units per product, YM cancels
  an order of which nothing was found). A posting of which nothing was found is not reported assembled (no
  progress request, no status step): only its shortage goes out.
- Marketplace: it records the request in ``ops.reverse_etl_progress_requests`` (the statuses models read it as
  progress ``assembled`` beside 1C) and enqueues the order's row of ``marts.sync_<marketplace>__statuses`` into
  ``ops.outbox`` under the target ``<marketplace>_statuses``: the same outbox, the same legality checks (an
  illegal transition is enqueued with its reason and parked, never sent), sent by the next ``push_statuses`` run.
  Nothing is sent to the marketplace or 1C here.
- Idempotent: asking twice records one request and enqueues nothing new. ``enqueued`` is 0 with a ``reason`` when
  the order is not in the cabinet's new-order lists or needs no step (already done at the marketplace).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.targets.marketplace_shortages import shortage_key, shortage_payloads
from sellerflow.reverse_etl.targets.onec_assembled import (
    OneCAssembled,
    assembled_payload,
    shortages_by_product,
)

RESERVATIONS = "onec_reservations"


def request_assembled(
    conn: psycopg.Connection, posting: Mapping[str, Any], *, requested_by: str = "tsd"
) -> dict[str, Any]:
    """Ask for the marketplace's "assembled" transition of one order and 1C's КОтгрузке; what was enqueued."""
    account_id, vendor_order_id = str(posting["account_id"]), str(posting["posting_number"])
    found = conn.execute(
        "select marketplace from ops.reverse_etl_accounts where account_id = %s", (account_id,)
    ).fetchone()
    if found is None:
        raise LookupError(f"no reverse-ETL settings for cabinet {account_id} (run a push DAG once)")
    target = f"{found[0]}_statuses"
    onec = request_onec_assembled(conn, account_id, vendor_order_id, posting.get("order_number"))
    shortage = request_shortage(conn, {**posting, "marketplace": found[0]})
    if shortage.get("whole"):
        return {
            "target": target,
            "enqueued": 0,
            "reason": "nothing of it was found: not assembled; the marketplace is told of the shortage",
            "onec": onec,
            "shortage": shortage,
        }
    conn.execute(
        "insert into ops.reverse_etl_progress_requests (account_id, vendor_order_id, progress, requested_by) "
        "values (%s, %s, 'assembled', %s) on conflict do nothing",
        (account_id, vendor_order_id, requested_by),
    )
    model = sql.Identifier("marts", f"sync_{found[0]}__statuses")
    built = conn.execute(
        "select to_regclass(%s) is not null", (f"marts.sync_{found[0]}__statuses",)
    ).fetchone()
    if not built or not built[0]:
        reason = (
            f"marts.sync_{found[0]}__statuses is not built yet: push_statuses enqueues the step once it is"
        )
        return {"target": target, "enqueued": 0, "reason": reason, "onec": onec, "shortage": shortage}
    rows = outbox.desired_rows_where(conn, model, "item_key = %s", (f"{account_id}:{vendor_order_id}",))
    if not rows:
        return {
            "target": target,
            "enqueued": 0,
            "reason": "no transition due for this order (unknown or done)",
            "onec": onec,
            "shortage": shortage,
        }
    queued = outbox.enqueue(conn, target, rows)
    return {"target": target, "enqueued": queued.new, "reason": None, "onec": onec, "shortage": shortage}


def request_missing_onec_assembled(conn: psycopg.Connection, days: int = 7) -> int:
    """Enqueue 1C's state for orders finished on pick lists in the last ``days`` that have no ``onec_assembled`` item
    yet because their reservation was not acknowledged when the list was finished; returns how many were enqueued.
    push_statuses calls it before draining ``onec_assembled``."""
    rows = conn.execute(
        "select distinct o.account_id, o.order_number, min(o.posting_number) from ops.pick_list_orders o"
        " where o.assembled_at > clock_timestamp() - make_interval(days => %s) and o.struck_at is null"
        " and exists (select 1 from ops.outbox_acknowledged a where a.target = %s"
        "   and a.item_key = o.account_id || ':' || o.order_number)"
        " and not exists (select 1 from ops.outbox x where x.target = %s"
        "   and x.item_key = o.account_id || ':' || o.order_number)"
        " group by 1, 2",
        (days, RESERVATIONS, OneCAssembled.name),
    ).fetchall()
    enqueued = 0
    for account_id, order_number, posting_number in rows:
        with conn.transaction():
            done = request_onec_assembled(conn, account_id, posting_number, order_number)
        enqueued += int(done["enqueued"])
    return enqueued


def request_shortage(conn: psycopg.Connection, posting: Mapping[str, Any]) -> dict[str, Any]:
    """Enqueue the posting's units not found (``posting['items']`` with ``short``) for its marketplace
    (``<marketplace>_shortages``: one item per posting, per product for part of an Ozon posting); nothing when none
    is short."""
    payloads = shortage_payloads(dict(posting))
    if not payloads:
        return {"enqueued": 0, "whole": False}
    target = f"{payloads[0]['marketplace']}_shortages"
    rows = [
        outbox.Desired(
            item_key=shortage_key(payload),
            account_id=payload["account_id"],
            payload=payload,
            payload_hash=_hash(payload),
        )
        for payload in payloads
    ]
    queued = outbox.enqueue(conn, target, rows)
    return {
        "target": target,
        "enqueued": queued.new,
        "units": sum(u["quantity"] for payload in payloads for u in payload["units"]),
        "whole": payloads[0]["whole"],
    }


def _hash(payload: Mapping[str, Any]) -> str:
    return hashlib.md5(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def request_onec_assembled(
    conn: psycopg.Connection, account_id: str, posting_number: str, order_number: str | None = None
) -> dict[str, Any]:
    """Enqueue the 1C order's desired state after picking (``onec_assembled``); what was enqueued and why not."""
    out: dict[str, Any] = {"target": OneCAssembled.name, "enqueued": 0, "status": None, "short_units": 0}
    if order_number is None:
        row = conn.execute(
            "select order_number from ops.pick_list_orders where account_id = %s and posting_number = %s"
            " order by id desc limit 1",
            (account_id, posting_number),
        ).fetchone()
        if row is None:
            return {**out, "reason": "the posting is on no pick list: nothing to tell 1C"}
        order_number = str(row[0])
    key = f"{account_id}:{order_number}"
    found = conn.execute(
        "select payload from ops.outbox_acknowledged where target = %s and item_key = %s", (RESERVATIONS, key)
    ).fetchone()
    if found is None:
        return {**out, "reason": f"no 1C reservation acknowledged for {key} yet: 1C is not told"}
    reservation = found[0]
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select o.posting_number, i.product_ref, i.offer_id, i.short from ops.pick_list_orders o"
            " left join ops.pick_list_items i on i.order_id = o.id"
            " where o.account_id = %s and o.order_number = %s and o.assembled_at is not null"
            " and o.struck_at is null",
            (account_id, order_number),
        )
        units = cur.fetchall()
    shortages, offers = shortages_by_product(units)
    payload = assembled_payload(reservation, [u["posting_number"] for u in units], shortages, offers)
    desired = outbox.Desired(
        item_key=key,
        account_id=str(reservation["onec_base"]),
        payload=payload,
        payload_hash=hashlib.md5(
            json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest(),
    )
    queued = outbox.enqueue(conn, OneCAssembled.name, [desired])
    return {
        **out,
        "enqueued": queued.new,
        "status": payload["status"],
        "short_units": sum(shortages.values()),
        "reason": None if queued.new else "1C already has (or is sent) this state",
    }
