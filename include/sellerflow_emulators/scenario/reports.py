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

Ozon accruals (docs/vendors/ozon.md): each Ozon sale also gets a ``last_mile`` and an ``acquiring`` line
and each month a ``storage`` line without a posting (a NON_ITEM accrual); the realization report shows only
the sale and return rows, the accruals API every line.

Wildberries charges (docs/vendors/wildberries.md, WB 13-finances ``DetailReportItem``): every WB report also
carries a ``paidAcceptance`` row, a ``deduction`` row (ads, subscriptions), ``rebillLogisticCost`` rows of
some orders, loyalty ``cashback`` rows, and in some weeks an ``additionalPayment``; sale rows carry WB's
split of its reward (``ppvzReward``, ``vw``, ``vwNds``; together the commission) and the pickup point's
partner (``ppvzSupplierInn``/``Name``). They are drawn from a generator of their own (seeded by the report
id), so adding them leaves every other draw of the world unchanged. Payout of each row from the seller's
side: + forPay of a sale, − forPay of a return, − each charge, + additionalPayment, + cashbackDiscount,
− cashbackAmount, − cashbackCommissionChange [?: WB does not state the formula; ``bankPaymentSum`` is the
world's own sum of these].
``amount_kop`` is positive (the operation carries the sign); ``payout_kop`` is signed from
the seller's point of view (a return or a penalty reduces the payout).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sellerflow_emulators.runtime import format_ts
from sellerflow_emulators.scenario.catalog import AccountView, Offer
from sellerflow_emulators.scenario.jsonutil import dumps
from sellerflow_emulators.scenario.orders import Order

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
WB_OPERATIONS = {
    "sale": "Продажа",
    "return": "Возврат",
    "logistics": "Логистика",
    "penalty": "Штраф",
    # live names (rastropovich-dot/mp-analytics docs/wb_report_model.md) where known, else [?]
    "rebill_logistics": "Возмещение издержек по перемещению и операционной обработке товара",
    "cashback": "Компенсация скидки по программе лояльности",
    "acceptance": "Платная приемка",  # [?]
    "deduction": "Удержание",  # [?]
    "additional_payment": "Корректировка Вознаграждения Вайлдберриз (ВВ)",  # spec's additionalPaymentSum wording
}
# Pickup-point partners: (ИНН, name) drawn per WB sale (the generator's own values, not real companies).
WB_PICKUP_PARTNERS = (
    ("7701000017", 'ООО "ПВЗ Север"'),
    ("7702000014", "ИП Жасмин"),
    ("5003000019", 'ООО "Пункт Выдачи Юг"'),
    ("781000001223", "ИП Кружков А. Б."),
)
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


def _line_vendor(
    order: Order, offer: Offer, operation: str, rate: float, extra: dict[str, object] | None = None
) -> str:
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
    data.update(extra or {})
    return dumps(data)


def wb_reward_split(commission: int, rng: random.Random) -> dict[str, object]:
    """WB's split of its commission on a sale row (kopecks): pickup reward, reward and its VAT [?: shares]."""
    reward = round(commission * 0.08)
    vat = round((commission - reward) * 22 / 122)
    partner_inn, partner_name = rng.choice(WB_PICKUP_PARTNERS)
    return {
        "ppvzReward": reward,
        "vw": commission - reward - vat,
        "vwNds": vat,
        "ppvzSupplierInn": partner_inn,
        "ppvzSupplierName": partner_name,
        "ppvzOfficeId": rng.randrange(100_000, 400_000),
    }


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

    charges = random.Random(f"wb-charges:{rid}")  # WB's extra charges: their own draws (see the docstring)

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
        extra: dict[str, object] | None = None,
    ) -> None:
        nonlocal line_no
        if order is not None and offer is not None:
            vendor = _line_vendor(order, offer, operation, rate, extra)
            keys = (order.order_number, order.posting_number, offer.offer_id)
        else:
            name = "Хранение" if operation == "storage" else WB_OPERATIONS.get(operation, operation)
            vendor = dumps({"sellerOperName": name, **(extra or {})} if mp == "wildberries" else {})
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
        split = wb_reward_split(commission, charges) if mp == "wildberries" else None
        for _ in range(copies):
            add(
                ev.order,
                ev.offer,
                ev.kind,
                ev.at,
                qty,
                amount,
                commission,
                own_logistics,
                0,
                payout,
                rate,
                split,
            )
        if separate_logistics:
            add(ev.order, ev.offer, "logistics", ev.at, 0, 0, 0, logistics, 0, -logistics, rate)
        if ev.kind == "sale":
            _sale_charges(mp, charges, functools.partial(add, ev.order, ev.offer), ev.at, amount, qty, rate)
        if mp == "yandex_market" and ev.kind == "sale":
            fee = round(amount * 0.015)
            add(ev.order, ev.offer, "acquiring", ev.at, 0, 0, fee, 0, 0, -fee, 0.015)
        if ev.kind == "sale" and rng.random() < 0.005:
            fine = 100 * rng.randrange(100, 1000)
            add(ev.order, ev.offer, "penalty", ev.at, 0, 0, 0, 0, fine, -fine, rate)
    _period_charges(mp, rng, charges, functools.partial(add, None, None), period[1])

    totals = _totals(lines)
    published = published_at(mp, period[1])
    report = (rid, account.id, period[0].isoformat(), period[1].isoformat(), format_ts(published), totals)
    return report, lines


def _wb_order_charges(rng: random.Random, add, at: datetime, rate: float) -> None:  # type: ignore[no-untyped-def]
    """Per-sale WB charges: some orders get a rebilled logistics cost, a few a loyalty cashback row."""
    if rng.random() < 0.3:
        cost = 100 * rng.randrange(10, 60)
        add("rebill_logistics", at, 0, cost, payout=-cost, rate=rate)
    if rng.random() < 0.05:
        discount, points, change = (
            100 * rng.randrange(5, 50),
            100 * rng.randrange(1, 10),
            rng.randrange(10, 200),
        )
        extra = {"cashbackDiscount": discount, "cashbackAmount": points, "cashbackCommissionChange": change}
        add("cashback", at, 0, 0, payout=discount - points - change, rate=rate, extra=extra)


def _period_charges(  # type: ignore[no-untyped-def]
    mp: str, rng: random.Random, charges: random.Random, add, period_end: date
) -> None:
    """Charges of the whole period without an order: WB's weekly storage and extras, Ozon's monthly storage."""
    if mp == "wildberries":
        end = datetime(period_end.year, period_end.month, period_end.day, 20, tzinfo=UTC)
        fee = 100 * rng.randrange(300, 3000)
        add("storage", end, 0, 0, 0, 0, 0, -fee)
        _wb_week_charges(charges, add, end)
    elif mp == "ozon":
        _ozon_month_charges(charges, add, period_end)


def _sale_charges(  # type: ignore[no-untyped-def]
    mp: str, rng: random.Random, add, at: datetime, amount: int, qty: int, rate: float
) -> None:
    """The charges a vendor adds to a sale besides its own row (WB, Ozon; see the module docstring)."""
    if mp == "wildberries":
        _wb_order_charges(rng, add, at, rate)
    elif mp == "ozon":
        _ozon_posting_charges(rng, add, at, amount, qty)


def _ozon_month_charges(rng: random.Random, add, period_end: date) -> None:  # type: ignore[no-untyped-def]
    """A month's Ozon storage (Placements), a NON_ITEM accrual without a posting [?: amounts]."""
    end = datetime(period_end.year, period_end.month, period_end.day, 20, tzinfo=UTC)
    fee = 100 * rng.randrange(500, 5000)
    add("storage", end, 0, fee, payout=-fee)


def _ozon_posting_charges(rng: random.Random, add, at: datetime, amount: int, qty: int) -> None:  # type: ignore[no-untyped-def]
    """Per-posting Ozon accruals besides the realization row: last mile and acquiring (docs/vendors/ozon.md:
    they are accruals, never realization rows) [?: rates]."""
    last_mile = 100 * rng.randrange(20, 80) * qty
    add("last_mile", at, 0, last_mile, payout=-last_mile)
    acquiring = round(amount * 0.015)
    add("acquiring", at, 0, acquiring, payout=-acquiring)


def _wb_week_charges(rng: random.Random, add, end: datetime) -> None:  # type: ignore[no-untyped-def]
    """Per-report WB charges: paid acceptance, a deduction (ads, subscription), sometimes an additional payment."""
    acceptance = 100 * rng.randrange(50, 500)
    add("acceptance", end, 0, acceptance, payout=-acceptance)
    deduction = 100 * rng.randrange(200, 3000)
    add(
        "deduction",
        end,
        0,
        deduction,
        payout=-deduction,
        extra={"bonusTypeName": "Оказание услуг «ВБ.Продвижение»"},
    )
    if rng.random() < 0.5:
        bonus = 100 * rng.randrange(100, 2000)
        add("additional_payment", end, 0, bonus, payout=bonus)


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
