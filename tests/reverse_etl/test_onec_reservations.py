"""1C reservations against the 1C emulator and a real warehouse: the hot path's promises.

Expectations come from the emulator's world (its orders, lines, offers → products, stock and what 1C holds
afterwards), never from the SQL or the code under test.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import LimitConfig

# What each vendor's new-order list shows, in the world's status vocabulary: Ozon's unfulfilled list and YM's
# PROCESSING hold packed orders too; WB /orders/new and Megamarket NEW/CONFIRMED only those not packed yet.
LISTED = {
    "ozon": ("awaiting_packaging", "awaiting_deliver"),
    "yandex_market": ("awaiting_packaging", "awaiting_deliver"),
    "wildberries": ("awaiting_packaging",),
    "megamarket": ("awaiting_packaging",),
}


def expected_orders(onec: Any) -> dict[tuple[str, str], Counter[str]]:
    """(base, order number) → product_ref counts for own-stock orders still waiting at the world's clock,
    every line of which is mapped (offer_id = Артикул of a live item in the cabinet's base)."""
    rows = onec.sql(
        """
        with latest as (
            select h.order_id, h.status from order_status_history h
            where h.at = (select max(at) from order_status_history x where x.order_id = h.order_id)
        )
        select o.account_id, o.order_number, a.marketplace, latest.status, l.quantity, p.ref_key
        from orders o
        join latest on latest.order_id = o.id
        join order_lines l on l.order_id = o.id
        join accounts a on a.id = o.account_id
        join onec_organizations org on org.legal_entity_id = a.legal_entity_id
        left join products p on p.base_id = org.base_id and p.article = l.offer_id and p.deletion_mark = 0
        where o.scheme in ('fbs', 'dbs') and latest.status in ('awaiting_packaging', 'awaiting_deliver')
          and o.created_at <= (select value from meta where key = 'clock')
        """
    )
    base_of = dict(
        onec.sql(
            "select a.id, org.base_id from accounts a join onec_organizations org "
            "on org.legal_entity_id = a.legal_entity_id"
        )
    )
    orders: dict[tuple[str, str], Counter[str]] = {}
    unmapped: set[tuple[str, str]] = set()
    for account_id, number, marketplace, status, quantity, product in rows:
        if status not in LISTED[marketplace]:
            continue
        key = (base_of[account_id], number)
        if product is None:
            unmapped.add(key)
        orders.setdefault(key, Counter())[product] += quantity
    return {k: v for k, v in orders.items() if k not in unmapped}


def sellerflow_orders(onec: Any) -> dict[tuple[str, str], list[tuple[str, int, int, str, Counter[str]]]]:
    """Every ЗаказКлиента sellerflow wrote (Комментарий starts with 'sellerflow:'), by (base, number)."""
    docs: dict[tuple[str, str], list] = {}
    for ref, base, number, posted, fields in onec.sql(
        "select ref_key, base_id, customer_order_number, posted, fields from onec_documents "
        "where doc_type = 'ЗаказКлиента' and fields like '%sellerflow:%'"
    ):
        lines = Counter()
        for product, quantity, line_fields in onec.sql(
            "select product_ref, quantity, fields from onec_document_lines where doc_ref = ?", ref
        ):
            extra = json.loads(line_fields)
            assert extra.get("ВариантОбеспечения") == "СоСклада"
            if not extra.get("Отменено"):
                lines[product] += quantity
        docs.setdefault((base, number), []).append((ref, posted, 0, json.loads(fields).get("Статус"), lines))
    return docs


def reserved(onec: Any) -> int:
    return int(onec.sql("select coalesce(sum(reserved), 0) from onec_stock")[0][0])


def pushes(onec: Any) -> int:
    return int(onec.sql("select count(*) from push_log where vendor = 'onec'")[0][0])


def states(dsn: str) -> Counter[str]:
    with psycopg.connect(dsn) as conn:
        return Counter(dict(conn.execute("select state, count(*) from ops.outbox group by 1").fetchall()))


def target_for(onec: Any) -> OneCReservations:
    return OneCReservations(onec.bases.__getitem__)


def test_one_cycle_leaves_exactly_the_desired_reservations_and_a_rerun_sends_nothing(world, onec) -> None:
    expected = expected_orders(onec)
    assert len(expected) >= 10, "the world must have waiting own-stock orders"
    before = reserved(onec)
    target = target_for(onec)
    push(world.dsn, target)

    docs = sellerflow_orders(onec)
    assert all(len(v) == 1 for v in docs.values()), "one document per order"
    parked_for_stock = {(r[0], r[1]) for r in _parked(world.dsn) if "Недостаточно" in (r[2] or "")}
    for key, lines in expected.items():
        assert key in docs, f"{key} has no ЗаказКлиента"
        _ref, posted, _, status, held = docs[key][0]
        assert status == "КОбеспечению"
        assert held == lines, key
        assert posted == (0 if key in parked_for_stock else 1), key
    assert set(docs) == set(expected), "nothing reserved beyond the waiting, mapped orders"
    posted_units = sum(sum(v[0][4].values()) for k, v in docs.items() if v[0][1])
    assert reserved(onec) - before == posted_units

    calls, requests = pushes(onec), target.requests_made
    again = push(world.dsn, target_for(onec))
    assert again["enqueued"]["new"] == 0
    assert again["due"] == 0
    assert again["sent"] == 0
    assert pushes(onec) == calls
    assert requests > 0


def _parked(dsn: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(dsn) as conn:
        return [
            (p["onec_base"], p["order_number"], reason)
            for p, reason in conn.execute(
                "select payload, reason from ops.outbox where state = 'parked'"
            ).fetchall()
        ]


def test_unmapped_skus_and_refusals_are_parked_with_the_reason_and_never_retried(world, onec) -> None:
    push(world.dsn, target_for(onec))
    parked = _parked(world.dsn)
    unmapped = [r for r in parked if "not mapped to a 1C item" in r[2]]
    world_unmapped = sum(
        1
        for marketplace, status, _ in onec.sql(
            "select distinct a.marketplace, (select status from order_status_history h where h.order_id = o.id "
            "order by at desc limit 1), o.id from orders o join accounts a on a.id = o.account_id "
            "join order_lines l on l.order_id = o.id "
            "join offers f on f.account_id = o.account_id and f.offer_id = l.offer_id "
            "join products p on p.ref_key = f.product_ref where p.article <> l.offer_id and o.scheme in ('fbs','dbs')"
        )
        if status in LISTED[marketplace]
    )
    assert len(unmapped) == world_unmapped
    refused = [r for r in parked if "Не удалось провести" in r[2]]
    for _, number, _ in unmapped:
        assert not onec.sql("select 1 from onec_documents where customer_order_number = ?", number)
    calls = pushes(onec)
    result = push(world.dsn, target_for(onec))
    assert result["sent"] == 0, "parked items are not retried by themselves"
    assert pushes(onec) == calls
    assert refused, "the world's stock must refuse some reservations"
    for base, number, reason in refused:
        (posted,) = onec.sql(
            "select posted from onec_documents where base_id = ? and customer_order_number = ?", base, number
        )
        assert posted == (0,), "the refused document stays unposted"
        assert "Недостаточно свободного остатка" in reason, "1C's own message is kept"
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        ids = outbox.replay(conn, target="onec_reservations", item_keys=[f"x:{n}" for _, n, _ in refused])
        assert ids == [], "replay touches only the named items"
        ids = outbox.replay(conn, target="onec_reservations", ids=None, item_keys=None)
    assert len(ids) == len(parked)
    push(world.dsn, target_for(onec))
    assert len(_parked(world.dsn)) == len(parked), (
        "a replay of a stock refusal (no stock arrived) is refused again"
    )


def test_a_crash_between_send_and_acknowledgement_creates_no_second_document(
    world, onec, crash_after_first_ack
) -> None:
    target = target_for(onec)
    with pytest.raises(SystemExit):
        push(world.dsn, target)
    crashed = crash_after_first_ack
    (item_id,) = crashed
    with psycopg.connect(world.dsn) as conn:
        state, payload = conn.execute(
            "select state, payload from ops.outbox where id = %s", (item_id,)
        ).fetchone()
    assert state == "sending"
    number = payload["order_number"]
    assert len(onec.sql("select 1 from onec_documents where customer_order_number = ?", number)) == 1
    writes_before = onec.sql("select count(*) from push_log where body like ?", f"%{number}%")[0][0]

    drain(world.dsn, target_for(onec), lease=timedelta(0))
    push(world.dsn, target_for(onec))
    docs = onec.sql(
        "select ref_key, posted from onec_documents where doc_type = 'ЗаказКлиента' and customer_order_number = ?",
        number,
    )
    assert len(docs) == 1
    assert docs[0][1] == 1
    assert onec.sql("select count(*) from push_log where body like ?", f"%{number}%")[0][0] == writes_before
    with psycopg.connect(world.dsn) as conn:
        assert (
            conn.execute("select state from ops.outbox where id = %s", (item_id,)).fetchone()[0]
            == "acknowledged"
        )
    assert sellerflow_orders(onec).keys() == expected_orders(onec).keys()


def test_partial_failure_retries_only_the_failed_items(world, onec) -> None:
    # 1C's web server fails 30% of the requests for a while (the emulator's fault switch)
    onec.state.faults.configure("onec", [parse_rule({"kind": "server_error", "status": 502, "rate": 0.3})])
    for base in onec.bases.values():
        object.__setattr__(base, "max_attempts", 1)  # no client-side retries: the outbox retries
    target = target_for(onec)
    first = push(world.dsn, target, backoff_initial_s=0.01, park_after=100, max_items=200)
    onec.state.faults.clear("onec")
    deadline = time.monotonic() + 60
    while states(world.dsn).get("failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        drain(world.dsn, target, backoff_initial_s=0.01, park_after=100)
    assert not states(world.dsn).get("failed")
    with psycopg.connect(world.dsn) as conn:
        history = conn.execute(
            "select outbox_id, array_agg(outcome order by attempt) from ops.outbox_attempts group by 1"
        ).fetchall()
    assert first["failed"] > 0, "the fault must hit some items"
    retried = [outcomes for _, outcomes in history if outcomes[0] == "transient"]
    assert retried, "some items failed at first"
    for outcomes in retried:
        assert outcomes[-1] in ("acknowledged", "permanent")
    for _, outcomes in history:
        if outcomes[0] != "transient":
            assert len(outcomes) == 1, "an item that succeeded (or was parked) is never sent again"
    docs = sellerflow_orders(onec)
    assert all(len(v) == 1 for v in docs.values()), "retries created no second document"
    assert docs.keys() == expected_orders(onec).keys()


# Orders the session-pool test pushes: enough for the 4-request burst to run out many times over (each order is a
# find, a create and a post), few enough that the 1-second Retry-After waits stay short (the whole world: ~40 s).
POOL_TEST_ORDERS = 10


def test_the_session_pool_limit_is_honoured(world, onec, monkeypatch) -> None:
    """1C's only throttle is the publication's session pool: HTTP 503 with Retry-After (what 420/429 are for
    the marketplaces). Every refused request is repeated, and not before the time 1C asked for."""
    onec.state.limits.override("onec", "odata", LimitConfig(limit=4, window_s=1.0, burst=4))
    seen: list[tuple[float, bool, float]] = []
    real_acquire = onec.state.limits.acquire

    def counting(vendor, group, account, cost=1):
        decision = real_acquire(vendor, group, account, cost)
        seen.append((time.monotonic(), decision.allowed, decision.retry_after_s))
        return decision

    monkeypatch.setattr(onec.state.limits, "acquire", counting)
    for base in onec.bases.values():
        object.__setattr__(base, "retry_max_s", 5.0)
        object.__setattr__(base, "max_attempts", 10)
    result = push(world.dsn, target_for(onec), max_items=POOL_TEST_ORDERS)
    refusals = [i for i, (_, allowed, _) in enumerate(seen) if not allowed]
    assert refusals, "the limit must have refused some requests"
    for i in refusals:
        if i + 1 < len(seen):
            waited = seen[i + 1][0] - seen[i][0]
            assert waited >= math.ceil(seen[i][2]) - 0.05, "a request came back before Retry-After"
    assert result["due"] > POOL_TEST_ORDERS, "a subset of the waiting orders is pushed"
    assert result["failed"] == 0
    assert result["acknowledged"] + result["parked"] == POOL_TEST_ORDERS
    assert states(world.dsn)["pending"] == result["due"] - POOL_TEST_ORDERS, "the rest was not sent"
    # the pushed orders arrive exactly: each mapped one as one document holding its lines, nothing else
    with psycopg.connect(world.dsn) as conn:
        pushed = {
            (p["onec_base"], p["order_number"])
            for (p,) in conn.execute("select payload from ops.outbox where state <> 'pending'").fetchall()
        }
    assert len(pushed) == POOL_TEST_ORDERS
    expected = expected_orders(onec)
    docs = sellerflow_orders(onec)
    assert docs.keys() == pushed & expected.keys()
    assert docs, "some pushed orders are mapped"
    for key, versions in docs.items():
        assert len(versions) == 1, "one document per order"
        assert versions[0][4] == expected[key], key


def test_a_dry_run_changes_nothing_at_1c_and_a_live_run_then_sends(world, onec) -> None:
    calls, docs, stock = pushes(onec), onec.sql("select count(*) from onec_documents"), reserved(onec)
    result = push(world.dsn, target_for(onec), dry_run=True)
    assert result["dry_runs"] > 0
    assert result["sent"] == 0
    assert pushes(onec) == calls
    assert onec.sql("select count(*) from onec_documents") == docs
    assert reserved(onec) == stock
    with psycopg.connect(world.dsn) as conn:
        n = conn.execute("select count(*) from ops.outbox_attempts where dry_run").fetchone()[0]
    assert n == result["dry_runs"]
    live = push(world.dsn, target_for(onec))
    assert live["enqueued"]["released"] == result["dry_runs"]
    assert sellerflow_orders(onec).keys() == expected_orders(onec).keys()


def test_a_cancellation_closes_the_order_and_releases_the_reserve(world, onec) -> None:
    push(world.dsn, target_for(onec))
    with psycopg.connect(world.dsn) as conn:
        row = conn.execute(
            "select item_key, payload from ops.outbox where state = 'acknowledged' "
            "and payload->>'marketplace' = 'ozon' order by id limit 1"
        ).fetchone()
    item_key, payload = row
    units = sum(line["quantity"] for line in payload["lines"])
    before = reserved(onec)
    # the marketplace cancels: the status history lands a cancelled version of each posting
    with psycopg.connect(world.dsn) as conn, conn.transaction():
        for posting in payload["postings"]:
            conn.execute(
                "insert into raw.ozon_posting_statuses (account_id, natural_key, payload, payload_hash, run_id) "
                "values (%s, %s, %s, 'x', 'test-cancel')",
                (
                    payload["account_id"],
                    posting,
                    json.dumps({"posting_number": posting, "status": "cancelled"}),
                ),
            )
    try:
        result = push(world.dsn, target_for(onec))
    finally:
        with psycopg.connect(world.dsn) as conn:
            conn.execute("delete from raw.ozon_posting_statuses where run_id = 'test-cancel'")
    assert result["acknowledged"] == 1
    assert result["enqueued"]["new"] == 1
    number = payload["order_number"]
    (fields,) = onec.sql(
        "select fields from onec_documents where doc_type = 'ЗаказКлиента' and customer_order_number = ?",
        number,
    )
    assert json.loads(fields[0])["Статус"] == "Закрыт"
    lines = onec.sql(
        "select l.fields from onec_document_lines l join onec_documents d on d.ref_key = l.doc_ref "
        "where d.customer_order_number = ?",
        number,
    )
    assert lines
    assert all(json.loads(f)["Отменено"] for (f,) in lines)
    assert reserved(onec) == before - units
    assert item_key
