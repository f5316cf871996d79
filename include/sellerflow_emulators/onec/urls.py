"""Parsing the resource part of a 1C OData URL.

Forms (1C:Enterprise 8.3 Developer Guide §17.4.4, §17.4.8, §17.4.9, §17.4.13; shared docs
C4/C5 and uncertainty 12): ``Set``, ``Set/$count``, ``Set(guid'…')``,
``Set(Ref_Key=guid'…',LineNumber=1)``, ``Set(guid'…')/Post`` (also ``Post()``),
``Set/Balance(Period=datetime'…',Condition='…')``, ``Set/Balance()?Condition=…`` and
``Set/SliceLast?Condition=…``. Inside ``Condition='…'`` inner quotes may or may not be
doubled, so splitting only tracks quote parity and parenthesis depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sellerflow_emulators.onec.errors import BAD_URL, ODataError

_NAME = re.compile(r"[^\W\d][\w]*|\$\w+")


@dataclass
class Segment:
    """One path segment: a name and its parenthesised arguments (None when absent)."""

    name: str
    args: str | None = None


@dataclass
class Resource:
    """The parsed resource path after ``/odata/standard.odata/``."""

    segments: list[Segment] = field(default_factory=list)


def _bad(path: str) -> ODataError:
    return ODataError(400, BAD_URL, f"Неверный URL: {path}")


def parse_resource(path: str) -> Resource:
    """Split ``Set(args)/Func(args)/…`` honouring quotes and parentheses."""
    resource = Resource()
    i = 0
    while i < len(path):
        match = _NAME.match(path, i)
        if match is None:
            raise _bad(path)
        segment = Segment(match.group())
        i = match.end()
        if i < len(path) and path[i] == "(":
            end = _closing_paren(path, i)
            if end < 0:
                raise _bad(path)
            segment.args = path[i + 1 : end]
            i = end + 1
        resource.segments.append(segment)
        if i < len(path):
            if path[i] != "/":
                raise _bad(path)
            i += 1
    return resource


def _closing_paren(text: str, start: int) -> int:
    depth, quoted = 0, False
    for j in range(start, len(text)):
        char = text[j]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return j
    # Non-doubled inner quotes can leave parity odd; fall back to the last parenthesis.
    last = text.rfind(")")
    return last if last > start else -1


def split_args(text: str) -> list[str]:
    """Split ``a=1,b='x,y'`` at top-level commas."""
    parts: list[str] = []
    depth, quoted, current = 0, False, []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif char == "," and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def named_args(text: str | None) -> dict[str, str]:
    """``Name=value`` pairs of a function call (values kept as literal text)."""
    args: dict[str, str] = {}
    for part in split_args(text or ""):
        name, sep, value = part.partition("=")
        if not sep:
            raise ODataError(400, BAD_URL, f"Неверный аргумент функции: {part}")
        args[name.strip()] = value.strip()
    return args


_GUID = re.compile(r"guid'([0-9a-fA-F-]{36})'")


def literal_value(text: str) -> object:
    """A key literal: ``guid'…'`` -> lower-case GUID, ``'…'`` -> string, digits -> int."""
    text = text.strip()
    match = _GUID.fullmatch(text)
    if match:
        return match.group(1).lower()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    if text.lstrip("-").isdigit():
        return int(text)
    datetime_match = re.fullmatch(r"datetime'([^']*)'", text)
    if datetime_match:
        return datetime_match.group(1)
    raise ODataError(400, BAD_URL, f"Неверное значение ключа: {text}")
