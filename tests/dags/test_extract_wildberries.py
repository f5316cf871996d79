"""extract_wildberries: structure in the DagBag, and a real `airflow dags test` run against the WB emulator in which
one broken account fails only its own mapped task and the token's expiry and categories land in ops."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.extract.testing import connections, generate_world
from sellerflow.sources.wildberries.testing import SPEED, differences, scaled_limits, serve_copy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(ROOT / "dags" / "extract_wildberries.py"))
    assert bag.import_errors == {}
    return bag.dags["extract_wildberries"]


def test_maps_one_task_per_account_in_the_wildberries_pool(dag) -> None:
    assert {t.task_id for t in dag.tasks} == {
        "migrate_warehouse",
        "list_accounts",
        "extract_account",
        "publish_assets",
        "all_accounts_extracted",
    }
    extract = dag.get_task("extract_account")
    assert extract.pool == "wildberries"
    assert extract.retries >= 1
    assert "list_accounts" in extract.upstream_task_ids
    assert dag.get_task("publish_assets").trigger_rule == "all_done"


def test_runs_every_ten_minutes_and_emits_the_raw_assets(dag) -> None:
    assert dag.timetable.expression == "*/10 * * * *"
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert {
        "warehouse.raw.wildberries_orders_fbs",
        "warehouse.raw.wildberries_orders",
        "warehouse.raw.wildberries_sales",
        "warehouse.raw.wildberries_realization_rows",
    } <= outlets
    assert "wildberries" in dag.tags
    assert len(dag.doc_md) > 200


def test_transform_dbt_is_scheduled_by_the_wildberries_assets() -> None:
    bag = DagBag(dag_folder=str(ROOT / "dags" / "transform_dbt.py"))
    names = {asset.name for asset in bag.dags["transform_dbt"].timetable.asset_condition.objects}
    assert {"warehouse.raw.wildberries_orders", "warehouse.raw.wildberries_realization_rows"} <= names


@pytest.mark.e2e
def test_dag_run_lands_good_accounts_and_fails_only_the_broken_one(
    tmp_path: Path, fresh_dsn: str, run_dag
) -> None:
    # `airflow dags test` runs at the wall clock, so the world's clock is today's midnight.
    start = (datetime.now(UTC) - timedelta(days=20)).strftime("%Y-%m-%d")
    generate_world(
        tmp_path / "world", ("--seed", "7", "--days", "20", "--orders-per-day", "40", "--start", start)
    )
    env = {"SELLERFLOW_WAREHOUSE_DSN": fresh_dsn, "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": fresh_dsn}
    conn_ids = []
    with serve_copy(tmp_path / "world", tmp_path) as wb:
        for conn in connections(tmp_path, "wildberries"):
            extra = {**conn["extra"], "horizon_days": 40, "rate_limits": scaled_limits(SPEED)[1]}
            body = {"conn_type": "http", "host": wb.url, "password": conn["password"]}
            env[f"AIRFLOW_CONN_{conn['conn_id'].upper()}"] = json.dumps({**body, "extra": extra})
            conn_ids.append(conn["conn_id"])
        broken = {"conn_type": "http", "host": wb.url, "password": "not-a-valid-wb-token-000"}
        env["AIRFLOW_CONN_MP_WILDBERRIES_BROKEN"] = json.dumps(
            {**broken, "extra": {"account_id": "wildberries_broken"}}
        )
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps(
            {"wildberries": [*conn_ids, "mp_wildberries_broken"]}
        )
        result = run_dag("extract_wildberries", env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run fails because one account failed"
    assert "wildberries_broken (connection mp_wildberries_broken)" in output
    assert "Fix:" in output
    assert "not-a-valid-wb-token-000" not in output
    assert len(conn_ids) == 2
    assert differences(fresh_dsn, wb.world) == {}, output[-3000:]
    with psycopg.connect(fresh_dsn) as conn:
        credentials = {
            a: (status, source, scopes, expires)
            for a, status, source, scopes, expires in conn.execute(
                "select account_id, status, scopes_source, scopes, token_expires_at from ops.account_credentials "
                "where source = 'wildberries'"
            )
        }
    assert credentials["wildberries_broken"][:2] == ("failed", "connection"), "not a JWT: nothing to read"
    status, source, scopes, expires = credentials["wildberries_main"]
    assert (status, source) == ("ok", "token")
    assert {"marketplace", "statistics", "content", "prices"} <= set(scopes)
    assert expires is not None
    assert expires > datetime.now(UTC), "the expiry comes from the token's exp claim"
