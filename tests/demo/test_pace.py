"""The demo pace: the same limits, both sides, ``DEMO_PACE`` times faster."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sellerflow.demo.pace import DEMO_PACE, client_limits, speed_up_emulators
from sellerflow.sources.ratelimit import KNOWN_LIMITS, resolve_limits
from sellerflow_emulators import admin
from sellerflow_emulators.limits import DEFAULT_LIMITS
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.scenario import ScenarioParams, generate
from sellerflow_emulators.testing import serve_in_thread


def test_client_limits_keep_the_rate_and_shorten_the_window() -> None:
    limits = resolve_limits("yandex_market", client_limits("yandex_market"))
    known = KNOWN_LIMITS["yandex_market"]["reports_generate"]
    assert limits["reports_generate"].rate == known.rate
    assert limits["reports_generate"].window_s == pytest.approx(known.window_s / DEMO_PACE)
    assert set(client_limits("wildberries")) == set(KNOWN_LIMITS["wildberries"])


def test_the_emulators_windows_are_shortened(tmp_path: Path) -> None:
    generate(tmp_path, ScenarioParams(seed=1, days=1, orders_per_day=1))
    with serve_in_thread(admin.create_app(EmulatorState(tmp_path / "world.sqlite"))) as url:
        changed = speed_up_emulators(url)
        served = httpx.get(f"{url}/limits").json()["limits"]
    windowed = [
        (v, g) for v, groups in DEFAULT_LIMITS.items() for g, c in groups.items() if c.limit is not None
    ]
    assert changed == len(windowed)
    report = served["yandex_market"]["generateGoodsRealizationReport"]
    assert report["window_s"] == pytest.approx(
        DEFAULT_LIMITS["yandex_market"]["generateGoodsRealizationReport"].window_s / DEMO_PACE
    )
