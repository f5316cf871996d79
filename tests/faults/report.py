"""Print the fault table of the last ``make faults`` run (``.sellerflow/faults/results.json``, written by
tests/faults/conftest.py): fault → outcome, what was served, lost / duplicated / double effects, and one last line
``faults survived: N/M, lost: L, duplicated: D, double effects: E``.

Usage: ``python tests/faults/report.py [results.json] [--markdown]``. Exits 1 when the results file is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / ".sellerflow" / "faults" / "results.json"
COLUMNS = ("fault", "outcome", "lost", "duplicated", "double effects", "served / notes")


def _cells(row: dict) -> list[str]:
    def number(value: object) -> str:
        return "–" if value is None else str(value)

    served = "; ".join(part for part in (row.get("served"), row.get("notes")) if part)
    return [
        row["fault"],
        row["outcome"],
        number(row["lost"]),
        number(row["duplicated"]),
        number(row["double_effects"]),
        served,
    ]


def table(rows: list[dict], markdown: bool = False) -> str:
    """The rows as a markdown table, or as aligned text."""
    cells = [_cells(row) for row in rows]
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in column) for column in zip(COLUMNS, *cells, strict=False)]
    widths[-1] = 0  # the last column runs free
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (COLUMNS, *cells)
    )


def summary(rows: list[dict]) -> str:
    """The closing line: survived of all cases, and the sums over the cases."""
    survived = sum(1 for row in rows if row["outcome"] == "survived")
    total = {key: sum(row[key] or 0 for row in rows) for key in ("lost", "duplicated", "double_effects")}
    return (
        f"faults survived: {survived}/{len(rows)}, lost: {total['lost']}, duplicated: {total['duplicated']}, "
        f"double effects: {total['double_effects']}"
    )


def main(argv: list[str]) -> int:
    """Print the table and the summary line."""
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0]) if paths else DEFAULT
    if not path.exists():
        print(f"no fault results at {path}: run `make faults`")
        return 1
    rows = json.loads(path.read_text())
    print(table(rows, markdown="--markdown" in argv))
    print()
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
