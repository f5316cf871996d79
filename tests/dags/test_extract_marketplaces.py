"""extract_ozon, extract_wildberries, extract_yandex_market, extract_megamarket: structure in the DagBag, and a
real `airflow dags test` run of each against its vendor's emulator in which one broken account fails only its
own mapped task while the good accounts land (and, where the vendor says, their credentials' state lands in
ops)."""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag

from sellerflow.orchestration.accounts import MARKETPLACES
from sellerflow_emulators.megamarket import create_app as megamarket_app
from sellerflow_emulators.ozon import create_app as ozon_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import assert_equals_world, connections, generate_world, ozon_world
from sellerflow_emulators.testing.megamarket import make_world
from sellerflow_emulators.testing.megamarket import world as megamarket_world
from sellerflow_emulators.testing.wildberries import SPEED, scaled_limits, serve_copy
from sellerflow_emulators.testing.wildberries import world as wildberries_world
from sellerflow_emulators.testing.yandex_market import (
    SECOND,
    SECOND_TOKEN,
    TEST_EXTRA,
    add_second_cabinet,
    relax_report_quota,
)
from sellerflow_emulators.testing.yandex_market import world as yandex_market_world
from sellerflow_emulators.yandex_market import create_app as yandex_market_app

ROOT = Path(__file__).resolve().parents[2]
TASK_IDS = {
    "list_accounts",
    "extract_account",
    "publish_assets",
    "all_accounts_extracted",
}
# Some of the raw tables each DAG must emit as Assets, and some of those transform_dbt is scheduled on.
RAW_OUTLETS = {
    "ozon": {"postings_fbs", "realization_rows"},
    "wildberries": {"orders_fbs", "orders", "sales", "realization_rows"},
    "yandex_market": {"orders", "order_statuses", "stocks", "realization_rows"},
    "megamarket": {"shipments", "shipment_statuses", "report_rows"},
}
DBT_INLETS = {
    "ozon": {"warehouse.raw.onec_products", "warehouse.raw.ozon_postings_fbs"},
    "wildberries": {"warehouse.raw.wildberries_orders", "warehouse.raw.wildberries_realization_rows"},
    "yandex_market": {"warehouse.raw.yandex_market_orders", "warehouse.raw.yandex_market_realization_rows"},
    "megamarket": {"warehouse.raw.megamarket_shipments", "warehouse.raw.megamarket_report_rows"},
}


def dag_file(marketplace: str) -> Path:
    return ROOT / "dags" / f"extract_{marketplace}.py"


@pytest.fixture(scope="module")
def extract_dags() -> dict[str, Any]:
    """Each marketplace's DAG, parsed from its own file alone."""
    dags = {}
    for marketplace in MARKETPLACES:
        bag = DagBag(dag_folder=str(dag_file(marketplace)))
        assert bag.import_errors == {}
        dags[marketplace] = bag.dags[f"extract_{marketplace}"]
    return dags


@pytest.fixture(scope="module")
def dbt_asset_names() -> set[str]:
    bag = DagBag(dag_folder=str(ROOT / "dags" / "transform_dbt.py"))
    return {asset.name for asset in bag.dags["transform_dbt"].timetable.asset_condition.objects}


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_maps_one_task_per_account_in_the_marketplace_pool(extract_dags, marketplace: str) -> None:
    dag = extract_dags[marketplace]
    assert {t.task_id for t in dag.tasks} == TASK_IDS
    extract = dag.get_task("extract_account")
    assert extract.pool == marketplace
    assert extract.map_index_template == "{{ conn_id }}"
    assert extract.retries >= 1
    assert extract.upstream_task_ids == {"list_accounts"}, "which migrates the warehouse first"
    assert "warehouse.ops.schema_migrations" in {a.name for a in dag.get_task("list_accounts").outlets}
    assert dag.get_task("publish_assets").trigger_rule == "all_done"
    done = dag.get_task("all_accounts_extracted")
    assert done.trigger_rule == "all_success"
    assert type(done).__name__ == "EmptyOperator", "the scheduler marks it itself: no worker slot in a round"


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_runs_every_ten_minutes_and_emits_the_raw_assets(extract_dags, marketplace: str) -> None:
    dag = extract_dags[marketplace]
    assert dag.timetable.expression == "*/10 * * * *"
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert {f"warehouse.raw.{marketplace}_{entity}" for entity in RAW_OUTLETS[marketplace]} <= outlets
    assert set(dag.tags) == {"sellerflow", "extract", marketplace}
    assert len(dag.doc_md) > 200


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_dag_is_recorded_in_its_own_file_with_its_docstring(extract_dags, marketplace: str) -> None:
    dag = extract_dags[marketplace]
    assert Path(dag.fileloc) == dag_file(marketplace)
    assert dag.doc_md == ast.get_docstring(ast.parse(dag_file(marketplace).read_text()), clean=False)


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_transform_dbt_is_scheduled_by_the_marketplace_assets(dbt_asset_names, marketplace: str) -> None:
    assert DBT_INLETS[marketplace] <= dbt_asset_names


# --- `airflow dags test` against the emulators --------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """The broken account added to the good ones: its id, and the invalid key that must never be logged."""

    account_id: str
    secret: str
    password: str = ""
    login: str | None = None

    def connection(self, url: str) -> dict:
        return http_connection(url, self.password or self.secret, {"account_id": self.account_id}, self.login)


BROKEN = {
    "ozon": Broken("ozon_broken", "not-a-valid-key-000", login="424242"),
    "wildberries": Broken("wildberries_broken", "not-a-valid-wb-token-000"),
    "yandex_market": Broken("ym_broken", "not-a-valid-key-000", password="ACMA:not-a-valid-key-000:00"),
    "megamarket": Broken("megamarket_broken", "NOT-A-VALID-MERCHANT-TOKEN"),
}


@dataclass(frozen=True)
class Stage:
    """An emulator serving a generated world: its URL, the good accounts' connections, and what must land."""

    url: str
    good: dict[str, dict]
    check: Callable[[str, str], None]  # (warehouse DSN, the run's output) → asserts


def http_connection(url: str, password: str, extra: dict, login: str | None = None) -> dict:
    body = {"conn_type": "http", "host": url, "password": password, "extra": extra}
    return body if login is None else {**body, "login": login}


def distinct_keys(dsn: str, table: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(
            conn.execute(f"select account_id, count(distinct natural_key) from {table} group by 1").fetchall()
        )


def served_world(
    tmp_path: Path,
    world: Path,
    create_app: Callable,
    prepare: Callable[[EmulatorState], None] = lambda state: None,
) -> AbstractContextManager[str]:
    """The emulator over a copy of ``world`` (so that expectations read the pristine one); its URL."""
    shutil.copy(world, tmp_path / "served.sqlite")
    state = EmulatorState(tmp_path / "served.sqlite")
    prepare(state)
    return serve_in_thread(create_app(state))


@contextmanager
def ozon_stage(tmp_path: Path) -> Iterator[Stage]:
    world = generate_world(tmp_path)
    with served_world(tmp_path, world, ozon_app) as url:
        good = {
            c["conn_id"]: http_connection(url, c["password"], {**c["extra"], "horizon_days": 120}, c["login"])
            for c in connections(tmp_path, "ozon")
        }

        def check(dsn: str, output: str) -> None:
            assert distinct_keys(dsn, "raw.ozon_postings_fbs"), output[-3000:]
            assert_equals_world(dsn, "ozon", ozon_world(world), entities=["postings_fbs"])

        yield Stage(url, good, check)


@contextmanager
def wildberries_stage(tmp_path: Path) -> Iterator[Stage]:
    # `airflow dags test` runs at the wall clock, so the world's clock is today's midnight.
    start = (datetime.now(UTC) - timedelta(days=20)).strftime("%Y-%m-%d")
    generate_world(
        tmp_path / "world", ("--seed", "7", "--days", "20", "--orders-per-day", "40", "--start", start)
    )
    with serve_copy(tmp_path / "world", tmp_path) as wb:
        extra = {"horizon_days": 40, "rate_limits": scaled_limits(SPEED)[1]}
        good = {
            c["conn_id"]: http_connection(wb.url, c["password"], {**c["extra"], **extra})
            for c in connections(tmp_path, "wildberries")
        }

        def check(dsn: str, output: str) -> None:
            assert len(good) == 2
            assert distinct_keys(dsn, "raw.wildberries_orders"), output[-3000:]
            assert_equals_world(dsn, "wildberries", wildberries_world(wb.world))
            with psycopg.connect(dsn) as conn:
                credentials = {
                    a: (status, source, scopes, expires)
                    for a, status, source, scopes, expires in conn.execute(
                        "select account_id, status, scopes_source, scopes, token_expires_at "
                        "from ops.account_credentials where source = 'wildberries'"
                    )
                }
            assert credentials["wildberries_broken"][:2] == ("failed", "connection"), (
                "not a JWT: nothing to read"
            )
            status, source, scopes, expires = credentials["wildberries_main"]
            assert (status, source) == ("ok", "token")
            assert {"marketplace", "statistics", "content", "prices"} <= set(scopes)
            assert expires is not None
            assert expires > datetime.now(UTC), "the expiry comes from the token's exp claim"

        yield Stage(wb.url, good, check)


@contextmanager
def yandex_market_stage(tmp_path: Path) -> Iterator[Stage]:
    world = generate_world(tmp_path)
    add_second_cabinet(world)
    extra = {**TEST_EXTRA, "horizon_days": 120}  # the run's clock is today, the world's is in 2026-09
    with served_world(tmp_path, world, yandex_market_app, relax_report_quota) as url:
        good = {
            c["conn_id"]: http_connection(url, c["password"], {**c["extra"], **extra})
            for c in connections(tmp_path, "yandex_market")
        }
        good[f"mp_{SECOND}"] = http_connection(url, SECOND_TOKEN, {**extra, "account_id": SECOND})

        def check(dsn: str, output: str) -> None:
            assert SECOND_TOKEN.split(":")[1] not in output
            assert distinct_keys(dsn, "raw.yandex_market_orders"), output[-3000:]
            want = yandex_market_world(world, horizon_days=120)
            assert_equals_world(dsn, "yandex_market", want, entities=["orders", "stocks", "realization_rows"])

        yield Stage(url, good, check)


@contextmanager
def megamarket_stage(tmp_path: Path) -> Iterator[Stage]:
    make_world(tmp_path)
    with served_world(tmp_path, tmp_path / "world.sqlite", megamarket_app) as url:
        good = {
            c["conn_id"]: http_connection(url, c["password"], {**c["extra"], "horizon_days": 120})
            for c in connections(tmp_path, "megamarket")
        }

        def check(dsn: str, output: str) -> None:
            landed = distinct_keys(dsn, "raw.megamarket_shipments")
            with psycopg.connect(dsn) as conn:
                credentials = dict(
                    conn.execute(
                        "select account_id, status from ops.account_credentials where source = 'megamarket'"
                    )
                )
            assert len(good) == 2
            assert landed, output[-3000:]
            assert_equals_world(
                dsn, "megamarket", megamarket_world(tmp_path / "world.sqlite"), entities=["shipments"]
            )
            assert credentials["megamarket_broken"] == "failed"
            assert credentials["megamarket_main"] == "ok"

        yield Stage(url, good, check)


STAGES: dict[str, Callable[[Path], AbstractContextManager[Stage]]] = {
    "ozon": ozon_stage,
    "wildberries": wildberries_stage,
    "yandex_market": yandex_market_stage,
    "megamarket": megamarket_stage,
}


@pytest.mark.e2e
@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_dag_run_lands_good_accounts_and_fails_only_the_broken_one(
    marketplace: str, tmp_path: Path, fresh_dsn: str, run_dag
) -> None:
    broken = BROKEN[marketplace]
    env = {"SELLERFLOW_WAREHOUSE_DSN": fresh_dsn, "AIRFLOW_CONN_SELLERFLOW_WAREHOUSE": fresh_dsn}
    with STAGES[marketplace](tmp_path) as stage:
        accounts = {**stage.good, f"mp_{marketplace}_broken": broken.connection(stage.url)}
        env.update({f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(c) for conn_id, c in accounts.items()})
        env["AIRFLOW_VAR_SELLERFLOW_ACCOUNTS"] = json.dumps({marketplace: list(accounts)})
        result = run_dag(f"extract_{marketplace}", env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run fails because one account failed"
    assert f"{broken.account_id} (connection mp_{marketplace}_broken)" in output
    assert "Fix:" in output
    assert broken.secret not in output
    stage.check(fresh_dsn, output)
