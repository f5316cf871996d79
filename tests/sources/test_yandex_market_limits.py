"""The shared limiter against the Yandex Market emulator: parallel extractions never draw a 420 from a quota the
limiter knows (the control without it does)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sellerflow.extract.account import extract_account
from sellerflow.sources._http import RateLimitError
from sellerflow.sources.ratelimit import NullLimiter, PostgresLimiter, resolve_limits
from sellerflow.sources.yandex_market import YandexMarketClient
from sellerflow.sources.yandex_market.client import ParallelCapped
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import accounts, generate_world
from sellerflow_emulators.yandex_market import create_app

# 10 requests per aligned 2-second window, as YM counts; the limiter's bucket of 1 refilling 4.5/s fits it.
QUOTA = LimitConfig(10, 2.0)
KNOWN = {"rate": 10, "window_s": 2, "burst": 1}


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    return migrated_dsn


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("ym_limits")).parent


@pytest.fixture
def tight(world: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The emulator with tight quotas on getCampaigns and getBusinessOrders."""
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(world / name, tmp_path / name)
    state = EmulatorState(tmp_path / "world.sqlite")
    for operation in ("getCampaigns", "getBusinessOrders"):
        state.limits.override("yandex_market", operation, QUOTA)
    with serve_in_thread(create_app(state)) as url:
        yield tmp_path, url


def _parallel_calls(world_dir: Path, url: str, limiter_factory) -> int:
    """Four workers listing campaigns of one cabinet at once; the 420s they drew."""
    main = accounts(world_dir, "yandex_market", url, rate_limits={"campaigns": KNOWN})[0]
    drawn: list[int] = []

    def run() -> None:
        options = {"backoff_base_s": 0.05, "backoff_cap_s": 0.2, "max_retries": 8}
        limiter = limiter_factory(main)
        with YandexMarketClient(main, limiter, **options) as client:
            try:
                for _ in range(6):
                    client.get("/v2/campaigns", {"limit": 100})
            except RateLimitError:
                pass
            drawn.append(client.stats.statuses[420])
        if isinstance(limiter, PostgresLimiter):
            limiter.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(drawn) == 4
    return sum(drawn)


def test_parallel_workers_never_draw_a_420_from_a_known_quota(tight, dsn: str) -> None:
    world_dir, url = tight
    refused = _parallel_calls(
        world_dir,
        url,
        lambda a: PostgresLimiter(dsn, {"yandex_market": resolve_limits("yandex_market", a.rate_limits)}),
    )
    assert refused == 0


def test_without_the_shared_limiter_the_same_workers_are_refused(tight) -> None:
    world_dir, url = tight
    assert _parallel_calls(world_dir, url, lambda a: NullLimiter()) > 0, "the emulator does enforce the quota"


def test_parallel_extraction_runs_of_one_cabinet_stay_inside_the_quota(tight, dsn: str) -> None:
    world_dir, url = tight
    main = accounts(
        world_dir, "yandex_market", url, horizon_days=40, backfill_slice_days=7, rate_limits={"orders": KNOWN}
    )[0]
    now = EmulatorState(world_dir / "world.sqlite").now()
    results: list[dict] = []

    def run(n: int) -> None:
        results.append(extract_account(main, dsn, f"run-{n}", now, force=True, streams=["orders"]))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert sum(r["api_calls"] for r in results) > 10, "more calls than one window allows"
    assert sum(r["retries"] for r in results) == 0, "no call was refused, so none was retried"


def test_every_call_holds_a_slot_of_the_cabinets_parallel_cap(dsn: str) -> None:
    limits = {
        "yandex_market": resolve_limits(
            "yandex_market", {"parallel": {"rate": 1e6, "window_s": 1, "parallel": 2}}
        )
    }
    in_flight, peak, lock = 0, 0, threading.Lock()

    def call(group: str) -> None:
        nonlocal in_flight, peak
        limiter = PostgresLimiter(dsn, limits)
        capped = ParallelCapped(limiter)
        capped.acquire("yandex_market", group, "acc")
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        threading.Event().wait(0.15)
        with lock:
            in_flight -= 1
        capped.release("yandex_market", group, "acc")
        limiter.close()

    threads = [
        threading.Thread(target=call, args=(g,))
        for g in ("orders", "stocks", "prices", "campaigns", "orders")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2, "calls of different resources share the cabinet's cap"
