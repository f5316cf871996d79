"""`make demo`, TSD part: pick lists built for the demo warehouses, a device token, the API and page URLs.

Runs the ``build_pick_lists`` DAG once (then it keeps its 5-minute schedule), gives the demo device
``demo-tsd-1`` a fresh token bound to the warehouse with the most open pick lists (a previous demo token is
revoked), prints the token, the API base URL and the TSD page URL, and adds them to
``.sellerflow/demo_summary.json`` (``tsd_api_url``, ``tsd_page_url``, ``tsd_device_token``; the file is made
readable by its owner only). ``GET {tsd_api_url}/pick-lists`` with the token lists the device's open lists.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import psycopg

from sellerflow.picking import devices
from sellerflow.warehouse.connection import scalar

DAG_ID = "build_pick_lists"
DEVICE = "demo-tsd-1"


def build_once(api: Any, timeout_s: float) -> str:
    """Unpause and trigger build_pick_lists; return the run's final state (or the last one seen)."""
    api.wait_dag_parsed([DAG_ID])
    api.unpause(DAG_ID)
    run_id = api.trigger(DAG_ID, note="make demo: pick lists for the demo warehouses")
    deadline = time.monotonic() + timeout_s
    state = "queued"
    while time.monotonic() < deadline:
        state = api.dag_run(DAG_ID, run_id)["state"]
        if state in ("success", "failed"):
            break
        time.sleep(2)
    return state


def busiest_warehouse(dsn: str) -> tuple[str, str, int] | None:
    """(warehouse_key, name, open lists) of the warehouse with the most open pick lists, else of any demand."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select warehouse_key, min(warehouse_name), count(*) from ops.pick_lists where status = 'open'"
            " group by 1 order by 3 desc, 1 limit 1"
        ).fetchone()
        if row is None and scalar(conn, "select to_regclass('marts.pick_demand') is not null"):
            row = conn.execute(
                "select warehouse_key, min(warehouse_name), 0 from marts.pick_demand group by 1 order by 1 limit 1"
            ).fetchone()
    return tuple(row) if row else None


def issue_demo_token(dsn: str, warehouse_key: str) -> str:
    """A new token for the demo device (the previous one revoked)."""
    devices.revoke(dsn, DEVICE)
    return devices.issue(dsn, DEVICE, warehouse_key)


def record(summary_path: Path, values: dict[str, Any]) -> None:
    """Merge the values into the demo summary (owner-readable only: it holds a device token)."""
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary.update(values)
    summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    os.chmod(summary_path, 0o600)


def demo_tsd(api: Any, dsn: str, summary_path: Path, timeout_s: float) -> dict[str, Any]:
    """Build the pick lists, issue the demo device's token, print and record the TSD URLs."""
    try:
        state = build_once(api, timeout_s)
    except Exception as exc:
        state = f"not run: {type(exc).__name__}: {exc}"
    base = api.base_url.rstrip("/")
    found = busiest_warehouse(dsn)
    values: dict[str, Any] = {"tsd_api_url": f"{base}/tsd/api/v1", "tsd_page_url": f"{base}/tsd/"}
    if found is None:
        print(f"TSD:         no orders awaiting assembly yet ({DAG_ID}: {state}); no device token issued")
        values["tsd_device_token"] = None
    else:
        warehouse_key, name, open_lists = found
        values["tsd_device_token"] = issue_demo_token(dsn, warehouse_key)
        values["tsd_warehouse"] = {"key": warehouse_key, "name": name, "open_pick_lists": open_lists}
        print(f"TSD:         {open_lists} open pick lists in {name} ({DAG_ID}: {state})")
        print(f"  page:      {values['tsd_page_url']}  (scan or type the token, Enter)")
        print(f"  API:       {values['tsd_api_url']}  (GET /pick-lists, OpenAPI at {base}/tsd/docs)")
        print(
            f"  token:     {values['tsd_device_token']}  (device {DEVICE}; `python -m sellerflow.picking token list`)"
        )
        print(f"  DataMobile SOAP: {base}/tsd/datamobile/soap (token as HTTP Basic password)")
    record(summary_path, values)
    return values
