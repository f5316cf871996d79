"""Posting read methods: FBS v4 lists, FBS v3 get, FBO v3 list and v2 get.

Requests per OZ-ZH-2026 ``posting.v4.PostingFbsListRequest`` (``limit`` 1..100, ``cursor``, ``sort_dir``
``ASC|DESC``, ``filter.since``/``to`` required, period ≤ 1 year) and
``posting.v4.PostingFbsUnfulfilledListRequest``; responses carry no ``result`` wrapper
(``{cursor, has_next, postings}``, the unfulfilled list adds ``count``). ``/v3/posting/fbo/list`` follows
the community-observed contract: same envelope, ``limit`` (0, 100], ``filter{since, to, statuses,
posting_numbers, order_numbers}`` (fact sheet "(a) Orders / postings").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sellerflow_emulators.ozon.common import (
    Ctx,
    apply_schema_fault,
    check_limit,
    decode_cursor,
    encode_cursor,
    parse_time,
    str_list,
)
from sellerflow_emulators.ozon.errors import bad_request, not_found
from sellerflow_emulators.ozon.paging import keyset_page
from sellerflow_emulators.ozon.postings import PostingRenderer, find_posting, postings_sql
from sellerflow_emulators.runtime import parse_ts

FBS_SCHEMES = ("fbs", "dbs")  # rFBS (dbs) postings are listed by the FBS methods too
FBO_SCHEMES = ("fbo",)
UNFULFILLED = (
    "awaiting_registration",
    "acceptance_in_progress",
    "awaiting_approve",
    "awaiting_packaging",
    "awaiting_deliver",
    "arbitration",
    "client_arbitration",
    "driver_pickup",
    "not_accepted",
)


def _in(column: str, values: list[str]) -> tuple[str, list[Any]]:
    if not values:
        return "", []
    return f" and {column} in ({','.join('?' * len(values))})", list(values)


def _sort_desc(body: dict[str, Any], message: str) -> bool:
    value = str(body.get("sort_dir") or "ASC").upper()
    if value not in ("ASC", "DESC"):
        raise bad_request(f"invalid {message}.SortDir: value must be one of the defined enum values")
    return value == "DESC"


def _with(body: dict[str, Any]) -> dict[str, Any]:
    flags = body.get("with") or {}
    return flags if isinstance(flags, dict) else {}


def _period(flt: dict[str, Any], message: str, low: str, high: str) -> tuple[str, str]:
    since = parse_time(flt.get(low), f"{message}.Filter.{low.title()}")
    to = parse_time(flt.get(high), f"{message}.Filter.{high.title()}")
    if parse_ts(to) - parse_ts(since) > timedelta(days=366):
        raise bad_request("PERIOD_IS_TOO_LONG")
    return since, to


def _changed_filter(flt: dict[str, Any], message: str) -> tuple[str, list[Any]]:
    changed = flt.get("last_changed_status_date")
    if not isinstance(changed, dict) or not (changed.get("from") or changed.get("to")):
        return "", []
    where, params = "", []
    if changed.get("from"):
        where += " and vchanged >= ?"
        params.append(parse_time(changed["from"], f"{message}.Filter.LastChangedStatusDate.From"))
    if changed.get("to"):
        where += " and vchanged <= ?"
        params.append(parse_time(changed["to"], f"{message}.Filter.LastChangedStatusDate.To"))
    return where, params


def _common_filters(flt: dict[str, Any], message: str) -> tuple[str, list[Any], str, list[Any]]:
    """Filters on orders (inner) and on the computed status columns (outer)."""
    inner, params = "", []
    warehouses = str_list(flt.get("warehouse_ids"), f"{message}.Filter.WarehouseIds", 1000)
    if warehouses:
        inner += f" and w.external_id in ({','.join('?' * len(warehouses))})"
        params += warehouses
    outer, outer_params = _in("vstatus", str_list(flt.get("statuses"), f"{message}.Filter.Statuses"))
    changed, changed_params = _changed_filter(flt, message)
    return inner, params, outer + changed, outer_params + changed_params


def _numbers_of_order_id(ctx: Ctx, order_id: Any, message: str) -> list[str]:
    """Order numbers whose Ozon ``order_id`` is ``order_id`` (ids are derived, so this scans the cabinet)."""
    try:
        wanted = int(order_id)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {message}.Filter.OrderId: value must be a number") from None
    rows = ctx.conn.execute(
        "select distinct order_number, vendor from orders where account_id = ?", [ctx.account_id]
    ).fetchall()
    found = [str(r["order_number"]) for r in rows if PostingRenderer.order_id(r) == wanted]
    return found or ["\x00no-such-order"]


def _page(
    ctx: Ctx, body: dict[str, Any], message: str, inner: str, params: list[Any], desc: bool, limit: int
):
    state = decode_cursor(body.get("cursor"), message)
    return keyset_page(
        ctx.conn,
        inner,
        params,
        key_cols=("created_at", "id"),
        desc=desc,
        state=state,
        limit=limit,
        fault=ctx.fault,
    )


def fbs_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v4/posting/fbs/list``."""
    message = "PostingFbsListRequest"
    limit = check_limit(body, message, 1, 100)
    desc = _sort_desc(body, message)
    flt = body.get("filter")
    if not isinstance(flt, dict):
        raise bad_request(f"invalid {message}.Filter: value is required")
    since, to = _period(flt, message, "since", "to")
    where = " and o.created_at >= ? and o.created_at <= ?"
    params: list[Any] = [since, to]
    numbers = str_list(flt.get("order_numbers"), f"{message}.Filter.OrderNumbers", 100)
    if flt.get("order_id"):
        numbers = [*numbers, *_numbers_of_order_id(ctx, flt["order_id"], message)]
    sql, args = _in("o.order_number", numbers)
    where, params = where + sql, params + args
    inner, inner_params, outer, outer_params = _common_filters(flt, message)
    base, base_params = postings_sql(ctx, FBS_SCHEMES, where + inner, params + inner_params)
    page = _page(ctx, body, message, base + outer, base_params + outer_params, desc, limit)
    rows = page.rows
    renderer = PostingRenderer(ctx, rows)
    postings = [renderer.fbs_v4(row, _with(body)) for row in rows]
    apply_schema_fault(postings, ctx.fault, "posting_number")
    return {
        "cursor": encode_cursor(page.next_state) if page.has_next else "",
        "has_next": page.has_next,
        "postings": postings,
    }


def fbs_unfulfilled_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v4/posting/fbs/unfulfilled/list``: postings still to be collected or handed over."""
    message = "PostingFbsUnfulfilledListRequest"
    limit = check_limit(body, message, 1, 100, default=100)
    desc = _sort_desc(body, message)
    flt = body.get("filter") or {}
    if not isinstance(flt, dict):
        raise bad_request(f"invalid {message}.Filter: value must be an object")
    where, params = "", []
    has_cutoff = bool(flt.get("cutoff_from") or flt.get("cutoff_to"))
    has_delivering = bool(flt.get("delivering_date_from") or flt.get("delivering_date_to"))
    if has_cutoff and has_delivering:
        raise bad_request("only one of cutoff or delivering_date period can be used")
    if has_cutoff:
        since, to = _period(flt, message, "cutoff_from", "cutoff_to")
        where, params = " and o.ship_by >= ? and o.ship_by <= ?", [since, to]
    inner, inner_params, outer, outer_params = _common_filters(flt, message)
    if not flt.get("statuses"):
        sql, args = _in("vstatus", list(UNFULFILLED))
        outer, outer_params = outer + sql, outer_params + args
    base, base_params = postings_sql(ctx, FBS_SCHEMES, where + inner, params + inner_params)
    full_sql, full_params = base + outer, base_params + outer_params
    count = ctx.conn.execute(f"select count(*) from ({full_sql})", full_params).fetchone()[0]
    page = _page(ctx, body, message, full_sql, full_params, desc, limit)
    renderer = PostingRenderer(ctx, page.rows)
    postings = [renderer.fbs_v4(row, _with(body)) for row in page.rows]
    apply_schema_fault(postings, ctx.fault, "posting_number")
    return {
        "count": int(count),
        "cursor": encode_cursor(page.next_state) if page.has_next else "",
        "has_next": page.has_next,
        "postings": postings,
    }


def fbs_get(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v3/posting/fbs/get``."""
    number = body.get("posting_number")
    if not number:
        raise bad_request("invalid GetFbsPostingRequest.PostingNumber: value length must be at least 1 runes")
    row = find_posting(ctx, str(number), FBS_SCHEMES)
    if row is None:
        raise not_found("POSTING_NOT_FOUND")
    return {"result": PostingRenderer(ctx, [row]).fbs_v3_detail(row, _with(body))}


def fbo_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v3/posting/fbo/list`` (cursor, limit (0, 100], no ``result`` wrapper)."""
    message = "PostingFboListRequest"
    limit = check_limit(body, message, 1, 100)
    desc = _sort_desc(body, message)
    flt = body.get("filter")
    if not isinstance(flt, dict):
        raise bad_request(f"invalid {message}.Filter: value is required")
    since, to = _period(flt, message, "since", "to")
    where = " and o.created_at >= ? and o.created_at <= ?"
    params: list[Any] = [since, to]
    for field, column in (("posting_numbers", "o.posting_number"), ("order_numbers", "o.order_number")):
        sql, args = _in(column, str_list(flt.get(field), f"{message}.Filter.{field}", 1000))
        where, params = where + sql, params + args
    outer, outer_params = _in("vstatus", str_list(flt.get("statuses"), f"{message}.Filter.Statuses"))
    base, base_params = postings_sql(ctx, FBO_SCHEMES, where, params)
    page = _page(ctx, body, message, base + outer, base_params + outer_params, desc, limit)
    renderer = PostingRenderer(ctx, page.rows)
    postings = [renderer.fbo(row, _with(body), money_prices=True) for row in page.rows]
    apply_schema_fault(postings, ctx.fault, "posting_number")
    return {
        "cursor": encode_cursor(page.next_state) if page.has_next else "",
        "has_next": page.has_next,
        "postings": postings,
    }


def fbo_get(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/posting/fbo/get``."""
    number = body.get("posting_number")
    if not number:
        raise bad_request("invalid GetFboPostingRequest.PostingNumber: value length must be at least 1 runes")
    row = find_posting(ctx, str(number), FBO_SCHEMES)
    if row is None:
        raise not_found("POSTING_NOT_FOUND")
    return {"result": PostingRenderer(ctx, [row]).fbo(row, _with(body), money_prices=False)}
