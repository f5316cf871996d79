"""dbt/macros/get_columns_in_relation.sql answers from pg_catalog what dbt-postgres asks information_schema for.

dbt turns the rows into its Column objects (the insert's column list, schema-change checks): any difference in a
name, its order, a data type or a length would change what an incremental model writes. Both queries run here
on a real Postgres over columns of every kind a model can produce."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from tests.dbt_macros import macro_sql

# dbt-postgres's own query (dbt/include/postgres/macros/adapters.sql, postgres__get_columns_in_relation)
INFORMATION_SCHEMA = (
    "select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale"
    " from information_schema.columns where table_name = %(name)s {schema} order by ordinal_position"
)


def _catalog_sql() -> str:
    sql = macro_sql("get_columns_in_relation.sql", "catalog_columns", "regclass")
    return sql.replace("{{ regclass }}", "to_regclass(%(qualified)s)")


@pytest.fixture
def conn(fresh_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute("create type marts.mood as enum ('ok', 'late')")
        conn.execute("create domain marts.money2 as numeric(10, 2)")
        conn.execute("create domain marts.tags as text[]")
        conn.execute(
            "create table marts.wide (id bigint, name text, code varchar(12), cur char(3), amount numeric(18, 2),"
            " qty numeric, n int, small smallint, ratio double precision, at timestamptz, at3 timestamp(3),"
            " day date, doc jsonb, tags_plain text[], price marts.money2, tags marts.tags, mood marts.mood,"
            " lag interval, flag boolean, bits bit(4), gone int, uid uuid)"
        )
        conn.execute("alter table marts.wide drop column gone")
        conn.execute("create view marts.wide_view as select id, code, amount, price from marts.wide")
        conn.execute("create materialized view marts.wide_matview as select id from marts.wide")
        conn.execute('create table marts."Mixed Case" ("Odd Name" varchar(5))')
        conn.execute("create temporary table wide__dbt_tmp as select * from marts.wide")
        yield conn


@pytest.mark.parametrize(
    ("schema", "name"),
    [
        ("marts", "wide"),
        ("marts", "wide_view"),
        ("marts", "wide_matview"),  # not in information_schema.columns: no columns either way
        ("marts", "Mixed Case"),
        (None, "wide__dbt_tmp"),  # dbt's temporary relation: no schema, found on the search path
        ("marts", "missing"),
    ],
)
def test_the_catalog_gives_the_columns_information_schema_gives(
    conn: psycopg.Connection, schema: str | None, name: str
) -> None:
    expected = conn.execute(
        INFORMATION_SCHEMA.format(schema="and table_schema = %(schema)s" if schema else ""),
        {"name": name, "schema": schema},
    ).fetchall()
    quoted = '"' + name.replace('"', '""') + '"'
    qualified = f'"{schema}".{quoted}' if schema else quoted
    assert conn.execute(_catalog_sql(), {"qualified": qualified}).fetchall() == expected
    if name == "wide":
        assert len(expected) == 21
        assert ("code", "character varying", 12, None, None) in expected
        assert ("price", "numeric", None, 10, 2) in expected
        assert ("mood", "USER-DEFINED", None, None, None) in expected
