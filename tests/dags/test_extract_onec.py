"""extract_onec: one DAG ticking every 5 minutes, three cadences, mapped land tasks in the onec pool (which groups a
run does: tests/sources/onec/test_schedule.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "extract_onec.py"


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["extract_onec"]


def test_ticks_every_five_minutes_one_run_at_a_time(dag) -> None:
    assert dag.timetable.expression == "*/5 * * * *"
    assert dag.max_active_runs == 1
    assert dag.catchup is False


@pytest.mark.parametrize("task_id", ["land_catalog", "land_documents", "land_stock"])
def test_land_tasks_are_mapped_over_bases_in_the_onec_pool(dag, task_id: str) -> None:
    task = dag.get_task(task_id)
    assert task.pool == "onec"
    assert "list_bases" in task.upstream_task_ids
    assert task.execution_timeout is not None


@pytest.mark.parametrize(
    ("gate", "land"),
    [("catalogs_due", "land_catalog"), ("documents_due", "land_documents"), ("stock_due", "land_stock")],
)
def test_each_group_sits_behind_its_short_circuit(dag, gate: str, land: str) -> None:
    assert land in dag.get_task(gate).downstream_task_ids
    assert "list_bases" in dag.get_task(gate).upstream_task_ids, "which migrates the warehouse first"


def test_assets_are_emitted_for_dbt_and_reverse_etl(dag) -> None:
    def outlets(task_id: str) -> set[str]:
        return {asset.name for asset in dag.get_task(task_id).outlets}

    assert "warehouse.raw.onec_products" in outlets("check_catalog_quality")
    assert {
        "warehouse.raw.onec_barcodes",
        "warehouse.raw.onec_prices",
        "warehouse.raw.onec_storage_cells",
    } <= outlets("land_catalog")
    assert {"warehouse.raw.onec_customer_orders", "warehouse.raw.onec_shipments"} <= outlets("land_documents")
    assert outlets("land_stock") == {"warehouse.raw.onec_stock"}
    assert "check_catalog_quality" in dag.get_task("land_catalog").downstream_task_ids


def test_doc_explains_the_cadences(dag) -> None:
    for word in ("every 5 minutes", "every 10", "hourly", "pool"):
        assert word in dag.doc_md
