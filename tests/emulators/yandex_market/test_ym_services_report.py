"""United marketplace services report: generate → info → download, periods, filters, errors, limits, faults."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerflow_emulators.runtime import EmulatorState, Fault
from sellerflow_emulators.yandex_market.services_file import SHEETS

from .conftest import (
    BUSINESS,
    DBS_CAMPAIGN,
    FBS_CAMPAIGN,
    FIN_TOKEN,
    ORDER_DELIVERED,
    OTHER_CAMPAIGN,
    OTHER_TOKEN,
    TOKEN,
    Contract,
    build_world,
    served,
)

PATH = "/v2/reports/united-marketplace-services/generate"
JANUARY = {"dateFrom": "2025-01-01", "dateTo": "2025-01-31"}

# (report, line_no, order, posting, offer, operation, qty, amount, commission, logistics, penalty, at, rate)
SERVICE_LINES = [
    ("ym-2025-01", 5, "SF-2", str(ORDER_DELIVERED), "SKU-1", "sale", 2, 300000, 36000, 15000, 0,
     "2025-01-20T10:00:00Z", 0.12),
    ("ym-2025-01", 6, "SF-2", str(ORDER_DELIVERED), "SKU-1", "acquiring", 0, 0, 4500, 0, 0,
     "2025-01-20T10:00:00Z", 0.015),
    ("ym-2025-01", 7, "SF-12", "69000012", "SKU-2", "return", 1, 45050, 5406, 9000, 0,
     "2025-01-25T10:00:00Z", 0.12),
    # 01:30 on 1 February in Moscow: February by service date, January by act.
    ("ym-2025-01", 8, "SF-13", "69000013", "SKU-3", "sale", 1, 9900, 891, 4500, 0,
     "2025-01-31T22:30:00Z", 0.09),
    ("ym-2025-01", 9, "SF-12", "69000012", "SKU-2", "penalty", 0, 0, 0, 0, 50000,
     "2025-01-26T10:00:00Z", 0.0),
    ("ym-2025-02", 2, "SF-19", "69000019", "SKU-1", "sale", 1, 150000, 18000, 6000, 0,
     "2025-02-03T10:00:00Z", 0.12),
    ("ym-2025-02", 3, "SF-20", "69000020", "SKU-1", "sale", 1, 150000, 18000, 6000, 0,
     "2025-02-12T10:00:00Z", 0.12),  # after the clock (2025-02-10 12:00 UTC)
]  # fmt: skip


def build_services_world(path: Path) -> None:
    """The shared test world plus report lines that carry commission, logistics and acquiring fees."""
    build_world(path)
    conn = sqlite3.connect(path)
    with conn:
        for *columns, penalty, at, rate in SERVICE_LINES:
            conn.execute(
                "insert into report_lines values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*columns, penalty, 0, at, json.dumps({"commission_rate": rate})),
            )
    conn.close()


@pytest.fixture(scope="module")
def ro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """Client on one app shared by the module's read-only tests."""
    with served(tmp_path_factory.mktemp("ym-services"), build_services_world) as (http, _):
        yield http


@pytest.fixture
def own(tmp_path: Path) -> Iterator[tuple[httpx.Client, EmulatorState]]:
    """A per-test app (for limits, faults and scope changes) and its state."""
    with served(tmp_path, build_services_world) as (http, state):
        yield http, state


def _generate(client: httpx.Client, fmt: str | None = "JSON", **body: Any) -> str:
    params = {"format": fmt} if fmt else {}
    resp = client.post(PATH, params=params, json={"businessId": BUSINESS, **(body or JANUARY)})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["result"]["reportId"])


def _done(client: httpx.Client, report_id: str) -> dict[str, Any]:
    for _ in range(5):
        result = client.get(f"/v2/reports/info/{report_id}").json()["result"]
        if result["status"] == "DONE":
            return dict(result)
    raise AssertionError("report never finished")


def _json_sheets(client: httpx.Client, **body: Any) -> dict[str, list[dict[str, Any]]]:
    report = _done(client, _generate(client, "JSON", **body))
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(report["file"]).content))
    return {name.removesuffix(".json"): json.loads(archive.read(name)) for name in archive.namelist()}


def test_generate_then_poll_pending_processing_done_with_an_xlsx_by_default(
    ro: httpx.Client, contract: Contract
) -> None:
    resp = ro.post(PATH, json={"businessId": BUSINESS, **JANUARY})
    contract.validate(resp.json(), "GenerateReportResponse")
    report_id = resp.json()["result"]["reportId"]
    statuses = []
    for _ in range(3):
        answer = ro.get(f"/v2/reports/info/{report_id}").json()
        contract.validate(answer, "GetReportInfoResponse")
        statuses.append(answer["result"]["status"])
    assert statuses == ["PENDING", "PROCESSING", "DONE"]
    assert answer["result"]["generationRequestedAt"] == "2025-02-10T15:00:00+03:00"
    assert answer["result"]["file"].endswith("/united-marketplace-services.xlsx")
    assert _generate(ro) != _generate(ro), "every generate call gets its own id"


def test_sale_commission_is_a_placement_row_and_its_logistics_a_delivery_row(ro: httpx.Client) -> None:
    sheets = _json_sheets(ro)
    assert set(sheets) == set(SHEETS)
    sale, _refund = sheets["placement"]
    assert sale["orderId"] == ORDER_DELIVERED
    assert (sale["shopSku"], sale["count"], sale["price"]) == ("SKU-1", 2, 1500)
    assert sale["serviceName"] == "Размещение товаров на витрине"
    assert (sale["tariff"], sale["amountWithoutBonuses"], sale["totalAmount"]) == (12.0, 360, 360)
    assert sale["serviceDateTime"] == "2025-01-20T13:00:00+03:00"
    assert sale["actDate"] == "2025-01-31", "January's act is out (report published 5 February)"
    assert sale["orderCreationDateTime"].startswith("2025-02-05T16:00:00")
    assert (sale["businessId"], sale["partnerId"], sale["placementModel"], sale["inn"]) == (
        BUSINESS,
        FBS_CAMPAIGN,
        "FBS",
        "7701234567",
    )
    assert list(sale) == [name[0].lower() + name.title().replace("_", "")[1:] for name in SHEETS["placement"]]
    there, back = sheets["delivery"]
    assert (there["orderId"], there["serviceName"], there["servicePrice"]) == (
        ORDER_DELIVERED,
        "Доставка покупателю",
        150,
    )
    assert there["from"] == "Склад FBS"
    assert (back["orderId"], back["serviceName"], back["servicePrice"]) == (
        69000012,
        "Доставка невыкупов и возвратов",
        90,
    )
    [fee] = sheets["payment_accepting"]
    assert (fee["orderId"], fee["buyerPaid"], fee["tariff"], fee["servicePrice"]) == (
        ORDER_DELIVERED,
        3000,
        1.5,
        45,
    )
    assert sheets["payment_transfer"] == []


def test_a_return_refunds_the_placement_fee(ro: httpx.Client) -> None:
    refund = _json_sheets(ro)["placement"][1]
    assert (refund["orderId"], refund["shopSku"]) == (69000012, "SKU-2")
    assert (refund["amountWithoutBonuses"], refund["totalAmount"]) == (-54.06, -54.06)


def test_service_date_period_is_by_moscow_day_and_shows_only_what_happened(ro: httpx.Client) -> None:
    february = _json_sheets(ro, dateFrom="2025-02-01", dateTo="2025-02-28")
    orders = [row["orderId"] for row in february["placement"]]
    assert orders == [69000013, 69000019], "01:30 MSK on 1 Feb is February; a sale after the clock is absent"
    assert {row["actDate"] for row in february["placement"]} == {"2025-01-31", ""}, (
        "February's act is not out"
    )
    january = _json_sheets(ro)
    assert 69000013 not in [row["orderId"] for row in january["placement"]]


def test_act_month_period_selects_by_act_and_waits_for_the_act(ro: httpx.Client) -> None:
    acts = _json_sheets(ro, yearFrom=2025, monthFrom=1, yearTo=2025, monthTo=1)
    assert [row["orderId"] for row in acts["placement"]] == [ORDER_DELIVERED, 69000012, 69000013]
    report = _done(ro, _generate(ro, "JSON", yearFrom=2025, monthFrom=2, yearTo=2025, monthTo=2))
    assert report["subStatus"] == "NO_DATA"
    assert "file" not in report


def test_filters_by_campaign_model_and_inn(ro: httpx.Client) -> None:
    for body in (
        {"campaignIds": [DBS_CAMPAIGN]},
        {"placementPrograms": ["DBS", "FBY"]},
        {"inns": ["500100732259"]},
    ):
        report = _done(ro, _generate(ro, "JSON", **JANUARY, **body))
        assert report.get("subStatus") == "NO_DATA", body
    kept = _json_sheets(
        ro, **JANUARY, campaignIds=[FBS_CAMPAIGN], placementPrograms=["FBS"], inns=["7701234567"]
    )
    assert len(kept["placement"]) == 2


def test_csv_archive_has_the_documented_headers_in_order(ro: httpx.Client) -> None:
    report = _done(ro, _generate(ro, "CSV"))
    download = httpx.get(report["file"])  # pre-signed style link: no auth header
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in SHEETS)
    rows = list(csv.reader(io.StringIO(archive.read("placement.csv").decode())))
    assert rows[0][:8] == ["BUSINESS_ID", "PLACEMENT_MODEL", "PARTNER_ID", "PARTNER_NAME", "INN",
                           "PLACEMENT_CONTRACT", "PROMOTION_CONTRACT", "ORDER_ID"]  # fmt: skip
    for column in ("SHOP_SKU", "SERVICE_NAME", "TARIFF", "SERVICE_DATE_TIME", "ACT_DATE", "TOTAL_AMOUNT"):
        assert column in rows[0]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["ORDER_ID"], first["TOTAL_AMOUNT"], first["AMOUNT_WITHOUT_BONUSES"]) == (
        "70000002",
        "360",
        "360",
    )
    assert first["LENGTH"] == "", "no dimensions in the world"
    delivery = list(csv.reader(io.StringIO(archive.read("delivery.csv").decode())))
    assert delivery[0][-3:] == ["SERVICE_DATE_TIME", "ACT_DATE", "SERVICE_PRICE"]


def test_xlsx_has_a_sheet_per_service_with_two_header_rows(ro: httpx.Client) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    report = _done(ro, _generate(ro, fmt=None))
    book = openpyxl.load_workbook(io.BytesIO(httpx.get(report["file"]).content))
    # Excel caps sheet names at 31 characters.
    assert book.sheetnames == ["Product placement on the showca", "Delivery to buyer", "Payment acceptance",
                               "Payment transfer"]  # fmt: skip
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Business information"
    assert rows[1][:2] == ("Business account ID", "Operation models")
    assert rows[1][-1] == "Service cost"
    assert rows[2][0] == BUSINESS


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**JANUARY, "yearFrom": 2025, "monthFrom": 1, "yearTo": 2025, "monthTo": 1}, "Only one period type"),
        ({}, "Period is not specified"),
        ({"dateFrom": "2025-01-01"}, "Missing field: dateTo"),
        ({"dateFrom": "2025-01-01", "dateTo": "2025-04-01"}, "3 months"),
        ({"dateFrom": "2025-02-01", "dateTo": "2025-01-01"}, "must not be later"),
        ({"yearFrom": 2025, "monthFrom": 1, "yearTo": 2025}, "Missing field: monthTo"),
        ({"yearFrom": 2025, "monthFrom": 3, "yearTo": 2025, "monthTo": 1}, "must not be later"),
        ({"yearFrom": 2025, "monthFrom": 13, "yearTo": 2025, "monthTo": 1}, "monthFrom"),
        ({"dateFrom": "2025-02-30", "dateTo": "2025-03-01"}, "dateFrom"),
        ({**JANUARY, "placementPrograms": ["FBS", "FBS"]}, "placementPrograms"),
        ({**JANUARY, "placementPrograms": ["XYZ"]}, "placementPrograms"),
        ({**JANUARY, "inns": []}, "inns"),
    ],
)
def test_bad_period_or_filters_answer_400(
    ro: httpx.Client, contract: Contract, body: dict[str, Any], words: str
) -> None:
    resp = ro.post(PATH, json={"businessId": BUSINESS, **body})
    assert resp.status_code == 400, resp.text
    contract.validate(resp.json(), "ApiClientDataErrorResponse")
    assert words in resp.json()["errors"][0]["message"]


def test_a_three_month_period_is_accepted(ro: httpx.Client) -> None:
    resp = ro.post(PATH, json={"businessId": BUSINESS, "dateFrom": "2025-01-01", "dateTo": "2025-03-31"})
    assert resp.status_code == 200, resp.text


def test_bad_format_language_business_campaign_and_token(ro: httpx.Client) -> None:
    assert (
        ro.post(PATH, params={"format": "PDF"}, json={"businessId": BUSINESS, **JANUARY}).status_code == 400
    )
    assert (
        ro.post(PATH, params={"language": "DE"}, json={"businessId": BUSINESS, **JANUARY}).status_code == 400
    )
    assert (
        ro.post(PATH, params={"language": "EN"}, json={"businessId": BUSINESS, **JANUARY}).status_code == 200
    )
    assert ro.post(PATH, json={"businessId": 1400, **JANUARY}).status_code == 403
    foreign = ro.post(PATH, json={"businessId": BUSINESS, **JANUARY, "campaignIds": [OTHER_CAMPAIGN]})
    assert foreign.status_code == 403
    assert httpx.post(f"{ro.base_url}{PATH}", json={"businessId": BUSINESS, **JANUARY}).status_code == 401


def test_someone_elses_report_is_forbidden_and_an_unknown_one_not_found(ro: httpx.Client) -> None:
    report_id = _generate(ro)
    resp = httpx.get(f"{ro.base_url}/v2/reports/info/{report_id}", headers={"Api-Key": OTHER_TOKEN})
    assert resp.status_code == 403
    assert ro.get("/v2/reports/info/ums-not-a-report").status_code == 404


def test_finance_scope_is_enough_and_other_scopes_are_refused(
    own: tuple[httpx.Client, EmulatorState],
) -> None:
    client, state = own
    fin = httpx.post(
        f"{client.base_url}{PATH}", headers={"Api-Key": FIN_TOKEN}, json={"businessId": 1300, **JANUARY}
    )
    assert fin.status_code == 200, fin.text
    state.conn().execute("update accounts set scopes = '[\"pricing\"]' where token = ?", (TOKEN,))
    state.conn().commit()
    refused = client.post(PATH, json={"businessId": BUSINESS, **JANUARY})
    assert refused.status_code == 403
    assert "scopes" in refused.json()["errors"][0]["message"]


def test_generate_quota_is_per_business_and_answers_420(own: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = own
    state.limits.limits["generateUnitedMarketplaceServicesReport"] = 1  # type: ignore[attr-defined]
    assert client.post(PATH, json={"businessId": BUSINESS, **JANUARY}).status_code == 200
    second = client.post(PATH, json={"businessId": BUSINESS, **JANUARY})
    assert second.status_code == 420
    assert second.json()["errors"][0]["code"] == "HIT_RATE_LIMIT"
    assert "X-RateLimit-Resource-Until" in second.headers
    other = httpx.post(
        f"{client.base_url}{PATH}", headers={"Api-Key": FIN_TOKEN}, json={"businessId": 1300, **JANUARY}
    )
    assert other.status_code == 200, "another cabinet has its own quota"


def test_report_late_fault_keeps_a_due_report_processing(own: tuple[httpx.Client, EmulatorState]) -> None:
    client, state = own
    report_id = _generate(client)
    for _ in range(2):
        client.get(f"/v2/reports/info/{report_id}")
    state.faults.add(f"/info/{report_id}", Fault("report_late"))  # type: ignore[attr-defined]
    assert client.get(f"/v2/reports/info/{report_id}").json()["result"]["status"] == "PROCESSING"
    assert client.get(f"/v2/reports/info/{report_id}").json()["result"]["status"] == "DONE"
