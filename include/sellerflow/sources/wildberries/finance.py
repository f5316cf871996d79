"""finance-api stream: the weekly realization (sales) report rows and report headers.

Methods (ozon-wildberries.md "WILDBERRIES" (e) "CURRENT: Finance API"; WB OpenAPI 13-finances, 2026-07-22):

- ``POST /api/finance/v1/sales-reports/list`` ``{dateFrom, dateTo, period, limit ≤ 1000, offset}`` → a bare
  array of report headers with their sums (data from 2025-01-01), 204 when there is none;
- ``POST /api/finance/v1/sales-reports/detailed`` ``{dateFrom, dateTo, period, limit ≤ 100 000, rrdId}`` →
  the rows of every report of the period, camelCase, money as strings; page with the last row's ``rrdId``
  until 204. ``rrdId`` is a keyset cursor over published (immutable) reports, so a page shorter than the
  limit is the last one too and the extra 204 call is saved.

The whole family shares one bucket of 1 request/minute, so the stream follows WB's weekly calendar instead
of polling: weeks are Monday–Sunday and a week's report forms on the following Monday, 08:00–11:00 MSK
(WB-notes). From 08:00 MSK that Monday a week is asked hourly until its report is out, then daily until the
report has been out ``REPORT_SETTLE`` days (WB may add a report to a week), then never again. A run makes
one list call over the weeks due and, when any of them has a report, one period read of their rows (plus
one per 100 000 rows); when no week is due it makes no call at all. Rows are keyed by
``rrdId`` (unique per cabinet), headers by ``reportId``. Daily reports (``period=daily``) are not read.
Basic tokens are refused with 403 ``base token is not allowed`` (an auth failure with its fix).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import parse_time, rfc3339
from sellerflow.sources._http.paging import OffsetPaginator, iter_pages
from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.wildberries.common import MSK

LIST_PAGE = 1000
ROWS_PAGE = 100_000
LIST_FROM = date(2025, 1, 1)  # the list method's data starts here
REPORT_SETTLE = timedelta(days=7)
PUBLISHED_FROM = time(5, 0)  # 08:00 MSK on the Monday after the week, in UTC
RECHECK_MISSING = timedelta(hours=1)
RECHECK_PUBLISHED = timedelta(days=1)
TOLERANCE = timedelta(minutes=1)  # a schedule firing a few seconds early is still due
PERIOD = "weekly"


@dataclass(frozen=True)
class RrdPaginator:
    """``rrdId`` cursor: start at 0, continue after the last row while pages are full."""

    limit: int

    def first(self) -> dict[str, Any]:
        """From the first row."""
        return {"rrdId": 0}

    def items(self, data: Any) -> list[Any]:
        """Rows (None = the closing 204)."""
        return list(data) if isinstance(data, list) else []

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """The last row's ``rrdId`` after a full page."""
        if len(items) < self.limit or not isinstance(items[-1], dict) or items[-1].get("rrdId") is None:
            return None
        return {"rrdId": int(items[-1]["rrdId"])}


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


class WbRealization(Stream):
    """Rows of the weekly realization reports, with the reports' headers."""

    name = "realization"
    entity = "realization_rows"
    key = "rrdId"
    cadence = timedelta(hours=1)  # the calendar in ``slices`` decides which weeks are asked
    related_keys: ClassVar[dict[str, Any]] = {"realization_reports": "reportId"}
    list_path = "/api/finance/v1/sales-reports/list"
    rows_path = "/api/finance/v1/sales-reports/detailed"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A row needs its id, report and operation."""
        return required_fields(record, ("rrdId", "reportId", "sellerOperName", "forPay"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """One slice over the open weeks due by the calendar; none when there is nothing to ask."""
        first = week_of(max((ctx.now - ctx.horizon + MSK).date(), LIST_FROM))
        closed = set(state.get("closed_weeks", []))
        known = state.get("weeks") or {}
        weeks, monday = [], first
        while datetime.combine(monday + timedelta(days=7), PUBLISHED_FROM, UTC) <= ctx.now:
            label = monday.isoformat()
            info = known.get(label) or {}
            checked = parse_time(info.get("checked"))
            every = RECHECK_PUBLISHED if info.get("published") else RECHECK_MISSING
            if label not in closed and (checked is None or ctx.now - checked >= every - TOLERANCE):
                weeks.append(label)
            monday += timedelta(days=7)
        if not weeks:
            return []
        return [Slice(f"weeks {weeks[0]}..{weeks[-1]}", "weeks", params={"weeks": weeks})]

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The reports of the open weeks, then their rows."""
        weeks = piece.params["weeks"]
        lo, hi = date.fromisoformat(weeks[0]), date.fromisoformat(weeks[-1]) + timedelta(days=6)
        period = {"dateFrom": lo.isoformat(), "dateTo": hi.isoformat(), "period": PERIOD}
        reports: list[dict[str, Any]] = []
        fetch = lambda f: ctx.client.post(  # noqa: E731
            self.list_path, {**period, "limit": LIST_PAGE, **f}, allow_empty=True
        )
        for headers, _ in iter_pages(fetch, OffsetPaginator("", LIST_PAGE)):
            reports += [h for h in headers if isinstance(h, dict)]
        due = [r for r in reports if _week_label(r) in weeks]
        yield Page([], related={"realization_reports": reports})
        if not due:
            return
        published = state.setdefault("_published", {})
        for report in due:
            label = _week_label(report)
            published[label] = max(published.get(label) or "", str(report.get("createDate") or ""))
        rows_period = {
            "dateFrom": min(str(r.get("dateFrom"))[:10] for r in due),
            "dateTo": max(str(r.get("dateTo") or r.get("dateFrom"))[:10] for r in due),
            "period": PERIOD,
            "limit": ROWS_PAGE,
        }
        fetch_rows = lambda f: ctx.client.post(self.rows_path, {**rows_period, **f}, allow_empty=True)  # noqa: E731
        for rows, _ in iter_pages(fetch_rows, RrdPaginator(ROWS_PAGE)):
            yield Page(rows)

    def slice_done(self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]) -> None:
        """Note when each week was asked and its report's date; close the weeks that have settled."""
        today = (ctx.now + MSK).date()
        closed = set(state.get("closed_weeks", []))
        known = dict(state.get("weeks") or {})
        found = state.pop("_published", None) or {}
        for label in piece.params["weeks"]:
            published = max(str((known.get(label) or {}).get("published") or ""), found.get(label) or "")
            known[label] = {"checked": rfc3339(ctx.now), "published": published or None}
            try:
                settled = today - date.fromisoformat(published[:10]) >= REPORT_SETTLE
            except ValueError:
                settled = False
            if settled:
                closed.add(label)
                known.pop(label)
        horizon = week_of((ctx.now - ctx.horizon + MSK).date()).isoformat()
        state["closed_weeks"] = sorted(w for w in closed if w >= horizon)
        state["weeks"] = {w: v for w, v in sorted(known.items()) if w >= horizon}


def _week_label(report: dict[str, Any]) -> str:
    """The Monday of the week a report covers."""
    try:
        return week_of(date.fromisoformat(str(report.get("dateFrom"))[:10])).isoformat()
    except ValueError:
        return ""
