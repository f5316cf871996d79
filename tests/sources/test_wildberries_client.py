"""The Wildberries client over real HTTP: token claims, per-family hosts, 429 + X-Ratelimit-Retry, and the shared
limiter keeping parallel extractions inside WB's buckets (the control case without it is refused)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sellerflow.extract.account import extract_account
from sellerflow.sources._http import RateLimitError
from sellerflow.sources.ratelimit import Limit, NullLimiter, PostgresLimiter
from sellerflow.sources.wildberries import WildberriesClient, decode_token
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.testing.extract import FAST, generate_world
from sellerflow_emulators.testing.wildberries import (
    Served,
    cabinets,
    reset_warehouse,
    scaled_limits,
    serve_copy,
    throwaway_warehouse,
)


def _jwt(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("wb_client")).parent


@pytest.fixture
def wb(world: Path, tmp_path: Path) -> Iterator[Served]:
    with serve_copy(world, tmp_path) as served:
        yield served


@pytest.fixture(scope="module")
def warehouse() -> Iterator[str]:
    with throwaway_warehouse() as dsn:
        yield dsn


def test_token_claims_give_expiry_categories_and_flags() -> None:
    info = decode_token(
        _jwt({"exp": 1_801_958_400, "s": (1 << 4) | (1 << 5) | (1 << 30), "t": True, "oid": 7})
    )
    assert info is not None
    assert info.expires_at == datetime(2027, 2, 7, tzinfo=UTC)
    assert info.categories == ("marketplace", "statistics")
    assert info.scopes == ("marketplace", "statistics", "read_only", "sandbox")
    assert info.seller_id == 7
    assert decode_token(_jwt({"s": 1 << 20})).categories == ("bit20",), "unknown bits are shown, not guessed"
    assert decode_token("not-a-jwt") is None


def test_a_generated_cabinet_token_matches_its_connection(wb: Served) -> None:
    main = cabinets(wb)[0]
    info = decode_token(main.token)
    assert info is not None
    assert info.expires_at == main.token_expires_at
    assert {"content", "prices", "marketplace", "statistics"} <= set(info.categories)


def test_wb_hosts_are_chosen_per_api_family(wb: Served) -> None:
    main = cabinets(wb)[0]
    production = replace(main, base_url="https://marketplace-api.wildberries.ru")
    with WildberriesClient(production) as client:
        assert client.url("/api/v3/orders") == "https://marketplace-api.wildberries.ru/api/v3/orders"
        assert (
            client.url("/api/v1/supplier/sales")
            == "https://statistics-api.wildberries.ru/api/v1/supplier/sales"
        )
        assert client.url("/content/v2/get/cards/list").startswith("https://content-api.wildberries.ru/")
        assert client.url("/api/v2/list/goods/filter").startswith(
            "https://discounts-prices-api.wildberries.ru/"
        )
        assert client.url("/api/finance/v1/sales-reports/list").startswith(
            "https://finance-api.wildberries.ru/"
        )
    sandbox = replace(main, base_url="https://marketplace-api-sandbox.wildberries.ru")
    with WildberriesClient(sandbox) as client:
        assert client.url("/api/v2/list/goods/filter").startswith("https://discounts-prices-api-sandbox.")
        assert client.url("/api/finance/v1/sales-reports/list").startswith(
            "https://finance-api.wildberries.ru/"
        )
    with WildberriesClient(main) as client:
        assert client.url("/api/v1/supplier/sales") == "/api/v1/supplier/sales", "one host serves all"


def test_a_family_host_override_is_called_over_http(wb: Served) -> None:
    main = cabinets(wb)[0]
    routed = replace(
        main, base_url="https://marketplace-api.wildberries.ru", settings={"hosts": {"statistics": wb.url}}
    )
    with WildberriesClient(routed, **FAST) as client:
        rows = client.get("/api/v1/supplier/orders", {"dateFrom": "2026-08-01", "flag": 0})
    assert rows
    assert {"srid", "lastChangeDate"} <= set(rows[0])


def test_a_429_waits_for_x_ratelimit_retry_and_succeeds(wb: Served) -> None:
    wb.state.limits.override("wildberries", "statistics_sales", LimitConfig(1, 1.0, 1))
    with WildberriesClient(cabinets(wb)[0], NullLimiter(), **FAST) as client:
        for _ in range(2):
            assert client.get("/api/v1/supplier/sales", {"dateFrom": "2026-09-08", "flag": 0}) is not None
    assert client.stats.statuses[429] == 1
    assert client.stats.retries == 1


# The sales feed of the hammer tests: WB's 1 request/minute run 600 times faster (one per 0.1 s). The client's
# known limit keeps WB's burst of 1; the emulator's bucket holds SLACK requests more. Why the slack: the limiter
# grants a call at one moment and the emulator counts it when it arrives, a scheduling delay later. With both
# buckets at burst 1 the margin was the limiter's SAFETY alone, 10 % of 0.1 s = 11 ms, which a loaded machine
# exceeds (the test failed in CI under load). With the slack, a 429 needs one call delayed by more than
# (SLACK - 1) / 9 per s = 1 s against another; and the control, whose calls do not wait, draws 429s unless its
# 4 × HAMMER_CALLS calls take more than (4 × HAMMER_CALLS - SLACK) × 0.1 s = 1 s. Both margins are seconds, not ms.
SALES_WINDOW_S = 0.1
SLACK = 10
HAMMER_CALLS = 5  # per worker; 4 workers: 20 calls, twice what the emulator's bucket holds


def _hammer(
    wb: Served, limiter_factory, calls: int = HAMMER_CALLS, max_retries: int = 8
) -> tuple[int, list[int]]:
    """Four workers calling the 1-per-minute sales feed of one cabinet (WB's limit, run 600× faster).

    Returns (429s drawn, workers that gave up on a 429). A worker that crashes on anything else fails the
    test here: otherwise a crash would look like a worker that drew no 429.
    """
    wb.state.limits.override("wildberries", "statistics_sales", LimitConfig(1, SALES_WINDOW_S, SLACK))
    main = cabinets(wb)[0]
    refused: list[int] = []
    failed: list[int] = []
    crashed: list[str] = []
    start = threading.Barrier(4)

    def run(n: int) -> None:
        try:
            with WildberriesClient(
                main, limiter_factory(), backoff_base_s=0.01, backoff_cap_s=0.05, max_retries=max_retries
            ) as c:
                start.wait(timeout=30)
                try:
                    for _ in range(calls):
                        c.get("/api/v1/supplier/sales", {"dateFrom": "2026-09-08", "flag": 0})
                except RateLimitError:
                    failed.append(n)
                refused.append(c.stats.rate_limited)
        except Exception as exc:  # reported below, in the test's thread
            crashed.append(f"worker {n}: {exc!r}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashed == [], "a worker crashed"
    assert len(refused) == 4, "every worker reported its 429s"
    return sum(refused), failed


def test_parallel_clients_never_draw_a_429_from_a_known_limit(wb: Served, warehouse: str) -> None:
    dsn = reset_warehouse(warehouse)
    limits = {"wildberries": {"statistics_sales": Limit(1, SALES_WINDOW_S, 1)}}  # 1/min, burst 1, 600× faster
    refused, failed = _hammer(wb, lambda: PostgresLimiter(dsn, limits))
    assert refused == 0
    assert failed == []


def test_without_the_shared_limiter_the_same_calls_are_refused(wb: Served) -> None:
    refused, failed = _hammer(wb, NullLimiter, max_retries=0)
    assert refused > 0, "the control case: the same calls, unshared, overrun the emulator's bucket"
    assert failed, "a worker without the limiter gave up on a 429"


# Three whole extractions share every WB bucket through the limiter. At 600x a bucket's interval is a tenth of a
# second and the limiter's margin 10 ms: a call delayed that much by a loaded machine arrived "early" for the next
# one (CI drew one retry). Here the limits run 100x faster (margin 60 ms) and each emulator bucket holds one
# request more than the client knows of, so only a delay of a whole interval draws a 429; three extractions that
# did not share the limiter would still overrun it three times over.
SLOW_SPEED = 100.0


@pytest.fixture
def wb_paced(world: Path, tmp_path: Path) -> Iterator[Served]:
    with serve_copy(world, tmp_path, speed=SLOW_SPEED) as served:
        for group, config in scaled_limits(SLOW_SPEED)[0].items():
            if config.burst is not None:
                served.state.limits.override("wildberries", group, replace(config, burst=config.burst + 1))
        yield served


def test_parallel_account_extractions_stay_inside_every_wb_bucket(wb_paced: Served, warehouse: str) -> None:
    dsn = reset_warehouse(warehouse)
    main = cabinets(wb_paced, speed=SLOW_SPEED)[0]
    now = wb_paced.state.now()
    results: list[dict] = []

    def run(n: int) -> None:
        results.append(extract_account(main, dsn, f"run-{n}", now, force=True, client_options=FAST))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert sum(r["retries"] for r in results) == 0, "no call was refused, so none was retried"
