"""content-api and discounts-prices-api streams: product cards (sizes, barcodes, chrtID) and prices.

Methods (ozon-wildberries.md "WILDBERRIES" (c); WB OpenAPI 02-items, 2026-07-22):

- ``products``: ``POST /content/v2/get/cards/list``, ``settings.cursor.limit`` ≤ 100; the answer's
  ``cursor {updatedAt, nmID}`` goes into the next request, and a page whose ``cursor.total`` is below the
  limit is the last. Cards are read in ascending ``updatedAt`` order, so a card edited while we page moves
  behind the cursor and is read again rather than skipped; the run's last cursor is kept and the next
  hourly run continues from it (only edited or new cards). Once a day the whole list is read again.
  A card is keyed by ``nmID``; its ``sizes[]`` carry ``chrtID`` and the barcodes (``skus``).
- ``prices``: ``GET /api/v2/list/goods/filter?limit≤1000&offset=`` → ``data.listGoods``, read whole every
  hour; a page shorter than the limit is the last one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import parse_time, rfc3339
from sellerflow.sources._http.paging import OffsetPaginator, iter_pages
from sellerflow.sources.wildberries.client import WildberriesClient

CARDS_PAGE = 100
PRICES_PAGE = 1000
FULL_RELIST = timedelta(days=1)


class WbProducts(Stream):
    """Product cards with sizes and barcodes (``POST /content/v2/get/cards/list``)."""

    name = "products"
    entity = "products"
    key = "nmID"
    cadence = timedelta(hours=1)
    path = "/content/v2/get/cards/list"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A card needs its nmID, vendor code and sizes."""
        return required_fields(record, ("nmID", "vendorCode", "sizes"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """From the stored cursor, or the whole list when there is none or the daily relisting is due."""
        full_at = parse_time(state.get("full_at"))
        cursor = state.get("cursor")
        if cursor and full_at is not None and ctx.now - full_at < FULL_RELIST:
            return [
                Slice(f"cards edited after {cursor.get('updatedAt')}", "edited", params={"cursor": cursor})
            ]
        return [Slice("all cards", "full")]

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Card pages, cursor by cursor, in ascending ``updatedAt``."""
        cursor: dict[str, Any] = dict(piece.params.get("cursor") or {})
        while True:
            body = {
                "settings": {
                    "sort": {"ascending": True},
                    "cursor": {"limit": CARDS_PAGE, **cursor},
                    "filter": {"withPhoto": -1},
                }
            }
            data = ctx.client.post(self.path, body)
            cards = list(data.get("cards") or [])
            answer = data.get("cursor") or {}
            yield Page(cards)
            if cards and answer.get("updatedAt") and answer.get("nmID") is not None:
                cursor = {"updatedAt": answer["updatedAt"], "nmID": answer["nmID"]}
                state["_cursor"] = cursor
            if int(answer.get("total") or 0) < CARDS_PAGE or not cards:
                return

    def slice_done(self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]) -> None:
        """Keep the last cursor; note a finished full listing."""
        if state.get("_cursor"):
            state["cursor"] = state.pop("_cursor")
        if piece.kind == "full":
            state["full_at"] = rfc3339(ctx.now)


class WbPrices(Stream):
    """Prices and discounts per card and size (``GET /api/v2/list/goods/filter``)."""

    name = "prices"
    entity = "prices"
    key = "nmID"
    cadence = timedelta(hours=1)
    path = "/api/v2/list/goods/filter"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A price row needs its nmID, sizes and discount."""
        return required_fields(record, ("nmID", "sizes", "discount"))

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Offset pages of 1000 goods."""
        paginator = OffsetPaginator("data.listGoods", PRICES_PAGE)
        fetch = lambda fields: ctx.client.get(self.path, {"limit": PRICES_PAGE, **fields})  # noqa: E731
        for goods, _ in iter_pages(fetch, paginator):
            yield Page(goods)
