"""Snapshot streams of one 1C base: catalogs, registers, prices (SliceLast) and stock (Balance).

Each is read whole (that is the only way 1C's OData offers: catalogs and registers have no change feed) and
handed to the raw loader as it is read; the loader lands only the rows that differ from their latest
version, so an unchanged catalog costs its reading requests and no rows, and a balance that goes 10 → 9 → 10
lands three versions. When a listing was complete (``$count`` matched; for a virtual table, its pages
stitched and its first record did not move), objects that were landed and are not in it any more are
recorded: a stock row that left the balance lands once more with zero resources, anything else as a
``raw.onec_removals`` row (and an object recorded as removed that is listed again, as one with ``removed``
false). What was landed comes from the raw tables (:mod:`sellerflow.pipelines.onec_state`). Raw tables are
described in :mod:`sellerflow.pipelines.onec_streams`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from sellerflow.pipelines.onec_state import REMOVALS, SOURCE, Landed, read_landed
from sellerflow.pipelines.onec_streams import SnapshotStream, removal
from sellerflow.sources.onec import OneCClient, OneCNotPublishedError, odata
from sellerflow.warehouse.loader import load_records
from sellerflow.warehouse.records import payload_hash

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


# How many times a listing that came out incomplete is read again before the stream reports it incomplete.
RELISTS = 2


def _complete(client: OneCClient, stream: SnapshotStream, listings: list[Any], seen: int) -> bool:
    """Whether the read was whole: ``$count`` for entity sets, the first-record check for virtual tables."""
    if stream.kind == "set":
        return client.count(stream.resource) == seen
    return all(getattr(listing, "verified", False) for listing in listings)


def _landed(conn: psycopg.Connection, base_id: str, stream: SnapshotStream) -> dict[str, Landed]:
    if not stream.zero_fields:
        return read_landed(conn, base_id, stream.entity, versioned=stream.versioned)

    def is_zero_row(key: str, digest: str) -> bool:
        return payload_hash(stream.zero_row(key)).hex() == digest

    return read_landed(conn, base_id, stream.entity, versioned=stream.versioned, gone=is_zero_row)


def land_snapshot(
    client: OneCClient,
    conn: psycopg.Connection,
    stream: SnapshotStream,
    run_id: str,
    observed_at: datetime,
    context: dict[str, Any],
) -> StreamResult:
    """Read one snapshot stream, land what changed since the last landing and record what vanished."""
    base_id = client.base.base_id
    landed = _landed(conn, base_id, stream)
    row_context = context if stream.versioned else {**context, "observed_at": observed_at.isoformat()}
    listings = _read(client, stream)
    pages: Iterator[list[dict[str, Any]]] = (page for listing in listings for page in listing)
    try:
        first = next(pages, [])
    except OneCNotPublishedError as exc:
        if not stream.optional:
            raise
        logger.info("1C %s: %s is not published, skipped (%s)", base_id, stream.resource, exc.detail)
        return StreamResult(stream.entity, skipped="not published in this base")
    seen: set[str] = set()
    returned: list[dict[str, Any]] = []

    def listed(pages: Iterable[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        for record in itertools.chain.from_iterable(pages):
            key = stream.natural_key(record)
            if key in seen:  # a page repeated while paging: its first reading stands
                continue
            seen.add(key)
            known = landed.get(key)
            if known is not None and not known.present and not stream.zero_fields:
                returned.append(removal(stream.entity, key, known.version, removed=False))
            yield record

    def land(records: Iterable[dict[str, Any]]) -> int:
        loaded = load_records(
            conn,
            SOURCE,
            stream.entity,
            base_id,
            records,
            stream.natural_key,
            run_id,
            stream.validate,
            context=row_context,
        )
        return loaded.inserted

    inserted = land(listed(itertools.chain([first], pages)))
    complete = _complete(client, stream, listings, len(seen))
    for attempt in range(RELISTS):
        if complete:
            break
        # Records slipped between pages that moved while they were read: list again (what landed already is
        # unchanged and lands nothing), so the read is whole and vanished records can be told apart.
        logger.warning(
            "1C %s %s: the listing was not whole; reading it again (%d)", base_id, stream.entity, attempt + 1
        )
        listings = _read(client, stream)
        inserted += land(listed(page for listing in listings for page in listing))
        complete = _complete(client, stream, listings, len(seen))
    gone = [key for key, known in landed.items() if known.present and key not in seen] if complete else []
    removals = [removal(stream.entity, key, landed[key].version) for key in gone]
    if stream.zero_fields:
        # A balance row that is gone is a zero balance: land it as such, in the same shape.
        inserted += land(stream.zero_row(key) for key in gone) if gone else 0
        removals = []
    if removals or returned:
        load_records(
            conn,
            SOURCE,
            REMOVALS,
            base_id,
            [*removals, *returned],
            "natural_key",
            run_id,
            context=row_context,
        )
    result = StreamResult(stream.entity, len(seen), inserted, len(removals), complete)
    logger.info("1C %s %s: %s", base_id, stream.entity, result)
    return result
