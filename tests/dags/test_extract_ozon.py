"""extract_ozon: structure in the DagBag, and a real `airflow dags test` run against the Ozon emulator in which
one broken account fails only its own mapped task."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.emulators.ozon import create_app
from sellerflow.emulators.runtime import EmulatorState
from sellerflow.emulators.testing import serve_in_thread
from sellerflow.extract.testing import connections, generate_world, ozon_expected

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(ROOT / "dags" / "extract_ozon.py"))
    assert bag.import_errors == {}
    return bag.dags["extract_ozon"]


def test_maps_one_task_per_account_in_the_ozon_pool(dag) -> None:
    assert {t.task_id for t in dag.tasks} == {
        "migrate_warehouse",
        "list_accounts",
        "extract_account",
        "publish_assets",
        "all_accounts_extracted",
    }
    extract = dag.get_task("extract_account")
    assert extract.pool == "ozon"
    assert extract.retries >= 1
    assert "list_accounts" in extract.upstream_task_ids
    assert dag.get_task("publish_assets").trigger_rule == "all_done"


def test_runs_every_ten_minutes_and_emits_the_raw_assets(dag) -> None:
    assert dag.timetable.expression == "*/10 * * * *"
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert {"warehouse.raw.ozon_postings_fbs", "warehouse.raw.ozon_realization_rows"} <= outlets
    assert "ozon" in dag.tags
    assert len(dag.doc_md) > 200


def test_transform_dbt_is_scheduled_by_the_ozon_assets() -> None:
    bag = DagBag(dag_folder=str(ROOT / "dags" / "transform_dbt.py"))
    names = {asset.name for asset in bag.dags["transform_dbt"].timetable.asset_condition.objects}
    assert {"warehouse.raw.onec_products", "warehouse.raw.ozon_postings_fbs"} <= names


@pytest.mark.e2e
def test_dag_run_lands_good_accounts_and_fails_only_the_broken_one(
    tmp_path: Path, fresh_dsn: str, run_dag
) -> None:
    world = generate_world(tmp_path)
    shutil.copy(world, tmp_path / "served.sqlite")
    state = EmulatorState(tmp_path / "served.sqlite")
    env = {
        "SELLERFLOW_WAREHOUSE_DSN": fresh_dsn,
        "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": fresh_dsn,
    }
    conn_ids = []
    with serve_in_thread(create_app(state)) as url:
        for conn in connections(tmp_path, "ozon"):
            extra = {**conn["extra"], "horizon_days": 120}
            body = {"conn_type": "http", "host": url, "login": conn["login"], "password": conn["password"]}
            env[f"AIRFLOW_CONN_{conn['conn_id'].upper()}"] = json.dumps({**body, "extra": extra})
            conn_ids.append(conn["conn_id"])
        broken = {"conn_type": "http", "host": url, "login": "424242", "password": "not-a-valid-key-000"}
        env["AIRFLOW_CONN_MP_OZON_BROKEN"] = json.dumps({**broken, "extra": {"account_id": "ozon_broken"}})
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps({"ozon": [*conn_ids, "mp_ozon_broken"]})
        result = run_dag("extract_ozon", env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run fails because one account failed"
    assert "ozon_broken (connection mp_ozon_broken)" in output
    assert "Fix:" in output
    assert "not-a-valid-key-000" not in output
    expected = ozon_expected(world)
    with psycopg.connect(fresh_dsn) as conn:
        landed = dict(
            conn.execute(
                "select account_id, count(distinct natural_key) from raw.ozon_postings_fbs group by 1"
            ).fetchall()
        )
    assert landed == dict(expected["postings_fbs"]), output[-3000:]
