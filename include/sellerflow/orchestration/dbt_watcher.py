"""transform_dbt's watcher mode, cheap on 2 cores: one status board per build, read once per poll for every task.

Cosmos's watcher producer runs one ``dbt build``; every model (and each model's tests) keeps a task in the grid that
turns green or red as dbt reports that node. Cosmos wires those tasks along dbt's graph (model → its tests → the next
model, ~15 levels here) and has each one read its own XComs. Measured at demo scale that cost more than the build:

- the producer converted every dbt event (~9,000 a build) to JSON in dbt's own threads and pushed ~1,200 XComs
  (status, event and compiled SQL per node, a status again per result line) through the api-server;
- each of ~245 waiting tasks read its XComs every poll: ~20 api calls a second during the build;
- after the build the tasks finished one dependency level at a time, a scheduler loop and a triggerer pickup per
  level: about a minute of tail.

Here instead:

- ``StatusPublisher`` (in the producer) keeps each node's final status from dbt's ``NodeFinished`` events (a dict
  update in dbt's thread, nothing converted) and pushes the whole board as ONE XCom (``STATUS_BOARD_KEY``) from a
  background thread, at most every ``PUBLISH_EVERY_S`` and once more before the build returns;
- every task waits only for the quality checks (not for the model before it), so all of them wait in the triggerer
  during the build and end within one poll of it;
- ``ModelStatusTrigger`` decides from the nodes it watches (a model; a model's own tests; a test over several
  models) and ``RunBoard`` shares one read of the producer's state and the board between every trigger of a DAG run
  in the triggerer process: two api calls per ``TRIGGER_POKE_S``, however many tasks wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)

STATUS_BOARD_KEY = "sellerflow_node_statuses"
PUBLISH_EVERY_S = 1.0
# One board read per run per poke, shared by every waiting task: a task turns green at most this long after dbt
# reported its node, and the run ends about this long after the build.
TRIGGER_POKE_S = 1.0
MAX_FAILED_READS = 30  # ~a minute of failed reads in a row ends the task failed (Airflow retries it)
BOARD_TTL_S = 900.0  # a run's cached board is dropped once no trigger read it for this long

SUCCESS = frozenset({"success", "pass", "warn", "no-op"})
FAILED = frozenset({"error", "fail", "failed", "runtime error", "partial success"})
SKIPPED = frozenset({"skipped"})
PRODUCER_FINAL = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
# dbt fires it (with the node) only when it skips a node because a node it depends on failed.
UPSTREAM_FAILURE_EVENT = "SkippingDetails"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
MESSAGE_CHARS = 4000


# --- producer side ---------------------------------------------------------------------------------------------
class StatusPublisher:
    """Collects dbt's final status of every node from dbtRunner events and publishes them as one board.

    ``on_event`` is the dbtRunner callback: it runs in dbt's threads for each of its ~9,000 events a build, so it
    only logs dbt's own info lines and records ``NodeFinished``; ``push`` (one XCom) runs on a background thread
    at most every ``every_s``, and ``close`` pushes what is left and raises the first push error.
    """

    def __init__(
        self, push: Callable[[dict[str, dict[str, str]]], None], every_s: float = PUBLISH_EVERY_S
    ) -> None:
        self._push, self._every_s = push, every_s
        self._statuses: dict[str, str] = {}
        self._messages: dict[str, str] = {}
        self._version = self._published = 0
        self._closed = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._publish_loop, name="dbt-status-board", daemon=True)
        self._thread.start()

    def on_event(self, event: Any) -> None:
        """dbtRunner callback: log dbt's line (not its debug chatter), record a node's final status."""
        info = event.info
        if info.level != "debug" and info.msg:
            log.log(_LEVELS.get(info.level, logging.INFO), "%s", info.msg)
        if info.name == "NodeFinished":
            node = event.data.node_info
            self.record(node.unique_id, node.node_status, event.data.run_result.message)
        elif info.name == UPSTREAM_FAILURE_EVENT:
            with self._cond:
                self._messages[event.data.node_info.unique_id] = "dbt skipped it: a node it depends on failed"

    def record(self, unique_id: str, status: str, message: str = "") -> None:
        """Keep ``unique_id``'s final status (and dbt's message when it did not succeed) for the next push."""
        with self._cond:
            self._statuses[unique_id] = status
            if message and status not in SUCCESS:
                self._messages.setdefault(unique_id, message[:MESSAGE_CHARS])
            self._version += 1
            self._cond.notify()

    def board(self) -> dict[str, dict[str, str]]:
        """What a push sends: ``{"statuses": {unique_id: status}, "messages": {unique_id: dbt's message}}``."""
        with self._cond:
            return {"statuses": dict(self._statuses), "messages": dict(self._messages)}

    def _publish_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._version != self._published)
                if self._version == self._published:
                    return
                version = self._version
            try:
                self._push(self.board())
            except (
                BaseException
            ) as error:  # surfaced by close(): the build must not pass with a board unpushed
                self._error = error
                return
            with self._cond:
                self._published = version
                self._cond.wait_for(lambda: self._closed, timeout=self._every_s)  # coalesce a burst of nodes

    def close(self, raise_error: bool = True) -> None:
        """Push what is not pushed yet, stop the thread; raise the first push error (if ``raise_error``)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()
        if self._error is not None and raise_error:
            raise self._error


def publish_statuses(producer: Any, wait_for: str) -> None:
    """Make Cosmos's watcher producer publish the status board instead of its per-node XComs, keep no XCom
    backup Variable (it never retries), and skip the OpenLineage events nothing here reads.

    The producer starts beside the task ``wait_for`` (the raw quality checks) instead of after it: its start-up
    (a process, the DAG file, Cosmos, dbt, the project copy) overlaps their work, and it invokes dbt only once
    they passed (``wait_for_task``)."""
    from cosmos.operators.local import DbtLocalBaseOperator
    from cosmos.operators.watcher import _StdoutFilter

    cosmos_run_dbt_runner = producer.run_dbt_runner
    callbacks = list(producer._dbt_runner_callbacks or [])

    def run_dbt_runner(command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        import contextlib

        context = kwargs.get("context")
        if context is None or context.get("_check_source_freshness"):
            return cosmos_run_dbt_runner(command, env, cwd, **kwargs)
        from sellerflow.orchestration import dbt_cycle
        from sellerflow.orchestration.dbt_cli import profile_dsn

        ti = context["ti"]
        dsn = profile_dsn({**os.environ, **env})  # the warehouse dbt builds in
        build = dbt_cycle.plan(dsn) if dbt_cycle.is_cycle_build(command) else None
        if build:
            log.info("dbt build of %s", build.reason)
            if build.left_out:
                log.info("left out, nothing new reached them: %s", ", ".join(build.left_out))
        publisher = StatusPublisher(lambda board: ti.xcom_push(key=STATUS_BOARD_KEY, value=board))
        producer._dbt_runner_callbacks = [*callbacks, publisher.on_event]
        try:
            # dbt writes its JSON log lines to stdout too: the filter drops them (on_event logs dbt's lines).
            with contextlib.redirect_stdout(_StdoutFilter()):
                result = DbtLocalBaseOperator.run_dbt_runner(
                    producer, [*command, *(build.flags if build else ())], env, cwd, **kwargs
                )
        except BaseException:
            publisher.close(raise_error=False)
            raise
        finally:
            producer._dbt_runner_callbacks = callbacks
        publisher.close()
        if build and build.whole_project and result.success:
            dbt_cycle.record_whole_build(dsn, build.project_version)
        return result

    producer.run_dbt_runner = run_dbt_runner
    # Cosmos computes OpenLineage events from the build's artifacts for the OpenLineage provider, which is not
    # installed: ~1 s of CPU a build for nothing.
    producer._get_dbt_local_artifact_processor = lambda: None
    execute = producer.execute

    def execute_without_xcom_backup(context: Any, **kwargs: Any) -> Any:
        # Cosmos reads its "reliable retry" switch when execute starts; with it on it rewrites a Variable holding
        # every XCom pushed so far after each push. Our producer never retries (retries=0), so a second try is a
        # person clearing it (with the whole run): Cosmos would skip it and leave every model to run alone, one
        # dbt invocation each; it builds everything again instead, and the cleared tasks follow that build.
        from cosmos import settings

        # Before Cosmos prepares the build: a run whose quality task was skipped (the gate) or failed ends here.
        ti = context["ti"]
        if in_airflow_dags_test() and read_states(ti.dag_id, ti.run_id, wait_for) in WAITING:
            log.warning(
                "`airflow dags test` runs one task at a time and picked this task first: building without "
                "waiting for %s (under the scheduler the build waits for it)", wait_for
            )  # fmt: skip
        else:
            wait_for_task(ti, wait_for, read_states, meanwhile=_import_dbt)
        settings.enable_watcher_reliable_retry = False
        if context["ti"].try_number > 1:
            first_try = _AsFirstTry(context["ti"])
            context = {**context, "ti": first_try, "task_instance": first_try}
        return execute(context, **kwargs)

    producer.execute = execute_without_xcom_backup


NOT_IN_CYCLE = (
    "views and seeds are built when the dbt project changes, and nightly; a model nothing new reached since its"
    " last build is left out until something does (the producer's log lists them)"
)
QUALITY_POLL_S = 0.5
PREPARE_AFTER_S = 1.5  # the gate's skip decision takes about a second; the quality suites take several
WAITING = frozenset({None, "none", "scheduled", "queued", "running", "up_for_retry", "up_for_reschedule",
                     "deferred", "restarting"})  # fmt: skip


def read_states(dag_id: str, run_id: str, task_id: str) -> str | None:
    """The state of ``task_id`` in the run (its value, e.g. ``success``), read through the api client of the task
    or trigger that asks."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    states = RuntimeTaskInstance.get_task_states(dag_id=dag_id, task_ids=[task_id], run_ids=[run_id])
    state = states.get(run_id, {}).get(task_id)
    return None if state is None else str(getattr(state, "value", state))


def in_airflow_dags_test() -> bool:
    """Whether this task runs inside ``airflow dags test`` (one task at a time, in its process), where waiting for
    another task of the run would wait forever."""
    from airflow.sdk.execution_time import task_runner

    return type(getattr(task_runner, "SUPERVISOR_COMMS", None)).__name__ == "InProcessSupervisorComms"


def _import_dbt() -> None:
    """Load dbt while the quality checks run (~1.5 s of CPU the build would pay after them)."""
    import dbt.adapters.postgres
    import dbt.cli.main  # noqa: F401


def wait_for_task(
    ti: Any,
    task_id: str,
    read: Callable[[str, str, str], str | None],
    poll_s: float = QUALITY_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    meanwhile: Callable[[], None] | None = None,
    prepare_after_s: float = PREPARE_AFTER_S,
) -> None:
    """Block until ``task_id`` of ``ti``'s run ended: return if it succeeded, skip this task with it if it was
    skipped (the transform gate found nothing to build), fail naming it otherwise (bad raw data must not reach
    dbt). ``meanwhile`` runs once when it has waited ``prepare_after_s`` (work to overlap with a long wait:
    a run the gate skips decides within a second, and its producer should end without loading dbt, whose
    import and interpreter exit cost seconds). Says in the log what it waits for."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    waited = 0.0
    while (state := read(ti.dag_id, ti.run_id, task_id)) in WAITING:
        if meanwhile is not None and waited >= prepare_after_s:
            meanwhile()
            meanwhile = None
            log.info("dbt is ready: waiting for %s (%s) before building", task_id, state or "not started")
            continue  # read again at once: the state may have changed while dbt loaded
        sleep(poll_s)
        waited += poll_s
    if state == "success":
        return
    if state == "skipped":
        raise AirflowSkipException(f"{task_id} was skipped (see its log): no build")
    raise AirflowFailException(f"{task_id} is {state}: no dbt build over raw data that failed its checks")


class _AsFirstTry:
    """A task instance that tells Cosmos's producer it is on its first try (everything else is the real one)."""

    try_number = 1

    def __init__(self, ti: Any) -> None:
        self._ti = ti

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ti, name)


# --- triggerer side --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The producer's task state, then the board it had published by then (read in that order: a producer seen
    finished has pushed its last board)."""

    producer_state: str | None
    statuses: Mapping[str, str] = field(default_factory=dict)
    messages: Mapping[str, str] = field(default_factory=dict)
    read_at: float = 0.0


Fetch = Callable[[str, str, str], Awaitable[Snapshot]]


async def fetch_snapshot(dag_id: str, run_id: str, producer_task_id: str) -> Snapshot:
    """Read the producer's state and its board through the triggerer's api client (two calls)."""
    from airflow.sdk.execution_time.xcom import XCom
    from asgiref.sync import sync_to_async

    read_at = time.monotonic()
    state = await sync_to_async(read_states)(dag_id, run_id, producer_task_id)
    board = await sync_to_async(XCom.get_one)(
        run_id=run_id, key=STATUS_BOARD_KEY, task_id=producer_task_id, dag_id=dag_id, map_index=-1
    )
    board = board or {}
    return Snapshot(state, board.get("statuses", {}), board.get("messages", {}), read_at)


class RunBoard:
    """One read of a DAG run's board for every trigger of that run in this triggerer process.

    A trigger asks for a snapshot no older than ``max_age_s``: it gets the cached one, waits for the read already
    under way, or starts the one read the others then share.
    """

    fetch: ClassVar[Fetch] = staticmethod(fetch_snapshot)
    _cached: ClassVar[dict[tuple[str, str, str], Snapshot]] = {}
    _reading: ClassVar[dict[tuple[str, str, str], asyncio.Future[Snapshot]]] = {}

    @classmethod
    async def read(cls, dag_id: str, run_id: str, producer_task_id: str, max_age_s: float) -> Snapshot:
        """A snapshot of the run's board read at most ``max_age_s`` ago."""
        key = (dag_id, run_id, producer_task_id)
        now = time.monotonic()
        cached = cls._cached.get(key)
        if cached is not None and now - cached.read_at < max_age_s:
            return cached
        reading = cls._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(cls._read(key))
            cls._reading[key] = reading
        return await asyncio.shield(reading)

    @classmethod
    async def _read(cls, key: tuple[str, str, str]) -> Snapshot:
        try:
            snapshot = await cls.fetch(*key)
            cls._cached[key] = snapshot
            stale = [k for k, s in cls._cached.items() if snapshot.read_at - s.read_at > BOARD_TTL_S]
            for k in stale:
                del cls._cached[k]
            return snapshot
        finally:
            cls._reading.pop(key, None)

    @classmethod
    def forget(cls) -> None:
        """Drop every cached board (tests)."""
        cls._cached.clear()
        cls._reading.clear()


@dataclass(frozen=True)
class Verdict:
    """How a waiting task ends: ``success``, ``skipped``, ``failed``, or ``rerun`` (on a worker, its nodes alone)."""

    outcome: str
    reason: str


def decide(node_ids: Iterable[str], snapshot: Snapshot) -> Verdict | None:
    """The verdict on the nodes a task watches (its model first, then the model's data tests), or None to wait.

    Any of them failed → failed. The model skipped (a model it reads failed) → skipped. All reported → success
    (a test dbt skipped is named in the log). The build ended without reporting any → skipped (a view or seed
    the cycle left out, see ``dbt_cycle``); without some → judged on the rest. The producer was skipped → rerun
    them alone; it failed (or never ran) before reporting them → failed (skipped when it never ran).
    """
    node_ids = list(node_ids)
    reported = {n: snapshot.statuses[n] for n in node_ids if n in snapshot.statuses}
    failed = [n for n, status in reported.items() if status in FAILED or status not in SUCCESS | SKIPPED]
    if failed:
        details = "; ".join(f"{n}: {snapshot.messages.get(n) or reported[n]}" for n in failed)
        return Verdict("failed", f"dbt reported {details}")
    model = node_ids[0]
    if reported.get(model) in SKIPPED:
        return Verdict("skipped", f"{model}: {snapshot.messages.get(model) or 'skipped by dbt'}")
    if not reported and snapshot.producer_state == "success":
        return Verdict("skipped", f"{model} is not in this cycle's build ({NOT_IN_CYCLE})")
    if len(reported) == len(node_ids) or snapshot.producer_state == "success":
        notes = [f"{n} skipped by dbt" for n, status in reported.items() if status in SKIPPED]
        notes += [f"the build ended without running {n}" for n in node_ids if n not in reported]
        return Verdict("success", "; ".join(notes))
    if snapshot.producer_state == "skipped":
        return Verdict("rerun", "the producer was skipped: running it alone")
    if snapshot.producer_state in ("failed", "upstream_failed", "removed"):
        outcome = "skipped" if snapshot.producer_state == "upstream_failed" else "failed"
        return Verdict(
            outcome, f"the producer is {snapshot.producer_state} before dbt reported {', '.join(node_ids)}"
        )
    return None


class ModelStatusTrigger(BaseTrigger):
    """Waits in the triggerer for dbt's verdict on the nodes of one task of the producer's ``dbt build`` and ends
    the task there (see ``decide``).

    A retried or cleared task (try 2+) goes back to a worker, which runs its node alone (Cosmos's ``dbt run
    --select`` / ``dbt test --select`` fallback), unless the producer was cleared with it (the whole run was
    cleared): then it follows the producer's new build and ends with it.
    """

    def __init__(
        self, node_ids: list[str], producer_task_id: str, poke_interval: float = TRIGGER_POKE_S
    ) -> None:
        super().__init__()
        from sellerflow.orchestration import triggerer_dag_cache

        triggerer_dag_cache.install()  # in the triggerer: the tasks of a run share one deserialized DAG
        self.node_ids, self.producer_task_id, self.poke_interval = (
            list(node_ids),
            producer_task_id,
            poke_interval,
        )

    def serialize(self) -> tuple[str, dict[str, object]]:
        return (
            f"{__name__}.ModelStatusTrigger",
            {
                "node_ids": self.node_ids,
                "producer_task_id": self.producer_task_id,
                "poke_interval": self.poke_interval,
            },
        )

    async def _read(self, dag_id: str, run_id: str) -> Snapshot:
        """The run's board, read again after a failed read (an api hiccup must not fail every model task of the
        run); raises after ``MAX_FAILED_READS`` failures in a row."""
        for attempt in range(1, MAX_FAILED_READS + 1):
            try:
                return await RunBoard.read(dag_id, run_id, self.producer_task_id, self.poke_interval * 0.9)
            except Exception as error:
                if attempt == MAX_FAILED_READS:
                    raise
                self.log.warning("reading the status board failed (%s): trying again", error)
                await asyncio.sleep(self.poke_interval)
        raise AssertionError("unreachable")

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent

        ti = self.task_instance
        if ti is None:  # the triggerer hands every trigger its task instance before run()
            raise RuntimeError(f"{type(self).__name__} runs in the triggerer, for a task instance")
        rerun = Verdict("rerun", f"try {ti.try_number}: running {', '.join(self.node_ids)} alone on a worker")
        again = False  # the producer was cleared with this task: follow its new build to the end
        verdict: Verdict | None
        while True:
            snapshot = await self._read(ti.dag_id, ti.run_id)
            if ti.try_number > 1 and not again:
                if snapshot.producer_state in PRODUCER_FINAL:  # this task alone was cleared (or retried)
                    verdict = rerun
                else:
                    again = True
                    self.log.info("the producer builds again (cleared with this task): waiting for its build")
                    continue
            elif again:
                finished = snapshot.producer_state in PRODUCER_FINAL
                verdict = (decide(self.node_ids, snapshot) or rerun) if finished else None
            else:
                verdict = decide(self.node_ids, snapshot)
            if verdict is None:
                await asyncio.sleep(self.poke_interval)
                continue
            if verdict.outcome == "failed":
                self.log.error("%s (the whole dbt log is in %s)", verdict.reason, self.producer_task_id)
                yield TaskFailedEvent()
            elif verdict.outcome == "skipped":
                self.log.info("%s", verdict.reason)
                yield TaskSkippedEvent()
            elif verdict.outcome == "rerun":
                # Cosmos is imported only here: ~2 s of CPU the triggerer would pay for every other verdict.
                from cosmos.listeners.dag_run_listener import EventStatus
                from cosmos.operators._watcher.triggerer import WatcherEventReason

                self.log.info("%s", verdict.reason)
                yield TriggerEvent(
                    {"status": EventStatus.FAILED, "reason": WatcherEventReason.PRODUCER_SKIPPED}
                )
            else:
                if verdict.reason:
                    self.log.info("%s", verdict.reason)
                yield TaskSuccessEvent()
            return
