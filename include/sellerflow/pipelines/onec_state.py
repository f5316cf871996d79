"""``ops.onec_object_state``: the last landed version of every 1C object, and the batch writer that keeps it
in step with the raw tables (records and their state commit in one transaction)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from sellerflow.warehouse.loader import LoadResult, load_records
from sellerflow.warehouse.records import Validator

logger = logging.getLogger(__name__)

SOURCE = "onec"
FLUSH_EVERY = 5000


@dataclass(frozen=True)
class ObjectState:
    """What was landed last for one object."""

    version: str
    doc_date: datetime | None
    present: bool


def read_state(
    conn: psycopg.Connection, base_id: str, entity: str, since: datetime | None = None
) -> dict[str, ObjectState]:
    """State of every object of ``entity`` in a base (documents dated before ``since`` left out)."""
    query = "select natural_key, version, doc_date, present from ops.onec_object_state where base_id = %s and entity = %s"
    params: list[Any] = [base_id, entity]
    if since is not None:
        query += " and (doc_date is null or doc_date >= %s)"
        params.append(since)
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(query, params)
        return {key: ObjectState(version, doc_date, present) for key, version, doc_date, present in cur}


def single_organization(conn: psycopg.Connection, base_id: str) -> str | None:
    """The base's organization when it has exactly one (from the landed Catalog_Организации)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            "select natural_key from ops.onec_object_state"
            " where base_id = %s and entity = 'organizations' and present limit 2",
            (base_id,),
        )
        rows = cur.fetchall()
    return rows[0][0] if len(rows) == 1 else None


@dataclass
class StateRow:
    """One object's new state."""

    natural_key: str
    version: str
    doc_date: datetime | None = None
    present: bool = True


@dataclass
class Lander:
    """Accumulates records for one raw table plus their state rows; each flush is one transaction.

    ``key`` is the loader's key spec for the raw table. ``extra`` holds records for other raw tables landed
    in the same transaction (``raw.onec_removals``).
    """

    conn: psycopg.Connection
    base_id: str
    entity: str
    key: Any
    run_id: str
    validate: Validator | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    states: list[StateRow] = field(default_factory=list)
    removals: list[dict[str, Any]] = field(default_factory=list)
    result: LoadResult = field(default_factory=LoadResult)
    removed: int = 0

    def add(self, record: dict[str, Any] | None, state: StateRow) -> None:
        """Queue a record (None = state only) and the state it leaves behind."""
        if record is not None:
            self.records.append(record)
        self.states.append(state)
        if len(self.states) >= FLUSH_EVERY:
            self.flush()

    def remove(self, removal: dict[str, Any], state: StateRow) -> None:
        """Queue a removal record for ``raw.onec_removals`` and mark the object absent."""
        self.removals.append(removal)
        self.states.append(state)

    def flush(self) -> None:
        """Land what is queued and write its state, atomically."""
        if not self.states:
            return
        with self.conn.transaction():
            if self.records:
                self.result += load_records(
                    self.conn,
                    SOURCE,
                    self.entity,
                    self.base_id,
                    self.records,
                    self.key,
                    self.run_id,
                    validate=self.validate,
                )
            if self.removals:
                load_records(
                    self.conn, SOURCE, "removals", self.base_id, self.removals, "natural_key", self.run_id
                )
                self.removed += len(self.removals)
            write_state(self.conn, self.base_id, self.entity, self.states)
        self.records, self.states, self.removals = [], [], []


def write_state(conn: psycopg.Connection, base_id: str, entity: str, rows: Iterable[StateRow]) -> None:
    """Upsert state rows (inside the caller's transaction)."""
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into ops.onec_object_state (base_id, entity, natural_key, version, doc_date, present)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (base_id, entity, natural_key) do update
                set version = excluded.version, doc_date = coalesce(excluded.doc_date, ops.onec_object_state.doc_date),
                    present = excluded.present, updated_at = now()
            """,
            [(base_id, entity, r.natural_key, r.version, r.doc_date, r.present) for r in rows],
        )
