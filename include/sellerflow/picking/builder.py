"""Build pick lists from the orders awaiting assembly.

The demand is the dbt view ``marts.pick_demand``: one row per marketplace picking unit (WB assembly task,
Ozon posting product, YM order item, Megamarket lot) with its warehouse, 1C item, barcodes and storage cell.
Every build (DAG ``build_pick_lists``, every 5 minutes and on demand):

1. strikes from open and claimed lists the postings the vendor now reports cancelled, or no longer awaiting
   assembly (``awaiting_assembly`` false: the order left the new-order lists without a cancellation, e.g. packed in
   the marketplace's cabinet; decided from the vendor's status), and records an event the device is shown
   (``ops.pick_list_events``, kind ``order_struck``, the reason in its payload); a list whose every posting was
   struck is cancelled;
2. puts every posting awaiting assembly not yet on a list onto a new list of its warehouse, at most ``max_orders`` order groups
   per list (a WB orderUid, an Ozon posting, a YM order, a MM shipment stays on one list), oldest first.

A posting is put on one list only, ever (``ops.pick_list_orders`` is unique per posting), so a rerun adds
nothing. Builders are serialised by a transaction-level advisory lock.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from sellerflow.warehouse.connection import ConnOrDsn, connection

logger = logging.getLogger(__name__)

DEMAND_RELATION = "marts.pick_demand"
MAX_ORDERS_PER_LIST = 40
BUILD_LOCK_KEY = int.from_bytes(hashlib.sha256(b"sellerflow.picking.build").digest()[:8], "big", signed=True)

DEMAND_COLUMNS = (
    "marketplace, account_id, order_number, posting_number, order_group, unit_ref, created_at, warehouse_key,"
    " warehouse_name, product_ref, offer_id, article, product_name, barcodes, cell, quantity, is_cancelled,"
    " vendor_status, coalesce(awaiting_assembly, not coalesce(is_cancelled, false)) as awaiting_assembly"
)
CANCELLED = "cancelled"
NOT_AWAITING = "not_awaiting_assembly"


@dataclass
class BuildResult:
    """What one build did."""

    lists_created: list[int] = field(default_factory=list)
    postings_added: int = 0
    postings_struck: int = 0
    lists_cancelled: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lists_created": len(self.lists_created),
            "postings_added": self.postings_added,
            "postings_struck": self.postings_struck,
            "lists_cancelled": len(self.lists_cancelled),
        }


def line_key(cell: str | None, product_ref: str | None, offer_id: str | None) -> str:
    """Items of one line: same item in the same cell."""
    return f"{cell or '-'}|{product_ref or 'offer:' + (offer_id or '?')}"


def _message(row: dict[str, Any], reason: str, vendor_status: str | None) -> str:
    """What the picker is told about an order struck from the list."""
    order = f"Order {row['order_number']} ({row['marketplace']}, {row['posting_number']})"
    if reason == CANCELLED:
        return f"{order} was cancelled: it is struck from this list; put back what you picked for it."
    return (
        f"{order} is no longer awaiting assembly at the marketplace (status {vendor_status or '?'}): it is struck "
        "from this list; put back what you picked for it."
    )


def _strike(
    cur: psycopg.Cursor[DictRow],
    struck: dict[tuple[str, str, str], tuple[str, str | None]],
    result: BuildResult,
) -> None:
    """Strike the postings of ``struck`` ((marketplace, account, posting) → (reason, vendor status)) from open and
    claimed lists."""
    if not struck:
        return
    cur.execute(
        "select o.id, o.pick_list_id, o.marketplace, o.account_id, o.order_number, o.posting_number"
        " from ops.pick_list_orders o join ops.pick_lists l on l.id = o.pick_list_id"
        " where o.struck_at is null and l.status in ('open', 'claimed')"
        " and (o.marketplace, o.account_id, o.posting_number) in (select * from unnest(%s::text[], %s::text[], %s::text[]))"
        " order by o.id for update of o",
        [[k[0] for k in struck], [k[1] for k in struck], [k[2] for k in struck]],
    )
    touched: set[int] = set()
    for row in cur.fetchall():
        cur.execute(
            "update ops.pick_list_orders set struck_at = clock_timestamp() where id = %s", [row["id"]]
        )
        cur.execute("update ops.pick_list_items set struck = true where order_id = %s", [row["id"]])
        reason, vendor_status = struck[(row["marketplace"], row["account_id"], row["posting_number"])]
        payload = {k: row[k] for k in ("marketplace", "account_id", "order_number", "posting_number")}
        cur.execute(
            "insert into ops.pick_list_events (pick_list_id, kind, message, payload) values (%s, 'order_struck', %s, %s)",
            [
                row["pick_list_id"],
                _message(row, reason, vendor_status),
                Jsonb({**payload, "reason": reason, "vendor_status": vendor_status}),
            ],
        )
        result.postings_struck += 1
        touched.add(row["pick_list_id"])
    for list_id in sorted(touched):
        cur.execute(
            "update ops.pick_lists set status = 'cancelled', updated_at = clock_timestamp()"
            " where id = %s and status in ('open', 'claimed')"
            " and not exists (select from ops.pick_list_orders where pick_list_id = %s and struck_at is null)"
            " returning id",
            [list_id, list_id],
        )
        if cur.fetchone():
            cur.execute(
                "insert into ops.pick_list_events (pick_list_id, kind, message) values"
                " (%s, 'list_cancelled', 'Every order of this list was struck from it: the list is closed.')",
                [list_id],
            )
            result.lists_cancelled.append(list_id)


def _returned_id(cur: psycopg.Cursor[DictRow]) -> int:
    """The id an ``insert … returning id`` gave back."""
    row = cur.fetchone()
    assert row is not None  # an insert's returning clause always has its row
    return int(row["id"])


def _create_list(cur: psycopg.Cursor[DictRow], warehouse_key: str, groups: list[list[dict[str, Any]]]) -> int:
    name = groups[0][0]["warehouse_name"] or warehouse_key
    cur.execute(
        "insert into ops.pick_lists (warehouse_key, warehouse_name) values (%s, %s) returning id",
        [warehouse_key, name],
    )
    list_id = _returned_id(cur)
    for rows in groups:
        postings: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            postings[(row["marketplace"], row["account_id"], row["posting_number"])].append(row)
        for (marketplace, account_id, posting_number), units in postings.items():
            first = units[0]
            cur.execute(
                "insert into ops.pick_list_orders (pick_list_id, marketplace, account_id, order_number,"
                " posting_number, order_group) values (%s, %s, %s, %s, %s, %s) returning id",
                [list_id, marketplace, account_id, first["order_number"] or posting_number, posting_number,
                 first["order_group"] or posting_number],
            )  # fmt: skip
            order_id = _returned_id(cur)
            cur.executemany(
                "insert into ops.pick_list_items (pick_list_id, order_id, line_key, unit_ref, product_ref, offer_id,"
                " article, name, barcodes, cell, quantity) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    [list_id, order_id, line_key(u["cell"], u["product_ref"], u["offer_id"]), u["unit_ref"],
                     u["product_ref"], u["offer_id"], u["article"] or u["offer_id"],
                     u["product_name"] or u["offer_id"] or "?", list(u["barcodes"] or []), u["cell"], int(u["quantity"])]
                    for u in units
                ],
            )  # fmt: skip
    return list_id


def build_pick_lists(
    conn_or_dsn: ConnOrDsn, demand: str = DEMAND_RELATION, max_orders: int = MAX_ORDERS_PER_LIST
) -> BuildResult:
    """Strike cancelled postings from open lists and put new postings on new lists; returns what it did."""
    result = BuildResult()
    schema, _, table = demand.rpartition(".")
    relation = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    with connection(conn_or_dsn) as conn, conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", [BUILD_LOCK_KEY])
        cur.execute(sql.SQL("select {} from {}").format(sql.SQL(DEMAND_COLUMNS), relation))
        rows = [r for r in cur.fetchall() if r["quantity"] and r["quantity"] > 0]
        struck = {
            (r["marketplace"], r["account_id"], r["posting_number"]): (
                CANCELLED if r["is_cancelled"] else NOT_AWAITING,
                r["vendor_status"],
            )
            for r in rows
            if r["is_cancelled"] or not r["awaiting_assembly"]
        }
        _strike(cur, struck, result)

        cur.execute("select marketplace, account_id, posting_number from ops.pick_list_orders")
        listed = {(r["marketplace"], r["account_id"], r["posting_number"]) for r in cur.fetchall()}
        # warehouse → order group → rows (a group never spans two lists)
        fresh: dict[str, dict[tuple[str, str, str], list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for row in rows:
            key = (row["marketplace"], row["account_id"], row["posting_number"])
            if key in struck or key in listed:
                continue
            group = (row["marketplace"], row["account_id"], row["order_group"] or row["posting_number"])
            fresh[row["warehouse_key"]][group].append(row)
        for warehouse_key in sorted(fresh):
            groups = sorted(
                fresh[warehouse_key].values(),
                key=lambda units: (
                    min(str(u["created_at"] or "") for u in units),
                    units[0]["posting_number"],
                ),
            )
            for start in range(0, len(groups), max_orders):
                chunk = groups[start : start + max_orders]
                result.lists_created.append(_create_list(cur, warehouse_key, chunk))
                result.postings_added += len(
                    {(u["marketplace"], u["account_id"], u["posting_number"]) for g in chunk for u in g}
                )
    logger.info("pick lists built: %s", result.as_dict())
    return result
