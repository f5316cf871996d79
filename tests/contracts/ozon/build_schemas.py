"""Write the Ozon contract schemas (JSON Schema) from the official swagger subsets.

Run: ``.venv/bin/python tests/contracts/ozon/build_schemas.py [/work/shared/specs/ozon]``.

Each ``<method>.json`` is the 200-response schema of one method (``<method>_request.json`` the request body of
the methods in ``REQUESTS``, whose bodies sellerflow's tests check), with every ``$ref`` inlined and
``additionalProperties: false`` on objects, so a field name that the vendor does not document fails the
contract test. Field types are copied as documented; two relaxations match what Ozon really sends: objects
and ``date-time`` strings may be ``null`` (absent ``with`` blocks, dates not reached yet). Methods with no
stored vendor schema are built here by hand and say so in their ``description``:
``v3_posting_fbo_list`` (v2 FBO posting with ``price`` as ``money.postingMoney``, cursor envelope — fact
sheet "(a) Orders / postings", [community]). ``v3_product_info_list`` and ``v5_product_info_prices`` come from
the refreshed subset ``spec/seller-api.ru.2026-07.subset.json`` (spec/SOURCE.md) with every documented field
required at every level (Ozon sends whole objects), so the emulator cannot omit one. Every other method a client
reads (``READS``) is required the same way, less the documented fields that are sometimes absent (``OPTIONAL``,
each with its source).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ZH = "seller-api.zh.2026-06.subset.json"
RU = "seller-api.ru.2025-08.subset.json"
RU26 = HERE / "spec" / "seller-api.ru.2026-07.subset.json"  # refreshed subset in this repo (spec/SOURCE.md)
# methods whose every documented field must be present, at every level (Ozon sends the whole object)
COMPLETE = {
    "v3_product_info_list": "/v3/product/info/list",
    "v5_product_info_prices": "/v5/product/info/prices",
}

METHODS = {  # output name -> (spec file, path)
    "v4_posting_fbs_list": (ZH, "/v4/posting/fbs/list"),
    "v4_posting_fbs_unfulfilled_list": (ZH, "/v4/posting/fbs/unfulfilled/list"),
    "v3_posting_fbs_get": (ZH, "/v3/posting/fbs/get"),
    "v2_posting_fbo_get": (RU, "/v2/posting/fbo/get"),
    "v3_product_list": (ZH, "/v3/product/list"),
    "v2_warehouse_list": (ZH, "/v2/warehouse/list"),
    "v4_product_info_stocks": (ZH, "/v4/product/info/stocks"),
    "v2_products_stocks": (ZH, "/v2/products/stocks"),
    "v1_product_import_prices": (ZH, "/v1/product/import/prices"),
    "v4_posting_fbs_ship": (RU, "/v4/posting/fbs/ship"),
    "v2_posting_fbs_cancel": (ZH, "/v2/posting/fbs/cancel"),
    "v2_posting_fbs_product_cancel": (ZH, "/v2/posting/fbs/product/cancel"),
    "v2_posting_fbs_cancel_reason_list": (ZH, "/v2/posting/fbs/cancel-reason/list"),
    "v2_posting_fbs_awaiting_delivery": (ZH, "/v2/posting/fbs/awaiting-delivery"),
    "v2_fbs_posting_delivering": (ZH, "/v2/fbs/posting/delivering"),
    "v2_fbs_posting_delivered": (ZH, "/v2/fbs/posting/delivered"),
    "v2_finance_realization": (ZH, "/v2/finance/realization"),
    "v1_finance_realization_posting": (ZH, "/v1/finance/realization/posting"),
    "v1_finance_accrual_postings": (ZH, "/v1/finance/accrual/postings"),
    "v1_finance_accrual_by_day": (ZH, "/v1/finance/accrual/by-day"),
    "v1_finance_accrual_types": (ZH, "/v1/finance/accrual/types"),
}

# every method a sellerflow client reads: each documented field required at every level (Ozon's gateway sends
# every field of a message, an unset message as null: docs/vendors/ozon.md, "Contract tests")
READS = {
    "v4_posting_fbs_list",
    "v4_posting_fbs_unfulfilled_list",
    "v3_posting_fbs_get",
    "v2_posting_fbo_get",
    "v3_product_list",
    "v2_warehouse_list",
    "v4_product_info_stocks",
    "v2_posting_fbs_cancel_reason_list",
    "v2_finance_realization",
    "v1_finance_realization_posting",
    "v1_finance_accrual_postings",
    "v1_finance_accrual_by_day",
    "v1_finance_accrual_types",
    "v3_posting_fbo_list",
}
# documented fields that are not always sent: (method, JSON path of the object, fields). An accrual carries the
# one block of its accrued_category (POSTING → posting, ITEM → item_fees, NON_ITEM → non_item_fee); public code
# that parses live answers reads each as possibly absent (rastropovich-dot/mp-analytics
# loaders/ozon_finance_accrual.py::_service_lines @ 41d8b28c)
OPTIONAL = {
    ("v1_finance_accrual_by_day", ("accruals", "items")): ("item_fees", "non_item_fee", "posting"),
}

# request bodies sellerflow sends, checked against the spec's request schema: ``<name>_request.json`` (closed,
# the documented ``required`` kept)
REQUESTS = {
    "v2_posting_fbs_product_cancel": (ZH, "/v2/posting/fbs/product/cancel"),
}

KEEP = ("type", "enum", "items", "properties", "required", "format")


def convert(node: dict[str, Any], spec: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAPI 3.0 schema node → strict JSON Schema (refs inlined)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return {}
        return convert(spec["components"]["schemas"][name], spec, (*seen, name))
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in node["allOf"]:
            sub = convert(part, spec, seen)
            merged["properties"].update(sub.get("properties", {}))
        return _finish_object(merged)
    out: dict[str, Any] = {}
    kind = node.get("type")
    if "properties" in node or kind == "object":
        props = {k: convert(v, spec, seen) for k, v in node.get("properties", {}).items()}
        out = {"type": "object", "properties": props}
        if node.get("required"):
            out["required"] = list(node["required"])
        return _finish_object(out)
    if kind == "array" or "items" in node:
        return {"type": "array", "items": convert(node.get("items", {}), spec, seen)}
    if kind in ("string", "integer", "number", "boolean"):
        out["type"] = kind
        if "enum" in node:
            out["enum"] = list(node["enum"])
        if kind == "string" and node.get("format") == "date-time":
            out["type"] = ["string", "null"]
        return out
    return {}


def _finish_object(out: dict[str, Any]) -> dict[str, Any]:
    out["additionalProperties"] = False
    out["type"] = ["object", "null"]
    return out


def response_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The converted 200 schema of ``POST path``; the top level must be an object (not null)."""
    response = spec["paths"][path]["post"]["responses"]["200"]
    schema = convert(response["content"]["application/json"]["schema"], spec)
    schema["type"] = "object"
    return schema


def request_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The converted request-body schema of ``POST path``, closed, the top level an object (not null)."""
    body = spec["paths"][path]["post"]["requestBody"]
    return _objects_not_null(convert(body["content"]["application/json"]["schema"], spec))


def _objects_not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A request sends no null objects: ``["object", "null"]`` → ``"object"``, recursively."""
    if schema.get("type") == ["object", "null"]:
        schema["type"] = "object"
    for child in schema.get("properties", {}).values():
        _objects_not_null(child)
    if isinstance(schema.get("items"), dict):
        _objects_not_null(schema["items"])
    return schema


def fbo_v3_list(ru: dict[str, Any]) -> dict[str, Any]:
    """``/v3/posting/fbo/list``: no vendor schema stored; built from ``v2FboPosting`` (see module doc)."""
    posting = convert({"$ref": "#/components/schemas/v2FboPosting"}, ru)
    product = posting["properties"]["products"]["items"]
    product["properties"].pop("currency_code", None)
    product["properties"]["price"] = {
        "type": "object",
        "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}},
        "additionalProperties": False,
    }
    posting["type"] = "object"
    return {
        "description": "POST /v3/posting/fbo/list — community-observed contract derived from v2FboPosting",
        "type": "object",
        "properties": {
            "cursor": {"type": "string"},
            "has_next": {"type": "boolean"},
            "postings": {"type": "array", "items": posting},
        },
        "required": ["cursor", "has_next", "postings"],
        "additionalProperties": False,
    }


def require_all(schema: dict[str, Any]) -> dict[str, Any]:
    """Every documented property required, recursively (objects and array items)."""
    if "properties" in schema:
        schema["required"] = sorted(schema["properties"])
        for child in schema["properties"].values():
            require_all(child)
    if isinstance(schema.get("items"), dict):
        require_all(schema["items"])
    return schema


def relax(schema: dict[str, Any], at: tuple[str, ...], fields: tuple[str, ...]) -> None:
    """Drop ``fields`` from ``required`` of the object at ``at`` (property names and ``items``)."""
    node = schema
    for step in at:
        node = node["items"] if step == "items" else node["properties"][step]
    node["required"] = [name for name in node["required"] if name not in fields]


def complete_schema(path: str) -> dict[str, Any]:
    """The 200 schema of ``path`` in the refreshed subset, closed and with every documented field required."""
    spec = json.loads(RU26.read_text(encoding="utf-8"))
    schema = require_all(response_schema(spec, path))
    return {
        "description": f"POST {path} — 200 response, {RU26.name}, every documented field required",
        **schema,
    }


def error_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """``rpcStatus``, the body of every error answer; ``code`` and ``message`` always present."""
    schema = convert({"$ref": "#/components/schemas/rpcStatus"}, spec)
    schema["type"] = "object"
    schema["required"] = ["code", "message", "details"]
    return schema


def main(spec_dir: Path) -> None:
    """Write every schema file next to this script."""
    specs = {name: json.loads((spec_dir / name).read_text()) for name in (ZH, RU)}
    out = {name: response_schema(specs[file], path) for name, (file, path) in METHODS.items()}
    for name, (file, path) in METHODS.items():
        out[name] = {"description": f"POST {path} — 200 response, {file}", **copy.deepcopy(out[name])}
    out["v3_posting_fbo_list"] = fbo_v3_list(specs[RU])
    for name in READS:
        out[name] = require_all(out[name])
        out[name]["description"] += "; every documented field required"
    for (name, at), fields in OPTIONAL.items():
        relax(out[name], at, fields)
    for name, path in COMPLETE.items():
        out[name] = complete_schema(path)
    for name, (file, path) in REQUESTS.items():
        schema = request_schema(specs[file], path)
        out[f"{name}_request"] = {"description": f"POST {path} — request body, {file}", **schema}
    out["error"] = {"description": "rpcStatus (every error answer)", **error_schema(specs[ZH])}
    for name, schema in out.items():
        text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}, indent=1)
        (HERE / f"{name}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/specs/ozon"))
