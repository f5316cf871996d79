"""Scheduling that cannot starve, under the real scheduler: a private Airflow installation (its own metadata
database, AIRFLOW_HOME and ports) runs extract_ozon against the Ozon emulator and transform_dbt on a throwaway
warehouse.

The transform is held inside its run by a lock on a raw table it reads (another session holds it), so its
tasks stay running for as long as the test wants, whatever the machine's speed. Meanwhile:

- a triggered extraction runs to the end: extraction never waits behind dbt tasks (they hold only the `dbt`
  pool's slots, and extraction tasks outrank them);
- the Asset events of two extraction runs that land while the transform works start no second concurrent run;
  when the run ends, exactly one next run starts, queued after both extractions ended (so its dbt reads what
  both landed). Airflow links to that run the events up to the first queued one of each Asset; the later ones
  of the same Asset are covered by it without a run of their own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from sellerflow.orchestration import dbt_cycle
from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR, profile_env
from sellerflow.orchestration.pools import POOLS
from sellerflow.warehouse.loader import ensure_raw_table
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators import clock
from sellerflow_emulators.ozon import create_app as ozon_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import free_port, serve_in_thread
from sellerflow_emulators.testing.extract import connections, generate_world

pytestmark = pytest.mark.e2e

_spec = importlib.util.spec_from_file_location("airflow_stack", Path(__file__).with_name("airflow_stack.py"))
airflow_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(airflow_stack)  # type: ignore[union-attr]

TRANSFORM, EXTRACT = "transform_dbt", "extract_ozon"
HELD_TABLE = ("onec", "products")  # read by the transform, never written by extract_ozon
TIMEOUT_S = 90
BUILD_TIMEOUT_S = 900  # a whole dbt build under the scheduler, on a loaded 2-core machine
CLEARED = "stg_onec__products_run"


def _database(admin: str, stack: list[str]) -> str:
    name = f"sellerflow_test_sched_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    stack.append(name)
    params = conninfo_to_dict(admin)
    return f"postgresql://sellerflow:sellerflow@{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{name}"


@pytest.fixture(scope="module")
def ozon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorState, str, Path]]:
    """The Ozon emulator over a small generated world: (state, url, world dir)."""
    world_dir = tmp_path_factory.mktemp("sched_world")
    world = generate_world(world_dir)
    shutil.copy(world, world_dir / "served.sqlite")
    state = EmulatorState(world_dir / "served.sqlite")
    with serve_in_thread(ozon_app(state)) as url:
        yield state, url, world_dir


@pytest.fixture(scope="module")
def stack(ozon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """A running Airflow installation and its warehouse DSN."""
    _, url, world_dir = ozon
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    made: list[str] = []
    try:
        metadata, warehouse = _database(admin, made), _database(admin, made)
        migrate(warehouse)
        ensure_raw_table(warehouse, *HELD_TABLE)
        accounts = {
            c["conn_id"]: {"conn_type": "http", "host": url, "login": c["login"], "password": c["password"],
                           "extra": {**c["extra"], "horizon_days": 120}}
            for c in connections(world_dir, "ozon")
        }  # fmt: skip
        env = {
            "SELLERFLOW_WAREHOUSE_DSN": warehouse,
            "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": warehouse,
            **profile_env(warehouse),
            "AIRFLOW_VAR_SELLERFLOW_ACCOUNTS": json.dumps({"ozon": list(accounts)}),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # only the runs this test starts
            **{f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(c) for conn_id, c in accounts.items()},
        }
        airflow = airflow_stack.AirflowStack(
            tmp_path_factory.mktemp("sched_airflow"), metadata, free_port(), env
        )
        try:
            airflow.start()
            airflow.set_pools(POOLS)
            airflow.wait_parsed([EXTRACT, TRANSFORM])
            yield airflow, warehouse
        finally:
            airflow.stop()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in made:
                conn.execute(f'drop database if exists "{name}" with (force)')


def _wait(predicate, what: str, timeout_s: float = TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _consumed_source_runs(airflow, run_id: str) -> set[str]:
    rows = airflow.query(
        "select e.source_run_id from dagrun_asset_event d join asset_event e on e.id = d.event_id "
        "join dag_run r on r.id = d.dag_run_id where r.dag_id = %s and r.run_id = %s",
        TRANSFORM,
        run_id,
    )
    return {source for (source,) in rows}


def test_extraction_runs_while_the_transform_holds_its_tasks_and_events_coalesce(stack, ozon) -> None:
    airflow, warehouse = stack
    state, _, _ = ozon
    with psycopg.connect(warehouse) as holder:
        holder.execute(f"lock table raw.{HELD_TABLE[0]}_{HELD_TABLE[1]} in access exclusive mode")
        airflow.api("PATCH", f"/dags/{TRANSFORM}", json={"is_paused": False})
        first = airflow.trigger(TRANSFORM)
        _wait(
            lambda: "running" in airflow.task_states(TRANSFORM, first).values(),
            "a transform task to run (and block on the lock)",
        )
        airflow.api("PATCH", f"/dags/{EXTRACT}", json={"is_paused": False})  # the scheduler starts a run

        # 1. An extraction (the scheduled run that unpausing starts) runs to the end while the transform is stuck.
        extract_1 = _wait(lambda: [r[0] for r in airflow.runs(EXTRACT)], "an extract_ozon run")[0]
        assert airflow.wait_run(EXTRACT, extract_1, TIMEOUT_S) == "success", airflow.task_states(
            EXTRACT, extract_1
        )
        assert airflow.run_state(TRANSFORM, first) == "running"
        assert "running" in airflow.task_states(TRANSFORM, first).values(), "the transform still holds a slot"
        assert set(airflow.task_states(EXTRACT, extract_1).values()) <= {"success", "skipped"}
        assert airflow.task_states(EXTRACT, extract_1)["publish_assets"] == "success", (
            "it emitted Asset events"
        )

        # 2. A second extraction lands new orders; its events and the first one's queue behind the running run.
        clock.advance(state.conn(), state.now() + timedelta(days=1))
        extract_2 = airflow.trigger(EXTRACT)
        assert airflow.wait_run(EXTRACT, extract_2, TIMEOUT_S) == "success", airflow.task_states(
            EXTRACT, extract_2
        )
        time.sleep(3)  # several scheduler loops: none may start a second transform run
        assert [r[0] for r in airflow.runs(TRANSFORM)] == [first], "one transform run at a time"
        queued = airflow.query(
            "select count(*) from asset_dag_run_queue where target_dag_id = %s", TRANSFORM
        )[0][0]
        assert queued > 0, "the extractions' Asset events wait in the queue"

    # 3. The run ends: exactly one next run starts, and it consumes the events of both extraction runs.
    airflow.api("PATCH", f"/dags/{TRANSFORM}/dagRuns/{first}", json={"state": "failed"})
    second = _wait(lambda: [r for r in airflow.runs(TRANSFORM) if r[0] != first], "the next transform run")
    time.sleep(3)
    runs = [r for r in airflow.runs(TRANSFORM) if r[0] != first]
    assert len(runs) == 1, f"one run for all queued events, got {runs}"
    assert second[0][1] == "asset_triggered"
    assert _consumed_source_runs(airflow, second[0][0]) & {extract_1, extract_2}, (
        "it was started by their events"
    )
    ((queued_at,),) = airflow.query(
        "select queued_at from dag_run where dag_id = %s and run_id = %s", TRANSFORM, second[0][0]
    )
    ((extract_2_end,),) = airflow.query(
        "select end_date from dag_run where dag_id = %s and run_id = %s", EXTRACT, extract_2
    )
    assert queued_at > extract_2_end, "the next run starts after both extractions landed: it reads both"


def _finished_transform_run(airflow) -> str:
    """The latest transform run once it ended (the run the first test's events queued builds what both
    extractions landed); a run triggered by hand if there is none."""
    runs = airflow.runs(TRANSFORM)
    run_id = runs[-1][0] if runs and runs[-1][2] not in ("failed",) else airflow.trigger(TRANSFORM)
    airflow.wait_run(TRANSFORM, run_id, BUILD_TIMEOUT_S)
    return run_id


def _left_out(producer_log: str) -> set[str]:
    """The quiet nodes the producer's log names (none on a whole-project build)."""
    marker = "left out, nothing new reached them: "
    lines = [line.split(marker, 1)[1] for line in producer_log.splitlines() if marker in line]
    return {name.strip() for line in lines for name in line.split(",")}


def _tries(airflow, run_id: str) -> dict[str, int]:
    rows = airflow.query(
        "select task_id, try_number from task_instance where dag_id = %s and run_id = %s", TRANSFORM, run_id
    )
    return dict(rows)


def test_a_run_after_a_whole_build_leaves_the_unchanged_views_alone(stack) -> None:
    """Once a whole-project build of this version succeeded (recorded by the producer), a run builds the `cycle`
    selector: a view over raw is not re-created and its task ends skipped, saying why; a pushed view's tests run."""
    from sellerflow.orchestration import dbt_cycle

    airflow, warehouse = stack
    airflow.api("PATCH", f"/dags/{TRANSFORM}", json={"is_paused": False})
    _finished_transform_run(airflow)
    with psycopg.connect(warehouse) as conn:
        versions = [v for (v,) in conn.execute("select project_version from ops.dbt_project_versions")]
    assert versions == [dbt_cycle.project_version()], "the producer recorded the whole build of this version"
    run_id = airflow.trigger(TRANSFORM)
    assert airflow.wait_run(TRANSFORM, run_id, BUILD_TIMEOUT_S) == "success"
    states = airflow.task_states(TRANSFORM, run_id)
    assert states[CLEARED] == "skipped", "stg_onec__products, a view over raw, is left as it is"
    assert states["sync_ozon__stocks_run"] == "success", "its tests ran (a pushed view)"
    logs = airflow.home / "logs" / f"dag_id={TRANSFORM}" / f"run_id={run_id}"
    producer = next(logs.glob("task_id=dbt_producer_watcher/attempt=1.log")).read_text()
    assert "dbt build of the cycle" in producer, producer[-3000:]
    skipped = next(logs.glob(f"task_id={CLEARED}/attempt=1.log*")).read_text()  # its trigger's log
    assert "built when the dbt project changes" in skipped, skipped[-2000:]
    # Nothing landed since the whole build: the incremental staging models of the marketplace no extraction
    # filled are quiet, left out with their tests, and their tasks end skipped.
    quiet = _left_out(producer)
    assert "stg_megamarket__shipments" in quiet, producer[-3000:]
    assert states["stg_megamarket__shipments_run"] == "skipped"
    assert {t for t in quiet if f"{t}_run" in states} <= {
        t.removesuffix("_run") for t, s in states.items() if s == "skipped"
    }


def test_every_model_task_ends_with_the_build_and_a_cleared_one_reruns_alone(stack) -> None:
    """The watcher tasks wait side by side in the triggerer and end green with the one dbt build; clearing one
    model's task (the way to retry a model) runs that model alone on a worker and leaves every other task as it
    was."""
    airflow, _ = stack
    airflow.api("PATCH", f"/dags/{TRANSFORM}", json={"is_paused": False})
    run_id = _finished_transform_run(airflow)
    states = airflow.task_states(TRANSFORM, run_id)
    assert airflow.run_state(TRANSFORM, run_id) == "success", {
        t: s for t, s in states.items() if s != "success"
    }
    assert set(states.values()) <= {"success", "skipped"}, (
        "every model's task ended from the build's statuses"
    )
    skipped = {
        task.removesuffix("_run").removesuffix("_seed")
        for task, state in states.items()
        if state == "skipped"
    }
    logs = airflow.home / "logs" / f"dag_id={TRANSFORM}" / f"run_id={run_id}"
    producer = next(logs.glob("task_id=dbt_producer_watcher/attempt=1.log")).read_text()
    left_out = {
        name
        for _, name in dbt_cycle.built_once_relations(
            dbt_cycle.load_manifest(DBT_PROJECT_DIR / "target" / "manifest.json")
        )
    } | _left_out(producer)
    assert skipped <= left_out, "only the views, seeds and quiet models a cycle leaves out are skipped"
    assert len(states) > 100
    before = _tries(airflow, run_id)

    airflow.api(
        "POST",
        f"/dags/{TRANSFORM}/clearTaskInstances",
        json={"dry_run": False, "dag_run_id": run_id, "task_ids": [CLEARED], "only_failed": False,
              "include_upstream": False, "include_downstream": False, "reset_dag_runs": True},
    )  # fmt: skip
    _wait(lambda: _tries(airflow, run_id)[CLEARED] > before[CLEARED], "the cleared task to start again", 120)
    assert airflow.wait_run(TRANSFORM, run_id, BUILD_TIMEOUT_S) == "success"
    after = _tries(airflow, run_id)
    assert airflow.task_states(TRANSFORM, run_id)[CLEARED] == "success"
    assert {task for task, tries in after.items() if tries != before[task]} == {CLEARED}, "it reran alone"
    log = next(
        (airflow.home / "logs").glob(f"dag_id={TRANSFORM}/run_id={run_id}/task_id={CLEARED}/attempt=2.log")
    )
    text = log.read_text()
    assert "--select stg_onec__products" in text or "'--select', 'stg_onec__products'" in text, text[-3000:]
    assert "START sql" in text, "dbt built that one model (and ran its tests) on the worker"
