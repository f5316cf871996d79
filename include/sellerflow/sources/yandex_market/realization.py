"""Rows of the monthly goods-realization report («Отчёт по реализации»), per campaign, re-read while open.

Flow (official spec @ 1318e9b8, generateGoodsRealizationReport / getReportInfo; yandex-market-megamarket-1c.md
A5): ``POST /v2/reports/goods-realization/generate?format=JSON`` with ``{campaignId, year, month}`` (1 call
per 2 minutes) → ``reportId`` and ``estimatedGenerationTime`` (ms); poll ``GET /v2/reports/info/{reportId}``
(100/min) until ``DONE`` (or ``FAILED``); ``DONE`` carries ``file``, a pre-signed link valid 60 minutes,
or ``subStatus: NO_DATA``. The JSON format is a ZIP with one JSON array per sheet
(``transferred_to_delivery``, ``delivered``, ``unredeemed``, ``returned``, ``lost_items``; camelCase keys such
as ``orderId``, ``shopSku``). The report's structure may change without notice, so rows are kept as sent.

Rows have no id of their own and a report may list the same (order, SKU) twice — a duplicate the
reconciliation has to see — so a row's key is ``<campaign>:<yyyy-mm>:<sheet>:<orderId>:<shopSku>:<n>``, with
``n`` the occurrence of that (order, SKU) in the sheet; the campaign, period and sheet also go to the row's
context. A month stays open — generated again every day — until its report has had data for
``REPORT_SETTLE`` days after the month ended; a month that never had data closes ``NO_DATA_CLOSE`` days after
its end. A report still not ready after the polls leaves its month open for the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import months, parse_time, rfc3339
from sellerflow.sources.yandex_market.client import YandexMarketClient
from sellerflow.sources.yandex_market.common import FINANCE_READ, campaign_ids, msk_date
from sellerflow.sources.yandex_market.reports import generate_and_wait, month_bounds, sheets_of

GENERATE = "/v2/reports/goods-realization/generate"
SHEETS = ("transferred_to_delivery", "delivered", "unredeemed", "returned", "lost_items")
REPORT_SETTLE = timedelta(days=10)
NO_DATA_CLOSE = timedelta(days=60)
FIRST_MONTH = date(2023, 1, 1)


def row_keys(rows: list[dict[str, Any]], prefix: str) -> Callable[[dict[str, Any]], str | None]:
    """A key function for one sheet's rows: ``<prefix>:<orderId>:<shopSku>:<occurrence>``."""
    seen: Counter[tuple[str, str]] = Counter()
    keys: dict[int, str | None] = {}
    for row in rows:
        order, sku = row.get("orderId"), row.get("shopSku") or row.get("yourSku")
        if order is None or sku is None:
            keys[id(row)] = None  # quarantined by validation anyway
            continue
        seen[(str(order), str(sku))] += 1
        keys[id(row)] = f"{prefix}:{order}:{sku}:{seen[(str(order), str(sku))]}"

    def key(row: dict[str, Any]) -> str | None:
        return keys.get(id(row))

    return key


class YandexMarketRealization(Stream):
    """Goods-realization report rows per campaign and month."""

    name = "realization"
    entity = "realization_rows"
    key = "orderId"  # replaced per sheet by ``row_keys``
    cadence = timedelta(days=1)
    scopes: ClassVar[tuple[str, ...]] = FINANCE_READ

    def validate(self, record: dict[str, Any]) -> str | None:
        """A row must name its order and SKU."""
        if record.get("shopSku") is None and record.get("yourSku") is not None:
            return required_fields(record, ("orderId", "yourSku"))
        return required_fields(record, ("orderId", "shopSku"))

    def slices(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> list[Slice]:
        """Every (campaign, month) from the horizon to now that is not closed yet."""
        closed = set(state.get("closed", []))
        first = max(msk_date(ctx.now - ctx.horizon), FIRST_MONTH)
        return [
            Slice(label, "month", params={"campaign": campaign, "year": year, "month": month})
            for campaign in campaign_ids(ctx)
            for year, month in months(first, msk_date(ctx.now))
            if (label := f"{campaign} {year:04d}-{month:02d}") not in closed
        ]

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Generate the month's report, wait for it, and yield its rows sheet by sheet."""
        campaign, year, month = piece.params["campaign"], piece.params["year"], piece.params["month"]
        period = f"{year:04d}-{month:02d}"
        body = {"campaignId": campaign, "year": year, "month": month}
        info = generate_and_wait(ctx, GENERATE, body, f"realization {campaign} {period}")
        if info is None or info.get("status") != "DONE" or not info.get("file"):
            return
        state.setdefault("has_data", {}).setdefault(piece.label, rfc3339(ctx.now))
        for sheet, rows in sheets_of(ctx.client.download(info["file"])):
            context = {"campaignId": campaign, "period": period, "sheet": sheet}
            yield Page(rows, key=row_keys(rows, f"{campaign}:{period}:{sheet}"), context=context)

    def slice_done(self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]) -> None:
        """Close a month once its data has settled (or it never had any, long after its end)."""
        _, month_end = month_bounds(piece.params["year"], piece.params["month"])
        if msk_date(ctx.now) <= month_end:
            return
        since = parse_time((state.get("has_data") or {}).get(piece.label))
        ended = datetime.combine(month_end + timedelta(days=1), datetime.min.time(), tzinfo=ctx.now.tzinfo)
        settled = since is not None and ctx.now - max(since, ended) >= REPORT_SETTLE
        if settled or (since is None and ctx.now - ended >= NO_DATA_CLOSE):
            state["closed"] = sorted({*state.get("closed", []), piece.label})
            (state.get("has_data") or {}).pop(piece.label, None)
