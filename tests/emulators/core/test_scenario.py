"""The scenario generator: determinism, identifier formats, reports and ground-truth consistency."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from sellerflow_emulators.scenario import ScenarioParams, generate

from .conftest import SMALL, World


def dump_digest(db: Path) -> str:
    """sha256 over the SQL dump of a database."""
    conn = sqlite3.connect(db)
    digest = hashlib.sha256()
    for line in conn.iterdump():
        digest.update(line.encode())
    conn.close()
    return digest.hexdigest()


def test_same_seed_gives_identical_world_and_truth(small_world: World, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", SMALL)
    assert dump_digest(again.world) == dump_digest(small_world.db)
    assert again.ground_truth.read_bytes() == (small_world.dir / "ground_truth.json").read_bytes()
    assert again.accounts.read_bytes() == (small_world.dir / "accounts.json").read_bytes()


def test_different_seed_gives_different_world(small_world: World, tmp_path: Path) -> None:
    other = generate(
        tmp_path / "other", ScenarioParams(seed=43, days=SMALL.days, orders_per_day=25, start=SMALL.start)
    )
    assert dump_digest(other.world) != dump_digest(small_world.db)
    assert other.ground_truth.read_bytes() != (small_world.dir / "ground_truth.json").read_bytes()


def test_clock_is_end_of_period_and_static_world_is_complete(small_world: World) -> None:
    conn = small_world.connect()
    assert conn.execute("select value from meta where key='clock'").fetchone()[0] == "2026-10-08T00:00:00Z"
    assert small_world.truth["clock"] == "2026-10-08T00:00:00Z"
    assert {r[0] for r in conn.execute("select id from legal_entities")} == {"le1", "le2"}
    assert {r[0] for r in conn.execute("select id from onec_bases")} == {"ut_main", "ut_second"}
    assert {r[0] for r in conn.execute("select id from accounts")} == {
        "ozon_main",
        "ozon_second",
        "wildberries_main",
        "wildberries_second",
        "yandex_market_main",
        "megamarket_main",
    }
    # Same articles and barcodes in both bases, different GUIDs.
    rows = conn.execute(
        "select a.ref_key, b.ref_key, a.barcode = b.barcode from products a "
        "join products b on a.article = b.article and a.base_id = 'ut_main' and b.base_id = 'ut_second'"
    ).fetchall()
    assert len(rows) >= 200
    assert all(r[0] != r[1] and r[2] for r in rows)
    price_types = {r[0] for r in conn.execute("select distinct price_type from onec_prices")}
    assert price_types == {"Розничная", "Себестоимость", "Ozon", "Wildberries", "Яндекс Маркет", "Мегамаркет"}
    # 1C publishes each product's purchase cost as the price type Себестоимость.
    costs = conn.execute(
        "select p.cost_kop, c.price_kop from products p left join onec_prices c"
        " on c.product_ref = p.ref_key and c.price_type = 'Себестоимость'"
    ).fetchall()
    assert costs
    assert all(cost == price for cost, price in costs)


def test_orders_per_day_and_ids_in_vendor_formats(small_world: World) -> None:
    conn = small_world.connect()
    assert conn.execute("select count(*) from orders").fetchone()[0] == SMALL.days * SMALL.orders_per_day
    for row in conn.execute(
        "select o.*, a.marketplace from orders o join accounts a on a.id = o.account_id"
    ).fetchall():
        vendor = json.loads(row["vendor"])
        mp = row["marketplace"]
        if mp == "ozon":
            assert re.fullmatch(r"\d{8,10}-\d{4}-\d+", row["posting_number"])
            assert row["posting_number"].rsplit("-", 1)[0] == row["order_number"]
        elif mp == "wildberries":
            assert row["order_number"] == vendor["srid"] == vendor["rid"]
            assert {"orderUid", "nmId", "chrtId"} <= vendor.keys()
            if row["scheme"] == "fbs":
                assert row["posting_number"] == str(vendor["id"])
            else:
                assert row["posting_number"] == vendor["srid"]
        elif mp == "yandex_market":
            assert row["order_number"] == row["posting_number"] == str(int(row["order_number"]))
        else:
            assert row["order_number"] == row["posting_number"] == vendor["shipmentId"]
    mm_lines = conn.execute(
        "select l.order_id, l.line_no, l.quantity from order_lines l join orders o on o.id = l.order_id "
        "where o.account_id = 'megamarket_main' order by l.order_id, l.line_no"
    ).fetchall()
    assert mm_lines
    assert all(r["quantity"] == 1 for r in mm_lines)
    wb_lines = conn.execute(
        "select count(*) from order_lines l join orders o on o.id = l.order_id "
        "where o.account_id like 'wildberries%' and l.quantity != 1"
    ).fetchone()[0]
    assert wb_lines == 0


def test_status_history_uses_vendor_models(small_world: World) -> None:
    conn = small_world.connect()
    vendor_statuses = {
        (r[0], r[1])
        for r in conn.execute(
            "select a.marketplace, h.vendor_status from order_status_history h "
            "join orders o on o.id = h.order_id join accounts a on a.id = o.account_id"
        )
    }
    assert ("ozon", "awaiting_packaging") in vendor_statuses
    assert ("wildberries", "complete/sold") in vendor_statuses
    assert ("yandex_market", "PROCESSING/STARTED") in vendor_statuses
    assert ("megamarket", "NEW") in vendor_statuses
    # FBS orders that the (simulated) seller had not packed by the clock stay awaiting_packaging.
    waiting = conn.execute(
        "select count(*) from orders o where o.scheme = 'fbs' and "
        "(select count(*) from order_status_history h where h.order_id = o.id) = 1"
    ).fetchone()[0]
    assert waiting > 0


def test_report_totals_tie_out_and_wb_rrd_ids_grow(small_world: World) -> None:
    conn = small_world.connect()
    for report in conn.execute("select * from reports").fetchall():
        totals = json.loads(report["totals"])
        sums = conn.execute(
            "select count(*), coalesce(sum(payout_kop), 0), coalesce(sum(commission_kop), 0) "
            "from report_lines where report_id = ?",
            (report["id"],),
        ).fetchone()
        assert (totals["lines"], totals["payout_kop"], totals["commission_kop"]) == tuple(sums)
    for account in ("wildberries_main", "wildberries_second"):
        rrd = [
            r[0]
            for r in conn.execute(
                "select l.line_no from report_lines l join reports r on r.id = l.report_id "
                "where r.account_id = ? order by r.period_start, l.line_no",
                (account,),
            )
        ]
        assert len(rrd) > 1
        assert rrd == sorted(rrd)
        assert len(set(rrd)) == len(rrd)


def _sale_lines(
    conn: sqlite3.Connection, account: str, order_number: str, offer_id: str, op: str = "sale"
) -> list:
    return conn.execute(
        "select l.* from report_lines l join reports r on r.id = l.report_id "
        "where r.account_id = ? and l.order_number = ? and l.offer_id = ? and l.operation = ?",
        (account, order_number, offer_id, op),
    ).fetchall()


def _onec(conn: sqlite3.Connection, account: str, order_number: str) -> dict[str, list]:
    """The 1C chain for one marketplace order: ЗаказКлиента → Реализация → Возврат."""
    base = "ut_main" if account in {"ozon_main", "wildberries_main", "yandex_market_main"} else "ut_second"
    orders = conn.execute(
        "select ref_key from onec_documents where base_id = ? and doc_type = 'ЗаказКлиента' "
        "and customer_order_number = ?",
        (base, order_number),
    ).fetchall()
    sales = [
        r
        for o in orders
        for r in conn.execute(
            "select * from onec_documents where doc_type = 'РеализацияТоваровУслуг' and base_doc_ref = ?",
            (o[0],),
        )
    ]
    returns = [
        r
        for s in sales
        for r in conn.execute(
            "select * from onec_documents where doc_type = 'ВозвратТоваровОтКлиента' and base_doc_ref = ?",
            (s[0],),
        )
    ]
    return {"orders": orders, "sales": sales, "returns": returns}


def test_every_kind_of_discrepancy_is_injected_and_visible(small_world: World) -> None:
    kinds = {(d["kind"], d["status_at_clock"]) for d in small_world.truth["discrepancies"]}
    for kind in (
        "missing_in_report",
        "amount_mismatch",
        "quantity_mismatch",
        "duplicate_in_report",
        "reported_not_shipped",
        "returned",
        "return_not_received",
        "cancelled_but_reported",
    ):
        assert (kind, kind) in kinds, kind


@pytest.mark.parametrize(
    "kind",
    [
        "missing_in_report",
        "amount_mismatch",
        "quantity_mismatch",
        "duplicate_in_report",
        "reported_not_shipped",
        "returned",
        "return_not_received",
        "cancelled_but_reported",
    ],
)
def test_injected_discrepancy_is_really_in_the_world(small_world: World, kind: str) -> None:
    conn = small_world.connect()
    cases = [d for d in small_world.truth["discrepancies"] if d["kind"] == kind]
    assert cases
    for d in cases:
        account, number, offer = d["account"], d["order_number"], d["offer_id"]
        sales = _sale_lines(conn, account, number, offer)
        onec = _onec(conn, account, number)
        if kind == "missing_in_report":
            assert onec["sales"]
            assert not sales
        elif kind == "duplicate_in_report":
            assert len(sales) == 2
            assert onec["sales"]
        elif kind == "amount_mismatch":
            assert len(sales) == 1
            assert sales[0]["amount_kop"] == d["details"]["reported_amount_kop"]
            assert (
                abs(sales[0]["amount_kop"] - d["details"]["onec_amount_kop"])
                > small_world.truth["amount_tolerance_kop"]
            )
            assert sales[0]["quantity"] == d["details"]["onec_quantity"]
        elif kind == "quantity_mismatch":
            assert len(sales) == 1
            assert sales[0]["quantity"] == d["details"]["reported_quantity"]
            assert sales[0]["quantity"] != d["details"]["onec_quantity"]
        elif kind == "reported_not_shipped":
            assert sales
            assert not onec["orders"]
            assert not onec["sales"]
        elif kind in ("returned", "return_not_received"):
            assert _sale_lines(conn, account, number, offer, "return")
            assert onec["sales"]
            assert bool(onec["returns"]) == (kind == "returned")
        else:
            order_id = conn.execute(
                "select id from orders where account_id = ? and order_number = ?", (account, number)
            ).fetchone()[0]
            last = conn.execute(
                "select status from order_status_history where order_id = ? order by at desc limit 1",
                (order_id,),
            ).fetchone()[0]
            assert last == "cancelled"
            assert sales
            assert not onec["sales"]


def test_matched_and_awaiting_lines_agree_with_the_world(small_world: World) -> None:
    conn = small_world.connect()
    clock = small_world.truth["clock"]
    expected = small_world.truth["expected"]
    assert expected == sorted(
        expected, key=lambda r: (r["marketplace"], r["account"], r["order_number"], r["offer_id"])
    )
    seen = 0
    for row in expected:
        if row["status"] not in ("matched", "awaiting_report"):
            continue
        onec = _onec(conn, row["account"], row["order_number"])
        # A split Ozon order has one ЗаказКлиента and Реализация per posting: pick the product's lines.
        shipped = conn.execute(
            "select count(*), sum(l.quantity), sum(l.amount_kop) from onec_document_lines l "
            "join products p on p.ref_key = l.product_ref "
            f"where l.doc_ref in ({','.join('?' for _ in onec['sales'])}) and p.article = ?",
            (*[s["ref_key"] for s in onec["sales"]], row["article"]),
        ).fetchone()
        assert shipped[0] == 1
        visible = [
            line
            for line in _sale_lines(conn, row["account"], row["order_number"], row["offer_id"])
            if conn.execute("select published_at from reports where id = ?", (line["report_id"],)).fetchone()[
                0
            ]
            <= clock
        ]
        assert len(visible) == (1 if row["status"] == "matched" else 0)
        if row["status"] == "matched":
            assert visible[0]["quantity"] == shipped[1]
            assert abs(visible[0]["amount_kop"] - shipped[2]) <= small_world.truth["amount_tolerance_kop"]
        seen += 1
    assert seen > 100


def test_unmapped_offers_point_to_their_true_product(small_world: World) -> None:
    conn = small_world.connect()
    articles = {r[0] for r in conn.execute("select article from products")}
    unmapped = small_world.truth["unmapped_offers"]
    assert len(unmapped) >= 3 * 6
    assert any(entry["lines"] for entry in unmapped)
    listed = {(r["account"], r["offer_id"]) for r in small_world.truth["expected"]}
    for entry in unmapped:
        assert entry["offer_id"] not in articles
        assert (entry["account"], entry["offer_id"]) not in listed
        article = conn.execute(
            "select p.article from offers o join products p on p.ref_key = o.product_ref "
            "where o.account_id = ? and o.offer_id = ?",
            (entry["account"], entry["offer_id"]),
        ).fetchone()[0]
        assert article == entry["article"]


def test_accounts_file_has_a_connection_per_cabinet_and_base(small_world: World) -> None:
    conns = {c["conn_id"]: c for c in small_world.accounts["connections"]}
    assert set(conns) == {
        "mp_ozon_main",
        "mp_ozon_second",
        "mp_wildberries_main",
        "mp_wildberries_second",
        "mp_yandex_market_main",
        "mp_megamarket_main",
        "onec_ut_main",
        "onec_ut_second",
    }
    db = small_world.connect()
    token = db.execute("select token, client_id from accounts where id = 'ozon_main'").fetchone()
    assert conns["mp_ozon_main"]["host"] == "http://127.0.0.1:18101"
    assert (conns["mp_ozon_main"]["password"], conns["mp_ozon_main"]["login"]) == (token[0], token[1])
    assert conns["mp_wildberries_main"]["password"].count(".") == 2  # JWT-shaped
    assert conns["mp_yandex_market_main"]["extra"]["campaign_id"]
    refs = conns["mp_ozon_main"]["extra"]["warehouse_onec_refs"]
    guids = {r[0] for r in db.execute("select external_id from warehouses where owner = 'onec:ut_main'")}
    assert refs
    assert set(refs.values()) <= guids
    assert conns["onec_ut_second"]["host"] == "http://127.0.0.1:18105/ut_second/odata/standard.odata"
    assert (
        conns["onec_ut_main"]["login"]
        == db.execute("select username from onec_bases where id='ut_main'").fetchone()[0]
    )


def test_one_day_world_has_no_reports_yet(tmp_path: Path, world_maker) -> None:
    tiny = world_maker(tmp_path, ScenarioParams(seed=1, days=1, orders_per_day=10, start=SMALL.start))
    assert tiny.truth["scenario"]["orders_per_day"] == 10
    assert tiny.connect().execute("select count(*) from reports").fetchone()[0] == 0
    assert {r["status"] for r in tiny.truth["expected"]} <= {"awaiting_report"}
