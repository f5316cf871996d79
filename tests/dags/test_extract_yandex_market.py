"""extract_yandex_market: structure in the DagBag, and a real `airflow dags test` run against the Yandex Market
emulator with two cabinets, in which one broken account fails only its own mapped task."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.emulators.runtime import EmulatorState
from sellerflow.emulators.testing import serve_in_thread
from sellerflow.emulators.yandex_market import create_app
from sellerflow.extract.testing import connections, generate_world
from sellerflow.sources.yandex_market.testing import (
    SECOND,
    SECOND_TOKEN,
    TEST_EXTRA,
    add_second_cabinet,
    expected,
    relax_report_quota,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(ROOT / "dags" / "extract_yandex_market.py"))
    assert bag.import_errors == {}
    return bag.dags["extract_yandex_market"]


def test_maps_one_task_per_account_in_the_yandex_market_pool(dag) -> None:
    assert {t.task_id for t in dag.tasks} == {
        "migrate_warehouse",
        "list_accounts",
        "extract_account",
        "publish_assets",
        "all_accounts_extracted",
    }
    extract = dag.get_task("extract_account")
    assert extract.pool == "yandex_market"
    assert extract.retries >= 1
    assert "list_accounts" in extract.upstream_task_ids
    assert dag.get_task("publish_assets").trigger_rule == "all_done"


def test_runs_every_ten_minutes_and_emits_the_raw_assets(dag) -> None:
    assert dag.timetable.expression == "*/10 * * * *"
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert {
        "warehouse.raw.yandex_market_orders",
        "warehouse.raw.yandex_market_order_statuses",
        "warehouse.raw.yandex_market_stocks",
        "warehouse.raw.yandex_market_realization_rows",
    } <= outlets
    assert "yandex_market" in dag.tags
    assert len(dag.doc_md) > 200


def test_transform_dbt_is_scheduled_by_the_yandex_market_assets() -> None:
    bag = DagBag(dag_folder=str(ROOT / "dags" / "transform_dbt.py"))
    names = {asset.name for asset in bag.dags["transform_dbt"].timetable.asset_condition.objects}
    assert {"warehouse.raw.yandex_market_orders", "warehouse.raw.yandex_market_realization_rows"} <= names


@pytest.mark.e2e
def test_dag_run_lands_both_cabinets_and_fails_only_the_broken_one(
    tmp_path: Path, fresh_dsn: str, run_dag
) -> None:
    world = generate_world(tmp_path)
    add_second_cabinet(world)
    shutil.copy(world, tmp_path / "served.sqlite")
    state = EmulatorState(tmp_path / "served.sqlite")
    relax_report_quota(state)
    env = {"SELLERFLOW_WAREHOUSE_DSN": fresh_dsn, "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": fresh_dsn}
    extra = {**TEST_EXTRA, "horizon_days": 120}  # the run's clock is today, the world's is in 2026-09
    with serve_in_thread(create_app(state)) as url:
        conns = [
            (c["conn_id"], c["password"], {**c["extra"], **extra})
            for c in connections(tmp_path, "yandex_market")
        ]
        conns.append((f"mp_{SECOND}", SECOND_TOKEN, {**extra, "account_id": SECOND}))
        conns.append(("mp_yandex_market_broken", "ACMA:not-a-valid-key-000:00", {"account_id": "ym_broken"}))
        for conn_id, token, extra in conns:
            body = {"conn_type": "http", "host": url, "password": token, "extra": extra}
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(body)
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps({"yandex_market": [c[0] for c in conns]})
        result = run_dag("extract_yandex_market", env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run fails because one account failed"
    assert "ym_broken (connection mp_yandex_market_broken)" in output
    assert "Fix:" in output
    assert "not-a-valid-key-000" not in output
    assert SECOND_TOKEN.split(":")[1] not in output
    want = expected(world)
    with psycopg.connect(fresh_dsn) as conn:
        landed = {
            entity: dict(
                conn.execute(
                    f"select account_id, count(distinct natural_key) from raw.yandex_market_{entity} group by 1"
                ).fetchall()
            )
            for entity in ("orders", "stocks", "realization_rows")
        }
    for entity, per_account in landed.items():
        assert per_account == dict(want[entity]), (entity, output[-3000:])
