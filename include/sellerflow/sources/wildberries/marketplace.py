"""marketplace-api streams: FBS assembly tasks, the new-task list, task statuses, seller warehouses and stocks.

Methods (ozon-wildberries.md "WILDBERRIES" (a), (b), (d); WB OpenAPI 03-orders-fbs and 02-items, 2026-07-22):

- ``orders_fbs``: ``GET /api/v3/orders?limit≤1000&next=&dateFrom=&dateTo=`` (Unix seconds, one call covers
  ≤ 30 days, only the last 3 months). New tasks by a created-at window from the watermark minus an overlap
  (the first run backfills the horizon in ≤ 30-day slices). ``next`` is a keyset cursor over a fixed
  window, so a page shorter than ``limit`` is the last one (no extra call for the empty page). A page that
  does not move the cursor is a repeated page and is asked again (``iter_pages``).
- ``orders_fbs_new``: ``GET /api/v3/orders/new`` — the tasks waiting for assembly, with the fields only this
  list has (``requiredMeta``, ``finalPrice``, ``address``); 204 or ``[]`` when there are none.
- ``order_statuses``: ``POST /api/v3/orders/status`` (≤ 1000 ids) for every task whose latest status in raw
  is not final, so each change lands as a new version. WB has no "changed since" filter for FBS statuses.
  Final: cancelled/declined/defect, or ``sold`` once the return window has passed.
- ``warehouses``: ``GET /api/v3/warehouses``; ``stocks``: ``POST /api/v3/stocks/{warehouseId}`` with
  ``chrtIds`` (≤ 1000) per seller warehouse; the size ids (``chrtID``) come from the cards in raw. A stock
  row ``{chrtId, amount}`` is keyed ``<warehouseId>:<chrtId>`` (the warehouse is part of the request only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import parse_time, rfc3339, split
from sellerflow.sources._http.paging import iter_pages
from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.wildberries.common import (
    CLOCK_SKEW,
    RETENTION,
    advance,
    forget_observations,
    latest_payloads,
    observe,
)

ORDERS_PAGE = 1000
MAX_WINDOW = timedelta(days=30)
STATUS_BATCH = 1000
STOCKS_BATCH = 1000
RETURN_WINDOW = timedelta(days=30)  # a sold task is re-checked this long after creation (returns)
FINAL_WB_STATUSES = ("canceled", "canceled_by_client", "declined_by_client", "defect", "canceled_by_carrier")
FINAL_SUPPLIER_STATUSES = ("cancel", "cancel_carrier")


@dataclass(frozen=True)
class NextPaginator:
    """``next`` keyset cursor: start at 0, send back the answer's ``next``, stop on a short or empty page."""

    limit: int

    def first(self) -> dict[str, Any]:
        """Cursor 0."""
        return {"next": 0}

    def items(self, data: Any) -> list[Any]:
        """The page's tasks (None = a 204)."""
        return list(data.get("orders") or []) if isinstance(data, dict) else []

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """The answer's cursor while pages are full."""
        if len(items) < self.limit or not isinstance(data, dict) or data.get("next") is None:
            return None
        return {"next": int(data["next"])}


class WbOrdersFbs(Stream):
    """FBS assembly tasks by creation time (``GET /api/v3/orders``)."""

    name = "orders_fbs"
    entity = "orders_fbs"
    key = "id"
    cadence = timedelta(minutes=10)
    path = "/api/v3/orders"

    def validate(self, record: dict[str, Any]) -> str | None:
        """A task needs its id, the order's rid, a creation time and the size it sells."""
        return required_fields(record, ("id", "rid", "createdAt", "nmId", "chrtId"))

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The created-at watermark."""
        return parse_time(state.get("created_wm"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """Created-at windows of ≤ 30 days from the watermark minus the overlap (or the horizon)."""
        watermark = parse_time(state.get("created_wm"))
        start = watermark - ctx.overlap if watermark else ctx.now - ctx.horizon
        start = max(start, ctx.now - RETENTION)
        size = min(ctx.backfill_slice, MAX_WINDOW) if watermark is None else MAX_WINDOW
        end = ctx.now + CLOCK_SKEW
        return [Slice(f"created {w.label()}", "created", w.start, w.end) for w in split(start, end, size)]

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Pages of the window, cursor by cursor."""
        assert piece.since is not None
        assert piece.until is not None
        params = {
            "limit": ORDERS_PAGE,
            "dateFrom": int(piece.since.timestamp()),
            "dateTo": int(piece.until.timestamp()),
        }
        fetch = lambda fields: ctx.client.get(self.path, {**params, **fields}, allow_empty=True)  # noqa: E731
        for orders, _ in iter_pages(fetch, NextPaginator(ORDERS_PAGE)):
            for order in orders:
                moment = parse_time(order.get("createdAt"))
                observe(state, moment, self.validate(order) is not None, piece.since)
            yield Page(orders)

    def slice_done(self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]) -> None:
        """Move the watermark to the newest task seen (held before a quarantined one)."""
        advance(state, "created_wm", ctx.overlap)

    def finish(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> None:
        """A cabinet without FBS tasks yet starts its next run from now, not from the horizon again."""
        state.setdefault("created_wm", rfc3339(ctx.now))
        forget_observations(state)


class WbOrdersFbsNew(Stream):
    """Tasks waiting for assembly (``GET /api/v3/orders/new``), with their assembly-only fields."""

    name = "orders_fbs_new"
    entity = "orders_fbs_new"
    key = "id"
    cadence = timedelta(minutes=10)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A new task needs its id, rid and size."""
        return required_fields(record, ("id", "rid", "createdAt", "chrtId"))

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The list as one page."""
        data = ctx.client.get("/api/v3/orders/new", allow_empty=True)
        yield Page(list(data.get("orders") or []) if isinstance(data, dict) else [])


def _open_task_ids(ctx: RunContext[WildberriesClient]) -> list[int]:
    """Ids of tasks in raw whose latest known status may still change."""
    since = rfc3339(ctx.now - RETENTION)
    tasks = latest_payloads(
        ctx,
        "orders_fbs",
        sql.SQL("(p->>'id')::bigint, p->>'createdAt'"),
        sql.SQL("p->>'createdAt' >= %s"),
        (since,),
    )
    statuses = {
        int(i): (s, w)
        for i, s, w in latest_payloads(
            ctx, "order_statuses", sql.SQL("p->>'id', p->>'supplierStatus', p->>'wbStatus'")
        )
        if i is not None and str(i).isdigit()
    }
    recent = rfc3339(ctx.now - RETURN_WINDOW)
    out = []
    for task_id, created in tasks:
        supplier, wb = statuses.get(task_id, (None, None))
        if supplier in FINAL_SUPPLIER_STATUSES or wb in FINAL_WB_STATUSES:
            continue
        if wb == "sold" and created < recent:
            continue
        out.append(task_id)
    return sorted(out)


class WbOrderStatuses(Stream):
    """Status history of FBS tasks (``POST /api/v3/orders/status``): a new version per change."""

    name = "order_statuses"
    entity = "order_statuses"
    key = "id"
    cadence = timedelta(minutes=10)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A status needs the task id and both status fields."""
        return required_fields(record, ("id", "supplierStatus", "wbStatus"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """One slice; the open tasks are read from raw when it runs (after this run's tasks landed)."""
        return [Slice("open tasks", "open")]

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """Statuses of the open tasks, 1000 ids per call."""
        ids = _open_task_ids(ctx)
        for start in range(0, len(ids), STATUS_BATCH):
            data = ctx.client.post("/api/v3/orders/status", {"orders": ids[start : start + STATUS_BATCH]})
            yield Page(list((data or {}).get("orders") or []))


class WbWarehouses(Stream):
    """Seller warehouses (``GET /api/v3/warehouses``)."""

    name = "warehouses"
    entity = "warehouses"
    key = "id"
    cadence = timedelta(days=1)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A warehouse needs its id and name."""
        return required_fields(record, ("id", "name"))

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The list as one page."""
        data = ctx.client.get("/api/v3/warehouses")
        yield Page(list(data or []))


def _stock_key(warehouse_id: int) -> Callable[[dict[str, Any]], str]:
    def key(row: dict[str, Any]) -> str:
        return f"{warehouse_id}:{row['chrtId']}"

    return key


class WbStocks(Stream):
    """Stock per seller warehouse and size (``POST /api/v3/stocks/{warehouseId}``)."""

    name = "stocks"
    entity = "stocks"
    key = "chrtId"  # replaced per warehouse by ``_stock_key``
    cadence = timedelta(hours=1)

    def validate(self, record: dict[str, Any]) -> str | None:
        """A stock row needs the size and the amount."""
        return required_fields(record, ("chrtId", "amount"))

    def slices(self, ctx: RunContext[WildberriesClient], state: dict[str, Any]) -> list[Slice]:
        """One slice per seller warehouse (listed now), each over every size known in raw."""
        warehouses = ctx.client.get("/api/v3/warehouses") or []
        return [
            Slice(f"warehouse {w['id']}", "warehouse", params={"warehouse_id": int(w["id"])})
            for w in warehouses
            if isinstance(w, dict) and w.get("id") and not w.get("isDeleting")
        ]

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The warehouse's stock, 1000 sizes per call."""
        warehouse_id = piece.params["warehouse_id"]
        chrt_ids = sorted(
            int(c)
            for (c,) in latest_payloads(
                ctx, "products", sql.SQL("distinct jsonb_path_query(p, '$.sizes[*].chrtID')::text")
            )
            if c is not None and str(c).isdigit()
        )
        for start in range(0, len(chrt_ids), STOCKS_BATCH):
            body = {"chrtIds": chrt_ids[start : start + STOCKS_BATCH]}
            data = ctx.client.post(f"/api/v3/stocks/{warehouse_id}", body)
            yield Page(list((data or {}).get("stocks") or []), key=_stock_key(warehouse_id))
