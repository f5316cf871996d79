"""Fixtures of the dbt tests: a fresh migrated warehouse per test, and a dbt work dir that starts parsed.

dbt parses the whole project again (~5 s of every first run in a new target dir) unless target/partial_parse.msgpack
was written for the same profile (the database name is part of its hash) and the same ``--vars``. So every test's
warehouse takes the session's one database name (each test creates it, migrates it and drops it afterwards: the
tests never share data), and every work dir starts with the session's parse of the project for that name
(``prime_dbt``, tests/conftest.py); dbt then re-reads only what changed (nothing), as in a second run of a checkout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import database_url, throwaway_database, throwaway_name


@pytest.fixture(scope="session")
def dbt_database_name() -> str:
    """The name every dbt test's warehouse takes, one at a time."""
    return throwaway_name()


@pytest.fixture
def dsn(dbt_database_name: str, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated warehouse database for one test (a copy of the session's migrated one; dropped afterwards)."""
    with throwaway_database(template=migrated_template, name=dbt_database_name) as url:
        yield url


@pytest.fixture
def dbt_work(tmp_path: Path, dbt_database_name: str, prime_dbt: Callable[..., Path]) -> Callable[..., Path]:
    """A new dbt work dir under the test's tmp_path whose target/ holds the session's parse for ``--vars`` arguments
    ``vars_args`` (none: the project's own vars). Use it only with the same ``--vars``."""
    made = 0

    def work(*vars_args: str) -> Path:
        nonlocal made
        made += 1
        return prime_dbt(tmp_path / f"dbt{made}", database_url(dbt_database_name), *vars_args)

    return work


@pytest.fixture
def dbt_dir(dbt_work: Callable[..., Path]) -> Path:
    """The test's dbt work dir (target/ and logs/), parsed already."""
    return dbt_work()
