"""Prices to all four marketplaces against their emulators and a real warehouse.

The module world (tests/reverse_etl/conftest.py) gets new 1C prices before the price models are built: some
marketplace price types rise by 7 %, one item per marketplace price type drops by half (beyond the default 20 %
threshold: held for approval). Expected prices are computed here from the emulator's own tables (1C prices by
price type, products by Артикул), never from the SQL or the code under test.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.reverse_etl.conftest import MARKETPLACES, Vendors, outbox_rows, serve_vendors

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.reverse_etl.__main__ import main as cli
from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.targets import PRICE_TARGETS
from sellerflow.sources.onec.extract import extract_catalogs
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.scenario.catalog import PRICE_TYPES
from sellerflow_emulators.testing import serve_in_thread


@pytest.fixture(scope="module")
def price_world(world, tmp_path_factory, prime_dbt):
    """The module world with changed 1C prices (re-extracted) and the price models built."""
    path = world.dir / "world.sqlite"
    conn = sqlite3.connect(path)
    try:
        with conn:
            for price_type in PRICE_TYPES.values():
                conn.execute(
                    "update onec_prices set price_kop = price_kop + round(price_kop * 0.07 / 100) * 100 "
                    "where price_type = ? and rowid % 3 = 0",
                    (price_type,),
                )
                conn.execute(
                    "update onec_prices set price_kop = round(price_kop / 200) * 100 where rowid = ("
                    " select pr.rowid from onec_prices pr join offers f on f.product_ref = pr.product_ref"
                    " join products p on p.ref_key = pr.product_ref and p.article = f.offer_id"
                    " join accounts a on a.id = f.account_id"
                    " where pr.price_type = ? and a.marketplace = ? and pr.rowid % 3 <> 0"
                    " order by pr.rowid limit 1)",
                    (price_type, next(m for m, t in PRICE_TYPES.items() if t == price_type)),
                )
        conn.execute("pragma wal_checkpoint(truncate)")  # the tests copy the file: no change left in the WAL
    finally:
        conn.close()
    state = EmulatorState(path)
    with serve_in_thread(importlib.import_module("sellerflow_emulators.onec").create_app(state)) as url:
        for base in world.onec_bases(url).values():
            extract_catalogs(base, world.dsn, "test-prices", world.now)
    built = run_dbt(
        world.dsn,
        prime_dbt(tmp_path_factory.mktemp("dbt_prices"), world.dsn),
        "run",
        "--select",
        "+int_reverse_etl__prices+",
    )
    assert built.returncode == 0, built.stdout[-5000:]
    return world


@pytest.fixture
def vendors(price_world, tmp_path) -> Iterator[Vendors]:
    with serve_vendors(price_world, tmp_path) as served:
        yield served


def expected_prices(vendors: Vendors) -> dict[tuple[str, str], int]:
    """(account, offer_id) → the price in kopecks each marketplace must show, from the world's 1C."""
    base_of = dict(
        vendors.sql(
            "select a.id, org.base_id from accounts a join onec_organizations org on org.legal_entity_id = a.legal_entity_id"
        )
    )
    out: dict[tuple[str, str], int] = {}
    for account_id, marketplace in vendors.sql("select id, marketplace from accounts"):
        rows = vendors.sql(
            "select f.offer_id, (select pr.price_kop from onec_prices pr where pr.product_ref = p.ref_key"
            " and pr.price_type = ? order by pr.period desc limit 1)"
            " from offers f join products p on p.base_id = ? and p.article = f.offer_id and p.deletion_mark = 0"
            " where f.account_id = ?",
            PRICE_TYPES[marketplace],
            base_of[account_id],
            account_id,
        )
        for offer_id, kop in rows:
            if kop:
                out[(account_id, offer_id)] = (
                    round(kop / 100) * 100 if marketplace in ("wildberries", "megamarket") else kop
                )
    return out


def held_prices(vendors: Vendors) -> dict[tuple[str, str], int]:
    """(account, offer_id) → the price the buyer sees at the emulator, in kopecks."""
    return {(a, o): int(p) for a, o, p in vendors.sql("select account_id, offer_id, price_kop from offers")}


def push_all(world, vendors: Vendors, **kw) -> dict[str, dict]:
    return vendors.push_each(world.dsn, PRICE_TARGETS, **kw)


def _known(world) -> set[tuple[str, str]]:
    """Offers sellerflow knows of (Megamarket lists only offers its shipments showed)."""
    return {
        (a, o)
        for a, o in outbox_rows(
            world.dsn, "select account_id, offer_id from intermediate.int_marketplace__offers"
        )
    }


def test_one_cycle_publishes_exactly_the_desired_prices_holds_big_drops_and_a_rerun_sends_nothing(
    price_world, vendors
) -> None:
    expected = expected_prices(vendors)
    before = held_prices(vendors)
    known = _known(price_world)
    result = push_all(price_world, vendors)
    held_items = outbox_rows(
        price_world.dsn, "select target, item_key, reason from ops.outbox where state = 'held'"
    )
    assert {t for t, _, _ in held_items} == set(PRICE_TARGETS), "each marketplace has one drop beyond 20 %"
    assert all("price drop" in r and "approve" in r for _, _, r in held_items)
    held_keys = {k for _, k, _ in held_items}
    after = held_prices(vendors)
    changed = checked = 0
    for (account, offer), kop in expected.items():
        if (account, offer) not in known:
            continue
        if f"{account}:{offer}" in held_keys or f"{account}:{_nm(vendors, account, offer)}" in held_keys:
            assert after[(account, offer)] == before[(account, offer)], "a held drop is not sent"
            continue
        assert after[(account, offer)] == kop, (account, offer)
        checked += 1
        changed += before[(account, offer)] != kop
    assert checked > 300
    assert changed > 50
    for name, counts in result.items():
        assert counts["failed"] == 0, (name, counts["errors"])
        assert counts["acknowledged"] > 0, name
    assert result["ozon_prices"]["requests"] <= 2 * 2  # ≤ 1000 per request: one per cabinet (2 cabinets)

    calls = {m: vendors.pushes(m) for m in MARKETPLACES}
    again = push_all(price_world, vendors)
    for name, counts in again.items():
        assert counts["enqueued"]["new"] == 0, name
        assert counts["requests"] == 0, name
    assert {m: vendors.pushes(m) for m in MARKETPLACES} == calls

    assert cli(["--dsn", price_world.dsn, "approve", "--target", "ozon_prices", "--all"]) == 0
    approved = push_all(price_world, vendors)
    assert approved["ozon_prices"]["acknowledged"] == 1
    ozon_key = next(k for t, k, _ in held_items if t == "ozon_prices")
    account, offer = ozon_key.split(":", 1)
    assert held_prices(vendors)[(account, offer)] == expected[(account, offer)]


def _nm(vendors: Vendors, account: str, offer: str) -> str:
    return str(
        vendors.sql("select mp_sku from offers where account_id = ? and offer_id = ?", account, offer)[0][0]
    )


def test_a_crash_between_send_and_acknowledgement_uploads_nothing_twice(
    price_world, vendors, crash_after_first_ack
) -> None:
    with pytest.raises(SystemExit):
        push(price_world.dsn, vendors.target("wildberries_prices"))
    crashed = crash_after_first_ack
    uploads = vendors.pushes("wildberries", "/api/v2/upload/task")
    drain(price_world.dsn, vendors.target("wildberries_prices"), lease=timedelta(0))
    state, attempts = outbox_rows(
        price_world.dsn,
        "select o.state, array_agg(a.message order by a.attempt) from ops.outbox o "
        "join ops.outbox_attempts a on a.outbox_id = o.id where o.id = %s group by o.state",
        crashed[0],
    )[0]
    assert state == "acknowledged"
    assert "already holds" in attempts[-1], "read back, not uploaded again"
    cabinets = len({a for (a,) in vendors.sql("select id from accounts where marketplace = 'wildberries'")})
    assert vendors.pushes("wildberries", "/api/v2/upload/task") == uploads + cabinets - 1, (
        "only the cabinets whose batch never ran upload"
    )
    assert not outbox_rows(price_world.dsn, "select 1 from ops.outbox where state in ('sending', 'failed')")


def test_a_partial_refusal_parks_only_the_refused_item_and_the_others_are_sent_once(
    price_world, vendors
) -> None:
    account, offer = vendors.sql(
        "select account_id, offer_id from offers where account_id = 'ozon_main' order by offer_id limit 1"
    )[0]
    with vendors.state.conn() as conn:  # Ozon no longer knows this offer: its item alone is refused
        conn.execute(
            "update offers set offer_id = 'gone-' || offer_id where account_id = ? and offer_id = ?",
            (account, offer),
        )
    target = vendors.target("ozon_prices")
    first = push(price_world.dsn, target)
    parked = outbox_rows(
        price_world.dsn,
        "select item_key, reason from ops.outbox where state = 'parked' and target = 'ozon_prices'"
        " and reason not like '%not mapped to a 1C item%'",
    )
    assert [k for k, _ in parked] == [f"{account}:{offer}"]
    assert "NOT_FOUND" in parked[0][1]
    assert first["acknowledged"] > 100
    second = push(price_world.dsn, vendors.target("ozon_prices"))
    assert second["sent"] == 0, "a parked item is not retried by itself; acknowledged ones are not sent again"
    history = outbox_rows(
        price_world.dsn, "select count(*) from ops.outbox_attempts group by outbox_id having count(*) > 1"
    )
    assert not history, "every item was tried exactly once"


def test_a_transient_failure_retries_only_the_failed_request_s_items(price_world, vendors) -> None:
    # Ozon's gateway fails the first price request (one cabinet's batch) with a 500; the other cabinet's succeeds
    rule = {"kind": "server_error", "status": 500, "count": 1, "paths": "/v1/product/import/prices"}
    vendors.state.faults.configure("ozon", [parse_rule(rule)])
    target = vendors.target("ozon_prices", max_retries=0)
    first = push(price_world.dsn, target, backoff_initial_s=0.01)
    assert first["failed"] > 0
    assert first["acknowledged"] > 0
    deadline = time.monotonic() + 60
    while (
        outbox_rows(price_world.dsn, "select 1 from ops.outbox where state = 'failed'")
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
        drain(price_world.dsn, target, backoff_initial_s=0.01)
    tries = outbox_rows(
        price_world.dsn,
        "select o.account_id, o.state, count(*) from ops.outbox o join ops.outbox_attempts a on a.outbox_id = o.id "
        "where o.target = 'ozon_prices' group by o.id, o.account_id, o.state",
    )
    failed = {
        a
        for (a,) in outbox_rows(
            price_world.dsn,
            "select distinct o.account_id from ops.outbox o join ops.outbox_attempts a on a.outbox_id = o.id "
            "where o.target = 'ozon_prices' and a.outcome = 'transient'",
        )
    }
    assert len(failed) == 1, "one request failed: one cabinet's batch"
    assert {a for a, _, n in tries if n == 2} == failed, "the failed cabinet's items were sent again"
    assert all(n == 1 for a, _, n in tries if a not in failed), "the others were sent once"
    assert all(state in ("acknowledged", "parked", "held") for _, state, _ in tries)


def test_a_dry_run_changes_nothing_at_any_vendor(price_world, vendors) -> None:
    calls = {m: vendors.pushes(m) for m in MARKETPLACES}
    before = held_prices(vendors)
    result = push_all(price_world, vendors, dry_run=True)
    assert all(r["requests"] == 0 and r["dry_runs"] > 0 for r in result.values())
    assert {m: vendors.pushes(m) for m in MARKETPLACES} == calls
    assert held_prices(vendors) == before


@pytest.mark.parametrize(
    ("target_name", "marketplace", "group", "path", "status", "quota"),
    [
        # YM counts offers, not requests: 40 offers per 2-second window, so the second request of 40 is refused
        (
            "yandex_market_prices",
            "yandex_market",
            "updateBusinessPrices",
            "%offer-prices/updates",
            420,
            LimitConfig(limit=40, window_s=2.0),
        ),
        (
            "wildberries_prices",
            "wildberries",
            "prices",
            "/api/v2/upload/task",
            429,
            # 3 per 2 s against the client's pace of 10 per 6 s with a burst of 5: the burst meets 429s
            LimitConfig(limit=3, window_s=2.0, burst=3),
        ),
    ],
)
def test_420_and_429_are_honoured_then_every_item_is_sent_exactly_once(
    price_world, vendors, target_name, marketplace, group, path, status, quota
) -> None:
    vendors.state.limits.override(marketplace, group, quota)
    target = vendors.target(target_name)
    target.max_batch = 40  # several requests per cabinet: the second meets the vendor's refusal
    first = push(price_world.dsn, target)
    assert first["failed"] > 0, f"a request must meet {status}"
    refused = outbox_rows(
        price_world.dsn, "select count(*) from ops.outbox_attempts where http_status = %s", status
    )[0][0]
    assert refused > 0
    retry_at, updated = outbox_rows(
        price_world.dsn, "select min(retry_at), max(updated_at) from ops.outbox where state = 'failed'"
    )[0]
    assert retry_at > updated, "the retry waits (back-off or the vendor's hint)"
    deadline = time.monotonic() + 180  # 60 s were too few with the other xdist worker busy beside this one
    while (
        outbox_rows(price_world.dsn, "select 1 from ops.outbox where state = 'failed'")
        and time.monotonic() < deadline
    ):
        time.sleep(0.3)
        drain(price_world.dsn, target)
    states = dict(
        outbox_rows(
            price_world.dsn,
            "select state, count(*) from ops.outbox where target = %s group by 1",
            target_name,
        )
    )
    assert set(states) <= {"acknowledged", "parked", "held"}, states
    gave_up = outbox_rows(
        price_world.dsn,
        "select item_key, reason from ops.outbox where target = %s and state = 'parked'"
        " and reason not like '%%not mapped to a 1C item%%'",
        target_name,
    )
    assert gave_up == [], "the vendor's rate limit delays an item, it never parks it"
    throttled, refusals, both = outbox_rows(
        price_world.dsn,
        "select count(*) filter (where throttled), count(*) filter (where http_status = %s),"
        " count(*) filter (where throttled and http_status = %s) from ops.outbox_attempts",
        status,
        status,
    )[0]
    assert throttled == refusals == both >= refused, (
        f"every {status} and nothing else is recorded as throttled"
    )
    bodies = [
        json.loads(b)
        for (b,) in vendors.sql(
            "select body from push_log where vendor = ? and path like ?", marketplace, path
        )
    ]
    sent = [o["offerId"] for b in bodies for o in b.get("offers", [])] + [
        str(d["nmID"]) for b in bodies for d in b.get("data", [])
    ]
    assert len(sent) == len(set(sent)), "no item was applied twice"
    keys = {
        k.split(":", 1)[1]
        for (k,) in outbox_rows(
            price_world.dsn,
            "select item_key from ops.outbox where target = %s and state = 'acknowledged'",
            target_name,
        )
    }
    unsent = keys - set(sent)
    if unsent:  # acknowledged without a write only when the read-back found the price already there
        messages = outbox_rows(
            price_world.dsn,
            "select a.message from ops.outbox o join ops.outbox_attempts a on a.outbox_id = o.id"
            " and a.outcome = 'acknowledged' where o.target = %s and split_part(o.item_key, ':', 2) = any(%s)",
            target_name,
            list(unsent),
        )
        assert messages
        assert all("already holds" in m for (m,) in messages)
    assert len(keys) == states["acknowledged"]
