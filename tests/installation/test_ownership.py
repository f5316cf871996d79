"""Claiming the installation's databases on a real server: create and mark, verify, refuse, take over."""

from __future__ import annotations

from pathlib import Path

import pytest

from sellerflow.installation.ownership import (
    MARK_PREFIX,
    NotOurDatabaseError,
    claim,
    mark_of,
    ports_of_other_installations,
)
from sellerflow.installation.settings import resolve

from .conftest import admin_dsn


def test_claim_creates_both_databases_and_marks_them(tmp_path: Path, instance: str) -> None:
    installation = resolve(tmp_path, admin_dsn(), {"SELLERFLOW_INSTANCE": instance})
    done = claim(admin_dsn(), installation)
    assert len(done) == 2
    assert all(line.startswith("created database") for line in done)
    mark = mark_of(installation.warehouse_dsn)
    assert mark == {"instance": instance, "purpose": "demo", "role": "warehouse"}
    assert mark_of(installation.airflow_dsn)["role"] == "airflow"
    assert claim(admin_dsn(), installation) == []  # a second run finds both its own


def test_claim_records_the_ports_that_other_installations_then_avoid(tmp_path: Path, instance: str) -> None:
    installation = resolve(tmp_path, admin_dsn(), {"SELLERFLOW_INSTANCE": instance})
    claim(admin_dsn(), installation, ports={"airflow": 18200, "emulators": 18210})
    assert mark_of(installation.warehouse_dsn)["ports"] == {"airflow": 18200, "emulators": 18210}
    assert {18200, 18210} <= ports_of_other_installations(admin_dsn(), f"{instance}_2")
    assert not {18200, 18210} & ports_of_other_installations(admin_dsn(), instance)  # its own are free to it
    moved = claim(admin_dsn(), installation, ports={"airflow": 18300, "emulators": 18310})
    assert len(moved) == 2
    assert all(line.startswith("recorded the ports") for line in moved)
    assert mark_of(installation.airflow_dsn)["ports"] == {"airflow": 18300, "emulators": 18310}
    assert claim(admin_dsn(), installation, ports={"airflow": 18300, "emulators": 18310}) == []


@pytest.mark.parametrize(
    "comment", [None, MARK_PREFIX + '{"instance": "someone_else", "purpose": "demo", "role": "warehouse"}']
)
def test_a_foreign_database_stops_the_claim_and_nothing_changes(
    tmp_path: Path, instance: str, comment: str | None, create_database, database_facts
) -> None:
    installation = resolve(tmp_path, admin_dsn(), {"SELLERFLOW_INSTANCE": instance})
    create_database(installation.warehouse_db, comment, rows=5)
    with pytest.raises(NotOurDatabaseError) as refused:
        claim(admin_dsn(), installation)
    message = str(refused.value)
    assert f'"{installation.warehouse_db}"' in message
    assert ("someone_else" in message) == (comment is not None)
    assert f"SELLERFLOW_INSTANCE={instance}_2 make" in message
    assert f"SELLERFLOW_TAKE_OVER={installation.warehouse_db} make" in message
    assert database_facts(installation.warehouse_db) == (5, comment)
    assert database_facts(installation.airflow_db) is None  # not even the free one was created


def test_take_over_marks_the_database_and_keeps_its_rows(
    tmp_path: Path, instance: str, create_database, database_facts
) -> None:
    installation = resolve(tmp_path, admin_dsn(), {"SELLERFLOW_INSTANCE": instance})
    create_database(installation.warehouse_db, None, rows=7)
    done = claim(admin_dsn(), installation, take_over={installation.warehouse_db})
    assert any(line.startswith(f'took over database "{installation.warehouse_db}"') for line in done)
    rows, comment = database_facts(installation.warehouse_db)
    assert rows == 7
    assert comment.startswith(MARK_PREFIX)
    assert mark_of(installation.warehouse_dsn)["instance"] == instance
