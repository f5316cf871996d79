"""Warehouse access for the pages: read-only connections to $SELLERFLOW_WAREHOUSE_DSN, dbt's docs artifacts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from sellerflow.quality.artifacts import docs_dir

REPO_DBT_TARGET = Path(__file__).resolve().parents[3] / "dbt" / "target"


def warehouse_dsn() -> str:
    """The warehouse the pages read (the same variable the DAGs and the /health endpoint use)."""
    dsn = os.environ.get("SELLERFLOW_WAREHOUSE_DSN")
    if not dsn:
        raise RuntimeError("SELLERFLOW_WAREHOUSE_DSN is not set for the api-server")
    return dsn


@contextmanager
def connect(read_only: bool = True) -> Iterator[psycopg.Connection[DictRow]]:
    """A connection with dict rows; read-only pages get a read-only session and a statement timeout."""
    options = "-c statement_timeout=30000" + (" -c default_transaction_read_only=on" if read_only else "")
    with psycopg.connect(warehouse_dsn(), row_factory=dict_row, connect_timeout=5, options=options) as conn:
        yield conn


def fetch(sql: Any, params: Any = None) -> list[dict[str, Any]]:
    """All rows of one read-only query."""
    with connect() as conn:
        return conn.execute(sql, params).fetchall()


def table_columns(schema: str, table: str) -> list[str]:
    """Column names of a warehouse table in their order (empty when it does not exist)."""
    rows = fetch(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
        " order by ordinal_position",
        (schema, table),
    )
    return [r["column_name"] for r in rows]


def artifact_path(name: str) -> Path | None:
    """A dbt artifact (manifest.json, catalog.json, index.html): the docs the nightly DAG kept, else the
    project's own target/ (written by `dbt parse` / `dbt docs generate` on this machine)."""
    for folder in (docs_dir(), REPO_DBT_TARGET):
        if (folder / name).is_file():
            return folder / name
    return None


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def artifact(name: str) -> dict[str, Any]:
    """A parsed dbt JSON artifact ({} when there is none), re-read when the file changes."""
    path = artifact_path(name)
    if path is None:
        return {}
    return _load(str(path), path.stat().st_mtime)
