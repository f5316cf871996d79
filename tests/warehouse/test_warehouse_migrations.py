"""Migrations on a real Postgres: idempotent, checksum-guarded, safe to run concurrently, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path

import psycopg
import pytest

from sellerflow.warehouse import MigrationChecksumError, MigrationError, migrate
from sellerflow.warehouse.migrations import load_migrations

PACKAGED = [m.version for m in load_migrations()]


def schema_dump(dsn: str) -> list[tuple[object, ...]]:
    """Tables, columns, constraints, indexes, views and migration records of the warehouse schemas."""
    schemas = ("raw", "ops", "quarantine")
    with psycopg.connect(dsn) as conn:
        rows: list[tuple[object, ...]] = []
        rows += conn.execute(
            "select nspname from pg_namespace where nspname = any(%s) order by 1", (list(schemas),)
        ).fetchall()
        rows += conn.execute(
            "select table_schema, table_name, column_name, data_type, is_nullable, column_default"
            " from information_schema.columns where table_schema = any(%s) order by 1, 2, ordinal_position",
            (list(schemas),),
        ).fetchall()
        rows += conn.execute(
            "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint"
            " where connamespace::regnamespace::text = any(%s) order by 1, 2",
            (list(schemas),),
        ).fetchall()
        rows += conn.execute(
            "select schemaname, indexname, indexdef from pg_indexes where schemaname = any(%s) order by 1, 2",
            (list(schemas),),
        ).fetchall()
        rows += conn.execute(
            "select schemaname, viewname, definition from pg_views where schemaname = any(%s) order by 1, 2",
            (list(schemas),),
        ).fetchall()
        rows += conn.execute(
            "select version, checksum, applied_at from ops.schema_migrations order by version"
        ).fetchall()
    return rows


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """A writable copy of the packaged migrations."""
    target = tmp_path / "migrations"
    target.mkdir()
    for entry in resources.files("sellerflow.warehouse").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_first_run_creates_schemas_and_tables(fresh_dsn: str) -> None:
    assert migrate(fresh_dsn) == PACKAGED
    with psycopg.connect(fresh_dsn) as conn:
        found = conn.execute(
            "select to_regnamespace('raw'), to_regnamespace('quarantine'),"
            " to_regclass('ops.sync_state'), to_regclass('ops.load_runs'), to_regclass('ops.schema_migrations')"
        ).fetchone()
    assert found is not None
    assert all(found)


def test_second_run_applies_nothing_and_changes_nothing(fresh_dsn: str) -> None:
    migrate(fresh_dsn)
    before = schema_dump(fresh_dsn)
    assert migrate(fresh_dsn) == []
    assert schema_dump(fresh_dsn) == before


def test_edited_applied_migration_is_refused(fresh_dsn: str, migrations_dir: Path) -> None:
    migrate(fresh_dsn, migrations_dir)
    edited = migrations_dir / "0002_sync_state.sql"
    edited.write_text(edited.read_text() + "\nalter table ops.sync_state add column note text;\n")
    (migrations_dir / "9999_later.sql").write_text("create table ops.later (id int);\n")

    with pytest.raises(MigrationChecksumError, match="0002_sync_state"):
        migrate(fresh_dsn, migrations_dir)

    with psycopg.connect(fresh_dsn) as conn:
        later = conn.execute("select to_regclass('ops.later')").fetchone()
        versions = conn.execute("select version from ops.schema_migrations order by 1").fetchall()
    assert later == (None,), "nothing may be applied once an edited migration is found"
    assert [v for (v,) in versions] == PACKAGED


def test_line_ending_change_is_not_an_edit(fresh_dsn: str, migrations_dir: Path) -> None:
    migrate(fresh_dsn, migrations_dir)
    path = migrations_dir / "0001_schemas.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert migrate(fresh_dsn, migrations_dir) == []


def test_new_migration_is_applied_alone(fresh_dsn: str, migrations_dir: Path) -> None:
    migrate(fresh_dsn, migrations_dir)
    (migrations_dir / "9999_later.sql").write_text("create table ops.later (id int);\n")
    assert migrate(fresh_dsn, migrations_dir) == ["9999_later"]


def test_failed_migration_rolls_back_and_is_not_recorded(fresh_dsn: str, migrations_dir: Path) -> None:
    (migrations_dir / "9999_broken.sql").write_text("create table ops.half (id int);\nselect 1/0;\n")
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate(fresh_dsn, migrations_dir)
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("select to_regclass('ops.half')").fetchone() == (None,)
        recorded = conn.execute("select count(*) from ops.schema_migrations where version = '9999_broken'")
        assert recorded.fetchone() == (0,)


def test_concurrent_migrators_apply_each_version_once(fresh_dsn: str, migrations_dir: Path) -> None:
    # The sleep widens the window in which unserialised migrators would both apply the same version.
    (migrations_dir / "9999_slow.sql").write_text(
        "select pg_sleep(0.3);\ncreate table ops.slow_marker (id int);\n"
    )
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(migrate(fresh_dsn, migrations_dir))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    applied = sorted(v for result in results for v in result)
    assert applied == [*PACKAGED, "9999_slow"]
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("select count(*) from ops.schema_migrations").fetchone() == (len(PACKAGED) + 1,)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "SELLERFLOW_WAREHOUSE_DSN"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sellerflow.warehouse", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_cli_migrate_with_dsn_then_up_to_date(fresh_dsn: str) -> None:
    first = _cli("migrate", "--dsn", fresh_dsn)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "applied: " + ", ".join(PACKAGED)
    second = _cli("migrate", "--dsn", fresh_dsn)
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout


def test_cli_reads_dsn_from_environment(fresh_dsn: str) -> None:
    result = _cli("status", env={"SELLERFLOW_WAREHOUSE_DSN": fresh_dsn})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [w for v in PACKAGED for w in ("pending", v)]


def test_cli_without_dsn_fails_clearly() -> None:
    result = _cli("migrate")
    assert result.returncode == 1
    assert "SELLERFLOW_WAREHOUSE_DSN" in result.stderr


def test_cli_help_describes_commands() -> None:
    result = _cli("migrate", "--help")
    assert result.returncode == 0
    assert "--dsn" in result.stdout
    assert "SELLERFLOW_WAREHOUSE_DSN" in result.stdout


def test_duplicate_migration_number_is_refused(migrations_dir: Path) -> None:
    (migrations_dir / "0002_other.sql").write_text("select 1;\n")
    with pytest.raises(MigrationError, match="share the number 0002"):
        load_migrations(migrations_dir)


def test_raw_tables_from_before_the_context_column_get_it(fresh_dsn: str) -> None:
    """A warehouse whose raw tables predate migration 0011 gains the column dbt reads."""
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute("create schema raw; create schema quarantine")
        conn.execute("create table raw.onec_products (id bigserial, payload jsonb)")
        conn.execute("create table quarantine.onec_products (id bigserial, payload jsonb)")
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        columns = conn.execute(
            "select table_schema from information_schema.columns"
            " where table_name = 'onec_products' and column_name = 'context' order by 1"
        ).fetchall()
    assert columns == [("quarantine",), ("raw",)]


def test_migrated_warehouse_sessions_run_without_jit(fresh_dsn: str) -> None:
    """dbt's statements over unanalysed temp relations would spend longer compiling than running (0040)."""
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("show jit").fetchone() == ("off",)
