"""marketplace-api: FBS assembly tasks, supplies, cancel, warehouses and stocks, over real HTTP."""

from __future__ import annotations

import json

from wildberries_world import FBS_WAREHOUSE, ORDER3_SRID, Emulator, add_fbs_orders

WINDOW = {"dateFrom": 1772323200, "dateTo": 1773576000}  # 2026-03-01 .. 2026-03-15 12:00 UTC


def _statuses(c, ids: list[int]) -> dict[int, dict]:
    r = c.post("/api/v3/orders/status", json={"orders": ids})
    assert r.status_code == 200
    return {o["id"]: o for o in r.json()["orders"]}


def test_orders_new_lists_only_new_visible_fbs_tasks(wb: Emulator) -> None:
    with wb.client() as c:
        orders = c.get("/api/v3/orders/new").json()["orders"]
    assert [o["id"] for o in orders] == [5001]
    task = orders[0]
    assert task["nmId"] == 100001
    assert task["chrtId"] == 200001
    assert task["skus"] == ["2000000000011"]
    assert task["article"] == "SKU-A"
    assert task["price"] == 70000  # kopecks: WB multiplies by 100
    assert task["warehouseId"] == FBS_WAREHOUSE
    assert task["createdAt"] == "2026-03-14T10:00:00Z"
    assert "supplyId" not in task


def test_orders_list_uses_vendor_ids_and_hides_future_and_fbo(wb: Emulator) -> None:
    with wb.client() as c:
        page = c.get("/api/v3/orders", params={"limit": 1000, "next": 0, **WINDOW}).json()
    by_id = {o["id"]: o for o in page["orders"]}
    assert sorted(by_id) == [5001, 5002, 5003, 5004]
    assert by_id[5003]["rid"] == ORDER3_SRID
    assert by_id[5003]["orderUid"] == "77_abc"
    assert isinstance(page["next"], int)


def test_orders_list_pages_a_thousand_at_a_time_until_empty(wb: Emulator) -> None:
    add_fbs_orders(wb.state, 2500)
    seen: list[int] = []
    sizes = []
    cursor = 0
    with wb.client() as c:
        for _ in range(10):
            page = c.get("/api/v3/orders", params={"limit": 1000, "next": cursor, **WINDOW}).json()
            sizes.append(len(page["orders"]))
            if not page["orders"]:
                break
            seen += [o["id"] for o in page["orders"]]
            cursor = page["next"]
    assert sizes == [1000, 1000, 504, 0]
    assert len(seen) == len(set(seen)) == 2504


def test_orders_list_rejects_over_limit_and_long_windows(wb: Emulator) -> None:
    with wb.client() as c:
        too_many = c.get("/api/v3/orders", params={"limit": 1001, "next": 0})
        no_next = c.get("/api/v3/orders", params={"limit": 10})
        long_window = c.get(
            "/api/v3/orders", params={"limit": 10, "next": 0, "dateFrom": 1, "dateTo": 31 * 86400 + 1}
        )
    for r in (too_many, no_next, long_window):
        assert r.status_code == 400
        assert r.json() == {
            "code": "IncorrectParameter",
            "message": "Передан некорректный параметр",
            "data": None,
        }


def test_status_maps_canonical_history_to_wb_statuses(wb: Emulator) -> None:
    with wb.client() as c:
        got = _statuses(c, [5001, 5002, 5003, 5004, 5006, 999])
    assert set(got) == {5001, 5002, 5003, 5004}  # 5006 is after the clock, 999 does not exist
    assert (got[5001]["supplierStatus"], got[5001]["wbStatus"], got[5001]["isCancellable"]) == (
        "new",
        "waiting",
        True,
    )
    assert (got[5002]["supplierStatus"], got[5002]["isCancellable"]) == ("confirm", True)
    assert (got[5003]["supplierStatus"], got[5003]["wbStatus"], got[5003]["isCancellable"]) == (
        "complete",
        "sold",
        False,
    )
    assert (got[5004]["supplierStatus"], got[5004]["wbStatus"], got[5004]["isCancellable"]) == (
        "cancel",
        "canceled_by_client",
        False,
    )


def test_status_rejects_bad_bodies(wb: Emulator) -> None:
    with wb.client() as c:
        empty = c.post("/api/v3/orders/status", json={"orders": []})
        too_many = c.post("/api/v3/orders/status", json={"orders": list(range(1, 1002))})
        garbage = c.post(
            "/api/v3/orders/status", content=b"{not json", headers={"Content-Type": "application/json"}
        )
    for r in (empty, too_many, garbage):
        assert r.status_code == 400
        assert r.json()["code"] == "IncorrectRequestBody"


def test_supply_flow_confirms_then_completes_and_records_pushes(wb: Emulator) -> None:
    with wb.client() as c:
        created = c.post("/api/v3/supplies", json={"name": "Поставка 1"})
        assert created.status_code == 201
        supply = created.json()["id"]
        assert supply.startswith("WB-GI-")
        assert (
            c.patch(f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [5001]}).status_code
            == 204
        )
        assert _statuses(c, [5001])[5001]["supplierStatus"] == "confirm"
        assert c.get(f"/api/marketplace/v3/supplies/{supply}/order-ids").json() == {"orderIds": [5001]}
        listed = c.get("/api/v3/orders", params={"limit": 10, "next": 0, **WINDOW}).json()["orders"]
        assert {o["id"]: o.get("supplyId") for o in listed}[5001] == supply
        assert c.patch(f"/api/v3/supplies/{supply}/deliver").status_code == 204
        assert _statuses(c, [5001])[5001]["supplierStatus"] == "complete"
        info = c.get(f"/api/v3/supplies/{supply}").json()
        assert info["done"] is True
        assert info["closedAt"] == "2026-03-15T12:00:00Z"
        assert (
            c.get("/api/v3/supplies", params={"limit": 10, "next": 0}).json()["supplies"][0]["id"] == supply
        )
    db = wb.db()
    history = db.execute(
        "select status, vendor_status, actor from order_status_history where order_id = 1 order by at"
    )
    assert [tuple(r) for r in history][-2:] == [
        ("awaiting_deliver", "confirm/waiting", "seller"),
        ("delivering", "complete/waiting", "seller"),
    ]
    pushes = [
        r["path"] for r in db.execute("select path from push_log where vendor = 'wildberries' order by id")
    ]
    assert pushes == [
        "/api/v3/supplies",
        f"/api/marketplace/v3/supplies/{supply}/orders",
        f"/api/v3/supplies/{supply}/deliver",
    ]


def test_adding_a_cancelled_or_unknown_task_to_a_supply_is_409(wb: Emulator) -> None:
    with wb.client() as c:
        supply = c.post("/api/v3/supplies", json={"name": "x"}).json()["id"]
        cancelled = c.patch(f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [5004]})
        unknown = c.patch(f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [424242]})
        no_supply = c.patch("/api/marketplace/v3/supplies/WB-GI-1/orders", json={"orders": [5001]})
    for r in (cancelled, unknown):
        assert r.status_code == 409
        assert r.json()["code"] == "FailedToAddSupplyOrder"
    assert no_supply.status_code == 404
    assert no_supply.json()["code"] == "NotFound"


def test_deliver_empty_supply_and_delete_rules(wb: Emulator) -> None:
    with wb.client() as c:
        empty = c.post("/api/v3/supplies", json={"name": "empty"}).json()["id"]
        full = c.post("/api/v3/supplies", json={"name": "full"}).json()["id"]
        c.patch(f"/api/marketplace/v3/supplies/{full}/orders", json={"orders": [5002]})
        deliver_empty = c.patch(f"/api/v3/supplies/{empty}/deliver")
        delete_full = c.delete(f"/api/v3/supplies/{full}")
        delete_empty = c.delete(f"/api/v3/supplies/{empty}")
        gone = c.get(f"/api/v3/supplies/{empty}")
    assert deliver_empty.status_code == 409
    assert deliver_empty.json()["code"] == "SupplyHasZeroOrders"
    assert delete_full.status_code == 409
    assert delete_full.json()["code"] == "SupplyHasOrders"
    assert delete_empty.status_code == 204
    assert gone.status_code == 404


def test_create_supply_needs_a_name(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.post("/api/v3/supplies", json={})
    assert r.status_code == 400
    assert r.json()["code"] == "IncorrectRequestBody"


def test_cancel_new_task_then_cancel_again_is_409(wb: Emulator) -> None:
    with wb.client() as c:
        first = c.patch("/api/v3/orders/5001/cancel")
        second = c.patch("/api/v3/orders/5001/cancel")
        delivered = c.patch("/api/v3/orders/5003/cancel")
        unknown = c.patch("/api/v3/orders/777/cancel")
        status = _statuses(c, [5001])[5001]
    assert first.status_code == 204
    assert (status["supplierStatus"], status["wbStatus"]) == ("cancel", "canceled")
    for r in (second, delivered):
        assert r.status_code == 409
        assert r.json()["code"] == "StatusMismatch"
    assert unknown.status_code == 404
    row = (
        wb.db()
        .execute("select * from order_status_history where order_id = 1 and status = 'cancelled'")
        .fetchone()
    )
    assert (row["actor"], row["vendor_status"], row["at"]) == (
        "seller",
        "cancel/canceled",
        "2026-03-15T12:00:00Z",
    )
    assert wb.limiter.calls[("orders_cancel", "wildberries_main")] == 4 + 3 * 9  # three 4xx count ten each


def test_warehouses_lists_seller_warehouses_only(wb: Emulator) -> None:
    with wb.client() as c:
        houses = c.get("/api/v3/warehouses").json()
    assert [(h["id"], h["name"]) for h in houses] == [(FBS_WAREHOUSE, "Склад Подольск")]


def test_stocks_read_by_chrt_ids(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.post(f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"chrtIds": [200001, 200002, 999]})
    assert r.status_code == 200
    assert r.json() == {"stocks": [{"chrtId": 200001, "amount": 5}, {"chrtId": 200002, "amount": 0}]}


def test_stocks_update_writes_canonical_stock_and_push_log(wb: Emulator) -> None:
    body = {"stocks": [{"chrtId": 200001, "amount": 12}, {"chrtId": 200003, "amount": 3}]}
    with wb.client() as c:
        r = c.put(f"/api/v3/stocks/{FBS_WAREHOUSE}", json=body)
        read = c.post(f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"chrtIds": [200001, 200003]}).json()
    assert r.status_code == 204
    assert read == {"stocks": [{"chrtId": 200001, "amount": 12}, {"chrtId": 200003, "amount": 3}]}
    db = wb.db()
    row = db.execute("select present, updated_at from stocks where offer_id = 'SKU-B-M'").fetchone()
    assert tuple(row) == (3, "2026-03-15T12:00:00Z")
    log = db.execute("select method, path, body from push_log").fetchone()
    assert (log["method"], log["path"], json.loads(log["body"])) == (
        "PUT",
        f"/api/v3/stocks/{FBS_WAREHOUSE}",
        body,
    )


def test_stocks_update_with_wrong_field_names_is_204_and_changes_nothing(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.put(f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"stocks": [{"chrt": 200001, "qty": 99}]})
    assert r.status_code == 204
    assert wb.db().execute("select present from stocks where offer_id = 'SKU-A'").fetchone()[0] == 5


def test_stocks_update_errors(wb: Emulator) -> None:
    with wb.client() as c:
        too_big = c.put(
            f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"stocks": [{"chrtId": 200001, "amount": 100001}]}
        )
        unknown = c.put(f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"stocks": [{"chrtId": 1, "amount": 1}]})
        by_sku = c.put(
            f"/api/v3/stocks/{FBS_WAREHOUSE}", json={"stocks": [{"sku": "2000000000011", "amount": 1}]}
        )
        no_house = c.put("/api/v3/stocks/1", json={"stocks": [{"chrtId": 200001, "amount": 1}]})
    assert too_big.status_code == 409
    assert too_big.json()[0]["code"] == "UploadDataLimit"
    assert too_big.json()[0]["data"][0]["amount"] == 100001
    assert unknown.status_code == 409
    assert unknown.json()[0]["code"] == "NotFound"
    assert by_sku.status_code == 400
    assert by_sku.json()["code"] == "SKUUploadDisabled"
    assert no_house.status_code == 404
    assert no_house.json() == {"code": "NotFound", "message": "", "data": None}
