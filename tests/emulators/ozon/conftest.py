"""A small canonical world and a running Ozon emulator over real HTTP for the Ozon tests."""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sellerflow_emulators import store
from sellerflow_emulators.ozon import create_app
from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision, format_ts
from sellerflow_emulators.testing import serve_in_thread

CLOCK = "2026-09-15T12:00:00Z"
MAIN = {"Client-Id": "123456", "Api-Key": "key-main"}
SECOND = {"Client-Id": "654321", "Api-Key": "key-second"}
EXPIRED = {"Client-Id": "777777", "Api-Key": "key-old"}
FBS_WH = 22142605386000
RFBS_WH = 22142605387000
FBO_WH = 15431806189000
FBS_COUNT = 230  # FBS postings of the main cabinet visible at CLOCK (more than two pages of 100)
STATUS_CYCLE = ["awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled"]


def _ts(base: datetime, minutes: int) -> str:
    return format_ts(base + timedelta(minutes=minutes))


def _history(status: str) -> list[str]:
    if status == "cancelled":
        return ["awaiting_packaging", "cancelled"]
    chain = STATUS_CYCLE[:4]
    return chain[: chain.index(status) + 1]


def build_world(path: Path) -> None:
    """Fill a fresh world file with two Ozon cabinets, offers, stocks, postings and reports."""
    conn = store.connect(path)
    conn.executescript(
        """
        insert into legal_entities values ('le1', 'ООО "Ромашка"', '7701234567', '770101001');
        insert into legal_entities values ('le2', 'ИП Петров', '500100732259', null);
        insert into onec_bases values ('ut_main', 'УТ', 'admin', 'secret');
        """
    )
    conn.executemany(
        "insert into accounts(id, marketplace, name, legal_entity_id, token, client_id, token_expires_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [
            ("ozon_main", "ozon", "Main", "le1", "key-main", "123456", None),
            ("ozon_second", "ozon", "Second", "le2", "key-second", "654321", None),
            ("ozon_old", "ozon", "Old", "le1", "key-old", "777777", "2026-09-01T00:00:00Z"),
            ("wildberries_main", "wildberries", "WB", "le1", "key-main", "123456", None),
        ],
    )
    conn.executemany(
        "insert into products values (?, 'ut_main', ?, ?, ?, 'НДС20', 10000, ?, 'A-01-01-1', 0, 'v1')",
        [
            ("p1", "A-1", "Чайник", "4600000000011", 1200),
            ("p2", "A-2", "Кружка", "4600000000028", 300),
        ],
    )
    conn.executemany(
        "insert into offers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                "ozon_main",
                "A-1",
                "p1",
                900001,
                500001,
                "4600000000011",
                "Чайник",
                409900,
                459900,
                "{}",
                CLOCK,
            ),
            ("ozon_main", "A-2", "p2", 900002, 500002, "4600000000028", "Кружка", 49950, None, "{}", CLOCK),
            ("ozon_main", "A-3", None, 900003, 500003, "4600000000035", "Ложка", 9900, None, "{}", CLOCK),
            (
                "ozon_second",
                "B-1",
                "p1",
                910001,
                510001,
                "4600000000011",
                "Чайник",
                419900,
                None,
                "{}",
                CLOCK,
            ),
        ],
    )
    conn.executemany(
        "insert into warehouses values (?, ?, ?, ?, ?)",
        [
            ("ozon_main:fbs1", "ozon_main", "fbs", str(FBS_WH), "Склад Москва"),
            ("ozon_main:rfbs", "ozon_main", "dbs", str(RFBS_WH), "Склад Москва rFBS"),
            ("ozon_main:fbo1", "ozon_main", "fbo", str(FBO_WH), "ХОРУГВИНО"),
            ("ozon_second:fbs1", "ozon_second", "fbs", "23000000000000", "Склад Второй"),
        ],
    )
    conn.executemany(
        "insert into stocks values (?, ?, ?, ?, ?)",
        [
            ("ozon_main:fbs1", "A-1", 10, 2, CLOCK),
            ("ozon_main:fbs1", "A-2", 5, 0, CLOCK),
            ("ozon_main:rfbs", "A-1", 3, 1, CLOCK),
            ("ozon_main:fbo1", "A-1", 40, 4, CLOCK),
            ("ozon_second:fbs1", "B-1", 7, 0, CLOCK),
        ],
    )
    base = datetime(2026, 9, 1, tzinfo=UTC)
    orders: list[tuple[str, str, str, str, str, list[str], list[tuple[str, int, int]]]] = []
    for n in range(FBS_COUNT):
        status = STATUS_CYCLE[n % len(STATUS_CYCLE)]
        lines = [("A-1", 1, 409900)] + ([("A-2", 2, 49950)] if n % 3 == 0 else [])
        orders.append(
            (
                "ozon_main",
                f"0{n:07d}-0001",
                "fbs",
                "ozon_main:fbs1",
                _ts(base, n * 60),
                _history(status),
                lines,
            )
        )
    orders.append(
        (
            "ozon_main",
            "09000000-0001",
            "fbs",
            "ozon_main:fbs1",
            "2026-09-20T00:00:00Z",
            ["awaiting_packaging"],
            [("A-1", 1, 409900)],
        )
    )  # future
    orders.append(
        (
            "ozon_main",
            "09100000-0001",
            "dbs",
            "ozon_main:rfbs",
            _ts(base, 5),
            ["awaiting_packaging", "awaiting_deliver"],
            [("A-1", 1, 409900)],
        )
    )
    for n in range(5):
        orders.append(
            (
                "ozon_main",
                f"0800000{n}-0001",
                "fbo",
                "ozon_main:fbo1",
                _ts(base, n * 90),
                ["awaiting_packaging", "awaiting_deliver", "delivering", "delivered"][: n % 4 + 1],
                [("A-1", 1, 399900)],
            )
        )
    orders.append(("ozon_second", "07000000-0001", "fbs", "ozon_second:fbs1", _ts(base, 10), ["awaiting_packaging"], [("B-1", 1, 419900)]))  # fmt: skip
    for account, order_number, scheme, wh, created, statuses, lines in orders:
        cur = conn.execute(
            "insert into orders(account_id, order_number, posting_number, scheme, warehouse_id, created_at, "
            "ship_by, vendor) values (?, ?, ?, ?, ?, ?, ?, '{}')",
            (
                account,
                order_number,
                f"{order_number}-1",
                scheme,
                wh,
                created,
                _ts(datetime.fromisoformat(created), 1440),
            ),
        )
        for no, (offer, qty, price) in enumerate(lines, start=1):
            conn.execute(
                "insert into order_lines values (?, ?, ?, ?, ?)", (cur.lastrowid, no, offer, qty, price)
            )
        at = datetime.fromisoformat(created)
        for step, status in enumerate(statuses):
            actor = "seller" if status in ("awaiting_deliver", "cancelled") else "marketplace"
            conn.execute(
                "insert into order_status_history values (?, ?, ?, ?, ?)",
                (cur.lastrowid, _ts(at, step * 30), status, status, actor),
            )
    conn.executemany(
        "insert into reports values (?, 'ozon_main', ?, ?, ?, '{}')",
        [
            ("R-2026-08", "2026-08-01", "2026-08-31", "2026-09-05T03:00:00Z"),
            ("R-2026-09", "2026-09-01", "2026-09-30", "2026-10-05T03:00:00Z"),
        ],
    )
    conn.executemany(
        "insert into report_lines(report_id, line_no, order_number, posting_number, offer_id, operation, "
        "quantity, amount_kop, commission_kop, logistics_kop, penalty_kop, payout_kop, operation_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("R-2026-08", 1, "00000003-0001", "00000003-0001-1", "A-1", "sale", 1, 409900, 61485, 0, 0, 348415, "2026-08-10T10:00:00Z"),
            ("R-2026-08", 2, "00000003-0001", "00000003-0001-1", "A-1", "logistics", 1, 0, 0, 7600, 0, -7600, "2026-08-10T10:00:00Z"),
            ("R-2026-08", 3, "00000008-0001", "00000008-0001-1", "A-1", "return", 1, 409900, 61485, 0, 0, -348415, "2026-08-20T10:00:00Z"),
            ("R-2026-08", 4, "", None, "A-1", "storage", 0, 1250, 0, 0, 0, -1250, "2026-08-20T10:00:00Z"),
        ],
    )  # fmt: skip
    conn.execute("insert into meta(key, value) values ('clock', ?)", (CLOCK,))
    conn.commit()
    conn.close()


class ScriptedFaults:
    """A fault injector that hands out queued faults for Ozon paths (the runtime's ``next`` signature)."""

    def __init__(self) -> None:
        self.queue: deque[tuple[str, Fault]] = deque()

    def add(self, path: str, fault: Fault) -> None:
        """Inject ``fault`` into the next request to ``path``."""
        self.queue.append((path, fault))

    def next(self, vendor: str, path: str) -> Fault | None:
        """The queued fault for this path, if it is first in line."""
        if self.queue and vendor == "ozon" and self.queue[0][0] == path:
            return self.queue.popleft()[1]
        return None


@dataclass
class CountingLimiter:
    """A rate limiter allowing ``limit`` requests per group, recording calls (the runtime's signatures)."""

    limit: int = 1_000_000
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    released: list[tuple[str, str, str]] = field(default_factory=list)

    def acquire(self, vendor: str, group: str, account: str) -> LimitDecision:
        """Count and decide."""
        self.calls.append((vendor, group, account))
        used = sum(1 for c in self.calls if c[1] == group and c[2] == account)
        allowed = used <= self.limit
        now = datetime.now(UTC)
        return LimitDecision(
            allowed, self.limit, max(self.limit - used, 0), 0.0 if allowed else 1.0, now, 1.0
        )

    def release(self, vendor: str, group: str, account: str) -> None:
        """Record the release."""
        self.released.append((vendor, group, account))


@dataclass
class OzonEnv:
    """A served emulator: base URL, its state, the world file and helpers."""

    url: str
    state: EmulatorState
    db: Path
    faults: ScriptedFaults
    limits: CountingLimiter
    main: dict = field(default_factory=lambda: dict(MAIN))
    second: dict = field(default_factory=lambda: dict(SECOND))
    expired: dict = field(default_factory=lambda: dict(EXPIRED))
    fbs_count: int = FBS_COUNT
    fbs_wh: int = FBS_WH

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
        """POST a JSON body as the main cabinet (or with ``headers``)."""
        return httpx.post(
            self.url + path, json=body or {}, headers=MAIN if headers is None else headers, timeout=30
        )

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Read the world directly (assertions on canonical tables)."""
        conn = store.connect(self.db)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _serve(tmp: Path) -> Iterator[OzonEnv]:
    db = tmp / "world.sqlite"
    build_world(db)
    state = EmulatorState(db)
    faults, limits = ScriptedFaults(), CountingLimiter()
    state.faults = faults  # type: ignore[assignment]
    state.limits = limits  # type: ignore[assignment]
    with serve_in_thread(create_app(state)) as url:
        yield OzonEnv(url, state, db, faults, limits)


@pytest.fixture(scope="module")
def ozon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OzonEnv]:
    """A shared emulator for read-only tests (do not write through it)."""
    yield from _serve(tmp_path_factory.mktemp("ozon"))


@pytest.fixture
def ozon_rw(tmp_path: Path) -> Iterator[OzonEnv]:
    """A fresh emulator per test, for writes and for tests that change faults or limits."""
    yield from _serve(tmp_path)


def dump(value: object) -> str:
    """Compact JSON for assertion messages."""
    return json.dumps(value, ensure_ascii=False)[:2000]
