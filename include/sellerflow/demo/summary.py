"""What landed in the warehouse, in a few lines a person can read after `make demo`."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict

from sellerflow.warehouse.connection import scalar


def table_counts(
    dsn: str, schemas: tuple[str, ...] = ("raw", "quarantine", "staging", "intermediate", "marts")
) -> list[tuple[str, int]]:
    """Exact row counts of every table and view in the given schemas (empty quarantine tables left out)."""
    counts: list[tuple[str, int]] = []
    with psycopg.connect(dsn) as conn:
        relations = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s) order by table_schema, table_name",
            (list(schemas),),
        ).fetchall()
        for schema, name in relations:
            count = conn.execute(
                psycopg.sql.SQL("select count(*) from {}.{}").format(
                    psycopg.sql.Identifier(schema), psycopg.sql.Identifier(name)
                )
            ).fetchone()
            rows = int(count[0]) if count else 0
            if schema != "quarantine" or rows:  # an empty quarantine is the good news; list only the others
                counts.append((f"{schema}.{name}", rows))
    return counts


def render(counts: list[tuple[str, int]]) -> str:
    """Aligned 'schema.table  rows' lines."""
    if not counts:
        return "  (nothing landed yet)"
    width = max(len(name) for name, _ in counts)
    return "\n".join(f"  {name:<{width}}  {rows:>10,}" for name, rows in counts)


def reconciliation_lines(dsn: str) -> dict[str, dict[str, int]]:
    """Reconciliation lines per marketplace and status (empty before the first transform)."""
    with psycopg.connect(dsn) as conn:
        if scalar(conn, "select to_regclass('marts.reconciliation_order_lines') is null"):
            return {}
        rows = conn.execute(
            "select marketplace, status, count(*) from marts.reconciliation_order_lines group by 1, 2 order by 1, 2"
        ).fetchall()
    lines: dict[str, dict[str, int]] = {}
    for marketplace, status, count in rows:
        lines.setdefault(marketplace, {})[status] = count
    return lines


def render_outbox(dsn: str) -> str:
    """Outbox items per target and state, one line each (what the push DAGs sent, parked, held)."""
    from sellerflow.reverse_etl.outbox import status

    with psycopg.connect(dsn) as conn:
        if scalar(conn, "select to_regclass('ops.outbox') is null"):
            return "  (no outbox yet)"
        rows = status(conn)
    if not rows:
        return "  (nothing was due)"
    return "\n".join(f"  {row['target']:<24} {row['state']:<14} {row['items']:>8,}" for row in rows)


def without_password(dsn: str) -> str:
    """``dsn`` (URL or key=value) as a ``postgresql://user@host:port/db`` URL with no password: safe to print."""
    params = conninfo_to_dict(dsn)
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{params.get('host') or ''}{port}/{params.get('dbname') or ''}"


def warehouse_line(dsn: str) -> str:
    """The demo's 'Warehouse:' line: where the warehouse is, never its password."""
    return (
        f"Warehouse:   {without_password(dsn)} "
        '(password in .sellerflow/env: psql "$SELLERFLOW_WAREHOUSE_DSN" after . .sellerflow/env)'
    )
