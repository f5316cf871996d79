"""The raw loader on a real Postgres: versions, reruns, quarantine, streaming, payload fidelity."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from sellerflow.warehouse import LoadResult, get_sync_state, load_records, migrate, set_sync_state

BIG = 100_000


@pytest.fixture(scope="module")
def dsn(warehouse_dsn: str) -> str:
    """The session warehouse, migrated."""
    migrate(warehouse_dsn)
    return warehouse_dsn


@pytest.fixture
def entity() -> str:
    """A raw table of its own for each test: ``raw.ozon_<entity>``."""
    return f"postings_{uuid.uuid4().hex[:8]}"


def posting(i: int, status: str = "delivered") -> dict[str, Any]:
    """An Ozon-posting-like record."""
    return {
        "posting_number": f"{10000000 + i}-0001-1",
        "order_id": 500000000 + i,
        "status": status,
        "in_process_at": "2026-11-20T10:15:00Z",
        "products": [
            {"sku": 1000 + i % 50, "offer_id": f"ART-{i % 50}", "price": "1290.0000", "quantity": 1}
        ],
        "analytics_data": {"region": "Москва", "city": "Москва", "warehouse": "Хоругвино"},
    }


def rows(dsn: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def quarantine(dsn: str, entity: str) -> list[tuple[Any, ...]]:
    return rows(
        dsn, f"select reason, natural_key, payload, payload_text from quarantine.ozon_{entity} order by id"
    )


@pytest.fixture(scope="module")
def big_load(dsn: str) -> tuple[str, LoadResult]:
    """100k postings loaded once from a generator."""
    entity = f"big_{uuid.uuid4().hex[:8]}"
    result = load_records(
        dsn, "ozon", entity, "acc", (posting(i) for i in range(BIG)), "posting_number", "run-1"
    )
    return entity, result


def test_100k_records_land(dsn: str, big_load: tuple[str, LoadResult]) -> None:
    entity, result = big_load
    assert result == LoadResult(received=BIG, inserted=BIG, unchanged=0, quarantined=0)
    assert rows(dsn, f"select count(*), count(distinct natural_key) from raw.ozon_{entity}") == [(BIG, BIG)]
    runs = rows(
        dsn,
        "select run_id, status, received, inserted, unchanged, quarantined, finished_at is not null"
        " from ops.load_runs where entity = %s",
        entity,
    )
    assert runs == [("run-1", "succeeded", BIG, BIG, 0, 0, True)]


def test_rerun_adds_no_rows(dsn: str, big_load: tuple[str, LoadResult]) -> None:
    entity, _ = big_load
    again = load_records(
        dsn, "ozon", entity, "acc", (posting(i) for i in range(BIG)), "posting_number", "run-2"
    )
    assert again == LoadResult(received=BIG, inserted=0, unchanged=BIG, quarantined=0)
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(BIG,)]


def test_changed_payload_adds_exactly_one_version(dsn: str, entity: str) -> None:
    load_records(
        dsn,
        "ozon",
        entity,
        "acc",
        [posting(i, "awaiting_packaging") for i in range(3)],
        "posting_number",
        "r1",
    )
    changed = [posting(0, "awaiting_packaging"), posting(1, "delivering"), posting(2, "awaiting_packaging")]
    result = load_records(dsn, "ozon", entity, "acc", changed, "posting_number", "r2")

    assert result == LoadResult(received=3, inserted=1, unchanged=2, quarantined=0)
    history = rows(
        dsn,
        f"select payload->>'status', run_id from raw.ozon_{entity} where natural_key = %s order by extracted_at, id",
        posting(1)["posting_number"],
    )
    assert history == [("awaiting_packaging", "r1"), ("delivering", "r2")]
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(4,)]


def test_same_key_is_versioned_per_account(dsn: str, entity: str) -> None:
    load_records(dsn, "ozon", entity, "cabinet-a", [posting(1)], "posting_number", "r1")
    result = load_records(dsn, "ozon", entity, "cabinet-b", [posting(1)], "posting_number", "r1")
    assert result.inserted == 1
    assert rows(dsn, f"select account_id from raw.ozon_{entity} order by 1") == [
        ("cabinet-a",),
        ("cabinet-b",),
    ]


def test_versions_across_runs_keep_arrival_order(dsn: str, entity: str) -> None:
    statuses = ["awaiting_packaging", "awaiting_deliver", "delivering", "delivered"]
    for run, status in enumerate(statuses):
        load_records(dsn, "ozon", entity, "acc", [posting(7, status)], "posting_number", f"r{run}")
    got = rows(dsn, f"select payload->>'status' from raw.ozon_{entity} order by extracted_at, id")
    assert [s for (s,) in got] == statuses


def test_a_value_that_comes_back_is_a_new_latest_version(dsn: str, entity: str) -> None:
    """Stock 5 → 3 → 5: three versions, and the latest says 5 again."""
    for status in ("awaiting_packaging", "delivering", "awaiting_packaging"):
        result = load_records(dsn, "ozon", entity, "acc", [posting(1, status)], "posting_number", status)
        assert result.inserted == 1
    latest = rows(
        dsn,
        f"select payload ->> 'status' from raw.ozon_{entity} order by extracted_at desc, id desc limit 1",
    )
    assert latest == [("awaiting_packaging",)]
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(3,)]


def test_a_key_repeated_in_one_batch_lands_its_last_state_once(dsn: str, entity: str) -> None:
    """A page repeated or shifted while paging: the last occurrence is the state; a rerun adds nothing."""
    batch = [posting(1, "a"), posting(2, "x"), posting(1, "a"), posting(1, "b")]
    result = load_records(dsn, "ozon", entity, "acc", batch, "posting_number", "run-1")
    assert (result.received, result.inserted, result.unchanged) == (4, 2, 2)
    landed = rows(dsn, f"select natural_key, payload ->> 'status' from raw.ozon_{entity} order by id")
    assert landed == [(posting(2)["posting_number"], "x"), (posting(1)["posting_number"], "b")]
    rerun = load_records(dsn, "ozon", entity, "acc", batch, "posting_number", "run-2")
    assert rerun.inserted == 0


def test_record_without_key_is_quarantined_and_rest_lands(dsn: str, entity: str) -> None:
    records = [posting(i) for i in range(10)]
    keyless = records[4]
    del keyless["posting_number"]
    result = load_records(dsn, "ozon", entity, "acc", records, "posting_number", "r1", batch_size=6)

    assert result == LoadResult(received=10, inserted=9, unchanged=0, quarantined=1)
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(9,)]
    assert quarantine(dsn, entity) == [("missing key field 'posting_number'", None, keyless, None)]
    assert rows(dsn, f"select account_id, run_id from quarantine.ozon_{entity}") == [("acc", "r1")]


@pytest.mark.parametrize(
    ("bad_key", "reason"),
    [
        (None, "key field 'posting_number' is null"),
        ("", "key field 'posting_number' is empty"),
        ({"id": 1}, "key field 'posting_number' has unsupported type dict"),
        (True, "key field 'posting_number' has unsupported type bool"),
    ],
)
def test_unusable_key_value_is_quarantined(dsn: str, entity: str, bad_key: object, reason: str) -> None:
    record = posting(1) | {"posting_number": bad_key}
    result = load_records(dsn, "ozon", entity, "acc", [record, posting(2)], "posting_number", "r1")
    assert result == LoadResult(received=2, inserted=1, unchanged=0, quarantined=1)
    assert [r[0] for r in quarantine(dsn, entity)] == [reason]


def test_non_dict_records_are_quarantined(dsn: str, entity: str) -> None:
    weird = object()
    records: list[object] = [[1, 2], "text", None, weird, posting(1)]
    result = load_records(dsn, "ozon", entity, "acc", records, "posting_number", "r1")

    assert result == LoadResult(received=5, inserted=1, unchanged=0, quarantined=4)
    got = quarantine(dsn, entity)
    assert [r[0] for r in got] == [
        "record is list, not a JSON object",
        "record is str, not a JSON object",
        "record is NoneType, not a JSON object",
        "record is object, not a JSON object",
    ]
    assert [r[2] for r in got[:3]] == [[1, 2], "text", None]
    # Not JSON at all: kept as readable text instead.
    assert got[3][2] is None
    assert got[3][3] == json.dumps(repr(weird))


def test_validate_reason_quarantines(dsn: str, entity: str) -> None:
    def no_cancelled(record: dict[str, Any]) -> str | None:
        return "cancelled postings are not loaded here" if record["status"] == "cancelled" else None

    records = [posting(1), posting(2, "cancelled"), posting(3)]
    result = load_records(dsn, "ozon", entity, "acc", records, "posting_number", "r1", validate=no_cancelled)
    assert result == LoadResult(received=3, inserted=2, unchanged=0, quarantined=1)
    assert quarantine(dsn, entity) == [
        (
            "cancelled postings are not loaded here",
            posting(2)["posting_number"],
            posting(2, "cancelled"),
            None,
        )
    ]


def test_validate_that_raises_quarantines_instead_of_stopping(dsn: str, entity: str) -> None:
    def strict(record: dict[str, Any]) -> str | None:
        return None if record["products"][0]["quantity"] > 0 else "quantity must be positive"

    broken = posting(2) | {"products": []}
    result = load_records(
        dsn, "ozon", entity, "acc", [posting(1), broken], "posting_number", "r1", validate=strict
    )
    assert result == LoadResult(received=2, inserted=1, unchanged=0, quarantined=1)
    assert quarantine(dsn, entity)[0][0] == "validate raised IndexError: list index out of range"


def test_unstorable_payloads_are_quarantined(dsn: str, entity: str) -> None:
    nul = posting(1) | {"comment": "a\x00b"}
    surrogate = posting(2) | {"comment": "\udc80"}
    int_keys = posting(3) | {"by_sku": {1001: 2}}
    result = load_records(
        dsn, "ozon", entity, "acc", [nul, surrogate, int_keys, posting(4)], "posting_number", "r1"
    )

    assert result == LoadResult(received=4, inserted=1, unchanged=0, quarantined=3)
    got = quarantine(dsn, entity)
    assert got[0][0] == "contains U+0000, which jsonb cannot store"
    assert got[1][0].startswith("not JSON-serialisable: UnicodeEncodeError")
    assert got[2][0].startswith("not JSON-serialisable: TypeError")
    assert [r[1] for r in got] == [posting(i)["posting_number"] for i in (1, 2, 3)]
    assert all(r[2] is None and r[3] for r in got), "kept as text when jsonb cannot hold the record"
    assert json.loads(got[0][3])["comment"] == "a\x00b"


def test_values_json_cannot_express_are_encoded_not_dropped(dsn: str, entity: str) -> None:
    record = posting(1) | {"ratio": float("nan"), "at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC)}
    load_records(dsn, "ozon", entity, "acc", [record], "posting_number", "r1")
    assert rows(dsn, f"select payload->'ratio' = 'null'::jsonb, payload->>'at' from raw.ozon_{entity}") == [
        (True, "2026-11-20T10:00:00Z")
    ]


def test_payload_is_stored_exactly_as_received(dsn: str, entity: str) -> None:
    record = {
        "posting_number": "0001-1",
        "Номенклатура": "Кроссовки «Бег» 42",
        "escapes": 'tab\there\nnew "quoted" back\\slash \\u0000 literal',
        "numbers": {"int": 12345678901234567890, "float": 0.1, "neg": -3.5e-7, "zero": 0},
        "nested": [{"a": [1, {"b": None}]}, [], {}],
        "flags": [True, False],
        "emoji": "📦",
    }
    result = load_records(dsn, "ozon", entity, "acc", [record], "posting_number", "r1")
    assert result.inserted == 1
    assert rows(dsn, f"select payload from raw.ozon_{entity}") == [(record,)]


def test_payload_hash_is_sha256_of_canonical_json(dsn: str, entity: str) -> None:
    record = posting(1) | {"city": "Санкт-Петербург"}
    load_records(dsn, "ozon", entity, "acc", [record], "posting_number", "r1")
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert rows(dsn, f"select encode(payload_hash, 'hex') from raw.ozon_{entity}") == [(expected,)]


def test_key_from_dotted_path_and_from_callable(dsn: str, entity: str) -> None:
    wrapped = [{"result": {"id": 42, "status": "PROCESSING"}}]
    load_records(dsn, "yandex_market", entity, "acc", wrapped, "result.id", "r1")
    assert rows(dsn, f"select natural_key from raw.yandex_market_{entity}") == [("42",)]

    lines = [{"shipmentId": "S1", "itemIndex": 1}, {"shipmentId": "S1", "itemIndex": 2}]
    load_records(
        dsn, "megamarket", entity, "acc", lines, lambda r: f"{r['shipmentId']}/{r['itemIndex']}", "r1"
    )
    got = rows(dsn, f"select natural_key from raw.megamarket_{entity} order by 1")
    assert got == [("S1/1",), ("S1/2",)]


def test_generator_is_streamed_batch_by_batch(
    dsn: str, entity: str, caplog: pytest.LogCaptureFixture
) -> None:
    batch, seen_before_third_batch = 500, []

    def records() -> Iterator[dict[str, Any]]:
        for i in range(3 * batch):
            if i == 2 * batch:
                # Two batches must already be committed before the generator is asked for the third.
                seen_before_third_batch.append(rows(dsn, f"select count(*) from raw.ozon_{entity}")[0][0])
            yield posting(i)

    with caplog.at_level(logging.INFO, logger="sellerflow.warehouse.loader"):
        result = load_records(dsn, "ozon", entity, "acc", records(), "posting_number", "r1", batch_size=batch)

    assert result.inserted == 3 * batch
    assert seen_before_third_batch == [2 * batch]
    batch_lines = [r.getMessage() for r in caplog.records if " batch " in r.getMessage()]
    assert len(batch_lines) == 3
    assert batch_lines[0].endswith("received=500 inserted=500 unchanged=0 quarantined=0")
    assert not any("Москва" in r.getMessage() for r in caplog.records), "payloads must never be logged"


def test_load_and_watermark_commit_together_in_callers_transaction(dsn: str, entity: str) -> None:
    with psycopg.connect(dsn) as conn, conn.transaction():
        result = load_records(conn, "ozon", entity, "acc", [posting(1), posting(2)], "posting_number", "r1")
        set_sync_state(conn, "ozon", "acc", entity, datetime(2026, 11, 20, tzinfo=UTC))
        assert result.inserted == 2
        raise psycopg.Rollback  # e.g. the task failed after loading: neither data nor watermark may stay
    # Even the table created on demand is rolled back with the data.
    assert rows(dsn, "select to_regclass(%s)", f"raw.ozon_{entity}") == [(None,)]
    assert rows(dsn, "select count(*) from ops.load_runs where entity = %s", entity) == [(0,)]
    assert get_sync_state(dsn, "ozon", "acc", entity) is None

    with psycopg.connect(dsn) as conn, conn.transaction():
        load_records(conn, "ozon", entity, "acc", [posting(1), posting(2)], "posting_number", "r1")
        set_sync_state(conn, "ozon", "acc", entity, datetime(2026, 11, 20, tzinfo=UTC))
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(2,)]
    assert get_sync_state(dsn, "ozon", "acc", entity) is not None


def test_failure_marks_the_run_failed(dsn: str, entity: str) -> None:
    def records() -> Iterator[dict[str, Any]]:
        yield from (posting(i) for i in range(5))
        raise ConnectionError("vendor API went away")

    with pytest.raises(ConnectionError):
        load_records(dsn, "ozon", entity, "acc", records(), "posting_number", "r1", batch_size=2)
    got = rows(dsn, "select status, error, inserted from ops.load_runs where entity = %s", entity)
    assert got == [("failed", "ConnectionError", 4)]


@pytest.mark.parametrize(
    ("source", "name"), [("Ozon", "postings"), ("ozon", "1st"), ("ozon", "a-b"), ("ozon", 'x"; drop')]
)
def test_invalid_names_are_rejected(dsn: str, source: str, name: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        load_records(dsn, source, name, "acc", [posting(1)], "posting_number", "r1")


def test_too_long_table_name_is_rejected(dsn: str) -> None:
    with pytest.raises(ValueError, match="longer than 63"):
        load_records(dsn, "yandex_market", "x" * 50, "acc", [posting(1)], "posting_number", "r1")


def test_missing_schemas_give_a_clear_error(fresh_dsn: str) -> None:
    with pytest.raises(RuntimeError, match="migrate"):
        load_records(fresh_dsn, "ozon", "postings", "acc", [posting(1)], "posting_number", "r1")


def test_latest_loads_view_shows_the_last_successful_run(dsn: str, entity: str) -> None:
    load_records(dsn, "ozon", entity, "acc", [posting(1)], "posting_number", "r1")
    load_records(dsn, "ozon", entity, "acc", [posting(1), posting(2)], "posting_number", "r2")
    got = rows(
        dsn, "select run_id, received, inserted, unchanged from ops.latest_loads where entity = %s", entity
    )
    assert got == [("r2", 2, 1, 1)]


# -- context: stored beside the payload, never part of it or of its hash -------------------------------


def test_a_dict_context_is_stored_beside_every_payload(dsn: str, entity: str) -> None:
    context = {"base": "ut_main", "organization_key": "org-1", "legal_entity_id": None}
    result = load_records(
        dsn, "ozon", entity, "acc", [posting(1), posting(2)], "posting_number", "r1", context=context
    )
    assert result.inserted == 2
    got = rows(dsn, f"select payload, context from raw.ozon_{entity} order by id")
    assert got == [(posting(1), context), (posting(2), context)], "payload as received, context beside it"


def test_without_context_the_column_is_null(dsn: str, entity: str) -> None:
    load_records(dsn, "ozon", entity, "acc", [posting(1)], "posting_number", "r1")
    assert rows(dsn, f"select context from raw.ozon_{entity}") == [(None,)]


def test_context_is_not_part_of_the_version(dsn: str, entity: str) -> None:
    first = {"observed_at": "2026-11-20T10:00:00+00:00"}
    load_records(dsn, "ozon", entity, "acc", [posting(1)], "posting_number", "r1", context=first)
    again = load_records(
        dsn,
        "ozon",
        entity,
        "acc",
        [posting(1)],
        "posting_number",
        "r2",
        context={"observed_at": "2026-11-20T10:05:00+00:00"},
    )
    assert again == LoadResult(received=1, inserted=0, unchanged=1, quarantined=0)
    canonical = json.dumps(posting(1), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert rows(dsn, f"select encode(payload_hash, 'hex'), context from raw.ozon_{entity}") == [
        (hashlib.sha256(canonical.encode("utf-8")).hexdigest(), first)
    ], "the hash is of the payload alone; the version keeps the context it landed with"


def test_a_callable_context_is_computed_per_record(dsn: str, entity: str) -> None:
    def organization(record: dict[str, Any]) -> dict[str, Any] | None:
        return None if record["order_id"] % 2 else {"organization_key": f"org-{record['order_id']}"}

    records = [posting(i) for i in range(4)]
    result = load_records(dsn, "ozon", entity, "acc", records, "posting_number", "r1", context=organization)
    assert result.inserted == 4
    got = rows(dsn, f"select payload ->> 'order_id', context from raw.ozon_{entity} order by id")
    assert got == [
        ("500000000", {"organization_key": "org-500000000"}),
        ("500000001", None),
        ("500000002", {"organization_key": "org-500000002"}),
        ("500000003", None),
    ]


def test_a_context_that_fails_quarantines_the_record(dsn: str, entity: str) -> None:
    def context(record: dict[str, Any]) -> Any:
        if record["status"] == "boom":
            raise KeyError("organization")
        return "not a dict" if record["status"] == "text" else {"ok": True}

    records = [posting(1, "boom"), posting(2, "text"), posting(3)]
    result = load_records(dsn, "ozon", entity, "acc", records, "posting_number", "r1", context=context)
    assert result == LoadResult(received=3, inserted=1, unchanged=0, quarantined=2)
    assert [(r[0], r[1]) for r in quarantine(dsn, entity)] == [
        ("context raised KeyError: 'organization'", posting(1)["posting_number"]),
        ("context is str, not a JSON object", posting(2)["posting_number"]),
    ]


def test_a_quarantined_record_keeps_its_context(dsn: str, entity: str) -> None:
    keyless = posting(1)
    del keyless["posting_number"]
    load_records(dsn, "ozon", entity, "acc", [keyless], "posting_number", "r1", context={"base": "b1"})
    assert rows(dsn, f"select payload, context from quarantine.ozon_{entity}") == [(keyless, {"base": "b1"})]


def test_an_unusable_context_dict_is_refused_before_loading(dsn: str, entity: str) -> None:
    with pytest.raises(ValueError, match="context is not JSON-serialisable"):
        load_records(
            dsn, "ozon", entity, "acc", [posting(1)], "posting_number", "r1", context={"x": object()}
        )
    assert rows(dsn, "select to_regclass(%s)", f"raw.ozon_{entity}") == [(None,)]


_OLD_TABLES = """
create table raw.{name} (
    id bigserial primary key, account_id text not null, natural_key text not null, payload jsonb not null,
    payload_hash bytea not null, extracted_at timestamptz not null default now(), run_id text not null
);
create index on raw.{name} (account_id, natural_key, extracted_at desc, id desc) include (payload_hash);
create table quarantine.{name} (
    id bigserial primary key, account_id text not null, run_id text not null, reason text not null,
    natural_key text, payload jsonb, payload_text text, quarantined_at timestamptz not null default now()
);
"""


def test_a_table_from_before_context_gets_the_column_once(dsn: str, entity: str) -> None:
    """Tables created by the earlier loader get ``context``; later loads only read the catalog."""
    name = f"ozon_{entity}"
    with psycopg.connect(dsn) as conn:
        conn.execute(_OLD_TABLES.format(name=name))
        conn.execute(
            f"insert into raw.{name} (account_id, natural_key, payload, payload_hash, run_id)"
            " values ('acc', %s, %s, %s, 'old')",
            (posting(1)["posting_number"], json.dumps(posting(1)), b"old"),
        )
    load_records(dsn, "ozon", entity, "acc", [posting(2)], "posting_number", "r1", context={"base": "b1"})
    assert rows(dsn, f"select run_id, context from raw.{name} order by id") == [
        ("old", None),
        ("r1", {"base": "b1"}),
    ]
    columns = rows(
        dsn,
        "select table_schema from information_schema.columns where table_name = %s and column_name = 'context'"
        " order by 1",
        name,
    )
    assert columns == [("quarantine",), ("raw",)]

    # A reader holds the tables; a loader that altered them again would have to wait for it.
    with psycopg.connect(dsn) as reader, psycopg.connect(dsn, autocommit=True) as loader:
        reader.execute(f"select count(*) from raw.{name}")
        reader.execute(f"select count(*) from quarantine.{name}")
        loader.execute("set lock_timeout = '2s'")
        result = load_records(loader, "ozon", entity, "acc", [posting(3)], "posting_number", "r2")
        assert result.inserted == 1


def test_ensure_raw_table_creates_an_empty_table_once(dsn: str, entity: str) -> None:
    from sellerflow.warehouse.loader import ensure_raw_table

    ensure_raw_table(dsn, "ozon", entity)
    ensure_raw_table(dsn, "ozon", entity)
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(0,)]
    assert rows(dsn, f"select count(*) from quarantine.ozon_{entity}") == [(0,)]
    load_records(dsn, "ozon", entity, "acc", [posting(1)], "posting_number", "run-1")
    assert rows(dsn, f"select count(*) from raw.ozon_{entity}") == [(1,)]
