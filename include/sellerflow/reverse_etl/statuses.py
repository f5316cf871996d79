"""Order progress reported by another part of sellerflow, pushed to the marketplace through the same outbox.

For the TSD pick-list helper (``sellerflow.picking.feedback``): when a pick list is finished, its orders are
assembled before 1C may show it (ЗаказКлиента Статус КОтгрузке). Call, inside the finishing transaction::

    from sellerflow.reverse_etl.statuses import request_assembled

    with psycopg.connect(dsn) as conn:
        result = request_assembled(conn, {"account_id": "ozon_main", "posting_number": "31400946-8209-1"})
    # {"target": "ozon_statuses", "enqueued": 1, "reason": None}

- ``conn``: a connection to the warehouse (its transaction is used: the request and the caller's own writes commit
  together); ``posting``: a mapping with ``account_id`` (the marketplace cabinet) and ``posting_number`` — the
  marketplace's own id of what is shipped: Ozon posting number, WB assembly task id, YM order id, Megamarket
  shipment id; ``requested_by``: who asks (kept with the request).
- It records the request in ``ops.reverse_etl_progress_requests`` (the statuses models read it as progress
  ``assembled`` beside 1C) and enqueues the order's row of ``marts.sync_<marketplace>__statuses`` into
  ``ops.outbox`` under the target ``<marketplace>_statuses``: the same outbox, the same legality checks (an
  illegal transition is enqueued with its reason and parked, never sent), sent by the next ``push_statuses`` run.
  Nothing is sent to the marketplace here.
- Idempotent: asking twice records one request and enqueues nothing new. ``enqueued`` is 0 with a ``reason`` when
  the order is not in the cabinet's new-order lists or needs no step (already done at the marketplace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.reverse_etl import outbox


def request_assembled(
    conn: psycopg.Connection, posting: Mapping[str, Any], *, requested_by: str = "tsd"
) -> dict[str, Any]:
    """Ask for the marketplace's "assembled" transition of one order; returns the target and what was enqueued."""
    account_id, vendor_order_id = str(posting["account_id"]), str(posting["posting_number"])
    found = conn.execute(
        "select marketplace from ops.reverse_etl_accounts where account_id = %s", (account_id,)
    ).fetchone()
    if found is None:
        raise LookupError(f"no reverse-ETL settings for cabinet {account_id} (run a push DAG once)")
    target = f"{found[0]}_statuses"
    conn.execute(
        "insert into ops.reverse_etl_progress_requests (account_id, vendor_order_id, progress, requested_by) "
        "values (%s, %s, 'assembled', %s) on conflict do nothing",
        (account_id, vendor_order_id, requested_by),
    )
    model = sql.Identifier("marts", f"sync_{found[0]}__statuses")
    rows = outbox.desired_rows_where(conn, model, "item_key = %s", (f"{account_id}:{vendor_order_id}",))
    if not rows:
        return {
            "target": target,
            "enqueued": 0,
            "reason": "no transition due for this order (unknown or done)",
        }
    queued = outbox.enqueue(conn, target, rows)
    return {"target": target, "enqueued": queued.new, "reason": None}
