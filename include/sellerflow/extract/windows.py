"""Time windows: cutting a period into vendor-sized slices, overlap, and the timestamp forms vendors use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import overload


@dataclass(frozen=True)
class Window:
    """A half-open period ``[start, end)`` (vendors that take inclusive bounds get ``end`` as is)."""

    start: datetime
    end: datetime

    def label(self) -> str:
        """``2026-08-20T00:00Z..2026-08-27T00:00Z`` for logs."""
        return f"{self.start:%Y-%m-%dT%H:%MZ}..{self.end:%Y-%m-%dT%H:%MZ}"


def split(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """``[start, end)`` in consecutive windows of at most ``size`` (vendor maxima: YM 30 days, WB 30 days)."""
    if size <= timedelta(0):
        raise ValueError("slice size must be positive")
    windows, cursor = [], start
    while cursor < end:
        following = min(cursor + size, end)
        windows.append(Window(cursor, following))
        cursor = following
    return windows


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive values are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """``2026-08-20T00:00:00Z``."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 / ISO timestamp from a payload or state (``Z`` or offset), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


@overload
def later(a: datetime | None, b: datetime) -> datetime: ...
@overload
def later(a: datetime, b: datetime | None) -> datetime: ...
@overload
def later(a: datetime | None, b: datetime | None) -> datetime | None: ...
def later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional moments (a moment when either is one)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def months(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) from ``first``'s month to ``last``'s, inclusive (monthly reports are asked for by month)."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
