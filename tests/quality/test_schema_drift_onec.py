"""1C lands through the same runner, so its drift is found the same way: none from the undrifted 1C emulator, and a
field 1C adds to the catalog items is recorded, warned of and landed."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sellerflow.sources.onec import OneCBase
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.onec import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

DRIFT_LOGGER = "sellerflow.quality.schema_drift"


@pytest.fixture
def onec(pristine_world: Path, tmp_path: Path) -> Iterator[tuple[EmulatorState, list[OneCBase]]]:
    """The 1C emulator over a copy of the small world, and its bases pointed at it."""
    world = tmp_path / "world.sqlite"
    shutil.copy(pristine_world / "world.sqlite", world)
    state = EmulatorState(world)
    with sqlite3.connect(world) as conn:
        bases = conn.execute("select id, username, password from onec_bases order by id").fetchall()
    with serve_in_thread(create_app(state)) as url:
        yield (
            state,
            [
                OneCBase(
                    b,
                    f"{url}/{b}/odata/standard.odata",
                    user,
                    password,
                    retry_initial_s=0.01,
                    retry_max_s=0.05,
                )
                for b, user, password in bases
            ],
        )


def _extract(state: EmulatorState, bases: list[OneCBase], dsn: str) -> None:
    now = state.now()
    for base in bases:
        for step in (extract_catalogs, extract_documents, extract_stock):
            step(base, dsn, "drift", now)


def _drift(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select entity, field_path, kind, seen_type, record_count from ops.schema_drift"
            " where source = 'onec' order by 1, 2"
        ).fetchall()


def test_undrifted_1c_records_no_drift(onec, migrated_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, DRIFT_LOGGER):
        _extract(*onec, migrated_dsn)
    with psycopg.connect(migrated_dsn) as conn:
        (documents,) = conn.execute("select count(*) from raw.onec_customer_orders").fetchone()
    assert documents > 0
    assert _drift(migrated_dsn) == []
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_a_field_1c_adds_is_recorded_and_lands(
    onec, migrated_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    state, bases = onec
    rule = {
        "kind": "schema_extra_field",
        "field": "ДополнительныйРеквизит",
        "rate": 1.0,
        "paths": ["*Catalog_*"],
    }
    state.faults.configure("onec", [parse_rule(rule)])
    with caplog.at_level(logging.WARNING, DRIFT_LOGGER):
        for base in bases:
            extract_catalogs(base, migrated_dsn, "drift", state.now())
    assert state.faults.snapshot()["onec"][0]["faults_served"] > 0
    with psycopg.connect(migrated_dsn) as conn:
        products, drifted = conn.execute(
            "select count(distinct (account_id, natural_key)), count(*) filter (where payload ? %s)"
            " from raw.onec_products",
            ("ДополнительныйРеквизит",),
        ).fetchone()
    assert products > 0
    assert drifted == products, "every drifted product landed, the new field kept"
    assert ("products", "ДополнительныйРеквизит", "new", "string", products) in _drift(migrated_dsn)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("raw.onec_products: ДополнительныйРеквизит new (string)" in w for w in warnings), warnings
