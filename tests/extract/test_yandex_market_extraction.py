"""Yandex Market extraction end to end: emulator over real HTTP → streams → real Postgres raw tables."""

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
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.testing.extract import assert_equals_world
from sellerflow_emulators.testing.yandex_market import (
    FAST,
    SECOND,
    SECOND_TOKEN,
    SOURCE,
    Served,
    cabinets,
    expected,
    landed,
    run_all,
    statuses,
    total_rows,
    world,
)


def _main(ym: Served, **extra: object) -> MarketplaceAccount:
    return next(a for a in cabinets(ym.world.parent, ym.url, **extra) if a.account_id != SECOND)


def test_backfill_lands_every_record_of_two_cabinets_of_two_legal_entities(ym: Served, dsn: str) -> None:
    cabs = cabinets(ym.world.parent, ym.url)
    assert {a.account_id for a in cabs} == {"yandex_market_main", SECOND}
    assert len({a.legal_entity_id for a in cabs}) == 2
    results = run_all(ym, dsn, "backfill")
    assert_equals_world(dsn, SOURCE, world(ym.world))
    want = expected(ym.world)
    assert all(want["realization_rows"][a.account_id] > 0 for a in cabs), "the August reports were read"
    for entity, per_account in landed(dsn).items():
        for account, (keys, versions) in per_account.items():
            assert keys == versions, f"{entity}/{account}: one version per record after a backfill"
    assert all(s["quarantined"] == 0 for r in results for s in r["streams"])
    with psycopg.connect(dsn) as conn:
        contexts = conn.execute(
            "select count(*) filter (where context ? 'warehouseId'), count(*) from raw.yandex_market_stocks"
        ).fetchone()
        sheets = dict(
            conn.execute(
                "select context->>'sheet', count(*) from raw.yandex_market_realization_rows group by 1"
            ).fetchall()
        )
    assert contexts[0] == contexts[1] > 0, "every stock row keeps its warehouse"
    assert set(sheets) <= {"delivered", "returned", "transferred_to_delivery", "unredeemed", "lost_items"}


def test_rerun_adds_nothing(ym: Served, dsn: str) -> None:
    run_all(ym, dsn, "first")
    before = total_rows(dsn)
    results = run_all(ym, dsn, "again")
    assert total_rows(dsn) == before
    assert sum(r["new_versions"] for r in results) == 0


def test_incremental_after_the_clock_advances_adds_exactly_the_changes(ym: Served, dsn: str) -> None:
    run_all(ym, dsn, "first")
    with psycopg.connect(dsn) as conn:
        seen = {
            (a, k): f"{s}/{sub}"
            for a, k, s, sub in conn.execute(
                "select distinct on (account_id, natural_key) account_id, natural_key, payload->>'status', "
                "payload->>'substatus' from raw.yandex_market_order_statuses "
                "order by account_id, natural_key, extracted_at desc, id desc"
            ).fetchall()
        }
    clock.advance(ym.state.conn(), ym.state.now() + timedelta(days=1))
    truth = statuses(ym.world)
    new = sum(1 for key in truth if key not in seen)
    changed = sum(1 for key, status in truth.items() if key in seen and seen[key] != status)
    assert new > 0
    assert changed > 0, "the day moved some orders on"
    before = landed(dsn)["order_statuses"]
    results = run_all(ym, dsn, "incremental")
    after = landed(dsn)["order_statuses"]
    added = sum(v for _, v in after.values()) - sum(v for _, v in before.values())
    assert added == new + changed
    assert_equals_world(dsn, SOURCE, world(ym.world))
    order_versions = sum(s["new_versions"] for r in results for s in r["streams"] if s["stream"] == "orders")
    assert order_versions == new + changed
    calls = [s["api_calls"] for r in results for s in r["streams"] if s["stream"] == "orders"]
    assert all(c <= 4 for c in calls), "only changed and open orders are read, not the whole month again"


def test_first_run_logs_progress_with_budget_and_eta(ym: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sellerflow")
    account = _main(ym, backfill_slice_days=7)
    extract_account(account, dsn, "progress", ym.state.now(), streams=["orders"], client_options=FAST)
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerflow.extract.progress"]
    assert any("slice 1/" in line and "page 1:" in line and "budget" in line for line in lines)
    finished = [line for line in lines if "done:" in line]
    assert len(finished) >= 5, "a 40-day horizon backfills in several 7-day slices"
    assert "ETA 0:00:" in finished[1]


def test_secrets_never_reach_raw_ops_quarantine_logs_or_results(ym: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ym.state.faults.configure("yandex_market", [parse_rule({"kind": "server_error", "count": 2})])
    results = run_all(ym, dsn, "secrets")
    wrong = MarketplaceAccount(**{**_main(ym).__dict__, "token": "ACMA:wrong-token-123456:00"})
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(wrong, dsn, "bad", ym.state.now(), force=True, client_options=FAST)
    tokens = [a.token for a in cabinets(ym.world.parent, ym.url)] + ["ACMA:wrong-token-123456:00"]
    assert SECOND_TOKEN in tokens
    with psycopg.connect(dsn) as conn:
        dump = "\n".join(
            str(row)
            for schema in ("raw", "quarantine", "ops")
            for (table,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s", (schema,)
            ).fetchall()
            for row in conn.execute(f'select * from {schema}."{table}"').fetchall()
        )
    text = (
        dump
        + caplog.text
        + json.dumps(results)
        + str(failure.value)
        + repr(cabinets(ym.world.parent, ym.url))
    )
    assert "yandex_market_main" in dump
    for token in tokens:
        assert token not in text
        assert token.split(":")[1] not in text


def test_revoked_key_fails_the_account_naming_it_and_the_fix(ym: Served, dsn: str) -> None:
    ym.state.conn().execute(
        "update accounts set token_expires_at = '2026-01-01T00:00:00Z' where id = 'yandex_market_main'"
    )
    ym.state.conn().commit()
    main, second = sorted(cabinets(ym.world.parent, ym.url), key=lambda a: a.account_id)
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(main, dsn, "r", ym.state.now(), force=True, client_options=FAST)
    message = str(failure.value)
    assert "yandex_market_main (connection mp_yandex_market_main)" in message
    assert "Api-Key token is revoked" in message
    assert "Fix:" in message
    assert "API key" in message
    assert failure.value.permanent
    extract_account(second, dsn, "r", ym.state.now(), force=True, client_options=FAST)
    assert set(landed(dsn)["orders"]) == {SECOND}


def test_missing_scope_fails_early_naming_the_streams_and_scopes_are_stored(ym: Served, dsn: str) -> None:
    ym.state.conn().execute(
        'update accounts set scopes = \'["pricing:read-only", "offers-and-cards-management"]\' '
        "where id = 'yandex_market_main'"
    )
    ym.state.conn().commit()
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(_main(ym), dsn, "scopes", ym.state.now(), force=True, client_options=FAST)
    message = str(failure.value)
    assert "orders needs one of" in message
    assert "realization needs one of" in message
    assert "prices" not in message.split("not enough for:")[1]
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select scopes, scopes_source from ops.account_credentials where account_id = 'yandex_market_main'"
        ).fetchone()
        orders = conn.execute("select to_regclass('raw.yandex_market_orders')").fetchone()
    assert row == (["offers-and-cards-management", "pricing:read-only"], "vendor")
    assert orders[0] is None, "nothing was extracted with an insufficient key"


def test_unknown_fields_are_kept_in_raw(ym: Served, dsn: str) -> None:
    rule = {"kind": "schema_extra_field", "field": "brandNewField", "rate": 1.0, "count": 50}
    ym.state.faults.configure("yandex_market", [parse_rule(rule)])
    run_all(ym, dsn, "extra", only="yandex_market_main")
    with psycopg.connect(dsn) as conn:
        kept = conn.execute(
            "select count(*) from raw.yandex_market_orders where payload ? 'brandNewField'"
        ).fetchone()
    assert kept[0] > 0


def test_renamed_required_field_quarantines_records_not_the_run(ym: Served, dsn: str) -> None:
    rule = {
        "kind": "schema_renamed_field",
        "field": "status",
        "count": 1,
        "paths": ["/v1/businesses/*/orders"],
    }
    ym.state.faults.configure("yandex_market", [parse_rule(rule)])
    results = run_all(ym, dsn, "renamed", only="yandex_market_main")
    with psycopg.connect(dsn) as conn:
        reasons = conn.execute(
            "select reason, payload ? 'status', payload ? 'statusV2' from quarantine.yandex_market_orders"
        ).fetchall()
    assert reasons
    assert all(r == ("missing required field 'status'", False, True) for r in reasons)
    assert sum(s["quarantined"] for r in results for s in r["streams"]) == len(reasons)
    ym.state.faults.clear()
    run_all(ym, dsn, "clean", only="yandex_market_main")  # the watermark stopped before them
    assert_equals_world(dsn, SOURCE, world(ym.world), only="yandex_market_main")


def test_a_420_is_waited_out_by_the_resource_until_header(ym: Served, dsn: str) -> None:
    ym.state.limits.override("yandex_market", "getBusinessOrders", LimitConfig(1, 1.0))
    main = _main(ym, backfill_slice_days=14)
    result = extract_account(
        main,
        dsn,
        "420",
        ym.state.now(),
        force=True,
        streams=["orders"],
        client_options=FAST,
        limiter=NullLimiter(),
    )
    assert result["retries"] > 0, "the tight quota answered 420 and the call was retried"
    assert (
        landed(dsn)["orders"]["yandex_market_main"][0] == expected(ym.world)["orders"]["yandex_market_main"]
    )
