"""Megamarket's response envelope and its error renderings.

Every merchant API answer is ``{"success": 1|0, "meta": {}, "data": {...}, "error": ...}`` and
logical failures (bad token, unknown shipment, wrong status, rate limit) come back with HTTP 200
and ``success: 0`` (shared/docs/sources/yandex-market-megamarket-1c.md, B1). On orderService
methods ``error`` is a list of ``{code, message, shipmentId?, itemIndex?, boxCode?, description?}``;
on offerService methods clients read it as a single object (same doc, "Uncertain" item 6).

The error *codes* are not documented anywhere we could read (B "Uncertain" item 4): the codes
below are the emulator's own, stable names; messages are Russian like the vendor's.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse

TOKEN_INVALID = "TOKEN_INVALID"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
VALIDATION_ERROR = "VALIDATION_ERROR"
SHIPMENT_NOT_FOUND = "SHIPMENT_NOT_FOUND"
ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
WRONG_STATUS = "WRONG_STATUS"
OFFER_NOT_FOUND = "OFFER_NOT_FOUND"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
INTERNAL_ERROR = "INTERNAL_ERROR"

MESSAGES = {
    TOKEN_INVALID: "Токен не найден или недействителен",
    TOKEN_EXPIRED: "Срок действия токена истёк",
    TOO_MANY_REQUESTS: "Превышен лимит запросов",
    VALIDATION_ERROR: "Ошибка валидации запроса",
    SHIPMENT_NOT_FOUND: "Отправление не найдено",
    ITEM_NOT_FOUND: "Лот не найден в отправлении",
    WRONG_STATUS: "Операция недоступна в текущем статусе отправления",
    OFFER_NOT_FOUND: "Оффер не найден",
    LIMIT_EXCEEDED: "Превышено допустимое количество элементов в запросе",
    INTERNAL_ERROR: "Внутренняя ошибка сервиса",
}


def error_item(code: str, description: str | None = None, **ids: str | None) -> dict[str, Any]:
    """One error entry: code, the vendor-style message and whichever ids locate it."""
    item: dict[str, Any] = {"code": code, "message": MESSAGES[code]}
    item.update({key: value for key, value in ids.items() if value is not None})
    if description:
        item["description"] = description
    return item


def ok(data: dict[str, Any] | None = None) -> JSONResponse:
    """A successful answer."""
    return JSONResponse({"success": 1, "meta": {}, "data": data if data is not None else {}})


def failure(errors: list[dict[str, Any]], *, single: bool = False, data: dict | None = None) -> JSONResponse:
    """A logical failure inside HTTP 200 (``single`` renders offerService's one-object ``error``)."""
    body: dict[str, Any] = {"success": 0, "meta": {}, "data": data if data is not None else {}}
    body["error"] = errors[0] if single else errors
    return JSONResponse(body)


def rate_limited(retry_after_s: float, *, single: bool) -> JSONResponse:
    """The refusal of a request over the method group's limit (success=0 inside HTTP 200)."""
    wait = max(1, round(retry_after_s + 0.4999))
    return failure([error_item(TOO_MANY_REQUESTS, f"Повторите запрос через {wait} с")], single=single)


def server_error(status: int) -> JSONResponse | HTMLResponse:
    """A transient 5xx: the API's own JSON for 500, the edge proxy's HTML page for 502/503/504."""
    if status == 500:
        return JSONResponse(
            {"success": 0, "meta": {}, "data": {}, "error": [error_item(INTERNAL_ERROR)]}, status_code=500
        )
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}.get(
        status, "Error"
    )
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return HTMLResponse(page, status_code=status)
