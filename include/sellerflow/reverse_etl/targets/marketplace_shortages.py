"""Shortages of a finished pick list told to the marketplace: the units the picker did not find are cancelled there
where the vendor's API allows it (targets ``<marketplace>_shortages``).

No sync model: :func:`sellerflow.reverse_etl.statuses.request_assembled` enqueues the items when a list is finished
(:func:`shortage_payloads`: ``marketplace``, ``account_id``, ``posting_number``, ``order_number``, ``units`` — the
short units with ``unit_ref``, ``offer_id``, ``quantity`` (short) and ``planned`` —, ``whole`` when nothing of the
posting was found, ``problems``; keyed by :func:`shortage_key`); the push_statuses DAG drains these targets before
the status targets. One item per posting, except part of an Ozon posting: one item per posting and product (Ozon
cancels units per SKU). Facts: docs/vendors/*.md "Shortages".

- Wildberries: an assembly task is one unit, so a short task is cancelled whole: ``PATCH
  /api/v3/orders/{orderId}/cancel`` → 204; 409 for a status that cannot be cancelled. No idempotency key: a task
  tried before, or refused with 409, is read back (``POST /api/v3/orders/status``); ``supplierStatus`` ``cancel``
  means the first cancel took effect (acknowledged, not sent again).
- Megamarket: ``order/reject`` ``{shipments: [{shipmentId, items: [{itemIndex, offerId}]}], reason: {type:
  OUT_OF_STOCK}}`` cancels the listed lots (all of them: the shipment). An item tried before is read back
  (``order/get``): a shipment already ``MERCHANT_CANCELED``, or whose short lots are, is acknowledged.
- Ozon (:mod:`.ozon_shortages`; the items split per SKU here, :func:`shortage_payloads`): a posting of which nothing was found is cancelled (``/v2/posting/fbs/cancel``,
  reason 352); the short units of a product of a posting partly found are cancelled with
  ``/v2/posting/fbs/product/cancel`` (read back before a repeat).
- Yandex Market: an order of which nothing was found is cancelled (``PUT …/orders/{orderId}/status``
  ``CANCELLED/SHOP_FAILED``, legal from PROCESSING/STARTED); units of an order partly found are removed by the
  status step's box layout (``allowRemove: true``, yandex_market_statuses), so that item is acknowledged without a
  call. (DBS also documents ``PUT …/orders/{orderId}/items``; not used.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget, outcome_for
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.megamarket.client import ORDER_SERVICE, MegamarketClient
from sellerflow.sources.wildberries.client import WildberriesClient
from sellerflow.sources.yandex_market.client import YandexMarketClient


def shortage_payloads(posting: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of a finished posting (``feedback``'s posting with its ``items``); none when nothing is short."""
    items = posting.get("items") or []
    units = [
        {
            "unit_ref": str(u.get("unit_ref")),
            "offer_id": u.get("offer_id"),
            "quantity": int(u["short"]),
            "planned": int(u.get("quantity") or u["short"]),
        }
        for u in items
        if int(u.get("short") or 0) > 0
    ]
    if not units:
        return []
    base = {
        "marketplace": str(posting["marketplace"]),
        "account_id": str(posting["account_id"]),
        "posting_number": str(posting["posting_number"]),
        "order_number": str(posting.get("order_number") or ""),
        "whole": all(int(u.get("picked") or 0) == 0 for u in items),
    }
    if base["marketplace"] == "ozon" and not base["whole"]:
        return _per_ozon_sku(base, units)
    return [{**base, "units": units, "problems": []}]


def _per_ozon_sku(base: dict[str, Any], units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Part of an Ozon posting: one item per SKU with short units (Ozon cancels units per product)."""
    by_sku: dict[str, list[dict[str, Any]]] = {}
    for unit in units:
        by_sku.setdefault(str(unit["unit_ref"]), []).append(unit)
    out = []
    for sku, group in sorted(by_sku.items()):
        problems = [] if sku.isdigit() else [f"no Ozon SKU for {group[0]['offer_id']} (unit_ref {sku!r})"]
        out.append({**base, "unit_ref": sku, "units": group, "problems": problems})
    return out


def shortage_key(payload: dict[str, Any]) -> str:
    """The outbox key of a shortage item: ``<cabinet>:<posting>``, plus ``:<SKU>`` for part of an Ozon posting."""
    key = f"{payload['account_id']}:{payload['posting_number']}"
    return f"{key}:{payload['unit_ref']}" if "unit_ref" in payload else key


class Shortages(MarketplaceTarget):
    """What the four shortage targets share: enqueued by the TSD, one posting (part of an Ozon one: a product) per item."""

    sync_model: ClassVar[str | None] = None  # enqueued by the TSD
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 200

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        units = ", ".join(f"{u['offer_id']}×{u['quantity']}" for u in item.payload["units"])
        return f"cancel the units not found of {item.payload['posting_number']}: {units}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One item a group (``max_batch`` 1): its posting's (or product's) cancel."""
        return [self.send_one(client, items[0], requests)]

    def send_one(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        """Cancel what the item names at the marketplace; read it back first when :meth:`tried_before`."""
        raise NotImplementedError

    @staticmethod
    def tried_before(item: Item) -> bool:
        """Sent before (a retry, or a sender that vanished after sending): no vendor takes an idempotency key,
        so the target reads the posting back before it sends again."""
        return item.recovered or item.attempts > 1


class WildberriesShortages(Shortages):
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

    def send_one(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        """Cancel the task (read back first when tried before, and after a 409)."""
        assert isinstance(client, WildberriesClient)
        task = int(item.payload["posting_number"])
        if self.tried_before(item) and self._status(client, task, requests) == "cancel":
            return Outcome.acknowledged(message="WB already cancelled the task", requests=requests)
        path = f"/api/v3/orders/{task}/cancel"
        requests.append(f"PATCH {path}")
        try:
            client.request("PATCH", client.url(path), allow_empty=True)
        except MarketplaceAPIError as exc:
            if exc.status == 409 and self._status(client, task, requests) == "cancel":
                return Outcome.acknowledged(message="WB already cancelled the task", requests=requests)
            return outcome_for(exc, requests)
        return Outcome.acknowledged(message="task cancelled: not found at picking", requests=requests)


class MegamarketShortages(Shortages):
    """``megamarket_shortages``: order/reject the short lots (OUT_OF_STOCK)."""

    name: ClassVar[str] = "megamarket_shortages"
    vendor: ClassVar[str] = "megamarket"
    client_class: ClassVar[type[ApiClient]] = MegamarketClient

    def send_one(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        """Reject the short lots (read back first when tried before)."""
        assert isinstance(client, MegamarketClient)
        shipment = str(item.payload["posting_number"])
        lots = [{"itemIndex": str(u["unit_ref"]), "offerId": u["offer_id"]} for u in item.payload["units"]]
        if self.tried_before(item):
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
                return Outcome.acknowledged(message="Megamarket already rejected them", requests=requests)
        requests.append("POST order/reject")
        client.call(
            f"{ORDER_SERVICE}/order/reject",
            {
                "shipments": [{"shipmentId": shipment, "items": lots}],
                "reason": {"type": "OUT_OF_STOCK", "comment": "not found at picking"},
            },
        )
        return Outcome.acknowledged(message=f"{len(lots)} lots rejected: OUT_OF_STOCK", requests=requests)


class YandexMarketShortages(Shortages):
    """``yandex_market_shortages``: an order of which nothing was found is cancelled (CANCELLED/SHOP_FAILED); part
    of one is removed by the status step's box layout (``allowRemove``), so nothing is sent here."""

    name: ClassVar[str] = "yandex_market_shortages"
    vendor: ClassVar[str] = "yandex_market"
    client_class: ClassVar[type[ApiClient]] = YandexMarketClient

    def send_one(self, client: ApiClient, item: Item, requests: list[str]) -> Outcome:
        """Cancel the whole order; a part is left to yandex_market_statuses."""
        if not item.payload["whole"]:
            return Outcome.acknowledged(
                message="removed by the box layout of yandex_market_statuses (allowRemove)", requests=requests
            )
        campaign = item.payload.get("campaign_id") or self._accounts(item.account_id).settings.get(
            "campaign_id"
        )
        if campaign is None:
            raise ValueError(
                f"yandex_market order {item.item_key}: no campaign_id in the item nor the connection"
            )
        path = f"/v2/campaigns/{int(campaign)}/orders/{int(item.payload['posting_number'])}/status"
        requests.append(f"PUT {path} CANCELLED/SHOP_FAILED")
        client.request("PUT", path, json={"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}})
        return Outcome.acknowledged(message="order cancelled: nothing found at picking", requests=requests)
