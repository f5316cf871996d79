"""A demo-like warehouse for the page tests: the real pipeline pieces the e2e reconciliation test runs.

Scenario generator → emulators over HTTP → real extraction → every raw table dbt declares → `dbt build`
(tests/e2e/test_reconciliation.py's helpers, loaded by path). Also runnable by hand to build a dev warehouse:
``python tests/pages/seed.py <warehouse DSN> <work dir>``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.runtime import EmulatorState

ROOT = Path(__file__).resolve().parents[2]
# 30 days straddling a month end (September reports out, October open), small enough for a test session.
SCENARIO = ("--seed", "3", "--days", "30", "--orders-per-day", "40", "--start", "2026-09-15")


def _e2e():
    spec = importlib.util.spec_from_file_location(
        "sellerflow_e2e_reconciliation", ROOT / "tests" / "e2e" / "test_reconciliation.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def seed_warehouse(dsn: str, work: Path) -> Path:
    """Fill the (empty) warehouse ``dsn``; return the dbt target dir (manifest.json, catalog.json, index.html)."""
    e2e = _e2e()
    world = work / "world"
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", *SCENARIO, "--out", str(world)],
        check=True,
        capture_output=True,
    )
    migrate(dsn)
    e2e._extract(world, EmulatorState(world / "world.sqlite"), dsn)
    e2e._prepare_raw_tables(dsn)
    target = work / "dbt_target"
    built = e2e._dbt_build(dsn, target)
    if built.returncode != 0:
        raise RuntimeError(built.stdout[-5000:])
    docs = e2e.run_dbt(dsn, target, "docs", "generate")
    if docs.returncode != 0:
        raise RuntimeError(docs.stdout[-5000:])
    return target / "target"


if __name__ == "__main__":
    print(seed_warehouse(sys.argv[1], Path(sys.argv[2])))
