"""Stock to all four marketplaces against their emulators and a real warehouse.

The module world (tests/reverse_etl/conftest.py) is extracted once; each test gets a fresh copy of the emulator
world served by the four marketplace emulators and an empty outbox. Expected stock is computed here from the
emulator's own tables (1C balances, products by Артикул, the cabinets' warehouse mapping), never from the SQL
or the code under test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from tests.reverse_etl.conftest import MARKETPLACES, Vendors, serve_vendors

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.targets import STOCK_TARGETS
from sellerflow_emulators.limits import LimitConfig

BUFFER_ACCOUNT, BUFFER_DEFAULT, BUFFER_OFFER_UNITS = "ozon_main", 2, 7


@pytest.fixture(scope="module")
def stock_world(world, tmp_path_factory, prime_dbt):
    """The module world with the stock models built and a safety buffer on one cabinet."""
    built = run_dbt(
        world.dsn,
        prime_dbt(tmp_path_factory.mktemp("dbt_stock"), world.dsn),
        "run",
        "--select",
        "+int_reverse_etl__free_stock+",
    )
    assert built.returncode == 0, built.stdout[-5000:]
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        offer = conn.execute(
            "select offer_id from marts.int_reverse_etl__free_stock where account_id = %s and problem is null "
            "and stock > 20 order by offer_id limit 1",
            (BUFFER_ACCOUNT,),
        ).fetchone()[0]
        conn.execute(
            "update ops.reverse_etl_accounts set settings = settings || %s::jsonb where account_id = %s",
            (
                json.dumps(
                    {
                        "stock_safety_buffer": BUFFER_DEFAULT,
                        "stock_safety_buffer_by_offer": {offer: BUFFER_OFFER_UNITS},
                    }
                ),
                BUFFER_ACCOUNT,
            ),
        )
    world.buffer_offer = offer
    return world


@pytest.fixture
def vendors(stock_world, tmp_path) -> Iterator[Vendors]:
    with serve_vendors(stock_world, tmp_path) as served:
        yield served


def expected_stock(vendors: Vendors, world) -> dict[tuple[str, str], int]:
    """(emulator warehouse id, offer_id) → the free stock each marketplace must show, from the world's 1C."""
    free = {
        (wh, product): in_stock - reserved
        for wh, product, in_stock, reserved in vendors.sql(
            "select warehouse_id, product_ref, in_stock, reserved from onec_stock"
        )
    }
    base_of = dict(
        vendors.sql(
            "select a.id, org.base_id from accounts a join onec_organizations org on org.legal_entity_id = a.legal_entity_id"
        )
    )
    out: dict[tuple[str, str], int] = {}
    for account_id, marketplace, vendor in vendors.sql("select id, marketplace, vendor from accounts"):
        mapping = json.loads(vendor).get("warehouse_mapping", {})
        # the warehouse a cabinet-wide stock call lands in: the FBS one (YM: the configured FBS campaign's own)
        order = "case kind when 'fbs' then 0 else 1 end, id"
        houses = vendors.sql(
            f"select id, external_id from warehouses where owner = ? and kind in ('fbs', 'dbs') order by {order}",
            account_id,
        )
        if marketplace in ("yandex_market", "megamarket"):  # one stock per cabinet
            units = [(houses[0][0], sorted({mapping[ext] for _, ext in houses if ext in mapping}))]
        else:
            units = [(wid, [mapping[ext]]) for wid, ext in houses if ext in mapping]
        offers = vendors.sql(
            "select f.offer_id, p.ref_key from offers f left join products p on p.base_id = ? "
            "and p.article = f.offer_id and p.deletion_mark = 0 where f.account_id = ?",
            base_of[account_id],
            account_id,
        )
        for wid, sources in units:
            for offer_id, product in offers:
                if product is None:
                    continue  # unmapped: parked, nothing published
                buffer = 0
                if account_id == BUFFER_ACCOUNT:
                    buffer = BUFFER_OFFER_UNITS if offer_id == world.buffer_offer else BUFFER_DEFAULT
                out[(wid, offer_id)] = max(0, sum(free.get((s, product), 0) for s in sources) - buffer)
    return out


def held_stock(vendors: Vendors) -> dict[tuple[str, str], int]:
    return {(w, o): p for w, o, p in vendors.sql("select warehouse_id, offer_id, present from stocks")}


def push_all(world, vendors: Vendors, **kw) -> dict[str, dict]:
    return vendors.push_each(world.dsn, STOCK_TARGETS, **kw)


def known_megamarket_offers(world) -> set[str]:
    with psycopg.connect(world.dsn) as conn:
        return {r[0] for r in conn.execute("select offer_id from staging.stg_megamarket__offers")}


def test_one_cycle_publishes_exactly_the_free_stock_and_a_rerun_sends_nothing(stock_world, vendors) -> None:
    expected = expected_stock(vendors, stock_world)
    mm_known = known_megamarket_offers(stock_world)
    mm_houses = {w for (w,) in vendors.sql("select id from warehouses where owner like 'megamarket%'")}
    result = push_all(stock_world, vendors)
    held = held_stock(vendors)
    checked = 0
    for (wid, offer_id), stock in expected.items():
        if wid in mm_houses and offer_id not in mm_known:
            continue  # Megamarket has no offer listing: only offers seen in its shipments are known
        assert held.get((wid, offer_id)) == stock, (wid, offer_id)
        checked += 1
    assert checked > 500
    buffered = [k for k in expected if k[1] == stock_world.buffer_offer and k[0].startswith(BUFFER_ACCOUNT)]
    assert buffered
    assert all(expected[k] == held[k] for k in buffered)
    for name, counts in result.items():
        assert counts["failed"] == 0, (name, counts["errors"])
        assert counts["acknowledged"] > 0, name
        assert all("not mapped to a 1C item" in e for e in counts["errors"]), counts["errors"]
    # within the batch maxima: Ozon 100 pairs per request, one warehouse per WB request, YM 2000 SKUs
    assert result["ozon_stocks"]["requests"] <= sum(
        -(-n // 100) for n in _per_unit(stock_world.dsn, "ozon_stocks").values()
    )
    assert result["wildberries_stocks"]["requests"] == len(_per_unit(stock_world.dsn, "wildberries_stocks"))
    assert result["yandex_market_stocks"]["requests"] == 1

    calls = {m: vendors.pushes(m) for m in MARKETPLACES}
    again = push_all(stock_world, vendors)
    for name, counts in again.items():
        assert counts["enqueued"]["new"] == 0, name
        assert counts["sent"] == 0, name
        assert counts["requests"] == 0, name
    assert {m: vendors.pushes(m) for m in MARKETPLACES} == calls


def _per_unit(dsn: str, target: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select account_id || ':' || coalesce(payload->>'warehouse_id', ''), count(*) from ops.outbox "
            "where target = %s and state = 'acknowledged' group by 1",
            (target,),
        ).fetchall()
    return dict(rows)


def _hide_offer(dsn: str, account_id: str, offer_id: str, hidden: bool) -> None:
    """Take an offer out of (or back into) the landed catalogue of the module world."""
    old, new = (account_id, f"x-{account_id}") if hidden else (f"x-{account_id}", account_id)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "update intermediate.int_marketplace__offers set account_id = %s where account_id = %s and offer_id = %s",
            (new, old, offer_id),
        )


def test_a_vanished_sku_is_published_as_zero_and_only_it_is_sent(stock_world, vendors) -> None:
    push_all(stock_world, vendors)
    with psycopg.connect(stock_world.dsn) as conn:
        item_key, payload = conn.execute(
            "select item_key, payload from ops.outbox_acknowledged where target = 'wildberries_stocks' "
            "and (payload->>'stock')::int > 0 order by item_key limit 1"
        ).fetchone()
    _hide_offer(stock_world.dsn, "wildberries_main", payload["offer_id"], True)
    try:
        target = vendors.target("wildberries_stocks")
        result = push(stock_world.dsn, target)
    finally:
        _hide_offer(stock_world.dsn, "wildberries_main", payload["offer_id"], False)
    assert result["enqueued"]["new"] == 1, "only the vanished SKU changed"
    assert target.requests_made == 1
    wid = vendors.sql(
        "select id from warehouses where owner = 'wildberries_main' and external_id = ?",
        str(payload["warehouse_id"]),
    )[0][0]
    assert held_stock(vendors)[(wid, payload["offer_id"])] == 0
    with psycopg.connect(stock_world.dsn) as conn:
        (stock,) = conn.execute(
            "select payload->>'stock' from ops.outbox_acknowledged where item_key = %s", (item_key,)
        ).fetchone()
    assert stock == "0"


def test_orders_after_the_snapshot_are_subtracted(stock_world, vendors) -> None:
    with psycopg.connect(stock_world.dsn, autocommit=True) as conn:
        offer, warehouse, before = conn.execute(
            "select offer_id, mp_warehouse_id, stock from marts.int_reverse_etl__free_stock "
            "where account_id = 'ozon_second' and problem is null and stock > 5 order by offer_id limit 1"
        ).fetchone()
        posting = {
            "posting_number": "LATE-1-1",
            "order_number": "LATE-1",
            "in_process_at": "2099-01-01T00:00:00Z",
            "delivery_method": {"warehouse_id": int(warehouse)},
            "products": [{"offer_id": offer, "quantity": 3}],
        }
        conn.execute(
            "insert into raw.ozon_postings_fbs_unfulfilled (account_id, natural_key, payload, payload_hash, run_id) "
            "values ('ozon_second', 'LATE-1-1', %s, 'late', 'test-late')",
            (json.dumps(posting),),
        )
        try:
            after, late = conn.execute(
                "select stock, late_orders from marts.int_reverse_etl__free_stock "
                "where account_id = 'ozon_second' and offer_id = %s and mp_warehouse_id = %s",
                (offer, warehouse),
            ).fetchone()
        finally:
            conn.execute("delete from raw.ozon_postings_fbs_unfulfilled where run_id = 'test-late'")
    assert late == 3
    assert after == before - 3


def test_a_crash_between_send_and_acknowledgement_sends_no_second_write(
    stock_world, vendors, crash_after_first_ack
) -> None:
    with pytest.raises(SystemExit):
        push(stock_world.dsn, vendors.target("wildberries_stocks"))
    crashed = crash_after_first_ack
    writes = vendors.pushes("wildberries")
    target = vendors.target("wildberries_stocks")
    drain(stock_world.dsn, target, lease=timedelta(0))
    with psycopg.connect(stock_world.dsn) as conn:
        (state,) = conn.execute("select state from ops.outbox where id = %s", crashed).fetchone()
        attempts = conn.execute(
            "select message from ops.outbox_attempts where outbox_id = %s order by attempt", crashed
        ).fetchall()
    assert state == "acknowledged"
    assert "already holds" in attempts[-1][0], "read back, not written again"
    assert vendors.pushes("wildberries") == writes + 1, "only the warehouse batch that never ran is PUT"


def _set_settings(dsn: str, account_id: str, patch: dict) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        (before,) = conn.execute(
            "select settings from ops.reverse_etl_accounts where account_id = %s", (account_id,)
        ).fetchone()
        conn.execute(
            "update ops.reverse_etl_accounts set settings = %s::jsonb where account_id = %s",
            (json.dumps({**before, **patch}), account_id),
        )
    return before


def test_429_is_honoured_and_only_failed_items_are_retried(stock_world, vendors) -> None:
    # WB allows one stock request per 3 s per cabinet: the second cycle's PUT meets 429 + X-Ratelimit-Retry (a
    # wait of up to 3 s, well above the 0.5 s asserted below; 10 s made the drain loop below last a minute)
    vendors.state.limits.override("wildberries", "stocks", LimitConfig(limit=1, window_s=3.0, burst=1))
    target = vendors.target("wildberries_stocks")
    push(stock_world.dsn, target)
    before = _set_settings(stock_world.dsn, "wildberries_main", {"stock_safety_buffer": 1})
    try:
        second = push(stock_world.dsn, target)
        assert second["failed"] > 0, "the PUT must meet 429"
        with psycopg.connect(stock_world.dsn) as conn:
            retry_at, updated = conn.execute(
                "select min(retry_at), max(updated_at) from ops.outbox where state = 'failed'"
            ).fetchone()
        assert (retry_at - updated).total_seconds() >= 0.5, "the vendor's wait is the earliest retry"
        deadline = time.monotonic() + 120  # a give-up bound on a loaded machine, not a timing assertion
        while _states(stock_world.dsn).get("failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            drain(stock_world.dsn, target)
        assert not _states(stock_world.dsn).get("failed")
    finally:
        _set_settings(stock_world.dsn, "wildberries_main", before)
    _assert_acknowledged_once(stock_world.dsn)


def _assert_acknowledged_once(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        history = conn.execute(
            "select array_agg(outcome order by attempt) from ops.outbox_attempts group by outbox_id"
        ).fetchall()
    for (outcomes,) in history:
        assert outcomes.count("acknowledged") <= 1
        if outcomes[0] in ("acknowledged", "permanent"):
            assert len(outcomes) == 1, "an acknowledged or parked item is never sent again"


def test_a_partial_refusal_parks_the_refused_item_and_resends_only_the_others(stock_world, vendors) -> None:
    with psycopg.connect(stock_world.dsn, autocommit=True) as conn:
        offer, chrt = conn.execute(
            "select offer_id, mp_product_id from intermediate.int_marketplace__offers "
            "where account_id = 'wildberries_second' order by offer_id limit 1"
        ).fetchone()
        conn.execute(
            "update intermediate.int_marketplace__offers set mp_product_id = 999999999999 "
            "where account_id = 'wildberries_second' and offer_id = %s",
            (offer,),
        )
    try:
        target = vendors.target("wildberries_stocks")
        first = push(stock_world.dsn, target, backoff_initial_s=0.01)
        assert first["failed"] > 0
        deadline = time.monotonic() + 30
        while _states(stock_world.dsn).get("failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            drain(stock_world.dsn, target, backoff_initial_s=0.01)
    finally:
        with psycopg.connect(stock_world.dsn, autocommit=True) as conn:
            conn.execute(
                "update intermediate.int_marketplace__offers set mp_product_id = %s "
                "where account_id = 'wildberries_second' and offer_id = %s",
                (chrt, offer),
            )
    with psycopg.connect(stock_world.dsn) as conn:
        parked = conn.execute(
            "select item_key, reason from ops.outbox where state = 'parked' and reason like 'NotFound%'"
        ).fetchall()
    assert [k for k, _ in parked] == [f"wildberries_second:{_wb_house(vendors)}:{offer}"]
    assert not _states(stock_world.dsn).get("failed")
    _assert_acknowledged_once(stock_world.dsn)


def _wb_house(vendors: Vendors) -> str:
    return vendors.sql(
        "select external_id from warehouses where owner = 'wildberries_second' and kind = 'fbs'"
    )[0][0]


def _states(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("select state, count(*) from ops.outbox group by 1").fetchall())


def test_a_dry_run_changes_nothing_at_any_vendor(stock_world, vendors) -> None:
    calls = {m: vendors.pushes(m) for m in MARKETPLACES}
    before = held_stock(vendors)
    result = push_all(stock_world, vendors, dry_run=True)
    assert all(r["requests"] == 0 and r["dry_runs"] > 0 for r in result.values())
    assert {m: vendors.pushes(m) for m in MARKETPLACES} == calls
    assert held_stock(vendors) == before
    live = push_all(stock_world, vendors)
    assert all(r["enqueued"]["released"] > 0 for r in live.values())
