"""Wildberries seller API emulator: every WB host served by one FastAPI app on one port.

WB splits its API over several hosts (WB OpenAPI files, each path's ``servers`` entry); their paths
do not collide, so one app serves them all:

| WB host | paths served here |
|---|---|
| common-api.wildberries.ru | ``GET /ping``, ``GET /api/v1/seller-info`` |
| content-api.wildberries.ru | ``POST /content/v2/get/cards/list`` |
| marketplace-api.wildberries.ru | ``/api/v3/orders/new``, ``/api/v3/orders``, ``/api/v3/orders/status``, ``/api/v3/orders/{id}/cancel``, ``/api/v3/supplies[...]``, ``/api/marketplace/v3/supplies/{id}/orders``, ``/api/marketplace/v3/supplies/{id}/order-ids``, ``/api/v3/warehouses``, ``/api/v3/stocks/{warehouseId}`` |
| discounts-prices-api.wildberries.ru | ``/api/v2/list/goods/filter`` (GET, POST), ``/api/v2/upload/task``, ``/api/v2/history/tasks`` |
| statistics-api.wildberries.ru | ``/api/v1/supplier/orders``, ``/api/v1/supplier/sales``, legacy ``/api/v5/supplier/reportDetailByPeriod`` |
| finance-api.wildberries.ru | ``/api/finance/v1/sales-reports/list``, ``.../detailed``, ``.../detailed/{reportId}`` |

``/ping`` exists on every real WB host; here it answers once for all of them.
Cabinet settings in ``accounts.vendor`` (JSON): ``legacy_v5`` (bool, default false) re-enables the
retired v5 report; ``token_type`` = ``"basic"`` makes finance-api refuse the token with WB's 403.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.wildberries import catalog, marketplace, reports, seller_info, statistics
from sellerflow_emulators.wildberries.common import (
    CallContext,
    WbError,
    bad_parameter,
    path_not_found,
    render_error,
    too_many_requests,
)
from sellerflow_emulators.wildberries.guard import PageMemory, RateLimited, guard, install_fault_middleware
from sellerflow_emulators.wildberries.world import ensure_tables

__all__ = ["create_app"]


def create_app(state: EmulatorState) -> FastAPI:
    """The Wildberries emulator app rendering ``state``'s world in WB's wire shapes."""
    ensure_tables(state.conn())
    app = FastAPI(title="Wildberries seller API emulator", docs_url=None, redoc_url=None, openapi_url=None)
    pages = PageMemory()
    install_fault_middleware(app, state)

    @app.exception_handler(WbError)
    async def wb_error(_: Request, exc: WbError) -> Response:
        return render_error(exc)

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, exc: RateLimited) -> Response:
        return too_many_requests(exc.decision)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return (
            render_error(path_not_found())
            if exc.status_code in {404, 405}
            else Response(status_code=exc.status_code)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, __: RequestValidationError) -> Response:
        return render_error(bad_parameter())

    ping_guard = Depends(guard(state, None, "common"))

    @app.get("/ping", response_model=None)
    def ping(_: CallContext = ping_guard) -> dict[str, str]:
        """01-general ``GET /ping``: any valid token of any category."""
        moment = datetime.now(UTC).astimezone(timezone(timedelta(hours=3)))
        return {"TS": moment.isoformat(timespec="seconds"), "Status": "OK"}

    app.include_router(marketplace.build_router(state, pages))
    app.include_router(catalog.build_router(state, pages))
    app.include_router(statistics.build_router(state, pages))
    app.include_router(reports.build_router(state))
    app.include_router(seller_info.build_router(state))
    return app
