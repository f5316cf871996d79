"""Yandex Market orders in ``PROCESSING``: the reverse-ETL hot path's new orders.

``POST /v1/businesses/{businessId}/orders`` (getBusinessOrders; yandex-market-megamarket-1c.md A2) with
``statuses: ["PROCESSING"]`` and a creation window of the last ``MAX_DAYS`` days (the API's maximum per
request): FBS/DBS orders the seller must assemble (``STARTED``) or has packed (``READY_TO_SHIP``). They land
in ``raw.yandex_market_orders_processing``; later statuses (cancellation included) come from ``orders`` and
its ``order_statuses`` history. Quota: the ``orders`` group of the shared limiter (10,000/h).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.sources.yandex_market.client import YandexMarketClient
from sellerflow.sources.yandex_market.common import ORDERS_READ, msk_date, paged
from sellerflow.sources.yandex_market.orders import CLOCK_SKEW, MAX_DAYS, PAGE


class YandexMarketOrdersProcessing(Stream):
    """Orders in PROCESSING of every campaign of the cabinet (a snapshot, every minute)."""

    name = "orders_processing"
    entity = "orders_processing"
    key = "orderId"
    cadence = timedelta(minutes=1)
    scopes: ClassVar[tuple[str, ...]] = ORDERS_READ

    def validate(self, record: dict[str, Any]) -> str | None:
        """An order needs its id, campaign, status, creation date and items."""
        return required_fields(record, ("orderId", "campaignId", "status", "creationDate", "items"))

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The filtered business orders, page by page."""
        last = msk_date(ctx.now + CLOCK_SKEW)
        body = {
            "statuses": ["PROCESSING"],
            "dates": {
                "creationDateFrom": (last - timedelta(days=MAX_DAYS - 1)).isoformat(),
                "creationDateTo": last.isoformat(),
            },
        }
        path = f"/v1/businesses/{ctx.client.business_id()}/orders"
        for orders, _ in paged(ctx, "POST", path, "orders", PAGE, body):
            yield Page([o for o in orders if isinstance(o, dict)])
