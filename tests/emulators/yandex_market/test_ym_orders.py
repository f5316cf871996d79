"""Order reads: legacy getOrders (page/pageSize and page_token), getOrder, getBusinessOrders."""

from __future__ import annotations

import httpx

from .conftest import (
    BUSINESS,
    DBS_CAMPAIGN,
    DBS_ORDER,
    FBS_CAMPAIGN,
    N_BULK_ORDERS,
    ORDER_CANCELLED,
    ORDER_CHANGES_LATER,
    ORDER_DELIVERED,
    ORDER_FUTURE,
    ORDER_STARTED,
    Contract,
)

VISIBLE_FBS = N_BULK_ORDERS + 4  # started, delivered, cancelled, changes-later; the future one is hidden


def _all_legacy_ids(client: httpx.Client, **params: object) -> list[int]:
    ids: list[int] = []
    token = None
    while True:
        query = {"limit": 50, **params, **({"page_token": token} if token else {})}
        body = client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params=query).json()
        ids.extend(o["id"] for o in body["orders"])
        token = body["paging"].get("nextPageToken")
        if not token:
            return ids


def test_legacy_orders_page_token_walks_every_visible_order_once(ro_client: httpx.Client) -> None:
    ids = _all_legacy_ids(ro_client)
    assert len(ids) == VISIBLE_FBS
    assert len(set(ids)) == len(ids)
    assert ORDER_FUTURE not in ids


def test_legacy_orders_page_and_page_size_fill_the_pager(ro_client: httpx.Client) -> None:
    resp = ro_client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"page": 3, "pageSize": 50})
    assert resp.status_code == 200
    body = resp.json()
    assert body["pager"] == {
        "total": VISIBLE_FBS,
        "from": 101,
        "to": VISIBLE_FBS,
        "currentPage": 3,
        "pagesCount": 3,
        "pageSize": 50,
    }
    assert len(body["orders"]) == VISIBLE_FBS - 100


def test_legacy_orders_limit_above_fifty_is_truncated(ro_client: httpx.Client) -> None:
    body = ro_client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"limit": 500}).json()
    assert len(body["orders"]) == 50
    assert body["paging"]["nextPageToken"]


def test_legacy_order_shapes_and_status_at_the_clock(ro_client: httpx.Client, contract: Contract) -> None:
    body = ro_client.get(
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders",
        params={"orderIds": f"{ORDER_STARTED},{ORDER_DELIVERED},{ORDER_CANCELLED},{ORDER_CHANGES_LATER}"},
    ).json()
    contract.validate(body, "GetOrdersResponse")
    by_id = {o["id"]: o for o in body["orders"]}
    assert (by_id[ORDER_STARTED]["status"], by_id[ORDER_STARTED]["substatus"]) == ("PROCESSING", "STARTED")
    assert (by_id[ORDER_DELIVERED]["status"], by_id[ORDER_DELIVERED]["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )
    assert by_id[ORDER_CANCELLED]["substatus"] == "USER_CHANGED_MIND"
    # READY_TO_SHIP happens an hour after the clock: not visible yet.
    assert by_id[ORDER_CHANGES_LATER]["substatus"] == "STARTED"
    started = by_id[ORDER_STARTED]
    assert started["creationDate"] == "05-02-2025 15:00:00"  # 12:00Z in Moscow time
    assert started["itemsTotal"] == 2401  # 1500.00 + 2 * 450.50
    assert [(i["offerId"], i["count"], i["price"]) for i in started["items"]] == [
        ("SKU-1", 1, 1500),
        ("SKU-2", 2, 450.5),
    ]
    assert by_id[ORDER_DELIVERED]["externalOrderId"] == "EXT-2"
    assert by_id[ORDER_DELIVERED]["delivery"]["dates"]["realDeliveryDate"] == "08-02-2025"


def test_legacy_orders_filter_by_status(ro_client: httpx.Client) -> None:
    body = ro_client.get(
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"status": "CANCELLED,DELIVERED"}
    ).json()
    assert sorted(o["id"] for o in body["orders"]) == [ORDER_DELIVERED, ORDER_CANCELLED]


def test_legacy_orders_date_window_is_by_creation_with_exclusive_to_date(ro_client: httpx.Client) -> None:
    # Only the three orders of 05-02 (Moscow) are created before 06-02.
    body = ro_client.get(
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"fromDate": "01-02-2025", "toDate": "06-02-2025"}
    ).json()
    assert sorted(o["id"] for o in body["orders"]) == sorted(
        [ORDER_STARTED, ORDER_DELIVERED, ORDER_CANCELLED, ORDER_CHANGES_LATER]
    )


def test_legacy_orders_reject_a_period_over_thirty_days(ro_client: httpx.Client) -> None:
    resp = ro_client.get(
        f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"fromDate": "01-12-2024", "toDate": "10-02-2025"}
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "status": "ERROR",
        "errors": [{"code": "BAD_REQUEST", "message": "Too long time period. Maximum is '30' days"}],
    }


def test_get_order_returns_one_order_and_404_for_unknown(ro_client: httpx.Client, contract: Contract) -> None:
    resp = ro_client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders/{ORDER_STARTED}")
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetOrderResponse")
    assert resp.json()["order"]["id"] == ORDER_STARTED
    missing = ro_client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders/{ORDER_FUTURE}")
    assert missing.status_code == 404
    contract.validate(missing.json(), "ApiNotFoundErrorResponse")


def test_business_orders_cover_all_campaigns_with_cursor_paging(
    ro_client: httpx.Client, contract: Contract
) -> None:
    seen: list[int] = []
    campaigns: set[int] = set()
    token = None
    while True:
        resp = ro_client.post(
            f"/v1/businesses/{BUSINESS}/orders", params={"page_token": token} if token else {}, json={}
        )
        assert resp.status_code == 200
        body = resp.json()
        contract.validate(body, "GetBusinessOrdersResponse")
        assert len(body["orders"]) <= 50
        seen.extend(o["orderId"] for o in body["orders"])
        campaigns.update(o["campaignId"] for o in body["orders"])
        token = body["paging"].get("nextPageToken")
        if not token:
            break
    assert len(seen) == VISIBLE_FBS + 1 == len(set(seen))
    assert campaigns == {FBS_CAMPAIGN, DBS_CAMPAIGN}


def test_business_orders_filters_by_campaign_status_and_program(ro_client: httpx.Client) -> None:
    body = ro_client.post(
        f"/v1/businesses/{BUSINESS}/orders",
        json={"campaignIds": [DBS_CAMPAIGN], "statuses": ["PROCESSING"], "programTypes": ["DBS"]},
    ).json()
    assert [(o["orderId"], o["programType"], o["substatus"]) for o in body["orders"]] == [
        (DBS_ORDER, "DBS", "READY_TO_SHIP")
    ]
    dated = ro_client.post(f"/v1/businesses/{BUSINESS}/orders", json={"orderIds": [ORDER_DELIVERED]}).json()[
        "orders"
    ][0]
    assert dated["creationDate"] == "2025-02-05T16:00:00+03:00"
    assert dated["delivery"]["dates"]["realDeliveryDate"] == "2025-02-08"
    assert dated["delivery"]["warehouseId"] == "51001"


def test_business_orders_limit_truncated_to_fifty(ro_client: httpx.Client) -> None:
    body = ro_client.post(f"/v1/businesses/{BUSINESS}/orders", params={"limit": 200}, json={}).json()
    assert len(body["orders"]) == 50


def test_orders_list_reads_one_page_through_the_account_index(db: object) -> None:
    import sqlite3

    from sellerflow_emulators.yandex_market.order_query import OrderFilter, _sql

    assert isinstance(db, sqlite3.Connection)
    flt = OrderFilter()
    flt.add(flt.order_where, "o.account_id = :acc", acc="yandex_market_main")
    base, status_where = _sql(flt)
    plan = db.execute(
        f"explain query plan {base} select * from ym where {status_where} order by created_at, id limit 50",
        {**flt.params, "now": "2025-02-10T12:00:00Z"},
    ).fetchall()
    assert any("orders_account_created" in row["detail"] for row in plan)
