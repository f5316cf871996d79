"""Scenario parameters and the fixed shape of the simulated seller (accounts, shares, rates)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

# The default start makes a 30-day world straddle a month end, so that the monthly
# reports (Ozon, Yandex Market, Megamarket) of the first month are already published at
# the final clock while the second month is still "awaiting_report".
DEFAULT_START = date(2026, 9, 15)

MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")

# Default emulator ports (``serve``): the admin app listens on the base port.
DEFAULT_BASE_PORT = 18100
VENDOR_PORT_OFFSETS = {"ozon": 1, "wildberries": 2, "yandex_market": 3, "megamarket": 4, "onec": 5}


@dataclass(frozen=True)
class AccountSpec:
    """One marketplace cabinet of the simulated seller."""

    id: str
    marketplace: str
    legal_entity_id: str
    name: str
    share: float  # share of all orders
    schemes: tuple[tuple[str, float], ...]  # (scheme, share within the account)
    id_base: int  # base of the vendor's order numbers for this cabinet


ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("ozon_main", "ozon", "le1", "Ozon — Ромашка", 0.25, (("fbs", 0.6), ("fbo", 0.4)), 31_400_000),
    AccountSpec(
        "ozon_second", "ozon", "le2", "Ozon — Северный ветер", 0.12, (("fbs", 0.7), ("fbo", 0.3)), 47_800_000
    ),
    AccountSpec(
        "wildberries_main",
        "wildberries",
        "le1",
        "WB — Ромашка",
        0.25,
        (("fbs", 0.4), ("fbo", 0.6)),
        3_100_000_000,
    ),
    AccountSpec(
        "wildberries_second",
        "wildberries",
        "le2",
        "WB — Северный ветер",
        0.13,
        (("fbs", 0.5), ("fbo", 0.5)),
        3_600_000_000,
    ),
    AccountSpec(
        "yandex_market_main",
        "yandex_market",
        "le1",
        "Маркет — Ромашка",
        0.15,
        (("fbs", 0.8), ("dbs", 0.2)),
        51_200_000_000,
    ),
    AccountSpec(
        "megamarket_main",
        "megamarket",
        "le2",
        "Мегамаркет — Северный ветер",
        0.10,
        (("fbs", 0.85), ("dbs", 0.15)),
        9_324_000_000_000,
    ),
)

ACCOUNT_BY_ID = {spec.id: spec for spec in ACCOUNTS}

# Which 1C base keeps the documents of which legal entity.
BASE_OF_LEGAL_ENTITY = {"le1": "ut_main", "le2": "ut_second"}


@dataclass(frozen=True)
class Rates:
    """Probabilities of life events and injected discrepancies (seeded, per line/order)."""

    cancel: float = 0.05  # orders cancelled before shipment
    return_after_delivery: float = 0.03
    missing_in_report: float = 0.01
    amount_mismatch: float = 0.01
    quantity_mismatch: float = 0.007
    duplicate_in_report: float = 0.007
    reported_not_shipped: float = 0.005  # delivered orders that never reached 1C
    return_not_received: float = 0.2  # share of returns without a 1C return document
    cancelled_but_reported: float = 0.05  # share of cancelled orders that still land in a report
    rounding_noise: float = 0.02  # lines off by 1 kopeck: within tolerance, still matched


@dataclass(frozen=True)
class ScenarioParams:
    """What ``python -m sellerflow_emulators scenario`` was asked to build."""

    seed: int = 42
    days: int = 30
    orders_per_day: int = 1000
    start: date = DEFAULT_START
    amount_tolerance_kop: int = 100
    rates: Rates = field(default_factory=Rates)

    @property
    def start_at(self) -> datetime:
        """First moment of the scenario (midnight UTC of the start date)."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """End of the scenario period: the initial simulated clock."""
        return self.start_at + timedelta(days=self.days)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form (dates as ISO strings)."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ScenarioParams:
        """Inverse of :meth:`to_json`."""
        values = dict(data)
        values["start"] = date.fromisoformat(str(values["start"]))
        values["rates"] = Rates(**dict(values.get("rates") or {}))  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]
