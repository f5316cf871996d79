"""`python -m sellerflow.demo up`: the demo on built-in data (run by `make demo` after the environment is set up).

Steps (after `make setup`, which `make demo` runs first: databases, both migrations, dbt's manifest): build the
demo world for the emulators (once), check that the warehouse is this instance's demo database and holds no
other accounts, start the emulators and Airflow's four components (each tracked by a PID file under
.sellerflow/run), register the demo accounts as Airflow connections
(only ever replacing connections the demo created: see sellerflow.demo.guard), trigger the extract DAGs,
wait for them and for the dbt DAG they schedule, and print where to look and what landed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from sellerflow.demo.airflow_api import AirflowAPI, admin_password
from sellerflow.demo.guard import DemoRefusedError, check_airflow, check_warehouse, marked
from sellerflow.demo.pace import DEMO_PACE, client_limits, speed_up_emulators
from sellerflow.demo.pages import demo_pages
from sellerflow.demo.reverse_etl import demo_reverse_etl
from sellerflow.demo.summary import (
    reconciliation_lines,
    render,
    render_outbox,
    table_counts,
    warehouse_line,
)
from sellerflow.demo.tsd import demo_tsd
from sellerflow.orchestration.accounts import source_of
from sellerflow.orchestration.pools import POOLS
from sellerflow_emulators.scenario.params import DEFAULT_BASE_PORT

ROOT = Path(os.environ.get("SELLERFLOW_ROOT", Path(__file__).resolve().parents[3]))
SERVICE = str(ROOT / "scripts" / "service.sh")
AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# Services bind 127.0.0.1 only. Airflow's log servers (started beside the scheduler and the triggerer) always
# bind every interface; with the LocalExecutor on one machine the api-server reads task logs from the shared log
# folder, so they are not started.
NO_LOG_SERVER = ("--skip-serve-logs",)
AIRFLOW_ARGS: dict[str, tuple[str, ...]] = {"scheduler": NO_LOG_SERVER, "triggerer": NO_LOG_SERVER}


def airflow_command(component: str) -> tuple[str, ...]:
    """The command line that starts one Airflow component of the demo."""
    return ("airflow", component, *AIRFLOW_ARGS.get(component, ()))


# Every dags/extract_<source>.py is an extract DAG of the same id (tests/dags checks the naming rule).
EXTRACT_DAGS = tuple(sorted(path.stem for path in (ROOT / "dags").glob("extract_*.py")))
TRANSFORM_DAG = "transform_dbt"
# Every dags/push_<what>.py is a reverse-ETL DAG; they read the marts, so they start after the first transform.
PUSH_DAGS = tuple(sorted(path.stem for path in (ROOT / "dags").glob("push_*.py")))
# DAGs start paused (AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION): the demo unpauses each when its inputs exist.
# The nightly dbt run (every test on every row, docs) is unpaused last; it then runs its latest interval once.
NIGHTLY_DAGS = ("dbt_nightly",)
DEMO_SCENARIO = ("--seed", "42", "--orders-per-day", "200")
# 75 days: every marketplace has published at least one monthly report by the end, so the first cycle shows
# matched lines for all four (with 30 days the Ozon and Megamarket reports of the month were not out yet).
DEMO_DAYS = 75
# The demo world holds 30 days of history; a 35-day backfill horizon reads all of it without asking for
# report months that cannot exist (Yandex Market allows one report generation per 2 minutes).
DEMO_HORIZON_DAYS = DEMO_DAYS + 5


def step(message: str) -> None:
    """One progress line."""
    print(f"[demo] {message}", flush=True)


def world_dir() -> Path:
    """Where the emulators' world (world.sqlite, ground_truth.json, accounts.json) lives."""
    return Path(os.environ.get("SELLERFLOW_WORLD_DIR", ROOT / ".sellerflow" / "world"))


def ensure_world() -> Path:
    """Generate the demo scenario once; later runs reuse it (the emulators keep their state in it)."""
    out = world_dir()
    if (out / "world.sqlite").exists():
        step(f"emulator world: reusing {out}")
        return out
    # The world's 30 days end today: the extraction asks for the last weeks by the real clock.
    start = (datetime.now(UTC).date() - timedelta(days=DEMO_DAYS)).isoformat()
    scenario = (*DEMO_SCENARIO, "--days", str(DEMO_DAYS), "--start", start)
    step(f"emulator world: generating scenario {' '.join(scenario)} into {out}")
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", *scenario, "--out", str(out)], check=True
    )
    return out


def start_service(name: str, *command: str) -> None:
    """Start a tracked background service (no-op when it already runs)."""
    subprocess.run([SERVICE, "start", name, *command], check=True)


def wait_http(url: str, what: str, timeout_s: float = 60) -> None:
    """Block until ``url`` answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"[demo] {what} did not answer at {url} within {timeout_s:.0f} s; see .sellerflow/logs/")


def start_emulators(world: Path) -> int:
    """Serve the world on 127.0.0.1; return the admin port."""
    base_port = emulator_base_port()
    start_service(
        "emulators",
        sys.executable, "-m", "sellerflow_emulators", "serve",
        "--world", str(world / "world.sqlite"), "--base-port", str(base_port),
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{base_port}/health", "the emulators")
    groups = speed_up_emulators(f"http://127.0.0.1:{base_port}")
    step(f"emulators: vendor rate limits run {DEMO_PACE:g}x faster in the demo ({groups} method groups)")
    return base_port


def demo_extra(conn: dict) -> dict:
    """The connection's extras, with the demo's backfill horizon on marketplace accounts."""
    extra = dict(conn.get("extra") or {})
    if conn["conn_id"].startswith("mp_"):
        extra.setdefault("horizon_days", DEMO_HORIZON_DAYS)
        extra.setdefault("rate_limits", client_limits(source_of(conn["conn_id"])))
    return extra


def emulator_base_port() -> int:
    """The admin port of this installation's emulators (the vendors follow it)."""
    return int(os.environ.get("SELLERFLOW_EMULATOR_BASE_PORT", DEFAULT_BASE_PORT))


def on_our_emulators(host: str | None) -> str | None:
    """An emulator URL of accounts.json (written for the default ports) moved to this installation's ports."""
    if not host:
        return host
    parts = urlsplit(host)
    if parts.port is None:
        return host
    port = parts.port - DEFAULT_BASE_PORT + emulator_base_port()
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def demo_accounts(world: Path) -> set[str]:
    """The account ids of the demo world (marketplace cabinets and 1C bases) as the warehouse keys them."""
    accounts = json.loads((world / "accounts.json").read_text())
    return {
        str((conn.get("extra") or {}).get("account_id") or (conn.get("extra") or {}).get("onec_base"))
        for conn in accounts["connections"]
    }


def airflow_connections(world: Path) -> list[dict]:
    """The demo accounts' connections (accounts.json from the scenario generator) in the REST API's shape."""
    accounts = json.loads((world / "accounts.json").read_text())
    return [
        {
            "connection_id": conn["conn_id"],
            "conn_type": conn["conn_type"],
            "description": marked(conn.get("description")),
            "host": on_our_emulators(conn.get("host")),
            "login": conn.get("login"),
            "password": conn.get("password"),
            "port": conn.get("port"),
            "schema": conn.get("schema"),
            "extra": json.dumps(demo_extra(conn), ensure_ascii=False),
        }
        for conn in accounts["connections"]
    ]


def configure_airflow(api: AirflowAPI, world: Path) -> None:
    """Pools, the accounts' connections and the `sellerflow_accounts` Variable (after checking that every
    connection and the Variable already there were created by the demo)."""
    check_airflow(api.connections(), api.variable_description("sellerflow_accounts"))
    for name, (slots, description) in POOLS.items():
        api.upsert_pool(name, slots, description)
    listing: dict[str, list[str]] = {}
    for conn in airflow_connections(world):
        api.upsert_connection(conn)
        listing.setdefault(source_of(conn["connection_id"]), []).append(conn["connection_id"])
    api.upsert_variable(
        "sellerflow_accounts",
        json.dumps(listing, indent=1),
        marked("Airflow connections per source, mapped over by the DAGs"),
    )
    step(f"accounts configured: {', '.join(f'{k}={len(v)}' for k, v in sorted(listing.items()))}")


def wait_run(api: AirflowAPI, dag_id: str, run_id: str, timeout_s: float) -> str:
    """Wait for a DAG run to finish; return its state."""
    deadline = time.monotonic() + timeout_s
    state = "queued"
    while time.monotonic() < deadline:
        state = api.dag_run(dag_id, run_id)["state"]
        if state in ("success", "failed"):
            return state
        time.sleep(3)
    return state


def run_pipeline(api: AirflowAPI, timeout_s: float) -> bool:
    """One full cycle: every extraction, then one transform over all of it; True when all are green.

    The transform is held (paused) while the extractions land, then run once: left to its Assets, it would
    start on the first extraction to finish and run a second time for the rest. It is unpaused at the end, so
    from then on every extraction's Assets schedule it (one run at a time, events coalesced).
    """
    api.wait_dag_parsed([*EXTRACT_DAGS, TRANSFORM_DAG, *PUSH_DAGS, *NIGHTLY_DAGS])
    for dag_id in (TRANSFORM_DAG, *PUSH_DAGS):
        api.set_paused(dag_id, True)
    finish_running(api, TRANSFORM_DAG, timeout_s)
    runs = start_runs(api, EXTRACT_DAGS)
    step(f"started {', '.join(EXTRACT_DAGS)}; they run side by side (parallelism 4)")
    ok = True
    for dag_id, run_id in runs.items():
        state = wait_run(api, dag_id, run_id, timeout_s)
        step(f"{dag_id}: {state}")
        if state != "success":
            ok = False
            step(f"  failed tasks: {api.failed_tasks(dag_id, run_id)} (logs in the UI)")
    if ok:
        ok = run_transform(api, timeout_s)
    api.unpause(TRANSFORM_DAG)
    if ok:
        ok = run_pushes(api, timeout_s)
    for dag_id in NIGHTLY_DAGS:
        api.unpause(dag_id)
    return ok


def run_pushes(api: AirflowAPI, timeout_s: float) -> bool:
    """Run every push DAG once (they then keep their schedules); True when all are green."""
    runs = {}
    for dag_id in PUSH_DAGS:
        api.unpause(dag_id)
        runs[dag_id] = api.trigger(dag_id, note="make demo: after the first transform")
    ok = True
    for dag_id, run_id in runs.items():
        state = wait_run(api, dag_id, run_id, timeout_s)
        step(f"{dag_id}: {state}")
        if state != "success":
            ok = False
            step(f"  failed tasks: {api.failed_tasks(dag_id, run_id)} (logs in the UI)")
    return ok


def start_runs(api: AirflowAPI, dag_ids: tuple[str, ...], settle_s: float = 30) -> dict[str, str]:
    """A run per DAG that starts now. A paused DAG gets the run the scheduler creates when it is unpaused (its
    latest interval): triggering beside it would only queue a second extraction behind it. A DAG already
    running keeps its run; the others are triggered."""
    runs: dict[str, str] = {}
    waiting: dict[str, str | None] = {}
    for dag_id in dag_ids:
        latest = api.latest_run(dag_id)
        if latest and latest["state"] in ("queued", "running"):
            runs[dag_id] = latest["dag_run_id"]
        elif api.is_paused(dag_id):
            api.unpause(dag_id)
            waiting[dag_id] = latest["dag_run_id"] if latest else None
    deadline = time.monotonic() + settle_s
    while waiting and time.monotonic() < deadline:
        time.sleep(2)
        for dag_id, previous in list(waiting.items()):
            latest = api.latest_run(dag_id)
            if latest and latest["dag_run_id"] != previous:
                runs[dag_id] = latest["dag_run_id"]
                del waiting[dag_id]
    for dag_id in dag_ids:
        if dag_id not in runs:
            runs[dag_id] = api.trigger(dag_id, note="make demo")
    return runs


def finish_running(api: AirflowAPI, dag_id: str, timeout_s: float) -> None:
    """Let a run left from an earlier demo finish, then keep the DAG paused. The scheduler starts no task of a
    paused DAG, so the run is let go unpaused (a second `make demo` waited forever for a transform run whose model
    tasks could never start)."""
    while (latest := api.latest_run(dag_id)) and latest["state"] in ("queued", "running"):
        step(f"{dag_id}: waiting for run {latest['dag_run_id']} (started before this demo) to finish")
        api.unpause(dag_id)
        state = wait_run(api, dag_id, latest["dag_run_id"], timeout_s)
        api.set_paused(dag_id, True)
        if state not in ("success", "failed"):
            step(f"  still {state} after {timeout_s:.0f} s: going on (follow it in the UI)")
            return


def run_transform(api: AirflowAPI, timeout_s: float) -> bool:
    """Run the transform once over everything that landed; True when it is green."""
    api.unpause(TRANSFORM_DAG)  # a triggered run of a paused DAG would wait; Assets queued nothing meanwhile
    run_id = api.trigger(TRANSFORM_DAG, note="make demo: after every extraction")
    state = wait_run(api, TRANSFORM_DAG, run_id, timeout_s)
    step(f"{TRANSFORM_DAG}: {state} (run {run_id})")
    if state not in ("success", "failed"):
        step(
            f"  still {state} after {timeout_s:.0f} s: a busy machine runs its tasks slower; follow it in the UI"
            " or wait longer with `python -m sellerflow.demo up --timeout <seconds>`"
        )
    elif state != "success":
        step(f"  failed tasks: {api.failed_tasks(TRANSFORM_DAG, run_id)}")
    return state == "success"


def write_summary(dsn: str, cycle_s: float, ok: bool) -> Path:
    """.sellerflow/demo_summary.json: how long the cycle took and the reconciliation lines per status."""
    path = Path(os.environ.get("SELLERFLOW_HOME", ROOT / ".sellerflow")) / "demo_summary.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    summary = {
        # The first cycle of this installation is kept; later `make demo` runs add their own time.
        "first_cycle_seconds": previous.get("first_cycle_seconds", round(cycle_s, 1)),
        "last_cycle_seconds": round(cycle_s, 1),
        "last_cycle_green": ok,
        "lines_per_status": reconciliation_lines(dsn),
    }
    path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return path


def up(timeout_s: float) -> int:
    """The whole demo; returns the process exit code."""
    started = time.monotonic()
    world = ensure_world()
    try:
        check_warehouse(
            os.environ["SELLERFLOW_WAREHOUSE_DSN"], os.environ["SELLERFLOW_INSTANCE"], demo_accounts(world)
        )
    except DemoRefusedError as exc:
        step(f"STOP: {exc}")
        return 2
    start_emulators(world)
    for component in AIRFLOW_COMPONENTS:
        start_service(f"airflow-{component}", *airflow_command(component))
    api = AirflowAPI.from_env()
    api.wait_healthy()
    try:
        configure_airflow(api, world)
    except DemoRefusedError as exc:
        step(f"STOP: {exc}")
        return 2
    step(f"ready in {time.monotonic() - started:.0f} s; running the pipeline once")
    cycle_started = time.monotonic()
    ok = run_pipeline(api, timeout_s)
    cycle_s = time.monotonic() - cycle_started
    step(f"full cycle (every extraction and the transform): {cycle_s:.0f} s{'' if ok else ' (not green)'}")
    summary_path = write_summary(os.environ["SELLERFLOW_WAREHOUSE_DSN"], cycle_s, ok)
    print()
    print(f"Airflow UI:  {os.environ['AIRFLOW__API__BASE_URL']}")
    print(f"Login:       admin / {admin_password(os.environ['AIRFLOW_HOME'])}")
    print(f"Postgres:    {os.environ.get('SELLERFLOW_PG_MODE', '')}")
    print(f"Instance:    {os.environ['SELLERFLOW_INSTANCE']}")
    print(warehouse_line(os.environ["SELLERFLOW_WAREHOUSE_DSN"]))
    print("What was pushed (reverse-ETL outbox, `python -m sellerflow.reverse_etl status`):")
    print(render_outbox(os.environ["SELLERFLOW_WAREHOUSE_DSN"]))
    print("What landed:")
    print(render(table_counts(os.environ["SELLERFLOW_WAREHOUSE_DSN"])))
    print(f"Reconciled:  {summary_path} (lines per status per marketplace)")
    print(f"Pipeline:    {'all DAG runs green' if ok else 'FAILED — see the failed tasks above'}")
    demo_pages(summary_path)  # accountants' and analysts' pages: URLs, export checked with a bearer token
    demo_tsd(api, os.environ["SELLERFLOW_WAREHOUSE_DSN"], summary_path, timeout_s)  # TSD lists, token
    demo_reverse_etl(api, os.environ["SELLERFLOW_WAREHOUSE_DSN"], world, timeout_s)  # statuses and prices
    print("Stop everything with `make stop`.")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m sellerflow.demo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("up", help="start everything, run the pipeline once and print a summary")
    run.add_argument(
        "--timeout", type=float, default=2400, help="seconds to wait for each DAG run (default 2400)"
    )
    args = parser.parse_args(argv)
    return up(args.timeout)


if __name__ == "__main__":
    sys.exit(main())
