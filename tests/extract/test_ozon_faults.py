"""Every injected Ozon fault is survived: the warehouse ends equal to the emulator's world, no duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import assert_equals_world, landed, ozon_world, run_all

FAULTS = {
    "server_error_500": [{"kind": "server_error", "count": 3}],
    "server_error_503": [{"kind": "server_error", "status": 503, "rate": 0.3, "count": 6}],
    "slow": [{"kind": "slow", "delay_s": 0.3, "count": 3}],
    "timeout": [{"kind": "timeout", "delay_s": 3, "count": 2}],
    "duplicate_page": [{"kind": "duplicate_page", "rate": 0.5, "count": 6}],
    "shifted_page_repeats_tail": [{"kind": "shifted_page", "shift": -3, "rate": 0.5, "count": 6}],
    "shifted_page_skips_rows_of_a_snapshot": [
        {
            "kind": "shifted_page",
            "shift": 2,
            "count": 2,
            "paths": ["/v3/product/list", "/v4/product/info/stocks"],
        }
    ],
    "schema_extra_field": [{"kind": "schema_extra_field", "count": 4}],
    "report_late": [{"kind": "report_late", "count": 2}],
}


def _assert_every_rule_served(state: Any, vendor: str) -> None:
    """Each configured fault rule was served at least once (a fault that never fired proves nothing)."""
    rules = state.faults.snapshot().get(vendor, [])
    assert rules, "no fault was configured"
    for rule in rules:
        assert rule["faults_served"] > 0, f"the fault {rule['kind']} on {rule['paths']} never fired"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_survived_with_nothing_lost_or_duplicated(ozon, dsn: str, fault: str) -> None:
    ozon.state.faults.configure("ozon", [parse_rule(rule) for rule in FAULTS[fault]])
    run_all(ozon, dsn, "faulty", only="ozon_main")
    _assert_every_rule_served(ozon.state, "ozon")
    if fault == "report_late":
        run_all(ozon, dsn, "next-day", only="ozon_main")  # the late month stayed open and is read now
    assert_equals_world(dsn, "ozon", ozon_world(ozon.world), only="ozon_main")
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            if fault != "schema_extra_field":
                assert keys == versions, f"{entity}/{account}: duplicated versions"
