"""The FastAPI app the sellerflow Airflow plugin mounts at /sellerflow.

`GET /sellerflow/health` tells whether the warehouse answers and how fresh each raw landing is
(from ops.latest_loads), so an operator or a monitor can check sellerflow without opening SQL. The pages for
accountants and analysts (sellerflow.pages) live under /sellerflow/pages, behind Airflow's own login.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row


def latest_loads(dsn: str) -> list[dict[str, Any]]:
    """The latest successful load per (source, entity, account)."""
    with psycopg.connect(dsn, connect_timeout=5) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select source, entity, account_id, received, inserted, quarantined, finished_at"
            " from ops.latest_loads order by source, entity, account_id"
        )
        return cur.fetchall()


def create_app() -> FastAPI:
    """Build the app (the warehouse DSN is read from SELLERFLOW_WAREHOUSE_DSN per request)."""
    app = FastAPI(title="sellerflow", description="sellerflow status API", version="0.1.0")

    @app.get("/health")
    def health() -> JSONResponse:
        """Warehouse reachability and raw-landing freshness."""
        dsn = os.environ.get("SELLERFLOW_WAREHOUSE_DSN")
        if not dsn:
            return JSONResponse(
                {"status": "unconfigured", "detail": "SELLERFLOW_WAREHOUSE_DSN is not set"}, 503
            )
        try:
            loads = latest_loads(dsn)
        except psycopg.errors.UndefinedTable:
            detail = "warehouse not migrated: run `python -m sellerflow.warehouse migrate`"
            return JSONResponse({"status": "not_migrated", "detail": detail}, 503)
        except psycopg.Error as exc:
            return JSONResponse({"status": "warehouse_unreachable", "detail": type(exc).__name__}, 503)

        def encode(value: object) -> object:
            return value.isoformat() if isinstance(value, datetime) else value

        return JSONResponse(
            {"status": "ok", "latest_loads": [{k: encode(v) for k, v in row.items()} for row in loads]}
        )

    from sellerflow.pages.auth import LoginRequired, login_refused
    from sellerflow.pages.router import router as pages_router

    app.include_router(pages_router)
    # Starlette types every handler as taking Exception; registered for LoginRequired, it only receives that
    app.add_exception_handler(LoginRequired, login_refused)  # type: ignore[arg-type]
    return app
