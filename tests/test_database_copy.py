"""A throwaway copy of a database keeps its database-level settings (the warehouse's JIT off)."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict
from tests.conftest import admin_dsn, throwaway_database


def test_a_copy_keeps_the_settings_of_its_source() -> None:
    with throwaway_database() as source:
        name = conninfo_to_dict(source)["dbname"]
        with psycopg.connect(admin_dsn(), autocommit=True) as conn:
            conn.execute(f'alter database "{name}" set jit = off')
        with throwaway_database(template=source) as copy, psycopg.connect(copy) as conn:
            assert conn.execute("show jit").fetchone() == ("off",)
