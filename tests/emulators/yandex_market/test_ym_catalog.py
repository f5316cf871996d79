"""Offers, warehouses, stocks and prices: reads against the spec, writes into the canonical tables."""

from __future__ import annotations

import json
import sqlite3

import httpx

from .conftest import BUSINESS, DBS_CAMPAIGN, DBS_WAREHOUSE, FBS_CAMPAIGN, FBS_WAREHOUSE, Contract


def test_offer_mappings_carry_barcodes_market_sku_and_price(
    ro_client: httpx.Client, contract: Contract
) -> None:
    resp = ro_client.post(f"/v2/businesses/{BUSINESS}/offer-mappings", json={})
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetOfferMappingsResponse")
    mappings = {m["offer"]["offerId"]: m for m in resp.json()["result"]["offerMappings"]}
    assert sorted(mappings) == ["SKU-1", "SKU-2", "SKU-3"]
    kettle = mappings["SKU-1"]
    assert kettle["offer"]["barcodes"] == ["4600000000011"]
    assert kettle["mapping"]["marketSku"] == 101
    assert kettle["offer"]["basicPrice"]["value"] == 1500
    assert kettle["offer"]["basicPrice"]["discountBase"] == 1990
    assert [c["campaignId"] for c in kettle["offer"]["campaigns"]] == [FBS_CAMPAIGN, DBS_CAMPAIGN]


def test_offer_mappings_page_and_filter(ro_client: httpx.Client) -> None:
    first = ro_client.post(f"/v2/businesses/{BUSINESS}/offer-mappings", params={"limit": 2}, json={}).json()
    ids = [m["offer"]["offerId"] for m in first["result"]["offerMappings"]]
    token = first["result"]["paging"]["nextPageToken"]
    second = ro_client.post(
        f"/v2/businesses/{BUSINESS}/offer-mappings", params={"page_token": token, "limit": 2}, json={}
    ).json()
    ids += [m["offer"]["offerId"] for m in second["result"]["offerMappings"]]
    assert ids == ["SKU-1", "SKU-2", "SKU-3"]
    assert "nextPageToken" not in second["result"]["paging"]
    only = ro_client.post(f"/v2/businesses/{BUSINESS}/offer-mappings", json={"offerIds": ["SKU-2"]}).json()
    assert [m["offer"]["offerId"] for m in only["result"]["offerMappings"]] == ["SKU-2"]


def test_paged_warehouses_and_limit_over_maximum(ro_client: httpx.Client, contract: Contract) -> None:
    resp = ro_client.post(f"/v2/businesses/{BUSINESS}/warehouses", json={"components": ["ADDRESS", "STATUS"]})
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetPagedWarehousesResponse")
    assert [(w["id"], w["campaignId"]) for w in resp.json()["result"]["warehouses"]] == [
        (FBS_WAREHOUSE, FBS_CAMPAIGN),
        (DBS_WAREHOUSE, DBS_CAMPAIGN),
    ]
    too_many = ro_client.post(f"/v2/businesses/{BUSINESS}/warehouses", params={"limit": 31}, json={})
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["message"] == "Limit exceeded"
    legacy = ro_client.get(f"/v2/businesses/{BUSINESS}/warehouses")
    contract.validate(legacy.json(), "GetWarehousesResponse")


def test_stocks_read_by_warehouse_with_fit_freeze_available(
    ro_client: httpx.Client, contract: Contract
) -> None:
    resp = ro_client.post(f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks", json={})
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetWarehouseStocksResponse")
    [warehouse] = resp.json()["result"]["warehouses"]
    assert warehouse["warehouseId"] == FBS_WAREHOUSE
    kettle = next(o for o in warehouse["offers"] if o["offerId"] == "SKU-1")
    assert {s["type"]: s["count"] for s in kettle["stocks"]} == {"FIT": 10, "FREEZE": 2, "AVAILABLE": 8}
    with_stock = ro_client.post(
        f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks", json={"hasStocks": True}
    ).json()
    assert [o["offerId"] for o in with_stock["result"]["warehouses"][0]["offers"]] == ["SKU-1", "SKU-3"]
    over = ro_client.post(f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks", params={"limit": 201}, json={})
    assert over.status_code == 400


def test_update_stocks_writes_the_campaign_warehouse(client: httpx.Client, db: sqlite3.Connection) -> None:
    body = {
        "skus": [
            {"sku": "SKU-1", "items": [{"count": 3, "updatedAt": "2025-02-10T14:00:00+03:00"}]},
            {"sku": "SKU-NEW", "items": [{"count": 5}]},
        ]
    }
    resp = client.put(f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks", json=body)
    assert resp.status_code == 200
    assert resp.json() == {"status": "OK"}
    rows = db.execute(
        "select offer_id, present, updated_at from stocks where warehouse_id = 'yandex_market_main:fbs1' "
        "and offer_id in ('SKU-1', 'SKU-NEW') order by offer_id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("SKU-1", 3, "2025-02-10T11:00:00Z"),
        ("SKU-NEW", 5, "2025-02-10T12:00:00Z"),
    ]
    [log] = db.execute("select method, body from push_log").fetchall()
    assert log["method"] == "PUT"
    assert json.loads(log["body"])["skus"][1]["sku"] == "SKU-NEW"


def test_update_stocks_rejects_bad_batches(
    client: httpx.Client, db: sqlite3.Connection, contract: Contract
) -> None:
    url = f"/v2/campaigns/{FBS_CAMPAIGN}/offers/stocks"
    duplicate = client.put(url, json={"skus": [{"sku": "A", "items": [{"count": 1}]}] * 2})
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["message"] == "Duplicate sku: 'A'"
    contract.validate(duplicate.json(), "ApiClientDataErrorResponse")
    too_many = client.put(
        url, json={"skus": [{"sku": f"S{i}", "items": [{"count": 1}]} for i in range(2001)]}
    )
    assert too_many.status_code == 400
    negative = client.put(url, json={"skus": [{"sku": "A", "items": [{"count": -1}]}]})
    assert negative.status_code == 400
    assert db.execute("select count(*) from push_log").fetchone()[0] == 0


def test_business_prices_update_and_read_back(
    client: httpx.Client, db: sqlite3.Connection, contract: Contract
) -> None:
    update = client.post(
        f"/v2/businesses/{BUSINESS}/offer-prices/updates",
        json={
            "offers": [
                {"offerId": "SKU-1", "price": {"value": 1399.9, "currencyId": "RUR", "discountBase": 1799}}
            ]
        },
    )
    assert update.status_code == 200
    contract.validate(update.json(), "EmptyApiResponse")
    rows = db.execute(
        "select account_id, price_kop, old_price_kop from offers where offer_id = 'SKU-1'"
    ).fetchall()
    assert sorted(tuple(r) for r in rows) == [
        ("yandex_market_dbs", 139990, 179900),
        ("yandex_market_main", 139990, 179900),
    ]
    prices = client.post(f"/v2/businesses/{BUSINESS}/offer-prices", json={"offerIds": ["SKU-1"]})
    contract.validate(prices.json(), "GetDefaultPricesResponse")
    [offer] = prices.json()["result"]["offers"]
    assert offer["price"] == {
        "value": 1399.9,
        "currencyId": "RUR",
        "discountBase": 1799,
        "updatedAt": "2025-02-10T15:00:00+03:00",
    }
    assert (
        db.execute("select count(*) from push_log where path like '%offer-prices/updates'").fetchone()[0] == 1
    )


def test_business_prices_reject_duplicates_and_oversized_batches(client: httpx.Client) -> None:
    url = f"/v2/businesses/{BUSINESS}/offer-prices/updates"
    price = {"value": 10, "currencyId": "RUR"}
    dup = client.post(url, json={"offers": [{"offerId": "SKU-1", "price": price}] * 2})
    assert dup.status_code == 400
    big = client.post(url, json={"offers": [{"offerId": f"S{i}", "price": price} for i in range(501)]})
    assert big.status_code == 400
    assert (
        big.json()["errors"][0]["message"]
        == "Value / length of field (offers) must be less than or equal to 500"
    )


def test_business_prices_refuse_a_zero_price_and_a_discount_outside_5_to_99_percent(
    client: httpx.Client, db: sqlite3.Connection
) -> None:
    url = f"/v2/businesses/{BUSINESS}/offer-prices/updates"
    zero = client.post(
        url, json={"offers": [{"offerId": "SKU-1", "price": {"value": 0, "currencyId": "RUR"}}]}
    )
    assert zero.status_code == 400
    tiny = {"value": 990, "currencyId": "RUR", "discountBase": 1000}  # 1 % off: below Market's 5 %
    small = client.post(url, json={"offers": [{"offerId": "SKU-1", "price": tiny}]})
    assert small.status_code == 400
    assert "discount" in small.json()["errors"][0]["message"]
    assert db.execute("select count(*) from push_log").fetchone()[0] == 0


def test_update_stocks_of_a_dbs_campaign_land_in_its_own_warehouse(
    client: httpx.Client, db: sqlite3.Connection
) -> None:
    body = {"skus": [{"sku": "SKU-DBS", "items": [{"count": 7}]}]}
    assert client.put(f"/v2/campaigns/{DBS_CAMPAIGN}/offers/stocks", json=body).status_code == 200
    rows = db.execute(
        "select w.external_id, s.present from stocks s join warehouses w on w.id = s.warehouse_id "
        "where s.offer_id = 'SKU-DBS'"
    ).fetchall()
    assert [tuple(r) for r in rows] == [(str(DBS_WAREHOUSE), 7)]
