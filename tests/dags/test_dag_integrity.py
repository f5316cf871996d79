"""Every DAG file imports cleanly and carries the conventions operators rely on in the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
# Every DAG file holds one DAG named after it (test_each_dag_is_named_after_its_file): all carry the conventions.
EXPECTED_DAGS = {path.stem for path in DAGS_DIR.glob("*.py")}


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}


def test_expected_dags_present(dagbag: DagBag) -> None:
    assert set(dagbag.dags) >= EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_conventions(dagbag: DagBag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.doc_md, "doc_md explains the DAG in the UI"
    assert len(dag.doc_md) > 80
    assert "sellerflow" in dag.tags
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.owner == "sellerflow", task.task_id
        if task.task_id == "dbt_producer_watcher":
            continue  # Cosmos skips a producer retry; the failed models' tasks retry alone (see transform_dbt)
        assert task.retries >= 1, task.task_id


def test_each_dag_is_named_after_its_file(dagbag: DagBag) -> None:
    """`make demo` finds the extract DAGs by file name, and people find a DAG's file by its id."""
    for dag in dagbag.dags.values():
        assert Path(dag.fileloc).stem == dag.dag_id


def test_one_dag_per_file_and_files_stay_thin() -> None:
    for path in DAGS_DIR.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 150, f"{path.name}: move logic into include/sellerflow/"


def test_extract_onec_maps_over_bases_in_the_onec_pool(dagbag: DagBag) -> None:
    dag = dagbag.dags["extract_onec"]
    land = dag.get_task("land_catalog")
    assert land.pool == "onec"
    assert {t.task_id for t in dag.tasks} >= {
        "list_bases",
        "land_catalog",
        "check_catalog_quality",
    }
    outlets = {a.name for a in dag.get_task("check_catalog_quality").outlets}
    assert "warehouse.raw.onec_products" in outlets


def test_transform_dbt_watches_one_build_with_every_model_task_waiting_at_once(dagbag: DagBag) -> None:
    """One dbt build; every model's task waits for it right after the quality checks, in the triggerer, reading
    the one status board the producer publishes, and reports the model with its data tests
    (orchestration/dbt_watcher.py)."""
    dag = dagbag.dags["transform_dbt"]
    assert "dbt_producer_watcher" in dag.task_ids, "one dbt build, watched model by model"
    producer = dag.get_task("dbt_producer_watcher")
    # It starts beside the quality checks and builds once they passed (dbt_watcher.wait_for_task).
    assert producer.upstream_task_ids == set()
    assert producer.execute.__name__ == "execute_without_xcom_backup", "the lean producer (dbt_watcher.py)"
    assert "--resource-type" not in producer.dbt_cmd_flags, "the build runs the data tests too"
    flags = producer.dbt_cmd_flags
    assert flags[flags.index("--exclude-resource-type") + 1] == "unit_test", "unit tests run nightly"
    assert "--no-write-json" in flags, "no artifacts written into the temporary project copy"
    watchers = [
        task for task in dag.tasks if task.task_id not in ("check_raw_quality", "dbt_producer_watcher")
    ]
    assert len(watchers) > 100
    assert not [task.task_id for task in watchers if task.task_id.endswith("test")], (
        "tests report in their model"
    )
    for task in watchers:
        assert task.upstream_task_ids == {"check_raw_quality", "dbt_producer_watcher"}, task.task_id
        assert task.trigger_rule == "one_success", task.task_id
        assert task.start_from_trigger, task.task_id
        assert (
            task.start_trigger_args.trigger_cls == "sellerflow.orchestration.dbt_watcher.ModelStatusTrigger"
        )
    model = dag.get_task("reconciliation_order_lines_run")
    assert model.base_cmd == ["build"], "a cleared model task builds the model and runs its tests"
    node_ids = model.start_trigger_args.trigger_kwargs["node_ids"]
    assert node_ids[0] == "model.sellerflow.reconciliation_order_lines"
    assert "test.sellerflow.assert_summary_statuses_add_up" in node_ids, "a test over several models, too"
    assert len(node_ids) > 5
    names = {asset.name for asset in dag.timetable.asset_condition.objects}
    assert {"warehouse.raw.onec_products", "warehouse.raw.ozon_postings_fbs"} <= names, (
        "scheduled on the extract DAGs' Assets"
    )


def test_dbt_nightly_runs_every_data_test_on_every_row_then_the_docs(dagbag: DagBag) -> None:
    """The cycle's tests check the rows it re-read (dbt where __this_cycle__); the nightly run turns that off."""
    task = dagbag.dags["dbt_nightly"].get_task("test_every_row")
    assert task.base_cmd == ["test"]
    assert task.vars == {"test_this_cycle_only": False}
    assert "generate_docs" in task.downstream_task_ids
