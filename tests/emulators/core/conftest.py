"""A small generated world shared by the core tests (14 days straddling a month end)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from sellerflow_emulators.scenario import ScenarioParams, generate

# Starts before the end of September and runs until every September report (Ozon on the 5th,
# Yandex Market and Megamarket a few working days later) and several WB weeks are published.
# 28 days from 10 September: the shipments of its first week plus the 14-day windows of the monthly reports
# fall in September, whose reports are out at the clock, so missing_in_report is observable (WB's 45 days are not).
SMALL = ScenarioParams(seed=42, days=28, orders_per_day=25, start=date(2026, 9, 10))


@dataclass(frozen=True)
class World:
    """Paths and parsed outputs of one generated scenario."""

    dir: Path
    db: Path
    truth: dict
    accounts: dict

    def connect(self) -> sqlite3.Connection:
        """Read-only-ish connection with rows by name."""
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        return conn


def make_world(out: Path, params: ScenarioParams) -> World:
    """Generate a scenario into ``out`` and load its JSON outputs."""
    summary = generate(out, params)
    return World(
        out,
        summary.world,
        json.loads(summary.ground_truth.read_text(encoding="utf-8")),
        json.loads(summary.accounts.read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="session")
def small_params() -> ScenarioParams:
    """Parameters of the shared small world."""
    return SMALL


@pytest.fixture(scope="session")
def world_maker() -> object:
    """``make_world(out, params)`` for tests that need their own scenario."""
    return make_world


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The shared small world (do not write to it; copy it first)."""
    return make_world(tmp_path_factory.mktemp("small_world"), SMALL)


@pytest.fixture
def world_copy(small_world: World, tmp_path: Path) -> World:
    """A private copy of the small world that a test may change."""
    src = sqlite3.connect(small_world.db)
    dst_path = tmp_path / "world.sqlite"
    dst = sqlite3.connect(dst_path)
    src.backup(dst)
    src.close()
    dst.close()
    return World(tmp_path, dst_path, small_world.truth, small_world.accounts)
