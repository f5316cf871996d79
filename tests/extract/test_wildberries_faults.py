"""Every fault the WB emulator injects is survived: the warehouse ends equal to its world, nothing duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import assert_equals_world, world_differences
from sellerflow_emulators.testing.wildberries import (
    SOURCE,
    Served,
    landed,
    reset_warehouse,
    run_all,
    serve_copy,
    throwaway_warehouse,
    world,
)

CURSOR_LISTS = [
    "/api/v3/orders",
    "/api/v1/supplier/orders",
    "/api/v1/supplier/sales",
    "/api/finance/v1/sales-reports/detailed",
]
FAULTS = {
    "server_error_500": [{"kind": "server_error", "count": 3}],
    "server_error_503": [{"kind": "server_error", "status": 503, "rate": 0.3, "count": 6}],
    "slow": [{"kind": "slow", "delay_s": 0.3, "count": 3}],
    "timeout": [{"kind": "timeout", "delay_s": 3, "count": 2}],
    "empty_204": [{"kind": "empty_204", "rate": 1.0, "count": 20, "paths": ["/api/v3/orders*", "/api/v1/*"]}],
    "duplicate_page": [{"kind": "duplicate_page", "rate": 0.5, "count": 6, "paths": CURSOR_LISTS}],
    "shifted_page_repeats_rows": [
        {"kind": "shifted_page", "shift": -3, "rate": 0.5, "count": 6, "paths": CURSOR_LISTS}
    ],
    "schema_extra_field": [{"kind": "schema_extra_field", "count": 6}],
    "report_late": [{"kind": "report_late", "count": 2, "paths": ["/api/finance/*"]}],
}


@pytest.fixture(scope="module")
def warehouse() -> Iterator[str]:
    """One migrated warehouse for the module."""
    with throwaway_warehouse() as dsn:
        yield dsn


@pytest.fixture
def wb(pristine_world: Path, tmp_path: Path) -> Iterator[Served]:
    """A private copy of the small scenario served by the WB emulator."""
    with serve_copy(pristine_world, tmp_path) as served:
        yield served


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_survived_with_nothing_lost_or_duplicated(
    wb: Served, warehouse: str, fault: str
) -> None:
    dsn = reset_warehouse(warehouse)
    wb.state.faults.configure("wildberries", [parse_rule(rule) for rule in FAULTS[fault]])
    results = run_all(wb, dsn, "faulty", only="wildberries_main")
    for rule in wb.state.faults.snapshot()["wildberries"]:
        assert rule["faults_served"] > 0, f"the fault {rule['kind']} never fired"
    if fault == "report_late":
        assert "realization_reports" in world_differences(
            dsn, SOURCE, world(wb.world), only="wildberries_main"
        ), "a report was late"
        # the late week is asked again an hour later (WB's calendar: hourly until the report is out)
        run_all(wb, dsn, "an-hour-later", only="wildberries_main", at=wb.state.now() + timedelta(hours=1))
    assert_equals_world(dsn, SOURCE, world(wb.world), only="wildberries_main")
    if fault.startswith(("server_error", "timeout")):
        assert results[0]["retries"] > 0, "the fault was met and retried"
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            if fault != "schema_extra_field":
                assert keys == versions, f"{entity}/{account}: duplicated versions"


def test_a_stale_statistics_page_served_again_is_not_landed(wb: Served, warehouse: str) -> None:
    dsn = reset_warehouse(warehouse)
    run_all(wb, dsn, "first", only="wildberries_main", streams=["orders"])
    clock.advance(wb.state.conn(), wb.state.now() + timedelta(days=1))
    rule = {"kind": "duplicate_page", "count": 1, "paths": ["/api/v1/supplier/orders"]}
    wb.state.faults.configure("wildberries", [parse_rule(rule)])
    results = run_all(wb, dsn, "second", only="wildberries_main", streams=["orders"])
    assert results[0]["api_calls"] == 2, "the page of the first run came back and was asked again"
    assert_equals_world(dsn, SOURCE, world(wb.world), only="wildberries_main", entities=("orders",))
    with psycopg.connect(dsn) as conn:
        stale = conn.execute(
            "select count(*) from raw.wildberries_orders where run_id = 'second' and natural_key in "
            "(select natural_key from raw.wildberries_orders where run_id = 'first' group by natural_key "
            "having count(*) > 0) and payload = any(select payload from raw.wildberries_orders "
            "where run_id = 'first')"
        ).fetchone()[0]
    assert stale == 0, "no version of the second run repeats a first-run payload"
