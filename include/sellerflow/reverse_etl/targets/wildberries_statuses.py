"""Wildberries FBS statuses: 1C progress → supplies (create, add orders, deliver).

Desired state: ``marts.sync_wildberries__statuses``: order items (payload ``order_id``, ``step`` ``supply`` or
``supply_deliver``) and supply items (payload ``supply_id``, ``orders``, ``step`` ``deliver``). Calls
(docs/vendors/wildberries.md, spec 03-orders-fbs): ``POST /api/v3/supplies`` ``{"name"}`` → 201 ``{"id"}``;
``PATCH /api/marketplace/v3/supplies/{supplyId}/orders`` ``{"orders": [≤ 100 ids]}`` → 204 (``new`` → ``confirm``;
409 ``FailedToAddSupplyOrder`` for an order in another status); ``PATCH /api/v3/supplies/{supplyId}/deliver`` → 204
(``confirm`` → ``complete``; 409 for an empty or closed supply). The ``supply`` items of one batch share one new
supply (its id is each item's ``remote_ref``: the model delivers that supply once 1C shipped all its orders);
a ``supply_deliver`` item (already shipped in 1C) gets a supply of its own, delivered at once.

No idempotency key: an order item tried before is read back (``POST /api/v3/orders/status``): one already in
``confirm`` is acknowledged with the sellerflow supply that holds it (found through ``GET /api/v3/supplies`` and
each open supply's order ids), so no order is put into a second supply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.wildberries.client import WildberriesClient

SUPPLIES = "/api/v3/supplies"
PREFIX = "sellerflow"


class WildberriesStatuses(MarketplaceTarget):
    """The ``wildberries_statuses`` target."""

    name: ClassVar[str] = "wildberries_statuses"
    vendor: ClassVar[str] = "wildberries"
    sync_model: ClassVar[str] = "marts.sync_wildberries__statuses"
    max_batch: ClassVar[int] = 100  # PATCH .../orders takes ≤ 100 ids
    claim_size: ClassVar[int] = 500
    client_class: ClassVar[type[ApiClient]] = WildberriesClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        if item.payload["step"] == "deliver":
            return (
                f"PATCH {SUPPLIES}/{item.payload['supply_id']}/deliver ({len(item.payload['orders'])} orders)"
            )
        return f"order {item.payload['order_id']}: {item.payload['step'].replace('_', ' + ')}"

    @staticmethod
    def _create(client: WildberriesClient, requests: list[str]) -> str:
        requests.append(f"POST {SUPPLIES}")
        name = f"{PREFIX} {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
        return str(client.post(SUPPLIES, {"name": name})["id"])

    @staticmethod
    def _add(client: WildberriesClient, supply: str, orders: list[int], requests: list[str]) -> None:
        requests.append(f"PATCH /api/marketplace/v3/supplies/{supply}/orders ({len(orders)})")
        client.request(
            "PATCH",
            client.url(f"/api/marketplace/v3/supplies/{supply}/orders"),
            json={"orders": orders},
            allow_empty=True,
        )

    @staticmethod
    def _deliver(client: WildberriesClient, supply: str, requests: list[str]) -> None:
        requests.append(f"PATCH {SUPPLIES}/{supply}/deliver")
        client.request("PATCH", client.url(f"{SUPPLIES}/{supply}/deliver"), allow_empty=True)

    def _held_supplies(self, client: WildberriesClient, requests: list[str]) -> dict[int, str]:
        """order id → the open sellerflow supply holding it."""
        requests.append(f"GET {SUPPLIES}")
        listed = client.get(SUPPLIES, {"limit": 1000, "next": 0}) or {}
        out: dict[int, str] = {}
        for supply in listed.get("supplies") or []:
            if supply.get("done") or not str(supply.get("name", "")).startswith(PREFIX):
                continue
            path = f"/api/marketplace/v3/supplies/{supply['id']}/order-ids"
            requests.append(f"GET {path}")
            for order in (client.get(path) or {}).get("orderIds") or []:
                out[int(order)] = str(supply["id"])
        return out

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Deliver supply items; put order items into supplies."""
        assert isinstance(client, WildberriesClient)
        done: dict[int, Outcome] = {}
        for item in [i for i in items if i.payload["step"] == "deliver"]:
            self._deliver(client, str(item.payload["supply_id"]), requests)
            done[item.id] = Outcome.acknowledged(remote_ref=str(item.payload["supply_id"]), requests=requests)
        orders = [i for i in items if i.payload["step"] != "deliver"]
        tried = [i for i in orders if i.recovered or i.attempts > 1]
        if tried:
            requests.append("POST /api/v3/orders/status (read back)")
            answer = client.post(
                "/api/v3/orders/status", {"orders": [int(i.payload["order_id"]) for i in tried]}
            )
            status = {int(o["id"]): o.get("supplierStatus") for o in (answer or {}).get("orders") or []}
            held = (
                self._held_supplies(client, requests)
                if any(status.get(int(i.payload["order_id"])) != "new" for i in tried)
                else {}
            )
            for item in tried:
                order = int(item.payload["order_id"])
                if status.get(order) != "new" and order in held:
                    if item.payload["step"] == "supply_deliver" and status.get(order) == "confirm":
                        self._deliver(client, held[order], requests)
                    done[item.id] = Outcome.acknowledged(
                        remote_ref=held[order], message="WB already holds it in a supply", requests=requests
                    )
        batch = [i for i in orders if i.id not in done and i.payload["step"] == "supply"]
        if batch:
            supply = self._create(client, requests)
            self._add(client, supply, [int(i.payload["order_id"]) for i in batch], requests)
            for item in batch:
                done[item.id] = Outcome.acknowledged(remote_ref=supply, message="confirm", requests=requests)
        for item in [i for i in orders if i.id not in done]:  # supply_deliver: a supply of its own
            supply = self._create(client, requests)
            self._add(client, supply, [int(item.payload["order_id"])], requests)
            self._deliver(client, supply, requests)
            done[item.id] = Outcome.acknowledged(remote_ref=supply, message="complete", requests=requests)
        return [done[i.id] for i in items]
