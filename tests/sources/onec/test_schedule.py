"""Which 1C stream groups a run of extract_onec does: stock every 5 minutes, documents every 10, catalogs hourly,
and a group that missed its slot or never landed at the next tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg

from sellerflow.sources.onec.schedule import due_groups, group_due, last_landed


def _groups(at: datetime, scheduled: bool = True) -> set[str]:
    return {group for group, due in due_groups(at, scheduled).items() if due}


def test_cadences_over_an_hour_of_scheduled_runs() -> None:
    start = datetime(2026, 9, 18, 10, 0, tzinfo=UTC)
    runs = [_groups(start + timedelta(minutes=5 * i)) for i in range(12)]
    assert sum("stock" in r for r in runs) == 12
    assert sum("documents" in r for r in runs) == 6
    assert sum("catalogs" in r for r in runs) == 1
    assert runs[0] == {"stock", "documents", "catalogs"}
    assert runs[1] == {"stock"}


def test_a_late_run_keeps_its_slot_and_a_manual_run_does_everything() -> None:
    assert _groups(datetime(2026, 9, 18, 10, 10, 47, tzinfo=UTC)) == {"stock", "documents"}
    assert _groups(datetime(2026, 9, 18, 10, 5, tzinfo=UTC), scheduled=False) == {
        "stock",
        "documents",
        "catalogs",
    }


def test_a_group_that_missed_its_slot_or_never_landed_is_done_at_the_next_tick() -> None:
    at = datetime(2026, 9, 18, 10, 5, tzinfo=UTC)  # a stock-only slot
    fresh = {
        "stock": at - timedelta(minutes=5),
        "documents": at - timedelta(minutes=5),
        "catalogs": at - timedelta(minutes=5),
    }
    assert {g for g, due in due_groups(at, True, fresh).items() if due} == {"stock"}
    first_run = {"stock": None, "documents": None, "catalogs": None}
    assert {g for g, due in due_groups(at, True, first_run).items() if due} == {
        "stock",
        "documents",
        "catalogs",
    }
    missed_hour = {**fresh, "catalogs": at - timedelta(minutes=65)}
    assert {g for g, due in due_groups(at, True, missed_hour).items() if due} == {"stock", "catalogs"}


def test_last_landed_reads_the_groups_last_successful_loads(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn) as conn:
        conn.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id, status, finished_at) values"
            " ('onec', 'products', 'ut_main', 'r', 'succeeded', '2026-09-18 09:00+00'),"
            " ('onec', 'products', 'ut_main', 'r', 'failed', '2026-09-18 10:00+00'),"
            " ('onec', 'stock', 'ut_main', 'r', 'succeeded', '2026-09-18 10:00+00')"
        )
    landed = last_landed(migrated_dsn)
    assert landed["catalogs"] == datetime(2026, 9, 18, 9, 0, tzinfo=UTC)
    assert landed["stock"] == datetime(2026, 9, 18, 10, 0, tzinfo=UTC)
    assert landed["documents"] is None


def test_slots_are_counted_in_utc() -> None:
    half_past_in_india = datetime(2026, 9, 18, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert _groups(half_past_in_india) == {"stock", "documents", "catalogs"}, "10:00 UTC"


def test_a_scheduled_run_asks_the_warehouse_and_a_manual_run_does_every_group(migrated_dsn: str) -> None:
    at = datetime(2026, 9, 18, 10, 5, tzinfo=UTC)  # a stock-only slot
    with psycopg.connect(migrated_dsn) as conn:
        conn.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id, status, finished_at) values"
            " ('onec', 'products', 'ut_main', 'r', 'succeeded', '2026-09-18 10:00+00'),"
            " ('onec', 'customer_orders', 'ut_main', 'r', 'succeeded', '2026-09-18 09:30+00')"
        )
    assert [g for g in ("stock", "documents", "catalogs") if group_due(g, at, True, migrated_dsn)] == [
        "stock",
        "documents",
    ], "documents last landed 35 minutes ago: overdue; catalogs landed within the hour"
    assert all(
        group_due(g, at, False, "postgresql://nowhere.invalid/none") for g in ("documents", "catalogs")
    )
