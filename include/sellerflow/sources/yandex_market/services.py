"""Rows of the "united marketplace services" report («Отчёт по стоимости услуг»): what Market charges, per month.

Flow (official spec @ 1318e9b8, generateUnitedMarketplaceServicesReport / getReportInfo; docs
reference/reports/generateUnitedMarketplaceServicesReport; yandex-market-megamarket-1c.md A5):
``POST /v2/reports/united-marketplace-services/generate?format=JSON`` with ``{businessId, dateFrom, dateTo}``
(the period by service date, at most 3 months; never mixed with the act-month fields) → ``reportId``; poll
``GET /v2/reports/info/{reportId}`` until ``DONE`` (``file``, or ``subStatus: NO_DATA``) or ``FAILED``; the
file is a ZIP with one JSON array per sheet — ``placement`` (the commission for placement, ``totalAmount``),
``delivery`` (delivery to the buyer, ``servicePrice``), ``payment_accepting``, ``payment_transfer`` and some
thirty more (storage, boost, loyalty…). Every sheet's rows land as sent (camelCase keys), one raw record per
row in ``raw.yandex_market_service_rows``, with the business, period and sheet in the row's context. The report
covers the whole cabinet, so it is asked once per account (cabinet) and month, not per campaign.

Row identity: rows have no id. What is stable when the same month is generated again is *which service of
which order and SKU happened when*; what changes is the act date (empty until the month's act is formed), the
amounts (tariff corrections) and the business columns (store names, contract numbers). So the natural key is
``<yyyy-mm>:<sheet>:<orderId>:<shopSku>:<digest>:<n>``, where ``digest`` is a short hash of the store
(``partnerId``), service (``serviceName``), service time (``serviceDateTime``, or ``serviceDate`` in the daily
sheets), record type (``recordType``: accrual or refund) and, for sheets without orders, their own request or
supply ids; ``n`` counts identical identities in the sheet in file order (a repeated row is a second charge the
reconciliation must see). A changed act date or amount is a new version of the same key. Fields a sheet does
not have are left empty in the identity.

A month is generated again every run (cadence: daily) until it is over and every row of it carries an act
date (``actDate``): then the act is formed and the month closes. A month that never had rows closes
``NO_DATA_CLOSE`` after its end; a report not ready after the polls, or failed, leaves its month open.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sellerflow.extract.stream import Page, RunContext, Slice, Stream
from sellerflow.extract.windows import months, rfc3339
from sellerflow.sources.yandex_market.client import YandexMarketClient
from sellerflow.sources.yandex_market.common import FINANCE_READ, msk_date
from sellerflow.sources.yandex_market.reports import generate_and_wait, month_bounds, sheets_of

GENERATE = "/v2/reports/united-marketplace-services/generate"
NO_DATA_CLOSE = timedelta(days=60)
FIRST_MONTH = date(2023, 1, 1)
DATE_FIELDS = ("serviceDateTime", "serviceDate", "dateTime")  # the last one: the resale sheet's name
# Ids that tell apart the rows of sheets without orders (supplies, requests, ad campaigns, disposals...).
OTHER_IDS = (
    "marketDeliveryId",
    "warehouseDeliveryId",
    "marketRequestId",
    "ffReequestId",
    "wmsId",
    "utilizationRequestId",
    "securityPaymentId",
    "campaignId",
    "returnId",
    "reviewId",
    "boxExternalId",
    "warehouse",
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def identity(row: dict[str, Any]) -> tuple[str, str, str]:
    """(order, SKU, digest of the rest of the identity) of one service row."""
    order = _text(row.get("orderId", row.get("orderNumber")))
    sku = _text(row.get("shopSku", row.get("sku")))
    when = next((_text(row[f]) for f in DATE_FIELDS if row.get(f) not in (None, "")), "")
    rest = [
        _text(row.get("partnerId")),
        _text(row.get("serviceName", row.get("service"))),
        when,
        _text(row.get("recordType", row.get("type"))),
        *(_text(row.get(f)) for f in OTHER_IDS),
    ]
    digest = hashlib.sha1("\x1f".join(rest).encode(), usedforsecurity=False).hexdigest()[:16]
    return order, sku, digest


def row_keys(rows: list[dict[str, Any]], prefix: str) -> Callable[[dict[str, Any]], str]:
    """A key function for one sheet's rows: ``<prefix>:<orderId>:<shopSku>:<digest>:<occurrence>``."""
    seen: Counter[tuple[str, str, str]] = Counter()
    keys: dict[int, str] = {}
    for row in rows:
        ident = identity(row)
        seen[ident] += 1
        keys[id(row)] = f"{prefix}:{':'.join(ident)}:{seen[ident]}"

    def key(row: dict[str, Any]) -> str:
        return keys[id(row)]

    return key


class YandexMarketServices(Stream):
    """Service rows (commission, delivery, payment fees...) of the cabinet per month of service."""

    name = "services"
    entity = "service_rows"
    key = "orderId"  # replaced per sheet by ``row_keys``
    cadence = timedelta(days=1)
    scopes: ClassVar[tuple[str, ...]] = FINANCE_READ

    def validate(self, record: dict[str, Any]) -> str | None:
        """A service row must say when the service was rendered."""
        if any(record.get(f) not in (None, "") for f in DATE_FIELDS):
            return None
        return "missing required field 'serviceDateTime'"

    def slices(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> list[Slice]:
        """Every month from the horizon to now that is not closed yet."""
        closed = set(state.get("closed", []))
        first = max(msk_date(ctx.now - ctx.horizon), FIRST_MONTH)
        return [
            Slice(label, "month", params={"year": year, "month": month})
            for year, month in months(first, msk_date(ctx.now))
            if (label := f"{year:04d}-{month:02d}") not in closed
        ]

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Generate the month's report (by service date), wait for it, and yield its rows sheet by sheet."""
        first, last = month_bounds(piece.params["year"], piece.params["month"])
        business = ctx.client.business_id()
        body = {
            "businessId": business,
            "dateFrom": first.isoformat(),
            "dateTo": min(last, msk_date(ctx.now)).isoformat(),
        }
        info = generate_and_wait(ctx, GENERATE, body, f"services {piece.label}")
        if info is None or info.get("status") != "DONE":
            return
        rows = without_act = 0
        if info.get("file"):
            archive = ctx.client.download(info["file"])
            for sheet, records in sheets_of(archive):
                rows += len(records)
                without_act += sum(1 for r in records if r.get("actDate") in (None, ""))
                context = {"businessId": business, "period": piece.label, "sheet": sheet}
                yield Page(records, key=row_keys(records, f"{piece.label}:{sheet}"), context=context)
        reads = state.setdefault("read", {})
        reads[piece.label] = {"at": rfc3339(ctx.now), "rows": rows, "without_act": without_act}

    def slice_done(self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]) -> None:
        """Close a month once it is over and read in this run with every row acted (or long empty)."""
        _, last = month_bounds(piece.params["year"], piece.params["month"])
        read = (state.get("read") or {}).get(piece.label)
        if msk_date(ctx.now) <= last or not read or read.get("at") != rfc3339(ctx.now):
            return
        ended = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=ctx.now.tzinfo)
        acted = read["rows"] > 0 and read["without_act"] == 0
        if acted or (read["rows"] == 0 and ctx.now - ended >= NO_DATA_CLOSE):
            state["closed"] = sorted({*state.get("closed", []), piece.label})
            state["read"].pop(piece.label, None)
