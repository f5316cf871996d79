"""The reconciliation on screen as a file: XLSX (one sheet per status, money formatted, header frozen, totals
equal to the screen's) or CSV (every line, `;`-separated with a BOM so that Excel opens it in Russian)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sellerflow.pages.reconciliation import LINE_FIELDS, LINE_MONEY, STATUSES, Filters, all_lines, by_status

MONEY_FORMAT = '#,##0.00 "₽";[Red]-#,##0.00 "₽"'
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BOLD = Font(bold=True)
TOTAL_LABEL = "Итого"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


class _Sheet:
    """One write-only sheet (streamed: 100k lines stay fast) with a bold frozen header and styled cells."""

    def __init__(self, wb: Workbook, title: str, labels: list[str], widths: list[int] | None = None) -> None:
        self.ws = wb.create_sheet(title=title[:31])
        self.ws.freeze_panes = "A2"
        for index, label in enumerate(labels, start=1):
            width = (widths or [])[index - 1] if widths else max(12, min(40, len(label) + 4))
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.width = len(labels)
        self.ws.append([self._styled(label, bold=True, fill=HEADER_FILL, wrap=True) for label in labels])
        self.rows = 1
        self._money: dict[int, list[WriteOnlyCell]] = {}

    def _styled(
        self,
        value: Any,
        *,
        money: bool = False,
        bold: bool = False,
        fill: PatternFill | None = None,
        wrap: bool = False,
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=_plain(value))
        if money:
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, date | datetime):
            cell.number_format = "yyyy-mm-dd"
        if bold:
            cell.font = BOLD
        if fill is not None:
            cell.fill = fill
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def append(self, values: list[Any], money_from: int, bold: bool = False) -> None:
        """A row; columns from ``money_from`` (0-based) are money. A plain row reuses one styled cell per money
        column (a write-only sheet writes the row at once), which keeps 100k lines to plain-write speed."""
        if bold:
            self.ws.append([self._styled(v, money=i >= money_from, bold=True) for i, v in enumerate(values)])
        else:
            money = self._money.setdefault(money_from, [])
            while len(money) < len(values) - money_from:
                money.append(self._styled(None, money=True))
            for cell, value in zip(money, values[money_from:], strict=False):
                cell.value = value
            self.ws.append(
                [_plain(v) for v in values[:money_from]] + money[: max(len(values) - money_from, 0)]
            )
        self.rows += 1

    def filter_lines(self) -> None:
        self.ws.auto_filter.ref = f"A1:{get_column_letter(self.width)}{max(self.rows - 1, 1)}"


def _filters_text(filters: Filters) -> str:
    chosen = [f"{name}={value}" for name, value in vars(filters).items() if value]
    return ", ".join(chosen) or "все"


def xlsx(filters: Filters) -> bytes:
    """The workbook: a summary sheet (the status table of the screen), then one sheet per status with its lines
    and a totals row; the totals equal the screen's status table."""
    status_rows, totals = by_status(filters)
    rows = all_lines(filters)
    wb = Workbook(write_only=True)
    summary = _Sheet(
        wb, "Итоги", ["Статус", "Строк", *(label for _, label in LINE_MONEY)], [30, 10] + [18] * 9
    )
    for row in status_rows:
        label = STATUSES.get(row["status"], row["status"])
        summary.append([label, row["lines"], *(row[c] for c, _ in LINE_MONEY)], money_from=2)
    summary.append(
        [TOTAL_LABEL, totals["lines"], *(totals[c] for c, _ in LINE_MONEY)], money_from=2, bold=True
    )
    summary.append([], money_from=0)
    summary.append([f"Фильтры: {_filters_text(filters)}"], money_from=1)
    summary.append([f"Сформировано: {datetime.now().strftime('%Y-%m-%d %H:%M')}"], money_from=1)

    labels = [label for _, label in LINE_FIELDS] + [label for _, label in LINE_MONEY]
    columns = [c for c, _ in LINE_FIELDS] + [c for c, _ in LINE_MONEY]
    for status in (
        row["status"] for row in status_rows
    ):  # as on screen, a status the page has no name for too
        chosen = [r for r in rows if r["status"] == status]
        if not chosen:
            continue
        sheet = _Sheet(wb, STATUSES.get(status, status), labels)
        for line in chosen:
            sheet.append([line[c] for c in columns], money_from=len(LINE_FIELDS))
        sheet.filter_lines()
        total: list[Any] = [TOTAL_LABEL] + [None] * (len(LINE_FIELDS) - 1)
        total += [sum((r[c] or Decimal(0)) for r in chosen) for c, _ in LINE_MONEY]
        sheet.append(total, money_from=len(LINE_FIELDS), bold=True)
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
