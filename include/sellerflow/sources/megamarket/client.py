"""The Megamarket merchant API client: the ``{"meta", "data": {"token"}}`` envelope and ``success: 0`` errors.

Facts (/work/shared/docs/sources/yandex-market-megamarket-1c.md, part B):

- B1 transport: every method is ``POST`` with JSON on ``https://api.megamarket.tech``; the request is
  ``{"meta": {}, "data": {"token": <merchant token>, ...}}`` and some clients also send the header
  ``X-Merchant-Token`` (S5), so both are sent. Answers are ``{"success": 1|0, "meta", "data", "error"}``
  and **HTTP 200 is common for logical errors**: ``success: 0`` is turned into an exception here
  (``check_body``). ``error`` is a list of ``{code, message|errorText, shipmentId?, itemIndex?,
  description?}`` on orderService and a single object on offerService (uncertainty 6), so both shapes
  are read. Transient 408/500/502/503/504 (the 50x ones from the edge proxy as HTML) are retried.
- Error codes are not published (uncertainty 4). A refused token (unknown, expired) is an auth failure,
  a rate-limit refusal inside HTTP 200 (``TOO_MANY_REQUESTS``, "Повторите запрос через N с") is a
  ``RateLimitError`` with that wait — retried, and it pauses the shared bucket — and an internal error
  is a ``ServerError``. Everything else is a ``ClientError`` naming the vendor's codes.
- Limits are unpublished (uncertainty 4); the method groups below are the ones the emulator and the
  limiter table (``sellerflow.sources.ratelimit``) share: ``orders`` (order/search, order/get),
  ``order_actions``, ``stocks``, ``prices``, ``reports``.
- Reports (B5): no API exists; the commission report is a cabinet download, so this client has no report
  call: reports enter as files (``file_import``: a drop folder per cabinet and an upload importer).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from sellerflow.sources._http import (
    ApiClient,
    AuthError,
    ClientError,
    MarketplaceAPIError,
    RateLimitError,
    ServerError,
)
from sellerflow.sources._http.redact import redact

ORDER_SERVICE = "/api/market/v1/orderService"
OFFER_SERVICE = "/api/merchantIntegration/v1/offerService"
AUTH_CODES = frozenset({"TOKEN_INVALID", "TOKEN_EXPIRED", "UNAUTHORIZED", "ACCESS_DENIED", "FORBIDDEN"})
RATE_LIMIT_CODES = frozenset({"TOO_MANY_REQUESTS", "RATE_LIMIT", "RATE_LIMIT_EXCEEDED"})
SERVER_CODES = frozenset({"INTERNAL_ERROR", "SERVICE_UNAVAILABLE"})
_WAIT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:с|сек|s\b|sec)", re.IGNORECASE)
_GROUPS = (
    (f"{ORDER_SERVICE}/order/search", "orders"),
    (f"{ORDER_SERVICE}/order/get", "orders"),
    (f"{ORDER_SERVICE}/", "order_actions"),
    (f"{OFFER_SERVICE}/stock/", "stocks"),
    (f"{OFFER_SERVICE}/manualPrice/", "prices"),
)


class MegamarketError(ClientError):
    """A logical failure (``success: 0``); ``errors`` holds the vendor's error items."""

    def __init__(self, message: str, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors

    def codes(self) -> set[str]:
        """The error codes of the answer."""
        return {str(e.get("code")) for e in self.errors if e.get("code")}

    def shipment_ids(self, code: str) -> set[str]:
        """Shipments named by error items of ``code`` (e.g. ``SHIPMENT_NOT_FOUND``)."""
        return {str(e["shipmentId"]) for e in self.errors if e.get("code") == code and e.get("shipmentId")}


def error_items(body: Any) -> list[dict[str, Any]]:
    """The ``error`` of an answer as a list of items (list on orderService, one object on offerService)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return [error]
    if isinstance(error, list):
        return [e for e in error if isinstance(e, dict)]
    return []


def wait_hint_s(items: list[dict[str, Any]]) -> float | None:
    """Seconds a rate-limit refusal asks to wait ("Повторите запрос через 3 с"), when it says."""
    for item in items:
        for text in (item.get("description"), item.get("message"), item.get("errorText")):
            if isinstance(text, str) and (match := _WAIT.search(text)):
                return float(match.group(1).replace(",", "."))
    return None


class MegamarketClient(ApiClient):
    """Megamarket merchant API over httpx."""

    vendor = "megamarket"
    auth_fix = (
        "generate a new API token in the Megamarket merchant cabinet (Настройки → Интеграция по API), put it "
        "into the connection's password and its expiry into extra.token_expires_at"
    )

    def auth_headers(self) -> dict[str, str]:
        """``X-Merchant-Token`` (the body's ``data.token`` carries it as well)."""
        return {"X-Merchant-Token": self.account.token}

    def groups_for(self, method: str, path: str) -> tuple[str, ...]:
        """The method group of ``path`` (see the module docstring)."""
        for prefix, group in _GROUPS:
            if path.startswith(prefix):
                return (group,)
        return ("default",)

    def error_for(self, response: httpx.Response, message: str) -> MarketplaceAPIError:
        """HTTP errors; an envelope with a token error code is an auth failure whatever the status."""
        error = super().error_for(response, message)
        try:
            items = error_items(response.json())
        except ValueError:
            return error
        codes = {str(i.get("code")) for i in items}
        if codes & AUTH_CODES:
            return AuthError(message, **self._kwargs(response))
        return error

    def check_body(self, response: httpx.Response, data: Any) -> None:
        """``success: 0`` inside HTTP 200 is a failure: auth, rate limit (retried), server, or the request's."""
        if not isinstance(data, dict) or data.get("success") in (1, True):
            return
        if data.get("success") is None and not data.get("error"):
            return  # not an envelope (nothing to check)
        items = error_items(data)
        codes = {str(i.get("code")) for i in items if i.get("code")}
        described = "; ".join(
            f"{i.get('code')}: {i.get('message') or i.get('errorText') or ''}"
            + (f" ({i['description']})" if i.get("description") else "")
            + (f" [shipment {i['shipmentId']}]" if i.get("shipmentId") else "")
            for i in items[:5]
        )
        message = redact(
            f"{self.vendor} account {self.account.account_id}: {response.request.url.path} answered "
            f"success=0: {described or str(data)[:300]}",
            self.account.secrets(),
        )
        kwargs = self._kwargs(response)
        if codes & AUTH_CODES:
            raise AuthError(message, **kwargs)
        if codes & RATE_LIMIT_CODES:
            raise RateLimitError(message, retry_after_s=wait_hint_s(items), **kwargs)
        if codes & SERVER_CODES:
            raise ServerError(message, **kwargs)
        raise MegamarketError(message, items, **kwargs)

    def _kwargs(self, response: httpx.Response) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "account_id": self.account.account_id,
            "status": response.status_code,
        }

    def call(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        """``POST path`` in the envelope; returns the answer's ``data`` (raises unless ``success: 1``)."""
        answer = self.request("POST", path, json={"meta": {}, "data": {"token": self.account.token, **data}})
        return dict(answer.get("data") or {})

    def search_shipments(self, date_from: str, date_to: str, count: int) -> list[str]:
        """``order/search``: ids of shipments created in ``[date_from, date_to]``, oldest first."""
        data = self.call(
            f"{ORDER_SERVICE}/order/search", {"dateFrom": date_from, "dateTo": date_to, "count": count}
        )
        return [str(i) for i in data.get("shipments") or []]

    def get_shipments(self, shipment_ids: list[str]) -> list[dict[str, Any]]:
        """``order/get``: the full shipments for these ids."""
        data = self.call(f"{ORDER_SERVICE}/order/get", {"shipments": shipment_ids})
        return [s for s in data.get("shipments") or [] if isinstance(s, dict)]
