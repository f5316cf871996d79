"""The expected field sets the product reads are the ones the contracts declare today (regenerated and compared)."""

from __future__ import annotations

import json

from sellerflow.quality.schema_drift import EXPECTED_FILE, expected_fields, shape_of
from sellerflow.sources.megamarket import STREAMS as MEGAMARKET
from sellerflow.sources.ozon import STREAMS as OZON
from sellerflow.sources.wildberries import STREAMS as WILDBERRIES
from sellerflow.sources.yandex_market import STREAMS as YANDEX_MARKET

from .expected_fields import build, render


def test_the_packaged_file_is_what_the_contracts_give() -> None:
    assert EXPECTED_FILE.read_text(encoding="utf-8") == render(build()), (
        "run: python tests/quality/expected_fields.py"
    )


def test_every_entity_a_marketplace_stream_lands_is_either_checked_or_says_why_not() -> None:
    listed = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["entities"]
    for source, streams in {
        "ozon": OZON,
        "wildberries": WILDBERRIES,
        "yandex_market": YANDEX_MARKET,
        "megamarket": MEGAMARKET,
    }.items():
        for stream in streams:
            entities = {stream.entity, *(d.entity for d in stream.derived), *stream.related_keys}
            for entity in entities:
                assert f"{source}.{entity}" in listed, f"{source}.{entity}: no expected fields and no reason"


def test_every_checked_entity_compiles() -> None:
    for name in expected_fields():
        source, entity = name.split(".")
        assert shape_of(source, entity) is not None
