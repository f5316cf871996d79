"""Documents of one 1C base, incrementally: a Date window with overlap plus DataVersion comparison.

1C's OData has no "changed since" filter, and an edited or re-posted document keeps its ``Date``. So a cycle:

1. lists the window's documents **key-only** (``$select=Ref_Key,DataVersion,Date,DeletionMark,Posted``, 5,000
   per request, ``$orderby=Date,Ref_Key`` so new documents append at the end) and checks the listing against
   ``$count``. The window starts at ``min(watermark − overlap, as_of − horizon)``; once every
   ``full_sweep_hours`` it has no start, so edits to old documents are caught too;
2. compares each ``DataVersion`` with the latest landed version of the document (read from the raw table,
   :mod:`sellerflow.pipelines.onec_state`) and fetches only the changed documents, whole (with their
   ``Товары`` rows), by ``Ref_Key`` in batches — or pages the window whole when that takes fewer requests
   (the first load of a base);
3. records documents that vanished from a complete listing, after asking for them by key once more (a
   document re-dated before the window is changed, not deleted), in ``raw.onec_removals``;
4. moves the watermark to the latest ``Date`` seen, once the rows have landed (a crash before that only
   widens the next cycle's window).

Edits, re-posting, unposting (``Posted`` false) and deletion marks all change ``DataVersion``, so each lands as
a new version. Requests per cycle grow with the changes (and the window's size / 5,000), not with the history.
Raw tables are described in :mod:`sellerflow.pipelines.onec_streams`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from sellerflow.pipelines.onec_state import REMOVALS, SOURCE, Landed, read_landed
from sellerflow.pipelines.onec_streams import DocumentStream, removal
from sellerflow.sources.onec import OneCClient, odata
from sellerflow.warehouse.loader import load_records
from sellerflow.warehouse.sync_state import get_sync_state, set_sync_state

logger = logging.getLogger(__name__)

ORDER = ("Date", "Ref_Key")


@dataclass(frozen=True)
class DocumentResult:
    """What one document stream did in a cycle."""

    entity: str
    window_start: str | None
    listed: int
    changed: int
    landed: int
    removed: int
    complete: bool


def _ref(record: dict[str, Any]) -> str:
    return str(record["Ref_Key"])


def doc_date(value: object, client: OneCClient) -> datetime | None:
    """A document's ``Date`` (1C server-local time) as an aware datetime; None for an empty date."""
    if not value or str(value).startswith("0001-"):
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=client.base.tz)


@dataclass
class _Cycle:
    client: OneCClient
    conn: psycopg.Connection
    stream: DocumentStream
    run_id: str
    context: dict[str, Any]
    landed: dict[str, Landed]  # documents dated in the window (or undated)
    inserted: int = 0
    removals: list[dict[str, Any]] = field(default_factory=list)  # for raw.onec_removals: gone, or back

    def changed(self, record: dict[str, Any]) -> bool:
        known = self.landed.get(_ref(record))
        return known is None or not known.present or known.version != record.get("DataVersion")

    def record_context(self, record: dict[str, Any]) -> dict[str, Any]:
        return {**self.context, "organization_key": record.get("Организация_Key")}

    def land(self, records: Iterable[dict[str, Any]]) -> None:
        """Land the changed ones of ``records`` (the loader skips any that equal their latest version)."""

        def changed() -> Iterator[dict[str, Any]]:
            for record in records:
                if not self.changed(record):
                    continue
                known = self.landed.get(_ref(record))
                if known is not None and not known.present:
                    self.removals.append(
                        removal(self.stream.entity, _ref(record), known.version, removed=False)
                    )
                yield record

        result = load_records(
            self.conn,
            SOURCE,
            self.stream.entity,
            self.client.base.base_id,
            changed(),
            "Ref_Key",
            self.run_id,
            context=self.record_context,
        )
        self.inserted += result.inserted

    def full_pages(self, where: odata.Filter | None) -> Iterator[list[dict[str, Any]]]:
        base = self.client.base
        return self.client.pages(
            self.stream.resource, _ref, order=ORDER, where=where, page_size=base.document_page_size
        )

    def fetch(self, refs: list[str]) -> set[str]:
        """Land the given documents whole; return the refs 1C still has."""
        found: set[str] = set()

        def fetched() -> Iterator[dict[str, Any]]:
            for page in self.client.by_refs(self.stream.resource, refs):
                for record in page:
                    found.add(_ref(record))
                    yield record

        if refs:
            self.land(fetched())
        return found

    def first_load(self, where: odata.Filter | None) -> tuple[dict[str, datetime | None], int, bool]:
        """Nothing known in the window: page the documents whole (the fewest requests for a first load)."""
        dates: dict[str, datetime | None] = {}
        changed = 0

        def listed() -> Iterator[dict[str, Any]]:
            nonlocal changed
            for page in self.full_pages(where):
                for record in page:
                    dates[_ref(record)] = doc_date(record.get("Date"), self.client)
                    changed += self.changed(record)
                    yield record

        self.land(listed())
        return dates, changed, self.client.count(self.stream.resource, where) == len(dates)

    def incremental(self, where: odata.Filter | None) -> tuple[dict[str, datetime | None], int, bool]:
        """Key-only listing, then the changed documents by key (or the window whole if that is cheaper)."""
        base = self.client.base
        index, complete = self.client.list_complete(
            self.stream.resource,
            _ref,
            order=ORDER,
            where=where,
            fields=DocumentStream.INDEX_FIELDS,
            page_size=base.index_page_size,
        )
        stale = [ref for ref, record in index.items() if self.changed(record)]
        if math.ceil(len(stale) / base.refs_per_request) <= math.ceil(
            (len(index) + 1) / base.document_page_size
        ):
            self.fetch(stale)
        else:
            self.land(record for page in self.full_pages(where) for record in page)
        dates = {ref: doc_date(record.get("Date"), self.client) for ref, record in index.items()}
        return dates, len(stale), complete

    def remove_gone(self, listed: dict[str, datetime | None]) -> int:
        """Queue documents a complete listing no longer has (asking for them by key once more first)."""
        gone = [ref for ref, known in self.landed.items() if known.present and ref not in listed]
        still_there = self.fetch(gone)
        removed = [ref for ref in gone if ref not in still_there]
        self.removals += [removal(self.stream.entity, ref, self.landed[ref].version) for ref in removed]
        return len(removed)

    def land_removals(self) -> None:
        """Land the queued ``raw.onec_removals`` records (the document's organization is not known)."""
        if self.removals:
            load_records(
                self.conn,
                SOURCE,
                REMOVALS,
                self.client.base.base_id,
                self.removals,
                "natural_key",
                self.run_id,
                context={**self.context, "organization_key": None},
            )


def _window(
    as_of: datetime, watermark: datetime | None, cursor: dict[str, Any], client: OneCClient
) -> tuple[datetime | None, bool]:
    """Where the listing starts (None = all history) and whether this cycle is a full sweep."""
    base = client.base
    last_sweep = cursor.get("last_full_sweep")
    swept = datetime.fromisoformat(last_sweep) if last_sweep else None
    if watermark is None or swept is None or as_of - swept >= timedelta(hours=base.full_sweep_hours):
        return None, True
    start = min(
        watermark - timedelta(minutes=base.document_overlap_minutes),
        as_of - timedelta(days=base.document_horizon_days),
    )
    return start, False


def land_documents(
    client: OneCClient,
    conn: psycopg.Connection,
    stream: DocumentStream,
    run_id: str,
    as_of: datetime,
    context: dict[str, Any],
) -> DocumentResult:
    """One incremental cycle of one document type; ``as_of`` is the run's reference time (tz-aware)."""
    base = client.base
    sync_stream = f"documents:{stream.entity}"
    sync = get_sync_state(conn, SOURCE, base.base_id, sync_stream)
    cursor = dict(sync.cursor or {}) if sync else {}
    start, sweep = _window(as_of, sync.watermark if sync else None, cursor, client)
    where = odata.ge("Date", start, base.tz) if start is not None else None
    landed = {
        ref: known
        for ref, known in read_landed(conn, base.base_id, stream.entity, dated=True).items()
        if start is None or (date := doc_date(known.date, client)) is None or date >= start
    }
    cycle = _Cycle(client, conn, stream, run_id, context, landed)
    if any(known.present for known in landed.values()):
        dates, changed, complete = cycle.incremental(where)
    else:
        dates, changed, complete = cycle.first_load(where)
    removed = cycle.remove_gone(dates) if complete else 0
    cycle.land_removals()
    seen_dates = [d for d in dates.values() if d is not None]
    if sync is not None and sync.watermark is not None:
        seen_dates.append(sync.watermark)
    watermark = max(seen_dates, default=None)
    if sweep:
        cursor["last_full_sweep"] = as_of.isoformat()
    set_sync_state(conn, SOURCE, base.base_id, sync_stream, watermark, cursor)
    result = DocumentResult(
        stream.entity,
        start.isoformat() if start else None,
        len(dates),
        changed,
        cycle.inserted,
        removed,
        complete,
    )
    logger.info("1C %s %s: %s", base.base_id, stream.entity, result)
    return result
