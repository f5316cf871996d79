"""The report files our Yandex Market client reads, held against the columns YM documents (closed schemas).

YM documents the columns of its report files on the report pages ("Explanation of the report columns"), not in
the OpenAPI; ``report_columns.json`` transcribes the JSON column names and value types per sheet file
(``report_columns.py`` rebuilds it from the crawl named in the file). Checked here:

- every sheet of the emulator's JSON-format goods-realization report (FBS and DBS campaigns) and
  united-marketplace-services report is a documented sheet file of that placement model, and every row holds
  only documented keys, each of its documented type (closed: an undocumented key fails);
- the keys our client keys rows on are present and not null in every row (realization: ``orderId``,
  ``shopSku``; services: ``businessId``, ``partnerId``, ``inn`` — the seller's, on every sheet — and the sheet's
  service date);
- every key our staging models read from a report row is a documented column, and every documented services
  sheet has a money column the staging reads, so no documented sheet's charges are dropped silently.

[?] The pages give no nullability: a documented column may be null or absent, except the keys above.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import generate_world
from sellerflow_emulators.testing.yandex_market import relax_report_quota
from sellerflow_emulators.yandex_market import create_app

HERE = Path(__file__).parent
COLUMNS = json.loads((HERE / "report_columns.json").read_text())
STAGING = Path(__file__).resolve().parents[3] / "dbt" / "models" / "staging" / "yandex_market"
TYPES = {"integer": "integer", "number": "number", "string": "string"}
DATE_FIELDS = ("serviceDateTime", "serviceDate", "dateTime")
# the cost column(s) stg_yandex_market__service_rows reads for service_amount, in its coalesce order
STAGING_MONEY = ("totalAmount", "servicePrice", "paidStorage", "fullPrice", "prepaid", "postpaid")
DBS_CAMPAIGN = 27886370


def _schema(columns: dict[str, str], required: tuple[str, ...]) -> dict[str, Any]:
    """A closed JSON schema of one sheet's rows: documented keys only, each of its documented type (or null)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": {
            name: {"type": [*(TYPES[t] for t in types.split("|")), *([] if name in required else ["null"])]}
            for name, types in columns.items()
        },
    }


def realization_schema(model: str, sheet: str) -> dict[str, Any]:
    """Schema of a goods-realization sheet of a placement model section (``fby_fbs_express`` or ``dbs``)."""
    return _schema(COLUMNS["goods_realization"]["sections"][model][sheet], ("orderId", "shopSku"))


def services_schema(sheet: str) -> dict[str, Any]:
    """Schema of a united-marketplace-services sheet (every sheet carries the seller's business columns)."""
    columns = COLUMNS["united_marketplace_services"]["sections"]["all"][sheet]
    date = next(f for f in DATE_FIELDS if f in columns)
    return _schema(columns, ("businessId", "partnerId", "inn", date))


def _add_report_lines(world: Path) -> None:
    """Rows on every realization sheet, and a DBS campaign of the cabinet with its own report (the generated
    scenario books only sales and returns of one FBS campaign)."""
    conn = sqlite3.connect(world)
    with conn:
        main = conn.execute("select * from accounts where id = 'yandex_market_main'").fetchone()
        columns = [c[1] for c in conn.execute("pragma table_info(accounts)")]
        dbs = dict(zip(columns, main, strict=True))
        dbs.update(id="yandex_market_dbs", campaign_id=str(DBS_CAMPAIGN), vendor='{"placementType": "DBS"}')
        conn.execute(
            f"insert into accounts({', '.join(dbs)}) values ({', '.join('?' for _ in dbs)})",
            list(dbs.values()),
        )
        period = conn.execute(
            "select period_start, period_end, published_at from reports where account_id = 'yandex_market_main'"
        ).fetchone()
        conn.execute("insert into reports values ('ym-dbs', 'yandex_market_dbs', ?, ?, ?, '{}')", period)
        sheets = ("transferred_to_delivery", "delivered", "unredeemed", "returned", "lost_items")
        for report in (
            "ym-dbs",
            *(r for (r,) in conn.execute("select id from reports where account_id = ?", (main[0],))),
        ):
            start = 1000 + int(conn.execute("select count(*) from report_lines").fetchone()[0])
            for n, sheet in enumerate(sheets):
                conn.execute(
                    "insert into report_lines(report_id, line_no, order_number, posting_number, offer_id, operation,"
                    " quantity, amount_kop, payout_kop, operation_at, vendor) values (?, ?, ?, ?, ?, 'sale', 1, 12345,"
                    " 11000, ?, ?)",
                    (
                        report,
                        start + n,
                        f"C{start + n}",
                        str(9_100_000 + start + n),
                        "SKU-C",
                        f"{period[0]}T10:00:00Z",
                        json.dumps({"sheet": sheet}),
                    ),
                )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """The YM emulator on a generated world with rows on every realization sheet, and the cabinet's ids."""
    source = generate_world(tmp_path_factory.mktemp("ym_reports_src")).parent
    folder = tmp_path_factory.mktemp("ym_reports")
    shutil.copy(source / "world.sqlite", folder / "world.sqlite")
    _add_report_lines(folder / "world.sqlite")
    extra = next(
        c["extra"] | {"token": c["password"]}
        for c in json.loads((source / "accounts.json").read_text())["connections"]
        if c["conn_id"] == "mp_yandex_market_main"
    )
    state = EmulatorState(folder / "world.sqlite")
    relax_report_quota(state)
    with (
        serve_in_thread(create_app(state)) as url,
        httpx.Client(base_url=url, headers={"Api-Key": extra["token"]}, timeout=60) as http,
    ):
        yield http, extra


def _sheets(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Generate a JSON-format report, poll it until done and read its archive: sheet → rows."""
    started = http.post(path, params={"format": "JSON"}, json=body)
    assert started.status_code == 200, started.text
    report_id = started.json()["result"]["reportId"]
    for _ in range(20):
        info = http.get(f"/v2/reports/info/{report_id}").json()["result"]
        if info["status"] == "DONE":
            break
    assert info["status"] == "DONE", info
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(info["file"]).content))
    return {name.removesuffix(".json"): json.loads(archive.read(name)) for name in archive.namelist()}


def _violations(rows: list[dict[str, Any]], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [f"row {i}: {e.message}" for i, row in enumerate(rows) for e in validator.iter_errors(row)][:10]


@pytest.mark.parametrize(("campaign", "model"), [("campaign_id", "fby_fbs_express"), ("dbs", "dbs")])
def test_goods_realization_sheets_are_the_documented_ones_with_documented_columns(
    served: tuple[httpx.Client, dict[str, Any]], campaign: str, model: str
) -> None:
    http, extra = served
    campaign_id = DBS_CAMPAIGN if campaign == "dbs" else int(extra["campaign_id"])
    sheets = _sheets(
        http, "/v2/reports/goods-realization/generate", {"campaignId": campaign_id, "year": 2026, "month": 8}
    )
    documented = COLUMNS["goods_realization"]["sections"][model]
    assert set(sheets) == set(documented), "the archive holds exactly the model's documented sheet files"
    assert all(sheets.values()), "every sheet has rows to check"
    for sheet, rows in sheets.items():
        assert _violations(rows, realization_schema(model, sheet)) == [], sheet


def test_united_marketplace_services_sheets_hold_only_documented_columns(
    served: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, extra = served
    body = {"businessId": int(extra["business_id"]), "dateFrom": "2026-08-01", "dateTo": "2026-08-31"}
    sheets = _sheets(http, "/v2/reports/united-marketplace-services/generate", body)
    documented = COLUMNS["united_marketplace_services"]["sections"]["all"]
    assert set(sheets) <= set(documented)
    assert sum(len(rows) for rows in sheets.values()) > 0
    for sheet, rows in sheets.items():
        assert _violations(rows, services_schema(sheet)) == [], sheet
        assert all(r["inn"] for r in rows), "the seller's INN on every row"


def test_a_closed_schema_refuses_an_undocumented_or_mistyped_column() -> None:
    """The check can fail: an extra key, a wrong type and a missing key are each a violation."""
    schema = realization_schema("fby_fbs_express", "delivered")
    good = {"orderId": 1, "shopSku": "A", "deliveredCount": 2, "deliveredPriceSumWithVatAndDiscounts": 10.5}
    assert _violations([good], schema) == []
    assert _violations([{**good, "commission": 1}], schema)
    assert _violations([{**good, "deliveredCount": "2"}], schema)
    assert _violations([{"orderId": 1}], schema)
    assert "lost_items" not in COLUMNS["goods_realization"]["sections"]["dbs"]


@pytest.mark.parametrize(
    ("report", "model_file"),
    [
        ("goods_realization", "stg_yandex_market__realization_rows.sql"),
        ("united_marketplace_services", "stg_yandex_market__service_rows.sql"),
    ],
)
def test_staging_reads_only_documented_columns(report: str, model_file: str) -> None:
    read = set(re.findall(r"payload\s*->>\s*'([A-Za-z_]+)'", (STAGING / model_file).read_text()))
    documented = {
        c for section in COLUMNS[report]["sections"].values() for sheet in section.values() for c in sheet
    }
    assert read, model_file
    assert read - documented == set()


def test_every_documented_services_sheet_has_a_money_column_the_staging_reads() -> None:
    sql = (STAGING / "stg_yandex_market__service_rows.sql").read_text()
    assert all(f"'{c}'" in sql for c in STAGING_MONEY)
    sheets = COLUMNS["united_marketplace_services"]["sections"]["all"]
    without = sorted(s for s, columns in sheets.items() if not set(columns) & set(STAGING_MONEY))
    assert without == []
