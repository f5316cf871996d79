"""Ozon error bodies: every failure is a gRPC-gateway ``rpcStatus``.

Shape ``{"code": <grpc code>, "message": "...", "details": []}`` — spec ``components.schemas.rpcStatus``
(OZ-RU-2025 / OZ-ZH-2026, every method's 400/403/404/409/500 answer). Messages of the global errors are
the ones listed in the spec's ``Errors`` tag ("Все методы"). Status/code pairs that the swagger does not
state come from live observations quoted in /work/shared/docs/sources/ozon-wildberries.md and community
clients (marked there as [community]); the choice for each is noted next to its constructor below.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

# gRPC status codes used by Ozon in ``rpcStatus.code``.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16


class OzonError(Exception):
    """An error answer: HTTP status plus the ``rpcStatus`` body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Ozon sends."""
        return {"code": self.code, "message": self.message, "details": []}

    def response(self) -> JSONResponse:
        """The full HTTP answer."""
        return JSONResponse(self.body(), status_code=self.status)


def bad_request(message: str) -> OzonError:
    """400 / code 3: request validation (pgv-style ``invalid <Message>.<Field>: ...`` texts)."""
    return OzonError(400, INVALID_ARGUMENT, message)


def not_found(message: str) -> OzonError:
    """404 / code 5: unknown posting, missing report."""
    return OzonError(404, NOT_FOUND, message)


def missing_credentials() -> OzonError:
    """No Client-Id or Api-Key header: 401 / code 16 [community emulator parity, not in the swagger]."""
    return OzonError(401, UNAUTHENTICATED, "Client-Id and Api-Key headers are required")


def bad_client_id() -> OzonError:
    """Client-Id that is not a positive integer: 400 / code 3 (observed live [community])."""
    return OzonError(400, INVALID_ARGUMENT, "Client-Id header value should be positive integer")


def invalid_api_key() -> OzonError:
    """Unknown Client-Id/Api-Key pair: 404 / code 5 (observed live [community]); message from ``Errors``."""
    return OzonError(404, NOT_FOUND, "Invalid Api-Key, please check the key and try again")


def deactivated_api_key() -> OzonError:
    """Expired/deactivated key: 403 / code 7 [community]; message from the spec's ``Errors`` tag.

    Ozon has no separate "expired" answer: keys past their validity are deactivated.
    """
    return OzonError(403, PERMISSION_DENIED, "Api-key is deactivated, use another one or generate a new one")


def rate_limited() -> OzonError:
    """Over the per-Client-Id limit: HTTP 429 / code 8 (observed live [community]); message from ``Errors``.

    Ozon documents no rate-limit headers, so none are sent.
    """
    return OzonError(429, RESOURCE_EXHAUSTED, "You have reached request rate limit per second")


def server_error(status: int) -> OzonError:
    """A 5xx answer: 503 is the circuit breaker (``Circle is open``), anything else ``Internal error``."""
    if status == 503:
        return OzonError(503, UNAVAILABLE, "Circle is open")
    return OzonError(status, INTERNAL, "Internal error")


def obsolete_method() -> OzonError:
    """A method Ozon switched off: HTTP 400 / code 9 ``obsolete method cannot be used`` (seen live on
    ``/v3/finance/transaction/list`` from 2026-09-08, rastropovich-dot/mp-analytics docs/ozon_finance_migration.md)."""
    return OzonError(400, 9, "obsolete method cannot be used")
