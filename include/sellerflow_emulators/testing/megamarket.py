"""Helpers for the Megamarket extraction tests and benchmark: a second cabinet, the expected counts.

The scenario generator makes one Megamarket cabinet; ``add_second_cabinet`` copies it, with new ids,
into a cabinet of the *other* legal entity, so a run covers two cabinets of two legal entities. The
expectations are read from the emulator's world (the canonical SQLite store) the way the Megamarket app
renders it, never from what the extraction wrote, so a test comparing the two can fail.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sellerflow.extract.account import extract_account
from sellerflow.sources.account import MarketplaceAccount
from sellerflow_emulators.megamarket import create_app
from sellerflow_emulators.megamarket.render import vendor_status
from sellerflow_emulators.megamarket.reports import export_reports
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import extract as extract_testing
from sellerflow_emulators.testing import serve_world_copy
from sellerflow_emulators.testing.extract import Expected, Fields, accounts, generate_world, key_counts

SOURCE = "megamarket"
MAIN = "megamarket_main"
SECOND = "megamarket_second"
SECOND_TOKEN = "5B0C7E21-9D4A-4C3B-8E6F-2A1D0C9B8E7F"
ID_SHIFT = 1_000_000_000  # 9324000000013 → 9325000000013
FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 1.5, "connect_timeout_s": 1.0}


@dataclass
class Served:
    """The emulator under test: its world file, state (clock, faults, limits) and base URL."""

    world: Path
    state: EmulatorState
    url: str


def make_world(out: Path, args: tuple[str, ...] | None = None) -> Path:
    """A generated scenario with a second Megamarket cabinet; returns the directory."""
    generate_world(out, *(() if args is None else (args,)))
    add_second_cabinet(out)
    return out


@contextmanager
def serve_world(pristine: Path, into: Path) -> Iterator[Served]:
    """A private copy of the world in ``pristine`` served by the Megamarket emulator over real HTTP."""
    with serve_world_copy(pristine, into, create_app) as (state, url):
        yield Served(into / "world.sqlite", state, url)


def _copy_rows(
    conn: sqlite3.Connection, table: str, where: str, params: tuple, change: dict[str, Any]
) -> None:
    rows = conn.execute(f"select * from {table} where {where}", params).fetchall()
    for row in rows:
        values = dict(row)
        for column, new in change.items():
            values[column] = new(values) if callable(new) else new
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        conn.execute(f"insert into {table} ({columns}) values ({marks})", tuple(values.values()))


def _shift(value: str | None) -> str | None:
    return None if value is None else str(int(value) + ID_SHIFT) if value.isdigit() else f"{value}-2"


def add_second_cabinet(world_dir: Path) -> None:
    """Copy the Megamarket cabinet into ``megamarket_second`` of the other legal entity (world + accounts.json)."""
    conn = sqlite3.connect(world_dir / "world.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        main = conn.execute("select * from accounts where id = ?", (MAIN,)).fetchone()
        other = conn.execute(
            "select id from legal_entities where id <> ? order by id limit 1", (main["legal_entity_id"],)
        ).fetchone()["id"]
        with conn:
            _copy_rows(
                conn,
                "accounts",
                "id = ?",
                (MAIN,),
                {"id": SECOND, "legal_entity_id": other, "token": SECOND_TOKEN, "client_id": "91323"},
            )
            _copy_rows(
                conn,
                "warehouses",
                "owner = ?",
                (MAIN,),
                {"id": lambda r: r["id"].replace(MAIN, SECOND), "owner": SECOND},
            )
            _copy_rows(conn, "offers", "account_id = ?", (MAIN,), {"account_id": SECOND})
            _copy_rows(
                conn,
                "stocks",
                "warehouse_id in (select id from warehouses where owner = ?)",
                (MAIN,),
                {"warehouse_id": lambda r: r["warehouse_id"].replace(MAIN, SECOND)},
            )
            offset = conn.execute("select max(id) from orders").fetchone()[0]
            _copy_rows(
                conn,
                "orders",
                "account_id = ?",
                (MAIN,),
                {
                    "id": lambda r: r["id"] + offset,
                    "account_id": SECOND,
                    "order_number": lambda r: _shift(r["order_number"]),
                    "posting_number": lambda r: _shift(r["posting_number"]),
                    "warehouse_id": lambda r: r["warehouse_id"] and r["warehouse_id"].replace(MAIN, SECOND),
                    "vendor": "{}",
                },
            )
            mine = "order_id in (select id from orders where account_id = ?)"
            _copy_rows(conn, "order_lines", mine, (MAIN,), {"order_id": lambda r: r["order_id"] + offset})
            _copy_rows(
                conn, "order_status_history", mine, (MAIN,), {"order_id": lambda r: r["order_id"] + offset}
            )
            _copy_rows(
                conn,
                "reports",
                "account_id = ?",
                (MAIN,),
                {"id": lambda r: _shift(r["id"]), "account_id": SECOND},
            )
            _copy_rows(
                conn,
                "report_lines",
                "report_id in (select id from reports where account_id = ?)",
                (MAIN,),
                {
                    "report_id": lambda r: _shift(r["report_id"]),
                    "order_number": lambda r: _shift(r["order_number"]),
                    "posting_number": lambda r: _shift(r["posting_number"]),
                },
            )
    finally:
        conn.close()
    listing = json.loads((world_dir / "accounts.json").read_text())
    first = next(c for c in listing["connections"] if c["conn_id"] == "mp_megamarket_main")
    extra = {**first["extra"], "account_id": SECOND, "merchant_id": "91323"}
    legal = _legal_entity(world_dir, other)
    extra.update(legal_entity_id=other, legal_entity_inn=legal)
    listing["connections"].append(
        {**first, "conn_id": "mp_megamarket_second", "password": SECOND_TOKEN, "extra": extra}
    )
    (world_dir / "accounts.json").write_text(json.dumps(listing, ensure_ascii=False, indent=1))


def _legal_entity(world_dir: Path, legal_entity_id: str) -> str:
    conn = sqlite3.connect(world_dir / "world.sqlite")
    try:
        return conn.execute("select inn from legal_entities where id = ?", (legal_entity_id,)).fetchone()[0]
    finally:
        conn.close()


def world(world_path: Path) -> Expected:
    """What the Megamarket emulator serves at the world's clock (as its app renders it): keys and payload fields
    per raw entity and account."""
    conn = sqlite3.connect(world_path)
    conn.row_factory = sqlite3.Row
    try:
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        out: Expected = {}

        def add(entity: str, account: str, key: object, fields: Fields) -> None:
            out.setdefault(entity, {}).setdefault(account, {})[str(key)] = fields

        for (account, shipment), status in statuses(world_path).items():
            add("shipments", account, shipment, {"shipmentId": shipment, "status": status})
            add("shipment_statuses", account, shipment, {"shipmentId": shipment, "status": status})
        for r in conn.execute(
            "select distinct o.account_id, l.offer_id, f.mp_sku from orders o join order_lines l on l.order_id = o.id "
            "join accounts a on a.id = o.account_id left join offers f on f.account_id = o.account_id "
            "and f.offer_id = l.offer_id where a.marketplace = 'megamarket' and o.created_at <= ? "
            "and l.offer_id <> 'delivery'",
            (clock,),
        ):
            add(
                "offers",
                r["account_id"],
                r["offer_id"],
                {"offerId": r["offer_id"], "goodsId": str(r["mp_sku"])},
            )
            add("prices", r["account_id"], r["offer_id"], {"offerId": r["offer_id"]})
        for r in conn.execute(
            "select r.* from reports r join accounts a on a.id = r.account_id "
            "where a.marketplace = 'megamarket' and r.published_at <= ?",
            (clock,),
        ).fetchall():
            add(
                "reports",
                r["account_id"],
                r["id"],
                {"periodStart": r["period_start"], "periodEnd": r["period_end"]},
            )
            for ln in conn.execute("select * from report_lines where report_id = ?", (r["id"],)):
                fields = {
                    "№ п/п": ln["line_no"],
                    "Номер заказа": ln["order_number"],
                    "Артикул продавца": ln["offer_id"],
                }
                add("report_rows", r["account_id"], f"{r['id']}:{ln['line_no']}", fields)
        return out
    finally:
        conn.close()


def expected(world_path: Path) -> dict[str, Counter[str]]:
    """Distinct records per raw entity and account visible at the world's clock (counted from ``world``)."""
    return key_counts(world(world_path))


def statuses(world: Path) -> dict[tuple[str, str], str]:
    """(account, shipmentId) → the shipment's Megamarket status at the world's clock."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            "select o.account_id, o.posting_number, "
            "(select h.vendor_status from order_status_history h where h.order_id = o.id and h.at <= m.value "
            "order by h.at desc, h.rowid desc limit 1), "
            "(select h.status from order_status_history h where h.order_id = o.id and h.at <= m.value "
            "order by h.at desc, h.rowid desc limit 1) "
            "from orders o join accounts a on a.id = o.account_id join meta m on m.key = 'clock' "
            "where a.marketplace = 'megamarket' and o.created_at <= m.value"
        ).fetchall()
    finally:
        conn.close()
    return {(a, p): vendor_status(v, s) for a, p, v, s in rows}


def drop_root(served: Any) -> Path:
    """The served world's report drop folders (one per cabinet below it)."""
    return Path(served.world).parent / "drop"


def drop_reports(served: Any) -> list[Path]:
    """What the seller does in the cabinet: download every published report into the cabinet's drop folder."""
    return export_reports(served.state.conn(), served.state.now(), drop_root(served))


def cabinets(served: Any, **extra: object) -> list[MarketplaceAccount]:
    """The Megamarket accounts of a served world (``served``: world, state, url); the published reports are dropped
    into their folders first, as the seller downloads them."""
    folder = str(drop_root(served) / "{account_id}")
    drop_reports(served)
    return accounts(
        served.world.parent,
        "megamarket",
        served.url,
        **{"horizon_days": 40, "report_folder": folder, **extra},
    )


def run_all(served: Any, dsn: str, run_id: str, only: str | None = None, **kwargs: Any) -> list[dict]:
    """Extract every (or one) cabinet, all streams, up to the world's clock (the published reports dropped first)."""
    now = served.state.now()
    extra = kwargs.pop("extra", {})
    return [
        extract_account(a, dsn, run_id, now, force=True, client_options=FAST, **kwargs)
        for a in cabinets(served, **extra)
        if only in (None, a.account_id)
    ]


def landed(dsn: str) -> dict[str, dict[str, tuple[int, int]]]:
    """entity → account → (distinct keys, versions) in ``raw.megamarket_*``."""
    return extract_testing.landed(dsn, SOURCE)


def total_rows(dsn: str) -> int:
    """Rows in every Megamarket raw table."""
    return extract_testing.total_rows(dsn, SOURCE)
