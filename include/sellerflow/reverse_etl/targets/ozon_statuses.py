"""Ozon FBS/rFBS statuses: 1C progress → ``POST /v4/posting/fbs/ship`` (package + ship in one call).

Desired state: ``marts.sync_ozon__statuses`` (payload ``posting_number``, ``products[{product_id (the SKU),
quantity}]``, ``step`` = ``ship``, ``problems``; one item per posting). The model asks only for the legal step:
ship from ``awaiting_packaging`` (→ ``awaiting_deliver``); a cancelled posting, or one in any other status, is parked
with the reason before any call (docs/vendors/ozon.md). Ozon answers 200 ``{"result": [posting numbers]}``; its
refusals (``POSTING_ALREADY_CANCELLED``, ``HAS_INCORRECT_STATUS``, ``HAS_INCORRECT_PRODUCT_QUANTITY`` …) park the
item with Ozon's code. No idempotency key: a ship repeated after a crash (or any retry) that Ozon refuses with
``POSTING_ALREADY_SHIPPED`` means the first one took effect — acknowledged, nothing shipped twice. A posting a pick
list did not wholly find (payload ``short_units``) ships the units found once ``ozon_shortages`` cancelled the rest
(drained first by push_statuses); until then Ozon's ``HAS_INCORRECT_PRODUCT_QUANTITY`` is retried, not parked.
"""

from __future__ import annotations

from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget, outcome_for
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.ozon.client import OzonClient

PATH = "/v4/posting/fbs/ship"
ALREADY = "POSTING_ALREADY_SHIPPED"
QUANTITY = "HAS_INCORRECT_PRODUCT_QUANTITY"
WAITING = (
    "Ozon still counts the units the pick list did not find: shipped once ozon_shortages has cancelled them "
    "(/v2/posting/fbs/product/cancel)"
)


class OzonStatuses(MarketplaceTarget):
    """The ``ozon_statuses`` target (one request per posting: Ozon's ship takes one posting)."""

    name: ClassVar[str] = "ozon_statuses"
    vendor: ClassVar[str] = "ozon"
    sync_model: ClassVar[str] = "marts.sync_ozon__statuses"
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 200
    client_class: ClassVar[type[ApiClient]] = OzonClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"POST {PATH} posting_number={item.payload['posting_number']} (one package)"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Ship one posting in one package."""
        item = items[0]
        body = {
            "posting_number": item.payload["posting_number"],
            "packages": [{"products": item.payload["products"]}],
        }
        requests.append(f"POST {PATH} {item.payload['posting_number']}")
        try:
            client.request("POST", PATH, json=body)
        except MarketplaceAPIError as exc:
            if ALREADY in str(exc) and (item.recovered or item.attempts > 1):
                return [Outcome.acknowledged(message="Ozon already shipped it (a repeat)", requests=requests)]
            if QUANTITY in str(exc) and item.payload.get("short_units"):
                return [Outcome.transient(WAITING, http_status=exc.status, requests=requests)]
            outcome = outcome_for(exc, requests)
            if outcome.kind == "permanent":
                outcome.vendor_code = next((c for c in _CODES if c in str(exc)), None)
            return [outcome]
        return [Outcome.acknowledged(message="shipped: awaiting_deliver", requests=requests)]


_CODES = (
    ALREADY,
    "POSTING_ALREADY_CANCELLED",
    "HAS_INCORRECT_STATUS",
    QUANTITY,
    "UNKNOWN_PRODUCT_DEFINED",
    "POSTING_NOT_FOUND",
)
