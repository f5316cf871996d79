"""``PUT /v2/campaigns/{campaignId}/orders/{orderId}/boxes`` (setOrderBoxLayout): the order's box layout.

Spec (tests/contracts/yandex_market/openapi.yaml ``SetOrderBoxLayoutRequest``, ``OrderBoxLayoutDTO``,
``OrderBoxLayoutItemDTO``): ``boxes`` ≥ 1, each with ``items`` ≥ 1 of ``{id, fullCount | partialCount}`` (not both);
the layout may be sent again any number of times until the order is READY_TO_SHIP; without ``allowRemove`` the
layout must hold every unit of every item (fewer units would remove goods). Checked here: the order is the
campaign's and PROCESSING/STARTED (400 otherwise, as other status refusals), item ids are the order's, ``fullCount``
sums equal each item's count. The layout is kept in the order's vendor JSON (``boxLayout``) and logged in
``push_log``; the answer is ``{"status": "OK", "result": {"boxes": [...]}}``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.yandex_market.errors import YmError, bad_request
from sellerflow_emulators.yandex_market.guard import guard
from sellerflow_emulators.yandex_market.order_query import fetch_lines
from sellerflow_emulators.yandex_market.orders import _find_order
from sellerflow_emulators.yandex_market.render import item_id
from sellerflow_emulators.yandex_market.status_flow import log_push


class BoxItem(BaseModel):
    id: int
    fullCount: int | None = Field(default=None, ge=1)
    partialCount: dict[str, int] | None = None


class Box(BaseModel):
    items: list[BoxItem] = Field(min_length=1)


class SetOrderBoxLayoutRequest(BaseModel):
    boxes: list[Box] = Field(min_length=1)
    allowRemove: bool = False


def build_router(state: EmulatorState) -> APIRouter:
    """The box-layout route."""
    router = APIRouter()

    @router.put("/v2/campaigns/{campaignId}/orders/{orderId}/boxes")
    def set_order_box_layout(
        campaignId: int, orderId: int, body: SetOrderBoxLayoutRequest, request: Request
    ) -> dict[str, Any]:
        ctx = guard(request, state, "setOrderBoxLayout", campaign_id=campaignId)
        account_id = str(ctx.account["id"])
        row = _find_order(state, account_id, orderId)
        if row is None:
            raise YmError(404, f"Order not found: {orderId}")
        if (row["ym_status"], row["ym_substatus"]) != ("PROCESSING", "STARTED"):
            raise bad_request(
                f"Order {orderId} with status {row['ym_status']}/{row['ym_substatus']} does not accept a box layout"
            )
        conn = state.conn()
        vendor = json.loads(row["vendor"] or "{}")
        lines = fetch_lines(conn, [int(row["id"])])[int(row["id"])]
        ordered = Counter({item_id(line, vendor): int(line["quantity"]) for line in lines})
        packed: Counter[int] = Counter()
        partial = False
        for box in body.boxes:
            for item in box.items:
                if item.id not in ordered:
                    raise bad_request(f"Item {item.id} is not in order {orderId}")
                if (item.fullCount is None) == (item.partialCount is None):
                    raise bad_request("Give either fullCount or partialCount for an item")
                packed[item.id] += item.fullCount or 0
                partial = partial or item.partialCount is not None
        if not body.allowRemove and not partial and packed != ordered:
            raise bad_request("The box layout must hold every unit of every item (or set allowRemove)")
        dumped = body.model_dump(mode="json", exclude_none=True)
        with conn:
            vendor["boxLayout"] = dumped["boxes"]
            conn.execute("update orders set vendor = ? where id = ?", (json.dumps(vendor), row["id"]))
            log_push(conn, account_id, "PUT", request.url.path, format_ts(state.now()), dumped)
        return {"status": "OK", "result": {"boxes": dumped["boxes"]}}

    return router
