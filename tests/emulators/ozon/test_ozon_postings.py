"""Posting lists and gets: cursor paging, filters, clock visibility, cabinet isolation, validation."""

from __future__ import annotations

from typing import Any

from sellerflow_emulators import store
from sellerflow_emulators.ozon.common import Ctx
from sellerflow_emulators.ozon.postings import postings_sql

PERIOD = {"since": "2026-09-01T00:00:00Z", "to": "2026-09-30T00:00:00Z"}


def walk(env: Any, path: str, body: dict, headers: dict | None = None) -> list[dict]:
    """Follow cursors until ``has_next`` is false; return every posting."""
    postings: list[dict] = []
    cursor = ""
    for _ in range(50):
        page = env.post(path, {**body, "cursor": cursor}, headers).json()
        postings += page["postings"]
        if not page["has_next"]:
            assert page["cursor"] == ""
            return postings
        cursor = page["cursor"]
    raise AssertionError("cursor never ended")


def test_fbs_list_cursor_walk_returns_every_visible_posting_once(ozon: Any) -> None:
    postings = walk(ozon, "/v4/posting/fbs/list", {"limit": 100, "filter": PERIOD})
    numbers = [p["posting_number"] for p in postings]
    assert len(numbers) == len(set(numbers))
    assert len(numbers) == ozon.fbs_count + 1  # + the rFBS posting; the future one is not visible yet
    assert "09000000-0001-1" not in numbers
    assert [p["in_process_at"] for p in postings] == sorted(p["in_process_at"] for p in postings)


def test_fbs_list_sort_desc(ozon: Any) -> None:
    page = ozon.post("/v4/posting/fbs/list", {"limit": 5, "sort_dir": "DESC", "filter": PERIOD}).json()
    stamps = [p["in_process_at"] for p in page["postings"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(stamps) == 5


def test_fbs_list_filters_by_status_at_the_clock(ozon: Any) -> None:
    body = {"limit": 100, "filter": {**PERIOD, "statuses": ["delivered"]}}
    postings = walk(ozon, "/v4/posting/fbs/list", body)
    assert postings
    assert {p["status"] for p in postings} == {"delivered"}
    assert all(p["delivering_date"] for p in postings)


def test_fbs_list_filters_by_order_number_and_warehouse(ozon: Any) -> None:
    body = {"limit": 10, "filter": {**PERIOD, "order_numbers": ["00000002-0001"]}}
    postings = ozon.post("/v4/posting/fbs/list", body).json()["postings"]
    assert [p["posting_number"] for p in postings] == ["00000002-0001-1"]
    order_id = postings[0]["order_id"]
    by_id = ozon.post(
        "/v4/posting/fbs/list", {"limit": 10, "filter": {**PERIOD, "order_id": order_id}}
    ).json()
    assert [p["posting_number"] for p in by_id["postings"]] == ["00000002-0001-1"]
    rfbs = ozon.post(
        "/v4/posting/fbs/list", {"limit": 10, "filter": {**PERIOD, "warehouse_ids": [22142605387000]}}
    )
    assert [p["posting_number"] for p in rfbs.json()["postings"]] == ["09100000-0001-1"]


def test_fbs_posting_shape_prices_as_money_and_with_blocks(ozon: Any) -> None:
    body = {"limit": 1, "filter": PERIOD, "with": {"financial_data": True, "analytics_data": True}}
    posting = ozon.post("/v4/posting/fbs/list", body).json()["postings"][0]
    assert posting["posting_number"] == "00000000-0001-1"
    assert posting["order_number"] == "00000000-0001"
    assert posting["products"][0]["price"] == {"amount": "4099", "currency": "RUB"}
    assert posting["products"][1]["price"] == {"amount": "499.5", "currency": "RUB"}
    assert posting["financial_data"]["products"][0]["customer_price"] == {"amount": "4099", "currency": "RUB"}
    assert posting["analytics_data"]["warehouse_id"] == ozon.fbs_wh
    assert posting["barcodes"] is None  # not requested
    plain = ozon.post("/v4/posting/fbs/list", {"limit": 1, "filter": PERIOD}).json()["postings"][0]
    assert plain["financial_data"] is None
    assert plain["analytics_data"] is None


def test_cabinets_see_only_their_own_postings(ozon: Any) -> None:
    postings = walk(ozon, "/v4/posting/fbs/list", {"limit": 100, "filter": PERIOD}, ozon.second)
    assert [p["posting_number"] for p in postings] == ["07000000-0001-1"]
    other = ozon.post("/v3/posting/fbs/get", {"posting_number": "00000000-0001-1"}, ozon.second)
    assert other.status_code == 404


def test_unfulfilled_list_counts_and_pages_open_postings(ozon: Any) -> None:
    first = ozon.post("/v4/posting/fbs/unfulfilled/list", {"limit": 10}).json()
    postings = walk(ozon, "/v4/posting/fbs/unfulfilled/list", {"limit": 10})
    assert first["count"] == len(postings)
    assert {p["status"] for p in postings} == {"awaiting_packaging", "awaiting_deliver"}


def test_unfulfilled_list_cutoff_filter(ozon: Any) -> None:
    body = {
        "limit": 100,
        "filter": {"cutoff_from": "2026-09-02T00:00:00Z", "cutoff_to": "2026-09-02T04:00:00Z"},
    }
    postings = ozon.post("/v4/posting/fbs/unfulfilled/list", body).json()["postings"]
    assert postings
    assert all("2026-09-02T00:00:00Z" <= p["shipment_date"] <= "2026-09-02T04:00:00Z" for p in postings)


def test_fbs_get_returns_detail_with_string_prices(ozon: Any) -> None:
    result = ozon.post("/v3/posting/fbs/get", {"posting_number": "00000004-0001-1"}).json()["result"]
    assert result["status"] == "cancelled"
    assert result["cancellation"]["cancellation_type"] == "seller"
    assert result["products"][0]["price"] == "4099"
    assert result["products"][0]["currency_code"] == "RUB"


def test_fbs_get_unknown_posting_is_404(ozon: Any) -> None:
    response = ozon.post("/v3/posting/fbs/get", {"posting_number": "99999999-0001-1"})
    assert response.status_code == 404
    assert response.json() == {"code": 5, "message": "POSTING_NOT_FOUND", "details": []}


def test_fbo_list_and_get(ozon: Any) -> None:
    postings = walk(ozon, "/v3/posting/fbo/list", {"limit": 2, "filter": PERIOD})
    assert len(postings) == 5
    assert all(p["products"][0]["price"] == {"amount": "3999", "currency": "RUB"} for p in postings)
    assert "has_next" not in postings[0]
    got = ozon.post("/v2/posting/fbo/get", {"posting_number": postings[0]["posting_number"]}).json()["result"]
    assert got["products"][0]["price"] == "3999"
    assert ozon.post("/v2/posting/fbo/get", {"posting_number": "00000000-0001-1"}).status_code == 404


def test_limit_over_100_is_rejected_like_ozon(ozon: Any) -> None:
    response = ozon.post("/v4/posting/fbs/list", {"limit": 1000, "filter": PERIOD})
    assert response.status_code == 400
    assert response.json() == {
        "code": 3,
        "message": "invalid PostingFbsListRequest.Limit: value must be inside range (0, 100]",
        "details": [],
    }
    fbo = ozon.post("/v3/posting/fbo/list", {"limit": 101, "filter": PERIOD})
    assert fbo.json()["message"] == "invalid PostingFboListRequest.Limit: value must be inside range (0, 100]"


def test_missing_filter_and_long_period_are_rejected(ozon: Any) -> None:
    assert ozon.post("/v4/posting/fbs/list", {"limit": 10}).status_code == 400
    body = {"limit": 10, "filter": {"since": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}
    response = ozon.post("/v4/posting/fbs/list", body)
    assert response.status_code == 400
    assert response.json()["message"] == "PERIOD_IS_TOO_LONG"


def test_bad_cursor_is_400(ozon: Any) -> None:
    response = ozon.post("/v4/posting/fbs/list", {"limit": 10, "filter": PERIOD, "cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response.json()["code"] == 3


def test_list_query_uses_the_orders_index(ozon: Any) -> None:
    """The emulator's posting query is a LIMIT over the (account_id, created_at) index, not a world scan."""
    conn = store.connect(ozon.db)
    try:
        account = conn.execute("select * from accounts where id = 'ozon_main'").fetchone()
        ctx = Ctx(conn=conn, account=account, now="2026-09-15T12:00:00Z")
        sql, params = postings_sql(
            ctx, ("fbs", "dbs"), "and o.created_at >= ? and o.created_at <= ?", ["a", "b"]
        )
        plan = conn.execute(f"explain query plan {sql} limit 101", params).fetchall()
    finally:
        conn.close()
    assert any("orders_account_created" in row["detail"] for row in plan), [r["detail"] for r in plan]
