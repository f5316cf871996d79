"""marketplace-api.wildberries.ru: FBS assembly tasks, supplies, seller warehouses and stocks.

Sources: WB OpenAPI 03-orders-fbs (2026-07-22) tags "Сборочные задания FBS" and "Поставки FBS":
``GET /api/v3/orders/new``, ``GET /api/v3/orders`` (limit 1..1000, next, dateFrom/dateTo Unix UTC,
30-day window, last 3 months), ``POST /api/v3/orders/status`` (<= 1000 ids),
``PATCH /api/v3/orders/{orderId}/cancel``, ``POST|GET /api/v3/supplies``, ``GET|DELETE
/api/v3/supplies/{supplyId}``, ``PATCH /api/marketplace/v3/supplies/{supplyId}/orders`` (<= 100),
``GET /api/marketplace/v3/supplies/{supplyId}/order-ids``, ``PATCH /api/v3/supplies/{supplyId}/deliver``;
02-items tags "Склады продавца" / "Остатки на складах продавца": ``GET /api/v3/warehouses``,
``POST|PUT /api/v3/stocks/{warehouseId}`` (chrtId + amount, <= 1000 items, amount <= 100000; PUT
does not validate parameter names and answers 204).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.wildberries.common import (
    VENDOR,
    CallContext,
    WbError,
    bad_body,
    bad_parameter,
    marketplace_error,
)
from sellerflow_emulators.wildberries.guard import PageMemory, guard, list_fault, mutate_items
from sellerflow_emulators.wildberries.world import (
    find_orders,
    first_lines,
    fold_status,
    histories,
    office_id,
    supply_of,
    vendor_json,
    warehouses_by_id,
    wb_order_id,
    wb_order_uid,
    wb_rid,
)

MAX_WINDOW = timedelta(days=30)
RETENTION = timedelta(days=90)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or WB's 400 IncorrectRequestBody."""
    try:
        return await request.json()
    except ValueError as exc:
        raise bad_body() from exc


def int_param(request: Request, name: str, required: bool = False) -> int | None:
    """An integer query parameter, or WB's 400 IncorrectParameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_parameter()
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_parameter() from exc


def render_orders(
    conn: sqlite3.Connection, rows: list[sqlite3.Row], with_supply: bool
) -> list[dict[str, Any]]:
    """Assembly tasks in the shape of ``GET /api/v3/orders`` items (``/new`` drops ``supplyId``)."""
    ids = [r["id"] for r in rows]
    lines = first_lines(conn, ids)
    supplies = supply_of(conn, ids) if with_supply else {}
    houses = warehouses_by_id(conn, (r["warehouse_id"] for r in rows))
    out = []
    for r in rows:
        line = lines.get(r["id"])
        house = houses.get(r["warehouse_id"])
        external = house["external_id"] if house else "0"
        vendor = vendor_json(r)
        price = int(line["price_kop"]) if line else 0
        item: dict[str, Any] = {
            "address": None,
            "scanPrice": None,
            "deliveryType": "fbs",
            "orderUid": wb_order_uid(r),
            "article": line["offer_id"] if line else "",
            "colorCode": "",
            "rid": wb_rid(r),
            "createdAt": r["created_at"],
            "offices": [house["name"]] if house else [],
            "skus": [line["barcode"]] if line and line["barcode"] else [],
            "id": wb_order_id(r),
            "warehouseId": int(external) if str(external).isdigit() else 0,
            "officeId": office_id(external),
            "nmId": int(vendor.get("nmId") or (line["mp_sku"] if line and line["mp_sku"] else 0)),
            "chrtId": int(
                vendor.get("chrtId") or (line["mp_product_id"] if line and line["mp_product_id"] else 0)
            ),
            "price": price,
            "convertedPrice": price,
            "currencyCode": 643,
            "convertedCurrencyCode": 643,
            "cargoType": 1,
            "crossBorderType": 0,
            "comment": "",
            "isZeroOrder": False,
            "options": {"isB2B": False},
        }
        if with_supply:
            if r["id"] in supplies:
                item["supplyId"] = supplies[r["id"]]
        else:
            item.pop("scanPrice")
            item.update(
                {
                    "finalPrice": price,
                    "convertedFinalPrice": price,
                    "salePrice": price,
                    "ddate": "",
                    "sellerDate": None,
                    "requiredMeta": [],
                    "optionalMeta": [],
                    "isPickupPointShipmentAllowed": True,
                }
            )
        out.append(item)
    return out


def build_router(state: EmulatorState, pages: PageMemory) -> APIRouter:  # noqa: C901 - one closure per route
    """Routes of marketplace-api."""
    router = APIRouter()
    orders_guard = Depends(guard(state, "marketplace", "marketplace"))
    cancel_guard = Depends(guard(state, "marketplace", "orders_cancel"))

    @router.get("/api/v3/orders/new", response_model=None)
    def orders_new(ctx: CallContext = orders_guard) -> Any:
        conn = state.conn()
        clock = format_ts(ctx.now)
        rows = conn.execute(
            """select o.* from orders o
               where o.account_id = ? and o.scheme = 'fbs' and o.created_at <= ?
                 and (select h.status from order_status_history h
                      where h.order_id = o.id and h.at <= ? order by h.at desc limit 1) = 'awaiting_packaging'
               order by o.id""",
            (ctx.account_id, clock, clock),
        ).fetchall()
        hist = histories(conn, [r["id"] for r in rows], clock)
        rows = [r for r in rows if fold_status(hist[r["id"]]).supplier == "new"]
        items = render_orders(conn, rows, with_supply=False)
        if not items and list_fault(ctx, "empty_204"):
            return Response(status_code=204)
        return {"orders": mutate_items(items, ctx.fault)}

    @router.get("/api/v3/orders", response_model=None)
    def orders_list(request: Request, ctx: CallContext = orders_guard) -> Any:
        limit = int_param(request, "limit", required=True)
        cursor = int_param(request, "next", required=True)
        date_from = int_param(request, "dateFrom")
        date_to = int_param(request, "dateTo")
        if limit is None or not 1 <= limit <= 1000 or cursor is None or cursor < 0:
            raise bad_parameter()
        now_unix = int(ctx.now.timestamp())
        date_to = now_unix if date_to is None else date_to
        date_from = date_to - int(MAX_WINDOW.total_seconds()) if date_from is None else date_from
        if date_from > date_to or date_to - date_from > MAX_WINDOW.total_seconds():
            raise bad_parameter()
        oldest = now_unix - int(RETENTION.total_seconds())
        date_from = max(date_from, oldest)
        route = f"orders:{date_from}:{date_to}"
        dup = list_fault(ctx, "duplicate_page")
        if dup and (previous := pages.previous(ctx.account_id, route)) is not None:
            return previous
        shift = fault.shift if (fault := list_fault(ctx, "shifted_page")) else 0
        page = _orders_page(state.conn(), ctx, cursor, limit, date_from, date_to, shift)
        if not page["orders"] and list_fault(ctx, "empty_204"):
            return Response(status_code=204)
        page["orders"] = mutate_items(page["orders"], ctx.fault)
        pages.remember(ctx.account_id, route, page)
        return page

    @router.post("/api/v3/orders/status", response_model=None)
    async def orders_status(request: Request, ctx: CallContext = orders_guard) -> Any:
        body = await read_json(request)
        ids = body.get("orders") if isinstance(body, dict) else None
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > 1000
            or not all(isinstance(i, int) for i in ids)
        ):
            raise marketplace_error(400, "IncorrectRequestBody", "Некорректное тело запроса")
        return {"orders": _statuses(state.conn(), ctx, ids)}

    @router.patch("/api/v3/orders/{order_id}/cancel", response_model=None)
    def order_cancel(order_id: str, ctx: CallContext = cancel_guard) -> Any:
        if not order_id.isdigit():
            raise bad_parameter()
        conn = state.conn()
        row = find_orders(conn, ctx.account_id, [int(order_id)]).get(int(order_id))
        if row is None or row["scheme"] != "fbs" or row["created_at"] > format_ts(ctx.now):
            raise marketplace_error(404, "NotFound", "Не найдено")
        status = fold_status(histories(conn, [row["id"]], format_ts(ctx.now))[row["id"]])
        if not status.cancellable:
            raise marketplace_error(
                409, "StatusMismatch", "Несоответствие статусов, проверьте их правильность"
            )
        _append_status(conn, ctx, [row["id"]], "cancelled", "cancel/canceled")
        _log(conn, ctx, "PATCH", f"/api/v3/orders/{order_id}/cancel", {})
        conn.commit()
        return Response(status_code=204)

    @router.post("/api/v3/supplies", status_code=201, response_model=None)
    async def supply_create(request: Request, ctx: CallContext = orders_guard) -> Any:
        body = await read_json(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise bad_body()
        conn = state.conn()
        cur = conn.execute(
            "insert into wildberries_supplies(id, account_id, name, created_at) values (?, ?, ?, ?)",
            (f"pending-{uuid.uuid4().hex}", ctx.account_id, name, format_ts(ctx.now)),
        )
        supply_id = f"WB-GI-{1_000_000 + int(cur.lastrowid or 0)}"
        conn.execute("update wildberries_supplies set id = ? where seq = ?", (supply_id, cur.lastrowid))
        _log(conn, ctx, "POST", "/api/v3/supplies", body)
        conn.commit()
        return JSONResponse({"id": supply_id}, status_code=201)

    @router.get("/api/v3/supplies", response_model=None)
    def supplies_list(request: Request, ctx: CallContext = orders_guard) -> Any:
        limit = int_param(request, "limit", required=True)
        cursor = int_param(request, "next", required=True)
        if limit is None or not 1 <= limit <= 1000 or cursor is None or cursor < 0:
            raise bad_parameter()
        rows = (
            state.conn()
            .execute(
                "select * from wildberries_supplies where account_id = ? and seq > ? order by seq limit ?",
                (ctx.account_id, cursor, limit),
            )
            .fetchall()
        )
        return {"next": rows[-1]["seq"] if rows else cursor, "supplies": [_supply(r) for r in rows]}

    @router.get("/api/v3/supplies/{supply_id}", response_model=None)
    def supply_get(supply_id: str, ctx: CallContext = orders_guard) -> Any:
        return _supply(_find_supply(state.conn(), ctx, supply_id))

    @router.delete("/api/v3/supplies/{supply_id}", response_model=None)
    def supply_delete(supply_id: str, ctx: CallContext = orders_guard) -> Any:
        conn = state.conn()
        supply = _find_supply(conn, ctx, supply_id)
        attached = conn.execute(
            "select count(*) from wildberries_supply_orders where supply_id = ?", (supply_id,)
        ).fetchone()[0]
        if attached or supply["done"]:
            raise marketplace_error(
                409,
                "SupplyHasOrders",
                "Не удалось обработать поставку. Убедитесь, что за ней не осталось закреплённых сборочных заданий.",
            )
        conn.execute("delete from wildberries_supplies where id = ?", (supply_id,))
        _log(conn, ctx, "DELETE", f"/api/v3/supplies/{supply_id}", {})
        conn.commit()
        return Response(status_code=204)

    @router.patch("/api/marketplace/v3/supplies/{supply_id}/orders", response_model=None)
    async def supply_add_orders(supply_id: str, request: Request, ctx: CallContext = orders_guard) -> Any:
        body = await read_json(request)
        ids = body.get("orders") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or len(ids) > 100 or not all(isinstance(i, int) for i in ids):
            raise bad_parameter()
        conn = state.conn()
        supply = _find_supply(conn, ctx, supply_id)
        found = find_orders(conn, ctx.account_id, ids)
        clock = format_ts(ctx.now)
        hist = histories(conn, [r["id"] for r in found.values()], clock)
        ok = (
            not supply["done"]
            and len(found) == len(set(ids))
            and all(
                r["scheme"] == "fbs"
                and r["created_at"] <= clock
                and fold_status(hist[r["id"]]).supplier in {"new", "confirm"}
                and fold_status(hist[r["id"]]).canonical not in {"cancelled", "returned"}
                for r in found.values()
            )
        )
        if not ok:
            raise marketplace_error(
                409,
                "FailedToAddSupplyOrder",
                "Не удалось закрепить сборочное задание за поставкой. Убедитесь, что сборочное задание "
                "и поставка удовлетворяют всем необходимым требованиям.",
            )
        canonical_ids = [r["id"] for r in found.values()]
        conn.executemany(
            "insert or replace into wildberries_supply_orders(supply_id, order_id, added_at) values (?, ?, ?)",
            [(supply_id, i, clock) for i in canonical_ids],
        )
        fresh = [r["id"] for r in found.values() if fold_status(hist[r["id"]]).supplier == "new"]
        _append_status(conn, ctx, fresh, "awaiting_deliver", "confirm/waiting")
        _log(conn, ctx, "PATCH", f"/api/marketplace/v3/supplies/{supply_id}/orders", body)
        conn.commit()
        return Response(status_code=204)

    @router.get("/api/marketplace/v3/supplies/{supply_id}/order-ids", response_model=None)
    def supply_order_ids(supply_id: str, ctx: CallContext = orders_guard) -> Any:
        conn = state.conn()
        _find_supply(conn, ctx, supply_id)
        rows = conn.execute(
            """select o.* from wildberries_supply_orders s join orders o on o.id = s.order_id
               where s.supply_id = ? order by o.id""",
            (supply_id,),
        ).fetchall()
        return {"orderIds": [wb_order_id(r) for r in rows]}

    @router.patch("/api/v3/supplies/{supply_id}/deliver", response_model=None)
    def supply_deliver(supply_id: str, ctx: CallContext = orders_guard) -> Any:
        conn = state.conn()
        supply = _find_supply(conn, ctx, supply_id)
        ids = [
            r[0]
            for r in conn.execute(
                "select order_id from wildberries_supply_orders where supply_id = ?", (supply_id,)
            ).fetchall()
        ]
        if not ids or supply["done"]:
            raise marketplace_error(
                409,
                "SupplyHasZeroOrders",
                "Не удалось обработать поставку. Убедитесь, что за ней закреплён хотя бы одно сборочное задание.",
            )
        clock = format_ts(ctx.now)
        hist = histories(conn, ids, clock)
        live = [i for i in ids if fold_status(hist[i]).supplier == "confirm"]
        _append_status(conn, ctx, live, "delivering", "complete/waiting")
        conn.execute(
            "update wildberries_supplies set done = 1, closed_at = ? where id = ?", (clock, supply_id)
        )
        _log(conn, ctx, "PATCH", f"/api/v3/supplies/{supply_id}/deliver", {})
        conn.commit()
        return Response(status_code=204)

    stocks_routes(router, state)
    return router


def _orders_page(
    conn: sqlite3.Connection,
    ctx: CallContext,
    cursor: int,
    limit: int,
    date_from: int,
    date_to: int,
    shift: int,
) -> dict[str, Any]:
    """One keyset page of FBS assembly tasks created in [date_from, date_to] (Unix seconds)."""
    lo = format_ts(_utc(date_from))
    hi = min(format_ts(_utc(date_to)), format_ts(ctx.now))
    args: tuple[Any, ...] = (ctx.account_id, lo, hi)
    where = "account_id = ? and scheme = 'fbs' and created_at >= ? and created_at <= ?"
    if shift < 0:
        # Step back |shift| records: the page then starts with rows the client already has.
        back = conn.execute(
            f"select id from orders where {where} and id <= ? order by id desc limit ?",
            (*args, cursor, -shift),
        ).fetchall()
        cursor = back[-1]["id"] - 1 if back else cursor
    rows = conn.execute(
        f"select * from orders where {where} and id > ? order by id limit ? offset ?",
        (*args, cursor, limit, max(shift, 0)),
    ).fetchall()
    next_cursor = rows[-1]["id"] if rows else cursor
    return {"next": next_cursor, "orders": render_orders(conn, rows, with_supply=True)}


def _utc(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _statuses(conn: sqlite3.Connection, ctx: CallContext, ids: list[int]) -> list[dict[str, Any]]:
    found = find_orders(conn, ctx.account_id, ids)
    clock = format_ts(ctx.now)
    visible = {k: r for k, r in found.items() if r["created_at"] <= clock and r["scheme"] == "fbs"}
    hist = histories(conn, [r["id"] for r in visible.values()], clock)
    out = []
    for wid in ids:
        row = visible.get(wid)
        if row is None:
            continue
        status = fold_status(hist[row["id"]])
        out.append(
            {
                "id": wid,
                "supplierStatus": status.supplier,
                "wbStatus": status.wb,
                "isCancellable": status.cancellable,
            }
        )
    return out


def _find_supply(conn: sqlite3.Connection, ctx: CallContext, supply_id: str) -> sqlite3.Row:
    row = conn.execute(
        "select * from wildberries_supplies where id = ? and account_id = ?", (supply_id, ctx.account_id)
    ).fetchone()
    if row is None:
        raise marketplace_error(404, "NotFound", "Не найдено")
    return row


def _supply(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "isB2b": False,
        "isPickupPointShipmentAllowed": True,
        "done": bool(row["done"]),
        "createdAt": row["created_at"],
        "closedAt": row["closed_at"],
        "scanDt": None,
        "name": row["name"],
        "cargoType": 1,
        "crossBorderType": 0,
        "destinationOfficeId": None,
        "recommendedWhId": 0,
    }


def _append_status(
    conn: sqlite3.Connection, ctx: CallContext, order_ids: list[int], status: str, code: str
) -> None:
    conn.executemany(
        """insert or ignore into order_status_history(order_id, at, status, vendor_status, actor)
           values (?, ?, ?, ?, 'seller')""",
        [(i, format_ts(ctx.now), status, code) for i in order_ids],
    )


def _log(conn: sqlite3.Connection, ctx: CallContext, method: str, path: str, body: Any) -> None:
    conn.execute(
        "insert into push_log(vendor, account_id, method, path, at, body) values (?, ?, ?, ?, ?, ?)",
        (VENDOR, ctx.account_id, method, path, format_ts(ctx.now), json.dumps(body, ensure_ascii=False)),
    )


# ---------------------------------------------------------------- warehouses and stocks


def stocks_routes(router: APIRouter, state: EmulatorState) -> None:
    """Seller warehouses and their stocks (02-items)."""
    stocks_guard = Depends(guard(state, "marketplace", "stocks"))
    warehouses_guard = Depends(guard(state, "marketplace", "warehouses"))

    @router.get("/api/v3/warehouses", response_model=None)
    def warehouses(ctx: CallContext = warehouses_guard) -> Any:
        rows = (
            state.conn()
            .execute(
                "select * from warehouses where owner = ? and kind in ('fbs', 'dbs') order by id",
                (ctx.account_id,),
            )
            .fetchall()
        )
        return [
            {
                "name": r["name"],
                "officeId": office_id(r["external_id"]),
                "id": int(r["external_id"]) if str(r["external_id"]).isdigit() else 0,
                "cargoType": 1,
                "deliveryType": 1,
                "isDeleting": False,
                "isProcessing": False,
            }
            for r in rows
        ]

    @router.post("/api/v3/stocks/{warehouse_id}", response_model=None)
    async def stocks_read(warehouse_id: str, request: Request, ctx: CallContext = stocks_guard) -> Any:
        house = _seller_warehouse(state.conn(), ctx, warehouse_id)
        body = await read_json(request)
        if isinstance(body, dict) and "skus" in body and "chrtIds" not in body:
            raise marketplace_error(
                400,
                "SKUUploadDisabled",
                "Uploading stock is not allowed by 'sku'. Please use the 'chrtId' key",
            )
        chrt_ids = body.get("chrtIds") if isinstance(body, dict) else None
        if (
            not isinstance(chrt_ids, list)
            or not chrt_ids
            or len(chrt_ids) > 1000
            or not all(isinstance(c, int) for c in chrt_ids)
        ):
            raise marketplace_error(400, "IncorrectRequestBody", "Incorrect required body")
        conn = state.conn()
        offers = _offers_by_chrt(conn, ctx.account_id, chrt_ids)
        present = {
            r["offer_id"]: r["present"]
            for r in conn.execute(
                "select offer_id, present from stocks where warehouse_id = ?", (house["id"],)
            )
        }
        return {
            "stocks": [
                {"chrtId": c, "amount": int(present.get(offers[c]["offer_id"], 0))}
                for c in chrt_ids
                if c in offers
            ]
        }

    @router.put("/api/v3/stocks/{warehouse_id}", response_model=None)
    async def stocks_update(warehouse_id: str, request: Request, ctx: CallContext = stocks_guard) -> Any:
        conn = state.conn()
        house = _seller_warehouse(conn, ctx, warehouse_id)
        body = await read_json(request)
        items = body.get("stocks") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items or len(items) > 1000:
            raise marketplace_error(400, "IncorrectRequestBody", "Incorrect required body")
        if any(isinstance(i, dict) and "sku" in i and "chrtId" not in i for i in items):
            raise marketplace_error(
                400,
                "SKUUploadDisabled",
                "Uploading stock is not allowed by 'sku'. Please use the 'chrtId' key",
            )
        # WB does not validate parameter names: items without chrtId/amount are ignored silently.
        valid = [
            i
            for i in items
            if isinstance(i, dict) and isinstance(i.get("chrtId"), int) and isinstance(i.get("amount"), int)
        ]
        too_big = [i for i in valid if not 0 <= i["amount"] <= 100_000]
        if too_big:
            data = [{"sku": "", "chrtId": i["chrtId"], "amount": i["amount"]} for i in too_big]
            return JSONResponse(
                [{"code": "UploadDataLimit", "message": "Upload limit exceeded.", "data": data}], 409
            )
        offers = _offers_by_chrt(conn, ctx.account_id, [i["chrtId"] for i in valid])
        unknown = [i for i in valid if i["chrtId"] not in offers]
        if unknown:
            data = [{"sku": "", "chrtId": i["chrtId"], "amount": i["amount"]} for i in unknown]
            return JSONResponse([{"code": "NotFound", "message": "Not found", "data": data}], 409)
        conn.executemany(
            """insert into stocks(warehouse_id, offer_id, present, reserved, updated_at) values (?, ?, ?, 0, ?)
               on conflict(warehouse_id, offer_id) do update set present = excluded.present,
               updated_at = excluded.updated_at""",
            [(house["id"], offers[i["chrtId"]]["offer_id"], i["amount"], format_ts(ctx.now)) for i in valid],
        )
        _log(conn, ctx, "PUT", f"/api/v3/stocks/{warehouse_id}", body)
        conn.commit()
        return Response(status_code=204)


def _seller_warehouse(conn: sqlite3.Connection, ctx: CallContext, warehouse_id: str) -> sqlite3.Row:
    row = conn.execute(
        "select * from warehouses where owner = ? and external_id = ? and kind in ('fbs', 'dbs')",
        (ctx.account_id, warehouse_id),
    ).fetchone()
    if row is None:
        raise marketplace_error(404, "NotFound", "")
    return row


def _offers_by_chrt(conn: sqlite3.Connection, account_id: str, chrt_ids: list[int]) -> dict[int, sqlite3.Row]:
    out: dict[int, sqlite3.Row] = {}
    wanted = sorted(set(chrt_ids))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"select * from offers where account_id = ? and mp_product_id in ({marks})", (account_id, *chunk)
        ).fetchall()
        out.update({int(r["mp_product_id"]): r for r in rows})
    return out


__all__ = ["WbError", "build_router"]
