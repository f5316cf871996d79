"""The demo-like warehouse of tests/pages/seed.py (scenario, emulators, extraction, ``dbt build`` with docs), seeded
once per session.

The page tests and the replay tests each seeded one (~60 s under load); both now take a copy
(``throwaway_database(template=...)``), so what one changes never reaches the other. Nothing connects to the seeded
database itself. The root conftest registers this module as a plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import throwaway_database
from tests.pages.seed import seed_warehouse


@dataclass(frozen=True)
class Seeded:
    """The seeded warehouse (a template: copy it, never use it) and what seeding wrote beside it."""

    dsn: str
    docs_dir: Path  # dbt's target dir: manifest.json, catalog.json, index.html
    world: Path  # the scenario's world, with the Megamarket report files the seller dropped (drop/<account>/)


@pytest.fixture(scope="session")
def seeded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Seed the warehouse once; tests take copies of it."""
    with throwaway_database() as dsn:
        work = tmp_path_factory.mktemp("seeded_world")
        docs_dir = seed_warehouse(dsn, work)
        yield Seeded(dsn, docs_dir, work / "world")
