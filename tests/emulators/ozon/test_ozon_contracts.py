"""Every Ozon method's 200 answer validates against its contract schema in tests/contracts/ozon/.

The schemas are generated from the official swagger subsets (see build_schemas.py) with
``additionalProperties: false``, so an undocumented field name or a wrong type fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "ozon"
PERIOD = {"since": "2026-09-01T00:00:00Z", "to": "2026-09-30T00:00:00Z"}
ALL_WITH = {"analytics_data": True, "financial_data": True, "barcodes": True, "legal_info": True}


def validate(name: str, payload: object) -> None:
    """Validate ``payload`` against ``tests/contracts/ozon/<name>.json``."""
    schema = json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)


READS = [
    ("v4_posting_fbs_list", "/v4/posting/fbs/list", {"limit": 100, "filter": PERIOD, "with": ALL_WITH}),
    ("v4_posting_fbs_unfulfilled_list", "/v4/posting/fbs/unfulfilled/list", {"limit": 100, "with": ALL_WITH}),
    ("v3_posting_fbs_get", "/v3/posting/fbs/get", {"posting_number": "00000004-0001-1", "with": ALL_WITH}),
    ("v3_posting_fbo_list", "/v3/posting/fbo/list", {"limit": 100, "filter": PERIOD, "with": ALL_WITH}),
    ("v2_posting_fbo_get", "/v2/posting/fbo/get", {"posting_number": "08000001-0001-1", "with": ALL_WITH}),
    ("v3_product_list", "/v3/product/list", {"limit": 1000}),
    ("v3_product_info_list", "/v3/product/info/list", {"offer_id": ["A-1", "A-2", "A-3"]}),
    ("v2_warehouse_list", "/v2/warehouse/list", {"limit": 200}),
    ("v4_product_info_stocks", "/v4/product/info/stocks", {"limit": 1000, "filter": {}}),
    ("v5_product_info_prices", "/v5/product/info/prices", {"limit": 1000, "filter": {}}),
    ("v2_posting_fbs_cancel_reason_list", "/v2/posting/fbs/cancel-reason/list", {}),
    ("v2_finance_realization", "/v2/finance/realization", {"month": 8, "year": 2026}),
    ("v1_finance_realization_posting", "/v1/finance/realization/posting", {"month": 8, "year": 2026}),
    (
        "v1_finance_accrual_postings",
        "/v1/finance/accrual/postings",
        {"posting_numbers": ["00000003-0001-1", "00000008-0001-1"]},
    ),
    ("v1_finance_accrual_by_day", "/v1/finance/accrual/by-day", {"date": "2026-08-20", "last_id": ""}),
    ("v1_finance_accrual_types", "/v1/finance/accrual/types", {}),
]


@pytest.mark.parametrize(("schema", "path", "body"), READS, ids=[r[0] for r in READS])
def test_read_method_matches_contract(ozon: Any, schema: str, path: str, body: dict) -> None:
    response = ozon.post(path, body)
    assert response.status_code == 200, response.text
    payload = response.json()
    validate(schema, payload)
    assert payload


def test_cancelled_posting_matches_contract(ozon: Any) -> None:
    payload = ozon.post("/v3/posting/fbs/get", {"posting_number": "00000004-0001-1"}).json()
    assert payload["result"]["status"] == "cancelled"
    validate("v3_posting_fbs_get", payload)


WRITES = [
    (
        "v4_posting_fbs_ship",
        "/v4/posting/fbs/ship",
        {
            "posting_number": "00000005-0001-1",
            "packages": [{"products": [{"product_id": 900001, "quantity": 1}]}],
            "with": {"additional_data": True},
        },
    ),
    (
        "v2_posting_fbs_cancel",
        "/v2/posting/fbs/cancel",
        {"posting_number": "00000010-0001-1", "cancel_reason_id": 352},
    ),
    (
        "v2_posting_fbs_product_cancel",
        "/v2/posting/fbs/product/cancel",
        {
            "posting_number": "00000015-0001-1",
            "cancel_reason_id": 352,
            "cancel_reason_message": "Product is out of stock",
            "items": [{"sku": 900002, "quantity": 1}],
        },
    ),
    (
        "v2_products_stocks",
        "/v2/products/stocks",
        {"stocks": [{"offer_id": "A-2", "product_id": 500002, "stock": 3, "warehouse_id": 22142605386000}]},
    ),
    (
        "v1_product_import_prices",
        "/v1/product/import/prices",
        {"prices": [{"offer_id": "A-1", "price": "3999"}]},
    ),
    ("v2_fbs_posting_delivering", "/v2/fbs/posting/delivering", {"posting_number": ["09100000-0001-1"]}),
]


@pytest.mark.parametrize(("schema", "path", "body"), WRITES, ids=[w[0] for w in WRITES])
def test_write_method_matches_contract(ozon_rw: Any, schema: str, path: str, body: dict) -> None:
    response = ozon_rw.post(path, body)
    assert response.status_code == 200, response.text
    validate(schema, response.json())


def test_delivered_and_awaiting_delivery_match_contract(ozon_rw: Any) -> None:
    ozon_rw.post("/v2/fbs/posting/delivering", {"posting_number": ["09100000-0001-1"]})
    delivered = ozon_rw.post("/v2/fbs/posting/delivered", {"posting_number": ["09100000-0001-1"]})
    validate("v2_fbs_posting_delivered", delivered.json())
    assert delivered.json()["result"][0]["result"] is True
    refused = ozon_rw.post("/v2/posting/fbs/awaiting-delivery", {"posting_number": ["00000000-0001-1"]})
    validate("error", refused.json())


def test_schema_rejects_undocumented_field() -> None:
    """The contracts are strict: the emulator could not pass with an invented field name."""
    with pytest.raises(jsonschema.ValidationError):
        validate("v2_posting_fbs_cancel", {"result": True, "ok": True})


def test_read_contracts_require_every_documented_field(ozon: Any) -> None:
    """A read answer missing a documented field fails; an accrual carries only its category's block."""
    warehouses = ozon.post("/v2/warehouse/list", {"limit": 200}).json()
    del warehouses["warehouses"][0]["timetable"]
    with pytest.raises(jsonschema.ValidationError, match="timetable"):
        validate("v2_warehouse_list", warehouses)
    postings = ozon.post("/v4/posting/fbs/list", {"limit": 100, "filter": PERIOD, "with": ALL_WITH}).json()
    del postings["postings"][0]["products"][0]["offer_id"]
    with pytest.raises(jsonschema.ValidationError, match="offer_id"):
        validate("v4_posting_fbs_list", postings)
    accruals = ozon.post("/v1/finance/accrual/by-day", {"date": "2026-08-20", "last_id": ""}).json()
    for accrual in accruals["accruals"]:
        for block in ("item_fees", "non_item_fee", "posting"):
            accrual.pop(block, None)
    validate("v1_finance_accrual_by_day", accruals)
    del accruals["accruals"][0]["accrual_id"]
    with pytest.raises(jsonschema.ValidationError, match="accrual_id"):
        validate("v1_finance_accrual_by_day", accruals)
