"""Ozon accrual streams: what Ozon charged, per day (``/v1/finance/accrual/by-day``) and the type catalog.

Facts (docs/vendors/ozon.md; OZ-ZH-2026 swagger ``finance.v1.*``):

- ``POST /v1/finance/accrual/by-day`` ``{"date": "YYYY-MM-DD", "last_id": ""}`` → ``{"accruals": [...],
  "last_id"}``; page with the answered ``last_id`` until it is empty (or a page is empty). Each accrual has
  ``accrual_id``, ``date``, ``accrued_category`` (POSTING | ITEM | NON_ITEM | UNSPECIFIED), ``unit_number``
  (the posting number of a posting accrual), ``total_amount`` and, for a posting, ``posting.products[]`` with
  the sale (``commission``) and the services (``delivery.services[]`` of ``{type_id, accrued}``); a NON_ITEM
  accrual (storage, subscriptions, compensations) carries ``non_item_fee``. Money is ``{amount: "<string>",
  currency}``. Data from 2022-01-01.
- A day is not final for about two days (Ozon keeps adding to it: rastropovich-dot/mp-analytics
  docs/ozon_finance_migration.md), so every run reads again the last ``SETTLE_DAYS`` days.
- ``POST /v1/finance/accrual/types`` ``{}`` → ``{"accrual_types": [{id, name, description}]}``: the names
  dbt classifies (var ``ozon_accrual_kinds``), read once a day.
- ``POST /v1/finance/accrual/postings`` ``{"posting_numbers": [≤ 200]}`` → ``{"posting_accruals":
  [{posting_number, accruals: [{accrual_date, type_id, sku, quantity, accrued, seller_price}]}]}``: per posting
  and SKU, each accrual with its ``type_id`` (the sale commission too, type 69) and the **quantity** and unit
  ``seller_price`` that by-day does not carry (rastropovich-dot/mp-analytics
  scripts/check_accrual_postings_quantity.py: seller_price × quantity = by-day's sale_amount). Asked for the
  posting numbers of every POSTING accrual by-day landed since the previous run.
- ``/v3/finance/transaction/list`` was switched off on 2026-09-08 (400, code 9): never called.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.sources._http.paging import CursorPaginator, iter_pages
from sellerflow.sources.ozon.client import OzonClient
from sellerflow.warehouse.connection import one_row
from sellerflow.warehouse.identifiers import table_name

BY_DAY_PATH = "/v1/finance/accrual/by-day"
TYPES_PATH = "/v1/finance/accrual/types"
POSTINGS_PATH = "/v1/finance/accrual/postings"
POSTINGS_BATCH = 200  # posting_numbers maxItems (OZ-ZH GetFinanceAccrualPostingsRequest)
DATA_FROM = date(2022, 1, 1)
SETTLE_DAYS = 3  # days re-read every run: the vendor adds accruals to a day for about two days [MPA]


class OzonAccruals(Stream):
    """Every accrual of each day from the horizon (first run) or the last settled day, keyed ``accrual_id``."""

    name = "accruals"
    entity = "accruals"
    key = "accrual_id"
    cadence = timedelta(hours=6)

    def validate(self, record: dict[str, Any]) -> str | None:
        """An accrual needs its id, its day and its total."""
        return required_fields(record, ("accrual_id", "date", "total_amount.amount"))

    def slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        """One slice per day: from the settled watermark less ``SETTLE_DAYS`` (else the horizon) to today."""
        today = ctx.now.date()
        settled = state.get("settled_until")
        first = (
            date.fromisoformat(settled) - timedelta(days=SETTLE_DAYS - 1)
            if settled
            else (ctx.now - ctx.horizon).date()
        )
        first = max(first, DATA_FROM)
        days = (today - first).days + 1
        return [Slice(day.isoformat(), "day", params={"date": day.isoformat()}) for day in _days(first, days)]

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The day's accruals, ``last_id`` page by page."""
        paginator = CursorPaginator("accruals", request_field="last_id", response_field="last_id")
        body = {"date": piece.params["date"]}
        for accruals, _ in iter_pages(
            lambda fields: ctx.client.post(BY_DAY_PATH, {**body, **fields}), paginator
        ):
            yield Page(accruals)

    def slice_done(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> None:
        """The newest day read completely (re-read the next runs until it is ``SETTLE_DAYS`` old)."""
        if piece.params["date"] > str(state.get("settled_until") or ""):
            state["settled_until"] = piece.params["date"]


class OzonAccrualTypes(Stream):
    """The accrual type catalog (``type_id`` → name), keyed ``id``."""

    name = "accrual_types"
    entity = "accrual_types"
    key = "id"
    cadence = timedelta(days=1)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A type needs its id and name."""
        return required_fields(record, ("id", "name"))

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The catalog as one page."""
        data = ctx.client.post(TYPES_PATH, {})
        yield Page(list((data or {}).get("accrual_types") or []))


class OzonAccrualPostings(Stream):
    """Each posting's accruals with quantities (``/v1/finance/accrual/postings``), keyed ``posting_number``: the
    postings of the POSTING accruals that landed in ``raw.ozon_accruals`` since the previous run (raw id
    watermark ``raw_after``, moved once every batch of the run landed), so a posting Ozon adds to is asked again."""

    name = "accrual_postings"
    entity = "accrual_postings"
    key = "posting_number"
    cadence = timedelta(hours=6)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A posting's accruals need the posting number."""
        return required_fields(record, ("posting_number",))

    def slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        """Batches of ``POSTINGS_BATCH`` posting numbers; the last carries the raw id to move the watermark to."""
        numbers, upto = _landed_postings(ctx, int(state.get("raw_after") or 0))
        batches = [numbers[n : n + POSTINGS_BATCH] for n in range(0, len(numbers), POSTINGS_BATCH)]
        return [
            Slice(
                f"accrual postings {n * POSTINGS_BATCH + 1}-{n * POSTINGS_BATCH + len(part)}",
                "postings",
                params={"numbers": part, "upto": upto if n == len(batches) - 1 else None},
            )
            for n, part in enumerate(batches)
        ]

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """One call per batch."""
        data = ctx.client.post(POSTINGS_PATH, {"posting_numbers": piece.params["numbers"]})
        yield Page(list((data or {}).get("posting_accruals") or []))

    def slice_done(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> None:
        """After the run's last batch: every accrual landed up to ``upto`` has had its posting asked."""
        if piece.params.get("upto"):
            state["raw_after"] = max(int(state.get("raw_after") or 0), int(piece.params["upto"]))


def _landed_postings(ctx: RunContext[OzonClient], after: int) -> tuple[list[str], int]:
    """Posting numbers (``unit_number``) of the POSTING accruals landed above raw id ``after``, and the largest id."""
    table = table_name("ozon", "accruals")
    with psycopg.connect(ctx.dsn) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (f"raw.{table}",)).fetchone()
        if not exists or not exists[0]:
            return [], after
        query = sql.SQL(
            "select coalesce(array_agg(distinct payload->>'unit_number' order by payload->>'unit_number') "
            "filter (where payload->>'accrued_category' = 'POSTING' and coalesce(payload->>'unit_number', '') <> ''),"
            " '{{}}'), max(id) from {table} where account_id = %s and id > %s"
        ).format(table=sql.Identifier("raw", table))
        numbers, upto = one_row(conn, query, (ctx.account.account_id, after))  # an aggregate: one row
    return list(numbers), int(upto or after)


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(max(count, 0))]
