"""Ozon FBS stock: ``POST /v2/products/stocks`` with up to 100 (offer, warehouse) pairs per request.

Desired state: ``marts.sync_ozon__stocks`` (payload ``offer_id``, ``warehouse_id``, ``stock``, ``problems``).
Vendor facts (docs/vendors/ozon.md): ≤ 100 pairs per request, 80 requests/min (limiter group
``stocks_update``), the answer is HTTP 200 with ``result[]`` per pair (``updated``, ``errors[{code,
message}]``), a pair may change once per 30 s (``TOO_MANY_REQUESTS``: that item alone waits 30 s and is sent
again), any other per-item code parks the item with Ozon's message. ``stock`` is the available quantity
(reserved units excluded), an absolute value: Ozon has no idempotency key, and a repeat after a crash sets the
same value again — no second effect.
"""

from __future__ import annotations

from typing import ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.vendor_target import MarketplaceTarget
from sellerflow.sources._http import ApiClient
from sellerflow.sources.ozon.client import OzonClient

PATH = "/v2/products/stocks"
PAIR_INTERVAL_S = 30.0  # one update per (offer, warehouse) per 30 s [spec ProductAPI_ProductsStocksV2]
RETRY_CODES = ("TOO_MANY_REQUESTS",)


class OzonStocks(MarketplaceTarget):
    """The ``ozon_stocks`` target."""

    name: ClassVar[str] = "ozon_stocks"
    vendor: ClassVar[str] = "ozon"
    sync_model: ClassVar[str] = "marts.sync_ozon__stocks"
    max_batch: ClassVar[int] = 100
    claim_size: ClassVar[int] = 2000
    client_class: ClassVar[type[ApiClient]] = OzonClient

    def describe(self, item: Item) -> str:
        """Dry-run text."""
        p = item.payload
        return f"{PATH} offer_id={p['offer_id']} warehouse_id={p['warehouse_id']} stock={p['stock']}"

    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One request; per-pair outcomes from ``result[]``."""
        body = {
            "stocks": [
                {
                    "offer_id": str(i.payload["offer_id"]),
                    "stock": int(i.payload["stock"]),
                    "warehouse_id": int(i.payload["warehouse_id"]),
                }
                for i in items
            ]
        }
        requests.append(f"POST {PATH} ({len(items)} pairs)")
        answer = client.request("POST", PATH, json=body)
        results = {
            (str(r.get("offer_id")), int(r.get("warehouse_id") or 0)): r
            for r in (answer or {}).get("result") or []
            if isinstance(r, dict)
        }
        out = []
        for item in items:
            r = results.get((str(item.payload["offer_id"]), int(item.payload["warehouse_id"])))
            if r is None:
                out.append(Outcome.transient("Ozon's answer has no result for this pair", requests=requests))
            elif r.get("updated") and not r.get("errors"):
                out.append(Outcome.acknowledged(message=f"stock {item.payload['stock']}", requests=requests))
            else:
                errors = r.get("errors") or [{"code": "?", "message": "updated=false"}]
                text = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
                if any(e.get("code") in RETRY_CODES for e in errors):
                    out.append(
                        Outcome.throttled_by_vendor(
                            text, retry_after_s=PAIR_INTERVAL_S, item_only=True, requests=requests
                        )
                    )
                else:
                    code = str(errors[0].get("code"))
                    out.append(Outcome.permanent(text, vendor_code=code, requests=requests))
        return out
