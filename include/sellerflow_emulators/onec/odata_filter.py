"""Parser for the OData v3 ``$filter`` subset that 1C's standard interface accepts.

Grammar and operator precedence follow 1C:Enterprise 8.3 Developer Guide §17.4.5.2
(«$filter»): ``eq ne gt ge lt le and or not``, ``add sub mul div``, parentheses,
navigation ``/``, literals ``'text'`` (a quote inside is doubled: ``'O''Neil'``),
``guid'…'``, ``datetime'…'``, numbers, ``true``/``false``/``null``, functions
(``substringof startswith endswith like concat substring year month day hour minute
second round cast``) and lambdas ``Товары/any(d: d/Цена gt 10)`` / ``all``.
Functions the guide lists as unsupported (``length indexof replace tolower toupper trim
floor ceiling …``) are rejected with code 21.

The result is a small AST; :mod:`.query` compiles it to SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sellerflow_emulators.onec.errors import FUNCTION_ERROR, ODataError, query_option_error


@dataclass(frozen=True)
class Literal:
    """A constant: kind is 'string', 'guid', 'datetime', 'number', 'bool' or 'null'."""

    kind: str
    value: object
    cast_type: str | None = None  # set by cast(guid'…', 'Document_X')


@dataclass(frozen=True)
class Path:
    """A property path, e.g. ('Контрагент_Key',) or ('d', 'Цена') inside a lambda."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class BinOp:
    """Binary operator (comparison, logical or arithmetic)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """Logical negation."""

    operand: Node


@dataclass(frozen=True)
class Neg:
    """Arithmetic negation."""

    operand: Node


@dataclass(frozen=True)
class Call:
    """A function call."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Lambda:
    """``collection/any(var: body)`` or ``collection/all(var: body)``."""

    kind: str
    collection: tuple[str, ...]
    var: str | None
    body: Node | None


Node = Literal | Path | BinOp | Not | Neg | Call | Lambda

SUPPORTED_FUNCTIONS = {
    "substringof": 2,
    "startswith": 2,
    "endswith": 2,
    "like": 2,
    "concat": 2,
    "substring": (2, 3),
    "year": 1,
    "month": 1,
    "day": 1,
    "hour": 1,
    "minute": 1,
    "second": 1,
    "round": 1,
    "cast": 2,
}
UNSUPPORTED_FUNCTIONS = {
    "length",
    "lenght",
    "indexof",
    "replace",
    "tolower",
    "toupper",
    "trim",
    "years",
    "days",
    "hours",
    "seconds",
    "floor",
    "ceiling",
}
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<typed>(?:guid|datetime|datetimeoffset|time)'[^']*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<ident>[^\W\d][\w]*)
  | (?P<punct>[(),/:\-*])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One lexical token."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split a filter expression into tokens; raise code 14 on a stray character."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise query_option_error(f"недопустимый символ '{text[pos]}' в позиции {pos + 1}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise query_option_error("неожиданный конец выражения")
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise query_option_error(f"ожидается '{text}', найдено '{token.text}' в позиции {token.pos + 1}")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "ident" and token.text.lower() in words:
            self.i += 1
            return token.text.lower()
        return None

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            token = self.take()
            raise query_option_error(f"лишний фрагмент '{token.text}' в позиции {token.pos + 1}")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = BinOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.cmp_expr()
        while self.keyword("and"):
            node = BinOp("and", node, self.cmp_expr())
        return node

    def cmp_expr(self) -> Node:
        node = self.add_expr()
        op = self.keyword(*COMPARISONS)
        if op:
            node = BinOp(op, node, self.add_expr())
        return node

    def add_expr(self) -> Node:
        node = self.mul_expr()
        while op := self.keyword("add", "sub"):
            node = BinOp(op, node, self.mul_expr())
        return node

    def mul_expr(self) -> Node:
        node = self.unary()
        while op := self.keyword("mul", "div", "mod"):
            node = BinOp(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            return Not(self.unary())
        token = self.peek()
        if token is not None and token.text == "-":
            self.take()
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if token.kind == "string":
            return Literal("string", token.text[1:-1].replace("''", "'"))
        if token.kind == "typed":
            return _typed_literal(token)
        if token.kind == "number":
            digits = token.text.rstrip("mMdDfFlL")
            return Literal("number", float(digits) if "." in digits or "e" in digits.lower() else int(digits))
        if token.kind == "ident":
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return Literal("bool", lowered == "true")
            if lowered == "null":
                return Literal("null", None)
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                return self.call(token)
            return self.path(token)
        raise query_option_error(f"неожиданный фрагмент '{token.text}' в позиции {token.pos + 1}")

    def call(self, name_token: Token) -> Node:
        name = name_token.text.lower()
        if name in UNSUPPORTED_FUNCTIONS or name not in SUPPORTED_FUNCTIONS:
            raise ODataError(501, FUNCTION_ERROR, f"Вызов нереализованной функции: {name_token.text}")
        self.expect("(")
        args: list[Node] = []
        if self.peek() is not None and self.peek().text != ")":  # type: ignore[union-attr]
            args.append(self.or_expr())
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                args.append(self.or_expr())
        self.expect(")")
        arity = SUPPORTED_FUNCTIONS[name]
        allowed = arity if isinstance(arity, tuple) else (arity,)
        if len(args) not in allowed:
            raise ODataError(501, FUNCTION_ERROR, f"Неверное количество аргументов функции {name_token.text}")
        if name == "cast":
            return _cast(args)
        return Call(name, tuple(args))

    def path(self, first: Token) -> Node:
        parts = [first.text]
        while self.peek() is not None and self.peek().text == "/":  # type: ignore[union-attr]
            self.take()
            segment = self.take()
            if segment.kind != "ident":
                raise query_option_error(f"ожидается имя свойства в позиции {segment.pos + 1}")
            nxt = self.peek()
            if segment.text in ("any", "all") and nxt is not None and nxt.text == "(":
                return self.lambda_(segment.text, tuple(parts))
            parts.append(segment.text)
        return Path(tuple(parts))

    def lambda_(self, kind: str, collection: tuple[str, ...]) -> Node:
        self.expect("(")
        nxt = self.peek()
        if nxt is not None and nxt.text == ")":
            self.take()
            return Lambda(kind, collection, None, None)
        var = self.take()
        if var.kind != "ident":
            raise ODataError(501, FUNCTION_ERROR, "Указание нереализованной лямбда-функции")
        self.expect(":")
        body = self.or_expr()
        self.expect(")")
        return Lambda(kind, collection, var.text, body)


def _typed_literal(token: Token) -> Literal:
    prefix, _, rest = token.text.partition("'")
    value = rest[:-1]
    prefix = prefix.lower()
    if prefix == "guid":
        if not re.fullmatch(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", value
        ):
            raise query_option_error(f"неверный литерал {token.text}")
        return Literal("guid", value.lower())
    if prefix in ("datetime", "datetimeoffset"):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", value):
            raise query_option_error(f"неверный литерал {token.text}")
        return Literal("datetime", value)
    raise ODataError(501, FUNCTION_ERROR, f"Литерал {prefix} не поддерживается")


def _cast(args: list[Node]) -> Node:
    target, type_name = args
    if not (isinstance(type_name, Literal) and type_name.kind == "string"):
        raise ODataError(501, FUNCTION_ERROR, "Попытка передачи аргумента неверного типа в cast")
    if isinstance(target, Literal) and target.kind == "guid":
        return Literal("guid", target.value, cast_type=str(type_name.value))
    return Call("cast", (target, type_name))


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` (or ``Condition``) expression into an AST."""
    if not text.strip():
        raise query_option_error("пустое выражение отбора")
    return _Parser(text).parse()


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """``$orderby`` -> [(property path, descending)]."""
    items: list[tuple[str, bool]] = []
    for chunk in text.split(","):
        words = chunk.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise query_option_error(f"неверное выражение упорядочивания '{chunk.strip()}'")
        items.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return items


def parse_select(text: str) -> list[str]:
    """``$select`` -> list of property names/paths (``*``, ``**`` and ``Товары/Поле`` kept)."""
    names = [part.strip() for part in text.split(",")]
    if any(not name for name in names):
        raise query_option_error("пустое имя свойства в $select")
    return names
