"""Benchmark the transform under the real Airflow scheduler against plain `dbt build`, side by side in one run.

    .venv/bin/python bench/transform_cycle.py [--orders-per-day 200] [--days 30] [--skip-old] [--dsn SUPERUSER_DSN]

At demo scale (the `make demo` scenario: seed 42, 200 orders a day, 30 days ending today) it:

1. generates the world, serves it with the emulators (own ports) and lands it through the extract DAGs of a
   private Airflow installation (own metadata DB, own AIRFLOW_HOME, own api-server port), the transform paused;
   the landed warehouse becomes a template database, so every measurement below starts from the same raw data;
2. (a) plain ``dbt build`` from the CLI on a copy, and (a') the build transform_dbt runs (``dbt build`` without
   unit tests, which run nightly), on another copy;
3. (b) transform_dbt under the real scheduler in the old mode (``SELLERFLOW_TRANSFORM_MODE=per_model``: one
   dbt invocation per model, Cosmos LOCAL / DBT_RUNNER), on a copy, with its own Airflow installation;
4. (c) transform_dbt in the new mode (Cosmos WATCHER), on a copy — then, on that warehouse and installation,
   (d) a steady 10-minute cycle: the world's clock moves in 10-minute steps until a batch of at least 5 new
   orders came in (with their status changes and 1C documents), every extract DAG runs once, and the transform
   runs their Assets schedule; timed from the triggers to the end of the last transform run (whose build the
   gate may skip: the run its later Asset events queue).

Every DAG starts paused and a step unpauses only what it measures (set_paused): an extract DAG left unpaused runs
its own 10-minute schedule, which landed a round in the middle of (c) in earlier versions; the push and pick-list
DAGs stay paused throughout.

Targets: (c) ≤ 1.3 × (a); (d) ≤ 60 s. Every database, process and directory it made is removed at the end.

The machine may be shared: next to each time it prints the load average when the step began and the CPU seconds
the step cost (dbt's process for the CLI; every process of the Airflow installation for (b)-(d)), which other
people's work does not inflate. Each installation answers one call to its execution API before it is measured:
the api-server builds that API on its first call (~5 s), which a running installation has long paid.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

from sellerflow.orchestration.dbt import CYCLE_BUILD_FLAGS, prepare_raw_tables
from sellerflow.orchestration.dbt_cli import profile_env, run_dbt
from sellerflow.orchestration.pools import POOLS
from sellerflow_emulators.testing.yandex_market import TEST_EXTRA as YM_TEST_EXTRA

ROOT = Path(__file__).resolve().parents[1]


def _test_helper(relative: str) -> Any:
    """A module of tests/ loaded by path (tests/ is not an installed package)."""
    spec = importlib.util.spec_from_file_location(Path(relative).stem, ROOT / "tests" / relative)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


AirflowStack = _test_helper("dags/airflow_stack.py").AirflowStack
copy_database_settings = _test_helper("database_copy.py").copy_database_settings

EXTRACT_DAGS = tuple(sorted(p.stem for p in (ROOT / "dags").glob("extract_*.py")))
TRANSFORM = "transform_dbt"
EMULATOR_BASE_PORT, API_PORTS = 18320, (18331, 18332)  # not the demo's 18080 / 18100..18110
DEMO_HORIZON_DAYS = 35
TRANSFORM_BUILD = "a'"
MIN_NEW_ORDERS = 5  # the steady cycle's batch  # the CLI running the build transform_dbt runs


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def database(admin: str, template: str | None = None) -> Iterator[str]:
    """A throwaway database owned by the app role (a copy of ``template`` if given); its DSN; dropped after."""
    name = f"sellerflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        copy = f' template "{template}"' if template else ""
        conn.execute(f'create database "{name}" owner sellerflow{copy}')
        if template:
            copy_database_settings(conn, template, name)
    params = conninfo_to_dict(admin)
    try:
        yield f"postgresql://sellerflow:sellerflow@{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def dbname(dsn: str) -> str:
    return str(conninfo_to_dict(dsn)["dbname"])


def url(dsn: str) -> str:
    p = conninfo_to_dict(dsn)
    return f"postgresql://{p['user']}:{p.get('password', '')}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{p['dbname']}"


def world_env(world: Path) -> dict[str, str]:
    """Airflow connections (AIRFLOW_CONN_*) and the accounts Variable of the world, on the bench's ports."""
    document = json.loads((world / "accounts.json").read_text())
    env, listing = {}, {}
    for conn in document["connections"]:
        host = re.sub(r":181(\d\d)", lambda m: f":{EMULATOR_BASE_PORT + int(m[1]) - 0}", conn["host"])
        extra = dict(conn.get("extra") or {})
        if conn["conn_id"].startswith("mp_"):
            extra.setdefault("horizon_days", DEMO_HORIZON_DAYS)
        if conn["conn_id"].startswith(
            "mp_yandex_market_"
        ):  # its report quota would pace the landing by minutes
            extra.update({k: v for k, v in YM_TEST_EXTRA.items() if k != "horizon_days"})
        body = {k: conn.get(k) for k in ("conn_type", "login", "password", "port", "schema")}
        env[f"AIRFLOW_CONN_{conn['conn_id'].upper()}"] = json.dumps({**body, "host": host, "extra": extra})
        source = "onec" if conn["conn_id"].startswith("onec_") else conn["extra"]["marketplace"]
        listing.setdefault(source, []).append(conn["conn_id"])
    env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps(listing)
    return env


def stack_env(world: Path, warehouse: str, mode: str) -> dict[str, str]:
    return {
        **world_env(world),
        "SELLERFLOW_WAREHOUSE_DSN": warehouse,
        "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": url(warehouse),
        **profile_env(warehouse),
        "SELLERFLOW_TRANSFORM_MODE": mode,
        # Only what is measured runs: the extract DAGs and the transform are unpaused by started_stack; the push
        # and pick-list DAGs (every minute or five) would compete with them on 2 cores at random moments.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


def serve_emulators(world: Path, stack: ExitStack, logs: Path) -> str:
    """The emulators serving ``world`` in a subprocess; returns the admin URL."""
    log = (logs / "emulators.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sellerflow_emulators", "serve", "--world", str(world / "world.sqlite"),
         "--base-port", str(EMULATOR_BASE_PORT)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    stack.callback(lambda: (proc.terminate(), proc.wait(timeout=20)))
    admin = f"http://127.0.0.1:{EMULATOR_BASE_PORT}"
    for _ in range(120):
        try:
            if httpx.get(f"{admin}/health", timeout=2).status_code == 200:
                return admin
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit("the emulators did not start")


def started_stack(
    stack: ExitStack, home: Path, metadata: str, port: int, env: dict[str, str], keep_logs: Path | None = None
) -> AirflowStack:
    """An installation in ``home``; stopped (its logs and component logs copied to ``keep_logs``/<home name>
    first, if given) when ``stack`` closes."""
    import shutil

    airflow = AirflowStack(home, metadata, port, env)
    stack.callback(airflow.stop)
    if keep_logs is not None:
        stack.callback(
            lambda: shutil.copytree(
                home, keep_logs / home.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("cosmos")
            )
        )
    airflow.start()
    airflow.set_pools(POOLS)
    airflow.wait_parsed([*EXTRACT_DAGS, TRANSFORM])
    # The api-server builds its execution API on the first call (~5 s): not part of a cycle of a running installation.
    httpx.get(f"{airflow.base_url}/execution/health", timeout=120)
    return airflow


def cpu_seconds(airflow: AirflowStack) -> dict[str, float]:
    """CPU seconds used so far per component of the installation (api-server, scheduler with the task processes
    its executor started, dag-processor, triggerer), each with every process it started."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, used = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = sum(int(x) for x in fields[11:15]) / tick  # self and reaped children
    by_component = {}
    for name, proc in airflow.processes.items():
        total, todo = 0.0, [proc.pid]
        while todo:
            pid = todo.pop()
            total += used.get(pid, 0.0)
            todo += [child for child, ppid in parent.items() if ppid == pid]
        by_component[name] = total
    return by_component


@contextmanager
def measured(airflow: AirflowStack | None = None) -> Iterator[dict[str, float]]:
    """The load average when a step began and the CPU seconds it cost (``airflow``'s processes, also per
    component as ``cpu <component>``, else this process's children)."""
    import resource

    def cpu() -> dict[str, float]:
        if airflow is not None:
            return cpu_seconds(airflow)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"dbt": usage.ru_utime + usage.ru_stime}

    figures = {"load": os.getloadavg()[0]}
    before = cpu()
    yield figures
    after = cpu()
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    figures["cpu"] = sum(spent.values())
    if airflow is not None:
        figures.update({f"cpu {name}": round(seconds, 1) for name, seconds in spent.items()})


def set_paused(airflow: AirflowStack, dag_ids: tuple[str, ...], paused: bool) -> None:
    """Every DAG starts paused: a measurement unpauses only what it measures (an unpaused extract DAG also runs
    its own 10-minute schedule, which would land a round in the middle of a transform measurement)."""
    for dag_id in dag_ids:
        airflow.api("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})


def extract_round(airflow: AirflowStack, timeout_s: float) -> dict[str, str]:
    """One run of every extract DAG: unpaused, each runs its latest 10-minute interval once (an installation whose
    extract DAGs never ran has none yet); paused again once every one is idle. Returns their runs' states."""
    before = {dag_id: len(airflow.runs(dag_id)) for dag_id in EXTRACT_DAGS}
    set_paused(airflow, EXTRACT_DAGS, False)
    deadline, runs = time.monotonic() + timeout_s, {}
    while time.monotonic() < deadline:
        runs = {dag_id: airflow.runs(dag_id)[before[dag_id] :] for dag_id in EXTRACT_DAGS}
        if all(new and all(r[2] in ("success", "failed") for r in new) for new in runs.values()):
            break
        time.sleep(1)
    set_paused(airflow, EXTRACT_DAGS, True)
    return {dag_id: ",".join(r[2] for r in new) or "not run" for dag_id, new in runs.items()}


def timeline(airflow: AirflowStack, since: datetime) -> str:
    """Where a measurement's time went: per DAG run since ``since``, its start and end, and for the transform the
    quality task, the producer and the last per-model task, in seconds from ``since``."""

    def at(moment: object) -> str:
        return "-" if moment is None else f"{(moment - since).total_seconds():.0f}"  # type: ignore[operator]

    lines = []
    for dag_id, run_id, start, end in airflow.query(
        "select dag_id, run_id, start_date, end_date from dag_run where start_date >= %s order by start_date",
        since,
    ):
        parts = [f"{dag_id} {at(start)}→{at(end)} s"]
        if dag_id == TRANSFORM:
            rows = airflow.query(
                "select task_id, start_date, end_date from task_instance where dag_id = %s and run_id = %s",
                dag_id,
                run_id,
            )
            tasks = {task: (begin, finish) for task, begin, finish in rows}
            for task in ("check_raw_quality", "dbt_producer_watcher"):
                begin, finish = tasks.get(task, (None, None))
                parts.append(f"{task} {at(begin)}→{at(finish)}")
            finished = [finish for begin, finish in tasks.values() if finish is not None]
            parts.append(f"last task ends {at(max(finished)) if finished else '-'}")
            parts.append(dbt_summary(airflow, run_id))
        lines.append("; ".join(parts))
    return "\n".join(f"    {line}" for line in lines)


def dbt_summary(airflow: AirflowStack, run_id: str) -> str:
    """What dbt said at the end of the run's build (its ``Finished running ...`` and ``Done. PASS=...`` lines),
    or how the producer ended without building."""
    logs = list(
        (airflow.home / "logs").glob(
            f"dag_id={TRANSFORM}/run_id={run_id}/task_id=dbt_producer_watcher/attempt=*.log"
        )
    )
    if not logs:
        return "no producer log"
    said = []
    for line in logs[-1].read_text(errors="replace").splitlines():
        for marker in (
            "Finished running",
            "Done. PASS=",
            "was skipped",
            "AirflowSkipException",
            "no dbt build",
        ):
            if marker in line:
                said.append(line[line.index(marker) :][:160].split('"')[0])
    return "dbt: " + (" | ".join(said) or "-")


def transform_run(airflow: AirflowStack, timeout_s: float) -> tuple[float, str]:
    """Trigger transform_dbt once; (seconds start→end, state)."""
    run_id = airflow.trigger(TRANSFORM)
    state = airflow.wait_run(TRANSFORM, run_id, timeout_s)
    if state not in ("success", "failed"):
        return float("nan"), str(state)
    if state != "success":
        failed = [t for t, s in airflow.task_states(TRANSFORM, run_id).items() if s == "failed"]
        say(f"transform run {run_id} failed: {failed[:10]}")
    return airflow.run_seconds(TRANSFORM, run_id), state


def steady_cycle(airflow: AirflowStack, admin: str, timeout_s: float) -> tuple[float, str]:
    """A batch of new orders (the world's clock moves 10 minutes at a time until ``MIN_NEW_ORDERS`` came in: at
    200 orders a day a 10-minute step brings one or none, which may land only in the new-order lists the build
    does not read), one extraction round, the transform their Assets schedule."""
    before = {r[0] for r in airflow.runs(TRANSFORM)}
    minutes, changed = 0, {"orders_added": 0, "transitions": 0, "onec_documents": 0}
    while changed["orders_added"] < MIN_NEW_ORDERS and minutes < 24 * 60:
        moved = httpx.post(f"{admin}/clock", json={"minutes": 10}, timeout=120)
        moved.raise_for_status()
        minutes += 10
        changed = {key: value + moved.json()[key] for key, value in changed.items()}
    say(f"the world's clock moved {minutes} min: {changed}")
    started = datetime.now(UTC)
    states = extract_round(airflow, timeout_s)
    deadline = time.monotonic() + timeout_s
    last, state = None, "not scheduled"
    while time.monotonic() < deadline:  # wait until no transform run is queued or running
        runs = [r for r in airflow.runs(TRANSFORM) if r[0] not in before]
        if runs and all(r[2] in ("success", "failed") for r in runs):
            time.sleep(3)  # a run the last Asset events queue appears within a scheduler loop
            again = [r for r in airflow.runs(TRANSFORM) if r[0] not in before]
            if len(again) == len(runs):
                last, state = runs[-1], ",".join(r[2] for r in runs)
                break
        time.sleep(1)
    if last is None or any("failed" in state for state in states.values()):
        return float("nan"), f"extract {states}, transform {state}"
    return (last[4] - started).total_seconds(), f"{len(runs)} transform run(s): {state}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-day", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--skip-old", action="store_true", help="leave out the old per-model mode (~20 min)")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--keep-logs", type=Path, help="copy every installation's Airflow logs here at the end"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (stop Airflow, drop databases) on TERM
    results: dict[str, tuple[float, str]] = {}
    figures: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="transform_cycle_")))
        world = tmp / "world"
        # The world ends yesterday at midnight, not today: the steady cycle moves its clock forward, and an
        # extraction only asks for what happened before its own run's time (shortly after midnight a world
        # ending today moved into the future, and the cycle landed nothing for the build).
        start = (datetime.now(UTC).date() - timedelta(days=args.days + 1)).isoformat()
        say(f"world: seed 42, {args.orders_per_day} orders a day, {args.days} days from {start}")
        subprocess.run(
            [sys.executable, "-m", "sellerflow_emulators", "scenario", "--seed", "42", "--orders-per-day",
             str(args.orders_per_day), "--days", str(args.days), "--start", start, "--out", str(world)],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["dbt", "parse", "--quiet", "--project-dir", str(ROOT / "dbt")], check=True, cwd=ROOT / "dbt"
        )
        admin = serve_emulators(world, stack, tmp)
        landed = stack.enter_context(database(args.dsn))
        new_wh = stack.enter_context(database(args.dsn))
        metadata = [stack.enter_context(database(args.dsn)) for _ in API_PORTS]

        say("landing the world through the extract DAGs (transform paused, vendor rate limits off)")
        httpx.put(f"{admin}/limits", json={"enabled": False}, timeout=30).raise_for_status()
        for group in ("generateGoodsRealizationReport", "generateUnitedMarketplaceServicesReport"):
            httpx.put(f"{admin}/limits/yandex_market/{group}", json={"unlimited": True}, timeout=30)
        with ExitStack() as first:
            airflow = started_stack(first, tmp / "airflow_land", metadata[0], API_PORTS[0],
                                    stack_env(world, landed, "watcher"), args.keep_logs)  # fmt: skip
            began = time.monotonic()
            states = extract_round(airflow, args.timeout)
            say(f"extraction: {states} in {time.monotonic() - began:.0f} s")
        httpx.put(f"{admin}/limits", json={"enabled": True}, timeout=30).raise_for_status()
        prepare_raw_tables(landed)  # what the transform's first task does: (a) builds from the CLI without it
        with psycopg.connect(args.dsn, autocommit=True) as conn:  # the landed warehouse becomes the template
            conn.execute(f'drop database "{dbname(new_wh)}" with (force)')
            conn.execute(f'create database "{dbname(new_wh)}" owner sellerflow template "{dbname(landed)}"')
            copy_database_settings(conn, dbname(landed), dbname(new_wh))

        for key, flags in (("a", ()), (TRANSFORM_BUILD, CYCLE_BUILD_FLAGS)):
            with database(args.dsn, dbname(landed)) as cli_wh:
                # As `make setup` does for an installation: parse once with the warehouse's profile, so each build
                # parses only what changed (dbt re-parses everything when the profile's database differs).
                run_dbt(cli_wh, tmp / "cli", "parse")
                with measured() as figures[key]:
                    began = time.monotonic()
                    built = run_dbt(cli_wh, tmp / "cli", "build", *flags)
                results[key] = (time.monotonic() - began, "success" if built.returncode == 0 else "FAILED")
                say(
                    f"({key}) dbt build {' '.join(flags)}: {results[key][0]:.1f} s {results[key][1]} {figures[key]}"
                )

        if not args.skip_old:
            with (
                database(args.dsn, dbname(landed)) as old_wh,
                database(args.dsn) as old_meta,
                ExitStack() as old,
            ):
                airflow = started_stack(old, tmp / "airflow_old", old_meta, API_PORTS[1],
                                        stack_env(world, old_wh, "per_model"), args.keep_logs)  # fmt: skip
                set_paused(airflow, (TRANSFORM,), False)
                with measured(airflow) as figures["b"]:
                    results["b"] = transform_run(airflow, args.timeout)
                say(f"(b) old mode: {results['b'][0]:.1f} s {results['b'][1]} {figures['b']}")

        parsed = run_dbt(new_wh, ROOT / "dbt", "parse")  # dbt/target, where the transform DAG reads it
        assert parsed.returncode == 0, parsed.stdout[-2000:]
        with ExitStack() as new:
            airflow = started_stack(new, tmp / "airflow_new", metadata[1], API_PORTS[0],
                                    stack_env(world, new_wh, "watcher"), args.keep_logs)  # fmt: skip
            set_paused(airflow, (TRANSFORM,), False)
            began = datetime.now(UTC)
            with measured(airflow) as figures["c"]:
                results["c"] = transform_run(airflow, args.timeout)
            say(
                f"(c) new mode: {results['c'][0]:.1f} s {results['c'][1]} {figures['c']}\n{timeline(airflow, began)}"
            )
            began = datetime.now(UTC)
            with measured(airflow) as figures["d"]:
                results["d"] = steady_cycle(airflow, admin, args.timeout)
            say(
                f"(d) steady cycle: {results['d'][0]:.1f} s {results['d'][1]} {figures['d']}\n{timeline(airflow, began)}"
            )

    cli, cli_cpu = results["a"][0], figures["a"]["cpu"]
    print(f"{'measurement':<60} {'seconds':>8} {'/ CLI':>7} {'CPU s':>7} {'/ CLI':>6} {'load':>5}  state")
    labels = {
        "a": "(a) dbt build from the CLI",
        TRANSFORM_BUILD: "(a') the DAG's build from the CLI (no unit tests)",
        "b": "(b) transform_dbt, old mode (per-model LOCAL/DBT_RUNNER)",
        "c": "(c) transform_dbt, new mode (WATCHER)        target 1.3",
        "d": "(d) steady 10-min cycle: orders+extract+transform  ≤ 60 s",
    }
    for key, label in labels.items():
        if key in results:
            (seconds, state), cpu, load = results[key], figures[key]["cpu"], figures[key]["load"]
            print(
                f"{label:<60} {seconds:>8.1f} {seconds / cli:>6.2f}x {cpu:>7.1f} {cpu / cli_cpu:>5.2f}x {load:>5.1f}  {state}"
            )
    print(f"(c) / (a'): {results['c'][0] / results[TRANSFORM_BUILD][0]:.2f}x")
    if "b" in results:
        print(f"new mode vs old mode: {results['b'][0] / results['c'][0]:.1f}x faster")


if __name__ == "__main__":
    main()
