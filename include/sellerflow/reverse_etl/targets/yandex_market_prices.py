"""Yandex Market prices: ``POST /v2/businesses/{businessId}/offer-prices/updates``, up to 500 offers per request.

Desired state: ``marts.sync_yandex_market__prices`` (payload ``offer_id``, ``price``, ``problems``; one item per
(cabinet, offerId)). Vendor facts (docs/vendors/yandex_market.md): body ``{"offers": [{"offerId", "price":
{"value", "currencyId": "RUR"}}]}``, ``offers`` 1–500 with unique ``offerId``, ``value`` > 0 [S1]; the price is the
business's (every campaign of the cabinet), answer ``{"status": "OK"}``; a 400 refuses the whole request (an
error naming one offer parks that offer, the others are sent again); 423 (the cabinet uses per-store prices, or a
price in quarantine) parks with YM's message; 420 waits for ``Retry-After``. The business is the connection's
extra ``business_id``. No idempotency key; ``value`` is absolute (a repeat after a crash has no second effect).

The quota counts **products**: 10 000 offers per minute per business (spec ``x-resource-limit-config.path:
req.offers``). One token of limiter group ``prices_update`` per offer, batches cut to the bucket
(:class:`~.yandex_market_stocks.ItemQuotaBatches`); the connection's ``rate_limits.prices_update`` overrides it.
"""

from __future__ import annotations

from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.targets.yandex_market_stocks import ItemQuotaBatches, YandexMarketStocks
from sellerflow.sources._http import ApiClient
from sellerflow.sources.yandex_market.client import YandexMarketClient


class YandexMarketPrices(ItemQuotaBatches):
    """The ``yandex_market_prices`` target."""

    name: ClassVar[str] = "yandex_market_prices"
    vendor: ClassVar[str] = "yandex_market"
    sync_model: ClassVar[str] = "marts.sync_yandex_market__prices"
    max_batch: ClassVar[int] = 500
    claim_size: ClassVar[int] = 3000
    client_class: ClassVar[type[ApiClient]] = YandexMarketClient
    quota_group: ClassVar[str] = "prices_update"

    def _business(self, account_id: str, client: ApiClient) -> int:
        business = self._accounts(account_id).settings.get("business_id")
        if business:
            return int(business)
        assert isinstance(client, YandexMarketClient)
        return client.business_id()

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return (
            f"POST /v2/businesses/<business>/offer-prices/updates offerId={item.payload['offer_id']} "
            f"value={item.payload['price']}"
        )

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One request for the business."""
        path = f"/v2/businesses/{self._business(account_id, client)}/offer-prices/updates"
        body = {
            "offers": [
                {
                    "offerId": str(i.payload["offer_id"]),
                    "price": {"value": float(i.payload["price"]), "currencyId": "RUR"},
                }
                for i in items
            ]
        }
        requests.append(f"POST {path} ({len(items)} offers)")
        client.request("POST", path, json=body)
        return [Outcome.acknowledged(message=f"value {i.payload['price']}", requests=requests) for i in items]

    on_error = YandexMarketStocks.on_error  # a 400 naming some offers parks those, the rest are sent again
