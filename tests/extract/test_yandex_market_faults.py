"""Every fault the Yandex Market emulator injects is survived: the warehouse ends equal to the world, no duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import assert_equals_world
from sellerflow_emulators.testing.yandex_market import (
    FAST,
    SOURCE,
    Served,
    cabinets,
    landed,
    run_all,
    world,
)

MAIN = "yandex_market_main"
SNAPSHOTS = ["/v2/businesses/*/offer-mappings", "/v2/campaigns/*/offers/stocks"]
FAULTS = {
    "server_error_500": [{"kind": "server_error", "count": 3}],
    "server_error_503": [{"kind": "server_error", "status": 503, "rate": 0.3, "count": 6}],
    "slow": [{"kind": "slow", "delay_s": 0.3, "count": 3}],
    "timeout": [{"kind": "timeout", "delay_s": 3, "count": 2}],
    "duplicate_page": [{"kind": "duplicate_page", "rate": 0.5, "count": 6}],
    "shifted_page_repeats_tail": [{"kind": "shifted_page", "shift": -3, "rate": 0.5, "count": 6}],
    "schema_extra_field": [{"kind": "schema_extra_field", "count": 4}],
}


@pytest.fixture(scope="session")
def ym_pristine(pristine_world: Path) -> Path:
    """Only the main cabinet runs here: the small scenario as generated."""
    return pristine_world


def _assert_every_rule_served(state: Any, vendor: str) -> None:
    """Each configured fault rule was served at least once (a fault that never fired proves nothing)."""
    rules = state.faults.snapshot().get(vendor, [])
    assert rules, "no fault was configured"
    for rule in rules:
        assert rule["faults_served"] > 0, f"the fault {rule['kind']} on {rule['paths']} never fired"


def _no_duplicates(dsn: str) -> None:
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            assert keys == versions, f"{entity}/{account}: duplicated versions"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_survived_with_nothing_lost_or_duplicated(ym: Served, dsn: str, fault: str) -> None:
    ym.state.faults.configure("yandex_market", [parse_rule(rule) for rule in FAULTS[fault]])
    run_all(ym, dsn, "faulty", only=MAIN)
    _assert_every_rule_served(ym.state, "yandex_market")
    assert_equals_world(dsn, SOURCE, world(ym.world), only=MAIN)
    if fault != "schema_extra_field":
        _no_duplicates(dsn)


def test_a_late_report_leaves_its_months_open_and_the_next_run_reads_them(ym: Served, dsn: str) -> None:
    rule = {"kind": "report_late", "count": 15, "paths": ["/v2/reports/info/*"]}  # 3 months x 5 polls
    ym.state.faults.configure("yandex_market", [parse_rule(rule)])
    main = next(a for a in cabinets(ym.world.parent, ym.url, report_max_polls=5) if a.account_id == MAIN)
    extract_account(main, dsn, "late", ym.state.now(), force=True, client_options=FAST)
    _assert_every_rule_served(ym.state, "yandex_market")
    assert MAIN not in landed(dsn)["realization_rows"], "no report was ready within the polls"
    extract_account(main, dsn, "next-day", ym.state.now(), force=True, client_options=FAST)
    assert_equals_world(dsn, SOURCE, world(ym.world), only=MAIN)
    _no_duplicates(dsn)


def test_rows_a_shifted_snapshot_page_skipped_land_on_the_next_run(ym: Served, dsn: str) -> None:
    rule = {"kind": "shifted_page", "shift": 2, "count": 2, "paths": SNAPSHOTS}
    ym.state.faults.configure("yandex_market", [parse_rule(rule)])
    run_all(ym, dsn, "shifted", only=MAIN)
    _assert_every_rule_served(ym.state, "yandex_market")
    short = landed(dsn)
    assert short["offer_mappings"][MAIN][0] < 174 or short["stocks"][MAIN][0] < 348
    run_all(ym, dsn, "hourly", only=MAIN)  # page tokens are opaque, totals absent: the next snapshot heals it
    assert_equals_world(dsn, SOURCE, world(ym.world), only=MAIN)
    _no_duplicates(dsn)


def test_a_revoked_key_fails_the_run_and_the_retry_lands_everything_once(ym: Served, dsn: str) -> None:
    rule = {"kind": "expired_token", "count": 1, "paths": ["/v1/businesses/*/orders"]}
    ym.state.faults.configure("yandex_market", [parse_rule(rule)])
    main = next(a for a in cabinets(ym.world.parent, ym.url) if a.account_id == MAIN)
    with pytest.raises(AccountExtractionError, match="refused the credentials"):
        extract_account(main, dsn, "try-1", ym.state.now(), force=True, client_options=FAST)
    _assert_every_rule_served(ym.state, "yandex_market")
    extract_account(main, dsn, "try-2", ym.state.now(), client_options=FAST)
    assert_equals_world(dsn, SOURCE, world(ym.world), only=MAIN)
    _no_duplicates(dsn)
