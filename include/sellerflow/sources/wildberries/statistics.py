"""statistics-api streams: the supplier orders and sales feeds (every scheme, FBO included).

Methods (ozon-wildberries.md "WILDBERRIES" (a); WB OpenAPI 12-reports, 2026-07-22, parameter ``flag``):
``GET /api/v1/supplier/orders`` and ``GET /api/v1/supplier/sales`` with ``dateFrom`` (RFC 3339, Moscow time
when it has no zone) and ``flag=0``: every row whose ``lastChangeDate`` ≥ ``dateFrom``, "from 0 to about
80 000" rows per answer; the next ``dateFrom`` is the full ``lastChangeDate`` of the last row, and ``[]``
means everything is loaded. Data is kept 90 days. One row is one unit (one assembly task): orders are keyed
by ``srid`` (WB's advice), sales and returns by ``saleID`` (``S…``/``R…``). Limits: orders 1/min burst 10,
sales 1/min burst 1 — so calls are precious:

- the run starts at the ``lastChangeDate`` watermark minus the overlap (first run: the horizon, at most the
  90 days kept), and once a day a week back (``lookback_days``) for changes stamped in the past;
- a page ends the listing unless it is "full": the cap is approximate, so any page of at least
  ``FULL_PAGE`` rows is followed (the ``>=`` overlap repeats a few rows, which the loader dedups), and a
  smaller page is the end without the extra call for ``[]``;
- a page holding rows older than the ``dateFrom`` sent is not an answer to this request (a stale page
  served again): it is asked again rather than landed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import parse_time, rfc3339
from sellerflow.sources._http import ServerError
from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.wildberries.common import (
    RETENTION,
    advance,
    forget_observations,
    msk_text,
    observe,
    parse_msk,
)

FULL_PAGE = 40_000  # half the documented "about 80 000": a page this big may have been cut
STALE_RETRIES = 3
LOOKBACK = timedelta(days=7)
DEEP_EVERY = timedelta(days=1)


class _Feed(Stream):
    """One statistics feed paged by ``lastChangeDate``."""

    cadence = timedelta(minutes=10)
    path: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()

    def validate(self, record: dict[str, Any]) -> str | None:
        """The feed's required fields."""
        return required_fields(record, self.required)

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The ``lastChangeDate`` watermark (UTC)."""
        return parse_time(state.get("changed_wm"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """One slice from the watermark minus the overlap (or the horizon, within the 90 days kept).

        Once a day the slice reaches back ``lookback_days`` (default 7) instead: a change stamped with the
        time of the event (a delivery scanned offline) can turn up after the watermark passed it.
        """
        watermark = parse_time(state.get("changed_wm"))
        start = watermark - ctx.overlap if watermark else ctx.now - min(ctx.horizon, RETENTION)
        deep_at = parse_time(state.get("deep_at"))
        kind = "changed"
        if watermark is not None and (deep_at is None or ctx.now - deep_at >= DEEP_EVERY):
            lookback = timedelta(days=float(ctx.account.settings.get("lookback_days", LOOKBACK.days)))
            start, kind = min(start, ctx.now - lookback), "deep"
        start = start.replace(microsecond=0)  # dateFrom is sent to the second
        return [Slice(f"changed since {rfc3339(start)}", kind, since=start)]

    def _fetch(self, ctx: RunContext[WildberriesClient], since: datetime) -> list[dict[str, Any]]:
        """One answer for ``dateFrom = since``; a stale answer is asked again."""
        for _ in range(STALE_RETRIES):
            rows = ctx.client.get(self.path, {"dateFrom": msk_text(since), "flag": 0}, allow_empty=True) or []
            if not isinstance(rows, list):
                raise ServerError(
                    f"{self.path}: the answer is not a list",
                    vendor="wildberries",
                    account_id=ctx.account.account_id,
                )
            changed = [parse_msk(r.get("lastChangeDate")) for r in rows if isinstance(r, dict)]
            if all(moment is None or moment >= since for moment in changed):
                return rows
        raise ServerError(
            f"{self.path}: {STALE_RETRIES} answers in a row held rows changed before dateFrom",
            vendor="wildberries",
            account_id=ctx.account.account_id,
        )

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Pages until one is not full (or does not move ``lastChangeDate`` forward)."""
        assert piece.since is not None
        since = piece.since
        while True:
            rows = self._fetch(ctx, since)
            newest: datetime | None = None
            for row in rows:
                moment = parse_msk(row.get("lastChangeDate")) if isinstance(row, dict) else None
                quarantined = not isinstance(row, dict) or self.validate(row) is not None
                observe(state, moment, quarantined, since)
                newest = moment if moment is not None and (newest is None or moment > newest) else newest
            yield Page(rows)
            if len(rows) < FULL_PAGE or newest is None or newest <= since:
                return
            since = newest

    def slice_done(self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]) -> None:
        """Move the watermark to the newest change seen (held before a quarantined row)."""
        advance(state, "changed_wm", ctx.overlap)
        if piece.kind == "deep" or "deep_at" not in state:
            state["deep_at"] = rfc3339(ctx.now)

    def finish(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> None:
        """An empty feed starts its next run from now minus the overlap, not from the horizon again."""
        state.setdefault("changed_wm", rfc3339(ctx.now))
        forget_observations(state)


class WbOrders(_Feed):
    """Supplier orders of every scheme (``GET /api/v1/supplier/orders``), keyed by ``srid``."""

    name = "orders"
    entity = "orders"
    key = "srid"
    path = "/api/v1/supplier/orders"
    required = ("srid", "date", "lastChangeDate", "nmId", "warehouseType")


class WbSales(_Feed):
    """Sales and returns (``GET /api/v1/supplier/sales``), keyed by ``saleID``."""

    name = "sales"
    entity = "sales"
    key = "saleID"
    path = "/api/v1/supplier/sales"
    required = ("saleID", "srid", "date", "lastChangeDate", "nmId", "forPay")
