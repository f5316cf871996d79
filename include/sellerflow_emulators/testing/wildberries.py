"""What the Wildberries emulator's world holds, for tests and the benchmark to compare the extraction with.

Expectations are read from the canonical SQLite world (through the emulator's own WB reading of it, e.g.
``fold_status`` for WB's two status fields), never from what the extraction wrote, so a comparison can fail.
``scaled_limits`` gives matching emulator and client limits at a faster pace, so tests keep WB's bucket
shapes (1/min with burst 1 on sales and finance) without waiting minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sellerflow.extract.account import extract_account
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import faster_overrides
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.limits import DEFAULT_LIMITS, LimitConfig
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import extract as extract_testing
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import FAST, Expected, Fields, accounts, key_counts
from sellerflow_emulators.wildberries import create_app
from sellerflow_emulators.wildberries.world import fold_status, histories, wb_order_id

RETENTION_DAYS = 90
SOURCE = "wildberries"


def _connect(world: Path) -> tuple[sqlite3.Connection, str]:
    conn = sqlite3.connect(world)
    conn.row_factory = sqlite3.Row
    (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
    return conn, clock


def _orders(conn: sqlite3.Connection, clock: str, schemes: tuple[str, ...]) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(schemes))
    return conn.execute(
        f"""select o.* from orders o join accounts a on a.id = o.account_id
            where a.marketplace = 'wildberries' and o.created_at <= ?
              and o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-{RETENTION_DAYS} days')
              and o.scheme in ({marks})""",
        (clock, clock, *schemes),
    ).fetchall()


def fbs_statuses(world: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """(account, assembly task id) → (supplierStatus, wbStatus) at the world's clock."""
    conn, clock = _connect(world)
    try:
        rows = _orders(conn, clock, ("fbs",))
        folded = histories(conn, [r["id"] for r in rows], clock)
        return {
            (r["account_id"], wb_order_id(r)): (
                fold_status(folded[r["id"]]).supplier,
                fold_status(folded[r["id"]]).wb,
            )
            for r in rows
        }
    finally:
        conn.close()


def order_changes(world: Path) -> dict[tuple[str, str], str]:
    """(account, srid) → the order's last change time (what the statistics feed's ``lastChangeDate`` follows)."""
    conn, clock = _connect(world)
    try:
        rows = conn.execute(
            f"""select o.account_id, o.order_number, coalesce((select max(h.at) from order_status_history h
                       where h.order_id = o.id and h.at <= ?), o.created_at)
                from orders o join accounts a on a.id = o.account_id
                where a.marketplace = 'wildberries' and o.created_at <= ?
                  and o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-{RETENTION_DAYS} days')""",
            (clock, clock, clock),
        ).fetchall()
        return {(a, n): at for a, n, at in rows}
    finally:
        conn.close()


Add = Callable[[str, str, object, Fields], None]


def world(world_path: Path) -> Expected:
    """What the WB emulator serves at the world's clock: keys and payload fields per raw entity and account
    (read through the emulator's own WB reading of the world: ids, ``srid``, ``fold_status``)."""
    conn, clock = _connect(world_path)
    try:
        out: Expected = {}

        def add(entity: str, account: str, key: object, fields: Fields) -> None:
            out.setdefault(entity, {}).setdefault(account, {})[str(key)] = fields

        for a in conn.execute("select * from accounts where marketplace = 'wildberries'").fetchall():
            settings = json.loads(a["vendor"] or "{}")
            sid = settings.get("seller_sid") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"wb-seller:{a['id']}"))
            add("seller_info", a["id"], sid, {"sid": sid})
        _world_orders(conn, clock, add)
        _world_catalog(conn, add)
        _world_reports(conn, clock, add)
        return out
    finally:
        conn.close()


def _world_orders(conn: sqlite3.Connection, clock: str, add: Add) -> None:
    from sellerflow_emulators.wildberries.common import stable_int
    from sellerflow_emulators.wildberries.world import wb_srid

    fbs = _orders(conn, clock, ("fbs",))
    folded = histories(conn, [r["id"] for r in fbs], clock)
    for r in fbs:
        status = fold_status(folded[r["id"]])
        task = wb_order_id(r)
        add("orders_fbs", r["account_id"], task, {"id": task})
        add(
            "order_statuses",
            r["account_id"],
            task,
            {"supplierStatus": status.supplier, "wbStatus": status.wb},
        )
        if status.supplier == "new":
            add("orders_fbs_new", r["account_id"], task, {"id": task})
    for r in _orders(conn, clock, ("fbs", "fbo", "dbs")):
        add("orders", r["account_id"], wb_srid(r), {"srid": wb_srid(r)})
    for e in conn.execute(
        f"""select o.*, h.status as event from order_status_history h join orders o on o.id = h.order_id
            join accounts a on a.id = o.account_id
            where a.marketplace = 'wildberries' and h.status in ('delivered', 'returned') and h.at <= ?
              and o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-{RETENTION_DAYS} days')""",
        (clock, clock),
    ):
        prefix = "R" if e["event"] == "returned" else "S"
        add(
            "sales",
            e["account_id"],
            f"{prefix}{stable_int(e['id'], e['event'], digits=10)}",
            {"srid": wb_srid(e)},
        )


def _world_catalog(conn: sqlite3.Connection, add: Add) -> None:
    offers = conn.execute(
        "select f.* from offers f join accounts a on a.id = f.account_id where a.marketplace = 'wildberries'"
    ).fetchall()
    for f in offers:
        add("products", f["account_id"], f["mp_sku"], {"nmID": f["mp_sku"], "vendorCode": f["offer_id"]})
        before_discount = f["old_price_kop"] or f["price_kop"]  # WB's price is the one before the discount
        price = {"vendorCode": f["offer_id"], "sizes.*.price": [before_discount // 100]}
        add("prices", f["account_id"], f["mp_sku"], price)
    houses = conn.execute(
        "select w.* from warehouses w join accounts a on a.id = w.owner where a.marketplace = 'wildberries' "
        "and w.kind in ('fbs', 'dbs')"
    ).fetchall()
    present = {(r[0], r[1]): r[2] for r in conn.execute("select warehouse_id, offer_id, present from stocks")}
    for w in houses:
        add("warehouses", w["owner"], w["external_id"], {"name": w["name"]})
        for f in offers:
            if f["account_id"] == w["owner"]:
                amount = int(present.get((w["id"], f["offer_id"]), 0))
                add("stocks", w["owner"], f"{w['external_id']}:{f['mp_product_id']}", {"amount": amount})


def _world_reports(conn: sqlite3.Connection, clock: str, add: Add) -> None:
    from sellerflow_emulators.wildberries.reports import report_id

    reports = conn.execute(
        "select r.* from reports r join accounts a on a.id = r.account_id "
        "where a.marketplace = 'wildberries' and r.published_at <= ?",
        (clock,),
    ).fetchall()
    for r in reports:
        period = {"dateFrom": r["period_start"], "dateTo": r["period_end"]}
        add("realization_reports", r["account_id"], report_id(r), period)
        for ln in conn.execute("select line_no, offer_id from report_lines where report_id = ?", (r["id"],)):
            add("realization_rows", r["account_id"], ln[0], {"vendorCode": ln[1], "reportId": report_id(r)})


def expected(world_path: Path) -> dict[str, Counter[str]]:
    """Distinct records per raw entity and account visible at the world's clock (counted from ``world``)."""
    return key_counts(world(world_path))


def landed(dsn: str) -> dict[str, dict[str, tuple[int, int]]]:
    """entity → account → (distinct keys, versions) in ``raw.wildberries_*``."""
    return extract_testing.landed(dsn, SOURCE)


def scaled_limits(factor: float) -> tuple[dict[str, LimitConfig], dict[str, dict[str, Any]]]:
    """WB's limits ``factor`` times faster: (emulator overrides per group, client ``rate_limits`` extra)."""
    emulator = {
        group: replace(config, window_s=config.window_s / factor)
        for group, config in DEFAULT_LIMITS["wildberries"].items()
    }
    return emulator, faster_overrides("wildberries", factor)


def apply_limits(state: EmulatorState, limits: dict[str, LimitConfig]) -> None:
    """Override the emulator's WB limits."""
    for group, config in limits.items():
        state.limits.override("wildberries", group, config)


# -- the served emulator of the WB tests and the benchmark ------------------------------------------------

SPEED = 600.0  # tests run WB's limits 600 times faster: 1 request/minute becomes 10 per second


@dataclass
class Served:
    """The emulator under test: its world file, state (clock, faults, limits) and base URL."""

    world: Path
    state: EmulatorState
    url: str


@contextmanager
def serve_copy(pristine: Path, into: Path, speed: float = SPEED) -> Iterator[Served]:
    """A private copy of a generated world served by the WB emulator, its limits ``speed`` times faster."""
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(pristine / name, into / name)
    state = EmulatorState(into / "world.sqlite")
    apply_limits(state, scaled_limits(speed)[0])
    with serve_in_thread(create_app(state)) as url:
        yield Served(into / "world.sqlite", state, url)


def cabinets(served: Served, speed: float = SPEED, **extra: object) -> list[MarketplaceAccount]:
    """The WB accounts of the world pointed at the emulator, with client limits matching its pace."""
    extra = {"horizon_days": 40, "rate_limits": scaled_limits(speed)[1], **extra}
    return sorted(
        accounts(served.world.parent, "wildberries", served.url, **extra), key=lambda a: a.account_id
    )


def run_all(
    served: Served, dsn: str, run_id: str, only: str | None = None, at: datetime | None = None, **kwargs: Any
) -> list[dict]:
    """Extract every stream of every WB cabinet (or only one) at the emulator's clock (or ``at``)."""
    now = at or served.state.now()
    return [
        extract_account(a, dsn, run_id, now, force=True, client_options=FAST, **kwargs)
        for a in cabinets(served)
        if only in (None, a.account_id)
    ]


def total_rows(dsn: str) -> int:
    """Every version in ``raw.wildberries_*``."""
    return extract_testing.total_rows(dsn, SOURCE)


@contextmanager
def throwaway_warehouse() -> Iterator[str]:
    """A migrated database owned by the app role on the test cluster (as tests/conftest.py makes them)."""
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_test_wb_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    params = conninfo_to_dict(admin)
    dsn = make_conninfo(
        host=params.get("host") or "127.0.0.1",
        port=params.get("port") or 5432,
        user="sellerflow",
        password="sellerflow",
        dbname=name,
    )
    try:
        migrate(dsn)
        yield dsn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def reset_warehouse(dsn: str) -> str:
    """Empty a migrated warehouse again: raw and quarantine tables dropped, ops state truncated.

    Much cheaper than a new database per test (``drop database`` waits for a checkpoint).
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'quarantine', 'ops') and table_type = 'BASE TABLE' "
            "and table_name <> 'schema_migrations'"
        ).fetchall()
        ops = [sql.Identifier("ops", table) for schema, table in tables if schema == "ops"]
        if ops:  # in one statement: ops tables may reference each other (the outbox and its attempts)
            conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(ops)))
        for schema, table in tables:
            if schema != "ops":
                conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, table)))
    return dsn
