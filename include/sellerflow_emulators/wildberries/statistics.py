"""statistics-api: the supplier orders and sales feeds.

Source: WB OpenAPI 12-reports (2026-07-22), ``GET /api/v1/supplier/orders`` and
``GET /api/v1/supplier/sales``: ``dateFrom`` (RFC3339 date or date-time, Moscow time when it has no
zone) and ``flag``; with ``flag=0`` rows whose ``lastChangeDate >= dateFrom``, at most ~80 000 per
answer, next ``dateFrom`` = the last row's ``lastChangeDate``, ``[]`` when everything is loaded;
with ``flag=1`` every row whose ``date`` falls on that calendar day. Timestamps are printed in
Moscow time without a zone. One row = one assembly task = one unit (the posting's first line).
400 bodies: ``{"errors": ["dateFrom: field required"]}`` / ``{"errors": "dateFrom: Value not validated"}``.
Data is kept 90 days. ``forPay`` has no canonical source here: it is ``vendor.forPay`` of the
order when the generator set one, else 85 % of the buyer price (WB calls the field preliminary).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.wildberries.common import (
    MSK,
    CallContext,
    WbError,
    money_number,
    parse_msk,
    stable_int,
    to_msk,
)
from sellerflow_emulators.wildberries.guard import PageMemory, guard, list_fault, mutate_items
from sellerflow_emulators.wildberries.world import (
    first_lines,
    fold_status,
    histories,
    vendor_json,
    warehouses_by_id,
    wb_srid,
)

MAX_ROWS = 80_000
RETENTION = timedelta(days=90)
NO_DATE = "0001-01-01T00:00:00"


def _date_from(request: Request) -> tuple[datetime, int]:
    raw = request.query_params.get("dateFrom")
    if raw is None or raw == "":
        raise WbError(400, {"errors": ["dateFrom: field required"]})
    try:
        moment = parse_msk(raw)
        flag = int(request.query_params.get("flag") or 0)
    except ValueError as exc:
        raise WbError(400, {"errors": "dateFrom: Value not validated"}) from exc
    return moment, flag


def _common(order: sqlite3.Row, line: sqlite3.Row | None, house: sqlite3.Row | None) -> dict[str, Any]:
    """Fields orders and sales rows share."""
    price = int(line["price_kop"]) if line else 0
    base = int(line["old_price_kop"] or line["offer_price_kop"] or price) if line else 0
    base = max(base, price)
    discount = round(100 - price * 100 / base) if base else 0
    return {
        "warehouseName": house["name"] if house else "",
        "warehouseType": "Склад WB" if order["scheme"] == "fbo" else "Склад продавца",
        "countryName": "Россия",
        "oblastOkrugName": "Центральный федеральный округ",
        "regionName": "Московская",
        "supplierArticle": line["offer_id"] if line else "",
        "nmId": int(line["mp_sku"] or 0) if line else 0,
        "barcode": line["barcode"] or "" if line else "",
        "category": "",
        "subject": "",
        "brand": "",
        "techSize": "0",
        "incomeID": 0,
        "isSupply": False,
        "isRealization": True,
        "totalPrice": money_number(base),
        "discountPercent": discount,
        "spp": 0,
        "finishedPrice": money_number(price),
        "priceWithDisc": money_number(price),
    }


def _tail(order: sqlite3.Row) -> dict[str, Any]:
    return {
        "sticker": "",
        "gNumber": str(stable_int("g", order["account_id"], order["order_number"], digits=19)),
        "srid": wb_srid(order),
    }


def build_router(state: EmulatorState, pages: PageMemory) -> APIRouter:
    """Routes of statistics-api (the legacy v5 report lives in reports.py)."""
    router = APIRouter()
    orders_guard = Depends(guard(state, "statistics", "statistics_orders"))
    sales_guard = Depends(guard(state, "statistics", "statistics_sales"))

    @router.get("/api/v1/supplier/orders", response_model=None)
    def supplier_orders(request: Request, ctx: CallContext = orders_guard) -> Any:
        moment, flag = _date_from(request)
        rows = _order_rows(state.conn(), ctx, moment, flag)
        return _answer(ctx, pages, "supplier_orders", rows)

    @router.get("/api/v1/supplier/sales", response_model=None)
    def supplier_sales(request: Request, ctx: CallContext = sales_guard) -> Any:
        moment, flag = _date_from(request)
        rows = _sale_rows(state.conn(), ctx, moment, flag)
        return _answer(ctx, pages, "supplier_sales", rows)

    return router


def _answer(ctx: CallContext, pages: PageMemory, route: str, rows: list[dict[str, Any]]) -> Any:
    if list_fault(ctx, "duplicate_page") and (previous := pages.previous(ctx.account_id, route)) is not None:
        return previous
    if fault := list_fault(ctx, "shifted_page"):
        rows = rows[max(fault.shift, 0) :]
    if not rows and list_fault(ctx, "empty_204"):
        return Response(status_code=204)
    rows = mutate_items(rows, ctx.fault)
    pages.remember(ctx.account_id, route, rows)
    return rows


def _window(ctx: CallContext, moment: datetime, flag: int) -> tuple[str, str]:
    """[lo, hi] in canonical UTC text for the chosen flag."""
    if flag == 1:
        day = (moment + MSK).replace(hour=0, minute=0, second=0, microsecond=0) - MSK
        return format_ts(day), format_ts(min(day + timedelta(days=1, seconds=-1), ctx.now))
    return format_ts(moment), format_ts(ctx.now)


def _order_rows(
    conn: sqlite3.Connection, ctx: CallContext, moment: datetime, flag: int
) -> list[dict[str, Any]]:
    lo, hi = _window(ctx, moment, flag)
    clock = format_ts(ctx.now)
    oldest = format_ts(ctx.now - RETENTION)
    base = """select * from (
                select o.*, coalesce((select max(h.at) from order_status_history h
                                      where h.order_id = o.id and h.at <= :clock), o.created_at) as lcd
                from orders o
                where o.account_id = :acc and o.created_at <= :clock and o.created_at >= :oldest"""
    if flag == 1:
        sql = base + " and o.created_at between :lo and :hi) order by created_at, id"
    else:
        sql = base + ") where lcd >= :lo order by lcd, id limit :max"
    orders = conn.execute(
        sql, {"clock": clock, "acc": ctx.account_id, "oldest": oldest, "lo": lo, "hi": hi, "max": MAX_ROWS}
    ).fetchall()
    ids = [o["id"] for o in orders]
    lines = first_lines(conn, ids)
    hist = histories(conn, ids, clock)
    houses = warehouses_by_id(conn, (o["warehouse_id"] for o in orders))
    out = []
    for o in orders:
        status = fold_status(hist[o["id"]])
        row = {"date": to_msk(o["created_at"]), "lastChangeDate": to_msk(o["lcd"])}
        row.update(_common(o, lines.get(o["id"]), houses.get(o["warehouse_id"])))
        row["isCancel"] = status.cancelled_at is not None
        row["cancelDate"] = to_msk(status.cancelled_at) if status.cancelled_at else NO_DATE
        row.update(_tail(o))
        out.append(row)
    return out


def _sale_rows(
    conn: sqlite3.Connection, ctx: CallContext, moment: datetime, flag: int
) -> list[dict[str, Any]]:
    lo, hi = _window(ctx, moment, flag)
    events = conn.execute(
        """select o.*, h.at as event_at, h.status as event from order_status_history h
           join orders o on o.id = h.order_id
           where o.account_id = ? and h.status in ('delivered', 'returned') and h.at between ? and ?
             and o.created_at >= ?
           order by h.at, o.id limit ?""",
        (ctx.account_id, lo, hi, format_ts(ctx.now - RETENTION), MAX_ROWS),
    ).fetchall()
    ids = sorted({e["id"] for e in events})
    lines = first_lines(conn, ids)
    houses = warehouses_by_id(conn, (e["warehouse_id"] for e in events))
    out = []
    for e in events:
        line = lines.get(e["id"])
        common = _common(e, line, houses.get(e["warehouse_id"]))
        sign = -1 if e["event"] == "returned" else 1
        price_kop = int(line["price_kop"]) if line else 0
        for_pay = vendor_json(e).get("forPay")
        for_pay_kop = round(float(for_pay) * 100) if for_pay is not None else round(price_kop * 0.85)
        row = {"date": to_msk(e["event_at"]), "lastChangeDate": to_msk(e["event_at"])}
        row.update(common)
        row["paymentSaleAmount"] = 0
        row["forPay"] = money_number(sign * for_pay_kop)
        row["finishedPrice"] = money_number(sign * price_kop)
        row["priceWithDisc"] = money_number(sign * price_kop)
        prefix = "R" if sign < 0 else "S"
        row["saleID"] = f"{prefix}{stable_int(e['id'], e['event'], digits=10)}"
        row.update(_tail(e))
        out.append(row)
    return out
