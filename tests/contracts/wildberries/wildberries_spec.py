"""JSON Schemas for Wildberries answers, taken from WB's own OpenAPI files.

``response_schema(file, method, path, status)`` reads ``shared/specs/wildberries/<file>`` (WB's
OpenAPI 3.0 snapshot, see its SOURCE.md) with the later changes of ``spec_updates/<file>`` applied, resolves ``$ref``s, turns OpenAPI ``nullable`` into JSON
Schema type lists and, in strict mode, closes every documented object with
``additionalProperties: false`` so an undocumented field name fails validation.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPECS = Path("/work/shared/specs/wildberries")
LOCAL = Path(__file__).parent / "schemas"


UPDATES = Path(__file__).parent / "spec_updates"


@cache
def _spec(name: str) -> dict[str, Any]:
    """WB's vendored file with the changes WB published since (``spec_updates/<name>``, each with its source)."""
    spec = yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))
    update = UPDATES / name
    if update.exists():
        changes = yaml.safe_load(update.read_text(encoding="utf-8")) or {}
        for schema_name, change in (changes.get("components", {}).get("schemas") or {}).items():
            schema = spec["components"]["schemas"][schema_name]
            schema.setdefault("properties", {}).update(change.get("properties") or {})
            added = [f for f in change.get("required_add") or [] if f not in schema.get("required", [])]
            schema["required"] = [*schema.get("required", []), *added]
    return spec


def _deref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _merge_all_of(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """One object schema from an ``allOf`` of object schemas (so strict mode can close it)."""
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in node["allOf"]:
        part = _deref(spec, part)
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
    return {**{k: v for k, v in node.items() if k != "allOf"}, **merged}


def convert(spec: dict[str, Any], node: Any, strict: bool) -> dict[str, Any]:
    """OpenAPI 3.0 schema object -> JSON Schema (draft 2020-12)."""
    node = _deref(spec, node)
    if not isinstance(node, dict):
        return {}
    if "allOf" in node:
        node = _merge_all_of(spec, node)
    out: dict[str, Any] = {}
    nullable = bool(node.get("nullable"))
    if "type" in node:
        out["type"] = [node["type"], "null"] if nullable else node["type"]
    if "enum" in node:
        out["enum"] = [*node["enum"], None] if nullable else list(node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            out[key] = [convert(spec, sub, strict) for sub in node[key]]
    if "properties" in node:
        out["properties"] = {k: convert(spec, v, strict) for k, v in node["properties"].items()}
        if node.get("required"):
            out["required"] = list(node["required"])
        if strict:
            out["additionalProperties"] = False
    if "items" in node:
        out["items"] = convert(spec, node["items"], strict)
    out.update({k: node[k] for k in ("maxItems", "minItems", "maximum", "minimum", "maxLength") if k in node})
    return out


def response_schema(file: str, method: str, path: str, status: int, strict: bool = True) -> dict[str, Any]:
    """The JSON Schema WB documents for one answer of one operation."""
    spec = _spec(file)
    response = _deref(spec, spec["paths"][path][method.lower()]["responses"][str(status)])
    content = response.get("content") or {}
    for media in ("application/json", "application/problem+json", *content):
        if media in content and "schema" in content[media]:
            return convert(spec, content[media]["schema"], strict)
    raise KeyError(f"{file} {method} {path} {status}: no JSON schema")


def local_schema(name: str) -> dict[str, Any]:
    """A schema written by hand from WB docs for answers the OpenAPI files do not describe."""
    return json.loads((LOCAL / name).read_text(encoding="utf-8"))
