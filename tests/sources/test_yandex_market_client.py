"""The Yandex Market client over real HTTP: auth headers, 420 and auth errors, token-free file downloads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response

from sellerflow.sources._http import AuthError, RateLimitError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.yandex_market import YandexMarketClient
from sellerflow.sources.yandex_market.common import scope_name
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import accounts, generate_world
from sellerflow_emulators.yandex_market import create_app

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 2.0}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("ym_client")).parent


@pytest.fixture
def served(world: Path, tmp_path: Path) -> Iterator[tuple[EmulatorState, str]]:
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(world / name, tmp_path / name)
    state = EmulatorState(tmp_path / "world.sqlite")
    with serve_in_thread(create_app(state)) as url:
        yield state, url


def _account(world: Path, url: str, **extra: object) -> MarketplaceAccount:
    return accounts(world, "yandex_market", url, **extra)[0]


def test_api_key_and_deprecated_oauth_both_authenticate(world: Path, served) -> None:
    _, url = served
    for extra in ({}, {"auth": "oauth"}):
        with YandexMarketClient(_account(world, url, **extra), **FAST) as client:
            campaigns = client.get("/v2/campaigns", {"limit": 100})["campaigns"]
            assert client.business_id() == int(campaigns[0]["business"]["id"])
    with YandexMarketClient(_account(world, url), **FAST) as client:
        assert client.auth_headers().keys() == {"Api-Key"}
    with YandexMarketClient(_account(world, url, auth="oauth"), **FAST) as client:
        assert client.auth_headers().keys() == {"Authorization"}


def test_a_420_is_a_rate_limit_error_with_the_resource_until_hint(world: Path, served) -> None:
    state, url = served
    state.limits.override("yandex_market", "getCampaigns", LimitConfig(1, 60.0))
    with YandexMarketClient(_account(world, url), max_retries=0, **FAST) as client:
        client.get("/v2/campaigns")
        with pytest.raises(RateLimitError) as refused:
            client.get("/v2/campaigns")
    assert refused.value.status == 420
    assert refused.value.retry_after_s is not None
    assert 0 <= refused.value.retry_after_s <= 60
    assert "Hit rate limit of 1 requests" in str(refused.value)


def test_a_key_without_the_scope_is_an_auth_error_and_not_retried(world: Path, served) -> None:
    state, url = served
    state.conn().execute("update accounts set scopes = '[\"pricing\"]' where marketplace = 'yandex_market'")
    state.conn().commit()
    with YandexMarketClient(_account(world, url), **FAST) as client:
        with pytest.raises(AuthError, match="does not have any of the scopes"):
            client.request("POST", f"/v1/businesses/{client.business_id()}/orders", json={})
        assert client.stats.calls == 1, "a 403 is not retried"


def test_report_files_are_downloaded_without_the_token(world: Path, served) -> None:
    _, url = served
    seen: list[dict[str, str]] = []
    files = FastAPI()

    @files.get("/signed/report.zip")
    def report(request: Request) -> Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return Response(b"PK-archive", media_type="application/zip")

    account = _account(world, url)
    with serve_in_thread(files) as storage, YandexMarketClient(account, **FAST) as client:
        content = client.download(f"{storage}/signed/report.zip?X-Amz-Signature=abc")
    assert content == b"PK-archive"
    assert len(seen) == 1
    assert "api-key" not in seen[0]
    assert "authorization" not in seen[0]
    assert account.token not in str(seen[0])


def test_scope_names_and_resource_groups() -> None:
    assert scope_name("ALL_METHODS_READ_ONLY") == "all-methods:read-only"
    assert scope_name("INVENTORY_AND_ORDER_PROCESSING") == "inventory-and-order-processing"
    client = YandexMarketClient.__new__(YandexMarketClient)
    assert client.groups_for("POST", "/v1/businesses/1/orders") == ("orders",)
    assert client.groups_for("POST", "/v2/campaigns/5/offers/stocks") == ("stocks",)
    assert client.groups_for("POST", "/v2/reports/goods-realization/generate") == ("reports_generate",)
    assert client.groups_for("GET", "/v2/reports/info/abc") == ("report_info",)
    assert client.groups_for("GET", "/v2/somewhere/else") == ("default",)


def test_stock_and_price_reads_spend_their_pages_limit() -> None:
    """getStocks/getDefaultPrices quotas count the answer's items: a page spends the most items it can hold."""
    client = YandexMarketClient.__new__(YandexMarketClient)
    stocks, prices = "/v2/campaigns/5/offers/stocks", "/v2/businesses/7/offer-prices"
    assert client.cost_for("POST", stocks, {}, {"limit": 37}) == 37
    assert client.cost_for("POST", stocks, {}, None) == 100, "the spec's default page"
    assert client.cost_for("POST", prices, {}, {"limit": 900}) == 500, "YM truncates the limit to 500"
    assert client.cost_for("POST", prices, {}, {}) == 250
    assert client.cost_for("GET", "/v2/campaigns", None, {"limit": 100}) == 1, "other reads count requests"
