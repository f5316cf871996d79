"""Megamarket merchant API: the client and the entity streams (shipments with their status history, the
offers and prices shipments show, the monthly commission report rows)."""

from sellerflow.sources.megamarket.client import MegamarketClient
from sellerflow.sources.megamarket.streams import STREAMS, stream_names

__all__ = ["STREAMS", "MegamarketClient", "stream_names"]
