"""Megamarket statuses: 1C progress → order/confirm, order/packing, order/shipping, in that order.

Desired state: ``marts.sync_megamarket__statuses`` (payload ``shipment_id``, ``order_code`` (the marketplace order
number), ``items[{itemIndex, offerId}]``, ``step`` = the comma-separated steps from the shipment's status to what 1C
says, ``problems``; one item per shipment). Bodies (docs/vendors/megamarket.md, fact sheet B3 steps 3, 5, 6):
confirm ``{shipments: [{shipmentId, orderCode, items: [{itemIndex, offerId}]}]}`` (NEW → CONFIRMED); packing
``{shipments: [{shipmentId, orderCode, items: [{itemIndex, quantity: 1, boxes: [{boxIndex: 1, boxCode}]}]}]}`` (→
PACKED, one box, ``boxCode`` ``<merchantId>*<orderCode>*1`` as clients do [S5]); shipping ``{shipments: [{shipmentId,
boxes, shipping: {shippingDate}}]}`` (PACKED → SHIPPED). A refusal (``success: 0``, e.g. a wrong status) parks the
item with Megamarket's message; steps already done stay done. No idempotency key: an item tried before is read
back first (``order/get``) and the steps its status has passed are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.megamarket.client import ORDER_SERVICE, MegamarketClient

DONE_AFTER = {
    "confirm": ("CONFIRMED", "PACKED", "SHIPPED"),
    "packing": ("PACKED", "SHIPPED"),
    "shipping": ("SHIPPED",),
}


class MegamarketStatuses(MarketplaceTarget):
    """The ``megamarket_statuses`` target (one call per step per shipment)."""

    name: ClassVar[str] = "megamarket_statuses"
    vendor: ClassVar[str] = "megamarket"
    sync_model: ClassVar[str] = "marts.sync_megamarket__statuses"
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 200
    client_class: ClassVar[type[ApiClient]] = MegamarketClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"order/{item.payload['step'].replace(',', ' → order/')} for shipment {item.payload['shipment_id']}"

    def _bodies(self, item: Item, merchant: str) -> dict[str, dict[str, Any]]:
        p = item.payload
        code = "".join(c if c.isalnum() or c in "_-" else "-" for c in str(p["order_code"]))
        box = {"boxIndex": 1, "boxCode": f"{merchant}*{code}*1"}
        return {
            "confirm": {"shipmentId": p["shipment_id"], "orderCode": code, "items": p["items"]},
            "packing": {
                "shipmentId": p["shipment_id"],
                "orderCode": code,
                "items": [{"itemIndex": i["itemIndex"], "quantity": 1, "boxes": [box]} for i in p["items"]],
            },
            "shipping": {
                "shipmentId": p["shipment_id"],
                "boxes": [box],
                "shipping": {"shippingDate": datetime.now(UTC).isoformat(timespec="seconds")},
            },
        }

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Each step in turn; an item tried before is read back first."""
        assert isinstance(client, MegamarketClient)
        item = items[0]
        steps = [s for s in str(item.payload["step"]).split(",") if s]
        if item.recovered or item.attempts > 1:
            requests.append("POST order/get (read back)")
            shipments = client.get_shipments([str(item.payload["shipment_id"])])
            status = str((shipments[0] if shipments else {}).get("status") or "")
            steps = [s for s in steps if status not in DONE_AFTER[s]]
        merchant = str(self._accounts(account_id).settings.get("merchant_id") or "0")
        bodies = self._bodies(item, merchant)
        for step in steps:
            requests.append(f"POST order/{step}")
            client.call(f"{ORDER_SERVICE}/order/{step}", {"shipments": [bodies[step]]})
        return [
            Outcome.acknowledged(message=f"done: {', '.join(steps) or 'nothing left'}", requests=requests)
        ]
