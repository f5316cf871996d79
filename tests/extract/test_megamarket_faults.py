"""Every fault the Megamarket emulator injects is survived: the warehouse ends equal to its world, no duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow.sources.ratelimit import NullLimiter
from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import assert_equals_world
from sellerflow_emulators.testing.megamarket import (
    FAST,
    MAIN,
    SOURCE,
    Served,
    cabinets,
    landed,
    make_world,
    run_all,
    serve_world,
    world,
)

SEARCH = ["/api/market/v1/orderService/order/search"]
SMALL_PAGES = {"search_page_size": 7, "get_batch_size": 4}
# fault → (rules, whether a clean backfill runs first so the faults hit an incremental run)
FAULTS: dict[str, tuple[list[dict], bool]] = {
    "server_error_500": ([{"kind": "server_error", "count": 3}], False),
    "server_error_503_html": ([{"kind": "server_error", "status": 503, "rate": 0.3, "count": 6}], False),
    "slow": ([{"kind": "slow", "delay_s": 0.3, "count": 3}], False),
    "timeout": ([{"kind": "timeout", "delay_s": 3, "count": 2}], False),
    "duplicate_page": (
        [{"kind": "duplicate_page", "shift": 3, "rate": 0.5, "count": 6, "paths": SEARCH}],
        False,
    ),
    "shifted_first_page_of_a_backfill": (
        [{"kind": "shifted_page", "shift": 2, "count": 1, "paths": SEARCH}],
        False,
    ),
    "shifted_pages_of_an_incremental_walk": (
        [{"kind": "shifted_page", "shift": 3, "rate": 0.5, "count": 6, "paths": SEARCH}],
        True,
    ),
    "schema_extra_field": ([{"kind": "schema_extra_field", "count": 4}], False),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("megamarket_faults"))


@pytest.fixture
def mm(pristine: Path, tmp_path: Path) -> Iterator[Served]:
    with serve_world(pristine, tmp_path) as served:
        yield served


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_survived_with_nothing_lost_or_duplicated(mm: Served, dsn: str, fault: str) -> None:
    rules, after_backfill = FAULTS[fault]
    if after_backfill:
        run_all(mm, dsn, "clean", only=MAIN, extra=SMALL_PAGES)
        clock.advance(mm.state.conn(), mm.state.now() + timedelta(days=1))
    mm.state.faults.configure("megamarket", [parse_rule(rule) for rule in rules])
    run_all(mm, dsn, "faulty", only=MAIN, extra=SMALL_PAGES)
    served = sum(r["faults_served"] for rules in mm.state.faults.snapshot().values() for r in rules)
    assert served > 0, "the fault was injected"
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)
    if fault == "schema_extra_field":
        return  # an extra field is a new version of the records that carried it
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            if entity not in ("shipments", "shipment_statuses") or not after_backfill:
                assert keys == versions, f"{entity}/{account}: duplicated versions"


def test_a_report_dropped_later_is_read_by_the_next_run(mm: Served, dsn: str, tmp_path: Path) -> None:
    """No report API: a run with nothing in the cabinet's drop folder lands no report; once the seller drops the
    file, the next run takes it (and a run after that takes nothing again)."""
    empty = {"report_folder": str(tmp_path / "empty" / "{account_id}")}
    run_all(mm, dsn, "before-the-download", only=MAIN, extra=empty)
    assert MAIN not in landed(dsn)["report_rows"]
    run_all(mm, dsn, "after-the-download", only=MAIN)
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)
    again = run_all(mm, dsn, "again", only=MAIN)
    assert sum(r["new_versions"] for r in again) == 0


def test_an_expired_token_fault_fails_the_run_and_the_retry_lands_everything_once(
    mm: Served, dsn: str
) -> None:
    rule = {"kind": "expired_token", "count": 1, "paths": ["*/order/get"]}
    mm.state.faults.configure("megamarket", [parse_rule(rule)])
    main = next(a for a in cabinets(mm) if a.account_id == MAIN)
    with pytest.raises(AccountExtractionError, match="refused the credentials"):
        extract_account(
            main, dsn, "try-1", mm.state.now(), force=True, client_options=FAST, limiter=NullLimiter()
        )
    extract_account(main, dsn, "try-2", mm.state.now(), client_options=FAST)
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)
    assert all(keys == versions for per in landed(dsn).values() for keys, versions in per.values())
