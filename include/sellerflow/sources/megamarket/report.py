"""The commission report workbook (XLSX) → row dicts, read with openpyxl in streaming mode.

Megamarket has no report API (yandex-market-megamarket-1c.md B5); the cabinet's commission report is a
spreadsheet: a title block (report number, seller with ИНН, period), a header row starting with
``№ п/п``, one row per report line, and an ``Итого`` row with the report's own totals
(emulators/megamarket/reports.py renders it). The header row is found by its first cell rather than by
its position, and each row becomes ``{column header: cell value}`` exactly as the file has it (money in
roubles, dates ``dd.mm.yyyy``), so a column the cabinet adds tomorrow lands in raw too. A workbook
without the header row fails loudly: its layout has changed and a person must look.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sellerflow.sources._http import ClientError

HEADER_FIRST_CELL = "№ п/п"
TOTAL_FIRST_CELL = "Итого"


class ReportLayoutError(ClientError):
    """The workbook does not have the expected shape (no header row)."""


@dataclass
class Workbook:
    """What a report file holds besides its rows: the title lines and the totals row."""

    title: list[str] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)


def _value(cell: Any) -> Any:
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, str):
        return cell.strip()
    return cell


def read_rows(content: bytes, meta: Workbook) -> Iterator[dict[str, Any]]:
    """Yield the report lines of ``content`` one at a time; fill ``meta`` with the title and totals."""
    from openpyxl import load_workbook  # imported here: only the report stream needs it

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        for raw in sheet.iter_rows(values_only=True):
            values = [_value(c) for c in raw]
            first = values[0] if values else None
            if header is None:
                if first == HEADER_FIRST_CELL:
                    header = [
                        str(v) if v not in (None, "") else f"column_{n + 1}" for n, v in enumerate(values)
                    ]
                elif isinstance(first, str) and first:
                    meta.title.append(first)
                continue
            if all(v in (None, "") for v in values):
                continue
            if first == TOTAL_FIRST_CELL:
                pairs = zip(header[1:], values[1:], strict=False)
                meta.totals = {h: v for h, v in pairs if v not in (None, "")}
                continue
            yield {h: v for h, v in zip(header, values, strict=False)}
        if header is None:
            raise ReportLayoutError(
                f"commission report workbook has no header row starting with {HEADER_FIRST_CELL!r}",
                vendor="megamarket",
            )
    finally:
        book.close()
