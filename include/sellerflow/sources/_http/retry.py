"""How long to wait before the next attempt: the vendor's own hint first, else exponential backoff with jitter.

Hints, in the order they are trusted (ozon-wildberries.md "Rate limits", yandex-market-megamarket-1c.md A1):

- ``X-Ratelimit-Retry``: seconds (Wildberries on 429);
- ``Retry-After``: seconds or an HTTP date (RFC 9110 §10.2.3; some WB hosts, generic proxies);
- ``X-RateLimit-Resource-Until``: an RFC 822 date when the Yandex Market quota refills (on 420). It is
  compared with the answer's own ``Date`` header when present, so a skewed local clock does not matter.

A hint is capped (``max_wait_s``): a vendor asking for an hour is better answered by failing the task and
letting Airflow retry it later than by holding a worker slot.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState

from sellerflow.sources._http.errors import MarketplaceAPIError


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def retry_after_s(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the vendor asks us to wait before retrying, or None when the answer gives no hint."""
    headers = response.headers
    if (value := headers.get("x-ratelimit-retry")) is not None and (s := _seconds(value)) is not None:
        return s
    if (value := headers.get("retry-after")) is not None:
        if (s := _seconds(value)) is not None:
            return s
        if (moment := _http_date(value)) is not None:
            reference = _http_date(headers.get("date", "")) or now or datetime.now(UTC)
            return max(0.0, (moment - reference).total_seconds())
    if (value := headers.get("x-ratelimit-resource-until")) is not None and (
        moment := _http_date(value)
    ) is not None:
        reference = _http_date(headers.get("date", "")) or now or datetime.now(UTC)
        return max(0.0, (moment - reference).total_seconds())
    return None


class BackoffWait:
    """tenacity ``wait``: the error's ``retry_after_s`` when it has one, else full-jitter exponential backoff."""

    def __init__(self, base_s: float = 0.5, cap_s: float = 30.0, max_wait_s: float = 120.0) -> None:
        self.base_s, self.cap_s, self.max_wait_s = base_s, cap_s, max_wait_s

    def __call__(self, retry_state: RetryCallState) -> float:
        """Seconds to sleep before attempt number ``retry_state.attempt_number + 1``."""
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, MarketplaceAPIError) and exc.retry_after_s is not None:
            # A small jitter on top keeps parallel workers from hitting the refill instant together.
            return min(self.max_wait_s, exc.retry_after_s + random.uniform(0, 0.25))
        ceiling = min(self.cap_s, self.base_s * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(self.base_s / 2, ceiling)
