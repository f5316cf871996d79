"""1C extraction end to end below Airflow: the 1C emulator over real HTTP → raw tables in a real Postgres.

Each test gets its own copy of a generated world, its own emulator and its own warehouse database, and
changes 1C the way a user would: through the OData write API (PATCH, Post, Unpost, DELETE) or, for register
balances that only postings move, in the world's tables.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from sellerflow.extract.runner import StreamResult
from sellerflow.extract.stream import Stream
from sellerflow.sources.onec import OneCBase, OneCBusinessError
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow.sources.onec.streams import CATALOG_STREAMS, DOCUMENT_STREAMS, PRODUCTS, STOCK
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.onec import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import generate_world

AS_OF = datetime(2026, 9, 18, 12, 0, tzinfo=UTC)
MIGRATION = Path(__file__).parents[3] / "include/sellerflow/warehouse/migrations/0115_onec_stream_state.sql"
ORDERS, SALES = "Document_ЗаказКлиента", "Document_РеализацияТоваровУслуг"
SCENARIO = ("--seed", "5", "--days", "3", "--orders-per-day", "40")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("onec_world"), SCENARIO)


@dataclass
class OneC:
    """One test's 1C installation and warehouse."""

    world: Path
    state: EmulatorState
    url: str
    dsn: str

    def base(self, base_id: str = "ut_main", **settings: Any) -> OneCBase:
        with sqlite3.connect(self.world) as conn:
            username, password = conn.execute(
                "select username, password from onec_bases where id = ?", (base_id,)
            ).fetchone()
        fast = {"retry_initial_s": 0.01, "retry_max_s": 0.05, "timeout_s": 10.0}
        return OneCBase(
            base_id, f"{self.url}/{base_id}/odata/standard.odata", username, password, **(fast | settings)
        )

    def bases(self) -> list[str]:
        with sqlite3.connect(self.world) as conn:
            return [r[0] for r in conn.execute("select id from onec_bases order by id")]

    def http(self, base_id: str = "ut_main") -> httpx.Client:
        base = self.base(base_id)
        return httpx.Client(
            base_url=base.odata_url + "/",
            auth=(base.username, base.password),
            headers={"Accept": "application/json"},
            timeout=10,
        )

    def world_sql(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.world) as conn:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
        return rows

    def raw(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(sql, params).fetchall()

    def raw_total(self) -> int:
        with psycopg.connect(self.dsn) as conn:
            tables = [r[0] for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            )]  # fmt: skip
            return sum(conn.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables)


@pytest.fixture
def onec(generated: Path, tmp_path: Path, migrated_dsn: str) -> Iterator[OneC]:
    world = tmp_path / "world.sqlite"
    shutil.copy(generated, world)
    state = EmulatorState(world)
    with serve_in_thread(create_app(state)) as url:
        yield OneC(world, state, url, migrated_dsn)


def extract_all(onec: OneC, run_id: str = "run1", as_of: datetime = AS_OF, **settings: Any) -> dict[str, Any]:
    summaries: dict[str, Any] = {}
    for base_id in onec.bases():
        base = onec.base(base_id, **settings)
        summaries[base_id] = [
            extract_catalogs(base, onec.dsn, run_id, as_of),
            extract_documents(base, onec.dsn, run_id, as_of),
            extract_stock(base, onec.dsn, run_id, as_of),
        ]
    return summaries


def latest(onec: OneC, table: str, key: str) -> dict[str, Any]:
    rows = onec.raw(f"select payload from raw.{table} where natural_key = %s order by id desc limit 1", key)
    return rows[0][0]


def an_order(onec: OneC, base_id: str = "ut_main") -> str:
    return onec.world_sql(
        "select ref_key from onec_documents where base_id = ? and doc_type = 'ЗаказКлиента' order by ref_key limit 1",
        base_id,
    )[0][0]


# -- full load -------------------------------------------------------------------------------------


def test_full_load_equals_the_emulators_content_for_every_base(onec: OneC) -> None:
    extract_all(onec)
    for base_id in onec.bases():
        products = {r[0] for r in onec.world_sql("select ref_key from products where base_id = ?", base_id)}
        landed = {
            r[0] for r in onec.raw("select natural_key from raw.onec_products where account_id = %s", base_id)
        }
        assert landed == products
        for doc_type, table in (
            ("ЗаказКлиента", "onec_customer_orders"),
            ("РеализацияТоваровУслуг", "onec_shipments"),
        ):
            docs = {r[0] for r in onec.world_sql(
                "select ref_key from onec_documents where base_id = ? and doc_type = ?", base_id, doc_type
            )}  # fmt: skip
            assert docs, "the scenario has documents"
            got = {
                r[0] for r in onec.raw(f"select natural_key from raw.{table} where account_id = %s", base_id)
            }
            assert got == docs
        in_stock = onec.world_sql(
            "select coalesce(sum(s.in_stock), 0) from onec_stock s join warehouses w on w.id = s.warehouse_id"
            " where w.owner = ?",
            f"onec:{base_id}",
        )[0][0]
        landed_stock = onec.raw(
            "select sum((payload->>'ВНаличииBalance')::numeric) from raw.onec_stock where account_id = %s",
            base_id,
        )[0][0]
        assert landed_stock == in_stock
        prices = onec.world_sql(
            "select count(distinct pr.product_ref || pr.price_type) from onec_prices pr"
            " join products p on p.ref_key = pr.product_ref where p.base_id = ?",
            base_id,
        )[0][0]
        assert onec.raw("select count(*) from raw.onec_prices where account_id = %s", base_id)[0][0] == prices


def test_every_record_carries_its_base_and_organization_beside_the_payload(onec: OneC) -> None:
    extract_all(onec)
    organizations = dict(onec.world_sql("select base_id, ref_key from onec_organizations"))
    for table in ("onec_products", "onec_stock", "onec_customer_orders", "onec_shipments", "onec_barcodes"):
        pairs = set(onec.raw(
            f"select account_id, context->>'base', context->>'organization_key' from raw.{table}"
        ))  # fmt: skip
        assert pairs == {(b, b, org) for b, org in organizations.items()}, table
        assert onec.raw(f"select count(*) from raw.{table} where payload ? '_sellerflow'") == [(0,)], table


def test_payloads_are_the_objects_1c_served(onec: OneC) -> None:
    extract_catalogs(onec.base(), onec.dsn, "run1", AS_OF)
    ref = onec.world_sql("select ref_key from products where base_id = 'ut_main' order by ref_key limit 1")[
        0
    ][0]
    with onec.http() as http:
        listing = http.get(
            "Catalog_Номенклатура",
            params={"$format": "application/json;odata=nometadata", "$filter": f"Ref_Key eq guid'{ref}'"},
        ).json()
    assert latest(onec, "onec_products", ref) == listing["value"][0]


def test_register_rows_carry_the_snapshot_time_in_their_context(onec: OneC) -> None:
    extract_stock(onec.base(), onec.dsn, "r1", AS_OF)
    extract_stock(onec.base(), onec.dsn, "r2", datetime(2026, 9, 18, 12, 5, tzinfo=UTC))
    observed = onec.raw("select distinct context->>'observed_at' from raw.onec_stock")
    assert observed == [(AS_OF.isoformat(),)], "unchanged rows do not land again with a later time"


def test_a_rerun_adds_nothing_and_asks_little(onec: OneC) -> None:
    first = extract_all(onec)
    before = onec.raw_total()
    second = extract_all(onec, run_id="run2")
    assert onec.raw_total() == before
    documents_first = first["ut_main"][1]["api_calls"]
    documents_second = second["ut_main"][1]["api_calls"]
    assert documents_second <= 9, "key-only listing + $count per document type, nothing fetched"
    assert documents_first >= documents_second


# -- documents ---------------------------------------------------------------------------------


def test_an_edited_document_lands_a_new_version(onec: OneC) -> None:
    extract_all(onec)
    ref = an_order(onec)
    with onec.http() as http:
        http.patch(
            f"{ORDERS}(guid'{ref}')", params={"$format": "json"}, json={"Комментарий": "перезвонить"}
        ).raise_for_status()
    summary = extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    versions = onec.raw(
        "select payload->>'Комментарий' from raw.onec_customer_orders where natural_key = %s order by id", ref
    )
    assert [v[0] for v in versions][-1] == "перезвонить"
    assert len(versions) == 2
    orders = next(s for s in summary["streams"] if s["stream"] == "customer_orders")
    assert orders["details"]["changed"] == 1
    assert orders["new_versions"] == 1


def test_a_reposted_document_lands_a_new_version(onec: OneC) -> None:
    extract_all(onec)
    sale = onec.world_sql(
        "select ref_key from onec_documents where base_id = 'ut_main' and doc_type = 'РеализацияТоваровУслуг' limit 1"
    )[0][0]
    old = latest(onec, "onec_shipments", sale)["DataVersion"]
    with onec.http() as http:
        http.post(f"{SALES}(guid'{sale}')/Post").raise_for_status()
    extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    new = latest(onec, "onec_shipments", sale)
    assert new["DataVersion"] != old
    assert onec.raw("select count(*) from raw.onec_shipments where natural_key = %s", sale)[0][0] == 2


def test_deletion_mark_and_unposting_propagate(onec: OneC) -> None:
    extract_all(onec)
    marked, unposted = [r[0] for r in onec.world_sql(
        "select ref_key from onec_documents where base_id = 'ut_main' and doc_type = 'ЗаказКлиента' order by ref_key limit 2"
    )]  # fmt: skip
    with onec.http() as http:
        http.patch(
            f"{ORDERS}(guid'{marked}')", params={"$format": "json"}, json={"DeletionMark": True}
        ).raise_for_status()
        http.post(f"{ORDERS}(guid'{unposted}')/Unpost").raise_for_status()
    extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    assert latest(onec, "onec_customer_orders", marked)["DeletionMark"] is True
    assert latest(onec, "onec_customer_orders", unposted)["Posted"] is False


def test_a_physically_deleted_document_is_recorded_as_removed(onec: OneC) -> None:
    extract_all(onec)
    sale = onec.world_sql(
        "select ref_key from onec_documents where base_id = 'ut_main' and doc_type = 'РеализацияТоваровУслуг' limit 1"
    )[0][0]
    with onec.http() as http:
        http.delete(f"{SALES}(guid'{sale}')").raise_for_status()
    extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    removed = onec.raw("select payload from raw.onec_removals where natural_key = %s", f"shipments:{sale}")
    assert len(removed) == 1
    assert removed[0][0]["entity"] == "shipments"
    extract_documents(onec.base(), onec.dsn, "run3", AS_OF)
    assert onec.raw("select count(*) from raw.onec_removals")[0][0] == 1, "recorded once"


def test_a_new_document_lands_in_the_next_cycle_with_few_requests(onec: OneC) -> None:
    extract_all(onec)
    order = latest(onec, "onec_customer_orders", an_order(onec))
    lines = [
        {"Номенклатура_Key": line["Номенклатура_Key"], "Количество": 1, "Цена": 100}
        for line in order["Товары"]
    ]
    with onec.http() as http:
        created = http.post(
            ORDERS, params={"$format": "json"}, json={"НомерПоДаннымКлиента": "NEW-1", "Товары": lines}
        )
        created.raise_for_status()
    summary = extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    ref = created.json()["Ref_Key"]
    assert latest(onec, "onec_customer_orders", ref)["НомерПоДаннымКлиента"] == "NEW-1"
    assert summary["api_calls"] <= 10


# -- snapshots ---------------------------------------------------------------------------------


def test_stock_lands_only_changes_and_keeps_a_return_to_an_earlier_balance(onec: OneC) -> None:
    base = onec.base()
    extract_stock(base, onec.dsn, "r1", AS_OF)
    warehouse, product, start = onec.world_sql(
        "select s.warehouse_id, s.product_ref, s.in_stock from onec_stock s join warehouses w on w.id = s.warehouse_id"
        " where w.owner = 'onec:ut_main' and s.in_stock > 1 order by s.product_ref limit 1"
    )[0]
    before = onec.raw_total()
    for run, quantity in (("r2", start - 1), ("r3", start)):
        onec.world_sql(
            "update onec_stock set in_stock = ? where warehouse_id = ? and product_ref = ?",
            quantity,
            warehouse,
            product,
        )
        result = extract_stock(base, onec.dsn, run, datetime(2026, 9, 18, 12, int(run[1]), tzinfo=UTC))
        assert result["streams"][0]["new_versions"] == 1
    assert onec.raw_total() == before + 2
    history = onec.raw(
        "select (payload->>'ВНаличииBalance')::int from raw.onec_stock where natural_key like %s order by id",
        f"{product}|%",
    )
    assert [h[0] for h in history][-3:] == [start, start - 1, start]


def test_a_row_leaving_the_balance_lands_as_zero(onec: OneC) -> None:
    base = onec.base()
    extract_stock(base, onec.dsn, "r1", AS_OF)
    warehouse, product = onec.world_sql(
        "select s.warehouse_id, s.product_ref from onec_stock s join warehouses w on w.id = s.warehouse_id"
        " where w.owner = 'onec:ut_main' order by s.product_ref limit 1"
    )[0]
    onec.world_sql("delete from onec_stock where warehouse_id = ? and product_ref = ?", warehouse, product)
    result = extract_stock(base, onec.dsn, "r2", AS_OF)
    assert result["streams"][0]["new_versions"] == 1
    zero = onec.raw(
        "select payload from raw.onec_stock where natural_key like %s order by id desc limit 1",
        f"{product}|%",
    )[0][0]
    assert zero["ВНаличииBalance"] == 0
    assert zero["КОтгрузкеBalance"] == 0


def test_a_catalog_change_lands_one_version(onec: OneC) -> None:
    base = onec.base()
    extract_catalogs(base, onec.dsn, "r1", AS_OF)
    ref = onec.world_sql("select ref_key from products where base_id = 'ut_main' order by ref_key limit 1")[
        0
    ][0]
    onec.world_sql("update products set name = 'Новое имя', data_version = 'CHANGED=' where ref_key = ?", ref)
    result = extract_catalogs(base, onec.dsn, "r2", AS_OF)
    landed = {s["stream"]: s["new_versions"] for s in result["streams"]}
    assert landed["products"] == 1
    assert latest(onec, "onec_products", ref)["Description"] == "Новое имя"


def test_a_vanished_catalog_item_is_recorded_once_as_removed(onec: OneC) -> None:
    base = onec.base()
    extract_catalogs(base, onec.dsn, "r1", AS_OF, streams=(PRODUCTS,))
    ref = onec.world_sql("select ref_key from products where base_id = 'ut_main' order by ref_key limit 1")[
        0
    ][0]
    onec.world_sql("delete from products where ref_key = ?", ref)
    result = extract_catalogs(base, onec.dsn, "r2", AS_OF, streams=(PRODUCTS,))
    assert result["streams"][0]["details"]["removed"] == 1
    removed = onec.raw(
        "select payload, context->>'base' from raw.onec_removals where natural_key = %s", f"products:{ref}"
    )
    assert [(r[0]["removed"], r[0]["key"], r[1]) for r in removed] == [(True, ref, "ut_main")]
    again = extract_catalogs(base, onec.dsn, "r3", AS_OF, streams=(PRODUCTS,))
    assert again["streams"][0]["details"]["removed"] == 0
    assert onec.raw("select count(*) from raw.onec_removals") == [(1,)], "recorded once"


def test_a_register_row_that_comes_back_unchanged_is_recorded_as_back(onec: OneC) -> None:
    """Barcode X moves to Y and back: X's row is identical, so only raw.onec_removals can say it is back."""
    base = onec.base()
    barcodes = (next(s for s in CATALOG_STREAMS if s.entity == "barcodes"),)
    ref, old = onec.world_sql(
        "select ref_key, barcode from products where base_id = 'ut_main' order by ref_key limit 1"
    )[0]
    new = "2999999999999"
    for run, barcode in (("r1", old), ("r2", new), ("r3", old), ("r4", old)):
        onec.world_sql("update products set barcode = ? where ref_key = ?", barcode, ref)
        extract_catalogs(base, onec.dsn, run, AS_OF, streams=barcodes)
    history = onec.raw(
        "select natural_key, (payload->>'removed')::boolean, run_id from raw.onec_removals order by id"
    )
    assert sorted(history, key=lambda h: (h[2], h[0])) == sorted(
        [(f"barcodes:{old}", True, "r2"), (f"barcodes:{old}", False, "r3"), (f"barcodes:{new}", True, "r3")],
        key=lambda h: (h[2], h[0]),
    )
    assert onec.raw("select count(*) from raw.onec_barcodes where natural_key = %s", old) == [(1,)]


def test_the_streams_keep_no_state_table_of_their_own(onec: OneC) -> None:
    extract_all(onec)
    assert onec.raw("select to_regclass('ops.onec_object_state')") == [(None,)]


# -- one framework: the marketplaces' Stream and runner ---------------------------------------------


def test_every_stream_runs_as_a_stream_with_one_result_and_its_state_in_sync_state(onec: OneC) -> None:
    summaries = extract_all(onec)
    streams = (*CATALOG_STREAMS, STOCK, *DOCUMENT_STREAMS)
    assert all(isinstance(s, Stream) for s in streams)
    fields = {f.name for f in dataclasses.fields(StreamResult)}
    for base_id, results in summaries.items():
        ran = [r["stream"] for summary in results for r in summary["streams"]]
        assert sorted(ran) == sorted(s.name for s in streams), base_id
        assert all(set(r) == fields and r["status"] == "done" for s in results for r in s["streams"])
        state = dict(onec.raw("select stream, cursor from ops.sync_state where account_id = %s", base_id))
        assert set(state) == {s.name for s in streams}, "one state per stream, under its name"
        assert all(cursor["last_run_at"] == "2026-09-18T12:00:00Z" for cursor in state.values())
        newest = onec.raw(
            "select max(payload->>'Date') from raw.onec_customer_orders where account_id = %s", base_id
        )[0][0]
        assert state["customer_orders"]["watermark"].startswith(newest), "the watermark is the latest Date"


def test_document_state_of_the_earlier_layout_carries_over_without_a_full_sweep(onec: OneC) -> None:
    extract_all(onec)
    documents = tuple(s.name for s in DOCUMENT_STREAMS)
    with psycopg.connect(onec.dsn) as conn:  # the rows as the earlier version kept them
        conn.execute(
            "update ops.sync_state set stream = 'documents:' || stream, cursor = cursor - 'watermark' - 'last_run_at'"
            " where source = 'onec' and stream = any(%s)",
            (list(documents),),
        )
        conn.execute(MIGRATION.read_text())
    summary = extract_documents(onec.base(), onec.dsn, "run2", AS_OF)
    windows = {s["stream"]: s["details"]["window_start"] for s in summary["streams"]}
    assert windows["customer_orders"] is not None, "incremental, not a full sweep"
    assert windows["shipments"] is not None, "incremental, not a full sweep"
    assert onec.raw("select count(*) from ops.sync_state where stream like 'documents:%%'") == [(0,)]


# -- errors and faults -----------------------------------------------------------------------------


def test_a_1c_error_body_becomes_a_readable_error(onec: OneC) -> None:
    onec.state.faults.configure("onec", [parse_rule({"kind": "server_error", "status": 500, "count": 1})])
    with pytest.raises(
        OneCBusinessError,
        match=r"1C base ut_main: GET Document_ЗаказКлиента answered HTTP 500, 1C error code -1",
    ):
        extract_documents(onec.base(), onec.dsn, "run1", AS_OF)


def test_faults_are_survived_and_the_load_is_still_complete(onec: OneC) -> None:
    onec.state.faults.configure(
        "onec",
        [
            parse_rule({"kind": "server_error", "status": 503, "rate": 0.15}),
            parse_rule({"kind": "duplicate_page", "rate": 0.15}),
            parse_rule({"kind": "shifted_page", "rate": 0.15, "shift": 2}),
            parse_rule({"kind": "slow", "rate": 0.05, "delay_s": 0.05}),
        ],
    )
    extract_all(onec, page_size=40, document_page_size=15, max_attempts=8)
    served = sum(rule["faults_served"] for rule in onec.state.faults.snapshot()["onec"])
    onec.state.faults.clear()
    assert served >= 10
    for base_id in onec.bases():
        products = {r[0] for r in onec.world_sql("select ref_key from products where base_id = ?", base_id)}
        landed = {
            r[0] for r in onec.raw("select natural_key from raw.onec_products where account_id = %s", base_id)
        }
        assert landed == products
        orders = {r[0] for r in onec.world_sql(
            "select ref_key from onec_documents where base_id = ? and doc_type = 'ЗаказКлиента'", base_id
        )}  # fmt: skip
        got = {
            r[0]
            for r in onec.raw(
                "select natural_key from raw.onec_customer_orders where account_id = %s", base_id
            )
        }
        assert got == orders
