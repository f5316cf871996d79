"""Schema drift: vendor payloads compared at landing time with the fields their contract declares.

Every raw entity with a contract has an expected field set in ``expected_fields.json`` beside this module: the
JSON types of each field path (``products[].sku``: a field of each item of the array ``products``), which paths
are required, and which objects are open (any field allowed below them). The file is generated from the
vendors' specs and the contract schemas the emulators are tested against (``tests/quality/expected_fields.py``
writes it; ``tests/quality/test_expected_fields.py`` fails when it no longer matches them), so it is one
mechanism for every source, 1C included.

The extract runner hands each batch it lands to a ``DriftMonitor``: a field the contract does not declare is
``new``, a required field absent is ``missing``, a value of a JSON type the contract does not allow is
``retyped`` (an integral number is an integer, as in JSON Schema; an integer is a number). The record lands in
raw as always; the drift is recorded in ``ops.schema_drift`` (migration 0110), one row per (source, entity,
field, kind) that counts records and keeps the first and last time, the accounts and a sample raw row; the
extract task logs one WARNING per stream naming the fields and still succeeds. The health page lists the open
rows; ``python -m sellerflow.quality.schema_drift ack --id N`` closes one once the contract (or the stream)
has been brought up to date.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from sellerflow.warehouse.identifiers import table_name
from sellerflow.warehouse.records import KeySpec, key_getter

logger = logging.getLogger(__name__)

EXPECTED_FILE = Path(__file__).with_name("expected_fields.json")
KINDS = ("new", "missing", "retyped")
ANY = "any"


@dataclass
class Shape:
    """The expected shape of one value: its JSON types, and for objects their fields (None: open)."""

    types: frozenset[str]
    fields: dict[str, Shape] | None = None
    required: frozenset[str] = frozenset()
    items: Shape | None = None
    patterns: tuple[re.Pattern[str], ...] = ()  # field names allowed besides ``fields``

    python_types: frozenset[type] = frozenset()  # decoded-JSON Python types always allowed here
    leaf_types: frozenset[type] = (
        frozenset()
    )  # those of them with nothing below (scalars; everything for any)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "object": (dict,),
    "array": (list,),
}


def json_type(value: Any) -> str:
    """The JSON Schema type of a decoded JSON value (an integral float is an integer, as JSON Schema says)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _allows(types: frozenset[str], seen: str) -> bool:
    return ANY in types or seen in types or (seen == "integer" and "number" in types)


def compile_shape(spec: dict[str, Any]) -> Shape:
    """The tree of one entity's ``{"fields": {path: "t1|t2"}, "required": [...], "open": [...]}`` entry."""
    root = Shape(frozenset({"object"}), {})
    nodes: dict[str, Shape] = {"": root}
    for path in sorted(spec["fields"], key=lambda p: (_depth(p), p)):
        shape = Shape(frozenset(spec["fields"][path].split("|")))
        if "object" in shape.types:
            shape.fields = {}
        nodes[path] = shape
        parent_path, name = _split(path)
        parent = nodes[parent_path]
        if name == "[]":
            parent.items = shape
        else:
            assert parent.fields is not None, f"{path}: parent {parent_path!r} is not an object"
            parent.fields[name] = shape
    for path in spec.get("open", []):
        nodes[path].fields = None
    for path in spec.get("required", []):
        parent_path, name = _split(path)
        parent = nodes[parent_path]
        parent.required = parent.required | {name}
    for path, patterns in spec.get("patterns", {}).items():
        nodes[path].patterns = tuple(re.compile(p) for p in patterns)
    for node in nodes.values():
        names = _PYTHON_TYPES if ANY in node.types else node.types
        node.python_types = frozenset(t for name in names for t in _PYTHON_TYPES.get(name, ()))
        node.leaf_types = node.python_types if ANY in node.types else node.python_types - {dict, list}
    return root


_DOT = re.compile(r"(?<!\\)\.")  # a separator: a dot not escaped (a field name's own dots are written \.)


def _split(path: str) -> tuple[str, str]:
    r"""``a.b[]`` → (``a.b``, ``[]``), ``a.b`` → (``a``, ``b``), ``odata\.count`` → ("", ``odata.count``)."""
    if path.endswith("[]"):
        return path[:-2], "[]"
    dots = list(_DOT.finditer(path))
    if not dots:
        return "", path.replace("\\.", ".")
    cut = dots[-1].start()
    return path[:cut], path[cut + 1 :].replace("\\.", ".")


def _depth(path: str) -> int:
    return len(_DOT.findall(path)) + path.count("[]")


def _join(path: str, name: str) -> str:
    if name == "[]":
        return f"{path}[]"
    name = name.replace(".", "\\.")
    return f"{path}.{name}" if path else name


def differences(shape: Shape, value: Any, path: str = "") -> list[tuple[str, str, str | None, str | None]]:
    """(field path, kind, expected types, seen type) of every way ``value`` departs from ``shape``."""
    found: Found = []
    _walk(shape, value, path, found)
    return found


Found = list[tuple[str, str, str | None, str | None]]


def _walk(shape: Shape, value: Any, path: str, found: Found) -> None:
    # The hot path of every landing: exact Python types first, the JSON Schema rules only on a mismatch.
    if type(value) not in shape.python_types:
        seen = json_type(value)
        if not _allows(shape.types, seen):
            found.append((path, "retyped", "|".join(sorted(shape.types)), seen))
            return
    if shape.fields is not None and type(value) is dict:
        _walk_object(shape, shape.fields, value, path, found)
    elif shape.items is not None and type(value) is list:
        items, below = shape.items, _join(path, "[]")
        for item in value:
            if type(item) not in items.leaf_types:
                _walk(items, item, below, found)


def _walk_object(
    shape: Shape, fields: dict[str, Shape], value: dict[str, Any], path: str, found: Found
) -> None:
    for name, child in value.items():
        sub = fields.get(name)
        if sub is None:
            if not any(p.search(name) for p in shape.patterns):
                found.append((_join(path, name), "new", None, json_type(child)))
        elif type(child) not in sub.leaf_types:  # a scalar of an allowed type has nothing below it
            _walk(sub, child, _join(path, name), found)
    if shape.required and not value.keys() >= shape.required:
        for name in shape.required - value.keys():
            found.append((_join(path, name), "missing", "|".join(sorted(fields[name].types)), None))


@cache
def expected_fields() -> dict[str, dict[str, Any]]:
    """The expected field sets, ``{"<source>.<entity>": {...}}`` (entities without a contract are absent)."""
    document = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    return {name: entry for name, entry in document["entities"].items() if "fields" in entry}


@cache
def shape_of(source: str, entity: str) -> Shape | None:
    """The compiled shape of ``raw.<source>_<entity>``, or None when its records have no contract."""
    entry = expected_fields().get(f"{source}.{entity}")
    return None if entry is None else compile_shape(entry)


@dataclass
class Finding:
    """One drift of one entity's field, as seen in the records of a batch."""

    entity: str
    path: str
    kind: str
    expected: str | None
    seen: set[str] = field(default_factory=set)
    records: int = 0
    sample_key: str | None = None

    def describe(self) -> str:
        """``products[].sku retyped (integer → string)``."""
        if self.kind == "new":
            return f"{self.path} new ({'|'.join(sorted(self.seen))})"
        if self.kind == "missing":
            return f"{self.path} missing (expected {self.expected})"
        return f"{self.path} retyped ({self.expected} → {'|'.join(sorted(self.seen))})"


class DriftMonitor:
    """Compares the records one account's run lands with their contracts and records what differs."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._pending: dict[tuple[str, str, str], Finding] = {}
        self._stream_findings: dict[tuple[str, str, str], Finding] = {}

    def observe(self, entity: str, records: Iterable[Any], key: KeySpec) -> None:
        """Check each record of ``entity`` (non-objects are the loader's business: quarantined)."""
        shape = shape_of(self.source, entity)
        if shape is None:
            return
        get, _label = key_getter(key)
        for record in records:
            if not isinstance(record, dict):
                continue
            found = {
                (path, kind): (expected, seen) for path, kind, expected, seen in differences(shape, record)
            }
            for (path, kind), (expected, seen) in found.items():
                finding = self._pending.setdefault(
                    (entity, path, kind), Finding(entity, path, kind, expected)
                )
                finding.records += 1
                if seen is not None:
                    finding.seen.add(seen)
                if finding.sample_key is None:
                    finding.sample_key = _safe_key(get, record)

    def save(self, dsn: str, account_id: str, stream: str, run_id: str) -> list[Finding]:
        """Record the drift observed since the last save in ``ops.schema_drift``; return it."""
        findings = list(self._pending.values())
        self._pending.clear()
        if not findings:
            return []
        with psycopg.connect(dsn) as conn:
            for finding in findings:
                record_finding(conn, self.source, account_id, stream, run_id, finding)
        for finding in findings:
            kept = self._stream_findings.setdefault((finding.entity, finding.path, finding.kind), finding)
            if kept is not finding:
                kept.records += finding.records
                kept.seen |= finding.seen
        return findings

    def warn(self, account_id: str, stream: str) -> None:
        """One WARNING naming every drifted field the stream landed since the last warning."""
        findings = list(self._stream_findings.values())
        self._stream_findings.clear()
        if not findings:
            return
        by_entity: dict[str, list[Finding]] = {}
        for finding in sorted(findings, key=lambda f: (f.entity, f.kind, f.path)):
            by_entity.setdefault(finding.entity, []).append(finding)
        details = "; ".join(
            f"raw.{table_name(self.source, entity)}: "
            + ", ".join(f"{f.describe()} in {f.records} records" for f in items)
            for entity, items in by_entity.items()
        )
        logger.warning(
            "schema drift in %s/%s %s: %s. The records landed in raw; see ops.schema_drift and the data "
            "health page.",
            self.source,
            account_id,
            stream,
            details,
        )


def _safe_key(get: Any, record: dict[str, Any]) -> str | None:
    try:
        value = get(record)
    except Exception:  # a record without its key is quarantined by the loader: no sample then
        return None
    return None if value is None else str(value)


_UPSERT = """
insert into ops.schema_drift as drift (
    source, entity, stream, field_path, kind, expected_type, seen_type, account_id, accounts, record_count,
    last_run_id, sample_natural_key, sample_raw_id)
values (%(source)s, %(entity)s, %(stream)s, %(path)s, %(kind)s, %(expected)s, %(seen)s, %(account)s,
    array[%(account)s], %(records)s, %(run_id)s, %(key)s, %(raw_id)s)
on conflict (source, entity, field_path, kind) do update set
    stream = excluded.stream,
    seen_type = (select string_agg(distinct t, '|' order by t) from unnest(
        string_to_array(drift.seen_type, '|') || string_to_array(excluded.seen_type, '|')) as t),
    account_id = excluded.account_id,
    accounts = case when excluded.account_id = any(drift.accounts) then drift.accounts
                    else drift.accounts || excluded.account_id end,
    last_seen = now(),
    record_count = drift.record_count + excluded.record_count,
    last_run_id = excluded.last_run_id,
    sample_natural_key = coalesce(drift.sample_natural_key, excluded.sample_natural_key),
    sample_raw_id = coalesce(drift.sample_raw_id, excluded.sample_raw_id)
"""


def record_finding(
    conn: psycopg.Connection, source: str, account_id: str, stream: str, run_id: str, finding: Finding
) -> None:
    """Upsert one finding (after its records landed: the sample is looked up in raw)."""
    raw_id = None
    if finding.sample_key is not None:
        table = sql.Identifier("raw", table_name(source, finding.entity))
        found = conn.execute(
            sql.SQL(
                "select id from {} where account_id = %s and natural_key = %s "
                "order by extracted_at desc, id desc limit 1"
            ).format(table),
            (account_id, finding.sample_key),
        ).fetchone()
        raw_id = found[0] if found else None
    conn.execute(
        _UPSERT,
        {
            "source": source,
            "entity": finding.entity,
            "stream": stream,
            "path": finding.path,
            "kind": finding.kind,
            "expected": finding.expected,
            "seen": "|".join(sorted(finding.seen)) or None,
            "account": account_id,
            "records": finding.records,
            "run_id": run_id,
            "key": finding.sample_key,
            "raw_id": raw_id,
        },
    )


OPEN_DRIFTS = """
select id, source, entity, stream, field_path, kind, expected_type, seen_type, accounts, first_seen, last_seen,
    record_count, sample_natural_key, sample_raw_id
from ops.schema_drift where acknowledged_at is null
order by last_seen desc, source, entity, field_path, kind
"""


def open_drifts(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Drifts nobody acknowledged yet, newest first (empty before migration 0110)."""
    with conn.cursor(row_factory=dict_row) as cursor:
        if cursor.execute("select to_regclass('ops.schema_drift') as t").fetchone() == {"t": None}:
            return []
        return cursor.execute(OPEN_DRIFTS).fetchall()


def acknowledge(conn: psycopg.Connection[Any], ids: Sequence[int]) -> int:
    """Close the given drifts (they stay in the table with their counts); returns how many were open."""
    cursor = conn.execute(
        "update ops.schema_drift set acknowledged_at = now() where id = any(%s) and acknowledged_at is null",
        (list(ids),),
    )
    return cursor.rowcount


def main(argv: Sequence[str] | None = None) -> int:
    """``list`` the open drifts or ``ack --id N`` one (the warehouse from --dsn or SELLERFLOW_WAREHOUSE_DSN)."""
    parser = argparse.ArgumentParser(prog="python -m sellerflow.quality.schema_drift", description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("SELLERFLOW_WAREHOUSE_DSN"))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="open drifts")
    ack = commands.add_parser("ack", help="close drifts once the contract or the stream is up to date")
    ack.add_argument("--id", type=int, action="append", required=True)
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("give --dsn or set SELLERFLOW_WAREHOUSE_DSN")
    with psycopg.connect(args.dsn) as conn:
        if args.command == "ack":
            print(f"acknowledged {acknowledge(conn, args.id)} of {len(args.id)}")
            return 0
        rows = open_drifts(conn)
    for row in rows:
        print(
            f"{row['id']:>5}  {row['source']}.{row['entity']}  {row['field_path']}  {row['kind']}  "
            f"expected {row['expected_type'] or '-'}, seen {row['seen_type'] or '-'}  {row['record_count']} records"
            f"  {row['first_seen']:%Y-%m-%d %H:%M} … {row['last_seen']:%Y-%m-%d %H:%M}"
        )
    print(f"{len(rows)} open")
    return 0


if __name__ == "__main__":
    sys.exit(main())
