"""What a stream is: a named (source, entity) with a key, a cadence, and how to slice and page it.

A vendor module describes each of its entities as a ``Stream`` (Meltano/dlt style: name, raw entity, natural
key, cadence): a subclass per entity, or one subclass configured per entity (1C's snapshot and document
streams). It implements ``pages`` (the vendor calls for one slice, one page at a time) and, unless one call
reads it all, ``slices`` (which windows this run must read, from the stored state: a backfill horizon cut into
slices on the first run, the watermark minus an overlap afterwards, open report periods). Everything else —
loading, derived entities, state, progress, due checks — is the runner's job (``sellerflow.extract.runner``),
so a new vendor adds streams and no loop.

A stream is generic in the context its vendor gives it: the marketplaces' :class:`RunContext` (an account and
its :class:`~sellerflow.sources._http.ApiClient`), 1C's ``OneCContext`` (a base and its OData client). The
runner needs of any context only what :class:`StreamContext` names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from typing_extensions import TypeVar as DefaultTypeVar  # typing.TypeVar takes a default from 3.13

from sellerflow.sources._http import ApiClient, ClientStats
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.warehouse.records import ContextSpec, KeySpec

DEFAULT_HORIZON = timedelta(days=90)
DEFAULT_OVERLAP = timedelta(hours=2)


class SourceAccount(Protocol):
    """What the runner reads of an account (a marketplace cabinet, a 1C base)."""

    @property
    def source(self) -> str:
        """``ozon``, ``onec``...: the raw tables' prefix."""

    @property
    def account_id(self) -> str:
        """What raw tables and ``ops`` key on."""

    @property
    def conn_id(self) -> str:
        """The Airflow connection it came from (named in error messages)."""


class SourceClient(Protocol):
    """What the runner reads of a vendor client: its call counters."""

    @property
    def stats(self) -> ClientStats:
        """Calls, retries and the rate limiter's latest grant."""


class StreamContext(Protocol):
    """What the runner needs of a run's context, whatever else the vendor's streams read in it."""

    @property
    def account(self) -> SourceAccount:
        """Whose data."""

    @property
    def client(self) -> SourceClient:
        """Through which client."""

    @property
    def dsn(self) -> str:
        """Into which warehouse."""

    @property
    def run_id(self) -> str:
        """The run that lands the records."""

    @property
    def now(self) -> datetime:
        """The run's clock (the upper bound of what it reads)."""


ContextT = TypeVar("ContextT", bound=StreamContext)
# the vendor's client class, so its streams call its own methods (``RunContext[WildberriesClient]``)
ClientT = DefaultTypeVar("ClientT", bound=ApiClient, default=ApiClient, covariant=True)


@dataclass(frozen=True)
class RunContext(Generic[ClientT]):
    """One account's extraction run: who, through which client, into which warehouse, up to when."""

    account: MarketplaceAccount
    client: ClientT
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
    # Stored beside the records and the related ones (not hashed): where they came from; a dict, or a function
    # of the record (see sellerflow.warehouse.loader.load_records).
    context: ContextSpec = None
    notes: dict[str, Any] = field(default_factory=dict)  # what the stream observed: the run's result details


@dataclass(frozen=True)
class Derived:
    """An entity computed from each record of the stream (e.g. status history from postings)."""

    entity: str
    key: KeySpec
    transform: Callable[[dict[str, Any]], dict[str, Any] | None]


class Stream(Generic[ContextT]):
    """Base class of a vendor stream; subclasses set the attributes and implement pages (and slices).

    ``name``, ``entity`` and ``key`` are set by the class or, for a class configured per entity, by the instance.
    """

    name: str = ""
    entity: str = ""
    key: KeySpec = ""
    cadence: ClassVar[timedelta] = timedelta(minutes=10)
    derived: ClassVar[tuple[Derived, ...]] = ()
    related_keys: ClassVar[dict[str, KeySpec]] = {}  # keys of entities a Page may carry in ``related``

    def validate(self, record: dict[str, Any]) -> str | None:
        """A reason to quarantine ``record`` (missing required field...), or None to land it."""
        return None

    def slices(self, ctx: ContextT, state: dict[str, Any]) -> list[Slice]:
        """The slices this run reads, given the stored state; by default one slice: the whole listing."""
        return [Slice("snapshot", "snapshot")]

    def pages(self, ctx: ContextT, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """Vendor pages of one slice; may note observations (max timestamps) in ``state``, which is stored
        once the slice has landed."""
        raise NotImplementedError

    def slice_done(self, ctx: ContextT, piece: Slice, state: dict[str, Any]) -> None:
        """Update ``state`` once the slice has landed (it is stored right after)."""

    def finish(self, ctx: ContextT, state: dict[str, Any]) -> None:
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
