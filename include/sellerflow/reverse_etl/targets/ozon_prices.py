"""Ozon prices: ``POST /v1/product/import/prices`` with up to 1000 offers per request.

Desired state: ``marts.sync_ozon__prices`` (payload ``offer_id``, ``price``, ``problems``; one item per (cabinet,
offer_id)). Vendor facts (docs/vendors/ozon.md): prices are strings, ``offer_id`` identifies the product; the
answer is HTTP 200 with ``result[]`` per offer (``updated``, ``errors[{code, message}]``): a per-item error parks
that item with Ozon's message, the others are acknowledged; ≤ 1000 per request [?: community, UNCERTAIN in the
fact sheet; ``OZON_PRICE_BATCH``]; a product's price may change ≤ 10 times/hour [spec]. ``price`` is absolute and
Ozon has no idempotency key: a repeat after a crash sets the same price again (no second effect).
"""

from __future__ import annotations

import os
from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.ozon.client import OzonClient

PATH = "/v1/product/import/prices"


def price_text(value: object) -> str:
    """Ozon's string form of a price (``"1490"``, ``"1490.5"``)."""
    text = f"{float(str(value)):.2f}".rstrip("0").rstrip(".")
    return text or "0"


class OzonPrices(MarketplaceTarget):
    """The ``ozon_prices`` target."""

    name: ClassVar[str] = "ozon_prices"
    vendor: ClassVar[str] = "ozon"
    sync_model: ClassVar[str] = "marts.sync_ozon__prices"
    max_batch: ClassVar[int] = int(os.environ.get("OZON_PRICE_BATCH", "1000"))
    claim_size: ClassVar[int] = 5000
    client_class: ClassVar[type[ApiClient]] = OzonClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"{PATH} offer_id={item.payload['offer_id']} price={price_text(item.payload['price'])}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One request; per-offer outcomes from ``result[]``."""
        body = {
            "prices": [
                {"offer_id": str(i.payload["offer_id"]), "price": price_text(i.payload["price"])}
                for i in items
            ]
        }
        requests.append(f"POST {PATH} ({len(items)} offers)")
        answer = client.request("POST", PATH, json=body)
        results = {
            str(r.get("offer_id")): r for r in (answer or {}).get("result") or [] if isinstance(r, dict)
        }
        out = []
        for item in items:
            r = results.get(str(item.payload["offer_id"]))
            if r is None:
                out.append(Outcome.transient("Ozon's answer has no result for this offer", requests=requests))
            elif r.get("updated") and not r.get("errors"):
                out.append(Outcome.acknowledged(message=f"price {item.payload['price']}", requests=requests))
            else:
                errors = r.get("errors") or [{"code": "?", "message": "updated=false"}]
                text = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
                out.append(Outcome.permanent(text, vendor_code=str(errors[0].get("code")), requests=requests))
        return out
