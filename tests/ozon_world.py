"""The small scenario world served over real HTTP by the Ozon emulator, and a migrated warehouse per test.

One fixture module for the packages that extract from the small world (tests/extract, tests/quality): the
root conftest registers it as a plugin, so the world is generated once per session for all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sellerflow_emulators.ozon import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_world_copy
from sellerflow_emulators.testing.extract import generate_world


@dataclass
class Served:
    """The Ozon emulator under test: its world file, state (clock, faults, limits) and base URL."""

    world: Path
    state: EmulatorState
    url: str


@pytest.fixture(scope="session")
def pristine_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario, generated once; tests serve copies of it."""
    return generate_world(tmp_path_factory.mktemp("ozon_world")).parent


@pytest.fixture
def ozon(pristine_world: Path, tmp_path: Path) -> Iterator[Served]:
    """A private copy of the world served by the Ozon emulator (tests may advance its clock or inject faults)."""
    with serve_world_copy(pristine_world, tmp_path, create_app) as (state, url):
        yield Served(tmp_path / "world.sqlite", state, url)


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    """A fresh, migrated warehouse database."""
    return migrated_dsn
