"""Shared fixtures: throwaway databases on the real Postgres the setup chose.

``make test`` sources ``.sellerflow/env``, which sets ``SELLERFLOW_PG_ADMIN_DSN`` (a superuser
DSN on the cluster that ``scripts/ensure_postgres.sh`` chose or started). Each fixture creates
its own database, owned by the application role ``sellerflow`` that the setup created, and drops
it afterwards, so tests run with the rights production has.

A test run never touches an installation's databases (this checkout's demo, another checkout's, production
on a shared server): before any test is imported, every variable of .sellerflow/env that names one of them is
pointed at a database that does not exist, and Airflow gets a home of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from tests.database_copy import copy_database_settings

# worlds built once per session (per xdist worker): the small Ozon world and the migrated warehouse of tests/extract
# and tests/quality; the reverse-ETL world; the seeded warehouse of tests/pages and tests/replay. work_units: how
# `make test` deals the tests to its two workers.
pytest_plugins = ("tests.ozon_world", "tests.built_world", "tests.seeded_warehouse", "tests.work_units")

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parents[1]
APP_ROLE, APP_PASSWORD = "sellerflow", "sellerflow"  # created by scripts/ensure_postgres.sh
NO_INSTALLATION_DB = "sellerflow_test_no_installation_database"


def keep_away_from_installations() -> None:
    """Point every installation database variable at a database that does not exist; private AIRFLOW_HOME."""
    nowhere = f"postgresql://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:1/{NO_INSTALLATION_DB}"
    for name in ("SELLERFLOW_WAREHOUSE_DSN", "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE"):
        os.environ[name] = nowhere
    for name in ("SELLERFLOW_AIRFLOW_DB_URL", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        os.environ[name] = nowhere.replace("postgresql://", "postgresql+psycopg2://", 1)
    os.environ["SELLERFLOW_WAREHOUSE_DB"] = NO_INSTALLATION_DB
    os.environ.pop("AIRFLOW__CORE__FERNET_KEY_CMD", None)  # the installation's key: not the tests' business
    for name in ("AIRFLOW__LOGGING__BASE_LOG_FOLDER", "AIRFLOW__COSMOS__CACHE_DIR"):  # its logs and dbt cache
        os.environ.pop(name, None)
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="sellerflow-test-airflow-home-")


keep_away_from_installations()


def admin_dsn() -> str:
    """Superuser DSN of the test cluster."""
    return os.environ.get("SELLERFLOW_PG_ADMIN_DSN", DEFAULT_ADMIN_DSN)


def throwaway_name() -> str:
    """A database name no other test (or test session) uses."""
    return f"sellerflow_test_{uuid.uuid4().hex[:10]}"


def database_url(name: str) -> str:
    """The app role's URL of database ``name`` on the test cluster."""
    params = conninfo_to_dict(admin_dsn())
    host, port = params.get("host") or "127.0.0.1", params.get("port") or 5432
    return f"postgresql://{APP_ROLE}:{APP_PASSWORD}@{host}:{port}/{name}"


@contextmanager
def throwaway_database(template: str | None = None, name: str | None = None) -> Iterator[str]:
    """Create a uniquely named database owned by the app role; yield its URL; drop it afterwards. With ``template``
    (the URL of another throwaway database, which nothing may use any more) the new one is a copy of it. ``name``
    (from ``throwaway_name``) reuses a name whose previous database is gone (tests/dbt: dbt's parse is per name)."""
    name = name or throwaway_name()
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        if template is None:
            conn.execute(f'create database "{name}" owner {APP_ROLE}')
        else:
            source = conninfo_to_dict(template)["dbname"]
            # a copy needs the source idle: close what its build left open (e.g. the limiter's thread connections)
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s "
                "and pid <> pg_backend_pid()",
                (source,),
            )
            conn.execute(f'create database "{name}" template "{source}" owner {APP_ROLE}')
            copy_database_settings(conn, source, name)  # JIT off, as the migration set it on the source
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(admin_dsn(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def prime_dbt(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``prime_dbt(work_dir, dsn, *vars_args)``: put into ``work_dir``/target the session's parse of the dbt project
    for the database name of ``dsn`` and those ``--vars`` (parsed once per name and vars), and return ``work_dir``.

    dbt parses the whole project again (~5 s) on the first run in a new target dir, and whenever its partial-parse
    file was written for another profile (the database name is part of its hash) or other ``--vars``; a primed dir
    starts as a second run of the same checkout does. Only worth it for a database name that several databases
    take in turn (one at a time): tests/dbt, the reverse-ETL world copies."""
    from sellerflow.orchestration.dbt_cli import run_dbt

    parsed: dict[tuple[str, ...], Path] = {}

    def prime(work_dir: Path, dsn: str, *vars_args: str) -> Path:
        key = (conninfo_to_dict(dsn)["dbname"], *vars_args)
        if key not in parsed:
            work = tmp_path_factory.mktemp("dbt_parse")
            done = run_dbt(dsn, work, "parse", *vars_args)  # parsing connects to no database
            assert done.returncode == 0, done.stdout[-3000:]
            parsed[key] = work / "target" / "partial_parse.msgpack"
        (work_dir / "target").mkdir(parents=True, exist_ok=True)
        shutil.copy(parsed[key], work_dir / "target")
        return work_dir

    return prime


@pytest.fixture(scope="session")
def warehouse_dsn() -> Iterator[str]:
    """DSN of a fresh, empty database that lives for the whole test session."""
    with throwaway_database() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def own_session_database() -> Iterator[Callable[[], str]]:
    """Make throwaway databases that live for the whole session, one per call: for a test package whose fixtures
    replace objects that other tests build in the shared session warehouse."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(throwaway_database())


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """A database the warehouse migrations ran on, once per session: the template of ``migrated_dsn`` (nothing
    connects to it after that)."""
    from sellerflow.warehouse.migrations import migrate

    with throwaway_database() as dsn:
        migrate(dsn)
        yield dsn


@pytest.fixture
def migrated_dsn(migrated_template: str) -> Iterator[str]:
    """A fresh, migrated database for one test: a copy of ``migrated_template`` (~0.1 s instead of ~0.4 s of running
    every migration again; tests/warehouse runs them on empty databases)."""
    with throwaway_database(template=migrated_template) as dsn:
        yield dsn


@pytest.fixture
def fresh_dsn() -> Iterator[str]:
    """DSN of a fresh database for one test (for migration tests that need an empty start)."""
    with throwaway_database() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def airflow_metadata_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database for an Airflow metadata schema of the test session."""
    with throwaway_database() as url:
        yield url.replace("postgresql://", "postgresql+psycopg2://", 1)


@pytest.fixture(scope="session")
def airflow_metadata_env(
    tmp_path_factory: pytest.TempPathFactory, airflow_metadata_url: str
) -> dict[str, str]:
    """A private Airflow metadata database and home for the test session.

    A running `make demo` scheduler must not see (and pick up) the tasks of `airflow dags test`, so the
    e2e runs never share its metadata database.
    """
    env = {
        "AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow_home")),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_metadata_url,
    }
    subprocess.run(
        ["airflow", "db", "migrate"], env={**os.environ, **env}, check=True, capture_output=True, cwd=ROOT
    )
    return env


@pytest.fixture(scope="session")
def run_dag(airflow_metadata_env: dict[str, str]):
    """`airflow dags test <dag_id>` in a subprocess with extra environment; output kept for assertion messages."""

    def run(
        dag_id: str, env: dict[str, str], timeout_s: int = 600, *args: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["airflow", "dags", "test", dag_id, *args],
            env={**os.environ, **airflow_metadata_env, **env},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=ROOT,
        )

    return run


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (scripts/ensure_chromium.sh installs it).

    Playwright's own browser downloads come from outside the package registries, so the system
    chromium is launched by path; as root its sandbox must be off. One per module: Playwright's sync API keeps
    an asyncio loop running in the main thread until it stops, and a later test on the same xdist worker could
    not start one of its own (`asyncio.run() cannot be called from a running event loop`).
    """
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("SELLERFLOW_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()
