"""Helpers the Wildberries streams share: Moscow-time stamps, raw look-ups, watermarks that respect quarantine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.extract.stream import RunContext
from sellerflow.extract.windows import later, parse_time, rfc3339
from sellerflow.warehouse.identifiers import table_name

SOURCE = "wildberries"
MSK = timedelta(hours=3)
CLOCK_SKEW = timedelta(days=1)  # upper bounds reach past "now" so a vendor clock ahead of ours loses nothing
RETENTION = timedelta(days=90)  # marketplace and statistics keep 90 days (03-orders-fbs, 12-reports)


def msk_text(moment: datetime) -> str:
    """A UTC moment as WB statistics expects it: Moscow time, no zone (``2026-08-20T03:00:00``)."""
    return (moment.astimezone(UTC) + MSK).strftime("%Y-%m-%dT%H:%M:%S")


def parse_msk(value: object) -> datetime | None:
    """A WB statistics/finance timestamp (Moscow time unless it names a zone) as UTC."""
    if not isinstance(value, str) or not value:
        return None
    if value.endswith("Z") or "+" in value[10:] or value[10:].count("-") > 0:
        return parse_time(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment - MSK).replace(tzinfo=UTC)


ALL = sql.SQL("true")


def latest_payloads(
    ctx: RunContext, entity: str, select: sql.SQL, where: sql.SQL = ALL, params: Sequence = ()
) -> list:
    """Rows of ``select`` over the latest version of every key of ``raw.wildberries_<entity>``.

    ``select`` and ``where`` see the latest payload as ``p`` (jsonb); an absent table gives no rows. They are
    ``sql.SQL`` written in the caller's code; values go in ``params``.
    """
    table = table_name(SOURCE, entity)
    with psycopg.connect(ctx.dsn) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (f"raw.{table}",)).fetchone()
        if not exists or not exists[0]:
            return []
        query = sql.SQL(
            "select {select} from (select distinct on (natural_key) payload as p from {table} "
            "where account_id = %s order by natural_key, extracted_at desc, id desc) latest "
            "where {where}"
        ).format(select=select, table=sql.Identifier("raw", table), where=where)
        return conn.execute(query, (ctx.account.account_id, *params)).fetchall()


def observe(
    state: dict[str, Any], moment: datetime | None, quarantined: bool, fallback: datetime | None
) -> None:
    """Note the newest vendor time seen, and the oldest one of a record that goes to quarantine."""
    if moment is not None:
        state["_seen"] = rfc3339(later(parse_time(state.get("_seen")), moment))
    bound = moment or fallback
    if quarantined and bound is not None:
        held = parse_time(state.get("_hold"))
        state["_hold"] = rfc3339(min(held, bound) if held else bound)


def advance(state: dict[str, Any], key: str, overlap: timedelta) -> None:
    """Move watermark ``key`` to the newest time seen, stopping just before the oldest quarantined record.

    The next run starts at ``watermark - overlap``, so a held record (one that failed validation) is read
    again, and lands once the vendor answers it whole.
    """
    seen = parse_time(state.get("_seen"))
    if seen is None:
        return
    moved = later(parse_time(state.get(key)), seen)
    held = parse_time(state.get("_hold"))
    if held is not None and moved >= held:
        moved = held - timedelta(seconds=1) + overlap
    state[key] = rfc3339(moved)


def forget_observations(state: dict[str, Any]) -> None:
    """Drop the per-run notes (``_seen``, ``_hold``) before the state is stored for good."""
    state.pop("_seen", None)
    state.pop("_hold", None)
