"""The foundation pipeline end to end: 1C emulator over HTTP → extract_onec (Airflow) → raw → transform_dbt
(Cosmos, real dbt) → staging, on a throwaway warehouse database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from sellerflow.orchestration.dbt_cli import profile_env

pytestmark = pytest.mark.e2e


def world_products(scenario_dir: Path) -> dict[str, int]:
    """Catalog items per 1C base, counted from the generator's world (the expectation)."""
    with sqlite3.connect(scenario_dir / "world.sqlite") as world:
        return dict(world.execute("select base_id, count(*) from products group by base_id").fetchall())


def world_documents(scenario_dir: Path, doc_type: str) -> dict[str, int]:
    """1C documents of one type per base in the generator's world."""
    with sqlite3.connect(scenario_dir / "world.sqlite") as world:
        return dict(
            world.execute(
                "select base_id, count(*) from onec_documents where doc_type = ? group by base_id",
                (doc_type,),
            ).fetchall()
        )


@pytest.fixture(scope="module")
def pipeline_env(scenario_dir: Path, onec_url: str, warehouse_dsn: str) -> dict[str, str]:
    with sqlite3.connect(scenario_dir / "world.sqlite") as world:
        bases = world.execute("select id, username, password from onec_bases order by id").fetchall()
    env = {
        "SELLERFLOW_WAREHOUSE_DSN": warehouse_dsn,
        "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": warehouse_dsn,
        **profile_env(warehouse_dsn),
        "AIRFLOW_VAR_SELLERFLOW_ACCOUNTS": json.dumps({"onec": [f"onec_{base}" for base, _, _ in bases]}),
    }
    for base, username, password in bases:
        env[f"AIRFLOW_CONN_ONEC_{base.upper()}"] = json.dumps(
            {
                "conn_type": "http",
                "host": f"{onec_url}/{base}/odata/standard.odata",
                "login": username,
                "password": password,
            }
        )
    return env


def test_extract_onec_lands_every_catalog_item(
    run_dag, pipeline_env: dict[str, str], scenario_dir: Path
) -> None:
    result = run_dag("extract_onec", pipeline_env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with psycopg.connect(pipeline_env["SELLERFLOW_WAREHOUSE_DSN"]) as conn:
        landed = dict(
            conn.execute(
                "select account_id, count(distinct natural_key) from raw.onec_products group by account_id"
            ).fetchall()
        )
        verdicts = conn.execute("select suite, success from ops.quality_results").fetchall()
        # A manual run does every cadence group: documents and stock land too.
        orders = dict(
            conn.execute("select account_id, count(*) from raw.onec_customer_orders group by 1").fetchall()
        )
        stock = conn.execute("select count(*) from raw.onec_stock").fetchone()
    assert landed == world_products(scenario_dir)
    assert ("raw.onec_products", True) in verdicts
    assert orders == world_documents(scenario_dir, "ЗаказКлиента")
    assert stock is not None
    assert stock[0] > 0


def test_rerun_adds_no_rows(run_dag, pipeline_env: dict[str, str]) -> None:
    dsn = pipeline_env["SELLERFLOW_WAREHOUSE_DSN"]
    with psycopg.connect(dsn) as conn:
        before = conn.execute("select count(*) from raw.onec_products").fetchone()
    result = run_dag("extract_onec", pipeline_env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with psycopg.connect(dsn) as conn:
        after = conn.execute("select count(*) from raw.onec_products").fetchone()
    assert after == before


# `airflow dags test` runs one task at a time and a deferred one to its end in-process, so a model's watcher
# task picked before dbt_producer_watcher would wait forever for a build that cannot start. The build here is
# the real one (the producer's `dbt build`); the per-model tasks, which only report what it did, are marked
# successful. tests/dags/test_transform_scheduling.py runs them under the real scheduler and triggerer.
WATCHER_TASKS = r".*[._](run|test|seed|snapshot)"


def test_transform_dbt_builds_staging_under_cosmos(
    run_dag, pipeline_env: dict[str, str], scenario_dir: Path
) -> None:
    result = run_dag("transform_dbt", pipeline_env, 600, "--mark-success-pattern", WATCHER_TASKS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with psycopg.connect(pipeline_env["SELLERFLOW_WAREHOUSE_DSN"]) as conn:
        staged = dict(
            conn.execute(
                "select onec_base_id, count(*) from staging.stg_onec__products group by 1"
            ).fetchall()
        )
        articles = conn.execute(
            "select count(*) from staging.stg_onec__products where article is null"
        ).fetchone()
    assert staged == world_products(scenario_dir)
    assert articles == (0,)
