"""Stocks and prices.

- ``POST /v2/campaigns/{campaignId}/offers/stocks`` (getStocks: ``limit`` 1–200, default 100; body
  ``stocksWarehouseId``, ``hasStocks``, ``archived``, ``offerIds`` ≤500) → per warehouse, per offer,
  stocks of type ``FIT`` (incl. reserved), ``FREEZE`` (reserved) and ``AVAILABLE``.
- ``PUT /v2/campaigns/{campaignId}/offers/stocks`` (updateStocks: ``skus`` 1–2000, unique ``sku``, one
  ``items`` entry with ``count`` 0..2e9 and optional ``updatedAt``); the campaign's own warehouse is
  implied: the warehouse of the campaign's program (FBS or DBS), never another campaign's. FBY campaigns have no seller warehouse: 400 "Campaign type is not allowed".
- ``POST /v2/businesses/{businessId}/offer-prices`` (getDefaultPrices: ``limit`` ≤500 truncated,
  ``offerIds`` ≤200) and ``POST /v2/businesses/{businessId}/offer-prices/updates``
  (updateBusinessPrices: 1–500 unique offers, ``price.value``/``currencyId``/``discountBase``).

Source: official spec (tests/contracts/yandex_market/openapi.yaml) UpdateStocksRequest,
GetWarehouseStocksDTO, UpdateBusinessPricesRequest, OfferDefaultPriceListResponseDTO; docs
reference/stocks, reference/business-assortment/updateBusinessPrices. Writes update ``stocks`` /
``offers`` and append to ``push_log``; offers unknown to the cabinet are ignored by the price update.

Both writes are quota'd in products, not requests (spec ``x-resource-limit-config.path`` ``req.skus`` /
``req.offers``; docs updateStocks "100 000 products per minute"): each SKU or offer of the body spends one unit
of the campaign's (stocks) or cabinet's (prices) minute, and a body that does not fit what is left is refused
whole with 420 (``guard``). Both reads are quota'd in the products of the answer (``resp.result.warehouses.
offers.offerId``: one unit per (warehouse, offer) item; ``resp.result.offers``): the page is built, then its items
are charged and a page that does not fit what is left of the minute is refused with 420 (``spend``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.yandex_market.catalog import offer_rows, price_dto
from sellerflow_emulators.yandex_market.errors import bad_request
from sellerflow_emulators.yandex_market.guard import guard, spend
from sellerflow_emulators.yandex_market.paging import encode_token, page_from_request
from sellerflow_emulators.yandex_market.render import MSK, apply_item_fault, msk_iso
from sellerflow_emulators.yandex_market.status_flow import log_push

ShopSku = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]


class StockItem(BaseModel):
    count: int = Field(ge=0, le=2_000_000_000)
    updatedAt: datetime | None = None


class StockSku(BaseModel):
    sku: ShopSku
    items: list[StockItem] = Field(min_length=1, max_length=1)


class UpdateStocksRequest(BaseModel):
    skus: list[StockSku] = Field(min_length=1, max_length=2000)


class GetStocksRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stocksWarehouseId: int | None = Field(default=None, ge=1)
    hasStocks: bool | None = None
    withTurnover: bool = False
    archived: bool | None = None
    offerIds: list[ShopSku] | None = Field(default=None, min_length=1, max_length=500)


class BusinessPrice(BaseModel):
    value: float = Field(gt=0)  # spec BasePriceDTO.value: minimum 0, exclusiveMinimum
    currencyId: str
    discountBase: float | None = Field(default=None, gt=0)
    minimumForBestseller: float | None = Field(default=None, ge=0, le=100_000_000)


class BusinessOfferPrice(BaseModel):
    offerId: ShopSku
    price: BusinessPrice


class UpdateBusinessPricesRequest(BaseModel):
    offers: list[BusinessOfferPrice] = Field(min_length=1, max_length=500)


class GetDefaultPricesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    offerIds: list[ShopSku] | None = Field(default=None, min_length=1, max_length=200)
    archived: bool | None = None


def _unique(values: list[str], field: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise bad_request(f"Duplicate {field}: '{value}'")
        seen.add(value)


def _stamp(moment: datetime | None, default: str) -> str:
    """Store timestamp of an ``updatedAt`` (no offset given means Moscow time)."""
    if moment is None:
        return default
    return format_ts(moment if moment.tzinfo else moment.replace(tzinfo=MSK))


def campaign_kind(account: sqlite3.Row, campaign_id: int) -> str | None:
    """The program (``fbs``/``dbs``) the account's vendor ``campaigns`` map gives the campaign, if it names it."""
    campaigns = json.loads(account["vendor"] or "{}").get("campaigns") or {}
    return next((kind for kind, cid in campaigns.items() if int(cid) == int(campaign_id)), None)


def seller_warehouse(conn: sqlite3.Connection, account: sqlite3.Row, campaign_id: int) -> sqlite3.Row:
    """The warehouse of *this* campaign that its stock updates land in: YM stocks are per campaign, the
    campaign's warehouse is implied (spec UpdateStocksRequest: "for a warehouse group send for one warehouse
    only"), so an FBS campaign never writes into the cabinet's DBS warehouse or the other way round. The campaign's
    program comes from the account's ``campaigns`` map; an account without one has its own single warehouse (FBS
    preferred)."""
    row = conn.execute(
        "select * from warehouses where owner = ? and kind in ('fbs', 'dbs') "
        "order by case kind when ? then 0 when 'fbs' then 1 else 2 end, id limit 1",
        (str(account["id"]), campaign_kind(account, campaign_id) or "fbs"),
    ).fetchone()
    if row is None:
        raise bad_request("Campaign type is not allowed")
    return row


def stock_rows(
    conn: sqlite3.Connection, account_id: str, body: GetStocksRequest, limit: int, offset: int
) -> tuple[list[sqlite3.Row], bool]:
    """One page of (warehouse, offer) stock rows of the campaign."""
    where, params = ["w.owner = ?"], [account_id]
    if body.stocksWarehouseId is not None:
        where.append("w.external_id = ?")
        params.append(str(body.stocksWarehouseId))
    if body.offerIds:
        where.append(f"s.offer_id in ({', '.join('?' for _ in body.offerIds)})")
        params.extend(body.offerIds)
    if body.hasStocks is True:
        where.append("s.present > 0")
    elif body.hasStocks is False:
        where.append("s.present = 0")
    rows = conn.execute(
        f"""
        select s.*, w.external_id from stocks s join warehouses w on w.id = s.warehouse_id
        where {" and ".join(where)}
        order by cast(w.external_id as integer), s.offer_id limit ? offset ?
        """,
        [*params, limit + 1, offset],
    ).fetchall()
    return rows[:limit], len(rows) > limit


def group_stocks(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """``WarehouseOffersDTO`` list from stock rows ordered by warehouse."""
    warehouses: list[dict[str, Any]] = []
    for row in rows:
        wid = int(row["external_id"])
        if not warehouses or warehouses[-1]["warehouseId"] != wid:
            warehouses.append({"warehouseId": wid, "offers": []})
        present, reserved = int(row["present"]), int(row["reserved"])
        warehouses[-1]["offers"].append(
            {
                "offerId": row["offer_id"],
                "stocks": [
                    {"type": "FIT", "count": present},
                    {"type": "FREEZE", "count": reserved},
                    {"type": "AVAILABLE", "count": max(present - reserved, 0)},
                ],
                "updatedAt": msk_iso(row["updated_at"]),
            }
        )
    return warehouses


def build_router(state: EmulatorState) -> APIRouter:
    """Routes of the stock and price endpoints."""
    router = APIRouter()

    @router.post("/v2/campaigns/{campaignId}/offers/stocks")
    def get_stocks(campaignId: int, request: Request, body: GetStocksRequest | None = None) -> dict[str, Any]:
        ctx = guard(request, state, "getStocks", campaign_id=campaignId)
        body = body or GetStocksRequest()
        page = page_from_request(request, default=100, maximum=200, truncate=False)
        if body.archived:
            rows, more = [], False
        else:
            rows, more = stock_rows(state.conn(), str(ctx.account["id"]), body, page.limit, page.offset)
        warehouses = group_stocks(rows)
        fault = getattr(request.state, "ym_fault", None)
        for warehouse in warehouses:
            warehouse["offers"] = apply_item_fault(warehouse["offers"], fault)
        spend(request, state, ctx, "getStocks", sum(len(w["offers"]) for w in warehouses))
        result: dict[str, Any] = {"warehouses": warehouses}
        result["paging"] = {"nextPageToken": encode_token(page.offset + len(rows))} if more else {}
        return {"status": "OK", "result": result}

    @router.put("/v2/campaigns/{campaignId}/offers/stocks")
    def update_stocks(campaignId: int, body: UpdateStocksRequest, request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "updateStocks", campaign_id=campaignId, cost=len(body.skus))
        _unique([s.sku for s in body.skus], "sku")
        conn = state.conn()
        account_id = str(ctx.account["id"])
        warehouse = seller_warehouse(conn, ctx.account, campaignId)
        now = format_ts(state.now())
        with conn:
            conn.executemany(
                """
                insert into stocks(warehouse_id, offer_id, present, reserved, updated_at) values (?, ?, ?, 0, ?)
                on conflict(warehouse_id, offer_id) do update set present = excluded.present,
                    updated_at = excluded.updated_at
                """,
                [
                    (
                        warehouse["id"],
                        s.sku,
                        s.items[0].count,
                        _stamp(s.items[0].updatedAt, now),
                    )
                    for s in body.skus
                ],
            )
            log_push(
                conn,
                account_id,
                "PUT",
                request.url.path,
                now,
                body.model_dump(mode="json", exclude_none=True),
            )
        return {"status": "OK"}

    @router.post("/v2/businesses/{businessId}/offer-prices")
    def get_default_prices(
        businessId: int, request: Request, body: GetDefaultPricesRequest | None = None
    ) -> dict[str, Any]:
        ctx = guard(request, state, "getDefaultPrices", business_id=businessId)
        body = body or GetDefaultPricesRequest()
        page = page_from_request(request, default=250, maximum=500, truncate=True)
        if body.archived:
            rows, more = [], False
        else:
            rows, more = offer_rows(state.conn(), ctx.cabinet.account_ids, body.offerIds, page)
        offers = [{"offerId": r["offer_id"], "price": price_dto(r)} for r in rows]
        offers = apply_item_fault(offers, getattr(request.state, "ym_fault", None))
        spend(request, state, ctx, "getDefaultPrices", len(offers))
        result: dict[str, Any] = {"offers": offers}
        result["paging"] = {"nextPageToken": encode_token(page.offset + len(rows))} if more else {}
        return {"status": "OK", "result": result}

    @router.post("/v2/businesses/{businessId}/offer-prices/updates")
    def update_business_prices(
        businessId: int, body: UpdateBusinessPricesRequest, request: Request
    ) -> dict[str, Any]:
        ctx = guard(request, state, "updateBusinessPrices", business_id=businessId, cost=len(body.offers))
        _unique([o.offerId for o in body.offers], "offerId")
        for offer in body.offers:  # fact sheet A4: discountBase is the crossed-out price, a 5–99 % discount
            base = offer.price.discountBase
            if base is not None and not (0.01 * base <= offer.price.value <= 0.95 * base):
                raise bad_request(
                    f"Invalid discountBase for offer '{offer.offerId}': the discount must be 5-99%"
                )
        conn, now = state.conn(), format_ts(state.now())
        accounts = ctx.cabinet.account_ids
        marks = ", ".join("?" for _ in accounts)
        with conn:
            for offer in body.offers:
                price = round(offer.price.value * 100)
                old = round(offer.price.discountBase * 100) if offer.price.discountBase else None
                conn.execute(
                    f"update offers set price_kop = ?, old_price_kop = ?, updated_at = ? "
                    f"where offer_id = ? and account_id in ({marks})",
                    (price, old, now, offer.offerId, *accounts),
                )
            log_push(
                conn,
                ctx.cabinet.account_id,
                "POST",
                request.url.path,
                now,
                body.model_dump(mode="json", exclude_none=True),
            )
        return {"status": "OK"}

    return router
