"""Fixtures for the Wildberries contract tests: the emulator tests' world, one server per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # wildberries_spec
sys.path.insert(0, str(Path(__file__).parents[2] / "emulators" / "wildberries"))  # the shared world helper

from wildberries_world import Emulator, SwitchApp, install, serving


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SwitchApp, str]]:
    """One real HTTP server per test module."""
    with serving() as pair:
        yield pair


@pytest.fixture
def wb(server: tuple[SwitchApp, str], tmp_path: Path) -> Emulator:
    """A fresh WB app over the small test world."""
    return install(*server, tmp_path / "world.db")
