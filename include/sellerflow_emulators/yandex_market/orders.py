"""Order endpoints.

- ``GET /v2/campaigns/{campaignId}/orders`` (getOrders, deprecated): filters ``orderIds`` (≤50),
  ``status``, ``substatus``, ``fromDate``/``toDate`` (creation, ``DD-MM-YYYY``, ``toDate`` exclusive,
  ≤30 days, default the last 30 days), ``supplierShipmentDateFrom/To``, ``updatedAtFrom/To`` (ISO 8601),
  ``fake``; pagination ``page``/``pageSize`` (``pager``) or ``page_token``/``limit`` (≤50, truncated).
  Orders delivered or cancelled more than 30 days ago are not returned.
- ``GET /v2/campaigns/{campaignId}/orders/{orderId}`` (getOrder) → ``{"order": OrderDTO}``.
- ``POST /v1/businesses/{businessId}/orders`` (getBusinessOrders) → ``{"orders", "paging"}``.
- ``PUT /v2/campaigns/{campaignId}/orders/{orderId}/status`` (updateOrderStatus) and
  ``POST /v2/campaigns/{campaignId}/orders/status-update`` (updateOrderStatuses, 1–30 orders, per-order
  ``updateStatus``).

Source: official spec (tests/contracts/yandex_market/openapi.yaml) operation descriptions and
parameters; docs reference/orders/*.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.yandex_market.errors import YmError, bad_request
from sellerflow_emulators.yandex_market.guard import guard, spend
from sellerflow_emulators.yandex_market.order_query import (
    OrderFilter,
    count_orders,
    fetch_lines,
    fetch_orders,
)
from sellerflow_emulators.yandex_market.paging import (
    Page,
    apply_page_fault,
    decode_token,
    encode_token,
    page_from_request,
    parse_int,
)
from sellerflow_emulators.yandex_market.render import (
    MSK,
    PROGRAM_BY_SCHEME,
    apply_item_fault,
    business_order,
    legacy_order,
)
from sellerflow_emulators.yandex_market.status_flow import apply_status, log_push, target_state

MAX_PERIOD_DAYS = 30
LEGACY_PAGE_MAX = 50
PAGE_MAX = 10000


class StatusChangeDates(BaseModel):
    realDeliveryDate: date | None = None


class StatusChangeDelivery(BaseModel):
    dates: StatusChangeDates | None = None


class OrderStatusChange(BaseModel):
    status: str
    substatus: str | None = None
    delivery: StatusChangeDelivery | None = None


class UpdateOrderStatusRequest(BaseModel):
    order: OrderStatusChange


class OrderState(BaseModel):
    id: int
    status: str
    substatus: str | None = None


class UpdateOrderStatusesRequest(BaseModel):
    orders: list[OrderState] = Field(min_length=1, max_length=30)


class OrderDatesFilter(BaseModel):
    creationDateFrom: date | None = None
    creationDateTo: date | None = None
    shipmentDateFrom: date | None = None
    shipmentDateTo: date | None = None
    updateDateFrom: datetime | None = None
    updateDateTo: datetime | None = None


class GetBusinessOrdersRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    orderIds: list[int] | None = Field(default=None, min_length=1, max_length=50)
    externalOrderIds: list[str] | None = Field(default=None, min_length=1, max_length=50)
    programTypes: list[str] | None = Field(default=None, min_length=1)
    campaignIds: list[int] | None = Field(default=None, min_length=1, max_length=50)
    statuses: list[str] | None = Field(default=None, min_length=1)
    substatuses: list[str] | None = Field(default=None, min_length=1)
    dates: OrderDatesFilter | None = None
    fake: bool | None = None


def msk_day_start(day: date) -> str:
    """00:00 Moscow time of ``day`` as a store timestamp."""
    return format_ts(datetime(day.year, day.month, day.day, tzinfo=MSK))


def parse_day(raw: str, name: str) -> date:
    """``DD-MM-YYYY`` (documented) or ``YYYY-MM-DD`` (the spec's ``format: date``)."""
    for fmt in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise bad_request(f"Invalid date format of parameter '{name}': '{raw}'")


def parse_instant(raw: str, name: str) -> str:
    """ISO 8601 date-time with offset → store timestamp."""
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError as exc:
        raise bad_request(f"Invalid date format of parameter '{name}': '{raw}'") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MSK)
    return format_ts(moment)


def _list_param(request: Request, name: str) -> list[str]:
    """Array query parameter sent either repeated or comma-separated."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _check_period(start: date, end: date) -> None:
    if (end - start).days > MAX_PERIOD_DAYS:
        raise bad_request(f"Too long time period. Maximum is '{MAX_PERIOD_DAYS}' days")


def _creation_window(flt: OrderFilter, start: date, end_exclusive: date) -> None:
    _check_period(start, end_exclusive - timedelta(days=1))
    flt.add(
        flt.order_where,
        "o.created_at >= :c_from and o.created_at < :c_to",
        c_from=msk_day_start(start),
        c_to=msk_day_start(end_exclusive),
    )


def _hide_old_finished(flt: OrderFilter, now: datetime) -> None:
    flt.add(
        flt.status_where,
        "not (ym_status in ('DELIVERED', 'CANCELLED') and status_at < :finished_before)",
        finished_before=format_ts(now - timedelta(days=MAX_PERIOD_DAYS)),
    )


def legacy_filter(request: Request, account_id: str, now: datetime) -> OrderFilter:
    """Filters of getOrders from its query string."""
    flt = OrderFilter()
    flt.add(flt.order_where, "o.account_id = :acc", acc=account_id)
    order_ids = _list_param(request, "orderIds")
    if len(order_ids) > 50:
        raise bad_request("Value / length of field (orderIds) must be less than or equal to 50")
    if order_ids:
        flt.add_in(flt.order_where, "o.posting_number", order_ids, "oid")
    else:
        today = now.astimezone(MSK).date()
        q = request.query_params
        start = (
            parse_day(q["fromDate"], "fromDate")
            if q.get("fromDate")
            else today - timedelta(days=MAX_PERIOD_DAYS)
        )
        end = parse_day(q["toDate"], "toDate") if q.get("toDate") else today + timedelta(days=1)
        _creation_window(flt, start, max(end, start + timedelta(days=1)))
        if q.get("supplierShipmentDateFrom") or q.get("supplierShipmentDateTo"):
            s_from = parse_day(q.get("supplierShipmentDateFrom") or "01-01-1970", "supplierShipmentDateFrom")
            s_to = parse_day(q.get("supplierShipmentDateTo") or "31-12-2999", "supplierShipmentDateTo")
            flt.add(
                flt.order_where,
                "o.ship_by >= :s_from and o.ship_by < :s_to",
                s_from=msk_day_start(s_from),
                s_to=msk_day_start(max(s_to, s_from + timedelta(days=1))),
            )
        if q.get("updatedAtFrom"):
            flt.add(
                flt.status_where,
                "status_at >= :u_from",
                u_from=parse_instant(q["updatedAtFrom"], "updatedAtFrom"),
            )
        if q.get("updatedAtTo"):
            flt.add(
                flt.status_where, "status_at < :u_to", u_to=parse_instant(q["updatedAtTo"], "updatedAtTo")
            )
    statuses = _list_param(request, "status")
    if statuses:
        flt.add_in(flt.status_where, "ym_status", statuses, "st")
    substatuses = _list_param(request, "substatus")
    if substatuses:
        flt.add_in(flt.status_where, "ym_substatus", substatuses, "sst")
    fake = request.query_params.get("fake", "false").lower() == "true"
    flt.add(flt.order_where, "coalesce(json_extract(o.vendor, '$.fake'), 0) = :fake", fake=int(fake))
    _hide_old_finished(flt, now)
    return flt


def _business_dates(flt: OrderFilter, body: GetBusinessOrdersRequest, now: datetime) -> None:
    """Date filters of getBusinessOrders (creation defaults to the last 30 days)."""
    dates = body.dates or OrderDatesFilter()
    if dates.creationDateFrom or dates.creationDateTo or not (body.orderIds or body.externalOrderIds):
        today = now.astimezone(MSK).date()
        end = dates.creationDateTo or today
        start = dates.creationDateFrom or end - timedelta(days=MAX_PERIOD_DAYS)
        _creation_window(flt, start, end + timedelta(days=1))
    if dates.shipmentDateFrom:
        flt.add(flt.order_where, "o.ship_by >= :s_from", s_from=msk_day_start(dates.shipmentDateFrom))
    if dates.shipmentDateTo:
        flt.add(
            flt.order_where, "o.ship_by < :s_to", s_to=msk_day_start(dates.shipmentDateTo + timedelta(days=1))
        )
    if dates.updateDateFrom:
        flt.add(flt.status_where, "status_at >= :u_from", u_from=format_ts(dates.updateDateFrom))
    if dates.updateDateTo:
        flt.add(flt.status_where, "status_at < :u_to", u_to=format_ts(dates.updateDateTo))


def business_filter(body: GetBusinessOrdersRequest, account_ids: list[str], now: datetime) -> OrderFilter:
    """Filters of getBusinessOrders from its body."""
    flt = OrderFilter()
    flt.add_in(flt.order_where, "o.account_id", account_ids, "acc")
    if body.orderIds:
        flt.add_in(flt.order_where, "o.posting_number", [str(i) for i in body.orderIds], "oid")
    if body.externalOrderIds:
        flt.add_in(
            flt.order_where,
            "coalesce(json_extract(o.vendor, '$.externalOrderId'), o.order_number)",
            body.externalOrderIds,
            "eid",
        )
    if body.campaignIds:
        flt.add_in(flt.order_where, "a.campaign_id", [str(i) for i in body.campaignIds], "cid")
    if body.programTypes:
        schemes = [k for k, v in PROGRAM_BY_SCHEME.items() if v in body.programTypes]
        flt.add_in(flt.order_where, "o.scheme", schemes, "pt")
    _business_dates(flt, body, now)
    if body.statuses:
        flt.add_in(flt.status_where, "ym_status", body.statuses, "st")
    if body.substatuses:
        flt.add_in(flt.status_where, "ym_substatus", body.substatuses, "sst")
    if body.fake is not None:
        flt.add(flt.order_where, "coalesce(json_extract(o.vendor, '$.fake'), 0) = :fake", fake=int(body.fake))
    return flt


def _legacy_page(request: Request) -> tuple[Page, bool]:
    """(page, token mode?) for getOrders: ``page_token``/``limit`` wins over ``page``/``pageSize``."""
    token = request.query_params.get("page_token") or request.query_params.get("pageToken")
    limit = parse_int(request, "limit")
    if token or limit is not None:
        size = min(limit or LEGACY_PAGE_MAX, LEGACY_PAGE_MAX)
        if size < 1:
            raise bad_request(f"Value of field (limit) must be greater than or equal to 1: {size}")
        page = Page(decode_token(token) if token else 0, size)
        return apply_page_fault(page, getattr(request.state, "ym_fault", None)), True
    number = parse_int(request, "page") or 1
    size = parse_int(request, "pageSize") or LEGACY_PAGE_MAX
    if number < 1 or number > PAGE_MAX:
        raise bad_request(f"Value of field (page) must be between 1 and {PAGE_MAX}: {number}")
    size = max(1, min(size, LEGACY_PAGE_MAX))
    page = Page((number - 1) * size, size)
    return apply_page_fault(page, getattr(request.state, "ym_fault", None)), False


def _find_order(state: EmulatorState, account_id: str, order_id: int) -> Any:
    flt = OrderFilter()
    flt.add(
        flt.order_where, "o.account_id = :acc and o.posting_number = :oid", acc=account_id, oid=str(order_id)
    )
    rows, _ = fetch_orders(state.conn(), format_ts(state.now()), flt, 1, 0)
    return rows[0] if rows else None


def build_router(state: EmulatorState) -> APIRouter:
    """Routes of the order endpoints."""
    router = APIRouter()

    @router.get("/v2/campaigns/{campaignId}/orders")
    def get_orders(campaignId: int, request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getOrders", campaign_id=campaignId)
        now = state.now()
        flt = legacy_filter(request, str(ctx.account["id"]), now)
        page, token_mode = _legacy_page(request)
        conn, now_ts = state.conn(), format_ts(now)
        rows, more = fetch_orders(conn, now_ts, flt, page.limit, page.offset)
        lines = fetch_lines(conn, [int(r["id"]) for r in rows])
        orders = [legacy_order(r, lines[int(r["id"])]) for r in rows]
        total = count_orders(conn, now_ts, flt)
        pages = max((total + page.limit - 1) // page.limit, 1)
        body: dict[str, Any] = {
            "pager": {
                "total": total,
                "from": page.offset + 1 if rows else 0,
                "to": page.offset + len(rows),
                "currentPage": page.offset // page.limit + 1,
                "pagesCount": pages,
                "pageSize": page.limit,
            },
            "orders": apply_item_fault(orders, getattr(request.state, "ym_fault", None)),
        }
        body["paging"] = (
            {"nextPageToken": encode_token(page.offset + len(rows))} if token_mode and more else {}
        )
        return body

    @router.get("/v2/campaigns/{campaignId}/orders/{orderId}")
    def get_order(campaignId: int, orderId: int, request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getOrder", campaign_id=campaignId)
        row = _find_order(state, str(ctx.account["id"]), orderId)
        if row is None:
            raise YmError(404, f"Order not found: {orderId}")
        lines = fetch_lines(state.conn(), [int(row["id"])])
        return {"order": legacy_order(row, lines[int(row["id"])])}

    @router.post("/v1/businesses/{businessId}/orders")
    def get_business_orders(
        businessId: int, request: Request, body: GetBusinessOrdersRequest | None = None
    ) -> dict[str, Any]:
        ctx = guard(request, state, "getBusinessOrders", business_id=businessId)
        page = page_from_request(request, default=50, maximum=50, truncate=True)
        now = state.now()
        flt = business_filter(body or GetBusinessOrdersRequest(), ctx.cabinet.account_ids, now)
        conn = state.conn()
        rows, more = fetch_orders(conn, format_ts(now), flt, page.limit, page.offset)
        lines = fetch_lines(conn, [int(r["id"]) for r in rows])
        orders = [business_order(r, lines[int(r["id"])]) for r in rows]
        paging = {"nextPageToken": encode_token(page.offset + len(rows))} if more else {}
        return {
            "orders": apply_item_fault(orders, getattr(request.state, "ym_fault", None)),
            "paging": paging,
        }

    @router.put("/v2/campaigns/{campaignId}/orders/{orderId}/status")
    def update_order_status(
        campaignId: int, orderId: int, body: UpdateOrderStatusRequest, request: Request
    ) -> dict[str, Any]:
        ctx = guard(request, state, "updateOrderStatus", campaign_id=campaignId)
        account_id = str(ctx.account["id"])
        row = _find_order(state, account_id, orderId)
        if row is None:
            raise YmError(404, f"Order not found: {orderId}")
        target = target_state(row, body.order.status, body.order.substatus)
        conn, at = state.conn(), format_ts(state.now())
        with conn:
            apply_status(conn, row, target, at)
            log_push(
                conn, account_id, "PUT", request.url.path, at, body.model_dump(mode="json", exclude_none=True)
            )
        row = _find_order(state, account_id, orderId)
        lines = fetch_lines(conn, [int(row["id"])])
        return {"order": legacy_order(row, lines[int(row["id"])])}

    @router.post("/v2/campaigns/{campaignId}/orders/status-update")
    def update_order_statuses(
        campaignId: int, body: UpdateOrderStatusesRequest, request: Request
    ) -> dict[str, Any]:
        ctx = guard(request, state, "updateOrderStatuses", campaign_id=campaignId)
        # the quota counts the answer's orders (resp.result.orders): one per order of the body, known before
        # any of them is applied
        spend(request, state, ctx, "updateOrderStatuses", len(body.orders))
        account_id = str(ctx.account["id"])
        conn, at = state.conn(), format_ts(state.now())
        results = []
        with conn:
            for item in body.orders:
                results.append(_update_one(state, conn, account_id, item, at))
            log_push(
                conn,
                account_id,
                "POST",
                request.url.path,
                at,
                body.model_dump(mode="json", exclude_none=True),
            )
        return {"status": "OK", "result": {"orders": results}}

    return router


def _update_one(
    state: EmulatorState, conn: Any, account_id: str, item: OrderState, at: str
) -> dict[str, Any]:
    """One order of a batch status update: its own OK or ERROR."""
    row = _find_order(state, account_id, item.id)
    if row is None:
        return {"id": item.id, "updateStatus": "ERROR", "errorDetails": f"Order not found: {item.id}"}
    try:
        target = target_state(row, item.status, item.substatus)
        apply_status(conn, row, target, at)
    except YmError as err:
        return {
            "id": item.id,
            "status": row["ym_status"],
            "substatus": row["ym_substatus"],
            "updateStatus": "ERROR",
            "errorDetails": err.message,
        }
    return {"id": item.id, "status": target[0], "substatus": target[1], "updateStatus": "OK"}
