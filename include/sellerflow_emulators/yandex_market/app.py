"""The Yandex Market Partner API emulator app: routing, faults, limits and error rendering.

Base URL of the real API: ``https://api.partner.market.yandex.ru``. Paths were renamed to ``/v2/...``
on 2025-09-08 without changing operations (spec history, S2); older clients call ``/campaigns/...``
(and, earlier still, ``....json``), so both forms are accepted. Body size is capped at 512 KB
(concepts/limits, "The request is too big"). Request validation errors, unknown paths and methods
answer with the vendor's ``{"status": "ERROR", "errors": [...]}`` body (concepts/error-codes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.yandex_market import boxes, catalog, orders, reports, stock_price
from sellerflow_emulators.yandex_market.auth import VENDOR, invalid_token_error
from sellerflow_emulators.yandex_market.errors import YmError, error_body, error_response
from sellerflow_emulators.yandex_market.guard import release

MAX_BODY_BYTES = 512 * 1024
TIMEOUT_S = 120.0
VERSIONED = ("/v1/", "/v2/", "/reports-files/")


class LegacyPaths:
    """ASGI wrapper: ``/campaigns/1/orders.json`` → ``/v2/campaigns/1/orders``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.endswith(".json"):
                path = path[: -len(".json")]
            if not path.startswith(VERSIONED):
                path = "/v2" + path
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def validation_message(exc: RequestValidationError) -> str:
    """The first validation problem in the API's own wording (concepts/error-codes, 400)."""
    err = exc.errors()[0]
    kind, ctx, name = err.get("type", ""), err.get("ctx") or {}, _field(tuple(err.get("loc", ())))
    if kind == "json_invalid":
        return f"JSON: {ctx.get('error', err.get('msg'))}"
    if kind == "missing":
        return f"Missing field: {name}"
    if kind == "too_short":
        return f"Value / length of field ({name}) must be greater than or equal to {ctx.get('min_length')}"
    if kind == "too_long":
        return f"Value / length of field ({name}) must be less than or equal to {ctx.get('max_length')}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {
            "greater_than_equal": "greater than or equal to",
            "greater_than": "greater than",
            "less_than_equal": "less than or equal to",
            "less_than": "less than",
        }[kind]
        return f"Value / length of field ({name}) must be {words} {bound}"
    return f"Invalid value of field ({name}): {err.get('msg')}"


async def _fault_response(state: EmulatorState, request: Request) -> Response | None:
    """Apply the injected fault for this request; a response when it short-circuits."""
    fault = state.faults.next(VENDOR, request.url.path)
    if fault is None:
        return None
    if fault.kind == "server_error":
        status = fault.status if fault.status >= 500 else 500
        message = (
            "Service temporarily unavailable. Please, try again later"
            if status == 503
            else "Internal server error"
        )
        return JSONResponse(
            error_body("INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE", message), status
        )
    if fault.kind == "expired_token":
        oauth = "Api-Key" not in request.headers and "Authorization" in request.headers
        return error_response(invalid_token_error(oauth, revoked=True))
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_s)
    elif fault.kind == "timeout":
        await asyncio.sleep(fault.delay_s or TIMEOUT_S)
    else:
        request.state.ym_fault = fault  # list handlers and report info read it
    return None


def create_app(state: EmulatorState) -> FastAPI:
    """Build the Yandex Market Partner API emulator over the shared world."""
    app = FastAPI(
        title="Yandex Market Partner API (emulator)", docs_url=None, redoc_url=None, openapi_url=None
    )
    for module in (catalog, orders, boxes, stock_price, reports):
        app.include_router(module.build_router(state))

    @app.middleware("http")
    async def gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return error_response(YmError(400, f"The request is too big: {length} bytes, maximum is 512 KB"))
        short = await _fault_response(state, request)
        if short is not None:
            return short
        try:
            response = await call_next(request)
        finally:
            release(request, state)
        for name, value in (getattr(request.state, "ym_limit_headers", None) or {}).items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(LegacyPaths)  # added last, so it runs first: routing sees the /v2 path

    @app.exception_handler(YmError)
    async def on_ym_error(request: Request, exc: YmError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(YmError(400, validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return error_response(YmError(405, f"Request method '{request.method}' not supported"))
        if exc.status_code == 404:
            return error_response(YmError(404, f"Resource not found: {request.url.path}"))
        return error_response(YmError(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        return error_response(YmError(500, "Internal server error"))

    return app
