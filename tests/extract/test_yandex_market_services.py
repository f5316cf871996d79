"""The services stream end to end: YM emulator over real HTTP → united-marketplace-services report → raw rows."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from sellerflow.extract.account import extract_account
from sellerflow.sources.yandex_market.common import msk_date
from sellerflow_emulators import clock
from sellerflow_emulators.runtime import format_ts, parse_ts
from sellerflow_emulators.testing.yandex_market import (
    FAST,
    TEST_EXTRA,
    Served,
    cabinets,
)

MAIN = "yandex_market_main"
# sheet → the canonical amount it carries, in kopecks, signed as the report shows it
SHEET_AMOUNTS = {
    "placement": ("totalAmount", "case l.operation when 'return' then -l.commission_kop else l.commission_kop end",
                  "l.operation in ('sale', 'return') and l.commission_kop <> 0"),
    "delivery": ("servicePrice", "l.logistics_kop", "l.operation in ('sale', 'return') and l.logistics_kop <> 0"),
    "payment_accepting": ("servicePrice", "l.commission_kop", "l.operation = 'acquiring' and l.commission_kop <> 0"),
}  # fmt: skip


def _run(ym: Served, dsn: str, run_id: str) -> list[dict[str, Any]]:
    """The services stream of both cabinets at the emulator's clock; per-cabinet stream results."""
    return [
        extract_account(
            account, dsn, run_id, ym.state.now(), force=True, streams=["services"], client_options=FAST
        )["streams"][0]
        for account in cabinets(ym.world.parent, ym.url)
    ]


def world_services(world: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(account, sheet) → (service rows, their amounts in kopecks) the world holds at its clock, within the
    test horizon (months by Moscow service date)."""
    conn = sqlite3.connect(world)
    try:
        (now,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        first = msk_date(parse_ts(now) - timedelta(days=int(TEST_EXTRA["horizon_days"]))).strftime("%Y-%m")
        out: dict[tuple[str, str], tuple[int, int]] = {}
        for sheet, (_, amount, which) in SHEET_AMOUNTS.items():
            rows = conn.execute(
                f"select r.account_id, count(*), sum({amount}) from report_lines l join reports r "
                "on r.id = l.report_id join accounts a on a.id = r.account_id "
                f"where a.marketplace = 'yandex_market' and l.operation_at <= ? and {which} "
                "and strftime('%Y-%m', l.operation_at, '+3 hours') >= ? group by 1",
                (now, first),
            ).fetchall()
            out.update({(account, sheet): (n, total) for account, n, total in rows})
        return out
    finally:
        conn.close()


def landed_services(dsn: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(account, sheet) → (rows, amounts in kopecks) of the latest version of every landed service row."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    with psycopg.connect(dsn) as conn:
        for sheet, (field, _, _) in SHEET_AMOUNTS.items():
            rows = conn.execute(
                "select account_id, count(*), sum(round((payload ->> %s)::numeric * 100))::bigint from "
                "(select distinct on (account_id, natural_key) account_id, payload, context "
                " from raw.yandex_market_service_rows order by account_id, natural_key, id desc) latest "
                "where context ->> 'sheet' = %s group by 1",
                (field, sheet),
            ).fetchall()
            out.update({(account, sheet): (n, total) for account, n, total in rows})
    return out


def versions(dsn: str) -> tuple[int, int]:
    """(distinct keys, versions) in raw.yandex_market_service_rows."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select count(distinct (account_id, natural_key)), count(*) from raw.yandex_market_service_rows"
        ).fetchone()
    return int(row[0]), int(row[1])


def test_backfill_lands_one_record_per_service_row_equal_to_the_world(ym: Served, dsn: str) -> None:
    results = _run(ym, dsn, "backfill")
    want = world_services(ym.world)
    assert {account for account, _ in want} == {MAIN, "yandex_market_second"}
    assert all(n > 0 for n, _ in want.values())
    assert landed_services(dsn) == want, "every commission, delivery and acquiring fee, to the kopeck"
    keys, total = versions(dsn)
    assert keys == total == sum(n for n, _ in want.values()), "one version per row after a backfill"
    assert all(r["quarantined"] == 0 for r in results)
    with psycopg.connect(dsn) as conn:
        contexts = conn.execute(
            "select distinct account_id, context ->> 'period', context ->> 'businessId' is not null, "
            "split_part(natural_key, ':', 1) = context ->> 'period', "
            "split_part(natural_key, ':', 2) = context ->> 'sheet' from raw.yandex_market_service_rows"
        ).fetchall()
        acted = conn.execute(
            "select count(*) filter (where payload ->> 'actDate' = ''), count(*) from raw.yandex_market_service_rows"
        ).fetchone()
    periods = {(a, p) for a, p, *_ in contexts}
    assert {(MAIN, "2026-08"), ("yandex_market_second", "2026-08")} <= periods
    assert {p for _, p in periods} <= {"2026-08", "2026-09"}, "late on 31 August UTC is September in Moscow"
    assert all(has_business and by_period and by_sheet for *_, has_business, by_period, by_sheet in contexts)
    assert acted[0] == 0, "August's act is out at the clock (9 September)"


def test_rerun_adds_nothing(ym: Served, dsn: str) -> None:
    _run(ym, dsn, "first")
    before = versions(dsn)
    again = _run(ym, dsn, "again")
    assert versions(dsn) == before
    assert sum(r["new_versions"] for r in again) == 0


def _act_later(ym: Served) -> datetime:
    """Hold back August's act (its report's publication) until two days after the clock; when it comes."""
    late = ym.state.now() + timedelta(days=2)
    conn = ym.state.conn()
    conn.execute("update reports set published_at = ? where period_start = '2026-08-01'", (format_ts(late),))
    conn.commit()
    return late


def test_a_month_is_read_again_until_its_act_is_out_then_closes(ym: Served, dsn: str) -> None:
    late = _act_later(ym)
    _run(ym, dsn, "before-act")
    with psycopg.connect(dsn) as pg:
        open_rows = pg.execute(
            "select count(*) filter (where payload ->> 'actDate' = ''), count(*) from raw.yandex_market_service_rows"
        ).fetchone()
    assert open_rows[0] == open_rows[1] > 0, "no act yet: every August row has an empty act date"
    keys, _ = versions(dsn)

    clock.advance(ym.state.conn(), late + timedelta(hours=1))
    second = _run(ym, dsn, "after-act")
    assert versions(dsn) == (keys, 2 * keys), "the act date is a new version of the same rows, not new rows"
    assert sum(r["new_versions"] for r in second) == keys
    assert landed_services(dsn) == world_services(ym.world)

    third = _run(ym, dsn, "closed")
    assert versions(dsn) == (keys, 2 * keys)
    assert [r["slices"] for r in third] == [r["slices"] - 1 for r in second], "August is closed"
    assert all(t["api_calls"] < s["api_calls"] for s, t in zip(second, third, strict=True)), (
        "August not asked"
    )


def test_rows_keep_their_keys_when_the_same_month_is_generated_again_in_another_order(
    ym: Served, dsn: str
) -> None:
    _act_later(ym)  # August stays open, so the next run generates it again
    _run(ym, dsn, "first")
    with psycopg.connect(dsn) as pg:
        keys = Counter(k for (k,) in pg.execute("select natural_key from raw.yandex_market_service_rows"))
    conn = ym.state.conn()
    conn.execute("update report_lines set line_no = -line_no")  # the report now lists its rows backwards
    conn.commit()
    again = _run(ym, dsn, "reordered")
    with psycopg.connect(dsn) as pg:
        after = Counter(k for (k,) in pg.execute("select natural_key from raw.yandex_market_service_rows"))
    assert after == keys
    assert all(r["slices"] == 3 and r["new_versions"] == 0 for r in again)
