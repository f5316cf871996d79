"""extract_onec: one DAG ticking every 5 minutes, three cadences, mapped land tasks in the onec pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.pipelines.onec_schedule import due_groups

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
    assert "migrate_warehouse" in dag.get_task(gate).upstream_task_ids


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


def _groups(at: datetime, scheduled: bool = True) -> set[str]:
    return {group for group, due in due_groups(at, scheduled).items() if due}


def test_cadences_over_an_hour_of_scheduled_runs() -> None:
    start = datetime(2026, 9, 18, 10, 0, tzinfo=UTC)
    runs = [_groups(start + timedelta(minutes=5 * i)) for i in range(12)]
    assert sum("stock" in r for r in runs) == 12
    assert sum("documents" in r for r in runs) == 6
    assert sum("catalogs" in r for r in runs) == 1
    assert runs[0] == {"stock", "documents", "catalogs"}
    assert runs[1] == {"stock"}


def test_a_late_run_keeps_its_slot_and_a_manual_run_does_everything() -> None:
    assert _groups(datetime(2026, 9, 18, 10, 10, 47, tzinfo=UTC)) == {"stock", "documents"}
    assert _groups(datetime(2026, 9, 18, 10, 5, tzinfo=UTC), scheduled=False) == {
        "stock",
        "documents",
        "catalogs",
    }


def test_a_group_that_missed_its_slot_or_never_landed_is_done_at_the_next_tick() -> None:
    at = datetime(2026, 9, 18, 10, 5, tzinfo=UTC)  # a stock-only slot
    fresh = {
        "stock": at - timedelta(minutes=5),
        "documents": at - timedelta(minutes=5),
        "catalogs": at - timedelta(minutes=5),
    }
    assert {g for g, due in due_groups(at, True, fresh).items() if due} == {"stock"}
    first_run = {"stock": None, "documents": None, "catalogs": None}
    assert {g for g, due in due_groups(at, True, first_run).items() if due} == {
        "stock",
        "documents",
        "catalogs",
    }
    missed_hour = {**fresh, "catalogs": at - timedelta(minutes=65)}
    assert {g for g, due in due_groups(at, True, missed_hour).items() if due} == {"stock", "catalogs"}


def test_last_landed_reads_the_groups_last_successful_loads(fresh_dsn: str) -> None:
    from sellerflow.pipelines.onec_schedule import last_landed
    from sellerflow.warehouse import migrate

    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id, status, finished_at) values"
            " ('onec', 'products', 'ut_main', 'r', 'succeeded', '2026-09-18 09:00+00'),"
            " ('onec', 'products', 'ut_main', 'r', 'failed', '2026-09-18 10:00+00'),"
            " ('onec', 'stock', 'ut_main', 'r', 'succeeded', '2026-09-18 10:00+00')"
        )
    landed = last_landed(fresh_dsn)
    assert landed["catalogs"] == datetime(2026, 9, 18, 9, 0, tzinfo=UTC)
    assert landed["stock"] == datetime(2026, 9, 18, 10, 0, tzinfo=UTC)
    assert landed["documents"] is None


def test_slots_are_counted_in_utc() -> None:
    half_past_in_india = datetime(2026, 9, 18, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert _groups(half_past_in_india) == {"stock", "documents", "catalogs"}, "10:00 UTC"
