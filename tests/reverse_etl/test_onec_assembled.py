"""Finishing a TSD pick list moves the 1C order our reservation created to КОтгрузке, and un-reserves in 1C exactly
what the picker did not find: real Postgres (the module's throwaway world), real HTTP to the 1C emulator, the pick
list built, claimed, scanned and finished through sellerflow.picking, one outbox (target onec_assembled).

Expectations are read from the 1C emulator's world (the document's Статус and lines, onec_stock.reserved)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from sellerflow.picking import devices, service
from sellerflow.picking.builder import build_pick_lists
from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.sender import drain
from sellerflow.reverse_etl.targets.onec_assembled import OneCAssembled
from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations

DEMAND = "tsd_test.pick_demand"
DEMAND_DDL = f"""
create schema if not exists tsd_test;
drop table if exists {DEMAND};
create table {DEMAND} (
    marketplace text, account_id text, order_number text, posting_number text, order_group text, unit_ref text,
    created_at text, mp_warehouse_id text, warehouse_key text, warehouse_name text, onec_base_id text,
    product_ref text, offer_id text, article text, product_name text, barcodes text[], cell text,
    quantity integer, vendor_status text, is_cancelled boolean, awaiting_assembly boolean
)
"""


def _reset_picking(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "truncate ops.pick_list_events, ops.pick_list_scans, ops.pick_list_items, ops.pick_list_orders,"
            " ops.pick_lists, ops.tsd_devices restart identity cascade"
        )
        conn.execute("truncate ops.reverse_etl_progress_requests")
        conn.execute(DEMAND_DDL)


def _reserved_order(dsn: str, min_units: int) -> dict[str, Any]:
    """A reservation 1C acknowledged (posted, КОбеспечению): one posting, at least ``min_units`` units."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select a.payload from ops.outbox_acknowledged a"
            " where a.target = 'onec_reservations' and not (a.payload ->> 'cancelled')::boolean"
            " and jsonb_array_length(a.payload -> 'postings') = 1 and jsonb_array_length(a.payload -> 'lines') > 0"
            " and exists (select 1 from ops.outbox_attempts t where t.outbox_id = a.outbox_id"
            " and t.outcome = 'acknowledged' and t.message like 'reserved%%')"
            " order by a.item_key"
        ).fetchall()
    for (payload,) in rows:
        if sum(int(line["quantity"]) for line in payload["lines"]) >= min_units:
            return payload
    raise AssertionError(f"the world has no reserved single-posting order of {min_units}+ units")


def _list_for(dsn: str, order: dict[str, Any]) -> None:
    """Put the order on a pick list (one demand row per 1C line, barcode BC-<offer>), built by the builder."""
    posting = order["postings"][0]
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            f"insert into {DEMAND} values (%s, %s, %s, %s, %s, %s, now()::text, 'mp', %s, 'Склад', %s, %s, %s, %s,"
            " %s, %s, %s, %s, false)",
            [
                (
                    order["marketplace"],
                    order["account_id"],
                    order["order_number"],
                    posting,
                    posting,
                    f"u{n}",
                    order["warehouse_key"],
                    order["onec_base"],
                    line["product_key"],
                    line["offer_id"],
                    line["offer_id"],
                    line["offer_id"],
                    [f"BC-{line['offer_id']}"],
                    f"A-{n:02d}",
                    int(line["quantity"]),
                )
                for n, line in enumerate(order["lines"])
            ],
        )
    built = build_pick_lists(dsn, demand=DEMAND)
    assert len(built.lists_created) == 1, built


def _pick_and_finish(dsn: str, order: dict[str, Any], missing: int = 0) -> dict[str, Any]:
    """Claim the list, scan every unit but ``missing`` (taken from the first line), finish."""
    token = devices.issue(dsn, "tsd-assembled", order["warehouse_key"])
    with psycopg.connect(dsn, autocommit=True) as conn:
        device = devices.authenticate(conn, token)
        (list_id,) = conn.execute("select id from ops.pick_lists").fetchone()
        service.claim(conn, device, list_id)
        left = missing
        for n, line in enumerate(order["lines"]):
            quantity = int(line["quantity"])
            skip = min(left, quantity)
            left -= skip
            if quantity - skip:
                service.scan(conn, device, list_id, f"s{n}", f"BC-{line['offer_id']}", quantity - skip)
        return service.finish(conn, device, list_id)


def _document(onec: Any, order: dict[str, Any]) -> tuple[str, bool, list[tuple[str, int, bool]]]:
    """(Статус, posted, [(product, quantity, Отменено)]) of the order's ЗаказКлиента in the 1C world."""
    ((ref, posted, fields),) = onec.sql(
        "select ref_key, posted, fields from onec_documents where doc_type = 'ЗаказКлиента'"
        " and base_id = ? and customer_order_number = ?",
        order["onec_base"],
        order["order_number"],
    )
    lines = [
        (product, int(quantity), bool(json.loads(extra).get("Отменено")))
        for product, quantity, extra in onec.sql(
            "select product_ref, quantity, fields from onec_document_lines where doc_ref = ? order by line_no",
            ref,
        )
    ]
    return json.loads(fields).get("Статус"), bool(posted), lines


def _reserved(onec: Any, product: str) -> int:
    return int(
        onec.sql("select coalesce(sum(reserved), 0) from onec_stock where product_ref = ?", product)[0][0]
    )


def _writes(onec: Any) -> int:
    return int(onec.sql("select count(*) from push_log where vendor = 'onec'")[0][0])


@pytest.fixture
def reserved(world, onec) -> dict[str, Any]:
    """1C holds our reservations (one push of onec_reservations); pick lists emptied."""
    target = OneCReservations(onec.bases.__getitem__)
    try:
        push(world.dsn, target)
    finally:
        target.close()
    _reset_picking(world.dsn)
    return {"world": world, "onec": onec}


def _assembled_target(onec: Any) -> OneCAssembled:
    return OneCAssembled(onec.bases.__getitem__)


def test_finishing_a_list_sets_the_order_to_kotgruzke_after_one_push_and_a_rerun_sends_nothing(
    reserved,
) -> None:
    world, onec = reserved["world"], reserved["onec"]
    order = _reserved_order(world.dsn, 1)
    status, posted, lines = _document(onec, order)
    assert (status, posted) == ("КОбеспечению", True)
    _list_for(world.dsn, order)
    finished = _pick_and_finish(world.dsn, order)
    onec_request = finished["reverse_etl"]["not_requested"] or finished["reverse_etl"]
    assert finished["reverse_etl"]["requested"] == 1, onec_request

    target = _assembled_target(onec)
    result = push(world.dsn, target)  # what push_statuses does for onec_assembled: drain only
    assert (result["acknowledged"], result["parked"], result["failed"]) == (1, 0, 0), result
    status, posted, after = _document(onec, order)
    assert (status, posted) == ("КОтгрузке", True)
    assert sorted(after) == sorted(lines), "nothing was short: the lines and their reserve stay"

    target.requests_made = 0
    writes = _writes(onec)
    again = push(world.dsn, target)
    assert (again["due"], again["sent"], target.requests_made) == (0, 0, 0)
    with psycopg.connect(world.dsn, autocommit=True) as conn:  # the TSD asking again (feedback retries)
        from sellerflow.reverse_etl.statuses import request_onec_assembled

        asked = request_onec_assembled(conn, order["account_id"], order["postings"][0])
    assert asked["enqueued"] == 0
    assert push(world.dsn, target)["sent"] == 0
    assert target.requests_made == 0, "a rerun sends 0 requests"
    assert _writes(onec) == writes
    target.close()


def test_a_crash_between_send_and_ack_then_a_rerun_has_no_second_effect(
    reserved, crash_after_first_ack
) -> None:
    world, onec = reserved["world"], reserved["onec"]
    order = _reserved_order(world.dsn, 2)
    product = order["lines"][0]["product_key"]
    before = _reserved(onec, product)
    _list_for(world.dsn, order)
    _pick_and_finish(world.dsn, order, missing=1)

    target = _assembled_target(onec)
    with pytest.raises(SystemExit):
        drain(world.dsn, target)
    assert crash_after_first_ack, "the worker died after 1C answered"
    writes = _writes(onec)
    assert _document(onec, order)[0] == "КОтгрузке"
    assert _reserved(onec, product) == before - 1

    target.requests_made = 0
    rerun = drain(world.dsn, target, lease=timedelta(0))  # the lease ran out: claimed again, recovered
    assert (rerun.acknowledged, rerun.parked) == (1, 0)
    assert _writes(onec) == writes, "the recovered item read 1C back and wrote nothing"
    with psycopg.connect(world.dsn) as conn:
        (calls,) = conn.execute(
            "select t.requests from ops.outbox_attempts t join ops.outbox o on o.id = t.outbox_id"
            " where o.target = 'onec_assembled' order by t.id desc limit 1"
        ).fetchone()
    assert calls, "the recovered attempt read 1C back"
    assert all(c.startswith("GET ") for c in calls), f"a read-back only: {calls}"
    assert _reserved(onec, product) == before - 1, "the missing unit was released once"
    target.close()


def test_a_shortage_unreserves_exactly_the_missing_quantity_in_1c(reserved) -> None:
    world, onec = reserved["world"], reserved["onec"]
    order = _reserved_order(world.dsn, 2)
    total = sum(int(line["quantity"]) for line in order["lines"])
    missing = total - 1  # one unit found
    products = {line["product_key"] for line in order["lines"]}
    before = {p: _reserved(onec, p) for p in products}
    _list_for(world.dsn, order)
    finished = _pick_and_finish(world.dsn, order, missing=missing)
    assert finished["orders_short"] == 1

    target = _assembled_target(onec)
    result = push(world.dsn, target)
    target.close()
    assert result["acknowledged"] == 1, result
    status, posted, lines = _document(onec, order)
    assert (status, posted) == ("КОтгрузке", True)
    assert sum(q for _, q, cancelled in lines if cancelled) == missing
    assert sum(q for _, q, cancelled in lines if not cancelled) == 1
    released = sum(before[p] - _reserved(onec, p) for p in products)
    assert released == missing, "exactly the units not found left the reserve"
    assert sum(_reserved(onec, p) for p in products) == sum(before.values()) - missing


def test_nothing_found_closes_the_order_and_releases_its_whole_reserve(reserved) -> None:
    world, onec = reserved["world"], reserved["onec"]
    order = _reserved_order(world.dsn, 1)
    total = sum(int(line["quantity"]) for line in order["lines"])
    products = {line["product_key"] for line in order["lines"]}
    before = sum(_reserved(onec, p) for p in products)
    _list_for(world.dsn, order)
    _pick_and_finish(world.dsn, order, missing=total)

    target = _assembled_target(onec)
    result = push(world.dsn, target)
    target.close()
    assert result["acknowledged"] == 1, result
    status, _, lines = _document(onec, order)
    assert status == "Закрыт"
    assert all(cancelled for _, _, cancelled in lines)
    assert sum(_reserved(onec, p) for p in products) == before - total


def test_a_list_finished_before_1c_acknowledged_the_reservation_reaches_1c_later(reserved) -> None:
    from sellerflow.reverse_etl.statuses import request_missing_onec_assembled

    world, onec = reserved["world"], reserved["onec"]
    order = _reserved_order(world.dsn, 1)
    key = f"{order['account_id']}:{order['order_number']}"
    _list_for(world.dsn, order)
    with psycopg.connect(world.dsn, autocommit=True) as conn:  # as if 1C had not acknowledged it yet
        conn.execute(
            "update ops.outbox_acknowledged set target = 'hidden' where target = 'onec_reservations'"
            " and item_key = %s",
            (key,),
        )
    finished = _pick_and_finish(world.dsn, order)
    assert finished["reverse_etl"]["requested"] == 1
    with psycopg.connect(world.dsn, autocommit=True) as conn:
        assert conn.execute("select count(*) from ops.outbox where target = 'onec_assembled'").fetchone() == (
            0,
        )
        conn.execute(
            "update ops.outbox_acknowledged set target = 'onec_reservations' where target = 'hidden'"
            " and item_key = %s",
            (key,),
        )
        assert request_missing_onec_assembled(conn) == 1, "what push_statuses does before draining"
        assert request_missing_onec_assembled(conn) == 0
    target = _assembled_target(onec)
    result = push(world.dsn, target)
    target.close()
    assert result["acknowledged"] == 1, result
    assert _document(onec, order)[0] == "КОтгрузке"
