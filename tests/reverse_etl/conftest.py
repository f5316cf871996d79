"""A small world with every marketplace extracted, the reservations model built, and helpers per test.

Built once per session (``built_world``, tests/built_world.py; ~40 s): a scenario world, a throwaway warehouse with
the full extraction of 1C and the four marketplaces, the hot path's new-order lists landed, and ``dbt run
+sync_onec__reservations``. Each module gets its own copy (``world``: the world's files, and its warehouse as a
database made from the built one as template), so a module's changes never reach another; each test then gets a
pristine copy of the module's world (so 1C writes never leak between tests) served by the 1C emulator, and an empty
outbox.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.conftest import throwaway_database

from sellerflow.extract.account import extract_account
from sellerflow.orchestration.connections import onec_settings
from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.reverse_etl import accounts as settings
from sellerflow.reverse_etl.new_orders import ensure_tables, poll_new_orders
from sellerflow.sources.onec import OneCBase
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import FAST, accounts

MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")
SCENARIO = ("--seed", "11", "--days", "3", "--orders-per-day", "120")


def world_sql(path: Path, query: str, *params: object) -> list[tuple]:
    """Rows of a query on an emulator world (sqlite), read directly: the expectations' side of a test."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def crash_after_first_ack(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker dies right after the vendor acknowledged the first item, before the outbox records it.

    Returns the list that receives the crashed item's id; recording works normally again after the first crash.
    """
    from sellerflow.reverse_etl import outbox

    real_record = outbox.record
    crashed: list[int] = []

    def crash_once(conn, item, outcome, **kw):
        if not crashed and outcome.kind == "acknowledged":
            crashed.append(item.id)
            raise SystemExit("worker killed after the vendor answered")
        return real_record(conn, item, outcome, **kw)

    monkeypatch.setattr(outbox, "record", crash_once)
    return crashed


OUTBOX_TABLES = "ops.outbox_attempts, ops.outbox_acknowledged, ops.outbox"


@dataclass
class World:
    """The built module world."""

    dir: Path
    dsn: str
    connections: list[dict[str, Any]]
    now: Any

    def onec_bases(self, url: str) -> dict[str, OneCBase]:
        """The 1C bases of accounts.json pointed at an emulator on ``url`` (fast retries)."""
        out = {}
        for conn in self.connections:
            if not conn["conn_id"].startswith("onec_"):
                continue
            path = conn["host"].split("/", 3)[3]
            base_id = conn["conn_id"].removeprefix("onec_")
            out[base_id] = OneCBase(
                base_id,
                f"{url}/{path}",
                conn["login"],
                conn["password"],
                **{
                    **onec_settings(conn["extra"]),
                    "retry_initial_s": 0.05,
                    "retry_max_s": 0.5,
                    "timeout_s": 10,
                },
            )
        return out


def _pace(marketplace: str, state: EmulatorState) -> dict[str, Any]:
    if marketplace == "wildberries":
        from sellerflow_emulators.testing.wildberries import SPEED, apply_limits, scaled_limits

        emulator, client = scaled_limits(SPEED)
        apply_limits(state, emulator)
        return {"rate_limits": client}
    if marketplace == "yandex_market":
        from sellerflow_emulators.testing.yandex_market import TEST_EXTRA, relax_report_quota

        relax_report_quota(state)
        return {k: v for k, v in TEST_EXTRA.items() if k != "horizon_days"}
    return {}


def build_world(world_dir: Path, dsn: str, dbt_dir: Path) -> World:
    """Generate, extract everything, land the new-order lists, write the settings, build the model."""
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", *SCENARIO, "--out", str(world_dir)],
        check=True,
        capture_output=True,
    )
    migrate(dsn)
    state = EmulatorState(world_dir / "world.sqlite")
    document = json.loads((world_dir / "accounts.json").read_text())
    world = World(world_dir, dsn, document["connections"], state.now())
    with ExitStack() as stack:
        onec_url = stack.enter_context(
            serve_in_thread(importlib.import_module("sellerflow_emulators.onec").create_app(state))
        )
        bases = world.onec_bases(onec_url)
        for base in bases.values():
            for step in (extract_catalogs, extract_documents, extract_stock):
                step(base, dsn, "test", world.now)
        organizations = {b.base_id: b.organization_key for b in bases.values()}
        rows = []
        for marketplace in MARKETPLACES:
            app = importlib.import_module(f"sellerflow_emulators.{marketplace}").create_app(state)
            url = stack.enter_context(serve_in_thread(app))
            extra = _pace(marketplace, state)
            for account in accounts(world_dir, marketplace, url, horizon_days=10, **extra):
                extract_account(account, dsn, "test", world.now, force=True, client_options=FAST)
                poll_new_orders(account, dsn, "test", world.now, client_options=FAST)
                rows.append((account, settings.reservation_settings(account, organizations)))
        settings.store(dsn, rows)
    ensure_tables(dsn)
    for args in (("seed",), ("run", "--select", "+sync_onec__reservations")):
        built = run_dbt(dsn, dbt_dir, *args)
        assert built.returncode == 0, built.stdout[-5000:]
    return world


@pytest.fixture(scope="module")
def world(
    built_world: World, world_copy_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The module's world: its own copy of the session's built world (files and warehouse)."""
    with copy_world(built_world, tmp_path_factory.mktemp("world"), world_copy_name) as copy:
        yield copy


@contextmanager
def copy_world(built: World, into: Path, name: str | None = None) -> Iterator[World]:
    """A private copy of a built world: its files in ``into`` and its warehouse as a new database (template copy),
    named ``name`` if given (``world_copy_name``: no other copy may be alive)."""
    shutil.copytree(built.dir, into, dirs_exist_ok=True)
    with throwaway_database(template=built.dsn, name=name) as dsn:
        yield World(into, dsn, built.connections, built.now)


def outbox_rows(dsn: str, query: str, *params: Any) -> list[tuple]:
    """Rows of a query on the warehouse (the outbox and its attempts)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params or None).fetchall()


@dataclass
class Vendors:
    """A fresh copy of the world served by the four marketplace emulators."""

    state: EmulatorState
    path: Path
    accounts: dict[str, Any]

    def sql(self, query: str, *params: object) -> list[tuple]:
        """Read the emulators' world directly (the expectations' side)."""
        return world_sql(self.path, query, *params)

    def target(self, name: str, **client_options: Any):
        """A marketplace target talking to these emulators (fast client back-off)."""
        from sellerflow.reverse_etl.targets import marketplace_target

        return marketplace_target(name, self.accounts.__getitem__, {"backoff_base_s": 0.01, **client_options})

    def push_each(self, dsn: str, names: Iterable[str], **push_options: Any) -> dict[str, dict]:
        """One push cycle of each named target: the push summary, plus the requests the target made."""
        from sellerflow.reverse_etl.push import push

        out = {}
        for name in names:
            target = self.target(name)
            out[name] = push(dsn, target, **push_options)
            out[name]["requests"] = target.requests_made
            target.close()
        return out

    def pushes(self, marketplace: str, path: str = "%") -> int:
        """Writes the vendor logged (``push_log``), optionally those of one path (SQL ``like``)."""
        return int(
            self.sql("select count(*) from push_log where vendor = ? and path like ?", marketplace, path)[0][
                0
            ]
        )


@contextmanager
def serve_vendors(world: World, tmp_path: Path) -> Iterator[Vendors]:
    """A pristine copy of ``world``'s emulator world served by the four marketplace emulators; empty outbox."""
    path = tmp_path / "world.sqlite"
    shutil.copy(world.dir / "world.sqlite", path)
    state = EmulatorState(path)
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        conn.execute(f"truncate {OUTBOX_TABLES} restart identity")
    found: dict[str, Any] = {}
    with ExitStack() as stack:
        for marketplace in MARKETPLACES:
            app = importlib.import_module(f"sellerflow_emulators.{marketplace}").create_app(state)
            url = stack.enter_context(serve_in_thread(app))
            for account in accounts(world.dir, marketplace, url, **_pace(marketplace, state)):
                found[account.account_id] = account
        yield Vendors(state, path, found)


@dataclass
class Onec:
    """A pristine copy of the world served by the 1C emulator for one test."""

    state: EmulatorState
    path: Path
    url: str
    bases: dict[str, OneCBase]

    def sql(self, query: str, *params: object) -> list[tuple]:
        """Read the emulator's world directly (the expectations' side)."""
        return world_sql(self.path, query, *params)


@pytest.fixture
def onec(world: World, tmp_path: Path) -> Iterator[Onec]:
    """1C over HTTP on a fresh copy of the world, and an empty outbox."""
    path = tmp_path / "world.sqlite"
    shutil.copy(world.dir / "world.sqlite", path)
    state = EmulatorState(path)
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        conn.execute(f"truncate {OUTBOX_TABLES} restart identity")
    with serve_in_thread(importlib.import_module("sellerflow_emulators.onec").create_app(state)) as url:
        yield Onec(state, path, url, world.onec_bases(url))
