"""Wildberries seller-warehouse stock: ``PUT /api/v3/stocks/{warehouseId}``, one warehouse per request.

Desired state: ``marts.sync_wildberries__stocks`` (payload ``offer_id``, ``warehouse_id``, ``chrt_id``,
``stock``, ``problems``). Vendor facts (docs/vendors/wildberries.md): body ``{"stocks": [{"chrtId", "amount"}]}``
with 1..1000 items, ``amount`` ≤ 100000; 204 on success; 409 is an array of errors whose ``data`` names the
refused items (``UploadDataLimit``, ``NotFound``) — the request is refused whole, so the named items are parked
with WB's message and the others go back to the outbox to be sent again; 406 ``StatusNotAcceptable`` (updates
blocked) parks; 429 waits for ``X-Ratelimit-Retry``. The limiter group is ``stocks`` (300/min, burst 20).

No idempotency key: an item claimed again after a crash (``recovered``) is first read back
(``POST /api/v3/stocks/{warehouseId}`` with its chrtIds) and acknowledged without a write when WB already holds
the amount.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources.wildberries.client import WildberriesClient

MAX_AMOUNT = 100_000


def _path(warehouse_id: Any) -> str:
    return f"/api/v3/stocks/{int(warehouse_id)}"


class WildberriesStocks(MarketplaceTarget):
    """The ``wildberries_stocks`` target."""

    name: ClassVar[str] = "wildberries_stocks"
    vendor: ClassVar[str] = "wildberries"
    sync_model: ClassVar[str] = "marts.sync_wildberries__stocks"
    max_batch: ClassVar[int] = 1000
    claim_size: ClassVar[int] = 5000
    client_class: ClassVar[type[ApiClient]] = WildberriesClient

    def batch_key(self, item: Item) -> str:
        """One request per (cabinet, warehouse)."""
        return f"{item.account_id}:{item.payload.get('warehouse_id')}"

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        p = item.payload
        return f"PUT {_path(p['warehouse_id'])} chrtId={p['chrt_id']} amount={p['stock']}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Read back recovered items, then one PUT for the rest."""
        assert isinstance(client, WildberriesClient)
        path = _path(items[0].payload["warehouse_id"])
        done: dict[int, Outcome] = {}
        recovered = [i for i in items if i.recovered]
        if recovered:
            requests.append(f"POST {path} (read back {len(recovered)})")
            answer = client.post(path, {"chrtIds": [int(i.payload["chrt_id"]) for i in recovered]})
            held = {int(s["chrtId"]): int(s["amount"]) for s in (answer or {}).get("stocks") or []}
            for item in recovered:
                if held.get(int(item.payload["chrt_id"])) == int(item.payload["stock"]):
                    done[item.id] = Outcome.acknowledged(
                        message="WB already holds this amount", requests=requests
                    )
        to_send = [i for i in items if i.id not in done]
        if to_send:
            body = {
                "stocks": [
                    {"chrtId": int(i.payload["chrt_id"]), "amount": int(i.payload["stock"])} for i in to_send
                ]
            }
            requests.append(f"PUT {path} ({len(to_send)} items)")
            try:
                client.request("PUT", client.url(path), json=body, allow_empty=True)
            except MarketplaceAPIError as exc:
                mapped = self.on_error(exc, to_send, requests)
                if mapped is None:
                    raise
                done.update({i.id: o for i, o in zip(to_send, mapped, strict=True)})
            else:
                for item in to_send:
                    done[item.id] = Outcome.acknowledged(
                        message=f"amount {item.payload['stock']}", requests=requests
                    )
        return [done[i.id] for i in items]

    def on_error(
        self, exc: MarketplaceAPIError, items: list[Item], requests: list[str]
    ) -> list[Outcome] | None:
        """409: park the items WB names in ``data``; the rest were not applied and are sent again."""
        body = self.last_body
        if exc.status != 409 or not isinstance(body, list):
            return None
        refused: dict[int, str] = {}
        for error in body:
            if not isinstance(error, dict):
                continue
            for entry in error.get("data") or []:
                if isinstance(entry, dict) and entry.get("chrtId") is not None:
                    refused[int(entry["chrtId"])] = f"{error.get('code')}: {error.get('message')}"
        if not refused:
            return None
        return [
            Outcome.permanent(refused[int(i.payload["chrt_id"])], http_status=409, requests=requests)
            if int(i.payload["chrt_id"]) in refused
            else Outcome.transient(
                "WB refused the request for other items; sent again", http_status=409, requests=requests
            )
            for i in items
        ]
