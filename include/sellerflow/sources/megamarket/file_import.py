"""Megamarket commission reports from files: a drop folder per cabinet and an importer for uploads.

Megamarket serves no report over its API (docs/vendors/megamarket.md): the seller downloads the closing report
from the cabinet («Отчётность», within 13 working days of the period's end [?]) and either drops it into the
cabinet's folder, read by the ``commission_report`` stream on every extraction run, or uploads it on the
reconciliation pages, which call ``import_report_file``.

Drop folder (documented in README): the connection's extra ``report_folder`` (this cabinet's folder; a
``{account_id}`` in it is replaced), else ``<root>/<account_id>/`` where ``<root>`` is
``$SELLERFLOW_MEGAMARKET_DROP``, else ``$SELLERFLOW_HOME/drop/megamarket``. Files ``*.xlsx``.

Columns: ``report_columns.yaml`` beside this module (or the file named by the connection's extra
``report_columns`` / ``$SELLERFLOW_MEGAMARKET_COLUMNS``) maps each field sellerflow reads to the file's header.
A file is read whole with pandas (openpyxl engine) and checked before anything is written: a missing or
unrecognised column raises one ``ReportFileError`` naming the columns found and the mapping to edit, and
nothing of that file is loaded. Rows land in ``raw.megamarket_report_rows`` keyed ``<report id>:<№ п/п>`` with
sellerflow's column names (unknown columns kept as they are), the header in ``raw.megamarket_reports`` (``id``,
``periodStart``, ``periodEnd``, ``publishedAt`` = when the file was taken in [?], ``title``, ``totals``,
``fileName``) — the shape staging reads.

Importer, for the pages helper (issue 16)::

    import_report_file(*, dsn: str, account_id: str, filename: str, content: bytes,
                       columns_path: str | Path | None = None, run_id: str | None = None,
                       taken_at: datetime | None = None) -> ImportResult   # .rows, .report_id, ...

It raises ``ReportFileError`` (a ``ValueError``) with a message for a person when the layout is wrong, and
loads rows and header in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from sellerflow.warehouse.connection import connection
from sellerflow.warehouse.loader import load_records

DEFAULT_COLUMNS = Path(__file__).with_name("report_columns.yaml")
SOURCE = "megamarket"


class ReportFileError(ValueError):
    """A report file whose layout the column mapping does not describe (nothing of it was loaded)."""


@dataclass(frozen=True)
class ColumnMapping:
    """The file layout: header and totals markers, title patterns, and sellerflow name → file header."""

    path: Path
    header_first_cell: str
    total_first_cell: str
    title: Mapping[str, str]
    columns: Mapping[str, str]


@dataclass
class ParsedReport:
    """One file, read whole: its report header record and its rows (sellerflow's column names)."""

    header: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def report_id(self) -> str:
        """The report's id (number from the title, else a digest of the file)."""
        return str(self.header["id"])


@dataclass(frozen=True)
class ImportResult:
    """What an import loaded."""

    report_id: str
    rows: int
    inserted: int
    file_name: str


def load_mapping(path: str | Path | None = None) -> ColumnMapping:
    """The column mapping at ``path`` (default: ``$SELLERFLOW_MEGAMARKET_COLUMNS`` or the shipped default)."""
    chosen = Path(path or os.environ.get("SELLERFLOW_MEGAMARKET_COLUMNS") or DEFAULT_COLUMNS)
    data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    return ColumnMapping(
        path=chosen,
        header_first_cell=str(data.get("header_first_cell") or "№ п/п"),
        total_first_cell=str(data.get("total_first_cell") or "Итого"),
        title=dict(data.get("title") or {}),
        columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
    )


def drop_folder(account_id: str, settings: Mapping[str, Any] | None = None) -> Path:
    """The folder a cabinet's report files are dropped into (see the module docstring)."""
    own = (settings or {}).get("report_folder")
    if own:
        return Path(str(own).replace("{account_id}", account_id))
    root = (
        os.environ.get("SELLERFLOW_MEGAMARKET_DROP")
        or Path(os.environ.get("SELLERFLOW_HOME") or Path.home() / ".sellerflow") / "drop" / SOURCE
    )
    return Path(root) / account_id


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):  # NaN: an empty cell
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _layout_error(mapping: ColumnMapping, found: list[str], problem: str, file_name: str) -> ReportFileError:
    return ReportFileError(
        f"{file_name}: {problem}. Columns found in the file: {', '.join(repr(c) for c in found) or 'none'}. "
        f"Edit the column mapping {mapping.path} (the right-hand side is your file's header) and load the file "
        "again; nothing of this file was loaded."
    )


def parse_report_file(
    content: bytes, file_name: str, mapping: ColumnMapping, taken_at: datetime
) -> ParsedReport:
    """Read the whole workbook and check it against ``mapping``; raise ``ReportFileError`` on any mismatch."""
    import pandas as pd  # imported here: only report files need it

    try:
        frame = pd.read_excel(io.BytesIO(content), engine="openpyxl", header=None, dtype=object)
    except Exception as exc:  # not a workbook at all
        raise ReportFileError(f"{file_name}: not an XLSX workbook ({exc})") from exc
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    title: list[str] = []
    header_at = None
    for number, row in enumerate(cells):
        first = row[0] if row else None
        if first == mapping.header_first_cell:
            header_at = number
            break
        if isinstance(first, str) and first:
            title.append(first)
    if header_at is None:
        found = [str(v) for row in cells[:20] for v in row if isinstance(v, str)]
        raise _layout_error(
            mapping, found, f"no header row starting with {mapping.header_first_cell!r}", file_name
        )
    found = [str(v) if v is not None else "" for v in cells[header_at]]
    by_header = {name: n for n, name in enumerate(found) if name}
    missing = [
        f"{ours!r} (file header {theirs!r})"
        for ours, theirs in mapping.columns.items()
        if theirs not in by_header
    ]
    if missing:
        raise _layout_error(
            mapping, [f for f in found if f], "missing columns " + ", ".join(missing), file_name
        )
    ours_of = {theirs: ours for ours, theirs in mapping.columns.items()}
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for row in cells[header_at + 1 :]:
        if all(v in (None, "") for v in row):
            continue
        record = {ours_of.get(name, name): row[n] for name, n in by_header.items() if n < len(row)}
        if row[0] == mapping.total_first_cell:
            totals = {
                k: v for k, v in record.items() if v not in (None, "") and k != mapping.columns.get("№ п/п")
            }
            totals.pop("№ п/п", None)
            continue
        if record.get("№ п/п") in (None, ""):
            raise _layout_error(
                mapping, [f for f in found if f], f"a row without '№ п/п': {row[:6]}", file_name
            )
        rows.append(record)
    return ParsedReport(_header(title, totals, content, file_name, mapping, taken_at), rows)


def _header(
    title: list[str],
    totals: dict[str, Any],
    content: bytes,
    file_name: str,
    mapping: ColumnMapping,
    taken_at: datetime,
) -> dict[str, Any]:
    text = "\n".join(title)
    number = re.search(mapping.title["report_number"], text) if mapping.title.get("report_number") else None
    period = re.search(mapping.title["period"], text) if mapping.title.get("period") else None
    if period is None:
        raise _layout_error(mapping, title, "no report period in the title lines (title.period)", file_name)
    start, end = (datetime.strptime(d, "%d.%m.%Y").date().isoformat() for d in period.groups()[:2])
    return {
        "id": number.group(1) if number else hashlib.sha256(content).hexdigest()[:16],
        "periodStart": start,
        "periodEnd": end,
        "publishedAt": taken_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": title,
        "totals": totals,
        "fileName": file_name,
    }


def row_key(report_id: str) -> Callable[[dict[str, Any]], str]:
    """Rows are keyed ``<report id>:<row number>``: row numbers repeat across reports."""

    def key(row: dict[str, Any]) -> str:
        return f"{report_id}:{row['№ п/п']}"

    return key


def import_report_file(
    *,
    dsn: str,
    account_id: str,
    filename: str,
    content: bytes,
    columns_path: str | Path | None = None,
    run_id: str | None = None,
    taken_at: datetime | None = None,
) -> ImportResult:
    """Check one uploaded report file whole, then load its rows and header in one transaction."""
    parsed = parse_report_file(content, filename, load_mapping(columns_path), taken_at or datetime.now(UTC))
    run = run_id or f"upload-{uuid.uuid4().hex[:12]}"
    with connection(dsn) as conn, conn.transaction():
        landed = load_records(
            conn, SOURCE, "report_rows", account_id, parsed.rows, row_key(parsed.report_id), run
        )
        load_records(conn, SOURCE, "reports", account_id, [parsed.header], "id", run)
    return ImportResult(parsed.report_id, len(parsed.rows), landed.inserted, filename)
