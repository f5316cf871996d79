"""Finishing a pick list feeds the reverse-ETL: 1C order status «assembled» (КОтгрузке) and the marketplace
transition (Ozon package, WB supply, YM boxes / READY_TO_SHIP, MM packing).

The postings of a finished list are recorded in ``ops.pick_list_orders`` (``assembled_at``, ``short_units``; per
unit ``ops.pick_list_items.short``), which the dbt view ``marts.pick_assembled_orders`` shows. Each posting is then
handed to the reverse-ETL's ``sellerflow.reverse_etl.statuses.request_assembled(conn, posting)`` in the finishing
transaction (a savepoint per posting): it records the request and enqueues, in the one outbox, the order's
marketplace transition and its 1C state (target ``onec_assembled``: the reserved ЗаказКлиента to КОтгрузке, the
units not found — ``short`` — cut off into cancelled lines, so 1C releases their reserve), both sent by the next
``push_statuses`` run. A request that cannot be made (the cabinet has no reverse-ETL
settings yet, the function is not installed) never fails the finish: ``requested_at`` stays empty with the
reason in ``request_result``, and the build_pick_lists DAG asks again (:func:`request_pending`) until it is taken.
The request is idempotent on the reverse-ETL side.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

logger = logging.getLogger(__name__)

RETRY_DAYS = 7


def _requester() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("sellerflow.reverse_etl.statuses")
    except ImportError:
        return None
    except Exception:  # a broken reverse-ETL install must not stop a finish: recorded, asked again later
        logger.exception(
            "sellerflow.reverse_etl.statuses cannot be imported; finished orders are only recorded"
        )
        return None
    return getattr(module, "request_assembled", None)


def warm_up() -> bool:
    """Import the reverse-ETL's requester now; True when it is installed. The TSD app calls it when a worker
    starts: imported by the worker's first finish instead, the reverse-ETL package held the worker's GIL for a
    second or more under load, and every device's request waited behind it."""
    return _requester() is not None


def _postings(conn: psycopg.Connection, where: sql.SQL, params: list[Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        query = sql.SQL(
            "select o.id, o.marketplace, o.account_id, o.order_number, o.posting_number, o.order_group,"
            " o.short_units, jsonb_agg(jsonb_build_object('unit_ref', i.unit_ref, 'offer_id', i.offer_id,"
            " 'product_ref', i.product_ref, 'quantity', i.quantity, 'picked', i.picked, 'short', i.short)"
            " order by i.id) as items"
            " from ops.pick_list_orders o join ops.pick_list_items i on i.order_id = o.id"
            " where o.struck_at is null and o.assembled_at is not null and ({where}) group by o.id order by o.id"
        ).format(where=where)
        cur.execute(query, params)
        return cur.fetchall()


def _request(conn: psycopg.Connection, postings: list[dict[str, Any]]) -> dict[str, Any]:
    request = _requester()
    if request is None:
        return {"mode": "recorded", "postings": len(postings)}
    taken, refused = 0, []
    for posting in postings:
        try:
            with conn.transaction():  # a savepoint: a refused request leaves the finish and the others intact
                result = request(conn, {k: v for k, v in posting.items() if k != "id"})
                conn.execute(
                    "update ops.pick_list_orders set requested_at = clock_timestamp(), request_result = %s"
                    " where id = %s",
                    [Jsonb(result if isinstance(result, dict) else {"result": str(result)}), posting["id"]],
                )
            taken += 1
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            logger.warning("assembled request for %s not taken: %s", posting["posting_number"], reason)
            conn.execute(
                "update ops.pick_list_orders set request_result = %s where id = %s",
                [Jsonb({"error": reason}), posting["id"]],
            )
            refused.append({"posting_number": posting["posting_number"], "reason": reason})
    return {"mode": "requested", "postings": len(postings), "requested": taken, "not_requested": refused}


def assembled(conn: psycopg.Connection, list_id: int) -> dict[str, Any]:
    """Hand a finished list's postings to the reverse-ETL; says what happened."""
    return _request(conn, _postings(conn, sql.SQL("o.pick_list_id = %s"), [list_id]))


def request_pending(conn: psycopg.Connection, days: int = RETRY_DAYS) -> dict[str, Any]:
    """Ask again for the postings assembled in the last ``days`` whose request was not taken yet."""
    if _requester() is None:
        return {"mode": "recorded", "postings": 0}
    with conn.transaction():
        return _request(
            conn,
            _postings(
                conn,
                sql.SQL(
                    "o.requested_at is null and o.assembled_at > clock_timestamp() - make_interval(days => %s)"
                ),
                [days],
            ),
        )
