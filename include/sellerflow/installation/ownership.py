"""Proof that a database belongs to this installation: a mark in the database's own comment.

The mark is ``sellerflow installation {"instance": ..., "purpose": ..., "role": ..., "ports": {...}}``, set when
the setup creates the database (or when the user explicitly takes one over). ``ports`` records the installation's
port blocks, so a checkout set up later on the same machine picks other ports even while this one is stopped. A database whose mark names another
instance, or that carries no mark, is never created over, migrated, truncated or dropped: the setup checks every
database of the installation first and stops, having changed nothing, when one of them is not its own.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from sellerflow.installation.settings import APP_ROLE, Installation

MARK_PREFIX = "sellerflow installation "


class NotOurDatabaseError(RuntimeError):
    """A database of the installation exists and is not ours; the message says what to do."""


@dataclass(frozen=True)
class DatabaseState:
    """What the server says about one of the installation's databases."""

    role: str  # 'airflow' or 'warehouse'
    name: str
    exists: bool
    mark: dict | None  # the parsed mark; None when absent or not sellerflow's

    def owned_by(self, instance: str) -> bool:
        return self.mark is not None and self.mark.get("instance") == instance


def parse_mark(comment: str | None) -> dict | None:
    """The mark in a database comment, or None when the comment is not a sellerflow mark."""
    if not comment or not comment.startswith(MARK_PREFIX):
        return None
    try:
        mark = json.loads(comment.removeprefix(MARK_PREFIX))
    except json.JSONDecodeError:
        return None
    return mark if isinstance(mark, dict) else None


def render_mark(installation: Installation, role: str, ports: Mapping[str, int] | None = None) -> dict:
    """The mark that makes a database ``role`` of this installation (with its ports, when given)."""
    body: dict = {"instance": installation.instance, "purpose": installation.purpose, "role": role}
    if ports:
        body["ports"] = dict(ports)
    return body


def _comment(mark: dict) -> str:
    return MARK_PREFIX + json.dumps(mark, sort_keys=True)


def ports_of_other_installations(admin_dsn: str, instance: str) -> set[int]:
    """Every port recorded in the marks of other instances' databases on the server of ``admin_dsn``."""
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        comments = admin.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where not datistemplate"
        ).fetchall()
    taken: set[int] = set()
    for (comment,) in comments:
        mark = parse_mark(comment)
        if mark and mark.get("instance") != instance and isinstance(mark.get("ports"), dict):
            taken.update(int(port) for port in mark["ports"].values() if str(port).isdigit())
    return taken


def inspect(admin: psycopg.Connection, installation: Installation) -> list[DatabaseState]:
    """The state of each of the installation's databases."""
    states = []
    for role, dsn in installation.databases().items():
        name = str(conninfo_to_dict(dsn)["dbname"])
        row = admin.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = %s", (name,)
        ).fetchone()
        states.append(DatabaseState(role, name, row is not None, parse_mark(row[0]) if row else None))
    return states


def refusal(states: list[DatabaseState], installation: Installation, server: str) -> str:
    """The one message that says what was found and the two ways forward."""
    lines = []
    for state in states:
        if state.mark is None:
            found = "it carries no sellerflow mark (made by hand, by another tool, or by an older sellerflow)"
        else:
            found = f"it is marked as {state.mark.get('role')} database of instance {state.mark.get('instance')!r}"
        lines.append(f'  - database "{state.name}" on {server} already exists and {found}')
    names = ",".join(state.name for state in states)
    return "\n".join(
        [
            f"this installation (instance {installation.instance!r}) will not use databases that are not its own:",
            *lines,
            "Nothing was changed. Two ways forward:",
            "  1. choose another instance name for this checkout, e.g.",
            f"       SELLERFLOW_INSTANCE={installation.instance}_2 make <target>",
            "  2. if the database really is this installation's (an earlier clone of it, say), take it over;",
            "     that only marks it as ours, it drops and rewrites nothing:",
            f"       SELLERFLOW_TAKE_OVER={names} make <target>",
        ]
    )


def claim(
    admin_dsn: str,
    installation: Installation,
    take_over: Collection[str] = (),
    ports: Mapping[str, int] | None = None,
) -> list[str]:
    """Make sure both databases exist and are this installation's; return what was done, one line each.

    Absent databases are created (owner ``sellerflow``) and marked. A database that exists and is not ours is
    marked only when its name is in ``take_over``; otherwise ``NotOurDatabaseError`` is raised before anything
    is created or marked. ``ports`` (name → port) go into the marks; an own mark with other ports is updated.
    """
    params = conninfo_to_dict(admin_dsn)
    server = f"{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}"
    done = []
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        states = inspect(admin, installation)
        foreign = [
            s
            for s in states
            if s.exists and not s.owned_by(installation.instance) and s.name not in take_over
        ]
        if foreign:
            raise NotOurDatabaseError(refusal(foreign, installation, server))
        for state in states:
            name = sql.Identifier(state.name)
            if not state.exists:
                admin.execute(sql.SQL("create database {} owner {}").format(name, sql.Identifier(APP_ROLE)))
                done.append(f'created database "{state.name}" ({state.role})')
            elif state.owned_by(installation.instance):
                if not ports or state.mark == render_mark(installation, state.role, ports):
                    continue
                done.append(f'recorded the ports of database "{state.name}" ({state.role}): {dict(ports)}')
            else:
                done.append(f'took over database "{state.name}" ({state.role}); nothing in it was changed')
            mark = _comment(render_mark(installation, state.role, ports))
            admin.execute(sql.SQL("comment on database {} is {}").format(name, sql.Literal(mark)))
    return done


def mark_of(dsn: str) -> dict | None:
    """The sellerflow mark of the database a DSN points at (None when it carries none)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = current_database()"
        ).fetchone()
    return parse_mark(row[0] if row else None)
