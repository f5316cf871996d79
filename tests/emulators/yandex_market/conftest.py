"""Fixtures for the Yandex Market emulator tests: a small canonical world served over real HTTP.

The world (one business with an FBS and a DBS campaign sharing a token, a finance-only cabinet, a
foreign cabinet and an Ozon account) is written with ``store.connect`` into a temp SQLite file; the
app runs under uvicorn in a thread. ``limits`` and ``faults`` are small deterministic stand-ins for
the runtime's limiter and injector (same signatures), so 420 answers and faults can be provoked.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from sellerflow_emulators import store
from sellerflow_emulators.runtime import (
    EmulatorState,
    Fault,
    FaultInjector,
    LimitDecision,
    RateLimiter,
    format_ts,
)
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.yandex_market import create_app
from sellerflow_emulators.yandex_market.operations import OPERATIONS

SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "yandex_market" / "openapi.yaml"

CLOCK = datetime(2025, 2, 10, 12, 0, 0, tzinfo=UTC)
TOKEN = "ACMA:main-cabinet-token:1a2b3c"
FIN_TOKEN = "ACMA:finance-only-token:4d5e6f"
OTHER_TOKEN = "ACMA:other-cabinet-token:7a8b9c"
BUSINESS = 1100
FBS_CAMPAIGN = 2100
DBS_CAMPAIGN = 2200
FIN_CAMPAIGN = 2300
OTHER_CAMPAIGN = 2400
FBS_WAREHOUSE = 51001
DBS_WAREHOUSE = 52001
N_BULK_ORDERS = 120  # more than two pages of 50
ORDER_STARTED = 70000001
ORDER_DELIVERED = 70000002
ORDER_CANCELLED = 70000003
ORDER_FUTURE = 70000004  # created after the clock
ORDER_CHANGES_LATER = 70000005  # READY_TO_SHIP only after the clock
DBS_ORDER = 80000001


class CountingLimiter(RateLimiter):
    """Fixed limits per group (units per window: requests, or the products of an item-counted quota) and a
    parallel cap, counted in memory."""

    def __init__(self, limits: dict[str, int] | None = None, parallel: int = 100) -> None:
        self.limits = limits or {}
        self.parallel = parallel
        self.counts: dict[tuple[str, str], int] = {}
        self.in_flight: dict[str, int] = {}
        self.released: list[str] = []
        self._lock = threading.Lock()

    def acquire(self, vendor: str, group: str, account: str, cost: int = 1) -> LimitDecision:
        reset = datetime(2030, 1, 1, tzinfo=UTC)
        with self._lock:
            if group == "parallel":
                busy = self.in_flight.get(account, 0)
                if busy >= self.parallel:
                    return LimitDecision(False, self.parallel, 0, 1.0, reset, 1.0)
                self.in_flight[account] = busy + 1
                return LimitDecision(True, self.parallel, self.parallel - busy - 1, 0.0, reset, 1.0)
            limit = self.limits.get(group, 1_000_000)
            used = self.counts.get((group, account), 0)
            window = OPERATIONS[group].period_s if group in OPERATIONS else 3600.0
            if used + cost > limit:
                return LimitDecision(False, limit, limit - used, 60.0, reset, window)
            self.counts[(group, account)] = used + cost
            return LimitDecision(True, limit, limit - used - cost, 0.0, reset, window)

    def release(self, vendor: str, group: str, account: str) -> None:
        with self._lock:
            self.in_flight[account] = max(self.in_flight.get(account, 0) - 1, 0)
            self.released.append(account)


class ScriptedFaults(FaultInjector):
    """Faults queued per path suffix; each queued fault is used once."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, Fault]] = []
        self.seen: list[tuple[str, str]] = []

    def add(self, path_suffix: str, fault: Fault) -> None:
        self.queue.append((path_suffix, fault))

    def next(self, vendor: str, path: str) -> Fault | None:
        self.seen.append((vendor, path))
        for i, (suffix, fault) in enumerate(self.queue):
            if path.endswith(suffix):
                del self.queue[i]
                return fault
        return None


def _ts(moment: datetime) -> str:
    return format_ts(moment)


def build_world(path: Path) -> None:
    """Write the small canonical world the tests rely on."""
    conn = store.connect(path)
    with conn:
        conn.execute("insert into meta(key, value) values ('clock', ?)", (_ts(CLOCK),))
        conn.execute(
            "insert into legal_entities values ('le1', 'ООО \"Ромашка\"', '7701234567', '770101001')"
        )
        conn.execute("insert into legal_entities values ('le2', 'ИП Иванов', '500100732259', null)")
        conn.execute("insert into onec_bases values ('ut_main', 'УТ основная', 'odata', 'secret')")
        accounts = [
            ("yandex_market_main", "Маркет FBS", "le1", TOKEN, BUSINESS, FBS_CAMPAIGN, None, None, "{}"),
            ("yandex_market_dbs", "Маркет DBS", "le1", TOKEN, BUSINESS, DBS_CAMPAIGN, None, None, "{}"),
            (
                "yandex_market_fin",
                "Маркет финансы",
                "le2",
                FIN_TOKEN,
                1300,
                FIN_CAMPAIGN,
                None,
                '["finance-and-accounting"]',
                "{}",
            ),
            (
                "yandex_market_other",
                "Чужой кабинет",
                "le2",
                OTHER_TOKEN,
                1400,
                OTHER_CAMPAIGN,
                None,
                None,
                "{}",
            ),
        ]
        for acc in accounts:
            conn.execute(
                "insert into accounts(id, marketplace, name, legal_entity_id, token, client_id, campaign_id, "
                "token_expires_at, scopes, vendor) values (?, 'yandex_market', ?, ?, ?, ?, ?, ?, ?, ?)",
                (acc[0], acc[1], acc[2], acc[3], str(acc[4]), str(acc[5]), acc[6], acc[7], acc[8]),
            )
        conn.execute(
            "insert into accounts(id, marketplace, name, legal_entity_id, token, client_id) "
            "values ('ozon_main', 'ozon', 'Ozon', 'le1', 'ozon-token', '555')"
        )
        products = [
            ("p1", "SKU-1", "Чайник", "4600000000011", "НДС20"),
            ("p2", "SKU-2", "Кружка", "4600000000028", "НДС10"),
            ("p3", "SKU-3", "Ложка", "4600000000035", "БезНДС"),
        ]
        for ref, article, name, barcode, vat in products:
            conn.execute(
                "insert into products values (?, 'ut_main', ?, ?, ?, ?, 10000, 500, 'A-01-01-1', 0, 'v1')",
                (ref, article, name, barcode, vat),
            )
        offers = [
            ("yandex_market_main", "SKU-1", "p1", 101, "4600000000011", "Чайник", 150000, 199000),
            ("yandex_market_main", "SKU-2", "p2", 102, "4600000000028", "Кружка", 45050, None),
            ("yandex_market_main", "SKU-3", "p3", 103, "4600000000035", "Ложка", 9900, None),
            ("yandex_market_dbs", "SKU-1", "p1", 101, "4600000000011", "Чайник", 150000, 199000),
        ]
        for acc, offer_id, ref, sku, barcode, name, price, old in offers:
            conn.execute(
                "insert into offers values (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)",
                (
                    acc,
                    offer_id,
                    ref,
                    sku,
                    sku + 1000,
                    barcode,
                    name,
                    price,
                    old,
                    _ts(CLOCK - timedelta(days=3)),
                ),
            )
        conn.execute(
            "insert into warehouses values ('yandex_market_main:fbs1', 'yandex_market_main', 'fbs', ?, 'Склад FBS')",
            (str(FBS_WAREHOUSE),),
        )
        conn.execute(
            "insert into warehouses values ('yandex_market_dbs:dbs1', 'yandex_market_dbs', 'dbs', ?, 'Склад DBS')",
            (str(DBS_WAREHOUSE),),
        )
        for offer_id, present, reserved in (("SKU-1", 10, 2), ("SKU-2", 0, 0), ("SKU-3", 7, 0)):
            conn.execute(
                "insert into stocks values ('yandex_market_main:fbs1', ?, ?, ?, ?)",
                (offer_id, present, reserved, _ts(CLOCK - timedelta(days=1))),
            )
        _orders(conn)
        _reports(conn)
    conn.close()


def _order(
    conn: sqlite3.Connection,
    oid: int,
    account: str,
    number: int,
    scheme: str,
    created: datetime,
    history: list[tuple[datetime, str, str, str]],
    lines: list[tuple[str, int, int]],
    vendor: dict[str, Any] | None = None,
) -> None:
    warehouse = "yandex_market_dbs:dbs1" if scheme == "dbs" else "yandex_market_main:fbs1"
    conn.execute(
        "insert into orders values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            oid,
            account,
            f"SF-{number}",
            str(number),
            scheme,
            warehouse,
            _ts(created),
            _ts(created + timedelta(days=1)),
            json.dumps(vendor or {}),
        ),
    )
    for at, status, vendor_status, actor in history:
        conn.execute(
            "insert into order_status_history values (?, ?, ?, ?, ?)",
            (oid, _ts(at), status, vendor_status, actor),
        )
    for no, (offer_id, qty, price) in enumerate(lines, start=1):
        conn.execute("insert into order_lines values (?, ?, ?, ?, ?)", (oid, no, offer_id, qty, price))


def _orders(conn: sqlite3.Connection) -> None:
    day = timedelta(days=1)
    start = CLOCK - 5 * day
    _order(
        conn,
        1,
        "yandex_market_main",
        ORDER_STARTED,
        "fbs",
        start,
        [(start, "awaiting_packaging", "PROCESSING/STARTED", "marketplace")],
        [("SKU-1", 1, 150000), ("SKU-2", 2, 45050)],
    )
    _order(
        conn,
        2,
        "yandex_market_main",
        ORDER_DELIVERED,
        "fbs",
        start + timedelta(hours=1),
        [
            (start + timedelta(hours=1), "awaiting_packaging", "awaiting_packaging", "marketplace"),
            (start + 2 * day, "delivering", "delivering", "marketplace"),
            (start + 3 * day, "delivered", "delivered", "marketplace"),
        ],
        [("SKU-1", 2, 150000)],
        vendor={"externalOrderId": "EXT-2"},
    )
    _order(
        conn,
        3,
        "yandex_market_main",
        ORDER_CANCELLED,
        "fbs",
        start + timedelta(hours=2),
        [
            (start + timedelta(hours=2), "awaiting_packaging", "PROCESSING/STARTED", "marketplace"),
            (start + day, "cancelled", "CANCELLED/USER_CHANGED_MIND", "buyer"),
        ],
        [("SKU-3", 1, 9900)],
    )
    _order(
        conn,
        4,
        "yandex_market_main",
        ORDER_FUTURE,
        "fbs",
        CLOCK + day,
        [(CLOCK + day, "awaiting_packaging", "PROCESSING/STARTED", "marketplace")],
        [("SKU-1", 1, 150000)],
    )
    _order(
        conn,
        5,
        "yandex_market_main",
        ORDER_CHANGES_LATER,
        "fbs",
        start + timedelta(hours=3),
        [
            (start + timedelta(hours=3), "awaiting_packaging", "PROCESSING/STARTED", "marketplace"),
            (CLOCK + timedelta(hours=1), "awaiting_deliver", "PROCESSING/READY_TO_SHIP", "seller"),
        ],
        [("SKU-2", 1, 45050)],
    )
    _order(
        conn,
        6,
        "yandex_market_dbs",
        DBS_ORDER,
        "dbs",
        start,
        [(start, "awaiting_deliver", "PROCESSING/READY_TO_SHIP", "seller")],
        [("SKU-1", 1, 150000)],
    )
    for i in range(N_BULK_ORDERS):
        created = CLOCK - 4 * day + timedelta(minutes=30 * i)
        _order(
            conn,
            100 + i,
            "yandex_market_main",
            71000000 + i,
            "fbs",
            created,
            [(created, "awaiting_packaging", "PROCESSING/STARTED", "marketplace")],
            [("SKU-3", 1, 9900)],
        )


def _reports(conn: sqlite3.Connection) -> None:
    conn.execute(
        "insert into reports values ('ym-2025-01', 'yandex_market_main', '2025-01-01', '2025-01-31', ?, '{}')",
        (_ts(datetime(2025, 2, 5, 9, 0, tzinfo=UTC)),),
    )
    conn.execute(
        "insert into reports values ('ym-2025-02', 'yandex_market_main', '2025-02-01', '2025-02-28', ?, '{}')",
        (_ts(datetime(2025, 3, 5, 9, 0, tzinfo=UTC)),),
    )
    lines = [
        ("ym-2025-01", 1, "SF-1", "69000001", "SKU-1", "sale", 2, 300000, "2025-01-20T10:00:00Z", "{}"),
        ("ym-2025-01", 2, "SF-2", "69000002", "SKU-2", "return", 1, 45050, "2025-01-25T10:00:00Z", "{}"),
        ("ym-2025-01", 3, "SF-1", "69000001", "SKU-1", "commission", 0, 0, "2025-01-20T10:00:00Z", "{}"),
        (
            "ym-2025-01",
            4,
            "SF-3",
            "69000003",
            "SKU-3",
            "sale",
            1,
            9900,
            "2025-01-28T10:00:00Z",
            '{"sheet": "transferred_to_delivery"}',
        ),
        ("ym-2025-02", 1, "SF-9", "69000009", "SKU-1", "sale", 1, 150000, "2025-02-03T10:00:00Z", "{}"),
    ]
    for rid, no, number, posting, offer, op, qty, amount, at, vendor in lines:
        conn.execute(
            "insert into report_lines(report_id, line_no, order_number, posting_number, offer_id, operation, "
            "quantity, amount_kop, operation_at, vendor) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, no, number, posting, offer, op, qty, amount, at, vendor),
        )


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """Path of a freshly built world database."""
    path = tmp_path / "world.sqlite"
    build_world(path)
    return path


def make_state(world: Path) -> EmulatorState:
    """Emulator state over a world, with the counting limiter and scripted faults."""
    st = EmulatorState(world)
    st.limits = CountingLimiter()
    st.faults = ScriptedFaults()
    return st


@pytest.fixture
def state(world: Path) -> EmulatorState:
    """Per-test state (for tests that write, provoke limits or inject faults)."""
    return make_state(world)


@pytest.fixture
def base_url(state: EmulatorState) -> Iterator[str]:
    """The per-test app served over real HTTP."""
    with serve_in_thread(create_app(state)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """HTTP client authenticated as the main cabinet (Api-Key), on the per-test app."""
    with httpx.Client(base_url=base_url, headers={"Api-Key": TOKEN}, timeout=30) as http:
        yield http


@contextmanager
def served(
    folder: Path, build: Callable[[Path], None] = build_world
) -> Iterator[tuple[httpx.Client, EmulatorState]]:
    """A world built by ``build`` in ``folder``, its app served over real HTTP: a client authenticated as the
    main cabinet (Api-Key) on it, and the app's state."""
    path = folder / "world.sqlite"
    build(path)
    state = make_state(path)
    with (
        serve_in_thread(create_app(state)) as url,
        httpx.Client(base_url=url, headers={"Api-Key": TOKEN}, timeout=30) as http,
    ):
        yield http, state


@pytest.fixture(scope="module")
def ro_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """Client on one app shared by a module's read-only tests (no writes, limits or faults)."""
    with served(tmp_path_factory.mktemp("ym-ro")) as (http, _):
        yield http


@pytest.fixture
def db(world: Path) -> Iterator[sqlite3.Connection]:
    """A separate connection to inspect what the app wrote."""
    conn = store.connect(world)
    yield conn
    conn.close()


def _nullable_to_type(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _nullable_to_type(v) for k, v in node.items()}
        if out.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable_to_type(v) for v in node]
    return node


def _merged_all_of(node: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
    """One object with the properties and required fields of an ``allOf`` of objects, else None."""
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    if depth > 20 or not node.get("allOf"):
        return None
    for part in node["allOf"]:
        while "$ref" in part:
            part = schemas[part["$ref"].rsplit("/", 1)[-1]]
        part = _merged_all_of(part, schemas, depth + 1) or part
        if "properties" not in part:
            return None
        merged["properties"].update(part["properties"])
        merged["required"] += [name for name in part.get("required", []) if name not in merged["required"]]
    if not merged["required"]:
        del merged["required"]
    merged.update({key: node[key] for key in ("description", "nullable") if key in node})
    return merged


def _close(node: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_close(v, schemas) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node.get("allOf", [])) > 1:
        node = _merged_all_of(node, schemas) or node
    out = {k: _close(v, schemas) for k, v in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _closed(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every object schema closed (``additionalProperties: false``).

    An ``allOf`` of object parts (YM extends a base response that way) becomes one object with the parts'
    properties and required fields merged, so closing a part does not refuse its siblings' fields. Objects
    whose spec says something of ``additionalProperties`` (maps) and free-form objects stay as they are.
    """
    schemas = spec["components"]["schemas"]
    return {**spec, "components": {**spec["components"], "schemas": _close(schemas, schemas)}}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    def parses(fmt: str) -> Any:
        return lambda value: not isinstance(value, str) or bool(datetime.strptime(value, fmt))

    checker.checks("date", raises=ValueError)(parses("%Y-%m-%d"))
    checker.checks("date-dd-MM-yyyy", raises=ValueError)(parses("%d-%m-%Y"))
    checker.checks("date-dd-MM-yyyy-HH-mm-ss", raises=ValueError)(parses("%d-%m-%Y %H:%M:%S"))

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None

    return checker


class Contract:
    """Validates payloads against the official spec's component schemas."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource(contents=spec, specification=DRAFT4)
        self.registry = Registry().with_resource("urn:ym-partner-api", resource)
        self.checker = _format_checker()

    def errors(self, payload: Any, schema: str) -> list[str]:
        """Validation problems of ``payload`` against ``components/schemas/<schema>``."""
        validator = Draft4Validator(
            {"$ref": f"urn:ym-partner-api#/components/schemas/{schema}"},
            registry=self.registry,
            format_checker=self.checker,
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(payload)]

    def validate(self, payload: Any, schema: str) -> None:
        """Fail the test with every problem when ``payload`` does not match ``schema``."""
        problems = self.errors(payload, schema)
        assert not problems, f"{schema}: " + "; ".join(problems[:10])

    def response_schema(self, path: str, method: str, status: str) -> str:
        """Name of the schema the spec declares for one response of one operation."""
        response = self.spec["paths"][path][method]["responses"][status]
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The official spec, loaded once per session."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Contract(_nullable_to_type(_closed(spec)))
