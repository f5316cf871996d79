"""make demo's TSD part (sellerflow.demo.tsd) against a fake Airflow API and a real warehouse: the DAG run, a
token for the busiest warehouse, the URLs printed and recorded, and the recorded URL answering the token."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx

from sellerflow.demo.tsd import DEVICE, demo_tsd

from .conftest import WH2, Served, Warehouse, unit


class FakeAirflow:
    def __init__(self, base_url: str, wh: Warehouse) -> None:
        self.base_url, self.wh, self.calls = base_url, wh, []

    def wait_dag_parsed(self, dag_ids: list[str]) -> None:
        self.calls.append(("parsed", *dag_ids))

    def unpause(self, dag_id: str) -> None:
        self.calls.append(("unpause", dag_id))

    def trigger(self, dag_id: str, note: str = "") -> str:
        self.calls.append(("trigger", dag_id))
        self.wh.build(max_orders=2)  # what the DAG task does (small lists)
        return "run-1"

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return {"state": "success"}


def test_demo_builds_issues_prints_and_records(wh: Warehouse, served: Served, tmp_path: Path, capsys) -> None:
    wh.set_demand(
        [unit("ozon", "0001-1", "OZ-07", 1), unit("ozon", "0002-1", "OZ-08", 1, warehouse_key=WH2)]
        + [unit("wildberries", str(n), "WB-01", order_group=f"U{n}", warehouse_key=WH2) for n in range(3)]
    )
    summary = tmp_path / "demo_summary.json"
    summary.write_text(json.dumps({"first_cycle_seconds": 12.0}))
    # the app mounted at /tsd by the plugin is, here, the bare app on its own port: base = served.url minus /tsd
    api = FakeAirflow("http://airflow.invalid", wh)
    values = demo_tsd(api, wh.dsn, summary, timeout_s=5)
    assert ("trigger", "build_pick_lists") in api.calls
    assert values["tsd_api_url"] == "http://airflow.invalid/tsd/api/v1"
    assert values["tsd_page_url"] == "http://airflow.invalid/tsd/"
    assert (
        values["tsd_warehouse"]["key"] == WH2
    )  # 2 lists there (max 40 orders per list: 1 list each) → tie → key order
    recorded = json.loads(summary.read_text())
    assert recorded["first_cycle_seconds"] == 12.0
    assert recorded["tsd_device_token"] == values["tsd_device_token"]
    assert stat.S_IMODE(summary.stat().st_mode) == 0o600
    out = capsys.readouterr().out
    assert values["tsd_device_token"] in out
    assert "/tsd/api/v1" in out
    # the token lists this device's open lists at {tsd_api_url}/pick-lists (here: the app served directly)
    listed = httpx.get(
        served.api + "/pick-lists", headers={"Authorization": f"Bearer {values['tsd_device_token']}"}
    )
    assert listed.status_code == 200
    assert listed.json()["warehouse_key"] == WH2
    assert len(listed.json()["pick_lists"]) == 2
    # a second demo revokes the old token
    again = demo_tsd(api, wh.dsn, summary, timeout_s=5)
    assert again["tsd_device_token"] != values["tsd_device_token"]
    assert wh.sql("select count(*) from ops.tsd_devices where name = %s and revoked_at is null", DEVICE) == [
        (1,)
    ]
    old = httpx.get(served.api + "/me", headers={"Authorization": f"Bearer {values['tsd_device_token']}"})
    assert old.status_code == 401


def test_demo_goes_on_when_the_dag_cannot_run(wh: Warehouse, tmp_path: Path, capsys) -> None:
    class Broken(FakeAirflow):
        def wait_dag_parsed(self, dag_ids: list[str]) -> None:
            raise RuntimeError("DAGs not parsed in time: ['build_pick_lists']")

    wh.set_demand([unit("ozon", "0001-1", "OZ-07", 1)])
    wh.build()
    values = demo_tsd(Broken("http://airflow.invalid", wh), wh.dsn, tmp_path / "summary.json", timeout_s=5)
    assert values["tsd_device_token"].startswith("tsd_")
    assert "not run: RuntimeError" in capsys.readouterr().out
