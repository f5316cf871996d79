"""Shortages of a finished pick list told to the marketplace: the units the picker did not find are cancelled there
where the vendor's API allows it (targets ``<marketplace>_shortages``, one item per posting with short units).

No sync model: :func:`sellerflow.reverse_etl.statuses.request_assembled` enqueues the item when a list is finished
(payload: ``marketplace``, ``account_id``, ``posting_number``, ``order_number``, ``units`` — the short units with
``unit_ref``, ``offer_id``, ``quantity`` —, ``whole`` when nothing of the posting was found, ``problems``); the
push_statuses DAG drains these targets before the status targets. Facts: docs/vendors/*.md "Shortages".

- Wildberries: an assembly task is one unit, so a short task is cancelled whole: ``PATCH
  /api/v3/orders/{orderId}/cancel`` → 204; 409 for a status that cannot be cancelled. No idempotency key: a task
  tried before, or refused with 409, is read back (``POST /api/v3/orders/status``); ``supplierStatus`` ``cancel``
  means the first cancel took effect (acknowledged, not sent again).
- Megamarket: ``order/reject`` ``{shipments: [{shipmentId, items: [{itemIndex, offerId}]}], reason: {type:
  OUT_OF_STOCK}}`` cancels the listed lots (all of them: the shipment). An item tried before is read back
  (``order/get``): a shipment already ``MERCHANT_CANCELED``, or whose short lots are, is acknowledged.
- Ozon: a posting of which nothing was found is cancelled, ``POST /v2/posting/fbs/cancel`` ``{posting_number,
  cancel_reason_id: 352, cancel_reason_message}`` (352 «Товар закончился на складе продавца»); a repeat answered
  ``POSTING_ALREADY_CANCELLED`` took effect already (acknowledged).
- Yandex Market: an order of which nothing was found is cancelled (``PUT …/orders/{orderId}/status``
  ``CANCELLED/SHOP_FAILED``, legal from PROCESSING/STARTED); units of an order partly found are removed by the
  status step's box layout (``allowRemove: true``, yandex_market_statuses), so that item is acknowledged without a
  call. (DBS also documents ``PUT …/orders/{orderId}/items``; not used.)
- Ozon for part of a posting (``/v2/posting/fbs/product/cancel``) documents a call that sellerflow does not send
  yet (the emulator does not serve it to test against): the item is parked with that reason, so the shortage is
  visible in ``python -m sellerflow.reverse_etl status`` and handled by a person.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget, outcome_for
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.megamarket.client import ORDER_SERVICE, MegamarketClient
from sellerflow.sources.ozon.client import OzonClient
from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.yandex_market.client import YandexMarketClient

OZON_CANCEL = "/v2/posting/fbs/cancel"
OZON_OUT_OF_STOCK = 352  # «Товар закончился на складе продавца» (the spec's example of cancel-reason/list)
NOT_SENT_YET = {
    "ozon": (
        "Ozon cancels part of a posting with POST /v2/posting/fbs/product/cancel (items [{sku, quantity}], "
        "cancel_reason_id): sellerflow does not send it yet — cancel the units in the Ozon cabinet"
    ),
}


def shortage_payload(posting: dict[str, Any]) -> dict[str, Any] | None:
    """The item of a finished posting (``feedback``'s posting with its ``items``), or None when nothing is short."""
    items = posting.get("items") or []
    units = [
        {"unit_ref": str(u.get("unit_ref")), "offer_id": u.get("offer_id"), "quantity": int(u["short"])}
        for u in items
        if int(u.get("short") or 0) > 0
    ]
    if not units:
        return None
    marketplace = str(posting["marketplace"])
    whole = all(int(u.get("picked") or 0) == 0 for u in items)
    sent = marketplace not in NOT_SENT_YET or (marketplace == "ozon" and whole)
    return {
        "marketplace": marketplace,
        "account_id": str(posting["account_id"]),
        "posting_number": str(posting["posting_number"]),
        "order_number": str(posting.get("order_number") or ""),
        "units": units,
        "whole": whole,
        "problems": [] if sent else [NOT_SENT_YET[marketplace]],
    }


class _Shortages(MarketplaceTarget):
    """What the four shortage targets share: enqueued by the TSD, one posting per item."""

    sync_model: ClassVar[str | None] = None  # type: ignore[misc]
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 200

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        units = ", ".join(f"{u['offer_id']}×{u['quantity']}" for u in item.payload["units"])
        return f"cancel the units not found of {item.payload['posting_number']}: {units}"


class WildberriesShortages(_Shortages):
    """``wildberries_shortages``: cancel the short assembly task."""

    name: ClassVar[str] = "wildberries_shortages"
    vendor: ClassVar[str] = "wildberries"
    client_class: ClassVar[type[ApiClient]] = WildberriesClient

    @staticmethod
    def _status(client: WildberriesClient, task: int, requests: list[str]) -> str | None:
        requests.append("POST /api/v3/orders/status (read back)")
        answer = client.post("/api/v3/orders/status", {"orders": [task]}) or {}
        return next(
            (o.get("supplierStatus") for o in answer.get("orders") or [] if int(o["id"]) == task), None
        )

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Cancel the task (read back first when tried before, and after a 409)."""
        assert isinstance(client, WildberriesClient)
        task = int(items[0].payload["posting_number"])
        if (items[0].recovered or items[0].attempts > 1) and self._status(client, task, requests) == "cancel":
            return [Outcome.acknowledged(message="WB already cancelled the task", requests=requests)]
        path = f"/api/v3/orders/{task}/cancel"
        requests.append(f"PATCH {path}")
        try:
            client.request("PATCH", client.url(path), allow_empty=True)
        except MarketplaceAPIError as exc:
            if exc.status == 409 and self._status(client, task, requests) == "cancel":
                return [Outcome.acknowledged(message="WB already cancelled the task", requests=requests)]
            return [outcome_for(exc, requests)]
        return [Outcome.acknowledged(message="task cancelled: not found at picking", requests=requests)]


class MegamarketShortages(_Shortages):
    """``megamarket_shortages``: order/reject the short lots (OUT_OF_STOCK)."""

    name: ClassVar[str] = "megamarket_shortages"
    vendor: ClassVar[str] = "megamarket"
    client_class: ClassVar[type[ApiClient]] = MegamarketClient

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Reject the short lots (read back first when tried before)."""
        assert isinstance(client, MegamarketClient)
        item = items[0]
        shipment = str(item.payload["posting_number"])
        lots = [{"itemIndex": str(u["unit_ref"]), "offerId": u["offer_id"]} for u in item.payload["units"]]
        if item.recovered or item.attempts > 1:
            requests.append("POST order/get (read back)")
            found = client.get_shipments([shipment])
            current = found[0] if found else {}
            cancelled = {
                str(i.get("itemIndex"))
                for i in current.get("items") or []
                if str(i.get("status") or "").endswith("CANCELED")
            }
            if str(current.get("status") or "").endswith("CANCELED"):
                cancelled |= {lot["itemIndex"] for lot in lots}
            lots = [lot for lot in lots if lot["itemIndex"] not in cancelled]
            if not lots:
                return [Outcome.acknowledged(message="Megamarket already rejected them", requests=requests)]
        requests.append("POST order/reject")
        client.call(
            f"{ORDER_SERVICE}/order/reject",
            {
                "shipments": [{"shipmentId": shipment, "items": lots}],
                "reason": {"type": "OUT_OF_STOCK", "comment": "not found at picking"},
            },
        )
        return [Outcome.acknowledged(message=f"{len(lots)} lots rejected: OUT_OF_STOCK", requests=requests)]


class OzonShortages(_Shortages):
    """``ozon_shortages``: a posting of which nothing was found is cancelled (reason 352); a part of one is parked
    (``/v2/posting/fbs/product/cancel`` is not sent yet)."""

    name: ClassVar[str] = "ozon_shortages"
    vendor: ClassVar[str] = "ozon"
    client_class: ClassVar[type[ApiClient]] = OzonClient

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Cancel the whole posting; Ozon's POSTING_ALREADY_CANCELLED means it is cancelled already."""
        posting = str(items[0].payload["posting_number"])
        body = {
            "posting_number": posting,
            "cancel_reason_id": OZON_OUT_OF_STOCK,
            "cancel_reason_message": "not found at picking",
        }
        requests.append(f"POST {OZON_CANCEL} {posting}")
        try:
            client.request("POST", OZON_CANCEL, json=body)
        except MarketplaceAPIError as exc:
            if "POSTING_ALREADY_CANCELLED" in str(exc):
                return [Outcome.acknowledged(message="Ozon had already cancelled it", requests=requests)]
            return [outcome_for(exc, requests)]
        return [
            Outcome.acknowledged(message="posting cancelled: nothing found at picking", requests=requests)
        ]


class YandexMarketShortages(_Shortages):
    """``yandex_market_shortages``: an order of which nothing was found is cancelled (CANCELLED/SHOP_FAILED); part
    of one is removed by the status step's box layout (``allowRemove``), so nothing is sent here."""

    name: ClassVar[str] = "yandex_market_shortages"
    vendor: ClassVar[str] = "yandex_market"
    client_class: ClassVar[type[ApiClient]] = YandexMarketClient

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Cancel the whole order; a part is left to yandex_market_statuses."""
        item = items[0]
        if not item.payload["whole"]:
            return [
                Outcome.acknowledged(
                    message="removed by the box layout of yandex_market_statuses (allowRemove)",
                    requests=requests,
                )
            ]
        campaign = item.payload.get("campaign_id") or self._accounts(account_id).settings.get("campaign_id")
        path = f"/v2/campaigns/{int(campaign)}/orders/{int(item.payload['posting_number'])}/status"
        requests.append(f"PUT {path} CANCELLED/SHOP_FAILED")
        client.request("PUT", path, json={"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}})
        return [Outcome.acknowledged(message="order cancelled: nothing found at picking", requests=requests)]
