"""The fault suite's session stack and its results table.

Every case is marked ``faults``, which the default run deselects (pyproject ``addopts``); ``make faults`` runs
them and prints the table (``tests/faults/report.py``) from the results this conftest writes to
``.sellerflow/faults/results.json``: per case the fault, what the emulators or the test served, the outcome,
and lost / duplicated / double effects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .stage import Case, FaultStack

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".sellerflow" / "faults" / "results.json"
_rows: list[dict[str, Any]] = []


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, own_session_database: Callable[[], str]
) -> Iterator[FaultStack]:
    """One world, the five emulators, a private warehouse cluster and a running Airflow, for every case."""
    built = FaultStack(tmp_path_factory.mktemp("faults"), own_session_database())
    try:
        built.start()
        yield built
    finally:
        built.stop()


@dataclass
class Outcome:
    """What a case reports to the table: its fault class, what was served, and its case's tally."""

    fault: str
    case: Case | None = None
    notes: list[str] = field(default_factory=list)


@pytest.fixture
def outcome(request: pytest.FixtureRequest) -> Outcome:
    """Filled by the case; read by the report hook below."""
    marker = request.node.get_closest_marker("fault")
    return Outcome(marker.args[0] if marker else request.node.name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        found: Outcome | None = getattr(item, "funcargs", {}).get("outcome")
        marker = item.get_closest_marker("fault")
        fault = found.fault if found else (marker.args[0] if marker else item.name)
        case = found.case if found else None
        measured = case if case is not None and case.measured else None
        if report.passed:
            result = "survived"
        else:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash is not None else str(report.longrepr)
            result = "FAILED: " + " ".join(message.split())[:160]
        _rows.append(
            {
                "test": item.name,
                "fault": fault,
                "outcome": result,
                "served": "; ".join(case.evidence) if case else "",
                "notes": "; ".join(found.notes if found else []),
                "lost": measured.tally.lost if measured else None,
                "duplicated": measured.tally.duplicated if measured else None,
                "double_effects": measured.tally.double_effects if measured else None,
            }
        )
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _rows:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(_rows, ensure_ascii=False, indent=1))
