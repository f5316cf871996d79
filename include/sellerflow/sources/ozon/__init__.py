"""Ozon Seller API: the client and the entity streams (postings FBS/FBO, statuses, catalog, stock, prices,
warehouses, realization report rows)."""

from sellerflow.sources.ozon.client import OzonClient
from sellerflow.sources.ozon.streams import STREAMS, stream_names

__all__ = ["STREAMS", "OzonClient", "stream_names"]
