"""One deserialized DAG per DAG run in the triggerer, not one per waiting task.

A task that starts in the triggerer (``start_from_trigger``, as every model task of transform_dbt does) reaches it
with the whole serialized DAG, and Airflow's ``TriggerRunner.create_runtime_ti`` deserializes that DAG again for
each such task, to hand the trigger a task instance: 130 model tasks, 130 deserializations of a 135-task DAG
(about 40 ms each), measured with py-spy as half of the triggerer's CPU during a transform run on 2 cores.

``install()`` wraps ``create_runtime_ti`` so that the tasks of one DAG run (same DAG version) share one
deserialized DAG; the body is Airflow 3.1's own (see ``test_triggerer_dag_cache.py``, which fails when Airflow's
changes). It is installed by ``ModelStatusTrigger`` when the triggerer creates one, and only in the triggerer.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict
from typing import Any

KEEP_DAGS = 8  # DAG runs whose deserialized DAG is kept (the triggerer holds the tasks of a few runs at once)
_lock = threading.Lock()
_dags: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_installed = False


def cached_dag(key: tuple[str, str, str], encoded_dag: dict[str, Any]) -> Any:
    """The DAG of ``key`` (dag_id, run_id, dag_version_id), deserialized from ``encoded_dag`` on first use."""
    from airflow.serialization.serialized_objects import DagSerialization

    with _lock:
        dag = _dags.get(key)
        if dag is not None:
            _dags.move_to_end(key)
            return dag
    dag = DagSerialization.from_dict(encoded_dag)
    with _lock:
        _dags[key] = dag
        while len(_dags) > KEEP_DAGS:
            _dags.popitem(last=False)
    return dag


def install() -> bool:
    """Wrap the triggerer's ``create_runtime_ti`` (once); False when this process is not a triggerer."""
    global _installed
    if _installed or "airflow.jobs.triggerer_job_runner" not in sys.modules:
        return _installed
    from airflow.jobs.triggerer_job_runner import TriggerRunner
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    def create_runtime_ti(
        cls: type, task_instance: Any, encoded_dag: dict[str, Any], dag_run_data: dict[str, Any]
    ) -> RuntimeTaskInstance:
        from airflow.api_fastapi.execution_api.datamodels.taskinstance import DagRun as DRDataModel
        from airflow.sdk.api.datamodels._generated import TIRunContext

        key = (task_instance.dag_id, task_instance.run_id, str(task_instance.dag_version_id))
        task = cached_dag(key, encoded_dag).get_task(task_instance.task_id)
        return RuntimeTaskInstance.model_construct(
            **task_instance.model_dump(exclude_unset=True),
            task=task,
            _ti_context_from_server=TIRunContext.model_construct(
                dag_run=DRDataModel(**dag_run_data),
                max_tries=task.retries,
            ),
        )

    TriggerRunner.create_runtime_ti = classmethod(create_runtime_ti)  # type: ignore[method-assign,assignment]
    _installed = True
    logging.getLogger(__name__).info("the tasks of a DAG run share one deserialized DAG in this triggerer")
    return True
