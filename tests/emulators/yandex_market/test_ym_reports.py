"""Goods-realization report: generate → info (PENDING/PROCESSING/DONE) → download in each format."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from sellerflow_emulators.runtime import Fault

from .conftest import FBS_CAMPAIGN, OTHER_TOKEN, Contract

SHEETS = {"transferred_to_delivery", "delivered", "unredeemed", "returned", "lost_items"}


def _generate(client: httpx.Client, month: int = 1, fmt: str | None = None) -> str:
    params = {"format": fmt} if fmt else {}
    resp = client.post(
        "/v2/reports/goods-realization/generate",
        params=params,
        json={"campaignId": FBS_CAMPAIGN, "year": 2025, "month": month},
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["result"]["reportId"])


def _poll_until_done(client: httpx.Client, report_id: str) -> dict[str, Any]:
    statuses = []
    for _ in range(10):
        result = client.get(f"/v2/reports/info/{report_id}").json()["result"]
        statuses.append(result["status"])
        if result["status"] == "DONE":
            assert statuses[:2] == ["PENDING", "PROCESSING"]
            return dict(result)
    raise AssertionError(f"report never finished: {statuses}")


def test_generate_then_poll_until_done(ro_client: httpx.Client, contract: Contract) -> None:
    resp = ro_client.post(
        "/v2/reports/goods-realization/generate", json={"campaignId": FBS_CAMPAIGN, "year": 2025, "month": 1}
    )
    contract.validate(resp.json(), "GenerateReportResponse")
    report_id = resp.json()["result"]["reportId"]
    first = ro_client.get(f"/v2/reports/info/{report_id}").json()
    contract.validate(first, "GetReportInfoResponse")
    assert first["result"]["status"] == "PENDING"
    assert first["result"]["generationRequestedAt"] == "2025-02-10T15:00:00+03:00"
    assert ro_client.get(f"/v2/reports/info/{report_id}").json()["result"]["status"] == "PROCESSING"
    done = ro_client.get(f"/v2/reports/info/{report_id}").json()
    contract.validate(done, "GetReportInfoResponse")
    assert done["result"]["status"] == "DONE"
    assert done["result"]["file"].endswith(".xlsx")
    assert "subStatus" not in done["result"]
    assert _generate(ro_client) != _generate(ro_client)


def test_csv_archive_has_a_file_per_sheet_with_documented_columns(ro_client: httpx.Client) -> None:
    report = _poll_until_done(ro_client, _generate(ro_client, fmt="CSV"))
    download = httpx.get(report["file"])  # pre-signed style link: no auth header
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert {name.removesuffix(".csv") for name in archive.namelist()} == SHEETS
    delivered = list(csv.DictReader(io.StringIO(archive.read("delivered.csv").decode())))
    assert len(delivered) == 1
    row = delivered[0]
    assert row["ORDER_ID"] == "69000001"
    assert row["YOUR_ORDER_ID"] == "SF-1"
    assert row["YOUR_SKU"] == "SKU-1"
    assert row["DELIVERED_COUNT"] == "2"
    assert row["PRICE_WITH_VAT_AND_NO_DISCOUNT"] == "1500"
    assert row["DELIVERED_PRICE_SUM_WITH_VAT_AND_DISCOUNTS"] == "3000"
    returned = list(csv.DictReader(io.StringIO(archive.read("returned.csv").decode())))
    assert [
        (r["ORDER_ID"], r["RETURNED_COUNT"], r["RETURN_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"])
        for r in returned
    ] == [("69000002", "1", "450.5")]
    handed = list(csv.DictReader(io.StringIO(archive.read("transferred_to_delivery.csv").decode())))
    assert [r["ORDER_ID"] for r in handed] == ["69000003"]  # placed by vendor.sheet
    # Commission lines are not part of the realization report.
    assert (
        sum(len(list(csv.reader(io.StringIO(archive.read(n).decode())))) - 1 for n in archive.namelist()) == 3
    )


def test_json_archive_uses_camel_case_keys(ro_client: httpx.Client) -> None:
    report = _poll_until_done(ro_client, _generate(ro_client, fmt="JSON"))
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(report["file"]).content))
    [row] = json.loads(archive.read("delivered.json"))
    assert row["orderId"] == 69000001
    assert row["deliveredPriceSumWithVatAndNoDiscounts"] == 3000
    assert row["transferredToDeliveryCount"] == 2


def test_xlsx_is_the_default_format(ro_client: httpx.Client) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    report = _poll_until_done(ro_client, _generate(ro_client))
    book = openpyxl.load_workbook(io.BytesIO(httpx.get(report["file"]).content))
    assert book.sheetnames[0] == "Товары, переданные в доставку"
    sheet = book[book.sheetnames[1]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Заказы"
    assert rows[1][:2] == ("Номер заказа", "Ваш номер заказа")
    assert rows[2][0] == 69000001


def test_month_without_a_published_report_is_done_with_no_data(ro_client: httpx.Client) -> None:
    report = _poll_until_done(ro_client, _generate(ro_client, month=2))  # February is published on 5 March
    assert report["subStatus"] == "NO_DATA"
    assert "file" not in report


def test_bad_requests_and_unknown_report(ro_client: httpx.Client, contract: Contract) -> None:
    bad_month = ro_client.post(
        "/v2/reports/goods-realization/generate", json={"campaignId": FBS_CAMPAIGN, "year": 2025, "month": 13}
    )
    assert bad_month.status_code == 400
    contract.validate(bad_month.json(), "ApiClientDataErrorResponse")
    bad_format = ro_client.post(
        "/v2/reports/goods-realization/generate",
        params={"format": "PDF"},
        json={"campaignId": FBS_CAMPAIGN, "year": 2025, "month": 1},
    )
    assert bad_format.status_code == 400
    unknown = ro_client.get("/v2/reports/info/not-a-report")
    assert unknown.status_code == 404
    contract.validate(unknown.json(), "ApiNotFoundErrorResponse")
    anonymous = httpx.get(f"{ro_client.base_url}/v2/reports/info/not-a-report")
    assert anonymous.status_code == 401  # auth is checked before the report id


def test_someone_elses_report_is_forbidden(ro_client: httpx.Client) -> None:
    report_id = _generate(ro_client)
    resp = httpx.get(f"{ro_client.base_url}/v2/reports/info/{report_id}", headers={"Api-Key": OTHER_TOKEN})
    assert resp.status_code == 403


def test_report_late_fault_keeps_a_due_report_processing(client: httpx.Client, state: Any) -> None:
    report_id = _generate(client)
    for _ in range(2):
        client.get(f"/v2/reports/info/{report_id}")
    state.faults.add(f"/info/{report_id}", Fault("report_late"))
    late = client.get(f"/v2/reports/info/{report_id}").json()["result"]
    assert late["status"] == "PROCESSING"
    assert client.get(f"/v2/reports/info/{report_id}").json()["result"]["status"] == "DONE"
