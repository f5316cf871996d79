"""Shared fixtures: a throwaway warehouse database on the real Postgres the setup chose.

``make test`` sources ``.sellerflow/env``, which sets ``SELLERFLOW_PG_ADMIN_DSN`` (a superuser
DSN on the cluster that ``scripts/ensure_postgres.sh`` chose or started). Each test session
creates its own database and drops it afterwards, so tests never touch the demo warehouse.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_dsn() -> str:
    """Superuser DSN of the test cluster."""
    return os.environ.get("SELLERFLOW_PG_ADMIN_DSN", DEFAULT_ADMIN_DSN)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Create a uniquely named database, yield its DSN, drop it afterwards."""
    name = f"sellerflow_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    params = conninfo_to_dict(admin_dsn())
    params["dbname"] = name
    try:
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(admin_dsn(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def warehouse_dsn() -> Iterator[str]:
    """DSN of a fresh, empty database that lives for the whole test session."""
    with throwaway_database() as dsn:
        yield dsn


@pytest.fixture
def fresh_dsn() -> Iterator[str]:
    """DSN of a fresh database for one test (for migration tests that need an empty start)."""
    with throwaway_database() as dsn:
        yield dsn
