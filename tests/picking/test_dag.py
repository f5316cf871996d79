"""The build_pick_lists DAG file only wires; the task's function skips a warehouse without the demand view."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sellerflow.picking.orchestration import build

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "build_pick_lists.py"


def test_dag_conventions() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    dag = bag.dags["build_pick_lists"]
    assert dag.doc_md
    assert "pick_demand" in dag.doc_md
    assert {"sellerflow", "picking"} <= set(dag.tags)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.timetable.summary == "*/5 * * * *"
    assert [t.task_id for t in dag.tasks] == ["build"]
    assert all(t.retries >= 1 and t.owner == "sellerflow" for t in dag.tasks)
    assert dag.tasks[0].retry_delay <= timedelta(minutes=1)


def test_build_skips_until_the_view_exists(fresh_dsn: str) -> None:
    assert build(fresh_dsn, "marts.pick_demand") == {"skipped": "marts.pick_demand not built yet"}
