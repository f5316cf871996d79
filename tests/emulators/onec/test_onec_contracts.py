"""Emulator responses validated against the JSON schemas in tests/contracts/onec/ (written from 1C's docs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .conftest import ORDER_POSTED, P1, WH_MSK, Served

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "onec"


def _registry() -> Registry:
    resources = []
    for path in CONTRACTS.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(schema_file: str, instance: object) -> None:
    schema = json.loads((CONTRACTS / schema_file).read_text(encoding="utf-8"))
    Draft202012Validator(schema, registry=REGISTRY).validate(instance)


def validate_collection(schema_file: str, body: dict) -> None:
    envelope = json.loads((CONTRACTS / "common.schema.json").read_text(encoding="utf-8"))["$defs"][
        "collection"
    ]
    Draft202012Validator(envelope, registry=REGISTRY).validate(body)
    assert body["value"], "a contract check needs at least one item"
    for item in body["value"]:
        validate(schema_file, item)


@pytest.mark.parametrize(
    ("path", "params", "schema"),
    [
        ("Catalog_Номенклатура", {}, "catalog_nomenclature.schema.json"),
        ("Catalog_Контрагенты", {}, "catalog_counterparty.schema.json"),
        ("Document_ЗаказКлиента", {"$inlinecount": "allpages"}, "document_customer_order.schema.json"),
        ("Document_РеализацияТоваровУслуг", {}, "document_sale.schema.json"),
        ("InformationRegister_ШтрихкодыНоменклатуры", {}, "register_barcodes.schema.json"),
        (
            "InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам",
            {},
            "register_cell_placement.schema.json",
        ),
        ("AccumulationRegister_ТоварыНаСкладах/Balance()", {}, "balance_goods_in_warehouses.schema.json"),
        (
            "AccumulationRegister_ТоварыНаСкладах/Balance(Dimensions='Склад')",
            {},
            "balance_goods_in_warehouses.schema.json",
        ),
        ("InformationRegister_ЦеныНоменклатуры/SliceLast()", {}, "slice_last_prices.schema.json"),
    ],
)
def test_lists_match_contract(served: Served, path: str, params: dict, schema: str) -> None:
    response = served.client().get(path, params=params)
    assert response.status_code == 200
    validate_collection(schema, response.json())


def test_single_order_matches_contract(served: Served) -> None:
    body = served.client().get(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')").json()
    assert body["odata.metadata"].endswith("#Document_ЗаказКлиента/@Element")
    validate("document_customer_order.schema.json", body)


def test_created_order_matches_contract(fresh: Served) -> None:
    body = {
        "Склад_Key": WH_MSK,
        "Товары": [{"Номенклатура_Key": P1, "Количество": 1, "Цена": 10.5, "ВариантОбеспечения": "СоСклада"}],
    }
    response = fresh.client().post("Document_ЗаказКлиента", json=body)
    assert response.status_code == 201
    validate("document_customer_order.schema.json", response.json())


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("GET", "Catalog_Несуществующий", True),
        ("GET", "Catalog_Номенклатура", False),
        ("PUT", "Document_ЗаказКлиента_Товары", True),
        ("GET", "AccumulationRegister_ТоварыНаСкладах/Balance(Bad=1)", True),
    ],
)
def test_error_bodies_match_contract(served: Served, method: str, path: str, auth: bool) -> None:
    client = served.client() if auth else served.client(auth=("x", "y"))
    response = client.request(method, path)
    assert response.status_code >= 400
    validate("odata_error.schema.json", response.json())


def test_posting_failure_matches_error_contract(fresh: Served) -> None:
    body = {"Статус": "КОтгрузке", "Склад_Key": WH_MSK}
    body["Товары"] = [
        {"Номенклатура_Key": P1, "Количество": 100, "Цена": 1, "ВариантОбеспечения": "СоСклада"}
    ]
    ref = fresh.client().post("Document_ЗаказКлиента", json=body).json()["Ref_Key"]
    response = fresh.client().post(f"Document_ЗаказКлиента(guid'{ref}')/Post")
    assert response.status_code == 500
    validate("odata_error.schema.json", response.json())
