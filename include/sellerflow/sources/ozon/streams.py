"""Ozon entity streams into ``raw.ozon_<entity>``.

Methods and limits (ozon-wildberries.md "OZON", OZ-ZH-2026 / OZ-RU-2025 swagger):

- ``postings_fbs``: ``POST /v4/posting/fbs/list`` (cursor, ``limit`` ≤ 100, ``filter.since/to`` ≤ 1 year,
  ``filter.last_changed_status_date``). New postings by a created-at window from the watermark minus an
  overlap (the first run backfills the horizon in slices); status changes by ``last_changed_status_date``
  from the change watermark minus the overlap, plus the postings still open in raw by ``order_numbers``
  (≤ 100), since a change can be stamped earlier than it became visible. Both watermarks are the largest
  ``in_process_at`` seen, a vendor-side time, so a skewed local clock cannot open a gap.
- ``postings_fbo``: ``POST /v3/posting/fbo/list`` (cursor, ``limit`` ≤ 100, [community] contract). It has no
  status-change filter, so postings whose latest version in raw is not final are re-read by
  ``posting_numbers`` (≤ 1000 per request).
- ``posting_statuses`` (derived from both): one version per status a posting was seen in.
- ``products``: ``/v3/product/list`` (``last_id``, ≤ 1000) then ``/v3/product/info/list`` (≤ 1000 ids, with
  ``barcodes``); ``warehouses``: ``/v2/warehouse/list`` (cursor, ≤ 200); ``stocks``:
  ``/v4/product/info/stocks``; ``prices``: ``/v5/product/info/prices`` (cursor, ≤ 1000). Snapshot lists with
  a ``total`` are re-read (at most twice) when fewer distinct rows than ``total`` arrived.
- ``realization_rows`` (+ ``realization_reports`` headers): ``/v1/finance/realization/posting`` per month,
  the by-posting realization report, published by the 5th of the next month. A month stays open — read again
  every day — until its report has been out ``REPORT_SETTLE`` days; 404 ``Report was not found`` means "not
  published yet", not an error.
- ``accruals`` / ``accrual_types``: ``/v1/finance/accrual/by-day`` per day and the type catalog
  (``sources.ozon.accruals``): logistics, last mile, acquiring, storage and penalties, which the realization
  report does not carry; ``accrual_postings``: ``/v1/finance/accrual/postings`` for the postings of the accruals
  just landed (each accrual's quantity and unit price, which by-day lacks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import psycopg
from psycopg import sql

from sellerflow.extract.stream import Derived, Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import later, months, parse_time, rfc3339, split
from sellerflow.sources._http import NotFoundError, ServerError
from sellerflow.sources._http.paging import CursorPaginator, iter_pages
from sellerflow.sources.ozon.accruals import OzonAccrualPostings, OzonAccruals, OzonAccrualTypes
from sellerflow.sources.ozon.client import OzonClient
from sellerflow.warehouse.identifiers import table_name

POSTINGS_PAGE = 100
CATALOG_PAGE = 1000
WAREHOUSE_PAGE = 200
FBO_NUMBERS_BATCH = 1000  # /v3/posting/fbo/list filter.posting_numbers
FBS_ORDERS_BATCH = 100  # /v4/posting/fbs/list filter.order_numbers
MAX_PERIOD = timedelta(days=365)  # "the period must be ≤ 1 year"
CLOCK_SKEW = timedelta(days=1)  # upper bounds reach past "now" so a vendor clock ahead of ours loses nothing
FINAL_STATUSES = ("delivered", "cancelled")
REPORT_SETTLE = timedelta(days=10)
SNAPSHOT_REREADS = 2


def _status_version(scheme: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def transform(posting: dict[str, Any]) -> dict[str, Any] | None:
        if not posting.get("posting_number") or not posting.get("status"):
            return None
        cancellation = posting.get("cancellation") or {}
        return {
            "posting_number": posting["posting_number"],
            "order_number": posting.get("order_number"),
            "scheme": scheme,
            "status": posting["status"],
            "substatus": posting.get("substatus"),
            "cancel_reason_id": cancellation.get("cancel_reason_id") or posting.get("cancel_reason_id"),
        }

    return transform


class _Postings(Stream):
    """Shared logic of the FBS and FBO posting lists: created-at windows with an overlap."""

    key = "posting_number"
    cadence = timedelta(minutes=10)
    path: ClassVar[str] = ""
    scheme: ClassVar[str] = ""
    created_field: ClassVar[str] = "in_process_at"

    def validate(self, record: dict[str, Any]) -> str | None:
        """Postings need a number, a status, a creation time and products."""
        return required_fields(record, ("posting_number", "status", self.created_field, "products"))

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The created-at watermark."""
        return parse_time(state.get("created_wm"))

    def _created_slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        watermark = parse_time(state.get("created_wm"))
        start = watermark - ctx.overlap if watermark else ctx.now - ctx.horizon
        end = ctx.now + CLOCK_SKEW
        size = ctx.backfill_slice if watermark is None else MAX_PERIOD
        return [Slice(f"created {w.label()}", "created", w.start, w.end) for w in split(start, end, size)]

    def _filter(self, piece: Slice) -> dict[str, Any]:
        assert piece.since is not None
        assert piece.until is not None
        return {"since": rfc3339(piece.since), "to": rfc3339(piece.until)}

    def _list(
        self, ctx: RunContext[OzonClient], flt: dict[str, Any], state: dict[str, Any]
    ) -> Iterator[Page]:
        body: dict[str, Any] = {
            "filter": flt,
            "limit": POSTINGS_PAGE,
            "sort_dir": "ASC",
            "with": {"analytics_data": True, "financial_data": True, "barcodes": self.scheme == "fbs"},
        }
        paginator = CursorPaginator("postings", has_next_field="has_next")
        for postings, _ in iter_pages(
            lambda fields: ctx.client.post(self.path, {**body, **fields}), paginator
        ):
            self._observe(postings, parse_time(flt.get("since")), state)
            yield Page(postings)

    def _observe(self, postings: list[dict[str, Any]], since: datetime | None, state: dict[str, Any]) -> None:
        """Note the newest creation time seen, and the oldest one of a posting that will be quarantined."""
        for posting in postings:
            moment = parse_time(posting.get(self.created_field))
            if moment is not None:
                state["_seen"] = rfc3339(later(parse_time(state.get("_seen")), moment))
            bound = moment or since
            if self.validate(posting) is not None and bound is not None:
                held = parse_time(state.get("_hold"))
                state["_hold"] = rfc3339(min(held, bound) if held else bound)

    def finish(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> None:
        """A cabinet without any posting yet starts its next run from now, not from the horizon again."""
        state.setdefault("created_wm", rfc3339(ctx.now))
        state.pop("_hold", None)

    def slice_done(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> None:
        """A landed created-at slice moves the watermark to the newest posting seen so far.

        It stops just before the oldest quarantined posting, so the next run reads that one again.
        """
        seen = parse_time(state.get("_seen"))
        if piece.kind == "created" and seen is not None:
            moved = later(parse_time(state.get("created_wm")), seen)
            held = parse_time(state.get("_hold"))
            if held is not None and moved >= held:
                moved = held - timedelta(seconds=1) + ctx.overlap  # next start = watermark - overlap
            state["created_wm"] = rfc3339(moved)


class OzonPostingsFbs(_Postings):
    """FBS and rFBS postings (``/v4/posting/fbs/list``)."""

    name = "postings_fbs"
    entity = "postings_fbs"
    path = "/v4/posting/fbs/list"
    scheme = "fbs"
    derived = (Derived("posting_statuses", "posting_number", _status_version("fbs")),)

    def slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        """Created-at slices; after the first run a status-change pass and the open postings by order."""
        pieces = self._created_slices(ctx, state)
        changes = parse_time(state.get("changes_wm"))
        if changes is not None:
            since = changes - ctx.overlap
            pieces.append(Slice(f"status changes since {rfc3339(since)}", "changes", since))
            pieces += _open_slices(ctx, self.entity, "order_number", FBS_ORDERS_BATCH)
        return pieces

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """A created-at window, the postings whose status changed since ``piece.since``, or open orders."""
        if piece.kind == "created":
            yield from self._list(ctx, self._filter(piece), state)
            return
        until = ctx.now + CLOCK_SKEW
        flt: dict[str, Any] = {"since": rfc3339(until - MAX_PERIOD), "to": rfc3339(until)}
        if piece.kind == "open":
            flt["order_numbers"] = piece.params["numbers"]
        else:
            assert piece.since is not None
            flt["last_changed_status_date"] = {"from": rfc3339(piece.since), "to": rfc3339(until)}
        yield from self._list(ctx, flt, state)

    def finish(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> None:
        """The change watermark follows the newest posting seen (a vendor-side time)."""
        super().finish(ctx, state)
        seen = later(parse_time(state.pop("_seen", None)), parse_time(state.get("created_wm")))
        moved = later(parse_time(state.get("changes_wm")), seen)
        if moved is not None:  # always: super().finish() set created_wm
            state["changes_wm"] = rfc3339(moved)


class OzonPostingsFbo(_Postings):
    """FBO postings (``/v3/posting/fbo/list``)."""

    name = "postings_fbo"
    entity = "postings_fbo"
    path = "/v3/posting/fbo/list"
    scheme = "fbo"
    created_field = "created_at"
    derived = (Derived("posting_statuses", "posting_number", _status_version("fbo")),)

    def slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        """Created-at slices; then open postings known in raw, in batches of numbers."""
        pieces = self._created_slices(ctx, state)
        if state.get("created_wm"):
            pieces += _open_slices(ctx, self.entity, "posting_number", FBO_NUMBERS_BATCH)
        return pieces

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """A created-at window, or a batch of open postings by number."""
        if piece.kind == "created":
            yield from self._list(ctx, self._filter(piece), state)
            return
        until = ctx.now + CLOCK_SKEW
        flt = {
            "since": rfc3339(until - MAX_PERIOD),
            "to": rfc3339(until),
            "posting_numbers": piece.params["numbers"],
        }
        yield from self._list(ctx, flt, state)

    def finish(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> None:
        """Drop the per-run observation."""
        super().finish(ctx, state)
        state.pop("_seen", None)


def _open_slices(ctx: RunContext[OzonClient], entity: str, field: str, batch: int) -> list[Slice]:
    """Slices re-reading postings whose latest version in raw is not final, by ``field`` in batches.

    Status-change filters are not enough: a vendor may stamp a change with the time of the event (an
    offline delivery scan), earlier than when it became visible, so the change window can miss it.
    """
    numbers = _open_values(ctx, entity, field)
    return [
        Slice(f"open postings by {field} {n + 1}-{n + len(part)}", "open", params={"numbers": part})
        for n in range(0, len(numbers), batch)
        if (part := numbers[n : n + batch])
    ]


def _open_values(ctx: RunContext[OzonClient], entity: str, field: str) -> list[str]:
    """Distinct ``field`` of the postings whose latest version in raw is not in a final status."""
    table = table_name("ozon", entity)
    with psycopg.connect(ctx.dsn) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (f"raw.{table}",)).fetchone()
        if not exists or not exists[0]:
            return []
        query = sql.SQL(
            "select distinct value from (select distinct on (natural_key) payload->>%s as value, "
            "payload->>'status' as status from {table} where account_id = %s "
            "order by natural_key, extracted_at desc, id desc) latest "
            "where value is not null and (status is null or status <> all(%s)) order by value"
        ).format(table=sql.Identifier("raw", table))
        rows = conn.execute(query, (field, ctx.account.account_id, list(FINAL_STATUSES))).fetchall()
    return [r[0] for r in rows]


class IncompleteListing(ServerError):
    """A listing kept answering fewer rows than its own ``total``."""


class _Snapshot(Stream):
    """A full listing per run (catalog, stock, prices), checked against the vendor's ``total``."""

    path: ClassVar[str] = ""
    page_size: ClassVar[int] = CATALOG_PAGE
    items_field: ClassVar[str] = "items"
    total_field: ClassVar[str | None] = "total"
    request_cursor: ClassVar[str] = "cursor"
    response_cursor: ClassVar[str] = "cursor"
    has_next_field: ClassVar[str | None] = None

    def body(self) -> dict[str, Any]:
        """The request body apart from paging."""
        return {"filter": {"visibility": "ALL"}, "limit": self.page_size}

    def transform(self, ctx: RunContext[OzonClient], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records from one page of items (the products stream fetches details here)."""
        return items

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """Read the listing; read it again when fewer distinct rows than ``total`` arrived."""
        paginator = CursorPaginator(
            self.items_field, self.request_cursor, self.response_cursor, self.has_next_field
        )
        for _attempt in range(SNAPSHOT_REREADS + 1):
            seen: set[str] = set()
            total: int | None = None
            for items, data in iter_pages(
                lambda f: ctx.client.post(self.path, {**self.body(), **f}), paginator
            ):
                if self.total_field is not None and total is None:
                    value = _dig(data, self.total_field)
                    total = int(value) if isinstance(value, int | str) and str(value).isdigit() else None
                seen.update(str(_dig(i, "offer_id") or _dig(i, "product_id") or id(i)) for i in items)
                yield Page(self.transform(ctx, items))
            if total is None or len(seen) >= total:
                return
        raise IncompleteListing(
            f"{self.path}: {len(seen)} distinct rows of total {total} after {SNAPSHOT_REREADS + 1} reads",
            vendor="ozon",
            account_id=ctx.account.account_id,
        )


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


class OzonProducts(_Snapshot):
    """Products with barcodes: ``/v3/product/list`` ids, details from ``/v3/product/info/list``."""

    name = "products"
    entity = "products"
    key = "offer_id"
    cadence = timedelta(days=1)
    path = "/v3/product/list"
    items_field = "result.items"
    total_field = "result.total"
    request_cursor = "last_id"
    response_cursor = "result.last_id"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A product needs its ids and barcodes."""
        return required_fields(record, ("id", "offer_id", "barcodes"))

    def body(self) -> dict[str, Any]:
        """All visibilities, the largest page."""
        return {"filter": {"visibility": "ALL"}, "limit": self.page_size}

    def transform(self, ctx: RunContext[OzonClient], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Card details (with barcodes) for the page's product ids."""
        ids = [i["product_id"] for i in items if i.get("product_id") is not None]
        if not ids:
            return []
        return list(ctx.client.post("/v3/product/info/list", {"product_id": ids}).get("items") or [])


class OzonWarehouses(_Snapshot):
    """FBS/rFBS warehouses (``/v2/warehouse/list``)."""

    name = "warehouses"
    entity = "warehouses"
    key = "warehouse_id"
    cadence = timedelta(days=1)
    path = "/v2/warehouse/list"
    page_size = WAREHOUSE_PAGE
    items_field = "warehouses"
    total_field = None
    has_next_field = "has_next"

    def body(self) -> dict[str, Any]:
        """Only the page size."""
        return {"limit": self.page_size}


class OzonStocks(_Snapshot):
    """Present/reserved stock per warehouse type (``/v4/product/info/stocks``)."""

    name = "stocks"
    entity = "stocks"
    key = "offer_id"
    cadence = timedelta(hours=1)
    path = "/v4/product/info/stocks"

    def validate(self, record: dict[str, Any]) -> str | None:
        """Stock rows need the offer and the per-type list."""
        return required_fields(record, ("offer_id", "product_id", "stocks"))


class OzonPrices(_Snapshot):
    """Prices (``/v5/product/info/prices``)."""

    name = "prices"
    entity = "prices"
    key = "offer_id"
    cadence = timedelta(hours=1)
    path = "/v5/product/info/prices"

    def validate(self, record: dict[str, Any]) -> str | None:
        """Price rows need the offer and the price block."""
        return required_fields(record, ("offer_id", "product_id", "price.price"))


def _row_key(report_number: str) -> Callable[[dict[str, Any]], str]:
    """Rows are keyed ``<report number>:<row_number>``: row numbers repeat across reports."""

    def key(row: dict[str, Any]) -> str:
        return f"{report_number}:{row['row_number']}"

    return key


class OzonRealization(Stream):
    """Rows of the monthly realization report by posting, re-read while the month is open."""

    name = "realization"
    entity = "realization_rows"
    key = "row_number"  # replaced per report by ``_row_key``
    cadence = timedelta(days=1)
    related_keys: ClassVar[dict[str, Any]] = {"realization_reports": "number"}
    path = "/v1/finance/realization/posting"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A row must name its posting and item."""
        return required_fields(record, ("row_number", "order.posting_number", "item.offer_id"))

    def slices(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> list[Slice]:
        """Every month from the horizon to now that is not closed yet."""
        closed = set(state.get("closed_months", []))
        first = (ctx.now - ctx.horizon).date()
        return [
            Slice(f"{year:04d}-{month:02d}", "month", params={"year": year, "month": month})
            for year, month in months(max(first, date(2023, 8, 1)), ctx.now.date())
            if f"{year:04d}-{month:02d}" not in closed
        ]

    def pages(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The month's report as one page (the method is not paged)."""
        try:
            data = ctx.client.post(self.path, {"month": piece.params["month"], "year": piece.params["year"]})
        except NotFoundError:
            return  # not published yet: the month stays open
        header = data.get("header") or {}
        number = str(header.get("number") or piece.label)
        state.setdefault("_published", {})[piece.label] = header.get("doc_date")
        yield Page(
            list(data.get("rows") or []),
            related={"realization_reports": [header] if header.get("number") else []},
            key=_row_key(number),
        )

    def slice_done(self, ctx: RunContext[OzonClient], piece: Slice, state: dict[str, Any]) -> None:
        """Close a month once its report has been out long enough to be final."""
        published = parse_time(f"{(state.get('_published') or {}).get(piece.label) or ''}T00:00:00Z")
        if published is not None and ctx.now - published >= REPORT_SETTLE:
            state.setdefault("closed_months", []).append(piece.label)
            state["closed_months"] = sorted(set(state["closed_months"]))

    def finish(self, ctx: RunContext[OzonClient], state: dict[str, Any]) -> None:
        """Drop the per-run observations."""
        state.pop("_published", None)


STREAMS: tuple[Stream, ...] = (
    OzonAccrualTypes(),
    OzonWarehouses(),
    OzonProducts(),
    OzonStocks(),
    OzonPrices(),
    OzonPostingsFbs(),
    OzonPostingsFbo(),
    OzonRealization(),
    OzonAccruals(),
    OzonAccrualPostings(),
)


def stream_names() -> list[str]:
    """Names of the Ozon streams, in run order."""
    return [s.name for s in STREAMS]
