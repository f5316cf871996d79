"""Auth failures, rate limits, injected faults and report visibility, each as Ozon renders it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from sellerflow_emulators.runtime import Fault

PERIOD = {"since": "2026-09-01T00:00:00Z", "to": "2026-09-30T00:00:00Z"}
FBS_LIST = "/v4/posting/fbs/list"
ERROR_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "contracts" / "ozon" / "error.json").read_text(encoding="utf-8")
)


def assert_error(response: httpx.Response, status: int, code: int, message: str) -> None:
    """The answer is the rpcStatus body with this status, code and message."""
    assert response.status_code == status, response.text
    jsonschema.validate(response.json(), ERROR_SCHEMA)
    assert response.json() == {"code": code, "message": message, "details": []}


def test_missing_headers_is_401(ozon: Any) -> None:
    response = httpx.post(ozon.url + "/v3/product/list", json={})
    assert_error(response, 401, 16, "Client-Id and Api-Key headers are required")


def test_non_numeric_client_id_is_400(ozon: Any) -> None:
    response = ozon.post("/v3/product/list", {}, {"Client-Id": "abc", "Api-Key": "key-main"})
    assert_error(response, 400, 3, "Client-Id header value should be positive integer")


def test_wrong_api_key_is_404_invalid_key(ozon: Any) -> None:
    response = ozon.post("/v3/product/list", {}, {"Client-Id": "123456", "Api-Key": "wrong"})
    assert_error(response, 404, 5, "Invalid Api-Key, please check the key and try again")
    mixed = ozon.post("/v3/product/list", {}, {"Client-Id": "654321", "Api-Key": "key-main"})
    assert_error(mixed, 404, 5, "Invalid Api-Key, please check the key and try again")


def test_expired_key_is_403_deactivated(ozon: Any) -> None:
    response = ozon.post("/v3/product/list", {}, ozon.expired)
    assert_error(response, 403, 7, "Api-key is deactivated, use another one or generate a new one")


def test_unknown_method_is_404(ozon: Any) -> None:
    assert_error(ozon.post("/v9/nothing/here", {}), 404, 5, "Not Found")


def test_malformed_json_is_400(ozon: Any) -> None:
    response = httpx.post(ozon.url + "/v3/product/list", content=b"{nope", headers=ozon.main)
    assert response.status_code == 400
    jsonschema.validate(response.json(), ERROR_SCHEMA)


def test_rate_limit_refusal_is_429_code_8(ozon_rw: Any) -> None:
    ozon_rw.limits.limit = 1
    assert ozon_rw.post("/v3/product/list", {}).status_code == 200
    refused = ozon_rw.post("/v3/product/list", {})
    assert_error(refused, 429, 8, "You have reached request rate limit per second")
    assert "retry-after" not in refused.headers


def test_limits_are_counted_per_cabinet_and_group_and_released(ozon_rw: Any) -> None:
    ozon_rw.post("/v3/product/list", {})
    ozon_rw.post("/v2/products/stocks", {"stocks": [{"offer_id": "A-1", "stock": 1, "warehouse_id": 1}]})
    assert ozon_rw.limits.calls == [
        ("ozon", "global", "ozon_main"),
        ("ozon", "global", "ozon_main"),
        ("ozon", "products_stocks", "ozon_main"),
    ]
    assert sorted(ozon_rw.limits.released) == sorted(ozon_rw.limits.calls)


def test_server_error_faults(ozon_rw: Any) -> None:
    ozon_rw.faults.add(FBS_LIST, Fault("server_error", status=500))
    assert_error(ozon_rw.post(FBS_LIST, {"limit": 1, "filter": PERIOD}), 500, 13, "Internal error")
    ozon_rw.faults.add(FBS_LIST, Fault("server_error", status=503))
    assert_error(ozon_rw.post(FBS_LIST, {"limit": 1, "filter": PERIOD}), 503, 14, "Circle is open")
    assert ozon_rw.post(FBS_LIST, {"limit": 1, "filter": PERIOD}).status_code == 200


def test_expired_token_fault(ozon_rw: Any) -> None:
    ozon_rw.faults.add("/v3/product/list", Fault("expired_token", status=401))
    assert_error(
        ozon_rw.post("/v3/product/list", {}),
        403,
        7,
        "Api-key is deactivated, use another one or generate a new one",
    )


def test_slow_fault_still_answers(ozon_rw: Any) -> None:
    ozon_rw.faults.add("/v3/product/list", Fault("slow", delay_s=0.2))
    assert ozon_rw.post("/v3/product/list", {"limit": 1}).json()["result"]["total"] == 3


def test_timeout_fault_hangs_past_client_timeout(ozon_rw: Any) -> None:
    ozon_rw.faults.add("/v3/product/list", Fault("timeout", delay_s=3.0))
    try:
        httpx.post(ozon_rw.url + "/v3/product/list", json={}, headers=ozon_rw.main, timeout=0.3)
    except httpx.ReadTimeout:
        return
    raise AssertionError("the request did not hang")


def test_duplicate_page_fault_serves_previous_page_again(ozon_rw: Any) -> None:
    first = ozon_rw.post(FBS_LIST, {"limit": 3, "filter": PERIOD}).json()
    second = ozon_rw.post(FBS_LIST, {"limit": 3, "filter": PERIOD, "cursor": first["cursor"]}).json()
    ozon_rw.faults.add(FBS_LIST, Fault("duplicate_page"))
    third = ozon_rw.post(FBS_LIST, {"limit": 3, "filter": PERIOD, "cursor": second["cursor"]}).json()
    numbers = [p["posting_number"] for p in third["postings"]]
    assert numbers == [p["posting_number"] for p in second["postings"]]
    assert third["cursor"] == second["cursor"]


def test_shifted_page_fault_skips_or_repeats_rows(ozon_rw: Any) -> None:
    first = ozon_rw.post(FBS_LIST, {"limit": 4, "filter": PERIOD}).json()
    clean = ozon_rw.post(FBS_LIST, {"limit": 4, "filter": PERIOD, "cursor": first["cursor"]}).json()
    clean_numbers = [p["posting_number"] for p in clean["postings"]]
    ozon_rw.faults.add(FBS_LIST, Fault("shifted_page", shift=2))
    ahead = ozon_rw.post(FBS_LIST, {"limit": 4, "filter": PERIOD, "cursor": first["cursor"]}).json()
    assert [p["posting_number"] for p in ahead["postings"]][:2] == clean_numbers[2:]
    ozon_rw.faults.add(FBS_LIST, Fault("shifted_page", shift=-1))
    back = ozon_rw.post(FBS_LIST, {"limit": 4, "filter": PERIOD, "cursor": first["cursor"]}).json()
    first_numbers = [p["posting_number"] for p in first["postings"]]
    assert [p["posting_number"] for p in back["postings"]] == [first_numbers[-1], *clean_numbers[:3]]


def test_schema_faults_touch_list_items(ozon_rw: Any) -> None:
    ozon_rw.faults.add(FBS_LIST, Fault("schema_extra_field", field="integration_type_flow"))
    extra = ozon_rw.post(FBS_LIST, {"limit": 2, "filter": PERIOD}).json()["postings"]
    assert all("integration_type_flow" in p for p in extra)
    ozon_rw.faults.add(FBS_LIST, Fault("schema_renamed_field", field="posting_number"))
    renamed = ozon_rw.post(FBS_LIST, {"limit": 2, "filter": PERIOD}).json()["postings"]
    assert all("posting_number" not in p and "postingNumber" in p for p in renamed)


def test_realization_visible_only_after_publication(ozon: Any) -> None:
    published = ozon.post("/v2/finance/realization", {"month": 8, "year": 2026}).json()["result"]
    assert published["header"]["number"] == "R-2026-08"
    assert [r["rowNumber"] for r in published["rows"]] == [1, 2]
    pending = ozon.post("/v2/finance/realization", {"month": 9, "year": 2026})
    assert_error(pending, 404, 5, "Report was not found")


def test_report_late_fault_hides_a_due_report(ozon_rw: Any) -> None:
    ozon_rw.faults.add("/v1/finance/realization/posting", Fault("report_late"))
    late = ozon_rw.post("/v1/finance/realization/posting", {"month": 8, "year": 2026})
    assert_error(late, 404, 5, "Report was not found")
    ready = ozon_rw.post("/v1/finance/realization/posting", {"month": 8, "year": 2026}).json()
    assert [r["order"]["posting_number"] for r in ready["rows"]] == ["00000003-0001-1", "00000008-0001-1"]
    assert ready["rows"][1]["return_commission"]["amount"] == 4099.0
    assert ready["rows"][1]["delivery_commission"] is None


def test_accruals_by_posting_sum_to_the_report_payout(ozon: Any) -> None:
    body = {"posting_numbers": ["00000003-0001-1"]}
    accruals = ozon.post("/v1/finance/accrual/postings", body).json()["posting_accruals"][0]["accruals"]
    (sale,) = [a for a in accruals if a["type_id"] == 69]  # SaleCommission: the sale's units and unit price
    sold = round(float(sale["seller_price"]["amount"]) * 100) * sale["quantity"]
    charged = sum(round(float(a["accrued"]["amount"]) * 100) for a in accruals)
    assert sold + charged == 348415 - 7600
    types = {t["id"] for t in ozon.post("/v1/finance/accrual/types", {}).json()["accrual_types"]}
    assert {a["type_id"] for a in accruals} <= types


def test_accruals_by_day_include_non_item_fees(ozon: Any) -> None:
    day = ozon.post("/v1/finance/accrual/by-day", {"date": "2026-08-20", "last_id": ""}).json()
    categories = sorted(a["accrued_category"] for a in day["accruals"])
    assert categories == ["NON_ITEM", "POSTING"]
    assert day["last_id"] == ""
    assert ozon.post("/v1/finance/accrual/by-day", {"date": "2021-12-31", "last_id": ""}).status_code == 400
