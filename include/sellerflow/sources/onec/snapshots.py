"""Snapshot streams of one 1C base: catalogs, registers, prices (SliceLast) and stock (Balance).

Each is read whole (that is the only way 1C's OData offers: catalogs and registers have no change feed) in one
slice, its pages handed to the raw loader as they are read; the loader lands only the rows that differ from
their latest version, so an unchanged catalog costs its reading requests and no rows, and a balance that goes
10 → 9 → 10 lands three versions. When a listing was complete (``$count`` matched; for a virtual table, its
pages stitched and its first record did not move), objects that were landed and are not in it any more are
recorded: a stock row that left the balance lands once more with zero resources, anything else as a
``raw.onec_removals`` row (and an object recorded as removed that is listed again, as one with ``removed``
false). What was landed comes from the raw tables (:mod:`.landed`). The streams and their raw tables are
listed in :mod:`.streams`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sellerflow.extract.stream import Page, Slice
from sellerflow.sources.onec import odata
from sellerflow.sources.onec.client import OneCClient, Record
from sellerflow.sources.onec.context import OneCContext, OneCStream
from sellerflow.sources.onec.errors import OneCNotPublishedError
from sellerflow.sources.onec.landed import REMOVALS, Landed, read_landed, removal
from sellerflow.warehouse.records import Validator, payload_hash

logger = logging.getLogger(__name__)

# How many times a listing that came out incomplete is read again before the stream reports it incomplete.
RELISTS = 2


class SnapshotStream(OneCStream):
    """An object read whole every time; only what changed since the last landing is written.

    ``entity`` is the raw table's suffix and the stream's name, ``resource`` the entity set or register,
    ``fields`` the natural key's fields (joined with ``|``). ``kind``: an entity set, a register's ``Balance``
    or ``SliceLast``. ``versioned``: the object carries ``DataVersion``. ``optional``: skipped quietly when the
    base does not publish it. ``zero_fields``: a balance's resources, set to 0 when a row leaves the balance.
    ``validator``: a reason to quarantine a record, or None. ``organization``: records carry the organization
    resolved from the landed organizations (not so the organizations' own catalog, read before the others).
    """

    def __init__(
        self,
        entity: str,
        resource: str,
        fields: tuple[str, ...],
        *,
        kind: Literal["set", "balance", "slice_last"] = "set",
        versioned: bool = True,
        optional: bool = False,
        zero_fields: tuple[str, ...] = (),
        validator: Validator | None = None,
        organization: bool = True,
    ) -> None:
        self.name = self.entity = entity
        self.key = self.natural_key
        self.resource, self.fields, self.kind = resource, fields, kind
        self.versioned, self.optional, self.zero_fields = versioned, optional, zero_fields
        self.validator, self.organization = validator, organization

    def natural_key(self, record: Record) -> str:
        """The key fields joined with ``|``."""
        return "|".join(str(record.get(name, "")) for name in self.fields)

    def zero_row(self, natural_key: str) -> Record:
        """A balance row that left the balance, in the shape it lands in: its key fields, resources at 0."""
        row: Record = dict(zip(self.fields, natural_key.split("|"), strict=True))
        return row | {name: 0 for name in self.zero_fields}

    def validate(self, record: Record) -> str | None:
        """The configured validator's reason to quarantine ``record``, or None."""
        return None if self.validator is None else self.validator(record)

    def _read(self, client: OneCClient) -> list[Iterable[list[Record]]]:
        """The listings that make up the stream (one per price type when price types are configured)."""
        order = list(self.fields)
        if self.kind == "balance":
            return [client.balance(self.resource, order)]
        if self.kind == "slice_last":
            if not client.base.price_types:
                return [client.slice_last(self.resource, order)]
            return [
                client.slice_last(self.resource, order, where=odata.eq("ВидЦены_Key", odata.Guid(price_type)))
                for price_type in client.base.price_types
            ]
        return [client.pages(self.resource, self.natural_key, order=order)]

    def _complete(self, client: OneCClient, listings: list[Any], seen: int) -> bool:
        """Whether the read was whole: ``$count`` for entity sets, the first-record check for virtual tables."""
        if self.kind == "set":
            return client.count(self.resource) == seen
        return all(getattr(listing, "verified", False) for listing in listings)

    def _landed(self, ctx: OneCContext) -> dict[str, Landed]:
        base_id = ctx.account.base_id
        if not self.zero_fields:
            return read_landed(ctx.dsn, base_id, self.entity, versioned=self.versioned)

        def is_zero_row(key: str, digest: str) -> bool:
            return payload_hash(self.zero_row(key)).hex() == digest

        return read_landed(ctx.dsn, base_id, self.entity, versioned=self.versioned, gone=is_zero_row)

    def pages(self, ctx: OneCContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The listing's pages (each record once), relisted while incomplete; then what vanished."""
        client, base_id = ctx.client, ctx.account.base_id
        context = ctx.organization_context() if self.organization else ctx.account.context()
        if not self.versioned:
            context["observed_at"] = ctx.now.isoformat()
        reading = _Reading(self, self._landed(ctx), context)
        listings = self._read(client)
        pages = reading.pages(listings)
        try:
            first = next(pages, None)
        except OneCNotPublishedError as exc:
            if not self.optional:
                raise
            logger.info("1C %s: %s is not published, skipped (%s)", base_id, self.resource, exc.detail)
            yield Page([], notes={"skipped": "not published in this base"})
            return
        self.ensure_table(ctx)
        if first is not None:
            yield first
        yield from pages
        complete = self._complete(client, listings, len(reading.seen))
        for attempt in range(RELISTS):
            if complete:
                break
            # Records slipped between pages that moved while they were read: list again (what landed already is
            # unchanged and lands nothing), so the read is whole and vanished records can be told apart.
            logger.warning(
                "1C %s %s: the listing was not whole; reading it again (%d)",
                base_id,
                self.entity,
                attempt + 1,
            )
            listings = self._read(client)
            yield from reading.pages(listings)
            complete = self._complete(client, listings, len(reading.seen))
        yield reading.last_page(complete)


@dataclass(eq=False)
class _Reading:
    """One run's reading of a snapshot stream: the keys seen, and removed objects that are listed again."""

    stream: SnapshotStream
    landed: dict[str, Landed]
    context: dict[str, Any]
    seen: set[str] = field(default_factory=set)
    returned: list[Record] = field(default_factory=list)  # raw.onec_removals records with ``removed`` false

    def pages(self, listings: list[Iterable[list[Record]]]) -> Iterator[Page]:
        """The listings' pages, each record once (a page repeated while paging: its first reading stands)."""
        for page in (page for listing in listings for page in listing):
            yield Page([record for record in page if self._first_time(record)], context=self.context)

    def _first_time(self, record: Record) -> bool:
        key = self.stream.natural_key(record)
        if key in self.seen:
            return False
        self.seen.add(key)
        known = self.landed.get(key)
        if known is not None and not known.present and not self.stream.zero_fields:
            self.returned.append(removal(self.stream.entity, key, known.version, removed=False))
        return True

    def last_page(self, complete: bool) -> Page:
        """What vanished from a complete listing: zero rows of a balance, else ``raw.onec_removals`` records."""
        stream = self.stream
        gone = (
            [k for k, known in self.landed.items() if known.present and k not in self.seen]
            if complete
            else []
        )
        removals = [removal(stream.entity, key, self.landed[key].version) for key in gone]
        zero_rows = []
        if stream.zero_fields:
            # A balance row that is gone is a zero balance: land it as such, in the same shape.
            zero_rows, removals = [stream.zero_row(key) for key in gone], []
        notes = {"read": len(self.seen), "removed": len(removals), "complete": complete}
        logger.info("1C %s %s: %s", self.context["base"], stream.entity, notes)
        related = {REMOVALS: [*removals, *self.returned]}
        return Page(zero_rows, related=related, context=self.context, notes=notes)
