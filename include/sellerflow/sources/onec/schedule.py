"""Which 1C stream groups a run of extract_onec does: one DAG ticking every 5 minutes, three cadences.

Stock every 5 minutes (reverse-ETL publishes free stock), documents every 10 (reconciliation needs shipments
soon, a slow server cannot list them more often), catalogs and prices hourly (they change rarely and are the
biggest reads). A scheduled run does the groups whose cadence divides its 5-minute slot since midnight UTC,
and a group that has not landed within its cadence (never yet — a new installation's first run —, or its slot
was missed: the DAG was paused, the run failed); a manual or Asset-triggered run does all of them. Deciding from
the run's own time keeps a delayed or re-run run doing its slot's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

TICK_MINUTES = 5
CADENCE_MINUTES: dict[str, int] = {"stock": 5, "documents": 10, "catalogs": 60}


# The raw table whose last successful load says when a group last landed.
GROUP_ENTITY: dict[str, str] = {"stock": "stock", "documents": "customer_orders", "catalogs": "products"}


def due_groups(
    run_after: datetime, scheduled: bool, last_landed: Mapping[str, datetime | None] | None = None
) -> dict[str, bool]:
    """``{"stock": …, "documents": …, "catalogs": …}`` for a run at ``run_after``; ``last_landed`` (by group,
    None when never) makes a scheduled run also do a group whose cadence passed since it last landed."""
    if run_after.tzinfo is not None:
        run_after = run_after.astimezone(UTC)
    slot = (run_after.hour * 60 + run_after.minute) // TICK_MINUTES * TICK_MINUTES

    def overdue(group: str, minutes: int) -> bool:
        if last_landed is None:
            return False
        landed = last_landed.get(group)
        if landed is None:
            return True
        if landed.tzinfo is not None:
            landed = landed.astimezone(UTC)
        return run_after - landed >= timedelta(minutes=minutes)

    return {
        group: (not scheduled) or slot % minutes == 0 or overdue(group, minutes)
        for group, minutes in CADENCE_MINUTES.items()
    }


def last_landed(dsn: str) -> dict[str, datetime | None]:
    """When each group last landed successfully in any 1C base (ops.load_runs), None when never."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=10) as conn:
        rows: dict[str, datetime] = dict(
            conn.execute(
                "select entity, max(finished_at) from ops.load_runs"
                " where source = 'onec' and status = 'succeeded' and entity = any(%s) group by entity",
                (list(GROUP_ENTITY.values()),),
            ).fetchall()
        )
    return {group: rows.get(entity) for group, entity in GROUP_ENTITY.items()}


def group_due(group: str, run_after: datetime, scheduled: bool, dsn: str) -> bool:
    """Whether a run at ``run_after`` does ``group``; a scheduled run asks the warehouse when groups last landed."""
    return due_groups(run_after, scheduled, last_landed(dsn) if scheduled else None)[group]
