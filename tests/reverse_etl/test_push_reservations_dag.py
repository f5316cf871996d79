"""push_reservations under `airflow dags test`: connections and Variables as Airflow gives them, the emulators
over HTTP, the module's warehouse; after one run 1C holds exactly the desired reservations, and no secret was
printed."""

from __future__ import annotations

import importlib
import json
from contextlib import ExitStack

import psycopg
import pytest

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

from .conftest import MARKETPLACES
from .test_onec_reservations import expected_orders, sellerflow_orders

pytestmark = pytest.mark.e2e


def test_one_dag_run_reserves_the_new_orders_in_1c(world, onec, run_dag) -> None:
    env = {"SELLERFLOW_WAREHOUSE_DSN": world.dsn, "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": world.dsn}
    listing: dict[str, list[str]] = {}
    secrets = []
    with psycopg.connect(world.dsn) as conn:  # the DAG must write the cabinets' settings itself
        conn.execute("truncate ops.reverse_etl_accounts")
    with ExitStack() as stack:
        state = EmulatorState(onec.path)
        urls = {
            mp: stack.enter_context(
                serve_in_thread(importlib.import_module(f"sellerflow_emulators.{mp}").create_app(state))
            )
            for mp in MARKETPLACES
        }
        for conn in world.connections:
            source = conn["conn_id"].split("_")[0]
            if conn["conn_id"].startswith("onec_"):
                base_id = conn["conn_id"].removeprefix("onec_")
                host = f"{onec.url}/{base_id}/odata/standard.odata"
                listing.setdefault("onec", []).append(conn["conn_id"])
            else:
                source = next(mp for mp in MARKETPLACES if conn["conn_id"].startswith(f"mp_{mp}_"))
                host = urls[source]
                listing.setdefault(source, []).append(conn["conn_id"])
            body = {**conn, "host": host}
            body.pop("conn_id")
            body.pop("description", None)
            env[f"AIRFLOW_CONN_{conn['conn_id'].upper()}"] = json.dumps(body)
            secrets.append(conn["password"])
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps(listing)
        result = run_dag("push_reservations", env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "onec_reservations:" in output, "the push logs its counts"
    for secret in secrets:
        assert secret not in output
    docs = sellerflow_orders(onec)
    assert docs.keys() == expected_orders(onec).keys()
    assert all(len(v) == 1 for v in docs.values())
    with psycopg.connect(world.dsn) as conn:
        (settings,) = conn.execute("select count(*) from ops.reverse_etl_accounts").fetchone()
    assert settings == len([c for c in world.connections if c["conn_id"].startswith("mp_")])
