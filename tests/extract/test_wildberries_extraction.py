"""Wildberries extraction end to end: emulator over real HTTP → streams → real Postgres raw tables."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from sellerflow.extract.account import extract_account
from sellerflow.extract.runner import AccountExtractionError
from sellerflow.orchestration.marketplace_assets import RAW_ENTITIES
from sellerflow.sources.wildberries import raw_entities
from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import FAST, assert_equals_world, world_differences
from sellerflow_emulators.testing.wildberries import (
    SOURCE,
    Served,
    cabinets,
    expected,
    fbs_statuses,
    landed,
    order_changes,
    reset_warehouse,
    run_all,
    serve_copy,
    throwaway_warehouse,
    total_rows,
    world,
)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[str]:
    """One migrated warehouse for the module (a database per test costs a checkpoint each)."""
    with throwaway_warehouse() as dsn:
        yield dsn


@pytest.fixture
def dsn(warehouse: str) -> str:
    """The module's warehouse, emptied for this test."""
    return reset_warehouse(warehouse)


@pytest.fixture
def wb(pristine_world: Path, tmp_path: Path) -> Iterator[Served]:
    """A private copy of the small scenario served by the WB emulator (limits 600× faster)."""
    with serve_copy(pristine_world, tmp_path) as served:
        yield served


def _latest(dsn: str, entity: str, field: str) -> dict[tuple[str, str], str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"select distinct on (account_id, natural_key) account_id, natural_key, payload->>%s "
            f"from raw.wildberries_{entity} order by account_id, natural_key, extracted_at desc, id desc",
            (field,),
        ).fetchall()
    return {(a, k): v for a, k, v in rows}


def test_the_assets_name_every_raw_table_the_streams_land() -> None:
    assert set(RAW_ENTITIES["wildberries"]) == set(raw_entities())


def test_backfill_lands_every_record_of_two_cabinets_and_a_rerun_adds_nothing(wb: Served, dsn: str) -> None:
    cabs = cabinets(wb)
    assert [a.account_id for a in cabs] == ["wildberries_main", "wildberries_second"]
    assert len({a.legal_entity_id for a in cabs}) == 2, "two legal entities"
    run_all(wb, dsn, "backfill")
    assert_equals_world(dsn, SOURCE, world(wb.world))
    got = landed(dsn)
    assert got["orders"]["wildberries_main"][0] > got["orders_fbs"]["wildberries_main"][0], "FBO orders too"
    for entity, per_account in got.items():
        for account, (keys, versions) in per_account.items():
            assert keys == versions, f"{entity}/{account}: one version per record after a backfill"
    before = total_rows(dsn)
    results = run_all(wb, dsn, "again")
    assert total_rows(dsn) == before
    assert sum(r["new_versions"] for r in results) == 0


def test_incremental_after_the_clock_advances_adds_exactly_the_changes(wb: Served, dsn: str) -> None:
    run_all(wb, dsn, "first")
    statuses_before, changes_before = fbs_statuses(wb.world), order_changes(wb.world)
    sales_before = expected(wb.world)["sales"]
    clock.advance(wb.state.conn(), wb.state.now() + timedelta(days=1))
    statuses_after, changes_after = fbs_statuses(wb.world), order_changes(wb.world)
    moved = sum(1 for k, s in statuses_after.items() if statuses_before.get(k) != s)
    new_tasks = len(statuses_after.keys() - statuses_before.keys())
    changed_orders = sum(1 for k, at in changes_after.items() if changes_before.get(k) != at)
    assert new_tasks > 0
    assert moved > new_tasks, "the day moved some existing FBS tasks on"
    before = landed(dsn)
    results = run_all(wb, dsn, "incremental")
    after = landed(dsn)

    def added(entity: str) -> int:
        return sum(v for _, v in after[entity].values()) - sum(v for _, v in before[entity].values())

    assert added("orders_fbs") == new_tasks
    assert added("order_statuses") == moved
    assert added("orders") == changed_orders
    assert added("sales") == sum(expected(wb.world)["sales"].values()) - sum(sales_before.values())
    assert_equals_world(dsn, SOURCE, world(wb.world))
    assert _latest(dsn, "order_statuses", "wbStatus") == {
        (a, str(task)): wb_status for (a, task), (_, wb_status) in statuses_after.items()
    }
    calls = {s["stream"]: s["api_calls"] for r in results for s in r["streams"]}
    assert calls["orders"] == 1, "an incremental statistics read is one call"
    assert calls["sales"] == 1


def test_the_weekly_report_follows_the_publication_calendar(wb: Served, dsn: str) -> None:
    def calls(at_hours: float) -> int:
        [result] = run_all(
            wb,
            dsn,
            "r",
            only="wildberries_main",
            at=wb.state.now() + timedelta(hours=at_hours),
            streams=["realization"],
        )
        [stream] = result["streams"]
        return stream["api_calls"]

    assert calls(0) == 2, "the backfill lists the reports and reads their rows in one period call"
    assert calls(0.5) == 0, "nothing is due half an hour later"
    assert calls(24) == 2, "the newest report (out 2 days) is re-read daily until it settles"
    assert calls(24 * 6) == 2, "its settling day: read once more, then closed"
    assert calls(24 * 7) == 1, "settled weeks are not asked again; the week ended since is listed (no report)"
    assert calls(24 * 7 + 0.5) == 0, "a missing report is asked hourly, not every run"
    assert calls(24 * 7 + 1) == 1
    assert_equals_world(dsn, SOURCE, world(wb.world), only="wildberries_main", entities=("realization_rows",))


def test_first_run_logs_progress_with_budget_and_eta(wb: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sellerflow")
    account = cabinets(wb, backfill_slice_days=7)[0]
    extract_account(account, dsn, "progress", wb.state.now(), streams=["orders_fbs"], client_options=FAST)
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerflow.extract.progress"]
    assert any(
        "slice 1/" in line and "page 1:" in line and "budget" in line and "calls" in line for line in lines
    )
    finished = [line for line in lines if "done:" in line]
    assert len(finished) >= 5, "a 40-day horizon backfills in several 7-day slices"
    assert "ETA 0:00:" in finished[1]


def test_secrets_never_reach_raw_ops_quarantine_logs_or_results(wb: Served, dsn: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wb.state.faults.configure("wildberries", [parse_rule({"kind": "server_error", "count": 2})])
    results = run_all(wb, dsn, "secrets", only="wildberries_main")
    wrong = replace(cabinets(wb)[0], token="wrong-token-123456")
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(wrong, dsn, "bad", wb.state.now(), force=True, client_options=FAST)
    tokens = [a.token for a in cabinets(wb)] + ["wrong-token-123456"]
    with psycopg.connect(dsn) as conn:
        dump = "\n".join(
            str(row)
            for schema in ("raw", "quarantine", "ops")
            for (table,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s", (schema,)
            ).fetchall()
            for row in conn.execute(f'select * from {schema}."{table}"').fetchall()
        )
    text = dump + caplog.text + json.dumps(results) + str(failure.value) + repr(cabinets(wb))
    assert "wildberries_main" in dump
    for token in tokens:
        assert token not in text
        assert token.split(".")[-1] not in text, "not even the signature part of the JWT"


def test_expired_token_fails_the_account_naming_it_and_the_fix(wb: Served, dsn: str) -> None:
    wb.state.conn().execute(
        "update accounts set token_expires_at = '2026-01-01T00:00:00Z' where id = 'wildberries_main'"
    )
    wb.state.conn().commit()
    main, second = cabinets(wb)
    with pytest.raises(AccountExtractionError) as failure:
        extract_account(main, dsn, "r", wb.state.now(), force=True, client_options=FAST)
    message = str(failure.value)
    assert "wildberries_main (connection mp_wildberries_main)" in message
    assert "token has expired" in message
    assert "Fix:" in message
    assert "Access to API" in message
    extract_account(second, dsn, "r", wb.state.now(), streams=["orders"], client_options=FAST)
    assert set(landed(dsn)["orders"]) == {"wildberries_second"}


def test_a_token_without_the_finance_category_names_it(wb: Served, dsn: str) -> None:
    scopes = json.dumps(["content", "prices", "marketplace", "statistics"])
    wb.state.conn().execute("update accounts set scopes = ? where id = 'wildberries_main'", (scopes,))
    wb.state.conn().commit()
    with pytest.raises(AccountExtractionError) as failure:
        run_all(wb, dsn, "scopes", only="wildberries_main", streams=["orders", "realization"])
    message = str(failure.value)
    assert "the token lacks the category Finance" in message
    assert "wildberries_main" in message
    got = landed(dsn)
    assert got["orders"], "the streams before the refused one landed"
    assert not got["realization_rows"]


def test_a_basic_token_is_told_finance_refuses_it(wb: Served, dsn: str) -> None:
    wb.state.conn().execute(
        "update accounts set vendor = json_set(coalesce(vendor, '{}'), '$.token_type', 'basic') "
        "where id = 'wildberries_second'"
    )
    wb.state.conn().commit()
    with pytest.raises(AccountExtractionError, match="finance-api refuses Basic tokens"):
        run_all(wb, dsn, "basic", only="wildberries_second", streams=["realization"])


def test_unknown_fields_are_kept_in_raw(wb: Served, dsn: str) -> None:
    wb.state.faults.configure(
        "wildberries",
        [parse_rule({"kind": "schema_extra_field", "field": "brandNewField", "rate": 1.0, "count": 60})],
    )
    run_all(wb, dsn, "extra", only="wildberries_main")
    with psycopg.connect(dsn) as conn:
        kept = {
            entity: conn.execute(
                f"select count(*) from raw.wildberries_{entity} where payload ? 'brandNewField'"
            ).fetchone()[0]
            for entity in ("orders_fbs", "orders", "sales", "products", "realization_rows")
        }
    assert all(kept.values()), kept


@pytest.mark.parametrize(
    ("path", "stream", "field"),
    [("/api/v3/orders", "orders_fbs", "rid"), ("/api/v1/supplier/orders", "orders", "nmId")],
)
def test_renamed_required_field_quarantines_records_not_the_run(
    wb: Served, dsn: str, path: str, stream: str, field: str
) -> None:
    rule = {"kind": "schema_renamed_field", "field": field, "count": 12, "paths": [path]}
    wb.state.faults.configure("wildberries", [parse_rule(rule)])
    results = run_all(wb, dsn, "renamed", only="wildberries_main", streams=[stream])
    with psycopg.connect(dsn) as conn:
        reasons = conn.execute(
            f"select reason, payload ? %s, payload ? %s from quarantine.wildberries_{stream}",
            (field, f"{field}V2"),
        ).fetchall()
    assert reasons
    assert all(r == (f"missing required field {field!r}", False, True) for r in reasons)
    assert sum(s["quarantined"] for r in results for s in r["streams"]) == len(reasons)
    assert world_differences(dsn, SOURCE, world(wb.world), only="wildberries_main", entities=(stream,)), (
        "held back, not landed"
    )
    wb.state.faults.clear()
    run_all(wb, dsn, "clean", only="wildberries_main", streams=[stream])  # the watermark stopped before them
    assert_equals_world(dsn, SOURCE, world(wb.world), only="wildberries_main", entities=(stream,))


def test_expired_token_fault_fails_the_run_and_the_retry_lands_everything_once(wb: Served, dsn: str) -> None:
    wb.state.faults.configure(
        "wildberries",
        [parse_rule({"kind": "expired_token", "count": 1, "paths": ["/api/v1/supplier/sales"]})],
    )
    main = cabinets(wb)[0]
    with pytest.raises(AccountExtractionError, match="refused the credentials"):
        extract_account(main, dsn, "try-1", wb.state.now(), force=True, client_options=FAST)
    extract_account(main, dsn, "try-2", wb.state.now(), client_options=FAST)
    assert_equals_world(dsn, SOURCE, world(wb.world), only=main.account_id)
    assert all(keys == versions for per in landed(dsn).values() for keys, versions in per.values())
