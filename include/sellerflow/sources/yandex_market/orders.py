"""Yandex Market orders and their status history, from the business orders list.

Method (official spec @ 1318e9b8, operation getBusinessOrders; yandex-market-megamarket-1c.md A2):
``POST /v1/businesses/{businessId}/orders?page_token&limit`` (``limit`` ≤ 50, 10,000/h, 6 parallel) with
``dates.creationDateFrom/To`` (Moscow dates, at most 30 days per request — without them the API applies the
last 30 days), ``dates.updateDateFrom`` (ISO date-time) and ``orderIds`` (≤ 50, no date window then). It is
the replacement of the campaign method ``GET /v2/campaigns/{campaignId}/orders`` (deprecated, shut down on
2027-04-12), lists every campaign of the cabinet at once and answers ``BusinessOrderDTO`` with ISO dates.

- First run: the backfill horizon by creation date in windows of at most 30 days (``backfill_slice_days``).
- Later runs: one request window — created in the last 30 days *and* updated since the watermark minus the
  overlap: new orders and status changes. Then every order whose latest version in raw is still open (not
  delivered, cancelled or returned) is re-read by ``orderIds`` in batches of 50: the creation window does
  not reach orders older than 30 days, and Market stamps some changes with the time of the event (a
  hand-over or delivery scan), earlier than when the change became visible, so an update filter alone
  misses them. A return after delivery of an order older than 30 days is not seen here; it is in the
  realization report's ``returned`` sheet.
- The watermark is the largest ``updateDate`` seen (a vendor time, so a skewed local clock opens no gap). It
  stops just before the oldest order that was quarantined, so the next run reads that order again.
- ``order_statuses`` (derived): one version per (status, substatus) an order was seen in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from psycopg import sql

from sellerflow.extract.stream import Derived, Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import later, parse_time, rfc3339
from sellerflow.sources.yandex_market.client import YandexMarketClient
from sellerflow.sources.yandex_market.common import ORDERS_READ, latest_values, msk_date, paged

PAGE = 50
IDS_BATCH = 50
MAX_DAYS = 30  # creation window of one request, both ends included
CLOCK_SKEW = timedelta(days=1)  # the window reaches past "now": a vendor clock ahead of ours loses nothing
FINAL_STATUSES = ("DELIVERED", "CANCELLED", "RETURNED", "PARTIALLY_RETURNED")


def status_version(order: dict[str, Any]) -> dict[str, Any] | None:
    """The order's (status, substatus) as a status-history record."""
    if order.get("orderId") is None or not order.get("status"):
        return None
    return {
        "orderId": order["orderId"],
        "campaignId": order.get("campaignId"),
        "status": order["status"],
        "substatus": order.get("substatus"),
    }


def date_windows(first: date, last: date, days: int) -> list[tuple[date, date]]:
    """``[first, last]`` in inclusive windows of at most ``days`` days."""
    windows, start = [], first
    while start <= last:
        end = min(start + timedelta(days=days - 1), last)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


class YandexMarketOrders(Stream):
    """Orders of every campaign of the cabinet (``BusinessOrderDTO``)."""

    name = "orders"
    entity = "orders"
    key = "orderId"
    cadence = timedelta(minutes=10)
    derived = (Derived("order_statuses", "orderId", status_version),)
    scopes: ClassVar[tuple[str, ...]] = ORDERS_READ

    def validate(self, record: dict[str, Any]) -> str | None:
        """An order needs its id, campaign, status, creation date and items."""
        return required_fields(
            record, ("orderId", "campaignId", "status", "substatus", "creationDate", "items")
        )

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The update-time watermark."""
        return parse_time(state.get("changes_wm"))

    def slices(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> list[Slice]:
        """Creation-date windows over the horizon on the first run; then changes and open older orders."""
        last = msk_date(ctx.now + CLOCK_SKEW)
        watermark = parse_time(state.get("changes_wm"))
        if watermark is None:
            size = max(1, min(MAX_DAYS, ctx.backfill_slice.days or MAX_DAYS))
            return [
                Slice(f"created {a}..{b}", "created", params={"from": a.isoformat(), "to": b.isoformat()})
                for a, b in date_windows(msk_date(ctx.now - ctx.horizon), last, size)
            ]
        first = last - timedelta(days=MAX_DAYS - 1)
        since = watermark - ctx.overlap
        pieces = [
            Slice(
                f"updated since {rfc3339(since)}, created {first}..{last}",
                "changes",
                since=since,
                params={"from": first.isoformat(), "to": last.isoformat()},
            )
        ]
        still_open = self._open_ids(ctx)
        pieces += [
            Slice(f"open orders {n + 1}-{n + len(part)}", "open", params={"ids": part})
            for n in range(0, len(still_open), IDS_BATCH)
            if (part := still_open[n : n + IDS_BATCH])
        ]
        return pieces

    @staticmethod
    def _open_ids(ctx: RunContext[YandexMarketClient]) -> list[int]:
        """Ids of the orders whose latest version in raw is not in a final status."""
        rows = latest_values(ctx, "orders", sql.SQL("payload->>'orderId', payload->>'status'"))
        return sorted(
            int(order_id)
            for order_id, status in rows
            if status not in FINAL_STATUSES and order_id and order_id.isdigit()
        )

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """One filtered listing of the business orders."""
        body: dict[str, Any]
        if piece.kind == "open":
            body = {"orderIds": piece.params["ids"]}
        else:
            dates: dict[str, Any] = {
                "creationDateFrom": piece.params["from"],
                "creationDateTo": piece.params["to"],
            }
            if piece.kind == "changes" and piece.since is not None:
                dates["updateDateFrom"] = rfc3339(piece.since)
            body = {"dates": dates}
        path = f"/v1/businesses/{ctx.client.business_id()}/orders"
        for orders, _ in paged(ctx, "POST", path, "orders", PAGE, body):
            if piece.kind != "open":
                self._observe(orders, piece.since, state)
            yield Page(orders)

    def _observe(self, orders: list[dict[str, Any]], since: datetime | None, state: dict[str, Any]) -> None:
        """Note the newest update seen, and the oldest one of an order that will be quarantined."""
        for order in orders:
            if not isinstance(order, dict):
                continue
            moment = parse_time(order.get("updateDate")) or parse_time(order.get("creationDate"))
            if moment is not None:
                state["_seen"] = rfc3339(later(parse_time(state.get("_seen")), moment))
            bound = moment or since
            if self.validate(order) is not None and bound is not None:
                held = parse_time(state.get("_hold"))
                state["_hold"] = rfc3339(min(held, bound) if held else bound)

    def slice_done(self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]) -> None:
        """Move the watermark to the newest update seen, stopping before a quarantined order."""
        seen, held = parse_time(state.get("_seen")), parse_time(state.get("_hold"))
        if piece.kind == "open" or (seen is None and held is None):
            return
        moved = later(parse_time(state.get("changes_wm")), seen)
        if held is not None and (moved is None or moved >= held):
            moved = held - timedelta(seconds=1) + ctx.overlap  # next start = watermark - overlap
        if moved is not None:  # always: seen or held is a moment
            state["changes_wm"] = rfc3339(moved)

    def finish(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> None:
        """A cabinet without orders yet starts its next run from now, not from the horizon again."""
        state.setdefault("changes_wm", rfc3339(ctx.now))
        state.pop("_seen", None)
        state.pop("_hold", None)
