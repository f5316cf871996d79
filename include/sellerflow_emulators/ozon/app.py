"""The FastAPI app: routing, authentication, rate limits and injected faults around the handlers.

Every method is ``POST`` with a JSON body and the headers ``Client-Id`` + ``Api-Key`` (spec tag
``Environment``). The calling cabinet is the ``accounts`` row of marketplace ``ozon`` whose ``client_id``
and ``token`` match. Each request counts against the rate-limit group ``global`` (Ozon: 50 requests per
second per Client-Id, spec tag ``Process``); ``/v2/products/stocks`` also against ``products_stocks``
(80 requests per minute, method description).
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerflow_emulators.ozon import actions, catalog, finance, postings_api
from sellerflow_emulators.ozon.common import VENDOR, Ctx, parse_body
from sellerflow_emulators.ozon.errors import (
    NOT_FOUND,
    OzonError,
    bad_client_id,
    deactivated_api_key,
    invalid_api_key,
    missing_credentials,
    rate_limited,
    server_error,
)
from sellerflow_emulators.runtime import EmulatorState, Fault, format_ts

Handler = Callable[[Ctx, dict[str, Any]], dict[str, Any]]

GLOBAL_GROUP = "global"
EXTRA_GROUPS = {"/v2/products/stocks": "products_stocks"}
DEFAULT_TIMEOUT_S = 120.0


def _routes(guard: catalog.StockUpdateGuard) -> dict[str, Handler]:
    return {
        "/v3/product/list": catalog.product_list,
        "/v3/product/info/list": catalog.product_info_list,
        "/v2/warehouse/list": catalog.warehouse_list,
        "/v4/product/info/stocks": catalog.stocks_info,
        "/v2/products/stocks": functools.partial(catalog.stocks_update, guard=guard),
        "/v5/product/info/prices": catalog.prices_info,
        "/v1/product/import/prices": catalog.prices_import,
        "/v4/posting/fbs/list": postings_api.fbs_list,
        "/v4/posting/fbs/unfulfilled/list": postings_api.fbs_unfulfilled_list,
        "/v3/posting/fbs/get": postings_api.fbs_get,
        "/v3/posting/fbo/list": postings_api.fbo_list,
        "/v2/posting/fbo/get": postings_api.fbo_get,
        "/v4/posting/fbs/ship": actions.ship,
        "/v2/posting/fbs/cancel": actions.cancel,
        "/v2/posting/fbs/product/cancel": actions.product_cancel,
        "/v2/posting/fbs/cancel-reason/list": actions.cancel_reasons,
        "/v2/posting/fbs/awaiting-delivery": actions.awaiting_delivery,
        "/v2/fbs/posting/delivering": actions.delivering,
        "/v2/fbs/posting/delivered": actions.delivered,
        "/v2/finance/realization": finance.realization,
        "/v1/finance/realization/posting": finance.realization_posting,
        "/v1/finance/accrual/postings": finance.accrual_postings,
        "/v1/finance/accrual/by-day": finance.accrual_by_day,
        "/v1/finance/accrual/types": finance.accrual_types,
        "/v3/finance/transaction/list": finance.transaction_list_retired,
        "/v3/finance/transaction/totals": finance.transaction_list_retired,
    }


def authenticate(conn: sqlite3.Connection, request: Request, now: str) -> sqlite3.Row:
    """The cabinet identified by ``Client-Id`` + ``Api-Key``, or the matching Ozon error."""
    client_id = request.headers.get("client-id", "").strip()
    api_key = request.headers.get("api-key", "").strip()
    if not client_id or not api_key:
        raise missing_credentials()
    if not client_id.isdigit() or int(client_id) <= 0:
        raise bad_client_id()
    account = conn.execute(
        "select * from accounts where marketplace = 'ozon' and client_id = ? and token = ?",
        (client_id, api_key),
    ).fetchone()
    if account is None:
        raise invalid_api_key()
    if account["token_expires_at"] and account["token_expires_at"] <= now:
        raise deactivated_api_key()
    return account


async def _apply_delay(fault: Fault | None) -> None:
    if fault is None:
        return
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_s)
    elif fault.kind == "timeout":
        await asyncio.sleep(fault.delay_s or DEFAULT_TIMEOUT_S)


def _endpoint(state: EmulatorState, path: str, handler: Handler) -> Callable[[Request], Any]:
    groups = [GLOBAL_GROUP, *([EXTRA_GROUPS[path]] if path in EXTRA_GROUPS else [])]

    async def endpoint(request: Request) -> Response:
        fault = state.faults.next(VENDOR, request.url.path)
        await _apply_delay(fault)
        if fault is not None and fault.kind == "server_error":
            return server_error(fault.status if fault.status >= 500 else 500).response()
        if fault is not None and fault.kind == "expired_token":
            return deactivated_api_key().response()
        raw = await request.body()
        return await run_in_threadpool(_serve, state, request, groups, handler, raw, fault)

    endpoint.__name__ = "ozon" + path.replace("/", "_").replace("-", "_")
    return endpoint


def _serve(
    state: EmulatorState,
    request: Request,
    groups: list[str],
    handler: Handler,
    raw: bytes,
    fault: Fault | None,
) -> Response:
    conn = state.conn()
    now = format_ts(state.now())
    acquired: list[str] = []
    try:
        account = authenticate(conn, request, now)
        for group in groups:
            decision = state.limits.acquire(VENDOR, group, str(account["id"]))
            acquired.append(group)
            if not decision.allowed:
                raise rate_limited()
        body = parse_body(raw)
        return JSONResponse(handler(Ctx(conn=conn, account=account, now=now, fault=fault), body))
    except OzonError as error:
        conn.rollback()
        return error.response()
    finally:
        for group in acquired:
            state.limits.release(VENDOR, group, str(account["id"]))


def create_app(state: EmulatorState) -> FastAPI:
    """Build the Ozon Seller API emulator over the canonical world in ``state``."""
    app = FastAPI(title="Ozon Seller API emulator", docs_url=None, redoc_url=None, openapi_url=None)
    for path, handler in _routes(catalog.StockUpdateGuard()).items():
        app.add_api_route(path, _endpoint(state, path, handler), methods=["POST"])

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        return OzonError(404, NOT_FOUND, "Not Found").response()

    return app
