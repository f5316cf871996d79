"""Documents of one 1C base, incrementally: a Date window with overlap plus DataVersion comparison.

1C's OData has no "changed since" filter, and an edited or re-posted document keeps its ``Date``. So a cycle:

1. lists the window's documents **key-only** (``$select=Ref_Key,DataVersion,Date,DeletionMark,Posted``, 5,000
   per request, ``$orderby=Date,Ref_Key`` so new documents append at the end) and checks the listing against
   ``$count``. The window starts at ``min(watermark − overlap, as_of − horizon)``; once every
   ``full_sweep_hours`` it has no start, so edits to old documents are caught too;
2. compares each ``DataVersion`` with ``ops.onec_object_state`` and fetches only the changed documents, whole
   (with their ``Товары`` rows), by ``Ref_Key`` in batches — or pages the window whole when that takes fewer
   requests (the first load of a base);
3. records documents that vanished from a complete listing, after asking for them by key once more (a
   document re-dated before the window is changed, not deleted), in ``raw.onec_removals``;
4. moves the watermark to the latest ``Date`` seen, in the same transaction as the last rows.

Edits, re-posting, unposting (``Posted`` false) and deletion marks all change ``DataVersion``, so each lands as
a new version. Requests per cycle grow with the changes (and the window's size / 5,000), not with the history.
Raw tables are described in :mod:`sellerflow.pipelines.onec_streams`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from sellerflow.pipelines.onec_state import SOURCE, Lander, ObjectState, StateRow, read_state
from sellerflow.pipelines.onec_streams import DocumentStream, removal, with_context
from sellerflow.sources.onec import OneCClient, odata
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


@dataclass
class _Cycle:
    client: OneCClient
    stream: DocumentStream
    lander: Lander
    context: dict[str, Any]
    state: dict[str, ObjectState]

    def doc_date(self, record: dict[str, Any]) -> datetime | None:
        raw = record.get("Date")
        if not raw or str(raw).startswith("0001-"):
            return None
        return datetime.fromisoformat(str(raw)).replace(tzinfo=self.client.base.tz)

    def changed(self, record: dict[str, Any]) -> bool:
        known = self.state.get(_ref(record))
        return known is None or not known.present or known.version != record.get("DataVersion")

    def land(self, record: dict[str, Any]) -> None:
        context = {**self.context, "organization_key": record.get("Организация_Key")}
        state = StateRow(_ref(record), str(record.get("DataVersion", "")), self.doc_date(record))
        self.lander.add(with_context(record, context), state)

    def full_pages(self, where: odata.Filter | None) -> Iterator[list[dict[str, Any]]]:
        base = self.client.base
        return self.client.pages(
            self.stream.resource, _ref, order=ORDER, where=where, page_size=base.document_page_size
        )

    def fetch(self, refs: Iterable[str]) -> set[str]:
        """Land the given documents whole; return the refs 1C still has."""
        found: set[str] = set()
        for page in self.client.by_refs(self.stream.resource, refs):
            for record in page:
                found.add(_ref(record))
                if self.changed(record):
                    self.land(record)
        return found

    def first_load(self, where: odata.Filter | None) -> tuple[dict[str, datetime | None], int, bool]:
        """Nothing known in the window: page the documents whole (the fewest requests for a first load)."""
        dates: dict[str, datetime | None] = {}
        changed = 0
        for page in self.full_pages(where):
            for record in page:
                dates[_ref(record)] = self.doc_date(record)
                if self.changed(record):
                    changed += 1
                    self.land(record)
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
            for page in self.full_pages(where):
                for record in page:
                    if self.changed(record):
                        self.land(record)
        return {ref: self.doc_date(record) for ref, record in index.items()}, len(stale), complete

    def remove_gone(self, listed: dict[str, datetime | None]) -> int:
        """Record documents a complete listing no longer has (asking for them by key once more first)."""
        gone = [ref for ref, known in self.state.items() if known.present and ref not in listed]
        if not gone:
            return 0
        still_there = self.fetch(gone)
        removed = 0
        for ref in gone:
            if ref in still_there:
                continue
            known = self.state[ref]
            payload = removal(
                self.stream.entity, ref, known.version, {**self.context, "organization_key": None}
            )
            self.lander.remove(payload, StateRow(ref, known.version, known.doc_date, present=False))
            removed += 1
        return removed


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
    state = read_state(conn, base.base_id, stream.entity, since=start)
    cycle = _Cycle(
        client, stream, Lander(conn, base.base_id, stream.entity, "Ref_Key", run_id), context, state
    )
    if any(known.present for known in state.values()):
        dates, changed, complete = cycle.incremental(where)
    else:
        dates, changed, complete = cycle.first_load(where)
    removed = cycle.remove_gone(dates) if complete else 0
    cycle.lander.flush()
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
        cycle.lander.result.inserted,
        removed,
        complete,
    )
    logger.info("1C %s %s: %s", base.base_id, stream.entity, result)
    return result
