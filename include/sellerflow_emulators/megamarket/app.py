"""FastAPI app: routing, the request envelope, auth, rate limits and injected faults.

Transport facts (shared/docs/sources/yandex-market-megamarket-1c.md B1): every method is
``POST`` with ``{"meta": {}, "data": {"token": ..., ...}}``; the token may also come in the
``X-Merchant-Token`` header (S5). Unknown token, expired token and rate-limit refusals are logical
errors: HTTP 200 with ``success: 0``. Transient 500/502/503/504 happen and must be retried (S9, S10).

Rate-limit groups passed to ``state.limits.acquire("megamarket", group, account_id)``:
``orders`` (order/search, order/get), ``order_actions`` (confirm ... cancelResult), ``stocks``,
``prices``, ``reports`` (the emulator-only report download).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sellerflow_emulators.megamarket import envelope, offers, orders_read, orders_write, reports, world
from sellerflow_emulators.megamarket.calls import Call, Invalid
from sellerflow_emulators.runtime import EmulatorState, Fault, parse_ts

ORDER_SERVICE = "/api/market/v1/orderService"
OFFER_SERVICE = "/api/merchantIntegration/v1/offerService"
TIMEOUT_S = 120.0

Handler = Callable[[Call], JSONResponse]
METHODS: dict[str, tuple[Handler, str]] = {
    f"{ORDER_SERVICE}/order/search": (orders_read.search, "orders"),
    f"{ORDER_SERVICE}/order/get": (orders_read.get, "orders"),
    f"{ORDER_SERVICE}/order/confirm": (orders_write.confirm, "order_actions"),
    f"{ORDER_SERVICE}/order/reject": (orders_write.reject, "order_actions"),
    f"{ORDER_SERVICE}/order/packing": (orders_write.packing, "order_actions"),
    f"{ORDER_SERVICE}/order/shipping": (orders_write.shipping, "order_actions"),
    f"{ORDER_SERVICE}/order/close": (orders_write.close, "order_actions"),
    f"{ORDER_SERVICE}/order/cancelResult": (orders_write.cancel_result, "order_actions"),
    f"{OFFER_SERVICE}/stock/update": (offers.update_stock, "stocks"),
    f"{OFFER_SERVICE}/manualPrice/save": (offers.save_prices, "prices"),
}


def _single_error(path: str) -> bool:
    return path.startswith(OFFER_SERVICE)


def _auth_failure(state: EmulatorState, token: Any) -> tuple[Any, str | None]:
    """(account, None) when the token is a live Megamarket token, else (None, error code)."""
    if not isinstance(token, str) or not token:
        return None, envelope.TOKEN_INVALID
    account = world.find_account(state.conn(), token)
    if account is None:
        return None, envelope.TOKEN_INVALID
    expires = account["token_expires_at"]
    if expires and parse_ts(expires) <= state.now():
        return None, envelope.TOKEN_EXPIRED
    return account, None


def _dispatch(state: EmulatorState, path: str, data: dict[str, Any], fault: Fault | None) -> Response:
    handler, group = METHODS[path]
    single = _single_error(path)
    account, code = _auth_failure(state, data.get("token"))
    if code is not None:
        return envelope.failure([envelope.error_item(code)], single=single)
    decision = state.limits.acquire(world.VENDOR, group, account["id"])
    if not decision.allowed:  # a refused call holds no slot, so there is nothing to release
        return envelope.rate_limited(decision.retry_after_s, single=single)
    try:
        call = Call(state, state.conn(), account, data, path, state.now(), fault)
        try:
            return handler(call)
        except Invalid as problem:
            return envelope.failure([envelope.error_item(problem.code, problem.description)], single=single)
    finally:
        state.limits.release(world.VENDOR, group, account["id"])


def _method_endpoint(state: EmulatorState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        path = request.url.path
        try:
            body = await request.json()
        except ValueError:
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            problem = envelope.error_item(
                envelope.VALIDATION_ERROR, 'Тело запроса: {"meta": {}, "data": {...}}'
            )
            return envelope.failure([problem], single=_single_error(path))
        if not data.get("token") and request.headers.get("X-Merchant-Token"):
            data = {**data, "token": request.headers["X-Merchant-Token"]}
        return await run_in_threadpool(_dispatch, state, path, data, getattr(request.state, "fault", None))

    return endpoint


def _add_fault_middleware(app: FastAPI, state: EmulatorState) -> None:
    @app.middleware("http")
    async def inject_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        fault = state.faults.next(world.VENDOR, request.url.path)
        request.state.fault = fault
        if fault is None:
            return await call_next(request)
        if fault.kind == "server_error":
            return envelope.server_error(fault.status if fault.status >= 500 else 500)
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay_s or TIMEOUT_S)
            return envelope.server_error(504)
        if fault.kind == "expired_token":
            if request.url.path.startswith("/emulator/"):
                return JSONResponse(_report_error(envelope.TOKEN_EXPIRED), status_code=401)
            error = envelope.error_item(envelope.TOKEN_EXPIRED)
            return envelope.failure([error], single=_single_error(request.url.path))
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        return await call_next(request)


def _report_error(code: str, description: str | None = None) -> dict[str, Any]:
    return {"success": 0, "meta": {}, "data": {}, "error": [envelope.error_item(code, description)]}


def _add_report_routes(app: FastAPI, state: EmulatorState) -> None:
    def account_for(request: Request) -> tuple[Any, JSONResponse | None]:
        account, code = _auth_failure(state, request.headers.get("X-Merchant-Token"))
        if code is not None:
            return None, JSONResponse(_report_error(code), status_code=401)
        return account, None

    def due(account: Any, fault: Fault | None) -> list[Any]:
        visible = reports.visible_reports(state.conn(), account["id"], state.now())
        if fault is not None and fault.kind == "report_late" and visible:
            latest = max(visible, key=lambda row: (row["published_at"], row["id"]))
            visible = [row for row in visible if row["id"] != latest["id"]]
        return visible

    def list_reports(request: Request) -> JSONResponse:
        account, refusal = account_for(request)
        if refusal is not None:
            return refusal
        listed = [reports.describe(row) for row in due(account, getattr(request.state, "fault", None))]
        return JSONResponse({"success": 1, "meta": {}, "data": {"reports": listed}})

    def download(report_id: str, request: Request) -> Response:
        account, refusal = account_for(request)
        if refusal is not None:
            return refusal
        decision = state.limits.acquire(world.VENDOR, "reports", account["id"])
        if not decision.allowed:
            body = envelope.rate_limited(decision.retry_after_s, single=False).body
            return Response(body, status_code=429, media_type="application/json")
        try:
            found = [
                row for row in due(account, getattr(request.state, "fault", None)) if row["id"] == report_id
            ]
            if not found:
                return JSONResponse(
                    _report_error(envelope.VALIDATION_ERROR, "Отчёт не найден"), status_code=404
                )
            content = reports.build_xlsx(state.conn(), found[0])
        finally:
            state.limits.release(world.VENDOR, "reports", account["id"])
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": reports.content_disposition(found[0])},
        )

    app.add_api_route("/emulator/reports", list_reports, methods=["GET"])
    app.add_api_route("/emulator/reports/{report_id}", download, methods=["GET"])


def create_app(state: EmulatorState) -> FastAPI:
    """The Megamarket merchant API emulator over the canonical world in ``state``."""
    app = FastAPI(title="Megamarket merchant API emulator", docs_url=None, redoc_url=None, openapi_url=None)
    endpoint = _method_endpoint(state)
    for path in METHODS:
        app.add_api_route(path, endpoint, methods=["POST"])
    _add_report_routes(app, state)
    _add_fault_middleware(app, state)
    return app
