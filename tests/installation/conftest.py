"""Installations made up by the tests: a unique instance name whose databases are dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo


def admin_dsn(dbname: str = "postgres") -> str:
    """Superuser DSN of the test cluster (see tests/conftest.py), on database ``dbname``."""
    return make_conninfo(
        os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
        dbname=dbname,
    )


def drop_instance_databases(instance: str) -> None:
    """Drop every database of a test's own instance (its name is unique to the test)."""
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        names = [
            row[0]
            for row in admin.execute(
                "select datname from pg_database where datname like %s", (f"sellerflow\\_{instance}\\_%",)
            )
        ]
        for name in names:
            admin.execute(f'drop database "{name}" with (force)')


@pytest.fixture
def instance() -> Iterator[str]:
    """A fresh instance name; its databases are dropped after the test."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    drop_instance_databases(name)


def _create_database(name: str, comment: str | None = None, rows: int = 0) -> None:
    """A database made by someone else: optional comment, a table ``t`` with ``rows`` rows."""
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
        if comment is not None:
            admin.execute(f"comment on database \"{name}\" is '{comment}'")
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        conn.execute("create table t (id int)")
        conn.execute("insert into t select generate_series(1, %s)", (rows,))


def _database_facts(name: str) -> tuple[int, str | None] | None:
    """(rows in table ``t``, comment) of a database; None when it does not exist."""
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        row = admin.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = %s", (name,)
        ).fetchone()
    if row is None:
        return None
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        return conn.execute("select count(*) from t").fetchone()[0], row[0]


@pytest.fixture
def create_database():
    """Make a database as someone else would (see ``_create_database``)."""
    return _create_database


@pytest.fixture
def database_facts():
    """Read (rows, comment) of a database (see ``_database_facts``)."""
    return _database_facts
