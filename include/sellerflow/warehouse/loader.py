"""The raw loader: stream vendor records into append-only ``raw.<source>_<entity>`` tables.

Each record is kept as received (``payload jsonb``) under its ``natural_key``; a new row is written only when
its ``payload_hash`` differs from the latest stored version of ``(account_id, natural_key)``, so reruns add
nothing and every change of an order is kept as a new version (docs/architecture.md, "Warehouse schemas").
Comparing with the *latest* version rather than with any earlier one matters for values that come back: a
stock of 5 → 3 → 5 lands three versions, so "latest version" says 5, where a unique key on
``(account_id, natural_key, payload_hash)`` would have dropped the second 5 and left 3 as the latest.
A batch is one observation: when a key occurs several times in it (a page repeated or shifted while paging),
its last occurrence is the state that lands, so a rerun of the same batch adds nothing. Streams whose every
intermediate state matters (status history) put the state's time into the natural key. Per batch of ``batch_size`` records: one COPY
into a session temp table, then one ``INSERT … SELECT`` of the rows that differ from the latest version, under
a transaction-level advisory lock per (table, account) so that two concurrent loaders cannot both add the same
version. The iterable is consumed
lazily, so generators of any size are fine. Records that cannot be stored (not a JSON object, no key, failing
``validate``, not representable as jsonb) go to ``quarantine.<source>_<entity>`` with the reason; the rest of
the batch still lands (see ``records``). Payloads are never logged: they can carry buyer data and tokens.

``context jsonb`` (nullable) holds what the pipeline knows about a record that the vendor did not send (for
1C: the base, the seller's organization and legal entity, the snapshot time), so that ``payload`` stays
exactly what the vendor sent. It is not part of ``payload_hash``: a version is a change of the vendor's
object, so a record whose context alone differs from the latest version is unchanged, and a version keeps
the context it landed with. Quarantined records keep their context too. Tables created before the column
existed get it on their next load (a catalog check first, so the ``alter table`` runs once per table).

``payload_hash`` is the sha256 of the canonical JSON (``records.canonical_json``), stored as ``bytea``: 32 bytes
instead of 64 hex characters keeps the latest-version index that every insert probes narrower; read it as text with
``encode(payload_hash, 'hex')``. ``payload`` uses lz4 TOAST compression where the server has it (faster to
write and for dbt to read than the default pglz, a few percent larger).

Versions of one key written in the same transaction share ``extracted_at`` (``now()``); ``id`` follows arrival
order, so "latest version" is ``order by extracted_at desc, id desc``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from sellerflow.warehouse.connection import ConnOrDsn, connection
from sellerflow.warehouse.identifiers import table_name
from sellerflow.warehouse.records import Batch, ContextSpec, KeySpec, Validator, context_getter, key_getter

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10_000
_STAGE = sql.Identifier("sellerflow_raw_stage")


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


_RAW_DDL = """
create table if not exists {raw} (
    id            bigserial   primary key,
    account_id    text        not null,
    natural_key   text        not null,
    payload       jsonb       {compression} not null,
    payload_hash  bytea       not null,
    extracted_at  timestamptz not null default now(),
    run_id        text        not null,
    context       jsonb
);
create index if not exists {latest_idx} on {raw} (account_id, natural_key, extracted_at desc, id desc)
    include (payload_hash);
create index if not exists {landed_brin} on {raw} using brin (extracted_at);
create table if not exists {quarantine} (
    id              bigserial   primary key,
    account_id      text        not null,
    run_id          text        not null,
    reason          text        not null,
    natural_key     text,
    payload         jsonb,
    payload_text    text,
    quarantined_at  timestamptz not null default now(),
    context         jsonb
);
"""

# Tables created before ``context`` existed get it (nullable without default: a catalog-only change).
_ADD_CONTEXT = """
alter table {raw} add column if not exists context jsonb;
alter table {quarantine} add column if not exists context jsonb;
"""

# The stage keeps payloads as text stored out of line without compression: it lives for one batch, so
# compressing it is wasted work, and jsonb parsing then happens only for rows that are really new.
_STAGE_DDL = """
create temp table {stage} (
    seq bigint generated always as identity, natural_key text not null, payload text not null,
    payload_hash bytea not null, context text
);
alter table {stage} alter column payload set storage external;
"""

# Within a batch (one observation by one run) the last record of a key is its state; it lands when it differs
# from the latest stored version (an index-only probe of the latest-version index). Unchanged rows are skipped
# before the jsonb cast, so reruns parse and write nothing. Rows are inserted in arrival order.
_INSERT = """
with last_in_batch as (
    select distinct on (natural_key) seq, natural_key, payload, payload_hash, context
    from {stage}
    order by natural_key, seq desc
)
insert into {raw} (account_id, natural_key, payload, payload_hash, run_id, context)
select %(account_id)s, s.natural_key, s.payload::jsonb, s.payload_hash, %(run_id)s, s.context::jsonb
from last_in_batch as s
where s.payload_hash is distinct from (
    select r.payload_hash from {raw} as r
    where r.account_id = %(account_id)s and r.natural_key = s.natural_key
    order by r.extracted_at desc, r.id desc
    limit 1
)
order by s.seq
"""


class _Target:
    """The raw and quarantine tables of one (source, entity) and the statements that fill them."""

    def __init__(self, source: str, entity: str) -> None:
        self.source, self.entity = source, entity
        self.name = table_name(source, entity)
        self.raw = sql.Identifier("raw", self.name)
        self.quarantine = sql.Identifier("quarantine", self.name)

    def ensure(self, conn: psycopg.Connection) -> None:
        """Create the stage, raw and quarantine tables when missing, or add ``context`` to older ones
        (serialised per table name)."""
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                """
                with t(rel) as (select to_regclass(%s) union all select to_regclass(%s))
                select to_regnamespace('raw') is not null and to_regnamespace('quarantine') is not null,
                       to_regclass('pg_temp.sellerflow_raw_stage') is not null,
                       (select count(rel) from t) = 2,
                       (select count(*) from pg_attribute a join t on a.attrelid = t.rel
                        where a.attname = 'context' and not a.attisdropped) = 2,
                       'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'
                """,
                (f'raw."{self.name}"', f'quarantine."{self.name}"'),
            )
            row = cur.fetchone()
            assert row is not None
            schemas, stage, tables, has_context, lz4 = row
            if not schemas:
                raise RuntimeError(
                    "schemas raw/quarantine are missing: run `python -m sellerflow.warehouse migrate`"
                )
            if not stage:
                cur.execute(sql.SQL(_STAGE_DDL).format(stage=_STAGE))
            if tables and has_context:
                return
            # Two loaders creating the same table at once would collide on the catalog's unique index.
            cur.execute(
                "select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"sellerflow.raw.{self.name}",)
            )
            if tables:
                cur.execute(sql.SQL(_ADD_CONTEXT).format(raw=self.raw, quarantine=self.quarantine))
                return
            cur.execute(
                sql.SQL(_RAW_DDL).format(
                    raw=self.raw,
                    quarantine=self.quarantine,
                    compression=sql.SQL("compression lz4" if lz4 else ""),
                    latest_idx=sql.Identifier(_index_name(self.name, "latest_idx")),
                    landed_brin=sql.Identifier(_index_name(self.name, "extracted_brin")),  # migration 0121
                )
            )

    def write(self, conn: psycopg.Connection, batch: Batch, account_id: str, run_id: str) -> LoadResult:
        """Land one batch; the caller wraps it in a transaction."""
        inserted = 0
        with conn.cursor(row_factory=tuple_row) as cur:
            if batch.lines:
                cur.execute(
                    "select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"sellerflow.raw.{self.name}:{account_id}",),
                )
                cur.execute(sql.SQL("truncate {}").format(_STAGE))
                with cur.copy(
                    sql.SQL("copy {} (natural_key, payload, payload_hash, context) from stdin").format(_STAGE)
                ) as copy:
                    copy.write(b"".join(batch.lines))
                cur.execute(
                    sql.SQL(_INSERT).format(raw=self.raw, stage=_STAGE),
                    {"account_id": account_id, "run_id": run_id},
                )
                inserted = cur.rowcount
            if batch.rejected:
                with cur.copy(
                    sql.SQL(
                        "copy {} (account_id, run_id, reason, natural_key, payload, payload_text, context)"
                        " from stdin"
                    ).format(self.quarantine)
                ) as copy:
                    for r in batch.rejected:
                        copy.write_row(
                            (
                                account_id,
                                run_id,
                                r.reason,
                                r.natural_key,
                                r.payload_json,
                                r.payload_text,
                                r.context,
                            )
                        )
        return LoadResult(
            received=batch.received,
            inserted=inserted,
            unchanged=len(batch.lines) - inserted,
            quarantined=len(batch.rejected),
        )


def ensure_raw_table(conn_or_dsn: ConnOrDsn, source: str, entity: str) -> None:
    """Create ``raw.<source>_<entity>`` and its quarantine table, empty, when they do not exist yet.

    dbt declares every raw table as a source; a seller without, say, a Megamarket cabinet still gets a green
    dbt run because the tables exist (empty) before any extraction has landed in them.
    """
    with connection(conn_or_dsn) as conn:
        _Target(source, entity).ensure(conn)


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
    context: ContextSpec = None,
) -> LoadResult:
    """Land ``records`` in ``raw.<source>_<entity>`` and return the counts.

    ``key`` is a field path (``"posting_number"``, ``"result.id"``) or a callable returning the natural key
    (str or int). ``validate(record)`` returns a reason to quarantine the record, or ``None``. ``context`` is
    stored beside each payload (not hashed): one dict for every record, or ``context(record)`` returning a
    dict or ``None`` per record (an exception or a non-dict quarantines the record). Each batch
    commits on its own (a rerun after a crash is safe: landed batches count as unchanged) unless the call runs
    inside the caller's ``with conn.transaction():`` block, where batches are savepoints and the caller's block
    commits or rolls back everything. One row per call goes to ``ops.load_runs``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    target = _Target(source, entity)
    getter, label = key_getter(key)
    get_context = context_getter(context)
    with connection(conn_or_dsn) as conn:
        target.ensure(conn)
        run_pk = _start_run(conn, target, account_id, run_id)
        total = LoadResult()
        batch, number = Batch(getter, label, validate, get_context), 0
        try:
            for record in records:
                batch.add(record)
                if batch.received >= batch_size:
                    number += 1
                    total += _flush(conn, target, batch, number, account_id, run_id, run_pk, total)
                    batch = Batch(getter, label, validate, get_context)
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
    batch: Batch,
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
