"""Helpers for tests and benchmarks of the extraction: a scenario world, its Ozon accounts, the expected counts.

The expectations are read from the emulator's world (the canonical SQLite store), never from what the
extraction wrote, so a test comparing the two can fail.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

from sellerflow.extract.account import extract_account
from sellerflow.orchestration.marketplaces import account_from_fields
from sellerflow.sources.account import MarketplaceAccount

# Straddles a month end, so the August realization report is published (by 5 September) at the clock.
SMALL_SCENARIO = ("--seed", "7", "--days", "20", "--orders-per-day", "40", "--start", "2026-08-20")


def generate_world(out: Path, args: tuple[str, ...] = SMALL_SCENARIO) -> Path:
    """Run the real scenario generator CLI into ``out``; return the world file."""
    subprocess.run(
        [sys.executable, "-m", "sellerflow.emulators", "scenario", *args, "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "world.sqlite"


def connections(world_dir: Path, source: str) -> list[dict]:
    """The generator's Airflow connections of ``source`` (accounts.json)."""
    document = json.loads((world_dir / "accounts.json").read_text())
    return [c for c in document["connections"] if c["conn_id"].startswith(f"mp_{source}_")]


def accounts(world_dir: Path, source: str, base_url: str, **extra: object) -> list[MarketplaceAccount]:
    """Accounts of ``source`` pointed at an emulator on ``base_url`` (extras merged into each)."""
    return [
        account_from_fields(c["conn_id"], base_url, c["login"], c["password"], {**c["extra"], **extra})
        for c in connections(world_dir, source)
    ]


def ozon_expected(world: Path) -> dict[str, Counter[str]]:
    """Distinct records per Ozon raw entity and account visible at the world's clock."""
    conn = sqlite3.connect(world)
    try:
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        out: dict[str, Counter[str]] = {}

        def count(entity: str, sql: str, *params: object) -> None:
            out[entity] = Counter(dict(conn.execute(sql, params).fetchall()))

        visible = (
            "select o.account_id, count(*) from orders o join accounts a on a.id = o.account_id "
            "where a.marketplace = 'ozon' and o.created_at <= ? and o.scheme in ({}) and exists "
            "(select 1 from order_status_history h where h.order_id = o.id and h.at <= ?) group by 1"
        )
        count("postings_fbs", visible.format("'fbs', 'dbs'"), clock, clock)
        count("postings_fbo", visible.format("'fbo'"), clock, clock)
        out["posting_statuses"] = out["postings_fbs"] + out["postings_fbo"]
        offers = (
            "select f.account_id, count(*) from offers f join accounts a on a.id = f.account_id "
            "where a.marketplace = 'ozon' group by 1"
        )
        for entity in ("products", "stocks", "prices"):
            count(entity, offers)
        count(
            "warehouses",
            "select w.owner, count(*) from warehouses w join accounts a on a.id = w.owner "
            "where a.marketplace = 'ozon' and w.kind in ('fbs', 'dbs') group by 1",
        )
        count(
            "realization_rows",
            "select r.account_id, count(*) from report_lines l join reports r on r.id = l.report_id "
            "join accounts a on a.id = r.account_id where a.marketplace = 'ozon' and r.published_at <= ? "
            "and l.operation in ('sale', 'return') group by 1",
            clock,
        )
        count(
            "realization_reports",
            "select r.account_id, count(*) from reports r join accounts a on a.id = r.account_id "
            "where a.marketplace = 'ozon' and r.published_at <= ? group by 1",
            clock,
        )
        return out
    finally:
        conn.close()


def ozon_statuses(world: Path) -> dict[tuple[str, str], str]:
    """(account, posting_number) → the posting's status at the world's clock."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            "select o.account_id, o.posting_number, (select h.vendor_status from order_status_history h "
            "where h.order_id = o.id and h.at <= m.value order by h.at desc, h.rowid desc limit 1) "
            "from orders o join accounts a on a.id = o.account_id join meta m on m.key = 'clock' "
            "where a.marketplace = 'ozon' and o.created_at <= m.value"
        ).fetchall()
    finally:
        conn.close()
    return {(a, p): s for a, p, s in rows if s is not None}


# -- helpers of the Ozon extraction tests (``ozon`` is the tests' served emulator: world, state, url) --------

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 1.5, "connect_timeout_s": 1.0}
TABLES = (
    "postings_fbs",
    "postings_fbo",
    "posting_statuses",
    "products",
    "stocks",
    "prices",
    "warehouses",
    "realization_rows",
    "realization_reports",
)


def cabinets(ozon: Any) -> list[MarketplaceAccount]:
    return accounts(ozon.world.parent, "ozon", ozon.url, horizon_days=40)


def run_all(ozon: Any, dsn: str, run_id: str, only: str | None = None, **kwargs) -> list[dict]:
    now = ozon.state.now()
    return [
        extract_account(a, dsn, run_id, now, force=True, client_options=FAST, **kwargs)
        for a in cabinets(ozon)
        if only in (None, a.account_id)
    ]


def landed(dsn: str) -> dict[str, dict[str, tuple[int, int]]]:
    """entity → account → (distinct keys, versions)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    with psycopg.connect(dsn) as conn:
        for entity in TABLES:
            rows = conn.execute(
                f"select account_id, count(distinct natural_key), count(*) from raw.ozon_{entity} group by 1"
            ).fetchall()
            out[entity] = {a: (keys, versions) for a, keys, versions in rows}
    return out


def assert_equals_world(dsn: str, ozon: Any, only: str | None = None) -> None:
    expected = ozon_expected(ozon.world)
    got = landed(dsn)
    for entity in TABLES:
        keys = Counter({a: k for a, (k, _) in got[entity].items()})
        want = Counter({a: n for a, n in expected[entity].items() if only in (None, a)})
        assert keys == want, entity


def total_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return sum(conn.execute(f"select count(*) from raw.ozon_{e}").fetchone()[0] for e in TABLES)
