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

The stock and price reads (getStocks, getDefaultPrices) count the items of the *answer* (``resp.…``): the
handler builds its page, then :func:`spend` charges the page's items and refuses it with 420 when they do not
fit what is left of the window [? YM does not say whether it checks before or after building the answer, nor
whether an answer bigger than what is left is cut or refused; refusing it is the stricter reading: a client
that never meets it also never meets the other]. An error answer has no collection and costs nothing.
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
    quota_key: str = ""  # the campaign or cabinet the method's quota is counted for

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
    quota); raise the vendor's error when refused. A quota counting the answer's items is left to :func:`spend`."""
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

    if not operation.counts_answer:
        _take(request, state, operation_name, key, cost if operation.counts else 1)
    return Context(cabinet=cabinet, campaign=campaign, quota_key=key)


def spend(request: Request, state: EmulatorState, ctx: Context, operation_name: str, items: int) -> None:
    """Charge an answer-counted quota (``Operation.counts`` ``resp.…``) the ``items`` of the answer about to be
    sent; 420 when they do not fit what is left of the window (the answer is then not sent)."""
    operation = OPERATIONS[operation_name]
    if not operation.counts_answer:
        raise ValueError(f"{operation_name}: its quota does not count the answer's items")
    _take(request, state, operation_name, ctx.quota_key, items)


def _take(request: Request, state: EmulatorState, operation_name: str, key: str, cost: int) -> None:
    """Count ``cost`` units of the operation's quota for ``key``; raise the 420 when they do not fit."""
    operation = OPERATIONS[operation_name]
    decision = state.limits.acquire(VENDOR, operation.name, key, cost)
    headers = limit_headers(decision)
    if not decision.allowed:
        raise YmError(
            420,
            f"Hit rate limit of {decision.limit} {operation.unit} per {period_text(decision.window_s)} "
            f"for resource '{request.url.path}'",
            headers=headers,
        )
    request.state.ym_limit_headers = headers


def release(request: Request, state: EmulatorState) -> None:
    """Free the parallel slot taken by :func:`guard`, if any."""
    key = getattr(request.state, "ym_parallel_key", None)
    if key is not None:
        request.state.ym_parallel_key = None
        state.limits.release(VENDOR, PARALLEL_GROUP, key)
