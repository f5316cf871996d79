"""Ozon extraction end to end: emulator over real HTTP → streams → real Postgres raw tables."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import psycopg
import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import NullLimiter
from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import (
    FAST,
    accounts,
    assert_equals_world,
    cabinets,
    key_counts,
    landed,
    ozon_statuses,
    ozon_world,
    run_all,
    total_rows,
)


def test_backfill_lands_every_record_of_two_cabinets_of_two_legal_entities(ozon, dsn: str) -> None:
    cabs = cabinets(ozon)
    assert {a.account_id for a in cabs} == {"ozon_main", "ozon_second"}
    assert len({a.legal_entity_id for a in cabs}) == 2
    run_all(ozon, dsn, "backfill")
    assert_equals_world(dsn, "ozon", ozon_world(ozon.world))
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            assert keys == versions, f"{entity}/{account}: one version per record after a backfill"


def test_rerun_adds_nothing(ozon, dsn: str) -> None:
    run_all(ozon, dsn, "first")
    before = total_rows(dsn)
    results = run_all(ozon, dsn, "again")
    assert total_rows(dsn) == before
    assert sum(r["new_versions"] for r in results) == 0


def test_incremental_after_the_clock_advances_adds_exactly_the_changes(ozon, dsn: str) -> None:
    run_all(ozon, dsn, "first")
    with psycopg.connect(dsn) as conn:
        seen = dict(
            ((a, k), s)
            for a, k, s in conn.execute(
                "select distinct on (account_id, natural_key) account_id, natural_key, payload->>'status' "
                "from raw.ozon_posting_statuses order by account_id, natural_key, extracted_at desc, id desc"
            ).fetchall()
        )
    clock.advance(ozon.state.conn(), ozon.state.now() + timedelta(days=1))
    truth = ozon_statuses(ozon.world)
    new = sum(1 for key in truth if key not in seen)
    changed = sum(1 for key, status in truth.items() if key in seen and seen[key] != status)
    assert new > 0
    assert changed > 0, "the day moved some FBO postings on"
    before = landed(dsn)["posting_statuses"]
    results = run_all(ozon, dsn, "incremental")
    after = landed(dsn)["posting_statuses"]
    added = sum(v for _, v in after.values()) - sum(v for _, v in before.values())
    assert added == new + changed
    assert_equals_world(dsn, "ozon", ozon_world(ozon.world))
    posting_versions = sum(
        s["new_versions"] for r in results for s in r["streams"] if s["stream"].startswith("postings")
    )
    assert posting_versions == new + changed


def test_first_run_logs_progress_with_budget_and_eta(ozon, dsn: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sellerflow")
    account = accounts(ozon.world.parent, "ozon", ozon.url, horizon_days=40, backfill_slice_days=7)[0]
    extract_account(account, dsn, "progress", ozon.state.now(), streams=["postings_fbs"], client_options=FAST)
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerflow.extract.progress"]
    assert any("slice 1/" in line and "page 1:" in line and "budget" in line for line in lines)
    finished = [line for line in lines if "done:" in line]
    assert len(finished) >= 5, "a 40-day horizon backfills in several 7-day slices"
    assert "ETA 0:00:" in finished[1]


def test_secrets_never_reach_raw_ops_quarantine_logs_or_results(ozon, dsn: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ozon.state.faults.configure("ozon", [parse_rule({"kind": "server_error", "count": 2})])
    results = run_all(ozon, dsn, "secrets")
    wrong = MarketplaceAccount(**{**cabinets(ozon)[0].__dict__, "token": "wrong-token-123456"})
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(wrong, dsn, "bad", ozon.state.now(), force=True, client_options=FAST)
    tokens = [a.token for a in cabinets(ozon)] + ["wrong-token-123456"]
    with psycopg.connect(dsn) as conn:
        dump = "\n".join(
            str(row)
            for schema in ("raw", "quarantine", "ops")
            for (table,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s", (schema,)
            ).fetchall()
            for row in conn.execute(f'select * from {schema}."{table}"').fetchall()
        )
    text = dump + caplog.text + json.dumps(results) + str(failure.value) + repr(cabinets(ozon))
    assert "ozon_main" in dump
    for token in tokens:
        assert token not in text


def test_expired_key_fails_the_account_naming_it_and_the_fix(ozon, dsn: str) -> None:
    ozon.state.conn().execute(
        "update accounts set token_expires_at = '2026-01-01T00:00:00Z' where id = 'ozon_main'"
    )
    ozon.state.conn().commit()
    main, second = sorted(cabinets(ozon), key=lambda a: a.account_id)
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(main, dsn, "r", ozon.state.now(), force=True, client_options=FAST)
    message = str(failure.value)
    assert "ozon_main" in message
    assert "mp_ozon_main" in message
    assert "Fix:" in message
    assert "API key" in message
    extract_account(second, dsn, "r", ozon.state.now(), force=True, client_options=FAST)
    assert set(landed(dsn)["postings_fbs"]) == {"ozon_second"}


def test_a_listing_that_stays_short_fails_its_stream_loudly(ozon, dsn: str) -> None:
    rule = {"kind": "shifted_page", "shift": 1, "count": 10, "paths": ["/v3/product/list"]}
    ozon.state.faults.configure("ozon", [parse_rule(rule)])
    main = cabinets(ozon)[0]
    with pytest.raises(
        AccountExtractionError, match=r"products: /v3/product/list: \d+ distinct rows of total"
    ):
        extract_account(main, dsn, "short", ozon.state.now(), force=True, client_options=FAST)
    with psycopg.connect(dsn) as conn:
        postings = conn.execute("select count(*) from raw.ozon_postings_fbs").fetchone()
        products = conn.execute("select to_regclass('raw.ozon_products')").fetchone()
    assert postings[0] > 0, "the other streams still landed"
    assert products[0] is None, "nothing of the incomplete listing landed"


def test_unknown_fields_are_kept_in_raw(ozon, dsn: str) -> None:
    ozon.state.faults.configure(
        "ozon",
        [parse_rule({"kind": "schema_extra_field", "field": "brand_new_field", "rate": 1.0, "count": 50})],
    )
    run_all(ozon, dsn, "extra")
    with psycopg.connect(dsn) as conn:
        kept = conn.execute(
            "select count(*) from raw.ozon_postings_fbs where payload ? 'brand_new_field'"
        ).fetchone()
    assert kept[0] > 0


def test_renamed_required_field_quarantines_records_not_the_run(ozon, dsn: str) -> None:
    rule = {"kind": "schema_renamed_field", "field": "status", "count": 12, "paths": ["/v4/posting/fbs/list"]}
    ozon.state.faults.configure("ozon", [parse_rule(rule)])
    results = run_all(ozon, dsn, "renamed")
    with psycopg.connect(dsn) as conn:
        reasons = conn.execute(
            "select reason, payload ? 'status', payload ? 'postingNumber' from quarantine.ozon_postings_fbs"
        ).fetchall()
    assert reasons
    assert all(r == ("missing required field 'status'", False, False) for r in reasons)
    assert sum(s["quarantined"] for r in results for s in r["streams"]) == len(reasons)
    ozon.state.faults.clear()
    run_all(ozon, dsn, "clean")  # the watermark stopped before them: the next run reads and lands them
    assert_equals_world(dsn, "ozon", ozon_world(ozon.world))


def test_expired_token_fault_fails_the_run_and_the_retry_lands_everything_once(ozon, dsn: str) -> None:
    ozon.state.faults.configure(
        "ozon", [parse_rule({"kind": "expired_token", "count": 1, "paths": ["/v4/posting/fbs/list"]})]
    )
    main = cabinets(ozon)[0]
    with pytest.raises(AccountExtractionError, match="refused the credentials"):
        extract_account(
            main, dsn, "try-1", ozon.state.now(), force=True, client_options=FAST, limiter=NullLimiter()
        )
    extract_account(main, dsn, "try-2", ozon.state.now(), client_options=FAST)
    got = landed(dsn)
    expected = key_counts(ozon_world(ozon.world))
    assert got["postings_fbs"][main.account_id][0] == expected["postings_fbs"][main.account_id]
    assert all(keys == versions for per in got.values() for keys, versions in per.values())
