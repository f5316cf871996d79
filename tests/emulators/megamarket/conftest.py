"""Fixtures: the Megamarket app over a freshly built small world, served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sellerflow_emulators import store
from sellerflow_emulators.megamarket import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

from .megamarket_world import Emulator, RecordingLimiter, ScriptedFaults, build_world


@pytest.fixture
def world_path(tmp_path: Path) -> Path:
    """Path of a freshly built small world."""
    path = tmp_path / "world.sqlite"
    build_world(path).close()
    return path


@pytest.fixture
def emulator(world_path: Path) -> Iterator[Emulator]:
    """The Megamarket app over the small world, on real HTTP, with scripted faults and limits."""
    state = EmulatorState(world_path)
    faults, limits = ScriptedFaults(), RecordingLimiter()
    state.faults = faults  # type: ignore[assignment]
    state.limits = limits  # type: ignore[assignment]
    conn = store.connect(world_path)
    with (
        serve_in_thread(create_app(state)) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield Emulator(client, state, conn, faults, limits)
    conn.close()
