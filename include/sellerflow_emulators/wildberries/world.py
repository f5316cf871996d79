"""Reading the canonical world (store.py) as Wildberries sees it, plus WB-only tables.

Id derivation where the canonical row has no column (a generator-supplied ``vendor`` JSON
value always wins):
- assembly task ``id``: ``orders.vendor.id``, else ``posting_number`` when numeric, else ``orders.id``;
- ``rid``/``srid``: ``vendor.rid``/``vendor.srid``, else a 32-hex hash of (account, posting_number);
- ``orderUid``: ``vendor.orderUid``, else derived from ``order_number`` (one basket per order number);
- ``nmId`` = ``offers.mp_sku``, ``chrtId`` = ``offers.mp_product_id``, ``skus`` = ``[offers.barcode]``;
- warehouse ``id`` = ``warehouses.external_id``; ``officeId`` is derived from it.
An assembly task is one posting; its item is the posting's first order line.

WB-only state the canonical schema has no place for lives in ``wildberries_*`` tables created
here (``create table if not exists``): FBS supplies and their orders, price upload tasks.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sellerflow_emulators.wildberries.common import stable_hex, stable_int

WB_DDL = """
create table if not exists wildberries_supplies (
    seq        integer primary key autoincrement,
    id         text not null unique,        -- 'WB-GI-1000001'
    account_id text not null references accounts(id),
    name       text not null,
    created_at text not null,
    closed_at  text,
    done       integer not null default 0
);
create table if not exists wildberries_supply_orders (
    supply_id  text not null references wildberries_supplies(id),
    order_id   integer not null references orders(id),
    added_at   text not null,
    primary key (order_id)
);
create table if not exists wildberries_price_uploads (
    id          integer primary key autoincrement,
    account_id  text not null references accounts(id),
    body_hash   text not null,
    uploaded_at text not null,
    status      integer not null,          -- 3 ok, 5 partial errors, 6 all errors
    overall     integer not null,
    success     integer not null
);
create index if not exists wildberries_price_uploads_hash on wildberries_price_uploads(account_id, body_hash);
create index if not exists orders_account_id on orders(account_id, id);
"""

# Canonical status -> position in the FBS life cycle (ties at the same timestamp sort by it).
LIFECYCLE = {
    "awaiting_packaging": 0,
    "awaiting_deliver": 1,
    "delivering": 2,
    "delivered": 3,
    "cancelled": 4,
    "returned": 5,
}
WB_STATUSES = {
    "waiting",
    "sorted",
    "sold",
    "canceled",
    "canceled_by_client",
    "declined_by_client",
    "defect",
    "ready_for_pickup",
    "postponed_delivery",
    "accepted_by_carrier",
    "sent_to_carrier",
    "canceled_by_carrier",
}


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the WB-only tables (idempotent)."""
    conn.executescript(WB_DDL)
    conn.commit()


def vendor_json(row: sqlite3.Row) -> dict[str, Any]:
    """A row's ``vendor`` JSON as a dict (shared and cached: callers must not mutate it)."""
    return _parse_vendor(row["vendor"] or "{}")


@functools.lru_cache(maxsize=65_536)
def _parse_vendor(text: str) -> dict[str, Any]:
    return json.loads(text)


def wb_order_id(row: sqlite3.Row) -> int:
    """The assembly task id of a canonical order row."""
    vendor = vendor_json(row)
    if "id" in vendor:
        return int(vendor["id"])
    posting = str(row["posting_number"])
    return int(posting) if posting.isdigit() else int(row["id"])


def wb_rid(row: sqlite3.Row) -> str:
    """The order's ``rid`` (= ``srid`` in statistics and finance)."""
    vendor = vendor_json(row)
    return str(
        vendor.get("rid") or vendor.get("srid") or stable_hex(row["account_id"], row["posting_number"])
    )


def wb_srid(row: sqlite3.Row) -> str:
    """The order's ``srid`` (WB says it equals the marketplace ``rid``)."""
    vendor = vendor_json(row)
    return str(vendor.get("srid") or wb_rid(row))


def wb_order_uid(row: sqlite3.Row) -> str:
    """The basket id grouping assembly tasks of one order number."""
    vendor = vendor_json(row)
    if vendor.get("orderUid"):
        return str(vendor["orderUid"])
    return f"{stable_int(row['account_id'], row['order_number'])}_{stable_hex(row['order_number'])}"


def office_id(external_id: str) -> int:
    """The WB office a seller warehouse is attached to (derived)."""
    return stable_int("office", external_id, digits=6)


@dataclass(frozen=True)
class Status:
    """An assembly task's state at the clock, in WB's two status fields."""

    canonical: str
    supplier: str
    wb: str
    changed_at: str
    cancelled_at: str | None

    @property
    def cancellable(self) -> bool:
        """WB allows a seller cancel before hand-over only."""
        return self.supplier in {"new", "confirm"} and self.canonical not in {"cancelled", "returned"}


def fold_status(history: Sequence[sqlite3.Row]) -> Status:
    """supplierStatus/wbStatus of an order from its canonical history (sorted, at <= clock).

    ``vendor_status`` written as ``"<supplierStatus>/<wbStatus>"`` (the generator's and this app's
    form) is taken as is; otherwise both are derived from the canonical status and actor.
    """
    supplier, wb, canonical, changed, cancelled = "new", "waiting", "awaiting_packaging", "", None
    for h in history:
        status, actor, code = h["status"], h["actor"], h["vendor_status"]
        canonical, changed = status, h["at"]
        if status == "awaiting_deliver":
            supplier, wb = "confirm", "waiting"
        elif status == "delivering":
            supplier, wb = "complete", "sorted"
        elif status == "delivered":
            supplier, wb = "complete", "sold"
        elif status == "returned":
            supplier, wb = "complete", "canceled_by_client"
        elif status == "cancelled":
            cancelled = h["at"]
            if actor == "seller":
                supplier, wb = "cancel", "canceled"
            elif actor == "buyer":
                wb = "declined_by_client" if supplier == "new" else "canceled_by_client"
            else:
                wb = "canceled"
        if "/" in code:  # the generator writes WB's own pair "supplierStatus/wbStatus"
            supplier, wb = code.split("/", 1)
        elif code in WB_STATUSES:
            wb = code
    return Status(canonical, supplier, wb, changed, cancelled)


def histories(conn: sqlite3.Connection, order_ids: Iterable[int], clock: str) -> dict[int, list[sqlite3.Row]]:
    """Status history up to the clock for many orders, in life-cycle order."""
    ids = list(order_ids)
    out: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
    for chunk in chunks(ids, 900):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"select * from order_status_history where order_id in ({marks}) and at <= ?",
            (*chunk, clock),
        ).fetchall()
        for r in rows:
            out[r["order_id"]].append(r)
    for rows in out.values():
        rows.sort(key=lambda r: (r["at"], LIFECYCLE.get(r["status"], 9)))
    return out


def first_lines(conn: sqlite3.Connection, order_ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    """Each order's first line joined with its offer (nmId, chrtId, barcode, names)."""
    out: dict[int, sqlite3.Row] = {}
    for chunk in chunks(list(order_ids), 900):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"""select l.order_id, l.quantity, l.price_kop, l.offer_id, f.mp_sku, f.mp_product_id,
                       f.barcode, f.name, f.price_kop as offer_price_kop, f.old_price_kop
                from order_lines l
                join orders o on o.id = l.order_id
                left join offers f on f.account_id = o.account_id and f.offer_id = l.offer_id
                where l.order_id in ({marks}) and l.line_no = (
                    select min(line_no) from order_lines x where x.order_id = l.order_id)""",
            chunk,
        ).fetchall()
        out.update({r["order_id"]: r for r in rows})
    return out


def supply_of(conn: sqlite3.Connection, order_ids: Sequence[int]) -> dict[int, str]:
    """The supply each order is attached to."""
    out: dict[int, str] = {}
    for chunk in chunks(list(order_ids), 900):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"select order_id, supply_id from wildberries_supply_orders where order_id in ({marks})", chunk
        ).fetchall()
        out.update({r["order_id"]: r["supply_id"] for r in rows})
    return out


def warehouses_by_id(conn: sqlite3.Connection, ids: Iterable[str | None]) -> dict[str, sqlite3.Row]:
    """Warehouse rows by canonical id."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"select * from warehouses where id in ({marks})", wanted).fetchall()
    return {r["id"]: r for r in rows}


def find_orders(conn: sqlite3.Connection, account_id: str, wb_ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    """Canonical order rows of this cabinet by WB assembly task id."""
    wanted = {int(i) for i in wb_ids}
    out: dict[int, sqlite3.Row] = {}
    for chunk in chunks(sorted(wanted), 300):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"""select * from orders where account_id = ? and (
                    posting_number in ({marks})
                    or json_extract(vendor, '$.id') in ({marks})
                    or id in ({marks}))""",
            (account_id, *[str(i) for i in chunk], *chunk, *chunk),
        ).fetchall()
        for r in rows:
            wid = wb_order_id(r)
            if wid in wanted:
                out[wid] = r
    return out


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    """Consecutive slices of at most ``size`` items (SQLite variable limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
