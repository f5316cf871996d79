"""The marts page: every table of the `marts` schema with dbt's documentation of it and its columns, downloadable
as Parquet (pyarrow, the column docs in the schema's field metadata) or CSV (plus the column docs as CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from sellerflow.pages.db import artifact, connect, fetch

SCHEMA = "marts"
BATCH_ROWS = 50_000
# Postgres type → (Arrow type, the SQL expression that reads it); anything else is read as text.
ARROW_TYPES: dict[str, tuple[pa.DataType, str]] = {
    "text": (pa.string(), "{}"),
    "character varying": (pa.string(), "{}"),
    "smallint": (pa.int16(), "{}"),
    "integer": (pa.int32(), "{}"),
    "bigint": (pa.int64(), "{}"),
    "numeric": (pa.decimal128(38, 10), "{}::numeric(38, 10)"),
    "double precision": (pa.float64(), "{}"),
    "real": (pa.float32(), "{}"),
    "boolean": (pa.bool_(), "{}"),
    "date": (pa.date32(), "{}"),
    "timestamp with time zone": (pa.timestamp("us", tz="UTC"), "{}"),
    "timestamp without time zone": (pa.timestamp("us"), "{}"),
}


def _model_docs() -> dict[str, dict[str, Any]]:
    """dbt's docs of each mart model by table name: description and column descriptions (manifest.json)."""
    docs: dict[str, dict[str, Any]] = {}
    for node in artifact("manifest.json").get("nodes", {}).values():
        if node.get("resource_type") == "model" and node.get("schema") == SCHEMA:
            name = node.get("alias") or node["name"]
            docs[name] = {
                "description": node.get("description") or "",
                "columns": {c: (v.get("description") or "") for c, v in (node.get("columns") or {}).items()},
                "path": node.get("original_file_path") or "",
            }
    return docs


def marts() -> list[dict[str, Any]]:
    """Every table and view of the marts schema with its row estimate and dbt description."""
    docs = _model_docs()
    rows = fetch(
        "select c.relname as name, c.relkind = 'v' as is_view, greatest(c.reltuples, 0)::bigint as rows_estimate"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') order by c.relname",
        (SCHEMA,),
    )
    for row in rows:
        row.update(docs.get(row["name"], {"description": "", "columns": {}, "path": ""}))
    return rows


def columns(name: str) -> list[dict[str, Any]]:
    """The mart's columns with their Postgres type and dbt description (empty when there is no such mart)."""
    described = _model_docs().get(name, {}).get("columns", {})
    rows = fetch(
        "select column_name as name, data_type as type from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (SCHEMA, name),
    )
    for row in rows:
        row["description"] = described.get(row["name"], "")
    return rows


def _select(cols: list[dict[str, Any]], name: str) -> sql.Composed:
    parts = []
    for col in cols:
        expression = ARROW_TYPES.get(col["type"], (None, "{}::text"))[1]
        parts.append(
            sql.SQL(expression + " as {}").format(sql.Identifier(col["name"]), sql.Identifier(col["name"]))
        )
    return sql.SQL("select {} from {}.{}").format(
        sql.SQL(", ").join(parts), sql.Identifier(SCHEMA), sql.Identifier(name)
    )


def parquet(name: str) -> bytes:
    """The whole mart as one Parquet file; each field carries its dbt description as metadata."""
    cols = columns(name)
    schema = pa.schema(
        [
            pa.field(c["name"], ARROW_TYPES.get(c["type"], (pa.string(), ""))[0],
                     metadata={"description": c["description"], "postgres_type": c["type"]})
            for c in cols
        ],
        metadata={"dbt_model": name, "description": _model_docs().get(name, {}).get("description", "")},
    )  # fmt: skip
    out = io.BytesIO()
    with (
        connect() as conn,
        conn.cursor(name=f"mart_{name}") as cursor,
        pq.ParquetWriter(out, schema) as writer,
    ):
        cursor.execute(_select(cols, name))
        while batch := cursor.fetchmany(BATCH_ROWS):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return out.getvalue()


def csv_chunks(name: str) -> Iterator[bytes]:
    """The whole mart as CSV with a header (Postgres COPY, streamed)."""
    query = sql.SQL("copy (select * from {}.{}) to stdout with (format csv, header)").format(
        sql.Identifier(SCHEMA), sql.Identifier(name)
    )
    with connect() as conn, conn.cursor().copy(query) as copy:
        yield from (bytes(block) for block in copy)


def columns_csv(name: str) -> bytes:
    """The mart's column docs: name, Postgres type, dbt description."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["column", "type", "description"])
    for col in columns(name):
        writer.writerow([col["name"], col["type"], col["description"]])
    return out.getvalue().encode()
