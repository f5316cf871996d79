"""Per-request gate: authenticate, then apply the parallel cap and the resource quota.

Docs: concepts/limits. Every answer carries ``X-RateLimit-Resource-Limit``,
``X-RateLimit-Resource-Remaining`` and ``X-RateLimit-Resource-Until`` (RFC 822 date); over the
quota the answer is ``420 Enhance Your Calm`` with "Hit rate limit of N requests per 'period' for
resource 'R'", and over the parallel cap "Hit rate limit of N parallel requests" (S4: the cap is
per campaign or business). Limits are kept per campaign for campaign methods and per cabinet for
cabinet methods. Most quotas count requests; the stock and price writes count the products in the body
(``Operation.counts``: a request of 2000 SKUs spends 2000 of updateStocks' 100 000 per minute). A request
that does not fit what is left of its window is refused whole (nothing of it is applied) [? YM does not
say whether part of a batch is applied; the emulator applies none].
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from email.utils import format_datetime

from fastapi import Request

from sellerflow_emulators.runtime import EmulatorState, LimitDecision
from sellerflow_emulators.yandex_market.auth import VENDOR, Cabinet, authenticate
from sellerflow_emulators.yandex_market.errors import YmError
from sellerflow_emulators.yandex_market.operations import OPERATIONS, PARALLEL_GROUP, period_text


@dataclass(frozen=True)
class Context:
    """What a handler needs after the gate: the caller and, for campaign methods, the campaign."""

    cabinet: Cabinet
    campaign: sqlite3.Row | None

    @property
    def account(self) -> sqlite3.Row:
        """The campaign's account row (campaign methods only)."""
        if self.campaign is None:
            raise YmError(500, "Internal server error")
        return self.campaign


def limit_headers(decision: LimitDecision) -> dict[str, str]:
    """The three resource-limit headers for one decision."""
    return {
        "X-RateLimit-Resource-Limit": str(decision.limit),
        "X-RateLimit-Resource-Remaining": str(max(decision.remaining, 0)),
        "X-RateLimit-Resource-Until": format_datetime(decision.reset_at, usegmt=True),
    }


def guard(
    request: Request,
    state: EmulatorState,
    operation_name: str,
    campaign_id: int | None = None,
    business_id: int | None = None,
    cost: int = 1,
) -> Context:
    """Authenticate the caller and count the request (``cost`` units: the products of an item-counted
    quota); raise the vendor's error when refused."""
    operation = OPERATIONS[operation_name]
    cabinet = authenticate(request, state, operation)
    campaign = cabinet.campaign(state.conn(), campaign_id) if campaign_id is not None else None
    if business_id is not None:
        cabinet.check_business(business_id)
    key = str(campaign["id"]) if campaign is not None else f"business:{cabinet.business_id}"

    parallel = state.limits.acquire(VENDOR, PARALLEL_GROUP, key)
    if not parallel.allowed:
        raise YmError(420, f"Hit rate limit of {parallel.limit} parallel requests")
    request.state.ym_parallel_key = key

    decision = state.limits.acquire(VENDOR, operation.name, key, cost if operation.counts else 1)
    headers = limit_headers(decision)
    if not decision.allowed:
        raise YmError(
            420,
            f"Hit rate limit of {decision.limit} {operation.unit} per {period_text(decision.window_s)} "
            f"for resource '{request.url.path}'",
            headers=headers,
        )
    request.state.ym_limit_headers = headers
    return Context(cabinet=cabinet, campaign=campaign)


def release(request: Request, state: EmulatorState) -> None:
    """Free the parallel slot taken by :func:`guard`, if any."""
    key = getattr(request.state, "ym_parallel_key", None)
    if key is not None:
        request.state.ym_parallel_key = None
        state.limits.release(VENDOR, PARALLEL_GROUP, key)
