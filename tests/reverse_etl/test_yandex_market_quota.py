"""Yandex Market's stock and price quotas count products, not requests: a push far larger than one minute's
quota is split and paced by our limiter and never meets the emulator's 420; the control without the limiter
does meet it (so the test can fail).

Quotas are shrunk to 300 products per aligned 2-second window in the emulator, and the connection's
``rate_limits`` gives our limiter the same budget (a bucket of 30, refilling 300 per 2 s less the safety margin).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.outbox import Desired
from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.targets import marketplace_target
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import NullLimiter, PostgresLimiter
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import accounts, generate_world
from sellerflow_emulators.yandex_market import create_app

QUOTA = 300  # products per window, in the emulator and in our connection's rate_limits
WINDOW_S = 2.0
BUDGET = {"rate": QUOTA, "window_s": WINDOW_S, "burst": QUOTA / 10}
PUSHED = 700  # more than two windows' worth

CASES = {
    # target → (emulator operation, our limiter group, push_log path, body collection, payload of item i)
    "yandex_market_stocks": (
        "updateStocks",
        "stocks_update",
        "%/offers/stocks",
        "skus",
        lambda i: {"offer_id": f"Q-{i:04d}", "stock": i % 7},
    ),
    "yandex_market_prices": (
        "updateBusinessPrices",
        "prices_update",
        "%/offer-prices/updates",
        "offers",
        lambda i: {"offer_id": f"Q-{i:04d}", "price": 100 + i},
    ),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("ym_quota")).parent


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    return migrated_dsn


@dataclass
class Served:
    state: EmulatorState
    account: MarketplaceAccount

    def bodies(self, path: str) -> list[dict[str, Any]]:
        rows = self.state.conn().execute(
            "select body from push_log where vendor = 'yandex_market' and path like ? order by rowid", (path,)
        )
        return [json.loads(body) for (body,) in rows.fetchall()]


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def served(world: Path, tmp_path: Path, case: str) -> Iterator[Served]:
    """The YM emulator on a fresh copy of the world with the case's write quota cut to QUOTA per WINDOW_S."""
    shutil.copy(world / "world.sqlite", tmp_path / "world.sqlite")
    shutil.copy(world / "accounts.json", tmp_path / "accounts.json")
    state = EmulatorState(tmp_path / "world.sqlite")
    state.limits.override("yandex_market", CASES[case][0], LimitConfig(QUOTA, WINDOW_S))
    with serve_in_thread(create_app(state)) as url:
        group = CASES[case][1]
        main = accounts(tmp_path, "yandex_market", url, rate_limits={group: BUDGET})[0]
        yield Served(state, main)


def _enqueue(dsn: str, target: str, account_id: str, payload) -> None:
    rows = [Desired(f"{account_id}:Q-{i:04d}", account_id, payload(i), f"v{i}") for i in range(PUSHED)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert outbox.enqueue(conn, target, rows).new == PUSHED


def _refusals(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select count(*) from ops.outbox_attempts where http_status = 420").fetchone()[0]


def test_a_push_larger_than_the_product_quota_is_split_and_paced_without_a_420(
    dsn: str, served: Served, case: str
) -> None:
    _, _, path, collection, payload = CASES[case]
    _enqueue(dsn, case, served.account.account_id, payload)
    target = marketplace_target(case, {served.account.account_id: served.account}.__getitem__)
    limiter = PostgresLimiter(dsn)
    try:
        result = drain(dsn, target, limiter=limiter)
    finally:
        target.close()
        limiter.close()
    assert _refusals(dsn) == 0, "the emulator never refused a request"
    assert (result.acknowledged, result.failed, result.parked) == (PUSHED, 0, 0)
    sizes = [len(body[collection]) for body in served.bodies(path)]
    assert sum(sizes) == PUSHED, "every product sent exactly once"
    assert max(sizes) <= int(QUOTA / 10 * 0.9), "each request fits the budget's bucket"
    assert len(sizes) > PUSHED / QUOTA, "the push was split into many requests"


def test_without_the_budget_the_same_push_meets_the_420(dsn: str, served: Served, case: str) -> None:
    """The control: no limiter, so batches are the documented maximum and go out at once."""
    _, _, _, _, payload = CASES[case]
    _enqueue(dsn, case, served.account.account_id, payload)
    target = marketplace_target(case, {served.account.account_id: served.account}.__getitem__)
    try:
        result = drain(dsn, target, limiter=NullLimiter())
    finally:
        target.close()
    # the first request (every product at the documented maximum) is over the quota; the outbox then retries the
    # refused items after YM's hint, so how many are acknowledged by the end of the drain varies
    assert _refusals(dsn) > 0
    assert result.failed > 0
