"""Document streams of one 1C base, incrementally: a Date window with overlap plus DataVersion comparison.

1C's OData has no "changed since" filter, and an edited or re-posted document keeps its ``Date``. So a cycle
(one slice of the stream):

1. lists the window's documents **key-only** (``$select=Ref_Key,DataVersion,Date,DeletionMark,Posted``, 5,000
   per request, ``$orderby=Date,Ref_Key`` so new documents append at the end) and checks the listing against
   ``$count``. The window starts at ``min(watermark − overlap, as_of − horizon)``; once every
   ``full_sweep_hours`` it has no start, so edits to old documents are caught too;
2. compares each ``DataVersion`` with the latest landed version of the document (read from the raw table,
   :mod:`.landed`) and fetches only the changed documents, whole (with their ``Товары`` rows), by ``Ref_Key``
   in batches — or pages the window whole when that takes fewer requests (the first load of a base);
3. records documents that vanished from a complete listing, after asking for them by key once more (a
   document re-dated before the window is changed, not deleted), in ``raw.onec_removals``;
4. moves the watermark (the stream's state in ``ops.sync_state``) to the latest ``Date`` seen, once the rows
   have landed (a crash before that only widens the next cycle's window).

Edits, re-posting, unposting (``Posted`` false) and deletion marks all change ``DataVersion``, so each lands as
a new version. Requests per cycle grow with the changes (and the window's size / 5,000), not with the history.
The streams and their raw tables are listed in :mod:`.streams`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sellerflow.extract.stream import Page, Slice
from sellerflow.extract.windows import parse_time
from sellerflow.sources.onec import odata
from sellerflow.sources.onec.client import OneCClient, Record
from sellerflow.sources.onec.context import OneCContext, OneCStream
from sellerflow.sources.onec.landed import REMOVALS, Landed, read_landed, removal

logger = logging.getLogger(__name__)

ORDER = ("Date", "Ref_Key")
INDEX_FIELDS = ("Ref_Key", "DataVersion", "Date", "DeletionMark", "Posted")
# (dates of the listed documents by Ref_Key, how many changed, whether the listing was complete)
Listed = tuple[dict[str, datetime | None], int, bool]


def _ref(record: Record) -> str:
    return str(record["Ref_Key"])


def doc_date(value: object, tz: tzinfo) -> datetime | None:
    """A document's ``Date`` (1C server-local time) as an aware datetime; None for an empty date."""
    if not value or str(value).startswith("0001-"):
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=tz)


class DocumentStream(OneCStream):
    """A document type read incrementally by Date window plus DataVersion comparison.

    ``entity`` is the raw table's suffix and the stream's name, ``resource`` the document's entity set.
    """

    def __init__(self, entity: str, resource: str) -> None:
        self.name = self.entity = entity
        self.key = "Ref_Key"
        self.resource = resource

    def slices(self, ctx: OneCContext, state: dict[str, Any]) -> list[Slice]:
        """One window: from ``min(watermark − overlap, now − horizon)``, or all history for a full sweep."""
        base = ctx.account
        swept = parse_time(state.get("last_full_sweep"))
        watermark = self.watermark(state)
        if watermark is None or swept is None or ctx.now - swept >= timedelta(hours=base.full_sweep_hours):
            return [Slice("all history (full sweep)", params={"sweep": True})]
        start = min(
            watermark - timedelta(minutes=base.document_overlap_minutes),
            ctx.now - timedelta(days=base.document_horizon_days),
        )
        return [Slice(f"Date from {start.isoformat()}", since=start, params={"sweep": False})]

    def pages(self, ctx: OneCContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The changed documents of the window, then the removals; notes the new watermark in ``state``."""
        base = ctx.account
        start = piece.since
        where = odata.ge("Date", start, base.tz) if start is not None else None
        landed = {
            ref: known
            for ref, known in read_landed(ctx.dsn, base.base_id, self.entity, dated=True).items()
            if start is None or (date := doc_date(known.date, base.tz)) is None or date >= start
        }
        self.ensure_table(ctx)
        cycle = _Cycle(self, ctx.client, ctx.organization_context(), landed)
        if any(known.present for known in landed.values()):
            dates, changed, complete = yield from cycle.incremental(where)
        else:
            dates, changed, complete = yield from cycle.first_load(where)
        removed = (yield from cycle.remove_gone(dates)) if complete else 0
        seen = [d for d in (*dates.values(), self.watermark(state)) if d is not None]
        state["watermark"] = max(seen).isoformat() if seen else None
        if piece.params["sweep"]:
            state["last_full_sweep"] = ctx.now.isoformat()
        notes = {
            "window_start": start.isoformat() if start else None,
            "listed": len(dates),
            "changed": changed,
            "removed": removed,
            "complete": complete,
        }
        logger.info("1C %s %s: %s", base.base_id, self.entity, notes)
        removals_context = {
            **cycle.context,
            "organization_key": None,
        }  # a removal's organization is not known
        yield Page([], related={REMOVALS: cycle.removals}, context=removals_context, notes=notes)

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The latest document ``Date`` landed."""
        return parse_time(state.get("watermark"))


@dataclass(eq=False)
class _Cycle:
    stream: DocumentStream
    client: OneCClient
    context: dict[str, Any]
    landed: dict[str, Landed]  # documents dated in the window (or undated)
    removals: list[Record] = field(default_factory=list)  # for raw.onec_removals: gone, or back

    def changed(self, record: Record) -> bool:
        known = self.landed.get(_ref(record))
        return known is None or not known.present or known.version != record.get("DataVersion")

    def record_context(self, record: Record) -> dict[str, Any]:
        return {**self.context, "organization_key": record.get("Организация_Key")}

    def page(self, records: Iterable[Record]) -> Page:
        """The changed ones of ``records`` (the loader skips any that equal their latest version)."""
        changed = []
        for record in records:
            if not self.changed(record):
                continue
            known = self.landed.get(_ref(record))
            if known is not None and not known.present:
                self.removals.append(removal(self.stream.entity, _ref(record), known.version, removed=False))
            changed.append(record)
        return Page(changed, context=self.record_context)

    def full_pages(self, where: odata.Filter | None) -> Iterator[list[Record]]:
        base = self.client.base
        return self.client.pages(
            self.stream.resource, _ref, order=ORDER, where=where, page_size=base.document_page_size
        )

    def fetch(self, refs: list[str]) -> Generator[Page, None, set[str]]:
        """The given documents, whole; returns the refs 1C still has."""
        found: set[str] = set()
        for page in self.client.by_refs(self.stream.resource, refs):
            found.update(_ref(record) for record in page)
            yield self.page(page)
        return found

    def first_load(self, where: odata.Filter | None) -> Generator[Page, None, Listed]:
        """Nothing known in the window: page the documents whole (the fewest requests for a first load)."""
        dates: dict[str, datetime | None] = {}
        changed = 0
        for page in self.full_pages(where):
            for record in page:
                dates[_ref(record)] = doc_date(record.get("Date"), self.client.base.tz)
                changed += self.changed(record)
            yield self.page(page)
        return dates, changed, self.client.count(self.stream.resource, where) == len(dates)

    def incremental(self, where: odata.Filter | None) -> Generator[Page, None, Listed]:
        """Key-only listing, then the changed documents by key (or the window whole if that is cheaper)."""
        base = self.client.base
        index, complete = self.client.list_complete(
            self.stream.resource,
            _ref,
            order=ORDER,
            where=where,
            fields=INDEX_FIELDS,
            page_size=base.index_page_size,
        )
        stale = [str(ref) for ref, record in index.items() if self.changed(record)]
        if math.ceil(len(stale) / base.refs_per_request) <= math.ceil(
            (len(index) + 1) / base.document_page_size
        ):
            yield from self.fetch(stale)
        else:
            for page in self.full_pages(where):
                yield self.page(page)
        dates = {str(ref): doc_date(record.get("Date"), base.tz) for ref, record in index.items()}
        return dates, len(stale), complete

    def remove_gone(self, listed: dict[str, datetime | None]) -> Generator[Page, None, int]:
        """Queue documents a complete listing no longer has (asking for them by key once more first)."""
        gone = [ref for ref, known in self.landed.items() if known.present and ref not in listed]
        still_there = yield from self.fetch(gone)
        removed = [ref for ref in gone if ref not in still_there]
        self.removals += [removal(self.stream.entity, ref, self.landed[ref].version) for ref in removed]
        return len(removed)
