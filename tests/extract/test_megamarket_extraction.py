"""Megamarket extraction end to end: emulator over real HTTP → streams → real Postgres raw tables."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.testing.extract import assert_equals_world
from sellerflow_emulators.testing.megamarket import (
    FAST,
    MAIN,
    SECOND,
    SOURCE,
    Served,
    cabinets,
    expected,
    landed,
    make_world,
    run_all,
    serve_world,
    statuses,
    total_rows,
    world,
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario plus a second cabinet, generated once per module."""
    return make_world(tmp_path_factory.mktemp("megamarket_world"))


@pytest.fixture
def mm(pristine: Path, tmp_path: Path) -> Iterator[Served]:
    """A private copy of the world served by the Megamarket emulator (tests may advance its clock)."""
    with serve_world(pristine, tmp_path) as served:
        yield served


def test_backfill_lands_every_record_of_two_cabinets_of_two_legal_entities(mm: Served, dsn: str) -> None:
    cabs = cabinets(mm)
    assert {a.account_id for a in cabs} == {MAIN, SECOND}
    assert len({a.legal_entity_id for a in cabs}) == 2
    run_all(mm, dsn, "backfill")
    assert_equals_world(dsn, SOURCE, world(mm.world))
    assert all(expected(mm.world)[e][SECOND] > 0 for e in ("shipments", "report_rows", "offers"))
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            assert keys == versions, f"{entity}/{account}: one version per record after a backfill"


def test_backfill_pages_through_search_and_get_in_batches(mm: Served, dsn: str) -> None:
    """Small pages force a walk of many order/search pages; slices cut it without losing a shipment."""
    extra = {"search_page_size": 7, "get_batch_size": 3, "backfill_slice_days": 3}
    results = run_all(mm, dsn, "paged", only=MAIN, extra=extra)
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)
    shipments = next(s for s in results[0]["streams"] if s["stream"] == "shipments")
    count = expected(mm.world)["shipments"][MAIN]
    assert shipments["records"] >= count
    searches = -(-count // 6)  # each page repeats at least the last second's ids
    assert shipments["api_calls"] <= searches + 1 + -(-count // 3) + searches + 2


def test_rerun_adds_nothing(mm: Served, dsn: str) -> None:
    run_all(mm, dsn, "first")
    before = total_rows(dsn)
    results = run_all(mm, dsn, "again")
    assert total_rows(dsn) == before
    assert sum(r["new_versions"] for r in results) == 0


def test_incremental_after_the_clock_advances_adds_exactly_the_changes(mm: Served, dsn: str) -> None:
    run_all(mm, dsn, "first")
    with psycopg.connect(dsn) as conn:
        seen = {
            (a, k): s
            for a, k, s in conn.execute(
                "select distinct on (account_id, natural_key) account_id, natural_key, payload->>'status' "
                "from raw.megamarket_shipment_statuses order by account_id, natural_key, extracted_at desc, id desc"
            ).fetchall()
        }
    clock.advance(mm.state.conn(), mm.state.now() + timedelta(days=1))
    truth = statuses(mm.world)
    new = sum(1 for key in truth if key not in seen)
    changed = sum(1 for key, status in truth.items() if key in seen and seen[key] != status)
    assert new > 0
    assert changed > 0, "the day moved some shipments on"
    before = landed(dsn)
    results = run_all(mm, dsn, "incremental")
    after = landed(dsn)
    for entity in ("shipments", "shipment_statuses"):
        added = sum(v for _, v in after[entity].values()) - sum(v for _, v in before[entity].values())
        assert added == new + changed, entity
    assert_equals_world(dsn, SOURCE, world(mm.world))
    versions = sum(s["new_versions"] for r in results for s in r["streams"] if s["stream"] == "shipments")
    assert versions == new + changed


def test_first_run_logs_progress_with_budget_and_eta(mm: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sellerflow")
    account = cabinets(mm, backfill_slice_days=5, search_page_size=10)[0]
    extract_account(account, dsn, "progress", mm.state.now(), streams=["shipments"], client_options=FAST)
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerflow.extract.progress"]
    assert any("slice 1/" in line and "page 1:" in line and "budget 4" in line for line in lines)
    finished = [line for line in lines if "done:" in line]
    assert len(finished) >= 8, "a 40-day horizon backfills in 5-day slices"
    assert "ETA 0:00:" in finished[1]


def test_secrets_never_reach_raw_ops_quarantine_logs_or_results(mm: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    mm.state.faults.configure("megamarket", [parse_rule({"kind": "server_error", "count": 2})])
    results = run_all(mm, dsn, "secrets")
    wrong = MarketplaceAccount(**{**cabinets(mm)[0].__dict__, "token": "wrong-token-123456"})
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(wrong, dsn, "bad", mm.state.now(), force=True, client_options=FAST)
    tokens = [a.token for a in cabinets(mm)] + ["wrong-token-123456"]
    with psycopg.connect(dsn) as conn:
        dump = "\n".join(
            str(row)
            for schema in ("raw", "quarantine", "ops")
            for (table,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s", (schema,)
            ).fetchall()
            for row in conn.execute(f'select * from {schema}."{table}"').fetchall()
        )
    text = dump + caplog.text + json.dumps(results) + str(failure.value) + repr(cabinets(mm))
    assert MAIN in dump
    for token in tokens:
        assert token not in text


def test_expired_token_fails_only_that_account_naming_it_and_the_fix(mm: Served, dsn: str) -> None:
    mm.state.conn().execute(
        f"update accounts set token_expires_at = '2026-01-01T00:00:00Z' where id = '{MAIN}'"
    )
    mm.state.conn().commit()
    main, second = sorted(cabinets(mm), key=lambda a: a.account_id)
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(main, dsn, "r", mm.state.now(), force=True, client_options=FAST)
    message = str(failure.value)
    assert "megamarket_main (connection mp_megamarket_main)" in message
    assert "TOKEN_EXPIRED" in message
    assert "Fix:" in message
    assert "API token" in message
    assert failure.value.permanent
    extract_account(second, dsn, "r", mm.state.now(), force=True, client_options=FAST)
    assert set(landed(dsn)["shipments"]) == {SECOND}


def test_unknown_fields_are_kept_in_raw(mm: Served, dsn: str) -> None:
    rule = {"kind": "schema_extra_field", "field": "brandNewField", "count": 3, "paths": ["*/order/get"]}
    mm.state.faults.configure("megamarket", [parse_rule(rule)])
    run_all(mm, dsn, "extra")
    with psycopg.connect(dsn) as conn:
        kept = conn.execute(
            "select count(*) from raw.megamarket_shipments where payload ? 'brandNewField'"
        ).fetchone()
    assert kept[0] > 0


def test_renamed_required_field_quarantines_records_not_the_run(mm: Served, dsn: str) -> None:
    rule = {"kind": "schema_renamed_field", "field": "status:state", "count": 1, "paths": ["*/order/get"]}
    mm.state.faults.configure("megamarket", [parse_rule(rule)])
    results = run_all(mm, dsn, "renamed", only=MAIN, extra={"get_batch_size": 10})
    with psycopg.connect(dsn) as conn:
        reasons = conn.execute(
            "select reason, payload ? 'status', payload ? 'state' from quarantine.megamarket_shipments"
        ).fetchall()
    assert reasons
    assert all(r == ("missing required field 'status'", False, True) for r in reasons)
    assert sum(s["quarantined"] for r in results for s in r["streams"]) == len(reasons)
    assert len(reasons) == 10, "one order/get batch"
    assert landed(dsn)["shipments"][MAIN][0] == expected(mm.world)["shipments"][MAIN] - len(reasons)
    mm.state.faults.clear()
    run_all(mm, dsn, "clean", only=MAIN)  # quarantined shipments are re-read by id and land now
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)


def test_logical_rate_limit_refusals_are_retried_and_lose_nothing(mm: Served, dsn: str) -> None:
    """success=0 TOO_MANY_REQUESTS inside HTTP 200: retried after the wait it names, nothing lost."""
    mm.state.limits.override("megamarket", "orders", LimitConfig(1, 1.0, 2))
    results = run_all(mm, dsn, "limited", only=MAIN)
    assert results[0]["retries"] > 0, "the emulator refused calls (its limit is unknown to the limiter)"
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)


def test_parallel_runs_with_the_shared_limiter_are_never_refused(mm: Served, dsn: str) -> None:
    """Three runs of one cabinet at once, limiter told the vendor's limit: no refusal, hence no retry."""
    mm.state.limits.override("megamarket", "orders", LimitConfig(20, 1.0, 3))
    limits = {"orders": {"rate": 20, "window_s": 1, "burst": 3}}
    extra = {"rate_limits": limits, "search_page_size": 20, "get_batch_size": 20}
    main = cabinets(mm, **extra)[0]
    now = mm.state.now()
    results: list[dict] = []

    def run(n: int) -> None:
        options = {**FAST, "timeout_s": 10.0}
        results.append(extract_account(main, dsn, f"run-{n}", now, force=True, client_options=options))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert sum(r["retries"] for r in results) == 0
    assert_equals_world(dsn, SOURCE, world(mm.world), only=MAIN)
