"""Commission / realization reports on each vendor's calendar, built from what was delivered and returned.

Calendars (see ozon-wildberries.md (e) and yandex-market-megamarket-1c.md A5/B5):

- Ozon ``/v2/finance/realization`` and ``/v1/finance/realization/posting``: monthly, published
  "no later than the 5th of the following month" → the 5th, 06:00 UTC.
- Wildberries ``sales-reports``: weekly Mon–Sun, formed on Monday 08:00–11:00 MSK → the next
  Monday 08:00 UTC (11:00 MSK). ``line_no`` is WB's ``rrdId``: it keeps growing across an
  account's reports.
- Yandex Market goods-realization: monthly; available from the 3rd working day (assumption).
- Megamarket: no report API; the monthly commission report file from the 5th working day
  (assumption, documented as such).

Lines: ``sale`` and ``return`` rows per (order, offer) with commission, logistics and the
payout; WB adds separate ``logistics`` rows and a weekly ``storage`` row, Yandex Market
``acquiring`` rows (payment acceptance), and any account occasional ``penalty`` rows.
``amount_kop`` is positive (the operation carries the sign); ``payout_kop`` is signed from
the seller's point of view (a return or a penalty reduces the payout).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sellerflow.emulators.runtime import format_ts
from sellerflow.emulators.scenario.catalog import AccountView, Offer
from sellerflow.emulators.scenario.jsonutil import dumps
from sellerflow.emulators.scenario.orders import Order

REPORT_COLUMNS = ("id", "account_id", "period_start", "period_end", "published_at", "totals")
LINE_COLUMNS = (
    "report_id",
    "line_no",
    "order_number",
    "posting_number",
    "offer_id",
    "operation",
    "quantity",
    "amount_kop",
    "commission_kop",
    "logistics_kop",
    "penalty_kop",
    "payout_kop",
    "operation_at",
    "vendor",
)
# Non-working days of the Russian production calendar that fall on weekdays (2026-2027).
HOLIDAYS = frozenset(
    [date(2026, 1, d) for d in range(1, 9)]
    + [date(2026, 2, 23), date(2026, 3, 9), date(2026, 5, 1), date(2026, 5, 11), date(2026, 6, 12)]
    + [date(2026, 11, 4), date(2026, 12, 31)]
    + [date(2027, 1, d) for d in range(1, 9)]
    + [date(2027, 2, 23), date(2027, 3, 8), date(2027, 5, 3), date(2027, 5, 10), date(2027, 6, 14)]
    + [date(2027, 11, 4), date(2027, 12, 31)]
)
COMMISSION_RATES = {
    "ozon": (0.12, 0.15, 0.18, 0.2),
    "wildberries": (0.15, 0.19, 0.22, 0.25),
    "yandex_market": (0.09, 0.12, 0.15),
    "megamarket": (0.08, 0.1, 0.12),
}
WB_OPERATIONS = {"sale": "Продажа", "return": "Возврат", "logistics": "Логистика", "penalty": "Штраф"}
_EPOCH = date(2024, 1, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@functools.lru_cache(maxsize=4096)
def period_of(marketplace: str, day: date) -> tuple[date, date]:
    """The report period (inclusive dates) that contains ``day``."""
    if marketplace == "wildberries":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    first = _month_start(day)
    return first, _next_month(first) - timedelta(days=1)


def periods_between(marketplace: str, first_day: date, last_day: date) -> list[tuple[date, date]]:
    """Every period that overlaps [first_day, last_day], in order."""
    out = []
    cursor = first_day
    while cursor <= last_day:
        period = period_of(marketplace, cursor)
        out.append(period)
        cursor = period[1] + timedelta(days=1)
    return out


def _working_day(after: date, n: int) -> date:
    day, seen = after, 0
    while seen < n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in HOLIDAYS:
            seen += 1
    return day


def published_at(marketplace: str, period_end: date) -> datetime:
    """When a report for the period becomes visible."""
    if marketplace == "wildberries":
        day, hour = period_end + timedelta(days=1), 8
    elif marketplace == "ozon":
        day, hour = period_end + timedelta(days=5), 6
    elif marketplace == "yandex_market":
        day, hour = _working_day(period_end, 3), 9
    else:
        day, hour = _working_day(period_end, 5), 9
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def report_id(account_index: int, period_start: date) -> str:
    """Vendor report id: an integer unique per (account, period) (WB reportId, Ozon header number...)."""
    return str(400_000_000 + account_index * 1_000_000 + (period_start - _EPOCH).days)


@dataclass(slots=True)
class ReportEvent:
    """A sale or return of one offer of one order, and how the report distorts it (injections)."""

    kind: str  # 'sale' | 'return'
    at: datetime
    order: Order
    offer: Offer
    quantity: int
    amount_kop: int
    tamper: str | None = None  # missing | amount | quantity | duplicate | noise
    delta: int = 0  # kopecks (amount, noise) or units (quantity)


def _line_vendor(order: Order, offer: Offer, operation: str, rate: float) -> str:
    mp = order.account.marketplace
    v = order.vendor
    data: dict[str, object] = {"scheme": order.scheme, "barcode": offer.barcode, "commission_rate": rate}
    if mp == "ozon":
        data.update(sku=offer.mp_sku, product_id=offer.mp_product_id, order_id=v.get("order_id"))
    elif mp == "wildberries":
        data.update(
            srid=v.get("srid"),
            orderUid=v.get("orderUid"),
            nmId=offer.mp_sku,
            chrtId=offer.mp_product_id,
            assemblyId=v.get("id", 0),
            sellerOperName=WB_OPERATIONS.get(operation, operation),
            docTypeName=WB_OPERATIONS[operation] if operation in ("sale", "return") else "",
        )
    elif mp == "yandex_market":
        data.update(orderId=v.get("orderId"), marketSku=offer.mp_sku, campaignId=v.get("campaignId"))
    else:
        data.update(
            shipmentId=v.get("shipmentId"),
            goodsId=offer.mp_sku,
            itemIndexes=[str(line.line_no) for line in order.lines if line.offer.offer_id == offer.offer_id],
        )
    return dumps(data)


def build_report(
    rng: random.Random,
    account: AccountView,
    period: tuple[date, date],
    rid: str,
    events: list[ReportEvent],
    first_line_no: int,
) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    """One report row and its lines (events already sorted by time)."""
    mp = account.marketplace
    lines: list[tuple[object, ...]] = []
    line_no = first_line_no

    def add(
        order: Order | None,
        offer: Offer | None,
        operation: str,
        at: datetime,
        quantity: int,
        amount: int,
        commission: int = 0,
        logistics: int = 0,
        penalty: int = 0,
        payout: int = 0,
        rate: float = 0.0,
    ) -> None:
        nonlocal line_no
        if order is not None and offer is not None:
            vendor = _line_vendor(order, offer, operation, rate)
            keys = (order.order_number, order.posting_number, offer.offer_id)
        else:
            vendor = dumps({"sellerOperName": "Хранение"} if mp == "wildberries" else {})
            keys = ("", None, "")
        lines.append(
            (
                rid,
                line_no,
                *keys,
                operation,
                quantity,
                amount,
                commission,
                logistics,
                penalty,
                payout,
                format_ts(at),
                vendor,
            )
        )
        line_no += 1

    for ev in events:
        if ev.tamper == "missing":
            continue
        rate = rng.choice(COMMISSION_RATES[mp])
        qty, amount = ev.quantity, ev.amount_kop
        if ev.tamper == "quantity":
            qty = ev.quantity + ev.delta
            amount = amount // ev.quantity * qty
        elif ev.tamper in ("amount", "noise"):
            amount += ev.delta
        commission = round(amount * rate)
        logistics = 100 * rng.randrange(45, 160) * qty
        sign = 1 if ev.kind == "sale" else -1
        separate_logistics = mp == "wildberries"
        own_logistics = 0 if separate_logistics else logistics
        payout = sign * (amount - commission) - own_logistics
        copies = 2 if ev.tamper == "duplicate" else 1
        for _ in range(copies):
            add(ev.order, ev.offer, ev.kind, ev.at, qty, amount, commission, own_logistics, 0, payout, rate)
        if separate_logistics:
            add(ev.order, ev.offer, "logistics", ev.at, 0, 0, 0, logistics, 0, -logistics, rate)
        if mp == "yandex_market" and ev.kind == "sale":
            fee = round(amount * 0.015)
            add(ev.order, ev.offer, "acquiring", ev.at, 0, 0, fee, 0, 0, -fee, 0.015)
        if ev.kind == "sale" and rng.random() < 0.005:
            fine = 100 * rng.randrange(100, 1000)
            add(ev.order, ev.offer, "penalty", ev.at, 0, 0, 0, 0, fine, -fine, rate)
    if mp == "wildberries":
        end = datetime(period[1].year, period[1].month, period[1].day, 20, tzinfo=UTC)
        fee = 100 * rng.randrange(300, 3000)
        add(None, None, "storage", end, 0, 0, 0, 0, 0, -fee)

    totals = _totals(lines)
    published = published_at(mp, period[1])
    report = (rid, account.id, period[0].isoformat(), period[1].isoformat(), format_ts(published), totals)
    return report, lines


def _totals(lines: list[tuple[object, ...]]) -> str:
    totals = {
        "lines": len(lines),
        "sale_quantity": 0,
        "sale_amount_kop": 0,
        "return_quantity": 0,
        "return_amount_kop": 0,
        "commission_kop": 0,
        "logistics_kop": 0,
        "penalty_kop": 0,
        "payout_kop": 0,
    }
    for line in lines:
        operation, qty, amount, commission, logistics, penalty, payout = line[5:12]
        if operation in ("sale", "return"):
            totals[f"{operation}_quantity"] += int(qty)  # type: ignore[call-overload]
            totals[f"{operation}_amount_kop"] += int(amount)  # type: ignore[call-overload]
        totals["commission_kop"] += int(commission)  # type: ignore[call-overload]
        totals["logistics_kop"] += int(logistics)  # type: ignore[call-overload]
        totals["penalty_kop"] += int(penalty)  # type: ignore[call-overload]
        totals["payout_kop"] += int(payout)  # type: ignore[call-overload]
    return dumps(totals)
