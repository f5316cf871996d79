"""The commission report as the file a seller downloads from the Megamarket cabinet.

Megamarket has no API for sales/commission reports (shared/docs/sources/yandex-market-megamarket-1c.md
B5): sellers download them from the cabinet. sellerflow takes them as files (sources/megamarket/file_import:
a drop folder per cabinet, an upload importer), so the emulator's job is the seller's download:
``export_reports`` writes each published report's XLSX into the demo's drop folder (the emulator server does
it every minute, ``emulators/server.py``). For the emulator's own tests it also serves them from
emulator-only paths, which no sellerflow client calls:

- ``GET /emulator/reports`` lists the account's published reports (JSON);
- ``GET /emulator/reports/{id}`` downloads one as ``.xlsx``.

Both take the merchant API token in ``X-Merchant-Token``. The sheet has a title block (report,
seller, period), a header row, one row per report line keyed by shipment number + offerId, and
an «Итого» row carrying the report's own totals (``reports.totals``: ``sale_amount_kop`` minus
``return_amount_kop``, ``commission_kop``, ``logistics_kop``, ``penalty_kop``, ``payout_kop``; the sum
of lines where a total is absent), so reconciliation can tie out to the kopeck. Return lines show a
negative realization amount. Column names are the emulator's rendering of
what the cabinet detail report shows [?]: no machine-readable specification of the file exists.
"""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sellerflow_emulators.runtime import format_ts

SHEET_TITLE = "Отчёт"
HEADER_ROW = 5
COLUMNS = (
    "№ п/п",
    "Номер заказа",
    "Номер отправления",
    "Артикул продавца",
    "Код товара Мегамаркет",
    "Наименование товара",
    "Тип операции",
    "Дата операции",
    "Количество, шт.",
    "Сумма реализации, руб.",
    "Вознаграждение, руб.",
    "Логистика, руб.",
    "Штрафы, руб.",
    "К перечислению, руб.",
)
OPERATIONS = {
    "sale": "Продажа",
    "return": "Возврат",
    "commission": "Вознаграждение",
    "logistics": "Логистика",
    "penalty": "Штраф",
    "storage": "Хранение",
    "acquiring": "Эквайринг",
    "other": "Прочее",
}
_MONEY = ("amount_kop", "commission_kop", "logistics_kop", "penalty_kop", "payout_kop")
_MONEY_FORMAT = "#,##0.00"


def visible_reports(conn: sqlite3.Connection, account_id: str, now: datetime) -> list[sqlite3.Row]:
    """The account's reports published at or before the clock, oldest period first."""
    return conn.execute(
        """select * from reports where account_id = ? and published_at <= ?
           order by period_start, id""",
        (account_id, format_ts(now)),
    ).fetchall()


def describe(report: sqlite3.Row) -> dict[str, Any]:
    """A report's entry in the emulator's listing."""
    return {
        "id": report["id"],
        "periodStart": report["period_start"],
        "periodEnd": report["period_end"],
        "publishedAt": report["published_at"],
        "fileName": file_name(report),
        "url": f"/emulator/reports/{quote(report['id'])}",
    }


def file_name(report: sqlite3.Row) -> str:
    """The downloaded file's name."""
    return f"commission_report_{report['period_start']}_{report['period_end']}_{report['id']}.xlsx"


def content_disposition(report: sqlite3.Row) -> str:
    """Attachment header with an ASCII name."""
    return f'attachment; filename="{file_name(report)}"'


def _ru_date(text: str) -> str:
    return date.fromisoformat(text[:10]).strftime("%d.%m.%Y")


def _signed_amount(line: sqlite3.Row) -> int:
    """Realization amount as the file shows it: returns reduce it."""
    amount = int(line["amount_kop"])
    return -amount if line["operation"] == "return" else amount


def _totals(report: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, int]:
    """The «Итого» row: the report's own totals where it states them, else sums of the lines."""
    try:
        given = json.loads(report["totals"] or "{}")
    except json.JSONDecodeError:
        given = {}
    totals = {
        key: int(given[key]) if key in given else sum(int(line[key]) for line in lines) for key in _MONEY
    }
    if "sale_amount_kop" in given and "return_amount_kop" in given:
        totals["amount_kop"] = int(given["sale_amount_kop"]) - int(given["return_amount_kop"])
    elif "amount_kop" not in given:
        totals["amount_kop"] = sum(_signed_amount(line) for line in lines)
    return totals


def build_xlsx(conn: sqlite3.Connection, report: sqlite3.Row) -> bytes:
    """Render one report as an XLSX workbook."""
    from openpyxl import Workbook  # imported here: only report downloads need it
    from openpyxl.styles import Font

    lines = conn.execute(
        """select r.*, f.mp_sku, f.name from report_lines r
             left join offers f on f.account_id = ? and f.offer_id = r.offer_id
            where r.report_id = ? order by r.line_no""",
        (report["account_id"], report["id"]),
    ).fetchall()
    seller = conn.execute(
        """select l.name, l.inn from accounts a join legal_entities l on l.id = a.legal_entity_id
            where a.id = ?""",
        (report["account_id"],),
    ).fetchone()
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet["A1"] = f"Отчёт о реализации товаров № {report['id']}"
    sheet["A1"].font = Font(bold=True)
    sheet["A2"] = f"Продавец: {seller['name']}, ИНН {seller['inn']}" if seller else "Продавец:"
    sheet["A3"] = f"Период: {_ru_date(report['period_start'])} – {_ru_date(report['period_end'])}"
    sheet.append([])
    sheet.append(list(COLUMNS))
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(
            [
                line["line_no"],
                line["order_number"],
                line["posting_number"],
                line["offer_id"],
                str(line["mp_sku"]) if line["mp_sku"] is not None else None,
                line["name"],
                OPERATIONS.get(line["operation"], line["operation"]),
                _ru_date(line["operation_at"]),
                line["quantity"],
                _signed_amount(line) / 100,
                *(int(line[key]) / 100 for key in _MONEY[1:]),
            ]
        )
    totals = _totals(report, lines)
    sheet.append(["Итого", *([None] * 8), *(totals[key] / 100 for key in _MONEY)])
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=10, max_col=14):
        for cell in row:
            cell.number_format = _MONEY_FORMAT
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_reports(conn: sqlite3.Connection, now: datetime, root: Path) -> list[Path]:
    """Write every published Megamarket report not yet in ``root/<account_id>/`` as its XLSX file (the seller's
    download into the cabinet's drop folder); returns the files written."""
    written: list[Path] = []
    accounts = conn.execute("select id from accounts where marketplace = 'megamarket' order by id").fetchall()
    for account in accounts:
        folder = root / str(account["id"])
        for report in visible_reports(conn, account["id"], now):
            target = folder / file_name(report)
            if target.exists():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(build_xlsx(conn, report))
            partial.rename(target)  # a reader never sees half a file (*.xlsx only)
            written.append(target)
    return written
