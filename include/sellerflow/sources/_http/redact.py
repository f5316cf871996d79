"""Keep secrets out of error messages and logs.

Clients register their account's secrets (tokens, API keys) here. ``redact`` replaces every registered
secret in a text, and ``SecretFilter`` does the same on log records of the loggers that may print request
lines (httpx, httpcore and ours), so a token that ends up in a URL or an echoed error body is never logged.
Headers are never logged at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

MASK = "***"
SECRET_HEADERS = frozenset({"api-key", "authorization", "x-merchant-token", "client-secret", "cookie"})
_MIN_SECRET_LEN = 6  # shorter values (ids like "1") would mask unrelated text

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secrets to mask from now on (process-wide)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= _MIN_SECRET_LEN)


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """``text`` with every registered secret (and ``extra`` ones) replaced by ``***``."""
    with _lock:
        secrets = _secrets | {v for v in extra if v and len(v) >= _MIN_SECRET_LEN}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the values of credential headers masked."""
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


class SecretFilter(logging.Filter):
    """Masks registered secrets in the formatted message of every record passing through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = SecretFilter()


LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2")


def install_log_filter(names: Iterable[str] = LOGGERS) -> None:
    """Attach the filter to the loggers that print request lines (filters do not inherit, so each by name)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
