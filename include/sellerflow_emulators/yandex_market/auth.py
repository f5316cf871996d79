"""Who is calling: the ``Api-Key`` header (or the deprecated ``Authorization: Bearer`` OAuth token).

Docs: concepts/api-key ("Api-Key: <token>", no ``Bearer`` prefix), concepts/oauth-2.0
(``Authorization: Bearer <token>``, deprecated), concepts/error-codes sections 401 and 403 for
the messages. A token is bound to a cabinet (business); every ``yandex_market`` account row with
that token is one of its campaigns. ``accounts.scopes`` holds the Api-Key access groups (JSON list,
``null`` means ``all-methods``); each method's allowed groups come from :mod:`.operations`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from fastapi import Request

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.yandex_market.errors import YmError
from sellerflow_emulators.yandex_market.operations import Operation

VENDOR = "yandex_market"


@dataclass(frozen=True)
class Cabinet:
    """The caller: the campaigns its token opens and the scopes it carries."""

    campaigns: tuple[sqlite3.Row, ...]
    scopes: tuple[str, ...]
    oauth: bool

    @property
    def account_id(self) -> str:
        """The first campaign's account id (the rate-limit key for cabinet-wide methods)."""
        return str(self.campaigns[0]["id"])

    @property
    def business_id(self) -> int:
        """Cabinet id (``accounts.client_id``)."""
        return int(self.campaigns[0]["client_id"])

    @property
    def account_ids(self) -> list[str]:
        """Account ids of all campaigns in the cabinet."""
        return [str(row["id"]) for row in self.campaigns]

    def campaign(self, conn: sqlite3.Connection, campaign_id: int) -> sqlite3.Row:
        """The campaign row, or the documented 403/404 when it is not the caller's."""
        for row in self.campaigns:
            if int(row["campaign_id"]) == campaign_id:
                return row
        exists = conn.execute(
            "select 1 from accounts where marketplace = ? and campaign_id = ?", (VENDOR, str(campaign_id))
        ).fetchone()
        if exists:
            raise YmError(403, "Access denied")
        raise YmError(404, f"Campaign not found: '{campaign_id}'")

    def check_business(self, business_id: int) -> None:
        """403 unless ``business_id`` is the caller's cabinet."""
        if business_id != self.business_id:
            raise YmError(403, "Access denied")


def _token_from_headers(request: Request) -> tuple[str, bool]:
    """(token, is_oauth) from the request headers, or the documented 401."""
    api_key = request.headers.get("Api-Key")
    if api_key is not None:
        if api_key.lower().startswith(("bearer ", "oauth ")):
            raise YmError(401, "Api-Key token prefix invalid")
        return api_key.strip(), False
    authorization = request.headers.get("Authorization")
    if authorization is None:
        raise YmError(401, "Credentials are not specified")
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        raise YmError(401, "Unsupported authorization type specified in Authorization header")
    if not value.strip():
        raise YmError(401, "OAuth token is not specified")
    return value.strip(), True


def invalid_token_error(oauth: bool, revoked: bool = False) -> YmError:
    """Api-Key problems are 401; a bad or expired OAuth token is 403 (error-codes, 401/403)."""
    if oauth:
        return YmError(403, "OAuth token is invalid")
    return YmError(401, "Api-Key token is revoked" if revoked else "Api-Key token is invalid")


def authenticate(request: Request, state: EmulatorState, operation: Operation) -> Cabinet:
    """Resolve the caller's cabinet and check its scopes for ``operation``."""
    token, oauth = _token_from_headers(request)
    conn = state.conn()
    rows = conn.execute(
        "select * from accounts where marketplace = ? and token = ? order by campaign_id", (VENDOR, token)
    ).fetchall()
    if not rows:
        raise invalid_token_error(oauth)
    expires = rows[0]["token_expires_at"]
    if expires and expires <= format_ts(state.now()):
        raise invalid_token_error(oauth, revoked=True)
    scopes = tuple(json.loads(rows[0]["scopes"] or "null") or ["all-methods"])
    # OAuth tokens carry market:partner-api, i.e. every method the user may call.
    if not oauth and not set(scopes) & set(operation.scopes):
        raise YmError(403, "Token does not have any of the scopes to access the API method")
    return Cabinet(campaigns=tuple(rows), scopes=scopes, oauth=oauth)
