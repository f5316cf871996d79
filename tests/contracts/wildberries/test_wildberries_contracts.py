"""Every emulator answer checked against WB's own OpenAPI schemas (strict: no undocumented fields).

Spec files are WB's (shared/specs/wildberries, snapshot 2026-07-22; legacy v5 from 2025-12-26).
Answers the OpenAPI files do not describe (unknown path 404, gateway 5xx) use the hand-written
schemas in ``schemas/`` (each cites its source).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from wildberries_spec import local_schema, response_schema
from wildberries_world import BASIC_TOKEN, FBS_WAREHOUSE, SECOND_TOKEN, Emulator

from sellerflow_emulators.runtime import Fault

GENERAL = "01-general.yaml"
ORDERS = "03-orders-fbs.yaml"
ITEMS = "02-items.yaml"
REPORTS = "12-reports.yaml"
FINANCE = "13-finances.yaml"
LEGACY = "13-finances.legacy-2025-12.yaml"
PERIOD = {"dateFrom": "2026-03-01", "dateTo": "2026-03-20"}
WINDOW = {"dateFrom": 1772323200, "dateTo": 1773576000}

# (case id, spec file, method, spec path, request path, query, json body, expected status)
CASES: list[tuple[str, str, str, str, str, dict[str, Any] | None, Any, int]] = [
    ("orders-new", ORDERS, "GET", "/api/v3/orders/new", "/api/v3/orders/new", None, None, 200),
    ("orders", ORDERS, "GET", "/api/v3/orders", "/api/v3/orders", {"limit": 10, "next": 0, **WINDOW}, None, 200),
    ("orders-400", ORDERS, "GET", "/api/v3/orders", "/api/v3/orders", {"limit": 0, "next": 0}, None, 400),
    ("status", ORDERS, "POST", "/api/v3/orders/status", "/api/v3/orders/status", None, {"orders": [5001, 5003]}, 200),
    ("status-400", ORDERS, "POST", "/api/v3/orders/status", "/api/v3/orders/status", None, {"orders": []}, 400),
    ("supply-create", ORDERS, "POST", "/api/v3/supplies", "/api/v3/supplies", None, {"name": "a"}, 201),
    ("supply-400", ORDERS, "POST", "/api/v3/supplies", "/api/v3/supplies", None, {"name": ""}, 400),
    ("supplies", ORDERS, "GET", "/api/v3/supplies", "/api/v3/supplies", {"limit": 10, "next": 0}, None, 200),
    ("supply-404", ORDERS, "GET", "/api/v3/supplies/{supplyId}", "/api/v3/supplies/WB-GI-1", None, None, 404),
    ("cancel-409", ORDERS, "PATCH", "/api/v3/orders/{orderId}/cancel", "/api/v3/orders/5003/cancel", None, None, 409),
    ("cancel-404", ORDERS, "PATCH", "/api/v3/orders/{orderId}/cancel", "/api/v3/orders/1/cancel", None, None, 404),
    ("warehouses", ITEMS, "GET", "/api/v3/warehouses", "/api/v3/warehouses", None, None, 200),
    ("stocks", ITEMS, "POST", "/api/v3/stocks/{warehouseId}", f"/api/v3/stocks/{FBS_WAREHOUSE}", None,
     {"chrtIds": [200001, 200002]}, 200),
    ("stocks-400", ITEMS, "POST", "/api/v3/stocks/{warehouseId}", f"/api/v3/stocks/{FBS_WAREHOUSE}", None, {}, 400),
    ("stocks-404", ITEMS, "POST", "/api/v3/stocks/{warehouseId}", "/api/v3/stocks/1", None, {"chrtIds": [1]}, 404),
    ("stocks-put-409", ITEMS, "PUT", "/api/v3/stocks/{warehouseId}", f"/api/v3/stocks/{FBS_WAREHOUSE}", None,
     {"stocks": [{"chrtId": 200001, "amount": 100001}]}, 409),
    ("stocks-put-400", ITEMS, "PUT", "/api/v3/stocks/{warehouseId}", f"/api/v3/stocks/{FBS_WAREHOUSE}", None,
     {"stocks": [{"sku": "1", "amount": 1}]}, 400),
    ("cards", ITEMS, "POST", "/content/v2/get/cards/list", "/content/v2/get/cards/list", None,
     {"settings": {"cursor": {"limit": 100}}}, 200),
    ("cards-400", ITEMS, "POST", "/content/v2/get/cards/list", "/content/v2/get/cards/list", None,
     {"settings": {"cursor": {"limit": 1000}}}, 400),
    ("goods", ITEMS, "GET", "/api/v2/list/goods/filter", "/api/v2/list/goods/filter", {"limit": 10}, None, 200),
    ("goods-400", ITEMS, "GET", "/api/v2/list/goods/filter", "/api/v2/list/goods/filter", {"limit": 0}, None, 400),
    ("goods-post", ITEMS, "POST", "/api/v2/list/goods/filter", "/api/v2/list/goods/filter", None,
     {"nmList": [100001]}, 200),
    ("upload", ITEMS, "POST", "/api/v2/upload/task", "/api/v2/upload/task", None,
     {"data": [{"nmID": 100001, "price": 1100}]}, 200),
    ("upload-400", ITEMS, "POST", "/api/v2/upload/task", "/api/v2/upload/task", None, {"data": []}, 400),
    ("stat-orders", REPORTS, "GET", "/api/v1/supplier/orders", "/api/v1/supplier/orders",
     {"dateFrom": "2026-03-01"}, None, 200),
    ("stat-orders-400", REPORTS, "GET", "/api/v1/supplier/orders", "/api/v1/supplier/orders", None, None, 400),
    ("stat-sales", REPORTS, "GET", "/api/v1/supplier/sales", "/api/v1/supplier/sales",
     {"dateFrom": "2026-03-01"}, None, 200),
    ("stat-sales-400", REPORTS, "GET", "/api/v1/supplier/sales", "/api/v1/supplier/sales",
     {"dateFrom": "nope"}, None, 400),
    ("report-list", FINANCE, "POST", "/api/finance/v1/sales-reports/list", "/api/finance/v1/sales-reports/list",
     None, PERIOD, 200),
    ("report-list-400", FINANCE, "POST", "/api/finance/v1/sales-reports/list", "/api/finance/v1/sales-reports/list",
     None, {"dateFrom": "2026-03-01"}, 400),
    ("detailed", FINANCE, "POST", "/api/finance/v1/sales-reports/detailed", "/api/finance/v1/sales-reports/detailed",
     None, PERIOD, 200),
    ("detailed-daily", FINANCE, "POST", "/api/finance/v1/sales-reports/detailed",
     "/api/finance/v1/sales-reports/detailed", None, {**PERIOD, "period": "daily"}, 200),
    ("detailed-400", FINANCE, "POST", "/api/finance/v1/sales-reports/detailed",
     "/api/finance/v1/sales-reports/detailed", None, {"dateTo": "2026-03-01"}, 400),
    ("detailed-id", FINANCE, "POST", "/api/finance/v1/sales-reports/detailed/{reportId}",
     "/api/finance/v1/sales-reports/detailed/303", None, {}, 200),
    ("seller-info", GENERAL, "GET", "/api/v1/seller-info", "/api/v1/seller-info", None, None, 200),
]  # fmt: skip


def _check(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("file", "method", "spec_path", "path", "query", "body", "status"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_answer_matches_wb_openapi(
    wb: Emulator, file: str, method: str, spec_path: str, path: str, query: Any, body: Any, status: int
) -> None:
    with wb.client() as c:
        r = c.request(method, path, params=query, json=body)
    assert r.status_code == status, r.text
    payload = r.json()
    if isinstance(payload, list):
        assert payload, "an empty list proves nothing about item shapes"
    _check(payload, response_schema(file, method, spec_path, status))


def test_supply_and_order_ids_match_openapi(wb: Emulator) -> None:
    with wb.client() as c:
        supply = c.post("/api/v3/supplies", json={"name": "a"}).json()["id"]
        c.patch(f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [5001]})
        info = c.get(f"/api/v3/supplies/{supply}").json()
        ids = c.get(f"/api/marketplace/v3/supplies/{supply}/order-ids").json()
        orders = c.get("/api/v3/orders", params={"limit": 10, "next": 0, **WINDOW}).json()
        add_409 = c.patch(f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [5004]})
        empty = c.post("/api/v3/supplies", json={"name": "b"}).json()["id"]
        deliver_409 = c.patch(f"/api/v3/supplies/{empty}/deliver")
        c.patch(f"/api/v3/supplies/{supply}/deliver")
        delete_409 = c.delete(f"/api/v3/supplies/{supply}")
    assert any("supplyId" in o for o in orders["orders"])
    _check(info, response_schema(ORDERS, "GET", "/api/v3/supplies/{supplyId}", 200))
    _check(ids, response_schema(ORDERS, "GET", "/api/marketplace/v3/supplies/{supplyId}/order-ids", 200))
    _check(orders, response_schema(ORDERS, "GET", "/api/v3/orders", 200))
    _check(
        add_409.json(),
        response_schema(ORDERS, "PATCH", "/api/marketplace/v3/supplies/{supplyId}/orders", 409),
    )
    _check(deliver_409.json(), response_schema(ORDERS, "PATCH", "/api/v3/supplies/{supplyId}/deliver", 409))
    _check(delete_409.json(), response_schema(ORDERS, "DELETE", "/api/v3/supplies/{supplyId}", 409))


def test_price_history_and_208_match_openapi(wb: Emulator) -> None:
    body = {"data": [{"nmID": 100002, "price": 1600, "discount": 5}]}
    with wb.client() as c:
        upload_id = c.post("/api/v2/upload/task", json=body).json()["data"]["id"]
        repeat = c.post("/api/v2/upload/task", json=body)
        history = c.get("/api/v2/history/tasks", params={"uploadID": upload_id}).json()
    assert repeat.status_code == 208
    _check(repeat.json(), response_schema(ITEMS, "POST", "/api/v2/upload/task", 208))
    _check(history, response_schema(ITEMS, "GET", "/api/v2/history/tasks", 200))


@pytest.mark.parametrize(
    ("file", "method", "spec_path", "path", "body"),
    [
        (ORDERS, "GET", "/api/v3/orders/new", "/api/v3/orders/new", None),
        (ITEMS, "POST", "/content/v2/get/cards/list", "/content/v2/get/cards/list", {"settings": {}}),
        (REPORTS, "GET", "/api/v1/supplier/orders", "/api/v1/supplier/orders?dateFrom=2026-03-01", None),
        (
            FINANCE,
            "POST",
            "/api/finance/v1/sales-reports/detailed",
            "/api/finance/v1/sales-reports/detailed",
            PERIOD,
        ),
    ],
)
def test_401_and_429_match_openapi(
    wb: Emulator, file: str, method: str, spec_path: str, path: str, body: Any
) -> None:
    with wb.client(SECOND_TOKEN if "orders/new" not in path else "bad-token") as c:
        unauthorized = c.request(method, path, json=body)
    assert unauthorized.status_code == 401
    _check(unauthorized.json(), response_schema(file, method, spec_path, 401))
    wb.limiter.capacity = 0
    with wb.client() as c:
        limited = c.request(method, path, json=body)
    assert limited.status_code == 429
    assert {"X-Ratelimit-Retry", "X-Ratelimit-Limit", "X-Ratelimit-Reset"} <= set(limited.headers.keys()) | {
        h.title() for h in limited.headers
    }
    _check(limited.json(), response_schema(file, method, spec_path, 429))


def test_finance_403_for_basic_token_matches_openapi(wb: Emulator) -> None:
    with wb.client(BASIC_TOKEN) as c:
        r = c.post("/api/finance/v1/sales-reports/detailed/303", json={})
    assert r.status_code == 403
    _check(
        r.json(), response_schema(FINANCE, "POST", "/api/finance/v1/sales-reports/detailed/{reportId}", 403)
    )


def test_legacy_v5_rows_and_400_match_the_2025_openapi(wb: Emulator) -> None:
    db = wb.db()
    db.execute(
        "update accounts set vendor = ? where id = 'wildberries_main'", (json.dumps({"legacy_v5": True}),)
    )
    db.commit()
    path = "/api/v5/supplier/reportDetailByPeriod"
    with wb.client() as c:
        rows = c.get(path, params=PERIOD).json()
        bad = c.get(path, params={"dateFrom": "2026-03-01"})
    assert rows
    _check(rows, response_schema(LEGACY, "GET", path, 200))
    assert all(len(r) == 81 for r in rows)
    _check(bad.json(), response_schema(LEGACY, "GET", path, 400))


def test_path_not_found_and_gateway_5xx_match_local_schemas(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v3/warehouses", Fault("server_error", status=502)))
    with wb.client() as c:
        missing = c.get("/api/v3/unknown")
        broken = c.get("/api/v3/warehouses")
    assert (missing.status_code, broken.status_code) == (404, 502)
    _check(missing.json(), local_schema("path_not_found.json"))
    _check(broken.json(), local_schema("gateway_5xx.json"))


def test_seller_info_sends_every_documented_field(wb: Emulator) -> None:
    """common-api seller-info: name, sid, tin (the seller's ИНН), tradeMark — all of them (01-general)."""
    schema = response_schema(GENERAL, "GET", "/api/v1/seller-info", 200)
    with wb.client() as c:
        info = c.get("/api/v1/seller-info").json()
    assert set(info) == set(schema["properties"])
    assert info["tin"].isdigit()
