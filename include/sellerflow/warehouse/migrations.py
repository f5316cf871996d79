"""Versioned SQL migrations for the warehouse schemas ``raw``, ``ops`` and ``quarantine``.

Migrations are the files ``migrations/NNNN_<name>.sql`` of this package, applied in version order, each in its
own transaction, and recorded in ``ops.schema_migrations(version, applied_at, checksum)``. A session-level
advisory lock serialises concurrent migrators (two Airflow workers starting at once), and the recorded sha256
of every applied file is compared with the file on disk: an edited applied migration is refused, because the
databases that already ran it would silently differ from new ones. Fix forward with a new migration instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import psycopg
from psycopg.rows import tuple_row

from sellerflow.warehouse.connection import ConnOrDsn, connection

logger = logging.getLogger(__name__)

# An arbitrary constant shared by every migrator of this warehouse (first 8 bytes of
# sha256("sellerflow.warehouse.migrate") as a signed bigint); pg_advisory_lock takes a bigint key.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"sellerflow.warehouse.migrate").digest()[:8], "big", signed=True
)

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_BOOTSTRAP = """
create schema if not exists ops;
create table if not exists ops.schema_migrations (
    version     text        primary key,
    applied_at  timestamptz not null default now(),
    checksum    text        not null
);
"""


class MigrationError(RuntimeError):
    """The migration set on disk cannot be applied as it is."""


class MigrationChecksumError(MigrationError):
    """An already applied migration file was edited after it ran."""


@dataclass(frozen=True)
class Migration:
    """One migration file: ``version`` is its file name without ``.sql`` (e.g. ``0002_sync_state``)."""

    version: str
    sql: str
    checksum: str


def _checksum(text: str) -> str:
    # Normalise line endings so a Windows checkout (core.autocrlf) does not look like an edit.
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def load_migrations(directory: Path | Traversable | None = None) -> list[Migration]:
    """Read the migration files, sorted by version; raises ``MigrationError`` on a duplicate number."""
    root = directory if directory is not None else resources.files(__package__).joinpath("migrations")
    migrations: list[Migration] = []
    seen: dict[str, str] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        match = _FILE_NAME.match(entry.name)
        if not entry.is_file() or not match:
            continue
        number = match.group(1)
        if number in seen:
            raise MigrationError(f"migrations {seen[number]} and {entry.name} share the number {number}")
        seen[number] = entry.name
        text = entry.read_text(encoding="utf-8")
        migrations.append(Migration(entry.name.removesuffix(".sql"), text, _checksum(text)))
    return migrations


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute("select version, checksum from ops.schema_migrations")
        return dict(cur.fetchall())


def _check_applied(migrations: list[Migration], applied: dict[str, str]) -> None:
    known = {m.version for m in migrations}
    for m in migrations:
        if m.version in applied and applied[m.version] != m.checksum:
            raise MigrationChecksumError(
                f"migration {m.version} was edited after it was applied "
                f"(recorded sha256 {applied[m.version][:12]}…, file now {m.checksum[:12]}…); "
                "restore the original file and add a new migration for the change"
            )
    for version in sorted(set(applied) - known):
        logger.warning("migration %s is recorded in the database but not present in this code", version)


def migrate(dsn: ConnOrDsn, directory: Path | Traversable | None = None) -> list[str]:
    """Apply pending migrations and return the versions applied by this call (empty when up to date).

    ``dsn`` may also be an open connection; it must be in autocommit mode because every migration commits
    on its own. ``directory`` overrides the packaged migrations (tests). Raises ``MigrationChecksumError``
    before applying anything if an applied migration was edited.
    """
    migrations = load_migrations(directory)
    with connection(dsn) as conn:
        if not conn.autocommit:
            raise MigrationError(
                "migrate() needs an autocommit connection (each migration commits on its own)"
            )
        conn.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            conn.execute(_BOOTSTRAP)
            applied = _applied(conn)
            _check_applied(migrations, applied)
            done: list[str] = []
            for m in migrations:
                if m.version in applied:
                    continue
                with conn.transaction():
                    conn.execute(m.sql)
                    conn.execute(
                        "insert into ops.schema_migrations (version, checksum) values (%s, %s)",
                        (m.version, m.checksum),
                    )
                logger.info("applied migration %s", m.version)
                done.append(m.version)
            return done
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def status(dsn: ConnOrDsn, directory: Path | Traversable | None = None) -> list[tuple[str, bool]]:
    """Every known migration version with whether it is applied (nothing is changed)."""
    migrations = load_migrations(directory)
    with connection(dsn) as conn, conn.cursor(row_factory=tuple_row) as cur:
        cur.execute("select to_regclass('ops.schema_migrations') is not null")
        row = cur.fetchone()
        applied = _applied(conn) if row and row[0] else {}
    return [(m.version, m.version in applied) for m in migrations]
