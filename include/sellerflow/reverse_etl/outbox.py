"""The outbox (``ops.outbox``, migration 0050): enqueue desired states, claim due items, record results.

One item is one desired state of one thing at a target (``item_key``: an order's reservation in 1C, an SKU's
stock on a marketplace warehouse). At most one item per ``(target, item_key)`` is open; a newer desired state
supersedes the open one unless a sender holds it (then the next cycle enqueues it, since the sync model still
shows the difference). States are listed in the migration; the transitions:

``pending → sending → acknowledged | failed (retry_at) | parked``; ``failed → sending`` when due;
``sending → sending`` when a sender's lease expired (it died between sending and recording: the target reads
the vendor back before writing again); ``held → pending`` by :func:`approve`; ``parked | failed → pending`` by
:func:`replay`; ``pending | failed | parked | held | dry_run → superseded`` by a newer desired state;
``dry_run → pending`` when the same state is enqueued by a live run.

Acknowledged states are copied to ``ops.outbox_acknowledged``: the sync models diff against it, so a state the
target already has is never enqueued again (a rerun sends nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

OPEN_STATES = ("pending", "sending", "failed", "parked", "held", "dry_run")
STATES = (*OPEN_STATES, "acknowledged", "superseded")


@dataclass(frozen=True)
class Desired:
    """One row of a sync model: the desired state of one item at a target."""

    item_key: str
    account_id: str
    payload: dict[str, Any]
    payload_hash: str
    first_seen_at: datetime | None = None
    hold_reason: str | None = None  # set: the item waits for approval (state 'held')


@dataclass
class Item:
    """A claimed outbox item."""

    id: int
    target: str
    account_id: str
    item_key: str
    payload: dict[str, Any]
    payload_hash: str
    attempts: int
    recovered: bool = False  # a previous sender claimed it and vanished: read back before writing


@dataclass
class Outcome:
    """What happened to one item at the vendor."""

    kind: str  # acknowledged, transient, permanent, dry_run
    message: str | None = None
    http_status: int | None = None
    vendor_code: str | None = None
    remote_ref: str | None = None
    retry_after_s: float | None = None
    requests: list[str] = field(default_factory=list)
    item_only: bool = False  # retry_after_s is this item's own wait (Ozon's 30 s per pair), not the cabinet's
    throttled: bool = False  # the vendor's rate limit answered: never counts toward parking the item

    @classmethod
    def acknowledged(cls, remote_ref: str | None = None, message: str | None = None, **kw: Any) -> Outcome:
        """The target has the desired state."""
        return cls("acknowledged", message, remote_ref=remote_ref, **kw)

    @classmethod
    def transient(cls, message: str, retry_after_s: float | None = None, **kw: Any) -> Outcome:
        """Try again later (a timeout, 5xx, a rate limit)."""
        return cls("transient", message, retry_after_s=retry_after_s, **kw)

    @classmethod
    def throttled_by_vendor(cls, message: str, retry_after_s: float | None = None, **kw: Any) -> Outcome:
        """The vendor's rate limit answered (429, 420…): wait as it asks and send again, however many times."""
        return cls("transient", message, retry_after_s=retry_after_s, throttled=True, **kw)

    @classmethod
    def permanent(cls, message: str, **kw: Any) -> Outcome:
        """A person must act (the vendor refused the content, an unmapped SKU): park it."""
        return cls("permanent", message, **kw)


@dataclass
class EnqueueResult:
    """Counts of one enqueue."""

    new: int = 0
    superseded: int = 0
    unchanged: int = 0
    busy: int = 0  # a sender holds the open item; the next cycle enqueues the new state
    released: int = 0  # dry_run items turned pending by a live run
    held: int = 0  # new items that wait for approval


def enqueue(
    conn: psycopg.Connection, target: str, rows: Iterable[Desired], *, dry_run: bool = False
) -> EnqueueResult:
    """Put desired states into the outbox in one transaction (see the module docstring for the rules)."""
    result = EnqueueResult()
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        for row in rows:
            cur.execute(
                "select id, state, payload_hash from ops.outbox where target = %s and item_key = %s "
                "and state <> all(%s) for update",
                (target, row.item_key, ["acknowledged", "superseded"]),
            )
            open_item = cur.fetchone()
            if open_item is None:
                cur.execute(
                    "select payload_hash from ops.outbox_acknowledged where target = %s and item_key = %s",
                    (target, row.item_key),
                )
                acknowledged = cur.fetchone()
                if acknowledged is not None and acknowledged["payload_hash"] == row.payload_hash:
                    result.unchanged += 1  # the target already has it (a sync model that does not diff)
                    continue
            if open_item is not None and open_item["payload_hash"] == row.payload_hash:
                if open_item["state"] == "dry_run" and not dry_run:
                    cur.execute(
                        "update ops.outbox set state = 'pending', updated_at = clock_timestamp() where id = %s",
                        (open_item["id"],),
                    )
                    result.released += 1
                else:
                    result.unchanged += 1
                continue
            if open_item is not None:
                if open_item["state"] == "sending":
                    result.busy += 1
                    continue
                cur.execute(
                    "update ops.outbox set state = 'superseded', updated_at = clock_timestamp() where id = %s",
                    (open_item["id"],),
                )
                result.superseded += 1
            cur.execute(
                "insert into ops.outbox (target, account_id, item_key, payload, payload_hash, state, reason,"
                " first_seen_at) values (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    target,
                    row.account_id,
                    row.item_key,
                    Jsonb(row.payload),
                    row.payload_hash,
                    "held" if row.hold_reason else "pending",
                    row.hold_reason,
                    row.first_seen_at,
                ),
            )
            result.new += 1
            result.held += 1 if row.hold_reason else 0
    return result


def desired_rows(conn: psycopg.Connection, relation: str) -> list[Desired]:
    """The rows of a sync model (``schema.name``): item_key, account_id, payload, payload_hash[, first_seen_at,
    hold_reason]."""
    schema, name = relation.split(".", 1)
    return desired_rows_where(conn, sql.Identifier(schema, name), "true", ())


def desired_rows_where(
    conn: psycopg.Connection, relation: sql.Identifier, where: str, params: Sequence[Any]
) -> list[Desired]:
    """The rows of a sync model that match ``where`` (a literal SQL condition with ``%s`` params)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql.SQL("select * from {} where ").format(relation) + sql.SQL(where), params)
        rows = cur.fetchall()
    return [
        Desired(
            item_key=str(r["item_key"]),
            account_id=str(r["account_id"]),
            payload=r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"]),
            payload_hash=str(r["payload_hash"]),
            first_seen_at=r.get("first_seen_at"),
            hold_reason=r.get("hold_reason"),
        )
        for r in rows
    ]


_CLAIM = """
with due as (
    select id, state as was from ops.outbox
    where target = %(target)s and (
        state = 'pending'
        or (state = 'failed' and retry_at <= clock_timestamp())
        or (state = 'sending' and claimed_at < clock_timestamp() - %(lease)s))
    order by id
    limit %(limit)s
    for update skip locked
)
update ops.outbox o
set state = 'sending', claimed_at = clock_timestamp(), claimed_by = %(sender)s, attempts = o.attempts + 1,
    updated_at = clock_timestamp()
from due where o.id = due.id
returning o.id, o.target, o.account_id, o.item_key, o.payload, o.payload_hash, o.attempts, due.was
"""


def claim(conn: psycopg.Connection, target: str, limit: int, lease: timedelta, sender: str) -> list[Item]:
    """Claim up to ``limit`` due items of ``target`` (``for update skip locked``: senders never share one)."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_CLAIM, {"target": target, "lease": lease, "limit": limit, "sender": sender})
        rows = cur.fetchall()
    rows.sort(key=lambda r: r["id"])
    return [
        Item(
            id=r["id"],
            target=r["target"],
            account_id=r["account_id"],
            item_key=r["item_key"],
            payload=r["payload"],
            payload_hash=r["payload_hash"],
            attempts=r["attempts"],
            recovered=r["was"] == "sending",
        )
        for r in rows
    ]


def count_due(conn: psycopg.Connection, target: str, lease: timedelta) -> int:
    """Items of ``target`` a sender would claim now."""
    row = conn.execute(
        "select count(*) from ops.outbox where target = %s and (state = 'pending' or (state = 'failed' "
        "and retry_at <= clock_timestamp()) or (state = 'sending' and claimed_at < clock_timestamp() - %s))",
        (target, lease),
    ).fetchone()
    return int(row[0]) if row else 0


def _throttled_attempts(conn: psycopg.Connection, outbox_id: int) -> int:
    row = conn.execute(
        "select count(*) from ops.outbox_attempts where outbox_id = %s and throttled", (outbox_id,)
    ).fetchone()
    return int(row[0]) if row else 0


def record(
    conn: psycopg.Connection,
    item: Item,
    outcome: Outcome,
    *,
    started_at: datetime,
    sender: str,
    retry_at: datetime | None = None,
    park_after: int | None = None,
) -> str:
    """Store one attempt and the item's new state; return that state.

    A transient outcome becomes ``failed`` with ``retry_at`` unless the item already had ``park_after``
    attempts, then it is parked with the last message. Attempts the vendor throttled are not counted: a busy
    cabinet delays an item, it never parks it.
    """
    state = {
        "acknowledged": "acknowledged",
        "transient": "failed",
        "permanent": "parked",
        "dry_run": "dry_run",
    }[outcome.kind]
    reason = outcome.message
    if state == "failed" and park_after is not None and not outcome.throttled:
        tried = item.attempts - _throttled_attempts(conn, item.id)
        if tried >= park_after:
            state = "parked"
            reason = f"gave up after {tried} failed attempts; last error: {outcome.message}"
    with conn.transaction():
        conn.execute(
            "insert into ops.outbox_attempts (outbox_id, attempt, started_at, outcome, http_status, vendor_code,"
            " message, requests, dry_run, sender, throttled) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                item.id,
                item.attempts,
                started_at,
                outcome.kind,
                outcome.http_status,
                outcome.vendor_code,
                outcome.message,
                Jsonb(outcome.requests),
                outcome.kind == "dry_run",
                sender,
                outcome.throttled,
            ),
        )
        conn.execute(
            "update ops.outbox set state = %s, reason = %s, retry_at = %s::timestamptz, updated_at = clock_timestamp(),"
            " acknowledged_at = case when %s::text = 'acknowledged' then clock_timestamp() end,"
            " remote_ref = coalesce(%s, remote_ref) where id = %s",
            (
                state,
                None if state == "acknowledged" else reason,
                retry_at if state == "failed" else None,
                state,
                outcome.remote_ref,
                item.id,
            ),
        )
        if state == "acknowledged":
            conn.execute(
                "insert into ops.outbox_acknowledged (target, item_key, account_id, payload_hash, payload,"
                " outbox_id, remote_ref, acknowledged_at) select target, item_key, account_id, payload_hash,"
                " payload, id, remote_ref, acknowledged_at from ops.outbox where id = %s"
                " on conflict (target, item_key) do update set account_id = excluded.account_id,"
                " payload_hash = excluded.payload_hash, payload = excluded.payload,"
                " outbox_id = excluded.outbox_id, remote_ref = excluded.remote_ref,"
                " acknowledged_at = excluded.acknowledged_at",
                (item.id,),
            )
    return state


def _move(
    conn: psycopg.Connection,
    from_states: Sequence[str],
    to_state: str,
    *,
    target: str | None,
    ids: Sequence[int] | None,
    item_keys: Sequence[str] | None,
) -> list[int]:
    if not ids and not item_keys and target is None:
        raise ValueError("name the items: ids, item keys or a target")
    where = [sql.SQL("state = any({})").format(sql.Literal(list(from_states)))]
    if target is not None:
        where.append(sql.SQL("target = {}").format(sql.Literal(target)))
    if ids:
        where.append(sql.SQL("id = any({})").format(sql.Literal(list(ids))))
    if item_keys:
        where.append(sql.SQL("item_key = any({})").format(sql.Literal(list(item_keys))))
    query = sql.SQL(
        "update ops.outbox set state = {}, retry_at = null, updated_at = clock_timestamp() where {} returning id"
    ).format(sql.Literal(to_state), sql.SQL(" and ").join(where))
    with conn.transaction():
        return sorted(r[0] for r in conn.execute(query).fetchall())


def replay(
    conn: psycopg.Connection,
    *,
    target: str | None = None,
    ids: Sequence[int] | None = None,
    item_keys: Sequence[str] | None = None,
    include_failed: bool = True,
) -> list[int]:
    """Send parked (and failed) items again at the next drain; returns their ids."""
    states = ("parked", "failed") if include_failed else ("parked",)
    return _move(conn, states, "pending", target=target, ids=ids, item_keys=item_keys)


def approve(
    conn: psycopg.Connection,
    *,
    target: str | None = None,
    ids: Sequence[int] | None = None,
    item_keys: Sequence[str] | None = None,
) -> list[int]:
    """Release held items to the sender; returns their ids."""
    return _move(conn, ("held",), "pending", target=target, ids=ids, item_keys=item_keys)


def status(conn: psycopg.Connection, target: str | None = None) -> list[dict[str, Any]]:
    """Items per (target, state), with the oldest open item's age in seconds."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select target, state, count(*) as items,"
            " extract(epoch from clock_timestamp() - min(created_at))::float8 as oldest_s"
            " from ops.outbox where (%(target)s::text is null or target = %(target)s)"
            " group by target, state order by target, state",
            {"target": target},
        )
        return cur.fetchall()


def problems(conn: psycopg.Connection, target: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Parked, failed and held items with their reasons (newest first)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select id, target, account_id, item_key, state, attempts, reason, retry_at, updated_at"
            " from ops.outbox where state in ('parked', 'failed', 'held')"
            " and (%(target)s::text is null or target = %(target)s) order by updated_at desc limit %(limit)s",
            {"target": target, "limit": limit},
        )
        return cur.fetchall()
