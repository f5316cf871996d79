"""Connections to the warehouse database: a DSN from the environment, or a connection the caller owns."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import psycopg

WAREHOUSE_DSN_ENV = "SELLERFLOW_WAREHOUSE_DSN"

ConnOrDsn: TypeAlias = "psycopg.Connection[Any] | str"


def default_dsn() -> str:
    """The warehouse DSN from ``SELLERFLOW_WAREHOUSE_DSN``; raises ``RuntimeError`` when it is unset."""
    dsn = os.environ.get(WAREHOUSE_DSN_ENV)
    if not dsn:
        raise RuntimeError(f"no warehouse DSN given and {WAREHOUSE_DSN_ENV} is not set")
    return dsn


@contextmanager
def connection(conn_or_dsn: ConnOrDsn) -> Iterator[psycopg.Connection[Any]]:
    """Yield a connection: the caller's own (left open) or a new autocommit one for a DSN.

    Writers wrap their work in ``conn.transaction()`` blocks (psycopg semantics): with no transaction open the
    block commits on exit; inside a caller's ``with conn.transaction():`` it is a savepoint, so the caller
    makes several writes atomic (e.g. a load and its watermark) and decides the commit.
    """
    if isinstance(conn_or_dsn, psycopg.Connection):
        yield conn_or_dsn
        return
    with psycopg.connect(conn_or_dsn, autocommit=True) as conn:
        yield conn
