"""`make demo` refuses what is not the demo's: a non-demo warehouse, other accounts, connections it did not make."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from sellerflow.demo.guard import DEMO_MARK, DemoRefusedError, check_airflow, check_warehouse, marked
from sellerflow.installation.ownership import claim
from sellerflow.installation.settings import Installation, resolve
from sellerflow.warehouse.migrations import migrate


@pytest.fixture
def claimed(tmp_path: Path) -> Iterator[tuple[str, Installation]]:
    """(admin DSN, an installation whose two databases exist, are marked and migrated); dropped afterwards."""
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    instance = f"g{uuid.uuid4().hex[:10]}"
    installation = resolve(tmp_path, admin, {"SELLERFLOW_INSTANCE": instance})
    claim(admin, installation)
    migrate(installation.warehouse_dsn)
    try:
        yield admin, installation
    finally:
        with psycopg.connect(make_conninfo(admin), autocommit=True) as conn:
            for name in (installation.airflow_db, installation.warehouse_db):
                conn.execute(f'drop database if exists "{name}" with (force)')


def test_the_demo_warehouse_of_this_instance_with_demo_accounts_passes(claimed) -> None:
    _, installation = claimed
    with psycopg.connect(installation.warehouse_dsn, autocommit=True) as conn:
        conn.execute(
            "insert into ops.sync_state (source, account_id, stream) values ('ozon', 'ozon_main', 'x')"
        )
    check_warehouse(installation.warehouse_dsn, installation.instance, {"ozon_main", "ut_main"})


def test_a_warehouse_with_accounts_the_world_does_not_have_is_refused(claimed) -> None:
    _, installation = claimed
    with psycopg.connect(installation.warehouse_dsn, autocommit=True) as conn:
        conn.execute(
            "insert into ops.sync_state (source, account_id, stream) values ('ozon', 'acme_real', 'x')"
        )
    with pytest.raises(DemoRefusedError, match="acme_real"):
        check_warehouse(installation.warehouse_dsn, installation.instance, {"ozon_main"})


def test_a_warehouse_of_another_instance_or_purpose_is_refused(claimed) -> None:
    admin, installation = claimed
    with pytest.raises(DemoRefusedError, match="not a demo database of instance 'someone_else'"):
        check_warehouse(installation.warehouse_dsn, "someone_else", set())
    with psycopg.connect(make_conninfo(admin), autocommit=True) as conn:
        conn.execute(
            f'comment on database "{installation.warehouse_db}" is \'sellerflow installation '
            f'{{"instance": "{installation.instance}", "purpose": "installation", "role": "warehouse"}}\''
        )
    with pytest.raises(DemoRefusedError, match="only runs on the demo databases"):
        check_warehouse(installation.warehouse_dsn, installation.instance, set())


def test_connections_the_demo_did_not_make_are_refused() -> None:
    ours = {"connection_id": "mp_ozon_main", "description": marked("Ozon main")}
    check_airflow([ours], marked("accounts"))
    check_airflow([ours], None)
    with pytest.raises(DemoRefusedError, match="connections mp_ozon_prod"):
        check_airflow([ours, {"connection_id": "mp_ozon_prod", "description": "Ozon, real cabinet"}], None)
    with pytest.raises(DemoRefusedError, match="Variable sellerflow_accounts"):
        check_airflow([ours], "accounts of the real shop")


def test_marked_descriptions_are_marked_once() -> None:
    assert marked("Ozon main") == f"{DEMO_MARK} Ozon main"
    assert marked(marked("Ozon main")) == f"{DEMO_MARK} Ozon main"
