"""Helpers for the Yandex Market extraction tests and benchmark: a second cabinet, accounts, expected counts.

The scenario generator gives the seller one Yandex Market cabinet; ``add_second_cabinet`` copies it into a
second one of the other legal entity (its own token, business, campaign and warehouses; every other order
and offer), so one run covers two cabinets of two legal entities. Expectations are read from the emulator's
world (the canonical SQLite store), never from what the extraction wrote.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from sellerflow.extract.account import extract_account
from sellerflow.extract.testing import accounts
from sellerflow.orchestration.marketplaces import account_from_fields
from sellerflow.sources.account import MarketplaceAccount

if TYPE_CHECKING:
    from sellerflow.emulators.runtime import EmulatorState

SECOND = "yandex_market_second"
SECOND_TOKEN = "ACMA:second-cabinet-key-5f0c9e7a:1b2c3d4e"
ID_SHIFT = 10_000_000_000  # order ids of the copy
ROW_SHIFT = 10_000_000  # canonical order row ids of the copy
SHEET_OPERATIONS = ("sale", "return")
SHEETS = ("transferred_to_delivery", "delivered", "unredeemed", "returned", "lost_items")
FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 1.5, "connect_timeout_s": 1.0}
# Generous limits for tests: the emulator's report quota is lifted too (see ``relax_report_quota``).
TEST_EXTRA: dict[str, Any] = {
    "horizon_days": 40,
    "report_poll_seconds": 0,
    "rate_limits": {
        "reports_generate": {"rate": 100, "window_s": 60},
        "report_info": {"rate": 1000, "window_s": 60},
    },
}
TABLES = (
    "api_keys",
    "campaigns",
    "warehouses",
    "offer_mappings",
    "stocks",
    "prices",
    "orders",
    "order_statuses",
    "realization_rows",
)


def add_second_cabinet(world: Path) -> None:
    """Copy the generated cabinet into ``yandex_market_second`` (legal entity le2) inside ``world``."""
    conn = sqlite3.connect(world)
    try:
        with conn:
            conn.execute(
                "insert into accounts (id, marketplace, name, legal_entity_id, token, client_id, campaign_id, "
                "token_expires_at, scopes, vendor) select ?, marketplace, 'Маркет — Северный ветер', 'le2', ?, "
                "cast(client_id as integer) + 1, cast(campaign_id as integer) + 7, token_expires_at, scopes, '{}' "
                "from accounts where id = 'yandex_market_main'",
                (SECOND, SECOND_TOKEN),
            )
            conn.execute(
                "insert into warehouses (id, owner, kind, external_id, name) select replace(id, "
                "'yandex_market_main:', ?), ?, kind, cast(external_id as integer) + 1, name || ' (2)' "
                "from warehouses where owner = 'yandex_market_main'",
                (f"{SECOND}:", SECOND),
            )
            conn.execute(
                "insert into offers select ?, offer_id, product_ref, mp_sku, mp_product_id, barcode, name, "
                "price_kop + 100, old_price_kop, vendor, updated_at from offers "
                "where account_id = 'yandex_market_main' and rowid % 2 = 0",
                (SECOND,),
            )
            conn.execute(
                "insert into stocks select replace(s.warehouse_id, 'yandex_market_main:', ?), s.offer_id, "
                "s.present + 1, s.reserved, s.updated_at from stocks s join offers f on f.offer_id = s.offer_id "
                "and f.account_id = ? where s.warehouse_id like 'yandex_market_main:%'",
                (f"{SECOND}:", SECOND),
            )
            kept = "select id from orders where account_id = 'yandex_market_main' and id % 2 = 0"
            conn.execute(
                "insert into orders (id, account_id, order_number, posting_number, scheme, warehouse_id, "
                "created_at, ship_by, vendor) select id + ?, ?, cast(order_number as integer) + ?, "
                "cast(posting_number as integer) + ?, scheme, replace(warehouse_id, 'yandex_market_main:', ?), "
                f"created_at, ship_by, '{{}}' from orders where id in ({kept})",
                (ROW_SHIFT, SECOND, ID_SHIFT, ID_SHIFT, f"{SECOND}:"),
            )
            conn.execute(
                "insert into order_lines select order_id + ?, line_no, offer_id, quantity, price_kop "
                f"from order_lines where order_id in ({kept})",
                (ROW_SHIFT,),
            )
            conn.execute(
                "insert into order_status_history select order_id + ?, at, status, vendor_status, actor "
                f"from order_status_history where order_id in ({kept})",
                (ROW_SHIFT,),
            )
            conn.execute(
                "insert into reports select id || '-2', ?, period_start, period_end, published_at, totals "
                "from reports where account_id = 'yandex_market_main'",
                (SECOND,),
            )
            conn.execute(
                "insert into report_lines select l.report_id || '-2', l.line_no, "
                "cast(l.order_number as integer) + ?, cast(l.posting_number as integer) + ?, l.offer_id, "
                "l.operation, l.quantity, l.amount_kop, l.commission_kop, l.logistics_kop, l.penalty_kop, "
                "l.payout_kop, l.operation_at, l.vendor from report_lines l join reports r on r.id = l.report_id "
                "where r.account_id = 'yandex_market_main' and l.line_no % 2 = 0",
                (ID_SHIFT, ID_SHIFT),
            )
    finally:
        conn.close()


def second_cabinet(base_url: str, **extra: object) -> MarketplaceAccount:
    """The copied cabinet as an account (its business id is asked from the API)."""
    fields = {"account_id": SECOND, "legal_entity_id": "le2", "scopes": ["all-methods"], **extra}
    return account_from_fields(f"mp_{SECOND}", base_url, None, SECOND_TOKEN, fields)


def cabinets(world_dir: Path, base_url: str, **extra: object) -> list[MarketplaceAccount]:
    """Both cabinets (the generated one from accounts.json, and the copy), test settings merged in."""
    settings = {**TEST_EXTRA, **extra}
    return [*accounts(world_dir, "yandex_market", base_url, **settings), second_cabinet(base_url, **settings)]


def relax_report_quota(state: EmulatorState) -> None:
    """Lift the emulator's 1-per-2-minutes report quota (tests generate several months in seconds)."""
    from sellerflow.emulators.limits import LimitConfig

    state.limits.override("yandex_market", "generateGoodsRealizationReport", LimitConfig(100, 60.0))
    state.limits.override("yandex_market", "generateUnitedMarketplaceServicesReport", LimitConfig(100, 60.0))


@dataclass
class Served:
    """The emulator under test: its world file, state (clock, faults, limits) and base URL."""

    world: Path
    state: EmulatorState
    url: str


def copy_world(pristine: Path, into: Path) -> Path:
    """Copy a generated world (``world.sqlite`` and ``accounts.json``) from one folder into another; the copy."""
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(pristine / name, into / name)
    return into / "world.sqlite"


@contextmanager
def serve_copy(pristine: Path, into: Path) -> Iterator[Served]:
    """A private copy of a generated world served by the Yandex Market emulator, its report quota lifted."""
    from sellerflow.emulators.runtime import EmulatorState
    from sellerflow.emulators.testing import serve_in_thread
    from sellerflow.emulators.yandex_market import create_app

    state = EmulatorState(copy_world(pristine, into))
    relax_report_quota(state)
    with serve_in_thread(create_app(state)) as url:
        yield Served(into / "world.sqlite", state, url)


def run_all(served: Served, dsn: str, run_id: str, only: str | None = None, **kwargs: Any) -> list[dict]:
    """Extract every stream of every cabinet (or of ``only``) at the emulator's clock."""
    now = served.state.now()
    options = {"client_options": FAST, **kwargs}
    return [
        extract_account(a, dsn, run_id, now, force=True, **options)
        for a in cabinets(served.world.parent, served.url)
        if only in (None, a.account_id)
    ]


def expected(world: Path, horizon_days: int = 40) -> dict[str, Counter[str]]:
    """Distinct records per raw entity and account visible at the world's clock."""
    conn = sqlite3.connect(world)
    try:
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        out: dict[str, Counter[str]] = {}

        def count(entity: str, sql: str, *params: object) -> None:
            out[entity] = Counter(dict(conn.execute(sql, params).fetchall()))

        mine = "a.marketplace = 'yandex_market'"
        count("api_keys", f"select a.id, 1 from accounts a where {mine}")
        count("campaigns", f"select a.id, 1 from accounts a where {mine}")
        count(
            "warehouses",
            f"select w.owner, count(*) from warehouses w join accounts a on a.id = w.owner where {mine} "
            "and w.kind in ('fbs', 'dbs') group by 1",
        )
        count(
            "offer_mappings",
            f"select f.account_id, count(distinct f.offer_id) from offers f join accounts a on a.id = f.account_id "
            f"where {mine} group by 1",
        )
        out["prices"] = out["offer_mappings"]
        count(
            "stocks",
            f"select w.owner, count(*) from stocks s join warehouses w on w.id = s.warehouse_id "
            f"join accounts a on a.id = w.owner where {mine} group by 1",
        )
        count(
            "orders",
            f"select o.account_id, count(*) from orders o join accounts a on a.id = o.account_id where {mine} "
            "and o.created_at <= ? and o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?) and exists "
            "(select 1 from order_status_history h where h.order_id = o.id and h.at <= ?) group by 1",
            clock,
            clock,
            f"-{horizon_days + 1} days",
            clock,
        )
        out["order_statuses"] = out["orders"]
        sheets = ", ".join(f"'{s}'" for s in SHEETS)
        count(
            "realization_rows",
            f"select r.account_id, count(*) from report_lines l join reports r on r.id = l.report_id "
            f"join accounts a on a.id = r.account_id where {mine} and r.published_at <= ? and coalesce("
            f"json_extract(l.vendor, '$.sheet') in ({sheets}), l.operation in ('sale', 'return')) group by 1",
            clock,
        )
        return out
    finally:
        conn.close()


def statuses(world: Path) -> dict[tuple[str, str], str]:
    """(account, order id) → ``STATUS/SUBSTATUS`` at the world's clock (YM history rows carry both)."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            "select o.account_id, o.posting_number, (select h.vendor_status from order_status_history h "
            "where h.order_id = o.id and h.at <= m.value order by h.at desc, h.rowid desc limit 1) "
            "from orders o join accounts a on a.id = o.account_id join meta m on m.key = 'clock' "
            "where a.marketplace = 'yandex_market' and o.created_at <= m.value"
        ).fetchall()
    finally:
        conn.close()
    return {(a, p): s for a, p, s in rows if s is not None}


def landed(dsn: str) -> dict[str, dict[str, tuple[int, int]]]:
    """entity → account → (distinct keys, versions)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    with psycopg.connect(dsn) as conn:
        for entity in TABLES:
            table = f"raw.yandex_market_{entity}"
            if not conn.execute("select to_regclass(%s)", (table,)).fetchone()[0]:
                out[entity] = {}
                continue
            rows = conn.execute(
                f"select account_id, count(distinct natural_key), count(*) from {table} group by 1"
            ).fetchall()
            out[entity] = {a: (keys, versions) for a, keys, versions in rows}
    return out


def assert_equals_world(dsn: str, world: Path, only: str | None = None) -> None:
    """Every raw entity holds exactly the world's records per account."""
    want_all = expected(world)
    got = landed(dsn)
    for entity in TABLES:
        keys = Counter({a: k for a, (k, _) in got[entity].items()})
        want = Counter({a: n for a, n in want_all[entity].items() if only in (None, a)})
        assert keys == want, entity


def total_rows(dsn: str) -> int:
    """All raw Yandex Market rows."""
    return sum(versions for per in landed(dsn).values() for _, versions in per.values())
