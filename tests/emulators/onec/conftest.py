"""A small canonical world with two 1C bases, served by the 1C emulator over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sellerflow_emulators import store
from sellerflow_emulators.onec import create_app, partner_ref
from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision
from sellerflow_emulators.testing import serve_in_thread

CLOCK = "2024-05-01T09:00:00Z"  # 12:00 Moscow time
MAIN_AUTH = ("Администратор", "secret")
SECOND_AUTH = ("odata", "pass2")

ORG_MAIN = "0a000000-0000-4000-8000-000000000001"
ORG_SECOND = "0a000000-0000-4000-8000-000000000002"
WH_MSK = "0b000000-0000-4000-8000-000000000001"
WH_SPB = "0b000000-0000-4000-8000-000000000002"
WH_EKB = "0b000000-0000-4000-8000-000000000003"
P1 = "0c000000-0000-4000-8000-000000000001"
P2 = "0c000000-0000-4000-8000-000000000002"
P3 = "0c000000-0000-4000-8000-000000000003"
P4 = "0c000000-0000-4000-8000-000000000004"
ORDER_POSTED = "0d000000-0000-4000-8000-000000000001"
ORDER_DRAFT = "0d000000-0000-4000-8000-000000000002"
ORDER_FUTURE = "0d000000-0000-4000-8000-000000000003"
ORDER_SECOND = "0d000000-0000-4000-8000-000000000004"
SALE = "0e000000-0000-4000-8000-000000000001"
RETURN = "0f000000-0000-4000-8000-000000000001"


def build_world(path: Path) -> Path:
    """Create the world database: 2 bases, 4 items, 3 1C warehouses, orders, a sale, a return."""
    conn = store.connect(path)
    ozon, wb = partner_ref("ut_main", "ozon"), partner_ref("ut_main", "wildberries")
    rows: dict[str, list[tuple]] = {
        "meta": [("clock", CLOCK)],
        "legal_entities": [
            ("le1", 'ООО "Ромашка"', "7701000001", "770101001"),
            ("le2", "ИП Петров", "770200000002", None),
        ],
        "accounts": [("ozon_main", "ozon", "Ozon main", "le1", "tok", "123", None, None, None, "{}")],
        "onec_bases": [("ut_main", "УТ основная", *MAIN_AUTH), ("ut_second", "УТ вторая", *SECOND_AUTH)],
        "onec_organizations": [
            (ORG_MAIN, "ut_main", "le1", "AAAAAAAAAAE="),
            (ORG_SECOND, "ut_second", "le2", "AAAAAAAAAAE="),
        ],
        "warehouses": [
            ("onec:ut_main:msk", "onec:ut_main", "onec", WH_MSK, "Основной склад"),
            ("onec:ut_main:spb", "onec:ut_main", "onec", WH_SPB, "Склад СПб"),
            ("onec:ut_second:ekb", "onec:ut_second", "onec", WH_EKB, "Склад Екб"),
            ("ozon_main:fbs1", "ozon_main", "fbs", "22001", "Ozon FBS"),
        ],
        "products": [
            (
                P1,
                "ut_main",
                "ART-001",
                "Чайник электрический",
                "4600000000011",
                "НДС20",
                150000,
                1200,
                "A-01-02-3",
                0,
                "AAAAAAAAAAE=",
            ),
            (
                P2,
                "ut_main",
                "ART-002",
                "Кружка 'Утро'",
                "4600000000028",
                "НДС20",
                20000,
                300,
                "A-01-02-4",
                0,
                "AAAAAAAAAAE=",
            ),
            (
                P3,
                "ut_main",
                "ART-003",
                "Книга",
                "4600000000035",
                "НДС10",
                30000,
                500,
                "B-02-01-1",
                1,
                "AAAAAAAAAAE=",
            ),
            (
                P4,
                "ut_second",
                "ART-001",
                "Чайник электрический",
                "4600000000011",
                "НДС20",
                150000,
                1200,
                "C-01",
                0,
                "AAAAAAAAAAE=",
            ),
        ],
        "onec_stock": [
            ("onec:ut_main:msk", P1, 10, 2),
            ("onec:ut_main:msk", P2, 5, 0),
            ("onec:ut_main:spb", P1, 3, 0),
            ("onec:ut_second:ekb", P4, 7, 0),
        ],
        "onec_prices": [
            (P1, "Розничная", "2024-01-01T00:00:00Z", 100000),
            (P1, "Розничная", "2024-03-01T00:00:00Z", 120000),
            (P1, "Ozon", "2024-02-01T00:00:00Z", 110000),
            (P2, "Розничная", "2024-01-01T00:00:00Z", 50000),
            (P1, "Розничная", "2030-01-01T00:00:00Z", 999900),
        ],
    }
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        conn.executemany(f"insert into {table} values ({marks})", values)
    docs = [
        (ORDER_POSTED, "ut_main", "ЗаказКлиента", "УТ-000001", "2024-04-30T07:30:00Z", ORG_MAIN, ozon,
         "onec:ut_main:msk", "38423510-0001-1", None, 1, 0, "AAAAAAAAAAE=", {"Статус": "КОтгрузке"}),
        (ORDER_DRAFT, "ut_main", "ЗаказКлиента", "УТ-000002", "2024-04-30T08:00:00Z", ORG_MAIN, wb,
         "onec:ut_main:msk", "WB-777", None, 0, 0, "AAAAAAAAAAE=", {"Статус": "НеСогласован"}),
        (ORDER_FUTURE, "ut_main", "ЗаказКлиента", "УТ-000003", "2024-06-01T08:00:00Z", ORG_MAIN, ozon,
         "onec:ut_main:msk", "FUTURE-1", None, 0, 0, "AAAAAAAAAAE=", {}),
        (ORDER_SECOND, "ut_second", "ЗаказКлиента", "УТ-000001", "2024-04-29T08:00:00Z", ORG_SECOND,
         partner_ref("ut_second", "ozon"), "onec:ut_second:ekb", "38423510-0009-1", None, 0, 0, "AAAAAAAAAAE=", {}),
        (SALE, "ut_main", "РеализацияТоваровУслуг", "УТ-000001", "2024-04-30T10:00:00Z", ORG_MAIN, ozon,
         "onec:ut_main:msk", None, ORDER_POSTED, 1, 0, "AAAAAAAAAAE=", {}),
        (RETURN, "ut_main", "ВозвратТоваровОтКлиента", "УТ-000001", "2024-04-30T11:00:00Z", ORG_MAIN, ozon,
         "onec:ut_main:msk", None, SALE, 1, 0, "AAAAAAAAAAE=", {}),
    ]  # fmt: skip
    for *head, fields in docs:
        conn.execute(
            "insert into onec_documents values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*head, json.dumps(fields, ensure_ascii=False)),
        )
    lines = [
        (ORDER_POSTED, 1, P1, 2, 120000, 240000, {"ВариантОбеспечения": "СоСклада"}),
        (ORDER_POSTED, 2, P2, 1, 50000, 50000, {}),
        (ORDER_DRAFT, 1, P2, 3, 50000, 150000, {"ВариантОбеспечения": "СоСклада"}),
        (ORDER_FUTURE, 1, P1, 1, 120000, 120000, {}),
        (ORDER_SECOND, 1, P4, 1, 120000, 120000, {}),
        (SALE, 1, P1, 2, 120000, 240000, {}),
        (RETURN, 1, P1, 1, 120000, 120000, {}),
    ]
    for *head, fields in lines:
        conn.execute(
            "insert into onec_document_lines values (?, ?, ?, ?, ?, ?, ?)",
            (*head, json.dumps(fields, ensure_ascii=False)),
        )
    conn.commit()
    conn.close()
    return path


@dataclass
class ScriptedFaults:
    """A fault schedule for tests: the next fault for paths containing a fragment."""

    plan: list[tuple[str, Fault]] = field(default_factory=list)

    def next(self, vendor: str, path: str) -> Fault | None:
        for i, (fragment, fault) in enumerate(self.plan):
            if vendor == "onec" and fragment in path:
                del self.plan[i]
                return fault
        return None


@dataclass
class ScriptedLimits:
    """A rate limiter for tests that refuses the next ``refuse`` requests."""

    refuse: int = 0
    released: int = 0

    def acquire(self, vendor: str, group: str, account: str) -> LimitDecision:
        now = datetime.now(UTC)
        if self.refuse > 0:
            self.refuse -= 1
            return LimitDecision(False, 10, 0, 2.5, now + timedelta(seconds=3), 1.0)
        return LimitDecision(True, 10, 9, 0.0, now, 1.0)

    def release(self, vendor: str, group: str, account: str) -> None:
        self.released += 1


@dataclass
class Served:
    """A running emulator and what tests need to talk to it."""

    url: str
    state: EmulatorState
    faults: ScriptedFaults
    limits: ScriptedLimits

    def client(self, base: str = "ut_main", auth: tuple[str, str] | None = MAIN_AUTH) -> httpx.Client:
        """An httpx client rooted at the base's OData URL."""
        return httpx.Client(
            base_url=f"{self.url}/{base}/odata/standard.odata/",
            auth=auth,
            params={"$format": "json"},
            timeout=10,
        )

    def query(self, sql: str, *args: object) -> list[tuple]:
        """Read the world database directly."""
        return [tuple(row) for row in self.state.conn().execute(sql, args).fetchall()]


def _serve(db: Path) -> Iterator[Served]:
    state = EmulatorState(db)
    faults, limits = ScriptedFaults(), ScriptedLimits()
    state.faults = faults  # type: ignore[assignment]
    state.limits = limits  # type: ignore[assignment]
    with serve_in_thread(create_app(state)) as url:
        yield Served(url, state, faults, limits)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Read-only tests share one emulator."""
    yield from _serve(build_world(tmp_path_factory.mktemp("onec") / "world.sqlite"))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Served]:
    """Write tests get their own world."""
    yield from _serve(build_world(tmp_path / "world.sqlite"))
