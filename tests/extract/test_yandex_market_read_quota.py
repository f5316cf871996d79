"""Yandex Market's stock and price reads are quota'd in the items of the answer, not in requests: an extraction of a
catalogue bigger than one window's quota pages with a ``limit`` its budget holds, waits for the quota and never
meets the emulator's 420; the control without our limiter asks full pages and does meet it (so the test can fail).

The emulator's getDefaultPrices and getStocks quotas are cut to PRICE_QUOTA and STOCK_QUOTA items per aligned
1-second window, and the connection's ``rate_limits`` gives our limiter the same budgets (a bucket of a tenth of
the quota, less the safety margin, refilling at 90 % of the quota per window).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import NullLimiter
from sellerflow_emulators.limits import LimitConfig, LimitDecision, RateLimiter
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import assert_equals_world
from sellerflow_emulators.testing.yandex_market import (
    FAST,
    SOURCE,
    Served,
    cabinets,
    copy_world,
    relax_report_quota,
    world,
)
from sellerflow_emulators.yandex_market import create_app

MAIN = "yandex_market_main"
PRICE_QUOTA = 100  # offers per window
STOCK_QUOTA = 200  # (warehouse, offer) items per window
WINDOW_S = 1.0
BUDGETS = {
    "prices": {"rate": PRICE_QUOTA, "window_s": WINDOW_S, "burst": PRICE_QUOTA / 20},
    "stocks": {"rate": STOCK_QUOTA, "window_s": WINDOW_S, "burst": STOCK_QUOTA / 20},
}
STREAMS = ["prices", "stocks"]


class RecordingLimiter(RateLimiter):
    """The emulator's own limiter, counting the requests it refused per method."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()

    def acquire(self, vendor: str, group: str, account: str, cost: int = 1) -> LimitDecision:
        decision = super().acquire(vendor, group, account, cost)
        (self.answers if decision.allowed else self.refused)[group] += 1
        return decision


@pytest.fixture(scope="session")
def ym_pristine(pristine_world: Path) -> Path:
    """Only the main cabinet runs here: the small scenario as generated."""
    return pristine_world


@pytest.fixture
def tight(ym_pristine: Path, tmp_path: Path) -> Iterator[tuple[Served, RecordingLimiter]]:
    """The emulator on a private copy of the world, its stock and price read quotas cut to one window's worth."""
    state = EmulatorState(copy_world(ym_pristine, tmp_path))
    limits = RecordingLimiter()
    state.limits = limits
    relax_report_quota(state)
    state.limits.override("yandex_market", "getDefaultPrices", LimitConfig(PRICE_QUOTA, WINDOW_S))
    state.limits.override("yandex_market", "getStocks", LimitConfig(STOCK_QUOTA, WINDOW_S))
    with serve_in_thread(create_app(state)) as url:
        yield Served(tmp_path / "world.sqlite", state, url), limits


def _main(served: Served) -> MarketplaceAccount:
    found = cabinets(served.world.parent, served.url, rate_limits=BUDGETS)
    return next(a for a in found if a.account_id == MAIN)


def test_the_world_is_bigger_than_one_windows_quota(tight: tuple[Served, RecordingLimiter]) -> None:
    """The premise: one window could not answer the whole catalogue (else the test proves nothing)."""
    served, _ = tight
    expected = world(served.world)
    assert len(expected["prices"][MAIN]) > PRICE_QUOTA
    assert len(expected["stocks"][MAIN]) > STOCK_QUOTA


def test_a_catalogue_bigger_than_the_read_quota_is_paged_to_the_budget_without_a_420(
    tight: tuple[Served, RecordingLimiter], dsn: str
) -> None:
    served, limits = tight
    result = extract_account(
        _main(served), dsn, "paced", served.state.now(), streams=STREAMS, force=True, client_options=FAST
    )
    assert limits.refused == Counter(), "the emulator refused no request"
    assert result["retries"] == 0
    assert_equals_world(dsn, SOURCE, world(served.world), only=MAIN, entities=STREAMS)
    with psycopg.connect(dsn) as conn:
        refusals = conn.execute(
            "select coalesce(sum(refusals), 0) from ops.rate_limit_buckets where source = 'yandex_market'"
        ).fetchone()[0]
    assert refusals == 0, "our limiter never had to be paused by a 420"
    calls = {s["stream"]: s["api_calls"] for s in result["streams"]}
    expected = world(served.world)
    page = {g: int(b["burst"] * 0.9) for g, b in BUDGETS.items()}  # the bucket's size: the pages' limit
    assert calls["prices"] >= len(expected["prices"][MAIN]) / page["prices"], (
        "prices were read in small pages"
    )
    assert limits.answers["getStocks"] >= len(expected["stocks"][MAIN]) / page["stocks"]


def test_without_the_limiter_the_same_extraction_meets_the_420(
    tight: tuple[Served, RecordingLimiter], dsn: str
) -> None:
    """The control: no budget, so pages are the documented maximum (500 prices, 200 stocks) and over the quota."""
    served, limits = tight
    with pytest.raises(AccountExtractionError, match="420"):
        extract_account(
            _main(served),
            dsn,
            "unpaced",
            served.state.now(),
            streams=STREAMS,
            force=True,
            limiter=NullLimiter(),
            client_options=FAST,
        )
    assert limits.refused["getDefaultPrices"] > 0
    assert limits.refused["getStocks"] > 0
