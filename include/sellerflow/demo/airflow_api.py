"""A small client for Airflow 3's public REST API (/api/v2), used by the demo and the e2e tests."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx


class AirflowAPIError(RuntimeError):
    """The Airflow API refused a call; the message carries its answer."""


def admin_password(airflow_home: str | Path) -> str:
    """The password SimpleAuthManager generated for user 'admin'."""
    path = Path(airflow_home) / "simple_auth_manager_passwords.json.generated"
    return json.loads(path.read_text())["admin"]


class AirflowAPI:
    """Authenticated calls to the api-server at ``base_url`` as the SimpleAuthManager admin."""

    def __init__(self, base_url: str, airflow_home: str | Path) -> None:
        self.base_url = base_url.rstrip("/")
        self.airflow_home = Path(airflow_home)
        self._http = httpx.Client(base_url=self.base_url, timeout=30)

    @classmethod
    def from_env(cls) -> AirflowAPI:
        """Client for the api-server configured in .sellerflow/env."""
        return cls(os.environ["AIRFLOW__API__BASE_URL"], os.environ["AIRFLOW_HOME"])

    def wait_healthy(self, timeout_s: float = 180) -> None:
        """Block until /api/v2/monitor/health reports every component healthy."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                answer = self._http.get("/api/v2/monitor/health")
                if answer.status_code == 200:
                    body = answer.json()
                    states = {k: v.get("status") for k, v in body.items() if isinstance(v, dict)}
                    if states and all(s == "healthy" for s in states.values()):
                        return
                    last = str(states)
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(2)
        raise AirflowAPIError(f"Airflow did not become healthy in {timeout_s:.0f} s: {last}")

    def _token(self) -> str:
        answer = self._http.post(
            "/auth/token", json={"username": "admin", "password": admin_password(self.airflow_home)}
        )
        if answer.status_code not in (200, 201):
            raise AirflowAPIError(f"login failed: HTTP {answer.status_code} {answer.text[:200]}")
        return answer.json()["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; raises AirflowAPIError on a 4xx/5xx."""
        if "Authorization" not in self._http.headers:
            self._http.headers["Authorization"] = f"Bearer {self._token()}"
        answer = self._http.request(method, f"/api/v2{path}", **kwargs)
        if answer.status_code >= 400:
            raise AirflowAPIError(f"{method} {path}: HTTP {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def _replace(self, collection: str, key: str, body: dict[str, Any]) -> None:
        """Delete-then-create: unlike PATCH, this never needs to decrypt the old value, so it also works when the
        metadata database outlived the Fernet key of an earlier AIRFLOW_HOME (e.g. after `make clean`)."""
        try:
            self.call("DELETE", f"/{collection}/{key}")
        except AirflowAPIError as exc:
            if "404" not in str(exc):
                raise
        self.call("POST", f"/{collection}", json=body)

    def upsert_connection(self, conn: dict[str, Any]) -> None:
        """Create or replace a connection (connection_id, conn_type, host, login, password, port, extra)."""
        self._replace("connections", conn["connection_id"], conn)

    def connections(self) -> list[dict[str, Any]]:
        """Every connection in the metadata database (id, type, description; no secrets are asked for)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.call("GET", "/connections", params={"limit": 100, "offset": len(found)})
            found.extend(page["connections"])
            if len(found) >= page["total_entries"] or not page["connections"]:
                return found

    def variable_description(self, key: str) -> str | None:
        """The description of a Variable, or None when it does not exist."""
        try:
            return self.call("GET", f"/variables/{key}").get("description") or ""
        except AirflowAPIError as exc:
            if "404" in str(exc):
                return None
            raise

    def upsert_variable(self, key: str, value: str, description: str = "") -> None:
        """Create or replace a Variable."""
        self._replace("variables", key, {"key": key, "value": value, "description": description})

    def upsert_pool(self, name: str, slots: int, description: str) -> None:
        """Create or resize a pool."""
        body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
        try:
            self.call("POST", "/pools", json=body)
        except AirflowAPIError as exc:
            if "409" not in str(exc):
                raise
            self.call("PATCH", f"/pools/{name}", json=body)

    def wait_dag_parsed(self, dag_ids: list[str], timeout_s: float = 180) -> None:
        """Block until the dag-processor has serialised every DAG in ``dag_ids``."""
        deadline = time.monotonic() + timeout_s
        missing = set(dag_ids)
        while time.monotonic() < deadline:
            known = {d["dag_id"] for d in self.call("GET", "/dags", params={"limit": 100})["dags"]}
            missing = set(dag_ids) - known
            if not missing:
                return
            time.sleep(2)
        errors = self.call("GET", "/importErrors")
        raise AirflowAPIError(f"DAGs not parsed in time: {sorted(missing)}; import errors: {errors}")

    def unpause(self, dag_id: str) -> None:
        """Unpause a DAG."""
        self.set_paused(dag_id, False)

    def is_paused(self, dag_id: str) -> bool:
        """Whether a DAG is paused."""
        return bool(self.call("GET", f"/dags/{dag_id}")["is_paused"])

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """Pause or unpause a DAG."""
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, note: str = "") -> str:
        """Start a DAG run now; return its run id."""
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "note": note or None})
        return run["dag_run_id"]

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """One DAG run."""
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def latest_run(self, dag_id: str) -> dict[str, Any] | None:
        """The most recently started run of a DAG, if any."""
        runs = self.call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 1})
        return runs["dag_runs"][0] if runs["dag_runs"] else None

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        """Task ids (with map index) that failed in a run."""
        tis = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 500})
        return [
            f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]
            for t in tis["task_instances"]
            if t["state"] in ("failed", "upstream_failed")
        ]
