"""ops.sync_state helpers on a real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest

from sellerflow.warehouse import get_sync_state, migrate, set_sync_state

MSK = timezone(timedelta(hours=3))


@pytest.fixture(scope="module")
def dsn(warehouse_dsn: str) -> str:
    """The session warehouse, migrated."""
    migrate(warehouse_dsn)
    return warehouse_dsn


def test_unknown_stream_has_no_state(dsn: str) -> None:
    assert get_sync_state(dsn, "ozon", "never", "postings") is None


def test_round_trip_and_overwrite(dsn: str) -> None:
    watermark = datetime(2026, 11, 20, 13, 0, tzinfo=MSK)
    stored = set_sync_state(dsn, "wildberries", "main", "orders", watermark, {"next": 17, "flag": "Ж"})
    got = get_sync_state(dsn, "wildberries", "main", "orders")

    assert got is not None
    assert got == stored
    assert got.watermark == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert got.cursor == {"next": 17, "flag": "Ж"}

    later = watermark + timedelta(hours=1)
    set_sync_state(dsn, "wildberries", "main", "orders", later)
    again = get_sync_state(dsn, "wildberries", "main", "orders")
    assert again is not None
    assert (again.watermark, again.cursor) == (later, None)
    assert again.updated_at >= got.updated_at


def test_streams_and_accounts_are_separate(dsn: str) -> None:
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    set_sync_state(dsn, "ozon", "a", "sep_stream", t1)
    set_sync_state(dsn, "ozon", "b", "sep_stream", t2)
    a, b = get_sync_state(dsn, "ozon", "a", "sep_stream"), get_sync_state(dsn, "ozon", "b", "sep_stream")
    assert a is not None
    assert b is not None
    assert (a.watermark, b.watermark) == (t1, t2)


def test_naive_watermark_is_refused(dsn: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        set_sync_state(dsn, "ozon", "a", "naive", datetime(2026, 1, 1))


def test_state_commits_with_the_callers_transaction(dsn: str) -> None:
    with psycopg.connect(dsn) as conn, conn.transaction():
        set_sync_state(conn, "onec", "base1", "documents", datetime(2026, 1, 1, tzinfo=UTC), "opaque")
        assert get_sync_state(conn, "onec", "base1", "documents") is not None
        raise psycopg.Rollback
    assert get_sync_state(dsn, "onec", "base1", "documents") is None
