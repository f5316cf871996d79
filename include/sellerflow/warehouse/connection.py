"""Connections to the warehouse database: a DSN from the environment, or a connection the caller owns."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import psycopg
from psycopg.abc import Params, QueryNoTemplate
from psycopg.rows import Row, TupleRow

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


def one_row(conn: psycopg.Connection[Row], query: QueryNoTemplate, params: Params | None = None) -> Row:
    """The row of a query that always returns one (an aggregate, ``insert ... returning``, ``select to_regclass``).

    Raises ``LookupError`` when it returns none after all.
    """
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise LookupError(f"expected one row, got none: {query!r}")
    return row


def scalar(conn: psycopg.Connection[TupleRow], query: QueryNoTemplate, params: Params | None = None) -> Any:
    """The value of a one-row, one-column query (``select count(*) ...``, ``select to_regclass(...) is null``)."""
    return one_row(conn, query, params)[0]
