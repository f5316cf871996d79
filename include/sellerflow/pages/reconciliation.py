"""Reconciliation for accountants: filters, the summary per report period beside the vendor's own totals, lines
per status with server-side paging, drill-down to a line's sources, and the export of what is on screen.

Everything reads marts.reconciliation_order_lines and marts.reconciliation_summary (and, for a line's sources,
the intermediate models they are built from). Labels are Russian; names in code are English.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from psycopg import sql

from sellerflow.pages.db import fetch, table_columns

STATUSES: dict[str, str] = {
    "matched": "Сходится",
    "amount_mismatch": "Расхождение суммы",
    "quantity_mismatch": "Расхождение количества",
    "awaiting_report": "Ждём отчёт",
    "missing_in_report": "Нет в отчёте",
    "reported_not_shipped": "В отчёте, но не отгружено",
    "returned": "Возврат",
    "return_not_received": "Возврат не оприходован в 1С",
    "duplicate_in_report": "Дубль в отчёте",
    "cancelled_but_reported": "Отменён, но в отчёте",
    "unmapped_product": "Товар не сопоставлен с 1С",
}
MARKETPLACES: dict[str, str] = {
    "ozon": "Ozon",
    "wildberries": "Wildberries",
    "yandex_market": "Яндекс Маркет",
    "megamarket": "Мегамаркет",
}
NOT_REPORTED = "none"  # the period filter's value for lines not in any report yet
PAGE_SIZE = 100

# Money columns of a line, in the order the table and the export show them (column, Russian label).
LINE_MONEY: list[tuple[str, str]] = [
    ("shipped_amount", "Отгружено по 1С, ₽"),
    ("reported_sales", "Продажи по отчёту, ₽"),
    ("reported_returns", "Возвраты по отчёту, ₽"),
    ("reported_commission", "Комиссия, ₽"),
    ("reported_logistics", "Логистика, ₽"),
    ("reported_penalties", "Штрафы, ₽"),
    ("reported_other", "Прочее, ₽"),
    ("reported_payout", "К перечислению, ₽"),
    ("amount_difference", "Разница суммы, ₽"),
]
# Other columns of a line (column, Russian label).
LINE_FIELDS: list[tuple[str, str]] = [
    ("legal_entity_name", "Юрлицо"),
    ("marketplace", "Маркетплейс"),
    ("account_id", "Кабинет"),
    ("order_number", "Номер заказа"),
    ("offer_id", "Артикул продавца"),
    ("article", "Артикул 1С"),
    ("product_name", "Товар"),
    ("shipment_numbers", "Реализации 1С"),
    ("shipped_quantity", "Отгружено, шт"),
    ("reported_quantity", "Продано по отчёту, шт"),
    ("report_id", "Отчёт"),
    ("report_period_start", "Период с"),
    ("report_period_end", "Период по"),
]


@dataclass(frozen=True)
class Filters:
    """What the accountant picked; empty strings mean "all"."""

    entity: str = ""
    marketplace: str = ""
    account: str = ""
    period: str = ""  # YYYY-MM of the report period's start, or NOT_REPORTED
    status: str = ""

    def query(self, **override: Any) -> str:
        """The filters as a query string (with some replaced), for links."""
        from urllib.parse import urlencode

        values = {**asdict(self), **override}
        return urlencode({k: v for k, v in values.items() if v})

    def where(self, *, with_status: bool = True, summary: bool = False) -> sql.Composable:
        """The SQL condition of these filters over the lines (or the summary) mart."""
        parts: list[sql.Composable] = [sql.SQL("true")]
        if self.entity:
            parts.append(sql.SQL("legal_entity_inn = {}").format(self.entity))
        if self.marketplace:
            parts.append(sql.SQL("marketplace = {}").format(self.marketplace))
        if self.account:
            parts.append(sql.SQL("account_id = {}").format(self.account))
        if self.period == NOT_REPORTED:
            parts.append(sql.SQL("report_id is null"))
        elif self.period:
            parts.append(
                sql.SQL(
                    "report_period_start >= {}::date and report_period_start < {}::date + interval '1 month'"
                ).format(f"{self.period}-01", f"{self.period}-01")
            )
        if with_status and self.status and not summary:
            parts.append(sql.SQL("status = {}").format(self.status))
        return sql.SQL(" and ").join(parts)


def options() -> dict[str, list[tuple[str, str]]]:
    """The choices of each filter: legal entities, marketplaces, cabinets, report months, statuses."""
    accounts = fetch(
        "select account_id, marketplace, legal_entity_inn, legal_entity_name from marts.dim_accounts"
        " order by marketplace, account_id"
    )
    entities = sorted(
        {(a["legal_entity_inn"], f"{a['legal_entity_name'] or ''} ({a['legal_entity_inn']})") for a in accounts
         if a["legal_entity_inn"]},
        key=lambda e: e[1],
    )  # fmt: skip
    periods = fetch(
        "select distinct to_char(report_period_start, 'YYYY-MM') as month from marts.reconciliation_summary"
        " where report_period_start is not null order by 1 desc"
    )
    return {
        "entity": entities,
        "marketplace": [(k, v) for k, v in MARKETPLACES.items()],
        "account": [(a["account_id"], a["account_id"]) for a in accounts],
        "period": [(p["month"], p["month"]) for p in periods] + [(NOT_REPORTED, "не в отчёте")],
        "status": list(STATUSES.items()),
    }


def stated_columns() -> list[str]:
    """The vendor's stated totals the summary mart carries (report_stated_*; more may land with new vendors)."""
    return [c for c in table_columns("marts", "reconciliation_summary") if c.startswith("report_stated_")]


def summary(filters: Filters) -> list[dict[str, Any]]:
    """Per legal entity × cabinet × report: our lines' payout beside the report's own totals, and the tie-out
    difference in kopecks (vendor's total − ours). The vendor's total is the total the report states where it
    states one, else the sum of its rows; the mart's stated_difference_kop (the report's rows − its stated
    total) is shown beside it where the mart has it."""
    stated = stated_columns()
    columns = table_columns("marts", "reconciliation_summary")
    # the mart's own figure (issue 14): the report's rows − the total the vendor states, kopecks
    rows_vs_stated = (
        sql.Identifier("stated_difference_kop") if "stated_difference_kop" in columns else sql.NULL
    )
    vendor = sql.SQL("coalesce({}, report_total_payout)").format(
        sql.Identifier("report_stated_payout") if "report_stated_payout" in stated else sql.NULL
    )
    query = sql.SQL(
        """
        select legal_entity_inn, legal_entity_name, marketplace, account_id, report_id,
               report_period_start, report_period_end, report_published_on, order_lines,
               reported_payout, report_total_payout, {stated},
               {vendor} as vendor_payout,
               round(({vendor} - reported_payout) * 100)::bigint as difference_kop,
               {rows_vs_stated} as stated_difference_kop,
               ties_out
        from marts.reconciliation_summary
        where {where}
        order by report_period_start desc nulls last, marketplace, account_id, report_id
        """
    ).format(
        stated=sql.SQL(", ").join(map(sql.Identifier, stated))
        if stated
        else sql.SQL("null as report_stated_payout"),
        vendor=vendor,
        rows_vs_stated=rows_vs_stated,
        where=filters.where(summary=True),
    )
    return fetch(query)


def by_status(filters: Filters) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Lines and money per status under the filters (all statuses: the status filter only picks the lines
    shown), and the totals row."""
    money = sql.SQL(", ").join(
        sql.SQL("coalesce(sum({c}), 0) as {c}").format(c=sql.Identifier(c)) for c, _ in LINE_MONEY
    )
    rows = fetch(
        sql.SQL("select status, count(*) as lines, {money} from marts.reconciliation_order_lines where {where}"
                " group by status").format(money=money, where=filters.where(with_status=False))
    )  # fmt: skip
    order = list(STATUSES)
    rows.sort(key=lambda r: order.index(r["status"]) if r["status"] in order else len(order))
    totals: dict[str, Any] = {"lines": sum(r["lines"] for r in rows)}
    for column, _ in LINE_MONEY:
        totals[column] = sum(r[column] for r in rows)
    return rows, totals


def lines(filters: Filters, page: int, page_size: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """One page of lines under the filters (ordered by marketplace, order, product) and how many there are."""
    columns = sql.SQL(", ").join(
        map(
            sql.Identifier,
            ["reconciliation_line_id", "status", *(c for c, _ in LINE_FIELDS), *(c for c, _ in LINE_MONEY)],
        )
    )
    where = filters.where()
    total = fetch(
        sql.SQL("select count(*) as n from marts.reconciliation_order_lines where {}").format(where)
    )[0]["n"]
    rows = fetch(
        sql.SQL("select {columns} from marts.reconciliation_order_lines where {where}"
                " order by marketplace, order_number, product_key limit {limit} offset {offset}").format(
            columns=columns, where=where, limit=page_size, offset=max(page - 1, 0) * page_size
        )
    )  # fmt: skip
    return rows, total


def all_lines(filters: Filters) -> list[dict[str, Any]]:
    """Every line under the filters (for the export), ordered as on screen."""
    columns = sql.SQL(", ").join(
        map(sql.Identifier, ["status", *(c for c, _ in LINE_FIELDS), *(c for c, _ in LINE_MONEY)])
    )
    return fetch(
        sql.SQL("select {columns} from marts.reconciliation_order_lines where {where}"
                " order by marketplace, order_number, product_key").format(columns=columns, where=filters.where())
    )  # fmt: skip


def line_sources(line_id: str) -> dict[str, Any] | None:
    """One line and what it was built from: the 1C documents, the marketplace order, the report lines."""
    found = fetch(
        "select * from marts.reconciliation_order_lines where reconciliation_line_id = %s", (line_id,)
    )
    if not found:
        return None
    line = found[0]
    key = (line["marketplace"], line["order_number"], line["product_key"])
    onec = fetch(
        "select document_kind, onec_base_id, document_number, document_at, organization_inn, quantity, amount,"
        " document_ref from intermediate.int_onec_lines_keyed"
        " where marketplace = %s and order_number = %s and product_key = %s order by document_at",
        key,
    )
    order = fetch(
        "select account_id, order_number, posting_number, offer_id, scheme, vendor_status, order_status,"
        " created_at, warehouse_id, quantity, amount from intermediate.int_marketplace__order_lines"
        " where marketplace = %s and order_number = %s and account_id is not distinct from %s"
        " order by posting_number, offer_id",
        (line["marketplace"], line["order_number"], line["account_id"]),
    )
    report = fetch(
        "select report_id, period_start, period_end, line_number, operation_date, operation_type, vendor_operation,"
        " offer_id, quantity, sales_amount, returns_amount, commission_amount, logistics_amount, penalty_amount,"
        " storage_amount + acquiring_amount + other_amount as other_amount, payout_amount"
        " from intermediate.int_report_lines_keyed"
        " where marketplace = %s and order_number = %s and product_key = %s order by report_id, line_number",
        key,
    )
    return {"line": line, "onec": onec, "order": order, "report": report}
