"""Reading entity sets: query options -> one SQL page -> 1C JSON values.

Query options per 1C:Enterprise 8.3 Developer Guide §17.4.5–17.4.8: ``$filter``,
``$top``, ``$skip`` (skip applied before top), ``$orderby``, ``$select`` (``*``, ``**`` =
all but tabular sections, ``Товары/Поле``), ``$inlinecount=allpages`` (ignores top/skip,
count as a string) and ``/$count``. There is no server-driven paging.

Value representation per §17.4.3 and shared docs C3: dates as local time without an
offset (empty = ``0001-01-01T00:00:00``), ``Edm.Int64`` as a JSON string (``"LineNumber":
"1"``), enums as their value names, references as ``X_Key`` GUIDs (empty ref =
zero GUID) plus ``X@navigationLinkUrl`` in minimal metadata.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import tzinfo

from sellerflow_emulators.onec.entities import parsed_fields as _parsed
from sellerflow_emulators.onec.errors import query_option_error
from sellerflow_emulators.onec.ids import EMPTY_REF, to_local
from sellerflow_emulators.onec.odata_filter import Node, parse_orderby, parse_select
from sellerflow_emulators.onec.query import (
    BOOLEAN,
    DATETIME,
    DOUBLE,
    GUID,
    INT32,
    INT64,
    Collection,
    Compiled,
    EntitySet,
    Prop,
    SqlCompiler,
)


@dataclass(frozen=True)
class ListOptions:
    """Parsed query options for one list request."""

    filter: Node | None = None
    orderby: str | None = None
    select: str | None = None
    top: int | None = None
    skip: int = 0
    inlinecount: bool = False


def parse_int_option(name: str, raw: str | None) -> int | None:
    """``$top``/``$skip`` value, code 14 when it is not a non-negative integer."""
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise query_option_error(f"неверное значение параметра {name}: '{raw}'")
    return int(raw)


def render_value(value: object, edm: str, tz: tzinfo) -> object:
    """One SQL value as 1C puts it into JSON."""
    if edm == GUID:
        return str(value) if value else EMPTY_REF
    if edm == DATETIME:
        return to_local(str(value) if value else None, tz)
    if edm == BOOLEAN:
        return bool(value) and value not in ("false", "0")
    if edm == INT64:
        return str(int(value or 0))
    if edm == INT32:
        return int(value or 0)
    if edm == DOUBLE:
        number = float(value or 0)
        return int(number) if number.is_integer() else round(number, 4)
    return "" if value is None else value


class Lister:
    """Runs list, count and single-entity reads for one entity set."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        entity: EntitySet,
        params: dict[str, object],
        tz: tzinfo,
        tz_offset: int,
    ):
        self.conn = conn
        self.entity = entity
        self.params = params
        self.tz = tz
        self.tz_offset = tz_offset

    def _where(self, bound: Compiled, node: Node | None, extra: str | None = None) -> str:
        clauses = [self.entity.where_sql]
        if extra:
            clauses.append(extra)
        if node is not None:
            clauses.append(SqlCompiler(self.entity, bound, self.tz_offset).predicate(node))
        return " and ".join(f"({clause})" for clause in clauses)

    def count(self, node: Node | None) -> int:
        """Number of rows matching the filter."""
        bound = Compiled(dict(self.params))
        sql = f"select count(*) {self.entity.from_sql} where {self._where(bound, node)}"
        return int(self.conn.execute(sql, bound.params).fetchone()[0])

    def fetch(
        self, options: ListOptions, key_where: str | None = None, key_params: dict | None = None
    ) -> list[dict]:
        """Rows (property name -> raw SQL value), tabular sections attached as lists."""
        bound = Compiled(dict(self.params) | (key_params or {}))
        where = self._where(bound, options.filter, key_where)
        order = self._order(bound, options.orderby)
        limit = ""
        if not options.inlinecount and (options.top is not None or options.skip):
            limit = f" limit {options.top if options.top is not None else -1} offset {options.skip}"
        plan = _ColumnPlan(self.entity.props)
        sql = f"select {plan.columns} {self.entity.from_sql} where {where} order by {order}{limit}"
        rows = [plan.row(values) for values in self.conn.execute(sql, bound.params)]
        for collection in self.entity.tabular.values():
            self._attach(collection, rows)
        return rows

    def _order(self, bound: Compiled, orderby: str | None) -> str:
        terms: list[str] = []
        if orderby:
            compiler = SqlCompiler(self.entity, bound, self.tz_offset)
            for path, desc in parse_orderby(orderby):
                terms.append(f"{compiler.order_term(path)} {'desc' if desc else 'asc'}")
        if self.entity.order_sql:
            terms.append(self.entity.order_sql)
        return ", ".join(terms) or "1"

    def _attach(self, collection: Collection, rows: list[dict]) -> None:
        keys = [row["Ref_Key"] for row in rows]
        by_parent: dict[str, list[dict]] = {key: [] for key in keys}
        plan = _ColumnPlan(collection.props)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"select {collection.parent_sql}, {plan.columns} {collection.from_sql} "
                f"where {collection.parent_sql} in ({marks}) order by {collection.parent_sql}, {collection.order_sql}"
            )
            for parent, *values in self.conn.execute(sql, chunk):
                by_parent[parent].append(plan.row(values))
        for row in rows:
            row[collection.name] = by_parent[row["Ref_Key"]]

    # -- rendering ----------------------------------------------------------------------
    def render(self, row: dict, selection: list[str] | None, links: bool) -> dict[str, object]:
        """A raw row as the 1C JSON object (properties in metadata order)."""
        entity = self.entity
        out: dict[str, object] = {}
        plan = _selection_plan(entity, selection)
        url = entity_url(entity, row) if links and entity.nav_links else None
        for name, prop in entity.props.items():
            if plan is not None and name not in plan:
                continue
            out[name] = render_value(row[name], prop.edm, self.tz)
            if url and prop.nav and name.endswith("_Key"):
                nav = name[: -len("_Key")]
                out[f"{nav}@navigationLinkUrl"] = f"{url}/{nav}"
        for collection in entity.tabular.values():
            if plan is not None and collection.name not in plan:
                continue
            fields = plan.get(collection.name) if plan is not None else None
            out[collection.name] = [
                {
                    name: render_value(line[name], prop.edm, self.tz)
                    for name, prop in collection.props.items()
                    if not fields or name in fields
                }
                for line in row[collection.name]
            ]
        return out


_JSON_FIELD = re.compile(r"^coalesce\(onec_field\((\w+)\.fields, '([^']+)'\), (.*)\)$", re.DOTALL)


class _ColumnPlan:
    """SELECT list for a property map; attributes kept in a ``fields`` JSON are read in Python.

    Selecting the JSON once per row and picking attributes here avoids one SQLite->Python
    callback per attribute and row (filters still use the ``onec_field`` SQL function).
    """

    def __init__(self, props: dict[str, Prop]) -> None:
        self.names = list(props)
        self.json_fields: dict[str, tuple[int, str]] = {}
        aliases: list[str] = []
        columns: list[str] = []
        for name, prop in props.items():
            match = _JSON_FIELD.match(prop.sql)
            if match:
                alias, field, default = match.groups()
                if alias not in aliases:
                    aliases.append(alias)
                self.json_fields[name] = (aliases.index(alias), field)
                columns.append(default)
            else:
                columns.append(prop.sql)
        self.width = len(columns)
        columns += [f"{alias}.fields" for alias in aliases]
        self.columns = ", ".join(columns)

    def row(self, values: tuple) -> dict:
        """Property name -> value, with JSON-backed attributes overriding their defaults."""
        out = dict(zip(self.names, values[: self.width], strict=True))
        if self.json_fields:
            blobs = [_parsed(text or "{}") for text in values[self.width :]]
            for name, (index, field) in self.json_fields.items():
                value = blobs[index].get(field)
                if value is not None:
                    out[name] = int(value) if isinstance(value, bool) else value
        return out


def _selection_plan(entity: EntitySet, selection: list[str] | None) -> dict[str, set[str]] | None:
    """None = everything; else property -> sub-fields (empty set = whole value)."""
    if not selection or "*" in selection:
        return None
    plan: dict[str, set[str]] = {}
    if "**" in selection:
        plan = {name: set() for name in entity.props}
    for item in selection:
        if item == "**":
            continue
        head, _, tail = item.partition("/")
        if head in entity.tabular and tail and "**" not in selection:
            if tail not in entity.tabular[head].props and tail != "*":
                raise query_option_error(f"свойство '{item}' не найдено")
            plan.setdefault(head, set()).update(set() if tail == "*" else {tail})
        elif head in entity.props or head in entity.tabular:
            if "**" not in selection or head not in entity.tabular:
                plan.setdefault(head, set())
        else:
            raise query_option_error(f"свойство '{item}' не найдено у сущности {entity.name}")
    return plan


def selection(raw: str | None) -> list[str] | None:
    """Parse ``$select`` (None when absent)."""
    return parse_select(raw) if raw else None


def key_literal(entity: EntitySet, row: dict) -> str:
    """The key part of an entity URL: ``guid'…'`` or ``Name='…',…`` for composite keys."""
    if entity.key == ("Ref_Key",):
        return f"guid'{row['Ref_Key']}'"
    parts = []
    for name in entity.key:
        prop: Prop = entity.props[name]
        value = row[name]
        if prop.edm == GUID:
            parts.append(f"{name}=guid'{value or EMPTY_REF}'")
        elif prop.edm == INT64:
            parts.append(f"{name}={int(value)}")
        else:
            escaped = str(value).replace("'", "''")
            parts.append(f"{name}='{escaped}'")
    return ",".join(parts)


def entity_url(entity: EntitySet, row: dict) -> str:
    """Relative canonical URL of one entity, e.g. ``Catalog_Склады(guid'…')``."""
    return f"{entity.name}({key_literal(entity, row)})"
