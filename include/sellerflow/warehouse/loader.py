"""The raw loader: stream vendor records into append-only ``raw.<source>_<entity>`` tables.

Each record is kept exactly as received (``payload jsonb``) under its ``natural_key``; a new row is written only
when ``(account_id, natural_key, payload_hash)`` is new, so reruns add nothing and every change of an order is
kept as a new version (docs/architecture.md, "Warehouse schemas"). Per batch of ``batch_size`` records: one
COPY into a session temp table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. The iterable is consumed
lazily, so generators of any size are fine. Records that cannot be stored (not a JSON object, no key, failing
``validate``, not representable as jsonb) go to ``quarantine.<source>_<entity>`` with the reason; the rest of
the batch still lands. Payloads are never logged: they can carry buyer data and tokens.

``payload_hash`` is the sha256 of the canonical JSON (sorted keys, no whitespace, UTF-8), stored as ``bytea``:
32 bytes instead of 64 hex characters keeps the unique index that every insert probes half as wide; read it
as text with ``encode(payload_hash, 'hex')``.

Versions of one key written in the same transaction share ``extracted_at`` (``now()``); ``id`` follows arrival
order, so "latest version" is ``order by extracted_at desc, id desc``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from sellerflow.warehouse.connection import ConnOrDsn, connection
from sellerflow.warehouse.identifiers import table_name

logger = logging.getLogger(__name__)

KeySpec = str | Callable[[dict[str, Any]], object]
Validator = Callable[[dict[str, Any]], str | None]

DEFAULT_BATCH_SIZE = 10_000
_STAGE = sql.Identifier("sellerflow_raw_stage")

_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
# jsonb cannot hold U+0000; json.dumps writes it as \u0000. A preceding even run of backslashes means the
# text is a literal backslash followed by "u0000", which is harmless.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


@dataclass(frozen=True)
class LoadResult:
    """Counts of one loader call: ``received == inserted + unchanged + quarantined``."""

    received: int = 0
    inserted: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def __add__(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            self.received + other.received,
            self.inserted + other.inserted,
            self.unchanged + other.unchanged,
            self.quarantined + other.quarantined,
        )


@dataclass(frozen=True)
class _Rejected:
    reason: str
    natural_key: str | None
    payload_json: str | None  # JSON text when the record is representable as jsonb
    payload_text: str | None  # otherwise a readable text form


def _key_getter(key: KeySpec) -> tuple[Callable[[dict[str, Any]], object], str]:
    """A function that reads the key from a record, and a label for quarantine reasons."""
    if callable(key):
        return key, f"key function {getattr(key, '__name__', repr(key))}"
    if not isinstance(key, str) or not key:
        raise TypeError("key must be a field path such as 'posting_number' or 'result.id', or a callable")
    parts = key.split(".")

    def get(record: dict[str, Any]) -> object:
        value: Any = record
        for part in parts:
            value = value[part]
        return value

    return get, f"key field {key!r}"


def _natural_key(getter: Callable[[dict[str, Any]], object], label: str, record: dict[str, Any]) -> str:
    """The record's key as text; raises ``ValueError`` with the quarantine reason when there is none."""
    try:
        value = getter(record)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"missing {label}") from exc
    except Exception as exc:
        raise ValueError(f"{label} failed: {type(exc).__name__}") from exc
    if value is None:
        raise ValueError(f"{label} is null")
    # bool is an int subclass but never a real id; floats would key 1.0 and 1 differently.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{label} has unsupported type {type(value).__name__}")
    text = value if isinstance(value, str) else str(value)
    if not text.strip():
        raise ValueError(f"{label} is empty")
    if "\x00" in text:
        raise ValueError(f"{label} contains U+0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{label} is not valid Unicode") from exc
    return text


def _readable(record: object) -> tuple[str | None, str | None]:
    """(jsonb text, None) when the record fits jsonb as it is, else (None, a readable text form)."""
    try:
        text = _canonical(record)
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        pass
    else:
        if not _NUL_ESCAPE.search(text):
            return text, None
    try:
        return None, json.dumps(record, default=repr, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return None, repr(record).encode("utf-8", "backslashreplace").decode("utf-8")


def _reject(reason: str, record: object, natural_key: str | None = None) -> _Rejected:
    payload_json, payload_text = _readable(record)
    return _Rejected(reason, natural_key, payload_json, payload_text)


def _copy_escape(text: str) -> str:
    return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], text)


class _Batch:
    """Records of one batch: COPY lines for the stage table and the rejected records."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.rejected: list[_Rejected] = []
        self.received = 0

    def add(
        self,
        record: object,
        getter: Callable[[dict[str, Any]], object],
        label: str,
        validate: Validator | None,
    ) -> None:
        self.received += 1
        if not isinstance(record, dict):
            self.rejected.append(_reject(f"record is {type(record).__name__}, not a JSON object", record))
            return
        try:
            natural_key = _natural_key(getter, label, record)
        except ValueError as exc:
            self.rejected.append(_reject(str(exc), record))
            return
        if validate is not None:
            try:
                reason = validate(record)
            except Exception as exc:
                reason = f"validate raised {type(exc).__name__}: {exc}"
            if reason:
                self.rejected.append(_reject(str(reason), record, natural_key))
                return
        try:
            data = _canonical(record).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            self.rejected.append(
                _reject(f"not JSON-serialisable: {type(exc).__name__}: {exc}", record, natural_key)
            )
            return
        if b"\\u0000" in data and _NUL_ESCAPE.search(data.decode("utf-8")):
            self.rejected.append(_reject("contains U+0000, which jsonb cannot store", record, natural_key))
            return
        # COPY text format: json.dumps already escapes control characters, so only backslashes need doubling.
        self.lines.append(
            b"%s\t%s\t\\\\x%s\n"
            % (
                _copy_escape(natural_key).encode("utf-8"),
                data.replace(b"\\", b"\\\\"),
                hashlib.sha256(data).hexdigest().encode("ascii"),
            )
        )


class _Target:
    """The raw and quarantine tables of one (source, entity) and the statements that fill them."""

    def __init__(self, source: str, entity: str) -> None:
        self.source, self.entity = source, entity
        self.name = table_name(source, entity)
        self.raw = sql.Identifier("raw", self.name)
        self.quarantine = sql.Identifier("quarantine", self.name)

    def ensure(self, conn: psycopg.Connection) -> None:
        """Create the stage, raw and quarantine tables when missing (serialised per table name)."""
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                "select to_regnamespace('raw') is not null and to_regnamespace('quarantine') is not null"
            )
            row = cur.fetchone()
            if not (row and row[0]):
                raise RuntimeError(
                    "schemas raw/quarantine are missing: run `python -m sellerflow.warehouse migrate`"
                )
            cur.execute(
                sql.SQL(
                    "create temp table if not exists {} "
                    "(natural_key text not null, payload jsonb not null, payload_hash bytea not null)"
                ).format(_STAGE)
            )
            cur.execute(
                "select to_regclass(%s) is not null and to_regclass(%s) is not null",
                (f'raw."{self.name}"', f'quarantine."{self.name}"'),
            )
            row = cur.fetchone()
            if row and row[0]:
                return
            # Two loaders creating the same table at once would collide on the catalog's unique index.
            cur.execute(
                "select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"sellerflow.raw.{self.name}",)
            )
            cur.execute(
                sql.SQL(
                    """
                    create table if not exists {raw} (
                        id            bigserial   primary key,
                        account_id    text        not null,
                        natural_key   text        not null,
                        payload       jsonb       not null,
                        payload_hash  bytea       not null,
                        extracted_at  timestamptz not null default now(),
                        run_id        text        not null,
                        constraint {version_key} unique (account_id, natural_key, payload_hash)
                    );
                    create index if not exists {latest_idx} on {raw} (account_id, natural_key, extracted_at);
                    create table if not exists {quarantine} (
                        id              bigserial   primary key,
                        account_id      text        not null,
                        run_id          text        not null,
                        reason          text        not null,
                        natural_key     text,
                        payload         jsonb,
                        payload_text    text,
                        quarantined_at  timestamptz not null default now()
                    );
                    """
                ).format(
                    raw=self.raw,
                    quarantine=self.quarantine,
                    version_key=sql.Identifier(_index_name(self.name, "version_key")),
                    latest_idx=sql.Identifier(_index_name(self.name, "latest_idx")),
                )
            )

    def write(self, conn: psycopg.Connection, batch: _Batch, account_id: str, run_id: str) -> LoadResult:
        """Land one batch; the caller wraps it in a transaction."""
        inserted = 0
        with conn.cursor(row_factory=tuple_row) as cur:
            if batch.lines:
                cur.execute(sql.SQL("truncate {}").format(_STAGE))
                with cur.copy(
                    sql.SQL("copy {} (natural_key, payload, payload_hash) from stdin").format(_STAGE)
                ) as copy:
                    copy.write(b"".join(batch.lines))
                # A fresh temp table is scanned in COPY order, so ids follow arrival order without a sort.
                cur.execute(
                    sql.SQL(
                        "insert into {} (account_id, natural_key, payload, payload_hash, run_id) "
                        "select %s, natural_key, payload, payload_hash, %s from {} "
                        "on conflict (account_id, natural_key, payload_hash) do nothing"
                    ).format(self.raw, _STAGE),
                    (account_id, run_id),
                )
                inserted = cur.rowcount
            if batch.rejected:
                with cur.copy(
                    sql.SQL(
                        "copy {} (account_id, run_id, reason, natural_key, payload, payload_text) from stdin"
                    ).format(self.quarantine)
                ) as copy:
                    for r in batch.rejected:
                        copy.write_row(
                            (account_id, run_id, r.reason, r.natural_key, r.payload_json, r.payload_text)
                        )
        return LoadResult(
            received=batch.received,
            inserted=inserted,
            unchanged=len(batch.lines) - inserted,
            quarantined=len(batch.rejected),
        )


def _index_name(table: str, suffix: str) -> str:
    """``<table>_<suffix>``, shortened with a hash so it stays unique within Postgres' 63-character limit."""
    name = f"{table}_{suffix}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    return f"{table[: 63 - len(suffix) - 10]}_{digest}_{suffix}"


def _start_run(conn: psycopg.Connection, target: _Target, account_id: str, run_id: str) -> int:
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id) values (%s, %s, %s, %s) returning id",
            (target.source, target.entity, account_id, run_id),
        )
        row = cur.fetchone()
    assert row is not None
    return int(row[0])


def _record_run(
    conn: psycopg.Connection, run_pk: int, total: LoadResult, status: str, error: str | None
) -> None:
    conn.execute(
        """
        update ops.load_runs
        set received = %s, inserted = %s, unchanged = %s, quarantined = %s, status = %s, error = %s,
            finished_at = case when %s = 'running' then null else clock_timestamp() end
        where id = %s
        """,
        (total.received, total.inserted, total.unchanged, total.quarantined, status, error, status, run_pk),
    )


def load_records(
    conn_or_dsn: ConnOrDsn,
    source: str,
    entity: str,
    account_id: str,
    records: Iterable[object],
    key: KeySpec,
    run_id: str,
    validate: Validator | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> LoadResult:
    """Land ``records`` in ``raw.<source>_<entity>`` and return the counts.

    ``key`` is a field path (``"posting_number"``, ``"result.id"``) or a callable returning the natural key
    (str or int). ``validate(record)`` returns a reason to quarantine the record, or ``None``. Each batch
    commits on its own (a rerun after a crash is safe: landed batches count as unchanged) unless the call runs
    inside the caller's ``with conn.transaction():`` block, where batches are savepoints and the caller's block
    commits or rolls back everything. One row per call goes to ``ops.load_runs``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    target = _Target(source, entity)
    getter, label = _key_getter(key)
    with connection(conn_or_dsn) as conn:
        target.ensure(conn)
        run_pk = _start_run(conn, target, account_id, run_id)
        total = LoadResult()
        batch, number = _Batch(), 0
        try:
            for record in records:
                batch.add(record, getter, label, validate)
                if batch.received >= batch_size:
                    number += 1
                    total += _flush(conn, target, batch, number, account_id, run_id, run_pk, total)
                    batch = _Batch()
            if batch.received or number == 0:
                number += 1
                total += _flush(conn, target, batch, number, account_id, run_id, run_pk, total)
        except BaseException as exc:
            _mark_failed(conn, run_pk, total, exc)
            raise
        with conn.transaction():
            _record_run(conn, run_pk, total, "succeeded", None)
    return total


def _flush(
    conn: psycopg.Connection,
    target: _Target,
    batch: _Batch,
    number: int,
    account_id: str,
    run_id: str,
    run_pk: int,
    total: LoadResult,
) -> LoadResult:
    # One transaction per batch (a savepoint inside the caller's transaction): rows and run counts together.
    with conn.transaction():
        result = target.write(conn, batch, account_id, run_id)
        _record_run(conn, run_pk, total + result, "running", None)
    logger.info(
        "raw.%s batch %d (account %s, run %s): received=%d inserted=%d unchanged=%d quarantined=%d",
        target.name,
        number,
        account_id,
        run_id,
        result.received,
        result.inserted,
        result.unchanged,
        result.quarantined,
    )
    return result


def _mark_failed(conn: psycopg.Connection, run_pk: int, total: LoadResult, exc: BaseException) -> None:
    """Best effort: inside a caller's aborted transaction this cannot be written, and the run rolls back too."""
    try:
        with conn.transaction():
            _record_run(conn, run_pk, total, "failed", type(exc).__name__)
    except psycopg.Error:
        logger.warning("could not mark load run %d as failed", run_pk)
