"""A small canonical world for the Wildberries emulator tests, plus pluggable limiter/fault doubles.

The clock is 2026-03-15T12:00:00Z. Cabinet ``wildberries_main`` (all token categories) has three
offers (two cards: nmID 100001 with one size, nmID 100002 with two sizes), an FBS and an FBO
warehouse, orders 5001..5005 in different states, an order created after the clock, two visible
reports (weekly r1, daily r3) and one not yet published (r2).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sellerflow_emulators import store
from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.wildberries import create_app

CLOCK = "2026-03-15T12:00:00Z"
MAIN_TOKEN = "wb-main-token"
SECOND_TOKEN = "wb-second-token"  # Marketplace category only
EXPIRED_TOKEN = "wb-expired-token"
BASIC_TOKEN = "wb-basic-token"
OZON_TOKEN = "ozon-token"
FBS_WAREHOUSE = 658434
ORDER3_SRID = "0f1c3999172603062979867564654dac"


# report_lines.vendor as the scenario generator writes it (keys WB does not document included)
LINE_VENDOR = {
    2001: json.dumps(
        {"scheme": "fbs", "barcode": "2000000000011", "commission_rate": 0.15, "srid": ORDER3_SRID,
         "orderUid": "77_abc", "nmId": 100001, "chrtId": 200001, "assemblyId": 5003,
         "sellerOperName": "Продажа", "docTypeName": "Продажа"}
    ),
    1003: json.dumps({"sellerOperName": "Хранение"}),
}  # fmt: skip


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, object]]) -> None:
    cols = list(rows[0])
    conn.executemany(
        f"insert into {table}({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
        [tuple(r[c] for c in cols) for r in rows],
    )


def build_world(path: Path) -> None:
    """Fill a fresh world database at ``path``."""
    conn = store.connect(path)
    conn.execute("insert into meta(key, value) values ('clock', ?)", (CLOCK,))
    _insert(
        conn, "legal_entities", [{"id": "le1", "name": 'ООО "Ромашка"', "inn": "7701234567", "kpp": None}]
    )
    accounts = [
        ("wildberries_main", MAIN_TOKEN, None, None, "{}"),
        ("wildberries_second", SECOND_TOKEN, json.dumps(["marketplace"]), None, "{}"),
        ("wildberries_old", EXPIRED_TOKEN, None, "2026-03-01T00:00:00Z", "{}"),
        ("wildberries_basic", BASIC_TOKEN, None, None, json.dumps({"token_type": "basic"})),
    ]
    _insert(
        conn,
        "accounts",
        [
            {"id": a, "marketplace": "wildberries", "name": a, "legal_entity_id": "le1", "token": t,
             "scopes": s, "token_expires_at": e, "vendor": v}
            for a, t, s, e, v in accounts
        ]
        + [{"id": "ozon_main", "marketplace": "ozon", "name": "ozon", "legal_entity_id": "le1",
            "token": OZON_TOKEN, "scopes": None, "token_expires_at": None, "vendor": "{}"}],
    )  # fmt: skip
    _insert(
        conn,
        "offers",
        [
            {"account_id": "wildberries_main", "offer_id": "SKU-A", "product_ref": None, "mp_sku": 100001,
             "mp_product_id": 200001, "barcode": "2000000000011", "name": "Кружка", "price_kop": 70000,
             "old_price_kop": 100000, "vendor": "{}", "updated_at": "2026-03-01T10:00:00Z"},
            {"account_id": "wildberries_main", "offer_id": "SKU-B-S", "product_ref": None, "mp_sku": 100002,
             "mp_product_id": 200002, "barcode": "2000000000028", "name": "Футболка", "price_kop": 150000,
             "old_price_kop": None, "vendor": json.dumps({"techSize": "S", "imtID": 90002, "brand": "Ромашка"}),
             "updated_at": "2026-03-02T10:00:00Z"},
            {"account_id": "wildberries_main", "offer_id": "SKU-B-M", "product_ref": None, "mp_sku": 100002,
             "mp_product_id": 200003, "barcode": "2000000000035", "name": "Футболка", "price_kop": 150000,
             "old_price_kop": None, "vendor": json.dumps({"techSize": "M"}), "updated_at": "2026-03-03T10:00:00Z"},
        ],
    )  # fmt: skip
    _insert(
        conn,
        "warehouses",
        [
            {"id": "wildberries_main:fbs1", "owner": "wildberries_main", "kind": "fbs",
             "external_id": str(FBS_WAREHOUSE), "name": "Склад Подольск"},
            {"id": "wildberries_main:fbo1", "owner": "wildberries_main", "kind": "fbo",
             "external_id": "507", "name": "Коледино"},
        ],
    )  # fmt: skip
    _insert(
        conn,
        "stocks",
        [{"warehouse_id": "wildberries_main:fbs1", "offer_id": "SKU-A", "present": 5, "reserved": 1,
          "updated_at": "2026-03-01T00:00:00Z"}],
    )  # fmt: skip
    order3_vendor = {"rid": ORDER3_SRID, "srid": ORDER3_SRID, "orderUid": "77_abc", "nmId": 100001}
    orders = [
        (1, "5001", "fbs", "2026-03-14T10:00:00Z", "SKU-A", 70000, "{}"),
        (2, "5002", "fbs", "2026-03-14T11:00:00Z", "SKU-B-S", 150000, "{}"),
        (3, "5003", "fbs", "2026-03-09T09:00:00Z", "SKU-A", 70000, json.dumps(order3_vendor)),
        (4, "5004", "fbs", "2026-03-13T08:00:00Z", "SKU-B-M", 150000, "{}"),
        (5, "5005", "fbo", "2026-03-05T08:00:00Z", "SKU-A", 70000, "{}"),
        (6, "5006", "fbs", "2026-03-16T08:00:00Z", "SKU-A", 70000, "{}"),
    ]
    _insert(
        conn,
        "orders",
        [
            {"id": i, "account_id": "wildberries_main", "order_number": f"ON-{p}", "posting_number": p,
             "scheme": s, "warehouse_id": "wildberries_main:fbs1" if s == "fbs" else "wildberries_main:fbo1",
             "created_at": c, "ship_by": None, "vendor": v}
            for i, p, s, c, _, _, v in orders
        ],
    )  # fmt: skip
    _insert(
        conn,
        "order_lines",
        [
            {"order_id": i, "line_no": 1, "offer_id": o, "quantity": 1, "price_kop": k}
            for i, _, _, _, o, k, _ in orders
        ],
    )
    history = [
        (1, "2026-03-14T10:00:00Z", "awaiting_packaging", "new", "marketplace"),
        (2, "2026-03-14T11:00:00Z", "awaiting_packaging", "new", "marketplace"),
        (2, "2026-03-14T12:00:00Z", "awaiting_deliver", "confirm/waiting", "seller"),
        (3, "2026-03-09T09:00:00Z", "awaiting_packaging", "new", "marketplace"),
        (3, "2026-03-09T10:00:00Z", "awaiting_deliver", "confirm", "seller"),
        (3, "2026-03-10T10:00:00Z", "delivering", "complete", "seller"),
        (3, "2026-03-12T15:00:00Z", "delivered", "complete/sold", "marketplace"),
        (4, "2026-03-13T08:00:00Z", "awaiting_packaging", "new", "marketplace"),
        (4, "2026-03-13T08:30:00Z", "cancelled", "cancel/canceled_by_client", "buyer"),
        (5, "2026-03-05T08:00:00Z", "awaiting_packaging", "new", "marketplace"),
        (5, "2026-03-07T08:00:00Z", "delivered", "sold", "marketplace"),
        (5, "2026-03-11T08:00:00Z", "returned", "canceled_by_client", "buyer"),
        (6, "2026-03-16T08:00:00Z", "awaiting_packaging", "new", "marketplace"),
    ]
    _insert(
        conn,
        "order_status_history",
        [{"order_id": o, "at": a, "status": s, "vendor_status": v, "actor": w} for o, a, s, v, w in history],
    )
    _insert(
        conn,
        "reports",
        [
            {"id": "301", "account_id": "wildberries_main", "period_start": "2026-03-02", "period_end": "2026-03-08",
             "published_at": "2026-03-09T08:00:00Z", "totals": "{}"},
            {"id": "302", "account_id": "wildberries_main", "period_start": "2026-03-09", "period_end": "2026-03-15",
             "published_at": "2026-03-16T08:00:00Z", "totals": "{}"},
            {"id": "303", "account_id": "wildberries_main", "period_start": "2026-03-10", "period_end": "2026-03-10",
             "published_at": "2026-03-11T05:00:00Z", "totals": json.dumps({"forPaySum": 99999})},
        ],
    )  # fmt: skip
    lines = [
        (
            "301",
            1001,
            "ON-5005",
            "5005",
            "SKU-A",
            "sale",
            1,
            70000,
            10500,
            0,
            0,
            59500,
            "2026-03-07T08:00:00Z",
        ),
        (
            "301",
            1002,
            "ON-5005",
            "5005",
            "SKU-A",
            "logistics",
            0,
            0,
            0,
            5000,
            0,
            -5000,
            "2026-03-07T08:00:00Z",
        ),
        ("301", 1003, "", None, "", "storage", 0, 0, 0, 0, 0, -1200, "2026-03-08T08:00:00Z"),
        (
            "302",
            1501,
            "ON-5003",
            "5003",
            "SKU-A",
            "sale",
            1,
            70000,
            10500,
            0,
            0,
            59500,
            "2026-03-12T15:00:00Z",
        ),
        (
            "303",
            2001,
            "ON-5003",
            "5003",
            "SKU-A",
            "sale",
            1,
            70000,
            10500,
            0,
            0,
            59500,
            "2026-03-10T10:00:00Z",
        ),
        ("303", 2002, "ON-5003", "5003", "SKU-A", "penalty", 0, 0, 0, 0, 2374, -2374, "2026-03-10T10:00:00Z"),
    ]
    _insert(
        conn,
        "report_lines",
        [
            {"report_id": r, "line_no": n, "order_number": on, "posting_number": pn, "offer_id": of,
             "operation": op, "quantity": q, "amount_kop": a, "commission_kop": c, "logistics_kop": lg,
             "penalty_kop": pe, "payout_kop": pa, "operation_at": at, "vendor": LINE_VENDOR.get(n, "{}")}
            for r, n, on, pn, of, op, q, a, c, lg, pe, pa, at in lines
        ],
    )  # fmt: skip
    conn.commit()
    conn.close()


def add_fbs_orders(state: EmulatorState, count: int, start_id: int = 10_000) -> None:
    """Bulk FBS orders (one line, awaiting packaging) created during the day before the clock."""
    conn = state.conn()
    base = datetime(2026, 3, 14, tzinfo=UTC)
    stamps = [(base + timedelta(seconds=i * 20)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(count)]
    conn.executemany(
        "insert into orders(id, account_id, order_number, posting_number, scheme, warehouse_id, created_at)"
        " values (?, 'wildberries_main', ?, ?, 'fbs', 'wildberries_main:fbs1', ?)",
        [(start_id + i, f"BULK-{i}", str(900_000 + i), stamps[i]) for i in range(count)],
    )
    conn.executemany(
        "insert into order_lines(order_id, line_no, offer_id, quantity, price_kop) values (?, 1, 'SKU-A', 1, 70000)",
        [(start_id + i,) for i in range(count)],
    )
    conn.executemany(
        "insert into order_status_history values (?, ?, 'awaiting_packaging', 'new', 'marketplace')",
        [(start_id + i, stamps[i]) for i in range(count)],
    )
    conn.commit()


@dataclass
class CountingLimiter:
    """A limiter double: allows ``capacity`` requests per (group, account), counts every call."""

    capacity: int = 1_000_000
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    releases: Counter[tuple[str, str]] = field(default_factory=Counter)

    def acquire(self, vendor: str, group: str, account: str) -> LimitDecision:
        """Count and decide."""
        self.calls[(group, account)] += 1
        used = self.calls[(group, account)]
        now = datetime.now(UTC)
        allowed = used <= self.capacity
        return LimitDecision(
            allowed,
            self.capacity,
            max(self.capacity - used, 0),
            0.0 if allowed else 7.2,
            now + timedelta(seconds=60),
            60.0,
        )

    def release(self, vendor: str, group: str, account: str) -> None:
        """Count releases."""
        self.releases[(group, account)] += 1


@dataclass
class ScriptedFaults:
    """A fault-injector double: the next request whose path starts with a prefix gets the fault."""

    queue: list[tuple[str, Fault]] = field(default_factory=list)

    def next(self, vendor: str, path: str) -> Fault | None:
        """Pop the first queued fault matching ``path``."""
        for i, (prefix, fault) in enumerate(self.queue):
            if path.startswith(prefix):
                del self.queue[i]
                return fault
        return None


@dataclass
class Emulator:
    """A running emulator for one test."""

    state: EmulatorState
    url: str
    limiter: CountingLimiter
    faults: ScriptedFaults

    def client(self, token: str | None = MAIN_TOKEN) -> httpx.Client:
        """An httpx client with the WB Authorization header."""
        headers = {"Authorization": token} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def db(self) -> sqlite3.Connection:
        """A fresh connection to inspect the world."""
        return store.connect(self.state.db_path)


class SwitchApp:
    """An ASGI shim that forwards to whichever app the current test installed.

    One uvicorn server then serves a whole test module while every test still gets its own
    world and its own ``create_app`` instance (starting a server costs more than a test).
    """

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Forward one ASGI call."""
        await self.app(scope, receive, send)


@contextmanager
def serving() -> Iterator[tuple[SwitchApp, str]]:
    """A server for a test module."""
    switch = SwitchApp()
    with serve_in_thread(switch) as url:
        yield switch, url


def install(switch: SwitchApp, url: str, path: Path) -> Emulator:
    """Build the world at ``path`` and route the module's server to a fresh WB app over it."""
    build_world(path)
    state = EmulatorState(path)
    limiter, faults = CountingLimiter(), ScriptedFaults()
    state.limits = limiter  # type: ignore[assignment]
    state.faults = faults  # type: ignore[assignment]
    switch.app = create_app(state)
    return Emulator(state, url, limiter, faults)
