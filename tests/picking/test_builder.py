"""The pick-list builder on a real Postgres: grouping per warehouse, cell order, marketplace semantics, strikes."""

from __future__ import annotations

from sellerflow.picking import service
from sellerflow.picking.devices import authenticate

from .conftest import WH, WH2, Warehouse, unit


def _document(wh: Warehouse, list_id: int, warehouse: str = WH) -> dict:
    import psycopg

    token = wh.device(f"reader-{list_id}-{warehouse[:4]}", warehouse)
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        return service.document(conn, authenticate(conn, token), list_id)


def test_one_list_per_warehouse_lines_sorted_by_cell_and_semantics_kept(wh: Warehouse) -> None:
    wh.set_demand(
        [
            # WB: 3 assembly tasks (1 unit each), two of them one purchase (orderUid U1)
            unit("wildberries", "9001", "WB-01", order_group="U1", unit_ref="9001", cell="C-03"),
            unit("wildberries", "9002", "WB-01", order_group="U1", unit_ref="9002", cell="C-03"),
            unit("wildberries", "9003", "OZ-07", order_group="U2", unit_ref="9003", cell="A-01"),
            # Ozon: one posting, two products with quantities
            unit("ozon", "0001-1", "OZ-07", 2, order_number="0001", unit_ref="700007", cell="A-01"),
            unit("ozon", "0001-1", "OZ-08", 1, order_number="0001", unit_ref="700008", cell="B-02"),
            # YM: one order item with count 3
            unit("yandex_market", "5005", "YM-01", 3, unit_ref="item-1", cell=None),
            # MM: one line per unit with itemIndex
            unit("megamarket", "MM-1", "OZ-08", unit_ref="1", cell="B-02"),
            unit("megamarket", "MM-1", "OZ-08", unit_ref="2", cell="B-02"),
            # another warehouse
            unit("ozon", "0002-1", "OZ-07", 1, warehouse_key=WH2, warehouse_name="Второй склад"),
        ]
    )
    result = wh.build()
    assert result.postings_added == 7
    assert len(result.lists_created) == 2
    lists = wh.sql("select id, warehouse_key, warehouse_name, status from ops.pick_lists order by id")
    assert [(r[1], r[3]) for r in lists] == [(WH, "open"), (WH2, "open")]

    doc = _document(wh, lists[0][0])
    cells = [line["cell"] for line in doc["lines"]]
    assert cells == ["A-01", "B-02", "C-03", None]  # one walk; unplaced last
    by_cell = {line["cell"]: line for line in doc["lines"]}
    assert by_cell["A-01"]["quantity"] == 3  # WB task 9003 + Ozon 2 units of the same item and cell
    assert by_cell["A-01"]["barcodes"] == ["460OZ-07"]
    assert {o["marketplace"] for o in by_cell["A-01"]["orders"]} == {"wildberries", "ozon"}
    wb = [o for o in by_cell["C-03"]["orders"]]
    assert [(o["order_group"], o["unit_ref"], o["quantity"]) for o in wb] == [
        ("U1", "9001", 1),
        ("U1", "9002", 1),
    ]
    mm = [o for o in by_cell["B-02"]["orders"] if o["marketplace"] == "megamarket"]
    assert [(o["unit_ref"], o["quantity"]) for o in mm] == [("1", 1), ("2", 1)]
    ym = by_cell[None]["orders"]
    assert [(o["posting_number"], o["unit_ref"], o["quantity"]) for o in ym] == [("5005", "item-1", 3)]
    line = by_cell["B-02"]
    assert (line["article"], line["name"], line["nomenclature"]) == ("OZ-08", "Товар OZ-08", "ref-OZ-08")

    # a rerun adds nothing
    again = wh.build()
    assert again.postings_added == 0
    assert not again.lists_created


def test_new_orders_go_on_a_new_list_and_groups_are_never_split(wh: Warehouse) -> None:
    wh.set_demand([unit("wildberries", str(n), "WB-01", order_group=f"U{n // 2}") for n in range(10)])
    result = wh.build(max_orders=2)  # 5 orderUids → lists of 2, 2, 1 groups
    assert len(result.lists_created) == 3
    groups = wh.sql(
        "select pick_list_id, array_agg(distinct order_group order by order_group) from ops.pick_list_orders group by 1 order by 1"
    )
    assert [len(g[1]) for g in groups] == [2, 2, 1]
    flat = [g for _, gs in groups for g in gs]
    assert len(flat) == len(set(flat)) == 5
    wh.set_demand([*wh.rows, unit("wildberries", "77", "WB-01", order_group="U77")])
    assert wh.build().postings_added == 1


def test_a_cancelled_order_is_struck_and_the_device_told(wh: Warehouse) -> None:
    rows = [unit("ozon", "0001-1", "OZ-07", 2), unit("ozon", "0002-1", "OZ-07", 1)]
    wh.set_demand(rows)
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    rows[0]["is_cancelled"] = True
    wh.set_demand(rows)
    result = wh.build()
    assert result.postings_struck == 1
    assert not result.lists_created
    doc = _document(wh, list_id)
    (line,) = doc["lines"]
    assert (line["quantity"], line["struck_quantity"]) == (1, 2)
    assert [e["kind"] for e in doc["events"]] == ["order_struck"]
    assert "0001-1" in doc["events"][0]["message"]
    assert "cancelled" in doc["events"][0]["message"]
    # striking again does nothing; a cancelled order never comes back on a list
    assert wh.build().postings_struck == 0
    rows[1]["is_cancelled"] = True
    wh.set_demand(rows)
    result = wh.build()
    assert result.lists_cancelled == [list_id]
    assert wh.sql("select status from ops.pick_lists where id = %s", list_id) == [("cancelled",)]


def test_an_order_no_longer_awaiting_assembly_is_struck_and_the_device_told(wh: Warehouse) -> None:
    """It left the new-order lists without a cancellation (packed in the cabinet): the vendor's status decides."""
    rows = [unit("ozon", "0001-1", "OZ-07", 2), unit("ozon", "0002-1", "OZ-07", 1)]
    wh.set_demand(rows)
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    rows[0].update(vendor_status="awaiting_deliver", awaiting_assembly=False)
    wh.set_demand(rows)
    result = wh.build()
    assert (result.postings_struck, result.postings_added) == (1, 0)
    doc = _document(wh, list_id)
    (line,) = doc["lines"]
    assert (line["quantity"], line["struck_quantity"]) == (1, 2)
    (event,) = doc["events"]
    assert event["kind"] == "order_struck"
    assert "0001-1" in event["message"]
    assert "no longer awaiting assembly" in event["message"]
    assert "awaiting_deliver" in event["message"]
    assert (event["payload"]["reason"], event["payload"]["vendor_status"]) == (
        "not_awaiting_assembly",
        "awaiting_deliver",
    )
    assert wh.build().postings_struck == 0, "striking again does nothing"


def test_an_order_not_awaiting_assembly_is_never_listed(wh: Warehouse) -> None:
    wh.set_demand(
        [
            unit(
                "yandex_market",
                "5005",
                "YM-01",
                vendor_status="PROCESSING/READY_TO_SHIP",
                awaiting_assembly=False,
            ),
            unit("yandex_market", "5006", "YM-01", vendor_status="PROCESSING/STARTED"),
        ]
    )
    result = wh.build()
    assert result.postings_added == 1
    assert wh.sql("select posting_number from ops.pick_list_orders") == [("5006",)]


def test_a_finished_list_keeps_its_orders_when_they_leave_the_lists(wh: Warehouse) -> None:
    """Our own push moves a finished list's orders on (packed): nothing is struck from a finished list."""
    rows = [unit("megamarket", "MM-1", "MM-01", unit_ref="1")]
    wh.set_demand(rows)
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    wh.sql("update ops.pick_lists set status = 'finished' where id = %s", list_id)
    rows[0].update(vendor_status="PACKED", awaiting_assembly=False)
    wh.set_demand(rows)
    assert wh.build().postings_struck == 0
    assert wh.sql("select count(*) from ops.pick_list_orders where struck_at is not null") == [(0,)]


def test_a_cancelled_order_never_listed_is_not_put_on_a_list(wh: Warehouse) -> None:
    wh.set_demand([unit("megamarket", "MM-9", "MM-01", is_cancelled=True)])
    assert wh.build().postings_added == 0
