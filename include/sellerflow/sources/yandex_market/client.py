"""The Yandex Market Partner API client: ``Api-Key`` auth, 420 as the rate-limit answer, per-resource groups.

Facts (yandex-market-megamarket-1c.md A1; official spec yandex-market/yandex-market-partner-api @ 1318e9b8,
``securitySchemes``, ``x-auth-scopes``, ``x-resource-limit-config``; docs concepts/api-key, limits, error-codes):

- base URL ``https://api.partner.market.yandex.ru``; the header ``Api-Key: <token>`` authenticates (no
  ``Bearer`` prefix). The deprecated OAuth form ``Authorization: Bearer <token>`` is sent instead when the
  connection's extra says ``"auth": "oauth"``.
- errors are ``{"status": "ERROR", "errors": [{"code", "message"}]}``; 401 (missing, invalid or revoked
  Api-Key) and 403 (bad OAuth token, a scope the key lacks, someone else's campaign) are authentication
  failures a person must fix.
- the rate-limit answer is **420 Enhance Your Calm**, either "Hit rate limit of N requests per 'period' for
  resource 'R'" with ``X-RateLimit-Resource-Until`` (when the quota refills; honoured by the base client's
  retry wait) or "Hit rate limit of N parallel requests" without a hint.
- quotas are per resource (method), counted per campaign or business, and on top of them a cap of parallel
  requests per campaign/business. Every call therefore takes a token from its resource's group and then
  a slot of the shared ``parallel`` group (``ParallelCapped`` around the shared limiter; the slot is taken
  after the token, so no slot is held while waiting for a quota). A 420 pauses only the resource's group:
  one exhausted hourly quota must not stop the other methods of the cabinet.
- the stock and price **writes** are quota'd in products, not requests (spec ``x-resource-limit-config.path``
  ``req.skus`` / ``req.offers``; docs updateStocks "100 000 products per minute", concepts/limits: a data-volume
  limit costs the size of the request's collection): ``PUT …/offers/stocks`` (group ``stocks_update``, its own
  resource, not getStocks' ``stocks``) and ``POST …/offer-prices/updates`` (``prices_update``) spend one token
  per SKU/offer of the body (:meth:`YandexMarketClient.cost_for`), so a large push is paced by products. A body
  must fit the bucket: the senders cut batches to :func:`item_budget`.
- the stock and price **reads** getStocks (``POST …/offers/stocks``, group ``stocks``) and getDefaultPrices
  (``POST …/offer-prices``, group ``prices``) are quota'd in the items of the *answer* (``path:
  resp.result.warehouses.offers.offerId`` / ``resp.result.offers``; docs getStocks "100 000 products per minute",
  getDefaultPrices "5 000 products per minute"). The answer's size is unknown before it comes, so a page spends
  its ``limit`` (the most items it can hold) before it is sent, and the streams ask pages of
  :func:`item_budget` items, a ``limit`` the bucket can hold: a catalogue bigger than the quota is read at the
  quota's pace, waiting for tokens instead of meeting the 420.
- report files (``getReportInfo`` → ``file``) are pre-signed links, downloaded **without** the token, so
  it never reaches a storage host.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from sellerflow.sources._http import ApiClient, MarketplaceAPIError, TransportError
from sellerflow.sources._http.errors import is_retryable
from sellerflow.sources._http.redact import redact
from sellerflow.sources.ratelimit import DEFAULT_GROUP, Grant, Limit, Limiter

PARALLEL_GROUP = "parallel"
RATE_LIMIT_STATUSES = frozenset({420, 429})

# Item-counted write quotas: limiter group → (the body's collection the quota counts, its per-request maximum).
ITEM_QUOTAS: dict[str, tuple[str, int]] = {"stocks_update": ("skus", 2000), "prices_update": ("offers", 500)}
# Reads whose quota counts the answer's items: limiter group → (default page ``limit``, its maximum) per the spec's
# PageLimit200 (getStocks) and PageLimit500Truncate (getDefaultPrices) parameters.
ANSWER_QUOTAS: dict[str, tuple[int, int]] = {"stocks": (100, 200), "prices": (250, 500)}

# path → limiter group (one per spec resource quota the streams use)
_GROUPS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), group)
    for pattern, group in (
        (r"^/v2/campaigns/?$", "campaigns"),
        (r"^/v2/auth/token$", "auth_token"),
        (r"^/v2/businesses/\d+/warehouses$", "warehouses"),
        (r"^/v2/businesses/\d+/offer-mappings$", "offer_mappings"),
        (r"^/v1/businesses/\d+/orders$", "orders"),
        (r"^/v2/campaigns/\d+/orders", "orders"),
        (r"^/v2/campaigns/\d+/offers/stocks$", "stocks"),
        (r"^/v2/businesses/\d+/offer-prices$", "prices"),
        (r"^/v2/businesses/\d+/offer-prices/updates$", "prices_update"),
        (r"^/v2/reports/[^/]+/generate$", "reports_generate"),
        (r"^/v2/reports/info/", "report_info"),
    )
)


_STOCKS_WRITE = re.compile(r"^/v2/campaigns/\d+/offers/stocks$")


def item_budget(limiter: object, group: str) -> int:
    """Products one write of ``group`` may carry, or one page of an answer-counted read may ask for: the documented
    per-request maximum, cut to what the limiter's bucket can ever hold (a bigger call would wait forever, or,
    without our limiter, meet YM's 420)."""
    maximum = ITEM_QUOTAS[group][1] if group in ITEM_QUOTAS else ANSWER_QUOTAS[group][1]
    find = getattr(limiter, "limit", None)
    limit = find("yandex_market", group) if callable(find) else None
    capacity = getattr(limit, "capacity", None)
    return max(1, min(maximum, int(capacity))) if capacity else maximum


class ParallelCapped:
    """A limiter whose every grant of a resource group also holds a slot of the cabinet's parallel cap."""

    def __init__(self, inner: Limiter) -> None:
        self.inner = inner

    def acquire(self, vendor: str, group: str, account: str, cost: float = 1.0) -> Grant:
        """The resource's token, then a parallel slot; the grant reports the resource's bucket."""
        grant = self.inner.acquire(vendor, group, account, cost)
        slot = self.inner.acquire(vendor, PARALLEL_GROUP, account)
        return Grant(grant.waited_s + slot.waited_s, grant.tokens_left, grant.capacity)

    def release(self, vendor: str, group: str, account: str) -> None:
        """Free the parallel slot (and whatever the resource group holds)."""
        self.inner.release(vendor, PARALLEL_GROUP, account)
        self.inner.release(vendor, group, account)

    def penalize(self, vendor: str, group: str, account: str, seconds: float) -> None:
        """Pause the resource's group only."""
        self.inner.penalize(vendor, group, account, seconds)

    def limit(self, vendor: str, group: str) -> Limit | None:
        """The inner limiter's limit of a group (None when it has none, as ``NullLimiter``)."""
        find = getattr(self.inner, "limit", None)
        return find(vendor, group) if callable(find) else None


class YandexMarketClient(ApiClient):
    """Yandex Market Partner API over httpx."""

    vendor = "yandex_market"
    rate_limit_statuses = RATE_LIMIT_STATUSES
    auth_fix = (
        "create an API key in the Yandex Market partner cabinet (Settings → API and modules → API keys) "
        "with the access groups the streams need — 'all-methods:read-only', or 'inventory-and-order-"
        "processing:read-only', 'offers-and-cards-management:read-only', 'pricing:read-only' and "
        "'finance-and-accounting' — and put it into the connection's password (extra.business_id = the "
        "cabinet id)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = ParallelCapped(self.limiter)
        self._files = httpx.Client(timeout=self._http.timeout, follow_redirects=True)
        self._business_id: int | None = None

    def auth_headers(self) -> dict[str, str]:
        """``Api-Key`` (or the deprecated OAuth ``Authorization: Bearer``)."""
        if str(self.account.settings.get("auth", "")).lower() == "oauth":
            return {"Authorization": f"Bearer {self.account.token}"}
        return {"Api-Key": self.account.token}

    @property
    def uses_api_key(self) -> bool:
        """Whether the token is an Api-Key (``POST /v2/auth/token`` answers only for those)."""
        return "Api-Key" in self.auth_headers()

    def groups_for(self, method: str, path: str) -> tuple[str, ...]:
        """The resource's quota group (the parallel slot is added by ``ParallelCapped``)."""
        if method == "PUT" and _STOCKS_WRITE.match(path):
            return ("stocks_update",)
        for pattern, group in _GROUPS:
            if pattern.match(path):
                return (group,)
        return (DEFAULT_GROUP,)

    def cost_for(self, method: str, path: str, json: Any, params: dict[str, Any] | None = None) -> float:
        """One unit per product of a stock/price write's body, the page's ``limit`` (the most items its answer
        can hold) for a stock/price read (their quotas count products), else one request."""
        (group,) = self.groups_for(method, path)
        if group in ITEM_QUOTAS and isinstance(json, dict):
            return float(max(1, len(json.get(ITEM_QUOTAS[group][0]) or [])))
        if group in ANSWER_QUOTAS:
            default, maximum = ANSWER_QUOTAS[group]
            asked = (params or {}).get("limit")
            return float(max(1, min(int(asked) if asked is not None else default, maximum)))
        return 1.0

    def close(self) -> None:
        """Close both connection pools."""
        super().close()
        self._files.close()

    # -- calls the streams use ---------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``GET path``; returns the decoded answer."""
        return self.request("GET", path, params=params)

    def post(
        self, path: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None
    ) -> Any:
        """``POST path`` with a JSON body (``{}`` when none: most list methods require one)."""
        return self.request("POST", path, json=body or {}, params=params)

    def business_id(self) -> int:
        """The cabinet id: the connection's ``extra.business_id``, else the first campaign's business."""
        if self._business_id is None:
            configured = self.account.settings.get("business_id")
            if configured:
                self._business_id = int(configured)
            else:
                campaigns = self.get("/v2/campaigns", {"limit": 100}).get("campaigns") or []
                if not campaigns:
                    raise MarketplaceAPIError(
                        f"yandex_market account {self.account.account_id}: the token opens no campaign; "
                        "set extra.business_id",
                        vendor=self.vendor,
                        account_id=self.account.account_id,
                    )
                self._business_id = int(campaigns[0]["business"]["id"])
        return self._business_id

    def download(self, url: str) -> bytes:
        """A report file by its pre-signed link: no token sent, retried like any call."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self.wait,
            retry=retry_if_exception(is_retryable),
            reraise=True,
            before_sleep=self._log_retry,
        )
        return retrying(self._download_once, url)

    def _download_once(self, url: str) -> bytes:
        self.stats.calls += 1
        shown = url.split("?", 1)[0]  # the query of a pre-signed link is its signature
        try:
            response = self._files.get(url)
        except httpx.HTTPError as exc:
            raise TransportError(
                redact(f"{self.vendor} GET {shown}: download failed ({type(exc).__name__})"),
                vendor=self.vendor,
                account_id=self.account.account_id,
            ) from None
        self.stats.statuses[response.status_code] += 1
        if response.status_code >= 400:
            raise self.error_for(response, self._message("GET", shown, response))
        return response.content
