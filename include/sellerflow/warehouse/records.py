"""Turn loader input records into COPY lines for the stage table, or into quarantine entries with a reason.

Canonical JSON (what ``payload_hash`` is the sha256 of) is msgspec's encoding with ``order="sorted"``: keys sorted,
no whitespace, UTF-8 text (no ``\\uXXXX`` for non-ASCII). For JSON-decoded input it is byte-identical to
``json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` except for float exponents
(``1e-7`` instead of ``1e-07``), and it is about five times faster, which is what lets the loader keep up with
COPY. Changing this encoding would change every hash and add one spurious version per key, so it is fixed.

Python values that JSON has no form for are encoded the msgspec way rather than quarantined: NaN and ±Infinity
become ``null`` (jsonb cannot hold them either), ``datetime`` an RFC 3339 string, ``Decimal`` a string, tuples
and sets arrays. Records parsed from vendor JSON never contain them.

A record's ``context`` (what the pipeline knows about it that the vendor did not send: the 1C base, the
seller's organization, the snapshot time) is encoded the same way into its own column and is not hashed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import msgspec

KeySpec = str | Callable[[dict[str, Any]], object]
Validator = Callable[[dict[str, Any]], str | None]
ContextSpec = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any] | None] | None

_encode = msgspec.json.Encoder(order="sorted").encode
_ENCODE_ERRORS = (msgspec.MsgspecError, TypeError, ValueError, RecursionError, OverflowError)
# jsonb cannot hold U+0000, which JSON writes as \u0000. A preceding even run of backslashes means the text is
# a literal backslash followed by "u0000", which is harmless.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_COPY_NULL = b"\\N"


def canonical_json(record: object) -> bytes:
    """The canonical JSON bytes of ``record`` (sorted keys, compact, UTF-8); raises on unencodable input."""
    return _encode(record)


def payload_hash(record: object) -> bytes:
    """sha256 of the canonical JSON: the value stored in ``payload_hash``."""
    return hashlib.sha256(_encode(record)).digest()


@dataclass(frozen=True)
class Rejected:
    """A record bound for quarantine."""

    reason: str
    natural_key: str | None
    payload_json: str | None  # JSON text when the record is representable as jsonb
    payload_text: str | None  # otherwise a readable text form
    context: str | None = None  # the record's context as JSON text, when there is a usable one


def key_getter(key: KeySpec) -> tuple[Callable[[dict[str, Any]], object], str]:
    """A function reading the natural key from a record, and a label for quarantine reasons."""
    if callable(key):
        return key, f"key function {getattr(key, '__name__', repr(key))}"
    if not isinstance(key, str) or not key:
        raise TypeError("key must be a field path such as 'posting_number' or 'result.id', or a callable")
    parts = key.split(".")

    def get(record: dict[str, Any]) -> object:
        value: Any = record
        for part in parts:
            value = value[part]
        return value

    return get, f"key field {key!r}"


def natural_key(getter: Callable[[dict[str, Any]], object], label: str, record: dict[str, Any]) -> str:
    """The record's key as text; raises ``ValueError`` carrying the quarantine reason when it has none."""
    try:
        value = getter(record)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"missing {label}") from exc
    except Exception as exc:
        raise ValueError(f"{label} failed: {type(exc).__name__}") from exc
    if value is None:
        raise ValueError(f"{label} is null")
    # bool is an int subclass but never a real id; floats would key 1.0 and 1 differently.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{label} has unsupported type {type(value).__name__}")
    text = value if isinstance(value, str) else str(value)
    if not text.strip():
        raise ValueError(f"{label} is empty")
    if "\x00" in text:
        raise ValueError(f"{label} contains U+0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{label} is not valid Unicode") from exc
    return text


def reject(reason: str, record: object, key: str | None = None) -> Rejected:
    """A quarantine entry: the record as jsonb text when possible, else as readable text."""
    try:
        data = _encode(record)
    except _ENCODE_ERRORS:
        pass
    else:
        if not _NUL_ESCAPE.search(data):
            return Rejected(reason, key, data.decode("utf-8"), None)
    try:
        text = json.dumps(record, default=repr, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(record).encode("utf-8", "backslashreplace").decode("utf-8")
    return Rejected(reason, key, None, text)


def _copy_escape(text: str) -> str:
    return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], text)


def _context_json(context: object) -> bytes | None:
    """A context's canonical JSON (None stays None); raises ``ValueError`` with the quarantine reason."""
    if context is None:
        return None
    if not isinstance(context, dict):
        raise ValueError(f"context is {type(context).__name__}, not a JSON object")
    try:
        data = _encode(context)
    except _ENCODE_ERRORS as exc:
        raise ValueError(f"context is not JSON-serialisable: {type(exc).__name__}: {exc}") from exc
    if b"\\u0000" in data and _NUL_ESCAPE.search(data):
        raise ValueError("context contains U+0000, which jsonb cannot store")
    return data


def context_getter(context: ContextSpec) -> Callable[[dict[str, Any]], bytes | None]:
    """A function giving a record's context as canonical JSON (or None); a dict is checked and encoded once.

    A callable's exception or unusable result raises ``ValueError`` carrying the quarantine reason.
    """
    if context is None or isinstance(context, dict):
        data = _context_json(context)  # a bad dict is the caller's bug: raise now, not once per record
        return lambda record: data
    if not callable(context):
        raise TypeError("context must be a dict, a callable(record) -> dict | None, or None")

    def get(record: dict[str, Any]) -> bytes | None:
        try:
            value = context(record)
        except Exception as exc:
            raise ValueError(f"context raised {type(exc).__name__}: {exc}") from exc
        return _context_json(value)

    return get


class Batch:
    """One batch of records: COPY text-format lines ``natural_key, payload, payload_hash, context`` and the
    rejected. ``context`` comes from :func:`context_getter` (no context when omitted)."""

    def __init__(
        self,
        getter: Callable[[dict[str, Any]], object],
        label: str,
        validate: Validator | None,
        context: Callable[[dict[str, Any]], bytes | None] | None = None,
    ):
        self._getter, self._label, self._validate = getter, label, validate
        self._context = context or context_getter(None)
        self.lines: list[bytes] = []
        self.rejected: list[Rejected] = []
        self.received = 0

    def add(self, record: object) -> None:
        """Stage the record, or put it on the rejected list with the reason."""
        self.received += 1
        if not isinstance(record, dict):
            self._reject(f"record is {type(record).__name__}, not a JSON object", record)
            return
        try:
            key = natural_key(self._getter, self._label, record)
        except ValueError as exc:
            self._reject(str(exc), record)
            return
        if self._validate is not None:
            try:
                reason = self._validate(record)
            except Exception as exc:
                reason = f"validate raised {type(exc).__name__}: {exc}"
            if reason:
                self._reject(str(reason), record, key)
                return
        try:
            data = _encode(record)
        except _ENCODE_ERRORS as exc:
            self._reject(f"not JSON-serialisable: {type(exc).__name__}: {exc}", record, key)
            return
        if b"\\u0000" in data and _NUL_ESCAPE.search(data):
            self._reject("contains U+0000, which jsonb cannot store", record, key)
            return
        try:
            context = self._context(record)
        except ValueError as exc:
            self.rejected.append(reject(str(exc), record, key))
            return
        # COPY text format: JSON already escapes control characters, so only backslashes need doubling.
        self.lines.append(
            b"%s\t%s\t\\\\x%s\t%s\n"
            % (
                _copy_escape(key).encode("utf-8"),
                data.replace(b"\\", b"\\\\"),
                hashlib.sha256(data).hexdigest().encode("ascii"),
                _COPY_NULL if context is None else context.replace(b"\\", b"\\\\"),
            )
        )

    def _reject(self, reason: str, record: object, key: str | None = None) -> None:
        """Quarantine the record, with its context when it has a usable one."""
        rejected = reject(reason, record, key)
        if isinstance(record, dict):
            try:
                context = self._context(record)
            except ValueError:
                context = None
            if context is not None:
                rejected = replace(rejected, context=context.decode("utf-8"))
        self.rejected.append(rejected)
