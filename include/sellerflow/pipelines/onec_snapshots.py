"""Snapshot streams of one 1C base: catalogs, registers, prices (SliceLast) and stock (Balance).

Each is read whole (that is the only way 1C's OData offers: catalogs and registers have no change feed) and
compared with ``ops.onec_object_state``; only new or changed objects are written, so an unchanged catalog
costs its reading requests and no rows. Comparing with the *last landed version* (not with every version ever
landed) keeps a balance that goes 10 → 9 → 10 as three versions. When a listing was complete (``$count``
matched; for a virtual table, its pages stitched and its first record did not move), objects that vanished
are recorded: a stock row that left the balance lands once more with zero resources, anything else as a
``raw.onec_removals`` row. Raw tables are described in :mod:`sellerflow.pipelines.onec_streams`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from sellerflow.pipelines.onec_state import Lander, StateRow, read_state
from sellerflow.pipelines.onec_streams import SnapshotStream, removal, with_context
from sellerflow.sources.onec import OneCClient, OneCNotPublishedError, odata

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamResult:
    """What one stream did: rows read from 1C, rows landed, objects recorded as gone."""

    entity: str
    read: int = 0
    landed: int = 0
    removed: int = 0
    complete: bool = True
    skipped: str | None = None


def _read(client: OneCClient, stream: SnapshotStream) -> list[Iterable[list[dict[str, Any]]]]:
    """The listings that make up the stream (one per price type when price types are configured)."""
    order = list(stream.key)
    if stream.kind == "balance":
        return [client.balance(stream.resource, order)]
    if stream.kind == "slice_last":
        if not client.base.price_types:
            return [client.slice_last(stream.resource, order)]
        return [
            client.slice_last(stream.resource, order, where=odata.eq("ВидЦены_Key", odata.Guid(price_type)))
            for price_type in client.base.price_types
        ]
    return [client.pages(stream.resource, stream.natural_key, order=order)]


def _complete(client: OneCClient, stream: SnapshotStream, listings: list[Any], seen: int) -> bool:
    """Whether the read was whole: ``$count`` for entity sets, the first-record check for virtual tables."""
    if stream.kind == "set":
        return client.count(stream.resource) == seen
    return all(getattr(listing, "verified", False) for listing in listings)


def land_snapshot(
    client: OneCClient,
    conn: psycopg.Connection,
    stream: SnapshotStream,
    run_id: str,
    observed_at: datetime,
    context: dict[str, Any],
) -> StreamResult:
    """Read one snapshot stream and land what changed since the last landing."""
    base_id = client.base.base_id
    state = read_state(conn, base_id, stream.entity)
    row_context = context if stream.versioned else {**context, "observed_at": observed_at.isoformat()}
    lander = Lander(conn, base_id, stream.entity, stream.natural_key, run_id, stream.validate)
    seen: set[str] = set()
    listings = _read(client, stream)
    try:
        for page in (page for listing in listings for page in listing):
            for record in page:
                key, version = stream.natural_key(record), stream.version(record)
                if key in seen:
                    continue
                seen.add(key)
                known = state.get(key)
                if known is None or not known.present or known.version != version:
                    lander.add(with_context(record, row_context), StateRow(key, version))
    except OneCNotPublishedError as exc:
        if not stream.optional:
            raise
        logger.info("1C %s: %s is not published, skipped (%s)", base_id, stream.resource, exc.detail)
        return StreamResult(stream.entity, skipped="not published in this base")
    complete = _complete(client, stream, listings, len(seen))
    if complete:
        for key, known in state.items():
            if known.present and key not in seen:
                _vanish(lander, stream, key, known.version, row_context)
    lander.flush()
    result = StreamResult(stream.entity, len(seen), lander.result.inserted, lander.removed, complete)
    logger.info("1C %s %s: %s", base_id, stream.entity, result)
    return result


def _vanish(lander: Lander, stream: SnapshotStream, key: str, version: str, context: dict[str, Any]) -> None:
    if stream.zero_fields:
        # A balance row that is gone is a zero balance: land it as such, in the same shape.
        row: dict[str, Any] = dict(zip(stream.key, key.split("|"), strict=True))
        row |= {name: 0 for name in stream.zero_fields}
        zero_version = stream.version(row)
        lander.add(with_context(row, context), StateRow(key, zero_version, present=False))
        return
    lander.remove(removal(stream.entity, key, version, context), StateRow(key, version, present=False))
