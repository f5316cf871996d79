"""Fixtures: a fresh Wildberries world served over real HTTP for each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # wildberries_world is a sibling helper module

from wildberries_world import Emulator, running


@pytest.fixture
def wb(tmp_path: Path) -> Iterator[Emulator]:
    """The WB emulator over a small world (see wildberries_world.py)."""
    with running(tmp_path / "world.db") as emulator:
        yield emulator
