"""A private Airflow installation for tests and benchmarks that need the real scheduler.

Its own AIRFLOW_HOME, metadata database and api-server port; the four components (api-server, scheduler,
dag-processor, triggerer) run as subprocesses in their own process groups and are stopped by PID. Extra
environment (connections as ``AIRFLOW_CONN_*``, Variables as ``AIRFLOW_VAR_*``, the warehouse DSN) reaches
every task through the components' environment. The REST API needs no token (all users are admins).

Used by tests/dags/test_transform_scheduling.py and bench/transform_cycle.py (which loads it by path).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


class AirflowStack:
    """Start, drive and stop one Airflow installation; read run and task states from its metadata DB."""

    def __init__(self, home: Path, metadata_dsn: str, port: int, env: Mapping[str, str]) -> None:
        """``metadata_dsn`` is a libpq URL of an empty database (postgresql://...)."""
        self.home, self.metadata_dsn, self.port = home, metadata_dsn, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_dsn.replace(
                "postgresql://", "postgresql+psycopg2://"
            ),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",  # as scripts/write_env.sh
            "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "False",
            **env,
        }
        # A throwaway installation has no secrets worth a key: the installation's key command (which reads a file
        # under ~/.config that `make setup` writes) is not this stack's business.
        self.env.pop("AIRFLOW__CORE__FERNET_KEY_CMD", None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._http = httpx.Client(base_url=self.base_url, timeout=30)

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self, timeout_s: float = 180) -> None:
        """Migrate the metadata DB, start the components, wait until all are healthy."""
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:  # its health checks would ask another Airflow
                raise RuntimeError(
                    f"port {self.port} is taken: this stack's api-server could not listen on it"
                )
        self.home.mkdir(parents=True, exist_ok=True)
        subprocess.run(["airflow", "db", "migrate"], env=self.env, check=True, capture_output=True, cwd=ROOT)
        for name in COMPONENTS:
            log = (self.home / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                ["airflow", name], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,
            )  # fmt: skip
        self.wait_healthy(timeout_s)

    def stop(self) -> None:
        """TERM each component's process group, KILL what is left after 20 s."""
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()
        self._http.close()

    def __enter__(self) -> AirflowStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_healthy(self, timeout_s: float) -> None:
        deadline, last = time.monotonic() + timeout_s, "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"airflow {name} exited {proc.returncode}: see {self.home / name}.log")
            try:
                body = self._http.get("/api/v2/monitor/health").json()
                states = {k: v.get("status") for k, v in body.items() if isinstance(v, dict)}
                if states and all(s == "healthy" for s in states.values()):
                    return
                last = str(states)
            except (httpx.HTTPError, ValueError) as exc:
                last = str(exc)
            time.sleep(1)
        raise RuntimeError(f"Airflow did not become healthy in {timeout_s:.0f} s: {last}")

    # -- REST API -------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self._http.request(method, f"/api/v2{path}", **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def set_pools(self, pools: Mapping[str, tuple[int, str]]) -> None:
        for name, (slots, description) in pools.items():
            body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
            try:
                self.api("POST", "/pools", json=body)
            except RuntimeError:
                self.api("PATCH", f"/pools/{name}", json=body)

    def wait_parsed(self, dag_ids: list[str], timeout_s: float = 120) -> None:
        """Block until the dag-processor has serialized every DAG of ``dag_ids``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with psycopg.connect(self.metadata_dsn) as conn:
                found = {r[0] for r in conn.execute("select dag_id from serialized_dag")}
            if set(dag_ids) <= found:
                return
            time.sleep(1)
        raise RuntimeError(f"DAGs not parsed in {timeout_s:.0f} s: {sorted(set(dag_ids) - found)}")

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    # -- metadata DB ----------------------------------------------------------------------------------------
    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.metadata_dsn) as conn:
            return conn.execute(sql, params).fetchall()

    def runs(self, dag_id: str) -> list[tuple[str, str, str, object, object]]:
        """(run_id, run_type, state, start_date, end_date) of every run of ``dag_id``, oldest first."""
        return self.query(
            "select run_id, run_type, state, start_date, end_date from dag_run where dag_id = %s order by id",
            dag_id,
        )

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.query("select state from dag_run where dag_id = %s and run_id = %s", dag_id, run_id)
        return rows[0][0] if rows else None

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        rows = self.query(
            "select task_id, map_index, state from task_instance where dag_id = %s and run_id = %s",
            dag_id,
            run_id,
        )
        return {task if index < 0 else f"{task}[{index}]": state for task, index, state in rows}

    def wait_run(self, dag_id: str, run_id: str, timeout_s: float) -> str | None:
        """Block until the run is success or failed (or the timeout passes); return its state."""
        deadline, state = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(1)
        return state

    def run_seconds(self, dag_id: str, run_id: str) -> float:
        """Wall time of a finished run, start to end, as the metadata DB recorded it."""
        ((start, end),) = self.query(
            "select start_date, end_date from dag_run where dag_id = %s and run_id = %s", dag_id, run_id
        )
        return (end - start).total_seconds()
