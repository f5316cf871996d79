"""The watcher producer pushes one status per node and keeps no incremental XCom backup (orchestration/dbt.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

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


class FakeProducer:
    """The three methods of Cosmos's producer that _lean_producer wraps: a build parses one node's events."""

    def __init__(self, parse) -> None:
        self.parse, self.seen = parse, {}

    def _make_parse_callable(self):
        return self.parse

    def run_dbt_runner(self, command, env, cwd, **kwargs):
        parse = self._make_parse_callable()
        for name, status in (("NodeStart", "started"), ("NodeFinished", "success")):
            parse(dbt_event(name, "model.x.y", status), {})
        return "built"

    def execute(self, context, **kwargs):
        from cosmos import settings

        self.seen["reliable_retry"] = settings.enable_watcher_reliable_retry
        return self.run_dbt_runner([], {}, "")


def test_the_lean_producer_parses_only_final_statuses_before_the_build_returns_without_the_backup() -> None:
    from cosmos import settings

    parsed: list[str] = []

    def slow_parse(line: str, extra: object) -> None:
        time.sleep(0.2)  # a slow api-server: the build must still not return before the push
        parsed.append(line)

    producer = FakeProducer(slow_parse)
    before = settings.enable_watcher_reliable_retry
    try:
        sellerflow_dbt._lean_producer(producer)
        assert producer.execute({}) == "built"
    finally:
        settings.enable_watcher_reliable_retry = before
    assert producer.seen["reliable_retry"] is False
    (only,) = parsed
    assert '"NodeFinished"' in only


def test_an_error_while_pushing_a_status_fails_the_build() -> None:
    def failing_parse(line: str, extra: object) -> None:
        raise RuntimeError("api-server refused the XCom")

    producer = FakeProducer(failing_parse)
    sellerflow_dbt._lean_producer(producer)
    with pytest.raises(RuntimeError, match="refused the XCom"):
        producer.run_dbt_runner([], {}, "")
