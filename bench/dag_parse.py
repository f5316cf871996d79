"""DAG parse time per file, as the dag-processor sees it (target: < 2 s each).

Run: `. .sellerflow/env && python bench/dag_parse.py`. Each file is parsed in a fresh
interpreter so that one file's imports do not make the next look cheap. Cross-check: every file parses
without import errors and defines at least one DAG; the script exits 1 when one does not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags"
TARGET_S = 2.0

PARSE_ONE = """
import sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - started
assert not bag.import_errors, bag.import_errors
assert bag.dags, "the file defines no DAG"
print(f"{elapsed:.3f}")
"""


def parse_seconds(path: Path) -> float | None:
    """Seconds to fill a DagBag from one DAG file in a fresh interpreter (imports included); None when the
    file has import errors or defines no DAG (the reason is printed)."""
    out = subprocess.run([sys.executable, "-c", PARSE_ONE, str(path)], capture_output=True, text=True)
    if out.returncode:
        print(f"{path.name}: FAILED to parse\n{out.stderr.strip()[-2000:]}")
        return None
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Print one line per DAG file: parse time and its ratio to the target; 1 when a file does not parse."""
    print(f"{'DAG file':<28} {'parse s':>8} {'/ target':>9}")
    failed = []
    for path in sorted(DAGS_DIR.glob("*.py")):
        seconds = parse_seconds(path)
        if seconds is None:
            failed.append(path.name)
            continue
        print(f"{path.name:<28} {seconds:>8.2f} {seconds / TARGET_S:>8.2f}x")
    print("cross-check:", f"FAILED ({', '.join(failed)})" if failed else "ok (every file parses into DAGs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
