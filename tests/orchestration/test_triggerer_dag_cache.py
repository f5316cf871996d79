"""In the triggerer the model tasks of one DAG run share one deserialized DAG (orchestration/triggerer_dag_cache)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from sellerflow.orchestration import triggerer_dag_cache

BODY = "task = DagSerialization.from_dict(encoded_dag).get_task(task_instance.task_id)"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Airflow's TriggerRunner with the cache installed for this test only."""
    from airflow.jobs import triggerer_job_runner

    monkeypatch.setattr(
        triggerer_job_runner.TriggerRunner,
        "create_runtime_ti",
        triggerer_job_runner.TriggerRunner.create_runtime_ti,
    )
    monkeypatch.setattr(triggerer_dag_cache, "_installed", False)
    monkeypatch.setattr(triggerer_dag_cache, "_dags", type(triggerer_dag_cache._dags)())
    return triggerer_job_runner.TriggerRunner


def encoded_dag() -> dict[str, Any]:
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("cached", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        EmptyOperator(task_id="a", retries=2) >> EmptyOperator(task_id="b")
    return DagSerialization.to_dict(dag)


def task_instance(task_id: str, run_id: str, version: uuid.UUID) -> Any:
    from airflow.executors.workloads.task import TaskInstanceDTO

    return TaskInstanceDTO(id=uuid.uuid4(), task_id=task_id, dag_id="cached", run_id=run_id, try_number=1,
                           dag_version_id=version, pool_slots=1, priority_weight=1)  # fmt: skip


def dag_run(run_id: str) -> dict[str, Any]:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    return {"dag_id": "cached", "run_id": run_id, "logical_date": None, "data_interval_start": None,
            "data_interval_end": None, "run_after": now, "start_date": now, "end_date": None,
            "run_type": "manual", "state": "running", "consumed_asset_events": [], "partition_key": None}  # fmt: skip


def test_airflow_still_deserializes_the_dag_per_task_as_the_cache_assumes() -> None:
    """A tripwire for upgrades: the wrapper repeats this method of Airflow's with the DAG cached."""
    from pathlib import Path

    from airflow.jobs import triggerer_job_runner

    source = Path(triggerer_job_runner.__file__).read_text()  # the file: the live method may be ours already
    method = source[source.index("    def create_runtime_ti(") :]
    method = method[: method.index("\n    async def ")]
    assert BODY in method
    assert "RuntimeTaskInstance.model_construct(" in method


def test_the_tasks_of_one_run_share_one_deserialized_dag(
    runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    calls: list[str] = []
    real = DagSerialization.from_dict
    monkeypatch.setattr(DagSerialization, "from_dict", lambda data: calls.append("from_dict") or real(data))
    assert triggerer_dag_cache.install()
    version, encoded = uuid.uuid4(), encoded_dag()

    a = runner.create_runtime_ti(task_instance("a", "r1", version), encoded, dag_run("r1"))
    b = runner.create_runtime_ti(task_instance("b", "r1", version), encoded, dag_run("r1"))
    assert calls == ["from_dict"], "one deserialization for the run's two tasks"
    assert (a.task.task_id, a.task.retries, a.task_id, a.run_id) == ("a", 2, "a", "r1")
    assert (b.task.task_id, b.task.dag is a.task.dag) == ("b", True)
    assert a._ti_context_from_server.max_tries == 2
    assert a._ti_context_from_server.dag_run.run_id == "r1"

    runner.create_runtime_ti(task_instance("a", "r2", version), encoded, dag_run("r2"))
    assert calls == ["from_dict", "from_dict"], "another run deserializes its own"


def test_nothing_is_installed_outside_the_triggerer(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(triggerer_dag_cache, "_installed", False)
    monkeypatch.delitem(sys.modules, "airflow.jobs.triggerer_job_runner", raising=False)
    assert triggerer_dag_cache.install() is False
