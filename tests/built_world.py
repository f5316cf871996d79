"""The reverse-ETL tests' small world (tests/reverse_etl/conftest.py ``build_world``), built once per session.

Generating the scenario, extracting 1C and the four marketplaces and building the reservations model costs ~40 s;
the reverse-ETL modules and the pick-demand model each used to build it again. They now take a copy
(``copy_world``: the files, and the warehouse through ``create database … template``), which keeps every module
independent of the others. The root conftest registers this module as a plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import throwaway_database
from tests.reverse_etl.conftest import World, build_world


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The built world every module copies; no test uses (or changes) it directly."""
    with throwaway_database() as dsn:
        yield build_world(tmp_path_factory.mktemp("built_world"), dsn, tmp_path_factory.mktemp("built_dbt"))
