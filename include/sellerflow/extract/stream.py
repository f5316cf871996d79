"""What a stream is: a named (source, entity) with a key, a cadence, and how to slice and page it.

A vendor module describes each of its entities as a ``Stream`` subclass (Meltano/dlt style: name, raw
entity, natural key, cadence) and implements two things: ``slices`` (which windows this run must read, from
the stored state: a backfill horizon cut into slices on the first run, the watermark minus an overlap
afterwards, open report periods) and ``pages`` (the vendor calls for one slice, one page at a time).
Everything else — loading, derived entities, state, progress, due checks — is the runner's job
(``sellerflow.extract.runner``), so a new vendor adds streams and no loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sellerflow.sources._http import ApiClient
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.warehouse.records import KeySpec

DEFAULT_HORIZON = timedelta(days=90)
DEFAULT_OVERLAP = timedelta(hours=2)


@dataclass(frozen=True)
class RunContext:
    """One account's extraction run: who, through which client, into which warehouse, up to when."""

    account: MarketplaceAccount
    client: ApiClient
    dsn: str
    run_id: str
    now: datetime  # upper bound of this run (the DAG run's data interval end); never wall-clock inside
    horizon: timedelta = DEFAULT_HORIZON
    overlap: timedelta = DEFAULT_OVERLAP
    backfill_slice: timedelta = timedelta(days=30)  # ETA/resume granularity vs. one partial page per slice


@dataclass
class Slice:
    """One unit of work of a stream run, landed and checkpointed as a whole."""

    label: str
    kind: str = "window"
    since: datetime | None = None
    until: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """Records of one vendor page for the stream's entity, plus records for related entities."""

    records: list[dict[str, Any]]
    related: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    key: KeySpec | None = None  # overrides the stream's key for these records (e.g. one report's rows)
    context: dict[str, Any] | None = None  # stored beside the records (not hashed): where they came from


@dataclass(frozen=True)
class Derived:
    """An entity computed from each record of the stream (e.g. status history from postings)."""

    entity: str
    key: KeySpec
    transform: Callable[[dict[str, Any]], dict[str, Any] | None]


class Stream:
    """Base class of a vendor stream; subclasses set the class attributes and implement slices/pages."""

    name: ClassVar[str] = ""
    entity: ClassVar[str] = ""
    key: ClassVar[KeySpec] = ""
    cadence: ClassVar[timedelta] = timedelta(minutes=10)
    derived: ClassVar[tuple[Derived, ...]] = ()
    related_keys: ClassVar[dict[str, KeySpec]] = {}  # keys of entities a Page may carry in ``related``

    def validate(self, record: dict[str, Any]) -> str | None:
        """A reason to quarantine ``record`` (missing required field...), or None to land it."""
        return None

    def slices(self, ctx: RunContext, state: dict[str, Any]) -> list[Slice]:
        """The slices this run reads, given the stored state."""
        raise NotImplementedError

    def pages(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """Vendor pages of one slice; may note observations (max timestamps) in ``state``."""
        raise NotImplementedError

    def slice_done(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> None:
        """Update ``state`` once the slice has landed (it is stored right after)."""

    def finish(self, ctx: RunContext, state: dict[str, Any]) -> None:
        """Update ``state`` at the end of a successful run."""

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The timestamp shown as the stream's watermark in ``ops.sync_state``."""
        return None


def required_fields(record: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    """``missing required field 'a.b'`` for the first dotted path absent or null in ``record``."""
    for path in paths:
        value: Any = record
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return f"missing required field {path!r}"
    return None
