"""Which 1C stream groups a run of extract_onec does: one DAG ticking every 5 minutes, three cadences.

Stock every 5 minutes (reverse-ETL publishes free stock), documents every 10 (reconciliation needs shipments
soon, a slow server cannot list them more often), catalogs and prices hourly (they change rarely and are the
biggest reads). A scheduled run does the groups whose cadence divides its 5-minute slot since midnight UTC;
a manual or Asset-triggered run does all of them. Deciding from the run's own time (not the wall clock)
keeps a delayed or re-run run doing the same work.
"""

from __future__ import annotations

from datetime import UTC, datetime

TICK_MINUTES = 5
CADENCE_MINUTES: dict[str, int] = {"stock": 5, "documents": 10, "catalogs": 60}


def due_groups(run_after: datetime, scheduled: bool) -> dict[str, bool]:
    """``{"stock": …, "documents": …, "catalogs": …}`` for a run at ``run_after``."""
    if run_after.tzinfo is not None:
        run_after = run_after.astimezone(UTC)
    slot = (run_after.hour * 60 + run_after.minute) // TICK_MINUTES * TICK_MINUTES
    return {group: (not scheduled) or slot % minutes == 0 for group, minutes in CADENCE_MINUTES.items()}
