"""Pagination as objects: each vendor method names its paginator instead of hand-rolling a loop.

A paginator turns "the page just read" into "what to send for the next one" (or ``None`` at the end):

- ``CursorPaginator``: an opaque cursor echoed back (Ozon ``cursor`` on the v4/v5 lists and ``last_id`` on
  ``/v3/product/list``, Yandex Market ``page_token`` → ``paging.nextPageToken``), ending on ``has_next:
  false``, an empty cursor or an empty page;
- ``OffsetPaginator``: ``offset`` += rows read, ending on a short page (Ozon v2 lists, WB prices, 1C);
- ``KeyPaginator``: the next request carries a field of the last row (WB ``rrdId``, statistics
  ``lastChangeDate``, marketplace ``next``), ending on an empty page.

``iter_pages`` drives one of them lazily, one page in memory at a time. A server that hands back the
cursor it was sent (a duplicated page) is asked again; only a cursor stuck for ``MAX_REPEATS`` pages in a
row is an error, so a transient repeat never ends a listing early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sellerflow.sources._http.errors import ServerError

MAX_REPEATS = 5


def dig(data: Any, path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; None when a step is missing."""
    for part in path.split(".") if path else ():
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class Paginator(Protocol):
    """The page-to-page state machine of one vendor method."""

    def first(self) -> dict[str, Any]:
        """Fields of the first request."""
        ...

    def items(self, data: Any) -> list[Any]:
        """Records of a page."""
        ...

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """Fields of the next request, or None after the last page."""
        ...


@dataclass(frozen=True)
class CursorPaginator:
    """Opaque cursor: ``request_field`` ← ``response_field``; optional ``has_next_field``."""

    items_field: str
    request_field: str = "cursor"
    response_field: str = "cursor"
    has_next_field: str | None = None

    def first(self) -> dict[str, Any]:
        """Start with an empty cursor."""
        return {self.request_field: ""}

    def items(self, data: Any) -> list[Any]:
        """Records under ``items_field``."""
        return list(dig(data, self.items_field) or [])

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """The echoed cursor unless the page says it was the last one."""
        cursor = dig(data, self.response_field)
        if self.has_next_field is not None and not dig(data, self.has_next_field):
            return None
        if not cursor or not items:
            return None
        return {self.request_field: cursor}


@dataclass(frozen=True)
class OffsetPaginator:
    """``offset``/``limit`` paging that ends on a short page."""

    items_field: str
    limit: int
    offset_field: str = "offset"

    def first(self) -> dict[str, Any]:
        """Offset 0."""
        return {self.offset_field: 0}

    def items(self, data: Any) -> list[Any]:
        """Records under ``items_field``."""
        return list(dig(data, self.items_field) or [])

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """Advance by the rows read."""
        if len(items) < self.limit:
            return None
        return {self.offset_field: int(sent[self.offset_field]) + len(items)}


@dataclass(frozen=True)
class KeyPaginator:
    """The next request carries ``row_field`` of the last row as ``request_field``."""

    items_field: str
    request_field: str
    row_field: str
    start: Any = 0

    def first(self) -> dict[str, Any]:
        """Start value (``rrdId: 0``)."""
        return {self.request_field: self.start}

    def items(self, data: Any) -> list[Any]:
        """Records (the page itself when ``items_field`` is empty)."""
        return list((dig(data, self.items_field) if self.items_field else data) or [])

    def next(self, data: Any, items: list[Any], sent: dict[str, Any]) -> dict[str, Any] | None:
        """The last row's key, or None on an empty page."""
        if not items:
            return None
        return {self.request_field: items[-1][self.row_field]}


def iter_pages(
    fetch: Callable[[dict[str, Any]], Any], paginator: Paginator
) -> Iterator[tuple[list[Any], Any]]:
    """Yield ``(records, raw page)`` per call of ``fetch(paging fields)`` until the paginator stops."""
    fields: dict[str, Any] | None = paginator.first()
    repeats = 0
    while fields is not None:
        data = fetch(fields)
        items = paginator.items(data)
        yield items, data
        following = paginator.next(data, items, fields)
        repeats = repeats + 1 if following is not None and following == fields else 0
        if repeats >= MAX_REPEATS:
            raise ServerError(f"pagination stuck: the same position was answered {repeats} times in a row")
        fields = following
