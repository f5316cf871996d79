"""Contract: each served operation answers with the schema the official spec declares for it.

The schema name is looked up in the spec by (path, method, status), not chosen by hand, so a route
that drifts from its documented response shape fails here. Error statuses are checked the same way.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import BUSINESS, FBS_CAMPAIGN, ORDER_STARTED, Contract

# (spec path, method, request path, query, json body)
READS: list[tuple[str, str, str, dict[str, Any], Any]] = [
    ("/v2/campaigns", "get", "/v2/campaigns", {}, None),
    ("/v2/campaigns/{campaignId}", "get", f"/v2/campaigns/{FBS_CAMPAIGN}", {}, None),
    ("/v2/auth/token", "post", "/v2/auth/token", {}, None),
    ("/v2/campaigns/{campaignId}/orders", "get", f"/v2/campaigns/{FBS_CAMPAIGN}/orders", {"limit": 50}, None),
    (
        "/v2/campaigns/{campaignId}/orders/{orderId}",
        "get",
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders/{ORDER_STARTED}",
        {},
        None,
    ),
    ("/v1/businesses/{businessId}/orders", "post", f"/v1/businesses/{BUSINESS}/orders", {}, {}),
    (
        "/v2/businesses/{businessId}/offer-mappings",
        "post",
        f"/v2/businesses/{BUSINESS}/offer-mappings",
        {},
        {},
    ),
    ("/v2/businesses/{businessId}/warehouses", "post", f"/v2/businesses/{BUSINESS}/warehouses", {}, {}),
    ("/v2/businesses/{businessId}/warehouses", "get", f"/v2/businesses/{BUSINESS}/warehouses", {}, None),
    (
        "/v2/campaigns/{campaignId}/offers/stocks",
        "post",
        f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks",
        {},
        {},
    ),
    ("/v2/businesses/{businessId}/offer-prices", "post", f"/v2/businesses/{BUSINESS}/offer-prices", {}, {}),
    (
        "/v2/reports/goods-realization/generate",
        "post",
        "/v2/reports/goods-realization/generate",
        {"format": "CSV"},
        {"campaignId": FBS_CAMPAIGN, "year": 2025, "month": 1},
    ),
]

WRITES: list[tuple[str, str, str, Any]] = [
    (
        "/v2/campaigns/{campaignId}/orders/{orderId}/status",
        "put",
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders/{ORDER_STARTED}/status",
        {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}},
    ),
    (
        "/v2/campaigns/{campaignId}/orders/status-update",
        "post",
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders/status-update",
        {"orders": [{"id": ORDER_STARTED, "status": "CANCELLED", "substatus": "SHOP_FAILED"}]},
    ),
    (
        "/v2/campaigns/{campaignId}/offers/stocks",
        "put",
        f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks",
        {"skus": [{"sku": "SKU-1", "items": [{"count": 4}]}]},
    ),
    (
        "/v2/businesses/{businessId}/offer-prices/updates",
        "post",
        f"/v2/businesses/{BUSINESS}/offer-prices/updates",
        {"offers": [{"offerId": "SKU-2", "price": {"value": 500, "currencyId": "RUR"}}]},
    ),
]


@pytest.mark.parametrize(
    ("spec_path", "method", "url", "query", "body"), READS, ids=[f"{r[1]} {r[0]}" for r in READS]
)
def test_read_operations_match_the_spec(
    ro_client: httpx.Client, contract: Contract, spec_path: str, method: str, url: str, query: Any, body: Any
) -> None:
    resp = ro_client.request(method.upper(), url, params=query, json=body)
    assert resp.status_code == 200, resp.text
    contract.validate(resp.json(), contract.response_schema(spec_path, method, "200"))


@pytest.mark.parametrize(
    ("spec_path", "method", "url", "body"), WRITES, ids=[f"{w[1]} {w[0]}" for w in WRITES]
)
def test_write_operations_match_the_spec(
    client: httpx.Client, contract: Contract, spec_path: str, method: str, url: str, body: Any
) -> None:
    resp = client.request(method.upper(), url, json=body)
    assert resp.status_code == 200, resp.text
    contract.validate(resp.json(), contract.response_schema(spec_path, method, "200"))


def test_report_info_matches_the_spec_in_every_state(ro_client: httpx.Client, contract: Contract) -> None:
    schema = contract.response_schema("/v2/reports/info/{reportId}", "get", "200")
    report_id = ro_client.post(
        "/v2/reports/goods-realization/generate", json={"campaignId": FBS_CAMPAIGN, "year": 2025, "month": 1}
    ).json()["result"]["reportId"]
    seen = []
    for _ in range(3):
        body = ro_client.get(f"/v2/reports/info/{report_id}").json()
        contract.validate(body, schema)
        seen.append(body["result"]["status"])
    assert seen == ["PENDING", "PROCESSING", "DONE"]


@pytest.mark.parametrize(
    ("status", "request_args"),
    [
        ("400", ("GET", f"/v2/campaigns/{FBS_CAMPAIGN}/orders", {"fromDate": "01-01-2024"}, {})),
        ("401", ("GET", f"/v2/campaigns/{FBS_CAMPAIGN}/orders", {}, {"Api-Key": "ACMA:nope"})),
        ("403", ("GET", "/v2/campaigns/2400/orders", {}, {})),
        ("404", ("GET", "/v2/campaigns/42/orders", {}, {})),
    ],
)
def test_error_answers_match_the_spec(
    ro_client: httpx.Client,
    contract: Contract,
    status: str,
    request_args: tuple[str, str, dict[str, str], dict[str, str]],
) -> None:
    method, url, params, headers = request_args
    resp = ro_client.request(method, url, params=params, headers=headers)
    assert str(resp.status_code) == status
    contract.validate(
        resp.json(), contract.response_schema("/v2/campaigns/{campaignId}/orders", "get", status)
    )


def test_the_validator_rejects_a_wrong_shape(contract: Contract) -> None:
    problems = contract.errors({"orders": [{"id": "not-a-number"}]}, "GetOrdersResponse")
    assert problems
    assert contract.errors({"status": "ERROR", "errors": []}, "ApiErrorResponse")  # minItems 1
    assert contract.errors({"orders": [], "extra": 1}, "GetOrdersResponse")  # closed: undocumented field
    assert contract.errors({"pager": {}}, "GetOrdersResponse")  # the spec's required field missing
    ok = {"status": "OK", "errors": [{"code": "BAD_REQUEST", "message": "x"}]}
    assert not contract.errors(
        ok | {"status": "ERROR"}, "ApiErrorResponse"
    )  # allOf parts merged, then closed
    assert contract.errors(ok | {"status": "ERROR", "extra": 1}, "ApiErrorResponse")
    assert contract.errors("2025-02-05T10:00:00", "DateDdMmYyyyHhMmSs")  # the custom format is checked
    assert not contract.errors("05-02-2025 10:00:00", "DateDdMmYyyyHhMmSs")
