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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sellerflow.extract.account import extract_account
from sellerflow.extract.windows import months, parse_time
from sellerflow.orchestration.marketplaces import account_from_fields
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.yandex_market.common import msk_date
from sellerflow_emulators.testing import extract as extract_testing
from sellerflow_emulators.testing.extract import Expected, Fields, accounts, key_counts

if TYPE_CHECKING:
    from sellerflow_emulators.runtime import EmulatorState

SOURCE = "yandex_market"
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
    from sellerflow_emulators.limits import LimitConfig

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
    from sellerflow_emulators.runtime import EmulatorState
    from sellerflow_emulators.testing import serve_in_thread
    from sellerflow_emulators.yandex_market import create_app

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


def world(world_path: Path, horizon_days: int = 40) -> Expected:
    """What the Yandex Market emulator serves at the world's clock: keys and payload fields per raw entity and
    account. The report rows (realization, services) are the emulator's own report files for every month of
    the horizon, read with the stream's file reader and row identity, and compared whole."""
    conn = sqlite3.connect(world_path)
    conn.row_factory = sqlite3.Row
    try:
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        out: Expected = {}

        def add(entity: str, account: str, key: object, fields: Fields) -> None:
            out.setdefault(entity, {}).setdefault(account, {})[str(key)] = fields

        cabinets = conn.execute("select * from accounts where marketplace = 'yandex_market'").fetchall()
        for a in cabinets:
            add("api_keys", a["id"], a["name"], {"name": a["name"]})
            add(
                "campaigns",
                a["id"],
                a["campaign_id"],
                {"id": a["campaign_id"], "business.id": a["client_id"]},
            )
        _world_catalog(conn, add)
        _world_orders(conn, clock, horizon_days, add)
        _world_reports(conn, cabinets, clock, horizon_days, add)
        return out
    finally:
        conn.close()


def _world_catalog(conn: sqlite3.Connection, add: Callable[[str, str, object, Fields], None]) -> None:
    mine = "join accounts a on a.id = {} where a.marketplace = 'yandex_market'"
    for w in conn.execute(
        f"select w.*, a.campaign_id from warehouses w {mine.format('w.owner')} and w.kind in ('fbs', 'dbs')"
    ):
        add("warehouses", w["owner"], w["external_id"], {"name": w["name"], "campaignId": w["campaign_id"]})
    for f in conn.execute(f"select f.* from offers f {mine.format('f.account_id')}"):
        mapping = {"offer.offerId": f["offer_id"], "mapping.marketSku": f["mp_sku"]}
        add("offer_mappings", f["account_id"], f["offer_id"], mapping)
        add(
            "prices",
            f["account_id"],
            f["offer_id"],
            {"offerId": f["offer_id"], "price.value": f["price_kop"] / 100},
        )
    for s in conn.execute(
        f"select w.owner, w.external_id, s.* from stocks s join warehouses w on w.id = s.warehouse_id "
        f"{mine.format('w.owner')}"
    ):
        counts = [s["present"], s["reserved"], s["present"] - s["reserved"]]  # FIT, FREEZE, AVAILABLE
        add(
            "stocks",
            s["owner"],
            f"{s['external_id']}:{s['offer_id']}",
            {"offerId": s["offer_id"], "stocks.*.count": counts},
        )


def _world_orders(
    conn: sqlite3.Connection, clock: str, horizon_days: int, add: Callable[[str, str, object, Fields], None]
) -> None:
    rows = conn.execute(
        "select o.account_id, o.posting_number, (select h.vendor_status from order_status_history h "
        "where h.order_id = o.id and h.at <= ? order by h.at desc, h.rowid desc limit 1) as status "
        "from orders o join accounts a on a.id = o.account_id where a.marketplace = 'yandex_market' "
        "and o.created_at <= ? and o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?)",
        (clock, clock, clock, f"-{horizon_days + 1} days"),
    ).fetchall()
    for r in rows:
        if r["status"] is None:
            continue
        status, _, substatus = r["status"].partition("/")
        fields: Fields = {"status": status, **({"substatus": substatus} if substatus else {})}
        add("orders", r["account_id"], r["posting_number"], fields)
        add("order_statuses", r["account_id"], r["posting_number"], fields)


def _world_reports(
    conn: sqlite3.Connection,
    cabinets: list[sqlite3.Row],
    clock: str,
    horizon_days: int,
    add: Callable[[str, str, object, Fields], None],
) -> None:
    from sellerflow.sources.yandex_market import realization, services
    from sellerflow.sources.yandex_market.reports import sheets_of
    from sellerflow_emulators.yandex_market import realization_file, services_file
    from sellerflow_emulators.yandex_market.catalog import placement_type

    now = parse_time(clock)
    first = msk_date(now - timedelta(days=horizon_days))
    for a in cabinets:
        for year, month in months(first, msk_date(now)):
            period = f"{year:04d}-{month:02d}"
            lines = realization_file.fetch_lines(conn, a["id"], year, month, clock)
            sheets = realization_file.build_sheets(lines, placement_type(conn, a))
            archive, _ = realization_file.FILE.render(sheets, "JSON")
            for sheet, rows in sheets_of(archive):
                key = realization.row_keys(rows, f"{a['campaign_id']}:{period}:{sheet}")
                for row in rows:
                    add("realization_rows", a["id"], key(row), row)
            last = min(date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1), msk_date(now))
            span = services_file.Period("service", date(year, month, 1), last)
            campaigns = services_file.cabinet_campaigns(conn, int(a["client_id"]), services_file.Filters())
            found = services_file.fetch_lines(conn, [str(c["id"]) for c in campaigns], span, clock)
            archive, _ = services_file.FILE.render(
                services_file.build_sheets(conn, campaigns, found, clock), "JSON"
            )
            for sheet, rows in sheets_of(archive):
                key = services.row_keys(rows, f"{period}:{sheet}")
                for row in rows:
                    add("service_rows", a["id"], key(row), row)


def expected(world_path: Path, horizon_days: int = 40) -> dict[str, Counter[str]]:
    """Distinct records per raw entity and account visible at the world's clock (counted from ``world``)."""
    return key_counts(world(world_path, horizon_days))


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
    """entity → account → (distinct keys, versions) in ``raw.yandex_market_*``."""
    return extract_testing.landed(dsn, SOURCE)


def total_rows(dsn: str) -> int:
    """All raw Yandex Market rows."""
    return extract_testing.total_rows(dsn, SOURCE)
