"""Shared plumbing of the Ozon emulator: request context, ids, money, cursors, validation, list faults."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sellerflow_emulators.faults import SCHEMA_DRIFT, drift_item
from sellerflow_emulators.ozon.errors import OzonError, bad_request
from sellerflow_emulators.runtime import Fault, format_ts

VENDOR = "ozon"
CURRENCY = "RUB"


@dataclass
class Ctx:
    """What a handler needs: the world connection, the cabinet (account row), the clock and the fault."""

    conn: sqlite3.Connection
    account: sqlite3.Row
    now: str  # simulated clock, canonical text form
    fault: Fault | None = None

    @property
    def account_id(self) -> str:
        """Canonical account id of the calling cabinet."""
        return str(self.account["id"])


def vendor_json(row: sqlite3.Row) -> dict[str, Any]:
    """The row's ``vendor`` JSON column as a dict (empty when absent or not an object)."""
    try:
        value = json.loads(row["vendor"] or "{}")
    except (ValueError, TypeError, IndexError, KeyError):
        return {}
    return value if isinstance(value, dict) else {}


def stable_int(text: str, digits: int = 9) -> int:
    """A deterministic positive integer of ``digits`` digits derived from ``text``."""
    raw = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    low = 10 ** (digits - 1)
    return low + raw % (9 * low)


def rub_text(kop: int) -> str:
    """Kopecks as Ozon's string amount: ``"4099"`` for whole roubles, ``"4099.5"`` otherwise."""
    sign = "-" if kop < 0 else ""
    rub, rest = divmod(abs(kop), 100)
    if rest == 0:
        return f"{sign}{rub}"
    return f"{sign}{rub}.{rest:02d}".rstrip("0")


def rub_num(kop: int) -> float:
    """Kopecks as a JSON number of roubles (prices in financial blocks and reports)."""
    return round(kop / 100, 2)


def money(kop: int) -> dict[str, str]:
    """``money.postingMoney``: ``{"amount": "4099", "currency": "RUB"}``."""
    return {"amount": rub_text(kop), "currency": CURRENCY}


def parse_time(value: Any, field: str) -> str:
    """An RFC3339 request timestamp as the canonical store text; 400 when it does not parse."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"invalid {field}: value is required")
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise bad_request(f"invalid {field}: bad Timestamp format") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_ts(moment)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object body of a request (an empty body counts as ``{}``)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("invalid character in request body") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str, message: str, default: int | None = None) -> int:
    """An integer field (numbers given as strings are accepted, as protobuf JSON does)."""
    value = body.get(name, default)
    if value is None:
        raise bad_request(f"invalid {message}: value is required")
    if isinstance(value, bool):
        raise bad_request(f"invalid {message}: value must be a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {message}: value must be a number") from None


def check_limit(body: dict[str, Any], message: str, low: int, high: int, default: int | None = None) -> int:
    """``limit`` within ``[low, high]`` or the pgv-style 400 Ozon sends, e.g.

    ``invalid PostingFboListRequest.Limit: value must be inside range (0, 100]`` (observed live [community]).
    """
    limit = int_field(body, "limit", f"{message}.Limit", default)
    if not low <= limit <= high:
        raise bad_request(f"invalid {message}.Limit: value must be inside range ({low - 1}, {high}]")
    return limit


def str_list(value: Any, message: str, max_items: int | None = None) -> list[str]:
    """A list of strings/ints from a filter (``None`` → empty), items rendered as text."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"invalid {message}: value must be an array")
    if max_items is not None and len(value) > max_items:
        raise bad_request(f"invalid {message}: value must contain no more than {max_items} item(s)")
    return [str(item) for item in value]


def encode_cursor(state: dict[str, Any]) -> str:
    """An opaque cursor, like Ozon's base64 JSON (``eyJ...``)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: Any, message: str) -> dict[str, Any]:
    """Inverse of :func:`encode_cursor`; empty cursor → ``{}``; garbage → 400."""
    if not cursor:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
    except ValueError:
        raise bad_request(f"invalid {message}.Cursor: bad cursor") from None
    if not isinstance(state, dict):
        raise bad_request(f"invalid {message}.Cursor: bad cursor")
    return state


def apply_schema_fault(items: Iterable[dict[str, Any]], fault: Fault | None, default_field: str) -> None:
    """Mutate list items in place for the schema drift faults (extra, renamed, missing, retyped field).

    An extra field is added with a null value; a renamed field keeps its value under a camelCase
    (or ``_v2``-suffixed) name, the way an unannounced API change would look.
    """
    if fault is None or fault.kind not in SCHEMA_DRIFT:
        return
    for item in items:
        if fault.kind in ("schema_missing_field", "schema_retyped_field"):
            drifted = drift_item(item, fault, default_field)
            item.clear()
            item.update(drifted)
            continue
        if fault.kind == "schema_extra_field":
            item[fault.field or "x_unannounced_field"] = None
            continue
        field = fault.field or default_field
        if field not in item:
            continue
        head, *rest = field.split("_")
        renamed = head + "".join(part.title() for part in rest) if rest else f"{field}_v2"
        item[renamed] = item.pop(field)


def require_ok(condition: bool, error: OzonError) -> None:
    """Raise ``error`` unless ``condition`` holds."""
    if not condition:
        raise error
