"""The watcher producer pushes one status per node and keeps no incremental XCom backup (orchestration/dbt.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sellerflow.orchestration import dbt as sellerflow_dbt


class RecordingTaskInstance:
    """The part of a task instance Cosmos's event parser uses: XCom pushes are recorded."""

    dag_id = "transform_dbt"
    task = None

    def __init__(self) -> None:
        self.pushed: list[str] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append(key)

    def xcom_pull(self, *args: Any, **kwargs: Any) -> None:
        return None


def dbt_event(name: str, unique_id: str, status: str) -> str:
    """One line of dbt's JSON log for a node event."""
    node = {"unique_id": unique_id, "node_status": status, "resource_type": "model", "node_path": "x.sql"}
    return json.dumps({"info": {"name": name, "msg": "", "level": "debug"}, "data": {"node_info": node}})


def test_intermediate_node_events_push_nothing_and_the_final_status_is_pushed(tmp_path: Path) -> None:
    from cosmos.operators._watcher.base import store_dbt_resource_status_from_log

    ti = RecordingTaskInstance()
    parse = sellerflow_dbt._final_status_only(store_dbt_resource_status_from_log)
    extra = {"project_dir": str(tmp_path), "context": {"ti": ti}}
    node = "model.sellerflow.stg_ozon__postings"
    for name, status in (
        ("NodeStart", "started"),
        ("NodeCompiling", "compiling"),
        ("NodeExecuting", "executing"),
    ):
        parse(dbt_event(name, node, status), extra)
    assert ti.pushed == []
    parse(dbt_event("NodeFinished", node, "success"), extra)
    assert "model__sellerflow__stg_ozon__postings_status" in ti.pushed


def test_the_lean_producer_runs_without_the_incremental_backup() -> None:
    from cosmos import settings

    seen: dict[str, object] = {}

    class Producer:
        def _make_parse_callable(self):
            return lambda line, extra: seen.setdefault("parsed", line)

        def execute(self, context, **kwargs):
            seen["reliable_retry"] = settings.enable_watcher_reliable_retry
            return "built"

    producer = Producer()
    before = settings.enable_watcher_reliable_retry
    try:
        sellerflow_dbt._lean_producer(producer)
        assert producer.execute({}) == "built"
        producer._make_parse_callable()(dbt_event("NodeStart", "model.x.y", "started"), {})
        producer._make_parse_callable()(dbt_event("NodeFinished", "model.x.y", "success"), {})
    finally:
        settings.enable_watcher_reliable_retry = before
    assert seen["reliable_retry"] is False
    assert '"NodeFinished"' in str(seen["parsed"])
