"""Rate limits (420 + X-RateLimit-Resource-*), the parallel cap, injected faults and transport errors."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from sellerflow_emulators.runtime import Fault

from .conftest import FBS_CAMPAIGN, TOKEN, Contract

ORDERS = f"/v2/campaigns/{FBS_CAMPAIGN}/orders"


def test_every_answer_carries_the_resource_limit_headers(client: httpx.Client, state: Any) -> None:
    state.limits.limits["getOrders"] = 5
    resp = client.get(ORDERS, params={"limit": 1})
    assert resp.status_code == 200
    assert resp.headers["X-RateLimit-Resource-Limit"] == "5"
    assert resp.headers["X-RateLimit-Resource-Remaining"] == "4"
    assert parsedate_to_datetime(resp.headers["X-RateLimit-Resource-Until"]).year == 2030


def test_over_the_quota_is_420_with_the_documented_message(
    client: httpx.Client, state: Any, contract: Contract
) -> None:
    state.limits.limits["getOrders"] = 2
    assert [client.get(ORDERS, params={"limit": 1}).status_code for _ in range(2)] == [200, 200]
    refused = client.get(ORDERS, params={"limit": 1})
    assert refused.status_code == 420
    contract.validate(refused.json(), "ApiLimitErrorResponse")
    assert refused.json() == {
        "status": "ERROR",
        "errors": [
            {
                "code": "HIT_RATE_LIMIT",
                "message": f"Hit rate limit of 2 requests per 1 hour for resource '{ORDERS}'",
            }
        ],
    }
    assert refused.headers["X-RateLimit-Resource-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Resource-Limit"] == "2"
    # Quotas are per campaign: the DBS campaign is unaffected.
    assert client.get("/v2/campaigns/2200/orders", params={"limit": 1}).status_code == 200


def test_parallel_cap_refuses_with_420_and_the_slot_is_released(client: httpx.Client, state: Any) -> None:
    state.limits.parallel = 1
    # Hold the campaign's only slot as if another request were in flight.
    state.limits.acquire("yandex_market", "parallel", "yandex_market_main")
    refused = client.get(ORDERS, params={"limit": 1})
    assert refused.status_code == 420
    assert refused.json()["errors"][0]["message"] == "Hit rate limit of 1 parallel requests"
    state.limits.release("yandex_market", "parallel", "yandex_market_main")
    assert client.get(ORDERS, params={"limit": 1}).status_code == 200
    # The request above released its own slot when it finished.
    assert state.limits.in_flight["yandex_market_main"] == 0
    assert client.get(ORDERS, params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "Internal server error"), (503, "Service temporarily unavailable. Please, try again later")],
)
def test_server_error_fault_uses_the_vendor_body(
    client: httpx.Client, state: Any, contract: Contract, status: int, message: str
) -> None:
    state.faults.add("/orders", Fault("server_error", status=status))
    resp = client.get(ORDERS)
    assert resp.status_code == status
    assert resp.json()["status"] == "ERROR"
    assert resp.json()["errors"][0]["message"] == message
    contract.validate(resp.json(), "ApiServerErrorResponse")
    assert client.get(ORDERS).status_code == 200


def test_expired_token_fault_is_the_revoked_key_401(
    client: httpx.Client, state: Any, contract: Contract
) -> None:
    state.faults.add("/orders", Fault("expired_token", status=401))
    resp = client.get(ORDERS)
    assert resp.status_code == 401
    assert resp.json()["errors"] == [{"code": "UNAUTHORIZED", "message": "Api-Key token is revoked"}]
    contract.validate(resp.json(), "ApiUnauthorizedErrorResponse")


def test_slow_fault_still_answers(client: httpx.Client, state: Any) -> None:
    state.faults.add("/orders", Fault("slow", delay_s=0.05))
    assert client.get(ORDERS, params={"limit": 1}).status_code == 200
    assert state.faults.queue == []


def test_faults_are_asked_per_request_with_the_vendor_and_path(client: httpx.Client, state: Any) -> None:
    client.get(ORDERS, params={"limit": 1})
    assert state.faults.seen[-1] == ("yandex_market", ORDERS)


def test_duplicate_page_fault_serves_the_previous_page_again(client: httpx.Client, state: Any) -> None:
    first = client.get(ORDERS, params={"limit": 50}).json()
    token = first["paging"]["nextPageToken"]
    state.faults.add("/orders", Fault("duplicate_page"))
    again = client.get(ORDERS, params={"limit": 50, "page_token": token}).json()
    assert [o["id"] for o in again["orders"]] == [o["id"] for o in first["orders"]]


def test_shifted_page_fault_skips_records(client: httpx.Client, state: Any) -> None:
    first = client.get(ORDERS, params={"limit": 50}).json()
    token = first["paging"]["nextPageToken"]
    honest = client.get(ORDERS, params={"limit": 50, "page_token": token}).json()
    state.faults.add("/orders", Fault("shifted_page", shift=3))
    shifted = client.get(ORDERS, params={"limit": 50, "page_token": token}).json()
    assert [o["id"] for o in shifted["orders"]][:47] == [o["id"] for o in honest["orders"]][3:]


def test_schema_faults_change_list_items(client: httpx.Client, state: Any) -> None:
    state.faults.add("/orders", Fault("schema_extra_field", field="surprise"))
    extra = client.get(ORDERS, params={"limit": 2}).json()["orders"]
    assert all(o["surprise"] == "emulated" for o in extra)
    state.faults.add("/orders", Fault("schema_renamed_field", field="status"))
    renamed = client.get(ORDERS, params={"limit": 2}).json()["orders"]
    assert all("status" not in o and "statusV2" in o for o in renamed)


def test_unknown_path_method_and_huge_body_use_the_error_envelope(base_url: str) -> None:
    headers = {"Api-Key": TOKEN}
    missing = httpx.get(f"{base_url}/v2/no-such-resource", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["status"] == "ERROR"
    wrong_method = httpx.delete(f"{base_url}{ORDERS}", headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"][0]["message"] == "Request method 'DELETE' not supported"
    huge = httpx.put(
        f"{base_url}/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks",
        headers={**headers, "Content-Type": "application/json"},
        content=b"{" + b" " * (600 * 1024) + b"}",
    )
    assert huge.status_code == 400
    assert huge.json()["errors"][0]["message"].startswith("The request is too big")
    bad_json = httpx.put(
        f"{base_url}/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks",
        headers={**headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["errors"][0]["message"].startswith("JSON:")


STOCKS = f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks"
PRICES = "/v2/businesses/1100/offer-prices/updates"


def _skus(n: int, prefix: str = "S") -> dict[str, Any]:
    return {"skus": [{"sku": f"{prefix}{i}", "items": [{"count": 1}]} for i in range(n)]}


def _offers(n: int) -> dict[str, Any]:
    return {"offers": [{"offerId": f"O{i}", "price": {"value": 100, "currencyId": "RUR"}} for i in range(n)]}


def test_stock_quota_counts_products_not_requests(
    client: httpx.Client, state: Any, contract: Contract
) -> None:
    """updateStocks' quota is SKUs per minute (spec x-resource-limit-config.path req.skus): a request of 2000
    SKUs spends 2000 units, and a body that does not fit what is left is refused whole with 420."""
    state.limits.limits["updateStocks"] = 2500
    first = client.put(STOCKS, json=_skus(2000))
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Resource-Remaining"] == "500"
    refused = client.put(STOCKS, json=_skus(600, "T"))
    assert refused.status_code == 420
    contract.validate(refused.json(), "ApiLimitErrorResponse")
    assert refused.json()["errors"][0] == {
        "code": "HIT_RATE_LIMIT",
        "message": f"Hit rate limit of 2500 items per 1 minute for resource '{STOCKS}'",
    }
    applied = state.conn().execute("select count(*) from stocks where offer_id like 'T%'").fetchone()[0]
    assert applied == 0, "nothing of a refused body is applied"
    # What is left still fits a smaller body: the quota is products, not the second request.
    assert client.put(STOCKS, json=_skus(500, "U")).status_code == 200
    assert client.put(STOCKS, json=_skus(1, "V")).status_code == 420


def test_price_quota_counts_offers_per_cabinet(client: httpx.Client, state: Any) -> None:
    """updateBusinessPrices' quota is offers per minute (req.offers), per business."""
    state.limits.limits["updateBusinessPrices"] = 700
    assert client.post(PRICES, json=_offers(500)).status_code == 200
    refused = client.post(PRICES, json=_offers(201))
    assert refused.status_code == 420
    assert refused.json()["errors"][0]["message"] == (
        f"Hit rate limit of 700 items per 1 minute for resource '{PRICES}'"
    )
    assert client.post(PRICES, json=_offers(200)).status_code == 200
    assert state.limits.counts[("updateBusinessPrices", "business:1100")] == 700


def test_read_quotas_still_count_requests(client: httpx.Client, state: Any) -> None:
    state.limits.limits["getOrders"] = 3
    assert client.get(ORDERS, params={"limit": 50}).status_code == 200
    assert state.limits.counts[("getOrders", "yandex_market_main")] == 1


STOCKS_READ = f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks"
PRICES_READ = "/v2/businesses/1100/offer-prices"


def _stock_items(resp: httpx.Response) -> int:
    return sum(len(w["offers"]) for w in resp.json()["result"]["warehouses"])


def test_stock_read_quota_counts_the_answers_items(
    client: httpx.Client, state: Any, contract: Contract
) -> None:
    """getStocks' quota is items of the answer (spec x-resource-limit-config.path
    resp.result.warehouses.offers.offerId): a page of 2 (warehouse, offer) items spends 2 units, and a page whose
    items do not fit what is left of the minute is refused with 420."""
    state.limits.limits["getStocks"] = 5
    first = client.post(STOCKS_READ, params={"limit": 2}, json={})
    assert first.status_code == 200
    assert _stock_items(first) == 2
    assert first.headers["X-RateLimit-Resource-Remaining"] == "3"
    token = first.json()["result"]["paging"]["nextPageToken"]
    last = client.post(STOCKS_READ, params={"limit": 2, "page_token": token}, json={})
    assert (last.status_code, _stock_items(last)) == (200, 1), "the short last page costs its one item"
    assert last.headers["X-RateLimit-Resource-Remaining"] == "2"
    refused = client.post(STOCKS_READ, params={"limit": 200}, json={})  # 3 items, 2 left
    assert refused.status_code == 420
    contract.validate(refused.json(), "ApiLimitErrorResponse")
    assert refused.json()["errors"][0] == {
        "code": "HIT_RATE_LIMIT",
        "message": f"Hit rate limit of 5 items per 1 minute for resource '{STOCKS_READ}'",
    }
    assert refused.headers["X-RateLimit-Resource-Limit"] == "5"
    assert state.limits.counts[("getStocks", "yandex_market_main")] == 3, "a refused answer costs nothing"
    # Two items still fit: the quota is items, not the third request.
    assert client.post(STOCKS_READ, params={"limit": 2}, json={}).status_code == 200
    assert client.post(STOCKS_READ, params={"limit": 1}, json={}).status_code == 420
    assert state.limits.counts[("getStocks", "yandex_market_main")] == 5


def test_price_read_quota_counts_the_answers_offers_per_cabinet(client: httpx.Client, state: Any) -> None:
    """getDefaultPrices' quota is offers of the answer (resp.result.offers), per business."""
    state.limits.limits["getDefaultPrices"] = 4
    page = client.post(PRICES_READ, params={"limit": 3}, json={})
    assert page.status_code == 200
    assert len(page.json()["result"]["offers"]) == 3
    assert state.limits.counts[("getDefaultPrices", "business:1100")] == 3
    refused = client.post(PRICES_READ, params={"limit": 2}, json={})
    assert refused.status_code == 420
    assert refused.json()["errors"][0]["message"] == (
        f"Hit rate limit of 4 items per 1 minute for resource '{PRICES_READ}'"
    )
    assert client.post(PRICES_READ, json={"offerIds": ["SKU-2"]}).status_code == 200
    assert client.post(PRICES_READ, json={"offerIds": ["SKU-3"]}).status_code == 420
