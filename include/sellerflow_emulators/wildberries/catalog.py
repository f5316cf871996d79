"""content-api and discounts-prices-api: product cards and prices.

Sources: WB OpenAPI 02-items (2026-07-22):
- ``POST /content/v2/get/cards/list`` (tag "Карточки товаров"): ``settings.cursor.limit`` <= 100,
  cursor ``{updatedAt, nmID}``, response ``{cards[], cursor{updatedAt, nmID, total}}``; sizes carry
  ``chrtID``, ``techSize``, ``wbSize``, ``skus`` (barcodes). 400 body ``responseBodyContentError400``.
- ``GET /api/v2/list/goods/filter`` (limit <= 1000, offset, filterNmID) and ``POST`` (``nmList``),
  ``POST /api/v2/upload/task`` (<= 1000 items ``{nmID, price, discount}``; 208 for a repeated upload),
  ``GET /api/v2/history/tasks?uploadID=`` (status 3 ok / 5 partial / 6 all errors).
A card groups the cabinet's offers sharing one ``mp_sku`` (nmID); each offer is a size (chrtID).
WB ``price`` is the integer ruble price before the seller discount: ``offers.old_price_kop`` (or
``price_kop`` when there is no old price); ``offers.price_kop`` is the discounted price.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.wildberries.common import VENDOR, CallContext, WbError, prices_error
from sellerflow_emulators.wildberries.guard import PageMemory, guard, list_fault, mutate_items
from sellerflow_emulators.wildberries.world import vendor_json

QUARANTINE_FACTOR = 3  # "цена ... ниже в 3 и более раз" goes to quarantine


def content_error(text: str) -> WbError:
    """content-api 400 body."""
    return WbError(400, {"data": None, "error": True, "errorText": text, "additionalErrors": None})


def wb_price(offer: sqlite3.Row) -> tuple[int, int]:
    """(price in rubles before discount, discount percent) of one offer."""
    vendor = vendor_json(offer)
    base = int(offer["old_price_kop"] or offer["price_kop"])
    if "discount" in vendor:
        return base // 100, int(vendor["discount"])
    discount = round(100 - offer["price_kop"] * 100 / base) if base else 0
    return base // 100, max(0, min(99, discount))


def _offers_for(conn: sqlite3.Connection, account_id: str, nm_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
    out: dict[int, list[sqlite3.Row]] = {n: [] for n in nm_ids}
    if not nm_ids:
        return out
    marks = ",".join("?" * len(nm_ids))
    rows = conn.execute(
        f"""select f.*, p.weight_g from offers f left join products p on p.ref_key = f.product_ref
            where f.account_id = ? and f.mp_sku in ({marks}) order by f.mp_sku, f.mp_product_id""",
        (account_id, *nm_ids),
    ).fetchall()
    for r in rows:
        out[int(r["mp_sku"])].append(r)
    return out


def _card(nm_id: int, offers: list[sqlite3.Row]) -> dict[str, Any]:
    first = offers[0]
    vendor = vendor_json(first)
    weight_g = first["weight_g"] or 0
    return {
        "nmID": nm_id,
        "imtID": int(vendor.get("imtID") or nm_id),
        "nmUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"wildberries:nm:{nm_id}")),
        "subjectID": int(vendor.get("subjectID") or 0),
        "subjectName": str(vendor.get("subjectName") or ""),
        "vendorCode": str(vendor.get("vendorCode") or first["offer_id"]),
        "brand": str(vendor.get("brand") or ""),
        "title": first["name"],
        "description": "",
        "needKiz": False,
        "kizMarked": False,
        "photos": [],
        "dimensions": {
            "length": 10,
            "width": 10,
            "height": 10,
            "weightBrutto": weight_g / 1000,
            "isValid": True,
        },
        "characteristics": [],
        "sizes": [
            {
                "chrtID": int(o["mp_product_id"]),
                "techSize": str(vendor_json(o).get("techSize") or "0"),
                "wbSize": "",
                "skus": [o["barcode"]],
            }
            for o in offers
        ],
        "tags": [],
        "createdAt": min(o["updated_at"] for o in offers),
        "updatedAt": max(o["updated_at"] for o in offers),
    }


def _goods(nm_id: int, offers: list[sqlite3.Row]) -> dict[str, Any]:
    discount = wb_price(offers[0])[1]
    return {
        "nmID": nm_id,
        "vendorCode": str(vendor_json(offers[0]).get("vendorCode") or offers[0]["offer_id"]),
        "sizes": [
            {
                "sizeID": int(o["mp_product_id"]),
                "price": wb_price(o)[0],
                "discountedPrice": round(wb_price(o)[0] * (100 - discount) / 100, 2),
                "clubDiscountedPrice": round(wb_price(o)[0] * (100 - discount) / 100, 2),
                "techSizeName": str(vendor_json(o).get("techSize") or "0"),
            }
            for o in offers
        ],
        "currencyIsoCode4217": "RUB",
        "discount": discount,
        "clubDiscount": 0,
        "editableSizePrice": False,
        "isBadTurnover": False,
    }


def build_router(state: EmulatorState, pages: PageMemory) -> APIRouter:  # noqa: C901 - one closure per route
    """Routes of content-api and discounts-prices-api."""
    router = APIRouter()
    prices_guard = Depends(guard(state, "prices", "prices"))
    content_guard = Depends(guard(state, "content", "content"))

    @router.post("/content/v2/get/cards/list", response_model=None)
    async def cards_list(request: Request, ctx: CallContext = content_guard) -> Any:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse("Request body can not be decoded", 400, media_type="plain/text")
        settings = body.get("settings") if isinstance(body, dict) else None
        settings = settings if isinstance(settings, dict) else {}
        cursor = settings.get("cursor") or {}
        limit = cursor.get("limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise content_error("Invalid value of limit: must be from 1 to 100")
        ascending = bool((settings.get("sort") or {}).get("ascending", False))
        search = str((settings.get("filter") or {}).get("textSearch") or "")
        after = (cursor.get("updatedAt"), cursor.get("nmID"))
        conn = state.conn()
        where, args = "account_id = ?", [ctx.account_id]
        if search:
            where += " and (offer_id = ? or barcode = ? or cast(mp_sku as text) = ?)"
            args += [search, search, search]
        having, order = "", "asc" if ascending else "desc"
        if after[0] and after[1] is not None:
            having = f"having (max(updated_at), mp_sku) {'>' if ascending else '<'} (?, ?)"
            args += [after[0], int(after[1])]
        groups = conn.execute(
            f"""select mp_sku, max(updated_at) as upd from offers where {where} group by mp_sku {having}
                order by upd {order}, mp_sku {order} limit ?""",
            (*args, limit),
        ).fetchall()
        offers = _offers_for(conn, ctx.account_id, [int(g["mp_sku"]) for g in groups])
        cards = [_card(int(g["mp_sku"]), offers[int(g["mp_sku"])]) for g in groups]
        last = groups[-1] if groups else None
        return {
            "cards": mutate_items(cards, ctx.fault),
            "cursor": {
                "updatedAt": last["upd"] if last else (after[0] or ""),
                "nmID": int(last["mp_sku"]) if last else int(after[1] or 0),
                "total": len(cards),
            },
        }

    @router.get("/api/v2/list/goods/filter", response_model=None)
    def goods_filter(request: Request, ctx: CallContext = prices_guard) -> Any:
        try:
            limit = int(request.query_params["limit"])
            offset = int(request.query_params.get("offset") or 0)
            nm_filter = request.query_params.get("filterNmID")
            nm = int(nm_filter) if nm_filter else None
        except (KeyError, ValueError) as exc:
            raise prices_error(400, "Invalid request parameters") from exc
        if not 1 <= limit <= 1000 or offset < 0:
            raise prices_error(400, "Invalid request parameters")
        conn = state.conn()
        fault = list_fault(ctx, "shifted_page")
        offset = max(0, offset + (fault.shift if fault else 0))
        where, args = "account_id = ?", [ctx.account_id]
        if nm is not None:
            where += " and mp_sku = ?"
            args.append(nm)
        skus = [
            int(r[0])
            for r in conn.execute(
                f"select distinct mp_sku from offers where {where} order by mp_sku limit ? offset ?",
                (*args, limit, offset),
            )
        ]
        offers = _offers_for(conn, ctx.account_id, skus)
        goods = mutate_items([_goods(n, offers[n]) for n in skus], ctx.fault)
        return {"data": {"listGoods": goods}, "error": False, "errorText": ""}

    @router.post("/api/v2/list/goods/filter", response_model=None)
    async def goods_by_nm(request: Request, ctx: CallContext = prices_guard) -> Any:
        try:
            body = await request.json()
        except ValueError as exc:
            raise prices_error(400, "Invalid request parameters") from exc
        nm_list = body.get("nmList") if isinstance(body, dict) else None
        if not isinstance(nm_list, list) or not nm_list or len(nm_list) > 1000:
            raise prices_error(400, "Invalid request parameters")
        offers = _offers_for(state.conn(), ctx.account_id, sorted({int(n) for n in nm_list}))
        goods = [_goods(n, rows) for n, rows in offers.items() if rows]
        return {"data": {"listGoods": mutate_items(goods, ctx.fault)}, "error": False, "errorText": ""}

    @router.post("/api/v2/upload/task", response_model=None)
    async def upload_task(request: Request, ctx: CallContext = prices_guard) -> Any:
        try:
            body = await request.json()
        except ValueError as exc:
            raise prices_error(400, "Invalid data format") from exc
        items = _validate_upload(body)
        conn = state.conn()
        digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
        previous = conn.execute(
            "select id from wildberries_price_uploads where account_id = ? and body_hash = ? order by id desc",
            (ctx.account_id, digest),
        ).fetchone()
        if previous is not None:
            body_208 = {"data": {"id": previous["id"], "alreadyExists": True}, "error": False}
            return JSONResponse({**body_208, "errorText": "This task already exists"}, status_code=208)
        upload_id = _apply_upload(conn, ctx, items, digest)
        return {"data": {"id": upload_id, "alreadyExists": False}, "error": False, "errorText": ""}

    @router.get("/api/v2/history/tasks", response_model=None)
    def history_task(request: Request, ctx: CallContext = prices_guard) -> Any:
        raw = request.query_params.get("uploadID", "")
        if not raw.isdigit():
            raise prices_error(400, "Invalid request parameters")
        row = (
            state.conn()
            .execute(
                "select * from wildberries_price_uploads where id = ? and account_id = ?",
                (int(raw), ctx.account_id),
            )
            .fetchone()
        )
        if row is None:
            return {"data": None, "error": False, "errorText": ""}
        return {
            "data": {
                "uploadID": row["id"],
                "status": row["status"],
                "uploadDate": row["uploaded_at"],
                "activationDate": row["uploaded_at"],
                "overAllGoodsNumber": row["overall"],
                "successGoodsNumber": row["success"],
            },
            "error": False,
            "errorText": "",
        }

    return router


def _validate_upload(body: Any) -> list[dict[str, int]]:
    """Check an upload body the way the documented 400 examples describe."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise prices_error(400, "Invalid data format")
    if not data:
        raise prices_error(400, "Empty data")
    if len(data) > 1000:
        raise prices_error(400, "Upload limit exceeded: You can upload a maximum of 1 000 items")
    items: list[dict[str, int]] = []
    for raw in data:
        if not isinstance(raw, dict) or not isinstance(raw.get("nmID"), int) or raw["nmID"] <= 0:
            raise prices_error(400, "Invalid item No.")
        if "price" not in raw and "discount" not in raw:
            raise prices_error(400, "Price and discount not specified")
        price, discount = raw.get("price"), raw.get("discount")
        if isinstance(price, float):
            raise prices_error(400, "Price should be a whole number")
        if price is not None and (not isinstance(price, int) or price <= 0):
            raise prices_error(400, "Invalid price value")
        if discount is not None and (not isinstance(discount, int) or not 0 <= discount <= 99):
            raise prices_error(400, "Invalid discount value")
        items.append(
            {
                k: v
                for k, v in (("nmID", raw["nmID"]), ("price", price), ("discount", discount))
                if v is not None
            }
        )
    if len({i["nmID"] for i in items}) != len(items):
        raise prices_error(400, "Duplicate item Nos.")
    return items


def _apply_upload(
    conn: sqlite3.Connection, ctx: CallContext, items: list[dict[str, int]], digest: str
) -> int:
    """Write accepted prices to offers, keep quarantined ones out, record the upload task."""
    offers = _offers_for(conn, ctx.account_id, [i["nmID"] for i in items])
    if not any(offers[i["nmID"]] for i in items):
        raise prices_error(
            400,
            "All item Nos. are specified incorrectly, or the specified prices and discounts are already set",
        )
    success = 0
    for item in items:
        for offer in offers[item["nmID"]]:
            old_price, old_discount = wb_price(offer)
            price, discount = item.get("price", old_price), item.get("discount", old_discount)
            new_kop = round(price * (100 - discount))
            if new_kop * QUARANTINE_FACTOR <= offer["price_kop"]:
                break
            vendor = {**vendor_json(offer), "discount": discount}
            conn.execute(
                """update offers set price_kop = ?, old_price_kop = ?, vendor = ?, updated_at = ?
                   where account_id = ? and offer_id = ?""",
                (
                    new_kop,
                    price * 100,
                    json.dumps(vendor),
                    format_ts(ctx.now),
                    ctx.account_id,
                    offer["offer_id"],
                ),
            )
        else:
            success += 1 if offers[item["nmID"]] else 0
    status = 3 if success == len(items) else (6 if success == 0 else 5)
    cur = conn.execute(
        """insert into wildberries_price_uploads(account_id, body_hash, uploaded_at, status, overall, success)
           values (?, ?, ?, ?, ?, ?)""",
        (ctx.account_id, digest, format_ts(ctx.now), status, len(items), success),
    )
    conn.execute(
        "insert into push_log(vendor, account_id, method, path, at, body) values (?, ?, 'POST', ?, ?, ?)",
        (VENDOR, ctx.account_id, "/api/v2/upload/task", format_ts(ctx.now), json.dumps({"data": items})),
    )
    conn.commit()
    return int(cur.lastrowid or 0)
