"""SQL for order lists: current status at the simulated clock, filters, one page at a time.

An order is visible once ``created_at`` <= clock; its status is the last ``order_status_history``
row at or before the clock (ties broken by insertion order). Filters run in SQLite on the indexed
``orders(account_id, created_at)`` and the history primary key, and only one page is read
(``limit + 1`` rows to know whether there is a next page).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sellerflow_emulators.yandex_market.render import status_sql

_STATUS, _SUBSTATUS = status_sql()

_BASE = f"""
with cur as (
    select o.id, o.account_id, o.order_number, o.posting_number, o.scheme, o.warehouse_id,
           o.created_at, o.ship_by, o.vendor,
           h.status as cs, h.vendor_status as vs, h.actor as actor, h.at as status_at,
           a.campaign_id, w.external_id as warehouse_external_id
    from orders o
    join order_status_history h on h.rowid = (
        select h2.rowid from order_status_history h2
        where h2.order_id = o.id and h2.at <= :now
        order by h2.at desc, h2.rowid desc limit 1)
    join accounts a on a.id = o.account_id
    left join warehouses w on w.id = o.warehouse_id
    where o.created_at <= :now and {{order_where}}
), ym as (
    select cur.*, {_STATUS} as ym_status, {_SUBSTATUS} as ym_substatus from cur
)
"""


@dataclass
class OrderFilter:
    """Conditions on the order (``order_where``, alias ``o``) and on its status (``ym``)."""

    order_where: list[str] = field(default_factory=list)
    status_where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add_in(self, target: list[str], column: str, values: list[Any], name: str) -> None:
        """``column in (...)`` with one named parameter per value."""
        keys = []
        for i, value in enumerate(values):
            key = f"{name}{i}"
            self.params[key] = value
            keys.append(f":{key}")
        target.append(f"{column} in ({', '.join(keys) or 'null'})")

    def add(self, target: list[str], clause: str, **params: Any) -> None:
        """A clause with its named parameters."""
        target.append(clause)
        self.params.update(params)


def _sql(flt: OrderFilter) -> tuple[str, str]:
    order_where = " and ".join(flt.order_where) or "1"
    status_where = " and ".join(flt.status_where) or "1"
    return _BASE.format(order_where=order_where), status_where


def fetch_orders(
    conn: sqlite3.Connection, now: str, flt: OrderFilter, limit: int, offset: int
) -> tuple[list[sqlite3.Row], bool]:
    """One page of orders (oldest first) and whether more follow."""
    base, status_where = _sql(flt)
    sql = f"{base} select * from ym where {status_where} order by created_at, id limit :lim offset :off"
    rows = conn.execute(sql, {**flt.params, "now": now, "lim": limit + 1, "off": offset}).fetchall()
    return rows[:limit], len(rows) > limit


def count_orders(conn: sqlite3.Connection, now: str, flt: OrderFilter) -> int:
    """How many orders match (for the legacy ``pager``)."""
    base, status_where = _sql(flt)
    row = conn.execute(f"{base} select count(*) from ym where {status_where}", {**flt.params, "now": now})
    return int(row.fetchone()[0])


def fetch_lines(conn: sqlite3.Connection, order_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
    """Order lines with offer name and VAT rate, grouped by canonical order id."""
    if not order_ids:
        return {}
    marks = ", ".join("?" for _ in order_ids)
    rows = conn.execute(
        f"""
        select l.order_id, l.line_no, l.offer_id, l.quantity, l.price_kop,
               f.name as offer_name, f.mp_sku, p.vat_rate
        from order_lines l
        join orders o on o.id = l.order_id
        left join offers f on f.account_id = o.account_id and f.offer_id = l.offer_id
        left join products p on p.ref_key = f.product_ref
        where l.order_id in ({marks})
        order by l.order_id, l.line_no
        """,
        order_ids,
    ).fetchall()
    grouped: dict[int, list[sqlite3.Row]] = {oid: [] for oid in order_ids}
    for row in rows:
        grouped[int(row["order_id"])].append(row)
    return grouped
