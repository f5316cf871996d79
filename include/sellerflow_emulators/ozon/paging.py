"""Keyset pagination behind Ozon's opaque cursors, with the page faults a real API shows.

Each cursor carries the key of the last row served (``a``) and the key the page started after (``p``), so a
``duplicate_page`` fault can serve the previous page again and a ``shifted_page`` fault can skip rows
(``shift`` > 0) or repeat the tail of the last page (``shift`` < 0). Queries use ``LIMIT`` on an indexed
ordering; nothing loads the whole world.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sellerflow_emulators.runtime import Fault


@dataclass
class Page:
    """One page of rows plus the state for the next cursor."""

    rows: list[sqlite3.Row]
    has_next: bool
    next_state: dict[str, Any]


def _after(key_cols: tuple[str, str], desc: bool) -> str:
    op = "<" if desc else ">"
    first, second = key_cols
    return f"({first} {op} ? or ({first} = ? and {second} {op} ?))"


def keyset_page(
    conn: sqlite3.Connection,
    inner_sql: str,
    params: list[Any],
    *,
    key_cols: tuple[str, str],
    desc: bool,
    state: dict[str, Any],
    limit: int,
    fault: Fault | None,
) -> Page:
    """Serve ``limit`` rows of ``inner_sql`` after the cursor ``state`` (keyset on ``key_cols``)."""
    anchor = state.get("a")
    if fault is not None and fault.kind == "duplicate_page" and anchor is not None:
        anchor = state.get("p")
    order = " desc" if desc else ""
    first, second = key_cols
    order_by = f"order by {first}{order}, {second}{order}"
    if fault is not None and fault.kind == "shifted_page" and fault.shift < 0 and anchor is not None:
        # Step back |shift| rows so the tail of the previous page is served again.
        back = abs(fault.shift)
        rev = "" if desc else " desc"
        op = ">" if desc else "<"
        sql = (
            f"select {first}, {second} from ({inner_sql}) "
            f"where ({first} {op} ? or ({first} = ? and {second} {op}= ?)) "
            f"order by {first}{rev}, {second}{rev} limit ?"
        )
        before = conn.execute(sql, [*params, anchor[0], anchor[0], anchor[1], back + 1]).fetchall()
        # before[0] is the last row served; the new page starts after before[back].
        anchor = [before[back][0], before[back][1]] if len(before) > back else None
    where = ""
    args = list(params)
    if anchor is not None:
        where = "where " + _after(key_cols, desc)
        args += [anchor[0], anchor[0], anchor[1]]
    offset = fault.shift if fault is not None and fault.kind == "shifted_page" and fault.shift > 0 else 0
    sql = f"select * from ({inner_sql}) {where} {order_by} limit ? offset ?"
    rows = conn.execute(sql, [*args, limit + 1, offset]).fetchall()
    has_next = len(rows) > limit
    rows = rows[:limit]
    if rows:
        last = rows[-1]
        next_state = {"a": [last[first], last[second]], "p": anchor}
    else:
        next_state = {"a": anchor, "p": anchor}
    return Page(rows=rows, has_next=has_next, next_state=next_state)
