"""The dbt view marts.pick_demand on a real extracted world, and the builder on top of it.

The world is a copy of the reverse-ETL tests' small world (tests/built_world.py, ``build_world``: a scenario,
every source extracted from the emulators, the new-order lists polled, the cabinets' settings stored); then
``dbt run --select +pick_demand``. Slow (a few minutes): one module fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb
from tests.reverse_etl.conftest import World, copy_world

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.picking.builder import build_pick_lists


@pytest.fixture(scope="module")
def demand_dsn(
    built_world: World, world_copy_name: str, prime_dbt, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with copy_world(built_world, tmp_path_factory.mktemp("world"), world_copy_name) as world:
        dbt_dir = prime_dbt(tmp_path_factory.mktemp("dbt"), world.dsn)
        built = run_dbt(world.dsn, dbt_dir, "run", "--select", "+pick_demand", "pick_assembled_orders")
        assert built.returncode == 0, built.stdout[-5000:]
        tested = run_dbt(world.dsn, dbt_dir, "test", "--select", "pick_demand", "pick_assembled_orders")
        assert tested.returncode == 0, tested.stdout[-5000:]
        yield world.dsn


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def test_pick_demand_keeps_each_marketplace_unit(demand_dsn: str) -> None:
    per_marketplace = dict(
        _rows(demand_dsn, "select marketplace, count(*) from marts.pick_demand group by 1")
    )
    assert set(per_marketplace) == {"ozon", "wildberries", "yandex_market", "megamarket"}, per_marketplace
    # WB: one unit per assembly task, grouped by orderUid
    wb = _rows(
        demand_dsn,
        "select quantity, order_group, unit_ref, posting_number from marts.pick_demand where marketplace = 'wildberries'",
    )
    assert {q for q, *_ in wb} == {1}
    assert all(group and unit_ref == posting for _, group, unit_ref, posting in wb)
    # MM: one line per lot, with itemIndex
    mm = _rows(
        demand_dsn, "select quantity, unit_ref from marts.pick_demand where marketplace = 'megamarket'"
    )
    assert {q for q, _ in mm} == {1}
    assert all(unit_ref for _, unit_ref in mm)
    # items mapped to 1C come with barcodes, and placed items with a cell of the mapped 1C warehouse
    mapped = _rows(
        demand_dsn,
        "select count(*), count(*) filter (where cardinality(barcodes) > 0), count(*) filter (where cell is not null)"
        " from marts.pick_demand where product_ref is not null",
    )[0]
    assert mapped[0] > 0
    assert mapped[1] == mapped[0]
    assert mapped[2] > 0


def test_builder_on_the_view(demand_dsn: str) -> None:
    result = build_pick_lists(demand_dsn)
    assert result.lists_created
    assert (
        result.postings_added
        == _rows(
            demand_dsn,
            "select count(distinct (marketplace, account_id, posting_number)) from marts.pick_demand"
            " where awaiting_assembly",
        )[0][0]
    )
    assert build_pick_lists(demand_dsn).postings_added == 0
    # a WB orderUid never spans two lists
    split = _rows(
        demand_dsn,
        "select order_group from ops.pick_list_orders where marketplace = 'wildberries'"
        " group by order_group having count(distinct pick_list_id) > 1",
    )
    assert split == []


def test_only_orders_still_to_assemble_are_awaiting_assembly(demand_dsn: str) -> None:
    """The new-order lists also hold orders already packed (Ozon awaiting_deliver, YM READY_TO_SHIP): the vendor's
    status, not the list, decides what is picked."""
    rows = _rows(
        demand_dsn,
        "select marketplace, vendor_status, bool_and(awaiting_assembly), bool_or(is_cancelled)"
        " from marts.pick_demand group by 1, 2 order by 1, 2",
    )
    by_status = {(m, s): (awaiting, cancelled) for m, s, awaiting, cancelled in rows}
    assert by_status[("ozon", "awaiting_packaging")] == (True, False)
    assert by_status[("wildberries", "new")] == (True, False)
    assert by_status[("yandex_market", "PROCESSING/STARTED")] == (True, False)
    packed = {k for k in by_status if k[1] in ("awaiting_deliver", "PROCESSING/READY_TO_SHIP", "PACKED")}
    assert packed, f"the world's lists hold no packed order: {sorted(by_status)}"
    assert all(by_status[k] == (False, False) for k in packed)
    assert all(not awaiting for (m, s), (awaiting, cancelled) in by_status.items() if cancelled)


def test_an_order_that_left_the_list_is_struck_from_its_open_list(demand_dsn: str) -> None:
    """Packed in the cabinet after it was put on a list: no cancellation, but Ozon's status stream says
    awaiting_deliver; the next build strikes it and tells the device."""
    build_pick_lists(demand_dsn)
    (account, posting, list_id) = _rows(
        demand_dsn,
        "select o.account_id, o.posting_number, o.pick_list_id from ops.pick_list_orders o"
        " join ops.pick_lists l on l.id = o.pick_list_id"
        " where o.marketplace = 'ozon' and o.struck_at is null and l.status in ('open', 'claimed')"
        " order by o.id limit 1",
    )[0]
    with psycopg.connect(demand_dsn, autocommit=True) as conn:
        conn.execute(
            "insert into raw.ozon_posting_statuses (account_id, natural_key, payload, payload_hash, run_id)"
            " values (%s, %s, %s, 'test-left', 'test-left')",
            (
                account,
                posting,
                Jsonb({"posting_number": posting, "status": "awaiting_deliver"}),
            ),
        )
    try:
        assert _rows(
            demand_dsn,
            "select distinct vendor_status, awaiting_assembly, is_cancelled from marts.pick_demand"
            f" where account_id = '{account}' and posting_number = '{posting}'",
        ) == [("awaiting_deliver", False, False)]
        result = build_pick_lists(demand_dsn)
        assert result.postings_struck == 1
        assert _rows(
            demand_dsn,
            f"select struck_at is not null from ops.pick_list_orders where posting_number = '{posting}'",
        ) == [(True,)]
        (message, reason) = _rows(
            demand_dsn,
            "select message, payload ->> 'reason' from ops.pick_list_events"
            f" where pick_list_id = {list_id} and kind = 'order_struck'",
        )[0]
        assert reason == "not_awaiting_assembly"
        assert posting in message
        assert "awaiting_deliver" in message
    finally:
        with psycopg.connect(demand_dsn, autocommit=True) as conn:
            conn.execute("delete from raw.ozon_posting_statuses where run_id = 'test-left'")
