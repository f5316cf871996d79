"""Megamarket shipments waiting for the merchant (``NEW``, ``CONFIRMED``): the reverse-ETL hot path's new orders.

``order/search`` with ``statuses`` and a creation window of the last ``WINDOW`` (yandex-market-megamarket-1c.md
B3 step 2), then ``order/get`` for those ids in batches (``walk.fetch``). They land in
``raw.megamarket_shipments_new``; later statuses (cancellation included) come from ``shipments`` and its
``shipment_statuses`` history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.sources.megamarket.client import ORDER_SERVICE, MegamarketClient
from sellerflow.sources.megamarket.walk import GET_BATCH, SEARCH_PAGE, fetch, msk

WAITING = ["NEW", "CONFIRMED"]
WINDOW = timedelta(days=14)


class MegamarketShipmentsNew(Stream):
    """New and confirmed shipments (a snapshot, every minute)."""

    name = "shipments_new"
    entity = "shipments_new"
    key = "shipmentId"
    cadence = timedelta(minutes=1)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A shipment needs its id, status, creation time and lots."""
        return required_fields(record, ("shipmentId", "status", "creationDate", "items"))

    def pages(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """Ids by status, then the shipments."""
        client = ctx.client
        assert isinstance(client, MegamarketClient)
        data = client.call(
            f"{ORDER_SERVICE}/order/search",
            {
                "dateFrom": msk(ctx.now - WINDOW),
                "dateTo": msk(ctx.now + timedelta(days=1)),
                "count": SEARCH_PAGE,
                "statuses": WAITING,
            },
        )
        ids = list(dict.fromkeys(str(i) for i in data.get("shipments") or []))
        for _, shipments in fetch(client, ids, GET_BATCH):
            yield Page(shipments)
