"""The small scenario world served over real HTTP by the Yandex Market emulator; the Ozon one, its world and the
migrated warehouse per test (``ozon``, ``pristine_world``, ``dsn``) come from tests/ozon_world.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sellerflow_emulators.testing import yandex_market as ym_testing


@pytest.fixture(scope="session")
def ym_pristine(pristine_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario with a second Yandex Market cabinet of the other legal entity, built once."""
    into = tmp_path_factory.mktemp("ym_world")
    ym_testing.add_second_cabinet(ym_testing.copy_world(pristine_world, into))
    return into


@pytest.fixture
def ym(ym_pristine: Path, tmp_path: Path) -> Iterator[ym_testing.Served]:
    """A private copy of ``ym_pristine`` served by the Yandex Market emulator (report quota lifted)."""
    with ym_testing.serve_copy(ym_pristine, tmp_path) as served:
        yield served
