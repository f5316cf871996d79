"""Seeded fault injection, switchable per vendor at run time (admin ``PUT /faults/{vendor}``).

A rule says which requests (path globs) get which fault, either with a probability
(``rate``) or for the next ``count`` matching requests, or both (at most ``count`` faults
drawn with ``rate``). Decisions come from one ``random.Random`` per vendor seeded by the
world's seed and the configuration generation, so a given configuration and request
sequence always faults the same requests. Vendor apps decide how each kind looks on their
wire; see :class:`Fault`.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

KINDS = (
    "server_error",
    "slow",
    "timeout",
    "empty_204",
    "duplicate_page",
    "shifted_page",
    "expired_token",
    "schema_extra_field",
    "schema_renamed_field",
    "schema_missing_field",
    "schema_retyped_field",
    "report_late",
)
# Schema drift: list items served with a field added, renamed, dropped or of another JSON type.
SCHEMA_DRIFT = ("schema_extra_field", "schema_renamed_field", "schema_missing_field", "schema_retyped_field")
_DEFAULT_STATUS = {"server_error": 500, "expired_token": 401, "empty_204": 204}
_DEFAULT_DELAY = {"slow": 2.0, "timeout": 120.0}


@dataclass(frozen=True)
class Fault:
    """A fault the injector chose for this request.

    kind is one of: ``server_error`` (5xx burst), ``slow`` (delay_s then answer),
    ``timeout`` (hang past any sane client timeout), ``empty_204`` (WB: 204 instead of an
    empty list), ``duplicate_page`` (serve the previous page again), ``shifted_page``
    (offset/cursor shifted by ``shift`` records), ``expired_token`` (401),
    ``schema_extra_field``, ``schema_renamed_field``, ``schema_missing_field`` (the field
    left out), ``schema_retyped_field`` (the field's value as another JSON type, see
    :func:`drift_item`), ``report_late`` (a due report is not yet published).
    """

    kind: str
    status: int = 500
    delay_s: float = 0.0
    shift: int = 0
    field: str | None = None


@dataclass
class FaultRule:
    """One configured rule of a vendor."""

    kind: str
    rate: float | None = None
    count: int | None = None  # faults left; None = unlimited
    status: int | None = None
    delay_s: float | None = None
    shift: int = 1
    field: str | None = None
    paths: tuple[str, ...] = ("*",)
    faults_served: int = 0

    def matches(self, path: str) -> bool:
        """Whether the request path matches one of the globs (``*`` crosses ``/``)."""
        return any(fnmatchcase(path, pattern) for pattern in self.paths)

    def fault(self) -> Fault:
        """The Fault this rule injects."""
        return Fault(
            kind=self.kind,
            status=self.status if self.status is not None else _DEFAULT_STATUS.get(self.kind, 500),
            delay_s=self.delay_s if self.delay_s is not None else _DEFAULT_DELAY.get(self.kind, 0.0),
            shift=self.shift,
            field=self.field,
        )

    def to_json(self) -> dict[str, object]:
        """JSON form for the admin API."""
        data = asdict(self)
        data["paths"] = list(self.paths)
        return data


def parse_rule(data: Mapping[str, object]) -> FaultRule:
    """Validate an admin payload into a rule; raises ValueError with a readable reason."""
    unknown = set(data) - {"kind", "rate", "count", "status", "delay_s", "shift", "field", "paths"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}")
    rate = data.get("rate")
    count = data.get("count")
    if rate is None and count is None:
        raise ValueError("give rate (0..1) or count (next N matching requests), or both")
    if rate is not None and not (isinstance(rate, int | float) and 0 <= float(rate) <= 1):
        raise ValueError("rate must be a number in 0..1")
    if count is not None and not (isinstance(count, int) and count >= 0):
        raise ValueError("count must be a non-negative integer")
    paths = data.get("paths", "*")
    patterns = (paths,) if isinstance(paths, str) else tuple(str(p) for p in paths)  # type: ignore[union-attr]
    status = data.get("status")
    if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code")
    delay = data.get("delay_s")
    return FaultRule(
        kind=str(kind),
        rate=None if rate is None else float(rate),  # type: ignore[arg-type]
        count=count,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        delay_s=None if delay is None else float(delay),  # type: ignore[arg-type]
        shift=int(data.get("shift", 1)),  # type: ignore[call-overload]
        field=None if data.get("field") is None else str(data.get("field")),
        paths=patterns or ("*",),
    )


class FaultInjector:
    """Seeded, per-vendor fault schedule switchable through the admin endpoint."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rules: dict[str, list[FaultRule]] = {}
        self._rngs: dict[str, random.Random] = {}
        self._generation = 0

    def configure(self, vendor: str, rules: list[FaultRule]) -> None:
        """Replace the vendor's rules (an empty list switches its faults off)."""
        with self._lock:
            self._generation += 1
            self._rules[vendor] = [replace(rule) for rule in rules]
            self._rngs[vendor] = random.Random(f"{self.seed}:{vendor}:{self._generation}")

    def clear(self, vendor: str | None = None) -> None:
        """Switch faults off for one vendor or for all."""
        with self._lock:
            if vendor is None:
                self._rules.clear()
            else:
                self._rules.pop(vendor, None)

    def snapshot(self) -> dict[str, list[dict[str, object]]]:
        """Current rules per vendor (for GET /faults)."""
        with self._lock:
            return {
                vendor: [rule.to_json() for rule in rules] for vendor, rules in sorted(self._rules.items())
            }

    def next(self, vendor: str, path: str) -> Fault | None:
        """The fault to apply to this request, or None."""
        with self._lock:
            rules = self._rules.get(vendor)
            if not rules:
                return None
            rng = self._rngs[vendor]
            for rule in rules:
                if (rule.count is not None and rule.count <= 0) or not rule.matches(path):
                    continue
                if rule.rate is not None and rng.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.faults_served += 1
                return rule.fault()
            return None


def retyped(value: Any) -> Any:
    """``value`` as another JSON type: a number or boolean as its text, a numeric text as a number, any other
    text, object or array as a one-item array / its text, null as an empty text."""
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return [value]
    if value is None:
        return ""
    return str(value)


def drift_item(item: dict[str, Any], fault: Fault | None, default_field: str) -> dict[str, Any]:
    """One list item as served under a ``schema_missing_field`` / ``schema_retyped_field`` fault (a copy).

    ``fault.field`` (else ``default_field``) may be dotted (``price.price``) to reach into nested objects; an
    item without that field is served unchanged. Other kinds are the vendor apps' own (they know their names).
    """
    if fault is None or fault.kind not in ("schema_missing_field", "schema_retyped_field"):
        return item
    *parents, name = (fault.field or default_field).split(".")
    out = copy.deepcopy(item)
    holder: Any = out
    for part in parents:
        holder = holder.get(part) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or name not in holder:
        return item
    if fault.kind == "schema_missing_field":
        del holder[name]
    else:
        holder[name] = retyped(holder[name])
    return out
