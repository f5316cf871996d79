"""What every Wildberries route shares: auth, rate limits, faults, error bodies, ids and formats.

Sources (WB's own OpenAPI files in ``shared/specs/wildberries``, snapshot 2026-07-22):
- 01-general ``components.responses`` 401/429: the gateway problem+json body
  ``{title, detail, code, requestId, origin, status, statusText, timestamp}``; security scheme
  ``HeaderApiKey`` = header ``Authorization`` (raw token; ``Bearer <token>`` is accepted too).
- 02-items / 03-orders-fbs: marketplace errors ``{code, message, data}``; prices envelope
  ``{data, error, errorText}``; every method's "Лимит запросов" table (period/limit/interval/burst,
  "Один запрос с кодами ответов 4XX учитывается как 10 запросов").
- WB knowledge base "Лимиты запросов WB API" (2026-04-03): token bucket; headers
  ``X-Ratelimit-Remaining`` on answers, ``X-Ratelimit-Retry`` / ``X-Ratelimit-Limit`` /
  ``X-Ratelimit-Reset`` on a 429 (exact header set is community-confirmed, see the fact sheet).
- 404 for an unknown path: ``{"title":"path not found","detail":"Please consult ...",...}``
  (dev.wildberries.ru api-information example).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sellerflow_emulators.runtime import EmulatorState, Fault, LimitDecision, format_ts, parse_ts

VENDOR = "wildberries"
MSK = timedelta(hours=3)

# Token categories (WB "Категории токена"), as they may be written in accounts.scopes.
CATEGORY_ALIASES: dict[str, set[str]] = {
    "content": {"content", "контент"},
    "marketplace": {"marketplace", "маркетплейс"},
    "statistics": {"statistics", "статистика"},
    "prices": {"prices", "discounts_prices", "цены и скидки"},
    "finance": {"finance", "финансы"},
    "analytics": {"analytics", "аналитика"},
}


@dataclass(frozen=True)
class WbLimit:
    """One WB method group's documented token-bucket limit (Personal/Service token)."""

    period_s: float
    limit: int
    burst: int
    four_xx_weight: int = 1  # "Один запрос с кодами ответов 4XX учитывается как 10 запросов"


# Method groups passed to RateLimiter.acquire(); values are WB's documented limits, for the
# core engineer's RateLimiter configuration (each method's "Лимит запросов" table).
RATE_LIMITS: dict[str, WbLimit] = {
    "marketplace": WbLimit(60, 300, 20, 10),  # FBS assembly tasks, supplies, passes
    "orders_cancel": WbLimit(60, 100, 20, 10),
    "stocks": WbLimit(60, 300, 20, 10),  # seller-warehouse stocks
    "warehouses": WbLimit(60, 300, 20, 10),
    "content": WbLimit(60, 100, 5),  # /content/v2/get/cards/list
    "prices": WbLimit(6, 10, 5),  # whole "Цены и скидки" category
    "statistics_orders": WbLimit(60, 1, 10),
    "statistics_sales": WbLimit(60, 1, 1),
    "finance_reports": WbLimit(60, 1, 1),  # sales-reports list + detailed, shared
    "reports_legacy": WbLimit(60, 1, 1),  # v5 reportDetailByPeriod
    "common": WbLimit(30, 3, 3),  # /ping
    "seller_info": WbLimit(60, 1, 10),  # /api/v1/seller-info (01-general getV1SellerInfo)
}


class WbError(Exception):
    """An answer WB gives instead of the normal one (rendered by the app's exception handler)."""

    def __init__(self, status: int, body: Any, media_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.media_type = media_type


@dataclass
class CallContext:
    """What a route learns from the shared dependency: whose cabinet, which fault, what clock."""

    account: sqlite3.Row
    fault: Fault | None
    now: datetime
    group: str

    @property
    def account_id(self) -> str:
        """The cabinet's canonical account id."""
        return str(self.account["id"])

    def vendor_settings(self) -> dict[str, Any]:
        """accounts.vendor JSON (e.g. ``legacy_v5``, ``token_type``)."""
        return json.loads(self.account["vendor"] or "{}")


# ---------------------------------------------------------------- error bodies


def request_id() -> str:
    """A WB-style 32-hex request id."""
    return uuid.uuid4().hex


def gateway_error(status: int, title: str, detail: str, origin: str = "s2s-api-auth-catalog") -> WbError:
    """The API gateway's problem+json body used for 401/403/429 and 5xx on every host."""
    body = {
        "title": title,
        "detail": detail,
        "code": f"07e4668e-{uuid.uuid4().hex[:12]}",
        "requestId": request_id(),
        "origin": origin,
        "status": status,
        "statusText": STATUS_TEXT.get(status, "Error"),
        "timestamp": format_ts(datetime.now(UTC)),
    }
    return WbError(status, body)


STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def path_not_found() -> WbError:
    """WB's answer for a path it does not serve (also for the retired v5 report when off)."""
    body = {
        "title": "path not found",
        "detail": "Please consult https://dev.wildberries.ru/openapi/api-information",
        "status": 404,
        "statusText": "Not Found",
        "timestamp": format_ts(datetime.now(UTC)),
    }
    return WbError(404, body)


def marketplace_error(status: int, code: str, message: str, data: Any = None) -> WbError:
    """marketplace-api error ``{code, message, data}`` (03-orders-fbs, 02-items stocks)."""
    return WbError(status, {"code": code, "message": message, "data": data})


def bad_parameter() -> WbError:
    """400 IncorrectParameter, the documented example for bad query parameters."""
    return marketplace_error(400, "IncorrectParameter", "Передан некорректный параметр")


def bad_body() -> WbError:
    """400 IncorrectRequestBody, the documented example for an unreadable body."""
    return marketplace_error(400, "IncorrectRequestBody", "Некорректное тело запроса")


def prices_error(status: int, text: str) -> WbError:
    """discounts-prices-api envelope ``{data: null, error: true, errorText}``."""
    return WbError(status, {"data": None, "error": True, "errorText": text})


def finance_error(detail: str) -> WbError:
    """finance-api 400 problem+json (13-finances ``response400FinancialReports``)."""
    body = {
        "status": 400,
        "title": "GetReportDetailByPeriodNB decode error",
        "detail": f"GetReportDetailByPeriodNB decode error: {detail}",
        "requestId": str(uuid.uuid4()),
        "origin": "open-api-finreports",
    }
    return WbError(400, body, "application/problem+json")


def render_error(exc: WbError) -> Response:
    """The HTTP response for a WbError."""
    return JSONResponse(exc.body, status_code=exc.status, media_type=exc.media_type)


# ---------------------------------------------------------------- auth and limits


def _token_from(request: Request) -> str | None:
    raw = request.headers.get("authorization")
    if not raw:
        return None
    raw = raw.strip()
    return raw[7:].strip() if raw.lower().startswith("bearer ") else raw


def authenticate(state: EmulatorState, request: Request, category: str | None) -> sqlite3.Row:
    """The WB cabinet whose token is in ``Authorization``; 401 like WB when it cannot be used.

    accounts.scopes lists the token's categories; a NULL scopes column means an all-category
    token. The exact WB wording of a missing-category 401 is not in the spec [UNCERTAIN].
    """
    token = _token_from(request)
    if not token:
        raise gateway_error(401, "unauthorized", "empty Authorization header")
    row = (
        state.conn()
        .execute("select * from accounts where token = ? and marketplace = ?", (token, VENDOR))
        .fetchone()
    )
    if row is None:
        raise gateway_error(
            401, "unauthorized", "token problem; token is malformed: could not parse token signature"
        )
    if row["token_expires_at"] and parse_ts(row["token_expires_at"]) <= state.now():
        raise gateway_error(401, "unauthorized", "token problem; token is expired")
    if category is not None and row["scopes"]:
        granted = {str(s).strip().lower() for s in json.loads(row["scopes"])}
        if not granted & CATEGORY_ALIASES[category]:
            raise gateway_error(401, "unauthorized", "token scope not allowed")
    return row


def limit_headers(decision: LimitDecision) -> dict[str, str]:
    """X-Ratelimit-* headers for one limiter decision (all four on a 429)."""
    now = datetime.now(UTC)
    reset_s = max(0, round((decision.reset_at - now).total_seconds()))
    headers = {
        "X-Ratelimit-Remaining": str(max(decision.remaining, 0)),
        "X-Ratelimit-Limit": str(decision.limit),
        "X-Ratelimit-Reset": str(reset_s),
    }
    if not decision.allowed:
        headers["X-Ratelimit-Retry"] = str(max(1, round(decision.retry_after_s + 0.49)))
    return headers


def too_many_requests(decision: LimitDecision) -> Response:
    """WB's 429: gateway body plus X-Ratelimit-* headers (01-general ``components.responses.429``)."""
    err = gateway_error(429, "too many requests", f"limited by {uuid.uuid4()}")
    return JSONResponse(err.body, status_code=429, headers=limit_headers(decision))


# ---------------------------------------------------------------- ids, money, time


def stable_int(*parts: object, digits: int = 9) -> int:
    """A deterministic positive integer derived from ``parts`` (for ids WB has and we do not store)."""
    digest = hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:15], 16) % (10**digits) + 10 ** (digits - 1)


def stable_hex(*parts: object, length: int = 32) -> str:
    """A deterministic hex string derived from ``parts``."""
    return hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:length]


def money(kop: int) -> str:
    """Kopecks as WB's finance string: ``36700 -> "367"``, ``2374 -> "23.74"``, ``1250 -> "12.5"``."""
    text = format(Decimal(kop) / 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def money_number(kop: int) -> int | float:
    """Kopecks as a JSON number in rubles (statistics feeds and the legacy v5 report)."""
    return kop // 100 if kop % 100 == 0 else kop / 100


def to_msk(ts: str) -> str:
    """Canonical UTC timestamp as WB statistics prints it: Moscow time, no zone."""
    return (datetime.fromisoformat(ts[:19]) + MSK).isoformat(timespec="seconds")


def parse_msk(text: str) -> datetime:
    """An RFC3339 date or date-time without a zone, in Moscow time (WB statistics/finance input)."""
    text = text.strip()
    if text.endswith("Z") or "+" in text[10:]:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC)
    moment = datetime.strptime(text, "%Y-%m-%d") if len(text) == 10 else datetime.fromisoformat(text[:26])
    return (moment - MSK).replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """A UTC datetime as the store's canonical text."""
    return format_ts(moment)
