"""Ozon FBS/rFBS postings waiting to be assembled or handed over: the reverse-ETL hot path's new orders.

``POST /v4/posting/fbs/unfulfilled/list`` (ozon-wildberries.md "OZON": cursor, ``limit`` ≤ 100,
``filter{cutoff_from, cutoff_to, …}``; the v3 predecessor requires a cutoff or a delivering-date period, so a
cutoff window is always sent: from ``CUTOFF_BACK`` ago to ``CUTOFF_AHEAD`` ahead of the run). Every posting
the list returns lands in ``raw.ozon_postings_fbs_unfulfilled`` (a new version when it changed); a posting
that left the list (packed, shipped or cancelled) is followed by ``postings_fbs`` and its status history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import rfc3339
from sellerflow.sources._http.paging import CursorPaginator, iter_pages
from sellerflow.sources.ozon.client import OzonClient

PAGE = 100
CUTOFF_BACK = timedelta(days=14)  # an overdue posting is still unfulfilled
CUTOFF_AHEAD = timedelta(days=30)


class OzonPostingsFbsUnfulfilled(Stream):
    """Unfulfilled FBS/rFBS postings (a snapshot of the list, every minute)."""

    name = "postings_fbs_unfulfilled"
    entity = "postings_fbs_unfulfilled"
    key = "posting_number"
    cadence = timedelta(minutes=1)
    path = "/v4/posting/fbs/unfulfilled/list"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A posting needs its number, order number, status, creation time and products."""
        return required_fields(
            record, ("posting_number", "order_number", "status", "in_process_at", "products")
        )

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The list, cursor by cursor."""
        body = {
            "filter": {
                "cutoff_from": rfc3339(ctx.now - CUTOFF_BACK),
                "cutoff_to": rfc3339(ctx.now + CUTOFF_AHEAD),
            },
            "limit": PAGE,
            "sort_dir": "ASC",
            "with": {"analytics_data": False, "financial_data": False, "barcodes": False},
        }
        paginator = CursorPaginator("postings", has_next_field="has_next")
        for postings, _ in iter_pages(
            lambda fields: ctx.client.post(self.path, {**body, **fields}), paginator
        ):
            yield Page(postings)
