"""The exception tree every marketplace client raises, and which of its errors are worth a retry.

``MarketplaceAPIError`` → ``RateLimitError`` (429, Yandex Market's 420), ``ServerError`` (5xx, 408),
``TransportError`` (timeouts, refused connections), ``AuthError`` (401/403, expired or unscoped tokens),
``NotFoundError`` (404), ``ClientError`` (any other 4xx, and answers whose body says the call failed, such as
Megamarket's ``success: 0`` inside HTTP 200). Only the first three are retried: a 4xx will not get better by
asking again. Messages are redacted before an error is built (see ``redact``).
"""

from __future__ import annotations


class MarketplaceAPIError(RuntimeError):
    """A vendor call failed; ``status`` is the HTTP status (None when no answer came)."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        account_id: str = "",
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.account_id = account_id
        self.status = status
        self.retry_after_s = retry_after_s


class RateLimitError(MarketplaceAPIError):
    """The vendor refused the call for its rate limit (HTTP 429, or 420 on Yandex Market)."""

    retryable = True


class ServerError(MarketplaceAPIError):
    """The vendor failed (5xx) or timed the request out on its side (408)."""

    retryable = True


class TransportError(MarketplaceAPIError):
    """No answer: connect/read timeout or a broken connection."""

    retryable = True


class AuthError(MarketplaceAPIError):
    """The token is invalid, expired, deactivated or lacks the scope of the method; a person must act."""


class NotFoundError(MarketplaceAPIError):
    """HTTP 404: unknown object or path (some vendors also use it for "report not published yet")."""


class ClientError(MarketplaceAPIError):
    """Any other refusal of the request itself (400, 409, 422, business errors in a 200 body)."""


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient vendor failure worth another attempt."""
    return isinstance(exc, MarketplaceAPIError) and exc.retryable
