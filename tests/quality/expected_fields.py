"""Write ``include/sellerflow/quality/expected_fields.json``: per raw entity, the fields its contract declares.

Run: ``. .sellerflow/env && python tests/quality/expected_fields.py`` (``--check`` only compares).

Each raw entity whose records are a vendor's objects is taken from the schema its emulator is contract-tested
against — the Ozon contract files (built from Ozon's swagger), Wildberries' and Yandex Market's OpenAPI files
(through the same conversion their contract tests use), the Megamarket and 1C contract schemas — at the place
in the answer the stream reads its records from (``ENTITIES``). Entities whose records sellerflow builds itself
(derived statuses, report files parsed into rows, 1C removals) or whose vendor publishes no schema are listed
with the reason instead (``UNCHECKED``); nothing is compared for them.

The flat form per entity: ``fields`` (path → JSON types joined by ``|``; ``a.b`` a field of an object,
``a[]`` the items of an array), ``required`` (paths that must be present), ``open`` (objects that may hold
any field) and ``patterns`` (object path → field-name regexes allowed besides the declared ones).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "tests" / "contracts"
OUTPUT = ROOT / "include" / "sellerflow" / "quality" / "expected_fields.json"
sys.path.insert(0, str(CONTRACTS / "wildberries"))

from wildberries_spec import _spec as wb_spec  # noqa: E402

Loader = Callable[
    [], tuple[dict[str, Any], dict[str, Any], str]
]  # -> (schema, its document, where it is from)


def ozon(name: str) -> Loader:
    def load() -> tuple[dict[str, Any], dict[str, Any], str]:
        schema = json.loads((CONTRACTS / "ozon" / f"{name}.json").read_text())
        return schema, schema, f"tests/contracts/ozon/{name}.json"

    return load


def _openapi(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The 200 answer's schema of one OpenAPI 3.0 operation (``nullable`` is read by the flattener)."""
    content = spec["paths"][path][method.lower()]["responses"]["200"]
    while "$ref" in content:
        target: Any = spec
        for part in content["$ref"].lstrip("#/").split("/"):
            target = target[part]
        content = target
    return content["content"]["application/json"]["schema"]


def wildberries(file: str, method: str, path: str) -> Loader:
    def load() -> tuple[dict[str, Any], dict[str, Any], str]:
        spec = wb_spec(file)
        return _openapi(spec, method, path), spec, f"/work/shared/specs/wildberries/{file} {method} {path}"

    return load


@cache
def _ym_spec() -> dict[str, Any]:
    return yaml.safe_load((CONTRACTS / "yandex_market" / "openapi.yaml").read_text(encoding="utf-8"))


def yandex_market(method: str, path: str) -> Loader:
    def load() -> tuple[dict[str, Any], dict[str, Any], str]:
        spec = _ym_spec()
        return (
            _openapi(spec, method, path),
            spec,
            f"tests/contracts/yandex_market/openapi.yaml {method} {path}",
        )

    return load


def schema_file(folder: str, name: str) -> Loader:
    def load() -> tuple[dict[str, Any], dict[str, Any], str]:
        schema = json.loads((CONTRACTS / folder / name).read_text())
        return schema, schema, f"tests/contracts/{folder}/{name}"

    return load


# raw entity -> (contract, the place of one record in the answer: '' the answer itself, 'a.b[]' each item)
ENTITIES: dict[str, tuple[Loader, str]] = {
    "ozon.accrual_types": (ozon("v1_finance_accrual_types"), "accrual_types[]"),
    "ozon.warehouses": (ozon("v2_warehouse_list"), "warehouses[]"),
    "ozon.products": (ozon("v3_product_info_list"), "items[]"),
    "ozon.stocks": (ozon("v4_product_info_stocks"), "items[]"),
    "ozon.prices": (ozon("v5_product_info_prices"), "items[]"),
    "ozon.postings_fbs": (ozon("v4_posting_fbs_list"), "postings[]"),
    "ozon.postings_fbs_unfulfilled": (ozon("v4_posting_fbs_unfulfilled_list"), "postings[]"),
    "ozon.postings_fbo": (ozon("v3_posting_fbo_list"), "postings[]"),
    "ozon.realization_rows": (ozon("v1_finance_realization_posting"), "rows[]"),
    "ozon.realization_reports": (ozon("v1_finance_realization_posting"), "header"),
    "ozon.accruals": (ozon("v1_finance_accrual_by_day"), "accruals[]"),
    "ozon.accrual_postings": (ozon("v1_finance_accrual_postings"), "posting_accruals[]"),
    "wildberries.seller_info": (wildberries("01-general.yaml", "GET", "/api/v1/seller-info"), ""),
    "wildberries.warehouses": (wildberries("02-items.yaml", "GET", "/api/v3/warehouses"), "[]"),
    "wildberries.products": (wildberries("02-items.yaml", "POST", "/content/v2/get/cards/list"), "cards[]"),
    "wildberries.stocks": (wildberries("02-items.yaml", "POST", "/api/v3/stocks/{warehouseId}"), "stocks[]"),
    "wildberries.prices": (
        wildberries("02-items.yaml", "GET", "/api/v2/list/goods/filter"),
        "data.listGoods[]",
    ),
    "wildberries.orders_fbs": (wildberries("03-orders-fbs.yaml", "GET", "/api/v3/orders"), "orders[]"),
    "wildberries.orders_fbs_new": (
        wildberries("03-orders-fbs.yaml", "GET", "/api/v3/orders/new"),
        "orders[]",
    ),
    "wildberries.order_statuses": (
        wildberries("03-orders-fbs.yaml", "POST", "/api/v3/orders/status"),
        "orders[]",
    ),
    "wildberries.orders": (wildberries("12-reports.yaml", "GET", "/api/v1/supplier/orders"), "[]"),
    "wildberries.sales": (wildberries("12-reports.yaml", "GET", "/api/v1/supplier/sales"), "[]"),
    "wildberries.realization_reports": (
        wildberries("13-finances.yaml", "POST", "/api/finance/v1/sales-reports/list"),
        "[]",
    ),
    "wildberries.realization_rows": (
        wildberries("13-finances.yaml", "POST", "/api/finance/v1/sales-reports/detailed"),
        "[]",
    ),
    "yandex_market.api_keys": (yandex_market("POST", "/v2/auth/token"), "result.apiKey"),
    "yandex_market.campaigns": (yandex_market("GET", "/v2/campaigns"), "campaigns[]"),
    "yandex_market.warehouses": (
        yandex_market("POST", "/v2/businesses/{businessId}/warehouses"),
        "result.warehouses[]",
    ),
    "yandex_market.offer_mappings": (
        yandex_market("POST", "/v2/businesses/{businessId}/offer-mappings"),
        "result.offerMappings[]",
    ),
    "yandex_market.prices": (
        yandex_market("POST", "/v2/businesses/{businessId}/offer-prices"),
        "result.offers[]",
    ),
    "yandex_market.stocks": (
        yandex_market("POST", "/v2/campaigns/{campaignId}/offers/stocks"),
        "result.warehouses[].offers[]",
    ),
    "yandex_market.orders": (yandex_market("POST", "/v1/businesses/{businessId}/orders"), "orders[]"),
    "yandex_market.orders_processing": (
        yandex_market("POST", "/v1/businesses/{businessId}/orders"),
        "orders[]",
    ),
    "megamarket.shipments": (schema_file("megamarket", "order_get.json"), "data.shipments[]"),
    "megamarket.shipments_new": (schema_file("megamarket", "order_get.json"), "data.shipments[]"),
    "onec.products": (schema_file("onec", "catalog_nomenclature.schema.json"), ""),
    "onec.counterparties": (schema_file("onec", "catalog_counterparty.schema.json"), ""),
    "onec.barcodes": (schema_file("onec", "register_barcodes.schema.json"), ""),
    "onec.cell_placements": (schema_file("onec", "register_cell_placement.schema.json"), ""),
    "onec.prices": (schema_file("onec", "slice_last_prices.schema.json"), ""),
    "onec.stock": (schema_file("onec", "balance_goods_in_warehouses.schema.json"), ""),
    "onec.customer_orders": (schema_file("onec", "document_customer_order.schema.json"), ""),
    "onec.shipments": (schema_file("onec", "document_sale.schema.json"), ""),
}

UNCHECKED: dict[str, str] = {
    "ozon.posting_statuses": "derived by sellerflow from the postings",
    "yandex_market.order_statuses": "derived by sellerflow from the orders",
    "yandex_market.realization_rows": "rows of a report file (XLSX), not a JSON answer",
    "yandex_market.service_rows": "rows of a report file (XLSX), not a JSON answer",
    "megamarket.shipment_statuses": "derived by sellerflow from the shipments",
    "megamarket.offers": "built by sellerflow from the shipments' lots",
    "megamarket.prices": "built by sellerflow from the shipments' lots",
    "megamarket.report_rows": "rows of the cabinet's report file (XLSX): the file import checks its columns",
    "megamarket.reports": "header of the cabinet's report file (XLSX)",
    "onec.organizations": "no contract schema for Catalog_Организации yet",
    "onec.characteristics": "no contract schema for Catalog_ХарактеристикиНоменклатуры yet",
    "onec.warehouses": "no contract schema for Catalog_Склады yet",
    "onec.storage_cells": "no contract schema for Catalog_СкладскиеЯчейки yet",
    "onec.partners": "no contract schema for Catalog_Партнеры yet",
    "onec.price_types": "no contract schema for Catalog_ВидыЦен yet",
    "onec.customer_returns": "no contract schema for Document_ВозвратТоваровОтКлиента yet",
    "onec.removals": "derived by sellerflow from complete listings",
}


class Flattener:
    """JSON Schema or OpenAPI 3.0 schema (``$ref`` to the same or a sibling file) → the flat form.

    A recursive schema (a ``$ref`` met again below itself) is left open at the second visit.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.fields: dict[str, set[str]] = {}
        self.required: set[str] = set()
        self.open: set[str] = set()
        self.patterns: dict[str, set[str]] = {}

    def resolve(self, node: Any, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
        refs: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            file, _, pointer = node["$ref"].partition("#")
            if file:
                assert self.folder is not None, node["$ref"]
                doc = json.loads((self.folder / Path(file).name).read_text())
            refs.add(f"{file or id(doc)}#{pointer}")
            target: Any = doc
            for part in [p for p in pointer.split("/") if p]:
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return (node if isinstance(node, dict) else {}), doc, refs

    def describe(self, node: Any, doc: dict[str, Any]) -> dict[str, Any]:
        """Types, properties, required names, items, openness of one schema node (combinators merged)."""
        node, doc, refs = self.resolve(node, doc)
        out: dict[str, Any] = {"types": set(), "props": {}, "required": set(), "items": [], "open": False,
                               "patterns": set(), "doc": doc, "refs": refs}  # fmt: skip
        if "allOf" in node:
            merged = [self.describe(sub, doc) for sub in node["allOf"]]
            self._merge(out, merged)
            out["required"] = set().union(*(sub["required"] for sub in merged))
            typed = [sub["types"] for sub in merged if sub["types"] - {"any"}]
            out["types"] = set.intersection(*typed) if typed else set()
        for key in ("oneOf", "anyOf"):
            if key in node:
                branches = [self.describe(sub, doc) for sub in node[key]]
                self._merge(out, branches)
                out["types"] |= set().union(*(sub["types"] for sub in branches))
                objects = [sub["required"] for sub in branches if "object" in sub["types"]]
                out["required"] |= set.intersection(*objects) if objects else set()
        self._own(out, node, doc)
        if not out["types"] or "any" in out["types"]:
            out["types"] = {"any"}
        if "object" in out["types"] and not out["props"] and not out["patterns"]:
            out["open"] = True
        return out

    @staticmethod
    def _merge(out: dict[str, Any], parts: list[dict[str, Any]]) -> None:
        """Properties, items, openness and patterns of combined schemas (the first declaration of a name wins)."""
        for sub in parts:
            for name, prop in sub["props"].items():
                out["props"].setdefault(name, prop)
            out["items"] += sub["items"]
            out["open"] |= sub["open"]
            out["patterns"] |= sub["patterns"]
            out["refs"] |= sub["refs"]

    @staticmethod
    def _own(out: dict[str, Any], node: dict[str, Any], doc: dict[str, Any]) -> None:
        """What ``node`` itself declares: type (or OpenAPI nullable, enum, const), properties, items."""
        declared = node.get("type")
        if declared is not None:
            out["types"] |= set(declared if isinstance(declared, list) else [declared])
        if node.get("nullable"):
            out["types"].add("null")
        for value in ([node["const"]] if "const" in node else []) + list(node.get("enum") or []):
            out["types"].add(_json_type(value))
        if "properties" in node:
            out["props"].update({name: (sub, doc) for name, sub in node["properties"].items()})
            if declared is None:
                out["types"].add("object")
        out["required"] |= set(node.get("required") or [])
        if "items" in node:
            out["items"].append((node["items"], doc))
            if declared is None:
                out["types"].add("array")
        out["patterns"] |= set(node.get("patternProperties") or {})
        extra = node.get("additionalProperties")
        if extra is True or (isinstance(extra, dict) and extra):
            out["open"] = True

    def walk(self, node: Any, doc: dict[str, Any], path: str, stack: frozenset[str] = frozenset()) -> None:
        """Record ``node`` at ``path`` and everything below it."""
        d = self.describe(node, doc)
        self.fields[path] = self.fields.get(path, set()) | d["types"]
        if d["refs"] & stack:  # recursive: allow anything below
            if d["types"] & {"object", "array"}:
                self.open.add(path)
            return
        stack = stack | d["refs"]
        if "object" in d["types"]:
            if d["open"]:
                self.open.add(path)
            if d["patterns"]:
                self.patterns.setdefault(path, set()).update(d["patterns"])
            for name, (sub, sub_doc) in d["props"].items():
                self.walk(sub, sub_doc, _join(path, name), stack)
            self.required |= {_join(path, name) for name in d["required"] if name in d["props"]}
        if "array" in d["types"]:
            if not d["items"]:
                self.fields[f"{path}[]"] = {"any"}
            for sub, sub_doc in d["items"]:
                self.walk(sub, sub_doc, f"{path}[]", stack)


def _join(path: str, name: str) -> str:
    """A field's path; a dot in its name is written ``\\.`` (sellerflow.quality.schema_drift reads it so)."""
    name = name.replace(".", "\\.")
    return f"{path}.{name}" if path else name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else ("object" if isinstance(value, dict) else "array")


def entity_entry(loader: Loader, pointer: str) -> dict[str, Any]:
    """The flat form of the records found at ``pointer`` in the answer ``loader`` describes."""
    schema, doc, origin = loader()
    folder = CONTRACTS / origin.split("/")[2] if origin.startswith("tests/contracts/") else None
    flat = Flattener(folder)
    flat.walk(schema, doc, "")
    if pointer not in flat.fields:
        raise KeyError(f"{origin}: no {pointer!r} in the answer; paths: {sorted(flat.fields)[:40]}")

    def under(path: str) -> str | None:
        if not pointer:
            return path or None
        if path.startswith(pointer + ".") or path.startswith(pointer + "[]"):
            rest = path[len(pointer) :]
            return rest[1:] if rest.startswith(".") else rest
        return None

    fields = {sub: "|".join(sorted(types)) for path, types in flat.fields.items() if (sub := under(path))}
    entry: dict[str, Any] = {
        "contract": f"{origin}#{pointer or '/'}",
        "fields": dict(sorted(fields.items())),
        "required": sorted(sub for path in flat.required if (sub := under(path))),
        "open": sorted(
            ("" if path == pointer else sub) for path in flat.open if path == pointer or (sub := under(path))
        ),
    }
    patterns = {("" if p == pointer else under(p)): sorted(v) for p, v in flat.patterns.items()
                if p == pointer or under(p)}  # fmt: skip
    if patterns:
        entry["patterns"] = dict(sorted(patterns.items()))
    return entry


def build() -> dict[str, Any]:
    """The whole document."""
    entities: dict[str, Any] = {name: entity_entry(*ENTITIES[name]) for name in sorted(ENTITIES)}
    entities.update({name: {"unchecked": reason} for name, reason in UNCHECKED.items()})
    return {
        "about": "Generated by tests/quality/expected_fields.py from the vendors' specs and the contract schemas; "
        "do not edit by hand. Read by sellerflow.quality.schema_drift.",
        "entities": dict(sorted(entities.items())),
    }


def render(document: dict[str, Any]) -> str:
    """The file's text (stable, one field per line)."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="only compare with the file; exit 1 when it differs"
    )
    args = parser.parse_args()
    text = render(build())
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUTPUT} differs from the contracts: run {__file__}")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
