"""Schema drift through the real extraction path: the Ozon emulator serves prices with a field added, left out or
of another JSON type; the extract runner lands every record in raw, records one ops.schema_drift row per field and
kind (counted again, not repeated, on the next cycle) and logs a WARNING naming the field."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.ozon_world import Served

from sellerflow.quality.schema_drift import compile_shape, differences, open_drifts
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.testing.extract import FAST, accounts, ozon_world

PRICES = "/v5/product/info/prices"
# kind -> (fault rule, the drifted field, expected type, seen type)
DRIFTS: dict[str, tuple[dict[str, Any], str, str | None, str | None]] = {
    "new": (
        {"kind": "schema_extra_field", "field": "x_unannounced_field"},
        "x_unannounced_field",
        None,
        "null",
    ),
    "missing": ({"kind": "schema_missing_field", "field": "volume_weight"}, "volume_weight", "number", None),
    "retyped": ({"kind": "schema_retyped_field", "field": "acquiring"}, "acquiring", "number", "string"),
}


def _extract_prices(ozon: Served, dsn: str, run_id: str) -> dict[str, Any]:
    from sellerflow.extract.account import extract_account

    (account,) = [a for a in accounts(ozon.world.parent, "ozon", ozon.url) if a.account_id == "ozon_main"]
    return extract_account(
        account, dsn, run_id, ozon.state.now(), streams=["prices"], force=True, client_options=FAST
    )


def _drift_rows(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        cursor = conn.execute(
            "select source, entity, stream, field_path, kind, expected_type, seen_type, accounts, record_count, "
            "sample_natural_key, sample_raw_id, first_seen, last_seen from ops.schema_drift order by id"
        )
        names = [c.name for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _raw_prices(dsn: str) -> dict[str, dict[str, Any]]:
    """The latest payload per offer of ozon_main in raw.ozon_prices."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select distinct on (natural_key) natural_key, payload from raw.ozon_prices where account_id = 'ozon_main' "
            "order by natural_key, extracted_at desc, id desc"
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("kind", sorted(DRIFTS))
def test_a_drifted_field_is_recorded_once_warned_and_the_records_land(
    ozon: Served, dsn: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    rule, field, expected_type, seen_type = DRIFTS[kind]
    ozon.state.faults.configure("ozon", [parse_rule({**rule, "rate": 1.0, "paths": [PRICES]})])
    want = set(ozon_world(ozon.world)["prices"]["ozon_main"])
    assert want, "the world has prices to serve"

    with caplog.at_level(logging.WARNING, logger="sellerflow.quality.schema_drift"):
        first = _extract_prices(ozon, dsn, "drift-1")
    served = ozon.state.faults.snapshot()["ozon"][0]["faults_served"]
    assert served > 0, "the drift fault was never served"

    landed = _raw_prices(dsn)
    assert set(landed) == want, "every drifted record landed in raw"
    assert all((field in payload) == (kind != "missing") for payload in landed.values())
    if kind == "retyped":
        assert all(isinstance(payload[field], str) for payload in landed.values())
    assert first["streams"][0]["quarantined"] == 0

    (row,) = _drift_rows(dsn)
    assert (row["source"], row["entity"], row["stream"], row["field_path"], row["kind"]) == (
        "ozon",
        "prices",
        "prices",
        field,
        kind,
    )
    assert (row["expected_type"], row["seen_type"]) == (expected_type, seen_type)
    assert row["accounts"] == ["ozon_main"]
    assert row["record_count"] == len(want)
    with psycopg.connect(dsn) as conn:
        sample = conn.execute(
            "select natural_key, payload from raw.ozon_prices where id = %s", (row["sample_raw_id"],)
        ).fetchone()
    assert sample is not None
    assert sample[0] == row["sample_natural_key"]
    assert (field in sample[1]) == (kind != "missing"), "the sample is a drifted raw version"

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    for part in (f"{field} {kind}", "raw.ozon_prices", "ozon/ozon_main"):
        assert part in warnings[0]

    with caplog.at_level(logging.WARNING, logger="sellerflow.quality.schema_drift"):
        _extract_prices(ozon, dsn, "drift-2")  # the next cycle: the same drift again
    (again,) = _drift_rows(dsn)
    assert again["record_count"] == 2 * len(want)
    assert again["first_seen"] == row["first_seen"]
    assert again["last_seen"] >= row["last_seen"]
    with psycopg.connect(dsn) as conn:
        assert [(d["field_path"], d["kind"]) for d in open_drifts(conn)] == [(field, kind)]


def test_an_undrifted_world_records_no_drift(
    ozon: Served, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every Ozon stream against its contract-tested emulator: the expected field sets describe what it serves."""
    from sellerflow_emulators.testing.extract import run_all

    with caplog.at_level(logging.WARNING, logger="sellerflow.quality.schema_drift"):
        run_all(ozon, dsn, "clean")
    assert _drift_rows(dsn) == []
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("source", ["wildberries", "yandex_market", "megamarket"])
def test_the_other_marketplaces_undrifted_record_no_drift(
    source: str, pristine_world: Path, tmp_path: Path, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every stream of the other marketplaces against their emulators: no drift where nothing drifted."""
    helpers = importlib.import_module(f"sellerflow_emulators.testing.{source}")
    serve = helpers.serve_world if source == "megamarket" else helpers.serve_copy
    pristine = pristine_world
    if source == "yandex_market":  # its run_all extracts a second cabinet too
        pristine = tmp_path / "pristine"
        pristine.mkdir()
        helpers.add_second_cabinet(helpers.copy_world(pristine_world, pristine))
    with (
        serve(pristine, tmp_path) as served,
        caplog.at_level(logging.WARNING, "sellerflow.quality.schema_drift"),
    ):
        results = helpers.run_all(served, dsn, "clean")
    assert sum(r["records"] for r in results) > 0
    assert _drift_rows(dsn) == []
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


SHAPE = {
    "fields": {
        "id": "integer",
        "price": "object|null",
        "price.value": "number",
        "tags": "array",
        "tags[]": "string",
    },
    "required": ["id", "price.value"],
    "open": [],
}


@pytest.mark.parametrize(
    ("record", "found"),
    [
        ({"id": 1, "price": {"value": 2}, "tags": ["a"]}, []),
        ({"id": 1.0, "price": None, "tags": []}, []),  # an integral number is an integer; null where allowed
        ({"id": 1, "price": {"value": 2, "cur": "RUB"}, "tags": []}, [("price.cur", "new", None, "string")]),
        (
            {"price": {}, "tags": []},
            [("id", "missing", "integer", None), ("price.value", "missing", "number", None)],
        ),
        (
            {"id": "1", "tags": [1]},
            [("id", "retyped", "integer", "string"), ("tags[]", "retyped", "string", "integer")],
        ),
    ],
)
def test_differences_name_each_field_and_kind(record: dict[str, Any], found: list[tuple]) -> None:
    assert sorted(differences(compile_shape(SHAPE), record)) == sorted(found)
