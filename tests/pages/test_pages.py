"""The accountants' and analysts' pages in a real browser (Debian's chromium via Playwright) inside a private
Airflow api-server, logged in through Airflow's own form as a read-only user, over a warehouse the real pipeline
filled (tests/pages/seed.py)."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import httpx
import psycopg
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from sellerflow.pages.reconciliation import LINE_MONEY, STATUSES

PAGES = "/sellerflow/pages"


def _open(context, airflow_ui, path: str):
    page = context.new_page()
    answer = page.goto(f"{airflow_ui.base_url}{PAGES}{path}")
    assert answer is not None, path
    assert answer.status == 200, f"{path}: HTTP {answer.status}"
    page.wait_for_load_state("networkidle")
    return page


def _status_table(page) -> dict[str, dict[str, str]]:
    """The status table as the page shows it: status → {lines, money columns (data-value)}."""
    rows = {}
    for row in page.locator("#statuses tr[data-status]").all():
        status = row.get_attribute("data-status")
        cells = {c.get_attribute("data-col"): c for c in row.locator("td[data-col]").all()}
        rows[status] = {"lines": int(cells["lines"].inner_text().replace("\u00a0", "").replace(" ", ""))}
        for column, _ in LINE_MONEY:
            rows[status][column] = Decimal(cells[column].get_attribute("data-value"))
    return rows


def test_unauthenticated_requests_are_refused(airflow_ui) -> None:
    url = f"{airflow_ui.base_url}{PAGES}/reconciliation"
    assert httpx.get(url).status_code == 401
    assert httpx.get(f"{url}/export.xlsx").status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert httpx.get(url, cookies={"_token": "forged"}).status_code == 401
    page = httpx.get(url, headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login")
    for path in ("/dashboards", "/marts", "/marts/dim_accounts.csv", "/health", "/upload", "/docs/"):
        assert httpx.get(f"{airflow_ui.base_url}{PAGES}{path}").status_code == 401, path
    assert httpx.post(f"{airflow_ui.base_url}{PAGES}/upload", data={"account_id": "x"}).status_code == 401


def test_a_bearer_token_from_airflow_gets_the_xlsx(airflow_ui) -> None:
    answer = httpx.get(
        f"{airflow_ui.base_url}{PAGES}/reconciliation/export.xlsx",
        headers={"Authorization": f"Bearer {airflow_ui.token()}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert load_workbook(io.BytesIO(answer.content)).sheetnames[0] == "Итоги"


def test_every_page_sits_in_airflows_navigation(logged_in, airflow_ui, shoot) -> None:
    page = logged_in.new_page()
    page.goto(f"{airflow_ui.base_url}/plugin/sellerflow-reconciliation")
    frame = page.frame_locator("iframe")
    frame.locator("h1").filter(has_text="Сверка").wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    shoot(page, "airflow_navigation")
    page.get_by_role("button", name=re.compile("Plugins|Плагины")).first.click()  # the UI's Plugins menu
    menu = page.get_by_role("menuitem", name=re.compile("Дашборды"))
    menu.wait_for(timeout=10_000)
    page.wait_for_timeout(800)  # the menu fades in: let it settle for the screenshot
    shoot(page, "airflow_plugins_menu")
    menu.click()
    page.wait_for_url("**/plugin/sellerflow-dashboards")
    page.frame_locator("iframe").locator("h1").filter(has_text="Дашборды").wait_for(timeout=30_000)
    plugins = page.request.get(f"{airflow_ui.base_url}/api/v2/plugins").json()
    routes = {
        view.get("url_route") for p in plugins.get("plugins", []) for view in p.get("external_views", [])
    }
    for route in ("reconciliation", "dashboards", "marts", "health", "upload", "docs"):
        assert f"sellerflow-{route}" in routes
    page.close()


def test_reconciliation_renders_and_filters_change_the_numbers(logged_in, airflow_ui, pages_warehouse, shoot):
    page = _open(logged_in, airflow_ui, "/reconciliation")
    shoot(page, "reconciliation")
    everything = _status_table(page)
    assert everything["total"]["lines"] > 100
    assert {"matched", "amount_mismatch", "awaiting_report"} <= set(everything)
    assert page.locator("#summary tr").count() > 5

    page.select_option("select[name=marketplace]", "wildberries")  # applies at once
    page.wait_for_url("**marketplace=wildberries**")
    wildberries = _status_table(page)
    with psycopg.connect(pages_warehouse.dsn) as conn:
        (expected,) = conn.execute(
            "select count(*) from marts.reconciliation_order_lines where marketplace = 'wildberries'"
        ).fetchone()
    assert wildberries["total"]["lines"] == expected < everything["total"]["lines"]
    assert wildberries["total"]["reported_payout"] != everything["total"]["reported_payout"]
    cabinets = page.locator("#summary td:nth-child(2)").all_inner_texts()
    assert cabinets
    assert all(c.startswith("wildberries_") for c in cabinets), cabinets

    page.select_option("select[name=period]", "2026-09")
    page.wait_for_url("**period=2026-09**")
    september = _status_table(page)
    assert 0 < september["total"]["lines"] < wildberries["total"]["lines"]
    page.close()


def test_drill_down_from_a_status_to_a_line_and_its_sources(logged_in, airflow_ui, shoot) -> None:
    page = _open(logged_in, airflow_ui, "/reconciliation")
    page.click("#statuses tr[data-status=amount_mismatch] a")
    page.wait_for_url("**status=amount_mismatch**")
    statuses = _status_table(page)
    assert f"{statuses['amount_mismatch']['lines']}" in page.locator(".toolbar strong").inner_text()
    assert page.locator("#lines tr").count() - 1 == statuses["amount_mismatch"]["lines"]
    page.locator("#lines tr td a").first.click()
    page.wait_for_load_state("networkidle")
    assert "Расхождение суммы" in page.locator("h1").inner_text()
    assert page.locator("#onec-documents tr").count() > 1  # the 1C shipment
    assert page.locator("#marketplace-order tr").count() > 1
    assert page.locator("#report-lines tr").count() > 1
    shoot(page, "reconciliation_line")
    page.close()


def test_the_xlsx_export_opens_and_its_totals_equal_the_table(logged_in, airflow_ui) -> None:
    page = _open(logged_in, airflow_ui, "/reconciliation?marketplace=ozon")
    on_screen = _status_table(page)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    summary = workbook["Итоги"]
    assert summary.freeze_panes == "A2"
    by_label = {row[0]: row for row in summary.iter_rows(min_row=2, values_only=True) if row and row[0]}
    for status, shown in on_screen.items():
        label = "Итого" if status == "total" else STATUSES.get(status, status)
        row = by_label[label]
        assert row[1] == shown["lines"], label
        for offset, (column, _) in enumerate(LINE_MONEY, start=2):
            assert Decimal(str(row[offset])) == shown[column], (label, column)
    for status, shown in on_screen.items():
        if status == "total":
            continue
        sheet = workbook[STATUSES.get(status, status)[:31]]
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        payout = header.index("К перечислению, ₽") + 1
        last = sheet.max_row
        assert sheet.cell(last, 1).value == "Итого"
        assert last - 2 == shown["lines"]  # header and totals around the lines
        assert Decimal(str(sheet.cell(last, payout).value)) == shown["reported_payout"]
        assert "#,##0.00" in sheet.cell(2, payout).number_format
    with page.expect_download() as download:
        page.click("#export-csv")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) - 1 == on_screen["total"]["lines"]
    page.close()


def test_dashboards_draw_every_chart_with_its_mart_and_sql(logged_in, airflow_ui, shoot) -> None:
    page = _open(logged_in, airflow_ui, "/dashboards")
    page.wait_for_function("window.sellerflowCharts && Object.keys(window.sellerflowCharts).length === 7")
    drawn = page.evaluate(
        "Object.fromEntries(Object.entries(window.sellerflowCharts)"
        ".map(([k, c]) => [k, c.data.datasets.reduce((n, d) => n + d.data.filter(v => v !== null).length, 0)]))"
    )
    assert all(points > 0 for points in drawn.values()), drawn
    for card in page.locator("section.card").all():
        assert "marts." in card.locator("code").first.inner_text()
        assert "from marts." in card.locator("pre").text_content(), card.get_attribute("id")
    shoot(page, "dashboards")
    weekly = page.evaluate("window.sellerflowCharts.revenue.data.labels.length")
    page.select_option("select[name=grain]", "day")
    page.wait_for_url("**grain=day**")
    page.wait_for_function("window.sellerflowCharts && window.sellerflowCharts.revenue")
    assert page.evaluate("window.sellerflowCharts.revenue.data.labels.length") > weekly
    page.close()


def test_marts_download_as_parquet_and_csv_with_column_docs(logged_in, airflow_ui, shoot) -> None:
    page = _open(logged_in, airflow_ui, "/marts")
    assert page.locator("#mart-reconciliation_order_lines").count() == 1
    shoot(page, "marts")
    parquet = page.request.get(f"{airflow_ui.base_url}{PAGES}/marts/reconciliation_order_lines.parquet")
    assert parquet.status == 200
    table = pq.read_table(io.BytesIO(parquet.body()))
    assert table.num_rows > 100
    assert "Маркетплейс" in table.schema.field("marketplace").metadata[b"description"].decode()
    csv_text = page.request.get(f"{airflow_ui.base_url}{PAGES}/marts/dim_accounts.csv").text()
    assert csv_text.splitlines()[0].startswith("account_id,")
    columns = page.request.get(f"{airflow_ui.base_url}{PAGES}/marts/dim_accounts/columns.csv").text()
    assert "Кабинет" in columns
    page.close()


def test_health_shows_syncs_tokens_quarantine_and_outbox(logged_in, airflow_ui, shoot) -> None:
    page = _open(logged_in, airflow_ui, "/health")
    assert page.locator("#syncs tr").count() > 20
    assert "1 ч / 6 ч" in page.locator("#syncs").inner_text()  # the dbt source freshness of a stream
    credentials = page.locator("#credentials").inner_text()
    assert "wildberries_main" in credentials
    assert "prices" in credentials
    assert "Ozon: SKU not found" in page.locator("#parked").inner_text()
    shoot(page, "health")
    page.click("#quarantine a")
    page.wait_for_load_state("networkidle")
    assert "posting_number is missing" in page.locator("#quarantine-rows").inner_text()
    page.close()


def test_dbt_docs_are_served(logged_in, airflow_ui, shoot) -> None:
    page = _open(logged_in, airflow_ui, "/docs")  # redirected to /docs/, which fetches manifest and catalog
    site = page.url.split("#")[0]
    assert site.endswith("/docs/")
    page.goto(f"{site}#!/model/model.sellerflow.reconciliation_order_lines")
    page.get_by_text("Одна строка на (кабинет, номер заказа, товар)").first.wait_for(timeout=30_000)
    shoot(page, "warehouse_docs")
    page.close()


def _renamed_header(content: bytes, old: str, new: str) -> bytes:
    book = load_workbook(io.BytesIO(content))
    for row in book.active.iter_rows():
        for cell in row:
            if cell.value == old:
                cell.value = new
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_upload_shows_the_importers_error_on_a_wrong_layout_takes_a_good_file_and_keeps_the_history(
    logged_in, airflow_ui, pages_warehouse, shoot
) -> None:
    report = sorted((pages_warehouse.world / "drop" / "megamarket_main").glob("*.xlsx"))[0]
    broken = _renamed_header(report.read_bytes(), "Вознаграждение, руб.", "Комиссия МП, руб.")
    page = _open(logged_in, airflow_ui, "/upload")
    assert "Импорт недоступен" not in page.content()  # issue 14's importer is there

    def send(name: str, content: bytes) -> str:
        page.select_option("select[name=account_id]", "megamarket_main")
        page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": "application/octet-stream",
                                                         "buffer": content}])  # fmt: skip
        page.click("#upload-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page.locator("#upload-result").inner_text()

    refused = send("wrong_layout.xlsx", broken)
    assert "не принят" in refused
    assert "Комиссия МП, руб." in refused  # the importer's own words: the columns it found
    assert "Вознаграждение, руб." in refused  # and the one it misses
    shoot(page, "upload")
    taken = send(report.name, report.read_bytes())
    assert "загружен" in taken
    history = page.locator("#uploads").inner_text()
    assert "wrong_layout.xlsx" in history
    assert report.name in history
    assert "accountant" in history
    page.close()


@pytest.mark.parametrize("path", ["", "/reconciliation?status=matched&page=2"])
def test_other_views_render(logged_in, airflow_ui, path) -> None:
    _open(logged_in, airflow_ui, path or "/").close()


def test_make_demo_prints_and_records_the_pages(airflow_ui, tmp_path, monkeypatch, capsys) -> None:
    from sellerflow.demo.pages import demo_pages

    home = tmp_path / "airflow_home"
    home.mkdir()
    (home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({"admin": airflow_ui.password("admin")})
    )
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", airflow_ui.base_url)
    monkeypatch.setenv("AIRFLOW_HOME", str(home))
    summary = tmp_path / "demo_summary.json"
    summary.write_text(json.dumps({"first_cycle_seconds": 1.0}))
    demo_pages(summary)
    recorded = json.loads(summary.read_text())
    assert recorded["first_cycle_seconds"] == 1.0
    assert recorded["pages_url"] == f"{airflow_ui.base_url}/sellerflow/pages/"
    assert recorded["reconciliation_export_url"].endswith("/sellerflow/pages/reconciliation/export.xlsx")
    printed = capsys.readouterr().out
    assert "answers a bearer token with an XLSX file" in printed
    assert recorded["pages"]["Reconciliation"] in printed
