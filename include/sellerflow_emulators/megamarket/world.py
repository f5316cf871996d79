"""Reads and writes of the canonical world (store.py) that the Megamarket app needs.

Every read is bounded by the account, the simulated clock and either a date window read lazily
or an explicit id list, so a request never loads the whole world.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sellerflow_emulators.megamarket.render import load_vendor
from sellerflow_emulators.runtime import format_ts

VENDOR = "megamarket"

_LAST_STATUS = """
    (select h.{col} from order_status_history h
      where h.order_id = o.id and h.at <= :now order by h.at desc, h.rowid desc limit 1)
"""
_ORDER_COLUMNS = f"""
    o.id, o.account_id, o.order_number, o.posting_number, o.scheme, o.warehouse_id, o.created_at,
    o.ship_by, o.vendor, w.external_id as wh_external_id,
    {_LAST_STATUS.format(col="vendor_status")} as last_vendor_status,
    {_LAST_STATUS.format(col="status")} as last_status
"""


@dataclass
class Shipment:
    """One visible order of the account with its lines, as stored."""

    order: sqlite3.Row
    lines: list[sqlite3.Row]
    vendor: dict[str, Any]


def find_account(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    """The Megamarket cabinet whose API token this is."""
    return conn.execute(
        "select * from accounts where marketplace = ? and token = ?", (VENDOR, token)
    ).fetchone()


def iter_orders_created(
    conn: sqlite3.Connection, account_id: str, date_from: str, date_to: str, now: datetime
) -> Iterator[sqlite3.Row]:
    """Visible orders created in [date_from, date_to], oldest first, with their last status."""
    sql = f"""
        select {_ORDER_COLUMNS}
          from orders o left join warehouses w on w.id = o.warehouse_id
         where o.account_id = :account and o.created_at >= :date_from and o.created_at <= :date_to
           and o.created_at <= :now
         order by o.created_at, o.id
    """
    params = {"account": account_id, "date_from": date_from, "date_to": date_to, "now": format_ts(now)}
    yield from conn.execute(sql, params)


def load_shipments(
    conn: sqlite3.Connection, account_id: str, shipment_ids: list[str], now: datetime
) -> dict[str, Shipment]:
    """Visible shipments of the account by shipmentId (unknown or future ids are absent)."""
    if not shipment_ids:
        return {}
    names = {f"s{index}": shipment_id for index, shipment_id in enumerate(shipment_ids)}
    sql = f"""
        select {_ORDER_COLUMNS}
          from orders o left join warehouses w on w.id = o.warehouse_id
         where o.account_id = :account and o.created_at <= :now
           and o.posting_number in ({",".join(":" + name for name in names)})
    """
    orders = conn.execute(sql, {"account": account_id, "now": format_ts(now), **names}).fetchall()
    if not orders:
        return {}
    by_id = {row["id"]: row for row in orders}
    lines: dict[int, list[sqlite3.Row]] = {row_id: [] for row_id in by_id}
    id_marks = ",".join("?" * len(by_id))
    line_sql = f"""
        select l.order_id, l.line_no, l.offer_id, l.quantity, l.price_kop, f.mp_sku,
               coalesce(f.name, l.offer_id) as name, p.vat_rate
          from order_lines l
          join orders o on o.id = l.order_id
          left join offers f on f.account_id = o.account_id and f.offer_id = l.offer_id
          left join products p on p.ref_key = f.product_ref
         where l.order_id in ({id_marks})
         order by l.order_id, l.line_no
    """
    for line in conn.execute(line_sql, tuple(by_id)):
        lines[line["order_id"]].append(line)
    return {
        row["posting_number"]: Shipment(row, lines[row["id"]], load_vendor(row["vendor"])) for row in orders
    }


def append_status(
    conn: sqlite3.Connection, order_id: int, now: datetime, vendor_status: str, canonical: str
) -> None:
    """Record a seller-pushed transition (same canonical status in the same second: keep the newest code)."""
    conn.execute(
        """insert into order_status_history(order_id, at, status, vendor_status, actor)
           values (?, ?, ?, ?, 'seller')
           on conflict(order_id, at, status) do update
              set vendor_status = excluded.vendor_status, actor = excluded.actor""",
        (order_id, format_ts(now), canonical, vendor_status),
    )


def save_vendor(conn: sqlite3.Connection, order_id: int, vendor: dict[str, Any]) -> None:
    """Persist the order's vendor JSON (orderCode, per-lot state the seller pushed)."""
    conn.execute(
        "update orders set vendor = ? where id = ?", (json.dumps(vendor, ensure_ascii=False), order_id)
    )


def log_push(
    conn: sqlite3.Connection, account_id: str, path: str, now: datetime, body: dict[str, Any]
) -> None:
    """Append the write to push_log (the token is not kept)."""
    data = {key: value for key, value in body.items() if key != "token"}
    conn.execute(
        "insert into push_log(vendor, account_id, method, path, at, body) values (?, ?, 'POST', ?, ?, ?)",
        (VENDOR, account_id, path, format_ts(now), json.dumps(data, ensure_ascii=False)),
    )


def known_offers(conn: sqlite3.Connection, account_id: str, offer_ids: list[str]) -> set[str]:
    """Which of these offerIds the cabinet has."""
    if not offer_ids:
        return set()
    marks = ",".join("?" * len(offer_ids))
    rows = conn.execute(
        f"select offer_id from offers where account_id = ? and offer_id in ({marks})",
        (account_id, *offer_ids),
    )
    return {row["offer_id"] for row in rows}


def seller_warehouse(conn: sqlite3.Connection, account_id: str) -> str | None:
    """The cabinet's own (FBS/DBS) warehouse that stock/update writes to."""
    row = conn.execute(
        """select id from warehouses where owner = ? and kind in ('fbs', 'dbs')
           order by case kind when 'fbs' then 0 else 1 end, id limit 1""",
        (account_id,),
    ).fetchone()
    return row["id"] if row else None


def set_stock(
    conn: sqlite3.Connection, warehouse_id: str, offer_id: str, quantity: int, now: datetime
) -> None:
    """Publish the seller's stock for one offer (reserved is the marketplace's, left as is)."""
    conn.execute(
        """insert into stocks(warehouse_id, offer_id, present, reserved, updated_at) values (?, ?, ?, 0, ?)
           on conflict(warehouse_id, offer_id) do update
              set present = excluded.present, updated_at = excluded.updated_at""",
        (warehouse_id, offer_id, quantity, format_ts(now)),
    )


def set_price(
    conn: sqlite3.Connection, account_id: str, offer_id: str, price_kop: int, now: datetime
) -> None:
    """Store a manual price for one offer."""
    conn.execute(
        "update offers set price_kop = ?, updated_at = ? where account_id = ? and offer_id = ?",
        (price_kop, format_ts(now), account_id, offer_id),
    )
