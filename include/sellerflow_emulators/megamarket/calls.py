"""What every Megamarket handler receives, plus the small request-validation helpers they share."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sellerflow_emulators.runtime import EmulatorState, Fault


@dataclass
class Call:
    """One authenticated merchant API request."""

    state: EmulatorState
    conn: sqlite3.Connection
    account: sqlite3.Row
    data: dict[str, Any]  # the request's ``data`` object (token included)
    path: str
    now: datetime
    fault: Fault | None


class Invalid(Exception):
    """A request the API refuses as a whole (rendered as a VALIDATION_ERROR or LIMIT_EXCEEDED)."""

    def __init__(self, description: str, code: str = "VALIDATION_ERROR") -> None:
        super().__init__(description)
        self.description = description
        self.code = code


def as_int(value: Any, field: str) -> int:
    """An integer field that clients send either as a number or as a digit string."""
    if isinstance(value, bool):
        raise Invalid(f"Поле {field} должно быть целым числом")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise Invalid(f"Поле {field} должно быть целым числом")


def object_list(data: dict[str, Any], field: str, maximum: int) -> list[dict[str, Any]]:
    """A required, non-empty list of objects no longer than the method's maximum."""
    value = data.get(field)
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise Invalid(f"Поле {field} должно быть непустым списком объектов")
    if len(value) > maximum:
        raise Invalid(f"В поле {field} не более {maximum} элементов", code="LIMIT_EXCEEDED")
    return value
