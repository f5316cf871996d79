"""extract_megamarket: structure in the DagBag, and a real `airflow dags test` run against the Megamarket emulator
in which one broken account fails only its own mapped task."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.emulators.megamarket import create_app
from sellerflow.emulators.runtime import EmulatorState
from sellerflow.emulators.testing import serve_in_thread
from sellerflow.extract.testing import connections
from sellerflow.sources.megamarket.testing import expected, make_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(ROOT / "dags" / "extract_megamarket.py"))
    assert bag.import_errors == {}
    return bag.dags["extract_megamarket"]


def test_maps_one_task_per_account_in_the_megamarket_pool(dag) -> None:
    assert {t.task_id for t in dag.tasks} == {
        "migrate_warehouse",
        "list_accounts",
        "extract_account",
        "publish_assets",
        "all_accounts_extracted",
    }
    extract = dag.get_task("extract_account")
    assert extract.pool == "megamarket"
    assert extract.retries >= 1
    assert "list_accounts" in extract.upstream_task_ids
    assert dag.get_task("publish_assets").trigger_rule == "all_done"


def test_runs_every_ten_minutes_and_emits_the_raw_assets(dag) -> None:
    assert dag.timetable.expression == "*/10 * * * *"
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert {
        "warehouse.raw.megamarket_shipments",
        "warehouse.raw.megamarket_shipment_statuses",
        "warehouse.raw.megamarket_report_rows",
    } <= outlets
    assert "megamarket" in dag.tags
    assert len(dag.doc_md) > 200


def test_transform_dbt_is_scheduled_by_the_megamarket_assets() -> None:
    bag = DagBag(dag_folder=str(ROOT / "dags" / "transform_dbt.py"))
    names = {asset.name for asset in bag.dags["transform_dbt"].timetable.asset_condition.objects}
    assert {"warehouse.raw.megamarket_shipments", "warehouse.raw.megamarket_report_rows"} <= names


@pytest.mark.e2e
def test_dag_run_lands_good_accounts_and_fails_only_the_broken_one(
    tmp_path: Path, fresh_dsn: str, run_dag
) -> None:
    make_world(tmp_path)
    shutil.copy(tmp_path / "world.sqlite", tmp_path / "served.sqlite")
    state = EmulatorState(tmp_path / "served.sqlite")
    env = {"SELLERFLOW_WAREHOUSE_DSN": fresh_dsn, "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": fresh_dsn}
    conn_ids = []
    with serve_in_thread(create_app(state)) as url:
        for conn in connections(tmp_path, "megamarket"):
            extra = {**conn["extra"], "horizon_days": 120}
            body = {"conn_type": "http", "host": url, "password": conn["password"]}
            env[f"AIRFLOW_CONN_{conn['conn_id'].upper()}"] = json.dumps({**body, "extra": extra})
            conn_ids.append(conn["conn_id"])
        broken = {"conn_type": "http", "host": url, "password": "NOT-A-VALID-MERCHANT-TOKEN"}
        env["AIRFLOW_CONN_MP_MEGAMARKET_BROKEN"] = json.dumps(
            {**broken, "extra": {"account_id": "megamarket_broken"}}
        )
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps(
            {"megamarket": [*conn_ids, "mp_megamarket_broken"]}
        )
        result = run_dag("extract_megamarket", env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run fails because one account failed"
    assert "megamarket_broken (connection mp_megamarket_broken)" in output
    assert "Fix:" in output
    assert "NOT-A-VALID-MERCHANT-TOKEN" not in output
    with psycopg.connect(fresh_dsn) as conn:
        landed = dict(
            conn.execute(
                "select account_id, count(distinct natural_key) from raw.megamarket_shipments group by 1"
            ).fetchall()
        )
        credentials = dict(
            conn.execute("select account_id, status from ops.account_credentials where source = 'megamarket'")
        )
    assert len(conn_ids) == 2
    assert landed == dict(expected(tmp_path / "world.sqlite")["shipments"]), output[-3000:]
    assert credentials["megamarket_broken"] == "failed"
    assert credentials["megamarket_main"] == "ok"
