"""The status API the Airflow plugin mounts, against a real warehouse database."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from sellerflow.api.app import create_app
from sellerflow.warehouse.migrations import migrate


def test_health_lists_the_latest_loads(fresh_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id, status, received, inserted, finished_at)"
            " values ('onec', 'products', 'ut_main', 'r1', 'succeeded', 10, 7, now())"
        )
    monkeypatch.setenv("SELLERFLOW_WAREHOUSE_DSN", fresh_dsn)
    body = TestClient(create_app()).get("/health").json()
    assert body["status"] == "ok"
    (load,) = body["latest_loads"]
    assert (load["source"], load["entity"], load["account_id"], load["inserted"]) == (
        "onec",
        "products",
        "ut_main",
        7,
    )


def test_health_reports_an_unreachable_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELLERFLOW_WAREHOUSE_DSN", "postgresql://nobody@127.0.0.1:1/none")
    answer = TestClient(create_app()).get("/health")
    assert answer.status_code == 503
    assert answer.json()["status"] == "warehouse_unreachable"


def test_health_says_when_the_warehouse_is_not_migrated(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELLERFLOW_WAREHOUSE_DSN", fresh_dsn)
    answer = TestClient(create_app()).get("/health")
    assert answer.status_code == 503
    assert answer.json()["status"] == "not_migrated"
