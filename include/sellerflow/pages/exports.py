"""The reconciliation on screen as a file: XLSX (one sheet per status, money formatted, header frozen, totals
equal to the screen's) or CSV (every line, `;`-separated with a BOM so that Excel opens it in Russian)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sellerflow.pages.reconciliation import LINE_FIELDS, LINE_MONEY, STATUSES, Filters, all_lines, by_status

MONEY_FORMAT = '#,##0.00 "₽";[Red]-#,##0.00 "₽"'
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BOLD = Font(bold=True)
TOTAL_LABEL = "Итого"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _header(ws, labels: list[str]) -> None:
    ws.append(labels)
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for index, label in enumerate(labels, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(label) + 4))


def _filters_text(filters: Filters) -> str:
    chosen = [f"{name}={value}" for name, value in vars(filters).items() if value]
    return ", ".join(chosen) or "все"


def _status_sheet(ws, chosen: list[dict[str, Any]]) -> None:
    """One status's lines, money formatted, a totals row, the header frozen and filterable."""
    labels = [label for _, label in LINE_FIELDS] + [label for _, label in LINE_MONEY]
    columns = [c for c, _ in LINE_FIELDS] + [c for c, _ in LINE_MONEY]
    first_money = len(LINE_FIELDS) + 1
    _header(ws, labels)
    for line in chosen:
        ws.append([_cell(line[c]) for c in columns])
    total = [TOTAL_LABEL] + [None] * (len(LINE_FIELDS) - 1)
    total += [sum((r[c] or Decimal(0)) for r in chosen) for c, _ in LINE_MONEY]
    ws.append(total)
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for row in ws.iter_rows(min_row=2, min_col=first_money):
        for cell in row:
            cell.number_format = MONEY_FORMAT
    for row in ws.iter_rows(min_row=2, max_col=len(LINE_FIELDS)):
        for cell in row:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{ws.max_row - 1}"


def xlsx(filters: Filters) -> bytes:
    """The workbook: a summary sheet (the status table of the screen), then one sheet per status."""
    status_rows, totals = by_status(filters)
    rows = all_lines(filters)
    wb = Workbook()
    summary = wb.active
    summary.title = "Итоги"
    money_labels = [label for _, label in LINE_MONEY]
    _header(summary, ["Статус", "Строк", *money_labels])
    for row in status_rows:
        summary.append(
            [STATUSES.get(row["status"], row["status"]), row["lines"], *(row[c] for c, _ in LINE_MONEY)]
        )
    summary.append([TOTAL_LABEL, totals["lines"], *(totals[c] for c, _ in LINE_MONEY)])
    for cell in summary[summary.max_row]:
        cell.font = BOLD
    for row in summary.iter_rows(min_row=2, min_col=3):
        for cell in row:
            cell.number_format = MONEY_FORMAT
    summary.append([])
    summary.append([f"Фильтры: {_filters_text(filters)}"])
    summary.append([f"Сформировано: {datetime.now().strftime('%Y-%m-%d %H:%M')}"])

    for status, title in STATUSES.items():
        chosen = [r for r in rows if r["status"] == status]
        if chosen:
            _status_sheet(wb.create_sheet(title=title[:31]), chosen)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(filters: Filters) -> bytes:
    """Every line under the filters with its status, as on screen."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    columns = ["status"] + [c for c, _ in LINE_FIELDS] + [c for c, _ in LINE_MONEY]
    writer.writerow(["Статус"] + [label for _, label in LINE_FIELDS] + [label for _, label in LINE_MONEY])
    for line in all_lines(filters):
        values = [STATUSES.get(line["status"], line["status"])] + [line[c] for c in columns[1:]]
        writer.writerow(["" if v is None else str(v).replace(".", ",") if isinstance(v, Decimal) else v
                         for v in values])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")
