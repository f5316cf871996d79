"""The reverse-ETL tests' small world (tests/reverse_etl/conftest.py ``build_world``), built once per session.

Generating the scenario, extracting 1C and the four marketplaces and building the reservations model costs ~40 s;
the reverse-ETL modules and the pick-demand model each used to build it again. They now take a copy
(``copy_world``: the files, and the warehouse through ``create database … template``), which keeps every module
independent of the others. The root conftest registers this module as a plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import throwaway_database, throwaway_name
from tests.reverse_etl.conftest import World, build_world


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The built world every module copies; no test uses (or changes) it directly."""
    with throwaway_database() as dsn:
        yield build_world(tmp_path_factory.mktemp("built_world"), dsn, tmp_path_factory.mktemp("built_dbt"))


@pytest.fixture(scope="session")
def world_copy_name() -> str:
    """The database name of every module's copy of the built world. The copies are module-scoped, so one lives at a
    time (a second one under the name would fail to be created, not share data); one name lets every module's dbt
    runs start from the session's parse of the project (``prime_dbt``) instead of parsing it again (~5 s)."""
    return throwaway_name()
