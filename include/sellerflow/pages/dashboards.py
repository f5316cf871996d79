"""Dashboards for analysts: each chart is one SQL query over one mart, shown beside the chart, and drawn in the
browser by the vendored Chart.js. A query returns (label, series, value) rows; the page pivots them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sellerflow.pages.db import fetch

GRAINS = {"day": "день", "week": "неделя"}


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows, the mart it reads, its SQL (``{grain}`` is day or week), how to draw it."""

    key: str
    title: str
    mart: str
    sql: str
    kind: str = "line"  # Chart.js type: line or bar
    stacked: bool = False
    percent: bool = False  # values are shares: drawn as %


CHARTS: list[Chart] = [
    Chart(
        "revenue",
        "Выручка по маркетплейсам, ₽",
        "marts.fct_order_lines",
        """select date_trunc('{grain}', order_date)::date as label, marketplace as series, sum(amount) as value
from marts.fct_order_lines
where order_status is distinct from 'cancelled'
group by 1, 2
order by 1, 2""",
    ),
    Chart(
        "orders",
        "Заказы по маркетплейсам, шт",
        "marts.fct_orders",
        """select date_trunc('{grain}', order_date)::date as label, marketplace as series, count(*) as value
from marts.fct_orders
group by 1, 2
order by 1, 2""",
        kind="bar",
        stacked=True,
    ),
    Chart(
        "fee_shares",
        "Комиссия, логистика и хранение, доля выручки",
        "marts.fct_marketplace_transactions",
        """select marketplace as label, fee as series,
       round(-sum(case fee when 'комиссия' then commission_amount
                           when 'логистика' then logistics_amount
                           else storage_amount end)
             / nullif(sum(sales_amount), 0), 4) as value
from marts.fct_marketplace_transactions
cross join (values ('комиссия'), ('логистика'), ('хранение')) as fees (fee)
group by 1, 2
order by 1, 2""",
        kind="bar",
        percent=True,
    ),
    Chart(
        "returns_rate",
        "Доля возвратов по месяцам",
        "marts.returns_rate",
        """select month_start as label, marketplace as series,
       round(sum(units_returned)::numeric / nullif(sum(units_sold), 0), 4) as value
from marts.returns_rate
group by 1, 2
order by 1, 2""",
        kind="bar",
        percent=True,
    ),
    Chart(
        "unit_economics",
        "Юнит-экономика: 15 SKU с наибольшей выручкой, ₽",
        "marts.unit_economics_weekly",
        """with top as (
    select offer_id from marts.unit_economics_weekly
    group by offer_id order by sum(revenue) desc limit 15
)
select offer_id as label, measure as series,
       sum(case measure when 'выручка' then revenue
                        when 'к перечислению' then payout
                        when 'себестоимость' then cost_of_goods
                        else margin end) as value
from marts.unit_economics_weekly
cross join (values ('выручка'), ('к перечислению'), ('себестоимость'), ('маржа')) as measures (measure)
where offer_id in (select offer_id from top)
group by 1, 2
order by 1, 2""",
        kind="bar",
    ),
    Chart(
        "stock_coverage",
        "Покрытие остатком: SKU × склад по числу дней",
        "marts.stock_coverage",
        """select case when coverage_days is null then 'нет продаж'
            when coverage_days < 7 then '< 7 дн.'
            when coverage_days < 14 then '7–14 дн.'
            when coverage_days < 30 then '14–30 дн.'
            when coverage_days < 60 then '30–60 дн.'
            else '60+ дн.' end as label,
       marketplace as series, count(*) as value
from marts.stock_coverage
group by 1, 2
order by min(coalesce(coverage_days, 1e9)), 2""",
        kind="bar",
        stacked=True,
    ),
    Chart(
        "discrepancies",
        "Расхождения сверки по неделям отгрузки, строк",
        "marts.reconciliation_order_lines",
        """select date_trunc('week', coalesce(shipped_at, ordered_at))::date as label, status as series,
       count(*) as value
from marts.reconciliation_order_lines
where status not in ('matched', 'awaiting_report')
group by 1, 2
order by 1, 2""",
        kind="bar",
        stacked=True,
    ),
]
BY_KEY = {chart.key: chart for chart in CHARTS}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def sql_of(chart: Chart, grain: str) -> str:
    """The chart's SQL as it runs."""
    return chart.sql.replace("{grain}", grain if grain in GRAINS else "day")


def data(chart: Chart, grain: str) -> dict[str, Any]:
    """Labels and one dataset per series, in Chart.js's shape."""
    rows = fetch(sql_of(chart, grain))
    labels: list[Any] = []
    series: dict[str, dict[Any, Any]] = {}
    for row in rows:
        label = _plain(row["label"])
        if label not in labels:
            labels.append(label)
        series.setdefault(str(row["series"]), {})[label] = _plain(row["value"])
    return {
        "labels": labels,
        "datasets": [
            {"label": name, "data": [values.get(x) for x in labels]} for name, values in series.items()
        ],
    }
