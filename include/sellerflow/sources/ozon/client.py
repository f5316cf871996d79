"""The Ozon Seller API client: ``Client-Id`` + ``Api-Key`` headers, one method group per limit, rpcStatus errors.

Facts (/work/shared/docs/sources/ozon-wildberries.md, "OZON / Hosts, auth and common behaviour"): every
method is ``POST`` with a JSON body on ``https://api-seller.ozon.ru``; the headers ``Client-Id`` and
``Api-Key`` authenticate (spec tag ``Environment``); errors are ``rpcStatus`` bodies ``{code, message,
details}``; the limit is 50 requests/second per Client-Id across all methods (spec tag ``Process``), with
``/v2/products/stocks`` also at 80 requests/minute. Ozon documents no rate-limit headers, so a 429 is
retried with plain backoff. An unknown key answers 404 ``Invalid Api-Key…`` and a deactivated one 403
``Api-key is deactivated…`` ([community] observations, spec tag ``Errors`` for the texts): both are
authentication failures here, not "not found".
"""

from __future__ import annotations

from typing import Any

import httpx

from sellerflow.sources._http import ApiClient, AuthError, MarketplaceAPIError
from sellerflow.sources.ratelimit import DEFAULT_GROUP

AUTH_MESSAGES = ("api-key", "api key", "client-id")
EXTRA_GROUPS = {"/v2/products/stocks": "stocks_update"}


class OzonClient(ApiClient):
    """Ozon Seller API over httpx."""

    vendor = "ozon"
    auth_fix = (
        "create a new API key in the Ozon seller cabinet (Settings → Seller API) with the roles the streams "
        "need (at least 'Admin read only' or the posting, product, price, stock and finance roles), then put "
        "it into the connection's password and the Client-Id into its login"
    )

    def auth_headers(self) -> dict[str, str]:
        """``Client-Id`` and ``Api-Key``."""
        return {"Client-Id": self.account.client_id or "", "Api-Key": self.account.token}

    def groups_for(self, method: str, path: str) -> tuple[str, ...]:
        """Every method counts against the global group; stock updates also against their own."""
        extra = EXTRA_GROUPS.get(path)
        return (DEFAULT_GROUP, extra) if extra else (DEFAULT_GROUP,)

    def error_for(self, response: httpx.Response, message: str) -> MarketplaceAPIError:
        """rpcStatus answers; key problems are auth failures whatever the status."""
        error = super().error_for(response, message)
        if response.status_code in (400, 403, 404) and any(
            m in _rpc_message(response) for m in AUTH_MESSAGES
        ):
            return AuthError(
                message, vendor=self.vendor, account_id=self.account.account_id, status=response.status_code
            )
        return error

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """``POST path`` with a JSON body; returns the decoded answer."""
        return self.request("POST", path, json=body)


def _rpc_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message", "")).lower() if isinstance(body, dict) else ""
