"""A database copied with ``create database ... template`` gets the data, not the settings: copy those too.

Used by tests/conftest.py (throwaway copies of seeded warehouses) and bench/transform_cycle.py (loads it by path).
"""

from __future__ import annotations

import psycopg
from psycopg import sql


def copy_database_settings(conn: psycopg.Connection, source: str, target: str) -> list[str]:
    """Give database ``target`` the database-level settings (``alter database ... set``) of ``source``; returns
    them. The warehouse's migration 0040 turns JIT off there: a copy that ran with JIT on spent seconds compiling
    plans for a few hundred rows (int_report_lines_keyed in a no-op build: 4.3 s instead of 57 ms)."""
    rows = conn.execute(
        "select unnest(setconfig) from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase"
        " where d.datname = %s and s.setrole = 0",
        (source,),
    ).fetchall()
    for (setting,) in rows:
        key, _, value = setting.partition("=")
        conn.execute(
            sql.SQL("alter database {} set {} = {}").format(
                sql.Identifier(target), sql.Identifier(key), sql.Literal(value)
            )
        )
    return [setting for (setting,) in rows]
