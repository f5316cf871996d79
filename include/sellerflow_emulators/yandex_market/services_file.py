"""The "united marketplace services" report file («Отчёт по стоимости услуг»), built from canonical report lines.

Docs: reference/reports/generateUnitedMarketplaceServicesReport ("Explanation of the report columns") and
the ``ReportFormatType`` schema: ``FILE`` is one XLSX (the default), ``CSV`` and ``JSON`` are ZIP archives
with one file per sheet; CSV headers are the UPPER_SNAKE names, JSON keys the camelCase names. The vendor's
report has ~30 sheets; this emulator renders the four the scenario has data for, with the documented
columns in the documented order: ``placement`` (commission for placement on the showcase), ``delivery``
(delivery to the buyer), ``payment_accepting`` and ``payment_transfer``. Every one of them is in the
archive, maybe empty (as the goods-realization emulator does; the docs do not say whether empty sheets are
left out).

What becomes a row (one per canonical report line and service):

- ``sale``: its ``commission_kop`` → a ``placement`` row («Размещение товаров на витрине»; ``TARIFF`` is the
  commission rate in percent, ``AMOUNT_WITHOUT_BONUSES`` = ``TOTAL_AMOUNT`` = the commission); its
  ``logistics_kop`` → a ``delivery`` row («Доставка покупателю», ``SERVICE_PRICE``).
- ``return``: the placement fee is refunded → a ``placement`` row with negative ``AMOUNT_WITHOUT_BONUSES``,
  ``SERVICE_BEFORE_TARIFF`` and ``TOTAL_AMOUNT``; the way back is charged → a ``delivery`` row «Доставка
  невыкупов и возвратов» with a positive ``SERVICE_PRICE`` (the scenario's payout of a return is
  ``-(amount - commission) - logistics``: the commission comes back, the logistics is paid again).
  [?] The docs list no refund record type for ``placement`` and no service names; the names are the
  cabinet's Russian tariff names as we know them.
- ``acquiring``: the fee → a ``payment_accepting`` row (``TARIFF`` in percent, ``BUYER_PAID`` = the sale it
  belongs to, ``RECORD_TYPE`` «Начисление»).
- ``payment_transfer`` stays empty: the scenario has no transfer fee. Penalties are not services (they are
  in the netting report), other operations are not in this report.

Periods: ``dateFrom``/``dateTo`` select rows by service date (the Moscow date of ``SERVICE_DATE_TIME``);
``yearFrom``/``monthFrom``/``yearTo``/``monthTo`` by act month. A service shows once it happened (its line's
``operation_at`` is at or before the clock). [?] ``ACT_DATE`` — the date of the monthly act — is the last day
of the line's report period, filled once that report is published (the closing documents go out with the
realization report); before that it is empty, so a re-generated report of a recent month changes.

[?] Date-time cells are ISO 8601 with the Moscow offset, dates ``YYYY-MM-DD`` (the docs only say "string").
[?] ``PARTNER_ID`` is ``vendor.partnerId`` of the campaign, else its campaign id (the world has no separate
store id). Dimensions are not in the world, so ``LENGTH``/``WIDTH``/``HEIGHT`` are empty. [?] XLSX headers
are the documented English "group/column" titles in both languages (the Russian titles are not in our
sources).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sellerflow_emulators.yandex_market.catalog import placement_type
from sellerflow_emulators.yandex_market.render import msk_iso, rub
from sellerflow_emulators.yandex_market.report_file import ReportFile

PLACEMENT = "Размещение товаров на витрине"
DELIVERY = "Доставка покупателю"
RETURN_DELIVERY = "Доставка невыкупов и возвратов"
ACCRUAL = "Начисление"

_B = "Business information/"
_O = "Order and product information/"
_S = "Service information/"
_D = "Service price decrease (discount) and increase/"
_LATE = _D + "Cancellations due to seller's fault, late shipment or delivery/"

# CSV name -> the documented XLSX title ("group/column").
TITLES = {
    "BUSINESS_ID": _B + "Business account ID",
    "PLACEMENT_MODEL": _B + "Operation models",
    "PARTNER_ID": _B + "Store IDs",
    "PARTNER_NAME": _B + "Store names",
    "INN": _B + "INN (taxpayer identification number)",
    "PLACEMENT_CONTRACT": _B + "Agreement numbers for placement",
    "PROMOTION_CONTRACT": _B + "Agreement numbers for promotion",
    "ORDER_ID": _O + "Order number",
    "ORDER_CREATION_DATE_TIME": _O + "Order creation date",
    "SHOP_SKU": _O + "Your SKU",
    "OFFER_NAME": _O + "Product name",
    "TURBO_GOODS": _O + "Product type",
    "PRICE": _O + "Your price per item",
    "DECOUPLING_MARKUP": _O + "Difference between your price and sale price",
    "COUNT": _O + "Quantity, units",
    "BATCH_SIZE": _O + "Sale quantum",
    "BATCH_COUNT": _O + "Quanta in the order",
    "BATCH_PRICE": _O + "Price per quantum",
    "WEIGHT": _O + "Weight, kg",
    "DIMENSIONAL_WEIGHT": _O + "Volumetric weight, kg",
    "LENGTH": _O + "Length, cm",
    "WIDTH": _O + "Width, cm",
    "HEIGHT": _O + "Height, cm",
    "DIMENSIONS_SUM": _O + "Sum of three dimensions, cm",
    "LOCALITY_INDEX": _O + "Share of local sales, %",
    "PAYMENT_TYPE": _O + "Payment acceptance method",
    "QUALITY_INDEX": _O + "Quality index value",
    "SERVICE_NAME": _S + "Service",
    "TARIFF_TERMS": _S + "Tariff conditions",
    "TARIFF": _S + "Rate per item",
    "UNIT": _S + "Unit of measurement",
    "MIN_TARIFF": _S + "Minimum rate per item",
    "MAX_TARIFF": _S + "Maximum rate per item",
    "SERVICE_BEFORE_TARIFF": _S + "Service price up to minimum rate",
    "SERVICE_PRICE_BEFORE_TARIFF": _S + "Service price without rate restrictions",
    "FROM": _S + "From",
    "TO": _S + "Destination",
    "LOCALITY_COEFFICIENT": _S + "Locality coefficient",
    "BUYER_PAID": _S + "Paid by buyer",
    "TARIFF_FOR_TRANSFER": _S + "Transfer rate, % of paid amount",
    "SERVICE_DATE_TIME": _S + "Service date and time",
    "ACT_DATE": _S + "Certificate creation date",
    "SERVICE_PRICE": _S + "Service price",
    "RECORD_TYPE": _S + "Record type",
    "AMOUNT_WITHOUT_BONUSES": _S + "Price of service without discounts and surcharges",
    "FEE_BENEFIT_TARIFF": _D + "Removals and rewards/Rate, %",
    "FEE_BENEFIT_DISCOUNT": _D + "Removals and rewards/Discount based on the minimum tariff",
    "DAYS_OF_DELAY": _LATE + "Delay in shipment or delivery, days",
    "LATE_ORDER_EXECUTION_FEE_TARIFF": _LATE + "Rate for late shipment or delivery, % of placement rate",
    "CANCELLATION_ORDER_FEE_TARIFF": _LATE + "Rate when canceled due to seller's fault, % of placement rate",
    "QUALITY_INDEX_MIN_TARIFF": _LATE + "Min price per item",
    "QUALITY_INDEX_MAX_TARIFF": _LATE + "Max price per item",
    "QUALITY_INDEX_AMOUNT": _LATE + "Service price change",
    "DECOUPLING_TARIFF": _D + "Smart offer/Rate, %",
    "DECOUPLING_PRICE_CHANGE": _D + "Smart offer/Service price change",
    "INDIVIDUAL_DISCOUNT": _D + "Other discounts/Custom discount for service",
    "LOYALTY_DISCOUNT": _D + "Other discounts/Loyalty discount",
    "NETTING": _D + "Other discounts/Discount for participation in joint promotions",
    "TOTAL_AMOUNT": "Service cost",
}
# In payment_accepting/payment_transfer the order columns sit in the "Service information" group.
_SERVICE_GROUP_SHEETS = ("payment_accepting", "payment_transfer")

_BUSINESS = [
    "BUSINESS_ID",
    "PLACEMENT_MODEL",
    "PARTNER_ID",
    "PARTNER_NAME",
    "INN",
    "PLACEMENT_CONTRACT",
    "PROMOTION_CONTRACT",
]
_DIMENSIONS = ["LENGTH", "WIDTH", "HEIGHT", "DIMENSIONS_SUM"]
_BATCH = ["COUNT", "BATCH_SIZE", "BATCH_COUNT", "BATCH_PRICE"]

SHEETS: dict[str, list[str]] = {
    "placement": [
        *_BUSINESS,
        "ORDER_ID",
        "ORDER_CREATION_DATE_TIME",
        "SHOP_SKU",
        "OFFER_NAME",
        "TURBO_GOODS",
        "PRICE",
        "DECOUPLING_MARKUP",
        *_BATCH,
        "WEIGHT",
        *_DIMENSIONS,
        "PAYMENT_TYPE",
        "QUALITY_INDEX",
        "SERVICE_NAME",
        "TARIFF_TERMS",
        "TARIFF",
        "UNIT",
        "MIN_TARIFF",
        "MAX_TARIFF",
        "SERVICE_BEFORE_TARIFF",
        "SERVICE_DATE_TIME",
        "ACT_DATE",
        "AMOUNT_WITHOUT_BONUSES",
        "FEE_BENEFIT_TARIFF",
        "FEE_BENEFIT_DISCOUNT",
        "DAYS_OF_DELAY",
        "LATE_ORDER_EXECUTION_FEE_TARIFF",
        "CANCELLATION_ORDER_FEE_TARIFF",
        "QUALITY_INDEX_MIN_TARIFF",
        "QUALITY_INDEX_MAX_TARIFF",
        "QUALITY_INDEX_AMOUNT",
        "DECOUPLING_TARIFF",
        "DECOUPLING_PRICE_CHANGE",
        "INDIVIDUAL_DISCOUNT",
        "LOYALTY_DISCOUNT",
        "NETTING",
        "TOTAL_AMOUNT",
    ],
    "delivery": [
        *_BUSINESS,
        "ORDER_ID",
        "SHOP_SKU",
        "OFFER_NAME",
        "PRICE",
        *_BATCH,
        "WEIGHT",
        "DIMENSIONAL_WEIGHT",
        *_DIMENSIONS,
        "LOCALITY_INDEX",
        "SERVICE_NAME",
        "FROM",
        "TO",
        "TARIFF",
        "UNIT",
        "MIN_TARIFF",
        "MAX_TARIFF",
        "SERVICE_PRICE_BEFORE_TARIFF",
        "LOCALITY_COEFFICIENT",
        "SERVICE_DATE_TIME",
        "ACT_DATE",
        "SERVICE_PRICE",
    ],
    "payment_accepting": [
        *_BUSINESS,
        "ORDER_ID",
        "SHOP_SKU",
        "OFFER_NAME",
        "BUYER_PAID",
        "TARIFF",
        "UNIT",
        "SERVICE_DATE_TIME",
        "ACT_DATE",
        "SERVICE_PRICE",
        "RECORD_TYPE",
    ],
    "payment_transfer": [
        *_BUSINESS,
        "ORDER_ID",
        "SHOP_SKU",
        "OFFER_NAME",
        "BUYER_PAID",
        "TARIFF_FOR_TRANSFER",
        "SERVICE_DATE_TIME",
        "ACT_DATE",
        "SERVICE_PRICE",
        "RECORD_TYPE",
    ],
}
SHEET_TITLES = {
    "placement": "Product placement on the showcase",
    "delivery": "Delivery to buyer",
    "payment_accepting": "Payment acceptance",
    "payment_transfer": "Payment transfer",
}


@dataclass(frozen=True)
class Period:
    """Which rows a report holds: by service date (``service``) or by act month (``act``), both inclusive."""

    kind: str  # 'service' | 'act'
    first: date
    last: date


@dataclass(frozen=True)
class Filters:
    """The request's optional filters (None: no filter)."""

    campaign_ids: tuple[int, ...] | None = None
    programs: tuple[str, ...] | None = None
    inns: tuple[str, ...] | None = None


def cabinet_campaigns(conn: sqlite3.Connection, business_id: int, filters: Filters) -> list[sqlite3.Row]:
    """The cabinet's campaign rows that pass the model, INN and campaign filters."""
    rows = conn.execute(
        "select a.*, le.inn as le_inn from accounts a left join legal_entities le on le.id = a.legal_entity_id "
        "where a.marketplace = 'yandex_market' and a.client_id = ? order by a.campaign_id",
        (str(business_id),),
    ).fetchall()
    kept = []
    for row in rows:
        if filters.campaign_ids is not None and int(row["campaign_id"]) not in filters.campaign_ids:
            continue
        if filters.programs is not None and placement_type(conn, row) not in filters.programs:
            continue
        if filters.inns is not None and (row["le_inn"] or "") not in filters.inns:
            continue
        kept.append(row)
    return kept


def fetch_lines(
    conn: sqlite3.Connection, account_ids: Sequence[str], period: Period, now: str
) -> list[sqlite3.Row]:
    """Canonical lines of the campaigns that carry a service in the period, as of ``now``."""
    if not account_ids:
        return []
    marks = ", ".join("?" for _ in account_ids)
    bounds = [period.first.isoformat(), period.last.isoformat()]
    if period.kind == "service":
        where, params = "date(rl.operation_at, '+3 hours') between ? and ?", [*account_ids, now, *bounds]
    else:
        where = "r.published_at <= ? and r.period_end between ? and ?"
        params = [*account_ids, now, now, *bounds]
    return conn.execute(
        f"""
        select rl.*, r.account_id, r.period_end, r.published_at, o.created_at as order_created_at,
               o.vendor as order_vendor, f.name as offer_name, p.weight_g, w.name as warehouse_name
        from report_lines rl
        join reports r on r.id = rl.report_id
        left join orders o on o.account_id = r.account_id and o.posting_number = rl.posting_number
        left join offers f on f.account_id = r.account_id and f.offer_id = rl.offer_id
        left join products p on p.ref_key = f.product_ref
        left join warehouses w on w.id = o.warehouse_id
        where r.account_id in ({marks}) and rl.operation_at <= ? and {where}
          and rl.operation in ('sale', 'return', 'acquiring')
        order by r.id, rl.line_no
        """,
        params,
    ).fetchall()


def _business(conn: sqlite3.Connection, campaign: sqlite3.Row) -> dict[str, Any]:
    vendor = json.loads(campaign["vendor"] or "{}")
    return {
        "BUSINESS_ID": int(campaign["client_id"]),
        "PLACEMENT_MODEL": placement_type(conn, campaign),
        "PARTNER_ID": int(vendor.get("partnerId") or campaign["campaign_id"]),
        "PARTNER_NAME": str(vendor.get("domain") or campaign["name"]),
        "INN": campaign["le_inn"] or "",
        "PLACEMENT_CONTRACT": str(vendor.get("placementContract", "")),
        "PROMOTION_CONTRACT": str(vendor.get("promotionContract", "")),
    }


def _percent(line: sqlite3.Row) -> float:
    rate = float(json.loads(line["vendor"] or "{}").get("commission_rate") or 0)
    return round(rate * 100, 2)


def _order_columns(line: sqlite3.Row, now: str) -> dict[str, Any]:
    """Columns every order-level sheet shares (order, product, quantities, service time, act)."""
    qty = int(line["quantity"]) or 1
    posting = str(line["posting_number"] or line["order_number"])
    amount = int(line["amount_kop"])
    weight = line["weight_g"]
    acted = line["published_at"] <= now
    return {
        "ORDER_ID": int(posting) if posting.isdigit() else posting,
        "ORDER_CREATION_DATE_TIME": msk_iso(line["order_created_at"]) if line["order_created_at"] else "",
        "SHOP_SKU": line["offer_id"],
        "OFFER_NAME": line["offer_name"] or line["offer_id"],
        "TURBO_GOODS": "",
        "PRICE": rub(amount // qty),
        "DECOUPLING_MARKUP": 0,
        "COUNT": qty,
        "BATCH_SIZE": 1,
        "BATCH_COUNT": qty,
        "BATCH_PRICE": rub(amount // qty),
        "WEIGHT": round(int(weight) / 1000, 3) if weight is not None else None,
        "DIMENSIONAL_WEIGHT": None,
        "LENGTH": None,
        "WIDTH": None,
        "HEIGHT": None,
        "DIMENSIONS_SUM": None,
        "LOCALITY_INDEX": "",
        "PAYMENT_TYPE": json.loads(line["vendor"] or "{}").get("paymentType", "Предоплата"),
        "QUALITY_INDEX": "",
        "SERVICE_DATE_TIME": msk_iso(line["operation_at"]),
        "ACT_DATE": line["period_end"] if acted else "",
    }


def _placement(line: sqlite3.Row, sign: int) -> dict[str, Any]:
    fee = sign * rub(int(line["commission_kop"]))
    zeros = {name: 0 for name in SHEETS["placement"][SHEETS["placement"].index("FEE_BENEFIT_TARIFF") : -1]}
    return {
        **zeros,
        "SERVICE_NAME": PLACEMENT,
        "TARIFF_TERMS": "",
        "TARIFF": _percent(line),
        "UNIT": "%",
        "MIN_TARIFF": None,
        "MAX_TARIFF": None,
        "SERVICE_BEFORE_TARIFF": fee,
        "AMOUNT_WITHOUT_BONUSES": fee,
        "TOTAL_AMOUNT": fee,
    }


def _delivery(line: sqlite3.Row, back: bool) -> dict[str, Any]:
    cost = int(line["logistics_kop"])
    qty = int(line["quantity"]) or 1
    warehouse = line["warehouse_name"] or ""
    return {
        "SERVICE_NAME": RETURN_DELIVERY if back else DELIVERY,
        "FROM": "" if back else warehouse,
        "TO": warehouse if back else "",
        "TARIFF": rub(cost // qty),
        "UNIT": "шт.",
        "MIN_TARIFF": None,
        "MAX_TARIFF": None,
        "SERVICE_PRICE_BEFORE_TARIFF": rub(cost),
        "LOCALITY_COEFFICIENT": 1,
        "SERVICE_PRICE": rub(cost),
    }


def _accepting(line: sqlite3.Row, buyer_paid_kop: int | None) -> dict[str, Any]:
    return {
        "BUYER_PAID": rub(buyer_paid_kop) if buyer_paid_kop is not None else None,
        "TARIFF": _percent(line),
        "UNIT": "%",
        "SERVICE_PRICE": rub(int(line["commission_kop"])),
        "RECORD_TYPE": ACCRUAL,
    }


def service_rows(
    line: sqlite3.Row, now: str, buyer_paid_kop: int | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(sheet, values by CSV name without the business columns) of the services of one canonical line."""
    base = _order_columns(line, now)
    operation = line["operation"]
    out: list[tuple[str, dict[str, Any]]] = []
    if operation in ("sale", "return"):
        if int(line["commission_kop"]):
            out.append(("placement", {**base, **_placement(line, 1 if operation == "sale" else -1)}))
        if int(line["logistics_kop"]):
            out.append(("delivery", {**base, **_delivery(line, operation == "return")}))
    elif operation == "acquiring" and int(line["commission_kop"]):
        out.append(("payment_accepting", {**base, **_accepting(line, buyer_paid_kop)}))
    return out


def build_sheets(
    conn: sqlite3.Connection, campaigns: Sequence[sqlite3.Row], lines: Sequence[sqlite3.Row], now: str
) -> dict[str, list[dict[str, Any]]]:
    """Rows per sheet (values keyed by CSV column name); every sheet present, maybe empty."""
    business = {str(c["id"]): _business(conn, c) for c in campaigns}
    sales = {
        (line["account_id"], line["posting_number"], line["offer_id"], line["operation_at"]): int(
            line["amount_kop"]
        )
        for line in lines
        if line["operation"] == "sale"
    }
    sheets: dict[str, list[dict[str, Any]]] = {name: [] for name in SHEETS}
    for line in lines:
        paid = sales.get((line["account_id"], line["posting_number"], line["offer_id"], line["operation_at"]))
        for sheet, values in service_rows(line, now, paid):
            merged = {**business[str(line["account_id"])], **values}
            sheets[sheet].append({col: merged.get(col) for col in SHEETS[sheet]})
    return sheets


def has_rows(sheets: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether any sheet has a row (else the report is ``NO_DATA``)."""
    return any(sheets.values())


def xlsx_title(sheet: str, csv_name: str) -> tuple[str, str]:
    """(group, column) XLSX header of a column of a sheet."""
    title = TITLES[csv_name]
    if sheet in _SERVICE_GROUP_SHEETS and title.startswith(_O):
        title = _S + title[len(_O) :]
    group, _, column = title.rpartition("/")
    return group, column


FILE = ReportFile(SHEETS, SHEET_TITLES, xlsx_title)
