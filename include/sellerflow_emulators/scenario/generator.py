"""Fill ``world.sqlite`` deterministically and write ``ground_truth.json`` and ``accounts.json``.

Order of work: static catalog → orders with timelines → injected discrepancies → 1C
documents for what shipped → reports for every period that ended before the clock →
ground truth. Each part draws from its own ``random.Random`` stream derived from the seed,
and rows are written in a fixed order, so the same seed gives a byte-identical dump.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sellerflow_emulators import store
from sellerflow_emulators.runtime import format_ts
from sellerflow_emulators.scenario import discrepancies, reports
from sellerflow_emulators.scenario.catalog import COLUMNS, AccountView, Catalog, build_catalog
from sellerflow_emulators.scenario.jsonutil import dumps, write_json
from sellerflow_emulators.scenario.onec_docs import DOC_COLUMNS, OneCDocuments
from sellerflow_emulators.scenario.onec_docs import LINE_COLUMNS as DOC_LINE_COLUMNS
from sellerflow_emulators.scenario.orders import Order, OrderFactory, sample_times
from sellerflow_emulators.scenario.params import ACCOUNTS, ScenarioParams
from sellerflow_emulators.scenario.reports import LINE_COLUMNS as REPORT_LINE_COLUMNS
from sellerflow_emulators.scenario.reports import REPORT_COLUMNS, ReportEvent
from sellerflow_emulators.scenario.truth import accounts_document, build_ground_truth
from sellerflow_emulators.scenario.windows import report_delay

logger = logging.getLogger(__name__)

ORDER_COLUMNS = (
    "id",
    "account_id",
    "order_number",
    "posting_number",
    "scheme",
    "warehouse_id",
    "created_at",
    "ship_by",
    "vendor",
)
ORDER_LINE_COLUMNS = ("order_id", "line_no", "offer_id", "quantity", "price_kop")
HISTORY_COLUMNS = ("order_id", "at", "status", "vendor_status", "actor")


@dataclass(frozen=True)
class GenerationSummary:
    """What was written, for the CLI and the benchmark."""

    world: Path
    ground_truth: Path
    accounts: Path
    orders: int
    report_lines: int
    seconds: float


def rng_for(seed: int, part: str) -> random.Random:
    """An independent deterministic stream for one part of the world."""
    return random.Random(f"{seed}:{part}")


def order_rows(orders: list[Order]) -> tuple[list[tuple[object, ...]], ...]:
    """orders, order_lines and order_status_history rows."""
    o_rows, l_rows, h_rows = [], [], []
    for o in orders:
        o_rows.append(
            (
                o.id,
                o.account.id,
                o.order_number,
                o.posting_number,
                o.scheme,
                o.warehouse_id,
                format_ts(o.created_at),
                format_ts(o.ship_by) if o.ship_by else None,
                dumps(o.vendor),
            )
        )
        l_rows.extend(
            (o.id, line.line_no, line.offer.offer_id, line.quantity, line.price_kop) for line in o.lines
        )
        h_rows.extend((o.id, format_ts(at), status, vendor, actor) for at, status, vendor, actor in o.history)
    return o_rows, l_rows, h_rows


def insert_rows(conn: object, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """Bulk insert (one executemany per table)."""
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"insert into {table} ({', '.join(columns)}) values ({marks})", rows)  # type: ignore[attr-defined]


class ReportCalendar:
    """The reports built so far per account and period."""

    def __init__(self) -> None:
        self.by_period: dict[tuple[str, date], tuple[str, datetime]] = {}
        self.marketplace: dict[str, str] = {spec.id: spec.marketplace for spec in ACCOUNTS}

    def add(self, account_id: str, period_start: date, rid: str, published: datetime) -> None:
        """Remember a built report."""
        self.by_period[(account_id, period_start)] = (rid, published)

    def report_for(self, account_id: str, moment: datetime) -> tuple[str, datetime] | None:
        """(report id, published_at) of the built report whose period holds ``moment``."""
        start, _ = reports.period_of(self.marketplace[account_id], moment.astimezone(UTC).date())
        return self.by_period.get((account_id, start))

    def published_at(self, account_id: str, moment: datetime) -> datetime | None:
        """Publication time of that report, if built."""
        found = self.report_for(account_id, moment)
        return found[1] if found else None


def plan_reports(params: ScenarioParams, clock: datetime) -> ReportCalendar:
    """Every (account, period) that ended before the clock's date gets a report."""
    calendar = ReportCalendar()
    last_day = clock.date() - timedelta(days=1)
    for index, spec in enumerate(ACCOUNTS):
        for start, end in reports.periods_between(spec.marketplace, params.start, last_day):
            if end <= last_day:
                calendar.add(
                    spec.id,
                    start,
                    reports.report_id(index, start),
                    reports.published_at(spec.marketplace, end),
                )
    return calendar


def report_events(
    orders: list[Order], inj: discrepancies.Injections, calendar: ReportCalendar, seed: int = 0
) -> dict[tuple[str, str], list[ReportEvent]]:
    """Sale and return events grouped by report id (sorted by time); a sale comes in the report of its
    delivery plus the order's report delay (``windows.report_delay``: some WB sales 40+ days late)."""
    grouped: dict[tuple[str, str], list[ReportEvent]] = {}

    def add(kind: str, at: datetime, order: Order) -> None:
        found = calendar.report_for(order.account.id, at)
        if found is None:
            return
        for offer_id, (offer, qty, amount) in order.per_offer().items():
            tamper, delta = inj.lines.get((order.id, offer_id), (None, 0)) if kind == "sale" else (None, 0)
            event = ReportEvent(kind, at, order, offer, qty, amount, tamper, delta)
            grouped.setdefault((order.account.id, found[0]), []).append(event)

    for order in orders:
        if order.delivered_at is not None:
            add("sale", order.delivered_at + report_delay(order.account.marketplace, order.id, seed), order)
        if order.returned_at is not None:
            add("return", order.returned_at, order)
        if order.id in inj.cancelled_reported:
            add("sale", inj.cancelled_reported[order.id], order)
    for events in grouped.values():
        events.sort(key=lambda e: (e.at, e.order.id, e.offer.offer_id, e.kind))
    return grouped


def generate(out_dir: Path, params: ScenarioParams) -> GenerationSummary:
    """Build the world for ``params`` under ``out_dir``."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = params.end_at
    catalog = build_catalog(rng_for(params.seed, "catalog"), params)
    accounts = [catalog.accounts[spec.id] for spec in ACCOUNTS]

    order_rng = rng_for(params.seed, "orders")
    factory = OrderFactory(order_rng, accounts, first_id=1, cancel_rate=params.rates.cancel)
    orders: list[Order] = []
    for day in range(params.days):
        day_start = params.start_at + timedelta(days=day)
        times = sample_times(order_rng, day_start, day_start + timedelta(days=1), params.orders_per_day)
        orders.extend(factory.orders_at(times, clock, params.rates.return_after_delivery))
    logger.info("generated %d orders", len(orders))

    calendar = plan_reports(params, clock)
    inj = discrepancies.choose(
        rng_for(params.seed, "discrepancies"), params.rates, orders, calendar.published_at, clock
    )
    docs = onec_documents(catalog, orders, inj, clock, rng_for(params.seed, "onec"))

    report_rows, line_rows = build_reports(
        params, catalog.accounts, calendar, report_events(orders, inj, calendar, params.seed)
    )
    meta_of_report = {str(r[0]): (str(r[1]), str(r[4])) for r in report_rows}
    truth = build_ground_truth(
        params, clock, catalog, orders, inj, line_rows, meta_of_report, calendar.report_for
    )

    world = out_dir / "world.sqlite"
    write_world(world, params, clock, catalog, orders, docs, report_rows, line_rows)
    truth_path, accounts_path = out_dir / "ground_truth.json", out_dir / "accounts.json"
    write_json(truth_path, truth)
    write_json(accounts_path, accounts_document(catalog))
    return GenerationSummary(
        world, truth_path, accounts_path, len(orders), len(line_rows), time.perf_counter() - started
    )


def onec_documents(
    catalog: Catalog, orders: list[Order], inj: discrepancies.Injections, clock: datetime, rng: random.Random
) -> OneCDocuments:
    """ЗаказКлиента + Реализация for every order shipped by the clock, returns where received."""
    vat = {ref: product.vat_rate for product in catalog.products for ref in product.refs.values()}
    docs = OneCDocuments(rng, catalog.organizations, catalog.partners, vat)
    for order in orders:
        if order.shipped_at is None or order.shipped_at > clock or order.id in inj.no_onec:
            continue
        sale_ref = docs.shipment(order, order.shipped_at)
        if order.returned_at is not None and order.id not in inj.no_return_doc:
            received = min(order.returned_at + timedelta(hours=1 + order.id % 23), clock)
            docs.customer_return(order, sale_ref, received)
    return docs


def build_reports(
    params: ScenarioParams,
    accounts: dict[str, AccountView],
    calendar: ReportCalendar,
    events: dict[tuple[str, str], list[ReportEvent]],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Report and report-line rows for every planned period, in account then period order."""
    rng = rng_for(params.seed, "reports")
    report_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    planned = sorted(
        calendar.by_period.items(), key=lambda item: ([s.id for s in ACCOUNTS].index(item[0][0]), item[0][1])
    )
    next_rrd: dict[str, int] = {}
    for (account_id, period_start), (rid, _) in planned:
        spec = next(s for s in ACCOUNTS if s.id == account_id)
        period = reports.period_of(spec.marketplace, period_start)
        if spec.marketplace == "wildberries":
            first = next_rrd.setdefault(account_id, 1_000_000_000 + rng.randrange(10**9))
        else:
            first = 1
        account = accounts[account_id]
        report, lines = reports.build_report(
            rng, account, period, rid, events.get((account_id, rid), []), first
        )
        if spec.marketplace == "wildberries":
            next_rrd[account_id] = first + len(lines)
        report_rows.append(report)
        line_rows.extend(lines)
    return report_rows, line_rows


def write_world(
    path: Path,
    params: ScenarioParams,
    clock: datetime,
    catalog: Catalog,
    orders: list[Order],
    docs: OneCDocuments,
    report_rows: list[tuple[object, ...]],
    line_rows: list[tuple[object, ...]],
) -> None:
    """Write every table in one transaction (a fresh file each time)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = store.connect(path)
    conn.execute("pragma foreign_keys=off")
    conn.execute("pragma synchronous=off")
    with conn:
        for table, columns in COLUMNS.items():
            insert_rows(conn, table, columns, catalog.rows[table])
        o_rows, l_rows, h_rows = order_rows(orders)
        insert_rows(conn, "orders", ORDER_COLUMNS, o_rows)
        insert_rows(conn, "order_lines", ORDER_LINE_COLUMNS, l_rows)
        insert_rows(conn, "order_status_history", HISTORY_COLUMNS, h_rows)
        insert_rows(conn, "onec_documents", DOC_COLUMNS, docs.documents)
        insert_rows(conn, "onec_document_lines", DOC_LINE_COLUMNS, docs.lines)
        insert_rows(conn, "reports", REPORT_COLUMNS, report_rows)
        insert_rows(conn, "report_lines", REPORT_LINE_COLUMNS, line_rows)
        meta = {
            "clock": format_ts(clock),
            "seed": str(params.seed),
            "scenario": dumps(params.to_json()),
            "onec_partners": dumps(catalog.partners),
        }
        conn.executemany("insert or replace into meta(key, value) values (?, ?)", sorted(meta.items()))
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
