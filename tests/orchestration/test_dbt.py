"""transform_dbt's watcher mode (orchestration/dbt_watcher.py): the producer publishes one status board, every
waiting task decides from it, and the triggers of a run share one read of it."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from dbt.events import core_types_pb2

from sellerflow.orchestration import dbt_watcher
from sellerflow.orchestration.dbt_watcher import (
    STATUS_BOARD_KEY,
    ModelStatusTrigger,
    RunBoard,
    Snapshot,
    StatusPublisher,
    decide,
    publish_statuses,
    wait_for_task,
)

MODEL = "model.sellerflow.stg_ozon__postings"
TESTS = ["test.sellerflow.not_null_stg_ozon__postings_id.1", "test.sellerflow.unique_stg_ozon__postings_id.2"]


def dbt_event(name: str, unique_id: str, status: str, message: str = "", level: str = "debug") -> Any:
    """One dbt event as dbtRunner hands it to a callback (dbt's own protobuf message)."""
    event = getattr(core_types_pb2, f"{name}Msg")()
    event.info.name, event.info.level = name, level
    event.data.node_info.unique_id = unique_id
    event.data.node_info.node_status = status
    if name == "NodeFinished":
        event.data.run_result.message = message
    return event


class Pushes:
    """A push that records each board (optionally slowly, or failing)."""

    def __init__(self, delay_s: float = 0.0, error: Exception | None = None) -> None:
        self.boards: list[dict[str, dict[str, str]]] = []
        self.delay_s, self.error = delay_s, error

    def __call__(self, board: dict[str, dict[str, str]]) -> None:
        time.sleep(self.delay_s)
        if self.error:
            raise self.error
        self.boards.append(board)


# --- the producer's board ----------------------------------------------------------------------------------------
def test_only_final_statuses_are_published_with_the_message_of_a_failure() -> None:
    pushes = Pushes()
    publisher = StatusPublisher(pushes, every_s=0.01)
    for name in ("NodeStart", "NodeCompiling", "NodeExecuting"):
        publisher.on_event(dbt_event(name, MODEL, "executing"))
    publisher.on_event(dbt_event("NodeFinished", MODEL, "success"))
    publisher.on_event(
        dbt_event("NodeFinished", TESTS[0], "fail", "Got 3 results, configured to fail if != 0")
    )
    publisher.close()
    assert pushes.boards[-1] == {
        "statuses": {MODEL: "success", TESTS[0]: "fail"},
        "messages": {TESTS[0]: "Got 3 results, configured to fail if != 0"},
    }
    assert all(board["statuses"] for board in pushes.boards), "no board before the first final status"


def test_a_node_skipped_because_its_parent_failed_says_so() -> None:
    pushes = Pushes()
    publisher = StatusPublisher(pushes, every_s=0.01)
    publisher.on_event(dbt_event("SkippingDetails", MODEL, "skipped"))
    publisher.on_event(dbt_event("NodeFinished", MODEL, "skipped"))
    publisher.close()
    assert pushes.boards[-1]["statuses"] == {MODEL: "skipped"}
    assert "depends on failed" in pushes.boards[-1]["messages"][MODEL]


def test_a_burst_of_nodes_is_one_push_and_the_last_push_happens_before_close_returns() -> None:
    pushes = Pushes(delay_s=0.2)  # a slow api-server
    publisher = StatusPublisher(pushes, every_s=60)
    for i in range(300):
        publisher.record(f"model.sellerflow.m{i}", "success")
    publisher.close()
    assert len(pushes.boards[-1]["statuses"]) == 300, "close() waits for the last push"
    assert len(pushes.boards) <= 2, f"300 nodes in a burst: {len(pushes.boards)} pushes"


def test_a_push_error_fails_the_build_at_close() -> None:
    publisher = StatusPublisher(Pushes(error=RuntimeError("api-server refused the XCom")), every_s=0.01)
    publisher.record(MODEL, "success")
    with pytest.raises(RuntimeError, match="refused the XCom"):
        publisher.close()


# --- the verdict of one waiting task -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("statuses", "producer", "expected"),
    [
        ({MODEL: "success"}, "running", "success"),
        ({MODEL: "error"}, "running", "failed"),
        ({MODEL: "skipped"}, "running", "skipped"),
        ({MODEL: "no-op"}, "running", "success"),
        ({MODEL: "some new dbt status"}, "running", "failed"),
        ({}, "running", None),
        ({}, "success", "skipped"),  # a view or seed the cycle left out (dbt_cycle)
        ({}, "skipped", "rerun"),  # a producer retry skips itself: the node runs alone
        ({}, "failed", "failed"),
        ({}, "upstream_failed", "skipped"),
        ({}, None, None),
    ],
)
def test_the_verdict_on_a_model(statuses: dict[str, str], producer: str | None, expected: str | None) -> None:
    verdict = decide([MODEL], Snapshot(producer, statuses))
    assert (verdict.outcome if verdict else None) == expected


def test_a_model_task_ends_with_its_tests_or_at_the_first_failure() -> None:
    nodes = [MODEL, *TESTS]
    assert decide(nodes, Snapshot("running", {MODEL: "success", TESTS[0]: "pass"})) is None, (
        "a test still runs"
    )
    done = {MODEL: "success", TESTS[0]: "pass", TESTS[1]: "warn"}
    assert decide(nodes, Snapshot("running", done)).outcome == "success"
    failed = decide(nodes, Snapshot("running", {TESTS[1]: "fail"}, {TESTS[1]: "Got 2 results"}))
    assert failed.outcome == "failed", "a failed test fails its model's task at once"
    assert "Got 2 results" in failed.reason, "the task log shows dbt's message"


def test_a_view_left_out_of_the_cycle_is_skipped_saying_why_and_its_tests_still_count() -> None:
    left_out = decide([MODEL, *TESTS], Snapshot("success", {}))
    assert left_out.outcome == "skipped"
    assert "built when the dbt project changes" in left_out.reason
    tested = decide([MODEL, *TESTS], Snapshot("success", {TESTS[0]: "pass", TESTS[1]: "pass"}))
    assert tested.outcome == "success", "a pushed view's tests run every cycle"
    failed = decide([MODEL, *TESTS], Snapshot("success", {TESTS[0]: "fail"}))
    assert failed.outcome == "failed"


def test_a_model_dbt_skipped_is_skipped_and_a_skipped_test_alone_is_not() -> None:
    nodes = [MODEL, *TESTS]
    skipped = {MODEL: "skipped", TESTS[0]: "skipped", TESTS[1]: "skipped"}
    assert decide(nodes, Snapshot("running", skipped)).outcome == "skipped"
    # a test over two models is skipped when the other model failed: this model still built and passed
    one_test_skipped = decide(
        nodes, Snapshot("running", {MODEL: "success", TESTS[0]: "pass", TESTS[1]: "skipped"})
    )
    assert one_test_skipped.outcome == "success"
    assert TESTS[1] in one_test_skipped.reason


# --- one read of the board for every trigger of a run ------------------------------------------------------------
class CountingFetch:
    """The api reads behind RunBoard: counted; the producer's state can change from read to read."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.statuses = statuses
        self.producer_states = ["running"]

    async def __call__(self, dag_id: str, run_id: str, producer_task_id: str) -> Snapshot:
        self.calls.append((dag_id, run_id, producer_task_id))
        read_at = time.monotonic()
        await asyncio.sleep(0.05)  # the api round trip
        state = self.producer_states.pop(0) if len(self.producer_states) > 1 else self.producer_states[0]
        return Snapshot(state, dict(self.statuses), {}, read_at)


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> CountingFetch:
    fetch = CountingFetch({MODEL: "success"})
    monkeypatch.setattr(RunBoard, "fetch", fetch)
    RunBoard.forget()
    yield fetch
    RunBoard.forget()


def test_two_hundred_triggers_of_a_run_share_one_read_per_poll(board: CountingFetch) -> None:
    async def poll_twice() -> list[Snapshot]:
        first = await asyncio.gather(*(RunBoard.read("transform_dbt", "r1", "p", 0.5) for _ in range(200)))
        await asyncio.sleep(0.6)
        second = await asyncio.gather(*(RunBoard.read("transform_dbt", "r1", "p", 0.5) for _ in range(200)))
        return [*first, *second]

    snapshots = asyncio.run(poll_twice())
    assert len(board.calls) == 2, "one read per poll interval, whatever the number of triggers"
    assert all(s.statuses == {MODEL: "success"} for s in snapshots)


def test_each_run_has_its_own_board(board: CountingFetch) -> None:
    async def two_runs() -> None:
        await asyncio.gather(
            RunBoard.read("transform_dbt", "r1", "p", 5), RunBoard.read("transform_dbt", "r2", "p", 5)
        )

    asyncio.run(two_runs())
    assert sorted(board.calls) == [("transform_dbt", "r1", "p"), ("transform_dbt", "r2", "p")]


class FakeTaskInstance:
    dag_id, task_id, run_id, map_index = "transform_dbt", "stg_ozon__postings_run", "r1", -1

    def __init__(self, try_number: int) -> None:
        self.try_number = try_number


def trigger_events(trigger: ModelStatusTrigger) -> list[Any]:
    async def collect() -> list[Any]:
        return [event async for event in trigger.run()]

    return asyncio.run(collect())


def test_a_task_whose_node_failed_ends_failed_in_the_triggerer(board: CountingFetch) -> None:
    from airflow.triggers.base import TaskFailedEvent

    board.statuses = {MODEL: "error"}
    trigger = ModelStatusTrigger([MODEL], "dbt_producer_watcher", poke_interval=0.01)
    trigger.task_instance = FakeTaskInstance(try_number=1)
    (event,) = trigger_events(trigger)
    assert isinstance(event, TaskFailedEvent)


def test_a_cleared_task_goes_back_to_a_worker_to_run_its_node_alone(board: CountingFetch) -> None:
    from cosmos.operators._watcher.triggerer import WatcherEventReason

    board.producer_states = ["success"]  # the build is over: only this task was cleared (or retried)
    trigger = ModelStatusTrigger([MODEL], "dbt_producer_watcher", poke_interval=0.01)
    trigger.task_instance = FakeTaskInstance(try_number=2)
    (event,) = trigger_events(trigger)
    assert event.payload["reason"] == WatcherEventReason.PRODUCER_SKIPPED, "execute_complete runs it alone"


def test_a_task_cleared_with_the_producer_follows_the_new_build(board: CountingFetch) -> None:
    """The whole run was cleared: the producer builds again, and the task ends with that build (the board it reads
    once the producer finished), without running its node alone."""
    from airflow.triggers.base import TaskSuccessEvent

    board.producer_states = ["queued", "running", "running", "success"]
    trigger = ModelStatusTrigger([MODEL], "dbt_producer_watcher", poke_interval=0.01)
    trigger.task_instance = FakeTaskInstance(try_number=2)
    (event,) = trigger_events(trigger)
    assert isinstance(event, TaskSuccessEvent)
    assert len(board.calls) == 4, "it waited for the producer to finish"


def test_a_failed_read_of_the_board_is_tried_again(board: CountingFetch) -> None:
    from airflow.triggers.base import TaskSuccessEvent

    calls = {"n": 0}

    async def flaky(dag_id: str, run_id: str, producer_task_id: str) -> Snapshot:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("api-server restarting")
        return Snapshot("running", {MODEL: "success"}, {}, time.monotonic())

    RunBoard.fetch = flaky
    trigger = ModelStatusTrigger([MODEL], "dbt_producer_watcher", poke_interval=0.01)
    trigger.task_instance = FakeTaskInstance(try_number=1)
    (event,) = trigger_events(trigger)
    assert isinstance(event, TaskSuccessEvent)
    assert calls["n"] == 2


def test_the_trigger_serializes_what_it_watches() -> None:
    trigger = ModelStatusTrigger(TESTS, "dbt_producer_watcher", poke_interval=2.0)
    classpath, kwargs = trigger.serialize()
    assert classpath == "sellerflow.orchestration.dbt_watcher.ModelStatusTrigger"
    assert ModelStatusTrigger(**kwargs).node_ids == TESTS


def test_a_cleared_producer_builds_everything_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cosmos skips a producer's second try (its tasks then run every node alone); ours is never retried
    (retries=0), so a second try is a person clearing the run: it runs the whole build again."""
    seen: list[int] = []
    monkeypatch.setattr(dbt_watcher, "read_states", lambda *key: "success")  # the quality checks passed

    class Producer:
        _dbt_runner_callbacks = None

        def run_dbt_runner(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("not called here")

        def execute(self, context: dict[str, Any]) -> None:
            seen.append(context["ti"].try_number)  # Cosmos reads this to decide to skip
            context["ti"].xcom_push("task_status", "completed")

    producer, ti = Producer(), RecordingTaskInstance()
    ti.try_number = 2
    publish_statuses(producer, wait_for="check_raw_quality")
    producer.execute({"ti": ti, "task_instance": ti})
    assert seen == [1]
    assert [key for key, _, _ in ti.pushed] == ["task_status"], "everything else is the real task instance"


# --- the producer, a real dbt build --------------------------------------------------------------------------------
class RecordingTaskInstance:
    """What Cosmos's producer uses of its task instance: XCom pushes are recorded."""

    dag_id, task_id, run_id, map_index, try_number = "transform_dbt", "dbt_producer_watcher", "r1", -1, 1

    def __init__(self) -> None:
        self.pushed: list[tuple[str, Any, str]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append((key, value, threading.current_thread().name))

    def xcom_pull(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_the_producer_publishes_the_board_of_a_real_dbt_build(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """dbt builds one model and its tests in the producer: its board holds their final statuses, pushed from the
    board's thread only, and no per-node XCom is pushed. dbt runs --quiet, yet the task log has its lines."""
    from airflow.dag_processing.dagbag import DagBag

    from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR, profile_env
    from sellerflow.warehouse import migrate

    migrate(fresh_dsn)
    for name, value in profile_env(fresh_dsn).items():
        monkeypatch.setenv(name, value)
    asked: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        dbt_watcher, "read_states", lambda *key: asked.append(key) or "success"
    )  # the quality checks passed
    dag = DagBag(dag_folder=str(DBT_PROJECT_DIR.parent / "dags" / "transform_dbt.py")).dags["transform_dbt"]
    producer = dag.get_task("dbt_producer_watcher")
    producer.select = "dim_dates"
    assert "--quiet" in producer.dbt_cmd_flags
    ti = RecordingTaskInstance()
    with caplog.at_level(logging.INFO, logger=dbt_watcher.log.name):
        producer.execute({"ti": ti, "task_instance": ti, "run_id": "r1", "dag": dag})
    logged = [r.getMessage() for r in caplog.records if r.name == dbt_watcher.log.name]
    assert any("dim_dates" in line and "OK created" in line for line in logged), logged[-20:]
    boards = [(value, thread) for key, value, thread in ti.pushed if key == STATUS_BOARD_KEY]
    assert boards, ti.pushed
    assert {thread for _, thread in boards} == {"dbt-status-board"}
    statuses = boards[-1][0]["statuses"]
    assert statuses["model.sellerflow.dim_dates"] == "success"
    dim_tests = [uid for uid in statuses if uid.startswith("test.") and "dim_dates" in uid]
    assert dim_tests, "dim_dates' tests ran in the build"
    assert all(statuses[uid] == "pass" for uid in dim_tests)
    per_node = [
        key for key, _, _ in ti.pushed if "__sellerflow__" in key
    ]  # Cosmos's <type>__sellerflow__<name>_*
    assert per_node == [], "one board instead of per-node XComs"
    assert asked == [("transform_dbt", "r1", "check_raw_quality")], "it asked for the quality verdict first"


# --- the producer starts beside the quality checks and builds only after they passed ------------------------------
class QualityStates:
    """The quality task's states, one per read (the last one repeats)."""

    def __init__(self, *states: str | None) -> None:
        self.states, self.reads = list(states), 0

    def __call__(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        assert (dag_id, run_id, task_id) == ("transform_dbt", "r1", "check_raw_quality")
        self.reads += 1
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


def test_the_producer_waits_through_a_retry_of_the_quality_checks_and_builds_after_they_pass() -> None:
    states = QualityStates(None, "queued", "running", "up_for_retry", "running", "success")
    wait_for_task(RecordingTaskInstance(), "check_raw_quality", states, sleep=lambda _s: None)
    assert states.reads == 6


def test_the_producer_is_skipped_when_the_gate_skipped_the_quality_task() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException, match="check_raw_quality was skipped"):
        wait_for_task(RecordingTaskInstance(), "check_raw_quality", QualityStates("running", "skipped"),
                      sleep=lambda _s: None)  # fmt: skip


@pytest.mark.parametrize("state", ["failed", "upstream_failed", "removed"])
def test_the_producer_never_builds_over_raw_data_that_failed_its_checks(state: str) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=f"check_raw_quality is {state}: no dbt build"):
        wait_for_task(
            RecordingTaskInstance(), "check_raw_quality", QualityStates(state), sleep=lambda _s: None
        )


def test_dbt_loads_while_the_producer_waits_and_not_when_the_verdict_is_in() -> None:
    loaded: list[str] = []
    states = QualityStates("running", "running", "running", "running", "running", "success")
    wait_for_task(RecordingTaskInstance(), "check_raw_quality", states, sleep=lambda _s: None, poll_s=0.5,
                  prepare_after_s=1.5, meanwhile=lambda: loaded.append(f"dbt at read {states.reads}"))  # fmt: skip
    assert loaded == ["dbt at read 4"], "once, after 1.5 s of waiting"

    loaded.clear()
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException):
        wait_for_task(RecordingTaskInstance(), "check_raw_quality", QualityStates("running", "running", "skipped"),
                      sleep=lambda _s: None, poll_s=0.5, prepare_after_s=1.5,
                      meanwhile=lambda: loaded.append("dbt"))  # fmt: skip
    assert loaded == [], "a run the gate skips decides within a second: its producer ends without loading dbt"


def test_under_airflow_dags_test_the_producer_does_not_wait_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """`airflow dags test` runs one task at a time in its own process: a producer picked before the quality task
    builds at once (waiting would never end); anywhere else it waits."""
    from airflow.sdk.execution_time import supervisor, task_runner

    assert not dbt_watcher.in_airflow_dags_test()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", object.__new__(supervisor.InProcessSupervisorComms),
                        raising=False)  # fmt: skip
    assert dbt_watcher.in_airflow_dags_test()
