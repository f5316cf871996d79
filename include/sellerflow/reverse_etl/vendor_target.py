"""What the marketplace targets share: one vendor client per cabinet, batches grouped per request, errors → outcomes.

A marketplace target (``targets/<vendor>_<what>.py``) subclasses :class:`MarketplaceTarget` and writes
``send_group(client, account, items)``: one vendor request for items that share a :meth:`batch_key` (the
cabinet, and for Wildberries the warehouse), returning one :class:`~.outbox.Outcome` per item, mapped from the
vendor's per-item answer. The sender groups claimed items by ``batch_key`` before it cuts them into batches of
``max_batch`` (so a batch is one request), and the base class

- makes the vendor client of :mod:`sellerflow.sources` with the sender's shared limiter and **no retries of its
  own** (``max_retries=0``): a transient failure goes back to the outbox (``failed`` with ``retry_at``), which
  retries only the failed items, honouring the vendor's wait hint (429/420 ``Retry-After``; a rate limit never
  counts toward parking);
- parks items whose payload lists ``problems`` (unmapped SKU…) without a request;
- turns a failed call into outcomes: rate limit / 5xx / timeout → transient, anything else → permanent with
  the vendor's message (its body is kept: :attr:`last_body` holds the last answer's JSON for per-item maps).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import httpx

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.sender import SendContext
from sellerflow.sources._http import ApiClient, MarketplaceAPIError
from sellerflow.sources._http.errors import AuthError, RateLimitError
from sellerflow.sources.account import MarketplaceAccount

logger = logging.getLogger(__name__)


def outcome_for(exc: MarketplaceAPIError, requests: list[str]) -> Outcome:
    """A failed vendor call as an outcome for each of its items."""
    kw: dict[str, Any] = {"http_status": exc.status, "requests": list(requests)}
    if isinstance(exc, RateLimitError):
        return Outcome.throttled_by_vendor(str(exc), retry_after_s=exc.retry_after_s or 1.0, **kw)
    if exc.retryable:
        return Outcome.transient(str(exc), **kw)
    if isinstance(exc, AuthError):
        return Outcome.permanent(f"{exc} — a person must renew the cabinet's token", **kw)
    return Outcome.permanent(str(exc), **kw)


class MarketplaceTarget:
    """Base of the marketplace targets; ``accounts(account_id)`` gives a cabinet's connection."""

    name: ClassVar[str]
    vendor: ClassVar[str]
    sync_model: ClassVar[str | None]
    max_batch: ClassVar[int]
    claim_size: ClassVar[int] = 2000
    client_class: ClassVar[type[ApiClient]]

    def __init__(
        self,
        accounts: Callable[[str], MarketplaceAccount],
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self._accounts = accounts
        self._options = {"max_retries": 0, **(client_options or {})}
        self._clients: dict[str, ApiClient] = {}
        self.last_body: Any = None
        self.requests_made = 0

    # -- plumbing -------------------------------------------------------------------------------------------
    def _client(self, account_id: str, ctx: SendContext) -> ApiClient:
        client = self._clients.get(account_id)
        if client is None:
            client = self.client_class(self._accounts(account_id), ctx.limiter, **self._options)
            client._http.event_hooks["response"].append(self._keep_body)
            self._clients[account_id] = client
        return client

    def _keep_body(self, response: httpx.Response) -> None:
        self.requests_made += 1
        response.read()
        try:
            self.last_body = response.json() if response.content else None
        except (ValueError, json.JSONDecodeError):
            self.last_body = None

    def close(self) -> None:
        """Close every cabinet's connection pool."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # -- the Target protocol --------------------------------------------------------------------------------
    def batch_key(self, item: Item) -> str:
        """Items with the same key may share one request (the cabinet; override to add the warehouse)."""
        return item.account_id

    def describe(self, item: Item) -> str:
        """What sending the item does, in words (dry runs)."""
        return json.dumps(item.payload, ensure_ascii=False)

    def preview(self, item: Item) -> Outcome:
        """Dry run: what would be sent; nothing is contacted."""
        if item.payload.get("problems"):
            return Outcome.permanent("; ".join(item.payload["problems"]))
        return Outcome("dry_run", f"would send to {item.account_id}: {self.describe(item)}")

    def send(self, items: Sequence[Item], ctx: SendContext) -> list[Outcome]:
        """One request per group of sendable items; outcomes in the items' order."""
        outcomes: dict[int, Outcome] = {}
        sendable: list[Item] = []
        for item in items:
            if item.payload.get("problems"):
                outcomes[item.id] = Outcome.permanent("; ".join(item.payload["problems"]))
            else:
                sendable.append(item)
        ordered = sorted(sendable, key=self.batch_key)
        for key, group in itertools.groupby(ordered, key=self.batch_key):
            chunk = list(group)
            for start in range(0, len(chunk), self.max_batch):
                part = chunk[start : start + self.max_batch]
                for item, outcome in zip(part, self._send_part(part, ctx), strict=True):
                    outcomes[item.id] = outcome
            logger.debug("%s %s: %d items sent", self.name, key, len(chunk))
        return [outcomes[item.id] for item in items]

    def _send_part(self, items: list[Item], ctx: SendContext) -> list[Outcome]:
        account_id = items[0].account_id
        self.last_body = None
        requests: list[str] = []
        try:
            client = self._client(account_id, ctx)
            return self.send_group(client, account_id, items, requests)
        except MarketplaceAPIError as exc:
            mapped = self.on_error(exc, items, requests)
            if mapped is not None:
                return mapped
            return [outcome_for(exc, requests) for _ in items]

    # -- what a target writes -------------------------------------------------------------------------------
    def send_group(
        self, client: ApiClient, account_id: str, items: list[Item], requests: list[str]
    ) -> list[Outcome]:
        """One request for ``items`` (same batch key, at most ``max_batch``); one outcome per item."""
        raise NotImplementedError

    def on_error(
        self, exc: MarketplaceAPIError, items: list[Item], requests: list[str]
    ) -> list[Outcome] | None:
        """Per-item outcomes from a refused request's body (:attr:`last_body`), or None for all alike."""
        return None
