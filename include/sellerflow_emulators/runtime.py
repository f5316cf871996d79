"""What every vendor app gets at run time: the world database, the simulated clock,
the rate-limit engine and the fault injector.

Vendor apps are built as ``create_app(state: EmulatorState) -> fastapi.FastAPI`` and
decide themselves how a limit or a fault *looks* on their wire (WB 429 + X-Ratelimit-*
headers, YM 420 + X-RateLimit-Resource-*, MM success=0 inside HTTP 200, 1C odata.error);
this module only decides *whether* one applies.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from sellerflow_emulators.faults import Fault, FaultInjector
from sellerflow_emulators.limits import LimitDecision, RateLimiter
from sellerflow_emulators.store import connect

__all__ = [
    "EmulatorState",
    "Fault",
    "FaultInjector",
    "LimitDecision",
    "RateLimiter",
    "format_ts",
    "parse_ts",
]


def format_ts(moment: datetime) -> str:
    """Canonical store timestamp: ISO-8601 UTC with a Z, second precision."""
    # isoformat is several times faster than strftime, which matters for bulk generation.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def parse_ts(text: str) -> datetime:
    """Inverse of :func:`format_ts`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class EmulatorState:
    """Shared state handed to every vendor app (thread-safe enough for uvicorn's threadpool)."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self._local = threading.local()
        self.faults = FaultInjector(seed=self._seed())
        self.limits = RateLimiter()

    def conn(self) -> sqlite3.Connection:
        """A SQLite connection owned by the calling thread."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
        return conn

    def _seed(self) -> int:
        row = self.conn().execute("select value from meta where key = 'seed'").fetchone()
        return int(row["value"]) if row else 0

    def now(self) -> datetime:
        """The simulated clock (meta.clock); real UTC time when no scenario set one."""
        row = self.conn().execute("select value from meta where key = 'clock'").fetchone()
        return parse_ts(row["value"]) if row else datetime.now(UTC).replace(microsecond=0)
