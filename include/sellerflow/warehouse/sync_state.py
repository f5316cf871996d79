"""Read and write ``ops.sync_state``: the watermark and resume cursor of one (source, account, stream)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from sellerflow.warehouse.connection import ConnOrDsn, connection


@dataclass(frozen=True)
class SyncState:
    """Where a stream stopped: ``watermark`` (tz-aware) and an optional JSON ``cursor``."""

    watermark: datetime | None
    cursor: Any
    updated_at: datetime


def get_sync_state(conn_or_dsn: ConnOrDsn, source: str, account_id: str, stream: str) -> SyncState | None:
    """The stored state of a stream, or ``None`` when it has never run."""
    with connection(conn_or_dsn) as conn, conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            "select watermark, cursor, updated_at from ops.sync_state"
            " where source = %s and account_id = %s and stream = %s",
            (source, account_id, stream),
        )
        row = cur.fetchone()
    return SyncState(*row) if row else None


def set_sync_state(
    conn_or_dsn: ConnOrDsn,
    source: str,
    account_id: str,
    stream: str,
    watermark: datetime | None,
    cursor: Any = None,
) -> SyncState:
    """Store the state of a stream (insert or overwrite) and return it as stored.

    The watermark must be timezone-aware: vendors mix UTC and Moscow time, and a naive value would be read
    in the session time zone. Call it with the loader's connection inside one ``with conn.transaction():``
    block to commit the data and its watermark together.
    """
    if watermark is not None and watermark.utcoffset() is None:
        raise ValueError("watermark must be a timezone-aware datetime")
    with connection(conn_or_dsn) as conn, conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            """
            insert into ops.sync_state (source, account_id, stream, watermark, cursor, updated_at)
            values (%s, %s, %s, %s, %s, now())
            on conflict (source, account_id, stream) do update
                set watermark = excluded.watermark, cursor = excluded.cursor, updated_at = excluded.updated_at
            returning watermark, cursor, updated_at
            """,
            (source, account_id, stream, watermark, None if cursor is None else Jsonb(cursor)),
        )
        row = cur.fetchone()
    assert row is not None  # insert … returning always yields the row
    return SyncState(*row)
