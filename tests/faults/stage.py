"""The fault suite's stage: one world, the five vendor emulators, a private Postgres cluster for the warehouse and
one real Airflow installation (scheduler, dag-processor, triggerer, api-server), shared by every case.

Each case starts from a pristine copy of the world served on the session's fixed emulator ports (the Airflow
connections point there), and from an empty warehouse (the database is re-created on the private cluster, the
DAG's ``list_accounts`` task migrates it). DAG runs are triggered through the REST API with a logical date at
the world's clock, so a run's ``now`` is the emulators' time, as in the extraction tests.

What a case measures after recovery:

- lost: keys the world has and raw does not, plus keys whose latest payload differs from the world's;
- duplicated: raw keys the world does not have, plus versions beyond the one each key should have (the world
  stands still during a case, so every key has exactly one version);
- double effects: writes a vendor accepted more than once for one item (``push_log``: the same method, path and
  body again; 1C: a second ЗаказКлиента for one marketplace order).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.orchestration.dbt_cli import profile_env
from sellerflow.orchestration.pools import POOLS
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import RateLimiter
from sellerflow_emulators.runtime import EmulatorState, LimitDecision, parse_ts
from sellerflow_emulators.testing import free_port, serve_in_thread
from sellerflow_emulators.testing import megamarket as mm_testing
from sellerflow_emulators.testing import wildberries as wb_testing
from sellerflow_emulators.testing import yandex_market as ym_testing
from sellerflow_emulators.testing.extract import (  # _same: the helper's own field comparison, for the counts
    Expected,
    _same,
    generate_world,
    latest_payloads,
    ozon_world,
    pick,
    world_differences,
)

from .cluster import PrivateCluster

ROOT = Path(__file__).resolve().parents[2]
MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")
VENDORS = (*MARKETPLACES, "onec")
WAREHOUSE_DB = "faults_warehouse"
HORIZON_DAYS = 40
RUN_TIMEOUT_S = 900
# Ends on the day the suite runs, so the world's clock (its last midnight) is close to the wall clock the
# Airflow components keep; 12 days of 30 orders cover a weekly WB finance report.
SCENARIO_DAYS, ORDERS_PER_DAY = 12, 30
# The stack's recovery knobs, shortened from Airflow's defaults (300 s) so a lost task is noticed within a minute:
# how long a running task may go without a heartbeat, and how often the scheduler looks for tasks of dead jobs.
RECOVERY_ENV = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "45",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "20",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "15",
}


def _airflow_stack_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "airflow_stack", ROOT / "tests" / "dags" / "airflow_stack.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class CountingLimiter(RateLimiter):
    """The emulators' rate limiter, counting the requests it refused per vendor (the storm's fault log)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: Counter[str] = Counter()

    def acquire(self, vendor: str, group: str, account: str, cost: int = 1) -> LimitDecision:
        """The limiter's decision; a refusal is counted."""
        decision = super().acquire(vendor, group, account, cost)
        if not decision.allowed:
            self.refused[vendor] += 1
        return decision


# -- the emulators ---------------------------------------------------------------------------------------------


class Emulators:
    """The five vendor emulators on fixed ports, each case over a fresh copy of the pristine world."""

    def __init__(self, pristine: Path) -> None:
        self.pristine = pristine
        self.ports = {vendor: free_port() for vendor in VENDORS}
        self.document = json.loads((pristine / "accounts.json").read_text())

    def url(self, vendor: str) -> str:
        """Base URL of a vendor's emulator."""
        return f"http://127.0.0.1:{self.ports[vendor]}"

    @contextmanager
    def serve(self, into: Path) -> Iterator[EmulatorState]:
        """Serve a copy of the pristine world from ``into``; yield the emulators' shared state."""
        for name in ("world.sqlite", "accounts.json"):
            shutil.copy(self.pristine / name, into / name)
        state = EmulatorState(into / "world.sqlite")
        state.limits = CountingLimiter()
        wb_testing.apply_limits(state, wb_testing.scaled_limits(wb_testing.SPEED)[0])
        ym_testing.relax_report_quota(state)
        with ExitStack() as stack:
            for vendor in VENDORS:
                app = importlib.import_module(f"sellerflow_emulators.{vendor}").create_app(state)
                stack.enter_context(serve_in_thread(app, port=self.ports[vendor]))
            yield state

    def connections(self) -> dict[str, dict[str, Any]]:
        """Airflow connections (conn_id → connection JSON) of every account of the world, at the emulators."""
        out: dict[str, dict[str, Any]] = {}
        for conn in self.document["connections"]:
            conn_id = conn["conn_id"]
            if conn_id.startswith("onec_"):
                path = conn["host"].split("/", 3)[3]
                host, extra = f"{self.url('onec')}/{path}", dict(conn["extra"])
            else:
                source = next(mp for mp in MARKETPLACES if conn_id.startswith(f"mp_{mp}_"))
                host, extra = self.url(source), {**conn["extra"], "horizon_days": HORIZON_DAYS}
                if source == "wildberries":
                    extra["rate_limits"] = wb_testing.scaled_limits(wb_testing.SPEED)[1]
                if source == "yandex_market":
                    extra.update({k: v for k, v in ym_testing.TEST_EXTRA.items() if k != "horizon_days"})
            body = {"conn_type": "http", "host": host, "password": conn["password"], "extra": extra}
            if conn.get("login"):
                body["login"] = conn["login"]
            out[conn_id] = body
        return out

    def accounts_variable(self) -> dict[str, list[str]]:
        """The ``sellerflow_accounts`` Variable: connection ids per source."""
        listing: dict[str, list[str]] = {}
        for conn_id in self.connections():
            source = "onec" if conn_id.startswith("onec_") else conn_id.split("_", 1)[1].rsplit("_", 1)[0]
            listing.setdefault(source, []).append(conn_id)
        return listing


def expected_world(source: str, world: Path) -> Expected:
    """What a marketplace emulator serves at the world's clock (the check's expectation side)."""
    if source == "ozon":
        return ozon_world(world)
    if source == "wildberries":
        return wb_testing.world(world)
    if source == "yandex_market":
        return ym_testing.world(world, horizon_days=HORIZON_DAYS)
    if source == "megamarket":
        return mm_testing.world(world)
    raise ValueError(f"no world expectation for {source}")


# -- what a case measures --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Lost, duplicated and double effects found by a case's checks, with what they were."""

    lost: int = 0
    duplicated: int = 0
    double_effects: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Sum another tally into this one."""
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.double_effects += other.double_effects
        self.problems += other.problems


def raw_tally(dsn: str, source: str, expected: Expected, entities: Iterable[str] | None = None) -> Tally:
    """Compare the ``raw.<source>_*`` tables (every one, or ``entities``) with the world: lost keys and payloads,
    extra keys and versions; ``world_differences`` says what differs."""
    tally = Tally()
    got_all = latest_payloads(dsn, source)
    names = sorted(set(entities) if entities is not None else set(got_all) | set(expected))
    for entity in names:
        want = {a: keys for a, keys in expected.get(entity, {}).items() if keys}
        got = got_all.get(entity, {})
        for account in set(want) | set(got):
            world, landed = want.get(account, {}), got.get(account, {})
            missing = set(world) - set(landed)
            stale = [k for k in set(world) & set(landed) if not all(
                _same(pick(landed[k], path), value) for path, value in world[k].items())]  # fmt: skip
            extra = set(landed) - set(world) if entity in expected else set()
            tally.lost += len(missing) + len(stale)
            tally.duplicated += len(extra)
    differences = world_differences(dsn, source, expected, entities=names)
    tally.problems += [f"{source}.{e}: {p}" for e, ps in differences.items() for p in ps]
    repeated = {e: n for e, n in _repeated_versions(dsn, source).items() if e in names and n}
    tally.duplicated += sum(repeated.values())
    tally.problems += [f"{source}.{e}: {n} repeated versions" for e, n in repeated.items()]
    return tally


def _repeated_versions(dsn: str, source: str) -> dict[str, int]:
    """Per raw entity: versions beyond one per key."""
    out: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        names = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_type = 'BASE TABLE' and starts_with(table_name, %s) order by 1",
            (f"{source}_",),
        ).fetchall()
        for (name,) in names:
            query = sql.SQL("select count(*) - count(distinct (account_id, natural_key)) from {}").format(
                sql.Identifier("raw", name)
            )
            out[name.removeprefix(f"{source}_")] = int(conn.execute(query).fetchone()[0])
    return out


def double_effects(world: Path) -> Tally:
    """Writes a vendor accepted more than once for one item, from the emulators' write log."""
    conn = sqlite3.connect(world)
    try:
        repeats = conn.execute(
            "select vendor, account_id, method, path, count(*) from push_log "
            "group by vendor, account_id, method, path, body having count(*) > 1"
        ).fetchall()
        orders = conn.execute(
            "select base_id, customer_order_number, count(*) from onec_documents where doc_type = 'ЗаказКлиента' "
            "and fields like '%sellerflow:%' group by 1, 2 having count(*) > 1"
        ).fetchall()
    finally:
        conn.close()
    tally = Tally(double_effects=sum(r[-1] - 1 for r in repeats) + sum(r[-1] - 1 for r in orders))
    tally.problems += [f"{v}/{a} {m} {p} accepted {n} times" for v, a, m, p, n in repeats]
    tally.problems += [f"1C {b}: {n} ЗаказКлиента for order {o}" for b, o, n in orders]
    return tally


# -- the stack -------------------------------------------------------------------------------------------------


class FaultStack:
    """The session's world, emulators, private warehouse cluster and Airflow installation."""

    def __init__(self, workdir: Path, metadata_dsn: str) -> None:
        self.workdir = workdir
        today = datetime.now().astimezone().date()
        start = (today - timedelta(days=SCENARIO_DAYS)).isoformat()
        pristine = workdir / "world"
        generate_world(
            pristine,
            (
                "--seed",
                "7",
                "--days",
                str(SCENARIO_DAYS),
                "--orders-per-day",
                str(ORDERS_PER_DAY),
                "--start",
                start,
            ),
        )
        self.emulators = Emulators(pristine)
        self.cluster = PrivateCluster()
        self.metadata_dsn = metadata_dsn
        self.warehouse = self.cluster.dsn(WAREHOUSE_DB)
        self.airflow: Any = None
        self._triggers = 0

    def start(self) -> None:
        """Start the cluster and Airflow; wait until every DAG is parsed."""
        self.cluster.start()
        self.cluster.recreate_database(WAREHOUSE_DB)
        connections = self.emulators.connections()
        env = {
            "SELLERFLOW_WAREHOUSE_DSN": self.warehouse,
            "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": self.warehouse,
            **profile_env(self.warehouse),
            "AIRFLOW_VAR_SELLERFLOW_ACCOUNTS": json.dumps(self.emulators.accounts_variable()),
            **{f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(c) for conn_id, c in connections.items()},
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs a case triggers
            **RECOVERY_ENV,
        }
        stack = _airflow_stack_module().AirflowStack(
            self.workdir / "airflow", self.metadata_dsn, free_port(), env
        )
        self.airflow = stack
        stack.start()
        stack.set_pools(POOLS)
        stack.wait_parsed([p.stem for p in (ROOT / "dags").glob("*.py")])

    def stop(self) -> None:
        """Stop Airflow and the cluster (only what this stack started)."""
        try:
            if self.airflow is not None:
                self.airflow.stop()
        finally:
            self.cluster.stop()

    @property
    def clock(self) -> datetime:
        """The pristine world's clock."""
        conn = sqlite3.connect(self.emulators.pristine / "world.sqlite")
        try:
            return parse_ts(conn.execute("select value from meta where key = 'clock'").fetchone()[0])
        finally:
            conn.close()

    @contextmanager
    def case(self, name: str) -> Iterator[Case]:
        """An empty warehouse and a fresh copy of the world served, for one case."""
        into = self.workdir / "cases" / name
        into.mkdir(parents=True)
        self.cluster.recreate_database(WAREHOUSE_DB)
        with self.emulators.serve(into) as state:
            yield Case(self, name, state, into / "world.sqlite")

    # -- driving Airflow --------------------------------------------------------------------------------------

    def trigger(self, dag_id: str, at: datetime) -> str:
        """A manual run whose data interval ends at ``at`` (plus a second per trigger, so logical dates differ)."""
        self._triggers += 1
        moment = (at + timedelta(seconds=self._triggers)).isoformat()
        body = {
            "logical_date": moment,
            "data_interval_start": moment,
            "data_interval_end": moment,
            "conf": {},
        }
        return self.airflow.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def wait(self, dag_id: str, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> str | None:
        """Block until the run ends; its state."""
        return self.airflow.wait_run(dag_id, run_id, timeout_s)

    def tries(self, dag_id: str, run_id: str) -> dict[str, tuple[str | None, int]]:
        """task (with map index) → (state, try number)."""
        rows = self.airflow.query(
            "select task_id, map_index, state, try_number from task_instance where dag_id = %s and run_id = %s",
            dag_id,
            run_id,
        )
        return {(t if i < 0 else f"{t}[{i}]"): (s, n) for t, i, s, n in rows}

    def running_task(self, dag_id: str, run_id: str, task_id: str) -> tuple[int, int] | None:
        """(map index, pid) of a running instance of ``task_id`` that has a process, or None."""
        rows = self.airflow.query(
            "select map_index, pid from task_instance where dag_id = %s and run_id = %s and task_id = %s "
            "and state = 'running' and pid is not null order by map_index limit 1",
            dag_id,
            run_id,
            task_id,
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def task_log(self, dag_id: str, run_id: str) -> str:
        """Every task log of a run, concatenated (for failure messages and log assertions)."""
        folder = self.workdir / "airflow" / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*.log")))

    def scheduler_pid(self) -> int:
        """PID of the scheduler this stack started."""
        return self.airflow.processes["scheduler"].pid

    def crash_scheduler(self) -> int:
        """SIGKILL the scheduler's process group (the scheduler, its executor workers and their tasks: all
        started by this stack, in the session ``start_new_session`` gave it); start a new scheduler. Returns
        the PID killed."""
        old = self.airflow.processes["scheduler"]
        os.killpg(old.pid, signal.SIGKILL)
        old.wait(timeout=30)
        log = (self.airflow.home / "scheduler.log").open("ab")
        self.airflow.processes["scheduler"] = subprocess.Popen(
            ["airflow", "scheduler"], env=self.airflow.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        return old.pid


def wait_for(predicate: Callable[[], Any], what: str, timeout_s: float = 300) -> Any:
    """Poll until ``predicate`` returns something truthy; that value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


@dataclass
class Case:
    """One case: its served world copy, fault switches and checks."""

    stack: FaultStack
    name: str
    state: EmulatorState
    world: Path
    tally: Tally = field(default_factory=Tally)
    evidence: list[str] = field(default_factory=list)
    measured: bool = False  # the case reached its checks (a case that failed before has no figures)

    @property
    def dsn(self) -> str:
        """The case's (empty at start) warehouse."""
        return self.stack.warehouse

    def faults(self, vendor: str, rules: list[dict[str, Any]]) -> None:
        """Replace a vendor's fault rules (as the admin API's PUT /faults/{vendor})."""
        self.state.faults.configure(vendor, [parse_rule(rule) for rule in rules])

    def assert_faults_served(self, vendor: str) -> None:
        """Every configured rule of ``vendor`` fired at least once (a fault that never fired proves nothing)."""
        rules = self.state.faults.snapshot().get(vendor, [])
        assert rules, f"no fault configured for {vendor}"
        for rule in rules:
            assert rule["faults_served"] > 0, (
                f"{vendor}: the fault {rule['kind']} on {rule['paths']} never fired"
            )
            self.evidence.append(f"{vendor} {rule['kind']} x{rule['faults_served']}")

    def run(self, dag_id: str, at: datetime | None = None) -> str:
        """Trigger a run of ``dag_id`` at the world's clock (or ``at``); its run id."""
        return self.stack.trigger(dag_id, at or self.stack.clock)

    def run_to_end(self, dag_id: str, at: datetime | None = None) -> tuple[str, str | None]:
        """Trigger and wait; (run id, final state)."""
        run_id = self.run(dag_id, at)
        return run_id, self.stack.wait(dag_id, run_id)

    def assert_success(self, dag_id: str, run_id: str, state: str | None) -> None:
        """The run succeeded (the failure message shows the task states and the end of the logs)."""
        assert state == "success", (
            f"{dag_id} {run_id}: {state}, tasks {self.stack.tries(dag_id, run_id)}\n"
            + self.stack.task_log(dag_id, run_id)[-4000:]
        )

    def check_raw(self, source: str, extracted_only: bool = False) -> None:
        """Measure ``raw.<source>_*`` against the world (adds to the case's tally); ``extracted_only``: the tables
        the extract DAG writes, not the reverse-ETL's new-order lists or the empty tables the transform creates."""
        expected = expected_world(source, self.world)
        self.measured = True
        self.tally.add(raw_tally(self.dsn, source, expected, expected.keys() if extracted_only else None))

    def check_effects(self) -> None:
        """Measure double effects in the emulators' write log (adds to the case's tally)."""
        self.measured = True
        self.tally.add(double_effects(self.world))

    def assert_recovered(self) -> None:
        """0 lost, 0 duplicated, 0 double effects, and nothing else ``world_differences`` found."""
        counts = (self.tally.lost, self.tally.duplicated, self.tally.double_effects)
        assert counts == (0, 0, 0), "\n".join(self.tally.problems[:20])
        assert self.tally.problems == [], "\n".join(self.tally.problems[:20])
