"""Cosmos configuration for the dbt project in dbt/.

The DAG renders from dbt/target/manifest.json (LoadMode.DBT_MANIFEST) so that parsing a DAG
file never runs dbt: `make demo` and `make test` refresh the manifest with `dbt parse`.
dbt runs in-process (dbtRunner) from the same virtualenv with dbt/profiles.yml, the one profile the CLI, the
tests and the benchmarks use too: it reads the warehouse from the SELLERFLOW_WAREHOUSE_* variables of the
environment (.sellerflow/env, or your deployment's), so no secrets live in it. Because it is the same profile that
`dbt parse` used when the setup wrote the manifest, dbt's partial parsing holds and a run does not re-parse the
whole project (a profile Cosmos generated from a connection differs from it, and forced a full parse every run).

Two ways to run the project (``SELLERFLOW_TRANSFORM_MODE``, read when the DAG file is parsed):

- ``watcher`` (default): Cosmos ExecutionMode.WATCHER. One task, ``dbt_producer_watcher``, runs one
  ``dbt build`` with the profile's threads; every model (and every model's tests) keeps its own task in the
  grid, a sensor that turns green or red as dbt reports that node. Measured at demo scale it runs at about
  the speed of ``dbt build`` from the CLI (bench/transform_cycle.py).
- ``per_model``: ExecutionMode.LOCAL, one dbt invocation per model and per model's tests (the mode before;
  kept for the benchmark and as a fallback). About 60 times slower on 2 cores: every task starts a process,
  parses the DAG and starts dbt.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR

DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
TRANSFORM_MODE_ENV = "SELLERFLOW_TRANSFORM_MODE"
WATCHER, PER_MODEL = "watcher", "per_model"


def transform_mode() -> str:
    """``watcher`` (one dbt build, a sensor per model) or ``per_model`` (one dbt invocation per model)."""
    mode = os.environ.get(TRANSFORM_MODE_ENV, WATCHER)
    if mode not in (WATCHER, PER_MODEL):
        raise ValueError(f"{TRANSFORM_MODE_ENV}={mode!r}: expected {WATCHER!r} or {PER_MODEL!r}")
    return mode


def project_config() -> ProjectConfig:
    """The dbt project, rendered from its parsed manifest."""
    if not DBT_MANIFEST.exists():
        raise FileNotFoundError(
            f"{DBT_MANIFEST} is missing: run `make setup` (or `. .sellerflow/env && dbt parse --project-dir dbt`)"
        )
    return ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=DBT_MANIFEST,
        project_name="sellerflow",
        install_dbt_deps=False,
    )


def profile_config() -> ProfileConfig:
    """dbt/profiles.yml: the warehouse from the SELLERFLOW_WAREHOUSE_* variables (see the module docstring)."""
    return ProfileConfig(
        profile_name="sellerflow",
        target_name="warehouse",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def execution_config() -> ExecutionConfig:
    """dbt in-process through dbtRunner (about 1 s a node instead of ~8 s a subprocess): one ``dbt build``
    watched per model (``watcher``), or one invocation per model (``per_model``)."""
    if transform_mode() == PER_MODEL:
        return ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER)
    return ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER,
        invocation_mode=InvocationMode.DBT_RUNNER,
        # The producer never retries: Cosmos skips a producer retry anyway (the failed nodes' sensors rerun
        # their node alone), so a retry would only add the retry delay to a failed run.
        setup_operator_args={"retries": 0},
    )


def render_config() -> RenderConfig:
    """One task per model with its tests right after it; a test over several models (e.g. the tie-out of the
    reconciliation to the report lines) gets its own task after all of them."""
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        test_behavior=TestBehavior.AFTER_EACH,
        should_detach_multiple_parents_tests=True,
    )


def raw_source_tables() -> list[tuple[str, str]]:
    """(source, entity) of every raw table the dbt project declares as a source, from the parsed manifest."""
    import json

    manifest = json.loads(DBT_MANIFEST.read_text())
    tables = []
    for node in manifest["sources"].values():
        if node["schema"] == "raw":
            name, source = node["identifier"] or node["name"], node["source_name"]
            tables.append((source, name.removeprefix(f"{source}_")))
    return sorted(set(tables))


def prepare_raw_tables(dsn: str) -> int:
    """Create, empty, every raw table the dbt project reads that no extraction has created yet (a seller without,
    say, a Megamarket cabinet still gets a green build); one connection. Returns how many tables dbt reads."""
    import psycopg

    from sellerflow.warehouse.loader import ensure_raw_table

    tables = raw_source_tables()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for source, entity in tables:
            ensure_raw_table(conn, source, entity)
    return len(tables)


# --- watcher sensors that never occupy a worker ---------------------------------------------------------------
# Cosmos's watcher sensors start on a worker, find the model unfinished and defer, then resume on a worker: two
# task starts per model, each parsing this ~200-task DAG (~1.5 s of CPU). On 2 cores that alone is minutes. Here
# every sensor starts in the triggerer (Airflow's start_from_trigger) and ends there (TaskSuccessEvent, ...): a
# worker is used only when a model must run on its own (a cleared or retried task) or to report a failure.

# Each waiting sensor asks for its node's status once per poke (one XCom read through the api-server): ~200
# sensors at 2 s were 100+ calls a second, which on 2 cores slowed the very build they watch. At 10 s a model
# turns green in the grid at most 10 s after dbt finished it, and the run ends at most 10 s after the build.
TRIGGER_POKE_S = 10.0


def _trigger_base():  # imported lazily: the triggerer imports this module by the trigger's classpath
    from cosmos.operators._watcher.triggerer import WatcherTrigger

    return WatcherTrigger


class ModelStatusTrigger(_trigger_base()):
    """Waits in the triggerer for dbt's verdict on one node of the producer's ``dbt build`` and ends the task.

    success / not run (ephemeral) → success; skipped → skipped; failed → failed (retried by Airflow as usual);
    a retried or cleared task (try 2+) or a producer that was skipped → back to a worker, which runs the
    node alone (Cosmos's ``dbt run --select`` / ``dbt test --select`` fallback). When the producer never ran
    (the quality suites stopped the run) the node is skipped.
    """

    def __init__(self, model_unique_id: str, producer_task_id: str, is_test_sensor: bool = False,
                 poke_interval: float = TRIGGER_POKE_S, **_: object) -> None:  # fmt: skip
        super().__init__(model_unique_id=model_unique_id, producer_task_id=producer_task_id, dag_id="",
                         run_id="", map_index=-1, poke_interval=poke_interval, is_test_sensor=is_test_sensor)  # fmt: skip

    def serialize(self) -> tuple[str, dict[str, object]]:
        return (
            f"{__name__}.ModelStatusTrigger",
            {
                "model_unique_id": self.model_unique_id,
                "producer_task_id": self.producer_task_id,
                "is_test_sensor": self.is_test_sensor,
                "poke_interval": self.poke_interval,
            },
        )

    async def _status(self) -> str | None:
        from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key

        if self.is_test_sensor:
            return await self.get_xcom_val_af3(get_tests_status_xcom_key(self.model_unique_id))
        return await self._get_node_status()

    async def run(self):  # type: ignore[override]
        import asyncio

        from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
        from cosmos.listeners.dag_run_listener import EventStatus
        from cosmos.operators._watcher.state import (
            is_dbt_node_status_failed,
            is_dbt_node_status_skipped,
            is_dbt_node_status_success,
        )
        from cosmos.operators._watcher.triggerer import WatcherEventReason

        ti = self.task_instance
        self.dag_id, self.run_id, self.map_index = ti.dag_id, ti.run_id, ti.map_index
        rerun = TriggerEvent({"status": EventStatus.FAILED, "reason": WatcherEventReason.PRODUCER_SKIPPED})
        if ti.try_number > 1:
            self.log.info("try %s of %s: running it alone on a worker", ti.try_number, self.model_unique_id)
            yield rerun
            return
        while True:
            status = await self._status()
            if is_dbt_node_status_success(status):
                yield TaskSuccessEvent()
                return
            if is_dbt_node_status_skipped(status):
                self.log.info("dbt skipped %s", self.model_unique_id)
                yield TaskSkippedEvent()
                return
            if is_dbt_node_status_failed(status):
                self.log.error(
                    "dbt reported %s for %s: its error is in the log of %s",
                    status, self.model_unique_id, self.producer_task_id,
                )  # fmt: skip
                yield TaskFailedEvent()
                return
            producer = await self._get_producer_task_status()
            if producer == "success":  # the build ended without this node (ephemeral, or not selected)
                yield TaskSuccessEvent()
                return
            if producer == "skipped":  # a producer retry skips itself: the node runs alone
                yield rerun
                return
            if producer in ("failed", "upstream_failed", "removed"):
                # The build failed before reaching this node, or never started (quality suites failed).
                self.log.error("%s is %s before dbt reported %s", self.producer_task_id, producer,
                               self.model_unique_id)  # fmt: skip
                yield TaskSkippedEvent() if producer == "upstream_failed" else TaskFailedEvent()
                return
            await asyncio.sleep(self.poke_interval)


# --- a producer that reports each node once, without making dbt wait --------------------------------------------
# Cosmos's producer pushes an XCom for each of dbt's NodeStart, NodeCompiling, NodeExecuting and NodeFinished events
# (about 6 pushes a node, each a round trip through the api-server), and by default it also rewrites a Variable
# holding the compressed copy of every XCom pushed so far after each push ("reliable retry": quadratic in the
# number of nodes, and the copy includes every model's compiled SQL). It pushes from dbt's own threads, so a dbt
# thread waits for each round trip before it starts its next node. Our sensors read only a node's final status and
# our producer never retries (execution_config): the producer below pushes the final status alone, from one
# background thread in dbt's order, and waits for the last push before the build's result is returned (a sensor
# takes a finished producer without its node's status for "not run").
_INTERMEDIATE_NODE_EVENTS = frozenset({"NodeStart", "NodeCompiling", "NodeExecuting"})


def _final_status_only(parse: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    """Wrap Cosmos's dbt-event parser so intermediate node events push nothing (logging is unaffected:
    those events carry no message of their own)."""

    def parse_final(line: str, extra_kwargs: Any) -> None:
        if '"NodeStart"' in line or '"NodeCompiling"' in line or '"NodeExecuting"' in line:
            try:
                if json.loads(line).get("info", {}).get("name") in _INTERMEDIATE_NODE_EVENTS:
                    return
            except ValueError:
                pass
        parse(line, extra_kwargs)

    return parse_final


class BackgroundParser:
    """Runs a dbt-event parser on one background thread, in the order the events came; ``drain`` waits for the
    last one and raises the first error a parse raised."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Callable[[str, Any], None], str, Any]] = queue.Queue()
        self._errors: list[BaseException] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wrap(self, parse: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
        """A parser that queues each event for ``parse`` and returns at once."""

        def queue_event(line: str, extra_kwargs: Any) -> None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._work, name="dbt-status-push", daemon=True)
                    self._thread.start()
            self._queue.put((parse, line, extra_kwargs))

        return queue_event

    def _work(self) -> None:
        while True:
            parse, line, extra_kwargs = self._queue.get()
            try:
                parse(line, extra_kwargs)
            except BaseException as error:  # surfaced by drain(), like Cosmos surfaces a callback's error
                self._errors.append(error)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued event is parsed (its XCom pushed); raise the first error, if any."""
        self._queue.join()
        if self._errors:
            error, self._errors = self._errors[0], []
            raise error


def _lean_producer(producer) -> None:
    """Make the watcher producer push one status per node from a background thread, and keep no incremental
    XCom backup."""
    parser = BackgroundParser()
    make_parse = producer._make_parse_callable
    producer._make_parse_callable = lambda: parser.wrap(_final_status_only(make_parse()))
    run_dbt_runner = producer.run_dbt_runner

    def run_dbt_runner_then_drain(*args, **kwargs):
        try:
            return run_dbt_runner(*args, **kwargs)
        finally:
            parser.drain()

    producer.run_dbt_runner = run_dbt_runner_then_drain
    execute = producer.execute

    def execute_without_incremental_backup(context, **kwargs):
        # Cosmos reads its "reliable retry" switch when execute starts; the backup buffer it sets up is still
        # flushed to a Variable once by the on-failure callback, which is all a failed producer needs.
        from cosmos import settings

        settings.enable_watcher_reliable_retry = False
        return execute(context, **kwargs)

    producer.execute = execute_without_incremental_backup


def watch_from_triggerer(dag) -> int:
    """Make every Cosmos watcher sensor of ``dag`` start and end in the triggerer, and the producer push only
    what they read; returns how many sensors."""
    from airflow.triggers.base import StartTriggerArgs
    from cosmos.operators._watcher.base import BaseConsumerSensor
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    for producer in dag.tasks:
        if isinstance(producer, DbtProducerWatcherOperator):
            _lean_producer(producer)
    sensors = [task for task in dag.tasks if isinstance(task, BaseConsumerSensor)]
    for sensor in sensors:
        sensor.start_from_trigger = True
        sensor.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.ModelStatusTrigger",
            trigger_kwargs={
                "model_unique_id": sensor.model_unique_id,
                "producer_task_id": sensor.producer_task_id,
                "is_test_sensor": sensor.is_test_sensor,
                "poke_interval": TRIGGER_POKE_S,
            },
            next_method="execute_complete",
            next_kwargs=None,
            timeout=None,
        )
    return len(sensors)
