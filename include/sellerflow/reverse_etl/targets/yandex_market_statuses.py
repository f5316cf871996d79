"""Yandex Market statuses: 1C progress → the order's boxes, then ``PROCESSING/READY_TO_SHIP``.

Desired state: ``marts.sync_yandex_market__statuses`` (payload ``order_id``, ``campaign_id``, ``items[{id,
fullCount}]``, ``step`` = ``ready_to_ship``, ``problems``; one item per order). Calls (docs/vendors/yandex_market.md):
``PUT /v2/campaigns/{campaignId}/orders/{orderId}/boxes`` ``{"boxes": [{"items": [{"id", "fullCount"}]}]}`` (every
item in one box; the layout may be repeated until READY_TO_SHIP), then ``PUT .../orders/{orderId}/status``
``{"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}``. Legal only from PROCESSING/STARTED: the model
parks other statuses before any call; YM's own 400 (a transition it refuses) parks with YM's message. Payload
``allow_remove`` (units a finished TSD pick list did not find, left out of ``items``) sends ``allowRemove: true``:
the layout removes them (irreversible; quantities only go down) [S1 ``SetOrderBoxLayoutRequest``].
Idempotent at the vendor: re-sending the status an order already has succeeds and changes nothing, and the box
layout is replaced, so a repeat after a crash has no second effect.
"""

from __future__ import annotations

from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.yandex_market.client import YandexMarketClient


class YandexMarketStatuses(MarketplaceTarget):
    """The ``yandex_market_statuses`` target (two requests per order)."""

    name: ClassVar[str] = "yandex_market_statuses"
    vendor: ClassVar[str] = "yandex_market"
    sync_model: ClassVar[str] = "marts.sync_yandex_market__statuses"
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 200
    client_class: ClassVar[type[ApiClient]] = YandexMarketClient

    def _campaign(self, item: Item) -> int:
        campaign = item.payload.get("campaign_id") or self._accounts(item.account_id).settings.get(
            "campaign_id"
        )
        if campaign is None:
            raise ValueError(
                f"yandex_market order {item.item_key}: no campaign_id in the item nor the connection"
            )
        return int(campaign)

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"PUT boxes + status PROCESSING/READY_TO_SHIP for order {item.payload['order_id']}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Boxes, then READY_TO_SHIP."""
        item = items[0]
        base = f"/v2/campaigns/{self._campaign(item)}/orders/{int(item.payload['order_id'])}"
        requests.append(f"PUT {base}/boxes")
        layout: dict = {"boxes": [{"items": item.payload["items"]}]}
        if item.payload.get("allow_remove"):  # units not found at picking: the layout removes them
            layout["allowRemove"] = True
        client.request("PUT", f"{base}/boxes", json=layout)
        requests.append(f"PUT {base}/status READY_TO_SHIP")
        client.request(
            "PUT", f"{base}/status", json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
        )
        return [Outcome.acknowledged(message="PROCESSING/READY_TO_SHIP", requests=requests)]
