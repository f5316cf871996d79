"""Yandex Market snapshot streams: the API key's scopes, campaigns, warehouses, offers, stock and prices.

Methods (official spec @ 1318e9b8; yandex-market-megamarket-1c.md A1, A3, A4), each read whole per run:

- ``api_key``: ``POST /v2/auth/token`` (getAuthTokenInfo, 100/h) → ``result.apiKey {name, authScopes}``. The
  scopes are stored in ``ops.account_credentials`` (``scopes_source = 'vendor'``) and checked against what the
  other streams need, so a key without, say, ``finance-and-accounting`` fails the account at once naming the
  missing access instead of failing one method later. Api-Keys do not expire; the expiry monitored is the
  connection's ``token_expires_at``. OAuth tokens have no such method and skip the stream.
- ``campaigns``: ``GET /v2/campaigns`` (``limit`` ≤ 100, 1000/h).
- ``warehouses``: ``POST /v2/businesses/{businessId}/warehouses`` (getPagedWarehouses, ``limit`` ≤ 30, 100/h):
  the seller's own FBS/DBS warehouses.
- ``offer_mappings``: ``POST /v2/businesses/{businessId}/offer-mappings`` (``limit`` ≤ 100, 100/min): the
  offers with ``barcodes`` and ``mapping.marketSku``; key ``offer.offerId``.
- ``stocks``: ``POST /v2/campaigns/{campaignId}/offers/stocks`` per campaign (``limit`` ≤ 200): one record
  per (warehouse, offer) — the answer's ``warehouses[].offers[]`` items as sent, with the enclosing
  ``warehouseId`` and the campaign in the record's context; key ``<warehouseId>:<offerId>``.
- ``prices``: ``POST /v2/businesses/{businessId}/offer-prices`` (getDefaultPrices, ``limit`` ≤ 500).

getStocks and getDefaultPrices are quota'd in the items of their answers (100 000 and 5 000 products per minute):
their pages ask for :func:`item_budget` items, a ``limit`` the rate limiter's bucket can hold, and each page
spends its ``limit`` before it goes out (``YandexMarketClient.cost_for``), so a big catalogue is read at the
quota's pace without a 420.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any, ClassVar

import psycopg
from psycopg.types.json import Jsonb

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.sources._http import AuthError
from sellerflow.sources.yandex_market.client import YandexMarketClient, item_budget
from sellerflow.sources.yandex_market.common import (
    OFFERS_READ,
    PRICES_READ,
    READ_ANY,
    WAREHOUSES_READ,
    campaign_ids,
    paged,
    scope_name,
)


def record_vendor_scopes(dsn: str, account_id: str, conn_id: str, scopes: list[str]) -> None:
    """Store the scopes the vendor reports for the account's token (never the token)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            """
            insert into ops.account_credentials (source, account_id, conn_id, scopes, scopes_source, checked_at)
            values ('yandex_market', %s, %s, %s, 'vendor', now())
            on conflict (source, account_id) do update set scopes = excluded.scopes,
                scopes_source = 'vendor', checked_at = excluded.checked_at
            """,
            (account_id, conn_id, Jsonb(scopes)),
        )


class YandexMarketApiKey(Stream):
    """The API key's name and access groups; checks them against the streams' needs."""

    name = "api_key"
    entity = "api_keys"
    key = "name"
    cadence = timedelta(minutes=10)
    scopes: ClassVar[tuple[str, ...]] = READ_ANY

    def __init__(self, required: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.required = dict(required or {})

    def slices(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> list[Slice]:
        """One call, for Api-Key tokens only."""
        uses_api_key = getattr(ctx.client, "uses_api_key", True)
        return [Slice("token", "token")] if uses_api_key else []

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The key's info; fails the account when it cannot open a stream's methods."""
        data = ctx.client.request("POST", "/v2/auth/token")
        api_key = ((data or {}).get("result") or {}).get("apiKey") or {}
        scopes = sorted({scope_name(s) for s in api_key.get("authScopes") or [] if isinstance(s, str)})
        record_vendor_scopes(ctx.dsn, ctx.account.account_id, ctx.account.conn_id, scopes)
        missing = {
            stream: needed for stream, needed in self.required.items() if not set(needed) & set(scopes)
        }
        if missing:
            detail = "; ".join(f"{s} needs one of {', '.join(n[:3])}…" for s, n in sorted(missing.items()))
            raise AuthError(
                f"yandex_market account {ctx.account.account_id}: the API key {api_key.get('name')!r} has "
                f"access {scopes or 'none'}, not enough for: {detail}",
                vendor="yandex_market",
                account_id=ctx.account.account_id,
                status=403,
            )
        yield Page([api_key] if api_key.get("name") else [])


class _Listing(Stream):
    """A whole ``page_token`` listing per run (one slice)."""

    method: ClassVar[str] = "POST"
    items_field: ClassVar[str] = ""
    limit: ClassVar[int] = 100
    cadence = timedelta(days=1)
    scopes: ClassVar[tuple[str, ...]] = READ_ANY

    def path(self, ctx: RunContext[YandexMarketClient]) -> str:
        """The method's path for this account."""
        raise NotImplementedError

    def page_limit(self, ctx: RunContext[YandexMarketClient]) -> int:
        """The ``limit`` each page asks for."""
        return self.limit

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The listing page by page."""
        for items, _ in paged(ctx, self.method, self.path(ctx), self.items_field, self.page_limit(ctx)):
            yield Page(items)


def _business_path(template: str) -> Callable[[RunContext[YandexMarketClient]], str]:
    def path(ctx: RunContext[YandexMarketClient]) -> str:
        return template.format(business=ctx.client.business_id())

    return path


class YandexMarketCampaigns(_Listing):
    """The cabinet's campaigns (stores) with their placement model."""

    name = "campaigns"
    entity = "campaigns"
    key = "id"
    method = "GET"
    items_field = "campaigns"
    limit = 100

    def path(self, ctx: RunContext[YandexMarketClient]) -> str:
        """``GET /v2/campaigns``."""
        return "/v2/campaigns"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A campaign needs its id and cabinet."""
        return required_fields(record, ("id", "business.id"))


class YandexMarketWarehouses(_Listing):
    """The seller's own (FBS/DBS) warehouses."""

    name = "warehouses"
    entity = "warehouses"
    key = "id"
    items_field = "result.warehouses"
    limit = 30
    scopes = WAREHOUSES_READ

    def path(self, ctx: RunContext[YandexMarketClient]) -> str:
        """getPagedWarehouses."""
        return _business_path("/v2/businesses/{business}/warehouses")(ctx)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A warehouse needs its id and campaign."""
        return required_fields(record, ("id", "campaignId"))


class YandexMarketOfferMappings(_Listing):
    """Offers with barcodes and their Market SKU."""

    name = "offer_mappings"
    entity = "offer_mappings"
    key = "offer.offerId"
    items_field = "result.offerMappings"
    limit = 100
    scopes = OFFERS_READ

    def path(self, ctx: RunContext[YandexMarketClient]) -> str:
        """getOfferMappings."""
        return _business_path("/v2/businesses/{business}/offer-mappings")(ctx)

    def validate(self, record: dict[str, Any]) -> str | None:
        """An offer needs its SKU."""
        return required_fields(record, ("offer.offerId",))


class YandexMarketPrices(_Listing):
    """Cabinet-wide default prices."""

    name = "prices"
    entity = "prices"
    key = "offerId"
    cadence = timedelta(hours=1)
    items_field = "result.offers"
    limit = 500
    scopes = PRICES_READ

    def path(self, ctx: RunContext[YandexMarketClient]) -> str:
        """getDefaultPrices."""
        return _business_path("/v2/businesses/{business}/offer-prices")(ctx)

    def page_limit(self, ctx: RunContext[YandexMarketClient]) -> int:
        """As many offers as the ``prices`` bucket holds, at most 500: the quota counts the answer's offers."""
        return min(self.limit, item_budget(ctx.client.limiter, "prices"))

    def validate(self, record: dict[str, Any]) -> str | None:
        """A price row needs the offer and the value."""
        return required_fields(record, ("offerId", "price.value"))


@lru_cache(maxsize=4096)
def _stock_key(warehouse_id: int) -> Callable[[dict[str, Any]], str]:
    """One key function per warehouse, so records of one warehouse share a load batch."""

    def key(record: dict[str, Any]) -> str:
        return f"{warehouse_id}:{record['offerId']}"

    return key


def _warehouse_missing(record: dict[str, Any]) -> None:
    """Key of stock rows whose group had no ``warehouseId``: none, so the loader quarantines them."""
    return None


class YandexMarketStocks(Stream):
    """Stock per warehouse and offer, campaign by campaign."""

    name = "stocks"
    entity = "stocks"
    key = "offerId"  # replaced per warehouse by ``_stock_key``
    cadence = timedelta(hours=1)
    scopes: ClassVar[tuple[str, ...]] = OFFERS_READ
    limit = 200

    def validate(self, record: dict[str, Any]) -> str | None:
        """A stock row needs the offer and its stock list."""
        return required_fields(record, ("offerId", "stocks"))

    def slices(self, ctx: RunContext[YandexMarketClient], state: dict[str, Any]) -> list[Slice]:
        """One slice per campaign."""
        return [Slice(f"campaign {c}", "campaign", params={"campaign": c}) for c in campaign_ids(ctx)]

    def pages(
        self, ctx: RunContext[YandexMarketClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """getStocks pages, split by warehouse so each record keeps its warehouse in its key and context."""
        campaign = piece.params["campaign"]
        path = f"/v2/campaigns/{campaign}/offers/stocks"
        # The quota counts the answer's items: ask as many as the bucket holds.
        limit = min(self.limit, item_budget(ctx.client.limiter, "stocks"))
        for groups, _ in paged(ctx, "POST", path, "result.warehouses", limit):
            for group in groups:
                warehouse = group.get("warehouseId") if isinstance(group, dict) else None
                offers = list(group.get("offers") or []) if isinstance(group, dict) else []
                if warehouse is None:  # quarantined: a stock row means nothing without its warehouse
                    yield Page(offers, key=_warehouse_missing, context={"campaignId": campaign})
                    continue
                context = {"campaignId": campaign, "warehouseId": warehouse}
                yield Page(offers, key=_stock_key(int(warehouse)), context=context)
