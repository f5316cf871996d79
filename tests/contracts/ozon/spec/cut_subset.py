"""Cut the paths sellerflow reads out of Ozon's full Seller API swagger, with every component they reference.

Run: ``.venv/bin/python tests/contracts/ozon/spec/cut_subset.py <full swagger.json> <out.json> <path>...``.
Kept paths and referenced ``#/components/schemas/...`` objects are copied unchanged (see SOURCE.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def cut(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The subset: ``info``, the kept paths and the transitive closure of their schemas."""
    kept = {p: spec["paths"][p] for p in paths}
    names: set[str] = set()
    _refs(kept, names)
    todo = list(names)
    while todo:
        found: set[str] = set()
        _refs(spec["components"]["schemas"][todo.pop()], found)
        todo.extend(found - names)
        names |= found
    schemas = {n: spec["components"]["schemas"][n] for n in sorted(names)}
    return {
        "openapi": spec.get("openapi"),
        "info": spec["info"],
        "paths": kept,
        "components": {"schemas": schemas},
    }


if __name__ == "__main__":
    full = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    Path(sys.argv[2]).write_text(json.dumps(cut(full, sys.argv[3:]), ensure_ascii=False, indent=1) + "\n")
