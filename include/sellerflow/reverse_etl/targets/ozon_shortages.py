"""Ozon shortages (target ``ozon_shortages``): what a finished pick list did not find of an Ozon posting is cancelled
at Ozon, so the posting can be shipped with what was found. Facts and sources: docs/vendors/ozon.md "Shortages".

- Nothing of the posting was found: one item per posting (key ``<cabinet>:<posting>``), ``POST
  /v2/posting/fbs/cancel`` ``{posting_number, cancel_reason_id: 352, cancel_reason_message}``.
- Part of it: one item per posting and product (key ``<cabinet>:<posting>:<SKU>``), ``POST
  /v2/posting/fbs/product/cancel`` ``{posting_number, cancel_reason_id: 352, cancel_reason_message, items: [{sku,
  quantity}]}`` with the units of that SKU not found; Ozon answers ``{"result": "<posting number>"}`` and the units
  leave the posting, so its ship (``ozon_statuses``, drained after the shortages) sends exactly what was picked.

352 is «Товар закончился на складе продавца», the spec's example of ``/v2/posting/fbs/cancel-reason/list``. Ozon
takes no idempotency key. A repeat of the whole cancel answered ``POSTING_ALREADY_CANCELLED`` took effect already.
A product cancel tried before (a retry, or a sender that vanished after sending) is read back first
(``/v3/posting/fbs/get``): when the posting holds no more of the SKU than planned − short, or is cancelled, the
first call took effect and nothing is sent again. A refusal (``HAS_INCORRECT_STATUS`` once the posting is shipped,
``HAS_INCORRECT_PRODUCT_QUANTITY`` …) parks the item with Ozon's message: only what Ozon forbids is parked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.targets.marketplace_shortages import Shortages
from sellerflow.reverse_etl.vendor_target import outcome_for
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.ozon.client import OzonClient

CANCEL = "/v2/posting/fbs/cancel"
PRODUCT_CANCEL = "/v2/posting/fbs/product/cancel"
GET = "/v3/posting/fbs/get"
OUT_OF_STOCK = 352  # «Товар закончился на складе продавца» (the spec's example of cancel-reason/list)
MESSAGE = "not found at picking"
ALREADY_CANCELLED = "POSTING_ALREADY_CANCELLED"
_CODES = (
    ALREADY_CANCELLED,
    "HAS_INCORRECT_STATUS",
    "HAS_INCORRECT_PRODUCT_QUANTITY",
    "UNKNOWN_PRODUCT_DEFINED",
    "HAS_INCORRECT_CANCEL_REASON",
    "POSTING_NOT_FOUND",
)


class OzonShortages(Shortages):
    """``ozon_shortages``: cancel the posting (nothing found) or the short units of one product of it."""

    name: ClassVar[str] = "ozon_shortages"
    vendor: ClassVar[str] = "ozon"
    client_class: ClassVar[type[ApiClient]] = OzonClient

    def send_one(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        """One cancel call for the item's posting or product."""
        if item.payload["whole"]:
            return self._cancel_posting(client, str(item.payload["posting_number"]), requests)
        return self._cancel_product(client, item, requests)

    @staticmethod
    def _post(client: ApiClient, path: str, body: dict[str, Any], requests: list[str]) -> Outcome | None:
        """Send; None when Ozon took it, else the outcome of its refusal."""
        requests.append(f"POST {path} {body['posting_number']}")
        try:
            client.request("POST", path, json=body)
        except MarketplaceAPIError as exc:
            if ALREADY_CANCELLED in str(exc):
                return Outcome.acknowledged(
                    message="Ozon had already cancelled the posting", requests=requests
                )
            outcome = outcome_for(exc, requests)
            if outcome.kind == "permanent":
                outcome.vendor_code = next((c for c in _CODES if c in str(exc)), None)
            return outcome
        return None

    def _cancel_posting(self, client: ApiClient, posting: str, requests: list[str]) -> Outcome:
        body = {"posting_number": posting, "cancel_reason_id": OUT_OF_STOCK, "cancel_reason_message": MESSAGE}
        refused = self._post(client, CANCEL, body, requests)
        return refused or Outcome.acknowledged(
            message="posting cancelled: nothing found at picking", requests=requests
        )

    def _cancel_product(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        posting, sku = str(item.payload["posting_number"]), int(item.payload["unit_ref"])
        short = sum(int(u["quantity"]) for u in item.payload["units"])
        if self.tried_before(item):
            done = self._already_cancelled(client, item, posting, sku, short, requests)
            if done is not None:
                return done
        body = {
            "posting_number": posting,
            "cancel_reason_id": OUT_OF_STOCK,
            "cancel_reason_message": MESSAGE,
            "items": [{"sku": sku, "quantity": short}],
        }
        refused = self._post(client, PRODUCT_CANCEL, body, requests)
        return refused or Outcome.acknowledged(
            message=f"{short} units of SKU {sku} cancelled: not found at picking", requests=requests
        )

    @staticmethod
    def _already_cancelled(
        client: ApiClient, item: Item, posting: str, sku: int, short: int, requests: list[str]
    ) -> Outcome | None:
        """Read the posting back: acknowledged when an earlier call took effect, else None (send)."""
        requests.append(f"POST {GET} {posting} (read back)")
        found = (client.request("POST", GET, json={"posting_number": posting}) or {}).get("result") or {}
        if found.get("status") == "cancelled":
            return Outcome.acknowledged(message="Ozon had already cancelled the posting", requests=requests)
        planned = sum(int(u.get("planned") or u["quantity"]) for u in item.payload["units"])
        held = sum(
            int(p.get("quantity") or 0) for p in found.get("products") or [] if int(p.get("sku") or 0) == sku
        )
        if held <= planned - short:
            return Outcome.acknowledged(message=f"Ozon already holds {held} of SKU {sku}", requests=requests)
        return None
