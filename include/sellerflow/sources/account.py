"""A marketplace account (one seller cabinet) as the clients and streams see it, whatever Airflow holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class MarketplaceAccount:
    """One cabinet: where its API is, the credentials, and the seller's settings for it.

    ``account_id`` is what raw tables and ``ops`` key on (``ozon_main``); ``conn_id`` the Airflow connection
    it came from (``mp_ozon_main``). The token is excluded from ``repr`` so it cannot leak through a log line
    or a traceback's locals.
    """

    source: str
    account_id: str
    conn_id: str
    base_url: str
    token: str = field(repr=False)
    client_id: str | None = None
    legal_entity_id: str | None = None
    legal_entity_inn: str | None = None
    token_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    rate_limits: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)  # other extras: horizon, overlap, campaigns...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged or stored."""
        return (self.token,)
