"""Wildberries prices: ``POST /api/v2/upload/task`` (discounts-prices-api), up to 1000 cards per request.

Desired state: ``marts.sync_wildberries__prices`` (payload ``nm_id``, ``offer_id``, ``price`` in whole roubles,
``problems``; one item per (cabinet, card nmID)). Vendor facts (docs/vendors/wildberries.md): body ``{"data":
[{"nmID", "price", "discount"}]}`` (``price`` before the seller's discount, an integer; ``discount`` in percent:
sellerflow sends the 1C price with discount 0, so the buyer's price is the 1C price), ≤ 1000 items, unique nmIDs; answer ``{"data": {"id", "alreadyExists"}}``, **208** when an
identical upload exists (WB's own duplicate guard: a repeat after a crash is not applied twice); the upload is
processed asynchronously (``GET /api/v2/history/tasks?uploadID=``: 3 done, 5 partly refused, 6 all refused; a
price 3× lower than the current one goes to quarantine). Limiter group ``prices`` (10 per 6 s, burst 5).

WB answers nothing per item, so the target reads the cards back (``POST /api/v2/list/goods/filter``
``{"nmList"}``) — before writing when an item was tried before (claimed again after a crash, or a retry: its
upload may have been applied while the read-back after it met a 429), and after every upload: a card showing the price is acknowledged; one that does not is parked with the upload's status when WB
finished it with errors (5/6: quarantine or refusal), else sent again later (not processed yet).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.wildberries.client import WildberriesClient

UPLOAD = "/api/v2/upload/task"
READ = "/api/v2/list/goods/filter"
HISTORY = "/api/v2/history/tasks"
REFUSED = {5: "partly refused", 6: "refused"}


class WildberriesPrices(MarketplaceTarget):
    """The ``wildberries_prices`` target."""

    name: ClassVar[str] = "wildberries_prices"
    vendor: ClassVar[str] = "wildberries"
    sync_model: ClassVar[str] = "marts.sync_wildberries__prices"
    max_batch: ClassVar[int] = 1000
    claim_size: ClassVar[int] = 3000
    client_class: ClassVar[type[ApiClient]] = WildberriesClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        return f"POST {UPLOAD} nmID={item.payload['nm_id']} price={int(item.payload['price'])} discount=0"

    @staticmethod
    def _read(client: WildberriesClient, items: list[Item], requests: list[str]) -> dict[int, int]:
        requests.append(f"POST {READ} (read back {len(items)})")
        answer = client.post(READ, {"nmList": [int(i.payload["nm_id"]) for i in items]})
        held: dict[int, int] = {}
        for goods in ((answer or {}).get("data") or {}).get("listGoods") or []:
            sizes = goods.get("sizes") or [{}]
            if sizes[0].get("price") is not None and not goods.get("discount"):
                held[int(goods["nmID"])] = round(float(sizes[0]["price"]))
        return held

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """Read back recovered items, upload the rest, read back what the upload changed."""
        assert isinstance(client, WildberriesClient)
        done: dict[int, Outcome] = {}

        def holds(item: Item, held: dict[int, int]) -> bool:
            return held.get(int(item.payload["nm_id"])) == int(item.payload["price"])

        recovered = [i for i in items if i.recovered or i.attempts > 1]
        if recovered:
            held = self._read(client, recovered, requests)
            for item in recovered:
                if holds(item, held):
                    done[item.id] = Outcome.acknowledged(
                        message="WB already holds this price", requests=requests
                    )
        to_send = [i for i in items if i.id not in done]
        if not to_send:
            return [done[i.id] for i in items]
        body = {
            "data": [
                {"nmID": int(i.payload["nm_id"]), "price": int(i.payload["price"]), "discount": 0}
                for i in to_send
            ]
        }
        requests.append(f"POST {UPLOAD} ({len(to_send)} cards)")
        answer = client.post(UPLOAD, body) or {}
        upload: dict[str, Any] = answer.get("data") or {}
        held = self._read(client, to_send, requests)
        missing = [i for i in to_send if not holds(i, held)]
        status = None
        if missing and upload.get("id"):
            requests.append(f"GET {HISTORY}?uploadID={upload['id']}")
            task = (client.get(HISTORY, {"uploadID": upload["id"]}) or {}).get("data") or {}
            status = task.get("status")
        for item in to_send:
            if holds(item, held):
                done[item.id] = Outcome.acknowledged(
                    remote_ref=str(upload.get("id") or ""),
                    message=f"price {int(item.payload['price'])}",
                    requests=requests,
                )
            elif status in REFUSED:
                done[item.id] = Outcome.permanent(
                    f"WB upload {upload.get('id')} {REFUSED[status]} (status {status}): card {item.payload['nm_id']} "
                    f"keeps {held.get(int(item.payload['nm_id']))} — a price 3× below the current one goes to WB's "
                    "quarantine (confirm it in the cabinet), see GET /api/v2/history/goods/task",
                    remote_ref=str(upload.get("id") or ""),
                    requests=requests,
                )
            else:
                done[item.id] = Outcome.transient(
                    f"WB upload {upload.get('id')} not applied yet (status {status})", requests=requests
                )
        return [done[i.id] for i in items]
