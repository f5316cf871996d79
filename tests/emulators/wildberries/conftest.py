"""Fixtures: a fresh Wildberries world served over real HTTP for each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # wildberries_world is a sibling helper module

from wildberries_world import Emulator, SwitchApp, install, serving


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SwitchApp, str]]:
    """One real HTTP server per test module."""
    with serving() as pair:
        yield pair


@pytest.fixture
def wb(server: tuple[SwitchApp, str], tmp_path: Path) -> Emulator:
    """A fresh WB app over a fresh small world (see wildberries_world.py) behind the module's server."""
    return install(*server, tmp_path / "world.db")
