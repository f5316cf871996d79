"""Yandex Market Partner API: the client and the entity streams (API key scopes, campaigns, warehouses, offer
mappings, stock, prices, business orders with status history, goods-realization report rows)."""

from sellerflow.sources.yandex_market.client import YandexMarketClient
from sellerflow.sources.yandex_market.streams import STREAMS, stream_names

__all__ = ["STREAMS", "YandexMarketClient", "stream_names"]
