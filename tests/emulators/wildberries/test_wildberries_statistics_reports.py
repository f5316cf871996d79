"""statistics-api feeds, finance-api sales reports and the legacy v5 report, over real HTTP."""

from __future__ import annotations

import json

from wildberries_world import ORDER3_SRID, Emulator

PERIOD = {"dateFrom": "2026-03-01", "dateTo": "2026-03-20"}


def test_supplier_orders_rows_are_moscow_time_and_sorted_by_last_change(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-01"}).json()
    changes = [r["lastChangeDate"] for r in rows]
    assert changes == sorted(changes)
    assert len(rows) == 5  # orders 1-5; order 6 is after the clock
    by_srid = {r["srid"]: r for r in rows}
    sold = by_srid[ORDER3_SRID]
    assert sold["date"] == "2026-03-09T12:00:00"  # 09:00Z + 3 h
    assert sold["lastChangeDate"] == "2026-03-12T18:00:00"
    assert sold["warehouseType"] == "Склад продавца"
    assert (sold["totalPrice"], sold["priceWithDisc"], sold["discountPercent"]) == (1000, 700, 30)
    fbo = [r for r in rows if r["warehouseType"] == "Склад WB"]
    assert len(fbo) == 1
    cancelled = [r for r in rows if r["isCancel"]]
    assert [(r["cancelDate"], r["supplierArticle"]) for r in cancelled] == [
        ("2026-03-13T11:30:00", "SKU-B-M")
    ]


def test_supplier_orders_next_date_from_is_inclusive_and_ends_with_empty_list(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-01"}).json()
        last = rows[-1]["lastChangeDate"]
        tail = c.get("/api/v1/supplier/orders", params={"dateFrom": last}).json()
        after = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-15T15:00:01"}).json()
    assert [r["srid"] for r in tail] == [rows[-1]["srid"]]
    assert after == []


def test_supplier_orders_flag_1_returns_one_calendar_day(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-14", "flag": 1}).json()
    assert sorted(r["supplierArticle"] for r in rows) == ["SKU-A", "SKU-B-S"]
    assert all(r["date"].startswith("2026-03-14") for r in rows)


def test_supplier_sales_has_sales_and_returns(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.get("/api/v1/supplier/sales", params={"dateFrom": "2026-03-01"}).json()
    kinds = [(r["saleID"][0], r["date"]) for r in rows]
    assert kinds == [("S", "2026-03-07T11:00:00"), ("R", "2026-03-11T11:00:00"), ("S", "2026-03-12T18:00:00")]
    ret = rows[1]
    assert ret["priceWithDisc"] == -700
    assert rows[2]["srid"] == ORDER3_SRID


def test_statistics_date_from_errors(wb: Emulator) -> None:
    with wb.client() as c:
        missing = c.get("/api/v1/supplier/orders")
        garbage = c.get("/api/v1/supplier/sales", params={"dateFrom": "yesterday"})
    assert missing.status_code == 400
    assert missing.json() == {"errors": ["dateFrom: field required"]}
    assert garbage.status_code == 400
    assert garbage.json() == {"errors": "dateFrom: Value not validated"}


def test_report_list_shows_published_reports_with_string_sums(wb: Emulator) -> None:
    with wb.client() as c:
        weekly = c.post("/api/finance/v1/sales-reports/list", json=PERIOD).json()
        daily = c.post("/api/finance/v1/sales-reports/list", json={**PERIOD, "period": "daily"}).json()
        none = c.post(
            "/api/finance/v1/sales-reports/list", json={"dateFrom": "2025-01-01", "dateTo": "2025-01-31"}
        )
    assert [r["reportId"] for r in weekly] == [301]  # 302 is published after the clock
    report = weekly[0]
    assert (report["retailAmountSum"], report["forPaySum"], report["deliveryServiceSum"]) == (
        "700",
        "595",
        "50",
    )
    assert report["paidStorageSum"] == "12"
    assert report["bankPaymentSum"] == "533"  # 595 - 50 logistics - 12 storage
    assert report["sellerFinanceName"] == 'ООО "Ромашка"'
    assert [r["reportId"] for r in daily] == [303]
    assert daily[0]["forPaySum"] == "999.99"  # the report's own totals win over the line sums
    assert none.status_code == 204


def test_detailed_rows_are_camel_case_with_money_strings(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.post("/api/finance/v1/sales-reports/detailed", json={**PERIOD, "period": "daily"}).json()
    sale, penalty = rows
    assert (sale["rrdId"], sale["docTypeName"], sale["sellerOperName"]) == (2001, "Продажа", "Продажа")
    assert (sale["retailAmount"], sale["ppvzSalesCommission"], sale["forPay"]) == ("700", "105", "595")
    assert (sale["srid"], sale["orderId"], sale["orderUid"]) == (ORDER3_SRID, 5003, "77_abc")
    assert (sale["nmId"], sale["sku"], sale["vendorCode"]) == (100001, "2000000000011", "SKU-A")
    assert (penalty["sellerOperName"], penalty["penalty"], penalty["forPay"]) == ("Штраф", "23.74", "0")
    assert "assemblyId" not in sale
    assert "commission_rate" not in sale


def test_detailed_pages_by_rrd_id_until_204(wb: Emulator) -> None:
    pages = []
    rrd = 0
    with wb.client() as c:
        for _ in range(5):
            r = c.post("/api/finance/v1/sales-reports/detailed", json={**PERIOD, "limit": 2, "rrdId": rrd})
            if r.status_code == 204:
                break
            pages.append([row["rrdId"] for row in r.json()])
            rrd = r.json()[-1]["rrdId"]
    assert pages == [[1001, 1002], [1003]]
    assert r.status_code == 204
    assert r.content == b""


def test_detailed_fields_selects_columns(wb: Emulator) -> None:
    body = {**PERIOD, "fields": ["rrdId", "srid", "forPay"]}
    with wb.client() as c:
        rows = c.post("/api/finance/v1/sales-reports/detailed", json=body).json()
    assert all(set(r) == {"rrdId", "srid", "forPay"} for r in rows)


def test_detailed_by_report_id(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.post("/api/finance/v1/sales-reports/detailed/303", json={"limit": 10}).json()
        unpublished = c.post("/api/finance/v1/sales-reports/detailed/302", json={})
    assert [r["rrdId"] for r in rows] == [2001, 2002]
    assert {r["reportId"] for r in rows} == {303}
    assert unpublished.status_code == 204


def test_detailed_400_is_finance_problem_json(wb: Emulator) -> None:
    with wb.client() as c:
        missing = c.post("/api/finance/v1/sales-reports/detailed", json={"dateFrom": "2026-03-01"})
        big = c.post("/api/finance/v1/sales-reports/detailed", json={**PERIOD, "limit": 100001})
    assert missing.status_code == 400
    assert missing.headers["content-type"].startswith("application/problem+json")
    body = missing.json()
    assert body["title"] == "GetReportDetailByPeriodNB decode error"
    assert body["detail"] == "GetReportDetailByPeriodNB decode error: missing dateTo params"
    assert body["origin"] == "open-api-finreports"
    assert big.status_code == 400


def test_legacy_v5_is_gone_by_default(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v5/supplier/reportDetailByPeriod", params=PERIOD)
    assert r.status_code == 404
    assert r.json()["title"] == "path not found"


def test_legacy_v5_when_enabled_serves_snake_case_numbers_until_204(wb: Emulator) -> None:
    db = wb.db()
    db.execute(
        "update accounts set vendor = ? where id = 'wildberries_main'", (json.dumps({"legacy_v5": True}),)
    )
    db.commit()
    with wb.client() as c:
        first = c.get("/api/v5/supplier/reportDetailByPeriod", params={**PERIOD, "limit": 2}).json()
        second = c.get(
            "/api/v5/supplier/reportDetailByPeriod", params={**PERIOD, "limit": 2, "rrdid": 1002}
        ).json()
        end = c.get("/api/v5/supplier/reportDetailByPeriod", params={**PERIOD, "rrdid": 1003})
        bad = c.get("/api/v5/supplier/reportDetailByPeriod", params={"dateTo": "2026-03-20"})
    assert [r["rrd_id"] for r in first] == [1001, 1002]
    sale = first[0]
    assert (sale["realizationreport_id"], sale["retail_amount"], sale["ppvz_for_pay"]) == (301, 700, 595)
    assert sale["supplier_oper_name"] == "Продажа"
    assert sale["currency_name"] == "руб"
    assert first[1]["delivery_rub"] == 50
    assert [r["rrd_id"] for r in second] == [1003]
    assert end.status_code == 204
    assert bad.status_code == 400
    assert bad.json()["detail"] == "GetReportDetailByPeriodNB decode error: missing dateFrom params"
    assert set(bad.json()) == {"status", "title", "detail", "request_id", "origin"}


def test_charge_rows_carry_costs_in_their_own_fields(wb: Emulator) -> None:
    with wb.client() as c:
        rows = c.post("/api/finance/v1/sales-reports/detailed", json=PERIOD).json()
    by_rrd = {r["rrdId"]: r for r in rows}
    logistics, storage = by_rrd[1002], by_rrd[1003]
    assert (logistics["sellerOperName"], logistics["deliveryService"], logistics["forPay"]) == (
        "Логистика",
        "50",
        "0",
    )
    assert (storage["sellerOperName"], storage["paidStorage"], storage["srid"]) == ("Хранение", "12", "")


def test_report_list_prefers_the_reports_own_generator_totals(wb: Emulator) -> None:
    totals = {"sale_amount_kop": 80000, "return_amount_kop": 1000, "logistics_kop": 6000, "payout_kop": 50000}
    db = wb.db()
    db.execute("update reports set totals = ? where id = '301'", (json.dumps(totals),))
    db.commit()
    with wb.client() as c:
        report = c.post("/api/finance/v1/sales-reports/list", json=PERIOD).json()[0]
    assert (report["retailAmountSum"], report["deliveryServiceSum"], report["bankPaymentSum"]) == (
        "790",
        "60",
        "500",
    )
    assert report["forPaySum"] == "595"  # not in the generator's totals: summed from the lines
