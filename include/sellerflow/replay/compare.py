"""Compare every relation of the live ``marts`` schema with the replay's twin: rows of the period, ``EXCEPT ALL``
both ways (a row twice on one side and once on the other is a difference too), in one statement per mart so that
both sides are read in the same snapshot and at the same ``now()`` (the reverse-ETL views use it).

A mart's rows belong to the period by the date in ``PERIOD_COLUMNS`` (or, for a mart not listed, the first of
``PERIOD_FALLBACK`` it has); a mart with none (dimensions, current stock) is compared whole. ``json`` columns are
compared as ``jsonb`` (``json`` has no equality).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

LIVE = "marts"
# mart -> SQL date expression over its columns saying which period a row belongs to
PERIOD_COLUMNS: dict[str, str] = {
    "reconciliation_order_lines": "coalesce(ordered_at::date, shipped_at::date, report_period_start)",
    "reconciliation_summary": "report_period_start",
    "fct_order_lines": "order_date",
    "fct_orders": "order_date",
    "fct_marketplace_transactions": "operation_date",
    "unit_economics_weekly": "week_start",
    "order_to_shipment": "week_start",
    "returns_rate": "month_start",
    "dim_dates": "date_day",
}
PERIOD_FALLBACK = (
    "order_date",
    "operation_date",
    "week_start",
    "month_start",
    "report_period_start",
    "date_day",
)


@dataclass
class MartResult:
    """One mart's comparison."""

    mart: str
    kind: str  # table, view
    period: str | None  # the period expression, None: compared whole
    live_rows: int = 0
    replay_rows: int = 0
    only_live: int = 0
    only_replay: int = 0
    samples: list[str] = field(default_factory=list)
    problem: str | None = None  # e.g. missing in the replay, columns differ

    @property
    def equal(self) -> bool:
        """No difference and nothing that kept it from being compared."""
        return self.problem is None and self.only_live == 0 and self.only_replay == 0


def _relations(conn: psycopg.Connection, schema: str) -> dict[str, str]:
    rows = conn.execute(
        "select c.relname, case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by 1",
        (schema,),
    ).fetchall()
    return dict(rows)


def _columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
        " join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
        (schema, table),
    ).fetchall()
    return dict(rows)


def period_of(mart: str, columns: dict[str, str]) -> str | None:
    """The SQL date expression that places a row of ``mart`` in a period, or None (compared whole)."""
    if mart in PERIOD_COLUMNS:
        return PERIOD_COLUMNS[mart]
    return next((name for name in PERIOD_FALLBACK if name in columns), None)


def _select(schema: str, mart: str, columns: dict[str, str], period: str | None) -> sql.Composed:
    items = [
        sql.SQL("{}::jsonb").format(sql.Identifier(c)) if kind == "json" else sql.Identifier(c)
        for c, kind in columns.items()
    ]
    where = (
        sql.SQL("")
        if period is None
        else sql.SQL(" where ({}) between %(from)s and %(to)s").format(sql.SQL(period))
    )
    return sql.SQL("select {} from {}{}").format(
        sql.SQL(", ").join(items), sql.Identifier(schema, mart), where
    )


def compare_mart(
    conn: psycopg.Connection, mart: str, kind: str, replay_schema: str, span: tuple[date, date], sample: int
) -> MartResult:
    """Rows of the period in the live mart and its replayed twin, and what only one side has."""
    live_cols, replay_cols = _columns(conn, LIVE, mart), _columns(conn, replay_schema, mart)
    period = period_of(mart, live_cols)
    result = MartResult(mart, kind, period)
    if not replay_cols:
        result.problem = "not built by the replay"
        return result
    if live_cols != replay_cols:
        result.problem = (
            f"columns differ: live {sorted(live_cols.items())} replay {sorted(replay_cols.items())}"
        )
        return result
    live, replay = _select(LIVE, mart, live_cols, period), _select(replay_schema, mart, live_cols, period)
    query = sql.SQL(
        "with live as ({live}), replay as ({replay}),"
        " only_live as (select * from live except all select * from replay),"
        " only_replay as (select * from replay except all select * from live)"
        " select (select count(*) from live), (select count(*) from replay),"
        " (select count(*) from only_live), (select count(*) from only_replay),"
        " array(select 'live: ' || left(row_to_json(o)::text, 300) from (select * from only_live limit %(n)s) o)"
        " || array(select 'replay: ' || left(row_to_json(o)::text, 300) from (select * from only_replay limit %(n)s) o)"
    ).format(live=live, replay=replay)
    row: Any = conn.execute(query, {"from": span[0], "to": span[1], "n": sample}).fetchone()
    result.live_rows, result.replay_rows, result.only_live, result.only_replay, result.samples = row
    return result


def compare_all(dsn: str, replay_schema: str, span: tuple[date, date], sample: int = 3) -> list[MartResult]:
    """Every relation of the live marts schema against the replay's (and any the replay built that live lacks)."""
    with psycopg.connect(dsn) as conn:
        conn.read_only = True
        live, replayed = _relations(conn, LIVE), _relations(conn, replay_schema)
        results = [compare_mart(conn, mart, kind, replay_schema, span, sample) for mart, kind in live.items()]
        for mart in sorted(set(replayed) - set(live)):
            results.append(MartResult(mart, replayed[mart], None, problem="not in the live marts"))
    return results


def render(results: list[MartResult], span: tuple[date, date]) -> str:
    """The table mart → rows, equal / different, with samples of the differing rows under each different mart."""
    width = max([len(r.mart) for r in results] + [4])
    lines = [
        f"replay {span[0]} … {span[1]}: {len(results)} marts",
        f"{'mart':<{width}}  {'kind':<5}  {'live':>8}  {'replay':>8}  result",
    ]
    for r in results:
        if r.equal:
            verdict = "equal" + ("" if r.period else " (whole table: no period column)")
        elif r.problem:
            verdict = f"DIFFERENT: {r.problem}"
        else:
            verdict = f"DIFFERENT: {r.only_live} rows only live, {r.only_replay} only replayed"
        lines.append(f"{r.mart:<{width}}  {r.kind[:5]:<5}  {r.live_rows:>8}  {r.replay_rows:>8}  {verdict}")
        lines += [f"{'':<{width}}    {s}" for s in r.samples]
    different = sum(not r.equal for r in results)
    lines.append(f"marts equal: {len(results) - different}/{len(results)}, different: {different}")
    return "\n".join(lines)
