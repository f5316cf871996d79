"""The Yandex Market access scopes and quotas of the client and of the emulator are the vendor's: each equals the
``x-auth-scopes`` and ``x-resource-limit-config`` (tier ``none``) of the vendored spec (openapi.yaml, commit
1318e9b8; docs/vendors/yandex_market.md "Access scopes" and the quota rows). The emulator serves the client's scope
tuples (it imports them), so this test is what keeps both from drifting away from the vendor together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sellerflow.sources.ratelimit import KNOWN_LIMITS
from sellerflow.sources.yandex_market import common
from sellerflow_emulators.limits import DEFAULT_LIMITS
from sellerflow_emulators.yandex_market.operations import OPERATIONS

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
PERIOD_S = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}

# client scope tuple → the operations it opens (the streams' ``scopes``)
CLIENT_SCOPES = {
    "READ_ANY": ("getCampaigns", "getCampaign", "getAuthTokenInfo", "getReportInfo"),
    "ORDERS_READ": ("getBusinessOrders",),
    "WAREHOUSES_READ": ("getPagedWarehouses", "getWarehouses"),
    "OFFERS_READ": ("getOfferMappings", "getStocks"),
    "PRICES_READ": ("getDefaultPrices",),
    "FINANCE_READ": ("generateGoodsRealizationReport", "generateUnitedMarketplaceServicesReport"),
}
# client limiter group (sellerflow.sources.ratelimit.KNOWN_LIMITS) → the operation whose quota it keeps
CLIENT_GROUPS = {
    "auth_token": "getAuthTokenInfo",
    "campaigns": "getCampaigns",
    "warehouses": "getPagedWarehouses",
    "offer_mappings": "getOfferMappings",
    "orders": "getBusinessOrders",
    "stocks": "getStocks",
    "prices": "getDefaultPrices",
    "stocks_update": "updateStocks",
    "prices_update": "updateBusinessPrices",
    "reports_generate": "generateGoodsRealizationReport",
    "report_info": "getReportInfo",
}


@pytest.fixture(scope="module")
def spec_operations() -> dict[str, dict[str, Any]]:
    """operationId → operation object of the vendored spec."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {
        op["operationId"]: op
        for methods in spec["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _quota(op: dict[str, Any]) -> tuple[int, float]:
    tier = op["x-resource-limit-config"]["none"]
    return int(tier["amount"]), PERIOD_S[tier["period"]] * float(tier.get("period-duration", 1))


def test_client_scopes_are_the_specs(spec_operations: dict[str, dict[str, Any]]) -> None:
    for name, operations in CLIENT_SCOPES.items():
        for operation in operations:
            assert getattr(common, name) == tuple(spec_operations[operation]["x-auth-scopes"]), (
                name,
                operation,
            )


def test_emulator_operations_are_the_specs(spec_operations: dict[str, dict[str, Any]]) -> None:
    for name, operation in OPERATIONS.items():
        op = spec_operations[name]
        config = op["x-resource-limit-config"]
        assert operation.scopes == tuple(op["x-auth-scopes"]), name
        assert (operation.amount, operation.period_s) == _quota(op), name
        assert operation.parallel == config.get("parallel-limit-value"), name
        assert operation.counts == (None if config["path"] == "resp" else config["path"]), name


def test_emulator_limits_are_the_specs_quotas(spec_operations: dict[str, dict[str, Any]]) -> None:
    limits = {g: c for g, c in DEFAULT_LIMITS["yandex_market"].items() if g not in ("default", "parallel")}
    assert set(limits) <= set(spec_operations), "every limited group is a spec operation"
    for name, config in limits.items():
        assert (config.limit, config.window_s) == _quota(spec_operations[name]), name


def test_client_limits_are_the_specs_quotas(spec_operations: dict[str, dict[str, Any]]) -> None:
    known = KNOWN_LIMITS["yandex_market"]
    assert set(CLIENT_GROUPS) == set(known) - {"default", "parallel"}, "every client group is mapped here"
    for group, operation in CLIENT_GROUPS.items():
        assert (known[group].rate, known[group].window_s) == _quota(spec_operations[operation]), group
