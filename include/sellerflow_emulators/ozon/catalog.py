"""Products, warehouses, stocks and prices.

- ``/v3/product/list`` (``productv3GetProductList*``, ``last_id`` paging, ``limit`` ≤ 1000) and
  ``/v3/product/info/list`` (``v3GetProductInfoListRequest``: ``offer_id``/``product_id``/``sku`` ≤ 1000;
  response ``{items: [...]}`` with ``barcodes`` — schema from the official Russian swagger as mirrored in
  the corpus, not in the project subsets).
- ``/v2/warehouse/list`` (``v2WarehouseListV2*``, ``limit`` ≤ 200, cursor; v1 was switched off 2026-04-07).
- ``/v4/product/info/stocks`` (cursor, ``limit`` 1..1000) and ``/v2/products/stocks`` (≤ 100 pairs,
  80 requests/min, one update per pair per 30 s → per-item ``TOO_MANY_REQUESTS``, ``stock`` ≥ 1 000 000 →
  ``STOCK_TOO_BIG``; the call itself answers 200) — fact sheet "(b) Stocks".
- ``/v5/product/info/prices`` (numbers) and ``/v1/product/import/prices`` (strings, ≤ 1000 items, per-item
  ``errors``; ``old_price: "0"`` resets the old price) — fact sheet "(c) Prices".
"""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sellerflow_emulators.ozon.actions import log_push
from sellerflow_emulators.ozon.common import (
    CURRENCY,
    Ctx,
    apply_schema_fault,
    check_limit,
    decode_cursor,
    encode_cursor,
    rub_num,
    rub_text,
    stable_int,
    str_list,
)
from sellerflow_emulators.ozon.errors import bad_request
from sellerflow_emulators.ozon.paging import keyset_page

STOCK_PAIR_INTERVAL_S = 30.0
MAX_STOCK = 1_000_000
VAT = {"НДС20": 0.2, "НДС10": 0.1, "БезНДС": 0.0}


class StockUpdateGuard:
    """Wall-clock memory of when each (account, warehouse, offer) pair was last updated."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int, str], float] = {}
        self._lock = threading.Lock()

    def allow(self, key: tuple[str, int, str]) -> bool:
        """True (and remember now) when the pair was not updated in the last 30 s."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < STOCK_PAIR_INTERVAL_S:
                return False
            self._last[key] = now
            return True


def _offers_sql(ctx: Ctx, flt: dict[str, Any], message: str) -> tuple[str, list[Any]]:
    """Visible offers of the cabinet filtered by ``offer_id`` / ``product_id`` / ``sku`` lists."""
    where, params = "", []
    for field, column in (("offer_id", "f.offer_id"), ("product_id", "f.mp_product_id"), ("sku", "f.mp_sku")):
        values = str_list(flt.get(field), f"{message}.Filter.{field}", 1000)
        if values:
            where += f" and {column} in ({','.join('?' * len(values))})"
            params += values
    sql = (
        "select f.*, f.mp_product_id as pid, p.vat_rate, p.weight_g from offers f "
        "left join products p on p.ref_key = f.product_ref "
        f"where f.account_id = ? {where}"
    )
    return sql, [ctx.account_id, *params]


def _stock_totals(ctx: Ctx, offer_ids: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per offer, per warehouse kind: (present, reserved) over the cabinet's warehouses."""
    if not offer_ids:
        return {}
    marks = ",".join("?" * len(offer_ids))
    rows = ctx.conn.execute(
        "select s.offer_id, w.kind, sum(s.present) as present, sum(s.reserved) as reserved "
        "from stocks s join warehouses w on w.id = s.warehouse_id "
        f"where w.owner = ? and s.offer_id in ({marks}) group by s.offer_id, w.kind",
        [ctx.account_id, *offer_ids],
    )
    totals: dict[str, dict[str, tuple[int, int]]] = {}
    for row in rows:
        totals.setdefault(row["offer_id"], {})[row["kind"]] = (int(row["present"]), int(row["reserved"]))
    return totals


def product_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v3/product/list``."""
    message = "GetProductListRequest"
    limit = check_limit(body, message, 1, 1000, default=1)
    flt = body.get("filter") or {}
    sql, params = _offers_sql(ctx, flt if isinstance(flt, dict) else {}, message)
    state = decode_cursor(body.get("last_id"), message)
    total = ctx.conn.execute(f"select count(*) from ({sql})", params).fetchone()[0]
    page = keyset_page(
        ctx.conn,
        sql,
        params,
        key_cols=("pid", "offer_id"),
        desc=False,
        state=state,
        limit=limit,
        fault=ctx.fault,
    )
    totals = _stock_totals(ctx, [r["offer_id"] for r in page.rows])
    items = []
    for row in page.rows:
        kinds = totals.get(row["offer_id"], {})
        items.append(
            {
                "product_id": int(row["pid"]),
                "offer_id": row["offer_id"],
                "has_fbo_stocks": kinds.get("fbo", (0, 0))[0] > 0,
                "has_fbs_stocks": any(kinds.get(k, (0, 0))[0] > 0 for k in ("fbs", "dbs")),
                "archived": False,
                "is_discounted": False,
                "quants": [],
            }
        )
    apply_schema_fault(items, ctx.fault, "offer_id")
    return {
        "result": {
            "items": items,
            "total": int(total),
            "last_id": encode_cursor(page.next_state) if page.has_next else "",
        }
    }


def product_info_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v3/product/info/list``: card details with ``barcodes`` for up to 1000 ids."""
    message = "GetProductInfoListRequest"
    ids = sum(len(body.get(k) or []) for k in ("offer_id", "product_id", "sku"))
    if ids > 1000:
        raise bad_request(f"invalid {message}: no more than 1000 identifiers per request")
    if ids == 0:
        return {"items": []}
    sql, params = _offers_sql(ctx, body, message)
    rows = ctx.conn.execute(sql + " order by f.mp_product_id", params).fetchall()
    totals = _stock_totals(ctx, [r["offer_id"] for r in rows])
    items = []
    for row in rows:
        kinds = totals.get(row["offer_id"], {})
        fbs = [kinds.get(k, (0, 0)) for k in ("fbs", "dbs")]
        fbo = kinds.get("fbo", (0, 0))
        old = row["old_price_kop"]
        items.append(
            {
                "id": int(row["pid"]),
                "name": row["name"],
                "offer_id": row["offer_id"],
                "sku": int(row["mp_sku"]),
                "barcodes": [row["barcode"]],
                "currency_code": CURRENCY,
                "price": rub_text(int(row["price_kop"])),
                "old_price": rub_text(int(old)) if old else "",
                "min_price": "",
                "vat": str(VAT.get(row["vat_rate"] or "", 0.2)),
                "created_at": row["updated_at"],
                "updated_at": row["updated_at"],
                "is_archived": False,
                "is_autoarchived": False,
                "is_discounted": False,
                "is_kgt": False,
                "is_super": False,
                "has_discounted_fbo_item": False,
                "discounted_fbo_stocks": 0,
                "volume_weight": round((row["weight_g"] or 0) / 1000, 3),
                "images": [],
                "primary_image": [],
                "color_image": [],
                "errors": [],
                "sources": [
                    {
                        "sku": int(row["mp_sku"]),
                        "source": "sds",
                        "created_at": row["updated_at"],
                        "shipment_type": "SHIPMENT_TYPE_GENERAL",
                        "quant_code": "",
                    }
                ],
                "stocks": {
                    "has_stock": sum(p for p, _ in fbs) + fbo[0] > 0,
                    "stocks": [
                        {
                            "present": sum(p for p, _ in fbs),
                            "reserved": sum(r for _, r in fbs),
                            "sku": int(row["mp_sku"]),
                            "source": "fbs",
                        },
                        {"present": fbo[0], "reserved": fbo[1], "sku": int(row["mp_sku"]), "source": "fbo"},
                    ],
                },
                "visibility_details": {"has_price": True, "has_stock": sum(p for p, _ in fbs) + fbo[0] > 0},
                **_card_details(row),
            }
        )
    apply_schema_fault(items, ctx.fault, "offer_id")
    return {"items": items}


def _index_data(price_text: bool) -> dict[str, Any]:
    """One price-index block: no competitor price known in the world [?: values]."""
    if price_text:
        return {"minimal_price": "", "minimal_price_currency": CURRENCY, "price_index_value": 0.0}
    return {"min_price": 0.0, "min_price_currency": CURRENCY, "price_index_value": 0.0}


def price_indexes(price_text: bool, color: str) -> dict[str, Any]:
    """``price_indexes`` as the swagger documents it (strings in product info, numbers in prices)."""
    return {
        "color_index": color,
        "external_index_data": _index_data(price_text),
        "ozon_index_data": _index_data(price_text),
        "self_marketplaces_index_data": _index_data(price_text),
    }


def _card_details(row: sqlite3.Row) -> dict[str, Any]:
    """The rest of ``v3GetProductInfoListResponseItem`` (refreshed swagger 2026-07, tests/contracts/ozon/spec):
    every documented field is sent, as Ozon does; values the world does not model are neutral [?]."""
    price = int(row["price_kop"])
    sku = int(row["mp_sku"])
    commissions = [
        {"delivery_amount": 0.0, "percent": 15.0, "return_amount": 0.0, "sale_schema": scheme,
         "value": rub_num(round(price * 0.15))}
        for scheme in ("FBO", "FBS", "RFBS")
    ]  # fmt: skip
    return {
        "type_id": stable_int(f"type:{row['offer_id']}", 6),
        "description_category_id": stable_int(f"category:{row['offer_id']}", 8),
        "images360": [],
        "is_prepayment_allowed": True,
        "promotions": [],
        "model_info": {"model_id": int(row["pid"]), "count": 1},
        "statuses": {
            "is_created": True,
            "moderate_status": "approved",
            "status": "price_sent",
            "status_description": "",
            "status_failed": "",
            "status_name": "Продается",
            "status_tooltip": "",
            "status_updated_at": row["updated_at"],
            "validation_status": "success",
        },
        "price_indexes": price_indexes(True, "COLOR_INDEX_WITHOUT_INDEX"),
        "commissions": commissions,
        "availabilities": [{"availability": "AVAILABLE", "reasons": [], "sku": sku, "source": "sds"}],
    }


def warehouse_list(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/warehouse/list``: the cabinet's FBS and rFBS warehouses."""
    message = "WarehouseListV2Request"
    limit = check_limit(body, message, 1, 200)
    ids = str_list(body.get("warehouse_ids"), f"{message}.WarehouseIds", 200)
    where = f" and external_id in ({','.join('?' * len(ids))})" if ids else ""
    sql = (
        "select w.*, cast(w.external_id as integer) as wid from warehouses w "
        f"where w.owner = ? and w.kind in ('fbs', 'dbs'){where}"
    )
    page = keyset_page(
        ctx.conn,
        sql,
        [ctx.account_id, *ids],
        key_cols=("wid", "id"),
        desc=False,
        state=decode_cursor(body.get("cursor"), message),
        limit=limit,
        fault=ctx.fault,
    )
    warehouses = [
        {
            "warehouse_id": int(row["wid"]),
            "name": row["name"],
            "is_rfbs": row["kind"] == "dbs",
            "is_express": False,
            "is_kgt": False,
            "is_comfort": False,
            "is_auto_assembly": False,
            "is_waybill_enabled": False,
            "with_item_list": False,
            "has_entrusted_acceptance": False,
            "has_postings_limit": False,
            "postings_limit": -1,
            "min_postings_limit": 0,
            "status": "created",
            "warehouse_type": "FULL_FILLMENT" if row["kind"] == "fbs" else "DELIVERY_BY_SELLER",
            "working_days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            "cut_in_time": 0,
            "sla_cut_in": 0,
            "courier_comment": "",
            "courier_phones": [],
            "phone": "",
            "created_at": None,
            "updated_at": None,
            "carriage_label_type": "UNSPECIFIED",
            "address_info": {"address": "", "latitude": 0.0, "longitude": 0.0, "utc": "+03:00"},
            "first_mile": {
                "dropoff_point_id": "",
                "first_mile_is_changing": False,
                "timeslot_from": "",
                "timeslot_id": 0,
                "timeslot_to": "",
                "type": "PICK_UP",
            },
            "timetable": {"timetable_from": None, "timetable_to": None, "working_hours": []},
        }
        for row in page.rows
    ]
    apply_schema_fault(warehouses, ctx.fault, "warehouse_id")
    return {
        "cursor": encode_cursor(page.next_state) if page.has_next else "",
        "has_next": page.has_next,
        "warehouses": warehouses,
    }


def _paged_offers(ctx: Ctx, body: dict[str, Any], message: str) -> tuple[list[sqlite3.Row], str, int]:
    limit = check_limit(body, message, 1, 1000)
    flt = body.get("filter")
    if not isinstance(flt, dict):
        raise bad_request(f"invalid {message}.Filter: value is required")
    sql, params = _offers_sql(ctx, flt, message)
    total = ctx.conn.execute(f"select count(*) from ({sql})", params).fetchone()[0]
    page = keyset_page(
        ctx.conn,
        sql,
        params,
        key_cols=("pid", "offer_id"),
        desc=False,
        state=decode_cursor(body.get("cursor"), message),
        limit=limit,
        fault=ctx.fault,
    )
    return page.rows, encode_cursor(page.next_state) if page.has_next else "", int(total)


def stocks_info(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v4/product/info/stocks``: present/reserved per warehouse type."""
    rows, cursor, total = _paged_offers(ctx, body, "GetProductInfoStocksRequest")
    offer_ids = [r["offer_id"] for r in rows]
    per_kind: dict[str, dict[str, list[Any]]] = {}
    if offer_ids:
        marks = ",".join("?" * len(offer_ids))
        for s in ctx.conn.execute(
            "select s.offer_id, w.kind, s.present, s.reserved, w.external_id from stocks s "
            f"join warehouses w on w.id = s.warehouse_id where w.owner = ? and s.offer_id in ({marks})",
            [ctx.account_id, *offer_ids],
        ):
            kind = {"dbs": "rfbs"}.get(s["kind"], s["kind"])
            acc = per_kind.setdefault(s["offer_id"], {}).setdefault(kind, [0, 0, []])
            acc[0] += int(s["present"])
            acc[1] += int(s["reserved"])
            acc[2].append(int(s["external_id"]))
    items = [
        {
            "product_id": int(row["pid"]),
            "offer_id": row["offer_id"],
            "stocks": [
                {
                    "type": kind,
                    "sku": int(row["mp_sku"]),
                    "present": present,
                    "reserved": reserved,
                    "shipment_type": "SHIPMENT_TYPE_GENERAL",
                    "warehouse_ids": sorted(set(wids)),
                }
                for kind, (present, reserved, wids) in sorted(per_kind.get(row["offer_id"], {}).items())
            ],
        }
        for row in rows
    ]
    apply_schema_fault(items, ctx.fault, "offer_id")
    return {"cursor": cursor, "total": total, "items": items}


def stocks_update(ctx: Ctx, body: dict[str, Any], guard: StockUpdateGuard) -> dict[str, Any]:
    """``POST /v2/products/stocks``: set available stock per (offer, FBS warehouse)."""
    stocks = body.get("stocks")
    if not isinstance(stocks, list) or not stocks:
        raise bad_request("invalid ProductsStocksRequest.Stocks: value must contain at least 1 item(s)")
    if len(stocks) > 100:
        raise bad_request("invalid ProductsStocksRequest.Stocks: value must contain no more than 100 item(s)")
    result = []
    changed = False
    for item in stocks:
        if not isinstance(item, dict):
            raise bad_request("invalid ProductsStocksRequest.Stocks: bad item")
        outcome, did_change = _one_stock(ctx, item, guard)
        changed = changed or did_change
        result.append(outcome)
    if changed:
        log_push(ctx, "/v2/products/stocks", body)
    ctx.conn.commit()
    return {"result": result}


def _one_stock(ctx: Ctx, item: dict[str, Any], guard: StockUpdateGuard) -> tuple[dict[str, Any], bool]:
    offer_id = str(item.get("offer_id") or "")
    product_id = int(item.get("product_id") or 0)
    warehouse_id = int(item.get("warehouse_id") or 0)
    stock = int(item.get("stock") or 0)
    if offer_id:  # offer_id wins over product_id when both are sent
        offer = ctx.conn.execute(
            "select * from offers where account_id = ? and offer_id = ?", (ctx.account_id, offer_id)
        ).fetchone()
    else:
        offer = ctx.conn.execute(
            "select * from offers where account_id = ? and mp_product_id = ?", (ctx.account_id, product_id)
        ).fetchone()
    out = {
        "warehouse_id": warehouse_id,
        "product_id": int(offer["mp_product_id"]) if offer else product_id,
        "offer_id": offer["offer_id"] if offer else offer_id,
        "updated": False,
        "errors": [],
    }

    def fail(code: str, message: str) -> tuple[dict[str, Any], bool]:
        out["errors"] = [{"code": code, "message": message}]
        return out, False

    if offer is None:
        if offer_id:
            return fail("offer_id_not_found", "Product with this offer_id not found")
        return fail("NOT_FOUND_ERROR", "Product not found")
    warehouse = ctx.conn.execute(
        "select * from warehouses where owner = ? and kind in ('fbs', 'dbs') and external_id = ?",
        (ctx.account_id, str(warehouse_id)),
    ).fetchone()
    if warehouse is None:
        return fail("WAREHOUSE_NOT_FOUND", "Warehouse not found")
    if stock < 0:
        return fail("STOCK_NEGATIVE", "Stock can not be negative")
    if stock >= MAX_STOCK:
        return fail("STOCK_TOO_BIG", "Stock is too big")
    if not guard.allow((ctx.account_id, warehouse_id, offer["offer_id"])):
        return fail("TOO_MANY_REQUESTS", "Stock is updated too frequently")
    ctx.conn.execute(
        "insert into stocks(warehouse_id, offer_id, present, reserved, updated_at) values (?, ?, ?, 0, ?) "
        "on conflict(warehouse_id, offer_id) do update set present = excluded.present, "
        "updated_at = excluded.updated_at",
        (warehouse["id"], offer["offer_id"], stock, ctx.now),
    )
    out["updated"] = True
    return out, True


# the per-item logistics amounts of ``/v5/product/info/prices`` commissions (refreshed swagger); the world has no
# tariff table, so they are 0 [?]
PRICE_COMMISSION_AMOUNTS = (
    "fbo_deliv_to_customer_amount",
    "fbo_direct_flow_trans_max_amount",
    "fbo_direct_flow_trans_min_amount",
    "fbo_return_flow_amount",
    "fbs_deliv_to_customer_amount",
    "fbs_direct_flow_trans_max_amount",
    "fbs_direct_flow_trans_min_amount",
    "fbs_first_mile_max_amount",
    "fbs_first_mile_min_amount",
    "fbs_return_flow_amount",
)


def prices_info(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v5/product/info/prices``: prices as numbers."""
    rows, cursor, total = _paged_offers(ctx, body, "GetProductInfoPricesV5Request")
    items = []
    for row in rows:
        price = int(row["price_kop"])
        items.append(
            {
                "product_id": int(row["pid"]),
                "offer_id": row["offer_id"],
                "price": {
                    "price": rub_num(price),
                    "old_price": rub_num(int(row["old_price_kop"] or 0)),
                    "min_price": 0.0,
                    "marketing_seller_price": rub_num(price),
                    "net_price": 0.0,
                    "retail_price": 0.0,
                    "vat": VAT.get(row["vat_rate"] or "", 0.2),
                    "currency_code": CURRENCY,
                    "auto_action_enabled": False,
                    "auto_add_to_ozon_actions_list_enabled": False,
                },
                "commissions": {
                    "sales_percent_fbo": 15.0,
                    "sales_percent_fbs": 15.0,
                    "sales_percent_rfbs": 15.0,
                    "sales_percent_fbp": 15.0,
                    **dict.fromkeys(PRICE_COMMISSION_AMOUNTS, 0.0),
                },
                "marketing_actions": {
                    "actions": [],
                    "current_period_from": ctx.now,
                    "current_period_to": ctx.now,
                    "ozon_actions_exist": False,
                },
                "price_indexes": price_indexes(False, "WITHOUT_INDEX"),
                "acquiring": 0.0,
                "volume_weight": round((row["weight_g"] or 0) / 1000, 3),
            }
        )
    apply_schema_fault(items, ctx.fault, "offer_id")
    return {"cursor": cursor, "total": total, "items": items}


def _kop(value: Any) -> int | None:
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def prices_import(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/product/import/prices``: update price/old_price; per-item errors, answer 200."""
    prices = body.get("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("invalid ImportProductsPricesRequest.Prices: value must contain at least 1 item(s)")
    if len(prices) > 1000:
        raise bad_request(
            "invalid ImportProductsPricesRequest.Prices: value must contain no more than 1000 item(s)"
        )
    result = []
    changed = False
    for item in prices:
        outcome = _one_price(ctx, item if isinstance(item, dict) else {})
        changed = changed or outcome["updated"]
        result.append(outcome)
    if changed:
        log_push(ctx, "/v1/product/import/prices", body)
    ctx.conn.commit()
    return {"result": result}


def _one_price(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    offer_id = str(item.get("offer_id") or "")
    product_id = int(item.get("product_id") or 0)
    if offer_id:
        offer = ctx.conn.execute(
            "select * from offers where account_id = ? and offer_id = ?", (ctx.account_id, offer_id)
        ).fetchone()
    else:
        offer = ctx.conn.execute(
            "select * from offers where account_id = ? and mp_product_id = ?", (ctx.account_id, product_id)
        ).fetchone()
    out: dict[str, Any] = {
        "product_id": int(offer["mp_product_id"]) if offer else product_id,
        "offer_id": offer["offer_id"] if offer else offer_id,
        "updated": False,
        "errors": [],
    }
    if offer is None:
        out["errors"] = [{"code": "NOT_FOUND_ERROR", "message": "Product not found"}]
        return out
    price = _kop(item.get("price")) if item.get("price") not in (None, "") else int(offer["price_kop"])
    old = _kop(item["old_price"]) if item.get("old_price") not in (None, "") else offer["old_price_kop"]
    if price is None or price < 0 or (old is not None and old < 0):
        out["errors"] = [{"code": "price_negative", "message": "Price is invalid or negative"}]
        return out
    if old and old > price and (old - price) * 100 >= old * 90:
        out["errors"] = [{"code": "discount_too_big", "message": "Discount is too big"}]
        return out
    ctx.conn.execute(
        "update offers set price_kop = ?, old_price_kop = ?, updated_at = ? where account_id = ? and offer_id = ?",
        (price, old or None, ctx.now, ctx.account_id, offer["offer_id"]),
    )
    out["updated"] = True
    return out
