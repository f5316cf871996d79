"""Per-device bearer tokens for TSD handhelds: issued and revoked by the CLI, stored as sha256 hashes only.

A token is shown once, when it is issued; the table keeps its hash, the device name and the one warehouse
(``warehouse_key`` of the pick lists: the 1C warehouse Ref_Key, or ``<marketplace>:<account>:<warehouse>``)
the device may work in. A revoked token is refused at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from sellerflow.warehouse.connection import ConnOrDsn, connection

TOKEN_PREFIX = "tsd_"


@dataclass(frozen=True)
class Device:
    """An authenticated device."""

    id: int
    name: str
    warehouse_key: str


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(conn_or_dsn: ConnOrDsn, name: str, warehouse_key: str) -> str:
    """Create a device (or give a revoked one a new token) and return its token; the token is not stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with connection(conn_or_dsn) as conn, conn.transaction():
        row = conn.execute(
            "select id, revoked_at from ops.tsd_devices where name = %s for update", [name]
        ).fetchone()
        if row and row[1] is None:
            raise ValueError(f"device {name!r} already has a valid token: revoke it first")
        if row:
            conn.execute(
                "update ops.tsd_devices set token_hash = %s, warehouse_key = %s, revoked_at = null,"
                " created_at = clock_timestamp() where id = %s",
                [token_hash(token), warehouse_key, row[0]],
            )
        else:
            conn.execute(
                "insert into ops.tsd_devices (name, warehouse_key, token_hash) values (%s, %s, %s)",
                [name, warehouse_key, token_hash(token)],
            )
    return token


def revoke(conn_or_dsn: ConnOrDsn, name: str) -> bool:
    """Revoke the device's token; False when there was no valid one."""
    with connection(conn_or_dsn) as conn, conn.transaction():
        cur = conn.execute(
            "update ops.tsd_devices set revoked_at = clock_timestamp() where name = %s and revoked_at is null",
            [name],
        )
        return cur.rowcount == 1


def list_devices(conn_or_dsn: ConnOrDsn) -> list[dict[str, Any]]:
    """Every device with its warehouse and state (never a token or its hash)."""
    with connection(conn_or_dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select name, warehouse_key, created_at, revoked_at, last_seen_at from ops.tsd_devices order by name"
        )
        return cur.fetchall()


def authenticate(conn_or_dsn: ConnOrDsn, token: str) -> Device | None:
    """The device holding this token, or None (unknown or revoked).

    One statement: it also notes when the device was last seen, at most once a minute (a write, and its
    commit's WAL flush, on every request would cost more than the lookup)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with connection(conn_or_dsn) as conn:
        row = conn.execute(
            "with found as (select id, name, warehouse_key, last_seen_at from ops.tsd_devices"
            " where token_hash = %s and revoked_at is null),"
            " seen as (update ops.tsd_devices d set last_seen_at = clock_timestamp() from found f where d.id = f.id"
            " and (f.last_seen_at is null or f.last_seen_at < clock_timestamp() - interval '1 minute'))"
            " select id, name, warehouse_key from found",
            [token_hash(token)],
        ).fetchone()
    return Device(*row) if row else None


def describe(row: dict[str, Any]) -> str:
    """One CLI line for a device."""

    def ts(value: datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value else "-"

    state = "revoked " + ts(row["revoked_at"]) if row["revoked_at"] else "active"
    return f"{row['name']}\t{row['warehouse_key']}\t{state}\tissued {ts(row['created_at'])}\tseen {ts(row['last_seen_at'])}"
