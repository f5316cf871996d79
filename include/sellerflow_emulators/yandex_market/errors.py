"""Yandex Market error bodies: ``{"status": "ERROR", "errors": [{"code", "message"}]}``.

Shape: official spec ``ApiErrorResponse`` / ``ApiErrorDTO`` (``code`` required, ``message``).
Messages: docs "Types of errors and what to do about them" (concepts/error-codes), which gives
the texts ("Api-Key token is invalid", "Hit rate limit of 'N' parallel requests", ...) and the
one example code ``UNAUTHORIZED``. [?] The other ``code`` values are not documented; we use the
HTTP reason in upper snake case (``BAD_REQUEST``, ``FORBIDDEN``, ``NOT_FOUND``, ...).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
    420: "HIT_RATE_LIMIT",
    423: "LOCKED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class YmError(Exception):
    """An API error rendered as YM's error body with the given HTTP status."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "ERROR")
        self.headers = headers or {}


def error_body(code: str, message: str) -> dict[str, Any]:
    """The documented error envelope."""
    return {"status": "ERROR", "errors": [{"code": code, "message": message}]}


def error_response(err: YmError) -> JSONResponse:
    """Render a :class:`YmError` as an HTTP response."""
    return JSONResponse(error_body(err.code, err.message), status_code=err.status, headers=err.headers)


def bad_request(message: str) -> YmError:
    """400 with the given message (wrong data, wrong status transition, over-limit batch...)."""
    return YmError(400, message)
