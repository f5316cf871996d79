"""Megamarket prices: ``offerService/manualPrice/save`` ``{prices: [{offerId, price, isDeleted: false}]}``.

Desired state: ``marts.sync_megamarket__prices`` (payload ``offer_id``, ``price`` in whole roubles, ``problems``;
one item per (cabinet, offerId)). Vendor facts (docs/vendors/megamarket.md): POST in the JSON envelope, price in
whole roubles, answer ``data {savedPrices, warnings[{offerId, message}]}``: an offer named in ``warnings`` was not
saved (parked with Megamarket's message), the others were [S7]. Megamarket publishes no batch maximum [?]:
``MEGAMARKET_PRICE_BATCH`` (default 300, as the stock batch). No idempotency key; a price is absolute (a repeat
after a crash has no second effect).
"""

from __future__ import annotations

import os
from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.megamarket.client import MegamarketClient

PATH = "/api/merchantIntegration/v1/offerService/manualPrice/save"


class MegamarketPrices(MarketplaceTarget):
    """The ``megamarket_prices`` target."""

    name: ClassVar[str] = "megamarket_prices"
    vendor: ClassVar[str] = "megamarket"
    sync_model: ClassVar[str] = "marts.sync_megamarket__prices"
    max_batch: ClassVar[int] = int(os.environ.get("MEGAMARKET_PRICE_BATCH", "300"))
    claim_size: ClassVar[int] = 3000
    client_class: ClassVar[type[ApiClient]] = MegamarketClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"manualPrice/save offerId={item.payload['offer_id']} price={int(item.payload['price'])}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One manualPrice/save; offers named in ``warnings`` are parked."""
        assert isinstance(client, MegamarketClient)
        requests.append(f"POST {PATH} ({len(items)} offers)")
        data = client.call(
            PATH,
            {
                "prices": [
                    {
                        "offerId": str(i.payload["offer_id"]),
                        "price": int(i.payload["price"]),
                        "isDeleted": False,
                    }
                    for i in items
                ]
            },
        )
        warned = {
            str(w.get("offerId")): str(w.get("message") or "not saved")
            for w in data.get("warnings") or []
            if isinstance(w, dict)
        }
        return [
            Outcome.permanent(
                f"Megamarket did not save the price: {warned[str(i.payload['offer_id'])]}", requests=requests
            )
            if str(i.payload["offer_id"]) in warned
            else Outcome.acknowledged(message=f"price {int(i.payload['price'])}", requests=requests)
            for i in items
        ]
