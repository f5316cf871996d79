"""content-api cards and discounts-prices-api prices, over real HTTP."""

from __future__ import annotations

from wildberries_world import Emulator


def _cards(c, **settings) -> dict:
    r = c.post("/content/v2/get/cards/list", json={"settings": settings})
    assert r.status_code == 200, r.text
    return r.json()


def test_cards_group_sizes_by_nm_id_with_chrt_ids_and_barcodes(wb: Emulator) -> None:
    with wb.client() as c:
        cards = {card["nmID"]: card for card in _cards(c, cursor={"limit": 100})["cards"]}
    assert set(cards) == {100001, 100002}
    sizes = cards[100002]["sizes"]
    assert [(s["chrtID"], s["techSize"], s["skus"]) for s in sizes] == [
        (200002, "S", ["2000000000028"]),
        (200003, "M", ["2000000000035"]),
    ]
    assert cards[100001]["vendorCode"] == "SKU-A"
    assert cards[100002]["updatedAt"] == "2026-03-03T10:00:00Z"


def test_cards_cursor_pagination_ascending(wb: Emulator) -> None:
    with wb.client() as c:
        first = _cards(c, sort={"ascending": True}, cursor={"limit": 1})
        cursor = {"limit": 1, "updatedAt": first["cursor"]["updatedAt"], "nmID": first["cursor"]["nmID"]}
        second = _cards(c, sort={"ascending": True}, cursor=cursor)
        cursor = {"limit": 1, "updatedAt": second["cursor"]["updatedAt"], "nmID": second["cursor"]["nmID"]}
        third = _cards(c, sort={"ascending": True}, cursor=cursor)
    assert [card["nmID"] for card in first["cards"]] == [100001]
    assert first["cursor"] == {"updatedAt": "2026-03-01T10:00:00Z", "nmID": 100001, "total": 1}
    assert [card["nmID"] for card in second["cards"]] == [100002]
    assert third["cards"] == []
    assert third["cursor"]["total"] == 0


def test_cards_default_sort_is_newest_first_and_text_search_filters(wb: Emulator) -> None:
    with wb.client() as c:
        newest = _cards(c, cursor={"limit": 100})
        found = _cards(c, cursor={"limit": 100}, filter={"textSearch": "2000000000035"})
    assert [card["nmID"] for card in newest["cards"]] == [100002, 100001]
    assert [card["nmID"] for card in found["cards"]] == [100002]


def test_cards_limit_over_100_is_400(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.post("/content/v2/get/cards/list", json={"settings": {"cursor": {"limit": 101}}})
    assert r.status_code == 400
    assert r.json()["error"] is True
    assert r.json()["data"] is None


def test_prices_list_renders_price_before_discount_and_discount(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.get("/api/v2/list/goods/filter", params={"limit": 10})
    goods = {g["nmID"]: g for g in r.json()["data"]["listGoods"]}
    assert r.json()["error"] is False
    assert goods[100001]["discount"] == 30
    assert goods[100001]["sizes"][0]["price"] == 1000
    assert goods[100001]["sizes"][0]["discountedPrice"] == 700
    assert [s["sizeID"] for s in goods[100002]["sizes"]] == [200002, 200003]


def test_prices_list_offset_filter_and_post_by_nm_list(wb: Emulator) -> None:
    with wb.client() as c:
        second = c.get("/api/v2/list/goods/filter", params={"limit": 1, "offset": 1}).json()
        past_end = c.get("/api/v2/list/goods/filter", params={"limit": 1, "offset": 2}).json()
        one = c.get("/api/v2/list/goods/filter", params={"limit": 10, "filterNmID": 100002}).json()
        posted = c.post("/api/v2/list/goods/filter", json={"nmList": [100001, 5]}).json()
    assert [g["nmID"] for g in second["data"]["listGoods"]] == [100002]
    assert past_end["data"]["listGoods"] == []
    assert [g["nmID"] for g in one["data"]["listGoods"]] == [100002]
    assert [g["nmID"] for g in posted["data"]["listGoods"]] == [100001]


def test_prices_list_rejects_missing_or_large_limit(wb: Emulator) -> None:
    with wb.client() as c:
        missing = c.get("/api/v2/list/goods/filter")
        large = c.get("/api/v2/list/goods/filter", params={"limit": 1001})
    for r in (missing, large):
        assert r.status_code == 400
        assert r.json() == {"data": None, "error": True, "errorText": "Invalid request parameters"}


def test_price_upload_applies_and_reports_status(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.post("/api/v2/upload/task", json={"data": [{"nmID": 100002, "price": 2000, "discount": 10}]})
        upload_id = r.json()["data"]["id"]
        task = c.get("/api/v2/history/tasks", params={"uploadID": upload_id}).json()["data"]
        listed = c.get("/api/v2/list/goods/filter", params={"limit": 10, "filterNmID": 100002}).json()
    assert r.status_code == 200
    assert r.json() == {"data": {"id": upload_id, "alreadyExists": False}, "error": False, "errorText": ""}
    assert (task["status"], task["overAllGoodsNumber"], task["successGoodsNumber"]) == (3, 1, 1)
    goods = listed["data"]["listGoods"][0]
    assert (goods["discount"], goods["sizes"][0]["price"], goods["sizes"][0]["discountedPrice"]) == (
        10,
        2000,
        1800,
    )
    rows = wb.db().execute("select price_kop, old_price_kop from offers where mp_sku = 100002").fetchall()
    assert {tuple(r) for r in rows} == {(180000, 200000)}
    assert (
        wb.db().execute("select count(*) from push_log where path = '/api/v2/upload/task'").fetchone()[0] == 1
    )


def test_repeating_an_upload_is_208(wb: Emulator) -> None:
    body = {"data": [{"nmID": 100001, "price": 1200}]}
    with wb.client() as c:
        first = c.post("/api/v2/upload/task", json=body).json()
        again = c.post("/api/v2/upload/task", json=body)
    assert again.status_code == 208
    assert again.json() == {
        "data": {"id": first["data"]["id"], "alreadyExists": True},
        "error": False,
        "errorText": "This task already exists",
    }


def test_price_three_times_lower_goes_to_quarantine(wb: Emulator) -> None:
    with wb.client() as c:
        r = c.post("/api/v2/upload/task", json={"data": [{"nmID": 100001, "price": 100, "discount": 0}]})
        task = c.get("/api/v2/history/tasks", params={"uploadID": r.json()["data"]["id"]}).json()["data"]
    assert task["status"] == 6
    assert task["successGoodsNumber"] == 0
    assert wb.db().execute("select price_kop from offers where offer_id = 'SKU-A'").fetchone()[0] == 70000


def test_price_upload_validation_errors(wb: Emulator) -> None:
    cases = {
        "Empty data": {"data": []},
        "Upload limit exceeded: You can upload a maximum of 1 000 items": {
            "data": [{"nmID": i, "price": 100} for i in range(1, 1002)]
        },
        "Duplicate item Nos.": {"data": [{"nmID": 100001, "price": 900}, {"nmID": 100001, "price": 901}]},
        "Invalid discount value": {"data": [{"nmID": 100001, "discount": 100}]},
        "Price and discount not specified": {"data": [{"nmID": 100001}]},
        "Price should be a whole number": {"data": [{"nmID": 100001, "price": 10.5}]},
        "All item Nos. are specified incorrectly, or the specified prices and discounts are already set": {
            "data": [{"nmID": 1, "price": 100}]
        },
    }
    with wb.client() as c:
        for text, body in cases.items():
            r = c.post("/api/v2/upload/task", json=body)
            assert r.status_code == 400, text
            assert r.json() == {"data": None, "error": True, "errorText": text}
