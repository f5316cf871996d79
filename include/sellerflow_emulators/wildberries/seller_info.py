"""common-api ``GET /api/v1/seller-info``: who the cabinet's seller is.

Source: WB OpenAPI 01-general (snapshot 2026-07-22), operation ``getV1SellerInfo``: any token category;
answer ``{name, sid, tin, tradeMark}`` — ``name`` «Наименование продавца», ``sid`` the seller's UUID (the
token's public ``sid`` claim), ``tin`` «ИНН»; limit 1 request/min, burst 10 (Personal/Service tokens).
This is where the seller's own ИНН comes from: the realization rows' ``ppvzSupplierInn`` is the pickup
point's partner (docs/vendors/wildberries.md).

The emulator answers from the cabinet's legal entity; ``accounts.vendor.trade_mark`` names the trade mark
(default: the legal entity's name without its form) and ``seller_sid`` the UUID (default: derived).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from fastapi import APIRouter, Depends

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.wildberries.common import CallContext
from sellerflow_emulators.wildberries.guard import guard


def seller_info(conn: sqlite3.Connection, ctx: CallContext) -> dict[str, Any]:
    """The answer for the calling cabinet."""
    entity = conn.execute(
        "select l.* from legal_entities l join accounts a on a.legal_entity_id = l.id where a.id = ?",
        (ctx.account_id,),
    ).fetchone()
    settings = ctx.vendor_settings()
    name = str(entity["name"]) if entity else ""
    sid = settings.get("seller_sid") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"wb-seller:{ctx.account_id}"))
    trade_mark = settings.get("trade_mark") or name.split(" ", 1)[-1].strip('"«»')
    return {"name": name, "sid": sid, "tin": str(entity["inn"]) if entity else "", "tradeMark": trade_mark}


def build_router(state: EmulatorState) -> APIRouter:
    """The route, counted in its own limit group ``seller_info``."""
    router = APIRouter()
    info_guard = Depends(guard(state, None, "seller_info"))

    @router.get("/api/v1/seller-info", response_model=None)
    def get_seller_info(ctx: CallContext = info_guard) -> dict[str, Any]:
        return seller_info(state.conn(), ctx)

    return router
