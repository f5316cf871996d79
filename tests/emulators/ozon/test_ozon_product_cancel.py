"""``POST /v2/posting/fbs/product/cancel``: some units of a posting are not sent (PostingAPI_CancelFbsPostingProduct).

Request and answer are checked against the contract schemas built from the official swagger
(tests/contracts/ozon/v2_posting_fbs_product_cancel{,_request}.json); the effect is read back through the API
(``/v3/posting/fbs/get``) and from the emulator's world.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "ozon"
POSTING = "00000000-0001-1"  # awaiting_packaging: A-1 (SKU 900001) x1, A-2 (SKU 900002) x2
SHIPPED = "00000001-0001-1"  # awaiting_deliver
CANCELLED = "00000004-0001-1"


def validate(name: str, payload: object) -> None:
    """Validate ``payload`` against ``tests/contracts/ozon/<name>.json``."""
    schema = json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)


def body(posting: str = POSTING, items: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    """A product-cancel request (the spec's example shape)."""
    return {
        "posting_number": posting,
        "cancel_reason_id": 352,
        "cancel_reason_message": "Product is out of stock",
        "items": items if items is not None else [{"sku": 900002, "quantity": 1}],
        **extra,
    }


def products(env: Any, posting: str = POSTING) -> dict[int, int]:
    """The posting's units per SKU as the API reports them."""
    result = env.post("/v3/posting/fbs/get", {"posting_number": posting}).json()["result"]
    return {int(p["sku"]): int(p["quantity"]) for p in result["products"]}


def test_product_cancel_matches_the_contract_and_removes_the_units(ozon_rw: Any) -> None:
    request = body()
    validate("v2_posting_fbs_product_cancel_request", request)
    assert products(ozon_rw) == {900001: 1, 900002: 2}
    response = ozon_rw.post("/v2/posting/fbs/product/cancel", request)
    assert response.status_code == 200, response.text
    validate("v2_posting_fbs_product_cancel", response.json())
    assert response.json() == {"result": POSTING}
    assert products(ozon_rw) == {900001: 1, 900002: 1}
    fetched = ozon_rw.post("/v3/posting/fbs/get", {"posting_number": POSTING}).json()["result"]
    assert fetched["status"] == "awaiting_packaging"
    log = ozon_rw.query("select body from push_log where path = '/v2/posting/fbs/product/cancel'")
    assert [json.loads(r["body"]) for r in log] == [request]
    # the rest can be shipped: Ozon's ship wants exactly the units the posting holds
    ship = {
        "posting_number": POSTING,
        "packages": [
            {"products": [{"product_id": 900001, "quantity": 1}, {"product_id": 900002, "quantity": 1}]}
        ],
    }
    assert ozon_rw.post("/v4/posting/fbs/ship", ship).status_code == 200


def test_a_product_cancelled_to_zero_leaves_the_posting(ozon_rw: Any) -> None:
    ozon_rw.post("/v2/posting/fbs/product/cancel", body(items=[{"sku": 900002, "quantity": 2}]))
    assert products(ozon_rw) == {900001: 1}


def test_cancelling_every_unit_cancels_the_posting(ozon_rw: Any) -> None:
    items = [{"sku": 900001, "quantity": 1}, {"sku": 900002, "quantity": 2}]
    assert ozon_rw.post("/v2/posting/fbs/product/cancel", body(items=items)).status_code == 200
    result = ozon_rw.post("/v3/posting/fbs/get", {"posting_number": POSTING}).json()["result"]
    assert result["status"] == "cancelled"
    assert result["cancellation"]["cancel_reason_id"] == 352


@pytest.mark.parametrize(
    ("request_body", "status", "message"),
    [
        (body(posting="1-2-3"), 404, "POSTING_NOT_FOUND"),
        (body(posting=CANCELLED), 400, "POSTING_ALREADY_CANCELLED"),
        (body(posting=SHIPPED, items=[{"sku": 900001, "quantity": 1}]), 400, "HAS_INCORRECT_STATUS"),
        (body(cancel_reason_id=401), 400, "HAS_INCORRECT_CANCEL_REASON"),
        (body(items=[{"sku": 1, "quantity": 1}]), 400, "UNKNOWN_PRODUCT_DEFINED"),
        (body(items=[{"sku": 900002, "quantity": 3}]), 400, "HAS_INCORRECT_PRODUCT_QUANTITY"),
        (body(items=[]), 400, "invalid PostingProductCancelRequest.Items"),
        (
            body(items=[{"sku": 900002, "quantity": 0}]),
            400,
            "invalid PostingProductCancelRequestItem.Quantity",
        ),
        (body(cancel_reason_message=""), 400, "invalid PostingProductCancelRequest.CancelReasonMessage"),
    ],
    ids=[
        "unknown_posting",
        "cancelled",
        "shipped",
        "unavailable_reason",
        "unknown_sku",
        "too_many",
        "no_items",
        "zero_quantity",
        "no_message",
    ],
)
def test_product_cancel_refusals_change_nothing(
    ozon_rw: Any, request_body: dict, status: int, message: str
) -> None:
    response = ozon_rw.post("/v2/posting/fbs/product/cancel", request_body)
    assert response.status_code == status, response.text
    validate("error", response.json())
    assert response.json()["message"].startswith(message)
    assert products(ozon_rw) == {900001: 1, 900002: 2}
    assert ozon_rw.query("select count(*) as n from push_log")[0]["n"] == 0
