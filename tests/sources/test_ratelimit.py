"""The shared Postgres limiter: buckets shared across instances, penalties, parallel slots, and the proof that
parallel extractions never draw a 429 from a limit the limiter knows."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sellerflow.extract.account import extract_account
from sellerflow.sources._http import RateLimitError
from sellerflow.sources.ratelimit import SAFETY, Limit, NullLimiter, PostgresLimiter
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.ozon import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import accounts, generate_world


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    return migrated_dsn


def test_a_bucket_is_shared_by_every_limiter_instance(dsn: str) -> None:
    limits = {"ozon": {"default": Limit(5, 1.0, 4)}}
    first, second = PostgresLimiter(dsn, limits), PostgresLimiter(dsn, limits)
    started = time.monotonic()
    grants = [(first if n % 2 else second).acquire("ozon", "default", "acc") for n in range(8)]
    elapsed = time.monotonic() - started
    capacity = grants[0].capacity
    assert capacity == 3  # floor(4 * 0.9)
    # 8 calls from a bucket of 3 refilling 4.5/s need at least (8 - 3) / 4.5 s.
    assert elapsed >= (8 - capacity) / (5 * SAFETY) - 0.05
    other = first.acquire("ozon", "default", "another-account")
    assert other.waited_s < 0.05, "accounts have separate buckets"


def test_a_refusal_pauses_the_bucket_for_everyone(dsn: str) -> None:
    limits = {"ozon": {"default": Limit(100, 1.0, 100)}}
    first, second = PostgresLimiter(dsn, limits), PostgresLimiter(dsn, limits)
    first.penalize("ozon", "default", "acc", 0.4)
    grant = second.acquire("ozon", "default", "acc")
    assert grant.waited_s >= 0.35


def test_a_call_bigger_than_the_bucket_is_refused_at_once_and_a_view_shares_the_buckets(dsn: str) -> None:
    """Item-counted quotas (YM's products per minute) spend ``cost`` tokens: a call that can never fit the bucket
    raises instead of waiting forever, and ``with_limits`` (a connection's overrides) draws on the same bucket."""
    limiter = PostgresLimiter(dsn, {"yandex_market": {"stocks_update": Limit(100, 60.0, 10)}})
    assert limiter.acquire("yandex_market", "stocks_update", "acc", 9).tokens_left == 0
    with pytest.raises(ValueError, match="never fits the bucket of 9"):
        limiter.acquire("yandex_market", "stocks_update", "acc", 10)
    view = limiter.with_limits("yandex_market", {"stocks_update": Limit(100, 60.0, 100)})
    assert view.limit("yandex_market", "stocks_update").capacity == 90
    assert limiter.limit("yandex_market", "stocks_update").capacity == 9, "the original keeps its limits"
    assert view.acquire("yandex_market", "stocks_update", "acc", 1).waited_s > 0, (
        "the bucket the first emptied"
    )
    limiter.close()


def test_parallel_slots_cap_calls_in_flight(dsn: str) -> None:
    limits = {"yandex_market": {"orders": Limit(1000, 1.0, 1000, parallel=2)}}
    in_flight, peak, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal in_flight, peak
        limiter = PostgresLimiter(dsn, limits)
        limiter.acquire("yandex_market", "orders", "acc")
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.15)
        with lock:
            in_flight -= 1
        limiter.release("yandex_market", "orders", "acc")
        limiter.close()

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("limits")).parent


@pytest.fixture
def tight_ozon(world: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The Ozon emulator with a tight limit: 20 requests/s, burst 4, per Client-Id."""
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(world / name, tmp_path / name)
    state = EmulatorState(tmp_path / "world.sqlite")
    for group in ("global", "default"):  # the Ozon app's group for "all methods" (named either way)
        state.limits.override("ozon", group, LimitConfig(20, 1.0, 4))
    with serve_in_thread(create_app(state)) as url:
        yield tmp_path, url


def _parallel_extractions(world_dir: Path, url: str, dsn: str, limiter_factory) -> int:
    """Four workers calling one cabinet at once (a cheap method, so the emulator keeps pace); the 429s drawn."""
    main = accounts(world_dir, "ozon", url, horizon_days=40)[0]
    stats: list[int] = []
    failed: list[int] = []

    def run(n: int) -> None:
        from sellerflow.extract import account as account_module

        limiter = limiter_factory()
        options = {"backoff_base_s": 0.05, "backoff_cap_s": 0.2, "max_retries": 8}
        spec = account_module.vendor("ozon")
        with spec.client(main, limiter, **options) as client:
            try:
                for _ in range(12):
                    client.post("/v2/warehouse/list", {"limit": 200})
            except RateLimitError:
                failed.append(n)
            stats.append(client.stats.rate_limited)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stats) == 4
    if isinstance(limiter_factory(), PostgresLimiter):
        assert failed == [], "with the limiter every worker finished"
    return sum(stats)


def test_parallel_extractions_never_draw_a_429_from_a_known_limit(tight_ozon, dsn: str) -> None:
    world_dir, url = tight_ozon
    limits = {"ozon": {"default": Limit(20, 1.0, 4)}}
    refused = _parallel_extractions(world_dir, url, dsn, lambda: PostgresLimiter(dsn, limits))
    assert refused == 0


def test_without_the_shared_limiter_the_same_extractions_are_refused(tight_ozon, dsn: str) -> None:
    world_dir, url = tight_ozon
    refused = _parallel_extractions(world_dir, url, dsn, NullLimiter)
    assert refused > 0, "the control case: the emulator does enforce the limit"


def test_a_full_account_extraction_in_parallel_runs_stays_inside_the_limit(tight_ozon, dsn: str) -> None:
    world_dir, url = tight_ozon
    limits = {"ozon": {"default": {"rate": 20, "window_s": 1, "burst": 4}}}
    main = accounts(world_dir, "ozon", url, horizon_days=40, rate_limits=limits["ozon"])[0]
    now = EmulatorState(world_dir / "world.sqlite").now()
    results: list[dict] = []

    def run(n: int) -> None:
        results.append(extract_account(main, dsn, f"run-{n}", now, force=True, streams=["postings_fbs"]))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert sum(r["retries"] for r in results) == 0, "no call was refused, so none was retried"
