"""Authentication and access: Api-Key, legacy OAuth Bearer, scopes, foreign and unknown campaigns."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from .conftest import BUSINESS, FBS_CAMPAIGN, FIN_CAMPAIGN, FIN_TOKEN, OTHER_CAMPAIGN, TOKEN, Contract


def _error(resp: httpx.Response) -> tuple[int, str, str]:
    body = resp.json()
    assert body["status"] == "ERROR"
    return resp.status_code, body["errors"][0]["code"], body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (401, "UNAUTHORIZED", "Credentials are not specified")),
        ({"Api-Key": "ACMA:wrong:token"}, (401, "UNAUTHORIZED", "Api-Key token is invalid")),
        ({"Api-Key": f"Bearer {TOKEN}"}, (401, "UNAUTHORIZED", "Api-Key token prefix invalid")),
        ({"Api-Key": "ozon-token"}, (401, "UNAUTHORIZED", "Api-Key token is invalid")),
        ({"Authorization": "Bearer y0_wrong"}, (403, "FORBIDDEN", "OAuth token is invalid")),
        (
            {"Authorization": "Basic dXNlcjpwYXNz"},
            (401, "UNAUTHORIZED", "Unsupported authorization type specified in Authorization header"),
        ),
    ],
)
def test_bad_credentials_get_the_documented_error(
    ro_client: httpx.Client, contract: Contract, headers: dict[str, str], expected: tuple[int, str, str]
) -> None:
    resp = httpx.get(f"{ro_client.base_url}/v2/campaigns", headers=headers)
    assert _error(resp) == expected
    schema = "ApiUnauthorizedErrorResponse" if expected[0] == 401 else "ApiForbiddenErrorResponse"
    contract.validate(resp.json(), schema)


def test_api_key_lists_the_cabinet_campaigns(ro_client: httpx.Client, contract: Contract) -> None:
    resp = ro_client.get("/v2/campaigns")
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetCampaignsResponse")
    campaigns = resp.json()["campaigns"]
    assert [(c["id"], c["placementType"], c["business"]["id"]) for c in campaigns] == [
        (FBS_CAMPAIGN, "FBS", BUSINESS),
        (2200, "DBS", BUSINESS),
    ]


def test_legacy_oauth_bearer_is_accepted(ro_client: httpx.Client) -> None:
    resp = httpx.get(
        f"{ro_client.base_url}/v2/campaigns/{FBS_CAMPAIGN}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert resp.status_code == 200
    assert resp.json()["campaign"]["id"] == FBS_CAMPAIGN


def test_unprefixed_legacy_paths_reach_the_same_operations(ro_client: httpx.Client) -> None:
    plain = ro_client.get(f"/campaigns/{FBS_CAMPAIGN}/orders", params={"limit": 5})
    dotted = ro_client.get(f"/campaigns/{FBS_CAMPAIGN}/orders.json", params={"limit": 5})
    v2 = ro_client.get(f"/v2/campaigns/{FBS_CAMPAIGN}/orders", params={"limit": 5})
    assert plain.status_code == dotted.status_code == v2.status_code == 200
    assert plain.json()["orders"] == dotted.json()["orders"] == v2.json()["orders"]


def test_token_without_the_method_scope_is_forbidden(ro_client: httpx.Client) -> None:
    headers = {"Api-Key": FIN_TOKEN}
    resp = httpx.get(f"{ro_client.base_url}/v2/campaigns/{FIN_CAMPAIGN}/orders", headers=headers)
    assert resp.status_code == 200  # finance-and-accounting may read orders
    stocks = httpx.put(
        f"{ro_client.base_url}/v2/campaigns/{FIN_CAMPAIGN}/offers/stocks",
        headers=headers,
        json={"skus": [{"sku": "SKU-1", "items": [{"count": 1}]}]},
    )
    assert _error(stocks) == (
        403,
        "FORBIDDEN",
        "Token does not have any of the scopes to access the API method",
    )


def test_token_info_reports_name_and_scopes(ro_client: httpx.Client, contract: Contract) -> None:
    resp = httpx.post(f"{ro_client.base_url}/v2/auth/token", headers={"Api-Key": FIN_TOKEN})
    assert resp.status_code == 200
    contract.validate(resp.json(), "GetTokenInfoResponse")
    assert resp.json()["result"]["apiKey"]["authScopes"] == ["FINANCE_AND_ACCOUNTING"]


def test_foreign_campaign_is_forbidden_and_unknown_is_not_found(
    ro_client: httpx.Client, contract: Contract
) -> None:
    foreign = ro_client.get(f"/v2/campaigns/{OTHER_CAMPAIGN}/orders")
    assert _error(foreign) == (403, "FORBIDDEN", "Access denied")
    unknown = ro_client.get("/v2/campaigns/999999/orders")
    assert _error(unknown) == (404, "NOT_FOUND", "Campaign not found: '999999'")
    contract.validate(unknown.json(), "ApiNotFoundErrorResponse")
    other_business = ro_client.post("/v2/businesses/1400/offer-mappings", json={})
    assert _error(other_business) == (403, "FORBIDDEN", "Access denied")


def test_expired_token_is_revoked(client: httpx.Client, db: sqlite3.Connection) -> None:
    with db:
        db.execute("update accounts set token_expires_at = '2025-02-01T00:00:00Z' where token = ?", (TOKEN,))
    resp = client.get("/v2/campaigns")
    assert _error(resp) == (401, "UNAUTHORIZED", "Api-Key token is revoked")
