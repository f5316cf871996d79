"""Writing a report's sheets in the formats of the reports API (spec ``ReportFormatType``).

``FILE`` is one XLSX workbook, a sheet per section named by its title, with two header rows (group, column);
``CSV`` and ``JSON`` are ZIP archives with one file per sheet (``<sheet>.csv`` / ``<sheet>.json``): CSV headers
are the UPPER_SNAKE column names, JSON keys their camelCase names. Every report with sheets (goods
realization, united marketplace services) is written by :class:`ReportFile`; what differs between them is the
layout: the columns of each sheet, the sheets' titles and the XLSX header of a column.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MEDIA = "application/zip"

Sheets = dict[str, list[dict[str, Any]]]


def json_name(csv_name: str) -> str:
    """``TRANSFERRED_TO_DELIVERY_COUNT`` → ``transferredToDeliveryCount`` (the documented JSON names)."""
    head, *rest = csv_name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class ReportFile:
    """The layout of one report: sheet → CSV column names in order, sheet → XLSX sheet title, and
    ``header(sheet, column)`` → the (group, column) XLSX header of a column."""

    columns: Mapping[str, Sequence[str]]
    titles: Mapping[str, str]
    header: Callable[[str, str], tuple[str, str]]

    def render(self, sheets: Sheets, fmt: str) -> tuple[bytes, str]:
        """The file of ``sheets`` (values keyed by CSV column name) in format ``fmt``, and its media type."""
        if fmt == "FILE":
            return self.to_xlsx(sheets), XLSX_MEDIA
        return self.to_zip(sheets, fmt), ZIP_MEDIA

    def to_zip(self, sheets: Sheets, fmt: str) -> bytes:
        """CSV or JSON format: a ZIP with one file per sheet (an empty CSV cell for a missing value)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, rows in sheets.items():
                if fmt == "CSV":
                    text = io.StringIO()
                    writer = csv.writer(text)
                    writer.writerow(self.columns[name])
                    writer.writerows(
                        [["" if row[c] is None else row[c] for c in self.columns[name]] for row in rows]
                    )
                    archive.writestr(f"{name}.csv", text.getvalue())
                else:
                    items = [{json_name(k): v for k, v in row.items()} for row in rows]
                    archive.writestr(f"{name}.json", json.dumps(items, ensure_ascii=False))
        return buffer.getvalue()

    def to_xlsx(self, sheets: Sheets) -> bytes:
        """FILE format: one workbook, a sheet per section, two header rows (group, column)."""
        from openpyxl import Workbook  # optional dependency, needed only for the XLSX format

        book = Workbook()
        book.remove(book.active)
        for name, rows in sheets.items():
            sheet = book.create_sheet(re.sub(r"[\\/*?:\[\]]", "", self.titles[name])[:31])
            headers = [self.header(name, c) for c in self.columns[name]]
            sheet.append([group for group, _ in headers])
            sheet.append([column for _, column in headers])
            for row in rows:
                sheet.append([row[c] for c in self.columns[name]])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
