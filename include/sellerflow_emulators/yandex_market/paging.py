"""Cursor pagination (``page_token``/``pageToken`` + ``limit`` → ``paging.nextPageToken``).

Docs: concepts/pagination; spec parameter ``pageToken`` (``x-aliases: [pageToken, page_token]``).
``limit`` marked ``x-transform: truncateLimit`` is cut down to its maximum, any other ``limit``
above its maximum is refused with 400 "Limit exceeded" (concepts/error-codes, 400). The token is
opaque to clients; here it is the base64 of the next offset. Faults ``duplicate_page`` and
``shifted_page`` move the offset the server actually reads.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from fastapi import Request

from sellerflow_emulators.runtime import Fault
from sellerflow_emulators.yandex_market.errors import bad_request


@dataclass(frozen=True)
class Page:
    """Offset and size of the page to serve."""

    offset: int
    limit: int

    def next_token(self, served: int, total_more: bool) -> str | None:
        """Token for the page after this one, or None on the last page."""
        return encode_token(self.offset + served) if total_more else None


def encode_token(offset: int) -> str:
    """Opaque page token for an offset."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    """Offset inside a page token; 400 when it was not issued by us."""
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["o"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise bad_request(f"Invalid page token: '{token}'") from exc
    if offset < 0:
        raise bad_request(f"Invalid page token: '{token}'")
    return offset


def parse_int(request: Request, name: str) -> int | None:
    """Integer query parameter or None; 400 in YM's words when it is not a number."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f"Invalid value of parameter '{name}': '{raw}'") from exc


def page_from_request(request: Request, default: int, maximum: int, truncate: bool) -> Page:
    """Read ``page_token``/``pageToken`` and ``limit`` from the query string."""
    limit = parse_int(request, "limit")
    if limit is None:
        limit = default
    if limit < 1:
        raise bad_request(f"Value of field (limit) must be greater than or equal to 1: {limit}")
    if limit > maximum:
        if not truncate:
            raise bad_request("Limit exceeded")
        limit = maximum
    token = request.query_params.get("page_token") or request.query_params.get("pageToken")
    offset = decode_token(token) if token else 0
    return apply_page_fault(Page(offset, limit), getattr(request.state, "ym_fault", None))


def apply_page_fault(page: Page, fault: Fault | None) -> Page:
    """Serve the previous page again, or a page shifted by ``fault.shift`` records."""
    if fault is None:
        return page
    if fault.kind == "duplicate_page" and page.offset > 0:
        return Page(max(page.offset - page.limit, 0), page.limit)
    if fault.kind == "shifted_page":
        return Page(max(page.offset + (fault.shift or 1), 0), page.limit)
    return page
