"""The Yandex Market streams in run order (the api_key check first, campaigns before what needs them)."""

from __future__ import annotations

from sellerflow.extract.stream import Stream
from sellerflow.sources.yandex_market.catalog import (
    YandexMarketApiKey,
    YandexMarketCampaigns,
    YandexMarketOfferMappings,
    YandexMarketPrices,
    YandexMarketStocks,
    YandexMarketWarehouses,
)
from sellerflow.sources.yandex_market.orders import YandexMarketOrders
from sellerflow.sources.yandex_market.realization import YandexMarketRealization
from sellerflow.sources.yandex_market.services import YandexMarketServices

_DATA: tuple[Stream, ...] = (
    YandexMarketCampaigns(),
    YandexMarketWarehouses(),
    YandexMarketOfferMappings(),
    YandexMarketStocks(),
    YandexMarketPrices(),
    YandexMarketOrders(),
    YandexMarketRealization(),
    YandexMarketServices(),
)
STREAMS: tuple[Stream, ...] = (
    YandexMarketApiKey({s.name: getattr(s, "scopes", ()) for s in _DATA}),
    *_DATA,
)


def stream_names() -> list[str]:
    """Names of the Yandex Market streams, in run order."""
    return [s.name for s in STREAMS]
