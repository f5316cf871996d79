"""Advancing the simulated clock: the world keeps living between two moments.

On ``advance(conn, to)`` (admin ``POST /clock``), in one transaction:

1. new orders arrive for the interval, drawn from ``Random(f"{seed}:clock:{from}:{to}")``, so
   the same world advanced over the same interval gets the same orders; FBO orders carry
   their whole marketplace timeline (shown as the clock passes it), FBS/DBS orders wait in
   ``awaiting_packaging`` for the seller to push (vendor apps append the seller's steps);
2. FBS orders the seller has packed move on by marketplace time (hand-over, delivery),
   each delay fixed by the seed and the order id;
3. the seller's 1C (simulated accountant) posts a РеализацияТоваровУслуг for every order
   that shipped in the interval, based on the ЗаказКлиента with that НомерПоДаннымКлиента
   if the client already created one (that order is then closed and its reserve consumed:
   ``onec.documents.close_shipped_order``), otherwise together with a new ЗаказКлиента;
4. every report period that ended in the interval gets its report, published on the
   vendor's calendar (visible once the clock passes ``published_at``). A sale comes in the report
   of its delivery plus the order's report delay (``scenario.windows.report_delay``, drawn as the
   generator draws it: some WB sales 40–55 days late), so a late sale of an order delivered before
   the interval — even before the world was generated — lands in a report built here, once.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sellerflow_emulators.onec.documents import close_shipped_order
from sellerflow_emulators.runtime import format_ts, parse_ts
from sellerflow_emulators.scenario import reports
from sellerflow_emulators.scenario.catalog import AccountView, Offer
from sellerflow_emulators.scenario.generator import (
    HISTORY_COLUMNS,
    ORDER_COLUMNS,
    ORDER_LINE_COLUMNS,
    insert_rows,
    order_rows,
)
from sellerflow_emulators.scenario.onec_docs import DOC_COLUMNS, OneCDocuments
from sellerflow_emulators.scenario.onec_docs import LINE_COLUMNS as DOC_LINE_COLUMNS
from sellerflow_emulators.scenario.orders import VENDOR_STATUS, Line, Order, OrderFactory, sample_times
from sellerflow_emulators.scenario.params import ACCOUNT_BY_ID, ACCOUNTS, BASE_OF_LEGAL_ENTITY, ScenarioParams
from sellerflow_emulators.scenario.reports import LINE_COLUMNS as REPORT_LINE_COLUMNS
from sellerflow_emulators.scenario.reports import REPORT_COLUMNS, ReportEvent
from sellerflow_emulators.scenario.windows import MAX_REPORT_DELAY, report_delay

# Marketplace-driven steps after the seller packed (FBS): (from vendor step, to step, hours).
_HANDOVER_HOURS = (4, 28)
_IN_DELIVERY_HOURS = (2, 6)
_DELIVERY_HOURS = (24, 96)


@dataclass(frozen=True)
class AdvanceResult:
    """What one clock advance changed."""

    clock_from: str
    clock_to: str
    orders_added: int
    transitions: int
    onec_documents: int
    reports_built: int

    def to_json(self) -> dict[str, object]:
        """JSON form for the admin API."""
        return {
            "from": self.clock_from,
            "to": self.clock_to,
            "orders_added": self.orders_added,
            "transitions": self.transitions,
            "onec_documents": self.onec_documents,
            "reports_built": self.reports_built,
        }


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("select value from meta where key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def load_accounts(conn: sqlite3.Connection) -> dict[str, AccountView]:
    """The cabinets of the world with their current offers and warehouses."""
    views: dict[str, AccountView] = {}
    for row in conn.execute("select id, marketplace, legal_entity_id, vendor from accounts order by rowid"):
        spec = ACCOUNT_BY_ID.get(row[0])
        if spec is None:
            continue
        base_id = BASE_OF_LEGAL_ENTITY.get(row[2], "ut_main")
        views[row[0]] = AccountView(
            row[0], row[1], row[2], base_id, spec.id_base, spec.schemes, spec.share, vendor=json.loads(row[3])
        )
    for account_id, offer_id, price, ref, article, sku, pid, barcode in conn.execute(
        "select o.account_id, o.offer_id, o.price_kop, o.product_ref, coalesce(p.article, ''), o.mp_sku, "
        "o.mp_product_id, o.barcode from offers o left join products p on p.ref_key = o.product_ref order by o.rowid"
    ):
        if account_id in views:
            views[account_id].offers.append(
                Offer(offer_id, price, ref, article, sku, pid, barcode, offer_id == article)
            )
    for wid, owner, kind, ext in conn.execute(
        "select id, owner, kind, external_id from warehouses order by rowid"
    ):
        view = views.get(owner)
        if view is not None:
            view.warehouses.setdefault(kind, []).append((wid, ext))
            view.onec_warehouse[kind] = f"onec:{view.base_id}:{'fbo' if kind == 'fbo' else 'main'}"
    return views


def load_orders(
    conn: sqlite3.Connection, ids: list[int], accounts: dict[str, AccountView]
) -> dict[int, Order]:
    """Orders (with lines) by id, rebuilt as generator objects."""
    out: dict[int, Order] = {}
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        marks = ",".join("?" for _ in chunk)
        for row in cur.execute(f"select * from orders where id in ({marks})", chunk).fetchall():
            account = accounts.get(row["account_id"])
            if account is None:
                continue
            out[row["id"]] = Order(
                row["id"],
                account,
                row["order_number"],
                row["posting_number"],
                row["scheme"],
                row["warehouse_id"],
                parse_ts(row["created_at"]),
                parse_ts(row["ship_by"]) if row["ship_by"] else None,
                json.loads(row["vendor"]),
            )
        for row in cur.execute(
            f"select * from order_lines where order_id in ({marks}) order by order_id, line_no", chunk
        ).fetchall():
            order = out.get(row["order_id"])
            if order is None:
                continue
            offers = {o.offer_id: o for o in order.account.offers}
            offer = offers.get(row["offer_id"]) or Offer(
                row["offer_id"], row["price_kop"], "", "", 0, 0, "", False
            )
            order.lines.append(Line(row["line_no"], offer, row["quantity"], row["price_kop"]))
    return out


def _delay(seed: int, order_id: int, step: str, hours: tuple[int, int]) -> timedelta:
    rng = random.Random(f"{seed}:{order_id}:{step}")
    return timedelta(seconds=int(rng.uniform(*hours) * 3600))


def _next_step(
    marketplace: str, scheme: str, status: str, vendor_status: str
) -> tuple[str, tuple[int, int]] | None:
    """The marketplace's own next milestone after the order's last status, if it has one."""
    if scheme == "dbs":
        return None  # the seller delivers DBS orders and reports every step
    if status == "awaiting_deliver" and marketplace != "megamarket":
        return "shipped", _HANDOVER_HOURS
    if status == "delivering":
        if marketplace == "yandex_market" and vendor_status == VENDOR_STATUS["yandex_market"]["shipped"]:
            return "in_delivery", _IN_DELIVERY_HOURS
        return "delivered", _DELIVERY_HOURS
    return None


def _move_packed_orders(conn: sqlite3.Connection, seed: int, to: datetime) -> int:
    """Marketplace transitions of FBS orders whose last known step is before ``to``."""
    rows = conn.execute(
        "select o.id, a.marketplace, o.scheme, h.at, h.status, h.vendor_status from orders o "
        "join accounts a on a.id = o.account_id "
        "join order_status_history h on h.order_id = o.id "
        "and h.at = (select max(at) from order_status_history where order_id = o.id) "
        "where o.scheme != 'fbo' and h.status in ('awaiting_deliver', 'delivering') and h.at <= ?",
        (format_ts(to),),
    ).fetchall()
    canonical = {"shipped": "delivering", "in_delivery": "delivering", "delivered": "delivered"}
    added: list[tuple[object, ...]] = []
    for order_id, mp, scheme, at, status, vendor_status in rows:
        moment = parse_ts(at)
        while (step := _next_step(mp, scheme, status, vendor_status)) is not None:
            name, hours = step
            moment = moment + _delay(seed, order_id, name, hours)
            if moment > to:
                break
            status, vendor_status = canonical[name], VENDOR_STATUS[mp][name]
            added.append((order_id, format_ts(moment), status, vendor_status, "marketplace"))
    conn.executemany(
        "insert or ignore into order_status_history(order_id, at, status, vendor_status, actor) values (?,?,?,?,?)",
        added,
    )
    return len(added)


def _next_numbers(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for base_id, doc_type, number in conn.execute("select base_id, doc_type, number from onec_documents"):
        digits = re.sub(r"\D", "", str(number))
        if digits:
            key = (base_id, doc_type)
            out[key] = max(out.get(key, 0), int(digits))
    return out


def _post_shipments(
    conn: sqlite3.Connection, seed: int, start: datetime, to: datetime, accounts: dict[str, AccountView]
) -> int:
    """Реализация (and ЗаказКлиента when missing) for orders handed over in (start, to]."""
    shipped = conn.execute(
        "select order_id, min(at) from order_status_history where status = 'delivering' "
        "group by order_id having min(at) > ? and min(at) <= ? order by order_id",
        (format_ts(start), format_ts(to)),
    ).fetchall()
    if not shipped:
        return 0
    orders = load_orders(conn, [r[0] for r in shipped], accounts)
    organizations = {r[0]: r[1] for r in conn.execute("select base_id, ref_key from onec_organizations")}
    partners = json.loads(_meta(conn, "onec_partners") or "{}")
    vat = {r[0]: r[1] for r in conn.execute("select ref_key, vat_rate from products")}
    docs = OneCDocuments(
        random.Random(f"{seed}:onec:{format_ts(start)}:{format_ts(to)}"),
        organizations,
        partners,
        vat,
        _next_numbers(conn),
    )
    for order_id, at in shipped:
        order = orders.get(order_id)
        if order is None:
            continue
        existing = conn.execute(
            "select d.ref_key, (select count(*) from onec_documents s where s.base_doc_ref = d.ref_key "
            "and s.doc_type = 'РеализацияТоваровУслуг') from onec_documents d "
            "where d.base_id = ? and d.doc_type = 'ЗаказКлиента' and d.customer_order_number = ? "
            "and d.deletion_mark = 0 order by d.date limit 1",
            (order.account.base_id, order.order_number),
        ).fetchone()
        if existing is not None and existing[1]:
            continue
        docs.shipment(order, parse_ts(at), existing[0] if existing else None)
        if existing is not None:  # УТ closes a shipped order and consumes its reserve
            close_shipped_order(conn, existing[0])
    insert_rows(conn, "onec_documents", DOC_COLUMNS, docs.documents)
    insert_rows(conn, "onec_document_lines", DOC_LINE_COLUMNS, docs.lines)
    return len(docs.documents)


def _build_due_reports(
    conn: sqlite3.Connection, params: ScenarioParams, to: datetime, accounts: dict[str, AccountView]
) -> int:
    """Reports for every period that ended before ``to``'s date and has none yet."""
    last_day = to.date() - timedelta(days=1)
    built = 0
    for index, spec in enumerate(ACCOUNTS):
        account = accounts.get(spec.id)
        if account is None:
            continue
        for start, end in reports.periods_between(spec.marketplace, params.start, last_day):
            rid = reports.report_id(index, start)
            if end > last_day or conn.execute("select 1 from reports where id = ?", (rid,)).fetchone():
                continue
            events = _period_events(conn, account, start, end + timedelta(days=1), accounts, params.seed)
            first = 1
            if spec.marketplace == "wildberries":
                row = conn.execute(
                    "select max(l.line_no) from report_lines l join reports r on r.id = l.report_id "
                    "where r.account_id = ?",
                    (spec.id,),
                ).fetchone()
                first = (row[0] or 1_000_000_000) + 1
            rng = random.Random(f"{params.seed}:report:{rid}")
            report, lines = reports.build_report(rng, account, (start, end), rid, events, first)
            insert_rows(conn, "reports", REPORT_COLUMNS, [report])
            insert_rows(conn, "report_lines", REPORT_LINE_COLUMNS, lines)
            built += 1
    return built


def _period_events(
    conn: sqlite3.Connection,
    account: AccountView,
    since: date,
    until: date,
    accounts: dict[str, AccountView],
    seed: int,
) -> list[ReportEvent]:
    """Sales and returns reported in [since, until): a return at its moment, a sale at its delivery plus the
    order's report delay (deliveries up to ``MAX_REPORT_DELAY`` before the period are looked at)."""
    rows = conn.execute(
        "select h.order_id, h.status, min(h.at) from order_status_history h join orders o on o.id = h.order_id "
        "where o.account_id = ? and h.status in ('delivered', 'returned') group by h.order_id, h.status "
        "having min(h.at) >= ? and min(h.at) < ?",
        (account.id, (since - MAX_REPORT_DELAY).isoformat(), until.isoformat()),
    ).fetchall()
    window_start, window_end = datetime.combine(since, time(), UTC), datetime.combine(until, time(), UTC)
    reported: list[tuple[int, str, datetime]] = []
    for order_id, status, at in rows:
        moment = parse_ts(at)
        if status == "delivered":
            moment += report_delay(account.marketplace, order_id, seed)
        if window_start <= moment < window_end:
            reported.append((order_id, status, moment))
    orders = load_orders(conn, sorted({r[0] for r in reported}), accounts)
    events = []
    for order_id, status, moment in reported:
        order = orders.get(order_id)
        if order is None:
            continue
        kind = "sale" if status == "delivered" else "return"
        for offer, qty, amount in order.per_offer().values():
            events.append(ReportEvent(kind, moment, order, offer, qty, amount))
    events.sort(key=lambda e: (e.at, e.order.id, e.offer.offer_id, e.kind))
    return events


def advance(conn: sqlite3.Connection, to: datetime, orders_per_day: int | None = None) -> AdvanceResult:
    """Move the world's clock forward to ``to`` (see the module docstring); ``orders_per_day`` overrides the
    scenario's rate of new orders for this interval (a test moving weeks ahead keeps the world small)."""
    current = _meta(conn, "clock")
    scenario = _meta(conn, "scenario")
    if current is None or scenario is None:
        raise ValueError("this world has no scenario clock (generate it with the scenario command)")
    start = parse_ts(current)
    if to < start:
        raise ValueError(f"the clock only moves forward (now {current})")
    params = ScenarioParams.from_json(json.loads(scenario))
    added = transitions = documents = built = 0
    with conn:
        if to > start:
            accounts = load_accounts(conn)
            rng = random.Random(f"{params.seed}:clock:{format_ts(start)}:{format_ts(to)}")
            first_id = (conn.execute("select coalesce(max(id), 0) from orders").fetchone()[0] or 0) + 1
            factory = OrderFactory(rng, list(accounts.values()), first_id, params.rates.cancel)
            new_orders = factory.orders_at(
                sample_times(rng, start, to, orders_per_day or params.orders_per_day), None, 0.0
            )
            o_rows, l_rows, h_rows = order_rows(new_orders)
            insert_rows(conn, "orders", ORDER_COLUMNS, o_rows)
            insert_rows(conn, "order_lines", ORDER_LINE_COLUMNS, l_rows)
            insert_rows(conn, "order_status_history", HISTORY_COLUMNS, h_rows)
            added = len(new_orders)
            transitions = _move_packed_orders(conn, params.seed, to)
            documents = _post_shipments(conn, params.seed, start, to, accounts)
            built = _build_due_reports(conn, params, to, accounts)
            conn.execute("update meta set value = ? where key = 'clock'", (format_ts(to),))
    return AdvanceResult(current, format_ts(to), added, transitions, documents, built)
