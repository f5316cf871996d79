"""Entry points the extract_onec DAG calls per 1C base: catalogs (+ prices), documents, stock.

Each opens one warehouse connection and one :class:`~sellerflow.sources.onec.OneCClient` (requests to a base
are sequential inside a task; the Airflow pool ``onec`` bounds how many tasks talk to 1C at once), runs its
streams and returns a JSON-able summary with the number of HTTP requests made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

import psycopg

from sellerflow.pipelines.onec_documents import land_documents
from sellerflow.pipelines.onec_snapshots import land_snapshot
from sellerflow.pipelines.onec_state import single_organization
from sellerflow.pipelines.onec_streams import (
    CATALOG_STREAMS,
    DOCUMENT_STREAMS,
    ORGANIZATIONS,
    STOCK,
    SnapshotStream,
)
from sellerflow.sources.onec import OneCBase, OneCClient

logger = logging.getLogger(__name__)


@contextmanager
def _session(
    base: OneCBase, dsn: str | psycopg.Connection
) -> Iterator[tuple[OneCClient, psycopg.Connection]]:
    client = OneCClient(base)
    try:
        if isinstance(dsn, psycopg.Connection):
            yield client, dsn
        else:
            with psycopg.connect(dsn, autocommit=True) as conn:
                yield client, conn
    finally:
        client.close()


def _context(base: OneCBase, conn: psycopg.Connection) -> dict[str, Any]:
    context: dict[str, Any] = base.context()
    if context["organization_key"] is None:
        context["organization_key"] = single_organization(conn, base.base_id)
    return context


def _summary(client: OneCClient, results: list[Any]) -> dict[str, Any]:
    return {
        "base": client.base.base_id,
        "requests": client.requests_made,
        "streams": [asdict(r) for r in results],
    }


def extract_catalogs(
    base: OneCBase,
    dsn: str | psycopg.Connection,
    run_id: str,
    observed_at: datetime,
    streams: tuple[SnapshotStream, ...] = CATALOG_STREAMS,
) -> dict[str, Any]:
    """Catalogs, barcodes, storage cells, partners, organizations and prices: land what changed."""
    with _session(base, dsn) as (client, conn):
        results = []
        ordered = sorted(
            streams, key=lambda s: s is not ORGANIZATIONS
        )  # organizations first: the context needs them
        context: dict[str, Any] | None = None
        for stream in ordered:
            if context is None and stream is not ORGANIZATIONS:
                context = _context(base, conn)
            results.append(
                land_snapshot(client, conn, stream, run_id, observed_at, context or base.context())
            )
        return _summary(client, results)


def extract_stock(
    base: OneCBase, dsn: str | psycopg.Connection, run_id: str, observed_at: datetime
) -> dict[str, Any]:
    """Stock balances (ТоварыНаСкладах/Balance): land the rows that changed."""
    with _session(base, dsn) as (client, conn):
        result = land_snapshot(client, conn, STOCK, run_id, observed_at, _context(base, conn))
        return _summary(client, [result])


def extract_documents(
    base: OneCBase, dsn: str | psycopg.Connection, run_id: str, as_of: datetime
) -> dict[str, Any]:
    """Customer orders, shipments and returns: one incremental cycle each."""
    with _session(base, dsn) as (client, conn):
        context = _context(base, conn)
        results = [
            land_documents(client, conn, stream, run_id, as_of, context) for stream in DOCUMENT_STREAMS
        ]
        return _summary(client, results)
