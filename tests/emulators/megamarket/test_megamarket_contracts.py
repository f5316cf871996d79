"""Every Megamarket answer validates against the JSON Schemas in tests/contracts/megamarket/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from .megamarket_world import OFFER_SERVICE, TOKEN, Emulator

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "megamarket"


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((CONTRACTS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid(name: str, body: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(body)]
    assert errors == [], errors


ALL_VISIBLE = ["9324005526644", "9324005526633", "9324005526655", "9324005526611", "9324005526622"]


def test_order_search_matches_contract(emulator: Emulator) -> None:
    assert_valid("order_search.json", emulator.order("search", {"dateFrom": "2025-03-01"}))


def test_order_get_matches_contract_for_every_status(emulator: Emulator) -> None:
    emulator.order(
        "reject",
        {
            "shipments": [{"shipmentId": "9324005526611", "items": [{"itemIndex": "3"}]}],
            "reason": {"type": "OUT_OF_STOCK"},
        },
    )
    body = emulator.order("get", {"shipments": ALL_VISIBLE})
    assert len(body["data"]["shipments"]) == 5
    assert_valid("order_get.json", body)


def test_order_get_contract_catches_drift(emulator: Emulator) -> None:
    body = emulator.order("get", {"shipments": ["9324005526611"]})
    body["data"]["shipments"][0]["items"][0]["itemIndex"] = 1  # an int where the API sends a string
    assert list(validator("order_get.json").iter_errors(body))


@pytest.mark.parametrize(
    ("method", "data"),
    [
        (
            "confirm",
            {
                "shipments": [
                    {"shipmentId": "9324005526611", "orderCode": "R1", "items": [{"itemIndex": "1"}]}
                ]
            },
        ),
        (
            "reject",
            {
                "shipments": [{"shipmentId": "9324005526622", "items": [{"itemIndex": "1"}]}],
                "reason": {"type": "FRAUD_ORDER"},
            },
        ),
        (
            "packing",
            {"shipments": [{"shipmentId": "9324005526622", "items": [{"itemIndex": "1", "quantity": 1}]}]},
        ),
        (
            "shipping",
            {
                "shipments": [
                    {"shipmentId": "9324005526633", "shipping": {"shippingDate": "2025-03-10T15:00:00+03:00"}}
                ]
            },
        ),
        (
            "close",
            {
                "shipments": [
                    {"shipmentId": "9324005526655", "items": [{"itemIndex": "1", "handoverResult": True}]}
                ]
            },
        ),
        (
            "cancelResult",
            {"shipments": [{"shipmentId": "9324005526644", "items": [{"itemIndex": "1", "canceled": True}]}]},
        ),
    ],
)
def test_order_actions_match_contract(emulator: Emulator, method: str, data: dict[str, Any]) -> None:
    assert_valid("order_action.json", emulator.order(method, data))


@pytest.mark.parametrize(
    ("method", "data", "token"),
    [
        ("search", {}, "wrong"),
        ("search", {"count": 5000}, TOKEN),
        ("get", {"shipments": ["404"]}, TOKEN),
        (
            "confirm",
            {"shipments": [{"shipmentId": "9324005526622", "orderCode": "R", "items": [{"itemIndex": "1"}]}]},
            TOKEN,
        ),
        ("packing", {"shipments": [{"shipmentId": "9324005526622", "items": [{"itemIndex": "9"}]}]}, TOKEN),
    ],
)
def test_order_service_errors_match_contract(
    emulator: Emulator, method: str, data: dict[str, Any], token: str
) -> None:
    assert_valid("envelope_error_list.json", emulator.order(method, data, token=token))


def test_order_service_rate_limit_matches_contract(emulator: Emulator) -> None:
    emulator.limits.deny = {"order_actions"}
    assert_valid("envelope_error_list.json", emulator.order("shipping", {"shipments": [{"shipmentId": "1"}]}))


def test_offer_service_answers_match_contract(emulator: Emulator) -> None:
    stock = f"{OFFER_SERVICE}/stock/update"
    price = f"{OFFER_SERVICE}/manualPrice/save"
    assert_valid("stock_update.json", emulator.call(stock, {"stocks": [{"offerId": "SKU-1", "quantity": 1}]}))
    prices = [
        {"offerId": "SKU-1", "price": 100, "isDeleted": False},
        {"offerId": "X", "price": 1, "isDeleted": False},
    ]
    assert_valid("manual_price_save.json", emulator.call(price, {"prices": prices}))
    assert_valid(
        "envelope_error_single.json", emulator.call(stock, {"stocks": [{"offerId": "X", "quantity": 1}]})
    )
    assert_valid("envelope_error_single.json", emulator.call(stock, {"stocks": []}, token="wrong"))
    emulator.limits.deny = {"prices"}
    assert_valid("envelope_error_single.json", emulator.call(price, {"prices": prices}))


def test_report_listing_matches_contract(emulator: Emulator) -> None:
    body = emulator.client.get("/emulator/reports", headers={"X-Merchant-Token": TOKEN}).json()
    assert body["data"]["reports"]
    assert_valid("report_list.json", body)
