"""The commission report as a downloadable XLSX from the emulator-only paths."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from sellerflow_emulators.megamarket.reports import COLUMNS, HEADER_ROW
from sellerflow_emulators.runtime import Fault

from .megamarket_world import SECOND_TOKEN, TOKEN, Emulator


def listing(emulator: Emulator, token: str = TOKEN) -> list[str]:
    response = emulator.client.get("/emulator/reports", headers={"X-Merchant-Token": token})
    assert response.status_code == 200
    return [report["id"] for report in response.json()["data"]["reports"]]


def test_listing_shows_only_published_reports_of_the_cabinet(emulator: Emulator) -> None:
    assert listing(emulator) == ["R-2025-02"]
    assert listing(emulator, SECOND_TOKEN) == []


def test_download_is_an_xlsx_with_one_row_per_line_and_report_totals(emulator: Emulator) -> None:
    response = emulator.client.get("/emulator/reports/R-2025-02", headers={"X-Merchant-Token": TOKEN})
    assert response.status_code == 200
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('_R-2025-02.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == 'Продавец: ООО "Ромашка", ИНН 7701234567'
    assert sheet["A3"].value == "Период: 01.02.2025 – 28.02.2025"
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    assert rows[0] == COLUMNS
    first, _, refund, total = rows[1:]
    assert first[:9] == (
        1,
        "9324000000001",
        "9324000000001",
        "SKU-1",
        "100030313902",
        "Шины Triangle 235/40 R19",
        "Продажа",
        "10.02.2025",
        1,
    )
    assert [round(value * 100) for value in first[9:]] == [744600, 74460, 15000, 0, 655140]
    assert (refund[6], round(refund[9] * 100), round(refund[13] * 100)) == ("Возврат", -744600, -759600)
    assert total[0] == "Итого"
    sums = [round(value * 100) for value in total[9:13]]
    assert sums == [744600 + 1299050 - 744600, 74460 + 129905, 15000 + 20000 + 15000, 0]
    assert round(total[13] * 100) == 1_100_000  # the report's own total, not the sum of lines


def test_download_of_an_unpublished_or_foreign_report_is_404(emulator: Emulator) -> None:
    future = emulator.client.get("/emulator/reports/R-2025-03", headers={"X-Merchant-Token": TOKEN})
    foreign = emulator.client.get("/emulator/reports/R-2025-02", headers={"X-Merchant-Token": SECOND_TOKEN})
    assert future.status_code == foreign.status_code == 404


def test_totals_prefer_the_reports_own_sale_and_return_amounts(emulator: Emulator) -> None:
    totals = {"sale_amount_kop": 5_000_000, "return_amount_kop": 1_000_000, "commission_kop": 7}
    emulator.conn.execute("update reports set totals = ? where id = 'R-2025-02'", (json.dumps(totals),))
    emulator.conn.commit()
    response = emulator.client.get("/emulator/reports/R-2025-02", headers={"X-Merchant-Token": TOKEN})
    total = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[-1]
    assert [round(value * 100) for value in total[9:11]] == [4_000_000, 7]


def test_report_paths_need_the_merchant_token(emulator: Emulator) -> None:
    response = emulator.client.get("/emulator/reports")
    assert response.status_code == 401
    assert response.json()["error"][0]["code"] == "TOKEN_INVALID"


def test_report_late_fault_hides_the_due_report(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/emulator/reports", Fault("report_late")))
    emulator.faults.queued.append(("/emulator/reports/R-2025-02", Fault("report_late")))
    assert listing(emulator) == []
    late = emulator.client.get("/emulator/reports/R-2025-02", headers={"X-Merchant-Token": TOKEN})
    assert late.status_code == 404
    assert listing(emulator) == ["R-2025-02"]


def test_report_download_over_the_limit_is_refused(emulator: Emulator) -> None:
    emulator.limits.deny = {"reports"}
    response = emulator.client.get("/emulator/reports/R-2025-02", headers={"X-Merchant-Token": TOKEN})
    assert response.status_code == 429
    assert response.json()["error"][0]["code"] == "TOO_MANY_REQUESTS"
    assert emulator.limits.acquired == [("megamarket", "reports", "megamarket_main")]


def test_export_drops_each_published_report_once_into_the_cabinets_folder(
    emulator: Emulator, tmp_path
) -> None:
    """The demo's drop folder: the seller's download of every published report, written once, whole."""
    from sellerflow_emulators.megamarket.reports import export_reports

    first = export_reports(emulator.state.conn(), emulator.state.now(), tmp_path)
    assert [(p.parent.name, p.suffix) for p in first] == [(first[0].parent.name, ".xlsx")]
    assert "R-2025-02" in first[0].name
    assert export_reports(emulator.state.conn(), emulator.state.now(), tmp_path) == []
    assert not list(tmp_path.rglob("*.part"))
