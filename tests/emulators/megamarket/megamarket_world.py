"""A small canonical world for the Megamarket emulator tests, and the test doubles they plug in.

Until the scenario generator lands, each test builds its own world: two Megamarket cabinets (plus
one with an expired token and one Ozon cabinet), a handful of offers, an FBS warehouse with stock,
shipments in several statuses (one line per unit) and two commission reports, one not yet published.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sellerflow_emulators import store
from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision

CLOCK = "2025-03-10T12:00:00Z"
TOKEN = "mm-token-main"
SECOND_TOKEN = "mm-token-second"
EXPIRED_TOKEN = "mm-token-expired"
OZON_TOKEN = "ozon-api-key"
ORDER_SERVICE = "/api/market/v1/orderService"
OFFER_SERVICE = "/api/merchantIntegration/v1/offerService"


def add_order(
    conn: sqlite3.Connection,
    *,
    account: str = "megamarket_main",
    shipment_id: str,
    created_at: str,
    units: list[tuple[str, int]],
    statuses: list[tuple[str, str, str]],
    scheme: str = "fbs",
    ship_by: str | None = "2025-03-11T09:00:00Z",
    vendor: dict[str, Any] | None = None,
) -> int:
    """Insert one shipment: ``units`` is (offer_id, price_kop) per unit; ``statuses`` is (at, canonical, vendor)."""
    cursor = conn.execute(
        """insert into orders(account_id, order_number, posting_number, scheme, warehouse_id, created_at,
                              ship_by, vendor) values (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            account,
            shipment_id,
            shipment_id,
            scheme,
            f"{account}:fbs1" if account == "megamarket_main" else None,
            created_at,
            ship_by,
            json.dumps(vendor or {}),
        ),
    )
    order_id = int(cursor.lastrowid or 0)
    conn.executemany(
        "insert into order_lines(order_id, line_no, offer_id, quantity, price_kop) values (?, ?, ?, 1, ?)",
        [(order_id, index, offer, price) for index, (offer, price) in enumerate(units, start=1)],
    )
    conn.executemany(
        """insert into order_status_history(order_id, at, status, vendor_status, actor)
           values (?, ?, ?, ?, 'marketplace')""",
        [(order_id, at, canonical, code) for at, canonical, code in statuses],
    )
    return order_id


def build_world(path: Path) -> sqlite3.Connection:
    """Create the small world described in the module docstring."""
    conn = store.connect(path)
    conn.execute("insert into meta(key, value) values ('clock', ?)", (CLOCK,))
    conn.execute("insert into legal_entities values ('le1', 'ООО \"Ромашка\"', '7701234567', '770101001')")
    conn.execute("insert into onec_bases values ('ut_main', 'УТ', 'admin', 'secret')")
    conn.executemany(
        """insert into accounts(id, marketplace, name, legal_entity_id, token, client_id, token_expires_at)
           values (?, ?, ?, 'le1', ?, ?, ?)""",
        [
            ("megamarket_main", "megamarket", "ММ основной", TOKEN, "175306", None),
            ("megamarket_second", "megamarket", "ММ второй", SECOND_TOKEN, "175307", None),
            ("megamarket_old", "megamarket", "ММ старый", EXPIRED_TOKEN, "175308", "2025-01-01T00:00:00Z"),
            ("ozon_main", "ozon", "Ozon", OZON_TOKEN, "1111", None),
        ],
    )
    conn.executemany(
        """insert into products(ref_key, base_id, article, name, barcode, vat_rate, cost_kop, weight_g,
                                storage_cell, data_version) values (?, 'ut_main', ?, ?, ?, ?, 100000, 500, 'A-01', 'v1')""",
        [
            ("p-1", "SKU-1", "Шины Triangle 235/40 R19", "4600000000011", "НДС20"),
            ("p-2", "SKU-2", "Диск R19", "4600000000028", "НДС10"),
        ],
    )
    conn.executemany(
        """insert into offers(account_id, offer_id, product_ref, mp_sku, mp_product_id, barcode, name,
                              price_kop, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, '2025-03-01T00:00:00Z')""",
        [
            (
                "megamarket_main",
                "SKU-1",
                "p-1",
                100030313902,
                1,
                "4600000000011",
                "Шины Triangle 235/40 R19",
                744600,
            ),
            ("megamarket_main", "SKU-2", "p-2", 100030313903, 2, "4600000000028", "Диск R19", 1299050),
            ("megamarket_main", "SKU-3", None, 100030313904, 3, "4600000000035", "Колпак", 50000),
            ("megamarket_second", "SKU-9", None, 100030313999, 9, "4600000000097", "Насос", 150000),
        ],
    )
    conn.execute(
        "insert into warehouses values ('megamarket_main:fbs1', 'megamarket_main', 'fbs', '12345', 'FBS')"
    )
    conn.executemany(
        "insert into stocks values ('megamarket_main:fbs1', ?, ?, 0, '2025-03-01T00:00:00Z')",
        [("SKU-1", 10), ("SKU-2", 5)],
    )
    add_order(
        conn,
        shipment_id="9324005526611",
        created_at="2025-03-09T10:00:00Z",
        units=[("SKU-1", 744600), ("SKU-1", 744600), ("SKU-2", 1299050)],
        statuses=[("2025-03-09T10:00:00Z", "awaiting_packaging", "NEW")],
    )
    add_order(
        conn,
        shipment_id="9324005526622",
        created_at="2025-03-09T11:00:00Z",
        units=[("SKU-2", 1299050)],
        statuses=[
            ("2025-03-09T11:00:00Z", "awaiting_packaging", "NEW"),
            ("2025-03-09T12:00:00Z", "awaiting_packaging", "CONFIRMED"),
        ],
        vendor={"orderCode": "ROM-22"},
    )
    add_order(
        conn,
        shipment_id="9324005526633",
        created_at="2025-03-08T09:00:00Z",
        units=[("SKU-1", 744600)],
        statuses=[
            ("2025-03-08T09:00:00Z", "awaiting_packaging", "NEW"),
            ("2025-03-08T10:00:00Z", "awaiting_packaging", "CONFIRMED"),
            ("2025-03-08T12:00:00Z", "awaiting_deliver", "PACKED"),
        ],
        vendor={
            "orderCode": "ROM-33",
            "items": {"1": {"boxes": [{"boxIndex": 1, "boxCode": "175306*ROM-33*1"}]}},
        },
    )
    add_order(
        conn,
        shipment_id="9324005526644",
        created_at="2025-03-07T09:00:00Z",
        units=[("SKU-3", 50000)],
        statuses=[
            ("2025-03-07T09:00:00Z", "awaiting_packaging", "NEW"),
            ("2025-03-07T15:00:00Z", "cancelled", "CUSTOMER_CANCELED"),
        ],
    )
    add_order(
        conn,
        shipment_id="9324005526655",
        created_at="2025-03-09T08:00:00Z",
        units=[("SKU-3", 50000)],
        statuses=[
            ("2025-03-09T08:00:00Z", "awaiting_packaging", "NEW"),
            ("2025-03-09T09:00:00Z", "awaiting_packaging", "CONFIRMED"),
            ("2025-03-09T10:00:00Z", "awaiting_deliver", "PACKED"),
            ("2025-03-09T11:00:00Z", "delivering", "SHIPPED"),
        ],
        scheme="dbs",
        vendor={"orderCode": "ROM-55"},
    )
    add_order(  # created after the clock: invisible
        conn,
        shipment_id="9324005526699",
        created_at="2025-03-11T09:00:00Z",
        units=[("SKU-1", 744600)],
        statuses=[("2025-03-11T09:00:00Z", "awaiting_packaging", "NEW")],
    )
    add_order(
        conn,
        account="megamarket_second",
        shipment_id="9324005529911",
        created_at="2025-03-09T10:00:00Z",
        units=[("SKU-9", 150000)],
        statuses=[("2025-03-09T10:00:00Z", "awaiting_packaging", "NEW")],
    )
    conn.executemany(
        "insert into reports values (?, 'megamarket_main', ?, ?, ?, ?)",
        [
            (
                "R-2025-02",
                "2025-02-01",
                "2025-02-28",
                "2025-03-05T06:00:00Z",
                json.dumps({"payout_kop": 1_100_000}),
            ),
            ("R-2025-03", "2025-03-01", "2025-03-31", "2025-04-05T06:00:00Z", "{}"),
        ],
    )
    conn.executemany(
        """insert into report_lines(report_id, line_no, order_number, posting_number, offer_id, operation,
                                    quantity, amount_kop, commission_kop, logistics_kop, penalty_kop,
                                    payout_kop, operation_at) values ('R-2025-02', ?, ?, ?, ?, ?, 1, ?, ?, ?, 0, ?, ?)""",
        [
            (
                1,
                "9324000000001",
                "9324000000001",
                "SKU-1",
                "sale",
                744600,
                74460,
                15000,
                655140,
                "2025-02-10T10:00:00Z",
            ),
            (
                2,
                "9324000000002",
                "9324000000002",
                "SKU-2",
                "sale",
                1299050,
                129905,
                20000,
                1149145,
                "2025-02-12T10:00:00Z",
            ),
            (
                3,
                "9324000000001",
                "9324000000001",
                "SKU-1",
                "return",
                744600,
                0,
                15000,
                -759600,
                "2025-02-20T10:00:00Z",
            ),
        ],
    )
    conn.commit()
    return conn


@dataclass
class ScriptedFaults:
    """A fault injector (same interface as runtime.FaultInjector) that serves queued faults by path suffix."""

    queued: list[tuple[str, Fault]] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def next(self, vendor: str, path: str) -> Fault | None:
        """Pop the first queued fault whose path suffix matches."""
        self.asked.append((vendor, path))
        for index, (suffix, fault) in enumerate(self.queued):
            if path.endswith(suffix):
                del self.queued[index]
                return fault
        return None


@dataclass
class RecordingLimiter:
    """A rate limiter (same interface as runtime.RateLimiter) that refuses the groups in ``deny``."""

    deny: set[str] = field(default_factory=set)
    acquired: list[tuple[str, str, str]] = field(default_factory=list)
    released: list[tuple[str, str, str]] = field(default_factory=list)

    def acquire(self, vendor: str, group: str, account: str) -> LimitDecision:
        """Count the call; refuse it when its group is denied."""
        self.acquired.append((vendor, group, account))
        allowed = group not in self.deny
        return LimitDecision(allowed, 5, 4 if allowed else 0, 0.0 if allowed else 2.5, datetime.now(), 1.0)

    def release(self, vendor: str, group: str, account: str) -> None:
        """Record the end of a call."""
        self.released.append((vendor, group, account))


@dataclass
class Emulator:
    """A running emulator with its world and the test doubles plugged into its state."""

    client: httpx.Client
    state: EmulatorState
    conn: sqlite3.Connection
    faults: ScriptedFaults
    limits: RecordingLimiter

    def call(self, path: str, data: dict[str, Any], token: str | None = TOKEN) -> dict[str, Any]:
        """POST a merchant API method with the {meta, data{token}} envelope and return the JSON body."""
        payload = {"meta": {}, "data": ({"token": token} if token else {}) | data}
        response = self.client.post(path, json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def order(self, method: str, data: dict[str, Any], token: str | None = TOKEN) -> dict[str, Any]:
        """Call ``orderService/order/<method>``."""
        return self.call(f"{ORDER_SERVICE}/order/{method}", data, token)

    def shipment(self, shipment_id: str) -> dict[str, Any]:
        """order/get of one shipment."""
        body = self.order("get", {"shipments": [shipment_id]})
        assert body["success"] == 1, body
        return body["data"]["shipments"][0]
