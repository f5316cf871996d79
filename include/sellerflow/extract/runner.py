"""Run an account's streams: due check, slices, pages → raw loader, state after each slice, results.

For each stream that is due (its cadence has passed since its last run, by the run's own clock
``ctx.now``), the runner reads its state from ``ops.sync_state`` (the JSON ``cursor`` column holds the
stream's state, ``watermark`` a timestamp for monitoring), asks the stream for this run's slices, and lands
every page through ``load_records`` in batches — the stream's records, the derived entities and any
related records a page carries. After each slice has landed its state is stored, so a crash resumes after
the last finished slice and re-reads at most one slice (reruns add nothing: raw keeps versions by hash).

An authentication failure stops the account at once with a message naming the account and the fix (every
other call would fail the same way); any other marketplace API failure is collected, the remaining streams
still run, and the account then fails listing what broke. Other exceptions (1C's errors among them) propagate
at once.

Every source runs here: the marketplaces through :func:`sellerflow.extract.account.extract_account`, 1C
through :mod:`sellerflow.sources.onec.extract`; each stream run gives one :class:`StreamResult`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic

from sellerflow.extract.progress import Progress
from sellerflow.extract.stream import ContextT, Page, Stream, StreamContext
from sellerflow.extract.windows import parse_time, rfc3339
from sellerflow.quality.schema_drift import DriftMonitor
from sellerflow.sources._http import AuthError, MarketplaceAPIError
from sellerflow.warehouse.loader import LoadResult, load_records
from sellerflow.warehouse.records import ContextSpec, KeySpec
from sellerflow.warehouse.sync_state import get_sync_state, set_sync_state

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 5_000
DUE_TOLERANCE = timedelta(minutes=1)  # a 10-minute schedule firing a few seconds early is still due


class AccountExtractionError(RuntimeError):
    """An account's extraction failed; the message names the account, what failed and the fix.

    ``permanent`` failures (refused credentials, a misconfigured connection) need a person; retrying the
    task would only repeat them, so the DAG fails the task without retries.
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class StreamResult:
    """What one stream run did (XCom-safe: counts only)."""

    stream: str
    status: str  # "done", "not_due", "failed"
    slices: int = 0
    pages: int = 0
    records: int = 0
    new_versions: int = 0
    quarantined: int = 0
    api_calls: int = 0
    error: str | None = None
    details: dict[str, Any] = field(
        default_factory=dict
    )  # what the stream noted (Page.notes), e.g. 1C removals


# A page's context as a bucket key: a dict frozen to its JSON text, a function (of the record) as it is.
_Context = str | Callable[[dict[str, Any]], dict[str, Any] | None] | None


@dataclass
class _Buffer:
    """Records waiting to be loaded, per entity."""

    rows: dict[tuple[str, KeySpec | None, _Context], list[dict[str, Any]]] = field(default_factory=dict)
    size: int = 0

    def add(
        self,
        entity: str,
        records: Iterable[dict[str, Any]],
        key: KeySpec | None = None,
        context: ContextSpec = None,
    ) -> None:
        frozen = json.dumps(context, sort_keys=True, default=str) if isinstance(context, dict) else context
        bucket = self.rows.setdefault((entity, key, frozen), [])
        before = len(bucket)
        bucket.extend(records)
        self.size += len(bucket) - before


class StreamRunner(Generic[ContextT]):
    """Runs streams of one account against one warehouse."""

    def __init__(self, ctx: ContextT, batch_size: int = DEFAULT_BATCH) -> None:
        self.ctx = ctx
        self.batch_size = batch_size
        self.source = ctx.account.source
        self.account_id = ctx.account.account_id
        self.drift = DriftMonitor(self.source)  # records vs. their contracts: ops.schema_drift + a warning

    def run(self, streams: Sequence[Stream[ContextT]], force: bool = False) -> list[StreamResult]:
        """Run every due stream (all with ``force``); raise ``AccountExtractionError`` if any failed."""
        results: list[StreamResult] = []
        for stream in streams:
            try:
                results.append(self.run_stream(stream, force=force))
            except AuthError as exc:
                raise AccountExtractionError(self._auth_message(exc), permanent=True) from None
            except MarketplaceAPIError as exc:
                logger.error("%s/%s %s failed: %s", self.source, self.account_id, stream.name, exc)
                results.append(StreamResult(stream.name, "failed", error=str(exc)))
        failed = [r for r in results if r.status == "failed"]
        if failed:
            details = "; ".join(f"{r.stream}: {r.error}" for r in failed)
            raise AccountExtractionError(
                f"{self.source} account {self.account_id} (connection {self.ctx.account.conn_id}): "
                f"{len(failed)} of {len(results)} streams failed after retries — {details}. The other "
                "streams landed; the next run resumes from the stored state (ops.sync_state)."
            )
        return results

    def _auth_message(self, exc: AuthError) -> str:
        fix = getattr(self.ctx.client, "auth_fix", "replace the token in the Airflow connection")
        return (
            f"{self.source} account {self.account_id} (connection {self.ctx.account.conn_id}): the vendor "
            f"refused the credentials — {exc}. Fix: {fix}."
        )

    def _state(self, stream: Stream[ContextT]) -> dict[str, Any]:
        stored = get_sync_state(self.ctx.dsn, self.source, self.account_id, stream.name)
        return dict(stored.cursor) if stored and isinstance(stored.cursor, dict) else {}

    def _save(self, stream: Stream[ContextT], state: dict[str, Any]) -> None:
        set_sync_state(
            self.ctx.dsn, self.source, self.account_id, stream.name, stream.watermark(state), state
        )

    def is_due(self, stream: Stream[ContextT], state: dict[str, Any]) -> bool:
        """Whether the stream's cadence has passed since its last successful run (by the run clock)."""
        last = parse_time(state.get("last_run_at"))
        return last is None or self.ctx.now - last >= stream.cadence - DUE_TOLERANCE

    def run_stream(self, stream: Stream[ContextT], force: bool = False) -> StreamResult:
        """Run one stream if due; land its pages; store its state slice by slice."""
        state = self._state(stream)
        if not force and not self.is_due(stream, state):
            logger.info(
                "%s/%s %s: not due (last run %s, cadence %s)",
                self.source,
                self.account_id,
                stream.name,
                state.get("last_run_at"),
                stream.cadence,
            )
            return StreamResult(stream.name, "not_due")
        calls_before = self.ctx.client.stats.calls
        pieces = stream.slices(self.ctx, state)
        progress = Progress(
            f"{self.source}/{self.account_id} {stream.name}", len(pieces), self.ctx.client.stats
        )
        result = StreamResult(stream.name, "done", slices=len(pieces))
        for piece in pieces:
            progress.start_slice(piece.label)
            buffer = _Buffer()
            for page in stream.pages(self.ctx, piece, state):
                progress.page(len(page.records))
                result.details.update(page.notes)
                self._collect(stream, page, buffer)
                if buffer.size >= self.batch_size:
                    self._flush(stream, buffer, progress, result)
            self._flush(stream, buffer, progress, result)
            stream.slice_done(self.ctx, piece, state)
            self._save(stream, state)
            progress.end_slice()
        stream.finish(self.ctx, state)
        self.drift.warn(self.account_id, stream.name)
        state["last_run_at"] = rfc3339(self.ctx.now)
        self._save(stream, state)
        result.pages, result.records, result.new_versions = (
            progress.pages,
            progress.records,
            progress.new_versions,
        )
        result.api_calls = self.ctx.client.stats.calls - calls_before
        return result

    @staticmethod
    def _collect(stream: Stream[ContextT], page: Page, buffer: _Buffer) -> None:
        buffer.add(stream.entity, page.records, page.key, page.context)
        for derived in stream.derived:
            buffer.add(derived.entity, (d for r in page.records if (d := derived.transform(r)) is not None))
        for entity, records in page.related.items():
            buffer.add(entity, records, context=page.context)

    def _key_of(self, stream: Stream[ContextT], entity: str) -> KeySpec:
        if entity == stream.entity:
            return stream.key
        for derived in stream.derived:
            if derived.entity == entity:
                return derived.key
        return stream.related_keys[entity]

    def _flush(
        self, stream: Stream[ContextT], buffer: _Buffer, progress: Progress, result: StreamResult
    ) -> None:
        for (entity, key, context), records in buffer.rows.items():
            if not records:
                continue
            key_spec = key if key is not None else self._key_of(stream, entity)
            self.drift.observe(entity, records, key_spec)
            landed: LoadResult = load_records(
                self.ctx.dsn,
                self.source,
                entity,
                self.account_id,
                records,
                key_spec,
                self.ctx.run_id,
                validate=stream.validate if entity == stream.entity else None,
                context=json.loads(context) if isinstance(context, str) else context,
            )
            result.quarantined += landed.quarantined
            if entity == stream.entity:
                progress.landed(landed.inserted)
        self.drift.save(self.ctx.dsn, self.account_id, stream.name, self.ctx.run_id)
        buffer.rows.clear()
        buffer.size = 0


def summary(results: Sequence[StreamResult]) -> dict[str, Any]:
    """XCom-ready totals and per-stream counts (no payloads, no secrets)."""
    return {
        "streams": [asdict(r) for r in results],
        "new_versions": sum(r.new_versions for r in results),
        "records": sum(r.records for r in results),
    }


def account_summary(ctx: StreamContext, results: Sequence[StreamResult]) -> dict[str, Any]:
    """:func:`summary` plus the account and its client's calls, logged as one line (what an extract task returns)."""
    out = summary(results)
    stats = ctx.client.stats
    out.update(account_id=ctx.account.account_id, api_calls=stats.calls, retries=stats.retries)
    logger.info(
        "%s/%s: %d records, %d new versions, %d API calls (%d retries)",
        ctx.account.source,
        ctx.account.account_id,
        out["records"],
        out["new_versions"],
        out["api_calls"],
        out["retries"],
    )
    return out


def parse_state_time(state: dict[str, Any], key: str) -> datetime | None:
    """A timestamp stored in a stream state."""
    return parse_time(state.get(key))
