"""The TSD app the sellerflow Airflow plugin mounts at ``/tsd``: JSON API, browser TSD page, DataMobile exchange.

API (``/tsd/api/v1``, bearer token of a device, see ``python -m sellerflow.picking token issue``):

- ``GET  /pick-lists``                     open lists of the device's warehouse (and the ones it holds)
- ``POST /pick-lists/{id}/claim``          claim a list (one device at a time; a lease renewed by each scan)
- ``GET  /pick-lists/{id}``                the list as JSON: lines sorted by cell, orders, struck orders, events
- ``POST /pick-lists/{id}/scans``          ``{scan_id, barcode, quantity}``; a repeated scan_id changes nothing
- ``POST /pick-lists/{id}/finish``         close it; shortages recorded, orders handed to the reverse-ETL
- ``POST /pick-lists/{id}/release``        give it back unfinished

Refusals are JSON ``{"error": code, "detail": message}``: 401 no/unknown/revoked token, 403 wrong warehouse,
404 no such list, 409 claimed by another device / claim expired / over-pick / cancelled order / finished,
422 unknown barcode. The OpenAPI document is ``/tsd/openapi.json`` (Swagger UI at ``/tsd/docs``).
The page is ``/tsd/`` and the DataMobile exchange ``/tsd/datamobile/...`` (:mod:`.datamobile`).
"""

import asyncio
import gc
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
import msgspec
import psycopg
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from sellerflow.picking import devices, feedback, service
from sellerflow.picking.devices import Device
from sellerflow.picking.service import PickingError

API_PREFIX = "/api/v1"
bearer = HTTPBearer(
    auto_error=False, description="A device token from `python -m sellerflow.picking token issue`."
)


class ScanIn(BaseModel):
    """One scan from the device."""

    scan_id: str = Field(
        min_length=1, max_length=100, description="Client-made id (UUID): a retried post is harmless."
    )
    barcode: str = Field(min_length=1, max_length=200, description="The code as the scanner typed it.")
    quantity: int = Field(default=1, ge=1, le=10000)


class Refusal(BaseModel):
    """Why a request was refused."""

    error: str
    detail: str


REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": Refusal, "description": text}
    for code, text in {
        401: "No token, unknown or revoked token",
        403: "The list belongs to another warehouse",
        404: "No such list",
        409: "Claimed by another device, claim expired, over-pick, cancelled order, finished",
        422: "Unknown barcode or invalid body",
    }.items()
}


POOL_MAX = int(os.environ.get("SELLERFLOW_TSD_POOL_MAX", "8"))
POOL_TIMEOUT_S = 10.0
_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(dsn: str) -> ConnectionPool:
    """One connection pool per warehouse DSN and process (psycopg_pool), opened in full: a device's request
    never pays for a new Postgres connection (a backend started under a burst costs more than the request).
    Connections are autocommit; the pool rolls back and discards broken ones."""
    with _pools_lock:
        pool = _pools.get(dsn)
        if pool is None:
            pool = ConnectionPool(
                dsn,
                min_size=POOL_MAX,
                max_size=POOL_MAX,
                kwargs={"autocommit": True, "connect_timeout": 5},
                name="sellerflow-tsd",
                open=True,
            )
            _pools[dsn] = pool
        return pool


class JSONBody(Response):
    """A JSON answer encoded by msgspec. The endpoints return it ready-made, so FastAPI skips validating the body
    against the declared ``response_model`` and encoding it again (a fifth of the app's CPU per request)."""

    media_type = "application/json"
    _encode = msgspec.json.Encoder(decimal_format="number").encode

    def render(self, content: Any) -> bytes:
        return self._encode(content)


T = TypeVar("T")


class Session:
    """Runs a device's call in a worker thread, on a pooled connection, once the device is authenticated.

    The calls are blocking psycopg code. Each runs whole in one thread of the app's own, which takes its
    connection there for as long as it runs. The threads are limited to the pool's size (an anyio
    ``CapacityLimiter`` per event loop, not Starlette's default of 40 threads shared with the host app). A thread
    therefore never waits for a connection, and a burst of requests queues in order in the limiter instead of
    starting threads: anyio starts a thread inside the event loop and waits there until it runs. With the
    default limiter, a burst of 100 claims started some 25 threads per worker, and every claim waited about
    270 ms before it ran."""

    def __init__(self, dsn: str | None) -> None:
        self.dsn = dsn
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection to the warehouse."""
        target = self.dsn or os.environ.get("SELLERFLOW_WAREHOUSE_DSN")
        if not target:
            raise PickingError(503, "unconfigured", "SELLERFLOW_WAREHOUSE_DSN is not set")
        with _pool(target).connection(timeout=POOL_TIMEOUT_S) as connection:
            yield connection

    @contextmanager
    def device(self, token: str | None) -> Iterator[tuple[psycopg.Connection, Device]]:
        """A pooled connection and the device holding ``token``; 401 without a valid token."""
        if not token:
            raise PickingError(401, "no_token", "Send the device token: Authorization: Bearer <token>.")
        with self.connection() as connection:
            found = devices.authenticate(connection, token)
            if found is None:
                raise PickingError(401, "bad_token", "Unknown or revoked device token.")
            yield connection, found

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(POOL_MAX)
        return limiter

    async def blocking(self, token: str | None, work: Callable[[psycopg.Connection, Device], T]) -> T:
        """``work(connection, device)`` in one of the app's threads, for the bearer of ``token``."""

        def run() -> T:
            with self.device(token) as (connection, dev):
                return work(connection, dev)

        return await anyio.to_thread.run_sync(run, limiter=self._limiter())

    async def run(
        self,
        credentials: HTTPAuthorizationCredentials | None,
        call: Callable[..., dict[str, Any]],
        *args: Any,
    ) -> JSONBody:
        """``call(connection, device, *args)`` for the bearer of ``credentials``, as the JSON answer (encoded in
        the thread, with the connection already back in the pool)."""

        def run() -> JSONBody:
            with self.device(credentials.credentials if credentials else None) as (connection, dev):
                answer = call(connection, dev, *args)
            return JSONBody(answer)

        return await anyio.to_thread.run_sync(run, limiter=self._limiter())


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _api_router(session: Session) -> APIRouter:
    """The JSON API routes."""
    api = APIRouter(
        prefix=API_PREFIX, responses=REFUSALS, tags=["pick lists"], default_response_class=JSONBody
    )
    answer = dict[str, Any]  # what the OpenAPI document states; the endpoints return it encoded (JSONBody)

    def whoami(_: psycopg.Connection, dev: Device) -> dict[str, Any]:
        return {"device": dev.name, "warehouse_key": dev.warehouse_key}

    def lists(connection: psycopg.Connection, dev: Device) -> dict[str, Any]:
        return {"warehouse_key": dev.warehouse_key, "pick_lists": service.open_lists(connection, dev)}

    @api.get("/me", summary="This device", response_model=answer)
    async def me(credentials: Credentials) -> JSONBody:
        return await session.run(credentials, whoami)

    @api.get(
        "/pick-lists", summary="Open pick lists of my warehouse (and those I hold)", response_model=answer
    )
    async def pick_lists(credentials: Credentials) -> JSONBody:
        return await session.run(credentials, lists)

    @api.post(
        "/pick-lists/{list_id}/claim", summary="Claim a list (one device at a time)", response_model=answer
    )
    async def claim(list_id: int, credentials: Credentials) -> JSONBody:
        return await session.run(credentials, service.claim, list_id)

    @api.post(
        "/pick-lists/{list_id}/release", summary="Give a claimed list back unfinished", response_model=answer
    )
    async def release(list_id: int, credentials: Credentials) -> JSONBody:
        return await session.run(credentials, service.release, list_id)

    @api.get(
        "/pick-lists/{list_id}",
        summary="Download a list: lines sorted by cell, orders, events",
        response_model=answer,
    )
    async def pick_list(list_id: int, credentials: Credentials, since_event: int = 0) -> JSONBody:
        return await session.run(credentials, service.document, list_id, since_event)

    @api.post(
        "/pick-lists/{list_id}/scans", summary="Post a scan (idempotent by scan_id)", response_model=answer
    )
    async def post_scan(list_id: int, body: ScanIn, credentials: Credentials) -> JSONBody:
        return await session.run(
            credentials, service.scan, list_id, body.scan_id, body.barcode, body.quantity
        )

    @api.post(
        "/pick-lists/{list_id}/finish", summary="Finish a list (shortages recorded)", response_model=answer
    )
    async def finish(list_id: int, credentials: Credentials) -> JSONBody:
        return await session.run(credentials, service.finish, list_id)

    return api


def create_app(dsn: str | None = None) -> FastAPI:
    """The app; the warehouse DSN is ``dsn`` or ``SELLERFLOW_WAREHOUSE_DSN`` read per request."""
    app = FastAPI(
        title="sellerflow TSD",
        version="1.0.0",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else "",
    )
    session = Session(dsn)
    feedback.warm_up()

    @app.exception_handler(PickingError)
    def refused(_: Request, exc: PickingError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), exc.status, headers=headers)

    app.include_router(_api_router(session))

    page = resources.files("sellerflow.picking").joinpath("static", "tsd.html")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def tsd_page() -> HTMLResponse:
        return HTMLResponse(page.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})

    from sellerflow.picking.datamobile import router as datamobile_router

    app.include_router(datamobile_router(session))
    _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Take what start-up made (some 75,000 objects: FastAPI, pydantic, psycopg, the reverse-ETL's modules) out of
    the garbage collector's full collections. Each of those walked them all: 35–55 ms with the 2 cores under
    load, during which no request of the worker moved (one fell on the bench's burst of claims); now 3–4 ms.
    Objects made since are collected as before."""
    gc.collect()
    gc.freeze()
