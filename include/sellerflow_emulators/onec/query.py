"""Entity-set descriptions and the compiler from OData query options to SQLite.

Every entity set the emulator serves is a :class:`EntitySet`: a FROM clause over the
canonical tables, a WHERE clause that scopes it to one infobase (and the simulated
clock), and an ordered map of OData properties to SQL expressions with their EDM types.
The same map renders rows, compiles ``$filter``/``Condition`` and ``$orderby``, so a
list page is always one indexed ``SELECT … LIMIT … OFFSET …`` (plus one query for the
page's tabular-section rows), never a scan of the world in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sellerflow_emulators.onec.errors import FUNCTION_ERROR, ODataError, query_option_error
from sellerflow_emulators.onec.ids import from_local
from sellerflow_emulators.onec.odata_filter import BinOp, Call, Lambda, Literal, Neg, Node, Not, Path

GUID = "Edm.Guid"
STRING = "Edm.String"
DATETIME = "Edm.DateTime"
BOOLEAN = "Edm.Boolean"
DOUBLE = "Edm.Double"
INT64 = "Edm.Int64"
INT32 = "Edm.Int32"


@dataclass(frozen=True)
class Prop:
    """One OData property: its SQL expression, EDM type and (for refs) navigation target."""

    sql: str
    edm: str
    nav: str | None = None  # for X_Key: the entity set the navigation property X points to
    type_sql: str | None = None  # for composite-type attributes: SQL of the X_Type value


@dataclass(frozen=True)
class Collection:
    """A tabular section (e.g. ``Товары``) rendered inline and usable in any()/all()."""

    name: str
    row_type: str  # e.g. Document_ЗаказКлиента_Товары
    from_sql: str  # FROM/JOIN clause; the row alias is ``l``
    parent_sql: str  # SQL of the parent key column in the row alias (``l.doc_ref``)
    outer_key_sql: str  # SQL of the parent's key in the outer query (``d.ref_key``)
    props: dict[str, Prop]
    order_sql: str = "l.line_no"


@dataclass(frozen=True)
class EntitySet:
    """One entity set of the standard OData interface."""

    name: str
    from_sql: str
    where_sql: str
    props: dict[str, Prop]
    key: tuple[str, ...] = ("Ref_Key",)
    order_sql: str = ""
    tabular: dict[str, Collection] = field(default_factory=dict)
    doc_type: str | None = None
    read_only: bool = True
    nav_links: bool = True  # virtual-table rows have no canonical URL to link from

    def prop(self, name: str) -> Prop:
        """The property called ``name``; code 14 if the set has none."""
        try:
            return self.props[name]
        except KeyError:
            raise query_option_error(f"свойство '{name}' не найдено у сущности {self.name}") from None


@dataclass
class Compiled:
    """Bound SQL fragments and their named parameters."""

    params: dict[str, object] = field(default_factory=dict)

    def bind(self, value: object) -> str:
        """Register a parameter and return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


class SqlCompiler:
    """Compiles a filter AST against an entity set into a SQL boolean expression."""

    def __init__(self, entity: EntitySet, bound: Compiled, tz_offset_minutes: int) -> None:
        self.entity = entity
        self.bound = bound
        self.tz_offset = tz_offset_minutes
        self.scopes: list[tuple[str, Collection]] = []

    # -- entry points -----------------------------------------------------------------
    def predicate(self, node: Node) -> str:
        """SQL that is true for rows matching the filter."""
        sql, edm = self.expr(node)
        return f"({sql})" if edm == BOOLEAN else f"(({sql}) <> 0)"

    def order_term(self, path: str) -> str:
        """SQL expression to sort by a property path."""
        return self.resolve(tuple(path.split("/"))).sql

    # -- resolution ---------------------------------------------------------------------
    def resolve(self, parts: tuple[str, ...]) -> Prop:
        for var, collection in reversed(self.scopes):
            if parts[0] == var:
                if len(parts) != 2 or parts[1] not in collection.props:
                    raise query_option_error(f"свойство '{'/'.join(parts)}' не найдено")
                return collection.props[parts[1]]
        if len(parts) != 1:
            raise query_option_error(f"навигация '{'/'.join(parts)}' не поддерживается эмулятором")
        return self.entity.prop(parts[0])

    # -- expressions --------------------------------------------------------------------
    def expr(self, node: Node, hint: Prop | None = None) -> tuple[str, str]:
        if isinstance(node, Literal):
            return self.literal(node, hint)
        if isinstance(node, Path):
            prop = self.resolve(node.parts)
            return prop.sql, prop.edm
        if isinstance(node, Not):
            return f"not {self.predicate(node.operand)}", BOOLEAN
        if isinstance(node, Neg):
            sql, edm = self.expr(node.operand)
            return f"(-({sql}))", edm
        if isinstance(node, BinOp):
            return self.binop(node)
        if isinstance(node, Call):
            return self.call(node)
        return self.lambda_(node)

    def literal(self, node: Literal, hint: Prop | None) -> tuple[str, str]:
        edm = hint.edm if hint else None
        value = node.value
        if node.kind == "null":
            return "null", edm or STRING
        if node.kind == "bool":
            return ("1" if value else "0"), BOOLEAN
        if node.kind == "datetime" or (edm == DATETIME and node.kind == "string"):
            try:
                return self.bound.bind(from_local(str(value))), DATETIME
            except ValueError:
                raise query_option_error(f"неверное значение даты '{value}'") from None
        if node.kind == "guid":
            return self.bound.bind(str(value).lower()), GUID
        if node.kind == "number":
            return self.bound.bind(value), DOUBLE if isinstance(value, float) else INT64
        return self.bound.bind(value), STRING

    def binop(self, node: BinOp) -> tuple[str, str]:
        if node.op in ("and", "or"):
            return f"({self.predicate(node.left)} {node.op} {self.predicate(node.right)})", BOOLEAN
        if node.op in ("eq", "ne", "gt", "ge", "lt", "le"):
            return self.comparison(node), BOOLEAN
        left, ledm = self.expr(node.left)
        right, _ = self.expr(node.right)
        if node.op == "div":
            return f"(cast({left} as real) / nullif({right}, 0))", DOUBLE
        sql_op = {"add": "+", "sub": "-", "mul": "*", "mod": "%"}[node.op]
        return f"({left} {sql_op} {right})", ledm

    def comparison(self, node: BinOp) -> str:
        left_prop = self._prop_of(node.left)
        right_prop = self._prop_of(node.right)
        left, _ = self.expr(node.left, right_prop)
        right, _ = self.expr(node.right, left_prop)
        null_check = self._null_comparison(node, left, right)
        if null_check:
            return null_check
        sql_op = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[node.op]
        condition = f"{left} {sql_op} {right}"
        # Composite attribute vs cast(guid'…', 'Document_X'): the type must match too.
        for prop, other in ((left_prop, node.right), (right_prop, node.left)):
            if prop is not None and prop.type_sql and isinstance(other, Literal) and other.cast_type:
                type_value = self.bound.bind(f"StandardODATA.{other.cast_type}")
                joiner = "and" if node.op == "eq" else "or"
                type_op = "=" if node.op == "eq" else "<>"
                condition = f"({condition} {joiner} {prop.type_sql} {type_op} {type_value})"
        return f"({condition})"

    def _null_comparison(self, node: BinOp, left: str, right: str) -> str | None:
        if node.op not in ("eq", "ne"):
            return None
        suffix = "is null" if node.op == "eq" else "is not null"
        if right == "null":
            return f"({left} {suffix})"
        if left == "null":
            return f"({right} {suffix})"
        return None

    def _prop_of(self, node: Node) -> Prop | None:
        if isinstance(node, Path):
            return self.resolve(node.parts)
        return None

    def call(self, node: Call) -> tuple[str, str]:
        name, args = node.name, node.args
        if name == "cast":
            sql, edm = self.expr(args[0])
            return sql, edm
        compiled = [self.expr(arg)[0] for arg in args]
        if name == "substringof":
            return f"(instr({compiled[1]}, {compiled[0]}) > 0)", BOOLEAN
        if name == "startswith":
            return f"(substr({compiled[0]}, 1, length({compiled[1]})) = {compiled[1]})", BOOLEAN
        if name == "endswith":
            return (
                f"(length({compiled[1]}) = 0 or substr({compiled[0]}, -length({compiled[1]})) = {compiled[1]})",
                BOOLEAN,
            )
        if name == "like":
            return self.like(compiled[0], args[1])
        if name == "concat":
            return f"({compiled[0]} || {compiled[1]})", STRING
        if name == "substring":
            length = f", {compiled[2]}" if len(compiled) == 3 else ""
            return f"substr({compiled[0]}, {compiled[1]}{length})", STRING
        if name == "round":
            return f"round({compiled[0]})", DOUBLE
        return self.date_part(name, compiled[0])

    def like(self, subject: str, template: Node) -> tuple[str, str]:
        """1C ПОДОБНО (``%``, ``_``, ``[...]``) mapped onto SQLite GLOB."""
        if not (isinstance(template, Literal) and template.kind == "string"):
            raise ODataError(501, FUNCTION_ERROR, "Шаблон like() должен быть строковым литералом")
        pattern = ""
        for char in str(template.value):
            pattern += {"%": "*", "_": "?", "*": "[*]", "?": "[?]"}.get(char, char)
        return f"({subject} glob {self.bound.bind(pattern)})", BOOLEAN

    def date_part(self, name: str, subject: str) -> tuple[str, str]:
        fmt = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S"}[name]
        shift = f"'{self.tz_offset:+d} minutes'"
        return f"cast(strftime('{fmt}', {subject}, {shift}) as integer)", INT32

    def lambda_(self, node: Lambda) -> tuple[str, str]:
        if len(node.collection) != 1 or node.collection[0] not in self.entity.tabular:
            raise ODataError(501, FUNCTION_ERROR, f"Коллекция '{'/'.join(node.collection)}' не найдена")
        collection = self.entity.tabular[node.collection[0]]
        link = f"{collection.parent_sql} = {collection.outer_key_sql}"
        if node.body is None or node.var is None:
            body = "1"
        else:
            self.scopes.append((node.var, collection))
            try:
                body = self.predicate(node.body)
            finally:
                self.scopes.pop()
        if node.kind == "any":
            return f"exists (select 1 {collection.from_sql} where {link} and {body})", BOOLEAN
        return f"not exists (select 1 {collection.from_sql} where {link} and not {body})", BOOLEAN
