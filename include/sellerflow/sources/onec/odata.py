"""Safe OData v3 query text for 1C: literals, ``$filter`` expressions, virtual-table arguments, URLs.

Literal forms per 1C:Enterprise 8.3.27 Developer Guide §17.4.7 (shared docs C4): ``guid'…'``,
``datetime'YYYY-MM-DDTHH:MM:SS'`` in the **server's local time** (1C keeps dates without an offset),
strings in single quotes with ``'`` doubled, ``true``/``false``, plain numbers. Property paths are
checked against a strict pattern so that nothing but a name can reach the query text. Virtual-table
parameters (``Condition='…'``) are a string literal holding a filter, so the filter's own quotes are
doubled once more (the form 1C clients use, shared docs uncertainty 12).

Query strings are percent-encoded by hand (spaces as ``%20``, never ``+``): 1C's web extensions do not
all read ``+`` as a space inside ``$filter``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import quote

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
_PATH = re.compile(r"^[^\W\d]\w*(?:/[^\W\d]\w*)*$")
_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
# Characters kept as they are in a query value; everything else (spaces, quotes, Cyrillic) is escaped.
_SAFE_QUERY = "$(),=:/*"
_SAFE_PATH = "/()',=:*$"


@dataclass(frozen=True)
class Guid:
    """A reference or UUID value: rendered as ``guid'…'``."""

    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", str(uuid.UUID(str(self.value))))


@dataclass(frozen=True)
class Filter:
    """A rendered ``$filter`` expression; combine with ``&``, ``|`` and ``~``."""

    text: str

    def __and__(self, other: Filter) -> Filter:
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        return or_(self, other)

    def __invert__(self) -> Filter:
        return Filter(f"not ({self.text})")

    def __str__(self) -> str:
        return self.text


def path(name: str) -> str:
    """A property path (``Date``, ``Контрагент/ИНН``) after checking it is only names."""
    if not isinstance(name, str) or not _PATH.fullmatch(name):
        raise ValueError(f"{name!r} is not an OData property path")
    return name


def string_literal(value: str) -> str:
    """``'…'`` with single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def datetime_literal(moment: datetime, tz: tzinfo | None) -> str:
    """``datetime'…'`` in the server's local time; a naive ``moment`` is taken as already local."""
    if moment.tzinfo is not None and tz is None:
        raise ValueError("an aware datetime needs the server's time zone to become a 1C literal")
    local = moment.astimezone(tz) if moment.tzinfo is not None else moment
    return f"datetime'{local.strftime('%Y-%m-%dT%H:%M:%S')}'"


def literal(value: object, tz: tzinfo | None = None) -> str:
    """The OData literal of a Python value (``Guid``, ``datetime`` (needs ``tz``), str, bool, int, float)."""
    if isinstance(value, Guid):
        return f"guid'{value.value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return datetime_literal(value, tz)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(f"no OData literal for {type(value).__name__}")


def compare(name: str, operator: str, value: object, tz: tzinfo | None = None) -> Filter:
    """``<path> <op> <literal>``."""
    if operator not in _OPERATORS:
        raise ValueError(f"operator must be one of {_OPERATORS}")
    return Filter(f"{path(name)} {operator} {literal(value, tz)}")


def eq(name: str, value: object, tz: tzinfo | None = None) -> Filter:
    """``<path> eq <literal>``."""
    return compare(name, "eq", value, tz)


def ge(name: str, value: object, tz: tzinfo | None = None) -> Filter:
    """``<path> ge <literal>``."""
    return compare(name, "ge", value, tz)


def lt(name: str, value: object, tz: tzinfo | None = None) -> Filter:
    """``<path> lt <literal>``."""
    return compare(name, "lt", value, tz)


def and_(*parts: Filter) -> Filter:
    """All parts, parenthesised."""
    if not parts:
        raise ValueError("and_ needs at least one filter")
    return parts[0] if len(parts) == 1 else Filter(" and ".join(f"({p.text})" for p in parts))


def or_(*parts: Filter) -> Filter:
    """Any part, parenthesised."""
    if not parts:
        raise ValueError("or_ needs at least one filter")
    return parts[0] if len(parts) == 1 else Filter(" or ".join(f"({p.text})" for p in parts))


def any_of(name: str, refs: Iterable[str]) -> Filter:
    """``name eq guid'a' or name eq guid'b' …`` (1C's OData has no ``in``)."""
    return or_(*(eq(name, Guid(ref)) for ref in refs))


def select(names: Iterable[str]) -> str:
    """A ``$select`` value."""
    return ",".join(path(n) for n in names)


def orderby(names: Iterable[str]) -> str:
    """A ``$orderby`` value (ascending)."""
    return ",".join(f"{path(n)} asc" for n in names)


def function_args(args: Mapping[str, str]) -> str:
    """``Name=value,…`` for a virtual-table call; values must already be literals."""
    return ",".join(f"{path(name)}={value}" for name, value in args.items())


def condition(value: Filter) -> str:
    """The ``Condition`` parameter of a virtual table: the filter as a string literal."""
    return string_literal(value.text)


def query_string(params: Mapping[str, str]) -> str:
    """``$filter=…&$top=…`` percent-encoded with ``%20`` for spaces."""
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE_QUERY)}" for k, v in params.items())


def resource_path(resource: str) -> str:
    """A resource path (``Catalog_Номенклатура``, ``…/Balance(Condition='…')``) percent-encoded for the URL."""
    return quote(resource, safe=_SAFE_PATH)
