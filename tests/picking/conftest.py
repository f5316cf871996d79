"""Fixtures of the pick-list tests: a migrated throwaway warehouse with a hand-made ``marts.pick_demand`` table
(the dbt view's columns; the view itself is built by dbt in test_pick_demand_model.py), devices, and the TSD
app served by uvicorn on a free port (real HTTP)."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from sellerflow.picking import devices
from sellerflow.picking.builder import build_pick_lists
from sellerflow.warehouse import migrate

DEMAND_DDL = """
create schema if not exists marts;
drop table if exists marts.pick_demand;
create table marts.pick_demand (
    marketplace text, account_id text, order_number text, posting_number text, order_group text, unit_ref text,
    created_at text, mp_warehouse_id text, warehouse_key text, warehouse_name text, onec_base_id text,
    product_ref text, offer_id text, article text, product_name text, barcodes text[], cell text,
    quantity integer, vendor_status text, is_cancelled boolean, awaiting_assembly boolean
)
"""

WH = "11111111-1111-1111-1111-111111111111"
WH2 = "22222222-2222-2222-2222-222222222222"
_counter = itertools.count(1)


def unit(marketplace: str, posting: str, offer: str, qty: int = 1, **kw: Any) -> dict[str, Any]:
    """One demand row (defaults: warehouse WH, barcode 460<offer>, cell from the offer)."""
    row = {
        "marketplace": marketplace,
        "account_id": f"{marketplace}_main",
        "order_number": kw.pop("order_number", posting),
        "posting_number": posting,
        "order_group": kw.pop("order_group", posting),
        "unit_ref": kw.pop("unit_ref", str(next(_counter))),
        "created_at": kw.pop("created_at", "2026-12-05T10:00:00Z"),
        "mp_warehouse_id": "1",
        "warehouse_key": kw.pop("warehouse_key", WH),
        "warehouse_name": kw.pop("warehouse_name", "Основной склад"),
        "onec_base_id": "ut",
        "product_ref": f"ref-{offer}",
        "offer_id": offer,
        "article": offer,
        "product_name": kw.pop("product_name", f"Товар {offer}"),
        "barcodes": kw.pop("barcodes", [f"460{offer}"]),
        "cell": kw.pop("cell", f"A-{offer[-2:]}"),
        "quantity": qty,
        "vendor_status": kw.pop("vendor_status", None),
        "is_cancelled": kw.pop("is_cancelled", False),
        "awaiting_assembly": kw.pop("awaiting_assembly", True),
    }
    assert not kw, kw
    return row


@dataclass
class Warehouse:
    dsn: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def set_demand(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("truncate marts.pick_demand")
            if rows:
                cols = list(rows[0])
                with conn.cursor() as cur:
                    cur.executemany(
                        f"insert into marts.pick_demand ({', '.join(cols)}) values ({', '.join(['%s'] * len(cols))})",
                        [[r[c] for c in cols] for r in rows],
                    )

    def build(self, **kw: Any):
        return build_pick_lists(self.dsn, **kw)

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def device(self, name: str, warehouse_key: str = WH) -> str:
        return devices.issue(self.dsn, name, warehouse_key)


def _reset(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "truncate ops.pick_list_events, ops.pick_list_scans, ops.pick_list_items, ops.pick_list_orders,"
            " ops.pick_lists, ops.tsd_devices restart identity cascade"
        )
        conn.execute(DEMAND_DDL)


@pytest.fixture(scope="session")
def picking_dsn(own_session_database: Callable[[], str]) -> str:
    """A warehouse of the pick-list tests alone: they replace marts.pick_demand with a hand-made table, which the
    session warehouse may hold as the dbt view other tests built."""
    dsn = own_session_database()
    migrate(dsn)
    return dsn


@pytest.fixture
def wh(picking_dsn: str) -> Warehouse:
    """The session warehouse, emptied of pick lists and devices, with an empty demand table."""
    _reset(picking_dsn)
    return Warehouse(picking_dsn)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    url: str  # the app's base (…/tsd equivalent): the API is url + /api/v1

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def served(picking_dsn: str) -> Iterator[Served]:
    """The TSD app on uvicorn, 127.0.0.1 and a free port, for the session."""
    from sellerflow.picking.api import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(picking_dsn), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)
