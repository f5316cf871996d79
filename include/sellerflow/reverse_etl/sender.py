"""The one drain loop every target uses: claim due items, send them in the vendor's batches, record results.

``drain(dsn, target)`` repeats: claim up to ``target.claim_size`` due items (``for update skip locked``, so
two senders never share an item), cut them into batches of ``target.max_batch`` (the vendor's maximum per
request), hand each batch to ``target.send`` and record one :class:`~.outbox.Outcome` per item:

- acknowledged → ``ops.outbox_acknowledged`` holds the new state;
- transient (timeouts, 5xx, 420/429) → ``failed`` with ``retry_at`` = the vendor's ``Retry-After`` if it gave
  one (the shared limiter is then paused for everyone: :meth:`Limiter.penalize`), else exponential back-off
  with jitter; after ``park_after`` failed attempts the item is parked with the last message (the vendor's rate
  limit — 429, 420, Ozon's TOO_MANY_REQUESTS — is waited out and never counts: a busy cabinet delays, it does
  not park);
- permanent (validation errors, 1C's "not enough stock") → ``parked`` with the vendor's message.

Requests go through the shared rate limiter of :mod:`sellerflow.sources.ratelimit` (the target calls
``ctx.acquire(group)`` before each request). In dry-run mode nothing is sent: each item is recorded as
``dry_run`` with what would have been sent (``target.preview``).

A crash between the vendor's answer and :func:`~.outbox.record` leaves the item ``sending``; once the lease
expires it is claimed again with ``recovered=True``, and the target must make the second attempt harmless —
an idempotency key where the vendor has one, a read-back where it has none.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

import psycopg

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.sources.ratelimit import Limiter, NullLimiter

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)
BACKOFF_INITIAL_S = 30.0
BACKOFF_MAX_S = 3600.0
PARK_AFTER = 10


@dataclass
class SendContext:
    """What a target may use while sending: the shared limiter, keyed by the target's vendor and account."""

    limiter: Limiter
    vendor: str

    def acquire(self, group: str, account: str) -> None:
        """Wait for the shared bucket of ``(vendor, group, account)``; call before every request."""
        self.limiter.acquire(self.vendor, group, account)
        self.limiter.release(self.vendor, group, account)


class Target(Protocol):
    """A place sellerflow writes to (see ``sellerflow.reverse_etl`` for how to add one)."""

    name: ClassVar[str]  # outbox target name, e.g. "onec_reservations"
    vendor: ClassVar[str]  # rate-limiter vendor, e.g. "onec", "ozon"
    # the dbt model with its desired state, e.g. "marts.sync_onec__reservations"; None: enqueued elsewhere
    sync_model: ClassVar[str | None]
    max_batch: ClassVar[int]  # items per vendor request (the vendor's batch maximum)
    claim_size: ClassVar[int]  # items claimed per round (a few batches)

    def send(self, items: Sequence[Item], ctx: SendContext) -> list[Outcome]:
        """Deliver one batch; one outcome per item, in order. Must not raise for one item's failure."""
        ...

    def preview(self, item: Item) -> Outcome:
        """What sending would do, without contacting the vendor: a ``dry_run`` (or ``permanent``) outcome."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass
class DrainResult:
    """What one drain did (XCom-safe: counts only)."""

    target: str
    dry_run: bool = False
    due: int = 0
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    parked: int = 0
    dry_runs: int = 0
    rounds: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for XCom and logs)."""
        return asdict(self)


def sender_id() -> str:
    """Who is sending: host and process (stored with claims and attempts)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, initial_s: float = BACKOFF_INITIAL_S, max_s: float = BACKOFF_MAX_S) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential with full jitter in its upper half."""
    ceiling = min(max_s, initial_s * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _send_batch(target: Target, batch: Sequence[Item], ctx: SendContext) -> list[Outcome]:
    try:
        outcomes = target.send(batch, ctx)
    except Exception as exc:  # a bug or an outage must not lose the claimed items
        logger.exception("%s: batch of %d failed", target.name, len(batch))
        return [Outcome.transient(f"{type(exc).__name__}: {exc}") for _ in batch]
    if len(outcomes) != len(batch):
        raise RuntimeError(f"{target.name}.send returned {len(outcomes)} outcomes for {len(batch)} items")
    return outcomes


def _batches(target: Target, items: Sequence[Item]) -> list[list[Item]]:
    """Batches of at most ``max_batch`` items; items of one ``target.batch_key`` (if it has one: the cabinet,
    the warehouse) are kept together, so each batch is one vendor request."""
    key = getattr(target, "batch_key", None)
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(key(item) if key else "", []).append(item)
    return [
        group[start : start + target.max_batch]
        for group in groups.values()
        for start in range(0, len(group), target.max_batch)
    ]


def drain(
    dsn: str,
    target: Target,
    *,
    dry_run: bool = False,
    limiter: Limiter | None = None,
    lease: timedelta = DEFAULT_LEASE,
    max_items: int | None = None,
    park_after: int = PARK_AFTER,
    backoff_initial_s: float = BACKOFF_INITIAL_S,
) -> DrainResult:
    """Send every due item of ``target`` (at most ``max_items``); return the counts."""
    me = sender_id()
    ctx = SendContext(limiter or NullLimiter(), target.vendor)
    result = DrainResult(target.name, dry_run)
    with psycopg.connect(dsn, autocommit=True, application_name=f"sellerflow-sender-{target.name}") as conn:
        result.due = outbox.count_due(conn, target.name, lease)
        done = 0
        while max_items is None or done < max_items:
            size = target.claim_size if max_items is None else min(target.claim_size, max_items - done)
            items = outbox.claim(conn, target.name, size, lease, me)
            if not items:
                break
            result.rounds += 1
            done += len(items)
            for batch in _batches(target, items):
                started = datetime.now(UTC)
                if dry_run:
                    outcomes = [target.preview(item) for item in batch]
                else:
                    outcomes = _send_batch(target, batch, ctx)
                    result.sent += sum(1 for o in outcomes if o.requests)
                for item, outcome in zip(batch, outcomes, strict=True):
                    _record(conn, item, outcome, started, me, park_after, backoff_initial_s, ctx, result)
    logger.info(
        "%s%s: %d due, %d sent, %d acknowledged, %d failed, %d parked%s",
        target.name,
        " (dry run)" if dry_run else "",
        result.due,
        result.sent,
        result.acknowledged,
        result.failed,
        result.parked,
        f", {result.dry_runs} recorded as dry run" if dry_run else "",
    )
    return result


def _record(
    conn: psycopg.Connection,
    item: Item,
    outcome: Outcome,
    started: datetime,
    me: str,
    park_after: int,
    backoff_initial_s: float,
    ctx: SendContext,
    result: DrainResult,
) -> None:
    retry_at = None
    if outcome.kind == "transient":
        wait = outcome.retry_after_s
        if wait is not None and not outcome.item_only:
            ctx.limiter.penalize(ctx.vendor, "default", item.account_id, wait)
        else:
            wait = backoff(item.attempts, backoff_initial_s)
        retry_at = datetime.now(UTC) + timedelta(seconds=wait)
    state = outbox.record(
        conn, item, outcome, started_at=started, sender=me, retry_at=retry_at, park_after=park_after
    )
    if state == "acknowledged":
        result.acknowledged += 1
    elif state == "failed":
        result.failed += 1
        logger.warning(
            "%s %s: attempt %d failed: %s", item.target, item.item_key, item.attempts, outcome.message
        )
    elif state == "parked":
        result.parked += 1
        logger.error("%s %s: parked: %s", item.target, item.item_key, outcome.message)
        if len(result.errors) < 20:
            result.errors.append(f"{item.item_key}: {outcome.message}"[:500])
    elif state == "dry_run":
        result.dry_runs += 1


def wait_until_due(dsn: str, target: str, timeout_s: float, poll_s: float = 0.5) -> None:
    """Block until some item of ``target`` is due (tests and the bench use it to step through retries)."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if outbox.count_due(conn, target, DEFAULT_LEASE):
                return
            time.sleep(poll_s)
