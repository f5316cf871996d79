"""The TSD app and the DAG inside a real Airflow: ``airflow dags test build_pick_lists`` builds the lists, and
Airflow's own api-server (the sellerflow plugin's fastapi_apps entry at /tsd) serves the API, its OpenAPI
document and the page to a device token."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Warehouse, free_port, unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api_server(airflow_metadata_env: dict[str, str], picking_dsn: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **airflow_metadata_env,
        "SELLERFLOW_WAREHOUSE_DSN": picking_dsn,
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API__WORKERS": "1",
    }
    log = (tmp_path / "api-server.log").open("w")
    proc = subprocess.Popen(
        ["airflow", "api-server", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
        cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(base + "/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp_path / "api-server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "api-server did not start"
            time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_dag_builds_and_airflow_serves_the_tsd_app(wh: Warehouse, run_dag, api_server: str) -> None:
    wh.set_demand(
        [unit("ozon", "0001-1", "OZ-07", 2), unit("wildberries", "9001", "WB-01", order_group="U1")]
    )
    done = run_dag("build_pick_lists", {"SELLERFLOW_WAREHOUSE_DSN": wh.dsn})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    token = wh.device("tsd-airflow")
    with httpx.Client(base_url=api_server + "/tsd", headers={"Authorization": f"Bearer {token}"}) as c:
        listed = c.get("/api/v1/pick-lists")
        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()["pick_lists"]] == [list_id]
        assert c.post(f"/api/v1/pick-lists/{list_id}/claim").json()["claimed_by_me"] is True
        assert (
            c.post(
                f"/api/v1/pick-lists/{list_id}/scans", json={"scan_id": "a1", "barcode": "460OZ-07"}
            ).status_code
            == 200
        )
        assert c.get("/api/v1/pick-lists", headers={"Authorization": "Bearer tsd_x"}).status_code == 401
        spec = c.get("/openapi.json").json()
        assert "/api/v1/pick-lists/{list_id}/scans" in spec["paths"]
        page = c.get("/")
        assert page.status_code == 200
        assert "keydown" in page.text
        assert "http" not in page.text.split("<script>")[0].replace(
            "http-equiv", ""
        )  # nothing loaded from outside
