"""Megamarket stock: ``offerService/stock/update`` ``{stocks: [{offerId, quantity}]}`` for the cabinet's warehouse.

Desired state: ``marts.sync_megamarket__stocks`` (payload ``offer_id``, ``stock``, ``problems``; one item per
(cabinet, offerId)). Vendor facts (docs/vendors/megamarket.md): POST with the JSON envelope ``{meta, data:
{token, stocks}}``, answer ``success: 1``; an unknown offer refuses the whole batch with an error naming the
offers (those items are parked, the others sent again). Megamarket publishes no batch maximum [?]: 300 per
request by default (``MEGAMARKET_STOCK_BATCH``, configurable) and no rate limit [?] (the limiter's assumption).
No idempotency key and no stock read: ``quantity`` is absolute, a repeat writes the same value (no second
effect).
"""

from __future__ import annotations

import os
from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.megamarket.client import MegamarketClient, MegamarketError

PATH = "/api/merchantIntegration/v1/offerService/stock/update"


class MegamarketStocks(MarketplaceTarget):
    """The ``megamarket_stocks`` target."""

    name: ClassVar[str] = "megamarket_stocks"
    vendor: ClassVar[str] = "megamarket"
    sync_model: ClassVar[str] = "marts.sync_megamarket__stocks"
    max_batch: ClassVar[int] = int(os.environ.get("MEGAMARKET_STOCK_BATCH", "300"))
    claim_size: ClassVar[int] = 3000
    client_class: ClassVar[type[ApiClient]] = MegamarketClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"stock/update offerId={item.payload['offer_id']} quantity={item.payload['stock']}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One stock/update."""
        assert isinstance(client, MegamarketClient)
        requests.append(f"POST {PATH} ({len(items)} offers)")
        client.call(
            PATH,
            {
                "stocks": [
                    {"offerId": str(i.payload["offer_id"]), "quantity": int(i.payload["stock"])}
                    for i in items
                ]
            },
        )
        return [
            Outcome.acknowledged(message=f"quantity {i.payload['stock']}", requests=requests) for i in items
        ]

    def on_error(
        self, exc: MarketplaceAPIError, items: list[Item], requests: list[str]
    ) -> list[Outcome] | None:
        """An error naming offers parks those; the rest were not applied and are sent again."""
        if not isinstance(exc, MegamarketError):
            return None
        text = " ".join(f"{e.get('message') or ''} {e.get('description') or ''}" for e in exc.errors)
        named = {i.id for i in items if str(i.payload["offer_id"]) in text.replace(",", " ").split()}
        if not named or len(named) == len(items):
            return None
        return [
            Outcome.permanent(str(exc), requests=requests)
            if i.id in named
            else Outcome.transient(
                "Megamarket refused the batch for other offers; sent again", requests=requests
            )
            for i in items
        ]
