"""The Partner API operations this emulator serves: access scopes and resource quotas.

Copied from the official spec (``x-auth-scopes`` and ``x-resource-limit-config``, the ``none``
tier) of yandex-market/yandex-market-partner-api @ 1318e9b8 (tests/contracts/yandex_market/openapi.yaml).
The operationId is also the rate-limit group passed to ``RateLimiter.acquire``; ``parallel`` is the
spec's ``parallel-limit-value`` (requests in flight per campaign/business), enforced through the
separate ``parallel`` group.

``counts`` is the spec's ``x-resource-limit-config.path`` where a quota counts items, not requests: the
writes of stocks (``req.skus``) and prices (``req.offers``) spend one unit per product in the body, and the
reads getStocks (``resp.result.warehouses.offers.offerId``) and getDefaultPrices (``resp.result.offers``) one
unit per item of the answer, so ``amount`` is products per period there (docs concepts/limits, "Reducing the
resource limit": the cost of a request is 1, or the size of the collection in the request or the response for
a data-volume limit; method pages: updateStocks and getStocks "100 000 products per minute", getDefaultPrices
"5 000 products per minute" without a subscription).
"""

from __future__ import annotations

from dataclasses import dataclass

from sellerflow.sources.yandex_market.common import (
    FINANCE_READ,
    OFFERS_READ,
    PRICES_READ,
    READ_ANY,
    WAREHOUSES_READ,
)
from sellerflow.sources.yandex_market.common import ORDERS_READ as BUSINESS_ORDERS_READ

# The read scopes are the product's (the client checks a key's scopes against the same spec tuples); the emulator
# adds the write scopes and getOrders' "communication". tests/contracts/yandex_market/test_quotas_and_scopes.py
# holds every operation below equal to the vendored spec.
ORDERS_READ = (*BUSINESS_ORDERS_READ[:4], "communication", *BUSINESS_ORDERS_READ[4:])  # getOrders, getOrder
ORDERS_WRITE = ("all-methods", "inventory-and-order-processing")
OFFERS_WRITE = ("all-methods", "offers-and-cards-management")
PRICES_WRITE = ("all-methods", "pricing")

HOUR = 3600.0
MINUTE = 60.0

# Group name of the parallel-request cap in RateLimiter.acquire(vendor, group, account).
PARALLEL_GROUP = "parallel"


@dataclass(frozen=True)
class Operation:
    """One API method: who may call it and how often (per campaign or business)."""

    name: str
    scopes: tuple[str, ...]
    amount: int  # requests (or, with ``counts``, items) per period
    period_s: float
    parallel: int | None = None  # parallel-limit-value, when the spec gives one
    counts: str | None = None  # x-resource-limit-config.path of an item-counted quota ("req.skus", "resp.…")

    @property
    def counts_answer(self) -> bool:
        """Whether the quota counts the items of the answer (``resp.…``), known only once the answer is built."""
        return self.counts is not None and self.counts.startswith("resp.")

    @property
    def unit(self) -> str:
        """What the quota counts, as the 420 message words it ([?] YM documents no item-quota wording)."""
        return "requests" if self.counts is None else "items"

    @property
    def period_text(self) -> str:
        """Period as the 420 message words it ('1 hour', '2 minutes')."""
        return period_text(self.period_s)


def period_text(seconds: float) -> str:
    """A quota period as the 420 message words it ('1 hour', '2 minutes'; a test's short window in seconds)."""
    if seconds % HOUR == 0:
        n, unit = int(seconds // HOUR), "hour"
    elif seconds % MINUTE == 0:
        n, unit = int(seconds // MINUTE), "minute"
    else:
        n, unit = round(seconds), "second"
    return f"{n} {unit}{'' if n == 1 else 's'}"


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("getCampaigns", READ_ANY, 1000, HOUR),
        Operation("getCampaign", READ_ANY, 5000, HOUR),
        Operation("getAuthTokenInfo", READ_ANY, 100, HOUR),
        Operation("getOfferMappings", OFFERS_READ, 100, MINUTE),
        Operation("getPagedWarehouses", WAREHOUSES_READ, 100, HOUR),
        Operation("getWarehouses", WAREHOUSES_READ, 100, MINUTE),
        Operation("getOrders", ORDERS_READ, 10000, HOUR, parallel=6),
        Operation("getOrder", ORDERS_READ, 10000, HOUR, parallel=6),
        Operation("getBusinessOrders", BUSINESS_ORDERS_READ, 10000, HOUR, parallel=6),
        Operation("updateOrderStatus", ORDERS_WRITE, 10000, HOUR),
        Operation("updateOrderStatuses", ORDERS_WRITE, 10000, HOUR, counts="resp.result.orders"),
        Operation("setOrderBoxLayout", ORDERS_WRITE, 10000, HOUR),
        Operation("getStocks", OFFERS_READ, 100000, MINUTE, counts="resp.result.warehouses.offers.offerId"),
        Operation("updateStocks", OFFERS_WRITE, 100000, MINUTE, counts="req.skus"),
        Operation("getDefaultPrices", PRICES_READ, 5000, MINUTE, counts="resp.result.offers"),
        Operation("updateBusinessPrices", PRICES_WRITE, 10000, MINUTE, counts="req.offers"),
        Operation("generateGoodsRealizationReport", FINANCE_READ, 1, 2 * MINUTE),
        Operation("generateUnitedMarketplaceServicesReport", FINANCE_READ, 1, 2 * MINUTE),
        Operation("getReportInfo", READ_ANY, 100, MINUTE),
    )
}
