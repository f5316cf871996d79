"""`airflow dags test extract_ozon` against an Ozon emulator serving drifted prices: the extract task succeeds, its
log holds a WARNING naming the drifted field, the drift is in ops.schema_drift and the records are in raw."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from tests.ozon_world import Served

from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import connections

pytestmark = pytest.mark.e2e


def test_the_extract_task_warns_of_drift_and_still_succeeds(
    ozon: Served, pristine_world: Path, migrated_dsn: str, run_dag
) -> None:
    rule = {
        "kind": "schema_retyped_field",
        "field": "acquiring",
        "rate": 1.0,
        "paths": ["/v5/product/info/prices"],
    }
    ozon.state.faults.configure("ozon", [parse_rule(rule)])
    (main,) = [c for c in connections(pristine_world, "ozon") if c["conn_id"] == "mp_ozon_main"]
    connection = {
        "conn_type": "http",
        "host": ozon.url,
        "login": main["login"],
        "password": main["password"],
        "extra": {**main["extra"], "horizon_days": 120},
    }
    env = {
        "SELLERFLOW_WAREHOUSE_DSN": migrated_dsn,
        "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": migrated_dsn,
        "AIRFLOW_CONN_MP_OZON_MAIN": json.dumps(connection),
        "AIRFLOW_VAR_SELLERFLOW_ACCOUNTS": json.dumps({"ozon": ["mp_ozon_main"]}),
    }
    result = run_dag("extract_ozon", env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert ozon.state.faults.snapshot()["ozon"][0]["faults_served"] > 0
    warnings = [line for line in output.splitlines() if "schema drift in ozon/ozon_main prices" in line]
    assert warnings, output[-5000:]
    assert "warning" in warnings[0].lower()
    assert "acquiring retyped (number → string)" in warnings[0]
    with psycopg.connect(migrated_dsn) as conn:
        drift = conn.execute(
            "select entity, field_path, kind, record_count from ops.schema_drift where source = 'ozon'"
        ).fetchall()
        (prices,) = conn.execute("select count(distinct natural_key) from raw.ozon_prices").fetchone()
    assert drift == [("prices", "acquiring", "retyped", prices)]
    assert prices > 0
