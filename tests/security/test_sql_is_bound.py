"""SQL in the product is built with bound parameters or psycopg.sql only: no value reaches a query through an
f-string, ``str.format``, ``%`` or ``+``.

The check reads the source (AST): a string that holds SQL and is built by interpolation is a finding. Two kinds
of module are outside it, each for a stated reason:

- ``include/sellerflow_emulators/``: the vendor emulators, a test double that queries its own generated SQLite
  world (never the warehouse); they leave the product package (issue 17, item 5);
- ``*/testing.py``: test-support helpers reading the emulators' SQLite worlds; they move to tests/support/ with
  the same item.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("include/sellerflow", "dags", "plugins")
OUTSIDE = ("include/sellerflow_emulators/",)
OUTSIDE_NAMES = ("testing.py",)
# Identifiers proven constant: (path, the built string's first 60 characters) → why. Empty today.
ALLOWED: dict[tuple[str, str], str] = {}
SQL = re.compile(
    r"\b(select\s.+\sfrom|insert\s+into|delete\s+from|update\s+\S+\s+set\s|"
    r"create\s+(temp\s+|temporary\s+|unique\s+)?(table|schema|index|database|role|view|function|trigger)|"
    r"drop\s+(table|schema|database|role|view|index)|alter\s+(table|role|database|schema)|truncate\s|"
    r"copy\s.+\s(from|to)\s+stdin|on\s+conflict|where\s.+\s(=|<|>|in|is)\s)",
    re.I | re.S,
)


def _literal(node: ast.AST) -> str | None:
    """The constant text of a string literal or f-string (interpolations left out); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _built_sql(node: ast.AST) -> str | None:
    """The SQL text of a string built by interpolation at ``node``, or None."""
    text = None
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        text = _literal(node)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        text = _literal(node.func.value)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        text = _literal(node.left)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if (left is None) != (right is None):  # a literal joined to something computed
            text = left if left is not None else right
    return text if text and SQL.search(text) else None


def findings(source: str, path: str = "<source>") -> list[str]:
    """``path:line: text`` of every SQL string built by interpolation in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        text = _built_sql(node)
        if text is not None and (path, text[:60]) not in ALLOWED:
            segment = " ".join((ast.get_source_segment(source, node) or text).split())
            out.append(f"{path}:{getattr(node, 'lineno', '?')}: {segment[:140]}")
    return out


def _product_files() -> list[Path]:
    files = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(OUTSIDE) or path.name in OUTSIDE_NAMES:
                continue
            files.append(path)
    return files


def test_no_sql_in_the_product_is_built_from_values() -> None:
    files = _product_files()
    assert len(files) > 50, "the scan reads the product package"
    found = [f for path in files for f in findings(path.read_text(), path.relative_to(ROOT).as_posix())]
    assert found == [], "SQL built by interpolation (use bound parameters or psycopg.sql):\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    "bad",
    [
        'conn.execute(f"select * from raw.{table} where account_id = %s", (a,))',
        'conn.execute("delete from ops.outbox where id = {}".format(item))',
        'conn.execute("select id from ops.pick_lists where id = %s" % list_id)',
        'conn.execute("select id from ops.pick_lists where warehouse_key = \'" + key + "\'")',
        "q = f\"insert into raw.ozon_x (payload) values ('{payload}')\"",
    ],
)
def test_the_scan_finds_sql_built_from_values(bad: str) -> None:
    assert findings(bad), bad


@pytest.mark.parametrize(
    "good",
    [
        'conn.execute("select * from raw.ozon_x where account_id = %s", (a,))',
        'conn.execute(sql.SQL("select * from {} where id = %s").format(sql.Identifier("raw", t)), (i,))',
        'message = f"create a new token in the cabinet for {account}"',
        'LIST_ROW = "select id from ops.pick_lists where id = %s"',
    ],
)
def test_the_scan_leaves_bound_and_composed_sql_alone(good: str) -> None:
    assert findings(good) == [], good
