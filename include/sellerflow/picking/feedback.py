"""Finishing a pick list feeds the reverse-ETL: 1C order status «assembled» (КОтгрузке) and the marketplace
transition (Ozon package, WB supply, YM boxes / READY_TO_SHIP, MM packing).

The postings of a finished list are recorded in ``ops.pick_list_orders`` (``assembled_at``, ``short_units``) and
the items' shortages in ``ops.pick_list_items.short``; the statuses push reads them from there. When the
reverse-ETL package offers a function to request «assembled» for an order
(``sellerflow.reverse_etl.statuses.request_assembled``), it is called for each posting in the finishing
transaction, so the request and the finish commit together.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import psycopg
from psycopg.rows import dict_row

logger = logging.getLogger(__name__)


def _requester():
    try:
        module = importlib.import_module("sellerflow.reverse_etl.statuses")
    except ImportError:
        return None
    return getattr(module, "request_assembled", None)


def assembled_postings(conn: psycopg.Connection, list_id: int) -> list[dict[str, Any]]:
    """Postings of a finished list with their units, picked and short per item (the marketplace transition)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select o.marketplace, o.account_id, o.order_number, o.posting_number, o.order_group, o.short_units,"
            " jsonb_agg(jsonb_build_object('unit_ref', i.unit_ref, 'offer_id', i.offer_id, 'product_ref', i.product_ref,"
            " 'quantity', i.quantity, 'picked', i.picked, 'short', i.short) order by i.id) as items"
            " from ops.pick_list_orders o join ops.pick_list_items i on i.order_id = o.id"
            " where o.pick_list_id = %s and o.struck_at is null group by o.id order by o.id",
            [list_id],
        )
        return cur.fetchall()


def assembled(conn: psycopg.Connection, list_id: int) -> dict[str, Any]:
    """Hand the finished list's postings to the reverse-ETL; says how (requested, or recorded for the models)."""
    postings = assembled_postings(conn, list_id)
    request = _requester()
    if request is None:
        return {"mode": "recorded", "postings": len(postings)}
    for posting in postings:
        request(conn, posting)
    return {"mode": "requested", "postings": len(postings)}
