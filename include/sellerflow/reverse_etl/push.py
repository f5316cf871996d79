"""One push cycle of a target: desired state (its sync model) → outbox → sender.

``push(dsn, target)`` reads the target's sync model (if it has one) (a dbt view returning only what differs from the last
acknowledged state), enqueues its rows (:func:`.outbox.enqueue`) and drains the outbox
(:func:`.sender.drain`). Everything it reports is counts: due, sent, acknowledged, failed, parked.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import Any

import psycopg

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.sender import Target, drain
from sellerflow.sources.ratelimit import Limiter

logger = logging.getLogger(__name__)


class SyncModelMissing(RuntimeError):
    """The target's sync model is not built in the warehouse yet."""


def enqueue_desired(dsn: str, target: Target, *, dry_run: bool = False) -> outbox.EnqueueResult:
    """Enqueue the rows of the target's sync model."""
    model = target.sync_model
    if model is None:
        raise SyncModelMissing(f"{target.name} has no sync model: another part of sellerflow enqueues it")
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = conn.execute("select to_regclass(%s) is not null", (model,)).fetchone()
        if not found or not found[0]:
            raise SyncModelMissing(
                f"{model} does not exist yet: run transform_dbt once (or `dbt run --select "
                f"{model.split('.')[-1]}`) to build it"
            )
        rows = outbox.desired_rows(conn, model)
        return outbox.enqueue(conn, target.name, rows, dry_run=dry_run)


def push(
    dsn: str, target: Target, *, dry_run: bool = False, limiter: Limiter | None = None, **drain_options: Any
) -> dict[str, Any]:
    """Enqueue then drain; the counts of both (XCom-safe). A target without a sync model (``sync_model`` None:
    another part of sellerflow enqueues it, e.g. ``onec_assembled`` by the TSD) is only drained."""
    started = time.monotonic()
    if getattr(target, "sync_model", None) is None:
        queued = outbox.EnqueueResult()
    else:
        queued = enqueue_desired(dsn, target, dry_run=dry_run)
    enqueue_s = time.monotonic() - started
    drained = drain(dsn, target, dry_run=dry_run, limiter=limiter, **drain_options)
    out = {"enqueued": asdict(queued), **drained.as_dict(), "enqueue_s": round(enqueue_s, 3)}
    out["drain_s"] = round(time.monotonic() - started - enqueue_s, 3)
    logger.info(
        "%s%s: %d new items (%d superseded); %d due, %d sent, %d acknowledged, %d failed, %d parked",
        target.name,
        " (dry run)" if dry_run else "",
        queued.new,
        queued.superseded,
        drained.due,
        drained.sent,
        drained.acknowledged,
        drained.failed,
        drained.parked,
    )
    return out
