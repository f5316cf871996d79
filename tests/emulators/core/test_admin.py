"""The admin app over real HTTP: health, clock, faults, limits, summary."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sellerflow_emulators import admin
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

from .conftest import World


@pytest.fixture
def served(world_copy: World) -> Iterator[tuple[httpx.Client, EmulatorState]]:
    state = EmulatorState(world_copy.db)
    with serve_in_thread(admin.create_app(state)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, state


def test_health_and_clock(served: tuple[httpx.Client, EmulatorState]) -> None:
    client, _ = served
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/clock").json() == {"clock": "2026-10-08T00:00:00Z"}


def test_post_clock_advances_the_world(served: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = served
    before = client.get("/summary").json()["tables"]["orders"]
    answer = client.post("/clock", json={"hours": 6})
    assert answer.status_code == 200
    body = answer.json()
    assert body["clock"] == "2026-10-08T06:00:00Z"
    assert body["orders_added"] > 0
    assert client.get("/summary").json()["tables"]["orders"] == before + body["orders_added"]
    assert state.now().isoformat() == "2026-10-08T06:00:00+00:00"
    assert (
        client.post("/clock", json={"to": "2026-10-09T00:00:00Z"}).json()["clock"] == "2026-10-09T00:00:00Z"
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"hours": 1, "minutes": 5}, 422),
        ({}, 422),
        ({"weeks": 1}, 422),
        ({"to": "yesterday"}, 422),
        ({"to": "2026-09-01T00:00:00Z"}, 409),
    ],
)
def test_post_clock_rejects_bad_requests(
    served: tuple[httpx.Client, EmulatorState], body: dict, status: int
) -> None:
    client, _ = served
    assert client.post("/clock", json=body).status_code == status
    assert client.get("/clock").json()["clock"] == "2026-10-08T00:00:00Z"


def test_fault_endpoints_switch_the_injector(served: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = served
    rule = {"kind": "server_error", "count": 2, "status": 503, "paths": "/v4/posting/*"}
    answer = client.put("/faults/ozon", json=rule)
    assert answer.status_code == 200
    assert answer.json()["rules"][0]["status"] == 503
    assert client.get("/faults").json()["faults"]["ozon"][0]["kind"] == "server_error"
    assert state.faults.next("ozon", "/v4/posting/fbs/list").status == 503
    client.put("/faults/wildberries", json=[{"kind": "empty_204", "rate": 1.0}, {"kind": "slow", "count": 1}])
    assert state.faults.next("wildberries", "/api/v3/orders").kind == "empty_204"
    assert client.delete("/faults/ozon").status_code == 200
    assert state.faults.next("ozon", "/v4/posting/fbs/list") is None
    assert client.get("/faults/ozon").json()["rules"] == []
    assert client.put("/faults/ozon", json={"kind": "meteor", "count": 1}).status_code == 422
    assert client.put("/faults/amazon", json={"kind": "timeout", "count": 1}).status_code == 404


def test_limit_endpoints_override_and_restore(served: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = served
    limits = client.get("/limits").json()
    assert limits["limits"]["wildberries"]["finance_reports"]["limit"] == 1
    answer = client.put("/limits/wildberries/marketplace", json={"limit": 1, "window_s": 60})
    assert answer.status_code == 200
    assert answer.json()["limit"]["overridden"] is True
    assert state.limits.acquire("wildberries", "marketplace", "a").allowed
    assert not state.limits.acquire("wildberries", "marketplace", "a").allowed
    assert client.delete("/limits/wildberries/marketplace").json()["limit"]["limit"] == 300
    assert state.limits.acquire("wildberries", "marketplace", "a").allowed
    assert client.put("/limits/ozon/default", json={"limit": 0, "window_s": 1}).status_code == 422
    assert client.put("/limits", json={"enabled": False}).json() == {"enabled": False}
    assert not state.limits.enabled


def test_summary_counts_rows_per_table_and_account(served: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = served
    summary = client.get("/summary").json()
    conn = state.conn()
    assert summary["tables"]["orders"] == conn.execute("select count(*) from orders").fetchone()[0]
    ozon = summary["accounts"]["ozon_main"]
    assert (
        ozon["orders"]
        == conn.execute("select count(*) from orders where account_id='ozon_main'").fetchone()[0]
    )
    assert ozon["reports_published"] >= 1
    assert summary["onec_documents"]["ut_main"]["РеализацияТоваровУслуг"] > 0
