"""Yandex Market FBS/DBS stock: ``PUT /v2/campaigns/{campaignId}/offers/stocks``, up to 2000 SKUs per request.

Desired state: ``marts.sync_yandex_market__stocks`` (payload ``offer_id``, ``stock``, ``problems``; one item per
(campaign cabinet, offerId)). Vendor facts (docs/vendors/yandex_market.md): body ``{"skus": [{"sku": offerId,
"items": [{"count": n}]}]}``, ``skus`` 1–2000 with unique ``sku``, exactly one ``items`` entry, ``count``
0..2e9; the campaign's warehouse is implied (no warehouse id); answer ``{"status": "OK"}``; a 400 refuses the
whole request (its ``errors[]`` message names the offending SKU when it is one item's fault: that item is
parked, the others are sent again); 420 (quota) waits for ``Retry-After``.

The quota counts **products**, not requests: 100 000 SKUs per minute per campaign (spec
``x-resource-limit-config.path: req.skus``; docs updateStocks). The client spends one token of limiter group
``stocks_update`` per SKU (``YandexMarketClient.cost_for``), and :class:`ItemQuotaBatches` cuts each batch to
what the bucket can hold (:func:`item_budget`), so a large push is split and paced and never meets the 420.
The budget is the connection's ``rate_limits.stocks_update`` when given, else the documented one.

The campaign is the connection's extra ``campaign_id``. No idempotency key; ``count`` is absolute, so a repeat
after a crash writes the same value again (no second effect).
"""

from __future__ import annotations

from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.sender import SendContext
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.ratelimit import Limiter, resolve_limits
from sellerflow.sources.yandex_market.client import YandexMarketClient, item_budget


class ItemQuotaBatches(MarketplaceTarget):
    """A YM write whose quota counts products: each cabinet's client gets the limiter with that connection's
    ``rate_limits`` overrides, and a batch is cut to the products its group's bucket can hold."""

    quota_group: ClassVar[str]

    def _limiter(self, account_id: str, ctx: SendContext) -> Limiter:
        overrides = self._accounts(account_id).rate_limits
        with_limits = getattr(ctx.limiter, "with_limits", None)
        if not overrides or with_limits is None:
            return ctx.limiter
        return with_limits(self.vendor, resolve_limits(self.vendor, overrides))

    def _client(self, account_id: str, ctx: SendContext) -> ApiClient:
        if account_id not in self._clients:
            ctx = SendContext(self._limiter(account_id, ctx), ctx.vendor)
        return super()._client(account_id, ctx)

    def _send_part(self, items: list[Item], ctx: SendContext) -> list[Outcome]:
        size = item_budget(self._limiter(items[0].account_id, ctx), self.quota_group)
        outcomes: list[Outcome] = []
        for start in range(0, len(items), size):
            outcomes.extend(super()._send_part(items[start : start + size], ctx))
        return outcomes


class YandexMarketStocks(ItemQuotaBatches):
    """The ``yandex_market_stocks`` target."""

    name: ClassVar[str] = "yandex_market_stocks"
    vendor: ClassVar[str] = "yandex_market"
    sync_model: ClassVar[str] = "marts.sync_yandex_market__stocks"
    max_batch: ClassVar[int] = 2000
    claim_size: ClassVar[int] = 6000
    client_class: ClassVar[type[ApiClient]] = YandexMarketClient
    quota_group: ClassVar[str] = "stocks_update"

    def _campaign(self, account_id: str) -> int:
        settings = self._accounts(account_id).settings
        campaign = settings.get("campaign_id") or (settings.get("campaigns") or {}).get("fbs")
        if not campaign:
            raise MarketplaceAPIError(
                f"yandex_market account {account_id}: no campaign_id in the connection's extra",
                vendor=self.vendor,
                account_id=account_id,
            )
        return int(campaign)

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"PUT /v2/campaigns/<campaign>/offers/stocks sku={item.payload['offer_id']} count={item.payload['stock']}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One PUT for the campaign."""
        path = f"/v2/campaigns/{self._campaign(account_id)}/offers/stocks"
        body = {
            "skus": [
                {"sku": str(i.payload["offer_id"]), "items": [{"count": int(i.payload["stock"])}]}
                for i in items
            ]
        }
        requests.append(f"PUT {path} ({len(items)} skus)")
        client.request("PUT", path, json=body)
        return [Outcome.acknowledged(message=f"count {i.payload['stock']}", requests=requests) for i in items]

    def on_error(
        self, exc: MarketplaceAPIError, items: list[Item], requests: list[str]
    ) -> list[Outcome] | None:
        """A 400 naming some SKUs parks those; the rest were not applied and are sent again."""
        body = self.last_body
        if exc.status != 400 or not isinstance(body, dict):
            return None
        messages = [str(e.get("message") or "") for e in body.get("errors") or [] if isinstance(e, dict)]
        named = {i.id for i in items if any(f"'{i.payload['offer_id']}'" in m for m in messages)}
        if not named or len(named) == len(items):
            return None
        text = "; ".join(messages)[:500]
        return [
            Outcome.permanent(text, http_status=400, requests=requests)
            if i.id in named
            else Outcome.transient(
                "YM refused the request for other SKUs; sent again", http_status=400, requests=requests
            )
            for i in items
        ]
