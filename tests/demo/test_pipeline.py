"""`make demo`'s pipeline steps against a recording stand-in for Airflow's REST API."""

from __future__ import annotations

from typing import Any

import pytest

from sellerflow.demo import __main__ as demo


class RecordingAPI:
    """Run states per poll of one DAG, and every pause and unpause in order."""

    def __init__(self, *states: str) -> None:
        self.states, self.calls = list(states), []  # type: ignore[var-annotated]
        self.paused = True

    def latest_run(self, dag_id: str) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        self.calls.append(f"latest {state}")
        return {"dag_run_id": "r1", "state": state}

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        assert not self.paused, "a paused DAG's run never finishes: it must be unpaused while waited for"
        return self.latest_run(dag_id)

    def unpause(self, dag_id: str) -> None:
        self.paused = False
        self.calls.append("unpause")

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.paused = paused
        self.calls.append("pause" if paused else "unpause")


def test_a_run_left_from_an_earlier_demo_finishes_unpaused_then_the_dag_is_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo.time, "sleep", lambda _s: None)
    api = RecordingAPI("running", "running", "success")
    demo.finish_running(api, "transform_dbt", timeout_s=60)  # type: ignore[arg-type]
    assert api.calls == [
        "latest running",
        "unpause",
        "latest running",
        "latest success",
        "pause",
        "latest success",
    ]
    assert api.paused


def test_nothing_to_wait_for_leaves_the_dag_paused() -> None:
    api = RecordingAPI("success")
    demo.finish_running(api, "transform_dbt", timeout_s=60)  # type: ignore[arg-type]
    assert api.calls == ["latest success"]
    assert api.paused
