"""Per-request plumbing: the fault middleware, the auth + rate-limit dependency, page memory.

Faults (runtime.Fault) as WB would show them: ``server_error`` -> gateway problem+json 5xx,
``slow``/``timeout`` -> a delayed answer, ``expired_token`` -> the 401 body; list-level kinds
(``duplicate_page``, ``shifted_page``, ``schema_*``, ``empty_204``, ``report_late``) are left on
the request for the route to apply.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision
from sellerflow_emulators.wildberries.common import (
    RATE_LIMITS,
    VENDOR,
    CallContext,
    authenticate,
    gateway_error,
    limit_headers,
    render_error,
)

MIDDLEWARE_FAULTS = {"server_error", "slow", "timeout", "expired_token"}


class RateLimited(Exception):
    """Raised by the dependency when the limiter refuses a request."""

    def __init__(self, decision: LimitDecision) -> None:
        super().__init__("rate limited")
        self.decision = decision


class PageMemory:
    """The last page each (account, route) was served, for the ``duplicate_page`` fault."""

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def remember(self, account_id: str, route: str, page: Any) -> None:
        """Store the page just served."""
        with self._lock:
            self._pages[(account_id, route)] = page

    def previous(self, account_id: str, route: str) -> Any | None:
        """The page served last time, or None."""
        with self._lock:
            return self._pages.get((account_id, route))


def install_fault_middleware(app: FastAPI, state: EmulatorState) -> None:
    """Ask the injector once per request; answer the transport-level kinds right here."""

    @app.middleware("http")
    async def faults(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        fault = state.faults.next(VENDOR, request.url.path)
        request.state.fault = fault
        if fault is not None and fault.kind in MIDDLEWARE_FAULTS:
            early = await _transport_fault(fault)
            if early is not None:
                return early
        response = await call_next(request)
        _after(state, request, response)
        return response


async def _transport_fault(fault: Fault) -> Response | None:
    if fault.kind == "server_error":
        status = fault.status if 500 <= fault.status <= 599 else 500
        return render_error(gateway_error(status, "internal server error", "internal error", "s2s-api"))
    if fault.kind == "expired_token":
        return render_error(gateway_error(401, "unauthorized", "token problem; token is expired"))
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_s)
    elif fault.kind == "timeout":
        await asyncio.sleep(fault.delay_s or 120.0)
    return None


def _after(state: EmulatorState, request: Request, response: Response) -> None:
    """Rate-limit headers on the answer, WB's 4XX weight, release of a parallel slot."""
    decision: LimitDecision | None = getattr(request.state, "limit_decision", None)
    group: str | None = getattr(request.state, "limit_group", None)
    account_id: str | None = getattr(request.state, "account_id", None)
    if decision is None or group is None or account_id is None:
        return
    if response.status_code != 429:
        for name, value in limit_headers(decision).items():
            if name != "X-Ratelimit-Retry":
                response.headers[name] = value
    weight = RATE_LIMITS.get(group)
    if (
        weight
        and weight.four_xx_weight > 1
        and 400 <= response.status_code < 500
        and response.status_code != 429
    ):
        for _ in range(weight.four_xx_weight - 1):
            state.limits.acquire(VENDOR, group, account_id)
    state.limits.release(VENDOR, group, account_id)


def guard(state: EmulatorState, category: str | None, group: str) -> Callable[[Request], CallContext]:
    """FastAPI dependency: authenticate for ``category``, count against ``group``, hand over context."""

    def dependency(request: Request) -> CallContext:
        account = authenticate(state, request, category)
        decision = state.limits.acquire(VENDOR, group, account["id"])
        if not decision.allowed:
            raise RateLimited(decision)
        request.state.limit_decision = decision
        request.state.limit_group = group
        request.state.account_id = account["id"]
        return CallContext(account, getattr(request.state, "fault", None), state.now(), group)

    return dependency


def list_fault(ctx: CallContext, *kinds: str) -> Fault | None:
    """The request's fault if it is one of ``kinds`` (list handlers apply those themselves)."""
    if ctx.fault is not None and ctx.fault.kind in kinds:
        return ctx.fault
    return None


def mutate_items(items: list[dict[str, Any]], fault: Fault | None) -> list[dict[str, Any]]:
    """Apply ``schema_extra_field`` / ``schema_renamed_field`` to each list item."""
    if fault is None or fault.kind not in {"schema_extra_field", "schema_renamed_field"}:
        return items
    out = []
    for item in items:
        item = dict(item)
        if fault.kind == "schema_extra_field":
            item[fault.field or "unexpectedField"] = "emulator-extra"
        else:
            old = fault.field if fault.field in item else next(iter(item), None)
            if old is not None:
                item[f"{old}V2"] = item.pop(old)
        out.append(item)
    return out
