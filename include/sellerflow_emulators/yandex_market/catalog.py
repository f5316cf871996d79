"""Cabinet, campaigns, offers and warehouses.

- ``GET /v2/campaigns`` (getCampaigns: ``page_token``/``limit`` ≤100, or legacy ``page``/``pageSize``),
  ``GET /v2/campaigns/{campaignId}`` (getCampaign), ``POST /v2/auth/token`` (getAuthTokenInfo).
- ``POST /v2/businesses/{businessId}/offer-mappings`` (getOfferMappings: ``limit`` ≤100 truncated,
  filters ``offerIds`` ≤100, ``cardStatuses``, ``archived``): offers with ``barcodes``, ``basicPrice``
  and ``mapping.marketSku``.
- ``POST /v2/businesses/{businessId}/warehouses`` (getPagedWarehouses: ``limit`` 1–30, default 15) and
  the deprecated ``GET`` (getWarehouses). Only the seller's own warehouses (FBS/DBS) are listed.

Source: official spec (tests/contracts/yandex_market/openapi.yaml) CampaignDTO, GetOfferMappingDTO,
WarehouseDetailsDTO; docs reference/campaigns, reference/business-assortment, reference/warehouses.
Campaign settings may come from ``accounts.vendor`` (``placementType``, ``domain``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.yandex_market.guard import guard
from sellerflow_emulators.yandex_market.paging import (
    Page,
    apply_page_fault,
    encode_token,
    page_from_request,
    parse_int,
)
from sellerflow_emulators.yandex_market.render import apply_item_fault, msk_iso, rub

PLACEMENT_BY_KIND = {"fbo": "FBY", "dbs": "DBS", "fbs": "FBS"}
CARD_STATUS = "HAS_CARD_CAN_UPDATE"


class GetOfferMappingsRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    offerIds: list[str] | None = Field(default=None, min_length=1, max_length=100)
    cardStatuses: list[str] | None = Field(default=None, min_length=1)
    archived: bool | None = None


class GetPagedWarehousesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    components: list[str] | None = Field(default=None, min_length=1)
    campaignIds: list[int] | None = Field(default=None, min_length=1, max_length=25)


def placement_type(conn: sqlite3.Connection, account: sqlite3.Row) -> str:
    """FBS / FBY / DBS of a campaign: ``vendor.placementType``, else the program the account's ``campaigns`` map
    gives its campaign, else its warehouses' kind (FBS first: a cabinet with FBS and DBS warehouses whose map is
    missing is taken as FBS, not as whichever warehouse id sorts first)."""
    vendor = json.loads(account["vendor"] or "{}")
    if vendor.get("placementType"):
        return str(vendor["placementType"])
    campaigns = vendor.get("campaigns") or {}
    kind = next((k for k, cid in campaigns.items() if str(cid) == str(account["campaign_id"])), None)
    if kind in PLACEMENT_BY_KIND:
        return PLACEMENT_BY_KIND[kind]
    row = conn.execute(
        "select kind from warehouses where owner = ? order by kind <> 'fbs', id limit 1", (account["id"],)
    ).fetchone()
    return PLACEMENT_BY_KIND.get(row["kind"], "FBS") if row else "FBS"


def campaign_dto(conn: sqlite3.Connection, account: sqlite3.Row) -> dict[str, Any]:
    """``CampaignDTO`` of one account row."""
    vendor = json.loads(account["vendor"] or "{}")
    entity = conn.execute(
        "select name from legal_entities where id = ?", (account["legal_entity_id"],)
    ).fetchone()
    return {
        "domain": str(vendor.get("domain") or account["name"]),
        "id": int(account["campaign_id"]),
        "business": {"id": int(account["client_id"]), "name": entity["name"] if entity else account["name"]},
        "placementType": placement_type(conn, account),
        "apiAvailability": str(vendor.get("apiAvailability", "AVAILABLE")),
    }


def offer_rows(
    conn: sqlite3.Connection, account_ids: list[str], offer_ids: list[str] | None, page: Page
) -> tuple[list[sqlite3.Row], bool]:
    """Business offers (one row per offerId across the cabinet's campaigns), one page."""
    params: list[Any] = list(account_ids)
    where = f"f.account_id in ({', '.join('?' for _ in account_ids)})"
    if offer_ids:
        where += f" and f.offer_id in ({', '.join('?' for _ in offer_ids)})"
        params.extend(offer_ids)
    rows = conn.execute(
        f"""
        select f.offer_id, max(f.name) as name, max(f.barcode) as barcode, max(f.mp_sku) as mp_sku,
               max(f.price_kop) as price_kop, max(f.old_price_kop) as old_price_kop,
               max(f.updated_at) as updated_at, max(f.vendor) as vendor,
               group_concat(a.campaign_id) as campaign_ids
        from offers f join accounts a on a.id = f.account_id
        where {where}
        group by f.offer_id order by f.offer_id limit ? offset ?
        """,
        [*params, page.limit + 1, page.offset],
    ).fetchall()
    return rows[: page.limit], len(rows) > page.limit


def price_dto(row: sqlite3.Row) -> dict[str, Any]:
    """``basicPrice`` / default price of an offer row."""
    price: dict[str, Any] = {"value": rub(row["price_kop"]), "currencyId": "RUR"}
    if row["old_price_kop"] and row["old_price_kop"] > row["price_kop"]:
        price["discountBase"] = rub(row["old_price_kop"])
    price["updatedAt"] = msk_iso(row["updated_at"])
    return price


def offer_mapping_dto(row: sqlite3.Row) -> dict[str, Any]:
    """``GetOfferMappingDTO``: the offer card and its Market SKU."""
    vendor = json.loads(row["vendor"] or "{}")
    barcodes = vendor.get("barcodes") or [row["barcode"]]
    campaigns = sorted({int(c) for c in str(row["campaign_ids"]).split(",") if c})
    return {
        "offer": {
            "offerId": row["offer_id"],
            "name": row["name"],
            "barcodes": list(dict.fromkeys(barcodes)),
            "basicPrice": price_dto(row),
            "cardStatus": CARD_STATUS,
            "campaigns": [{"campaignId": c, "status": "PUBLISHED"} for c in campaigns],
            "archived": False,
        },
        "mapping": {"marketSku": int(row["mp_sku"]), "marketSkuName": row["name"]},
    }


def warehouse_rows(conn: sqlite3.Connection, account_ids: list[str]) -> list[sqlite3.Row]:
    """The cabinet's own (FBS/DBS) warehouses with their campaign ids."""
    marks = ", ".join("?" for _ in account_ids)
    return conn.execute(
        f"""
        select w.*, a.campaign_id from warehouses w join accounts a on a.id = w.owner
        where w.owner in ({marks}) and w.kind in ('fbs', 'dbs')
        order by cast(w.external_id as integer), w.id
        """,
        account_ids,
    ).fetchall()


def warehouse_dto(row: sqlite3.Row, components: list[str]) -> dict[str, Any]:
    """``WarehouseDetailsDTO`` (address/status only when asked through ``components``)."""
    dto: dict[str, Any] = {
        "id": int(row["external_id"]),
        "name": row["name"],
        "campaignId": int(row["campaign_id"]),
        "express": False,
    }
    if "ADDRESS" in components:
        dto["address"] = {"city": "Москва", "gps": {"latitude": 55.7558, "longitude": 37.6173}}
    if "STATUS" in components:
        dto["status"] = {"status": "OTHER"}
    return dto


def build_router(state: EmulatorState) -> APIRouter:
    """Routes of the campaign, offer and warehouse endpoints."""
    router = APIRouter()

    @router.get("/v2/campaigns")
    def get_campaigns(request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getCampaigns")
        conn = state.conn()
        campaigns = [campaign_dto(conn, row) for row in ctx.cabinet.campaigns]
        token = request.query_params.get("page_token") or request.query_params.get("pageToken")
        if token or request.query_params.get("limit"):
            page = page_from_request(request, default=100, maximum=100, truncate=False)
        else:
            size = max(1, parse_int(request, "pageSize") or 100)
            page = apply_page_fault(
                Page(((parse_int(request, "page") or 1) - 1) * size, size),
                getattr(request.state, "ym_fault", None),
            )
        chunk = campaigns[page.offset : page.offset + page.limit]
        more = page.offset + page.limit < len(campaigns)
        return {
            "campaigns": chunk,
            "pager": {
                "total": len(campaigns),
                "from": page.offset + 1 if chunk else 0,
                "to": page.offset + len(chunk),
                "currentPage": page.offset // page.limit + 1,
                "pagesCount": max((len(campaigns) + page.limit - 1) // page.limit, 1),
                "pageSize": page.limit,
            },
            "paging": {"nextPageToken": encode_token(page.offset + len(chunk))} if more else {},
        }

    @router.get("/v2/campaigns/{campaignId}")
    def get_campaign(campaignId: int, request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getCampaign", campaign_id=campaignId)
        return {"campaign": campaign_dto(state.conn(), ctx.account)}

    @router.post("/v2/auth/token")
    def get_auth_token_info(request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getAuthTokenInfo")
        scopes = sorted({s.upper().replace("-", "_").replace(":", "_") for s in ctx.cabinet.scopes})
        name = str(ctx.cabinet.campaigns[0]["name"])[:100]
        return {"status": "OK", "result": {"apiKey": {"name": name, "authScopes": scopes}}}

    @router.post("/v2/businesses/{businessId}/offer-mappings")
    def get_offer_mappings(
        businessId: int, request: Request, body: GetOfferMappingsRequest | None = None
    ) -> dict[str, Any]:
        ctx = guard(request, state, "getOfferMappings", business_id=businessId)
        body = body or GetOfferMappingsRequest()
        page = page_from_request(request, default=50, maximum=100, truncate=True)
        if body.archived or (body.cardStatuses and CARD_STATUS not in body.cardStatuses):
            rows, more = [], False
        else:
            rows, more = offer_rows(state.conn(), ctx.cabinet.account_ids, body.offerIds, page)
        mappings = apply_item_fault(
            [offer_mapping_dto(r) for r in rows], getattr(request.state, "ym_fault", None)
        )
        result: dict[str, Any] = {"offerMappings": mappings}
        result["paging"] = {"nextPageToken": encode_token(page.offset + len(rows))} if more else {}
        return {"status": "OK", "result": result}

    @router.post("/v2/businesses/{businessId}/warehouses")
    def get_paged_warehouses(
        businessId: int, request: Request, body: GetPagedWarehousesRequest | None = None
    ) -> dict[str, Any]:
        ctx = guard(request, state, "getPagedWarehouses", business_id=businessId)
        body = body or GetPagedWarehousesRequest()
        page = page_from_request(request, default=15, maximum=30, truncate=False)
        rows = warehouse_rows(state.conn(), ctx.cabinet.account_ids)
        if body.campaignIds:
            rows = [r for r in rows if int(r["campaign_id"]) in body.campaignIds]
        chunk = rows[page.offset : page.offset + page.limit]
        result: dict[str, Any] = {"warehouses": [warehouse_dto(r, body.components or []) for r in chunk]}
        more = page.offset + page.limit < len(rows)
        result["paging"] = {"nextPageToken": encode_token(page.offset + len(chunk))} if more else {}
        return {"status": "OK", "result": result}

    @router.get("/v2/businesses/{businessId}/warehouses")
    def get_warehouses(businessId: int, request: Request) -> dict[str, Any]:
        ctx = guard(request, state, "getWarehouses", business_id=businessId)
        rows = warehouse_rows(state.conn(), ctx.cabinet.account_ids)
        warehouses = [warehouse_dto(r, ["ADDRESS"]) for r in rows]
        return {"status": "OK", "result": {"warehouses": warehouses, "warehouseGroups": []}}

    return router
