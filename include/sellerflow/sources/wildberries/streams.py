"""The Wildberries streams in run order (catalog first: stocks read the sizes the cards stream landed)."""

from __future__ import annotations

from sellerflow.extract.stream import Stream
from sellerflow.sources.wildberries.catalog import WbPrices, WbProducts
from sellerflow.sources.wildberries.finance import WbRealization
from sellerflow.sources.wildberries.marketplace import (
    WbOrdersFbs,
    WbOrdersFbsNew,
    WbOrderStatuses,
    WbStocks,
    WbWarehouses,
)
from sellerflow.sources.wildberries.seller import WbSellerInfo
from sellerflow.sources.wildberries.statistics import WbOrders, WbSales

STREAMS: tuple[Stream, ...] = (
    WbSellerInfo(),
    WbWarehouses(),
    WbProducts(),
    WbStocks(),
    WbPrices(),
    WbOrdersFbs(),
    WbOrdersFbsNew(),
    WbOrderStatuses(),
    WbOrders(),
    WbSales(),
    WbRealization(),
)


def stream_names() -> list[str]:
    """Names of the Wildberries streams, in run order."""
    return [s.name for s in STREAMS]


def raw_entities() -> tuple[str, ...]:
    """Every raw entity the streams land (``raw.wildberries_<entity>``)."""
    entities: list[str] = []
    for stream in STREAMS:
        for entity in (stream.entity, *(d.entity for d in stream.derived), *stream.related_keys):
            if entity not in entities:
                entities.append(entity)
    return tuple(entities)
