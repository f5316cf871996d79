"""Data health: per account and stream the last successful sync, its rows and its age against the dbt source
freshness threshold; token expiry and missing scopes; quarantined records; open schema drifts; the reverse-ETL
outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from sellerflow.pages.db import artifact, connect, fetch, table_columns
from sellerflow.quality.schema_drift import open_drifts

PERIODS = {"minute": 60, "hour": 3600, "day": 86400}
# Token categories the extraction and pushes need, where the token itself tells its scopes (scopes_source
# 'token': Wildberries, sources/wildberries/token.py). Other vendors do not expose scopes to check.
NEEDED_SCOPES: dict[str, tuple[str, ...]] = {
    "wildberries": ("content", "prices", "marketplace", "statistics")
}
OUTBOX_BACKLOG = ("pending", "sending", "failed", "held")
QUARANTINE_PAGE = 100


def _seconds(rule: dict[str, Any] | None) -> int | None:
    if not rule or not rule.get("count") or not rule.get("period"):
        return None
    return int(rule["count"]) * PERIODS[rule["period"]]


def freshness_rules() -> dict[str, tuple[int | None, int | None]]:
    """(warn, error) seconds per raw table, from the dbt sources' freshness (manifest.json)."""
    rules = {}
    for source in artifact("manifest.json").get("sources", {}).values():
        if source.get("schema") == "raw":
            fresh = source.get("freshness") or {}
            rules[source.get("identifier") or source["name"]] = (
                _seconds(fresh.get("warn_after")),
                _seconds(fresh.get("error_after")),
            )
    return rules


def syncs(now: datetime | None = None) -> list[dict[str, Any]]:
    """The latest successful load per (source, entity, account) with its age and freshness verdict."""
    now = now or datetime.now(UTC)
    rules = freshness_rules()
    rows = fetch(
        "select source, entity, account_id, finished_at, received, inserted, unchanged, quarantined"
        " from ops.latest_loads order by account_id, source, entity"
    )
    for row in rows:
        warn, error = rules.get(f"{row['source']}_{row['entity']}", (None, None))
        age = (now - row["finished_at"]).total_seconds() if row["finished_at"] else None
        row["age"] = timedelta(seconds=int(age)) if age is not None else None
        row["warn_after"] = timedelta(seconds=warn) if warn else None
        row["error_after"] = timedelta(seconds=error) if error else None
        if age is None or (error and age > error):
            row["freshness"] = "error"
        elif warn and age > warn:
            row["freshness"] = "warn"
        elif warn or error:
            row["freshness"] = "pass"
        else:
            row["freshness"] = "no threshold"
    return rows


def credentials(now: datetime | None = None) -> list[dict[str, Any]]:
    """Token expiry, scopes and the last auth failure per marketplace account (never the token)."""
    now = now or datetime.now(UTC)
    rows = fetch(
        "select source, account_id, conn_id, token_expires_at, scopes, scopes_source, status, message, checked_at"
        " from ops.account_credentials order by source, account_id"
    )
    for row in rows:
        expires = row["token_expires_at"]
        row["days_left"] = (expires - now).days if expires else None
        have = set(row["scopes"] or [])
        needed = NEEDED_SCOPES.get(row["source"], ()) if row["scopes_source"] == "token" else ()
        row["missing_scopes"] = [s for s in needed if s not in have]
    return rows


def quarantine_tables() -> list[dict[str, Any]]:
    """Every quarantine table with its record count and the latest one."""
    tables = fetch(
        "select table_name from information_schema.tables where table_schema = 'quarantine' order by 1"
    )
    if not tables:
        return []
    counts = sql.SQL(" union all ").join(
        sql.SQL(
            "select {} as table, count(*) as records, max(quarantined_at) as latest from quarantine.{}"
        ).format(sql.Literal(t["table_name"]), sql.Identifier(t["table_name"]))
        for t in tables
    )
    return fetch(sql.SQL("select * from ({}) as counted order by records desc, 1").format(counts))


def quarantine_rows(table: str, page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a quarantine table, newest first (the payload as text, cut)."""
    query = sql.SQL(
        "select id, account_id, run_id, reason, natural_key, quarantined_at,"
        " left(coalesce(payload::text, payload_text), 400) as payload"
        " from quarantine.{} order by id desc limit {} offset {}"
    ).format(sql.Identifier(table), QUARANTINE_PAGE, (max(page, 1) - 1) * QUARANTINE_PAGE)
    total = fetch(sql.SQL("select count(*) as n from quarantine.{}").format(sql.Identifier(table)))[0]["n"]
    return fetch(query), total


def schema_drift() -> list[dict[str, Any]]:
    """Vendor payload fields that differ from their contract and nobody acknowledged yet (ops.schema_drift)."""
    with connect() as conn:
        return open_drifts(conn)


def outbox() -> dict[str, Any] | None:
    """Items per target and state, the backlog, and the parked items with the vendor's reason (None when the
    reverse-ETL outbox does not exist in this warehouse)."""
    if not table_columns("ops", "outbox"):
        return None
    states = fetch("select target, state, count(*) as items from ops.outbox group by 1, 2 order by 1, 2")
    targets: dict[str, dict[str, int]] = {}
    for row in states:
        targets.setdefault(row["target"], {})[row["state"]] = row["items"]
    parked = fetch(
        "select id, target, account_id, item_key, attempts, reason, updated_at from ops.outbox"
        " where state = 'parked' order by updated_at desc limit 200"
    )
    return {
        "targets": [
            {"target": t, "states": s, "backlog": sum(s.get(x, 0) for x in OUTBOX_BACKLOG)}
            for t, s in targets.items()
        ],
        "state_names": sorted({row["state"] for row in states}),
        "parked": parked,
    }
