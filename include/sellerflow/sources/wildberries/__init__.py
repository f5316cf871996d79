"""Wildberries seller APIs: the client and the entity streams (FBS tasks and their statuses, supplier orders and
sales of every scheme, cards, prices, warehouses, seller stocks, weekly realization report)."""

from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.wildberries.streams import STREAMS, raw_entities, stream_names
from sellerflow.sources.wildberries.token import TokenInfo, decode_token, token_details

__all__ = [
    "STREAMS",
    "TokenInfo",
    "WildberriesClient",
    "decode_token",
    "raw_entities",
    "stream_names",
    "token_details",
]
