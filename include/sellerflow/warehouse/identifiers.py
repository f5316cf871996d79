"""Validated table names for the per-(source, entity) raw and quarantine tables."""

from __future__ import annotations

import re

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Postgres silently truncates identifiers to NAMEDATALEN - 1 bytes; two long names could then collide.
_MAX_IDENTIFIER = 63


def table_name(source: str, entity: str) -> str:
    """Return ``<source>_<entity>`` after checking both parts; raises ``ValueError`` on a bad name."""
    for label, value in (("source", source), ("entity", entity)):
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise ValueError(f"{label} name {value!r} must match {_NAME.pattern}")
    name = f"{source}_{entity}"
    if len(name) > _MAX_IDENTIFIER:
        raise ValueError(f"table name {name!r} is longer than {_MAX_IDENTIFIER} characters")
    return name
