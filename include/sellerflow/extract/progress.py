"""Progress lines a person can follow in the task log: pages, records, new versions, budget left, ETA.

One line per page and one per finished slice, e.g.::

    ozon/ozon_main postings_fbs slice 3/13 [2026-08-20T00:00Z..2026-08-27T00:00Z] page 4: +100 records
      (400 in slice, 2,400 in run), new versions so far 2,300, budget 41/45 calls, ETA 0:01:10

The ETA extrapolates the mean time of the finished slices over the remaining ones, which is what a
backfill of a 90-day horizon in 7-day slices needs; a one-slice incremental run shows no ETA.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sellerflow.sources._http import ClientStats

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    """Counters of one stream run and the log lines built from them."""

    label: str  # "ozon/ozon_main postings_fbs"
    slices_total: int
    stats: ClientStats
    slices_done: int = 0
    pages: int = 0
    records: int = 0
    slice_records: int = 0
    new_versions: int = 0
    started: float = field(default_factory=time.monotonic)
    _slice_label: str = ""

    def start_slice(self, label: str) -> None:
        """A slice begins."""
        self._slice_label, self.slice_records = label, 0

    def page(self, count: int) -> None:
        """A page of ``count`` records arrived."""
        self.pages += 1
        self.records += count
        self.slice_records += count
        logger.info(
            "%s slice %d/%d [%s] page %d: +%d records (%d in slice, %d in run), "
            "new versions so far %d, budget %s, ETA %s",
            self.label,
            self.slices_done + 1,
            self.slices_total,
            self._slice_label,
            self.pages,
            count,
            self.slice_records,
            self.records,
            self.new_versions,
            self.budget(),
            self.eta(),
        )

    def landed(self, inserted: int) -> None:
        """A flush to raw wrote ``inserted`` new versions."""
        self.new_versions += inserted

    def end_slice(self) -> None:
        """The slice has landed and its state is stored."""
        self.slices_done += 1
        logger.info(
            "%s slice %d/%d [%s] done: %d records; run so far %d pages, %d records, %d new versions, "
            "%d API calls (%d retries), ETA %s",
            self.label,
            self.slices_done,
            self.slices_total,
            self._slice_label,
            self.slice_records,
            self.pages,
            self.records,
            self.new_versions,
            self.stats.calls,
            self.stats.retries,
            self.eta(),
        )

    def budget(self) -> str:
        """Calls left in the shared bucket after the latest grant."""
        grant = self.stats.last_grant
        if grant is None or math.isinf(grant.capacity):
            return "unlimited"
        return f"{int(grant.tokens_left)}/{int(grant.capacity)} calls"

    def eta(self) -> str:
        """Remaining time of the run, from the mean duration of the finished slices."""
        remaining = self.slices_total - self.slices_done
        if remaining <= 0:
            return "0:00:00"
        if self.slices_done == 0:
            return "n/a"
        per_slice = (time.monotonic() - self.started) / self.slices_done
        return str(timedelta(seconds=round(per_slice * remaining)))
