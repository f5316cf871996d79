"""Shared HTTP machinery of the marketplace clients: base client, retries, exception tree, redaction."""

from sellerflow.sources._http.client import ApiClient, ClientStats
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
from sellerflow.sources._http.redact import redact, register_secrets

__all__ = [
    "ApiClient",
    "AuthError",
    "ClientError",
    "ClientStats",
    "MarketplaceAPIError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "is_retryable",
    "redact",
    "register_secrets",
]
