"""Fixtures of the dbt tests: a fresh migrated warehouse per test, and a dbt work dir that starts parsed.

dbt parses the whole project again (~5 s of every first run in a new target dir) unless target/partial_parse.msgpack
was written for the same profile (the database name is part of its hash) and the same ``--vars``. So every test's
warehouse takes the session's one database name (each test creates it, migrates it and drops it afterwards: the
tests never share data), and every work dir starts with the session's parse of the project for that name; dbt then
re-reads only what changed (nothing), exactly as in a second run of the same checkout.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import database_url, throwaway_database, throwaway_name

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.warehouse import migrate


@pytest.fixture(scope="session")
def dbt_database_name() -> str:
    """The name every dbt test's warehouse takes, one at a time."""
    return throwaway_name()


@pytest.fixture
def dsn(dbt_database_name: str) -> Iterator[str]:
    """A fresh, migrated warehouse database for one test (dropped afterwards)."""
    with throwaway_database(name=dbt_database_name) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def dbt_parse(dbt_database_name: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``dbt parse`` (with the given ``--vars`` arguments) for the session's database name, once each; returns the
    partial-parse file it wrote."""
    parsed: dict[tuple[str, ...], Path] = {}

    def parse(*vars_args: str) -> Path:
        if vars_args not in parsed:
            work = tmp_path_factory.mktemp("dbt_parse")
            done = run_dbt(
                database_url(dbt_database_name), work, "parse", *vars_args
            )  # parsing connects to none
            assert done.returncode == 0, done.stdout[-3000:]
            parsed[vars_args] = work / "target" / "partial_parse.msgpack"
        return parsed[vars_args]

    return parse


@pytest.fixture
def dbt_work(tmp_path: Path, dbt_parse: Callable[..., Path]) -> Callable[..., Path]:
    """A new dbt work dir under the test's tmp_path whose target/ holds the session's parse for ``--vars`` arguments
    ``vars_args`` (none: the project's own vars). Use it only with the same ``--vars``."""
    made = 0

    def work(*vars_args: str) -> Path:
        nonlocal made
        made += 1
        target = tmp_path / f"dbt{made}" / "target"
        target.mkdir(parents=True)
        shutil.copy(dbt_parse(*vars_args), target)
        return target.parent

    return work


@pytest.fixture
def dbt_dir(dbt_work: Callable[..., Path]) -> Path:
    """The test's dbt work dir (target/ and logs/), parsed already."""
    return dbt_work()
