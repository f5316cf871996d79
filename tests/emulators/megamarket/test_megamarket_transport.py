"""Envelope, auth, rate-limit refusals and injected faults as Megamarket renders them."""

from __future__ import annotations

from sellerflow_emulators.runtime import Fault

from .megamarket_world import (
    EXPIRED_TOKEN,
    OFFER_SERVICE,
    ORDER_SERVICE,
    OZON_TOKEN,
    SECOND_TOKEN,
    TOKEN,
    Emulator,
)

SEARCH = f"{ORDER_SERVICE}/order/search"
GET = f"{ORDER_SERVICE}/order/get"
STOCK = f"{OFFER_SERVICE}/stock/update"
WINDOW = {"dateFrom": "2025-03-01", "dateTo": "2025-03-31"}


def test_missing_wrong_and_foreign_tokens_are_logical_errors(emulator: Emulator) -> None:
    for token in (None, "nope", OZON_TOKEN):
        body = emulator.order("search", WINDOW, token=token)
        assert body["success"] == 0
        assert body["error"] == [{"code": "TOKEN_INVALID", "message": "Токен не найден или недействителен"}]
    assert emulator.limits.acquired == []  # refused before any limit is counted


def test_expired_token_is_refused(emulator: Emulator) -> None:
    body = emulator.order("search", WINDOW, token=EXPIRED_TOKEN)
    assert body["error"][0]["code"] == "TOKEN_EXPIRED"


def test_offer_service_renders_auth_error_as_one_object(emulator: Emulator) -> None:
    body = emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 1}]}, token="nope")
    assert body["error"] == {"code": "TOKEN_INVALID", "message": "Токен не найден или недействителен"}


def test_token_may_come_in_the_merchant_token_header(emulator: Emulator) -> None:
    response = emulator.client.post(
        SEARCH, json={"meta": {}, "data": WINDOW}, headers={"X-Merchant-Token": TOKEN}
    )
    assert response.json()["success"] == 1
    assert len(response.json()["data"]["shipments"]) == 5


def test_the_token_selects_the_cabinet(emulator: Emulator) -> None:
    body = emulator.order("search", WINDOW, token=SECOND_TOKEN)
    assert body["data"]["shipments"] == ["9324005529911"]


def test_body_without_envelope_is_a_validation_error(emulator: Emulator) -> None:
    not_json = emulator.client.post(SEARCH, content=b"token=abc", headers={"Content-Type": "text/plain"})
    flat = emulator.client.post(SEARCH, json={"token": TOKEN})
    assert not_json.status_code == flat.status_code == 200
    assert not_json.json()["error"][0]["code"] == flat.json()["error"][0]["code"] == "VALIDATION_ERROR"


def test_every_call_counts_against_its_method_group_and_is_released(emulator: Emulator) -> None:
    emulator.order("search", WINDOW)
    emulator.order("get", {"shipments": ["9324005526611"]})
    emulator.order("shipping", {"shipments": [{"shipmentId": "9324005526633"}]})
    emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 1}]})
    expected = [
        ("megamarket", "orders", "megamarket_main"),
        ("megamarket", "orders", "megamarket_main"),
        ("megamarket", "order_actions", "megamarket_main"),
        ("megamarket", "stocks", "megamarket_main"),
    ]
    assert emulator.limits.acquired == expected
    assert emulator.limits.released == expected


def test_rate_limit_refusal_is_success_0_inside_http_200(emulator: Emulator) -> None:
    emulator.limits.deny = {"orders", "stocks"}
    orders = emulator.order("search", WINDOW)
    stock = emulator.call(STOCK, {"stocks": [{"offerId": "SKU-1", "quantity": 1}]})
    assert orders["error"] == [
        {
            "code": "TOO_MANY_REQUESTS",
            "message": "Превышен лимит запросов",
            "description": "Повторите запрос через 3 с",
        }
    ]
    assert stock["error"]["code"] == "TOO_MANY_REQUESTS"
    assert emulator.conn.execute("select count(*) from push_log").fetchone()[0] == 0
    assert len(emulator.limits.acquired) == 2
    assert emulator.limits.released == []  # a refused call holds no slot


def test_server_error_fault_500_is_the_api_json(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("server_error", status=500)))
    response = emulator.client.post(SEARCH, json={"meta": {}, "data": {"token": TOKEN}})
    assert response.status_code == 500
    assert response.json()["error"][0]["code"] == "INTERNAL_ERROR"
    assert emulator.faults.asked[0] == ("megamarket", SEARCH)


def test_server_error_fault_503_is_the_proxy_html_page(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/get", Fault("server_error", status=503)))
    response = emulator.client.post(GET, json={"meta": {}, "data": {"token": TOKEN, "shipments": ["1"]}})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "503 Service Temporarily Unavailable" in response.text


def test_timeout_fault_hangs_then_fails_as_gateway_timeout(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("timeout", delay_s=0.05)))
    response = emulator.client.post(SEARCH, json={"meta": {}, "data": {"token": TOKEN}})
    assert response.status_code == 504


def test_slow_fault_still_answers(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("slow", delay_s=0.05)))
    assert emulator.order("search", WINDOW)["success"] == 1


def test_expired_token_fault_renders_the_auth_error(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("expired_token")))
    body = emulator.order("search", WINDOW)
    assert (body["success"], body["error"][0]["code"]) == (0, "TOKEN_EXPIRED")


def test_duplicate_page_fault_repeats_ids(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("duplicate_page", shift=2)))
    ids = emulator.order("search", WINDOW)["data"]["shipments"]
    all_ids = ["9324005526644", "9324005526633", "9324005526655", "9324005526611", "9324005526622"]
    assert ids == [*all_ids, *all_ids[:2]]


def test_shifted_page_fault_skips_ids(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/search", Fault("shifted_page", shift=2)))
    ids = emulator.order("search", WINDOW)["data"]["shipments"]
    assert ids == ["9324005526655", "9324005526611", "9324005526622"]


def test_schema_faults_change_shipment_fields(emulator: Emulator) -> None:
    emulator.faults.queued.append(("/order/get", Fault("schema_extra_field", field="fulfillmentMethod")))
    emulator.faults.queued.append(
        ("/order/get", Fault("schema_renamed_field", field="orderCode:merchantOrderCode"))
    )
    extra = emulator.shipment("9324005526633")
    renamed = emulator.shipment("9324005526633")
    assert extra["fulfillmentMethod"] == "emulated"
    assert "orderCode" not in renamed
    assert renamed["merchantOrderCode"] == "ROM-33"
