"""When a transform run that Asset events started builds: after the extractions in flight have landed, and only
if something landed since the last successful build.

An extraction round lands its Assets one DAG after another; the first event starts a transform run, and every
later one queues the next run. Without a gate the round costs two builds: one over part of the round, one over the
rest. With it, the run first waits (up to ``SELLERFLOW_TRANSFORM_SETTLE_S`` seconds, default 120) until no extract
DAG has a queued or running run, so its build sees the whole round; the run the later events queued then finds
that nothing landed since this build started and skips its build in seconds.

Only asset-triggered runs are gated: a run started by hand (or by the demo) always builds, whatever landed. The
transform's views (reverse-ETL desired state, pick lists) read ops and raw live, so a skipped build leaves
nothing stale.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime

import psycopg

from sellerflow.orchestration.accounts import MARKETPLACES

log = logging.getLogger(__name__)

SETTLE_ENV = "SELLERFLOW_TRANSFORM_SETTLE_S"
DEFAULT_SETTLE_S = 120.0
POLL_S = 1.0  # five cheap state reads a second; a build starts at most this long after the round
ACTIVE_RUN_STATES = ["queued", "running"]


def extract_dag_ids() -> list[str]:
    """The DAGs whose landings schedule the transform: 1C's and each marketplace's extraction."""
    return ["extract_onec", *(f"extract_{marketplace}" for marketplace in MARKETPLACES)]


def settle_seconds() -> float:
    """The longest a run waits for extractions in flight (``SELLERFLOW_TRANSFORM_SETTLE_S``; 0 turns it off)."""
    raw = os.environ.get(SETTLE_ENV, str(DEFAULT_SETTLE_S))
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(
            f"{SETTLE_ENV}={raw!r}: expected a number of seconds, e.g. 120 (0 turns the wait off)"
        ) from None
    if seconds < 0:
        raise ValueError(f"{SETTLE_ENV}={raw!r}: expected 0 or more seconds")
    return seconds


def wait_for_extractions(
    active_runs: Callable[[str], int],
    dag_ids: Iterable[str],
    max_wait_s: float,
    poll_s: float = POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[], None] | None = None,
) -> float:
    """Wait until no DAG of ``dag_ids`` has an active run (``active_runs(dag_id)`` counts them) or ``max_wait_s``
    passed; returns the seconds waited. Says in the log which extractions it waits for. ``on_wait`` is called
    once, when it first finds an extraction in flight (work the build will need can start meanwhile)."""
    dag_ids = list(dag_ids)
    began = clock()
    while True:
        busy = [dag_id for dag_id in dag_ids if active_runs(dag_id) > 0]
        waited = clock() - began
        if busy and on_wait is not None:
            on_wait()
            on_wait = None
        if not busy:
            if waited:
                log.info("extractions landed after %.0f s: building over all of them", waited)
            return waited
        if waited >= max_wait_s:
            log.warning(
                "still extracting after %.0f s (%s): building now; their landings start the next run",
                waited, ", ".join(busy),
            )  # fmt: skip
            return waited
        log.info("waiting for %s to land (%.0f of %.0f s)", ", ".join(busy), waited, max_wait_s)
        sleep(min(poll_s, max_wait_s - waited))


def rows_landed_since(dsn: str, since: datetime) -> int:
    """How many raw rows loads finished (or still running) after ``since`` inserted (ops.load_runs), leaving out
    the new-order lists push_reservations lands every minute: only views read them (the reverse-ETL's desired
    state, the pick lists' demand), which need no build."""
    from sellerflow.reverse_etl.new_orders import NEW_ORDER_TABLES

    with psycopg.connect(dsn, connect_timeout=10) as conn:
        row = conn.execute(
            "select coalesce(sum(inserted), 0) from ops.load_runs"
            " where inserted > 0 and coalesce(finished_at, clock_timestamp()) > %s"
            " and (source, entity) not in (select * from unnest(%s::text[], %s::text[]))",
            (since, [source for source, _ in NEW_ORDER_TABLES], [entity for _, entity in NEW_ORDER_TABLES]),
        ).fetchone()
    return int(row[0]) if row else 0


def last_build_start(dsn: str) -> datetime | None:
    """When the last whole-project dbt build that succeeded started (ops.dbt_builds, the on-run-end hook
    record_build); None before the first one."""
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        row = conn.execute("select max(started_at) from ops.dbt_builds where succeeded").fetchone()
    return row[0] if row else None


def skip_reason(
    run_type: object,
    active_runs: Callable[[str], int],
    dsn: str,
    max_wait_s: float | None = None,
    on_wait: Callable[[], None] | None = None,
) -> str | None:
    """For a run that Asset events started: wait for the extractions in flight (``on_wait`` as in
    ``wait_for_extractions``), then say why its build can be skipped (no load finished since the last successful
    build started), or None to build. Other runs always build. ``run_type``: the task's ``dag_run.run_type`` (an
    enum whose ``str()`` is not its value) or a string."""
    if getattr(run_type, "value", run_type) != "asset_triggered":
        return None
    wait_for_extractions(
        active_runs,
        extract_dag_ids(),
        settle_seconds() if max_wait_s is None else max_wait_s,
        on_wait=on_wait,
    )
    since = last_build_start(dsn)
    if since is None:
        return None
    landed = rows_landed_since(dsn, since)
    if landed:
        log.info("%s raw rows landed since the last successful build started (%s)", landed, since)
        return None
    return (
        f"nothing landed since the last successful dbt build started ({since.isoformat()}): this run's build is "
        "skipped (its Asset events came from loads that build already read)"
    )
