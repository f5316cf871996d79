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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sellerflow.emulators.store import connect


def format_ts(moment: datetime) -> str:
    """Canonical store timestamp: ISO-8601 UTC with a Z, second precision."""
    # isoformat is several times faster than strftime, which matters for bulk generation.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def parse_ts(text: str) -> datetime:
    """Inverse of :func:`format_ts`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class LimitDecision:
    """Outcome of one rate-limit check for (vendor, method group, account)."""

    allowed: bool
    limit: int  # requests allowed per window
    remaining: int  # requests left in the current window after this one
    retry_after_s: float  # seconds until a retry can succeed (0 when allowed)
    reset_at: datetime  # when the window refills completely
    window_s: float  # window length in seconds


@dataclass(frozen=True)
class Fault:
    """A fault the injector chose for this request.

    kind is one of: ``server_error`` (5xx burst), ``slow`` (delay_s then answer),
    ``timeout`` (hang past any sane client timeout), ``empty_204`` (WB: 204 instead of an
    empty list), ``duplicate_page`` (serve the previous page again), ``shifted_page``
    (offset/cursor shifted by ``shift`` records), ``expired_token`` (401),
    ``schema_extra_field``, ``schema_renamed_field``, ``report_late`` (a due report is
    not yet published).
    """

    kind: str
    status: int = 500
    delay_s: float = 0.0
    shift: int = 0
    field: str | None = None


class EmulatorState:
    """Shared state handed to every vendor app (thread-safe enough for uvicorn's threadpool)."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self._local = threading.local()
        self.faults = FaultInjector()
        self.limits = RateLimiter()

    def conn(self) -> sqlite3.Connection:
        """A SQLite connection owned by the calling thread."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
        return conn

    def now(self) -> datetime:
        """The simulated clock (meta.clock); real UTC time when no scenario set one."""
        row = self.conn().execute("select value from meta where key = 'clock'").fetchone()
        return parse_ts(row["value"]) if row else datetime.now(UTC).replace(microsecond=0)


class FaultInjector:
    """Seeded, per-vendor fault schedule switchable through the admin endpoint.

    Placeholder until the core implementation lands: injects nothing.
    """

    def next(self, vendor: str, path: str) -> Fault | None:
        """The fault to apply to this request, or None."""
        return None


class RateLimiter:
    """Per (vendor, method group, account) windows with vendor-configured limits.

    Placeholder until the core implementation lands: allows everything.
    """

    def acquire(self, vendor: str, group: str, account: str) -> LimitDecision:
        """Count one request and say whether it is within the limit."""
        now = datetime.now(UTC)
        return LimitDecision(True, 1_000_000, 999_999, 0.0, now, 60.0)

    def release(self, vendor: str, group: str, account: str) -> None:
        """End of a request (for parallel-request caps such as YM's)."""
