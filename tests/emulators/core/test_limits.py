"""RateLimiter: vendor defaults, token buckets, fixed windows, parallel caps, overrides. A fake clock
drives time, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import threading

import pytest

from sellerflow_emulators.limits import DEFAULT_LIMITS, LimitConfig, RateLimiter, parse_config


class FakeClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_wildberries_bucket_allows_the_burst_then_refills_every_200_ms() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    decisions = [limiter.acquire("wildberries", "marketplace", "wb1") for _ in range(21)]
    assert all(d.allowed for d in decisions[:20])
    assert decisions[19].remaining == 0
    refused = decisions[20]
    assert not refused.allowed
    assert refused.limit == 300
    assert refused.retry_after_s == pytest.approx(0.2)
    clock.now += 0.2
    assert limiter.acquire("wildberries", "marketplace", "wb1").allowed
    assert not limiter.acquire("wildberries", "marketplace", "wb1").allowed
    # Another account has its own bucket.
    assert limiter.acquire("wildberries", "marketplace", "wb2").allowed


def test_wildberries_report_methods_allow_one_request_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert limiter.acquire("wildberries", "finance_reports", "wb1").allowed
    second = limiter.acquire("wildberries", "finance_reports", "wb1")
    assert not second.allowed
    assert second.retry_after_s == pytest.approx(60.0)
    clock.now += 60
    assert limiter.acquire("wildberries", "finance_reports", "wb1").allowed


def test_wildberries_charge_counts_a_4xx_as_ten_requests() -> None:
    limiter = RateLimiter(clock=FakeClock())
    limiter.acquire("wildberries", "marketplace", "wb1")
    limiter.charge("wildberries", "marketplace", "wb1", 10)
    allowed = sum(limiter.acquire("wildberries", "marketplace", "wb1").allowed for _ in range(20))
    assert allowed == 9


def test_yandex_market_fixed_window_resets_at_the_window_end() -> None:
    clock = FakeClock(start=1_789_999_990.0)  # 70 s into a 2-minute window (1_789_999_920 % 120 == 0)
    limiter = RateLimiter(clock=clock)
    first = limiter.acquire("yandex_market", "generateGoodsRealizationReport", "ym")
    assert first.allowed
    assert first.remaining == 0
    refused = limiter.acquire("yandex_market", "generateGoodsRealizationReport", "ym")
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(50.0)
    assert refused.reset_at.timestamp() == pytest.approx(1_790_000_040.0)
    clock.now = 1_790_000_040.0
    assert limiter.acquire("yandex_market", "generateGoodsRealizationReport", "ym").allowed


def test_yandex_market_parallel_cap_and_release() -> None:
    limiter = RateLimiter(clock=FakeClock())
    held = [limiter.acquire("yandex_market", "parallel", "campaign:1") for _ in range(6)]
    assert all(d.allowed for d in held)
    refused = limiter.acquire("yandex_market", "parallel", "campaign:1")
    assert not refused.allowed
    assert refused.limit == 6
    assert limiter.acquire("yandex_market", "parallel", "campaign:2").allowed
    limiter.release("yandex_market", "parallel", "campaign:1")
    assert limiter.acquire("yandex_market", "parallel", "campaign:1").allowed


def test_yandex_market_operation_quotas_have_no_parallel_cap() -> None:
    limiter = RateLimiter(clock=FakeClock())
    # The YM app releases only the "parallel" group: operation groups must not hold slots.
    assert all(limiter.acquire("yandex_market", "getOrders", "campaign:1").allowed for _ in range(100))
    decisions = [limiter.acquire("yandex_market", "getOfferMappings", "business:1") for _ in range(101)]
    assert [d.allowed for d in decisions].count(False) == 1
    assert decisions[-1].limit == 100


def test_unknown_group_falls_back_to_the_vendor_default_and_onec_is_unlimited() -> None:
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.config("ozon", "postings") == DEFAULT_LIMITS["ozon"]["default"]
    assert limiter.config("ozon", "products_stocks").limit == 80
    assert sum(limiter.acquire("ozon", "postings", "1").allowed for _ in range(60)) == 50
    assert all(limiter.acquire("onec", "odata", "ut_main").allowed for _ in range(1000))


def test_override_restore_unlimited_and_global_switch() -> None:
    limiter = RateLimiter(clock=FakeClock())
    limiter.override("megamarket", "default", LimitConfig(2, 60.0))
    assert [limiter.acquire("megamarket", "order_get", "mm").allowed for _ in range(3)] == [True, True, False]
    limiter.restore("megamarket", "default")
    assert limiter.acquire("megamarket", "order_get", "mm").allowed
    limiter.override("wildberries", "finance_reports", None)
    assert all(limiter.acquire("wildberries", "finance_reports", "wb").allowed for _ in range(10))
    limiter.enabled = False
    assert all(limiter.acquire("ozon", "default", "1").allowed for _ in range(500))
    assert limiter.snapshot()["wildberries"]["finance_reports"] is None


def test_parse_config() -> None:
    assert parse_config({"unlimited": True}) is None
    assert parse_config({"parallel": 2}) == LimitConfig(None, 1.0, None, 2, "admin override")
    assert parse_config({"limit": 5, "window_s": 1, "burst": 2}) == LimitConfig(
        5, 1.0, 2, None, "admin override"
    )
    for bad in (
        {"limit": 0, "window_s": 1},
        {"window_s": 1},
        {"limit": 1, "window_s": 1, "burst": 0},
        {"x": 1},
    ):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_config(bad)


def test_fixed_window_is_exact_under_concurrency() -> None:
    limiter = RateLimiter(clock=FakeClock())
    limiter.override("ozon", "default", LimitConfig(300, 60.0))
    allowed: list[int] = []

    def worker() -> None:
        allowed.append(sum(limiter.acquire("ozon", "default", "1").allowed for _ in range(100)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 300
