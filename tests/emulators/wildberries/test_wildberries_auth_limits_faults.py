"""Auth, rate-limit answers and injected faults of the Wildberries emulator, over real HTTP."""

from __future__ import annotations

import pytest
from wildberries_world import (
    BASIC_TOKEN,
    EXPIRED_TOKEN,
    MAIN_TOKEN,
    OZON_TOKEN,
    SECOND_TOKEN,
    Emulator,
)

from sellerflow_emulators.runtime import Fault

GATEWAY_KEYS = {"title", "detail", "code", "requestId", "origin", "status", "statusText", "timestamp"}


def test_missing_authorization_is_401_gateway_body(wb: Emulator) -> None:
    with wb.client(token=None) as c:
        r = c.get("/api/v3/orders/new")
    assert r.status_code == 401
    body = r.json()
    assert set(body) == GATEWAY_KEYS
    assert body["title"] == "unauthorized"
    assert body["status"] == 401
    assert body["statusText"] == "Unauthorized"


@pytest.mark.parametrize("token", ["nonsense", OZON_TOKEN])
def test_unknown_or_foreign_token_is_401(wb: Emulator, token: str) -> None:
    with wb.client(token) as c:
        r = c.get("/api/v3/warehouses")
    assert r.status_code == 401
    assert r.json()["title"] == "unauthorized"


def test_bearer_prefix_is_accepted(wb: Emulator) -> None:
    with wb.client(f"Bearer {MAIN_TOKEN}") as c:
        assert c.get("/api/v3/warehouses").status_code == 200


def test_expired_token_is_401(wb: Emulator) -> None:
    with wb.client(EXPIRED_TOKEN) as c:
        r = c.get("/api/v3/warehouses")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_missing_token_category_is_401_but_granted_category_works(wb: Emulator) -> None:
    with wb.client(SECOND_TOKEN) as c:
        denied = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-01"})
        allowed = c.get("/api/v3/warehouses")
    assert denied.status_code == 401
    assert denied.json()["detail"] == "token scope not allowed"
    assert allowed.status_code == 200


def test_ping_accepts_any_category(wb: Emulator) -> None:
    with wb.client(SECOND_TOKEN) as c:
        r = c.get("/ping")
    assert r.status_code == 200
    assert r.json()["Status"] == "OK"


def test_unknown_path_is_wb_path_not_found(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v3/nothing-here")
    assert r.status_code == 404
    assert r.json()["title"] == "path not found"
    assert r.json()["detail"].startswith("Please consult https://dev.wildberries.ru")


def test_success_carries_ratelimit_headers(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v3/warehouses")
    assert r.status_code == 200
    assert r.headers["X-Ratelimit-Remaining"] == str(1_000_000 - 1)
    assert r.headers["X-Ratelimit-Limit"] == "1000000"
    assert "X-Ratelimit-Reset" in r.headers
    assert "X-Ratelimit-Retry" not in r.headers


def test_rate_limit_refusal_is_429_with_wb_headers_and_body(wb: Emulator) -> None:
    wb.limiter.capacity = 1
    with wb.client() as c:
        first = c.post(
            "/api/finance/v1/sales-reports/list", json={"dateFrom": "2026-03-01", "dateTo": "2026-03-20"}
        )
        second = c.post(
            "/api/finance/v1/sales-reports/list", json={"dateFrom": "2026-03-01", "dateTo": "2026-03-20"}
        )
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["X-Ratelimit-Retry"] == "8"
    assert second.headers["X-Ratelimit-Limit"] == "1"
    assert second.headers["X-Ratelimit-Remaining"] == "0"
    assert int(second.headers["X-Ratelimit-Reset"]) > 0
    body = second.json()
    assert set(body) == GATEWAY_KEYS
    assert body["title"] == "too many requests"
    assert body["status"] == 429
    assert body["statusText"] == "Too Many Requests"


def test_limits_are_counted_per_method_group(wb: Emulator) -> None:
    with wb.client() as c:
        c.get("/api/v3/orders/new")
        c.post("/api/v3/stocks/658434", json={"chrtIds": [200001]})
        c.post("/api/finance/v1/sales-reports/list", json={"dateFrom": "2026-03-01", "dateTo": "2026-03-20"})
    assert wb.limiter.calls[("marketplace", "wildberries_main")] == 1
    assert wb.limiter.calls[("stocks", "wildberries_main")] == 1
    assert wb.limiter.calls[("finance_reports", "wildberries_main")] == 1
    assert wb.limiter.releases[("marketplace", "wildberries_main")] == 1


def test_marketplace_4xx_counts_as_ten_requests(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v3/orders", params={"limit": 5000, "next": 0})
    assert r.status_code == 400
    assert wb.limiter.calls[("marketplace", "wildberries_main")] == 10


def test_prices_4xx_counts_once(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v2/list/goods/filter", params={"limit": 5000})
    assert r.status_code == 400
    assert wb.limiter.calls[("prices", "wildberries_main")] == 1


def test_basic_token_is_refused_by_finance_with_403(wb: Emulator) -> None:
    with wb.client(BASIC_TOKEN) as c:
        r = c.post(
            "/api/finance/v1/sales-reports/list", json={"dateFrom": "2026-03-01", "dateTo": "2026-03-20"}
        )
    assert r.status_code == 403
    assert r.json()["detail"] == "base token is not allowed"
    assert r.json()["origin"] == "s2s-finance"


def test_server_error_fault_is_gateway_5xx(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v3/orders", Fault("server_error", status=503)))
    with wb.client() as c:
        r = c.get("/api/v3/orders/new")
        again = c.get("/api/v3/orders/new")
    assert r.status_code == 503
    assert r.json()["status"] == 503
    assert r.json()["statusText"] == "Service Unavailable"
    assert again.status_code == 200


def test_expired_token_fault_is_401(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v3/warehouses", Fault("expired_token")))
    with wb.client() as c:
        r = c.get("/api/v3/warehouses")
    assert r.status_code == 401
    assert r.json()["title"] == "unauthorized"


def test_slow_fault_still_answers(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v3/warehouses", Fault("slow", delay_s=0.05)))
    with wb.client() as c:
        r = c.get("/api/v3/warehouses")
    assert r.status_code == 200
    assert r.json()[0]["id"] == 658434


def test_timeout_fault_hangs_past_client_timeout(wb: Emulator) -> None:
    import httpx

    wb.faults.queue.append(("/api/v3/warehouses", Fault("timeout", delay_s=2.0)))
    with wb.client() as c, pytest.raises(httpx.ReadTimeout):
        c.get("/api/v3/warehouses", timeout=0.3)


def test_empty_204_fault_on_an_empty_feed(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v1/supplier/orders", Fault("empty_204")))
    with wb.client() as c:
        faulty = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-04-01"})
        normal = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-04-01"})
    assert faulty.status_code == 204
    assert faulty.content == b""
    assert normal.status_code == 200
    assert normal.json() == []


def test_empty_204_fault_leaves_a_non_empty_list_alone(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v1/supplier/orders", Fault("empty_204")))
    with wb.client() as c:
        r = c.get("/api/v1/supplier/orders", params={"dateFrom": "2026-03-01"})
    assert r.status_code == 200
    assert len(r.json()) == 5


def test_duplicate_page_fault_serves_the_previous_page(wb: Emulator) -> None:
    params = {"limit": 2, "dateFrom": 1772323200, "dateTo": 1773576000}
    with wb.client() as c:
        first = c.get("/api/v3/orders", params={**params, "next": 0}).json()
        wb.faults.queue.append(("/api/v3/orders", Fault("duplicate_page")))
        dup = c.get("/api/v3/orders", params={**params, "next": first["next"]}).json()
        second = c.get("/api/v3/orders", params={**params, "next": first["next"]}).json()
    assert dup == first
    assert [o["id"] for o in second["orders"]] != [o["id"] for o in first["orders"]]


def test_shifted_page_fault_skips_records(wb: Emulator) -> None:
    params = {"limit": 2, "next": 0, "dateFrom": 1772323200, "dateTo": 1773576000}
    with wb.client() as c:
        normal = c.get("/api/v3/orders", params=params).json()
        wb.faults.queue.append(("/api/v3/orders", Fault("shifted_page", shift=1)))
        shifted = c.get("/api/v3/orders", params=params).json()
    assert shifted["orders"][0]["id"] == normal["orders"][1]["id"]


def test_schema_faults_change_list_items(wb: Emulator) -> None:
    wb.faults.queue.append(("/api/v3/orders/new", Fault("schema_extra_field", field="surprise")))
    wb.faults.queue.append(("/api/v3/orders/new", Fault("schema_renamed_field", field="rid")))
    with wb.client() as c:
        extra = c.get("/api/v3/orders/new").json()["orders"][0]
        renamed = c.get("/api/v3/orders/new").json()["orders"][0]
    assert extra["surprise"] == "emulator-extra"
    assert "rid" not in renamed
    assert "ridV2" in renamed


def test_report_late_fault_hides_the_newest_report(wb: Emulator) -> None:
    body = {"dateFrom": "2026-03-01", "dateTo": "2026-03-20", "period": "daily"}
    wb.faults.queue.append(("/api/finance", Fault("report_late")))
    with wb.client() as c:
        late = c.post("/api/finance/v1/sales-reports/list", json=body)
        on_time = c.post("/api/finance/v1/sales-reports/list", json=body)
    assert late.status_code == 204
    assert [r["reportId"] for r in on_time.json()] == [303]
