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

import os

from airflow.sdk import DAG, AssetAny, BaseOperator
from airflow.sdk.definitions.asset import BaseAsset
from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR

DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
TRANSFORM_MODE_ENV = "SELLERFLOW_TRANSFORM_MODE"
WATCHER, PER_MODEL = "watcher", "per_model"
# What the transform's one `dbt build` leaves out (see watch_from_triggerer); bench/transform_cycle.py and
# bench/reconcile.py time the same flags from the CLI. dbt's unit tests run nightly. The build runs in a temporary
# copy of the project that Cosmos deletes afterwards, so dbt's debug log file and its JSON artifacts
# (manifest.json, run_results.json) would be written only to be thrown away: ~15 % of a cycle's dbt CPU. Its
# stdout lines too (`--quiet`: errors only): the producer's event callback logs dbt's lines to the task log
# (orchestration/dbt_watcher.py), and the JSON lines Cosmos has dbt print were formatted, scrubbed of secrets and
# dropped again, about a tenth of a cycle's dbt CPU. Every node's status is in the status board.
CYCLE_BUILD_FLAGS = (
    "--exclude-resource-type", "unit_test", "--log-level-file", "none", "--no-write-json", "--quiet",
)  # fmt: skip


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
    config = ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=DBT_MANIFEST,
        project_name="sellerflow",
        install_dbt_deps=False,
    )
    # Cosmos wraps the path in an ObjectStoragePath, whose first read loads every Airflow plugin (the lineage
    # collector's readers): sellerflow's plugin with its web apps, about a second of every parse of the DAG file.
    # The manifest is a local file.
    config.manifest_path = DBT_MANIFEST
    return config


class _AssetAnyHashedOnce(AssetAny):
    """``AssetAny`` that computes its hash once. Airflow hashes the whole DAG, schedule included, at each ``>>``
    between two of its tasks, and an Asset hashes by serializing itself to JSON: ~600 hashes of ~80 raw Assets
    were a quarter of transform_dbt's parse."""

    _hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


def any_of(*assets: BaseAsset) -> AssetAny:
    """The transform's schedule: a run when any of ``assets`` is updated (``AssetAny``, cheap to hash)."""
    return _AssetAnyHashedOnce(*assets)


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
    """``watcher``: one task per model (and seed); the model's data tests run in the same build and report in that
    task (see ``watch_from_triggerer``). ``per_model``: each model's tests in a task right after it, and a test
    over several models in a task after all of them."""
    if transform_mode() == WATCHER:
        return RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.NONE)
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


# --- watcher tasks that wait in the triggerer, all at once ------------------------------------------------------
def watch_from_triggerer(dag: DAG, checked: BaseOperator) -> int:
    """Make every Cosmos watcher task of ``dag`` wait for dbt's verdict in the triggerer (orchestration/dbt_watcher)
    right after ``checked`` (the quality checks) succeeds, and the producer publish the status board they read;
    returns how many tasks. The producer starts beside ``checked`` and builds once it passed (``wait_for_task``).

    Cosmos wires the tasks along dbt's graph: each started only when the one before it ended, one scheduler loop
    and one triggerer pickup per level, ~15 levels after the build. Here each depends only on ``checked`` and the
    producer (``one_success``: it starts with the producer, is skipped with it when the transform gate skips the
    build, and never starts when the quality checks fail), so all of them end within one poll of the build. The
    graph view loses dbt's lineage between the tasks (the dbt docs keep it); dbt itself still builds in its order.

    One task per model, not one more for its tests: the triggerer handles each waiting task with a copy of the
    whole serialized DAG, so its work grows with tasks × tasks (245 tasks kept it busy for over a minute on 2
    cores). A model's task watches the model and its data tests, the build runs them as before, and a cleared task
    runs ``dbt build --select <model>`` (the model and its tests).
    """
    from airflow.triggers.base import StartTriggerArgs
    from cosmos.operators._watcher.base import BaseConsumerSensor
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    from sellerflow.orchestration.dbt_watcher import TRIGGER_POKE_S, publish_statuses

    producers = [task for task in dag.tasks if isinstance(task, DbtProducerWatcherOperator)]
    sensors = [task for task in dag.tasks if isinstance(task, BaseConsumerSensor)]
    if not producers:  # per_model: dbt's first tasks wait for the quality checks
        checked.set_downstream([root for root in dag.roots if root is not checked])
        return 0
    (producer,) = producers
    publish_statuses(producer, wait_for=checked.task_id)
    # Cosmos keeps the tests out of a build whose tests have no tasks (--resource-type model seed ...): ours
    # report in their model's task. dbt's unit tests check the models' SQL on fixed inputs, not the data, so
    # they run nightly (dbt_nightly) and in `make test`, not every 10 minutes (a fifth of a build's CPU).
    producer.dbt_cmd_flags = [*_without_option(producer.dbt_cmd_flags, "--resource-type"), *CYCLE_BUILD_FLAGS]
    _unchain(dag, {sensor.task_id for sensor in sensors})
    checked.set_downstream(sensors)
    producer.set_downstream(sensors)
    for sensor in sensors:
        if sensor.base_cmd == ["run"]:
            sensor.base_cmd = ["build"]  # a cleared model task: the model and its tests
        sensor.trigger_rule = "one_success"
        sensor.start_from_trigger = True
        sensor.start_trigger_args = StartTriggerArgs(
            trigger_cls="sellerflow.orchestration.dbt_watcher.ModelStatusTrigger",
            trigger_kwargs={
                "node_ids": [
                    sensor.model_unique_id,
                    *producer.tests_per_model.get(sensor.model_unique_id, []),
                ],
                "producer_task_id": sensor.producer_task_id,
                "poke_interval": TRIGGER_POKE_S,
            },
            next_method="execute_complete",
            next_kwargs=None,
            timeout=None,
        )
    return len(sensors)


def _without_option(flags: list[str], option: str) -> list[str]:
    """``flags`` without every ``option <value>`` pair."""
    kept, skip = [], False
    for flag in flags:
        if skip:
            skip = False
        elif flag == option:
            skip = True
        else:
            kept.append(flag)
    return kept


def _unchain(dag: DAG, task_ids: set[str]) -> None:
    """Remove every dependency that leads into a task of ``task_ids`` (and the task groups' copies, which the
    graph view draws)."""
    for task_id in task_ids:
        task = dag.task_dict[task_id]
        for upstream in task.upstream_task_ids:
            dag.task_dict[upstream].downstream_task_ids.discard(task_id)
        task.upstream_task_ids.clear()
    for group in dag.task_group_dict.values():
        for edges in (group.upstream_group_ids, group.downstream_group_ids):
            edges.clear()
        group.upstream_task_ids.clear()
        group.downstream_task_ids.clear()
