"""The Wildberries seller API client: one token in ``Authorization``, one host per API family, WB's limit groups.

Facts (/work/shared/docs/sources/ozon-wildberries.md "WILDBERRIES / Hosts, auth and common behaviour", WB
OpenAPI 01-general ``HeaderApiKey`` and each path's ``servers``):

- auth: header ``Authorization: <token>`` (a JWT carrying the token's categories, see ``token``);
- hosts: ``marketplace-api`` (FBS assembly tasks, warehouses, seller stocks), ``content-api`` (cards),
  ``discounts-prices-api`` (prices), ``statistics-api`` (supplier orders/sales), ``finance-api`` (sales
  reports), ``common-api`` (``/ping``, ``/api/v1/seller-info``), each ``*.wildberries.ru`` with a ``-sandbox`` twin except finance.
  A connection whose host is a ``wildberries.ru`` host is routed per family; any other host (the emulator,
  a proxy) serves every path itself. An extra ``hosts`` (``{"statistics": "https://..."}``) overrides one
  family;
- limits: token buckets per method group (WB knowledge base "Лимиты запросов WB API", 2026-04-03): the
  group names match ``sellerflow.sources.ratelimit.KNOWN_LIMITS["wildberries"]``. A 429 carries
  ``X-Ratelimit-Retry`` (seconds), which the base client honours and shares through the limiter;
- errors: the gateway's problem+json on 401/403/429 (``detail`` says why: ``token is expired``,
  ``token scope not allowed``, ``base token is not allowed`` on finance-api for Basic tokens). Every one of
  them needs a person, so they are ``AuthError`` with a fix that names what to do.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from sellerflow.sources._http import ApiClient, AuthError, MarketplaceAPIError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import Limiter

# path prefix → (API family = host, limiter group); first match wins
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/api/v3/orders/status", "marketplace", "marketplace"),
    ("/api/v3/warehouses", "marketplace", "warehouses"),
    ("/api/v3/stocks/", "marketplace", "stocks"),
    ("/api/v3/", "marketplace", "marketplace"),
    ("/api/marketplace/", "marketplace", "marketplace"),
    ("/content/", "content", "content"),
    ("/api/v2/", "prices", "prices"),
    ("/api/v1/supplier/orders", "statistics", "statistics_orders"),
    ("/api/v1/supplier/sales", "statistics", "statistics_sales"),
    ("/api/v5/supplier/reportDetailByPeriod", "statistics", "reports_legacy"),
    ("/api/finance/", "finance", "finance_reports"),
    ("/api/v1/seller-info", "common", "seller_info"),
    ("/ping", "common", "common"),
)
CANCEL_PATH = re.compile(r"^/api/v3/orders/\d+/cancel$")
HOSTS = {
    "marketplace": "marketplace-api",
    "content": "content-api",
    "prices": "discounts-prices-api",
    "statistics": "statistics-api",
    "finance": "finance-api",
    "common": "common-api",
}
WB_HOST = re.compile(r"^[a-z0-9-]+?(?P<sandbox>-sandbox)?\.wildberries\.ru$")
# API family → the token category its methods need (WB "Категории токена")
CATEGORY_OF_FAMILY = {
    "marketplace": "Marketplace",
    "content": "Content",
    "prices": "Prices and discounts",
    "statistics": "Statistics",
    "finance": "Finance",
}
ALL_CATEGORIES = "Marketplace, Content, Prices and discounts, Statistics and Finance"


def token_fix(why: str = "", categories: str = ALL_CATEGORIES) -> str:
    """What a person must do about a refused token."""
    return (
        f"{why}create a new token in the WB seller cabinet (Profile → Settings → Access to API), Personal or "
        f"Service type, with the categories {categories}, and put it into the connection's password"
    )


def route(path: str) -> tuple[str, str]:
    """(API family, limiter group) of a WB path."""
    if CANCEL_PATH.match(path):
        return "marketplace", "orders_cancel"
    for prefix, family, group in ROUTES:
        if path.startswith(prefix):
            return family, group
    return "marketplace", "marketplace"


class WildberriesClient(ApiClient):
    """Wildberries seller APIs over httpx."""

    vendor = "wildberries"

    def __init__(self, account: MarketplaceAccount, limiter: Limiter | None = None, **options: Any) -> None:
        super().__init__(account, limiter, **options)
        self.auth_fix = token_fix()
        self._hosts = self._family_hosts()

    def auth_headers(self) -> dict[str, str]:
        """The raw token in ``Authorization`` (WB accepts it with or without ``Bearer``)."""
        return {"Authorization": self.account.token}

    def _family_hosts(self) -> dict[str, str]:
        """Base URL per API family: WB's own hosts when the connection points at WB, else its host."""
        base = self.account.base_url.rstrip("/")
        match = WB_HOST.match(urlsplit(base).hostname or "")
        hosts = {}
        if match:
            sandbox = match.group("sandbox") or ""
            for family, host in HOSTS.items():
                suffix = "" if family == "finance" else sandbox  # finance-api has no sandbox twin
                hosts[family] = f"https://{host}{suffix}.wildberries.ru"
        overrides = self.account.settings.get("hosts") or {}
        hosts.update({k: str(v).rstrip("/") for k, v in overrides.items() if k in HOSTS})
        return hosts

    def url(self, path: str) -> str:
        """The URL to call for ``path``: relative to the connection's host unless the family has its own."""
        family, _ = route(path)
        host = self._hosts.get(family)
        return f"{host}{path}" if host else path

    def groups_for(self, method: str, path: str) -> tuple[str, ...]:
        """The WB method group of the path (one bucket each)."""
        return (route(urlsplit(path).path or path)[1],)

    def error_for(self, response: httpx.Response, message: str) -> MarketplaceAPIError:
        """Gateway refusals name their reason; turn each into an auth failure with its own fix."""
        error = super().error_for(response, message)
        if response.status_code not in (401, 403):
            return error
        detail = _detail(response)
        category = CATEGORY_OF_FAMILY.get(route(response.request.url.path)[0], "the method's")
        if "scope" in detail:
            self.auth_fix = token_fix(f"the token lacks the category {category}: ")
        elif "base token" in detail:
            self.auth_fix = token_fix("finance-api refuses Basic tokens: ")
        elif "expired" in detail:
            self.auth_fix = token_fix("the token has expired (WB tokens live 180 days): ")
        return AuthError(
            message, vendor=self.vendor, account_id=self.account.account_id, status=response.status_code
        )

    def get(self, path: str, params: dict[str, Any] | None = None, *, allow_empty: bool = False) -> Any:
        """``GET`` with query parameters; None for a 204 when ``allow_empty``."""
        return self.request("GET", self.url(path), params=params, allow_empty=allow_empty)

    def post(self, path: str, body: Any, *, allow_empty: bool = False) -> Any:
        """``POST`` with a JSON body; None for a 204 when ``allow_empty``."""
        return self.request("POST", self.url(path), json=body, allow_empty=allow_empty)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("detail", "")).lower() if isinstance(body, dict) else ""
