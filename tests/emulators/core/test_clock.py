"""Clock advance: new orders, marketplace steps after a seller push, 1C shipments, due reports."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from sellerflow_emulators import store
from sellerflow_emulators.clock import advance

from .conftest import World

T0 = datetime(2026, 10, 8, tzinfo=UTC)  # the small world's clock


def _dump(conn: sqlite3.Connection, table: str, since_id: int) -> list[tuple]:
    key = "id" if table == "orders" else "order_id"
    return [
        tuple(r) for r in conn.execute(f"select * from {table} where {key} > ? order by 1, 2", (since_id,))
    ]


def test_advance_adds_orders_deterministically(small_world: World, tmp_path) -> None:
    dumps = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite"
        src = sqlite3.connect(small_world.db)
        dst = sqlite3.connect(path)
        src.backup(dst)
        dst.close()
        conn = store.connect(path)
        before = conn.execute("select max(id) from orders").fetchone()[0]
        result = advance(conn, datetime(2026, 10, 8, 18, tzinfo=UTC))
        assert result.orders_added > 0
        assert conn.execute("select count(*) from orders").fetchone()[0] == before + result.orders_added
        assert (
            conn.execute("select value from meta where key = 'clock'").fetchone()[0] == "2026-10-08T18:00:00Z"
        )
        dumps.append([_dump(conn, t, before) for t in ("orders", "order_lines", "order_status_history")])
    assert dumps[0] == dumps[1]


def test_new_fbs_orders_wait_for_the_seller_and_fbo_orders_move_by_time(world_copy: World) -> None:
    conn = store.connect(world_copy.db)
    before = conn.execute("select max(id) from orders").fetchone()[0]
    advance(conn, datetime(2026, 10, 9, tzinfo=UTC))
    rows = conn.execute(
        "select o.scheme, count(h.at), max(h.at), min(h.status) from orders o "
        "join order_status_history h on h.order_id = o.id where o.id > ? group by o.id",
        (before,),
    ).fetchall()
    fbs = [r for r in rows if r[0] == "fbs"]
    fbo = [r for r in rows if r[0] == "fbo"]
    assert fbs
    assert fbo
    assert all(r[1] == 1 and r[3] == "awaiting_packaging" for r in fbs)
    assert any(r[1] > 1 for r in fbo)
    assert any(r[2] > "2026-10-09T00:00:00Z" for r in fbo)  # scheduled ahead, shown when the clock passes


def test_seller_push_then_marketplace_delivery_and_1c_shipment(world_copy: World) -> None:
    conn = store.connect(world_copy.db)
    order = conn.execute(
        "select o.id, o.order_number, o.account_id, o.created_at from orders o "
        "where o.account_id in ('ozon_main', 'ozon_second', 'wildberries_main', 'wildberries_second') "
        "and o.scheme = 'fbs' and "
        "(select count(*) from order_status_history h where h.order_id = o.id) = 1 limit 1"
    ).fetchone()
    assert order is not None
    # What the Ozon app and the pipeline's reverse-ETL would write: the seller packed the posting
    # and a ЗаказКлиента with the marketplace order number already exists in 1C.
    conn.execute(
        "insert into order_status_history values (?, '2026-10-08T00:00:00Z', 'awaiting_deliver', "
        "'awaiting_deliver', 'seller')",
        (order["id"],),
    )
    base = "ut_main" if order["account_id"].endswith("_main") else "ut_second"
    org = conn.execute("select ref_key from onec_organizations where base_id = ?", (base,)).fetchone()[0]
    conn.execute(
        "insert into onec_documents(ref_key, base_id, doc_type, number, date, organization_ref, "
        "customer_order_number, data_version) values ('11111111-1111-4111-8111-111111111111', ?, "
        "'ЗаказКлиента', 'УТ-99999999', '2026-10-08T00:00:00Z', ?, ?, 'AAAAAQAAAAA=')",
        (base, org, order["order_number"]),
    )
    conn.commit()
    result = advance(conn, datetime(2026, 10, 14, tzinfo=UTC))
    assert result.transitions > 0
    history = [
        tuple(r)
        for r in conn.execute(
            "select status, actor from order_status_history where order_id = ? order by at", (order["id"],)
        )
    ]
    assert history == [
        ("awaiting_packaging", "marketplace"),
        ("awaiting_deliver", "seller"),
        ("delivering", "marketplace"),
        ("delivered", "marketplace"),
    ]
    sales = conn.execute(
        "select base_doc_ref from onec_documents where doc_type = 'РеализацияТоваровУслуг' and base_doc_ref = ?",
        ("11111111-1111-4111-8111-111111111111",),
    ).fetchall()
    assert len(sales) == 1
    orders_in_1c = conn.execute(
        "select count(*) from onec_documents where doc_type = 'ЗаказКлиента' and customer_order_number = ?",
        (order["order_number"],),
    ).fetchone()[0]
    assert orders_in_1c == 1
    (fields,) = conn.execute(
        "select fields from onec_documents where ref_key = '11111111-1111-4111-8111-111111111111'"
    ).fetchone()
    assert json.loads(fields)["Статус"] == "Закрыт", (
        "the accountant closes the shipped order (close_shipped_order)"
    )


def test_reports_of_ended_periods_appear_with_their_publication_time(world_copy: World) -> None:
    conn = store.connect(world_copy.db)
    wb_max = conn.execute(
        "select max(l.line_no) from report_lines l join reports r on r.id = l.report_id "
        "where r.account_id = 'wildberries_main'"
    ).fetchone()[0]
    result = advance(conn, datetime(2026, 11, 3, tzinfo=UTC))
    assert result.reports_built > 0
    october = conn.execute(
        "select published_at, totals from reports where account_id = 'ozon_main' and period_start = '2026-10-01'"
    ).fetchone()
    assert october["published_at"] == "2026-11-05T06:00:00Z"  # built, not yet visible at 2026-11-03
    assert json.loads(october["totals"])["sale_quantity"] > 0
    new_wb = conn.execute(
        "select min(l.line_no) from report_lines l join reports r on r.id = l.report_id "
        "where r.account_id = 'wildberries_main' and r.period_start >= '2026-10-05'"
    ).fetchone()[0]
    assert new_wb == wb_max + 1  # rrdId continues across the account's reports


def test_clock_never_moves_back(world_copy: World) -> None:
    conn = store.connect(world_copy.db)
    with pytest.raises(ValueError, match="only moves forward"):
        advance(conn, datetime(2026, 10, 1, tzinfo=UTC))
    assert advance(conn, T0).orders_added == 0


def test_late_sales_reach_the_reports_the_clock_builds_once(world_copy: World) -> None:
    """A sale the world drew as reported late (ground truth ``report_delay``) comes, once the clock has built the
    report of its delivery + delay, in exactly that report; no sale comes twice (the clock draws the generator's
    delays, so a late sale is neither lost nor counted in its delivery's period too)."""
    late = [d for d in world_copy.truth["discrepancies"] if d["kind"] == "report_delay"]
    assert late, "the small world has late sales"
    conn = store.connect(world_copy.db)
    advance(conn, datetime(2026, 12, 20, tzinfo=UTC), orders_per_day=2)
    sales = conn.execute(
        "select r.account_id, l.order_number, l.offer_id, r.period_start, r.period_end, count(*) "
        "from report_lines l join reports r on r.id = l.report_id where l.operation = 'sale' "
        "group by 1, 2, 3, 4, 5"
    ).fetchall()
    where = {(a, o, f): (start, end) for a, o, f, start, end, _ in sales}
    for d in late:
        period = where.get((d["account"], d["order_number"], d["offer_id"]))
        assert period is not None, d
        assert period[0] <= d["details"]["reported_at"][:10] <= period[1], (d, period)
    injected = {(d["account"], d["order_number"], d["offer_id"]) for d in world_copy.truth["discrepancies"]}
    counted: dict[tuple[str, str, str], int] = {}
    for a, o, f, _, _, n in sales:
        counted[(a, o, f)] = counted.get((a, o, f), 0) + n
    assert {k: n for k, n in counted.items() if n > 1 and k not in injected} == {}
