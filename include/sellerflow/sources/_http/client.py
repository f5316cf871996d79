"""The base httpx client every marketplace client extends: limiter, timeouts, retries, error mapping.

One request = take a token from the shared limiter (sellerflow.sources.ratelimit) for the method's group,
send with an explicit ``httpx.Timeout``, turn the answer into data or into an exception of the tree in
``errors``, and let tenacity retry what is transient (429/420, 5xx, 408, timeouts, broken connections) with
exponential backoff and jitter, honouring the vendor's wait hints (``retry``); other 4xx fail at once.
A rate-limit refusal also pauses the shared bucket for every process. Subclasses supply the auth headers,
the method groups and the vendor's error shapes. Counters in ``stats`` feed progress lines and benchmarks.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from sellerflow.sources._http.errors import (
    AuthError,
    ClientError,
    MarketplaceAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    is_retryable,
)
from sellerflow.sources._http.redact import install_log_filter, redact, register_secrets
from sellerflow.sources._http.retry import BackoffWait, retry_after_s
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import DEFAULT_GROUP, Grant, Limiter, NullLimiter

logger = logging.getLogger(__name__)

RATE_LIMIT_STATUSES = frozenset({429})
BODY_SNIPPET = 300


@dataclass
class ClientStats:
    """What a client did: attempts per status, retries, time spent waiting for the limiter."""

    calls: int = 0
    retries: int = 0
    limiter_wait_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    last_grant: Grant | None = None

    @property
    def rate_limited(self) -> int:
        """Answers that were rate-limit refusals (429 or 420)."""
        return self.statuses[429] + self.statuses[420]


class ApiClient:
    """Base of the vendor clients; use as a context manager to close the connection pool."""

    vendor = ""
    rate_limit_statuses = RATE_LIMIT_STATUSES

    def __init__(
        self,
        account: MarketplaceAccount,
        limiter: Limiter | None = None,
        *,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        max_wait_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.account = account
        self.limiter = limiter or NullLimiter()
        self.max_retries = max_retries
        self.wait = BackoffWait(backoff_base_s, backoff_cap_s, max_wait_s)
        self.stats = ClientStats()
        register_secrets(account.secrets())
        install_log_filter()
        self._http = httpx.Client(
            base_url=account.base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers={"Accept": "application/json", **self.auth_headers()},
            transport=transport,
        )

    # -- what subclasses define ---------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Credential headers sent with every request."""
        return {}

    def groups_for(self, method: str, path: str) -> tuple[str, ...]:
        """The limiter groups a call counts against (the vendor's method groups)."""
        return (DEFAULT_GROUP,)

    def cost_for(self, method: str, path: str, json: Any, params: dict[str, Any] | None = None) -> float:
        """Units a call spends of its groups' quota: one request (vendors whose quota counts items override)."""
        return 1.0

    def error_for(self, response: httpx.Response, message: str) -> MarketplaceAPIError:
        """Map an unsuccessful answer to the exception tree (override for vendor-specific bodies)."""
        status = response.status_code
        kwargs: dict[str, Any] = {
            "vendor": self.vendor,
            "account_id": self.account.account_id,
            "status": status,
        }
        if status in self.rate_limit_statuses:
            return RateLimitError(message, retry_after_s=retry_after_s(response), **kwargs)
        if status in (401, 403):
            return AuthError(message, **kwargs)
        if status == 404:
            return NotFoundError(message, **kwargs)
        if status == 408 or status >= 500:
            return ServerError(message, retry_after_s=retry_after_s(response), **kwargs)
        return ClientError(message, **kwargs)

    def check_body(self, response: httpx.Response, data: Any) -> None:
        """Raise when a 2xx answer's body says the call failed (Megamarket's ``success: 0``)."""

    # -- the machinery ------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        allow_empty: bool = False,
        raw: bool = False,
    ) -> Any:
        """Send one call with limiter, retries and error mapping; return the decoded JSON (None on 204).

        ``raw`` returns the answer's bytes undecoded (file downloads such as report workbooks).
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self.wait,
            retry=retry_if_exception(is_retryable),
            reraise=True,
            before_sleep=self._log_retry,
        )
        return retrying(self._attempt, method, path, json, params, allow_empty, raw)

    def _log_retry(self, state: Any) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s account %s: %s; retry %d/%d in %.1f s",
            self.vendor,
            self.account.account_id,
            exc,
            state.attempt_number,
            self.max_retries,
            state.next_action.sleep if state.next_action else 0.0,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        json: Any,
        params: dict[str, Any] | None,
        allow_empty: bool,
        raw: bool = False,
    ) -> Any:
        groups = self.groups_for(method, path)
        account_id = self.account.account_id
        taken: list[str] = []
        cost = self.cost_for(method, path, json, params)
        try:
            for group in groups:
                grant = self.limiter.acquire(self.vendor, group, account_id, cost)
                taken.append(group)
                self.stats.limiter_wait_s += grant.waited_s
                self.stats.last_grant = grant
            self.stats.calls += 1
            try:
                response = self._http.request(method, path, json=json, params=params)
            except httpx.TimeoutException as exc:
                raise TransportError(
                    f"{self.vendor} {method} {path}: no answer in time ({type(exc).__name__})",
                    vendor=self.vendor,
                    account_id=account_id,
                ) from None
            except httpx.TransportError as exc:
                raise TransportError(
                    redact(f"{self.vendor} {method} {path}: connection failed: {exc}"),
                    vendor=self.vendor,
                    account_id=account_id,
                ) from None
        finally:
            for group in taken:
                self.limiter.release(self.vendor, group, account_id)
        self.stats.statuses[response.status_code] += 1
        if response.status_code >= 400:
            error = self.error_for(response, self._message(method, path, response))
            if isinstance(error, RateLimitError):
                self._penalize(groups, error)
            raise error
        if raw:
            return response.content
        if response.status_code == 204 or not response.content:
            if allow_empty:
                return None
            raise ServerError(
                f"{self.vendor} {method} {path}: empty answer (HTTP {response.status_code})",
                vendor=self.vendor,
                account_id=account_id,
                status=response.status_code,
            )
        try:
            data = response.json()
        except ValueError:
            raise ServerError(
                f"{self.vendor} {method} {path}: answer is not JSON (HTTP {response.status_code}, "
                f"{response.headers.get('content-type', '?')})",
                vendor=self.vendor,
                account_id=account_id,
                status=response.status_code,
            ) from None
        try:
            self.check_body(response, data)
        except RateLimitError as error:  # a refusal inside HTTP 200 (Megamarket) pauses the bucket too
            self._penalize(groups, error)
            raise
        return data

    def _penalize(self, groups: tuple[str, ...], error: RateLimitError) -> None:
        pause = error.retry_after_s if error.retry_after_s is not None else 1.0
        for group in groups:
            self.limiter.penalize(self.vendor, group, self.account.account_id, pause)

    def _message(self, method: str, path: str, response: httpx.Response) -> str:
        body = response.text[:BODY_SNIPPET].replace("\n", " ")
        return redact(
            f"{self.vendor} account {self.account.account_id}: {method} {path} answered "
            f"HTTP {response.status_code}: {body}",
            self.account.secrets(),
        )
