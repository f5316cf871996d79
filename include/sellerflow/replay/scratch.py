"""The replay's own schemas: created empty and marked before dbt runs, dropped only when the mark is this replay's.

A replay picks a fresh random token; its schemas are ``replay_<token>_<schema>``. It refuses to start when any
schema with that prefix exists, creates the project's custom schemas itself with the comment
``sellerflow replay {"token": …}``, and after dbt marks any other schema with its prefix that appeared meanwhile
(only its own dbt run can have made a name holding a token drawn a moment before). Dropping reads each schema's
comment again and drops only those whose mark carries the token: nothing it cannot prove is its own.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

MARK = "sellerflow replay "
PROJECT_SCHEMAS = ("staging", "intermediate", "marts")  # the dbt project's custom schemas (dbt_project.yml)


class ScratchError(RuntimeError):
    """The replay's schemas cannot be created or are not provably its own."""


@dataclass(frozen=True)
class Scratch:
    """One replay's schemas: ``prefix`` + a live schema name."""

    token: str

    @property
    def prefix(self) -> str:
        """``replay_<token>_``: the dbt var schema_prefix."""
        return f"replay_{self.token}_"

    def schema(self, live: str) -> str:
        """The replay's twin of a live schema."""
        return f"{self.prefix}{live}"


def new_scratch() -> Scratch:
    """A replay with a fresh token (8 hex digits)."""
    return Scratch(secrets.token_hex(4))


def _with_prefix(conn: psycopg.Connection, scratch: Scratch) -> list[tuple[str, str | None]]:
    rows = conn.execute(
        "select nspname, obj_description(oid, 'pg_namespace') from pg_namespace where starts_with(nspname, %s)",
        (scratch.prefix,),
    ).fetchall()
    return [(name, comment) for name, comment in rows]


def _mark(scratch: Scratch, note: dict[str, str]) -> str:
    return MARK + json.dumps({"token": scratch.token, "created_at": datetime.now(UTC).isoformat(), **note})


def is_ours(comment: str | None, scratch: Scratch) -> bool:
    """Whether a schema comment is this replay's mark."""
    if not comment or not comment.startswith(MARK):
        return False
    try:
        return json.loads(comment[len(MARK) :]).get("token") == scratch.token
    except ValueError:
        return False


def create(
    dsn: str, scratch: Scratch, note: dict[str, str], schemas: Sequence[str] = PROJECT_SCHEMAS
) -> None:
    """Create and mark the replay's schemas; refuse when any schema with its prefix exists already."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = _with_prefix(conn, scratch)
        if found:
            raise ScratchError(
                f"schemas with the prefix {scratch.prefix} exist already: {[n for n, _ in found]}"
            )
        for live in schemas:
            name = sql.Identifier(scratch.schema(live))
            conn.execute(sql.SQL("create schema {}").format(name))
            conn.execute(
                sql.SQL("comment on schema {} is {}").format(name, sql.Literal(_mark(scratch, note)))
            )


def adopt(dsn: str, scratch: Scratch, note: dict[str, str]) -> list[str]:
    """Mark schemas with the replay's prefix that its dbt run created (unmarked ones); every schema of it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = []
        for name, comment in _with_prefix(conn, scratch):
            if comment is None:
                conn.execute(
                    sql.SQL("comment on schema {} is {}").format(
                        sql.Identifier(name), sql.Literal(_mark(scratch, note))
                    )
                )
            elif not is_ours(comment, scratch):
                raise ScratchError(f"schema {name} carries another mark: {comment!r}")
            names.append(name)
    return sorted(names)


def drop(dsn: str, scratch: Scratch) -> list[str]:
    """Drop the schemas marked as this replay's and its rows in ops.dbt_watermarks; the schemas dropped."""
    dropped = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, comment in _with_prefix(conn, scratch):
            if is_ours(comment, scratch):
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
                dropped.append(name)
        if conn.execute("select to_regclass('ops.dbt_watermarks')").fetchone() != (None,):
            conn.execute("delete from ops.dbt_watermarks where starts_with(relation, %s)", (scratch.prefix,))
    return sorted(dropped)
